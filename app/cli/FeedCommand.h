#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli feed install-sql --workspace W [--system S]`: prints, for review, the trigger
// SQL of the notify feed for every flow table on the workspace's PostgreSQL systems.
class FeedCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
