#pragma once

#include "FieldValue.h"

#include <QByteArray>
#include <QList>

#include <optional>
#include <string>

namespace syncdesk {

struct ScanBatch;

// One row with everything the live engine keeps of it: the encoded key, the key as JSON, the
// row hash and each field's canonical text (nullopt for NULL).
struct EncodedRow
{
    std::string key;
    QByteArray keyJson;
    quint64 hash = 0;
    QList<std::optional<QByteArray>> fields;
};

// Turns one scanned row into what the merge needs: the order-preserving key, the row hash of
// the canonical fields and, when details are wanted, per-field hashes and a printable key.
//
// Canonical row: per field a class byte (0 for NULL), a 4-byte length and the canonical text,
// so NULL differs from '' and no two different rows share a byte string. The row hash is XXH3
// (64 bit) of that.
class RowEncoder
{
public:
    // What a scan adds to each row beyond the key and the row hash.
    enum class Details { None, Keys, KeysAndFields };
    RowEncoder(QList<FieldClass> keyClasses, QList<FieldClass> fieldClasses, bool withDetails)
        : RowEncoder(std::move(keyClasses), std::move(fieldClasses),
                     withDetails ? Details::KeysAndFields : Details::None)
    {
    }
    RowEncoder(QList<FieldClass> keyClasses, QList<FieldClass> fieldClasses, Details details);

    // Appends the row to `batch`. Returns false if a key value is not of its key's class.
    [[nodiscard]] bool append(const RawValue *keys, const RawValue *fields, ScanBatch &batch);

    // The hash of one canonical row, for callers that hold whole rows (tests, fetch).
    [[nodiscard]] quint64 rowHash(const RawValue *fields);

    // A fetched row in full. Returns false if a key value is not of its key's class.
    [[nodiscard]] bool encodeRow(const RawValue *keys, const RawValue *fields, EncodedRow &out);
    // Just the key (for a record that may no longer exist anywhere).
    [[nodiscard]] bool encodeKey(const RawValue *keys, std::string &key, QByteArray &keyJson);

    [[nodiscard]] qsizetype fieldCount() const { return m_fieldClasses.size(); }

private:
    void canonicalRow(const RawValue *fields);
    void appendDisplayKey(const RawValue *keys, std::string &out);

    QList<FieldClass> m_keyClasses;
    QList<FieldClass> m_fieldClasses;
    Details m_details;
    std::string m_row;
    std::string m_scratch;
    std::vector<quint32> m_fieldEnds;
};

} // namespace syncdesk
