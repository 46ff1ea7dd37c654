#include "TeamCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "model/SyncError.h"
#include "model/Workspace.h"
#include "state/TeamSetup.h"

namespace syncdesk::cli {

int TeamCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("team"),
                   QStringLiteral(
                       "A team's state store: one PostgreSQL database that every desk and agent of "
                       "a workspace shares\n(its \"state\" key, or --state). Run by the database's "
                       "owner, with the right to create roles.\n\n"
                       "  syncdesk-cli team setup --state URI    the schema, the roles syncdesk_viewer, "
                       "syncdesk_auditor,\n"
                       "                                         syncdesk_resolver, syncdesk_agent and "
                       "syncdesk_admin, their grants\n"
                       "                                         and row-level security on claims; "
                       "again after an upgrade\n"
                       "  syncdesk-cli team grant --state URI --user LOGIN --role ROLE\n"
                       "                                         give an existing login one of those "
                       "roles (viewer, auditor,\n"
                       "                                         resolver, agent, admin)\n\n"
                       "Exit status: 0 done, 5 the connecting role may not, 2 bad input or failure."));
    QCommandLineParser &p = cl.parser();
    p.addOption({QStringLiteral("state"), QStringLiteral("The team's state store: a postgresql:// URI."),
                 QStringLiteral("uri")});
    p.addOption({QStringLiteral("user"), QStringLiteral("grant: the login to give the role."), QStringLiteral("login")});
    p.addOption({QStringLiteral("role"), QStringLiteral("grant: viewer, auditor, resolver, agent or admin."),
                 QStringLiteral("role")});
    QString action;
    if (const int code = cl.parse(arguments, {QStringLiteral("state")},
                                  {QStringLiteral("setup"), QStringLiteral("grant")}, &action);
        code >= 0)
        return code;
    const QString uri = p.value(QStringLiteral("state"));
    if (!isStateUri(uri)) {
        printError(QStringLiteral("team: --state must be a postgresql:// URI: a team shares one PostgreSQL "
                                  "database (an SQLite file is one desk's)"));
        return ExitFailure;
    }
    try {
        if (action == u"grant") {
            for (const char *needed : {"user", "role"}) {
                if (p.value(QLatin1String(needed)).isEmpty()) {
                    printError(QStringLiteral("team grant: --%1 is required").arg(QLatin1String(needed)));
                    return ExitFailure;
                }
            }
            TeamSetup::grant(uri, p.value(QStringLiteral("user")), p.value(QStringLiteral("role")));
            printOut(QStringLiteral("%1 is now a member of syncdesk_%2\n")
                         .arg(p.value(QStringLiteral("user")), p.value(QStringLiteral("role")))
                         .toUtf8());
            return ExitOk;
        }
        const TeamSetup::Result r = TeamSetup::run(uri);
        printOut(QStringLiteral("state store at schema version %1; roles %2; grants and row-level security "
                                "in place\n")
                     .arg(r.schemaVersion)
                     .arg(r.rolesCreated.isEmpty() ? QStringLiteral("already there")
                                                   : QStringLiteral("created: ") + r.rolesCreated.join(QStringLiteral(", ")))
                     .toUtf8());
        return ExitOk;
    } catch (const SyncError &e) {
        printError(QStringLiteral("team %1: %2").arg(action, e.message()));
        return e.notAllowed() ? ExitNotAllowed : ExitFailure;
    }
}

} // namespace syncdesk::cli
