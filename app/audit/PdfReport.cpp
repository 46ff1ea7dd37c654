#include "PdfReport.h"

#include <QFile>
#include <QPainter>
#include <QPdfWriter>

#include <algorithm>

namespace syncdesk {

namespace {

constexpr int Dpi = 300; // glyphs sit on whole pixels (GlyphLinePainter::queue): 0.08 mm
const QColor RuleColour(170, 170, 170);
const QColor HeaderFill(228, 228, 228);

QFont reportFont(int points, bool bold = false)
{
    QFont f(QStringLiteral("DejaVu Sans"), points, bold ? QFont::Bold : QFont::Normal);
    f.setStyleHint(QFont::SansSerif);
    return f;
}

} // namespace

bool PdfReport::write(const QString &path, const Options &options, const Content &content,
                      QString *error)
{
    QPdfWriter pdf(path); // the file is only opened when painting begins
    pdf.setPageSize(QPageSize(options.pageSize == ReportPageSize::Letter ? QPageSize::Letter : QPageSize::A4));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    pdf.setResolution(Dpi);
    pdf.setTitle(options.title);
    pdf.setCreator(QStringLiteral("SyncDesk"));
    int pages = 0;
    {
        PdfReport layout(pdf, options, nullptr, 0);
        if (!content(layout)) {
            *error = QStringLiteral("cancelled");
            return false;
        }
        pages = layout.m_page;
    }
    QPainter painter;
    if (!painter.begin(&pdf)) {
        *error = QStringLiteral("cannot write %1").arg(path);
        return false;
    }
    PdfReport paint(pdf, options, &painter, pages);
    if (!content(paint)) {
        painter.end();
        QFile::remove(path);
        *error = QStringLiteral("cancelled");
        return false;
    }
    paint.footer();
    if (!painter.end()) {
        *error = QStringLiteral("cannot finish %1").arg(path);
        return false;
    }
    return true;
}

PdfReport::PdfReport(QPdfWriter &pdf, const Options &options, QPainter *painter, int pages)
    : m_pdf(pdf), m_options(options), m_painter(painter), m_pages(pages)
{
    m_text = std::make_unique<GlyphLinePainter>(&pdf, reportFont(8));
    m_bold = std::make_unique<GlyphLinePainter>(&pdf, reportFont(8, true));
    m_heading = std::make_unique<GlyphLinePainter>(&pdf, reportFont(11, true));
    m_title = std::make_unique<GlyphLinePainter>(&pdf, reportFont(16, true));
    m_small = std::make_unique<GlyphLinePainter>(&pdf, reportFont(7));
    const qreal mm = Dpi / 25.4;
    m_pad = 0.6 * mm;
    m_padX = 1.5 * mm; // columns need more air between them than rows do
    const qreal width = pdf.width() - 30 * mm;
    qsizetype footerLines = 1;
    for (const QString &line : m_options.footer)
        footerLines += m_small->wrap(line, width).size();
    const qreal footerHeight = 3 * mm + footerLines * m_small->lineSpacing();
    m_body = QRectF(15 * mm, 15 * mm, width, pdf.height() - 27 * mm - footerHeight);
    m_y = m_body.top();
}

PdfReport::~PdfReport() = default;

void PdfReport::ensureRoom(qreal height)
{
    if (m_y + height > m_body.bottom() && m_y > m_body.top())
        newPage();
}

void PdfReport::newPage()
{
    footer();
    if (m_painter)
        m_pdf.newPage();
    ++m_page;
    m_y = m_body.top();
    if (m_inTable)
        tableHeader();
}

void PdfReport::footer()
{
    if (!m_painter)
        return;
    m_painter->setPen(Qt::black);
    for (GlyphLinePainter *font : {m_title.get(), m_heading.get(), m_bold.get(), m_text.get()})
        font->flush(*m_painter);
    // The rows' rules, all at once: one stroke per page rather than one per row.
    m_painter->setPen(QPen(RuleColour, 2));
    m_painter->drawLines(m_rules);
    m_rules.clear();
    const qreal mm = Dpi / 25.4;
    qreal y = m_body.bottom() + 4 * mm;
    m_painter->setPen(QPen(RuleColour, 2));
    m_painter->drawLine(QPointF(m_body.left(), y), QPointF(m_body.right(), y));
    y += 1.5 * mm;
    const qreal ls = m_small->lineSpacing();
    m_painter->setPen(Qt::black);
    for (const QString &text : m_options.footer) {
        for (const GlyphLinePainter::Line &line : m_small->wrap(text, m_body.width())) {
            m_small->draw(*m_painter, m_body.left(), y + m_small->ascent(),
                          QStringView(text).mid(line.start, line.length));
            y += ls;
        }
    }
    const QString page = QStringLiteral("page %1 of %2").arg(m_page).arg(m_pages);
    m_small->draw(*m_painter, m_body.left(), y + m_small->ascent(), m_options.title);
    m_small->draw(*m_painter, m_body.right() - m_small->width(page), y + m_small->ascent(), page);
}

void PdfReport::block(GlyphLinePainter &font, const QString &text, qreal spaceBefore)
{
    if (m_y > m_body.top())
        m_y += spaceBefore;
    if (m_painter)
        m_painter->setPen(Qt::black);
    for (const GlyphLinePainter::Line &line : font.wrap(text, m_body.width())) {
        ensureRoom(font.lineSpacing());
        if (m_painter)
            font.queue(*m_painter, m_body.left(), m_y + font.ascent(),
                       QStringView(text).mid(line.start, line.length));
        m_y += font.lineSpacing();
    }
}

void PdfReport::title(const QString &text)
{
    block(*m_title, text, 0);
    m_y += m_text->lineSpacing() / 2;
}

void PdfReport::heading(const QString &text)
{
    // Never the last thing on a page: a heading keeps a few lines of what it heads.
    ensureRoom(m_text->lineSpacing() + m_heading->lineSpacing() + 4 * m_text->lineSpacing());
    block(*m_heading, text, m_text->lineSpacing());
    m_y += m_text->lineSpacing() / 4;
}

void PdfReport::paragraph(const QString &text)
{
    block(*m_text, text, 0);
}

void PdfReport::gap()
{
    if (m_y > m_body.top())
        m_y += m_text->lineSpacing();
}

void PdfReport::beginTable(const QList<ReportColumn> &columns)
{
    m_columns = columns;
    m_columnX.clear();
    qreal total = 0;
    for (const ReportColumn &c : columns)
        total += c.share;
    qreal x = m_body.left();
    for (const ReportColumn &c : columns) {
        m_columnX << x;
        x += m_body.width() * c.share / total;
    }
    m_columnX << m_body.right();
    ensureRoom(4 * m_text->lineSpacing() + 4 * m_pad);
    tableHeader();
    m_inTable = true;
}

void PdfReport::tableHeader()
{
    QStringList titles;
    for (const ReportColumn &c : m_columns)
        titles << c.title;
    QList<QList<GlyphLinePainter::Line>> lines;
    int n = 1;
    for (qsizetype i = 0; i < titles.size(); ++i) {
        lines << m_bold->wrap(titles[i], m_columnX[i + 1] - m_columnX[i] - 2 * m_padX);
        n = std::max(n, int(lines.last().size()));
    }
    paintRowSlice(titles, lines, 0, n, *m_bold, true);
    m_tableTop = m_y;
}

void PdfReport::row(const QStringList &cells)
{
    QList<QList<GlyphLinePainter::Line>> lines;
    lines.reserve(cells.size());
    int n = 1;
    for (qsizetype i = 0; i < cells.size() && i + 1 < m_columnX.size(); ++i) {
        lines << m_text->wrap(cells[i], m_columnX[i + 1] - m_columnX[i] - 2 * m_padX);
        n = std::max(n, int(lines.last().size()));
    }
    const qreal ls = m_text->lineSpacing();
    // A row starts on a fresh page rather than be split, unless it is taller than a page:
    // then it goes on over the next pages, line by line, under the repeated header.
    if (m_y + n * ls + 2 * m_pad > m_body.bottom() && m_y > m_tableTop)
        newPage();
    for (int done = 0; done < n;) {
        const int fit = std::max(1, int((m_body.bottom() - m_y - 2 * m_pad) / ls));
        const int count = std::min(fit, n - done);
        paintRowSlice(cells, lines, done, count, *m_text, false);
        done += count;
        if (done < n)
            newPage();
    }
}

void PdfReport::endTable()
{
    m_inTable = false;
    m_columns.clear();
    gap();
}

void PdfReport::paintRowSlice(const QStringList &cells,
                              const QList<QList<GlyphLinePainter::Line>> &lines, int first,
                              int count, GlyphLinePainter &font, bool header)
{
    const qreal ls = font.lineSpacing();
    const qreal height = count * ls + 2 * m_pad;
    if (m_painter) {
        const QRectF area(m_body.left(), m_y, m_body.width(), height);
        if (header)
            m_painter->fillRect(area, HeaderFill);
        m_painter->setPen(Qt::black); // for text drawn at once (shaped); the rest is queued
        for (qsizetype i = 0; i < lines.size(); ++i) {
            const qreal left = m_columnX[i] + m_padX;
            const qreal right = m_columnX[i + 1] - m_padX;
            for (int k = first; k < first + count && k < lines[i].size(); ++k) {
                const QStringView text = QStringView(cells[i]).mid(lines[i][k].start, lines[i][k].length);
                const qreal x = m_columns.value(i).numeric ? right - font.width(text) : left;
                font.queue(*m_painter, x, m_y + m_pad + (k - first) * ls + font.ascent(), text);
            }
        }
        font.flush(*m_painter);
        m_rules << QLineF(area.bottomLeft(), area.bottomRight());
    }
    m_y += height;
}

} // namespace syncdesk
