#pragma once

#include "model/Workspace.h"
#include "state/StateStore.h"

#include <QObject>
#include <QThread>

#include <memory>

class QTimer;

namespace syncdesk {

// One agent's hold on a team's desk (the agent_lease row): several agents started on one
// workspace take it in turn, so exactly one engine watches the systems and a standing-by agent
// takes over within TtlMs + RetryMs of the holder dying. Held, it is renewed every
// HeartbeatMs on a thread and connection of its own (a first comparison holding the engine's
// thread must not let it lapse); lost (another agent took it after this one could not
// renew in time), it says so at once and every write of this process is refused
// (StateStore::fenceWritesTo), so the two never write side by side.
class DeskLease : public QObject
{
    Q_OBJECT

public:
    explicit DeskLease(Workspace workspace, QObject *parent = nullptr);
    ~DeskLease() override; // gives the lease up if held, so a standing-by agent goes on at once

    // Whether agents of this workspace share its desk this way: a team's PostgreSQL store.
    [[nodiscard]] static bool applies(const Workspace &workspace);

    // One attempt; true when this agent holds the lease now (and keeps renewing it).
    // Throws SyncError when the store cannot be asked.
    bool tryTake();
    [[nodiscard]] const QString &id() const { return m_me.agent; }
    [[nodiscard]] bool held() const { return m_held; }
    // Who held it at the last attempt.
    [[nodiscard]] const AgentLease &holder() const { return m_holder; }
    // "agent host:pid (its lease runs until HH:MM:SS)"
    [[nodiscard]] QString holderText() const;
    // (lost() is emitted on the heartbeat's thread: connect with a receiver's context.)

    static constexpr qint64 TtlMs = 15000;
    static constexpr int HeartbeatMs = 5000;
    static constexpr int RetryMs = 2000; // a standing-by agent's attempts

signals:
    void lost(const QString &why);

private:
    void renew();
    // The holder ran on this host and its process is gone.
    [[nodiscard]] bool holderIsGone() const;
    // This boot and PID namespace, as agent ids carry it.
    [[nodiscard]] static QString processSpace();

    Workspace m_workspace;
    std::unique_ptr<StateStore> m_store;
    AgentLease m_me;
    AgentLease m_holder;
    QThread m_thread;
    QTimer *m_heartbeat = nullptr; // on m_thread, once held
    qint64 m_heldUntilMs = 0; // by this machine's clock: the last renewal + TtlMs
    bool m_held = false;
};

} // namespace syncdesk
