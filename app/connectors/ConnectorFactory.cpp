#include "ConnectorFactory.h"

#include "PostgresConnector.h"
#include "SqliteConnector.h"
#include "model/SyncError.h"

namespace syncdesk {

std::unique_ptr<Connector> makeConnector(const SystemSpec &system)
{
    switch (system.kind) {
    case SystemKind::Postgres: return std::make_unique<PostgresConnector>(system);
    case SystemKind::Sqlite: return std::make_unique<SqliteConnector>(system);
    case SystemKind::Http: break;
    }
    throw SyncError(QStringLiteral("system '%1' (http): this version of SyncDesk cannot scan HTTP "
                                   "systems yet; compare PostgreSQL and SQLite systems")
                        .arg(system.name));
}

} // namespace syncdesk
