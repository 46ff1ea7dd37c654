#include "AuditCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "PageSizeOption.h"
#include "audit/AuditExport.h"
#include "audit/AuditVerifier.h"
#include "audit/ReportAnchors.h"
#include "model/SyncError.h"
#include "state/StateStore.h"

#include <QDateTime>

namespace syncdesk::cli {

int AuditCommand::verify(const QCommandLineParser &p, StateStore &store)
{
    // What was written down outside the log, read before the log so a bad argument writes no
    // verdict.
    ChainVerifier verifier;
    const QByteArray head = p.value(QStringLiteral("expect-head")).trimmed().toLower().toLatin1();
    if (p.isSet(QStringLiteral("expect-head"))) {
        if (!ReportAnchors::isHash(head)) {
            printError(QStringLiteral("audit verify: --expect-head must be a head hash as verify and the reports "
                                      "print it (64 hex digits), not '%1'")
                           .arg(p.value(QStringLiteral("expect-head"))));
            return ExitFailure;
        }
        verifier.expectHead(head);
    }
    qsizetype reportEntries = 0;
    if (p.isSet(QStringLiteral("against"))) {
        const auto anchors = ReportAnchors::read(p.value(QStringLiteral("against")));
        for (const auto &[seq, hash] : anchors)
            verifier.expectEntry(seq, hash);
        reportEntries = anchors.size();
    }
    const ChainCheck c = verifyStoredChain(store, std::move(verifier));
    if (!c.intact) {
        printOut(QStringLiteral("audit log broken at entry %1: %2\n").arg(c.badSeq).arg(c.problem).toUtf8());
        return ExitChainBroken;
    }
    if (!c.anchored) {
        printOut(QStringLiteral("audit log NOT as written down: %1 (the chain itself recomputes: %2 entries, "
                                "head %3)\n")
                     .arg(c.anchorProblem)
                     .arg(c.entries)
                     .arg(QString::fromLatin1(c.headHash))
                     .toUtf8());
        return ExitChainBroken;
    }
    printOut(QStringLiteral("audit log intact: %1 entries, head %2\n")
                 .arg(c.entries)
                 .arg(QString::fromLatin1(c.headHash.isEmpty() ? "(empty)" : c.headHash))
                 .toUtf8());
    if (!head.isEmpty() || reportEntries > 0)
        printOut(QStringLiteral("as written down: the log holds it up to entry %1; %2 entries were added since\n")
                     .arg(c.anchorSeq)
                     .arg(c.entries - c.anchorSeq)
                     .toUtf8());
    return ExitOk;
}

int AuditCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("audit"),
                   QStringLiteral(
                       "  syncdesk-cli audit verify --workspace W [--expect-head HASH] [--against REPORT]\n"
                       "  syncdesk-cli audit export --workspace W --format csv|json|html|pdf --out "
                       "FILE [--from T] [--to T] [--flow F] [--operator NAME]\n"
                       "      [--page-size a4|letter]\n\n"
                       "verify recomputes the audit log's hash chain: exit 0 and the head hash "
                       "when intact,\notherwise exit 4 and the first bad entry. A log rewritten and "
                       "chained again, or cut short,\nstill recomputes: --expect-head (a head hash "
                       "written down earlier, on a report's footer or in\nthe agent's journal) and "
                       "--against (an exported JSON, CSV or HTML report, or watch --anchor-file's head history)\ncheck that the log still "
                       "holds what was written down: exit 4 when it does not. export writes "
                       "the entries (ISO 8601 times,\n--from/--to inclusive) as RFC 4180 CSV with "
                       "formula injection defused, a JSON array,\nor an HTML or PDF report for "
                       "an auditor (summary, every entry, the chain's verification)."));
    QCommandLineParser &p = cl.parser();
    cl.addWorkspaceOptions();
    p.addOption({QStringLiteral("format"), QStringLiteral("csv, json, html or pdf."), QStringLiteral("format")});
    p.addOption({QStringLiteral("out"), QStringLiteral("Output file (written whole or not at all)."),
                 QStringLiteral("file")});
    p.addOption({QStringLiteral("from"), QStringLiteral("Only entries at or after this ISO 8601 time."),
                 QStringLiteral("time")});
    p.addOption({QStringLiteral("to"), QStringLiteral("Only entries at or before this ISO 8601 time."),
                 QStringLiteral("time")});
    p.addOption({QStringLiteral("flow"), QStringLiteral("Only this flow."), QStringLiteral("name")});
    p.addOption({QStringLiteral("operator"), QStringLiteral("Only this operator's resolutions."),
                 QStringLiteral("name")});
    p.addOption({QStringLiteral("page-size"), QStringLiteral("PDF page size: a4 (default) or letter."),
                 QStringLiteral("size"), QStringLiteral("a4")});
    p.addOption({QStringLiteral("expect-head"),
                 QStringLiteral("verify: a head hash written down earlier must be an entry of the log."),
                 QStringLiteral("hash")});
    p.addOption({QStringLiteral("against"),
                 QStringLiteral("verify: the entries of an exported report (JSON, CSV or HTML) must be in "
                                "the log as they were."),
                 QStringLiteral("report")});
    QString action;
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace")},
                                  {QStringLiteral("verify"), QStringLiteral("export")}, &action);
        code >= 0)
        return code;
    try {
        const Workspace ws = cl.workspace();
        const auto store = StateStore::open(ws);
        if (action == u"verify")
            return verify(p, *store);
        for (const QString &only : {QStringLiteral("expect-head"), QStringLiteral("against")})
            if (p.isSet(only)) {
                printError(QStringLiteral("audit export: --%1 belongs to audit verify").arg(only));
                return ExitFailure;
            }
        const QString format = p.value(QStringLiteral("format"));
        if (!QStringList{QStringLiteral("csv"), QStringLiteral("json"), QStringLiteral("html"),
                         QStringLiteral("pdf")}.contains(format)) {
            printError(QStringLiteral("audit export: --format must be csv, json, html or pdf"));
            return ExitFailure;
        }
        if (!p.isSet(QStringLiteral("out"))) {
            printError(QStringLiteral("audit export: --out is required"));
            return ExitFailure;
        }
        const auto pageSize = pageSizeOption(p.value(QStringLiteral("page-size")));
        if (!pageSize) {
            printError(QStringLiteral("audit export: --page-size must be a4 or letter, not '%1'")
                           .arg(p.value(QStringLiteral("page-size"))));
            return ExitFailure;
        }
        AuditFilter filter;
        filter.flow = p.value(QStringLiteral("flow"));
        filter.operatorName = p.value(QStringLiteral("operator"));
        for (const auto &[name, when] : {std::pair{QStringLiteral("from"), &filter.from},
                                         std::pair{QStringLiteral("to"), &filter.to}}) {
            if (!p.isSet(name))
                continue;
            *when = QDateTime::fromString(p.value(name), Qt::ISODateWithMs);
            if (!when->isValid()) {
                printError(QStringLiteral("audit export: --%1 must be an ISO 8601 time, not '%2'")
                               .arg(name, p.value(name)));
                return ExitFailure;
            }
        }
        const QString out = p.value(QStringLiteral("out"));
        QString error;
        const qint64 written = writeAuditReport(*store, format, filter, out, &error, {}, *pageSize);
        if (written < 0) {
            printError(QStringLiteral("audit export: %1").arg(error));
            return ExitFailure;
        }
        printOut(QStringLiteral("%1 entries written to %2\n").arg(written).arg(out).toUtf8());
        return ExitOk;
    } catch (const SyncError &e) {
        printError(QStringLiteral("audit: %1").arg(e.message()));
        return ExitFailure;
    }
}

} // namespace syncdesk::cli
