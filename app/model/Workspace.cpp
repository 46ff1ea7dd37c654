#include "Workspace.h"

namespace syncdesk {

QString systemKindName(SystemKind kind)
{
    switch (kind) {
    case SystemKind::Postgres: return QStringLiteral("postgres");
    case SystemKind::Sqlite: return QStringLiteral("sqlite");
    case SystemKind::Http: return QStringLiteral("http");
    }
    return {};
}

const SystemSpec *Workspace::system(const QString &name) const
{
    for (const SystemSpec &s : systems) {
        if (s.name == name)
            return &s;
    }
    return nullptr;
}

const FlowSpec *Workspace::flow(const QString &name) const
{
    for (const FlowSpec &f : flows) {
        if (f.name == name)
            return &f;
    }
    return nullptr;
}

QString policyName(Policy policy)
{
    switch (policy) {
    case Policy::Manual:
        return QStringLiteral("manual");
    case Policy::SourceWins:
        return QStringLiteral("source-wins");
    case Policy::TargetWins:
        return QStringLiteral("target-wins");
    case Policy::NewestWins:
        return QStringLiteral("newest-wins");
    case Policy::MergeFields:
        return QStringLiteral("merge-fields");
    }
    return {};
}

std::optional<Policy> policyFromName(const QString &name)
{
    for (Policy p : {Policy::Manual, Policy::SourceWins, Policy::TargetWins, Policy::NewestWins,
                     Policy::MergeFields})
        if (policyName(p) == name)
            return p;
    return std::nullopt;
}

} // namespace syncdesk
