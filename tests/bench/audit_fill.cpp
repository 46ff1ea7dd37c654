// Benchmark helper (not a test): fills a workspace's audit log with N chained entries shaped
// like real resolutions (every intent with its outcome), in one transaction, for
// tests/bench/audit-bench.sh and audit-history-bench.sh. Keys repeat every KEYS entries (default:
// never), so a record gathers a history as on a long-lived desk.
#include "model/WorkspaceLoader.h"
#include "state/StateStore.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include <cstdio>

using namespace syncdesk;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (argc != 3 && argc != 4) {
        std::fprintf(stderr, "usage: audit_fill WORKSPACE N [KEYS]\n");
        return 2;
    }
    const Workspace ws = WorkspaceLoader::load(QString::fromLocal8Bit(argv[1]));
    (void)StateStore::open(ws); // creates and migrates the store
    const qint64 n = QByteArray(argv[2]).toLongLong();
    const qint64 keys = argc == 4 ? QByteArray(argv[3]).toLongLong() : 0;
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"));
    db.setDatabaseName(ws.state);
    if (!db.open())
        return 1;
    QSqlQuery q(db);
    q.exec(QStringLiteral("DELETE FROM audit_log"));
    q.exec(QStringLiteral("BEGIN"));
    q.exec(QStringLiteral("DELETE FROM open_intents"));
    q.prepare(QStringLiteral("INSERT INTO audit_log (seq, entry, prev_hash, hash, flow, record_key, entry_type, "
                             "resolution_id, undoes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    QByteArray previous(64, '0');
    const qint64 t0 = QDateTime::currentMSecsSinceEpoch();
    for (qint64 seq = 1; seq <= n; ++seq) {
        const qint64 keyNumber = keys > 0 ? ((seq + 1) / 2) % keys : seq * 10;
        const QString key = QStringLiteral("SKU%1").arg(keyNumber, 10, 10, QLatin1Char('0'));
        const QJsonObject values{{QStringLiteral("grade"), QStringLiteral("A")},
                                 {QStringLiteral("model"), QStringLiteral("Model-%1").arg(seq % 500)},
                                 {QStringLiteral("price_cents"), QString::number(100 + seq % 9000)},
                                 {QStringLiteral("qty"), QString::number(seq % 100)}};
        const QJsonObject side{{QStringLiteral("hash"), QStringLiteral("0123456789abcdef")},
                               {QStringLiteral("values"), values}};
        QJsonObject entry{
            {QStringLiteral("id"), QStringLiteral("%1").arg((seq + 1) / 2)},
            {QStringLiteral("at"), QDateTime::fromMSecsSinceEpoch(t0 + seq, Qt::UTC).toString(Qt::ISODateWithMs)},
            {QStringLiteral("flow"), QStringLiteral("devices")}, {QStringLiteral("key"), QJsonArray{key}},
            {QStringLiteral("choice"), QStringLiteral("take_source")}};
        if (seq % 2) {
            entry.insert(QStringLiteral("type"), QStringLiteral("intent"));
            entry.insert(QStringLiteral("reason"), QStringLiteral("warehouse count is authoritative"));
            entry.insert(QStringLiteral("operator"), QStringLiteral("alice"));
            entry.insert(QStringLiteral("source"), side);
            entry.insert(QStringLiteral("target"), side);
        } else {
            entry.insert(QStringLiteral("type"), QStringLiteral("outcome"));
            entry.insert(QStringLiteral("outcome"), QStringLiteral("applied"));
            entry.insert(QStringLiteral("after"), QJsonObject{{QStringLiteral("source"), side},
                                                              {QStringLiteral("target"), side}});
        }
        const QByteArray json = StateStore::canonicalJson(entry);
        const QByteArray hash = StateStore::chainHash(previous, json);
        q.addBindValue(seq);
        q.addBindValue(QString::fromUtf8(json));
        q.addBindValue(QString::fromLatin1(previous));
        q.addBindValue(QString::fromLatin1(hash));
        // The index columns, as an append writes them (StateStore::auditColumns).
        const StateStore::AuditColumns c = StateStore::auditColumns(entry);
        for (const QVariant &v : {c.flow, c.recordKey, c.type, c.resolutionId, c.undoes})
            q.addBindValue(v);
        if (!q.exec()) {
            std::fprintf(stderr, "audit_fill: %s\n", qPrintable(q.lastError().text()));
            return 1;
        }
        previous = hash;
    }
    q.exec(QStringLiteral("COMMIT"));
    std::printf("%lld entries, head %s\n", static_cast<long long>(n), previous.constData());
    return 0;
}
