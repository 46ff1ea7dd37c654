#include "EngineWorker.h"

#include "model/Classify.h"
#include "policy/PolicyRunner.h"
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
}

void EngineWorker::start()
{
    m_engine = std::make_unique<LiveEngine>(m_workspace, LiveEngine::Options{});
    // The console runs the live engine, so it applies the flows' policies (DESIGN.md).
    m_policies = std::make_unique<PolicyRunner>(*m_engine);
    m_snapshots = std::make_unique<FlowSnapshots>(*m_engine, m_policies.get());
    connect(m_engine.get(), &LiveEngine::statusEvents, this, &EngineWorker::statusEvents);
    connect(m_engine.get(), &LiveEngine::flowReady, this, &EngineWorker::sendRecords);
    if (LivePublisher::publishes(m_workspace))
        m_publisher = std::make_unique<LivePublisher>(m_workspace, *m_engine, *m_snapshots);
    try {
        m_engine->start();
    } catch (const SyncError &e) {
        m_publisher.reset();
        m_snapshots.reset();
        m_policies.reset();
        m_engine.reset();
        emit startFailed(e.message());
        return;
    }
    m_timer = new QTimer(this);
    m_timer->setInterval(1000);
    connect(m_timer, &QTimer::timeout, this, &EngineWorker::publish);
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
        out.rows.reserve(f->trackedRecords() - f->count(RecordStatus::InSync));
        f->records().forEach([&](std::string_view key, const TrackedRecord &r) {
            if (r.status == RecordStatus::InSync)
                return; // the records view lists what is out of sync
            const RecordState state = r.state();
            out.rows.append({QByteArray(key.data(), qsizetype(key.size())), r.status, divergedAtMs(state)});
        });
        emit flowRecords(out);
    }
}

void EngineWorker::publish()
{
    emit snapshot(m_snapshots->take(QDateTime::currentMSecsSinceEpoch()), m_engine->systems());
}

} // namespace syncdesk
