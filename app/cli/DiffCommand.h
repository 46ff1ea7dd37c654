#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli diff --workspace W --flow F [--json] [--list]`: one full comparison.
class DiffCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
