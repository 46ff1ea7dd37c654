#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli probe sql --workspace W [--flow F]`: prints, for review, what a flow's tracer
// probe needs and does: the probe tables to create on both sides, the statement SyncDesk
// sends to the source every interval, and the one it reads the target with.
class ProbeCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
