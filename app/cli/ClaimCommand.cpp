#include "ClaimCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "model/SyncError.h"
#include "resolution/ResolutionService.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QHostInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace syncdesk::cli {

namespace {


QString utc(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

int list(StateStore &store, const QString &flow, bool json)
{
    QByteArray out;
    QJsonArray all;
    for (const Claim &c : store.claims(flow)) {
        if (json)
            all.append(QJsonObject{{QStringLiteral("flow"), c.flow},
                                   {QStringLiteral("key"), QJsonDocument::fromJson(c.keyJson).array()},
                                   {QStringLiteral("operator"), c.operatorName},
                                   {QStringLiteral("os_user"), c.osUser},
                                   {QStringLiteral("host"), c.host},
                                   {QStringLiteral("claimed_at"), utc(c.claimedAtMs)},
                                   {QStringLiteral("expires_at"), utc(c.expiresAtMs)}});
        else
            out += QStringLiteral("%1\t%2\t%3\n").arg(c.flow, QString::fromUtf8(c.keyJson), c.text()).toUtf8();
    }
    printOut(json ? QJsonDocument(all).toJson(QJsonDocument::Compact) + '\n' : out);
    return ExitOk;
}

} // namespace

int ClaimCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("claim"),
                   QStringLiteral(
                       "Claims a record, so that a resolution of it by anyone else is refused "
                       "(exit 5) while the claim holds.\nA claim lapses after --minutes (the workspace's claim_minutes, 30 unless set); "
                       "claiming again renews it.\n\n"
                       "  syncdesk-cli claim --workspace W --flow F --key K… [--operator NAME] [--minutes N]\n"
                       "  syncdesk-cli claim --workspace W --flow F --key K… --release      end one's own claim\n"
                       "  syncdesk-cli claim --workspace W --flow F --key K… --release --break --reason R\n"
                       "                                  end anyone's (an admin, in a team's store; audited)\n"
                       "  syncdesk-cli claim --workspace W --list [--flow F] [--json]     the claims that hold\n\n"
                       "Exit status: 0 done, 5 not allowed (claimed by another operator, or the state "
                       "store's role forbids it),\n2 bad input or failure."));
    QCommandLineParser &p = cl.parser();
    cl.addWorkspaceOptions();
    p.addOption({QStringLiteral("flow"), QStringLiteral("Name of the flow."), QStringLiteral("name")});
    p.addOption({QStringLiteral("key"), QStringLiteral("Key value; repeat for each key column, in order."),
                 QStringLiteral("value")});
    p.addOption({QStringLiteral("operator"), QStringLiteral("Operator name (default: the OS user)."),
                 QStringLiteral("name")});
    p.addOption({QStringLiteral("minutes"),
                 QStringLiteral("How long the claim holds (default: the workspace's claim_minutes, else 30)."),
                 QStringLiteral("n")});
    p.addOption({QStringLiteral("release"), QStringLiteral("End the claim instead.")});
    p.addOption({QStringLiteral("break"), QStringLiteral("With --release: end another operator's claim (audited).")});
    p.addOption({QStringLiteral("reason"), QStringLiteral("With --break: why (kept in the audit log)."),
                 QStringLiteral("text")});
    p.addOption({QStringLiteral("list"), QStringLiteral("List the claims that hold.")});
    p.addOption({QStringLiteral("json"), QStringLiteral("With --list: as JSON.")});
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace")}); code >= 0)
        return code;

    const bool listing = p.isSet(QStringLiteral("list"));
    const bool release = p.isSet(QStringLiteral("release"));
    const bool breaking = p.isSet(QStringLiteral("break"));
    if (breaking && !release) {
        printError(QStringLiteral("claim: --break goes with --release"));
        return ExitFailure;
    }
    if (breaking && p.value(QStringLiteral("reason")).trimmed().isEmpty()) {
        printError(QStringLiteral("claim: breaking another's claim needs a reason (--reason)"));
        return ExitFailure;
    }
    if (!listing && (!p.isSet(QStringLiteral("flow")) || !p.isSet(QStringLiteral("key")))) {
        printError(QStringLiteral("claim: --flow and --key are required (or --list)"));
        return ExitFailure;
    }
    bool ok = true;
    int minutes = 0; // 0: the workspace's
    if (p.isSet(QStringLiteral("minutes")))
        minutes = p.value(QStringLiteral("minutes")).toInt(&ok);
    if (!ok || (p.isSet(QStringLiteral("minutes")) && (minutes < 1 || minutes > 7 * 24 * 60))) {
        printError(QStringLiteral("claim: --minutes must be a whole number from 1 to 10080 (a week), not '%1'")
                       .arg(p.value(QStringLiteral("minutes"))));
        return ExitFailure;
    }
    const QString flow = p.value(QStringLiteral("flow"));
    const QString operatorName = p.value(QStringLiteral("operator")).isEmpty() ? osUser()
                                                                               : p.value(QStringLiteral("operator"));
    try {
        const Workspace ws = cl.workspace();
        if (minutes == 0)
            minutes = ws.claimMinutes;
        if (!flow.isEmpty() && !ws.flow(flow)) {
            printError(QStringLiteral("claim: no flow named '%1'").arg(flow));
            return ExitFailure;
        }
        const auto store = StateStore::open(ws);
        if (listing)
            return list(*store, flow, p.isSet(QStringLiteral("json")));
        ResolutionService service(ws, *store);
        KeyText key;
        for (const QString &v : p.values(QStringLiteral("key")))
            key.append(v);
        const QByteArray keyJson = service.keyJson(flow, key);
        const QString record = QStringLiteral("flow '%1' key %2").arg(flow, QString::fromUtf8(keyJson));
        const QJsonObject who{{QStringLiteral("operator"), operatorName},
                              {QStringLiteral("os_user"), osUser()},
                              {QStringLiteral("host"), QHostInfo::localHostName()}};
        if (breaking) {
            const std::optional<Claim> broken =
                store->breakClaim(flow, keyJson, who, p.value(QStringLiteral("reason")));
            printOut((broken ? QStringLiteral("%1: broke the claim of %2 (audited)\n").arg(record, broken->operatorName)
                             : QStringLiteral("%1 was not claimed\n").arg(record))
                         .toUtf8());
            return ExitOk;
        }
        if (release) {
            const bool held = store->releaseClaim(flow, keyJson, operatorName);
            printOut((held ? QStringLiteral("%1 released\n") : QStringLiteral("%1 was not claimed\n"))
                         .arg(record)
                         .toUtf8());
            return ExitOk;
        }
        const Claim c = store->takeClaim(flow, keyJson, who, qint64(minutes) * 60 * 1000);
        printOut(QStringLiteral("%1 %2\n").arg(record, c.text()).toUtf8());
        return ExitOk;
    } catch (const SyncError &e) {
        printError(QStringLiteral("claim: %1").arg(e.message()));
        return e.notAllowed() ? ExitNotAllowed : ExitFailure;
    }
}

} // namespace syncdesk::cli
