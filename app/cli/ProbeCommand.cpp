#include "ProbeCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "model/SyncError.h"
#include "model/WorkspaceLoader.h"
#include "probe/ProbeTable.h"

namespace syncdesk::cli {

int ProbeCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("probe"),
                   QStringLiteral(
                       "  syncdesk-cli probe sql --workspace W [--flow F]\n\n"
                       "Prints what the tracer probe of each flow with \"probe\" needs and does: "
                       "the probe table\nto create at the source and at the target (your "
                       "pipeline must carry it like the flow's own\ntable), the statement that "
                       "watch and the console send to the source every interval, and\nthe one "
                       "they read the target with. Nothing is run: review it, create the tables "
                       "yourself."));
    QCommandLineParser &p = cl.parser();
    p.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace file (JSON)."), QStringLiteral("file")});
    p.addOption({QStringLiteral("flow"), QStringLiteral("Only this flow."), QStringLiteral("name")});
    QString action;
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace")}, {QStringLiteral("sql")}, &action);
        code >= 0)
        return code;
    try {
        const Workspace ws = WorkspaceLoader::load(p.value(QStringLiteral("workspace")));
        const QString only = p.value(QStringLiteral("flow"));
        if (!only.isEmpty() && !ws.flow(only)) {
            printError(QStringLiteral("probe: no flow named '%1' in %2").arg(only, ws.filePath));
            return ExitFailure;
        }
        QString out;
        for (const FlowSpec &f : ws.flows) {
            if (!f.probe || (!only.isEmpty() && f.name != only))
                continue;
            const ProbeSpec &probe = *f.probe;
            const SystemSpec &source = *ws.system(f.source.system);
            const SystemSpec &target = *ws.system(f.target.system);
            out += QStringLiteral("-- flow '%1': a token every %2 s into row id '%3'; stalled after %4 s\n")
                       .arg(f.name).arg(probe.intervalSeconds).arg(probe.id).arg(probe.stallAfterSeconds);
            out += QStringLiteral("-- at the source, system '%1' (%2):\n%3;\n")
                       .arg(source.name, systemKindName(source.kind),
                            ProbeTable::createStatement(source.kind, probe.sourceTable));
            out += QStringLiteral("-- at the target, system '%1' (%2), filled by your pipeline:\n%3;\n")
                       .arg(target.name, systemKindName(target.kind),
                            ProbeTable::createStatement(target.kind, probe.targetTable));
            out += QStringLiteral("-- sent to the source every %1 s (id, a fresh token, the time sent in ms):\n%2;\n")
                       .arg(probe.intervalSeconds)
                       .arg(ProbeTable::writeStatement(source.kind, probe.sourceTable));
            out += QStringLiteral("-- read from the target every 250 ms:\n%1;\n\n")
                       .arg(ProbeTable::readStatement(target.kind, probe.targetTable));
        }
        if (out.isEmpty()) {
            printError(QStringLiteral("probe: no flow%1 of %2 has a \"probe\"")
                           .arg(only.isEmpty() ? QString() : QStringLiteral(" '%1'").arg(only), ws.filePath));
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
