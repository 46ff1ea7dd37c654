#include "FlowSnapshots.h"

#include "engine/LiveEngine.h"
#include "policy/PolicyRunner.h"
#include "probe/ProbeMonitor.h"

namespace syncdesk {

FlowSnapshots::FlowSnapshots(const LiveEngine &engine, const PolicyRunner *policies, QObject *parent)
    : QObject(parent), m_engine(engine), m_policies(policies)
{
    connect(&engine, &LiveEngine::flowReady, this, [this](const QString &flow) { m_errors.remove(flow); });
    connect(&engine, &LiveEngine::flowError, this,
            [this](const QString &flow, const QString &error) { m_errors.insert(flow, error); });
    connect(&engine, &LiveEngine::flowRecovered, this, [this](const QString &flow) { m_errors.remove(flow); });
}

QList<FlowSnapshot> FlowSnapshots::take(qint64 now) const
{
    QList<FlowSnapshot> flows;
    const QHash<QString, PolicyRunner::FlowState> policies = m_policies ? m_policies->states()
                                                                        : QHash<QString, PolicyRunner::FlowState>();
    for (const LiveFlow *f : m_engine.flows()) {
        FlowSnapshot s;
        s.name = f->spec().name;
        s.source = f->spec().source.system + u'.' + f->spec().source.table.display();
        s.target = f->spec().target.system + u'.' + f->spec().target.table.display();
        s.slaMs = qint64(f->spec().slaSeconds) * 1000;
        s.ready = m_engine.isReady(s.name);
        s.error = m_errors.value(s.name);
        for (size_t i = 0; i < s.counts.size(); ++i)
            s.counts[i] = f->count(RecordStatus(i));
        s.oldestPendingMs = f->oldestPendingAgeMs(now);
        s.lag5m = f->lags().summary(now, 5 * 60 * 1000);
        s.comparison = m_engine.comparison(s.name);
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
        s.firstCheck = m_engine.firstChecks().state(s.name);
        if (m_engine.probes().has(s.name)) {
            const ProbeState probe = m_engine.probes().state(s.name);
            s.probe = true;
            s.probeLagMs = probe.currentLagMs(now);
            s.probeStalled = probe.stalled;
            s.probeError = probe.error;
        }
        flows << s;
    }
    return flows;
}

} // namespace syncdesk
