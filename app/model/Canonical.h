#pragma once

#include "FieldValue.h"

#include <optional>
#include <string>
#include <string_view>

namespace syncdesk {

// The canonical text of values (DESIGN.md, Normalisation). Each function appends to `out` and
// returns false, leaving `out` as it was, when the input is not of its kind.
namespace canonical {

// A number in plain decimal: no exponent, no leading or trailing zeros, "0" for any zero,
// "NaN", "Infinity", "-Infinity". Accepts an optional sign, digits, a point and an exponent.
bool appendNumber(std::string_view in, std::string &out);
bool appendNumber(qint64 value, std::string &out);
bool appendNumber(double value, std::string &out);

// An instant as YYYY-MM-DDTHH:MM:SS[.fraction]Z in UTC; input is ISO 8601 / PostgreSQL ISO
// output with an optional zone (none means UTC), or "infinity" / "-infinity".
bool appendInstant(std::string_view in, std::string &out);
bool appendInstantFromEpoch(qint64 secondsSinceEpoch, std::string &out);
// YYYY-MM-DDTHH:MM:SS.mmmZ, always three digits: what Qt::ISODateWithMs writes for UTC, at a
// fraction of its cost (every event line carries one).
void appendIsoMs(qint64 msSinceEpoch, std::string &out);
// Milliseconds since the epoch of an instant text, or nullopt if it is not one.
std::optional<qint64> instantMs(std::string_view in);

bool appendBoolean(std::string_view in, std::string &out);

void appendHex(std::string_view bytes, std::string &out);

// The canonical bytes of `value` normalised as `cls`. Returns the class actually used: a value
// that does not parse as its column's class (say "n/a" in a numeric column) falls back to
// Text, so it can never be equal to a value that did parse.
FieldClass append(FieldClass cls, const RawValue &value, std::string &out);

} // namespace canonical
} // namespace syncdesk
