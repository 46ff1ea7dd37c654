#include "PolicyWorker.h"

#include "engine/FlowSides.h"
#include "model/SyncError.h"
#include "resolution/PlanText.h"
#include "resolution/ResolutionService.h"

#include <QDateTime>
#include <QHash>
#include <QTimeZone>
#include <QDebug>
#include <QJsonObject>

namespace syncdesk {

QString outcomeName(PolicyResult::Outcome outcome)
{
    switch (outcome) {
    case PolicyResult::Outcome::Applied:
        return QStringLiteral("applied");
    case PolicyResult::Outcome::Refused:
        return QStringLiteral("refused");
    case PolicyResult::Outcome::Failed:
        return QStringLiteral("failed");
    case PolicyResult::Outcome::Manual:
        return QStringLiteral("manual");
    case PolicyResult::Outcome::Moved:
        return QStringLiteral("moved");
    case PolicyResult::Outcome::WouldApply:
        return QStringLiteral("would_apply");
    }
    return {};
}

PolicyWorker::PolicyWorker(Workspace workspace, LeaseFence fence)
    : m_workspace(std::move(workspace)), m_fence(std::move(fence))
{
}

PolicyWorker::~PolicyWorker() = default;

StateStore &PolicyWorker::store()
{
    // Opened on the worker's thread, which is the one that uses it.
    if (!m_store) {
        m_store = StateStore::open(m_workspace);
        // Its resolutions' intents are refused once the engine's agent lost its share.
        m_store->fenceWritesTo(m_fence);
    }
    return *m_store;
}

ResolutionService &PolicyWorker::service()
{
    if (!m_service)
        m_service = std::make_unique<ResolutionService>(m_workspace, store());
    return *m_service;
}

void PolicyWorker::run(const PolicyJob &job)
{
    // Jobs handed over together (one dispatch of the runner) are carried out together: one
    // read, one lock and one audit transaction per side and step for the batch, not per record.
    m_pending.append(job);
    if (!std::exchange(m_drainScheduled, true))
        QMetaObject::invokeMethod(this, &PolicyWorker::drain, Qt::QueuedConnection);
}

void PolicyWorker::drain()
{
    m_drainScheduled = false;
    while (!m_pending.isEmpty()) {
        // Bounded: a batch's rows stay locked until its write commits.
        const qsizetype take = std::min<qsizetype>(m_pending.size(), MaxBatch);
        const QList<PolicyJob> jobs = m_pending.first(take);
        m_pending.remove(0, take);
        // One batch per flow and policy (one operator name in its audit entries).
        QList<PolicyJob> group;
        QList<PolicyJob> rest = jobs;
        while (!rest.isEmpty()) {
            group.clear();
            const QString flow = rest.first().flow;
            const Policy policy = rest.first().policy;
            for (qsizetype i = 0; i < rest.size();) {
                if (rest[i].flow == flow && rest[i].policy == policy)
                    group.append(rest.takeAt(i));
                else
                    ++i;
            }
            runBatch(group);
        }
    }
}

namespace {

PolicyResult resultOf(const PolicyJob &job)
{
    using Kind = PolicyAction::Kind;
    PolicyResult r;
    r.flow = job.flow;
    r.keyJson = job.keyJson;
    r.policy = policyName(job.policy);
    r.attempt = job.attempt;
    r.detail = job.action.why;
    r.choice = job.action.kind == Kind::Merge        ? QStringLiteral("merge")
               : job.action.kind == Kind::TakeTarget ? QStringLiteral("take_target")
                                                     : QStringLiteral("take_source");
    return r;
}

ResolveRequest requestOf(const PolicyJob &job)
{
    using Kind = PolicyAction::Kind;
    ResolveRequest request;
    request.flow = job.flow;
    request.key = FlowSides::keyText(job.keyJson);
    request.take = job.action.kind == Kind::TakeTarget ? Pick::Target : Pick::Source;
    request.merge = job.action.kind == Kind::Merge;
    // What the engine saw is what the decision rests on: written only if it still holds.
    request.expectSource = job.state.source;
    request.expectTarget = job.state.target;
    request.reason = job.action.why;
    request.operatorName = QStringLiteral("policy:") + policyName(job.policy);
    return request;
}

} // namespace

void PolicyWorker::runBatch(const QList<PolicyJob> &jobs)
{
    using Outcome = PolicyResult::Outcome;
    QList<PolicyResult> results;
    QList<ResolveRequest> requests;
    for (const PolicyJob &job : jobs) {
        results << resultOf(job);
        requests << requestOf(job);
    }
    const QString operatorName = requests.first().operatorName;
    try {
        const QList<ResolutionService::Planned> planned = service().planMany(jobs.first().flow, requests);
        // A record a person has claimed is theirs: the policy leaves it to them.
        QHash<QByteArray, Claim> claimed;
        for (const Claim &c : store().claims(jobs.first().flow))
            claimed.insert(c.keyJson, c);
        QList<ResolutionPlan> plans;
        QStringList reasons;
        QList<qsizetype> applying;
        for (qsizetype i = 0; i < jobs.size(); ++i) {
            PolicyResult &r = results[i];
            if (!planned[i].plan) {
                // A merge that cannot be made (a field changed on both sides, …) is a person's.
                r.outcome = Outcome::Manual;
                r.detail = planned[i].error;
                continue;
            }
            if (const auto c = claimed.constFind(jobs[i].keyJson); c != claimed.cend()) {
                r.outcome = Outcome::Manual;
                r.detail = c->text();
                continue;
            }
            const ResolutionPlan &plan = *planned[i].plan;
            // The record as read now must be the one decided on, baseline and status included:
            // a policy never acts on a record it has not classified as it is.
            const RecordState &seen = plan.seen.state;
            const PolicyJob &job = jobs[i];
            if (seen.source != job.state.source || seen.target != job.state.target
                || seen.baseline != job.state.baseline || plan.seen.status != job.status) {
                r.outcome = Outcome::Moved;
                r.detail = QStringLiteral("the record changed before the policy could act");
            } else if (job.dryRun) {
                r.outcome = Outcome::WouldApply;
                for (const SidePlan *s : {&plan.source, &plan.target})
                    for (const BoundStatement &st : s->statements)
                        r.writes << (s->sourceSide ? QStringLiteral("source: ") : QStringLiteral("target: "))
                                        + statementText(st);
            } else {
                plans << plan;
                reasons << job.action.why;
                applying << i;
            }
        }
        const QList<ResolveResult> applied = service().applyMany(plans, reasons, operatorName);
        for (qsizetype a = 0; a < applied.size(); ++a) {
            PolicyResult &r = results[applying[a]];
            const ResolveResult &result = applied[a];
            r.id = result.id;
            r.outcome = result.outcome == ResolveResult::Outcome::Applied   ? Outcome::Applied
                        : result.outcome == ResolveResult::Outcome::Refused ? Outcome::Refused
                                                                            : Outcome::Failed;
            if (!result.error.isEmpty())
                r.detail = result.error;
        }
    } catch (const SyncError &e) {
        // The systems or the store failed before any outcome: every record of the batch is
        // tried again (an intent left open is closed by the next resolution's start).
        for (PolicyResult &r : results) {
            if (r.outcome == Outcome::Failed && r.id.isEmpty())
                r.detail = e.message();
        }
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (PolicyResult &r : results) {
        r.atMs = now;
        emit done(r);
    }
}

void PolicyWorker::writeState(const PolicyState &state)
{
    try {
        if (state.halted) {
            // A halt is the policy's own decision to stop: audited like its resolutions.
            const FlowSpec *f = m_workspace.flow(state.flow);
            store().appendAudit(QJsonObject{
                {QStringLiteral("type"), QStringLiteral("policy")},
                {QStringLiteral("event"), QStringLiteral("halted")},
                {QStringLiteral("at"), QDateTime::fromMSecsSinceEpoch(state.changedAtMs, Qt::UTC)
                                           .toString(Qt::ISODateWithMs)},
                {QStringLiteral("flow"), state.flow},
                {QStringLiteral("policy"), f ? policyName(f->policy) : QString()},
                {QStringLiteral("operator"), QStringLiteral("policy:") + (f ? policyName(f->policy) : QString())},
                {QStringLiteral("reason"), state.reason}});
        }
        store().setPolicyState(state);
    } catch (const SyncError &e) {
        qWarning().noquote() << "policy state of flow" << state.flow << "not written:" << e.message();
    }
    readStates();
}

void PolicyWorker::readStates()
{
    QList<PolicyState> out;
    try {
        for (const FlowSpec &f : m_workspace.flows)
            if (const auto s = store().policyState(f.name))
                out.append(*s);
    } catch (const SyncError &) {
        return; // the store is away: asked again at the next poll
    }
    emit states(out);
}

} // namespace syncdesk
