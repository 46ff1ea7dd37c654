#pragma once

#include <QByteArray>
#include <QList>

namespace syncdesk {

// Where to cut a table's key space into ranges of about the same number of rows, from a few
// keys known to lie in it (anchors: a planner histogram or a sample, equally many rows apart).
// Between two neighbouring anchors the keys are assumed evenly spread: integers by value,
// text by its bytes, each byte position read in the alphabet the anchors use there (so keys
// made of digits are cut as decimal numbers, not as 256-ary ones that would leave most ranges
// empty); a digit or letter seen stands for all digits or all letters of its case.
//
// Only speed depends on the result: any strictly ascending list of keys cuts the key space
// into ranges that together hold every row exactly once.
class KeyInterpolation
{
public:
    enum class Kind { Integer, Text };

    // `anchors`: ascending, distinct keys (decimal text for integers, raw bytes for text);
    // `rowsBetween`: about how many rows lie between two neighbouring anchors; `rangeRows`:
    // how many a range should hold. Returns the anchors with cuts added between them,
    // strictly ascending.
    [[nodiscard]] static QList<QByteArray> cuts(Kind kind, const QList<QByteArray> &anchors,
                                                double rowsBetween, double rangeRows);

    // `parts - 1` cuts strictly between `lo` and `hi` (fewer where no key fits between),
    // ascending, for text read in the alphabet `anchors` use.
    [[nodiscard]] static QList<QByteArray> textCuts(const QByteArray &lo, const QByteArray &hi,
                                                    int parts, const QList<QByteArray> &anchors);
    [[nodiscard]] static QList<QByteArray> integerCuts(const QByteArray &lo, const QByteArray &hi,
                                                       int parts);
};

} // namespace syncdesk
