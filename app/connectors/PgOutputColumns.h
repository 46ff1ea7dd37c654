#pragma once

#include "Connector.h"

#include <libpq-fe.h>

#include <QByteArray>
#include <QList>

#include <string_view>
#include <vector>

namespace syncdesk {

// Trailing blanks of char(n) are padding, not data (PostgreSQL ignores them when comparing).
inline std::string_view trimPadding(std::string_view s)
{
    while (!s.empty() && s.back() == ' ')
        s.remove_suffix(1);
    return s;
}

// Per column of a scan or fetch: how its text output becomes a raw value.
class OutputColumns
{
public:
    explicit OutputColumns(const ScanRequest &r)
    {
        for (const QList<ColumnInfo> *list : {&r.keys, &r.fields}) {
            for (const ColumnInfo &c : *list) {
                m_padded.push_back(c.typeName.startsWith(QLatin1String("character("))
                                   || c.typeName == QLatin1String("character"));
                m_hex.push_back(c.typeName == QLatin1String("bytea"));
            }
        }
    }
    [[nodiscard]] size_t count() const { return m_padded.size(); }
    // Row `row` of a text-format result as raw values, adjusted like a COPY line.
    void read(const PGresult *result, int row, std::vector<RawValue> &values) const
    {
        values.resize(count());
        for (int c = 0; c < int(count()); ++c)
            values[size_t(c)] = PQgetisnull(result, row, c)
                                    ? RawValue::null()
                                    : RawValue::text({PQgetvalue(result, row, c),
                                                      size_t(PQgetlength(result, row, c))});
        adjust(values);
    }
    void adjust(std::vector<RawValue> &values) const
    {
        for (size_t i = 0; i < values.size(); ++i) {
            RawValue &v = values[i];
            if (v.kind != RawValue::Kind::Text)
                continue;
            if (m_padded[i])
                v.bytes = trimPadding(v.bytes);
            else if (m_hex[i] && v.bytes.size() >= 2 && v.bytes[0] == '\\' && v.bytes[1] == 'x')
                v = RawValue::hex(v.bytes.substr(2));
        }
    }

private:
    std::vector<bool> m_padded;
    std::vector<bool> m_hex;
};

// A PostgreSQL array literal of text elements, every element quoted; a null QByteArray is NULL.
inline QByteArray arrayLiteral(const QList<QByteArray> &elements)
{
    QByteArray out = "{";
    for (qsizetype i = 0; i < elements.size(); ++i) {
        if (elements[i].isNull()) {
            out += i ? ",NULL" : "NULL";
            continue;
        }
        QByteArray e = elements[i];
        e.replace('\\', "\\\\").replace('"', "\\\"");
        out += (i ? ",\"" : "\"") + e + '"';
    }
    return out + '}';
}

} // namespace syncdesk
