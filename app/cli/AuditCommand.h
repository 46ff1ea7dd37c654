#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli audit verify|export --workspace W …`
class AuditCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
