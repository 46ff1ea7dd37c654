#include "EngineHost.h"

#include "AttachedDesk.h"
#include "EngineWorker.h"

namespace syncdesk {

qint64 FlowSnapshot::outOfSync() const
{
    qint64 n = 0;
    for (size_t s = 0; s < counts.size(); ++s)
        if (RecordStatus(s) != RecordStatus::InSync)
            n += counts[s];
    return n;
}

void registerSessionTypes()
{
    qRegisterMetaType<FlowSnapshot>();
    qRegisterMetaType<FlowRecords>();
    qRegisterMetaType<SystemHealth>();
    qRegisterMetaType<StatusEvent>();
    qRegisterMetaType<QList<FlowSnapshot>>();
    qRegisterMetaType<QList<SystemHealth>>();
    qRegisterMetaType<QList<StatusEvent>>();
}

EngineHost::Mode EngineHost::defaultMode(const Workspace &workspace)
{
    return isStateUri(workspace.state) ? Mode::Attach : Mode::Engine;
}

EngineHost::EngineHost(Workspace workspace, Mode mode, QObject *parent)
    : QObject(parent), m_workspace(std::move(workspace)), m_mode(mode)
{
    registerSessionTypes();
    m_thread.setObjectName(QStringLiteral("syncdesk-engine"));
    makeWorker();
    m_thread.start();
}

void EngineHost::makeWorker()
{
    // Both kinds tell the window the same things.
    const auto wire = [this](auto *worker) {
        using W = std::remove_pointer_t<decltype(worker)>;
        worker->moveToThread(&m_thread);
        connect(&m_thread, &QThread::finished, worker, &QObject::deleteLater);
        connect(this, &EngineHost::requestStart, worker, &W::start);
        connect(this, &EngineHost::requestRecords, worker, &W::sendRecords);
        connect(worker, &W::statusEvents, this, &EngineHost::statusEvents);
        connect(worker, &W::flowRecords, this, &EngineHost::flowRecords);
        connect(worker, &W::snapshot, this, &EngineHost::snapshot);
        connect(worker, &W::startFailed, this, &EngineHost::startFailed);
        m_worker = worker;
    };
    if (m_mode == Mode::Attach) {
        auto *desk = new AttachedDesk(m_workspace);
        wire(desk);
        connect(desk, &AttachedDesk::agentState, this, &EngineHost::agentState);
        return;
    }
    auto *engine = new EngineWorker(m_workspace);
    wire(engine);
    // Comparisons are the engine's: an attached desk leaves them to the agent.
    connect(this, &EngineHost::requestCancelComparison, engine, &EngineWorker::cancelComparison);
    connect(this, &EngineHost::requestCompareNow, engine, &EngineWorker::compareNow);
}

void EngineHost::runEngineHere()
{
    if (m_mode == Mode::Engine)
        return;
    // The attached worker goes on its thread; nothing it still sends reaches the window.
    disconnect(m_worker, nullptr, this, nullptr);
    disconnect(this, nullptr, m_worker, nullptr);
    m_worker->deleteLater();
    m_mode = Mode::Engine;
    makeWorker();
    emit requestStart();
}

EngineHost::~EngineHost()
{
    m_thread.quit(); // the worker (and its engine) is deleted on its thread as it finishes
    m_thread.wait();
}

void EngineHost::start()
{
    emit requestStart();
}

} // namespace syncdesk
