#include "RowEncoder.h"

#include "Canonical.h"
#include "KeyCodec.h"
#include "ScanBatch.h"

#include <xxhash.h>

#include <cstring>

namespace syncdesk {

namespace {

void appendJsonString(std::string_view s, std::string &out)
{
    static const char hex[] = "0123456789abcdef";
    out.push_back('"');
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default:
            if (c < 0x20) {
                out.append("\\u00");
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 15]);
            } else {
                out.push_back(ch);
            }
        }
    }
    out.push_back('"');
}

} // namespace

RowEncoder::RowEncoder(QList<FieldClass> keyClasses, QList<FieldClass> fieldClasses,
                       Details details)
    : m_keyClasses(std::move(keyClasses)), m_fieldClasses(std::move(fieldClasses)),
      m_details(details)
{
    m_row.reserve(256);
    m_fieldEnds.resize(size_t(m_fieldClasses.size()));
}

void RowEncoder::canonicalRow(const RawValue *fields)
{
    m_row.clear();
    for (qsizetype i = 0; i < m_fieldClasses.size(); ++i) {
        const size_t head = m_row.size();
        m_row.append(5, '\0'); // class byte + length, patched below
        quint8 tag = 0;
        if (fields[i].kind != RawValue::Kind::Null)
            tag = quint8(canonical::append(m_fieldClasses[i], fields[i], m_row));
        const auto length = quint32(m_row.size() - head - 5);
        m_row[head] = char(tag);
        std::memcpy(m_row.data() + head + 1, &length, 4);
        m_fieldEnds[size_t(i)] = quint32(m_row.size());
    }
}

bool RowEncoder::append(const RawValue *keys, const RawValue *fields, ScanBatch &batch)
{
    const size_t keyStart = batch.keys.size();
    for (qsizetype i = 0; i < m_keyClasses.size(); ++i) {
        if (!KeyCodec::appendComponent(m_keyClasses[i], keys[i], batch.keys, m_scratch)) {
            batch.keys.resize(keyStart);
            return false;
        }
    }
    batch.keyEnds.push_back(quint32(batch.keys.size()));
    canonicalRow(fields);
    batch.rowHashes.push_back(XXH3_64bits(m_row.data(), m_row.size()));
    if (m_details == Details::KeysAndFields) {
        quint32 begin = 0;
        for (const quint32 end : m_fieldEnds) {
            batch.fieldHashes.push_back(XXH3_64bits(m_row.data() + begin, end - begin));
            begin = end;
        }
    }
    if (m_details != Details::None) {
        appendDisplayKey(keys, batch.displayKeys);
        batch.displayEnds.push_back(quint32(batch.displayKeys.size()));
    }
    return true;
}

bool RowEncoder::encodeKey(const RawValue *keys, std::string &key, QByteArray &keyJson)
{
    key.clear();
    for (qsizetype i = 0; i < m_keyClasses.size(); ++i) {
        if (!KeyCodec::appendComponent(m_keyClasses[i], keys[i], key, m_scratch))
            return false;
    }
    std::string json;
    appendDisplayKey(keys, json);
    keyJson = QByteArray(json.data(), qsizetype(json.size()));
    return true;
}

bool RowEncoder::encodeRow(const RawValue *keys, const RawValue *fields, EncodedRow &out)
{
    if (!encodeKey(keys, out.key, out.keyJson))
        return false;
    canonicalRow(fields);
    out.hash = XXH3_64bits(m_row.data(), m_row.size());
    out.fields.clear();
    size_t begin = 0;
    for (const quint32 end : m_fieldEnds) {
        if (m_row[begin] == 0) {
            out.fields.append(std::nullopt);
        } else {
            out.fields.append(QByteArray(m_row.data() + begin + 5, qsizetype(end - begin - 5)));
        }
        begin = end;
    }
    return true;
}

quint64 RowEncoder::rowHash(const RawValue *fields)
{
    canonicalRow(fields);
    return XXH3_64bits(m_row.data(), m_row.size());
}

void RowEncoder::appendDisplayKey(const RawValue *keys, std::string &out)
{
    out.push_back('[');
    for (qsizetype i = 0; i < m_keyClasses.size(); ++i) {
        if (i)
            out.push_back(',');
        if (keys[i].kind == RawValue::Kind::Null) {
            out.append("null");
            continue;
        }
        m_scratch.clear();
        const FieldClass used = canonical::append(m_keyClasses[i], keys[i], m_scratch);
        const bool plainNumber = used == FieldClass::Numeric && m_scratch != "NaN"
                                 && m_scratch.find('I') == std::string::npos;
        if (plainNumber)
            out.append(m_scratch); // numbers stay JSON numbers, exact as canonical decimals
        else
            appendJsonString(m_scratch, out);
    }
    out.push_back(']');
}

} // namespace syncdesk
