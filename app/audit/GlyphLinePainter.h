#pragma once

#include <QFont>
#include <QFontMetricsF>
#include <QHash>
#include <QRawFont>
#include <QString>

class QPainter;

namespace syncdesk {

// Paints single lines of text in one font as glyph runs: each character is mapped to its glyph
// through the font's own table, without shaping. For the Latin text, digits and punctuation of
// a report that is what shaping yields, at a fraction of the cost (a 100,000-entry PDF spent a
// third of its time shaping); a line with anything that needs shaping falls back to drawText.
class GlyphLinePainter
{
public:
    // `font` at the painter's device resolution.
    GlyphLinePainter(QPainter &painter, const QFont &font);

    [[nodiscard]] qreal lineSpacing() const { return m_metrics.lineSpacing(); }
    [[nodiscard]] qreal ascent() const { return m_metrics.ascent(); }
    // Draws `text` with its baseline starting at (x, y), cut with an ellipsis at `maxWidth`.
    void draw(qreal x, qreal y, const QString &text, qreal maxWidth);

private:
    struct Glyph
    {
        quint32 index = 0;
        qreal advance = 0;
    };
    [[nodiscard]] const Glyph *glyph(char16_t c);

    QPainter &m_painter;
    QFont m_font;
    QFontMetricsF m_metrics;
    QRawFont m_raw;
    QHash<char16_t, Glyph> m_glyphs;
};

} // namespace syncdesk
