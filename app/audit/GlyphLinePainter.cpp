#include "GlyphLinePainter.h"

#include <QGlyphRun>
#include <QPainter>

namespace syncdesk {

GlyphLinePainter::GlyphLinePainter(QPainter &painter, const QFont &font)
    : m_painter(painter), m_font(font), m_metrics(font, painter.device()),
      m_raw(QRawFont::fromFont(QFont(font, painter.device())))
{
}

const GlyphLinePainter::Glyph *GlyphLinePainter::glyph(char16_t c)
{
    auto it = m_glyphs.constFind(c);
    if (it != m_glyphs.constEnd())
        return it->index ? &*it : nullptr;
    Glyph g;
    // Up to Latin Extended-B, no controls: one character, one glyph, no shaping needed.
    if (m_raw.isValid() && c >= 0x20 && c < 0x250 && !(c >= 0x7f && c < 0xa0)) {
        const QList<quint32> indexes = m_raw.glyphIndexesForString(QString(QChar(c)));
        if (indexes.size() == 1 && indexes.first() != 0) {
            g.index = indexes.first();
            g.advance = m_raw.advancesForGlyphIndexes(indexes).value(0).x();
        }
    }
    it = m_glyphs.insert(c, g);
    return g.index ? &*it : nullptr;
}

void GlyphLinePainter::draw(qreal x, qreal y, const QString &text, qreal maxWidth)
{
    m_painter.setFont(m_font);
    QList<quint32> indexes;
    QList<QPointF> positions;
    indexes.reserve(text.size());
    positions.reserve(text.size());
    const Glyph *ellipsis = glyph(u'.');
    qreal pen = 0;
    for (const QChar c : text) {
        const Glyph *g = glyph(c.unicode());
        if (!g || !ellipsis) {
            m_painter.drawText(QPointF(x, y), m_metrics.elidedText(text, Qt::ElideRight, maxWidth));
            return;
        }
        if (pen + g->advance > maxWidth) {
            // Room for "...": drop glyphs until it fits.
            while (!indexes.isEmpty() && pen + 3 * ellipsis->advance > maxWidth) {
                indexes.removeLast();
                positions.removeLast();
                pen = positions.isEmpty() ? 0 : positions.last().x() + glyph(text[indexes.size() - 1].unicode())->advance;
            }
            for (int i = 0; i < 3; ++i) {
                indexes << ellipsis->index;
                positions << QPointF(pen, 0);
                pen += ellipsis->advance;
            }
            break;
        }
        indexes << g->index;
        positions << QPointF(pen, 0);
        pen += g->advance;
    }
    if (indexes.isEmpty())
        return;
    QGlyphRun run;
    run.setRawFont(m_raw);
    run.setGlyphIndexes(indexes);
    run.setPositions(positions);
    m_painter.drawGlyphRun(QPointF(x, y), run);
}

} // namespace syncdesk
