#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli show --workspace W --flow F --key K…`: one record, three ways.
class ShowCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
