#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace syncdesk {

// Reads the messages of one `COPY … TO STDOUT (FORMAT binary)`, one row each, as PostgreSQL
// sends them: a header before the first row; per row a 16-bit field count, then per field a
// 32-bit length (-1 for NULL) and its bytes; a count of -1 ends the data. All numbers in
// network order. Fields point into the message, valid while it is.
class PgCopyBinary
{
public:
    // Header: the message held the header alone (PostgreSQL sends it with the first row, but
    // nothing requires that).
    enum class Result { Row, Header, End, Malformed };
    explicit PgCopyBinary(size_t fields) : m_fields(fields) {}

    // Malformed: not the header first, another field count, a length past the message, or
    // bytes left after the row.
    [[nodiscard]] Result read(std::string_view message);
    [[nodiscard]] bool isNull(size_t i) const { return !m_fields[i]; }
    [[nodiscard]] std::string_view field(size_t i) const { return m_fields[i].value_or(std::string_view()); }

private:
    std::vector<std::optional<std::string_view>> m_fields;
    bool m_headerSeen = false;
};

} // namespace syncdesk
