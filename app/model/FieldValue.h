#pragma once

#include <QtGlobal>

#include <string_view>

namespace syncdesk {

// How a compared column is normalised before hashing (DESIGN.md, Normalisation). Both sides of
// a field use the same class, so equal values give equal canonical bytes whatever the system.
enum class FieldClass : quint8 {
    Text = 1,    // byte-exact UTF-8
    Numeric = 2, // by value: 1.10 = 1.1, 1e3 = 1000
    Boolean = 3, // true / false
    Instant = 4, // timestamps as UTC instants
    Bytes = 5,   // lowercase hex of the bytes
};

// One column value as a connector read it, before normalisation. Views point into the
// connector's buffers and stay valid only until the row is encoded.
struct RawValue
{
    enum class Kind : quint8 {
        Null,
        Text,    // UTF-8 text (PostgreSQL text output, SQLite TEXT)
        Integer, // SQLite INTEGER
        Real,    // SQLite REAL
        Blob,    // raw bytes (SQLite BLOB)
        Hex,     // bytes already as hex digits (PostgreSQL bytea hex output, without "\x")
    };
    Kind kind = Kind::Null;
    std::string_view bytes;
    qint64 integer = 0;
    double real = 0;

    static RawValue null() { return {}; }
    static RawValue text(std::string_view s) { return {Kind::Text, s, 0, 0}; }
    static RawValue ofInteger(qint64 i) { return {Kind::Integer, {}, i, 0}; }
    static RawValue ofReal(double d) { return {Kind::Real, {}, 0, d}; }
    static RawValue blob(std::string_view b) { return {Kind::Blob, b, 0, 0}; }
    static RawValue hex(std::string_view h) { return {Kind::Hex, h, 0, 0}; }
};

} // namespace syncdesk
