#include "DeskLease.h"

#include "model/SyncError.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QHostInfo>
#include <QRandomGenerator>
#include <QTimer>

#include <cerrno>
#include <csignal>

namespace syncdesk {

DeskLease::DeskLease(Workspace workspace, QObject *parent)
    : QObject(parent), m_workspace(std::move(workspace))
{
    // The name an agent goes by in the lease (and in what standing-by agents say): the host's,
    // unless SYNCDESK_AGENT_HOST names it (containers whose host names mean nothing).
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
    if (!m_held)
        return;
    try {
        if (!m_store)
            m_store = StateStore::open(m_workspace);
        m_store->releaseLease(m_me.agent);
    } catch (const SyncError &) {
        // It lapses by itself within TtlMs.
    }
}

bool DeskLease::applies(const Workspace &workspace)
{
    return isStateUri(workspace.state);
}

bool DeskLease::tryTake()
{
    if (!m_store)
        m_store = StateStore::open(m_workspace);
    try {
        m_holder = m_store->takeLease(m_me, TtlMs);
        if (m_holder.agent != m_me.agent && holderIsGone())
            m_holder = m_store->takeLease(m_me, TtlMs, m_holder.agent);
    } catch (const SyncError &) {
        m_store.reset(); // opened again at the next attempt
        throw;
    }
    m_held = m_holder.agent == m_me.agent;
    if (m_held && !m_heartbeat) {
        m_heldUntilMs = QDateTime::currentMSecsSinceEpoch() + TtlMs;
        // From here on the store is the heartbeat's alone (and this object's again once the
        // thread has stopped, to give the lease up).
        m_heartbeat = new QTimer;
        m_heartbeat->setInterval(HeartbeatMs);
        m_heartbeat->moveToThread(&m_thread);
        connect(m_heartbeat, &QTimer::timeout, m_heartbeat, [this] { renew(); });
        connect(&m_thread, &QThread::finished, m_heartbeat, &QObject::deleteLater);
        m_thread.start();
        QMetaObject::invokeMethod(m_heartbeat, qOverload<>(&QTimer::start));
    }
    return m_held;
}

QString DeskLease::processSpace()
{
    // This boot of this kernel and this PID namespace: two agents that share both see the same
    // processes, so one can tell that the other's pid no longer runs.
    QFile boot(QStringLiteral("/proc/sys/kernel/random/boot_id"));
    const QByteArray bootId = boot.open(QIODevice::ReadOnly) ? boot.readAll().trimmed().left(8) : QByteArray("?");
    return QString::fromLatin1(bootId) + u'-' + QFile::symLinkTarget(QStringLiteral("/proc/self/ns/pid")).section(u'/', -1);
}

bool DeskLease::holderIsGone() const
{
    // An agent restarted on the same machine (systemd's Restart=, a crash) need not wait out
    // the lease of the process it replaces when that process is provably not running. A pid
    // reused meanwhile only makes it wait.
    if (m_holder.agent.isEmpty() || m_holder.host != m_me.host || m_holder.pid <= 0
        || m_holder.agent.section(u'@', -1) != m_me.agent.section(u'@', -1))
        return false;
    return ::kill(pid_t(m_holder.pid), 0) != 0 && errno == ESRCH;
}

QString DeskLease::holderText() const
{
    if (m_holder.agent.isEmpty())
        return tr("no agent");
    return tr("the agent on %1, pid %2 (its lease runs until %3)")
        .arg(m_holder.host)
        .arg(m_holder.pid)
        .arg(QDateTime::fromMSecsSinceEpoch(m_holder.expiresAtMs).toString(QStringLiteral("HH:mm:ss")));
}

void DeskLease::renew()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QString why;
    try {
        if (!m_store)
            m_store = StateStore::open(m_workspace);
        if (m_store->renewLease(m_me.agent, TtlMs)) {
            m_heldUntilMs = now + TtlMs;
            return;
        }
        const std::optional<AgentLease> other = m_store->lease();
        m_holder = other.value_or(AgentLease{});
        why = tr("another agent took the desk over: %1").arg(holderText());
    } catch (const SyncError &e) {
        m_store.reset();
        // Not renewed: still ours until it would have lapsed, then another may have taken it.
        if (now < m_heldUntilMs - HeartbeatMs)
            return;
        why = tr("the lease could not be renewed before it lapsed: %1").arg(e.message());
    }
    m_held = false;
    m_heartbeat->stop();
    emit lost(why);
}

} // namespace syncdesk
