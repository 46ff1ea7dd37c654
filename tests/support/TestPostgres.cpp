#include "TestPostgres.h"

#include "connectors/PgHandles.h"

#include <QFile>

namespace testsupport {

using syncdesk::PgConnPtr;
using syncdesk::PgResultPtr;

namespace {

PgConnPtr connect(const QString &conninfo, QString *error)
{
    PgConnPtr conn(PQconnectdb(conninfo.toUtf8().constData()));
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        *error = QStringLiteral("cannot connect to the test PostgreSQL (%1): %2")
                     .arg(conninfo, QString::fromUtf8(PQerrorMessage(conn.get())));
        return {};
    }
    PQsetNoticeProcessor(conn.get(), [](void *, const char *) {}, nullptr);
    return conn;
}

} // namespace

QString fixtureConninfo(QString *error)
{
    // A benchmark (or a second engineer on the same build) points at its own server.
    const QString dir = qEnvironmentVariableIsEmpty("SYNCDESK_PG_FIXTURE_DIR")
                            ? QStringLiteral(SYNCDESK_PG_FIXTURE_DIR)
                            : qEnvironmentVariable("SYNCDESK_PG_FIXTURE_DIR");
    QFile file(dir + QStringLiteral("/conninfo"));
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("the PostgreSQL test fixture is not running (%1 missing): run the "
                                "tests through ctest, which starts it with the pg_start test")
                     .arg(file.fileName());
        return {};
    }
    return QString::fromUtf8(file.readAll()).trimmed();
}

bool createDatabase(const QString &name, QString *conninfo, QString *error)
{
    const QString server = fixtureConninfo(error);
    if (server.isEmpty())
        return false;
    // A database with a logical replication slot cannot be dropped: slots of earlier runs go.
    if (!pgExec(server, QStringLiteral("SELECT pg_drop_replication_slot(slot_name) FROM "
                                       "pg_replication_slots WHERE database = '%1'").arg(name), error)
        || !pgExec(server, QStringLiteral("DROP DATABASE IF EXISTS \"%1\" WITH (FORCE)").arg(name), error)
        || !pgExec(server, QStringLiteral("CREATE DATABASE \"%1\"").arg(name), error))
        return false;
    *conninfo = QString(server).replace(QStringLiteral("dbname=postgres"),
                                        QStringLiteral("dbname=") + name);
    return true;
}

bool pgExec(const QString &conninfo, const QString &sql, QString *error)
{
    const PgConnPtr conn = connect(conninfo, error);
    if (!conn)
        return false;
    const PgResultPtr r(PQexec(conn.get(), sql.toUtf8().constData()));
    const ExecStatusType s = PQresultStatus(r.get());
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        *error = QStringLiteral("%1\n  in: %2").arg(QString::fromUtf8(PQresultErrorMessage(r.get())), sql);
        return false;
    }
    return true;
}

QString pgValue(const QString &conninfo, const QString &sql, QString *error)
{
    const PgConnPtr conn = connect(conninfo, error);
    if (!conn)
        return {};
    const PgResultPtr r(PQexec(conn.get(), sql.toUtf8().constData()));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) < 1) {
        *error = QStringLiteral("%1\n  in: %2").arg(QString::fromUtf8(PQresultErrorMessage(r.get())), sql);
        return {};
    }
    return QString::fromUtf8(PQgetvalue(r.get(), 0, 0));
}

} // namespace testsupport
