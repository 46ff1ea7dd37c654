#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli claim`: an operator's hold on a record, so nobody else resolves it meanwhile;
// its release, an admin's break (audited), and the list of claims that hold.
class ClaimCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
