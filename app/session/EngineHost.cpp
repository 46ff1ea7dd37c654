#include "EngineHost.h"

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

EngineHost::EngineHost(Workspace workspace, QObject *parent)
    : QObject(parent), m_workspace(std::move(workspace))
{
    registerSessionTypes();
    m_thread.setObjectName(QStringLiteral("syncdesk-engine"));
    m_worker = new EngineWorker(m_workspace);
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(this, &EngineHost::requestStart, m_worker, &EngineWorker::start);
    connect(this, &EngineHost::requestRecords, m_worker, &EngineWorker::sendRecords);
    connect(this, &EngineHost::requestCancelComparison, m_worker, &EngineWorker::cancelComparison);
    connect(this, &EngineHost::requestCompareNow, m_worker, &EngineWorker::compareNow);
    connect(m_worker, &EngineWorker::statusEvents, this, &EngineHost::statusEvents);
    connect(m_worker, &EngineWorker::flowRecords, this, &EngineHost::flowRecords);
    connect(m_worker, &EngineWorker::snapshot, this, &EngineHost::snapshot);
    connect(m_worker, &EngineWorker::startFailed, this, &EngineHost::startFailed);
    m_thread.start();
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
