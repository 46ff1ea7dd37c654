#pragma once

#include "GlyphLinePainter.h"
#include "ReportColumn.h"

#include <QLineF>
#include <QList>
#include <QPageSize>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

class QPainter;
class QPdfWriter;

namespace syncdesk {

// A printed report: headings, paragraphs and tables whose cells wrap (nothing is cut), with
// the table's header repeated on every page it spans and a footer on every page (the caller's
// lines, then the title and "page N of M"). `page N of M` needs the page count before the
// first page is painted, so the content is laid out once to count pages and then again to
// paint: `content` must say the same thing both times.
class PdfReport
{
public:
    struct Options
    {
        QPageSize::PageSizeId pageSize = QPageSize::A4;
        QString title;
        QStringList footer; // e.g. the audit chain's status and head hash
    };
    // Returns false to stop (the report is then not written).
    using Content = std::function<bool(PdfReport &)>;

    // Needs a QGuiApplication (fonts). Returns false with `error` set if the file cannot be
    // made or `content` stopped.
    [[nodiscard]] static bool write(const QString &path, const Options &options,
                                    const Content &content, QString *error);

    ~PdfReport();

    // 0 while laying out, 1 while painting (for progress).
    [[nodiscard]] int pass() const { return m_painter ? 1 : 0; }

    void title(const QString &text);
    void heading(const QString &text);
    void paragraph(const QString &text);
    void gap();
    void beginTable(const QList<ReportColumn> &columns);
    void row(const QStringList &cells);
    void endTable();

private:
    PdfReport(QPdfWriter &pdf, const Options &options, QPainter *painter, int pages);

    // Starts a new page unless `height` fits below the current position.
    void ensureRoom(qreal height);
    void newPage();
    void footer();
    void tableHeader();
    void block(GlyphLinePainter &font, const QString &text, qreal spaceBefore);
    // Lines [first, first + count) of each cell at the current position.
    void paintRowSlice(const QStringList &cells, const QList<QList<GlyphLinePainter::Line>> &lines,
                       int first, int count, GlyphLinePainter &font, bool header);

    QPdfWriter &m_pdf;
    Options m_options;
    QPainter *m_painter; // null while laying out
    int m_pages;         // known while painting
    int m_page = 1;
    QRectF m_body;       // where content goes
    qreal m_y = 0;
    qreal m_pad = 0;  // above and below a cell's text
    qreal m_padX = 0; // left and right of it
    std::unique_ptr<GlyphLinePainter> m_text, m_bold, m_heading, m_title, m_small;
    QList<ReportColumn> m_columns;
    QList<qreal> m_columnX; // left edge of each column, and the table's right edge last
    qreal m_tableTop = 0;   // where rows start on a page, below the header
    bool m_inTable = false;
    QList<QLineF> m_rules; // under the rows of the current page, drawn with its footer
};

} // namespace syncdesk
