#include "GlyphLinePainter.h"

#include <QGlyphRun>
#include <QPainter>
#include <QTextLayout>

#include <cmath>

namespace syncdesk {

namespace {

bool isBreakAfter(char16_t c)
{
    return c == u'-' || c == u'/' || c == u',' || c == u';';
}

// The span [start, end) without the spaces it ends with.
GlyphLinePainter::Line trimmed(const QString &text, qsizetype start, qsizetype end)
{
    while (end > start && text[end - 1] == u' ')
        --end;
    return {start, end - start};
}

} // namespace

GlyphLinePainter::GlyphLinePainter(QPaintDevice *device, const QFont &font)
    : m_device(device), m_font(font), m_metrics(font, device),
      m_raw(QRawFont::fromFont(QFont(font, device)))
{
}

const GlyphLinePainter::Glyph *GlyphLinePainter::glyph(char16_t c)
{
    if (c >= FastRange)
        return nullptr;
    Glyph &g = m_glyphs[c];
    if (!g.known) {
        g.known = true;
        // No controls: one character, one glyph, no shaping needed.
        if (m_raw.isValid() && c >= 0x20 && !(c >= 0x7f && c < 0xa0)) {
            const QList<quint32> indexes = m_raw.glyphIndexesForString(QString(QChar(c)));
            if (indexes.size() == 1 && indexes.first() != 0) {
                g.index = indexes.first();
                g.advance = m_raw.advancesForGlyphIndexes(indexes).value(0).x();
            }
        }
    }
    return g.index ? &g : nullptr;
}

qreal GlyphLinePainter::width(QStringView text)
{
    qreal w = 0;
    for (const QChar c : text) {
        const Glyph *g = glyph(c.unicode());
        if (!g)
            return m_metrics.horizontalAdvance(text.toString());
        w += g->advance;
    }
    return w;
}

QList<GlyphLinePainter::Line> GlyphLinePainter::wrap(const QString &text, qreal width)
{
    QList<Line> out;
    qsizetype from = 0;
    while (true) {
        const qsizetype newline = text.indexOf(u'\n', from);
        const qsizetype to = newline < 0 ? text.size() : newline;
        wrapParagraph(text, from, to, width, out);
        if (newline < 0)
            return out;
        from = newline + 1;
    }
}

void GlyphLinePainter::wrapParagraph(const QString &text, qsizetype from, qsizetype to,
                                     qreal width, QList<Line> &out)
{
    qsizetype lineStart = from;
    qsizetype lastBreak = -1; // a line may end just before this index
    qreal pen = 0;
    for (qsizetype i = from; i < to; ++i) {
        const char16_t c = text[i].unicode();
        const Glyph *g = glyph(c);
        if (!g) { // needs shaping (or is a control character): Qt's own line breaking
            layoutParagraph(text, lineStart, to, width, out);
            return;
        }
        if (c == u' ') { // spaces may hang past the edge: they are not drawn
            pen += g->advance;
            lastBreak = i + 1;
            continue;
        }
        if (pen + g->advance > width && i > lineStart) {
            const qsizetype end = lastBreak > lineStart ? lastBreak : i;
            out.append(trimmed(text, lineStart, end));
            lineStart = end;
            lastBreak = -1;
            pen = 0;
            for (qsizetype j = lineStart; j < i; ++j)
                pen += glyph(text[j].unicode())->advance;
        }
        pen += g->advance;
        if (isBreakAfter(c))
            lastBreak = i + 1;
    }
    out.append(trimmed(text, lineStart, to));
}

void GlyphLinePainter::layoutParagraph(const QString &text, qsizetype from, qsizetype to,
                                       qreal width, QList<Line> &out)
{
    QTextLayout layout(text.mid(from, to - from), m_font, m_device);
    QTextOption option;
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    layout.setTextOption(option);
    layout.beginLayout();
    for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
        line.setLineWidth(width);
        out.append(trimmed(text, from + line.textStart(), from + line.textStart() + line.textLength()));
    }
    layout.endLayout();
    if (from == to)
        out.append({from, 0});
}

void GlyphLinePainter::draw(QPainter &painter, qreal x, qreal y, QStringView text)
{
    if (text.isEmpty())
        return;
    painter.setFont(m_font);
    QList<quint32> indexes;
    QList<QPointF> positions;
    indexes.reserve(text.size());
    positions.reserve(text.size());
    qreal pen = 0;
    for (const QChar c : text) {
        const Glyph *g = glyph(c.unicode());
        if (!g) {
            painter.drawText(QPointF(x, y), text.toString());
            return;
        }
        indexes << g->index;
        positions << QPointF(pen, 0);
        pen += g->advance;
    }
    QGlyphRun run;
    run.setRawFont(m_raw);
    run.setGlyphIndexes(indexes);
    run.setPositions(positions);
    painter.drawGlyphRun(QPointF(x, y), run);
}

void GlyphLinePainter::queue(QPainter &painter, qreal x, qreal y, QStringView text)
{
    const qsizetype mark = m_queuedGlyphs.size();
    qreal pen = x;
    for (const QChar c : text) {
        const Glyph *g = glyph(c.unicode());
        if (!g) {
            m_queuedGlyphs.resize(mark);
            m_queuedPositions.resize(mark);
            painter.setFont(m_font);
            painter.drawText(QPointF(x, y), text.toString());
            return;
        }
        if (c != u' ') { // a space is only an advance: the PDF writer pays for every glyph
            m_queuedGlyphs << g->index;
            // Whole device pixels: the PDF writer spells every glyph's offset as a number,
            // and "9 " is a quarter of the bytes of "9.38672 " (at 300 dpi a pixel is 0.08 mm).
            m_queuedPositions << QPointF(std::round(pen), std::round(y));
        }
        pen += g->advance;
    }
}

void GlyphLinePainter::flush(QPainter &painter)
{
    if (m_queuedGlyphs.isEmpty())
        return;
    painter.setFont(m_font);
    QGlyphRun run;
    run.setRawFont(m_raw);
    run.setGlyphIndexes(m_queuedGlyphs);
    run.setPositions(m_queuedPositions);
    painter.drawGlyphRun(QPointF(0, 0), run);
    m_queuedGlyphs.clear();
    m_queuedPositions.clear();
}

} // namespace syncdesk
