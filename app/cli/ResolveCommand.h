#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli resolve`: one record, an undo, or a bulk rule; with --preview, only the plan
class ResolveCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
