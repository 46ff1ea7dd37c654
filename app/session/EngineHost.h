#pragma once

#include "SessionTypes.h"
#include "model/Workspace.h"

#include <QObject>
#include <QThread>

namespace syncdesk {

class EngineWorker;

// The desk's live state on a thread of its own, so that connecting, fetching and comparing
// never stall the window: the live engine itself, or, on a team's desk, what its agent
// publishes (AttachedDesk). It lives on the caller's thread and talks to the worker by queued
// signals only: the console never touches the engine, let alone a database.
class EngineHost : public QObject
{
    Q_OBJECT

public:
    enum class Mode {
        Engine, // this process watches the systems
        Attach, // a team's agent does; this desk reads what it publishes
    };
    // Attach for a workspace with a team's PostgreSQL state store, Engine otherwise.
    [[nodiscard]] static Mode defaultMode(const Workspace &workspace);

    EngineHost(Workspace workspace, Mode mode, QObject *parent = nullptr);
    explicit EngineHost(Workspace workspace, QObject *parent = nullptr)
        : EngineHost(workspace, Mode::Engine, parent)
    {
    }
    ~EngineHost() override; // stops the worker and joins its thread

    void start();
    [[nodiscard]] const Workspace &workspace() const { return m_workspace; }
    [[nodiscard]] Mode mode() const { return m_mode; }
    // An attached desk whose agent is gone runs the live engine itself from now on.
    void runEngineHere();

signals:
    void statusEvents(const QList<syncdesk::StatusEvent> &events);
    void flowRecords(const syncdesk::FlowRecords &records);
    void snapshot(const QList<syncdesk::FlowSnapshot> &flows, const QList<syncdesk::SystemHealth> &systems);
    void startFailed(const QString &error);
    // Attached: whether an agent feeds the desk, and when it last wrote (0: never).
    void agentState(bool alive, qint64 lastSeenMs);

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
    void makeWorker();

    Workspace m_workspace;
    Mode m_mode;
    QThread m_thread;
    QObject *m_worker = nullptr; // an EngineWorker or an AttachedDesk
};

// Registers the session's types for queued connections; EngineHost calls it.
void registerSessionTypes();

} // namespace syncdesk
