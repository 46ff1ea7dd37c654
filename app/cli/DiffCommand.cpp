#include "DiffCommand.h"

#include "CommandLine.h"
#include "DiffReport.h"
#include "engine/DiffConfirmation.h"
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
                       "With --method checksum, both PostgreSQL servers count and checksum the rows "
                       "of the same key ranges\nthemselves; rows are read only in ranges that "
                       "differ. Same counts and records as --method rows.\n\n"
                       "Exit status: 0 in sync, 1 differences found, 2 bad input or failure."));
    QCommandLineParser &p = cl.parser();
    p.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace file (JSON)."),
                 QStringLiteral("file")});
    p.addOption({QStringLiteral("flow"), QStringLiteral("Name of the flow to compare."),
                 QStringLiteral("name")});
    p.addOption({QStringLiteral("json"),
                 QStringLiteral("Print one JSON object: flow, source_rows, target_rows, in_sync, "
                                "different, missing_in_target, missing_in_source, elapsed_ms, "
                                "method (rows or checksum), order.")});
    p.addOption({QStringLiteral("list"),
                 QStringLiteral("Also list every record that is not in sync: key, status, the "
                                "differing fields, and the row hash on each side (the hashes "
                                "resolve --expect-*-hash takes).")});
    p.addOption({QStringLiteral("order"),
                 QStringLiteral("How records are paired: merge (both sides read in key order), hash "
                                "(any order, matched by key), or auto (default: the merge where "
                                "neither system sorts for it)."),
                 QStringLiteral("merge|hash|auto"), QStringLiteral("auto")});
    p.addOption({QStringLiteral("method"),
                 QStringLiteral("How the sides are read: rows (every row), checksum (key-range "
                                "checksums computed by both PostgreSQL servers; rows read only where "
                                "they differ), or auto (default: checksum where both sides are "
                                "PostgreSQL with a unique integer or C-collated text key and the "
                                "source holds a million rows or more)."),
                 QStringLiteral("rows|checksum|auto"), QStringLiteral("auto")});
    p.addOption({QStringLiteral("range-rows"),
                 QStringLiteral("With checksums: about how many rows one key range holds (default "
                                "64). Smaller reads fewer rows around each difference, at more "
                                "ranges to checksum."),
                 QStringLiteral("rows"), QStringLiteral("64")});
    p.addOption({QStringLiteral("confirm"),
                 QStringLiteral("Read every record found out of sync again after the flow's measured "
                                "p99 lag (the SLA when none is known): those in sync by then were in "
                                "flight, the others are confirmed. Exits 1 only for confirmed ones.")});
    p.addOption({QStringLiteral("confirm-after"),
                 QStringLiteral("With --confirm: the wait in seconds, instead of the measured lag."),
                 QStringLiteral("seconds")});
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
    const QString method = p.value(QStringLiteral("method"));
    if (method == u"rows")
        options.method = DiffOptions::Method::Rows;
    else if (method == u"checksum")
        options.method = DiffOptions::Method::Checksum;
    else if (method == u"auto")
        options.method = DiffOptions::Method::Auto;
    else {
        printError(QStringLiteral("diff: --method must be rows, checksum or auto, got '%1'").arg(method));
        return ExitFailure;
    }
    bool ok = false;
    options.rangeRows = p.value(QStringLiteral("range-rows")).toLongLong(&ok);
    if (!ok || options.rangeRows < 1 || options.rangeRows > 1'000'000) {
        printError(QStringLiteral("diff: --range-rows must be a number of rows from 1 to 1000000, got '%1'")
                       .arg(p.value(QStringLiteral("range-rows"))));
        return ExitFailure;
    }
    if (options.method == DiffOptions::Method::Checksum && options.order != DiffOptions::Order::Auto) {
        printError(QStringLiteral("diff: --order applies to --method rows, not checksum"));
        return ExitFailure;
    }
    if (p.isSet(QStringLiteral("range-rows")) && options.method == DiffOptions::Method::Rows) {
        printError(QStringLiteral("diff: --range-rows applies to --method checksum (or auto), not rows"));
        return ExitFailure;
    }
    const qint64 budgetMb = p.value(QStringLiteral("memory-budget")).toLongLong(&ok);
    if (!ok || budgetMb < 1 || budgetMb > 1024 * 1024) {
        printError(QStringLiteral("diff: --memory-budget must be a number of megabytes (1 or more), got '%1'")
                       .arg(p.value(QStringLiteral("memory-budget"))));
        return ExitFailure;
    }
    options.memoryBudgetBytes = budgetMb << 20;
    const bool confirm = p.isSet(QStringLiteral("confirm"));
    std::optional<qint64> confirmAfterMs;
    if (p.isSet(QStringLiteral("confirm-after"))) {
        const double seconds = p.value(QStringLiteral("confirm-after")).toDouble(&ok);
        if (!confirm || !ok || seconds < 0 || seconds > 86400) {
            printError(confirm ? QStringLiteral("diff: --confirm-after must be a number of seconds from 0 to 86400, got '%1'")
                                     .arg(p.value(QStringLiteral("confirm-after")))
                               : QStringLiteral("diff: --confirm-after needs --confirm"));
            return ExitFailure;
        }
        confirmAfterMs = qint64(seconds * 1000);
    }

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
        const bool list = p.isSet(QStringLiteral("list"));
        options.listRecords = list || confirm; // the records to read again
        DiffResult result = Reconciler(ws, *flow).run(options);
        if (confirm && !result.inSyncOverall()) {
            DiffConfirmation confirmation(ws, *flow);
            const auto [waitMs, basis] = confirmAfterMs ? std::pair(*confirmAfterMs, QStringLiteral("given"))
                                                        : confirmation.wait();
            // Said before the wait, so that a person (or a script) knows why nothing comes yet.
            printError(QStringLiteral("diff: %1 record(s) out of sync; reading them again in %2 s (%3)")
                           .arg(result.records.size())
                           .arg(double(waitMs) / 1000.0, 0, 'f', 1)
                           .arg(basis));
            confirmation.confirm(result, waitMs, basis);
        }
        printOut(p.isSet(QStringLiteral("json")) ? DiffReport::json(result, list)
                                                 : DiffReport::text(result, list));
        if (result.confirmation)
            return result.confirmation->confirmed == 0 ? ExitOk : ExitDifferences;
        return result.inSyncOverall() ? ExitOk : ExitDifferences;
    } catch (const SyncError &e) {
        printError(e.message());
        return ExitFailure;
    }
}

} // namespace syncdesk::cli
