#pragma once

#include <QString>

namespace syncdesk {

// libpq's password file (~/.pgpass, or $PGPASSFILE): where the console keeps a PostgreSQL
// password an operator types, so it never goes into the workspace file and psql, pg_dump and
// SyncDesk all find it the same way.
class PgPassFile
{
public:
    [[nodiscard]] static QString path();
    // Adds or replaces the line for the host, port, database and user that `conninfo` names,
    // keeping the file readable by its owner only. Throws SyncError.
    static void store(const QString &conninfo, const QString &password);
};

} // namespace syncdesk
