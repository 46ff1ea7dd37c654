#pragma once

namespace syncdesk {

// The value of one hexadecimal digit, or -1: for the text formats read by hand (PostgreSQL's
// COPY escapes, JSON's \uXXXX).
[[nodiscard]] constexpr int hexDigitValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace syncdesk
