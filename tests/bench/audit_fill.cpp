// Benchmark helper (not a test): fills a workspace's audit log with N chained entries shaped
// like real resolutions, in one transaction, for tests/bench/audit-bench.sh.
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
    if (argc != 3) {
        std::fprintf(stderr, "usage: audit_fill WORKSPACE N\n");
        return 2;
    }
    const Workspace ws = WorkspaceLoader::load(QString::fromLocal8Bit(argv[1]));
    (void)StateStore::open(ws); // creates and migrates the store
    const qint64 n = QByteArray(argv[2]).toLongLong();
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"));
    db.setDatabaseName(ws.state);
    if (!db.open())
        return 1;
    QSqlQuery q(db);
    q.exec(QStringLiteral("DELETE FROM audit_log"));
    q.exec(QStringLiteral("BEGIN"));
    q.prepare(QStringLiteral("INSERT INTO audit_log (seq, entry, prev_hash, hash) VALUES (?, ?, ?, ?)"));
    QByteArray previous(64, '0');
    const qint64 t0 = QDateTime::currentMSecsSinceEpoch();
    for (qint64 seq = 1; seq <= n; ++seq) {
        const QString key = QStringLiteral("SKU%1").arg(seq * 10, 10, 10, QLatin1Char('0'));
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
