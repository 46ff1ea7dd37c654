#pragma once

#include "SessionTypes.h"
#include "model/Workspace.h"

#include <QObject>

#include <memory>

class QTimer;

namespace syncdesk {

class DeskLease;
class FlowSnapshots;
class LivePublisher;
class PolicyRunner;

// Owns the LiveEngine on the engine thread and turns its state into the snapshots the console
// shows. Created and deleted on that thread.
class EngineWorker : public QObject
{
    Q_OBJECT

public:
    explicit EngineWorker(Workspace workspace);
    ~EngineWorker() override;

    void start();
    void sendRecords(const QString &flow);
    void cancelComparison(const QString &flow);
    void compareNow(const QString &flow);

signals:
    void statusEvents(const QList<syncdesk::StatusEvent> &events);
    void flowRecords(const syncdesk::FlowRecords &records);
    void snapshot(const QList<syncdesk::FlowSnapshot> &flows, const QList<syncdesk::SystemHealth> &systems);
    void startFailed(const QString &error);

private:
    void publish();
    // On a team's store the engine runs only while this console holds the desk's lease: never
    // beside an agent. True when it may start now; otherwise it tries again meanwhile.
    bool takeLease();
    void retryLease();
    void startEngine();

    Workspace m_workspace;
    std::unique_ptr<LiveEngine> m_engine;
    std::unique_ptr<PolicyRunner> m_policies; // destroyed before the engine it listens to
    std::unique_ptr<FlowSnapshots> m_snapshots;
    // On a team's store, what the engine sees goes there too, for consoles that attach.
    std::unique_ptr<LivePublisher> m_publisher;
    QTimer *m_timer = nullptr;
    std::unique_ptr<DeskLease> m_lease; // given up after the engine stopped (~EngineWorker)
    QTimer *m_leaseRetry = nullptr;
};

} // namespace syncdesk
