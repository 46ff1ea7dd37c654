// Benchmark helper (not a test): what a long-lived desk reads from its audit log. Opens the
// workspace's store (filled by audit_fill) and times, over RUNS random records, a record's
// history as the record panel reads it (by index, each entry parsed); then a resolution's
// entries as an undo reads them, and the open intents every resolution's start reads.
#include "audit/AuditExport.h"
#include "audit/AuditVerifier.h"
#include "model/WorkspaceLoader.h"
#include "state/StateStore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace syncdesk;

namespace {

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (argc != 4 && !(argc == 3 && qstrcmp(argv[2], "--whole") == 0)) {
        std::fprintf(stderr, "usage: audit_history WORKSPACE KEYS RUNS | audit_history WORKSPACE --whole\n");
        return 2;
    }
    const Workspace ws = WorkspaceLoader::load(QString::fromLocal8Bit(argv[1]));
    const auto store = StateStore::open(ws);
    if (argc == 3) {
        // What one record click did before the index: the flow's entries selected from a pass
        // over the whole log, and the whole chain verified.
        QElapsedTimer t;
        t.start();
        AuditFilter f;
        f.flow = QStringLiteral("devices");
        const qint64 selected = selectAuditEntries(*store, f).size();
        const ChainCheck c = verifyStoredChain(*store);
        std::printf("one record click as before (whole log read, %lld entries, chain %s): %.2f s\n",
                    static_cast<long long>(selected), c.intact ? "intact" : "broken", double(t.elapsed()) / 1000);
        return 0;
    }
    const qint64 keys = QByteArray(argv[2]).toLongLong();
    const int runs = QByteArray(argv[3]).toInt();
    std::vector<double> history, resolution, open;
    qint64 entries = 0;
    for (int i = 0; i < runs; ++i) {
        const qint64 k = qint64(QRandomGenerator::global()->bounded(quint64(keys)));
        const QByteArray key = QJsonDocument(QJsonArray{QStringLiteral("SKU%1").arg(k, 10, 10, QLatin1Char('0'))})
                                   .toJson(QJsonDocument::Compact);
        QElapsedTimer t;
        t.start();
        const QList<AuditRow> rows = store->auditRowsOfRecord(QStringLiteral("devices"), key);
        for (const AuditRow &r : rows)
            entries += QJsonDocument::fromJson(r.entry).object().size() > 0;
        history.push_back(double(t.nsecsElapsed()) / 1e6);
        if (rows.isEmpty()) {
            std::fprintf(stderr, "audit_history: no entries for %s\n", key.constData());
            return 1;
        }
        const QString id = QJsonDocument::fromJson(rows.first().entry).object().value(u"id").toString();
        t.restart();
        const QList<AuditRow> of = store->auditRowsOfResolution(id);
        resolution.push_back(double(t.nsecsElapsed()) / 1e6);
        if (of.size() < 2) {
            std::fprintf(stderr, "audit_history: resolution %s has %lld entries\n", qPrintable(id),
                         static_cast<long long>(of.size()));
            return 1;
        }
        t.restart();
        (void)store->openIntentRows();
        open.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::printf("record history (%.1f entries per record): p50 %.2f ms, p99 %.2f ms\n",
                double(entries) / runs, percentile(history, 0.5), percentile(history, 0.99));
    std::printf("a resolution's entries (undo): p50 %.2f ms, p99 %.2f ms\n", percentile(resolution, 0.5),
                percentile(resolution, 0.99));
    std::printf("open intents (every resolution's start): p50 %.2f ms, p99 %.2f ms\n", percentile(open, 0.5),
                percentile(open, 0.99));
    return 0;
}
