#include "ReportCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "PageSizeOption.h"
#include "audit/SlaExport.h"
#include "model/SyncError.h"
#include "state/StateStore.h"

#include <QDateTime>

#include <optional>

namespace syncdesk::cli {

namespace {

// An ISO 8601 date (midnight UTC) or date-time; without an offset, UTC (the report's days are
// UTC days).
std::optional<qint64> parseTime(const QString &text)
{
    if (const QDate d = QDate::fromString(text, Qt::ISODate); d.isValid() && text.size() == 10)
        return QDateTime(d, QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
    QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!t.isValid())
        return std::nullopt;
    if (t.timeSpec() == Qt::LocalTime)
        t.setTimeSpec(Qt::UTC);
    return t.toMSecsSinceEpoch();
}

} // namespace

int ReportCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("report"),
                   QStringLiteral(
                       "  syncdesk-cli report sla --workspace W --from T --to T --format "
                       "csv|json|html|pdf --out FILE\n      [--flow F] [--page-size a4|letter]\n\n"
                       "The consistency-window report: per flow and UTC day in [--from, --to), "
                       "the changes that\narrived, the share within the flow's SLA, p50/p95/p99 "
                       "arrival lag, the longest late record,\nand the SLA breaches with their "
                       "durations; then the whole period. T is an ISO 8601 date\n(2026-12-01) or "
                       "date-time (2026-12-01T06:00:00Z; UTC when no offset is given)."));
    QCommandLineParser &p = cl.parser();
    cl.addWorkspaceOptions();
    p.addOption({QStringLiteral("from"), QStringLiteral("Start of the period (included)."), QStringLiteral("time")});
    p.addOption({QStringLiteral("to"), QStringLiteral("End of the period (excluded)."), QStringLiteral("time")});
    p.addOption({QStringLiteral("format"), QStringLiteral("csv, json, html or pdf."), QStringLiteral("format")});
    p.addOption({QStringLiteral("out"), QStringLiteral("Output file (written whole or not at all)."),
                 QStringLiteral("file")});
    p.addOption({QStringLiteral("flow"), QStringLiteral("Only this flow."), QStringLiteral("name")});
    p.addOption({QStringLiteral("page-size"), QStringLiteral("PDF page size: a4 (default) or letter."),
                 QStringLiteral("size"), QStringLiteral("a4")});
    QString action;
    if (const int code = cl.parse(arguments,
                                  {QStringLiteral("workspace"), QStringLiteral("from"),
                                   QStringLiteral("to"), QStringLiteral("format"), QStringLiteral("out")},
                                  {QStringLiteral("sla")}, &action);
        code >= 0)
        return code;
    const QString format = p.value(QStringLiteral("format"));
    if (!QStringList{QStringLiteral("csv"), QStringLiteral("json"), QStringLiteral("html"),
                     QStringLiteral("pdf")}.contains(format)) {
        printError(QStringLiteral("report sla: --format must be csv, json, html or pdf, not '%1'").arg(format));
        return ExitFailure;
    }
    const auto pageSize = pageSizeOption(p.value(QStringLiteral("page-size")));
    if (!pageSize) {
        printError(QStringLiteral("report sla: --page-size must be a4 or letter, not '%1'")
                       .arg(p.value(QStringLiteral("page-size"))));
        return ExitFailure;
    }
    SlaRequest request;
    request.flow = p.value(QStringLiteral("flow"));
    request.pageSize = *pageSize;
    for (const auto &[name, when] : {std::pair{QStringLiteral("from"), &request.fromMs},
                                     std::pair{QStringLiteral("to"), &request.toMs}}) {
        const auto ms = parseTime(p.value(name));
        if (!ms) {
            printError(QStringLiteral("report sla: --%1 must be an ISO 8601 date or date-time, not '%2'")
                           .arg(name, p.value(name)));
            return ExitFailure;
        }
        *when = *ms;
    }
    if (request.fromMs >= request.toMs) {
        printError(QStringLiteral("report sla: --from (%1) must be before --to (%2)")
                       .arg(p.value(QStringLiteral("from")), p.value(QStringLiteral("to"))));
        return ExitFailure;
    }
    try {
        const Workspace ws = cl.workspace();
        if (!request.flow.isEmpty() && !ws.flow(request.flow)) {
            printError(QStringLiteral("report sla: the workspace has no flow '%1'").arg(request.flow));
            return ExitFailure;
        }
        const auto store = StateStore::open(ws);
        const QString out = p.value(QStringLiteral("out"));
        QString error;
        if (!writeSlaReport(*store, ws, format, request, out, &error)) {
            printError(QStringLiteral("report sla: %1").arg(error));
            return ExitFailure;
        }
        printOut(QStringLiteral("SLA report written to %1\n").arg(out).toUtf8());
        return ExitOk;
    } catch (const SyncError &e) {
        printError(QStringLiteral("report sla: %1").arg(e.message()));
        return ExitFailure;
    }
}

} // namespace syncdesk::cli
