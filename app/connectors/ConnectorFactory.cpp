#include "ConnectorFactory.h"

#include "HttpConnector.h"
#include "PostgresConnector.h"
#include "SqliteConnector.h"
#include "model/SyncError.h"

namespace syncdesk {

std::unique_ptr<Connector> makeConnector(const SystemSpec &system)
{
    switch (system.kind) {
    case SystemKind::Postgres: return std::make_unique<PostgresConnector>(system);
    case SystemKind::Sqlite: return std::make_unique<SqliteConnector>(system);
    case SystemKind::Http: return std::make_unique<HttpConnector>(system);
    }
    throw SyncError(QStringLiteral("system '%1': unknown kind").arg(system.name));
}

} // namespace syncdesk
