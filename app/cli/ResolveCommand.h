#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli resolve --workspace W --flow F --key K… --take source|target --reason TEXT`
class ResolveCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
