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
                       "by status.\nBoth tables are streamed once, at the same time; nothing "
                       "is written anywhere.\nRows whose key has a NULL name no "
                       "record and are counted apart (source_null_keys, target_null_keys).\n\n"
                       "Records are paired by a merge of both tables in key order where neither "
                       "system has to sort\nfor it, otherwise by matching keys through hash "
                       "partitions (no order needed; spilled\nto temporary files past the memory "
                       "budget). Both give the same result.\n\n"
                       "Exit status: 0 in sync, 1 differences found, 2 bad input or failure."));
    QCommandLineParser &p = cl.parser();
    p.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace file (JSON)."),
                 QStringLiteral("file")});
    p.addOption({QStringLiteral("flow"), QStringLiteral("Name of the flow to compare."),
                 QStringLiteral("name")});
    p.addOption({QStringLiteral("json"),
                 QStringLiteral("Print one JSON object: flow, source_rows, target_rows, in_sync, "
                                "different, missing_in_target, missing_in_source, elapsed_ms, "
                                "method, order.")});
    p.addOption({QStringLiteral("list"),
                 QStringLiteral("Also list every record that is not in sync: key, status, the "
                                "differing fields, and the row hash on each side (the hashes "
                                "resolve --expect-*-hash takes).")});
    p.addOption({QStringLiteral("order"),
                 QStringLiteral("How records are paired: merge (both sides read in key order), hash "
                                "(any order, matched by key), or auto (default: the merge where "
                                "neither system sorts for it)."),
                 QStringLiteral("merge|hash|auto"), QStringLiteral("auto")});
    p.addOption({QStringLiteral("memory-budget"),
                 QStringLiteral("Megabytes the hash pairing may hold before it spills to temporary "
                                "files in TMPDIR (default 256)."),
                 QStringLiteral("MB"), QStringLiteral("256")});
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace"), QStringLiteral("flow")});
        code >= 0)
        return code;
    DiffOptions options;
    const QString order = p.value(QStringLiteral("order"));
    if (order == u"merge")
        options.order = DiffOptions::Order::Merge;
    else if (order == u"hash")
        options.order = DiffOptions::Order::Hash;
    else if (order != u"auto") {
        printError(QStringLiteral("diff: --order must be merge, hash or auto, got '%1'").arg(order));
        return ExitFailure;
    }
    bool ok = false;
    const qint64 budgetMb = p.value(QStringLiteral("memory-budget")).toLongLong(&ok);
    if (!ok || budgetMb < 1 || budgetMb > 1024 * 1024) {
        printError(QStringLiteral("diff: --memory-budget must be a number of megabytes (1 or more), got '%1'")
                       .arg(p.value(QStringLiteral("memory-budget"))));
        return ExitFailure;
    }
    options.memoryBudgetBytes = budgetMb << 20;

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
