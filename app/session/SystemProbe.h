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
    // Whether an API accepts its headers (a token being tried): a 2xx for `resource`'s first
    // page, or for the base URL when no flow reads it yet (a 404 there is no answer to a
    // token). The value says what answered.
    [[nodiscard]] static QFuture<Fallible<QString>> accepts(const SystemSpec &system,
                                                            const std::optional<TableRef> &resource);
};

} // namespace syncdesk
