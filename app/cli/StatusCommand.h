#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli status --workspace W [--json] [--max-age S]`: the desk as the last watch or
// agent persisted it, for scripts, monitoring checks and `ssh host syncdesk-cli status`.
class StatusCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
