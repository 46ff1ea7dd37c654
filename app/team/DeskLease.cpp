#include "DeskLease.h"

#include "model/SyncError.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QHostInfo>
#include <QMutexLocker>
#include <QSet>
#include <QRandomGenerator>
#include <QTimer>

#include <cerrno>
#include <csignal>

namespace syncdesk {

DeskLease::DeskLease(Workspace workspace, QObject *parent)
    : QObject(parent), m_workspace(std::move(workspace)), m_groups(FlowGroups::of(m_workspace))
{
    // The name an agent goes by in the lease (and in what the others say): the host's, unless
    // SYNCDESK_AGENT_HOST names it (containers whose host names mean nothing).
    m_me.host = qEnvironmentVariable("SYNCDESK_AGENT_HOST", QHostInfo::localHostName());
    m_me.pid = QCoreApplication::applicationPid();
    // The tag tells a restarted agent that reuses a pid from the one before it.
    m_me.agent = QStringLiteral("%1:%2:%3@%4")
                     .arg(m_me.host)
                     .arg(m_me.pid)
                     .arg(QRandomGenerator::system()->generate(), 8, 16, QLatin1Char('0'))
                     .arg(processSpace());
    m_thread.setObjectName(QStringLiteral("desk-lease"));
}

DeskLease::~DeskLease()
{
    if (m_heartbeat) {
        QMetaObject::invokeMethod(m_heartbeat, &QTimer::stop, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    if (held().isEmpty() && !m_present)
        return;
    try {
        if (!m_store)
            m_store = StateStore::open(m_workspace);
        m_store->releaseLeases(m_me.agent);
    } catch (const SyncError &) {
        // They lapse by themselves within TtlMs.
    }
}

bool DeskLease::applies(const Workspace &workspace)
{
    return isStateUri(workspace.state);
}

QStringList DeskLease::held() const
{
    QMutexLocker lock(&m_mutex);
    return m_held;
}

bool DeskLease::isWholeDesk(const QStringList &leases) const
{
    for (const FlowSpec &f : m_workspace.flows)
        if (!leases.contains(FlowGroups::leaseOf(f.name)))
            return false;
    return true;
}

Workspace DeskLease::watched(const QStringList &leases) const
{
    if (isWholeDesk(leases))
        return m_workspace;
    QStringList flows;
    for (const QString &l : leases)
        flows.append(FlowGroups::flowOf(l));
    return FlowGroups::subset(m_workspace, flows);
}

const FlowGroup *DeskLease::group(const QString &name) const
{
    for (const FlowGroup &g : m_groups)
        if (g.name == name)
            return &g;
    return nullptr;
}

void DeskLease::readRows()
{
    m_rowsAtMs = m_store->nowMs();
    m_rows = m_store->leases();
}

bool DeskLease::heldByOther(const AgentLease &row) const
{
    return row.agent != m_me.agent && row.expiresAtMs > m_rowsAtMs && !isGone(row);
}

QStringList DeskLease::deadAgents() const
{
    QStringList dead;
    for (const AgentLease &r : m_rows)
        if (r.agent != m_me.agent && !dead.contains(r.agent) && isGone(r))
            dead.append(r.agent);
    return dead;
}

bool DeskLease::take(const QStringList &groups)
{
    if (!m_store)
        m_store = StateStore::open(m_workspace);
    bool took = false;
    for (const QString &name : groups) {
        const FlowGroup *g = group(name);
        if (!g)
            continue;
        // A group whole or not at all: its flows share a feed, which one engine reads.
        QStringList rows = g->leases();
        rows.sort(); // one order for every taker
        QStringList got;
        try {
            got = m_store->takeLeases(m_me, rows, TtlMs, deadAgents(), true);
        } catch (const SyncError &) {
            m_store.reset(); // opened again at the next attempt; what was taken is kept
            throw;
        }
        if (got.isEmpty())
            continue;
        took = true;
        // Held (and renewed) from its commit on, whatever the next group's attempt does.
        QMutexLocker lock(&m_mutex);
        if (m_held.isEmpty())
            m_heldUntilMs = QDateTime::currentMSecsSinceEpoch() + TtlMs;
        // In the workspace's order, so the engine's fence and rows are named the same each time.
        QStringList ordered;
        for (const FlowSpec &f : m_workspace.flows) {
            const QString l = FlowGroups::leaseOf(f.name);
            if (m_held.contains(l) || got.contains(l))
                ordered.append(l);
        }
        m_held = ordered;
        lock.unlock();
        startHeartbeat();
    }
    return took;
}

void DeskLease::release(const QStringList &groups)
{
    QStringList rows;
    for (const QString &name : groups)
        if (const FlowGroup *g = group(name))
            rows += g->leases();
    if (rows.isEmpty())
        return;
    {
        QMutexLocker lock(&m_mutex);
        m_held.removeIf([&rows](const QString &l) { return rows.contains(l); });
    }
    try {
        if (!m_store)
            m_store = StateStore::open(m_workspace);
        m_store->releaseLeases(m_me.agent, rows);
    } catch (const SyncError &) {
        m_store.reset();
        // No longer renewed, so they lapse within TtlMs.
    }
}

bool DeskLease::tryTakeWhole()
{
    if (!m_store)
        m_store = StateStore::open(m_workspace);
    QStringList all;
    for (const FlowSpec &f : m_workspace.flows)
        all.append(FlowGroups::leaseOf(f.name));
    try {
        readRows();
        // Not even tried while an agent holds a flow: the attempt would wait on its rows' locks
        // and hold up its writes.
        for (const AgentLease &r : std::as_const(m_rows))
            if (all.contains(r.name) && heldByOther(r))
                return false;
        QStringList rows = all;
        rows.sort();
        if (m_store->takeLeases(m_me, rows, TtlMs, deadAgents(), true).size() == all.size()) {
            {
                QMutexLocker lock(&m_mutex);
                m_held = all;
                m_heldUntilMs = QDateTime::currentMSecsSinceEpoch() + TtlMs;
            }
            startHeartbeat();
        }
        readRows();
    } catch (const SyncError &) {
        m_store.reset();
        throw;
    }
    return isWholeDesk(held());
}

DeskLease::Plan DeskLease::plan()
{
    if (!m_store)
        m_store = StateStore::open(m_workspace);
    try {
        // Counted by the others from now on, so the one that holds every group gives some up.
        // Written each time: another agent forgets a row that lapsed while the store was away.
        m_store->takeLeases(m_me, {presenceLease()}, TtlMs);
        m_present = true;
        startHeartbeat();
        // Agents gone for a minute are forgotten (each start is a new agent).
        m_store->forgetLapsedAgents(60000);
        readRows();
    } catch (const SyncError &) {
        m_store.reset();
        throw;
    }
    const QStringList mine = held();
    qsizetype agents = 1; // this one
    QSet<QString> taken;  // flows' rows held by others
    for (const AgentLease &r : std::as_const(m_rows)) {
        if (!heldByOther(r))
            continue;
        if (r.name.startsWith(QLatin1String("agent/")))
            ++agents;
        else
            taken.insert(r.name);
    }
    const qsizetype share = (m_groups.size() + agents - 1) / agents;
    QStringList held, free;
    for (const FlowGroup &g : std::as_const(m_groups)) {
        const QStringList rows = g.leases();
        if (std::all_of(rows.cbegin(), rows.cend(), [&mine](const QString &l) { return mine.contains(l); }))
            held.append(g.name);
        else if (std::none_of(rows.cbegin(), rows.cend(), [&taken](const QString &l) { return taken.contains(l); }))
            free.append(g.name);
    }
    Plan p;
    if (held.size() > share) {
        p.release = held.mid(share); // the last in the workspace's order
        return p;
    }
    // Agents taking at the same moment start at different groups, so they seldom race for one.
    if (!free.isEmpty()) {
        const qsizetype from = qsizetype(qHash(m_me.agent) % size_t(free.size()));
        free = free.mid(from) + free.first(from);
    }
    p.take = free.first(std::min(free.size(), std::max<qsizetype>(0, share - held.size())));
    return p;
}

void DeskLease::startHeartbeat()
{
    if (m_heartbeat)
        return;
    // From here on the heartbeat renews every lease of this agent, on its own connection.
    m_heartbeat = new QTimer;
    m_heartbeat->setInterval(HeartbeatMs);
    m_heartbeat->moveToThread(&m_thread);
    connect(m_heartbeat, &QTimer::timeout, m_heartbeat, [this] { renew(); });
    connect(&m_thread, &QThread::finished, m_heartbeat, &QObject::deleteLater);
    m_thread.start();
    QMetaObject::invokeMethod(m_heartbeat, qOverload<>(&QTimer::start));
}

QString DeskLease::processSpace()
{
    // This boot of this kernel and this PID namespace: two agents that share both see the same
    // processes, so one can tell that the other's pid no longer runs.
    QFile boot(QStringLiteral("/proc/sys/kernel/random/boot_id"));
    const QByteArray bootId = boot.open(QIODevice::ReadOnly) ? boot.readAll().trimmed().left(8) : QByteArray("?");
    return QString::fromLatin1(bootId) + u'-' + QFile::symLinkTarget(QStringLiteral("/proc/self/ns/pid")).section(u'/', -1);
}

bool DeskLease::isGone(const AgentLease &holder) const
{
    // An agent restarted on the same machine (systemd's Restart=, a crash) need not wait out
    // the leases of the process it replaces when that process is provably not running. A pid
    // reused meanwhile only makes it wait.
    if (holder.agent.isEmpty() || holder.agent == m_me.agent || holder.host != m_me.host || holder.pid <= 0
        || holder.agent.section(u'@', -1) != m_me.agent.section(u'@', -1))
        return false;
    return ::kill(pid_t(holder.pid), 0) != 0 && errno == ESRCH;
}

QString DeskLease::holdersText() const
{
    QHash<QString, QStringList> flowsOf; // agent → the flows it holds
    QHash<QString, const AgentLease *> rowOf;
    const QStringList mine = held();
    for (const AgentLease &r : m_rows) {
        const QString flow = FlowGroups::flowOf(r.name);
        if (!flow.isEmpty() && r.agent != m_me.agent && !mine.contains(r.name)) {
            flowsOf[r.agent].append(flow);
            rowOf.insert(r.agent, &r);
        }
    }
    if (flowsOf.isEmpty())
        return tr("no agent");
    const auto who = [&rowOf](const QString &agent) {
        const AgentLease &r = *rowOf.value(agent);
        return tr("the agent on %1, pid %2 (its lease runs until %3)")
            .arg(r.host)
            .arg(r.pid)
            .arg(QDateTime::fromMSecsSinceEpoch(r.expiresAtMs).toString(QStringLiteral("HH:mm:ss")));
    };
    if (flowsOf.size() == 1 && flowsOf.cbegin().value().size() == m_workspace.flows.size())
        return who(flowsOf.cbegin().key());
    QStringList parts;
    for (auto it = flowsOf.cbegin(); it != flowsOf.cend(); ++it)
        parts.append(tr("%1: flows %2").arg(who(it.key()), it.value().join(QStringLiteral(", "))));
    parts.sort();
    return parts.join(QStringLiteral("; "));
}

QString DeskLease::holdersKey() const
{
    QStringList parts;
    for (const AgentLease &r : m_rows)
        if (!FlowGroups::flowOf(r.name).isEmpty())
            parts.append(r.name + u'=' + r.agent);
    return parts.join(u' ');
}

void DeskLease::say(const QString &why)
{
    {
        QMutexLocker lock(&m_mutex);
        m_lostReasons.append(why);
    }
    emit lost(why);
}

QString DeskLease::takeLostReasons()
{
    QMutexLocker lock(&m_mutex);
    return std::exchange(m_lostReasons, {}).join(QStringLiteral("; "));
}

void DeskLease::renew()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QStringList names = held();
    if (m_present)
        names.append(presenceLease());
    QStringList renewed;
    try {
        if (!m_beatStore)
            m_beatStore = StateStore::open(m_workspace);
        // Only what is held: a lease given up while the store was away lapses.
        renewed = m_beatStore->renewLeases(m_me.agent, names, TtlMs);
    } catch (const SyncError &e) {
        m_beatStore.reset();
        {
            QMutexLocker lock(&m_mutex);
            // Not renewed: still held until they would have lapsed, then another may take them.
            if (m_held.isEmpty() || now < m_heldUntilMs - HeartbeatMs)
                return;
            m_held.clear();
        }
        say(tr("the leases could not be renewed before they lapsed: %1").arg(e.message()));
        return;
    }
    QStringList lostFlows;
    QStringList dropped; // the rest of a group partly lost: given up
    {
        QMutexLocker lock(&m_mutex);
        for (const FlowGroup &g : std::as_const(m_groups)) {
            const QStringList rows = g.leases();
            if (std::none_of(rows.cbegin(), rows.cend(), [&](const QString &l) {
                    return names.contains(l) && m_held.contains(l) && !renewed.contains(l);
                }))
                continue;
            lostFlows += g.flows;
            for (const QString &l : rows)
                if (m_held.removeAll(l) && renewed.contains(l))
                    dropped.append(l);
        }
        if (lostFlows.isEmpty()) {
            m_heldUntilMs = now + TtlMs;
            return;
        }
    }
    try {
        if (!dropped.isEmpty())
            m_beatStore->releaseLeases(m_me.agent, dropped);
    } catch (const SyncError &) {
        m_beatStore.reset(); // they lapse
    }
    say(tr("another agent took over flows %1").arg(lostFlows.join(QStringLiteral(", "))));
}

} // namespace syncdesk
