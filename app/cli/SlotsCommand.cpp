#include "SlotsCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "connectors/PgConnection.h"
#include "feeds/PgLogicalFeed.h"
#include "model/SyncError.h"
#include "model/WorkspaceLoader.h"

namespace syncdesk::cli {

int SlotsCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("slots"),
                   QStringLiteral(
                       "Lists or drops the logical replication slots that `watch` keeps on the "
                       "workspace's\nPostgreSQL systems (one per workspace and system, named "
                       "syncdesk_<workspace>_<system>).\nA slot makes the server keep WAL until "
                       "the watch that owns it confirms it: a slot whose\nworkspace is no longer "
                       "watched retains WAL without bound, so drop it.\n\n"
                       "  syncdesk-cli slots list --workspace W   every syncdesk slot, with the "
                       "WAL it retains\n"
                       "  syncdesk-cli slots drop --workspace W   drop this workspace's slots "
                       "(not while a watch\n                                          uses them)"));
    QCommandLineParser &p = cl.parser();
    p.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace file (JSON)."),
                 QStringLiteral("file")});
    p.addOption({QStringLiteral("system"), QStringLiteral("Only this system."),
                 QStringLiteral("name")});
    QString action;
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace")},
                                  {QStringLiteral("list"), QStringLiteral("drop")}, &action);
        code >= 0)
        return code;
    try {
        const Workspace ws = WorkspaceLoader::load(p.value(QStringLiteral("workspace")));
        const QString only = p.value(QStringLiteral("system"));
        if (!only.isEmpty() && !ws.system(only)) {
            printError(QStringLiteral("slots: no system named '%1' in %2").arg(only, ws.filePath));
            return ExitFailure;
        }
        QByteArray out;
        for (const SystemSpec &system : ws.systems) {
            if (system.kind != SystemKind::Postgres || (!only.isEmpty() && system.name != only))
                continue;
            PgConnection conn(system.conninfo,
                              QStringLiteral("system '%1' (postgres)").arg(system.name));
            const QString own = PgLogicalFeed::slotName(ws.filePath, system.name);
            if (action == u"drop") {
                const PgResultPtr r = conn.exec(
                    "slots",
                    "SELECT active FROM pg_replication_slots WHERE slot_name = $1", {own.toUtf8()});
                if (PQntuples(r.get()) == 0) {
                    out += system.name.toUtf8() + ": no slot " + own.toUtf8() + '\n';
                    continue;
                }
                if (*PQgetvalue(r.get(), 0, 0) == 't')
                    throw SyncError(QStringLiteral("system '%1': slot %2 is in use by a running "
                                                   "watch; stop it first").arg(system.name, own));
                conn.exec("slots", "SELECT pg_drop_replication_slot($1)", {own.toUtf8()});
                out += system.name.toUtf8() + ": dropped " + own.toUtf8() + '\n';
                continue;
            }
            const PgResultPtr r = conn.exec(
                "slots",
                "SELECT slot_name, database, active, "
                "pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)), "
                "confirmed_flush_lsn FROM pg_replication_slots "
                "WHERE slot_name LIKE 'syncdesk\\_%' ORDER BY slot_name");
            for (int i = 0; i < PQntuples(r.get()); ++i) {
                const QByteArray name = PQgetvalue(r.get(), i, 0);
                out += system.name.toUtf8() + '\t' + name + "\tdatabase=" + PQgetvalue(r.get(), i, 1)
                       + "\tactive=" + (*PQgetvalue(r.get(), i, 2) == 't' ? "yes" : "no")
                       + "\tretained_wal=" + PQgetvalue(r.get(), i, 3)
                       + "\tconfirmed=" + PQgetvalue(r.get(), i, 4)
                       + (name == own.toUtf8() ? "\tthis workspace" : "") + '\n';
            }
        }
        printOut(out);
        return ExitOk;
    } catch (const SyncError &e) {
        printError(e.message());
        return ExitFailure;
    }
}

} // namespace syncdesk::cli
