#pragma once

#include <QByteArray>
#include <QRandomGenerator>
#include <QtGlobal>

namespace testsupport {

// The seed a randomized test runs with: the one named by `variable` (what a failed run printed,
// to repeat it), or a new one. Parsed as unsigned: printed seeds run past INT_MAX, and reading
// them as int would quietly replay seed 0 instead.
inline quint32 seedFrom(const char *variable)
{
    const QByteArray text = qgetenv(variable);
    if (text.isEmpty())
        return QRandomGenerator::global()->generate();
    bool ok = false;
    const quint32 seed = text.trimmed().toUInt(&ok);
    if (!ok)
        qFatal("%s=%s is not a seed (an unsigned 32-bit number)", variable, text.constData());
    return seed;
}

} // namespace testsupport
