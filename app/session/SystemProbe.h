#pragma once

#include "Fallible.h"
#include "model/Workspace.h"

#include <QFuture>
#include <QStringList>

namespace syncdesk {

// The workspace editor's questions to a system, on the thread pool: can it be reached (and
// which tables does it have), and which columns does a table have.
class SystemProbe
{
public:
    [[nodiscard]] static QFuture<Fallible<QList<TableRef>>> tables(const SystemSpec &system);
    [[nodiscard]] static QFuture<Fallible<QStringList>> columns(const SystemSpec &system, const TableRef &table);
};

} // namespace syncdesk
