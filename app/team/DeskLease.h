#pragma once

#include "FlowGroups.h"
#include "model/Workspace.h"
#include "state/StateStore.h"

#include <QMutex>
#include <QObject>
#include <QThread>

#include <atomic>
#include <memory>

class QTimer;

namespace syncdesk {

// One desk's hold on a team's flows (agent_lease rows, one per flow). The flows divide into
// groups that must be watched together (FlowGroups); a group's rows are taken all at once, so
// no flow is watched twice.
// - Agents share the desk (plan(), take(), release()): each says it is present (a row of its own), counts
//   the agents present, and takes free or lapsed groups up to ⌈groups / agents⌉, giving extra
//   ones up when another agent arrives. An agent that dies leaves its groups to lapse after
//   TtlMs; the others take them within RetryMs more.
// - A console that runs the engine takes the whole desk or waits (tryTakeWhole()).
// Leases held are renewed every HeartbeatMs on a thread and connection of their own (a first
// comparison holding the engine's thread must not let them lapse). One that is lost (taken by
// another agent after this one could not renew in time) is said at once (lost()); the
// engine's writes are fenced by every lease it watches (StateStore::fenceWritesTo).
class DeskLease : public QObject
{
    Q_OBJECT

public:
    explicit DeskLease(Workspace workspace, QObject *parent = nullptr);
    ~DeskLease() override; // gives every lease up, so the others go on at once

    // Whether desks of this workspace lease its flows: a team's PostgreSQL store.
    [[nodiscard]] static bool applies(const Workspace &workspace);

    // One attempt at every flow at once, made only when no live agent holds any; true
    // when all are held. Throws SyncError when the store cannot be asked.
    bool tryTakeWhole();

    // The groups (by name) that bring this agent to its fair share now. It says it is
    // present first. Throws SyncError when the store cannot be asked.
    struct Plan
    {
        QStringList release; // held, to give up once the engine watching them stopped
        QStringList take;    // free or lapsed, to take
        [[nodiscard]] bool isEmpty() const { return release.isEmpty() && take.isEmpty(); }
    };
    Plan plan();
    // Gives these groups up (the engine that wrote for them has stopped).
    void release(const QStringList &groups);
    // Takes what it can of these groups, each whole or not at all; true when it took any.
    // Throws SyncError.
    bool take(const QStringList &groups);

    [[nodiscard]] const QString &id() const { return m_me.agent; }
    // The lease rows held now (any thread): one per flow of the groups held.
    [[nodiscard]] QStringList held() const;
    [[nodiscard]] bool isWholeDesk(const QStringList &leases) const;
    // The part of the workspace that `leases` (a held() taken once) cover: what an engine
    // fenced by them watches.
    [[nodiscard]] Workspace watched(const QStringList &leases) const;
    // Who holds the flows this desk does not, as of the last attempt: "the agent on host1,
    // pid 4242 (its lease runs until 10:42:07)", or each agent with its flows.
    [[nodiscard]] QString holdersText() const;
    // Who holds which, without the times: what tells a standing-by agent that the holders
    // changed (and not only renewed).
    [[nodiscard]] QString holdersKey() const;

    static constexpr qint64 TtlMs = 15000;
    static constexpr int HeartbeatMs = 5000;
    static constexpr int RetryMs = 2000; // how often a desk without its share tries again

    // Why leases were lost since the last call ("" when none were): read after the engine that
    // held them stopped, so a loss told while it stopped is said too.
    [[nodiscard]] QString takeLostReasons();

signals:
    // A lease held was lost (emitted on the heartbeat's thread: connect with a receiver's context).
    void lost(const QString &why);

private:
    void startHeartbeat();
    void renew();
    void say(const QString &lostWhy);
    void readRows();
    [[nodiscard]] QStringList deadAgents() const;
    // A live row of another agent whose process is not provably gone.
    [[nodiscard]] bool heldByOther(const AgentLease &row) const;
    // The holder ran on this host and its process is gone.
    [[nodiscard]] bool isGone(const AgentLease &holder) const;
    // This boot and PID namespace, as agent ids carry it.
    [[nodiscard]] static QString processSpace();
    [[nodiscard]] QString presenceLease() const { return QStringLiteral("agent/") + m_me.agent; }
    [[nodiscard]] const FlowGroup *group(const QString &name) const;

    Workspace m_workspace;
    QList<FlowGroup> m_groups;
    std::unique_ptr<StateStore> m_store;     // this object's thread
    std::unique_ptr<StateStore> m_beatStore; // the heartbeat's
    AgentLease m_me;
    QList<AgentLease> m_rows; // at the last attempt
    qint64 m_rowsAtMs = 0;    // the store's clock then
    mutable QMutex m_mutex;   // m_held, m_heldUntilMs, m_lostReasons
    QStringList m_held;       // lease rows, in the workspace's order
    qint64 m_heldUntilMs = 0; // by this machine's clock: the last renewal + TtlMs
    QStringList m_lostReasons;
    std::atomic<bool> m_present = false; // read by the heartbeat
    QThread m_thread;
    QTimer *m_heartbeat = nullptr; // on m_thread, once anything is held
};

} // namespace syncdesk
