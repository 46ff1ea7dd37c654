#include "SlaExport.h"

#include "CsvField.h"
#include "HtmlReport.h"
#include "PdfOutput.h"
#include "ReportFile.h"
#include "state/ActivityCounters.h"
#include "model/Workspace.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <climits>

namespace syncdesk {

namespace {

const QString Title = QStringLiteral("SyncDesk consistency-window (SLA) report");
const QString QuantileNote =
    QStringLiteral("Lag quantiles are the upper bounds of the histogram buckets they fall in: "
                   "never below the true value, at most 9 % above it.");
const QString HourNote = QStringLiteral("Arrivals are counted per hour: an hour belongs to the "
                                        "day its start falls in. A breach counts on every day it "
                                        "overlaps, with the time it overlaps.");

// The activity counters a report names, in the order it names them.
const QStringList ActivityNames = activity::reportedNames();

QDateTime utc(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
}

QString iso(qint64 ms)
{
    return utc(ms).toString(Qt::ISODateWithMs);
}

// For people: a space where a narrow column may break the line.
QString whenText(qint64 ms)
{
    return utc(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString dayText(qint64 ms)
{
    return utc(ms).date().toString(Qt::ISODate);
}

// "850 ms", "12.4 s", "4 m 05 s", "2 h 03 m 10 s", "3 d 04 h 00 m".
QString durationText(qint64 ms)
{
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms);
    if (ms < 60'000)
        return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', 1);
    const qint64 s = ms / 1000;
    const auto two = [](qint64 v) { return QStringLiteral("%1").arg(v, 2, 10, QLatin1Char('0')); };
    if (s < 3600)
        return QStringLiteral("%1 m %2 s").arg(s / 60).arg(two(s % 60));
    if (s < 86400)
        return QStringLiteral("%1 h %2 m %3 s").arg(s / 3600).arg(two(s / 60 % 60)).arg(two(s % 60));
    return QStringLiteral("%1 d %2 h %3 m").arg(s / 86400).arg(two(s / 3600 % 24)).arg(two(s / 60 % 60));
}

QJsonValue keyValue(const QByteArray &keyJson)
{
    const QJsonDocument doc = QJsonDocument::fromJson(keyJson);
    if (doc.isArray())
        return doc.array();
    return keyJson.isEmpty() ? QJsonValue() : QJsonValue(QString::fromUtf8(keyJson));
}

QString percentText(const SlaWindow &w)
{
    const auto p = w.withinSlaPercent();
    return p ? QString::number(*p, 'f', 2) : QString();
}

QString breachEnd(const SlaBreachPart &b)
{
    return b.endedMs ? iso(*b.endedMs) : QStringLiteral("open");
}

// ---- CSV ----

QByteArray csvRow(const QStringList &cells)
{
    QList<QByteArray> out;
    for (const QString &c : cells)
        out << csvField(c);
    return out.join(',') + "\r\n";
}

QStringList csvWindow(const QString &kind, const SlaFlowReport &f, const SlaWindow &w, bool day)
{
    const bool any = w.arrivals > 0;
    QStringList cells{kind,
                      f.flow,
                      QString::number(f.slaMs / 1000),
                      day ? dayText(w.fromMs) : QString(),
                      iso(w.fromMs),
                      iso(w.toMs)};
    if (kind == u"breach")
        return cells;
    cells << QString::number(w.arrivals) << QString::number(w.withinSla) << percentText(w)
          << (any ? QString::number(w.lags.quantileMs(0.5)) : QString())
          << (any ? QString::number(w.lags.quantileMs(0.95)) : QString())
          << (any ? QString::number(w.lags.quantileMs(0.99)) : QString())
          << (w.longestLate ? QString::fromUtf8(w.longestLate->keyJson) : QString())
          << (w.longestLate ? QString::number(w.longestLate->lagMs) : QString())
          << QString::number(w.breaches.size()) << QString::number(w.breachMs);
    for (int i = 0; i < 6; ++i) // the breach columns
        cells << QString();
    for (const QString &name : ActivityNames)
        cells << QString::number(w.activity.value(name));
    return cells;
}

void csvWindowWithBreaches(QByteArray &csv, const QString &kind, const SlaFlowReport &f,
                           const SlaWindow &w, bool day)
{
    csv += csvRow(csvWindow(kind, f, w, day));
    for (const SlaBreachPart &b : w.breaches) {
        QStringList cells = csvWindow(QStringLiteral("breach"), f, w, day);
        for (int i = 0; i < 10; ++i) // arrivals … breach_ms
            cells << QString();
        cells << iso(b.startedMs) << breachEnd(b) << QString::number(b.durationMs)
              << QString::fromUtf8(b.worstKey) << QString::number(b.worstLagMs)
              << QString::number(b.records);
        for (qsizetype i = 0; i < ActivityNames.size(); ++i)
            cells << QString();
        csv += csvRow(cells);
    }
}

// ---- JSON ----

QJsonObject jsonWindow(const SlaWindow &w, bool day)
{
    QJsonObject o;
    if (day)
        o.insert(QStringLiteral("day"), dayText(w.fromMs));
    o.insert(QStringLiteral("from"), iso(w.fromMs));
    o.insert(QStringLiteral("to"), iso(w.toMs));
    o.insert(QStringLiteral("arrivals"), w.arrivals);
    o.insert(QStringLiteral("within_sla"), w.withinSla);
    const auto pct = w.withinSlaPercent();
    o.insert(QStringLiteral("within_sla_pct"), pct ? QJsonValue(*pct) : QJsonValue());
    o.insert(QStringLiteral("lag_ms"),
             w.arrivals > 0 ? QJsonValue(QJsonObject{{QStringLiteral("p50"), w.lags.quantileMs(0.5)},
                                                     {QStringLiteral("p95"), w.lags.quantileMs(0.95)},
                                                     {QStringLiteral("p99"), w.lags.quantileMs(0.99)}})
                            : QJsonValue());
    o.insert(QStringLiteral("longest_late"),
             w.longestLate ? QJsonValue(QJsonObject{{QStringLiteral("key"), keyValue(w.longestLate->keyJson)},
                                                    {QStringLiteral("lag_ms"), w.longestLate->lagMs}})
                           : QJsonValue());
    QJsonArray breaches;
    for (const SlaBreachPart &b : w.breaches)
        breaches.append(QJsonObject{{QStringLiteral("start"), iso(b.startedMs)},
                                    {QStringLiteral("end"), breachEnd(b)},
                                    {QStringLiteral("open"), !b.endedMs},
                                    {QStringLiteral("duration_ms"), b.durationMs},
                                    {QStringLiteral("worst_key"), keyValue(b.worstKey)},
                                    {QStringLiteral("worst_lag_ms"), b.worstLagMs},
                                    {QStringLiteral("late_records"), b.records}});
    o.insert(QStringLiteral("breaches"), qint64(w.breaches.size()));
    o.insert(QStringLiteral("breach_ms"), w.breachMs);
    o.insert(QStringLiteral("breach_list"), breaches);
    QJsonObject activity;
    for (const QString &name : ActivityNames)
        activity.insert(name, w.activity.value(name));
    for (auto it = w.activity.begin(); it != w.activity.end(); ++it)
        activity.insert(it.key(), it.value()); // and any counter a later version adds
    o.insert(QStringLiteral("activity"), activity);
    return o;
}

// ---- HTML and PDF: the same tables ----

struct Table
{
    QList<ReportColumn> columns;
    QList<QStringList> rows;
    QList<QStringList> sortKeys; // HTML only
};

QStringList coverLines(const SlaReport &r, const QString &workspace, const QString &flowFilter,
                       const ChainCheck &chain)
{
    return {QStringLiteral("Workspace: ") + workspace,
            QStringLiteral("Period (UTC, end excluded): %1 to %2").arg(iso(r.fromMs), iso(r.toMs)),
            QStringLiteral("Flows: ")
                + (flowFilter.isEmpty() ? QStringLiteral("all (%1)").arg(r.flows.size())
                                        : QStringLiteral("only %1").arg(flowFilter)),
            QStringLiteral("Generated: ") + iso(r.generatedMs),
            QuantileNote,
            HourNote,
            chainStatusText(chain)};
}

QString longestText(const SlaWindow &w)
{
    return w.longestLate ? QStringLiteral("%1\n%2").arg(QString::fromUtf8(w.longestLate->keyJson),
                                                        durationText(w.longestLate->lagMs))
                         : QStringLiteral("none");
}

const QList<ReportColumn> &windowColumns()
{
    static const QList<ReportColumn> columns{
        {QStringLiteral("day"), 2.2},
        {QStringLiteral("arrivals"), 1.6, true},
        {QStringLiteral("within SLA"), 2.0, true},
        {QStringLiteral("p50 lag"), 1.6, true},
        {QStringLiteral("p95 lag"), 1.6, true},
        {QStringLiteral("p99 lag"), 1.6, true},
        {QStringLiteral("longest late record"), 3.4},
        {QStringLiteral("breaches"), 1.9, true},
        {QStringLiteral("time in breach"), 2.6, true}};
    return columns;
}

void addWindowRow(Table &t, const QString &first, const SlaWindow &w)
{
    const bool any = w.arrivals > 0;
    const auto q = [&](double p) { return any ? durationText(w.lags.quantileMs(p)) : QStringLiteral("-"); };
    const auto qk = [&](double p) { return any ? QString::number(w.lags.quantileMs(p)) : QStringLiteral("-1"); };
    t.rows.append({first, QString::number(w.arrivals),
                   any ? percentText(w) + QStringLiteral(" %") : QStringLiteral("no changes arrived"),
                   q(0.5), q(0.95), q(0.99), longestText(w), QString::number(w.breaches.size()),
                   durationText(w.breachMs)});
    t.sortKeys.append({QString(), QString(), any ? percentText(w) : QStringLiteral("-1"), qk(0.5),
                       qk(0.95), qk(0.99),
                       w.longestLate ? QString::number(w.longestLate->lagMs) : QStringLiteral("-1"),
                       QString(), QString::number(w.breachMs)});
}

Table summaryTable(const SlaReport &r)
{
    Table t;
    t.columns = windowColumns();
    t.columns[0] = {QStringLiteral("flow (SLA)"), 2.4};
    for (const SlaFlowReport &f : r.flows)
        addWindowRow(t, QStringLiteral("%1\n(%2)").arg(f.flow, durationText(f.slaMs)), f.period);
    return t;
}

Table daysTable(const SlaFlowReport &f)
{
    Table t;
    t.columns = windowColumns();
    for (const SlaWindow &w : f.days)
        addWindowRow(t, dayText(w.fromMs), w);
    return t;
}

Table breachesTable(const SlaFlowReport &f)
{
    Table t;
    t.columns = {{QStringLiteral("start (UTC)"), 3},
                 {QStringLiteral("end (UTC)"), 3},
                 {QStringLiteral("duration in the period"), 2.2, true},
                 {QStringLiteral("worst record"), 3},
                 {QStringLiteral("its lag"), 1.8, true},
                 {QStringLiteral("records late"), 1.6, true}};
    for (const SlaBreachPart &b : f.period.breaches) {
        t.rows.append({whenText(b.startedMs), b.endedMs ? whenText(*b.endedMs) : QStringLiteral("open"),
                       durationText(b.durationMs),
                       QString::fromUtf8(b.worstKey), durationText(b.worstLagMs),
                       QString::number(b.records)});
        t.sortKeys.append({QString::number(b.startedMs),
                           b.endedMs ? QString::number(*b.endedMs) : QString::number(LLONG_MAX),
                           QString::number(b.durationMs), QString(),
                           QString::number(b.worstLagMs), QString()});
    }
    return t;
}

Table activityTable(const SlaFlowReport &f)
{
    Table t;
    t.columns = {{QStringLiteral("day"), 2.4},
                 {QStringLiteral("source inserted / updated / deleted"), 3},
                 {QStringLiteral("target inserted / updated / deleted"), 3},
                 {QStringLiteral("conflicts detected"), 1.8, true},
                 {QStringLiteral("by operators: applied / refused / failed"), 3},
                 {QStringLiteral("by policy: applied / refused / failed"), 3}};
    auto joined = [](const SlaWindow &w, const QStringList &names) {
        QStringList parts;
        for (const QString &n : names)
            parts << QString::number(w.activity.value(n));
        return parts.join(QStringLiteral(" / "));
    };
    auto changes = [](bool source) {
        QStringList names;
        for (const ChangeOp op : {ChangeOp::Insert, ChangeOp::Update, ChangeOp::Delete})
            names << activity::changes(source, op);
        return names;
    };
    auto resolutions = [](bool byPolicy) {
        QStringList names;
        for (const QString &outcome : activity::Outcomes)
            names << activity::resolutions(byPolicy, outcome);
        return names;
    };
    auto add = [&](const QString &first, const SlaWindow &w) {
        t.rows.append({first, joined(w, changes(true)), joined(w, changes(false)),
                       QString::number(w.activity.value(activity::ConflictsDetected)),
                       joined(w, resolutions(false)), joined(w, resolutions(true))});
    };
    for (const SlaWindow &w : f.days)
        add(dayText(w.fromMs), w);
    add(QStringLiteral("whole period"), f.period);
    return t;
}

QString flowHeading(const SlaFlowReport &f)
{
    return QStringLiteral("Flow %1 (SLA %2)").arg(f.flow, durationText(f.slaMs));
}

// The report's sections in order, for a writer with heading/paragraph/table (HTML or PDF).
template<typename Writer, typename TableWriter>
void sections(const SlaReport &r, Writer &w, const TableWriter &table)
{
    w.heading(QStringLiteral("The period, per flow"));
    table(summaryTable(r));
    for (const SlaFlowReport &f : r.flows) {
        w.heading(flowHeading(f) + QStringLiteral(": per day"));
        table(daysTable(f));
        w.heading(flowHeading(f) + QStringLiteral(": breaches"));
        const Table breaches = breachesTable(f);
        if (breaches.rows.isEmpty())
            w.paragraph(QStringLiteral("No breach in the period."));
        else
            table(breaches);
        w.heading(flowHeading(f) + QStringLiteral(": activity"));
        table(activityTable(f));
    }
}

} // namespace

QByteArray slaCsv(const SlaReport &report)
{
    QStringList header{QStringLiteral("kind"), QStringLiteral("flow"), QStringLiteral("sla_seconds"),
                       QStringLiteral("day"), QStringLiteral("from"), QStringLiteral("to"),
                       QStringLiteral("arrivals"), QStringLiteral("within_sla"),
                       QStringLiteral("within_sla_pct"), QStringLiteral("p50_ms"),
                       QStringLiteral("p95_ms"), QStringLiteral("p99_ms"),
                       QStringLiteral("longest_late_key"), QStringLiteral("longest_late_lag_ms"),
                       QStringLiteral("breaches"), QStringLiteral("breach_ms"),
                       QStringLiteral("breach_start"), QStringLiteral("breach_end"),
                       QStringLiteral("breach_duration_ms"), QStringLiteral("worst_key"),
                       QStringLiteral("worst_lag_ms"), QStringLiteral("late_records")};
    for (QString name : ActivityNames)
        header << name.replace(u'.', u'_');
    QByteArray csv = csvRow(header);
    for (const SlaFlowReport &f : report.flows) {
        for (const SlaWindow &w : f.days)
            csvWindowWithBreaches(csv, QStringLiteral("day"), f, w, true);
        csvWindowWithBreaches(csv, QStringLiteral("period"), f, f.period, false);
    }
    return csv;
}

QByteArray slaJson(const SlaReport &report, const QString &workspace)
{
    QJsonArray flows;
    for (const SlaFlowReport &f : report.flows) {
        QJsonArray days;
        for (const SlaWindow &w : f.days)
            days.append(jsonWindow(w, true));
        flows.append(QJsonObject{{QStringLiteral("flow"), f.flow},
                                 {QStringLiteral("sla_seconds"), f.slaMs / 1000},
                                 {QStringLiteral("days"), days},
                                 {QStringLiteral("period"), jsonWindow(f.period, false)}});
    }
    return QJsonDocument(QJsonObject{{QStringLiteral("report"), QStringLiteral("sla")},
                                     {QStringLiteral("workspace"), workspace},
                                     {QStringLiteral("from"), iso(report.fromMs)},
                                     {QStringLiteral("to"), iso(report.toMs)},
                                     {QStringLiteral("generated_at"), iso(report.generatedMs)},
                                     {QStringLiteral("quantiles"), QuantileNote},
                                     {QStringLiteral("flows"), flows}})
        .toJson();
}

QByteArray slaHtml(const SlaReport &report, const QString &workspace, const QString &flowFilter,
                   const ChainCheck &chain)
{
    HtmlReport html(Title);
    html.title(Title);
    const QStringList cover = coverLines(report, workspace, flowFilter, chain);
    for (qsizetype i = 0; i < cover.size(); ++i)
        html.paragraph(cover[i], i + 1 == cover.size() && !chain.intact ? QStringLiteral("broken")
                                                                        : QString());
    sections(report, html, [&](const Table &t) {
        html.beginTable(t.columns);
        for (qsizetype i = 0; i < t.rows.size(); ++i)
            html.row(t.rows[i], t.sortKeys.value(i));
        html.endTable();
    });
    return html.finish({chainStatusText(chain)});
}

bool writeSlaPdf(const SlaReport &report, const QString &workspace, const QString &flowFilter,
                 const ChainCheck &chain, const QString &path, ReportPageSize pageSize,
                 QString *error)
{
    PrintedReport::Options options;
    options.pageSize = pageSize;
    options.title = Title;
    options.footer = {chainStatusText(chain)};
    const QStringList cover = coverLines(report, workspace, flowFilter, chain);
    return PdfOutput::write(path, options, [&](PrintedReport &pdf) {
        pdf.title(Title);
        for (const QString &line : cover)
            pdf.paragraph(line);
        sections(report, pdf, [&](const Table &t) {
            pdf.beginTable(t.columns);
            for (const QStringList &row : t.rows)
                pdf.row(row);
            pdf.endTable();
        });
        return true;
    }, error);
}

bool writeSlaReport(StateStore &store, const Workspace &workspace, const QString &format,
                    const SlaRequest &request, const QString &path, QString *error)
{
    if (!QStringList{QStringLiteral("csv"), QStringLiteral("json"), QStringLiteral("html"),
                     QStringLiteral("pdf")}.contains(format)) {
        *error = QStringLiteral("unknown report format '%1' (csv, json, html or pdf)").arg(format);
        return false;
    }
    if (request.fromMs >= request.toMs) {
        *error = QStringLiteral("the period is empty: --from must be before --to");
        return false;
    }
    QList<SlaFlow> flows;
    for (const FlowSpec &f : workspace.flows) {
        if (request.flow.isEmpty() || f.name == request.flow)
            flows.append({f.name, qint64(f.slaSeconds) * 1000});
    }
    if (!request.flow.isEmpty() && flows.isEmpty()) {
        *error = QStringLiteral("the workspace has no flow '%1'").arg(request.flow);
        return false;
    }
    // Hours that start in the period; breaches that overlap it.
    const QString &flow = request.flow;
    const SlaReport report = buildSlaReport(
        flows, request.fromMs, request.toMs, QDateTime::currentMSecsSinceEpoch(),
        store.activityCounts(flow, request.fromMs, request.toMs),
        store.activityPeaks(flow, request.fromMs, request.toMs),
        store.slaBreaches(flow, request.fromMs, request.toMs));
    const QString name = workspace.filePath;
    const auto chain = [&store] { return verifyStoredChain(store); };
    if (format == u"pdf")
        return writeReportFileWith(path, [&](const QString &part) {
            return writeSlaPdf(report, name, request.flow, chain(), part, request.pageSize, error);
        }, error);
    const QByteArray data = format == u"csv"    ? slaCsv(report)
                            : format == u"json" ? slaJson(report, name)
                                                : slaHtml(report, name, request.flow, chain());
    return writeReportFile(path, data, error);
}

} // namespace syncdesk
