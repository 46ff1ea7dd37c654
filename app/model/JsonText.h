#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>
#include <QList>
#include <QLocale>
#include <QString>

#include <limits>
#include <optional>

namespace syncdesk {

// A JSON scalar as the text a database would print for it: strings as they are, integers
// exactly (Qt keeps 64-bit integers exact; a double would round ids above 2^53), other numbers
// in their shortest form, booleans as true/false; nullopt for null.
inline std::optional<QString> jsonScalarText(const QJsonValue &v)
{
    if (v.isNull() || v.isUndefined())
        return std::nullopt;
    if (v.isString())
        return v.toString();
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    constexpr qint64 notInteger = std::numeric_limits<qint64>::min();
    if (const qint64 i = v.toInteger(notInteger); i != notInteger)
        return QString::number(i);
    return QString::number(v.toDouble(), 'g', QLocale::FloatingPointShortest);
}

// Appends UTF-8 text as a JSON string, escaped byte for byte as QJsonDocument writes it (so the
// texts stored and printed stay what they were), without a document per value: the live path
// writes every changed record's fields and event lines this way. Text that is not valid UTF-8
// goes through QJsonDocument, which writes its replacement characters.
inline void appendJsonString(QByteArray &out, QByteArrayView utf8)
{
    if (!utf8.isValidUtf8()) {
        const QByteArray doc = QJsonDocument(QJsonArray{QString::fromUtf8(utf8)}).toJson(QJsonDocument::Compact);
        out += QByteArrayView(doc).sliced(1, doc.size() - 2);
        return;
    }
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    qsizetype plain = 0; // where the run of characters that need no escape began
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        const auto c = uchar(utf8[i]);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        out += utf8.sliced(plain, i - plain);
        plain = i + 1;
        out += '\\';
        switch (c) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '\b': out += 'b'; break;
        case '\f': out += 'f'; break;
        case '\n': out += 'n'; break;
        case '\r': out += 'r'; break;
        case '\t': out += 't'; break;
        default:
            out += "u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    out += utf8.sliced(plain);
    out += '"';
}

// Texts as a JSON array, nullopt as null: how the state store keeps a record's field values.
inline QByteArray jsonTextArray(const QList<std::optional<QByteArray>> &texts)
{
    QByteArray json = "[";
    for (const std::optional<QByteArray> &t : texts) {
        if (json.size() > 1)
            json += ',';
        if (t)
            appendJsonString(json, *t);
        else
            json += "null";
    }
    json += ']';
    return json;
}

} // namespace syncdesk
