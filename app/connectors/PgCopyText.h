#pragma once

#include "model/FieldValue.h"

#include <string>
#include <string_view>
#include <vector>

namespace syncdesk {

// Splits one row of PostgreSQL's COPY text format into values: tab-separated, "\N" for NULL,
// backslash escapes (\t \n \\ \ooo \xhh …) undone. Values point into the line or into this
// parser's buffer, valid until the next split().
class PgCopyText
{
public:
    // Returns false if the line does not hold exactly `expected` columns.
    [[nodiscard]] bool split(std::string_view line, size_t expected, std::vector<RawValue> &out);

private:
    std::string_view unescape(std::string_view field);
    std::string m_buffer;
};

} // namespace syncdesk
