#include "EngineWorker.h"

#include "model/Classify.h"
#include "policy/PolicyRunner.h"
#include "probe/ProbeMonitor.h"
#include "model/SyncError.h"

#include <QDateTime>
#include <QTimer>

namespace syncdesk {

EngineWorker::EngineWorker(Workspace workspace) : m_workspace(std::move(workspace)) {}

EngineWorker::~EngineWorker()
{
    m_policies.reset();
}

void EngineWorker::start()
{
    m_engine = std::make_unique<LiveEngine>(m_workspace, LiveEngine::Options{});
    // The console runs the live engine, so it applies the flows' policies (DESIGN.md).
    m_policies = std::make_unique<PolicyRunner>(*m_engine);
    connect(m_engine.get(), &LiveEngine::statusEvents, this, &EngineWorker::statusEvents);
    connect(m_engine.get(), &LiveEngine::flowReady, this, [this](const QString &flow) {
        m_errors.remove(flow);
        sendRecords(flow);
    });
    connect(m_engine.get(), &LiveEngine::flowError, this,
            [this](const QString &flow, const QString &error) { m_errors.insert(flow, error); });
    connect(m_engine.get(), &LiveEngine::flowRecovered, this, [this](const QString &flow) { m_errors.remove(flow); });
    try {
        m_engine->start();
    } catch (const SyncError &e) {
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
    m_errors.remove(flow); // a new attempt: its own failure, if any, is what counts
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
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QList<FlowSnapshot> flows;
    const QHash<QString, PolicyRunner::FlowState> policies = m_policies->states();
    for (const LiveFlow *f : m_engine->flows()) {
        FlowSnapshot s;
        s.name = f->spec().name;
        s.source = f->spec().source.system + u'.' + f->spec().source.table.display();
        s.target = f->spec().target.system + u'.' + f->spec().target.table.display();
        s.slaMs = qint64(f->spec().slaSeconds) * 1000;
        s.ready = m_engine->isReady(s.name);
        s.error = m_errors.value(s.name);
        for (size_t i = 0; i < s.counts.size(); ++i)
            s.counts[i] = f->count(RecordStatus(i));
        s.oldestPendingMs = f->oldestPendingAgeMs(now);
        s.lag5m = f->lags().summary(now, 5 * 60 * 1000);
        s.comparison = m_engine->comparison(s.name);
        s.policy = f->spec().policy;
        s.policyDryRun = f->spec().policyDryRun;
        if (const auto p = policies.constFind(s.name); p != policies.cend()) {
            s.policyHalted = p->halted;
            s.policyHaltReason = p->haltReason;
            auto count = [&](PolicyResult::Outcome o) {
                const auto it = p->outcomes.find(o);
                return it == p->outcomes.end() ? qint64(0) : it->second;
            };
            s.policyApplied = count(PolicyResult::Outcome::Applied);
            s.policyWould = count(PolicyResult::Outcome::WouldApply);
            s.policyLeft = count(PolicyResult::Outcome::Manual);
        }
        s.firstCheck = m_engine->firstChecks().state(s.name);
        if (m_engine->probes().has(s.name)) {
            const ProbeState probe = m_engine->probes().state(s.name);
            s.probe = true;
            s.probeLagMs = probe.currentLagMs(now);
            s.probeStalled = probe.stalled;
            s.probeError = probe.error;
        }
        flows << s;
    }
    emit snapshot(flows, m_engine->systems());
}

} // namespace syncdesk
