#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli watch --workspace W [--events] [--metrics HOST:PORT]`: live monitoring.
class WatchCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
