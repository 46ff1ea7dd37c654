#include "EngineWorker.h"

#include "policy/PolicyRunner.h"
#include "team/DeskLease.h"
#include "team/FlowSnapshots.h"
#include "team/LivePublisher.h"
#include "model/SyncError.h"

#include <QDateTime>
#include <QTimer>

namespace syncdesk {

EngineWorker::EngineWorker(Workspace workspace) : m_workspace(std::move(workspace)) {}

EngineWorker::~EngineWorker()
{
    m_publisher.reset();
    m_snapshots.reset();
    m_policies.reset();
    m_engine.reset();
    m_lease.reset(); // given up once the engine's last state is written
}

void EngineWorker::start()
{
    if (takeLease())
        startEngine();
}

bool EngineWorker::takeLease()
{
    if (!DeskLease::applies(m_workspace))
        return true;
    if (!m_lease)
        m_lease = std::make_unique<DeskLease>(m_workspace);
    try {
        if (m_lease->tryTakeWhole()) {
            connect(m_lease.get(), &DeskLease::lost, this, [this](const QString &why) {
                // An agent has (some of) the desk (or the store could not be reached in time): this
                // engine stops, the window says why, and it waits for the lease again.
                if (m_timer)
                    m_timer->stop();
                m_publisher.reset();
                m_snapshots.reset();
                m_policies.reset();
                m_engine.reset();
                m_lease.reset();
                emit startFailed(tr("The engine stopped: %1").arg(why));
                retryLease();
            });
            return true;
        }
        emit startFailed(tr("Waiting to run the engine: the desk is watched by %1").arg(m_lease->holdersText()));
    } catch (const SyncError &e) {
        if (e.notAllowed()) {
            // A login that may not keep the engine's state runs it all the same, writing nothing
            // (the window says so); it takes no lease it could not use.
            m_lease.reset();
            return true;
        }
        emit startFailed(tr("Waiting to run the engine: %1").arg(e.message()));
    }
    retryLease();
    return false;
}

void EngineWorker::retryLease()
{
    if (!m_leaseRetry) {
        m_leaseRetry = new QTimer(this);
        m_leaseRetry->setSingleShot(true);
        connect(m_leaseRetry, &QTimer::timeout, this, &EngineWorker::start);
    }
    m_leaseRetry->start(DeskLease::RetryMs);
}

void EngineWorker::startEngine()
{
    LiveEngine::Options options;
    if (m_lease)
        options.lease = {m_lease->id(), m_lease->held()}; // its writes check the leases
    m_engine = std::make_unique<LiveEngine>(m_workspace, options);
    // The console runs the live engine, so it applies the flows' policies (DESIGN.md).
    m_policies = std::make_unique<PolicyRunner>(*m_engine);
    m_snapshots = std::make_unique<FlowSnapshots>(*m_engine, m_policies.get());
    connect(m_engine.get(), &LiveEngine::statusEvents, this, &EngineWorker::statusEvents);
    connect(m_engine.get(), &LiveEngine::flowReady, this, &EngineWorker::sendRecords);
    if (LivePublisher::publishes(m_workspace))
        m_publisher = std::make_unique<LivePublisher>(m_workspace, options.lease, *m_engine, *m_snapshots);
    try {
        m_engine->start();
    } catch (const SyncError &e) {
        m_publisher.reset();
        m_snapshots.reset();
        m_policies.reset();
        m_engine.reset();
        m_lease.reset(); // another desk may run it
        emit startFailed(e.message());
        return;
    }
    if (!m_timer) { // an engine started again after losing the lease reuses it
        m_timer = new QTimer(this);
        m_timer->setInterval(1000);
        connect(m_timer, &QTimer::timeout, this, &EngineWorker::publish);
    }
    m_timer->start();
    publish();
}

void EngineWorker::cancelComparison(const QString &flow)
{
    if (!m_engine)
        return;
    m_engine->cancelComparison(flow);
}

void EngineWorker::compareNow(const QString &flow)
{
    if (!m_engine)
        return;
    m_snapshots->forgetError(flow); // a new attempt: its own failure, if any, is what counts
    m_engine->compareNow(flow);
    publish();
}

void EngineWorker::sendRecords(const QString &flow)
{
    if (!m_engine)
        return;
    for (const LiveFlow *f : m_engine->flows()) {
        if (f->spec().name != flow)
            continue;
        FlowRecords out;
        out.flow = flow;
        out.rows.reserve(f->outOfSyncCount());
        f->forEachOutOfSync([&out](std::string_view key, RecordStatus status, qint64 sinceMs) {
            out.rows.append({QByteArray(key.data(), qsizetype(key.size())), status, sinceMs});
        });
        emit flowRecords(out);
    }
}

void EngineWorker::publish()
{
    if (!m_engine)
        return;
    emit snapshot(m_snapshots->take(QDateTime::currentMSecsSinceEpoch()), m_engine->systems());
}

} // namespace syncdesk
