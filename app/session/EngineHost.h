#pragma once

#include "SessionTypes.h"
#include "model/Workspace.h"

#include <QObject>
#include <QThread>

namespace syncdesk {

class EngineWorker;

// The live engine on a thread of its own, so that connecting, fetching and comparing never
// stall the window. It lives on the caller's thread and talks to the engine by queued signals
// only: the console never touches the engine, let alone a database.
class EngineHost : public QObject
{
    Q_OBJECT

public:
    explicit EngineHost(Workspace workspace, QObject *parent = nullptr);
    ~EngineHost() override; // stops the engine and joins its thread

    void start();
    [[nodiscard]] const Workspace &workspace() const { return m_workspace; }

signals:
    void statusEvents(const QList<syncdesk::StatusEvent> &events);
    void flowRecords(const syncdesk::FlowRecords &records);
    void snapshot(const QList<syncdesk::FlowSnapshot> &flows, const QList<syncdesk::SystemHealth> &systems);
    void startFailed(const QString &error);

    // To the worker.
    void requestStart();
    void requestRecords(const QString &flow);
    void requestCancelComparison(const QString &flow);
    void requestCompareNow(const QString &flow);

public:
    // Asks for a flow's full record list again (after a resolution, say).
    void reloadRecords(const QString &flow) { emit requestRecords(flow); }
    // Stops a flow's running comparison (LiveEngine::cancelComparison).
    void cancelComparison(const QString &flow) { emit requestCancelComparison(flow); }
    // A full comparison now: a stopped flow's first, or a live flow's verification.
    void compareNow(const QString &flow) { emit requestCompareNow(flow); }

private:
    Workspace m_workspace;
    QThread m_thread;
    EngineWorker *m_worker = nullptr;
};

// Registers the session's types for queued connections; EngineHost calls it.
void registerSessionTypes();

} // namespace syncdesk
