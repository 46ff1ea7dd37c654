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

} // namespace syncdesk
