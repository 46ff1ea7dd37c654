#include "PolicyWorker.h"

#include "engine/FlowSides.h"
#include "model/SyncError.h"
#include "resolution/PlanText.h"
#include "resolution/ResolutionService.h"

#include <QDateTime>
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

PolicyWorker::PolicyWorker(Workspace workspace) : m_workspace(std::move(workspace)) {}

PolicyWorker::~PolicyWorker() = default;

StateStore &PolicyWorker::store()
{
    // Opened on the worker's thread, which is the one that uses it.
    if (!m_store)
        m_store = StateStore::open(m_workspace);
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
    using Outcome = PolicyResult::Outcome;
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
    try {
        ResolveRequest request;
        request.flow = job.flow;
        request.key = FlowSides::keyText(job.keyJson);
        request.take = job.action.kind == Kind::TakeTarget ? Pick::Target : Pick::Source;
        request.merge = job.action.kind == Kind::Merge;
        // What the engine saw is what the decision rests on: written only if it still holds.
        request.expectSource = job.state.source;
        request.expectTarget = job.state.target;
        request.reason = job.action.why;
        request.operatorName = QStringLiteral("policy:") + r.policy;
        ResolutionPlan plan;
        try {
            plan = service().plan(request);
        } catch (const SyncError &e) {
            if (e.unavailable())
                throw;
            // A merge that cannot be made (a field changed on both sides, …) is a person's.
            r.outcome = Outcome::Manual;
            r.detail = e.message();
            r.atMs = QDateTime::currentMSecsSinceEpoch();
            emit done(r);
            return;
        }
        // The record as read now must be the one decided on, baseline and status included:
        // a policy never acts on a record it has not classified as it is.
        const RecordState &seen = plan.seen.state;
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
            const ResolveResult result = service().apply(plan, job.action.why, request.operatorName);
            r.id = result.id;
            r.outcome = result.outcome == ResolveResult::Outcome::Applied   ? Outcome::Applied
                        : result.outcome == ResolveResult::Outcome::Refused ? Outcome::Refused
                                                                            : Outcome::Failed;
            if (!result.error.isEmpty())
                r.detail = result.error;
        }
    } catch (const SyncError &e) {
        r.outcome = Outcome::Failed;
        r.detail = e.message();
    }
    r.atMs = QDateTime::currentMSecsSinceEpoch();
    emit done(r);
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
