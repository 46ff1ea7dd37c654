#include "AuditExport.h"

#include "CsvField.h"
#include "HtmlReport.h"
#include "PdfOutput.h"
#include "ReportFile.h"
#include "state/StateStore.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QSet>

#include <algorithm>

namespace syncdesk {

namespace {

QString compact(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    if (v.isNull() || v.isUndefined())
        return {};
    return QString::fromUtf8(
        QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact).chopped(1).mid(1));
}

// "field: before → after" lines for an outcome, from its intent's values.
QString valuesText(const QJsonValue &side)
{
    if (!side.isObject())
        return QStringLiteral("(no row)");
    QStringList parts;
    const QJsonObject values = side.toObject().value(u"values").toObject();
    for (auto it = values.begin(); it != values.end(); ++it)
        parts << it.key() + QStringLiteral(" = ") + (it.value().isNull() ? QStringLiteral("NULL")
                                                                         : it.value().toString());
    return parts.join(QStringLiteral(", "));
}

// Resolutions and their outcomes, counted by one property (flow, operator).
struct Tally
{
    qint64 resolutions = 0;
    QMap<QString, qint64> outcomes;
};

struct Summary
{
    QMap<QString, Tally> byFlow, byOperator;
    QMap<QString, qint64> byOutcome;
};

Summary summarise(const QList<AuditEntry> &entries)
{
    Summary s;
    QHash<QString, QString> operators; // intent id → operator
    for (const AuditEntry &e : entries) {
        const QString type = e.entry.value(u"type").toString();
        const QString flow = e.entry.value(u"flow").toString();
        if (type == u"intent") {
            const QString op = e.entry.value(u"operator").toString();
            operators.insert(e.entry.value(u"id").toString(), op);
            ++s.byFlow[flow].resolutions;
            ++s.byOperator[op].resolutions;
        } else if (type == u"outcome") {
            const QString outcome = e.entry.value(u"outcome").toString();
            ++s.byOutcome[outcome];
            ++s.byFlow[flow].outcomes[outcome];
            // An outcome whose intent lies outside the report has no operator to count under.
            const auto op = operators.constFind(e.entry.value(u"id").toString());
            if (op != operators.constEnd())
                ++s.byOperator[*op].outcomes[outcome];
        }
    }
    return s;
}

QString period(const AuditFilter &f, const QList<AuditEntry> &entries)
{
    const QString from = f.from.isValid() ? f.from.toString(Qt::ISODateWithMs)
                         : entries.isEmpty() ? QStringLiteral("-")
                                             : entries.first().entry.value(u"at").toString();
    const QString to = f.to.isValid() ? f.to.toString(Qt::ISODateWithMs)
                       : entries.isEmpty() ? QStringLiteral("-")
                                           : entries.last().entry.value(u"at").toString();
    return from + QStringLiteral(" to ") + to;
}

QString filters(const AuditFilter &f)
{
    QStringList parts;
    if (!f.flow.isEmpty())
        parts << QStringLiteral("flow %1").arg(f.flow);
    if (!f.operatorName.isEmpty())
        parts << QStringLiteral("operator %1").arg(f.operatorName);
    return parts.isEmpty() ? QStringLiteral("none") : parts.join(QStringLiteral(", "));
}

const QStringList OutcomeNames{QStringLiteral("applied"), QStringLiteral("refused"),
                               QStringLiteral("failed")};

// One of the cover's tables, the same in HTML and PDF.
struct SummaryTable
{
    QString title;
    QList<ReportColumn> columns;
    QList<QStringList> rows;
};

QList<SummaryTable> summaryTables(const Summary &s)
{
    auto tallies = [](const QString &title, const QString &what, const QMap<QString, Tally> &map) {
        SummaryTable t{title, {{what, 3}, {QStringLiteral("resolutions"), 1.4, true}}, {}};
        for (const QString &o : OutcomeNames)
            t.columns.append({o, 1.2, true});
        t.columns.append({QStringLiteral("no outcome in the report"), 1.8, true});
        for (auto it = map.begin(); it != map.end(); ++it) {
            QStringList row{it.key().isEmpty() ? QStringLiteral("(none)") : it.key(),
                            QString::number(it->resolutions)};
            qint64 closed = 0;
            for (const QString &o : OutcomeNames) {
                row << QString::number(it->outcomes.value(o));
                closed += it->outcomes.value(o);
            }
            row << QString::number(std::max<qint64>(0, it->resolutions - closed));
            t.rows.append(row);
        }
        return t;
    };
    SummaryTable outcomes{QStringLiteral("By outcome"),
                          {{QStringLiteral("outcome"), 3}, {QStringLiteral("entries"), 1.4, true}},
                          {}};
    for (auto it = s.byOutcome.begin(); it != s.byOutcome.end(); ++it)
        outcomes.rows.append({it.key(), QString::number(it.value())});
    return {tallies(QStringLiteral("By flow"), QStringLiteral("flow"), s.byFlow),
            tallies(QStringLiteral("By operator"), QStringLiteral("operator"), s.byOperator),
            outcomes};
}

const QList<ReportColumn> &entryColumns()
{
    static const QList<ReportColumn> columns{
        {QStringLiteral("#"), 5, true},  {QStringLiteral("when (UTC)"), 13},
        {QStringLiteral("flow"), 8},     {QStringLiteral("key"), 12},
        {QStringLiteral("entry"), 13},   {QStringLiteral("reason and values"), 49}};
    return columns;
}

// One entry as the table's cells: number, time, flow, key, what happened and by whom, then
// why, the values before (intent) or after (outcome), and the entry's hash.
QStringList entryCells(const AuditEntry &a)
{
    const QJsonObject &e = a.entry;
    QString what;
    QStringList details;
    if (e.value(u"type").toString() == u"intent") {
        what = QStringLiteral("intent %1\nby %2")
                   .arg(e.value(u"choice").toString(), e.value(u"operator").toString());
        if (e.contains(u"os_user") || e.contains(u"host"))
            what += QStringLiteral("\n(%1@%2)").arg(e.value(u"os_user").toString(),
                                                     e.value(u"host").toString());
        details << QStringLiteral("reason: ") + e.value(u"reason").toString();
        if (e.contains(u"undoes"))
            details << QStringLiteral("undoes resolution ") + e.value(u"undoes").toString();
        if (e.contains(u"bulk"))
            details << QStringLiteral("bulk: ") + e.value(u"bulk").toObject().value(u"rule").toString();
        const QString source = valuesText(e.value(u"source"));
        const QString target = valuesText(e.value(u"target"));
        if (source == target) {
            details << QStringLiteral("before, both sides: ") + source;
        } else {
            details << QStringLiteral("source before: ") + source;
            details << QStringLiteral("target before: ") + target;
        }
    } else {
        what = QStringLiteral("outcome %1%2")
                   .arg(e.value(u"outcome").toString(),
                        e.value(u"recovered").toBool() ? QStringLiteral(" (recovered)") : QString());
        if (e.value(u"outcome").toString() == u"applied") {
            const QJsonObject after = e.value(u"after").toObject();
            const QString source = valuesText(after.value(u"source"));
            const QString target = valuesText(after.value(u"target"));
            if (source == target) {
                details << QStringLiteral("after, both sides: ") + source;
            } else {
                details << QStringLiteral("source after: ") + source;
                details << QStringLiteral("target after: ") + target;
            }
        } else {
            details << QStringLiteral("nothing was written");
        }
        if (e.contains(u"error"))
            details << QStringLiteral("error: ") + e.value(u"error").toString();
    }
    // The id pairs an intent with its outcome; each entry's own hash is in the HTML, CSV and
    // JSON exports (the PDF pays for every glyph it draws, and its footer has the head hash).
    details << QStringLiteral("resolution ") + e.value(u"id").toString();
    QString at = e.value(u"at").toString();
    at.replace(u'T', u' '); // a break between date and time in a narrow column
    return {QString::number(a.seq), at, e.value(u"flow").toString(), compact(e.value(u"key")),
            what, details.join(u'\n')};
}

QStringList coverLines(const QList<AuditEntry> &entries, const AuditFilter &filter,
                       const ChainCheck &chain)
{
    return {QStringLiteral("Period: ") + period(filter, entries),
            QStringLiteral("Filters: ") + filters(filter),
            QStringLiteral("Entries: %1").arg(entries.size()),
            QStringLiteral("Generated: ")
                + QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs),
            chainStatusText(chain)};
}

} // namespace

QList<AuditEntry> selectAuditEntries(StateStore &store, const AuditFilter &filter)
{
    QList<AuditEntry> out;
    QSet<QString> operatorsIntents; // intent ids of the filtered operator, to keep outcomes too
    store.forEachAuditRow([&](const AuditRow &row) {
        const QJsonObject e = QJsonDocument::fromJson(row.entry).object();
        if (filter.from.isValid() || filter.to.isValid()) {
            // Parsing a time costs more than the rest of the row: only when a period is asked.
            const QDateTime at = QDateTime::fromString(e.value(u"at").toString(), Qt::ISODateWithMs);
            if ((filter.from.isValid() && at < filter.from) || (filter.to.isValid() && at > filter.to))
                return true;
        }
        if (!filter.flow.isEmpty() && e.value(u"flow").toString() != filter.flow)
            return true;
        if (!filter.operatorName.isEmpty()) {
            const QString id = e.value(u"id").toString();
            if (e.value(u"type").toString() == u"intent") {
                if (e.value(u"operator").toString() != filter.operatorName)
                    return true;
                operatorsIntents.insert(id);
            } else if (!operatorsIntents.contains(id)) {
                return true;
            }
        }
        out.append({row.seq, row.hash, e});
        return true;
    });
    return out;
}

AuditPage selectAuditPage(StateStore &store, const AuditFilter &filter, qint64 beforeSeq, int limit)
{
    constexpr int Chunk = 2000;
    AuditPage page;
    QList<AuditEntry> newestFirst;
    QHash<QString, bool> byOperator; // resolution id → whether its intent is the operator's
    const auto operatorsResolution = [&](const QString &id) {
        const auto it = byOperator.constFind(id);
        if (it != byOperator.cend())
            return *it;
        bool theirs = false;
        for (const AuditRow &r : store.auditRowsOfResolution(id)) {
            const QJsonObject e = QJsonDocument::fromJson(r.entry).object();
            if (e.value(u"type").toString() == u"intent" && e.value(u"id").toString() == id)
                theirs = e.value(u"operator").toString() == filter.operatorName;
        }
        byOperator.insert(id, theirs);
        return theirs;
    };
    qint64 before = beforeSeq;
    while (newestFirst.size() < limit) {
        const QList<AuditRow> rows = store.auditRowsBefore(filter.flow, before, Chunk);
        for (const AuditRow &row : rows) {
            before = row.seq;
            const QJsonObject e = QJsonDocument::fromJson(row.entry).object();
            if (filter.from.isValid() || filter.to.isValid()) {
                const QDateTime at = QDateTime::fromString(e.value(u"at").toString(), Qt::ISODateWithMs);
                if ((filter.from.isValid() && at < filter.from) || (filter.to.isValid() && at > filter.to))
                    continue;
            }
            if (!filter.operatorName.isEmpty()) {
                // As selectAuditEntries: an intent of theirs and the outcome of one.
                const QString type = e.value(u"type").toString();
                const QString id = e.value(u"id").toString();
                if (type == u"intent") {
                    if (e.value(u"operator").toString() != filter.operatorName)
                        continue;
                } else if (type != u"outcome" || !operatorsResolution(id)) {
                    continue;
                }
            }
            newestFirst.append({row.seq, row.hash, e});
            if (newestFirst.size() == limit)
                break;
        }
        if (rows.size() < Chunk && newestFirst.size() < limit) {
            before = 0; // the start of the log
            break;
        }
    }
    page.olderFrom = before > 1 ? before : 0;
    page.entries.reserve(newestFirst.size());
    for (auto it = newestFirst.crbegin(); it != newestFirst.crend(); ++it)
        page.entries.append(*it);
    return page;
}

QByteArray auditCsv(const QList<AuditEntry> &entries)
{
    QByteArray csv = "seq,at,type,id,flow,key,choice,outcome,operator,os_user,host,reason,"
                     "before_source,before_target,after,error,hash\r\n";
    for (const AuditEntry &a : entries) {
        const QJsonObject &e = a.entry;
        QList<QByteArray> cells;
        for (const QString &v :
             {QString::number(a.seq), e.value(u"at").toString(), e.value(u"type").toString(),
              e.value(u"id").toString(), e.value(u"flow").toString(), compact(e.value(u"key")),
              e.value(u"choice").toString(), e.value(u"outcome").toString(),
              e.value(u"operator").toString(), e.value(u"os_user").toString(),
              e.value(u"host").toString(), e.value(u"reason").toString(),
              compact(e.value(u"source")), compact(e.value(u"target")), compact(e.value(u"after")),
              e.value(u"error").toString(), QString::fromLatin1(a.hash)})
            cells << csvField(v);
        csv += cells.join(',') + "\r\n";
    }
    return csv;
}

QByteArray auditJson(const QList<AuditEntry> &entries)
{
    QJsonArray array;
    for (const AuditEntry &a : entries) {
        QJsonObject o = a.entry;
        o.insert(QStringLiteral("seq"), a.seq);
        o.insert(QStringLiteral("hash"), QString::fromLatin1(a.hash));
        array.append(o);
    }
    return QJsonDocument(array).toJson();
}

QByteArray auditHtml(const QList<AuditEntry> &entries, const AuditFilter &filter,
                     const ChainCheck &chain)
{
    const QString title = QStringLiteral("SyncDesk audit report");
    HtmlReport html(title);
    html.title(title);
    const QStringList cover = coverLines(entries, filter, chain);
    for (qsizetype i = 0; i < cover.size(); ++i)
        html.paragraph(cover[i], i + 1 == cover.size() && !chain.intact ? QStringLiteral("broken")
                                                                        : QString());
    for (const SummaryTable &t : summaryTables(summarise(entries))) {
        html.heading(t.title);
        html.beginTable(t.columns);
        for (const QStringList &row : t.rows)
            html.row(row);
        html.endTable();
    }
    html.heading(QStringLiteral("Entries"));
    QList<ReportColumn> columns = entryColumns();
    columns.append({QStringLiteral("entry hash"), 10});
    html.beginTable(columns);
    for (const AuditEntry &a : entries)
        html.row(entryCells(a) << QString::fromLatin1(a.hash));
    html.endTable();
    return html.finish({chainStatusText(chain)});
}

bool writeAuditPdf(const QList<AuditEntry> &entries, const AuditFilter &filter,
                   const ChainCheck &chain, const QString &path, QString *error,
                   const ReportProgress &progress, ReportPageSize pageSize)
{
    PrintedReport::Options options;
    options.pageSize = pageSize;
    options.title = QStringLiteral("SyncDesk audit report");
    options.footer = {chainStatusText(chain)};
    const QList<SummaryTable> summaries = summaryTables(summarise(entries));
    const QStringList cover = coverLines(entries, filter, chain);
    const qint64 total = entries.size();
    return PdfOutput::write(path, options, [&](PrintedReport &pdf) {
        pdf.title(options.title);
        for (const QString &line : cover)
            pdf.paragraph(line);
        for (const SummaryTable &t : summaries) {
            pdf.heading(t.title);
            pdf.beginTable(t.columns);
            for (const QStringList &row : t.rows)
                pdf.row(row);
            pdf.endTable();
        }
        pdf.heading(QStringLiteral("Entries"));
        pdf.beginTable(entryColumns());
        qint64 done = 0;
        for (const AuditEntry &a : entries) {
            pdf.row(entryCells(a));
            // Laid out, then painted: each pass is half of the work.
            if ((++done & 0xff) == 0 && progress && !progress((pdf.pass() * total + done) / 2, total))
                return false;
        }
        pdf.endTable();
        return true;
    }, error);
}

qint64 writeAuditReport(StateStore &store, const QString &format, const AuditFilter &filter,
                        const QString &path, QString *error, const ReportProgress &progress,
                        ReportPageSize pageSize)
{
    const QList<AuditEntry> entries = selectAuditEntries(store, filter);
    const auto goOn = [&](qint64 done) {
        if (!progress || progress(done, entries.size()))
            return true;
        *error = QStringLiteral("cancelled");
        return false;
    };
    if (!goOn(0))
        return -1;
    const auto chain = [&store] { return verifyStoredChain(store); };
    if (format == u"pdf") {
        const bool written = writeReportFileWith(path, [&](const QString &part) {
            return writeAuditPdf(entries, filter, chain(), part, error, progress, pageSize);
        }, error);
        return written ? entries.size() : -1;
    }
    QByteArray data;
    if (format == u"csv")
        data = auditCsv(entries);
    else if (format == u"json")
        data = auditJson(entries);
    else if (format == u"html")
        data = auditHtml(entries, filter, chain());
    else {
        *error = QStringLiteral("unknown report format '%1' (csv, json, html or pdf)").arg(format);
        return -1;
    }
    if (!goOn(entries.size())) // the last word before anything is written
        return -1;
    return writeReportFile(path, data, error) ? entries.size() : -1;
}

} // namespace syncdesk
