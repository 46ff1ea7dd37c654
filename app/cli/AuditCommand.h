#pragma once

#include <QStringList>

class QCommandLineParser;

namespace syncdesk {
class StateStore;
}

namespace syncdesk::cli {

// `syncdesk-cli audit verify|export --workspace W …`
class AuditCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);

private:
    // The chain, and what was written down outside it (--expect-head, --against).
    [[nodiscard]] static int verify(const QCommandLineParser &p, StateStore &store);
};

} // namespace syncdesk::cli
