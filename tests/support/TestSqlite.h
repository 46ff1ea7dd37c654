#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

class QDir;

namespace testsupport {

// Creates or opens the SQLite file at `path` and runs `statements` in order.
bool sqliteExec(const QString &path, const QStringList &statements, QString *error);

// Writes `json` as `fileName` in `dir`; returns the file's path.
QString writeFile(const QDir &dir, const QString &fileName, const QByteArray &json);

} // namespace testsupport

// SQLITE_EXEC(path, {"CREATE …", "INSERT …"}): the braces may hold commas, hence variadic.
#define SQLITE_EXEC(path, ...)                                                                   \
    do {                                                                                         \
        QString sqliteExecError_;                                                                \
        QVERIFY2(testsupport::sqliteExec((path), QStringList __VA_ARGS__, &sqliteExecError_),    \
                 qPrintable(sqliteExecError_));                                                  \
    } while (false)
