#include "HtmlReport.h"

namespace syncdesk {

namespace {

const char Style[] =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10pt;margin:2em;color:#000}"
    "h1{font-size:16pt}h2{font-size:12pt;margin-top:1.5em}"
    "table{border-collapse:collapse;margin:0.5em 0 1em}"
    "th,td{border-bottom:1px solid #aaa;padding:2px 6px;text-align:left;vertical-align:top;"
    "white-space:pre-wrap;overflow-wrap:anywhere}"
    "th{background:#e4e4e4;cursor:pointer;user-select:none}"
    "th.num,td.num{text-align:right}"
    "th[data-dir=asc]::after{content:' \\25B2'}th[data-dir=desc]::after{content:' \\25BC'}"
    ".broken{color:#b00;font-weight:bold}footer{margin-top:2em;font-size:9pt;color:#333}"
    "@media print{body{margin:0}thead{display:table-header-group}tr{break-inside:avoid}"
    "th{cursor:auto}}";

// Click a header to sort its table; again to reverse. Numbers sort as numbers.
const char Script[] =
    "document.querySelectorAll('table.sortable th').forEach(function(th){"
    "th.addEventListener('click',function(){"
    "var table=th.closest('table'),body=table.tBodies[0],"
    "i=Array.prototype.indexOf.call(th.parentNode.children,th),asc=th.dataset.dir!=='asc';"
    "table.querySelectorAll('th').forEach(function(h){delete h.dataset.dir;});"
    "th.dataset.dir=asc?'asc':'desc';"
    "var key=function(r){var c=r.children[i];if(!c)return '';"
    "return c.dataset.sort!==undefined?c.dataset.sort:c.textContent;};"
    "var rows=Array.prototype.slice.call(body.rows);"
    "rows.sort(function(a,b){var x=key(a),y=key(b),nx=Number(x),ny=Number(y);"
    "var d=(x!==''&&y!==''&&!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);"
    "return asc?d:-d;});"
    "rows.forEach(function(r){body.appendChild(r);});});});";

} // namespace

HtmlReport::HtmlReport(const QString &title)
{
    m_html = QStringLiteral("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                            "<title>%1</title><style>%2</style></head><body>\n")
                 .arg(title.toHtmlEscaped(), QLatin1String(Style));
}

void HtmlReport::title(const QString &text)
{
    m_html += QStringLiteral("<h1>%1</h1>\n").arg(text.toHtmlEscaped());
}

void HtmlReport::heading(const QString &text)
{
    m_html += QStringLiteral("<h2>%1</h2>\n").arg(text.toHtmlEscaped());
}

void HtmlReport::paragraph(const QString &text, const QString &cssClass)
{
    m_html += cssClass.isEmpty() ? QStringLiteral("<p>%1</p>\n").arg(text.toHtmlEscaped())
                                 : QStringLiteral("<p class=\"%1\">%2</p>\n")
                                       .arg(cssClass, text.toHtmlEscaped());
}

void HtmlReport::beginTable(const QList<ReportColumn> &columns)
{
    m_columns = columns;
    m_html += QStringLiteral("<table class=\"sortable\"><thead><tr>");
    for (const ReportColumn &c : columns)
        m_html += (c.numeric ? QStringLiteral("<th class=\"num\">") : QStringLiteral("<th>"))
                  + c.title.toHtmlEscaped() + QStringLiteral("</th>");
    m_html += QStringLiteral("</tr></thead><tbody>\n");
}

void HtmlReport::row(const QStringList &cells, const QStringList &sortKeys)
{
    m_html += QStringLiteral("<tr>");
    for (qsizetype i = 0; i < cells.size(); ++i) {
        m_html += QStringLiteral("<td");
        if (m_columns.value(i).numeric)
            m_html += QStringLiteral(" class=\"num\"");
        if (i < sortKeys.size() && !sortKeys[i].isNull())
            m_html += QStringLiteral(" data-sort=\"%1\"").arg(sortKeys[i].toHtmlEscaped());
        m_html += u'>' + cells[i].toHtmlEscaped() + QStringLiteral("</td>");
    }
    m_html += QStringLiteral("</tr>\n");
}

void HtmlReport::endTable()
{
    m_html += QStringLiteral("</tbody></table>\n");
    m_columns.clear();
}

QByteArray HtmlReport::finish(const QStringList &footer)
{
    m_html += QStringLiteral("<footer>");
    for (const QString &line : footer)
        m_html += QStringLiteral("<div>%1</div>").arg(line.toHtmlEscaped());
    m_html += QStringLiteral("</footer>\n<script>%1</script>\n</body></html>\n").arg(QLatin1String(Script));
    return m_html.toUtf8();
}

} // namespace syncdesk
