#include "KeyCodec.h"

#include "Canonical.h"

#include <cstring>

namespace syncdesk {

namespace {

constexpr char Present = 0x01;
constexpr char Null = 0x02; // after every present value: PostgreSQL's and our SQLite scans sort NULLS LAST

// Text: bytes with 0x00 escaped as 00 FF, ended by 00 01, so a prefix sorts first.
void appendEscaped(std::string_view bytes, std::string &out)
{
    // Text rarely holds a NUL: copy runs between them whole, not byte by byte.
    while (!bytes.empty()) {
        const void *nul = std::memchr(bytes.data(), '\0', bytes.size());
        if (!nul) {
            out.append(bytes);
            break;
        }
        const size_t run = size_t(static_cast<const char *>(nul) - bytes.data()) + 1;
        out.append(bytes.data(), run);
        out.push_back(char(0xFF));
        bytes.remove_prefix(run);
    }
    out.push_back('\0');
    out.push_back(0x01);
}

void appendBigEndian(quint32 v, std::string &out)
{
    out.push_back(char(v >> 24));
    out.push_back(char(v >> 16));
    out.push_back(char(v >> 8));
    out.push_back(char(v));
}

// A canonical decimal ("-12.5", "0.003", "NaN", ...) as sign class, exponent, then digits.
void appendDecimal(std::string_view canon, std::string &out)
{
    if (canon == "NaN") {
        out.push_back(char(0xF0)); // PostgreSQL sorts NaN above every number
        return;
    }
    if (canon == "Infinity" || canon == "-Infinity") {
        out.push_back(canon.front() == '-' ? char(0x20) : char(0xE0));
        return;
    }
    if (canon == "0") {
        out.push_back(char(0x80));
        return;
    }
    const bool negative = canon.front() == '-';
    if (negative)
        canon.remove_prefix(1);
    // value = 0.d1d2d3... × 10^exponent with d1 != 0
    std::string digits;
    long exponent;
    const size_t point = canon.find('.');
    if (point == std::string_view::npos) {
        exponent = long(canon.size());
        digits.assign(canon);
    } else if (canon.substr(0, point) == "0") {
        size_t firstNonZero = point + 1;
        while (canon[firstNonZero] == '0')
            ++firstNonZero;
        exponent = -long(firstNonZero - point - 1);
        digits.assign(canon.substr(firstNonZero));
    } else {
        exponent = long(point);
        digits.assign(canon.substr(0, point));
        digits.append(canon.substr(point + 1));
    }
    while (!digits.empty() && digits.back() == '0')
        digits.pop_back();
    const auto biased = quint32(qint64(exponent) + 0x80000000LL);
    if (!negative) {
        out.push_back(char(0xC0));
        appendBigEndian(biased, out);
        out.append(digits);
        out.push_back('\0');
    } else {
        // Larger magnitudes sort first among negatives: invert everything after the sign class.
        out.push_back(char(0x40));
        appendBigEndian(~biased, out);
        for (const char d : digits)
            out.push_back(char(0xFF - quint8(d)));
        out.push_back(char(0xFF));
    }
}

// A canonical instant ("[-]YYYY…-MM-DDTHH:MM:SS[.f]Z", "infinity", "-infinity") as biased year,
// the fixed-width rest, then the fraction padded to at least 9 digits, so that byte order is
// time order for any year and any precision.
void appendInstant(std::string_view canon, std::string &out)
{
    if (canon == "-infinity" || canon == "infinity") {
        const bool past = canon.front() == '-';
        appendBigEndian(past ? 0u : 0xFFFFFFFFu, out);
        out.append(10, past ? '0' : '9');
        appendEscaped({}, out);
        return;
    }
    const bool negative = canon.front() == '-';
    if (negative)
        canon.remove_prefix(1);
    const size_t dash = canon.find('-');
    qint64 year = 0;
    for (const char c : canon.substr(0, dash))
        year = year * 10 + (c - '0');
    appendBigEndian(quint32((negative ? -year : year) + 0x80000000LL), out);
    const std::string_view rest = canon.substr(dash); // "-MM-DDTHH:MM:SS[.f]Z"
    for (const char c : rest.substr(0, 15)) {
        if (c >= '0' && c <= '9')
            out.push_back(c);
    }
    std::string fraction;
    if (rest.size() > 16 && rest[15] == '.')
        fraction.assign(rest.substr(16, rest.size() - 17)); // without the closing 'Z'
    if (fraction.size() < 9)
        fraction.resize(9, '0');
    appendEscaped(fraction, out);
}

} // namespace

bool KeyCodec::appendComponent(FieldClass cls, const RawValue &value, std::string &out,
                               std::string &scratch)
{
    if (value.kind == RawValue::Kind::Null) {
        out.push_back(Null);
        return true;
    }
    out.push_back(Present);
    if (cls == FieldClass::Text && value.kind == RawValue::Kind::Text) {
        appendEscaped(value.bytes, out); // the common case, without a copy
        return true;
    }
    scratch.clear();
    if (canonical::append(cls, value, scratch) != cls)
        return false;
    switch (cls) {
    case FieldClass::Numeric:
        appendDecimal(scratch, out);
        return true;
    case FieldClass::Instant:
        appendInstant(scratch, out);
        return true;
    case FieldClass::Text:
    case FieldClass::Boolean:
    case FieldClass::Bytes:
        appendEscaped(scratch, out);
        return true;
    }
    return false;
}

QString printableKey(std::string_view encoded)
{
    QByteArray out;
    for (const char c : encoded) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f)
            out.append(c);
        else if (!out.endsWith(' '))
            out.append(' ');
    }
    return QString::fromUtf8(out.trimmed());
}

} // namespace syncdesk
