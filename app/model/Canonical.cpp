#include "Canonical.h"

#include <QByteArray>
#include <QLocale>

#include <charconv>
#include <cmath>

namespace syncdesk::canonical {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool equalsNoCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        if (x >= 'A' && x <= 'Z')
            x = char(x - 'A' + 'a');
        if (x != b[i])
            return false;
    }
    return true;
}

std::string_view trimSpaces(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Days since 1970-01-01 of a proleptic Gregorian date (the civil-from-days arithmetic is the
// well-known era/day-of-era decomposition).
qint64 daysFromCivil(qint64 y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const qint64 era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = unsigned(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + qint64(doe) - 719468;
}

void civilFromDays(qint64 z, qint64 &y, unsigned &m, unsigned &d)
{
    z += 719468;
    const qint64 era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = unsigned(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = qint64(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
}

unsigned daysInMonth(qint64 y, unsigned m)
{
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

// Reads exactly n digits at pos.
bool digits(std::string_view s, size_t &pos, int n, int &value)
{
    if (pos + size_t(n) > s.size())
        return false;
    value = 0;
    for (int i = 0; i < n; ++i) {
        const char c = s[pos + size_t(i)];
        if (!isDigit(c))
            return false;
        value = value * 10 + (c - '0');
    }
    pos += size_t(n);
    return true;
}

// At least `width` digits, zero-padded: what "%0*lld" prints for a value >= 0, without going
// through printf (each change's event line and image pass here; printf is the costly part).
void appendPadded(std::string &out, qint64 value, int width)
{
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    Q_UNUSED(ec)
    for (qsizetype n = end - digits; n < width; ++n)
        out.push_back('0');
    out.append(digits, end);
}

void appendInstantParts(qint64 seconds, std::string_view fraction, std::string &out)
{
    qint64 days = seconds / 86400;
    qint64 rem = seconds % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    qint64 y;
    unsigned m, d;
    civilFromDays(days, y, m, d);
    if (y < 0)
        out.push_back('-');
    appendPadded(out, y < 0 ? -y : y, 4);
    out.push_back('-');
    appendPadded(out, m, 2);
    out.push_back('-');
    appendPadded(out, d, 2);
    out.push_back('T');
    appendPadded(out, rem / 3600, 2);
    out.push_back(':');
    appendPadded(out, rem / 60 % 60, 2);
    out.push_back(':');
    appendPadded(out, rem % 60, 2);
    while (!fraction.empty() && fraction.back() == '0')
        fraction.remove_suffix(1);
    if (!fraction.empty()) {
        out.push_back('.');
        out.append(fraction);
    }
    out.push_back('Z');
}

} // namespace

bool appendNumber(std::string_view in, std::string &out)
{
    std::string_view s = trimSpaces(in);
    bool negative = false;
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    if (equalsNoCase(s, "nan")) {
        out.append("NaN");
        return true;
    }
    if (equalsNoCase(s, "infinity") || equalsNoCase(s, "inf")) {
        out.append(negative ? "-Infinity" : "Infinity");
        return true;
    }
    size_t pos = 0;
    const size_t intStart = pos;
    while (pos < s.size() && isDigit(s[pos]))
        ++pos;
    std::string_view intDigits = s.substr(intStart, pos - intStart);
    std::string_view fracDigits;
    if (pos < s.size() && s[pos] == '.') {
        const size_t fracStart = ++pos;
        while (pos < s.size() && isDigit(s[pos]))
            ++pos;
        fracDigits = s.substr(fracStart, pos - fracStart);
    }
    if (intDigits.empty() && fracDigits.empty())
        return false;
    long exponent = 0;
    if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
        ++pos;
        bool expNegative = false;
        if (pos < s.size() && (s[pos] == '-' || s[pos] == '+'))
            expNegative = s[pos++] == '-';
        if (pos == s.size())
            return false;
        while (pos < s.size() && isDigit(s[pos])) {
            exponent = exponent * 10 + (s[pos++] - '0');
            if (exponent > 100000) // beyond any column type; refuse rather than print a megabyte
                return false;
        }
        if (expNegative)
            exponent = -exponent;
    }
    if (pos != s.size())
        return false;

    // digits = intDigits ‖ fracDigits, with the point after `point` digits.
    long point = long(intDigits.size()) + exponent;
    size_t lead = 0;
    const size_t total = intDigits.size() + fracDigits.size();
    auto digitAt = [&](size_t i) {
        return i < intDigits.size() ? intDigits[i] : fracDigits[i - intDigits.size()];
    };
    while (lead < total && digitAt(lead) == '0') {
        ++lead;
        --point;
    }
    size_t end = total;
    while (end > lead && digitAt(end - 1) == '0')
        --end;
    if (lead == end) {
        out.push_back('0');
        return true;
    }
    const long n = long(end - lead);
    if (negative)
        out.push_back('-');
    if (point <= 0) {
        out.append("0.");
        out.append(size_t(-point), '0');
        for (size_t i = lead; i < end; ++i)
            out.push_back(digitAt(i));
    } else if (point >= n) {
        for (size_t i = lead; i < end; ++i)
            out.push_back(digitAt(i));
        out.append(size_t(point - n), '0');
    } else {
        for (size_t i = lead; i < end; ++i) {
            if (long(i - lead) == point)
                out.push_back('.');
            out.push_back(digitAt(i));
        }
    }
    return true;
}

bool appendNumber(qint64 value, std::string &out)
{
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value); // no locale, no printf
    out.append(buf, size_t(end - buf));
    return ec == std::errc();
}

bool appendNumber(double value, std::string &out)
{
    if (std::isnan(value)) {
        out.append("NaN");
        return true;
    }
    if (std::isinf(value)) {
        out.append(value < 0 ? "-Infinity" : "Infinity");
        return true;
    }
    // Shortest text that reads back as the same double: what PostgreSQL prints for float8.
    const QByteArray text = QByteArray::number(value, 'g', QLocale::FloatingPointShortest);
    return appendNumber(std::string_view(text.constData(), size_t(text.size())), out);
}

namespace {

// An instant text taken apart: seconds since the epoch in UTC and the fraction's digits (a
// view into the text), or infinity either way.
struct ParsedInstant
{
    int infinity = 0; // -1, +1, or 0 for a finite instant
    qint64 seconds = 0;
    std::string_view fraction;
};

std::optional<ParsedInstant> parseInstant(std::string_view in)
{
    std::string_view s = trimSpaces(in);
    if (equalsNoCase(s, "infinity") || equalsNoCase(s, "-infinity")) {
        return ParsedInstant{s.front() == '-' ? -1 : 1, 0, {}};
    }
    size_t pos = 0;
    int year, month, day, hour = 0, minute = 0, second = 0;
    size_t yearDigits = 0;
    while (yearDigits < s.size() && isDigit(s[yearDigits]))
        ++yearDigits;
    if (yearDigits < 4 || yearDigits > 6) // PostgreSQL goes up to year 294276
        return std::nullopt;
    if (!digits(s, pos, int(yearDigits), year) || pos >= s.size() || s[pos++] != '-'
        || !digits(s, pos, 2, month) || pos >= s.size() || s[pos++] != '-'
        || !digits(s, pos, 2, day))
        return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || unsigned(day) > daysInMonth(year, unsigned(month)))
        return std::nullopt;
    std::string_view fraction;
    if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
        ++pos;
        if (!digits(s, pos, 2, hour) || pos >= s.size() || s[pos++] != ':'
            || !digits(s, pos, 2, minute))
            return std::nullopt;
        if (pos < s.size() && s[pos] == ':') {
            ++pos;
            if (!digits(s, pos, 2, second))
                return std::nullopt;
            if (pos < s.size() && s[pos] == '.') {
                const size_t start = ++pos;
                while (pos < s.size() && isDigit(s[pos]))
                    ++pos;
                if (pos == start)
                    return std::nullopt;
                fraction = s.substr(start, pos - start);
            }
        }
        if (hour > 24 || minute > 59 || second > 60 || (hour == 24 && (minute || second)))
            return std::nullopt;
    }
    long offset = 0; // seconds east of UTC
    if (pos < s.size() && s[pos] == ' ')
        ++pos;
    bool beforeChrist = false; // PostgreSQL's "0044-03-15 12:00:00+00 BC"
    if (s.size() >= 3 && s.substr(s.size() - 3) == " BC") {
        beforeChrist = true;
        s.remove_suffix(3);
    }
    if (pos < s.size()) {
        if (s[pos] == 'Z' || s[pos] == 'z') {
            ++pos;
        } else if (s[pos] == '+' || s[pos] == '-') {
            const int sign = s[pos++] == '-' ? -1 : 1;
            int oh = 0, om = 0, os = 0;
            if (!digits(s, pos, 2, oh))
                return std::nullopt;
            if (pos < s.size() && s[pos] == ':')
                ++pos;
            if (pos < s.size() && !digits(s, pos, 2, om))
                return std::nullopt;
            if (pos < s.size() && s[pos] == ':')
                ++pos;
            if (pos < s.size() && !digits(s, pos, 2, os))
                return std::nullopt;
            offset = sign * (oh * 3600L + om * 60L + os);
        } else {
            return std::nullopt;
        }
    }
    if (pos != s.size())
        return std::nullopt;
    if (beforeChrist)
        year = 1 - year; // 1 BC is year 0 of the proleptic calendar
    const qint64 seconds = daysFromCivil(year, unsigned(month), unsigned(day)) * 86400
                           + hour * 3600L + minute * 60L + second - offset;
    return ParsedInstant{0, seconds, fraction};
}

} // namespace

bool appendInstant(std::string_view in, std::string &out)
{
    const std::optional<ParsedInstant> p = parseInstant(in);
    if (!p)
        return false;
    if (p->infinity)
        out.append(p->infinity < 0 ? "-infinity" : "infinity");
    else
        appendInstantParts(p->seconds, p->fraction, out);
    return true;
}

bool appendInstantFromEpoch(qint64 secondsSinceEpoch, std::string &out)
{
    appendInstantParts(secondsSinceEpoch, {}, out);
    return true;
}

void appendIsoMs(qint64 msSinceEpoch, std::string &out)
{
    const qint64 seconds = msSinceEpoch >= 0 ? msSinceEpoch / 1000 : -((-msSinceEpoch + 999) / 1000);
    const int ms = int(msSinceEpoch - seconds * 1000);
    appendInstantParts(seconds, {}, out);
    out.back() = '.'; // over the 'Z'
    appendPadded(out, ms, 3);
    out.push_back('Z');
}

std::optional<qint64> instantMs(std::string_view in)
{
    // Computed from the parts, not through a text and QDateTime: every change a feed reports
    // passes here on its way to the desk (about 15 µs a change that way).
    const std::optional<ParsedInstant> p = parseInstant(in);
    if (!p || p->infinity)
        return std::nullopt;
    // Milliseconds rounded half up on the fourth digit, as QDateTime reads ISO text.
    qint64 ms = 0;
    for (size_t i = 0; i < 3; ++i)
        ms = ms * 10 + (i < p->fraction.size() ? p->fraction[i] - '0' : 0);
    if (p->fraction.size() > 3 && p->fraction[3] >= '5')
        ++ms;
    return p->seconds * 1000 + ms;
}

bool appendBoolean(std::string_view in, std::string &out)
{
    const std::string_view s = trimSpaces(in);
    for (const char *t : {"t", "true", "1", "yes", "y", "on"}) {
        if (equalsNoCase(s, t)) {
            out.append("true");
            return true;
        }
    }
    for (const char *f : {"f", "false", "0", "no", "n", "off"}) {
        if (equalsNoCase(s, f)) {
            out.append("false");
            return true;
        }
    }
    return false;
}

void appendHex(std::string_view bytes, std::string &out)
{
    static const char digitsHex[] = "0123456789abcdef";
    const size_t at = out.size();
    out.resize(at + bytes.size() * 2);
    char *p = out.data() + at;
    for (const unsigned char c : bytes) {
        *p++ = digitsHex[c >> 4];
        *p++ = digitsHex[c & 15];
    }
}

FieldClass append(FieldClass cls, const RawValue &value, std::string &out)
{
    using Kind = RawValue::Kind;
    const size_t mark = out.size();
    switch (cls) {
    case FieldClass::Numeric:
        if (value.kind == Kind::Integer)
            return appendNumber(value.integer, out), cls;
        if (value.kind == Kind::Real)
            return appendNumber(value.real, out), cls;
        if (value.kind == Kind::Text && appendNumber(value.bytes, out))
            return cls;
        break;
    case FieldClass::Boolean:
        if (value.kind == Kind::Integer && (value.integer == 0 || value.integer == 1)) {
            out.append(value.integer ? "true" : "false");
            return cls;
        }
        if (value.kind == Kind::Text && appendBoolean(value.bytes, out))
            return cls;
        break;
    case FieldClass::Instant:
        if (value.kind == Kind::Integer)
            return appendInstantFromEpoch(value.integer, out), cls;
        if (value.kind == Kind::Text && appendInstant(value.bytes, out))
            return cls;
        break;
    case FieldClass::Bytes:
        if (value.kind == Kind::Blob || value.kind == Kind::Text) {
            appendHex(value.bytes, out);
            return cls;
        }
        if (value.kind == Kind::Hex) {
            for (const char c : value.bytes)
                out.push_back(c >= 'A' && c <= 'F' ? char(c - 'A' + 'a') : c);
            return cls;
        }
        break;
    case FieldClass::Text:
        break;
    }
    out.resize(mark);
    // Text, or a value that is not of its column's class: its own text, byte for byte.
    switch (value.kind) {
    case Kind::Null: break;
    case Kind::Text: out.append(value.bytes); break;
    case Kind::Integer: appendNumber(value.integer, out); break;
    case Kind::Real: appendNumber(value.real, out); break;
    case Kind::Blob: out.append(value.bytes); break;
    case Kind::Hex: out.append("\\x").append(value.bytes); break;
    }
    return FieldClass::Text;
}

} // namespace syncdesk::canonical
