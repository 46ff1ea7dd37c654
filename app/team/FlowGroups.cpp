#include "FlowGroups.h"

#include <QHash>

#include <numeric>

namespace syncdesk {

QList<FlowGroup> FlowGroups::of(const Workspace &workspace)
{
    // Union-find over the flows, joined through the systems their sides name.
    const QList<FlowSpec> &flows = workspace.flows;
    std::vector<qsizetype> parent(size_t(flows.size()));
    std::iota(parent.begin(), parent.end(), 0);
    const auto root = [&parent](qsizetype i) {
        while (parent[size_t(i)] != i)
            i = parent[size_t(i)] = parent[size_t(parent[size_t(i)])];
        return i;
    };
    QHash<QString, qsizetype> firstFlowOf; // system → the first flow seen on it
    for (qsizetype i = 0; i < flows.size(); ++i) {
        for (const QString &system : {flows[i].source.system, flows[i].target.system}) {
            const auto seen = firstFlowOf.constFind(system);
            if (seen == firstFlowOf.cend()) {
                firstFlowOf.insert(system, i);
                continue;
            }
            const qsizetype a = root(i), b = root(seen.value());
            parent[size_t(std::max(a, b))] = std::min(a, b); // the earlier flow stays the root
        }
    }
    QList<FlowGroup> groups;
    QHash<qsizetype, qsizetype> groupOf; // root flow → index in groups
    for (qsizetype i = 0; i < flows.size(); ++i) {
        const qsizetype r = root(i);
        auto at = groupOf.constFind(r);
        if (at == groupOf.cend()) {
            at = groupOf.insert(r, groups.size());
            groups.append({flows[r].name, {}});
        }
        groups[at.value()].flows.append(flows[i].name);
    }
    return groups;
}

QStringList FlowGroup::leases() const
{
    QStringList out;
    for (const QString &f : flows)
        out.append(FlowGroups::leaseOf(f));
    return out;
}

QString FlowGroups::flowOf(const QString &lease)
{
    return lease.startsWith(QLatin1String("flow/")) ? lease.mid(5) : QString();
}

Workspace FlowGroups::subset(const Workspace &workspace, const QStringList &flows)
{
    Workspace out = workspace;
    out.flows.removeIf([&flows](const FlowSpec &f) { return !flows.contains(f.name); });
    out.systems.removeIf([&out](const SystemSpec &s) {
        return std::none_of(out.flows.cbegin(), out.flows.cend(), [&s](const FlowSpec &f) {
            return f.source.system == s.name || f.target.system == s.name;
        });
    });
    return out;
}

} // namespace syncdesk
