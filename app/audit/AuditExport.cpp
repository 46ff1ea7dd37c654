#include "AuditExport.h"

#include "GlyphLinePainter.h"
#include "state/StateStore.h"

#include <QFile>
#include <QFontMetrics>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSet>

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

// RFC 4180 field, with a leading = + - @ tab or CR defused by a quote.
QByteArray csvField(const QString &value)
{
    QString v = value;
    if (!v.isEmpty() && QStringLiteral("=+-@\t\r").contains(v.front()))
        v.prepend(u'\'');
    if (v.contains(u',') || v.contains(u'"') || v.contains(u'\n') || v.contains(u'\r')
        || v != value)
        v = u'"' + v.replace(u'"', QStringLiteral("\"\"")) + u'"';
    return v.toUtf8();
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

struct Summary
{
    QMap<QString, int> byFlow, byOperator, byOutcome;
};

Summary summarise(const QList<AuditEntry> &entries)
{
    Summary s;
    QHash<QString, QString> operators; // intent id → operator
    for (const AuditEntry &e : entries) {
        const QString type = e.entry.value(u"type").toString();
        if (type == u"intent") {
            operators.insert(e.entry.value(u"id").toString(), e.entry.value(u"operator").toString());
            ++s.byFlow[e.entry.value(u"flow").toString()];
            ++s.byOperator[e.entry.value(u"operator").toString()];
        } else if (type == u"outcome") {
            ++s.byOutcome[e.entry.value(u"outcome").toString()];
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

QString chainText(const ChainCheck &c)
{
    return c.intact ? QStringLiteral("intact: %1 entries, head hash %2")
                          .arg(c.entries).arg(QString::fromLatin1(c.headHash))
                    : QStringLiteral("BROKEN at entry %1: %2").arg(c.badSeq).arg(c.problem);
}

// One entry as report lines: what happened, to what, by whom, why.
QStringList entryLines(const AuditEntry &a)
{
    const QJsonObject &e = a.entry;
    QStringList lines;
    const QString head = QStringLiteral("#%1  %2  %3  flow %4  key %5")
                             .arg(a.seq)
                             .arg(e.value(u"at").toString(), e.value(u"type").toString(),
                                  e.value(u"flow").toString(), compact(e.value(u"key")));
    if (e.value(u"type").toString() == u"intent") {
        lines << head + QStringLiteral("  %1 by %2 (%3@%4)")
                            .arg(e.value(u"choice").toString(), e.value(u"operator").toString(),
                                 e.value(u"os_user").toString(), e.value(u"host").toString());
        if (e.contains(u"undoes"))
            lines << QStringLiteral("    undoes resolution ") + e.value(u"undoes").toString();
        if (e.contains(u"bulk"))
            lines << QStringLiteral("    bulk: ") + e.value(u"bulk").toObject().value(u"rule").toString();
        lines << QStringLiteral("    reason: ") + e.value(u"reason").toString();
        lines << QStringLiteral("    source before: ") + valuesText(e.value(u"source"));
        lines << QStringLiteral("    target before: ") + valuesText(e.value(u"target"));
    } else {
        lines << head + QStringLiteral("  outcome %1%2")
                            .arg(e.value(u"outcome").toString(),
                                 e.value(u"recovered").toBool() ? QStringLiteral(" (recovered)")
                                                                : QString());
        if (e.value(u"outcome").toString() == u"applied") {
            const QJsonObject after = e.value(u"after").toObject();
            const QString source = valuesText(after.value(u"source"));
            const QString target = valuesText(after.value(u"target"));
            if (source == target) {
                lines << QStringLiteral("    after, both sides: ") + source;
            } else {
                lines << QStringLiteral("    source after: ") + source;
                lines << QStringLiteral("    target after: ") + target;
            }
        } else
            lines << QStringLiteral("    nothing was written");
        if (e.contains(u"error"))
            lines << QStringLiteral("    error: ") + e.value(u"error").toString();
    }
    return lines;
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
    const Summary s = summarise(entries);
    auto table = [](const char *title, const QMap<QString, int> &counts) {
        QString out = QStringLiteral("<h3>%1</h3><table><tr><th>%1</th><th>count</th></tr>")
                          .arg(QLatin1String(title));
        for (auto it = counts.begin(); it != counts.end(); ++it)
            out += QStringLiteral("<tr><td>%1</td><td>%2</td></tr>").arg(it.key().toHtmlEscaped()).arg(it.value());
        return out + QStringLiteral("</table>");
    };
    QString html = QStringLiteral(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>SyncDesk audit report</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:2px 6px;text-align:left;vertical-align:top}"
        ".broken{color:#b00;font-weight:bold}pre{margin:0;white-space:pre-wrap}</style></head><body>");
    html += QStringLiteral("<h1>SyncDesk audit report</h1><p>Period: %1<br>Filters: %2<br>"
                           "Entries: %3<br>Generated: %4</p>")
                .arg(period(filter, entries).toHtmlEscaped(), filters(filter).toHtmlEscaped())
                .arg(entries.size())
                .arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    html += QStringLiteral("<h2>Audit chain</h2><p class=\"%1\">%2</p>")
                .arg(chain.intact ? QStringLiteral("ok") : QStringLiteral("broken"),
                     chainText(chain).toHtmlEscaped());
    html += QStringLiteral("<h2>Summary</h2>") + table("flow", s.byFlow)
            + table("operator", s.byOperator) + table("outcome", s.byOutcome);
    html += QStringLiteral("<h2>Entries</h2><table><tr><th>#</th><th>when (UTC)</th><th>what</th>"
                           "<th>details</th><th>hash</th></tr>");
    for (const AuditEntry &a : entries) {
        QStringList lines = entryLines(a);
        const QString first = lines.takeFirst();
        html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td><pre>%4</pre></td><td><code>%5</code></td></tr>")
                    .arg(a.seq)
                    .arg(a.entry.value(u"at").toString().toHtmlEscaped(),
                         first.section(QStringLiteral("  "), 2).toHtmlEscaped(),
                         lines.join(u'\n').toHtmlEscaped(), QString::fromLatin1(a.hash.left(16)));
    }
    html += QStringLiteral("</table></body></html>\n");
    return html.toUtf8();
}

bool writeAuditPdf(const QList<AuditEntry> &entries, const AuditFilter &filter,
                   const ChainCheck &chain, const QString &path, QString *error,
                   const ReportProgress &progress)
{
    // Painted line by line rather than laid out as a rich-text document: a report of 100,000
    // entries must take seconds, not minutes.
    QPdfWriter pdf(path);
    pdf.setPageSize(QPageSize(QPageSize::A4));
    pdf.setResolution(150);
    pdf.setTitle(QStringLiteral("SyncDesk audit report"));
    pdf.setCreator(QStringLiteral("SyncDesk"));
    QPainter p;
    if (!p.begin(&pdf)) {
        *error = QStringLiteral("cannot write %1").arg(path);
        return false;
    }
    const QRect page = p.viewport().adjusted(60, 60, -60, -60);
    GlyphLinePainter body(p, QFont(QStringLiteral("DejaVu Sans"), 8));
    GlyphLinePainter heading(p, QFont(QStringLiteral("DejaVu Sans"), 14, QFont::Bold));
    qreal y = page.top();
    int pageNumber = 1;
    auto footer = [&] {
        body.draw(page.left(), page.bottom() + 40, QStringLiteral("page %1").arg(pageNumber++), page.width());
    };
    auto line = [&](const QString &text, GlyphLinePainter &font) {
        if (y + font.lineSpacing() > page.bottom()) {
            footer();
            pdf.newPage();
            y = page.top();
        }
        font.draw(page.left(), y + font.ascent(), text, page.width());
        y += font.lineSpacing();
    };
    const Summary s = summarise(entries);
    line(QStringLiteral("SyncDesk audit report"), heading);
    line(QStringLiteral("Period: ") + period(filter, entries), body);
    line(QStringLiteral("Filters: ") + filters(filter), body);
    line(QStringLiteral("Entries: %1").arg(entries.size()), body);
    line(QStringLiteral("Audit chain: ") + chainText(chain), body);
    for (const auto &[title, counts] : {std::pair{QStringLiteral("By flow"), &s.byFlow},
                                        std::pair{QStringLiteral("By operator"), &s.byOperator},
                                        std::pair{QStringLiteral("By outcome"), &s.byOutcome}}) {
        QStringList parts;
        for (auto it = counts->begin(); it != counts->end(); ++it)
            parts << QStringLiteral("%1: %2").arg(it.key()).arg(it.value());
        line(title + QStringLiteral(" — ") + parts.join(QStringLiteral(", ")), body);
    }
    line(QString(), body);
    const qint64 total = entries.size();
    qint64 done = 0;
    for (const AuditEntry &a : entries) {
        for (const QString &text : entryLines(a))
            line(text, body);
        if ((++done & 0xff) == 0 && progress && !progress(done, total)) {
            p.end();
            QFile::remove(path);
            *error = QStringLiteral("cancelled");
            return false;
        }
    }
    footer();
    if (!p.end()) {
        *error = QStringLiteral("cannot finish %1").arg(path);
        return false;
    }
    return true;
}

qint64 writeAuditReport(StateStore &store, const QString &format, const AuditFilter &filter,
                        const QString &path, QString *error, const ReportProgress &progress)
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
    auto chain = [&] {
        ChainVerifier verifier;
        store.forEachAuditRow([&](const AuditRow &row) { return verifier.add(row); });
        return verifier.result();
    };
    if (format == u"pdf") {
        const QString part = path + QStringLiteral(".part");
        if (!writeAuditPdf(entries, filter, chain(), part, error, progress)
            || (QFile::exists(path) && !QFile::remove(path)) || !QFile::rename(part, path)) {
            QFile::remove(part);
            if (error->isEmpty())
                *error = QStringLiteral("cannot write %1").arg(path);
            return -1;
        }
        return entries.size();
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
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return -1;
    }
    return entries.size();
}

} // namespace syncdesk
