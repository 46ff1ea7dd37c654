#include "DiffCommand.h"

#include "CommandLine.h"
#include "DiffReport.h"
#include "ExitCode.h"
#include "engine/Reconciler.h"
#include "model/SyncError.h"
#include "model/WorkspaceLoader.h"

namespace syncdesk::cli {

int DiffCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("diff"),
                   QStringLiteral(
                       "Compares the source and target of one flow in full and counts records "
                       "by status.\nBoth tables are streamed once, in key order, at the same "
                       "time; nothing is written anywhere.\nRows whose key has a NULL name no "
                       "record and are counted apart (source_null_keys, target_null_keys).\n\n"
                       "Exit status: 0 in sync, 1 differences found, 2 bad input or failure."));
    QCommandLineParser &p = cl.parser();
    p.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace file (JSON)."),
                 QStringLiteral("file")});
    p.addOption({QStringLiteral("flow"), QStringLiteral("Name of the flow to compare."),
                 QStringLiteral("name")});
    p.addOption({QStringLiteral("json"),
                 QStringLiteral("Print one JSON object: flow, source_rows, target_rows, in_sync, "
                                "different, missing_in_target, missing_in_source, elapsed_ms.")});
    p.addOption({QStringLiteral("list"),
                 QStringLiteral("Also list every record that is not in sync: key, status, the "
                                "differing fields, and the row hash on each side (the hashes "
                                "resolve --expect-*-hash takes).")});
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace"), QStringLiteral("flow")});
        code >= 0)
        return code;

    try {
        const Workspace ws = WorkspaceLoader::load(p.value(QStringLiteral("workspace")));
        const QString flowName = p.value(QStringLiteral("flow"));
        const FlowSpec *flow = ws.flow(flowName);
        if (!flow) {
            QStringList names;
            for (const FlowSpec &f : ws.flows)
                names << f.name;
            printError(QStringLiteral("%1: no flow named '%2' (flows: %3)")
                           .arg(ws.filePath, flowName,
                                names.isEmpty() ? QStringLiteral("none") : names.join(u", ")));
            return ExitFailure;
        }
        DiffOptions options;
        options.listRecords = p.isSet(QStringLiteral("list"));
        const DiffResult result = Reconciler(ws, *flow).run(options);
        printOut(p.isSet(QStringLiteral("json")) ? DiffReport::json(result, options.listRecords)
                                                 : DiffReport::text(result, options.listRecords));
        return result.inSyncOverall() ? ExitOk : ExitDifferences;
    } catch (const SyncError &e) {
        printError(e.message());
        return ExitFailure;
    }
}

} // namespace syncdesk::cli
