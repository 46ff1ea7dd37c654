#pragma once

#include <QJsonValue>
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

} // namespace syncdesk
