#include "ResolveCommand.h"

#include "CommandLine.h"
#include "ExitCode.h"
#include "audit/AuditExport.h"
#include "audit/AuditVerifier.h"
#include "model/SyncError.h"
#include "model/WorkspaceLoader.h"
#include "resolution/ResolutionService.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace syncdesk::cli {

namespace {

// "0123abcd…" (16 hex digits) or "null" (the record must be absent).
bool parseHash(const QString &text, std::optional<RowHash> *out)
{
    if (text == u"null" || text == u"absent") {
        *out = RowHash();
        return true;
    }
    bool ok = false;
    const quint64 v = text.toULongLong(&ok, 16);
    if (!ok || text.size() != 16)
        return false;
    *out = RowHash(v);
    return true;
}

} // namespace

int ResolveCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("resolve"),
                   QStringLiteral(
                       "Applies one audited resolution: the chosen side's row is written to the "
                       "other side in one\ntransaction, only if both still hold what was read "
                       "(or the --expect-*-hash values that\n`diff --list` printed). The intent "
                       "and the outcome go to the audit log.\n\nExit status: 0 applied, 3 refused "
                       "because the record changed, 2 bad input or failure."));
    QCommandLineParser &p = cl.parser();
    p.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace file (JSON)."), QStringLiteral("file")});
    p.addOption({QStringLiteral("flow"), QStringLiteral("Name of the flow."), QStringLiteral("name")});
    p.addOption({QStringLiteral("key"), QStringLiteral("Key value; repeat for each key column, in order."),
                 QStringLiteral("value")});
    p.addOption({QStringLiteral("take"), QStringLiteral("Which side is right: source or target."),
                 QStringLiteral("side")});
    p.addOption({QStringLiteral("reason"), QStringLiteral("Why (mandatory; kept in the audit log)."),
                 QStringLiteral("text")});
    p.addOption({QStringLiteral("operator"), QStringLiteral("Operator name (default: the OS user)."),
                 QStringLiteral("name")});
    p.addOption({QStringLiteral("expect-source-hash"),
                 QStringLiteral("Refuse unless the source row still has this hash (null: absent)."),
                 QStringLiteral("hash")});
    p.addOption({QStringLiteral("expect-target-hash"),
                 QStringLiteral("Refuse unless the target row still has this hash (null: absent)."),
                 QStringLiteral("hash")});
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace"), QStringLiteral("flow"),
                                              QStringLiteral("key"), QStringLiteral("take"),
                                              QStringLiteral("reason")});
        code >= 0)
        return code;
    ResolveRequest request;
    const QString take = p.value(QStringLiteral("take"));
    if (take != u"source" && take != u"target") {
        printError(QStringLiteral("resolve: --take must be source or target, not '%1'").arg(take));
        return ExitFailure;
    }
    request.takeSource = take == u"source";
    for (const char *side : {"expect-source-hash", "expect-target-hash"}) {
        const QString name = QLatin1String(side);
        if (!p.isSet(name))
            continue;
        if (!parseHash(p.value(name), name.contains(u"source") ? &request.expectSource
                                                              : &request.expectTarget)) {
            printError(QStringLiteral("resolve: --%1 must be 16 hex digits or null").arg(name));
            return ExitFailure;
        }
    }
    request.flow = p.value(QStringLiteral("flow"));
    for (const QString &v : p.values(QStringLiteral("key")))
        request.key.append(v);
    request.reason = p.value(QStringLiteral("reason"));
    request.operatorName = p.value(QStringLiteral("operator"));
    try {
        const Workspace ws = WorkspaceLoader::load(p.value(QStringLiteral("workspace")));
        const auto store = StateStore::open(ws);
        const ResolveResult r = ResolutionService(ws, *store).resolve(request);
        switch (r.outcome) {
        case ResolveResult::Outcome::Applied:
            printOut(QStringLiteral("applied (audit entries %1 and %2)\n")
                         .arg(r.intentSeq).arg(r.outcomeSeq).toUtf8());
            if (!r.error.isEmpty())
                printError(QStringLiteral("resolve: %1").arg(r.error));
            return ExitOk;
        case ResolveResult::Outcome::Refused:
            printError(QStringLiteral("resolve: refused: %1 (audit entries %2 and %3)")
                           .arg(r.error).arg(r.intentSeq).arg(r.outcomeSeq));
            return ExitRefused;
        case ResolveResult::Outcome::Failed:
            printError(QStringLiteral("resolve: failed: %1 (audit entries %2 and %3)")
                           .arg(r.error).arg(r.intentSeq).arg(r.outcomeSeq));
            return ExitFailure;
        }
    } catch (const SyncError &e) {
        printError(QStringLiteral("resolve: %1").arg(e.message()));
    }
    return ExitFailure;
}

int AuditCommand::run(const QStringList &arguments)
{
    CommandLine cl(QStringLiteral("audit"),
                   QStringLiteral(
                       "  syncdesk-cli audit verify --workspace W\n"
                       "  syncdesk-cli audit export --workspace W --format csv|json|html|pdf --out "
                       "FILE [--from T] [--to T] [--flow F] [--operator NAME]\n\n"
                       "verify recomputes the audit log's hash chain: exit 0 and the head hash "
                       "when intact,\notherwise exit 4 and the first bad entry. export writes "
                       "the entries (ISO 8601 times,\n--from/--to inclusive) as RFC 4180 CSV with "
                       "formula injection defused, a JSON array,\nor an HTML or PDF report for "
                       "an auditor (summary, every entry, the chain's verification)."));
    QCommandLineParser &p = cl.parser();
    p.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace file (JSON)."), QStringLiteral("file")});
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
    QString action;
    if (const int code = cl.parse(arguments, {QStringLiteral("workspace")},
                                  {QStringLiteral("verify"), QStringLiteral("export")}, &action);
        code >= 0)
        return code;
    try {
        const Workspace ws = WorkspaceLoader::load(p.value(QStringLiteral("workspace")));
        const auto store = StateStore::open(ws);
        if (action == u"verify") {
            ChainVerifier verifier;
            store->forEachAuditRow([&](const AuditRow &row) { return verifier.add(row); });
            const ChainCheck c = verifier.result();
            if (!c.intact) {
                printOut(QStringLiteral("audit log broken at entry %1: %2\n").arg(c.badSeq).arg(c.problem).toUtf8());
                return ExitChainBroken;
            }
            printOut(QStringLiteral("audit log intact: %1 entries, head %2\n")
                         .arg(c.entries).arg(QString::fromLatin1(c.headHash.isEmpty() ? "(empty)" : c.headHash))
                         .toUtf8());
            return ExitOk;
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
        const QList<AuditEntry> entries = selectAuditEntries(*store, filter);
        const QString out = p.value(QStringLiteral("out"));
        // Written whole or not at all: an interrupted export never leaves half a report.
        if (format == u"pdf") {
            ChainVerifier verifier;
            store->forEachAuditRow([&](const AuditRow &row) { return verifier.add(row); });
            const QString part = out + QStringLiteral(".part");
            QString error;
            if (!writeAuditPdf(entries, filter, verifier.result(), part, &error)
                || (QFile::exists(out) && !QFile::remove(out)) || !QFile::rename(part, out)) {
                QFile::remove(part);
                printError(QStringLiteral("audit export: %1").arg(error.isEmpty() ? QStringLiteral("cannot write %1").arg(out) : error));
                return ExitFailure;
            }
        } else {
            QByteArray data;
            if (format == u"csv") {
                data = auditCsv(entries);
            } else if (format == u"json") {
                data = auditJson(entries);
            } else {
                ChainVerifier verifier;
                store->forEachAuditRow([&](const AuditRow &row) { return verifier.add(row); });
                data = auditHtml(entries, filter, verifier.result());
            }
            QSaveFile file(out);
            if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit()) {
                printError(QStringLiteral("audit export: cannot write %1: %2").arg(out, file.errorString()));
                return ExitFailure;
            }
        }
        printOut(QStringLiteral("%1 entries written to %2\n").arg(entries.size()).arg(out).toUtf8());
        return ExitOk;
    } catch (const SyncError &e) {
        printError(QStringLiteral("audit: %1").arg(e.message()));
        return ExitFailure;
    }
}

} // namespace syncdesk::cli
