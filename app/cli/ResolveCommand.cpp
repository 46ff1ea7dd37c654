#include "ResolveCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "model/SyncError.h"
#include "resolution/BulkResolution.h"
#include "resolution/PlanText.h"
#include "resolution/ResolutionService.h"
#include "state/StateStore.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace syncdesk::cli {

namespace {

// "0123abcd…" (16 hex digits) or "null" (the record must be absent).
bool parseHash(const QString &text, std::optional<RowHash> *out)
{
    if (text == u"null" || text == u"absent") {
        *out = RowHash();
        return true;
    }
    bool ok = false;
    const quint64 v = text.toULongLong(&ok, 16);
    if (!ok || text.size() != 16)
        return false;
    *out = RowHash(v);
    return true;
}

// "NAME=VALUE" → (NAME, VALUE); false when there is no '=' or no name.
bool splitAssignment(const QString &text, QString *name, QString *value)
{
    const qsizetype eq = text.indexOf(u'=');
    if (eq <= 0)
        return false;
    *name = text.left(eq);
    *value = text.mid(eq + 1);
    return true;
}

int printResult(const ResolutionPlan &plan, const ResolveResult &r)
{
    // Which record, so a script running many resolutions knows which one to look at.
    const QString record = QStringLiteral("flow '%1' key %2")
                               .arg(plan.seen.flow, QString::fromUtf8(plan.seen.keyJson));
    switch (r.outcome) {
    case ResolveResult::Outcome::Applied:
        printOut(QStringLiteral("applied (audit entries %1 and %2; resolution %3)\n")
                     .arg(r.intentSeq).arg(r.outcomeSeq).arg(r.id).toUtf8());
        if (!r.error.isEmpty())
            printError(QStringLiteral("resolve: %1").arg(r.error));
        return ExitOk;
    case ResolveResult::Outcome::Refused:
        printError(QStringLiteral("resolve: refused: %1: %2 (audit entries %3 and %4)")
                       .arg(record, r.error).arg(r.intentSeq).arg(r.outcomeSeq));
        return ExitRefused;
    case ResolveResult::Outcome::Failed:
        break;
    }
    printError(QStringLiteral("resolve: failed: %1: %2 (audit entries %3 and %4)")
                   .arg(record, r.error).arg(r.intentSeq).arg(r.outcomeSeq));
    return ExitFailure;
}

void printPlan(const ResolutionPlan &plan, bool json)
{
    printOut(json ? QJsonDocument(planJson(plan)).toJson(QJsonDocument::Compact) + '\n'
                  : planText(plan).toUtf8());
}

// A bulk resolution: the rule from the options, then a preview or the run.
int runBulk(const QCommandLineParser &p, const Workspace &ws, StateStore &store,
            ResolutionService &service, const ResolveRequest &request)
{
    BulkRule rule;
    rule.flow = request.flow;
    rule.take = request.take;
    const QString status = p.value(QStringLiteral("status"));
    const auto parsed = statusFromName(status);
    if (!parsed) {
        printError(QStringLiteral("resolve: --status '%1' is not a record status").arg(status));
        return ExitFailure;
    }
    rule.status = *parsed;
    if (p.isSet(QStringLiteral("where"))) {
        const QString where = p.value(QStringLiteral("where"));
        QString name, value;
        if (splitAssignment(where, &name, &value)) {
            rule.field = name;
            rule.value = value;
        } else {
            rule.field = where;
        }
    }
    BulkResolution bulk(ws, store, service);
    const QList<BulkRecord> keys = bulk.select(rule);
    if (p.isSet(QStringLiteral("preview"))) {
        bool ok = false;
        const int sample = p.value(QStringLiteral("sample")).toInt(&ok);
        if (!ok || sample < 0) {
            printError(QStringLiteral("resolve: --sample must be a count"));
            return ExitFailure;
        }
        const bool json = p.isSet(QStringLiteral("json"));
        QJsonArray plans;
        if (!json)
            printOut(QStringLiteral("%1 record(s) match %2; the first %3:\n\n")
                         .arg(keys.size()).arg(rule.text()).arg(std::min<qsizetype>(sample, keys.size()))
                         .toUtf8());
        for (qsizetype i = 0; i < std::min<qsizetype>(sample, keys.size()); ++i) {
            ResolveRequest one = request;
            one.key = keys[i].key;
            const ResolutionPlan plan = service.plan(one);
            if (json)
                plans.append(planJson(plan));
            else
                printOut(planText(plan).toUtf8() + '\n');
        }
        if (json)
            printOut(QJsonDocument(QJsonObject{{QStringLiteral("total"), qint64(keys.size())},
                                               {QStringLiteral("rule"), rule.text()},
                                               {QStringLiteral("sample"), plans}})
                         .toJson(QJsonDocument::Compact) + '\n');
        return ExitOk;
    }
    const BulkResult r = bulk.apply(rule, keys, request.reason, request.operatorName);
    printOut(QStringLiteral("%1 of %2 record(s) applied, %3 refused (changed meanwhile), %4 left "
                            "alone (claimed by another operator)\n")
                 .arg(r.applied).arg(keys.size()).arg(r.refused).arg(r.claimed).toUtf8());
    if (r.stopped) {
        printError(QStringLiteral("resolve: stopped: %1; the records before it are resolved and "
                                  "audited, the rest untouched")
                       .arg(r.error));
        return r.notAllowed ? ExitNotAllowed : ExitFailure;
    }
    return r.refused > 0 ? ExitRefused : r.claimed > 0 ? ExitNotAllowed : ExitOk;
}

} // namespace

int ResolveCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("resolve"),
                   QStringLiteral(
                       "Applies one audited resolution. Both sides are locked and checked to still "
                       "hold what was read\n(or the --expect-*-hash values that `diff --list` "
                       "printed); then the sides that differ from the\ndecision are written, each "
                       "in one transaction. The intent and the outcome go to the audit log.\n\n"
                       "One record:  --flow F --key K… --take source|target|baseline "
                       "[--field NAME=SIDE…] [--set NAME=VALUE…]\n"
                       "             --take merge: each field from the side that changed it "
                       "(refused where a field changed on both)\nUndo:        --undo ID  "
                       "(the id `resolve` printed; puts back what that resolution overwrote)\n"
                       "Bulk:        --flow F --status S [--where FIELD[=VALUE]] --take SIDE  "
                       "(every matching record)\nWith --preview nothing is written: the "
                       "statements each system would run are printed.\n\n"
                       "Exit status: 0 applied, 3 refused because the record changed (bulk: some "
                       "were), 5 not allowed\n(claimed by another operator, bulk: some were; or the "
                       "state store's role forbids it), 2 bad input or failure."));
    QCommandLineParser &p = cl.parser();
    cl.addWorkspaceOptions();
    p.addOption({QStringLiteral("flow"), QStringLiteral("Name of the flow."), QStringLiteral("name")});
    p.addOption({QStringLiteral("key"), QStringLiteral("Key value; repeat for each key column, in order."),
                 QStringLiteral("value")});
    p.addOption({QStringLiteral("take"),
                 QStringLiteral("Which values are right: source, target, baseline (what both "
                                "last agreed on) or merge (each field from the side that changed it)."),
                 QStringLiteral("side")});
    p.addOption({QStringLiteral("field"),
                 QStringLiteral("Take one field from another side: NAME=source|target|baseline "
                                "(repeatable)."),
                 QStringLiteral("pick")});
    p.addOption({QStringLiteral("set"), QStringLiteral("Set one field to a value: NAME=VALUE (repeatable)."),
                 QStringLiteral("assignment")});
    p.addOption({QStringLiteral("set-null"), QStringLiteral("Set one field to NULL (repeatable)."),
                 QStringLiteral("name")});
    p.addOption({QStringLiteral("reason"), QStringLiteral("Why (mandatory; kept in the audit log)."),
                 QStringLiteral("text")});
    p.addOption({QStringLiteral("operator"), QStringLiteral("Operator name (default: the OS user)."),
                 QStringLiteral("name")});
    p.addOption({QStringLiteral("expect-source-hash"),
                 QStringLiteral("Refuse unless the source row still has this hash (null: absent)."),
                 QStringLiteral("hash")});
    p.addOption({QStringLiteral("expect-target-hash"),
                 QStringLiteral("Refuse unless the target row still has this hash (null: absent)."),
                 QStringLiteral("hash")});
    p.addOption({QStringLiteral("preview"), QStringLiteral("Print what would be written; write nothing.")});
    p.addOption({QStringLiteral("json"), QStringLiteral("With --preview: the plan as JSON.")});
    p.addOption({QStringLiteral("undo"), QStringLiteral("Undo the resolution with this id."),
                 QStringLiteral("id")});
    p.addOption({QStringLiteral("status"),
                 QStringLiteral("Bulk: resolve every record of the flow with this status."),
                 QStringLiteral("status")});
    p.addOption({QStringLiteral("where"),
                 QStringLiteral("Bulk: only records where FIELD differs, or where either side "
                                "holds VALUE in it."),
                 QStringLiteral("FIELD[=VALUE]")});
    p.addOption({QStringLiteral("sample"), QStringLiteral("Bulk --preview: how many records to show (10)."),
                 QStringLiteral("n"), QStringLiteral("10")});
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace")}); code >= 0)
        return code;

    const bool undo = p.isSet(QStringLiteral("undo"));
    const bool bulk = p.isSet(QStringLiteral("status"));
    const bool single = p.isSet(QStringLiteral("key"));
    const bool preview = p.isSet(QStringLiteral("preview"));
    if (int(undo) + int(bulk) + int(single) != 1) {
        printError(QStringLiteral("resolve: give exactly one of --key (one record), --status (bulk) "
                                  "or --undo ID"));
        return ExitFailure;
    }
    for (const char *needed : {"flow", "take"}) {
        if (!undo && !p.isSet(QLatin1String(needed))) {
            printError(QStringLiteral("resolve: --%1 is required").arg(QLatin1String(needed)));
            return ExitFailure;
        }
    }
    const QString reason = p.value(QStringLiteral("reason"));
    if (!preview && reason.trimmed().isEmpty()) {
        printError(QStringLiteral("resolve: a reason is required (--reason): say why this value is right"));
        return ExitFailure;
    }

    ResolveRequest request;
    request.flow = p.value(QStringLiteral("flow"));
    request.reason = reason;
    request.operatorName = p.value(QStringLiteral("operator"));
    if (!undo && p.value(QStringLiteral("take")) == u"merge") {
        if (bulk) {
            printError(QStringLiteral("resolve: --take merge is for one record at a time (--key)"));
            return ExitFailure;
        }
        request.merge = true;
    } else if (!undo) {
        const auto take = pickFromName(p.value(QStringLiteral("take")));
        if (!take) {
            printError(QStringLiteral("resolve: --take must be source, target, baseline or merge, "
                                      "not '%1'")
                           .arg(p.value(QStringLiteral("take"))));
            return ExitFailure;
        }
        request.take = *take;
    }
    for (const QString &f : p.values(QStringLiteral("field"))) {
        QString name, side;
        const auto pick = splitAssignment(f, &name, &side) ? pickFromName(side) : std::nullopt;
        if (!pick) {
            printError(QStringLiteral("resolve: --field '%1' must be NAME=source|target|baseline").arg(f));
            return ExitFailure;
        }
        request.fieldPicks.insert(name, *pick);
    }
    for (const QString &s : p.values(QStringLiteral("set"))) {
        QString name, value;
        if (!splitAssignment(s, &name, &value)) {
            printError(QStringLiteral("resolve: --set '%1' must be NAME=VALUE").arg(s));
            return ExitFailure;
        }
        request.customValues.insert(name, value.toUtf8());
    }
    for (const QString &name : p.values(QStringLiteral("set-null")))
        request.customValues.insert(name, std::nullopt);
    for (const char *side : {"expect-source-hash", "expect-target-hash"}) {
        const QString name = QLatin1String(side);
        if (!p.isSet(name))
            continue;
        if (!parseHash(p.value(name), name.contains(u"source") ? &request.expectSource
                                                              : &request.expectTarget)) {
            printError(QStringLiteral("resolve: --%1 must be 16 hex digits or null").arg(name));
            return ExitFailure;
        }
    }
    for (const QString &v : p.values(QStringLiteral("key")))
        request.key.append(v);
    if (bulk && (!request.fieldPicks.isEmpty() || !request.customValues.isEmpty()
                 || request.expectSource || request.expectTarget)) {
        printError(QStringLiteral("resolve: a bulk resolution takes one side whole: --field, --set "
                                  "and --expect-*-hash are for one record"));
        return ExitFailure;
    }

    try {
        const Workspace ws = cl.workspace();
        const auto store = StateStore::open(ws);
        ResolutionService service(ws, *store);
        if (bulk)
            return runBulk(p, ws, *store, service, request);
        if (!preview)
            service.closeOpenIntents();
        const ResolutionPlan plan = undo ? service.planUndo(p.value(QStringLiteral("undo")))
                                         : service.plan(request);
        if (preview) {
            printPlan(plan, p.isSet(QStringLiteral("json")));
            return ExitOk;
        }
        return printResult(plan, service.apply(plan, reason, request.operatorName));
    } catch (const SyncError &e) {
        printError(QStringLiteral("resolve: %1").arg(e.message()));
        return e.notAllowed() ? ExitNotAllowed : ExitFailure;
    }
}

} // namespace syncdesk::cli
