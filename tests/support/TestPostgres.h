#pragma once

#include <QString>
#include <QStringList>

// The suite's PostgreSQL server (started by the pg_start CTest fixture) and small helpers.
// Every helper reports failure through its return value and `error`, so tests can QVERIFY2.
namespace testsupport {

// conninfo of the fixture's server (dbname=postgres); empty with `error` set if it is not up.
// The fixture folder is the build's (tests/pg-fixture) unless SYNCDESK_PG_FIXTURE_DIR names
// another one started by `pg-fixture.sh start DIR`.
QString fixtureConninfo(QString *error);

// Drops and creates database `name`; sets `conninfo` to reach it.
bool createDatabase(const QString &name, QString *conninfo, QString *error);

// Runs one or more statements (simple query protocol) on `conninfo`.
bool pgExec(const QString &conninfo, const QString &sql, QString *error);

// First column of the first row of `sql`.
QString pgValue(const QString &conninfo, const QString &sql, QString *error);

} // namespace testsupport

#define PG_EXEC(conninfo, sql)                                                                   \
    do {                                                                                         \
        QString pgExecError_;                                                                    \
        QVERIFY2(testsupport::pgExec((conninfo), (sql), &pgExecError_), qPrintable(pgExecError_)); \
    } while (false)
