#pragma once

#include "GlyphLinePainter.h"
#include "PrintedReport.h"

#include <QLineF>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

class QPainter;
class QPdfWriter;

namespace syncdesk {

// A printed report painted into a PDF: tables whose header is repeated on every page they
// span, and a footer on every page (the caller's lines, then the title and "page N of M").
// Links Qt GUI: programs reach it through PdfOutput.
class PdfReport : public PrintedReport
{
public:
    // Needs a QGuiApplication (fonts). Returns false with `error` set if the file cannot be
    // made or `content` stopped. (A PdfOutput::Writer.)
    [[nodiscard]] static bool write(const QString &path, const Options &options,
                                    const Content &content, QString *error);

    ~PdfReport() override;

    [[nodiscard]] int pass() const override { return m_painter ? 1 : 0; }

    void title(const QString &text) override;
    void heading(const QString &text) override;
    void paragraph(const QString &text) override;
    void gap() override;
    void beginTable(const QList<ReportColumn> &columns) override;
    void row(const QStringList &cells) override;
    void endTable() override;

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
