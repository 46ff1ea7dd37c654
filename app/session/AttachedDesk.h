#pragma once

#include "SessionTypes.h"
#include "model/Workspace.h"

#include <QHash>
#include <QObject>
#include <QSet>

#include <memory>

class QSocketNotifier;
class QTimer;

namespace syncdesk {

class PgConnection;
class StateStore;

// A console attached to a team's desk: it shows what the agent's live engine publishes into
// the shared state store (LivePublisher) instead of watching the systems itself, so ten
// consoles add no connection, feed or slot on the business systems. Reads the records each
// flow has out of sync, then only what changed, woken by NOTIFY (coalesced) and checked once a
// second besides; the flows and systems come from the agent's snapshot. Emits what
// EngineWorker does, so the window cannot tell them apart. Lives on the engine host's thread.
class AttachedDesk : public QObject
{
    Q_OBJECT

public:
    explicit AttachedDesk(Workspace workspace);
    ~AttachedDesk() override;

    void start();
    // Sends a flow's whole list again.
    void sendRecords(const QString &flow);

    // An agent whose snapshot has not moved for this long is taken for gone.
    static constexpr qint64 AgentSilentMs = 10000;

signals:
    void statusEvents(const QList<syncdesk::StatusEvent> &events);
    void flowRecords(const syncdesk::FlowRecords &records);
    void snapshot(const QList<syncdesk::FlowSnapshot> &flows, const QList<syncdesk::SystemHealth> &systems);
    void startFailed(const QString &error);
    // Whether an agent feeds the desk, and when it last wrote (0: never).
    void agentState(bool alive, qint64 lastSeenMs);

private:
    struct Mark
    {
        qint64 epoch = -1; // -1: the whole list is to be read
        qint64 version = 0;
    };
    [[nodiscard]] bool connectStore();
    void lose(const QString &error);
    void onReadable();
    void poll();
    void readChanges();
    // What the NOTIFYs since the last read named: only these flows' new rows, unless `m_readAll`.
    void readNamed();
    // A flow's rows after `mine`, told as status events; false (and `mine` to be read whole)
    // when its list was written whole or rows pruned meanwhile.
    // `markedVersion`: the flow's version as read before (0: not known).
    bool readAfter(const QString &flow, Mark &mine, qint64 markedVersion);
    void readSnapshot();

    Workspace m_workspace;
    QSet<QString> m_flowNames;
    std::unique_ptr<StateStore> m_store;
    std::unique_ptr<PgConnection> m_listener;
    QSocketNotifier *m_notifier = nullptr;
    QTimer *m_poll = nullptr;
    QTimer *m_coalesce = nullptr;
    QHash<QString, Mark> m_marks;
    QSet<QString> m_named;  // flows NOTIFYs named since the last read
    bool m_readAll = false; // a NOTIFY said "*": every flow's mark is read
    qint64 m_readAtMs = 0;  // the last read, for the throttle
    qint64 m_snapshotAt = -1;     // the agent's write time of the last snapshot read
    qint64 m_snapshotSeenMs = 0;  // when it was seen to move, on this desk's clock
    int m_alive = -1;             // -1: not told yet
    QString m_storeError;
    qint64 m_retryAtMs = 0;
    int m_failures = 0;
    QList<FlowSnapshot> m_flows; // the agent's, as last read
    QList<SystemHealth> m_systems;
};

} // namespace syncdesk
