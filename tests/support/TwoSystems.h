#pragma once

#include "model/Workspace.h"

#include <QString>
#include <QStringList>

// A source and a target system of any kinds, for tests that run the same body on every
// pairing (PostgreSQL→PostgreSQL, PostgreSQL→SQLite, SQLite→PostgreSQL, SQLite→SQLite).
namespace testsupport {

enum class Backend { Postgres, Sqlite };

struct TestSystem
{
    Backend backend = Backend::Sqlite;
    QString conninfo; // Postgres: a database of the fixture's server
    QString path;     // Sqlite: the file

    // Runs statements on this system; PostgreSQL gets them as one script.
    bool exec(const QStringList &statements, QString *error) const;
    [[nodiscard]] syncdesk::SystemSpec spec(const QString &name) const;
};

// "pg->sqlite" and the like: the four pairings' row names.
QStringList pairingNames();

// Makes the two systems of `pairing` for a test called `tag`: PostgreSQL databases
// "<tag>_src"/"<tag>_dst", SQLite files in `dir`.
bool makePairing(const QString &pairing, const QString &tag, const QString &dir,
                 TestSystem *source, TestSystem *target, QString *error);

// A workspace with systems "src"/"dst" and one flow "f" over `table` on both sides.
syncdesk::Workspace makeWorkspace(const TestSystem &source, const TestSystem &target,
                                  const QString &table, const QStringList &key,
                                  const QStringList &fields);

// The same as a workspace file's JSON (Contract shape), for CLI tests.
QByteArray workspaceJson(const TestSystem &source, const TestSystem &target,
                         const QString &table, const QStringList &key, const QStringList &fields);

} // namespace testsupport
