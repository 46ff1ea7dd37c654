#include "KeyCodec.h"

#include "Canonical.h"

namespace syncdesk {

namespace {

constexpr char Present = 0x01;
constexpr char Null = 0x02; // after every present value: PostgreSQL's and our SQLite scans sort NULLS LAST

// Text: bytes with 0x00 escaped as 00 FF, ended by 00 01, so a prefix sorts first.
void appendEscaped(std::string_view bytes, std::string &out)
{
    for (const char c : bytes) {
        out.push_back(c);
        if (c == '\0')
            out.push_back(char(0xFF));
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
    case FieldClass::Instant: {
        // "…:SS[.fff]Z" → "…:SS" + the fraction padded to 9 digits, so 05 < 05.5 bytewise.
        std::string_view canon(scratch);
        if (canon.size() > 1 && canon.back() == 'Z') {
            canon.remove_suffix(1);
            const size_t dot = canon.find('.');
            const std::string_view whole = canon.substr(0, dot);
            std::string padded(whole);
            std::string fraction(dot == std::string_view::npos ? std::string_view{}
                                                               : canon.substr(dot + 1));
            fraction.resize(9, '0');
            padded.append(fraction);
            appendEscaped(padded, out);
            return true;
        }
        appendEscaped(canon, out);
        return true;
    }
    case FieldClass::Text:
    case FieldClass::Boolean:
    case FieldClass::Bytes:
        appendEscaped(scratch, out);
        return true;
    }
    return false;
}

} // namespace syncdesk
