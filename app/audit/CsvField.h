#pragma once

#include <QByteArray>
#include <QString>

namespace syncdesk {

// One RFC 4180 field, with a leading = + - @ tab or CR defused by a quote (spreadsheet formula
// injection), for every CSV report.
[[nodiscard]] inline QByteArray csvField(const QString &value)
{
    QString v = value;
    if (!v.isEmpty() && QStringLiteral("=+-@\t\r").contains(v.front()))
        v.prepend(u'\'');
    if (v.contains(u',') || v.contains(u'"') || v.contains(u'\n') || v.contains(u'\r')
        || v != value)
        v = u'"' + v.replace(u'"', QStringLiteral("\"\"")) + u'"';
    return v.toUtf8();
}

} // namespace syncdesk
