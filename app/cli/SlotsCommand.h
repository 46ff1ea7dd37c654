#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli slots list|drop --workspace W [--system S]`: the replication slots that live
// feeds keep on PostgreSQL systems.
class SlotsCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
