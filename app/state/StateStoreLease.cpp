// Which agent watches a team's desk (resources/sql/state/009_agent_lease.sql).
#include "StateStore.h"

#include "model/SyncError.h"


namespace syncdesk {

namespace {

AgentLease leaseOf(const QVariantList &r)
{
    return {r.value(0).toString(),    r.value(1).toString(),    r.value(2).toLongLong(),
            r.value(3).toLongLong(), r.value(4).toLongLong(), r.value(5).toLongLong()};
}

const QString LeaseColumns = QStringLiteral("SELECT agent, host, pid, taken_at, heartbeat_at, expires_at FROM agent_lease "
                                            "WHERE name = 'desk'");

} // namespace

void StateStore::checkFence()
{
    const QString &me = m_fence;
    if (me.isEmpty())
        return;
    // Held until this write commits: an agent taking the lease over waits for it, and every
    // write after sees the new holder.
    const auto rows = query(LeaseColumns + shareLock());
    if (rows.isEmpty() || rows.first().value(0).toString() != me)
        throw SyncError(QStringLiteral("this agent no longer holds the desk's lease (%1 does): it writes nothing more")
                            .arg(rows.isEmpty() ? QStringLiteral("nobody") : rows.first().value(0).toString()));
}

AgentLease StateStore::takeLease(const AgentLease &me, qint64 ttlMs, const QString &deadAgent)
{
    begin();
    try {
        // The holder's write in flight holds the row: worth waiting for, but not for a desk
        // that vanished mid-write (its server-side session ends within half a minute).
        limitLockWait(3000);
        const qint64 now = nowMs();
        exec(QStringLiteral("INSERT INTO agent_lease (name, agent, host, pid, taken_at, heartbeat_at, expires_at) "
                            "VALUES ('desk', ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                            "agent = excluded.agent, host = excluded.host, pid = excluded.pid, "
                            "taken_at = CASE WHEN agent_lease.agent = excluded.agent THEN agent_lease.taken_at "
                            "ELSE excluded.taken_at END, heartbeat_at = excluded.heartbeat_at, "
                            "expires_at = excluded.expires_at "
                            "WHERE agent_lease.agent = excluded.agent OR agent_lease.expires_at <= ? "
                            "OR agent_lease.agent = ?"),
             {me.agent, me.host, me.pid, now, now, now + ttlMs, now, deadAgent});
        const auto rows = query(LeaseColumns);
        commit();
        return rows.isEmpty() ? AgentLease{} : leaseOf(rows.first());
    } catch (...) {
        rollback();
        throw;
    }
}

bool StateStore::renewLease(const QString &agent, qint64 ttlMs)
{
    const qint64 now = nowMs();
    exec(QStringLiteral("UPDATE agent_lease SET heartbeat_at = ?, expires_at = ? WHERE name = 'desk' AND agent = ?"),
         {now, now + ttlMs, agent});
    const std::optional<AgentLease> held = lease();
    return held && held->agent == agent;
}

void StateStore::releaseLease(const QString &agent)
{
    exec(QStringLiteral("DELETE FROM agent_lease WHERE name = 'desk' AND agent = ?"), {agent});
}

std::optional<AgentLease> StateStore::lease()
{
    const auto rows = query(LeaseColumns);
    return rows.isEmpty() ? std::nullopt : std::optional<AgentLease>(leaseOf(rows.first()));
}

} // namespace syncdesk
