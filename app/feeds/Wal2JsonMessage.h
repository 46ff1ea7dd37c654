#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syncdesk {

// One wal2json format-version 2 message, with every column value as the text PostgreSQL
// printed it: numbers keep their exact digits (a JSON parser into doubles would round a
// numeric(30,10)), booleans become t/f as a read prints them, JSON null is nullopt (which
// wal2json also writes for NaN and ±Infinity of float and numeric columns).
struct Wal2JsonMessage
{
    struct Column
    {
        std::string name;
        std::optional<std::string> value;
    };

    char action = 0; // B, C, I, U, D; T (truncate), M (message); 0 when there was none
    unsigned xid = 0; // the transaction's id, when the plugin was asked to include it; else 0
    std::string timestamp;
    std::string schema;
    std::string table;
    std::vector<Column> columns;  // the new row (inserts, updates)
    std::vector<Column> identity; // the old key (deletes, updates)

    // Parses `json` into `out` (cleared first, its capacity kept). False when it is not JSON.
    static bool parse(std::string_view json, Wal2JsonMessage &out);
};

} // namespace syncdesk
