#pragma once

#include <QFont>
#include <QFontMetricsF>
#include <QList>
#include <QRawFont>
#include <QString>

#include <array>

class QPainter;
class QPaintDevice;

namespace syncdesk {

// Measures, wraps and paints lines of text in one font as glyph runs: each character is mapped
// to its glyph through the font's own table, without shaping. For the Latin text, digits and
// punctuation of a report that is what shaping yields, at a fraction of the cost (a
// 100,000-entry PDF spent a third of its time shaping); a paragraph with anything that needs
// shaping is wrapped by QTextLayout and drawn by drawText instead.
class GlyphLinePainter
{
public:
    // A line of a wrapped text: text.mid(start, length).
    struct Line
    {
        qsizetype start = 0;
        qsizetype length = 0;
    };

    // `font` at `device`'s resolution (the device is only measured, never painted on here).
    GlyphLinePainter(QPaintDevice *device, const QFont &font);

    [[nodiscard]] qreal lineSpacing() const { return m_metrics.lineSpacing(); }
    [[nodiscard]] qreal ascent() const { return m_metrics.ascent(); }
    [[nodiscard]] qreal width(QStringView text);
    // `text` in lines no wider than `width`: a new line at each '\n', otherwise broken after a
    // space (or a '-', '/', ',' or ';'), and anywhere inside a word longer than the width.
    // Only the spaces at a break are dropped: the lines hold every other character, in order.
    [[nodiscard]] QList<Line> wrap(const QString &text, qreal width);
    // Draws `text` (one line) with its baseline starting at (x, y).
    void draw(QPainter &painter, qreal x, qreal y, QStringView text);
    // The same, held until flush(): a page of lines as one glyph run is far cheaper for the PDF
    // writer than a run per line (a 100,000-entry report draws some 1.5 million lines). Text
    // that needs shaping is drawn at once.
    void queue(QPainter &painter, qreal x, qreal y, QStringView text);
    void flush(QPainter &painter);

private:
    struct Glyph
    {
        quint32 index = 0; // 0: needs shaping (or not looked up yet, when !known)
        qreal advance = 0;
        bool known = false;
    };
    static constexpr char16_t FastRange = 0x250; // up to Latin Extended-B
    [[nodiscard]] const Glyph *glyph(char16_t c);
    void wrapParagraph(const QString &text, qsizetype from, qsizetype to, qreal width,
                       QList<Line> &out);
    void layoutParagraph(const QString &text, qsizetype from, qsizetype to, qreal width,
                         QList<Line> &out);

    QPaintDevice *m_device;
    QFont m_font;
    QFontMetricsF m_metrics;
    QRawFont m_raw;
    std::array<Glyph, FastRange> m_glyphs{};
    QList<quint32> m_queuedGlyphs;
    QList<QPointF> m_queuedPositions;
};

} // namespace syncdesk
