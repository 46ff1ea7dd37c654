#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli demo --out DIR [--seconds N] [--batch-seconds S]`: creates the demo's systems
// and workspace in DIR and plays its story against them, headless, for scripts and tests.
class DemoCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
