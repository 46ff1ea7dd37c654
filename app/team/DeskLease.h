#pragma once

#include "FlowGroups.h"
#include "model/Workspace.h"
#include "state/StateStore.h"

#include <QMutex>
#include <QObject>
#include <QThread>

#include <memory>

class QTimer;

namespace syncdesk {

// One desk's hold on a team's flows (agent_lease rows). The flows divide into groups that must
// be watched together (FlowGroups); each group is a lease, so no flow is watched twice.
// - Agents share the desk (Mode::Share): each says it is present (a lease of its own), counts
//   the agents present, and takes free or lapsed groups up to its fair share (as many as any
//   other, give or take one), giving extra ones up when another agent arrives. An agent that
//   dies leaves its groups to lapse after TtlMs; the others take them within RetryMs more.
// - A console that runs the engine takes the whole desk or waits (Mode::Whole).
// Leases held are renewed every HeartbeatMs on a thread and connection of their own (a first
// comparison holding the engine's thread must not let them lapse). One that is lost (taken by
// another agent after this one could not renew in time) is said at once (lost()); the
// engine's writes are fenced by every lease it watches (StateStore::fenceWritesTo).
class DeskLease : public QObject
{
    Q_OBJECT

public:
    enum class Mode { Share, Whole };
    DeskLease(Workspace workspace, Mode mode, QObject *parent = nullptr);
    ~DeskLease() override; // gives every lease up, so the others go on at once

    // Whether desks of this workspace lease its flows: a team's PostgreSQL store.
    [[nodiscard]] static bool applies(const Workspace &workspace);

    // Whole: one attempt at every group at once; true when all are held.
    // Throws SyncError when the store cannot be asked.
    bool tryTakeWhole();

    // Share: the change that brings this agent to its fair share now. It says it is present
    // first. Throws SyncError when the store cannot be asked.
    struct Plan
    {
        QStringList release; // held, to give up once the engine watching them stopped
        QStringList take;    // free or lapsed, to take
        [[nodiscard]] bool isEmpty() const { return release.isEmpty() && take.isEmpty(); }
    };
    Plan plan();
    // Gives `leases` up (the engine that wrote for them has stopped).
    void release(const QStringList &leases);
    // Takes what it can of `leases`; the groups held after. Throws SyncError.
    QStringList take(const QStringList &leases);

    [[nodiscard]] const QString &id() const { return m_me.agent; }
    [[nodiscard]] const QList<FlowGroup> &groups() const { return m_groups; }
    // The groups' leases held now (any thread).
    [[nodiscard]] QStringList held() const;
    [[nodiscard]] bool holdsWholeDesk() const { return held().size() == m_groups.size(); }
    // What an engine of this desk is fenced by: this agent and the leases it holds.
    [[nodiscard]] LeaseFence fence() const { return {m_me.agent, held()}; }
    // The part of the workspace it holds: what its engine watches.
    [[nodiscard]] Workspace watched() const;
    // Who holds the groups this desk does not, as of the last attempt: "the agent on host1,
    // pid 4242 (its lease runs until 10:42:07)", or each agent with its flows.
    [[nodiscard]] QString holdersText() const;
    // Who holds which of them, without the times: what tells a standing-by agent that the
    // holders changed (and not only renewed).
    [[nodiscard]] QString holdersKey() const;

    static constexpr qint64 TtlMs = 15000;
    static constexpr int HeartbeatMs = 5000;
    static constexpr int RetryMs = 2000; // how often a desk without its share tries again

signals:
    // A lease held was lost (emitted on the heartbeat's thread: connect with a receiver's context).
    void lost(const QString &why);

private:
    void startHeartbeat();
    void renew();
    // The rows as they stand, and who among their holders is provably gone.
    void readRows();
    [[nodiscard]] QStringList deadAgents() const;
    // The holder ran on this host and its process is gone.
    [[nodiscard]] bool isGone(const AgentLease &holder) const;
    // This boot and PID namespace, as agent ids carry it.
    [[nodiscard]] static QString processSpace();
    [[nodiscard]] QString presenceLease() const { return QStringLiteral("agent/") + m_me.agent; }

    Workspace m_workspace;
    Mode m_mode;
    QList<FlowGroup> m_groups;
    std::unique_ptr<StateStore> m_store;     // this object's thread
    std::unique_ptr<StateStore> m_beatStore; // the heartbeat's
    AgentLease m_me;
    QList<AgentLease> m_rows; // at the last attempt
    qint64 m_rowsAtMs = 0;    // the store's clock then
    mutable QMutex m_mutex;   // m_held, m_heldUntilMs
    QStringList m_held;       // groups' leases
    qint64 m_heldUntilMs = 0; // by this machine's clock: the last renewal + TtlMs
    bool m_present = false;
    QThread m_thread;
    QTimer *m_heartbeat = nullptr; // on m_thread, once anything is held
};

} // namespace syncdesk
