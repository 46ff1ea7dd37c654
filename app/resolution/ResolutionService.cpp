#include "ResolutionService.h"

#include "engine/DeskStatus.h"
#include "engine/FlowSides.h"
#include "model/JsonText.h"
#include "model/SyncError.h"
#include "state/ActivityCounters.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QHash>
#include <QHostInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUuid>

#include <array>
#include <cerrno>
#include <csignal>
#include <pwd.h>
#include <unistd.h>

namespace syncdesk {

QString pickName(Pick pick)
{
    switch (pick) {
    case Pick::Source:
        return QStringLiteral("source");
    case Pick::Target:
        return QStringLiteral("target");
    case Pick::Baseline:
        return QStringLiteral("baseline");
    }
    return {};
}

std::optional<Pick> pickFromName(const QString &name)
{
    for (Pick p : {Pick::Source, Pick::Target, Pick::Baseline})
        if (pickName(p) == name)
            return p;
    return std::nullopt;
}

bool isPolicyOperator(const QString &operatorName)
{
    return operatorName.startsWith(u"policy:");
}

QJsonObject mergePicks(const RecordDetail &d)
{
    const QString key = QString::fromUtf8(d.keyJson);
    if (!d.state.baseline)
        throw SyncError(QStringLiteral("key %1: no baseline is known, so which side changed a field "
                                       "cannot be told: pick the values yourself").arg(key));
    if (!d.state.source || !d.state.target)
        throw SyncError(QStringLiteral("key %1: the %2 has no row: a delete and a change cannot be "
                                       "merged field by field")
                            .arg(key, d.state.source ? QStringLiteral("target") : QStringLiteral("source")));
    if (!*d.state.baseline)
        throw SyncError(QStringLiteral("key %1: both sides created the record: nothing to merge "
                                       "against").arg(key));
    QJsonObject picks;
    QStringList both;
    for (const FieldDetail &f : d.fields) {
        if (!f.baseline)
            throw SyncError(QStringLiteral("key %1: the values both sides last agreed on are not "
                                           "known, only their hash: pick the values yourself").arg(key));
        switch (classifyField(f.source, f.target, f.baseline)) {
        case FieldChange::ChangedAtSource:
            picks.insert(f.name, QStringLiteral("source"));
            break;
        case FieldChange::ChangedAtTarget:
            picks.insert(f.name, QStringLiteral("target"));
            break;
        case FieldChange::ChangedOnBoth:
        case FieldChange::Differs:
            both << f.name;
            break;
        case FieldChange::Unchanged:
            break;
        }
    }
    if (!both.isEmpty())
        throw SyncError(QStringLiteral("key %1: %2 changed on both sides: a person must choose")
                            .arg(key, both.join(QStringLiteral(", "))));
    return picks;
}

QString osUser()
{
    if (const passwd *pw = getpwuid(geteuid()); pw && pw->pw_name)
        return QString::fromLocal8Bit(pw->pw_name);
    return qEnvironmentVariable("USER", QStringLiteral("unknown"));
}

namespace {

using Row = std::optional<QList<FieldText>>; // a record's field values on one side; nullopt: no row

QString isoNow()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

Row rowOf(const RecordDetail &d, bool source)
{
    if (!(source ? d.state.source : d.state.target))
        return std::nullopt;
    QList<FieldText> values;
    for (const FieldDetail &f : d.fields)
        values.append(source ? f.source : f.target);
    return values;
}

// {"price": "12.5", "note": null}, or null for no row.
QJsonValue valuesJson(const RecordDetail &d, const Row &row)
{
    if (!row)
        return QJsonValue();
    QJsonObject values;
    for (qsizetype f = 0; f < d.fields.size(); ++f) {
        const FieldText &v = row->value(f);
        values.insert(d.fields[f].name, v ? QJsonValue(QString::fromUtf8(*v)) : QJsonValue());
    }
    return values;
}

Row rowFromJson(const RecordDetail &d, const QJsonValue &values)
{
    if (!values.isObject())
        return std::nullopt;
    QList<FieldText> row;
    for (const FieldDetail &f : d.fields) {
        const QJsonValue v = values.toObject().value(f.name);
        row.append(v.isString() ? FieldText(v.toString().toUtf8()) : FieldText());
    }
    return row;
}

// One side as the audit log records it: {"hash": …, "values": {…}}, or null for no row.
QJsonValue sideJson(const RecordDetail &d, bool source)
{
    const RowHash &h = source ? d.state.source : d.state.target;
    if (!h)
        return QJsonValue();
    return QJsonObject{{QStringLiteral("hash"), rowHashText(h)},
                       {QStringLiteral("values"), valuesJson(d, rowOf(d, source))}};
}

QJsonObject plannedJson(const RecordDetail &d, const SidePlan &s)
{
    QJsonObject o{{QStringLiteral("write"), s.write}, {QStringLiteral("values"), valuesJson(d, s.values)}};
    if (!s.note.isEmpty())
        o.insert(QStringLiteral("note"), s.note);
    return o;
}

RowHash hashFromText(const QString &text)
{
    bool ok = false;
    const quint64 v = text.toULongLong(&ok, 16);
    return ok ? RowHash(v) : RowHash();
}

bool holds(const std::optional<EncodedRow> &row, const Row &values)
{
    if (!row || !values)
        return !row && !values;
    return row->fields == *values;
}

// The field values both sides hold after a resolution, as the state store keeps a baseline's.
QByteArray agreedFieldsJson(const RecordDetail &d)
{
    if (!d.state.source)
        return QByteArrayLiteral("null");
    QList<std::optional<QByteArray>> values;
    for (const FieldDetail &f : d.fields)
        values.append(f.source);
    return jsonTextArray(values);
}

QString sideName(bool source)
{
    return source ? QStringLiteral("source") : QStringLiteral("target");
}

} // namespace

// A side the decided values came from must be exactly as the operator saw it; another side
// may also already hold the decided values (a replay writes nothing twice).
static bool passesLock(const SidePlan &s, const RowHash &now, bool holdsDecided)
{
    return now == s.expected || (!s.contributes && holdsDecided);
}

ResolutionService::ResolutionService(const Workspace &workspace, StateStore &store)
    : m_workspace(workspace), m_store(store)
{
}

ResolutionService::~ResolutionService() = default;

QByteArray ResolutionService::keyJson(const QString &flowName, const KeyText &key)
{
    return flow(flowName).keyJson(key);
}

FlowSides &ResolutionService::flow(const QString &name)
{
    auto it = m_flows.find(name);
    if (it != m_flows.end())
        return *it->second;
    const FlowSpec *spec = m_workspace.flow(name);
    if (!spec)
        throw SyncError(QStringLiteral("no flow named '%1'").arg(name));
    auto flow = std::make_unique<FlowSides>(m_workspace, *spec);
    flow->open();
    return *m_flows.emplace(name, std::move(flow)).first->second;
}

SidePlan ResolutionService::sidePlan(FlowSides &flow, const ResolutionPlan &plan, bool sourceSide,
                                     const RowHash &expected, const Row &values)
{
    SidePlan s;
    s.sourceSide = sourceSide;
    s.system = sourceSide ? flow.spec().source.system : flow.spec().target.system;
    s.expected = expected;
    s.values = values;
    const Row now = rowOf(plan.seen, sourceSide);
    s.write = now != values;
    if (s.write) {
        s.statements = flow.writeStatements(sourceSide, plan.key, now.has_value(), values);
        s.note = flow.writeNote(sourceSide);
    }
    return s;
}

void ResolutionService::refuseOnHeldFlow(const QString &flowName)
{
    // Written about once a second by each running engine (one per agent's share): an old row
    // holds nothing.
    auto rows = m_store.deskStatuses();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    rows.removeIf([now](const auto &row) { return now - row.first > HeldStatusMaxAgeMs; });
    const std::optional<DeskStatus> desk = DeskStatus::merged(rows, {flowName});
    if (!desk)
        return;
    for (const DeskStatus::Flow &f : desk->flows)
        if (f.name == flowName && f.error.startsWith(QLatin1String("schema changed")))
            throw SyncError(QStringLiteral("flow '%1' is held by the live engine (%2): resolve it once "
                                           "its tables are back as it compares them")
                                .arg(flowName, f.error));
}

ResolutionPlan ResolutionService::plan(const ResolveRequest &request)
{
    // What a person would write rests on columns the flow no longer compares as they are.
    refuseOnHeldFlow(request.flow);
    FlowSides &f = flow(request.flow);
    const QByteArray keyJson = f.keyJson(request.key);
    return planOf(f, request,
                  f.detail(request.key, m_store.baseline(request.flow, keyJson),
                           QDateTime::currentMSecsSinceEpoch()));
}

QList<ResolutionService::Planned> ResolutionService::planMany(const QString &flowName,
                                                              const QList<ResolveRequest> &requests)
{
    FlowSides &f = flow(flowName);
    QList<KeyText> keys;
    for (const ResolveRequest &r : requests)
        keys << r.key;
    // Both sides read once for the whole batch; a failure of that read fails every plan.
    const QList<RecordDetail> seen = f.details(
        keys, [this, &flowName](const QByteArray &keyJson) { return m_store.baseline(flowName, keyJson); },
        QDateTime::currentMSecsSinceEpoch());
    QList<Planned> out;
    for (qsizetype i = 0; i < requests.size(); ++i) {
        Planned &p = out.emplace_back();
        try {
            p.plan = planOf(f, requests[i], seen[i]);
        } catch (const SyncError &e) {
            p.error = e.message();
        }
    }
    return out;
}

ResolutionPlan ResolutionService::planOf(FlowSides &f, const ResolveRequest &request, RecordDetail seenNow)
{
    const QByteArray keyJson = seenNow.keyJson;
    ResolutionPlan p;
    p.key = request.key;
    p.seen = std::move(seenNow);
    const RecordDetail &seen = p.seen;

    auto rowFrom = [&](Pick pick) -> Row {
        if (pick != Pick::Baseline)
            return rowOf(seen, pick == Pick::Source);
        if (!seen.state.baseline)
            throw SyncError(QStringLiteral("flow '%1', key %2: no baseline is known for this record "
                                           "(both sides have not agreed on it since it is watched)")
                                .arg(request.flow, QString::fromUtf8(keyJson)));
        if (!*seen.state.baseline)
            return std::nullopt; // both last agreed that there is no such record
        QList<FieldText> values;
        for (const FieldDetail &fd : seen.fields) {
            if (!fd.baseline)
                throw SyncError(QStringLiteral("flow '%1', key %2: the baseline's values are not "
                                               "known, only its hash")
                                    .arg(request.flow, QString::fromUtf8(keyJson)));
            values.append(*fd.baseline);
        }
        return values;
    };
    auto fieldIndex = [&](const QString &name) {
        QStringList names;
        for (qsizetype i = 0; i < seen.fields.size(); ++i) {
            if (seen.fields[i].name == name)
                return i;
            names << seen.fields[i].name;
        }
        throw SyncError(QStringLiteral("flow '%1' compares no field '%2' (its fields: %3)")
                            .arg(request.flow, name, names.join(QStringLiteral(", "))));
    };

    Row result = rowFrom(request.take);
    if (request.merge) {
        if (!request.fieldPicks.isEmpty() || !request.customValues.isEmpty())
            throw SyncError(QStringLiteral("a merge picks every field itself: no field picks or "
                                           "values can go with it"));
        p.choice = QStringLiteral("merge");
        p.picks = mergePicks(seen);
        result = rowOf(seen, true);
        const Row target = rowOf(seen, false); // both rows exist: mergePicks saw to it
        for (auto it = p.picks.begin(); it != p.picks.end(); ++it)
            if (it.value().toString() == u"target") {
                const qsizetype i = fieldIndex(it.key());
                (*result)[i] = target->value(i);
            }
    } else if (request.fieldPicks.isEmpty() && request.customValues.isEmpty()) {
        p.choice = QStringLiteral("take_") + pickName(request.take);
    } else {
        p.choice = QStringLiteral("per_field");
        if (!result)
            throw SyncError(QStringLiteral("the %1 has no row for key %2, so there is nothing to pick "
                                           "fields into: take a side that has one")
                                .arg(pickName(request.take), QString::fromUtf8(keyJson)));
        for (auto it = request.fieldPicks.begin(); it != request.fieldPicks.end(); ++it) {
            const qsizetype i = fieldIndex(it.key());
            const Row from = rowFrom(it.value());
            if (!from)
                throw SyncError(QStringLiteral("field '%1' cannot come from the %2: it has no row "
                                               "for key %3")
                                    .arg(it.key(), pickName(it.value()), QString::fromUtf8(keyJson)));
            (*result)[i] = from->value(i);
            p.picks.insert(it.key(), pickName(it.value()));
        }
        for (auto it = request.customValues.begin(); it != request.customValues.end(); ++it) {
            const qsizetype i = fieldIndex(it.key());
            FieldText value;
            if (it.value()) {
                value = f.canonicalValue(i, QString::fromUtf8(*it.value()));
                if (!value)
                    throw SyncError(QStringLiteral("'%1' is not a valid value for field '%2' "
                                                   "(the columns' type does not take it)")
                                        .arg(QString::fromUtf8(*it.value()), it.key()));
            }
            (*result)[i] = value;
            p.picks.insert(it.key(), QStringLiteral("custom"));
        }
    }
    p.source = sidePlan(f, p, true, request.expectSource.value_or(seen.state.source), result);
    p.target = sidePlan(f, p, false, request.expectTarget.value_or(seen.state.target), result);
    const QList<Pick> picks = request.fieldPicks.values();
    // A merge rests on both sides as read: each must still be exactly that.
    p.source.contributes = request.merge || request.take == Pick::Source || picks.contains(Pick::Source);
    p.target.contributes = request.merge || request.take == Pick::Target || picks.contains(Pick::Target);
    return p;
}

ResolutionPlan ResolutionService::planUndo(const QString &id)
{
    QJsonObject intent, outcome;
    QHash<QString, QString> undoneBy; // resolution id → the applied undo's id
    QHash<QString, QString> undoOf;   // an undo's id → what it reverts
    // The resolution's entries and its undos', by index: never the whole log.
    for (const AuditRow &row : m_store.auditRowsOfResolution(id)) {
        const QJsonObject e = QJsonDocument::fromJson(row.entry).object();
        const QString eid = e.value(u"id").toString();
        if (e.value(u"type").toString() == u"intent") {
            if (eid == id)
                intent = e;
            if (e.contains(u"undoes"))
                undoOf.insert(eid, e.value(u"undoes").toString());
        } else if (e.value(u"type").toString() == u"outcome") {
            if (eid == id)
                outcome = e;
            if (undoOf.contains(eid) && e.value(u"outcome").toString() == u"applied")
                undoneBy.insert(undoOf.value(eid), eid);
        }
    }
    if (intent.isEmpty())
        throw SyncError(QStringLiteral("the audit log has no resolution '%1'").arg(id));
    if (outcome.value(u"outcome").toString() != u"applied")
        throw SyncError(QStringLiteral("resolution '%1' was not applied (%2): there is nothing to undo")
                            .arg(id, outcome.isEmpty() ? QStringLiteral("no outcome yet")
                                                       : outcome.value(u"outcome").toString()));
    if (undoneBy.contains(id))
        throw SyncError(QStringLiteral("resolution '%1' was already undone by '%2'")
                            .arg(id, undoneBy.value(id)));
    const QJsonObject after = outcome.value(u"after").toObject();
    if (!after.contains(u"source") || !after.contains(u"target"))
        throw SyncError(QStringLiteral("resolution '%1' did not record both sides' values after "
                                       "it, so it cannot be undone safely")
                            .arg(id));

    FlowSides &f = flow(intent.value(u"flow").toString());
    ResolutionPlan p;
    p.key = FlowSides::keyText(QJsonDocument(intent.value(u"key").toArray()).toJson(QJsonDocument::Compact));
    const QByteArray keyJson = f.keyJson(p.key);
    p.seen = f.detail(p.key, m_store.baseline(f.spec().name, keyJson), QDateTime::currentMSecsSinceEpoch());
    p.choice = QStringLiteral("undo");
    p.undoes = id;
    for (bool source : {true, false}) {
        const QJsonValue left = after.value(sideName(source));
        const RowHash expected = left.isObject() ? hashFromText(left.toObject().value(u"hash").toString())
                                                 : RowHash();
        const QJsonValue before = intent.value(sideName(source));
        (source ? p.source : p.target) =
            sidePlan(f, p, source, expected,
                     rowFromJson(p.seen, before.isObject() ? before.toObject().value(u"values") : QJsonValue()));
    }
    if (const QJsonObject b = intent.value(u"baseline").toObject(); !b.isEmpty()) {
        StoredBaseline s;
        s.flow = f.spec().name;
        s.keyJson = keyJson;
        s.hash = b.value(u"hash").isString() ? hashFromText(b.value(u"hash").toString()) : RowHash();
        s.fieldValues = QJsonDocument(b.value(u"values").toArray()).toJson(QJsonDocument::Compact);
        if (b.value(u"values").isNull())
            s.fieldValues = "null";
        s.sourceChangedAtMs = b.value(u"source_changed_at_ms").toInteger();
        s.targetChangedAtMs = b.value(u"target_changed_at_ms").toInteger();
        p.restoreBaseline = s;
    }
    return p;
}

ResolveResult ResolutionService::resolve(const ResolveRequest &request)
{
    closeOpenIntents();
    if (request.reason.trimmed().isEmpty())
        throw SyncError(QStringLiteral("a reason is required: say why this value is right"));
    return apply(plan(request), request.reason, request.operatorName);
}

QJsonObject ResolutionService::intentEntry(const ResolutionPlan &plan, const QString &reason,
                                           const QString &operatorName, const QString &id) const
{
    const RecordDetail &seen = plan.seen;
    const QJsonArray key = QJsonDocument::fromJson(seen.keyJson).array();
    QJsonObject intent{{QStringLiteral("type"), QStringLiteral("intent")},
                       {QStringLiteral("id"), id}, {QStringLiteral("at"), isoNow()},
                       {QStringLiteral("flow"), seen.flow}, {QStringLiteral("key"), key},
                       {QStringLiteral("choice"), plan.choice},
                       {QStringLiteral("reason"), reason.trimmed()},
                       {QStringLiteral("operator"), operatorName.isEmpty() ? osUser() : operatorName},
                       {QStringLiteral("os_user"), osUser()},
                       {QStringLiteral("host"), QHostInfo::localHostName()},
                       {QStringLiteral("pid"), qint64(::getpid())},
                       {QStringLiteral("status"), statusName(seen.status)},
                       {QStringLiteral("expected_source_hash"), rowHashText(plan.source.expected)},
                       {QStringLiteral("expected_target_hash"), rowHashText(plan.target.expected)},
                       {QStringLiteral("source"), sideJson(seen, true)},
                       {QStringLiteral("target"), sideJson(seen, false)},
                       {QStringLiteral("planned"),
                        QJsonObject{{QStringLiteral("source"), plannedJson(seen, plan.source)},
                                    {QStringLiteral("target"), plannedJson(seen, plan.target)}}}};
    if (!plan.undoes.isEmpty())
        intent.insert(QStringLiteral("undoes"), plan.undoes);
    if (!plan.picks.isEmpty())
        intent.insert(QStringLiteral("picks"), plan.picks);
    if (!plan.bulk.isEmpty())
        intent.insert(QStringLiteral("bulk"), plan.bulk);
    if (seen.state.baseline) {
        QJsonArray values;
        for (const FieldDetail &fd : seen.fields)
            values.append(fd.baseline && *fd.baseline ? QJsonValue(QString::fromUtf8(**fd.baseline))
                                                      : QJsonValue());
        intent.insert(QStringLiteral("baseline"),
                      QJsonObject{{QStringLiteral("hash"), *seen.state.baseline
                                                               ? QJsonValue(rowHashText(*seen.state.baseline))
                                                               : QJsonValue()},
                                  {QStringLiteral("values"), *seen.state.baseline ? QJsonValue(values)
                                                                                  : QJsonValue()},
                                  {QStringLiteral("source_changed_at_ms"), seen.state.sourceChangedAtMs},
                                  {QStringLiteral("target_changed_at_ms"), seen.state.targetChangedAtMs}});
    }
    return intent;
}

ResolveResult ResolutionService::apply(const ResolutionPlan &plan, const QString &reason,
                                       const QString &operatorName)
{
    if (reason.trimmed().isEmpty())
        throw SyncError(QStringLiteral("a reason is required: say why this value is right"));
    FlowSides &f = flow(plan.seen.flow);
    ResolveResult result;
    result.id = QUuid::createUuid().toString(QUuid::WithoutBraces);

    // (1) The intent: what the operator saw and what they decided.
    // Under the log's lock, a claim by anyone else refuses it with nothing written.
    const QJsonObject intent = intentEntry(plan, reason, operatorName, result.id);
    result.intentSeq = m_store
                           .appendAudits({intent}, {},
                                         [&] {
                                             m_store.refuseWithoutLease(); // an agent's policy
                                             m_store.refuseClaimedByOthers(plan.seen.flow, plan.seen.keyJson,
                                                                           intent.value(u"operator").toString());
                                         })
                           .first()
                           .seq;

    // (2) Both sides locked, source then target, each checked under its lock, then the sides
    // that differ from the decision written and committed. Two desks resolving one record
    // through flows of opposite directions could lock in opposite orders: PostgreSQL breaks
    // such a deadlock and SQLite's busy timeout ends it, so one resolution fails, audited.
    const SystemSpec *systems[2] = {m_workspace.system(plan.source.system),
                                    m_workspace.system(plan.target.system)};
    const bool oneSqliteFile = systems[0] && systems[1] && systems[0]->kind == SystemKind::Sqlite
                               && systems[1]->kind == SystemKind::Sqlite
                               && systems[0]->path == systems[1]->path;
    QStringList committed;
    try {
        if (oneSqliteFile && plan.source.write && plan.target.write)
            throw SyncError(QStringLiteral("both sides are tables of one SQLite file, which one "
                                           "transaction cannot lock twice: take one side whole"));
        std::unique_ptr<RowLock> locks[2];
        bool refused = false;
        for (const SidePlan *s : {&plan.source, &plan.target}) {
            // One SQLite file has one write lock: the written side's covers the other.
            if (oneSqliteFile && !s->write)
                continue;
            auto &lock = locks[s->sourceSide ? 0 : 1];
            lock = f.lockRow(s->sourceSide, plan.key);
            refused = refused || !passesLock(*s, lock->hash(), holds(lock->row(), s->values));
        }
        if (oneSqliteFile) {
            const RecordDetail now = f.detail(plan.key, std::nullopt, 0);
            // The unlocked side is not written, so it must hold the decision already.
            for (const SidePlan *s : {&plan.source, &plan.target})
                if (!locks[s->sourceSide ? 0 : 1])
                    refused = refused || rowOf(now, s->sourceSide) != s->values
                              || !passesLock(*s, s->sourceSide ? now.state.source : now.state.target, true);
        }
        if (refused) {
            result.outcome = ResolveResult::Outcome::Refused;
            result.error = QStringLiteral("the record changed since it was read; nothing was "
                                          "written: look at it again");
        } else {
            // Whatever the plan expected, a side is written exactly when its locked row does
            // not hold the decision, and every side written is committed.
            bool wrote[2] = {false, false};
            for (const SidePlan *s : {&plan.source, &plan.target}) {
                const auto &lock = locks[s->sourceSide ? 0 : 1];
                if (lock && !holds(lock->row(), s->values)) {
                    lock->write(s->values);
                    wrote[s->sourceSide ? 0 : 1] = true;
                }
            }
            // A side whose commit cannot be rolled back (an API's) goes first: should it be
            // refused, the other side is still only locked, and rolls back.
            for (const bool transactional : {false, true}) {
                for (const SidePlan *s : {&plan.source, &plan.target}) {
                    const auto &lock = locks[s->sourceSide ? 0 : 1];
                    if (wrote[s->sourceSide ? 0 : 1] && lock->transactional() == transactional) {
                        lock->commit();
                        committed << sideName(s->sourceSide);
                    }
                }
            }
            result.outcome = ResolveResult::Outcome::Applied;
        }
    } catch (const SyncError &e) {
        // An API that refused a conditional write because the record moved: refused, like a
        // record found changed under a database lock, when nothing else was written.
        result.outcome = e.changed() && committed.isEmpty() ? ResolveResult::Outcome::Refused
                                                            : ResolveResult::Outcome::Failed;
        result.error = committed.isEmpty()
                           ? e.message()
                           : QStringLiteral("the %1 was written, then the other side failed: %2; "
                                            "the record is now in a new state: look at it again")
                                 .arg(committed.join(QStringLiteral(" and ")), e.message());
    }

    // (3) Agreement again: the baseline is the record itself from now on (an undo puts the
    // old one back). The write is done: whatever fails here is noted in the outcome.
    QJsonValue after;
    if (result.outcome == ResolveResult::Outcome::Applied || !committed.isEmpty()) {
        try {
            const RecordDetail now = f.detail(plan.key, std::nullopt, 0);
            StateChanges changes;
            after = settle(plan, now, result, changes);
            m_store.apply(changes);
        } catch (const SyncError &e) {
            noteReadBackFailed(result, e);
        }
    }

    // (4) The outcome, counted with it in one transaction (syncdesk_resolutions_total, the SLA
    // report): every resolution passes here, whoever makes it.
    const auto [entry, counted] = outcomeEntry(plan, result, after, operatorName);
    result.outcomeSeq = m_store.appendAudit(entry, {counted}).seq;
    return result;
}

QJsonValue ResolutionService::settle(const ResolutionPlan &plan, const RecordDetail &now,
                                     const ResolveResult &result, StateChanges &changes) const
{
    if (result.outcome == ResolveResult::Outcome::Applied) {
        if (plan.restoreBaseline) {
            changes.upserts.append(*plan.restoreBaseline);
        } else if (now.state.source == now.state.target) {
            // The new agreement is the baseline from now on, also for a later restart.
            StoredBaseline b;
            b.flow = plan.seen.flow;
            b.keyJson = plan.seen.keyJson;
            b.hash = now.state.source;
            b.inSync = true;
            b.fieldValues = agreedFieldsJson(now);
            b.sourceChangedAtMs = now.state.sourceChangedAtMs;
            b.targetChangedAtMs = now.state.targetChangedAtMs;
            changes.upserts.append(b);
        } else {
            changes.removals.append({plan.seen.flow, plan.seen.keyJson});
        }
    }
    return QJsonObject{{QStringLiteral("source"), sideJson(now, true)},
                       {QStringLiteral("target"), sideJson(now, false)}};
}

void ResolutionService::noteReadBackFailed(ResolveResult &result, const SyncError &e)
{
    result.error += (result.error.isEmpty() ? QString() : QStringLiteral("; "))
                    + QStringLiteral("written; reading it back failed: %1").arg(e.message());
}

std::pair<QJsonObject, ActivityCount> ResolutionService::outcomeEntry(const ResolutionPlan &plan,
                                                                      const ResolveResult &result,
                                                                      const QJsonValue &after,
                                                                      const QString &operatorName) const
{
    const char *outcome = result.outcome == ResolveResult::Outcome::Applied   ? "applied"
                          : result.outcome == ResolveResult::Outcome::Refused ? "refused"
                                                                              : "failed";
    QJsonObject entry{{QStringLiteral("type"), QStringLiteral("outcome")},
                      {QStringLiteral("id"), result.id}, {QStringLiteral("at"), isoNow()},
                      {QStringLiteral("flow"), plan.seen.flow},
                      {QStringLiteral("key"), QJsonDocument::fromJson(plan.seen.keyJson).array()},
                      {QStringLiteral("choice"), plan.choice},
                      {QStringLiteral("outcome"), QLatin1String(outcome)},
                      {QStringLiteral("after"), after}};
    if (!plan.writesAnything() && result.outcome == ResolveResult::Outcome::Applied)
        entry.insert(QStringLiteral("note"), QStringLiteral("both sides already held the decided values"));
    if (!result.error.isEmpty())
        entry.insert(QStringLiteral("error"), result.error);
    const ActivityCount counted{plan.seen.flow, hourStartOf(QDateTime::currentMSecsSinceEpoch()),
                                activity::resolutions(isPolicyOperator(operatorName), QLatin1String(outcome)),
                                1};
    return {entry, counted};
}

QList<ResolveResult> ResolutionService::applyMany(const QList<ResolutionPlan> &plans, const QStringList &reasons,
                                                  const QString &operatorName)
{
    if (plans.isEmpty())
        return {};
    const QString flowName = plans.first().seen.flow;
    const FlowSpec *spec = m_workspace.flow(flowName);
    const SystemSpec *systems[2] = {spec ? m_workspace.system(spec->source.system) : nullptr,
                                    spec ? m_workspace.system(spec->target.system) : nullptr};
    const bool oneSqliteFile = systems[0] && systems[1] && systems[0]->kind == SystemKind::Sqlite
                               && systems[1]->kind == SystemKind::Sqlite && systems[0]->path == systems[1]->path;
    bool oneFlow = true;
    for (const ResolutionPlan &p : plans)
        oneFlow = oneFlow && p.seen.flow == flowName;
    const bool api = (systems[0] && systems[0]->kind == SystemKind::Http)
                     || (systems[1] && systems[1]->kind == SystemKind::Http);
    if (oneSqliteFile || api || !oneFlow || plans.size() == 1) {
        // One SQLite file cannot hold two locks, and an API's writes cannot be rolled back
        // with a batch's: one record at a time, as a person's would go.
        QList<ResolveResult> out;
        for (qsizetype i = 0; i < plans.size(); ++i)
            out << apply(plans[i], reasons.value(i), operatorName);
        return out;
    }
    const qsizetype n = plans.size();
    for (qsizetype i = 0; i < n; ++i)
        if (reasons.value(i).trimmed().isEmpty())
            throw SyncError(QStringLiteral("a reason is required: say why this value is right"));
    FlowSides &f = flow(flowName);
    QList<ResolveResult> results(n);

    // (1) Every intent, in one transaction: none is written before its intent is in the log.
    QList<QJsonObject> intents;
    for (qsizetype i = 0; i < n; ++i) {
        results[i].id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        intents << intentEntry(plans[i], reasons.value(i), operatorName, results[i].id);
    }
    const QList<AuditRow> intentRows = m_store.appendAudits(intents, {}, [&] {
        m_store.refuseWithoutLease(); // an agent's policy
        for (qsizetype i = 0; i < n; ++i)
            m_store.refuseClaimedByOthers(plans[i].seen.flow, plans[i].seen.keyJson,
                                          intents[i].value(u"operator").toString());
    });
    for (qsizetype i = 0; i < n; ++i)
        results[i].intentSeq = intentRows[i].seq;

    // (2) Each side's rows locked in one transaction (source then target, as apply() does),
    // each record checked under the lock on its own; the records that pass are written, and
    // each side written is committed once. A write the system refuses (a trigger, a
    // constraint) fails its record alone when it is the record's only write so far; anything
    // else fails the batch.
    QList<KeyText> keys;
    for (const ResolutionPlan &p : plans)
        keys << p.key;
    bool committed[2] = {false, false};
    std::vector<std::array<bool, 2>> wroteRecord(size_t(n), {false, false}); // per record: source, target
    std::vector<bool> refused(size_t(n), false);
    QStringList recordError(n); // a record whose write the system refused
    const QString refusal = QStringLiteral("the record changed since it was read; nothing was written: "
                                           "look at it again");
    try {
        std::unique_ptr<RowLock> locks[2];
        for (const bool sourceSide : {true, false}) {
            locks[sourceSide ? 0 : 1] = f.lockRows(sourceSide, keys);
            const RowLock &lock = *locks[sourceSide ? 0 : 1];
            for (qsizetype i = 0; i < n; ++i) {
                const SidePlan &s = sourceSide ? plans[i].source : plans[i].target;
                refused[size_t(i)] = refused[size_t(i)] || !passesLock(s, lock.hash(i), holds(lock.row(i), s.values));
            }
        }
        bool wrote[2] = {false, false};
        for (qsizetype i = 0; i < n; ++i) {
            if (refused[size_t(i)])
                continue;
            try {
                for (const SidePlan *s : {&plans[i].source, &plans[i].target}) {
                    RowLock &lock = *locks[s->sourceSide ? 0 : 1];
                    if (!holds(lock.row(i), s->values)) {
                        lock.write(i, s->values);
                        wroteRecord[size_t(i)][s->sourceSide ? 0 : 1] = true;
                    }
                }
            } catch (const SyncError &e) {
                // The refused statement is undone (RowLock::write); a side of this record
                // already written could not be, short of failing the batch.
                if (e.unavailable() || wroteRecord[size_t(i)][0] || wroteRecord[size_t(i)][1])
                    throw;
                recordError[i] = e.message();
            }
            for (int side = 0; side < 2; ++side)
                wrote[side] = wrote[side] || wroteRecord[size_t(i)][size_t(side)];
        }
        for (const bool sourceSide : {true, false}) {
            if (wrote[sourceSide ? 0 : 1]) {
                locks[sourceSide ? 0 : 1]->commit();
                committed[sourceSide ? 0 : 1] = true;
            }
        }
        for (qsizetype i = 0; i < n; ++i) {
            ResolveResult &r = results[i];
            r.outcome = refused[size_t(i)]           ? ResolveResult::Outcome::Refused
                        : !recordError[i].isEmpty() ? ResolveResult::Outcome::Failed
                                                    : ResolveResult::Outcome::Applied;
            r.error = refused[size_t(i)] ? refusal : recordError[i];
        }
    } catch (const SyncError &e) {
        for (qsizetype i = 0; i < n; ++i) {
            ResolveResult &r = results[i];
            if (refused[size_t(i)]) { // checked under the lock: refused whatever came after
                r.outcome = ResolveResult::Outcome::Refused;
                r.error = refusal;
                continue;
            }
            // What reached a system for this record, should one side commit and the other fail.
            QStringList sides;
            for (const bool sourceSide : {true, false})
                if (committed[sourceSide ? 0 : 1] && wroteRecord[size_t(i)][sourceSide ? 0 : 1])
                    sides << sideName(sourceSide);
            r.outcome = ResolveResult::Outcome::Failed;
            r.error = sides.isEmpty()
                          ? e.message()
                          : QStringLiteral("the %1 was written, then the other side failed: %2; "
                                           "the record is now in a new state: look at it again")
                                .arg(sides.join(QStringLiteral(" and ")), e.message());
        }
    }

    // (3) Agreement again, read back once for the batch.
    QList<QJsonValue> after(n);
    QList<KeyText> written;
    QList<qsizetype> writtenAt;
    for (qsizetype i = 0; i < n; ++i) {
        const bool reached = (committed[0] && wroteRecord[size_t(i)][0]) || (committed[1] && wroteRecord[size_t(i)][1]);
        if (results[i].outcome == ResolveResult::Outcome::Applied || reached) {
            written << plans[i].key;
            writtenAt << i;
        }
    }
    if (!written.isEmpty()) {
        try {
            const QList<RecordDetail> now = f.details(
                written, [](const QByteArray &) { return std::optional<StoredBaseline>(); }, 0);
            StateChanges changes;
            for (qsizetype w = 0; w < written.size(); ++w)
                after[writtenAt[w]] = settle(plans[writtenAt[w]], now[w], results[writtenAt[w]], changes);
            m_store.apply(changes);
        } catch (const SyncError &e) {
            for (const qsizetype i : std::as_const(writtenAt))
                noteReadBackFailed(results[i], e);
        }
    }

    // (4) Every outcome, counted with it, in one transaction.
    QList<QJsonObject> outcomes;
    QHash<QString, ActivityCount> counts;
    for (qsizetype i = 0; i < n; ++i) {
        const auto [entry, counted] = outcomeEntry(plans[i], results[i], after[i], operatorName);
        outcomes << entry;
        const QString slot = counted.name + u'@' + QString::number(counted.hourStartMs); // a batch may span an hour
        auto c = counts.find(slot);
        if (c == counts.end())
            counts.insert(slot, counted);
        else
            c->value += counted.value;
    }
    const QList<AuditRow> outcomeRows = m_store.appendAudits(outcomes, counts.values());
    for (qsizetype i = 0; i < n; ++i)
        results[i].outcomeSeq = outcomeRows[i].seq;
    return results;
}

int ResolutionService::closeOpenIntents()
{
    // The store keeps the intents without an outcome apart: none of the log is read for them.
    QHash<QString, QJsonObject> open;
    QStringList order;
    for (const AuditRow &row : m_store.openIntentRows()) {
        const QJsonObject e = QJsonDocument::fromJson(row.entry).object();
        const QString id = e.value(u"id").toString();
        open.insert(id, e);
        order << id;
    }
    int closed = 0;
    const QString thisHost = QHostInfo::localHostName();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const QString &id : order) {
        if (!open.contains(id))
            continue;
        const QJsonObject intent = open.value(id);
        // Only intents whose process is gone: one on this host whose pid no longer runs, or
        // one from elsewhere old enough that no resolve can still be working on it.
        const bool local = intent.value(u"host").toString() == thisHost;
        const auto pid = pid_t(intent.value(u"pid").toInteger());
        const bool alive = local && pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
        const QDateTime at = QDateTime::fromString(intent.value(u"at").toString(), Qt::ISODateWithMs);
        if (alive || (!local && at.isValid() && at.secsTo(now) < 15 * 60))
            continue;
        QString outcome = QStringLiteral("failed");
        QString error;
        QJsonValue after;
        if (!m_workspace.flow(intent.value(u"flow").toString())) {
            error = QStringLiteral("interrupted; the flow no longer exists, so it cannot be checked");
        } else try {
            FlowSides &f = flow(intent.value(u"flow").toString());
            const KeyText key = FlowSides::keyText(
                QJsonDocument(intent.value(u"key").toArray()).toJson(QJsonDocument::Compact));
            const RecordDetail current = f.detail(key, std::nullopt, 0);
            after = QJsonObject{{QStringLiteral("source"), sideJson(current, true)},
                                {QStringLiteral("target"), sideJson(current, false)}};
            QStringList written, untouched, changed;
            for (bool source : {true, false}) {
                const QString now = rowHashText(source ? current.state.source : current.state.target);
                const QString seenHash = intent.value(source ? u"expected_source_hash"
                                                             : u"expected_target_hash").toString();
                bool holdsDecision = false;
                if (intent.contains(u"planned")) {
                    const QJsonObject planned = intent.value(u"planned").toObject()
                                                    .value(sideName(source)).toObject();
                    if (!planned.value(u"write").toBool())
                        continue;
                    holdsDecision = valuesJson(current, rowOf(current, source)) == planned.value(u"values");
                } else {
                    // An intent of an earlier version: one side whole, written to the other.
                    const bool takeSource = intent.value(u"choice").toString() == u"take_source";
                    if (source == takeSource)
                        continue;
                    holdsDecision = now == intent.value(takeSource ? u"expected_source_hash"
                                                                   : u"expected_target_hash").toString();
                }
                if (holdsDecision)
                    written << sideName(source);
                else if (now == seenHash)
                    untouched << sideName(source);
                else
                    changed << sideName(source);
            }
            if (!changed.isEmpty()) {
                outcome = QStringLiteral("refused");
                error = QStringLiteral("interrupted; the %1 has changed since, by someone else")
                            .arg(changed.join(QStringLiteral(" and ")));
            } else if (untouched.isEmpty()) {
                outcome = QStringLiteral("applied");
            } else if (written.isEmpty()) {
                error = QStringLiteral("interrupted before the write; nothing was written");
            } else {
                error = QStringLiteral("interrupted between the two systems: the %1 was written, "
                                       "the %2 was not")
                            .arg(written.join(QStringLiteral(" and ")), untouched.join(QStringLiteral(" and ")));
            }
        } catch (const SyncError &) {
            continue; // a system is away: leave the intent open for a later run to check
        }
        QJsonObject entry{{QStringLiteral("type"), QStringLiteral("outcome")}, {QStringLiteral("id"), id},
                          {QStringLiteral("at"), isoNow()},
                          {QStringLiteral("flow"), intent.value(u"flow")}, {QStringLiteral("key"), intent.value(u"key")},
                          {QStringLiteral("choice"), intent.value(u"choice")},
                          {QStringLiteral("outcome"), outcome}, {QStringLiteral("after"), after},
                          {QStringLiteral("recovered"), true}};
        if (!error.isEmpty())
            entry.insert(QStringLiteral("error"), error);
        m_store.appendAudit(entry);
        ++closed;
    }
    return closed;
}

} // namespace syncdesk
