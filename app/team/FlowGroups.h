#pragma once

#include "model/Workspace.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace syncdesk {

// The flows of a workspace that one engine must watch together: flows that share a system
// share its change feed (one replication slot, one stored position, one webhook port), so they
// go to one agent; flows with no system in common can go to different agents. The desk's
// leases are per flow ("flow/NAME"), a group's taken all at once, so agents that read two
// versions of the workspace (a flow added between their starts) still never watch one flow
// side by side.
struct FlowGroup
{
    QString name; // its first flow's
    QStringList flows;

    [[nodiscard]] QStringList leases() const;
};

class FlowGroups
{
public:
    // The workspace's groups, in the order of their first flows in it.
    [[nodiscard]] static QList<FlowGroup> of(const Workspace &workspace);
    // The lease row of a flow, and the flow of a lease row (empty for another kind of row).
    [[nodiscard]] static QString leaseOf(const QString &flow) { return QStringLiteral("flow/") + flow; }
    [[nodiscard]] static QString flowOf(const QString &lease);
    // The workspace cut down to `flows` and the systems they use: what one agent's engine
    // watches of a shared desk.
    [[nodiscard]] static Workspace subset(const Workspace &workspace, const QStringList &flows);
};

} // namespace syncdesk
