#pragma once

#include <QStringList>

namespace syncdesk::cli {

// `syncdesk-cli team setup|grant --state URI`: a PostgreSQL database made a team's state store
// (schema, roles, grants), and a login given one of its roles.
class TeamCommand
{
public:
    [[nodiscard]] static int run(const QStringList &arguments);
};

} // namespace syncdesk::cli
