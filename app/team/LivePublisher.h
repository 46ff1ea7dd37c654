#pragma once

#include "model/Workspace.h"
#include "state/StateStore.h"

#include <QHash>
#include <QObject>
#include <QThread>

class QTimer;

namespace syncdesk {

class FlowSnapshots;
class LiveEngine;
class LiveWriter;
struct StatusEvent;

// Publishes what a live engine on a team's store sees, for consoles that attach instead of
// running their own (AttachedDesk): every record's status as it changes, each flow's whole
// list when a comparison made it, and the desk's flows and systems about once a second.
// Collects on the engine's thread; a LiveWriter writes on a thread of its own.
class LivePublisher : public QObject
{
    Q_OBJECT

public:
    // `fence`: the leases every write checks (DeskLease; an empty agent: none).
    LivePublisher(const Workspace &workspace, const LeaseFence &fence, const LiveEngine &engine,
                  const FlowSnapshots &snapshots, QObject *parent = nullptr);
    ~LivePublisher() override; // writes what waits, then stops its thread

    // Whether a workspace's engine publishes: only into a team's PostgreSQL store, where
    // other desks can attach.
    [[nodiscard]] static bool publishes(const Workspace &workspace);

    // At most this long between a status the engine tells and its write.
    static constexpr int IntervalMs = 50;

private:
    void onEvents(const QList<StatusEvent> &events);
    void onFlowReady(const QString &flow);
    void send();

    const LiveEngine &m_engine;
    const FlowSnapshots &m_snapshots;
    QThread m_thread;
    LiveWriter *m_writer = nullptr;
    LivePublication m_pending;
    QHash<QString, QHash<QByteArray, qsizetype>> m_pendingAt; // flow → key → index in m_pending.updates
    QTimer *m_sendTimer = nullptr;
    qint64 m_sentAtMs = 0; // the last hand-over to the writer
    QTimer *m_snapshotTimer = nullptr;
};

} // namespace syncdesk
