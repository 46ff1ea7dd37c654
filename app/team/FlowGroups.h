#pragma once

#include "model/Workspace.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace syncdesk {

// The flows of a workspace that one engine must watch together: flows that share a system
// share its change feed (one replication slot, one stored position, one webhook port), so they
// go to one agent; flows with no system in common can go to different agents. Each group is a
// lease of the team's desk ("flows/" and its first flow's name).
struct FlowGroup
{
    QString lease;
    QStringList flows;
};

class FlowGroups
{
public:
    // The workspace's groups, in the order of their first flows in it.
    [[nodiscard]] static QList<FlowGroup> of(const Workspace &workspace);
    // The workspace cut down to the flows of the groups whose leases are `leases` and the
    // systems those use: what one agent's engine watches of a shared desk.
    [[nodiscard]] static Workspace subset(const Workspace &workspace, const QStringList &leases);
    // "orders, customers": the flows of those groups, for what an agent says.
    [[nodiscard]] static QString flowsText(const QList<FlowGroup> &groups, const QStringList &leases);
};

} // namespace syncdesk
