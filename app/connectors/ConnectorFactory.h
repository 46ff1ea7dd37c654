#pragma once

#include "Connector.h"

#include <memory>

namespace syncdesk {

// The connector for a system's kind; throws SyncError for kinds that cannot be scanned yet.
[[nodiscard]] std::unique_ptr<Connector> makeConnector(const SystemSpec &system);

} // namespace syncdesk
