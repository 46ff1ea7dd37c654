#pragma once

#include "SessionTypes.h"
#include "model/Workspace.h"

#include <QObject>

#include <memory>

class QTimer;

namespace syncdesk {

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

    Workspace m_workspace;
    std::unique_ptr<LiveEngine> m_engine;
    std::unique_ptr<PolicyRunner> m_policies; // destroyed before the engine it listens to
    QTimer *m_timer = nullptr;
    QHash<QString, QString> m_errors;
};

} // namespace syncdesk
