#pragma once

#include "ReportColumn.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace syncdesk {

// A report as one self-contained HTML file: inline CSS (screen and print, the header of a long
// table repeated on every printed page) and a few lines of inline JavaScript that sort a table
// by the column clicked. Nothing is fetched from the network.
class HtmlReport
{
public:
    explicit HtmlReport(const QString &title);

    void title(const QString &text);
    void heading(const QString &text);
    // `cssClass`: "broken" shows a problem in red.
    void paragraph(const QString &text, const QString &cssClass = {});
    void beginTable(const QList<ReportColumn> &columns);
    // `sortKeys` (optional, per cell): what a cell sorts by when its text does not say it
    // (a duration, an empty value).
    void row(const QStringList &cells, const QStringList &sortKeys = {});
    void endTable();
    // The document, closed with `footer` (e.g. the audit chain's status).
    [[nodiscard]] QByteArray finish(const QStringList &footer);

private:
    QString m_html;
    QList<ReportColumn> m_columns;
};

} // namespace syncdesk
