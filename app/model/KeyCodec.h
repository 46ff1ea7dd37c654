#pragma once

#include "FieldValue.h"

#include <QString>

#include <string>
#include <string_view>

namespace syncdesk {

// Encodes key values into bytes whose memcmp order is the order the databases scan in:
// byte order for text, numeric order for numbers, chronological order for instants, NULLs
// last. The merge compares keys with memcmp only, so the encoding is the single definition of
// key order. Components are self-delimiting, so ('a|b','c') and ('a','b|c') never collide.
class KeyCodec
{
public:
    // Appends one key component. Returns false when the value cannot be encoded in its class
    // (a non-numeric text in a numeric key): the scan must stop, since order is then unknown.
    static bool appendComponent(FieldClass cls, const RawValue &value, std::string &out,
                                std::string &scratch);
};

// An encoded key for an error message: its printable ASCII, other bytes as one space.
[[nodiscard]] QString printableKey(std::string_view encoded);

} // namespace syncdesk
