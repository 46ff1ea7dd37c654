// The live records a team's agent publishes for attached consoles
// (resources/sql/state/008_live_records.sql).
#include "StateStore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace syncdesk {

namespace {

// Rows per INSERT when a flow's list is written whole: a comparison can leave a hundred
// thousand records out of sync, and one round trip each would hold the write for seconds.
constexpr qsizetype RowsPerInsert = 200;

const QString MarkColumns =
    QStringLiteral("SELECT flow, epoch, version, pruned_below, updated_at FROM live_flows");

LiveFlowMark markOf(const QVariantList &r)
{
    return {r.value(0).toString(), r.value(1).toLongLong(), r.value(2).toLongLong(), r.value(3).toLongLong(),
            r.value(4).toLongLong()};
}

} // namespace

qint64 StateStore::publishLive(const LivePublication &publication, qint64 lastVersion, qint64 pruneBelow,
                               qint64 nowMs, const QStringList &pruneFlows)
{
    qint64 version = lastVersion;
    QHash<QString, bool> rewritten; // flow → written whole in this transaction
    begin();
    try {
        checkFence();
        for (auto it = publication.rewrites.cbegin(); it != publication.rewrites.cend(); ++it) {
            exec(QStringLiteral("DELETE FROM live_records WHERE flow = ?"), {it.key()});
            const QList<LiveRecord> &rows = it.value();
            for (qsizetype from = 0; from < rows.size(); from += RowsPerInsert) {
                const qsizetype n = std::min(RowsPerInsert, rows.size() - from);
                QString sql = QStringLiteral("INSERT INTO live_records (flow, record_key, status, since_ms, "
                                             "lag_ms, version) VALUES ");
                QVariantList params;
                params.reserve(n * 6);
                for (qsizetype i = 0; i < n; ++i) {
                    const LiveRecord &r = rows[from + i];
                    sql += i ? QStringLiteral(", (?, ?, ?, ?, ?, ?)") : QStringLiteral("(?, ?, ?, ?, ?, ?)");
                    params << it.key() << QString::fromUtf8(r.keyJson) << r.status << r.sinceMs << r.lagMs
                           << ++version;
                }
                exec(sql, params);
            }
            rewritten.insert(it.key(), true);
        }
        for (auto it = publication.updates.cbegin(); it != publication.updates.cend(); ++it) {
            for (const LiveRecord &r : it.value())
                exec(QStringLiteral("INSERT INTO live_records (flow, record_key, status, since_ms, lag_ms, version) "
                                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (flow, record_key) DO UPDATE SET "
                                    "status = excluded.status, since_ms = excluded.since_ms, "
                                    "lag_ms = excluded.lag_ms, version = excluded.version"),
                     {it.key(), QString::fromUtf8(r.keyJson), r.status, r.sinceMs, r.lagMs, ++version});
        }
        QSet<QString> flows;
        for (auto it = publication.rewrites.cbegin(); it != publication.rewrites.cend(); ++it)
            flows.insert(it.key());
        for (auto it = publication.updates.cbegin(); it != publication.updates.cend(); ++it)
            flows.insert(it.key());
        for (const QString &flow : std::as_const(flows)) {
            // A console that saw the list before a rewrite reads it again (its epoch moved).
            const int bump = rewritten.value(flow) ? 1 : 0;
            exec(QStringLiteral("INSERT INTO live_flows (flow, epoch, version, pruned_below, updated_at) "
                                "VALUES (?, 1, ?, 0, ?) ON CONFLICT (flow) DO UPDATE SET "
                                "epoch = live_flows.epoch + ?, version = excluded.version, "
                                "updated_at = excluded.updated_at"),
                 {flow, version, nowMs, bump});
        }
        bool pruned = false;
        if (pruneBelow > 0) {
            // Only the flows that lose rows say so: a console of the others reads on as before.
            for (const QVariantList &r : query(QStringLiteral("SELECT DISTINCT flow FROM live_records WHERE status = 0 "
                                                              "AND version <= ?"),
                                               {pruneBelow})) {
                if (!pruneFlows.isEmpty() && !pruneFlows.contains(r.value(0).toString()))
                    continue;
                exec(QStringLiteral("DELETE FROM live_records WHERE flow = ? AND status = 0 AND version <= ?"),
                     {r.value(0), pruneBelow});
                exec(QStringLiteral("UPDATE live_flows SET pruned_below = ? WHERE flow = ? AND pruned_below < ?"),
                     {pruneBelow, r.value(0), pruneBelow});
                pruned = true;
            }
        }
        if (publication.console)
            exec(QStringLiteral("INSERT INTO desk_status (name, updated_at, status) VALUES (?, ?, ?) "
                                "ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at, "
                                "status = excluded.status"),
                 {statusRow(QStringLiteral("console")),
                  m_fenceLeases.isEmpty() ? publication.console->first : this->nowMs(), // as writeDeskStatus
                  QString::fromUtf8(publication.console->second)});
        if (!flows.isEmpty() || pruned) {
            QJsonArray names;
            for (const QString &flow : std::as_const(flows))
                names.append(flow);
            QString payload = QString::fromUtf8(QJsonDocument(names).toJson(QJsonDocument::Compact));
            // A NOTIFY payload stops at 8000 bytes: past that (or after a whole list or a prune)
            // consoles read every flow's mark instead.
            if (!rewritten.isEmpty() || pruned || payload.toUtf8().size() > 4000)
                payload = QStringLiteral("*");
            notify(QString::fromLatin1(LiveChannel), payload);
        }
        commit();
    } catch (...) {
        rollback();
        throw;
    }
    return version;
}

qint64 StateStore::liveVersion()
{
    const auto rows = query(QStringLiteral("SELECT COALESCE(MAX(version), 0) FROM live_flows"));
    return rows.isEmpty() ? 0 : rows.first().value(0).toLongLong();
}

QList<LiveFlowMark> StateStore::liveFlows()
{
    QList<LiveFlowMark> out;
    for (const QVariantList &r : query(MarkColumns + QStringLiteral(" ORDER BY flow")))
        out.append(markOf(r));
    return out;
}

std::optional<LiveFlowMark> StateStore::liveFlow(const QString &flow)
{
    const auto rows = query(MarkColumns + QStringLiteral(" WHERE flow = ?"), {flow});
    return rows.isEmpty() ? std::nullopt : std::optional(markOf(rows.first()));
}

QList<LiveRecord> StateStore::liveRecords(const QString &flow, qint64 afterVersion, bool outOfSyncOnly)
{
    QList<LiveRecord> out;
    const QString sql = QStringLiteral("SELECT record_key, status, since_ms, lag_ms, version FROM live_records "
                                       "WHERE flow = ? AND version > ?%1 ORDER BY version")
                            .arg(outOfSyncOnly ? QStringLiteral(" AND status <> 0") : QString());
    forEachRow(sql, {flow, afterVersion}, [&out](const QVariantList &r) {
        out.append({r.value(0).toString().toUtf8(), r.value(1).toInt(), r.value(2).toLongLong(),
                    r.value(3).toLongLong(), r.value(4).toLongLong()});
        return true;
    });
    return out;
}

QList<std::pair<qint64, QByteArray>> StateStore::consoleSnapshots()
{
    return statusRows(QStringLiteral("console"));
}

} // namespace syncdesk
