#include "BulkResolution.h"

#include <QSet>

#include "ResolutionService.h"
#include "engine/DiffResult.h"
#include "engine/LiveFlow.h"
#include "engine/Reconciler.h"
#include "model/SyncError.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QUuid>

namespace syncdesk {

QString BulkRule::text() const
{
    QString t = QStringLiteral("flow %1, status %2").arg(flow, statusName(status));
    if (!field.isEmpty())
        t += value ? QStringLiteral(", %1 = %2").arg(field, *value)
                   : QStringLiteral(", %1 differs").arg(field);
    if (!keys.isEmpty())
        t += QStringLiteral(", %1 selected record(s)").arg(keys.size());
    return t + QStringLiteral(", take %1").arg(pickName(take));
}

BulkResolution::BulkResolution(const Workspace &workspace, StateStore &store,
                               ResolutionService &service)
    : m_workspace(workspace), m_store(store), m_service(service)
{
}

QList<BulkRecord> BulkResolution::select(const BulkRule &rule)
{
    const FlowSpec *spec = m_workspace.flow(rule.flow);
    if (!spec)
        throw SyncError(QStringLiteral("no flow named '%1'").arg(rule.flow));
    const qsizetype fieldIndex = [&] {
        for (qsizetype i = 0; i < spec->fields.size(); ++i)
            if (spec->fields[i].source == rule.field)
                return i;
        return qsizetype(-1);
    }();
    if (!rule.field.isEmpty() && fieldIndex < 0)
        throw SyncError(QStringLiteral("flow '%1' compares no field '%2'").arg(rule.flow, rule.field));

    // The status needs the baselines: a fresh comparison set against the stored ones.
    RecordTable scanned;
    LiveFlow::compare(m_workspace, *spec, scanned, {});
    LiveFlow flow(m_workspace, *spec);
    flow.open();
    QList<StatusEvent> events;
    StateChanges changes; // not written: the live engine owns the flow's baselines
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    flow.load(std::move(scanned), m_store, now, events, changes);
    QList<QByteArray> keys = flow.keysWith(rule.status);
    if (!rule.keys.isEmpty()) {
        const QSet<QByteArray> selected(rule.keys.cbegin(), rule.keys.cend());
        keys.removeIf([&selected](const QByteArray &k) { return !selected.contains(k); });
    }
    std::sort(keys.begin(), keys.end()); // a stable order for previews and progress
    QList<BulkRecord> out;
    for (const QByteArray &keyJson : keys) {
        const KeyText key = LiveFlow::keyText(keyJson);
        const std::optional<RecordState> state = flow.state(keyJson);
        if (fieldIndex >= 0) {
            const FieldDetail f = flow.sides().detail(key, std::nullopt, now).fields.value(fieldIndex);
            const bool match = rule.value ? (f.source && *f.source == rule.value->toUtf8())
                                                || (f.target && *f.target == rule.value->toUtf8())
                                          : f.source != f.target;
            if (!match)
                continue;
        }
        out.append({key, state ? state->source : RowHash(), state ? state->target : RowHash()});
    }
    return out;
}

BulkResult BulkResolution::apply(const BulkRule &rule, const QList<BulkRecord> &keys,
                                 const QString &reason, const QString &operatorName,
                                 const std::function<bool(int, int)> &progress)
{
    if (reason.trimmed().isEmpty())
        throw SyncError(QStringLiteral("a reason is required: say why these values are right"));
    m_service.closeOpenIntents();
    const QJsonObject bulk{{QStringLiteral("id"), QUuid::createUuid().toString(QUuid::WithoutBraces)},
                           {QStringLiteral("rule"), rule.text()},
                           {QStringLiteral("records"), qint64(keys.size())}};
    BulkResult result;
    for (qsizetype i = 0; i < keys.size(); ++i) {
        ResolveRequest request;
        request.flow = rule.flow;
        request.key = keys[i].key;
        request.take = rule.take;
        request.expectSource = keys[i].source;
        request.expectTarget = keys[i].target;
        try {
            ResolutionPlan plan = m_service.plan(request);
            plan.bulk = bulk;
            ResolveResult r;
            try {
                r = m_service.apply(plan, reason, operatorName);
            } catch (const SyncError &e) {
                // Another operator's claimed record is theirs (checked under the log's lock,
                // before anything is written): left alone, counted.
                if (!e.claimed())
                    throw;
                ++result.claimed;
                continue;
            }
            if (r.outcome == ResolveResult::Outcome::Failed) {
                result.stopped = true;
                result.error = QStringLiteral("record %1: %2").arg(QString::fromUtf8(plan.seen.keyJson), r.error);
                return result;
            }
            ++(r.outcome == ResolveResult::Outcome::Applied ? result.applied : result.refused);
        } catch (const SyncError &e) {
            // Reading the record failed before anything was audited or written for it.
            result.stopped = true;
            result.notAllowed = e.notAllowed();
            result.error = e.message();
            return result;
        }
        if (progress && !progress(int(i + 1), int(keys.size())) && i + 1 < keys.size()) {
            result.stopped = true;
            result.error = QStringLiteral("cancelled after %1 of %2 records").arg(i + 1).arg(keys.size());
            return result;
        }
    }
    return result;
}

} // namespace syncdesk
