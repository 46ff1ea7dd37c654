#pragma once

#include "ReportColumn.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

namespace syncdesk {

enum class ReportPageSize { A4, Letter };

// A printed report as its content sees it: headings, paragraphs and tables whose cells wrap,
// laid out once to count pages and then again to paint (`page N of M` needs the count first),
// so the content must say the same thing both times. Painted by PdfReport (Qt GUI), which
// PdfOutput reaches without the core linking Qt GUI.
class PrintedReport
{
public:
    struct Options
    {
        ReportPageSize pageSize = ReportPageSize::A4;
        QString title;
        QStringList footer; // e.g. the audit chain's status and head hash
    };
    // Returns false to stop (the report is then not written).
    using Content = std::function<bool(PrintedReport &)>;

    virtual ~PrintedReport() = default;

    // 0 while laying out, 1 while painting (for progress).
    [[nodiscard]] virtual int pass() const = 0;

    virtual void title(const QString &text) = 0;
    virtual void heading(const QString &text) = 0;
    virtual void paragraph(const QString &text) = 0;
    virtual void gap() = 0;
    virtual void beginTable(const QList<ReportColumn> &columns) = 0;
    virtual void row(const QStringList &cells) = 0;
    virtual void endTable() = 0;
};

} // namespace syncdesk
