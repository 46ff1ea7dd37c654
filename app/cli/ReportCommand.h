#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli report sla --workspace W --from T --to T --format F --out FILE [--flow F]`
class ReportCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
