// Which agents watch a team's desk, and which of its flows each (resources/sql/state/009_agent_lease.sql,
// 010_flow_leases.sql).
#include "StateStore.h"

#include "model/SyncError.h"

#include <QSet>

namespace syncdesk {

namespace {

AgentLease leaseOf(const QVariantList &r)
{
    return {r.value(0).toString(),   r.value(1).toString(),   r.value(2).toString(),   r.value(3).toLongLong(),
            r.value(4).toLongLong(), r.value(5).toLongLong(), r.value(6).toLongLong()};
}

const QString LeaseColumns =
    QStringLiteral("SELECT name, agent, host, pid, taken_at, heartbeat_at, expires_at FROM agent_lease");

// "?, ?, ?" for `n` bound values.
QString placeholders(qsizetype n)
{
    QStringList marks;
    marks.fill(QStringLiteral("?"), n);
    return marks.join(QStringLiteral(", "));
}

QVariantList variants(const QStringList &list)
{
    QVariantList out;
    for (const QString &s : list)
        out.append(s);
    return out;
}

} // namespace

void StateStore::checkFence()
{
    const QString &me = m_fence;
    if (me.isEmpty())
        return;
    // Held until this write commits: an agent taking a lease over waits for it, and every
    // write after sees the new holder.
    const QStringList names = m_fenceLeases;
    if (names.isEmpty())
        throw SyncError(QStringLiteral("this agent holds no lease of the desk: it writes nothing"));
    const auto rows = query(LeaseColumns + QStringLiteral(" WHERE name IN (%1)").arg(placeholders(names.size()))
                                + shareLock(),
                            variants(names));
    QSet<QString> mine;
    QString other = QStringLiteral("nobody");
    for (const QVariantList &r : rows) {
        if (r.value(1).toString() == me)
            mine.insert(r.value(0).toString());
        else
            other = r.value(1).toString();
    }
    for (const QString &name : names)
        if (!mine.contains(name))
            throw SyncError(QStringLiteral("this agent no longer holds the lease '%1' (%2 does): it writes nothing more")
                                .arg(name, other));
}

QStringList StateStore::takeLeases(const AgentLease &me, const QStringList &names, qint64 ttlMs,
                                   const QStringList &deadAgents, bool allOrNothing)
{
    begin();
    try {
        // A holder's write in flight holds its row: worth waiting for, but not for a desk that
        // vanished mid-write (its server-side session ends within half a minute).
        limitLockWait(3000);
        const qint64 now = nowMs();
        QStringList held;
        for (const QString &name : names) {
            QString sql = QStringLiteral(
                "INSERT INTO agent_lease (name, agent, host, pid, taken_at, heartbeat_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "agent = excluded.agent, host = excluded.host, pid = excluded.pid, "
                "taken_at = CASE WHEN agent_lease.agent = excluded.agent THEN agent_lease.taken_at "
                "ELSE excluded.taken_at END, heartbeat_at = excluded.heartbeat_at, "
                "expires_at = excluded.expires_at "
                "WHERE agent_lease.agent = excluded.agent OR agent_lease.expires_at <= ?");
            QVariantList params{name, me.agent, me.host, me.pid, now, now, now + ttlMs, now};
            if (!deadAgents.isEmpty()) {
                sql += QStringLiteral(" OR agent_lease.agent IN (%1)").arg(placeholders(deadAgents.size()));
                params += variants(deadAgents);
            }
            exec(sql, params);
            const auto rows = query(QStringLiteral("SELECT agent FROM agent_lease WHERE name = ?"), {name});
            if (!rows.isEmpty() && rows.first().value(0).toString() == me.agent)
                held.append(name);
        }
        if (allOrNothing && held.size() != names.size()) {
            rollback();
            return {};
        }
        commit();
        return held;
    } catch (...) {
        rollback();
        throw;
    }
}

QStringList StateStore::renewLeases(const QString &agent, const QStringList &names, qint64 ttlMs)
{
    if (names.isEmpty())
        return {};
    const qint64 now = nowMs();
    const QString in = placeholders(names.size());
    exec(QStringLiteral("UPDATE agent_lease SET heartbeat_at = ?, expires_at = ? WHERE agent = ? AND name IN (%1)").arg(in),
         QVariantList{now, now + ttlMs, agent} + variants(names));
    QStringList held;
    for (const QVariantList &r : query(QStringLiteral("SELECT name FROM agent_lease WHERE agent = ? AND name IN (%1) "
                                                      "ORDER BY name").arg(in),
                                       QVariantList{agent} + variants(names)))
        held.append(r.value(0).toString());
    return held;
}

void StateStore::releaseLeases(const QString &agent, const QStringList &names)
{
    if (names.isEmpty()) {
        exec(QStringLiteral("DELETE FROM agent_lease WHERE agent = ?"), {agent});
        return;
    }
    exec(QStringLiteral("DELETE FROM agent_lease WHERE agent = ? AND name IN (%1)").arg(placeholders(names.size())),
         QVariantList{agent} + variants(names));
}

void StateStore::forgetLapsedAgents(qint64 graceMs)
{
    exec(QStringLiteral("DELETE FROM agent_lease WHERE name LIKE 'agent/%' AND expires_at < ?"), {nowMs() - graceMs});
}

QList<AgentLease> StateStore::leases()
{
    QList<AgentLease> out;
    for (const QVariantList &r : query(LeaseColumns + QStringLiteral(" ORDER BY name")))
        out.append(leaseOf(r));
    return out;
}

QString StateStore::statusRow(const QString &prefix) const
{
    return m_fenceLeases.isEmpty() ? prefix : prefix + u'/' + m_fenceLeases.join(u'+');
}

QList<std::pair<qint64, QByteArray>> StateStore::statusRows(const QString &prefix)
{
    QList<std::pair<qint64, QByteArray>> out;
    for (const QVariantList &r : query(QStringLiteral("SELECT updated_at, status FROM desk_status "
                                                      "WHERE name = ? OR name LIKE ? ORDER BY updated_at DESC"),
                                       {prefix, prefix + QStringLiteral("/%")}))
        out.append({r.value(0).toLongLong(), r.value(1).toString().toUtf8()});
    return out;
}

} // namespace syncdesk
