#pragma once

#include "model/FieldValue.h"

#include <nlohmann/json.hpp>

#include <QString>
#include <QStringList>

#include <string>
#include <vector>

namespace syncdesk {

// The records of one HTTP response body, and their members as the raw values a row encoder
// takes (DESIGN.md, Normalisation, as it applies to JSON; README, "HTTP systems"):
//  - a string is its text; a number its shortest exact decimal (integers exactly, other
//    numbers as IEEE doubles, as JSON parsers read them); true/false as booleans;
//  - an object or array is its JSON text with members in sorted order and no spaces, so
//    member order and white space never make a difference;
//  - null and a missing member are both NULL (APIs leave out null members), while "" is the
//    empty string, never NULL.
// A member name starting with '/' is a JSON pointer into nested objects ("/address/city").
class HttpRecords
{
public:
    // Parses `body`; throws SyncError prefixed by `where` (system, method and URL path) when it
    // is not JSON, `recordsAt` does not point at an array, or an element is not an object.
    HttpRecords(const QByteArray &body, const QString &recordsAt, const QString &recordAt,
                const QString &where);
    // One record body (an item's GET): `recordAt` points at the record object in it.
    static HttpRecords single(const QByteArray &body, const QString &recordAt, const QString &where);

    [[nodiscard]] size_t size() const { return m_records.size(); }
    [[nodiscard]] const nlohmann::json &record(size_t i) const { return *m_records[i]; }
    [[nodiscard]] const nlohmann::json &document() const { return m_document; }

    // The member `name` of record i, or nullptr when it is missing.
    [[nodiscard]] const nlohmann::json *member(size_t i, const std::string &name) const;

    // A member's value as a raw value; `storage` keeps the text alive until it is encoded.
    static RawValue raw(const nlohmann::json *value, std::string &storage);
    // How a member's value is named in messages ("a string", "an object", …).
    static QString typeName(const nlohmann::json &value);
    // The members of the records' objects, top level, in first-seen order (the editor's list).
    [[nodiscard]] QStringList memberNames() const;

private:
    HttpRecords() = default;
    void collect(const QString &recordsAt, const QString &recordAt, const QString &where);

    nlohmann::json m_document;
    std::vector<const nlohmann::json *> m_records;
};

} // namespace syncdesk
