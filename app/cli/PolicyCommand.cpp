#include "PolicyCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "model/SyncError.h"
#include "resolution/ResolutionService.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QTimeZone>
#include <QJsonObject>

namespace syncdesk::cli {

int PolicyCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("policy"),
                   QStringLiteral(
                       "The flows' conflict policies (workspace key \"policy\"). A policy's guard "
                       "halts it when it\nwould resolve more than max(100, 1 %) of a flow's records "
                       "within 60 s; it then waits for a person.\n\n"
                       "  syncdesk-cli policy status --workspace W            each flow's policy "
                       "and whether it is halted\n"
                       "  syncdesk-cli policy resume --workspace W --flow F   let a halted policy "
                       "act again (audited);\n"
                       "                                                      the running watch "
                       "picks it up within seconds"));
    QCommandLineParser &p = cl.parser();
    cl.addWorkspaceOptions();
    p.addOption({QStringLiteral("flow"), QStringLiteral("Name of the flow."), QStringLiteral("name")});
    p.addOption({QStringLiteral("reason"), QStringLiteral("Why it may act again (kept in the audit log)."),
                 QStringLiteral("text")});
    p.addOption({QStringLiteral("operator"), QStringLiteral("Operator name (default: the OS user)."),
                 QStringLiteral("name")});
    QString action;
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace")},
                                  {QStringLiteral("status"), QStringLiteral("resume")}, &action);
        code >= 0)
        return code;
    try {
        const Workspace ws = cl.workspace();
        const auto store = StateStore::open(ws);
        if (action == u"status") {
            QByteArray out;
            for (const FlowSpec &f : ws.flows) {
                if (!p.value(QStringLiteral("flow")).isEmpty() && f.name != p.value(QStringLiteral("flow")))
                    continue;
                const std::optional<PolicyState> s = store->policyState(f.name);
                QString state = f.policy == Policy::Manual ? QStringLiteral("-")
                                : f.policyDryRun           ? QStringLiteral("dry run")
                                                           : QStringLiteral("active");
                if (s && s->halted)
                    state = QStringLiteral("halted since %1: %2")
                                .arg(QDateTime::fromMSecsSinceEpoch(s->changedAtMs, Qt::UTC)
                                         .toString(Qt::ISODate),
                                     s->reason);
                out += QStringLiteral("%1\t%2\t%3\n").arg(f.name, policyName(f.policy), state).toUtf8();
            }
            printOut(out);
            return ExitOk;
        }
        const QString flow = p.value(QStringLiteral("flow"));
        const FlowSpec *spec = ws.flow(flow);
        if (flow.isEmpty() || !spec) {
            printError(flow.isEmpty() ? QStringLiteral("policy resume: --flow is required")
                                      : QStringLiteral("policy resume: no flow named '%1'").arg(flow));
            return ExitFailure;
        }
        const std::optional<PolicyState> s = store->policyState(flow);
        if (!s || !s->halted) {
            printError(QStringLiteral("policy resume: the policy of flow '%1' is not halted").arg(flow));
            return ExitFailure;
        }
        // Asked first: the entry below must not record a resume the store then refuses.
        if (const StorePermissions allowed = store->permissions(); !allowed.resumePolicies) {
            printError(QStringLiteral("policy resume: the state store's login '%1' may not resume policies "
                                      "(syncdesk_admin may); nothing was written")
                           .arg(allowed.login));
            return ExitNotAllowed;
        }
        const QString who = p.value(QStringLiteral("operator")).isEmpty() ? osUser()
                                                                          : p.value(QStringLiteral("operator"));
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        QString reason = p.value(QStringLiteral("reason")).trimmed();
        if (reason.isEmpty())
            reason = QStringLiteral("resumed after: ") + s->reason;
        // Audited first: a resume that lets a policy write again is a decision like any other.
        store->appendAudit(QJsonObject{
            {QStringLiteral("type"), QStringLiteral("policy")},
            {QStringLiteral("event"), QStringLiteral("resumed")},
            {QStringLiteral("at"), QDateTime::fromMSecsSinceEpoch(now, Qt::UTC).toString(Qt::ISODateWithMs)},
            {QStringLiteral("flow"), flow},
            {QStringLiteral("policy"), policyName(spec->policy)},
            {QStringLiteral("operator"), who},
            {QStringLiteral("os_user"), osUser()},
            {QStringLiteral("reason"), reason}});
        store->setPolicyState({flow, false, reason, now, who});
        printOut(QStringLiteral("flow '%1': policy %2 resumed\n").arg(flow, policyName(spec->policy)).toUtf8());
        return ExitOk;
    } catch (const SyncError &e) {
        printError(QStringLiteral("policy: %1").arg(e.message()));
        return e.notAllowed() ? ExitNotAllowed : ExitFailure;
    }
}

} // namespace syncdesk::cli
