#include "FeedCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "feeds/PgFeedMode.h"
#include "model/SyncError.h"
#include "model/WorkspaceLoader.h"

namespace syncdesk::cli {

int FeedCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("feed"),
                   QStringLiteral(
                       "  syncdesk-cli feed install-sql --workspace W [--system S]\n\n"
                       "Prints the SQL of the trigger + LISTEN/NOTIFY feed, for PostgreSQL "
                       "systems where logical\ndecoding is not allowed, one block per flow "
                       "table. Nothing is installed: review it and run\nit yourself (psql -f). "
                       "With \"feed\": \"auto\" a watch uses the triggers once every table\nof "
                       "the system has one; \"feed\": \"notify\" asks for them explicitly."));
    QCommandLineParser &p = cl.parser();
    p.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace file (JSON)."),
                 QStringLiteral("file")});
    p.addOption({QStringLiteral("system"), QStringLiteral("Only this system."),
                 QStringLiteral("name")});
    QString action;
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace")},
                                  {QStringLiteral("install-sql")}, &action);
        code >= 0)
        return code;
    try {
        const Workspace ws = WorkspaceLoader::load(p.value(QStringLiteral("workspace")));
        const QString only = p.value(QStringLiteral("system"));
        if (!only.isEmpty() && !ws.system(only)) {
            printError(QStringLiteral("feed: no system named '%1' in %2").arg(only, ws.filePath));
            return ExitFailure;
        }
        QString out;
        for (const FlowSpec &f : ws.flows) {
            for (const bool source : {true, false}) {
                const SystemSpec *system = ws.system(f.side(source).system);
                if (system->kind != SystemKind::Postgres || (!only.isEmpty() && system->name != only))
                    continue;
                QStringList keys;
                for (const ColumnPair &k : f.key)
                    keys << k.name(source);
                out += QStringLiteral("-- system '%1', flow '%2' (%3)\n")
                           .arg(system->name, f.name, source ? QStringLiteral("source")
                                                             : QStringLiteral("target"))
                       + notifyTriggerSql(*system, f.side(source).table, keys) + u'\n';
            }
        }
        if (out.isEmpty()) {
            printError(QStringLiteral("feed: no flow table on a PostgreSQL system%1")
                           .arg(only.isEmpty() ? QString() : QStringLiteral(" '%1'").arg(only)));
            return ExitFailure;
        }
        printOut(out.toUtf8());
        return ExitOk;
    } catch (const SyncError &e) {
        printError(e.message());
        return ExitFailure;
    }
}

} // namespace syncdesk::cli
