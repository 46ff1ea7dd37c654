#include "LiveWriter.h"

#include "model/SyncError.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QTimer>

Q_LOGGING_CATEGORY(lcLive, "syncdesk.live")

namespace syncdesk {

namespace {

// Back-in-sync rows stay this long, so that consoles reading at least this often learn they
// left without reading the list again.
constexpr qint64 PruneEveryMs = 60 * 1000;

} // namespace

LiveWriter::LiveWriter(Workspace workspace, LeaseFence fence, QObject *parent)
    : QObject(parent), m_workspace(std::move(workspace)), m_fence(std::move(fence)), m_timer(new QTimer(this))
{
    for (const FlowSpec &f : m_workspace.flows)
        m_flows.append(f.name);
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, [this] { writeNow(); });
}

LiveWriter::~LiveWriter() = default;

void LiveWriter::submit(const LivePublication &p)
{
    for (auto it = p.rewrites.cbegin(); it != p.rewrites.cend(); ++it) {
        m_rewrites.insert(it.key(), it.value());
        m_updates.remove(it.key()); // the list as of now holds them
    }
    for (auto it = p.updates.cbegin(); it != p.updates.cend(); ++it) {
        QHash<QByteArray, LiveRecord> &flow = m_updates[it.key()];
        for (const LiveRecord &r : it.value())
            flow.insert(r.keyJson, r);
    }
    if (p.console)
        m_console = p.console;
    if (!m_refused && m_failures == 0)
        schedule(0);
}

void LiveWriter::schedule(int delayMs)
{
    if (!m_timer->isActive())
        m_timer->start(delayMs);
}

LivePublication LiveWriter::takePending() const
{
    LivePublication p;
    p.rewrites = m_rewrites;
    for (auto it = m_updates.cbegin(); it != m_updates.cend(); ++it)
        p.updates.insert(it.key(), it.value().values());
    p.console = m_console;
    return p;
}

bool LiveWriter::writeNow()
{
    if (m_refused)
        return false;
    const LivePublication p = takePending();
    if (p.isEmpty())
        return true;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    try {
        if (!m_store) {
            m_store = StateStore::open(m_workspace);
            m_store->fenceWritesTo(m_fence);
        }
        if (m_version < 0)
            m_version = m_store->liveVersion();
        // Back-in-sync rows written a minute ago or more go with this write.
        const bool pruning = now - m_prunedAtMs >= PruneEveryMs;
        const qint64 prune = pruning ? m_prunable : 0;
        const qint64 before = m_version;
        m_version = m_store->publishLive(p, m_version, prune, now, m_flows);
        if (pruning) {
            m_prunable = before;
            m_prunedAtMs = now;
        }
        m_rewrites.clear();
        m_updates.clear();
        m_console.reset();
        if (std::exchange(m_failures, 0) > 0) {
            qCInfo(lcLive) << "live statuses written to the state store again";
            emit failed(QString());
        }
        return true;
    } catch (const SyncError &e) {
        // Kept, folded with what comes meanwhile, and written once the store answers.
        m_store.reset();
        m_version = -1;
        if (e.notAllowed()) {
            m_refused = true;
            qCWarning(lcLive).noquote() << "attached consoles get no live statuses:" << e.message();
        } else if (m_failures++ == 0) {
            qCWarning(lcLive).noquote() << "live statuses wait for the state store:" << e.message();
        }
        emit failed(e.message());
        if (!m_refused)
            schedule(std::min(250 << std::min(m_failures, 4), 5000));
        return false;
    }
}

} // namespace syncdesk
