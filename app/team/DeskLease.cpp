#include "DeskLease.h"

#include "model/SyncError.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QHostInfo>
#include <QMutexLocker>
#include <QRandomGenerator>
#include <QTimer>

#include <cerrno>
#include <csignal>

namespace syncdesk {

DeskLease::DeskLease(Workspace workspace, Mode mode, QObject *parent)
    : QObject(parent), m_workspace(std::move(workspace)), m_mode(mode), m_groups(FlowGroups::of(m_workspace))
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

Workspace DeskLease::watched() const
{
    return holdsWholeDesk() ? m_workspace : FlowGroups::subset(m_workspace, held());
}

void DeskLease::readRows()
{
    m_rowsAtMs = m_store->nowMs();
    m_rows = m_store->leases();
}

QStringList DeskLease::deadAgents() const
{
    QStringList dead;
    for (const AgentLease &r : m_rows)
        if (r.agent != m_me.agent && !dead.contains(r.agent) && isGone(r))
            dead.append(r.agent);
    return dead;
}

QStringList DeskLease::take(const QStringList &leases)
{
    if (!m_store)
        m_store = StateStore::open(m_workspace);
    QStringList got;
    try {
        got = m_store->takeLeases(m_me, leases, TtlMs, deadAgents());
    } catch (const SyncError &) {
        m_store.reset(); // opened again at the next attempt
        throw;
    }
    {
        QMutexLocker lock(&m_mutex);
        for (const QString &l : std::as_const(got))
            if (!m_held.contains(l))
                m_held.append(l);
        // In the workspace's order, so the engine's fence and rows are named the same each time.
        QStringList ordered;
        for (const FlowGroup &g : std::as_const(m_groups))
            if (m_held.contains(g.lease))
                ordered.append(g.lease);
        m_held = ordered;
        if (!got.isEmpty())
            m_heldUntilMs = QDateTime::currentMSecsSinceEpoch() + TtlMs;
    }
    if (!got.isEmpty())
        startHeartbeat();
    return held();
}

void DeskLease::release(const QStringList &leases)
{
    {
        QMutexLocker lock(&m_mutex);
        m_held.removeIf([&leases](const QString &l) { return leases.contains(l); });
    }
    if (leases.isEmpty())
        return;
    try {
        if (!m_store)
            m_store = StateStore::open(m_workspace);
        m_store->releaseLeases(m_me.agent, leases);
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
    for (const FlowGroup &g : std::as_const(m_groups))
        all.append(g.lease);
    try {
        readRows();
        const QStringList got = m_store->takeLeases(m_me, all, TtlMs, deadAgents(), true);
        if (got.size() == all.size()) {
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
    return holdsWholeDesk();
}

DeskLease::Plan DeskLease::plan()
{
    if (!m_store)
        m_store = StateStore::open(m_workspace);
    try {
        if (!m_present) {
            // Counted by the others from now on, so the one that holds every group gives some up.
            m_store->takeLeases(m_me, {presenceLease()}, TtlMs);
            m_present = true;
            startHeartbeat();
        }
        readRows();
    } catch (const SyncError &) {
        m_store.reset();
        throw;
    }
    const QStringList mine = held();
    qsizetype agents = 0;
    QHash<QString, const AgentLease *> holderOf;
    for (const AgentLease &r : std::as_const(m_rows)) {
        const bool live = r.expiresAtMs > m_rowsAtMs;
        if (r.name.startsWith(QLatin1String("agent/")) && (live || r.agent == m_me.agent))
            ++agents;
        else if (live && !isGone(r))
            holderOf.insert(r.name, &r);
    }
    agents = std::max<qsizetype>(agents, 1);
    const qsizetype share = (m_groups.size() + agents - 1) / agents;
    Plan p;
    if (mine.size() > share) {
        p.release = mine.mid(share); // the last ones, so each agent keeps what it watched longest
        return p;
    }
    for (const FlowGroup &g : std::as_const(m_groups)) {
        if (mine.size() + p.take.size() >= share)
            break;
        if (!mine.contains(g.lease) && !holderOf.contains(g.lease))
            p.take.append(g.lease);
    }
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
    QHash<QString, QStringList> leasesOf; // agent → the groups it holds
    QHash<QString, const AgentLease *> rowOf;
    const QStringList mine = held();
    for (const AgentLease &r : m_rows) {
        if (r.name.startsWith(QLatin1String("flows/")) && r.agent != m_me.agent && !mine.contains(r.name)) {
            leasesOf[r.agent].append(r.name);
            rowOf.insert(r.agent, &r);
        }
    }
    if (leasesOf.isEmpty())
        return tr("no agent");
    const auto who = [&rowOf](const QString &agent) {
        const AgentLease &r = *rowOf.value(agent);
        return tr("the agent on %1, pid %2 (its lease runs until %3)")
            .arg(r.host)
            .arg(r.pid)
            .arg(QDateTime::fromMSecsSinceEpoch(r.expiresAtMs).toString(QStringLiteral("HH:mm:ss")));
    };
    if (leasesOf.size() == 1 && leasesOf.cbegin().value().size() == m_groups.size())
        return who(leasesOf.cbegin().key());
    QStringList parts;
    for (auto it = leasesOf.cbegin(); it != leasesOf.cend(); ++it)
        parts.append(tr("%1: %2").arg(who(it.key()), FlowGroups::flowsText(m_groups, it.value())));
    parts.sort();
    return parts.join(QStringLiteral("; "));
}

QString DeskLease::holdersKey() const
{
    QStringList parts;
    for (const AgentLease &r : m_rows)
        if (r.name.startsWith(QLatin1String("flows/")))
            parts.append(r.name + u'=' + r.agent);
    return parts.join(u' ');
}

void DeskLease::renew()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QStringList names = held();
    if (m_present)
        names.append(presenceLease());
    QString why;
    QStringList gone;
    try {
        if (!m_beatStore)
            m_beatStore = StateStore::open(m_workspace);
        // Only what is held: a lease given up while the store was away lapses.
        const QStringList renewed = m_beatStore->renewLeases(m_me.agent, names, TtlMs);
        QMutexLocker lock(&m_mutex);
        for (const QString &l : std::as_const(m_held))
            if (names.contains(l) && !renewed.contains(l))
                gone.append(l);
        if (gone.isEmpty()) {
            m_heldUntilMs = now + TtlMs;
            return;
        }
        m_held.removeIf([&gone](const QString &l) { return gone.contains(l); });
        why = tr("another agent took over flows %1").arg(FlowGroups::flowsText(m_groups, gone));
    } catch (const SyncError &e) {
        m_beatStore.reset();
        QMutexLocker lock(&m_mutex);
        // Not renewed: still held until they would have lapsed, then another may have taken them.
        if (m_held.isEmpty() || now < m_heldUntilMs - HeartbeatMs)
            return;
        m_held.clear();
        why = tr("the leases could not be renewed before they lapsed: %1").arg(e.message());
    }
    emit lost(why);
}

} // namespace syncdesk
