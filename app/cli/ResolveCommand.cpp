#include "ResolveCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "model/SyncError.h"
#include "model/WorkspaceLoader.h"
#include "resolution/ResolutionService.h"
#include "state/StateStore.h"


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

} // namespace

int ResolveCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("resolve"),
                   QStringLiteral(
                       "Applies one audited resolution: the chosen side's row is written to the "
                       "other side in one\ntransaction, only if both still hold what was read "
                       "(or the --expect-*-hash values that\n`diff --list` printed). The intent "
                       "and the outcome go to the audit log.\n\nExit status: 0 applied, 3 refused "
                       "because the record changed, 2 bad input or failure."));
    QCommandLineParser &p = cl.parser();
    p.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace file (JSON)."), QStringLiteral("file")});
    p.addOption({QStringLiteral("flow"), QStringLiteral("Name of the flow."), QStringLiteral("name")});
    p.addOption({QStringLiteral("key"), QStringLiteral("Key value; repeat for each key column, in order."),
                 QStringLiteral("value")});
    p.addOption({QStringLiteral("take"), QStringLiteral("Which side is right: source or target."),
                 QStringLiteral("side")});
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
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace"), QStringLiteral("flow"),
                                              QStringLiteral("key"), QStringLiteral("take"),
                                              QStringLiteral("reason")});
        code >= 0)
        return code;
    ResolveRequest request;
    const QString take = p.value(QStringLiteral("take"));
    if (take != u"source" && take != u"target") {
        printError(QStringLiteral("resolve: --take must be source or target, not '%1'").arg(take));
        return ExitFailure;
    }
    request.takeSource = take == u"source";
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
    request.flow = p.value(QStringLiteral("flow"));
    for (const QString &v : p.values(QStringLiteral("key")))
        request.key.append(v);
    request.reason = p.value(QStringLiteral("reason"));
    request.operatorName = p.value(QStringLiteral("operator"));
    try {
        const Workspace ws = WorkspaceLoader::load(p.value(QStringLiteral("workspace")));
        const auto store = StateStore::open(ws);
        const ResolveResult r = ResolutionService(ws, *store).resolve(request);
        switch (r.outcome) {
        case ResolveResult::Outcome::Applied:
            printOut(QStringLiteral("applied (audit entries %1 and %2)\n")
                         .arg(r.intentSeq).arg(r.outcomeSeq).toUtf8());
            if (!r.error.isEmpty())
                printError(QStringLiteral("resolve: %1").arg(r.error));
            return ExitOk;
        case ResolveResult::Outcome::Refused:
            printError(QStringLiteral("resolve: refused: %1 (audit entries %2 and %3)")
                           .arg(r.error).arg(r.intentSeq).arg(r.outcomeSeq));
            return ExitRefused;
        case ResolveResult::Outcome::Failed:
            printError(QStringLiteral("resolve: failed: %1 (audit entries %2 and %3)")
                           .arg(r.error).arg(r.intentSeq).arg(r.outcomeSeq));
            return ExitFailure;
        }
    } catch (const SyncError &e) {
        printError(QStringLiteral("resolve: %1").arg(e.message()));
    }
    return ExitFailure;
}

} // namespace syncdesk::cli
