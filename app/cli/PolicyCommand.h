#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli policy status|resume --workspace W [--flow F]`: the flows' conflict policies as
// their guards left them, and an operator's resume of one a guard halted.
class PolicyCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
