#pragma once

#include "model/FieldValue.h"

#include <simdjson.h>

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syncdesk {

// The records of one HTTP response body, and their members as the raw values a row encoder
// takes (DESIGN.md, Normalisation, as it applies to JSON; README, "HTTP systems"):
//  - a string is its text; an integer is exact; any other number is read as an IEEE double
//    and written as its shortest exact decimal; true/false as booleans;
//  - an object or array is its JSON text with members in sorted order and no spaces, so
//    member order and white space never make a difference;
//  - null and a missing member are both NULL (APIs leave out null members), while "" is the
//    empty string, never NULL.
// A member name starting with '/' is a JSON pointer into nested objects ("/address/city").
//
// Parsed with simdjson into `parser`'s buffers: the records, and every text view taken from
// them, are valid until that parser parses again. One parser is reused page after page, so
// reading a list allocates nothing per page once the largest page was seen.
class HttpRecords
{
public:
    using Value = simdjson::dom::element;

    // Parses `body`; throws SyncError prefixed by `where` (system, method and URL path) when it
    // is not JSON, `recordsAt` does not point at an array, or an element is not an object.
    HttpRecords(simdjson::dom::parser &parser, const QByteArray &body, const QString &recordsAt,
                const QString &recordAt, const QString &where);
    // One record body (an item's GET): `recordAt` points at the record object in it.
    static HttpRecords single(simdjson::dom::parser &parser, const QByteArray &body,
                              const QString &recordAt, const QString &where);

    [[nodiscard]] size_t size() const { return m_records.size(); }
    [[nodiscard]] Value record(size_t i) const { return m_records[i]; }
    [[nodiscard]] Value document() const { return m_document; }

    // The member `name` of record i (a name or a JSON pointer), or nullopt when it is missing.
    [[nodiscard]] std::optional<Value> member(size_t i, std::string_view name) const;
    // What `pointer` names in `from` ("" names `from` itself), or nullopt.
    [[nodiscard]] static std::optional<Value> at(Value from, std::string_view pointer);

    // A member's value as a raw value; `storage` keeps texts alive until they are encoded.
    static RawValue raw(const std::optional<Value> &value, std::string &storage);
    // The canonical JSON text of a value (objects' members sorted, no spaces).
    static std::string canonicalJson(Value value);
    // How a member's value is named in messages ("a string", "an object", …).
    static QString typeName(Value value);
    [[nodiscard]] static bool isNumber(Value value);
    // The members of the records' objects, top level, in first-seen order (the editor's list).
    [[nodiscard]] QStringList memberNames() const;

private:
    HttpRecords(simdjson::dom::parser &parser, const QByteArray &body, const QString &where);

    Value m_document;
    std::vector<Value> m_records;
};

} // namespace syncdesk
