#include "LivePublisher.h"

#include "ConsoleSnapshot.h"
#include "FlowSnapshots.h"
#include "LiveWriter.h"
#include "engine/LiveEngine.h"

#include <QDateTime>
#include <QTimer>

namespace syncdesk {

LivePublisher::LivePublisher(const Workspace &workspace, const LeaseFence &fence, const LiveEngine &engine,
                             const FlowSnapshots &snapshots, QObject *parent)
    : QObject(parent), m_engine(engine), m_snapshots(snapshots), m_writer(new LiveWriter(workspace, fence)),
      m_sendTimer(new QTimer(this)), m_snapshotTimer(new QTimer(this))
{
    m_thread.setObjectName(QStringLiteral("live-writer"));
    m_writer->moveToThread(&m_thread);
    // Deleted on its own thread as that ends (its timer with it).
    connect(&m_thread, &QThread::finished, m_writer, &QObject::deleteLater);
    m_thread.start();
    connect(&engine, &LiveEngine::statusEvents, this, &LivePublisher::onEvents);
    connect(&engine, &LiveEngine::flowReady, this, &LivePublisher::onFlowReady);
    m_sendTimer->setSingleShot(true);
    connect(m_sendTimer, &QTimer::timeout, this, &LivePublisher::send);
    // The flows and systems: what tells consoles the agent is alive, too.
    m_snapshotTimer->setInterval(1000);
    connect(m_snapshotTimer, &QTimer::timeout, this, [this] {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        m_pending.console = std::pair{now, ConsoleSnapshot{m_snapshots.take(now), m_engine.systems()}.toJson()};
        send();
    });
    m_snapshotTimer->start();
}

LivePublisher::~LivePublisher()
{
    send();
    QMetaObject::invokeMethod(m_writer, [w = m_writer] { w->writeNow(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

bool LivePublisher::publishes(const Workspace &workspace)
{
    return isStateUri(workspace.state);
}

void LivePublisher::onEvents(const QList<StatusEvent> &events)
{
    for (const StatusEvent &e : events) {
        // A record's last word in this interval is all a console needs.
        QHash<QByteArray, qsizetype> &at = m_pendingAt[e.flow];
        QList<LiveRecord> &list = m_pending.updates[e.flow];
        const LiveRecord r{e.keyJson, int(e.status), e.tsMs - e.lagMs, e.lagMs, 0};
        if (const auto it = at.constFind(e.keyJson); it != at.cend()) {
            list[it.value()] = r;
        } else {
            at.insert(e.keyJson, list.size());
            list.append(r);
        }
    }
    // The first status after a quiet spell goes at once (with the rest of this pass of the
    // event loop); under a stream, one write per IntervalMs carries them all.
    if (!m_sendTimer->isActive()) {
        const qint64 since = QDateTime::currentMSecsSinceEpoch() - m_sentAtMs;
        m_sendTimer->start(int(std::clamp<qint64>(IntervalMs - since, 0, IntervalMs)));
    }
}

void LivePublisher::onFlowReady(const QString &flow)
{
    // The flow's list as its comparison left it, whole: what came before it is replaced.
    for (const LiveFlow *f : m_engine.flows()) {
        if (f->spec().name != flow)
            continue;
        QList<LiveRecord> rows;
        rows.reserve(f->outOfSyncCount());
        f->forEachOutOfSync([&rows](std::string_view key, RecordStatus status, qint64 sinceMs) {
            rows.append({QByteArray(key.data(), qsizetype(key.size())), int(status), sinceMs, 0, 0});
        });
        m_pending.updates.remove(flow);
        m_pendingAt.remove(flow);
        m_pending.rewrites.insert(flow, std::move(rows));
    }
    send();
}

void LivePublisher::send()
{
    m_sendTimer->stop();
    if (m_pending.isEmpty())
        return;
    m_sentAtMs = QDateTime::currentMSecsSinceEpoch();
    QMetaObject::invokeMethod(m_writer, [w = m_writer, p = std::exchange(m_pending, {})] { w->submit(p); },
                              Qt::QueuedConnection);
    m_pendingAt.clear();
}

} // namespace syncdesk
