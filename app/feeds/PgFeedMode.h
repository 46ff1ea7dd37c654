#pragma once

#include "model/Workspace.h"

#include <QList>
#include <QString>

namespace syncdesk {

// The best live feed a PostgreSQL system allows for `tables` ("feed": "auto"):
// "logical" when wal_level is logical and the role may replicate; else "notify" when every
// table carries the syncdesk_notify trigger; else "polling" when every flow side on it names
// an updated_at column (`pollable`); else "rescan". A system that cannot be reached now gets
// "logical": the feed reports the error and retries.
[[nodiscard]] QString choosePgFeedMode(const SystemSpec &system, const QList<TableRef> &tables,
                                       bool pollable);

// The trigger SQL (resources/sql/feed/notify_trigger.sql) for one table, quoted for `system`.
// Throws SyncError if the system cannot be reached or the table is not there.
[[nodiscard]] QString notifyTriggerSql(const SystemSpec &system, const TableRef &table,
                                       const QStringList &keyColumns);

} // namespace syncdesk
