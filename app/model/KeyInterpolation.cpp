#include "KeyInterpolation.h"

#include <QUtf8StringView>

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>
#include <vector>

namespace syncdesk {

namespace {

std::string_view view(const QByteArray &b)
{
    return {b.constData(), size_t(b.size())};
}

// Byte order (std::char_traits<char> compares as unsigned char), as the ranges are compared.
bool less(const QByteArray &a, const QByteArray &b)
{
    return view(a) < view(b);
}

bool validUtf8(const QByteArray &b)
{
    // The cuts travel as text parameters: a byte sequence cut in the middle of a character
    // would be refused by the server.
    return QUtf8StringView(b).isValidUtf8();
}

// At most this many byte positions are interpolated: enough to tell 2^62 ranges apart.
constexpr int MaxPositions = 16;
constexpr double MaxValue = 4.0e18;

__extension__ using Wide = __int128; // the span of two 64-bit keys needs 65 bits

} // namespace

QList<QByteArray> KeyInterpolation::integerCuts(const QByteArray &lo, const QByteArray &hi, int parts)
{
    QList<QByteArray> out;
    bool okLo = false, okHi = false;
    const qint64 a = lo.toLongLong(&okLo);
    const qint64 b = hi.toLongLong(&okHi);
    if (!okLo || !okHi || b <= a || parts < 2)
        return out;
    const Wide span = Wide(b) - Wide(a);
    qint64 previous = a;
    for (int i = 1; i < parts; ++i) {
        const qint64 v = qint64(Wide(a) + span * i / parts);
        if (v > previous && v < b) {
            out << QByteArray::number(v);
            previous = v;
        }
    }
    return out;
}

QList<QByteArray> KeyInterpolation::textCuts(const QByteArray &lo, const QByteArray &hi, int parts,
                                             const QList<QByteArray> &anchors)
{
    QList<QByteArray> out;
    if (parts < 2 || !less(lo, hi))
        return out;
    qsizetype prefix = 0;
    while (prefix < lo.size() && prefix < hi.size() && lo[prefix] == hi[prefix])
        ++prefix;

    // Per position after the common prefix: the bytes seen there, ascending, and whether some
    // key ends there. Digit 0 stands for "the key ends here" (it sorts before any byte) and
    // exists only where a key does end: fixed-width keys are then cut as plain numbers.
    struct Position
    {
        std::vector<unsigned char> alphabet;
        bool ends = false;
        [[nodiscard]] double radix() const { return double(alphabet.size()) + (ends ? 1 : 0); }
    };
    std::vector<Position> positions;
    double combinations = 1;
    for (int p = 0; p < MaxPositions && combinations < MaxValue / 512; ++p) {
        std::array<bool, 256> seen{};
        bool ends = false;
        const qsizetype at = prefix + p;
        auto look = [&](const QByteArray &k) {
            if (at < k.size())
                seen[uchar(k.at(at))] = true;
            else if (at == k.size() && k.size() >= prefix)
                ends = true;
        };
        look(lo);
        look(hi);
        for (const QByteArray &k : anchors)
            look(k);
        // A few anchors rarely show every digit or letter a position takes: one seen stands
        // for its whole class, so that cuts fall evenly between them.
        for (const auto &[first, last] : {std::pair('0', '9'), std::pair('a', 'z'), std::pair('A', 'Z')}) {
            if (std::any_of(seen.begin() + first, seen.begin() + last + 1, [](bool b) { return b; }))
                std::fill(seen.begin() + first, seen.begin() + last + 1, true);
        }
        Position position;
        for (int c = 0; c < 256; ++c)
            if (seen[size_t(c)])
                position.alphabet.push_back(uchar(c));
        if (position.alphabet.empty())
            break;
        position.ends = ends;
        positions.push_back(std::move(position));
        combinations *= positions.back().radix();
        if (combinations >= double(parts) * 64)
            break; // fine enough
    }
    if (positions.empty())
        return out;

    std::vector<double> weights(positions.size());
    double w = 1;
    for (size_t p = positions.size(); p-- > 0;) {
        weights[p] = w;
        w *= positions[p].radix();
    }
    auto valueOf = [&](const QByteArray &key) {
        double v = 0;
        for (size_t p = 0; p < positions.size(); ++p) {
            const qsizetype at = prefix + qsizetype(p);
            if (at >= key.size())
                break; // ends here: digit 0
            const auto &alphabet = positions[p].alphabet;
            const auto it = std::lower_bound(alphabet.begin(), alphabet.end(), uchar(key[at]));
            const size_t index = std::min<size_t>(size_t(it - alphabet.begin()), alphabet.size() - 1);
            v += double(index + (positions[p].ends ? 1 : 0)) * weights[p];
        }
        return v;
    };
    const double a = valueOf(lo);
    const double b = valueOf(hi);
    if (b - a < 2)
        return out;
    const QByteArray head = lo.left(prefix);
    QByteArray previous = lo;
    for (int i = 1; i < parts; ++i) {
        double v = std::floor(a + (b - a) * i / parts);
        QByteArray cut = head;
        for (size_t p = 0; p < positions.size(); ++p) {
            double digit = std::floor(v / weights[p]);
            v -= digit * weights[p];
            if (positions[p].ends) {
                if (digit < 1)
                    break; // the key ends here
                digit -= 1;
            }
            const auto &alphabet = positions[p].alphabet;
            cut.append(char(alphabet[std::min<size_t>(size_t(digit), alphabet.size() - 1)]));
        }
        if (less(previous, cut) && less(cut, hi) && validUtf8(cut)) {
            out << cut;
            previous = cut;
        }
    }
    return out;
}

QList<QByteArray> KeyInterpolation::cuts(Kind kind, const QList<QByteArray> &anchors,
                                         double rowsBetween, double rangeRows)
{
    QList<QByteArray> out;
    const int parts = int(std::clamp(std::round(rowsBetween / std::max(1.0, rangeRows)), 1.0, 1.0e6));
    for (qsizetype i = 0; i < anchors.size(); ++i) {
        if (i > 0 && parts > 1)
            out += kind == Kind::Integer ? integerCuts(anchors[i - 1], anchors[i], parts)
                                         : textCuts(anchors[i - 1], anchors[i], parts, anchors);
        out << anchors[i];
    }
    return out;
}

} // namespace syncdesk
