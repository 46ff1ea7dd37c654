#pragma once

#include <QString>
#include <QStringList>

namespace syncdesk {

// Makes a PostgreSQL database a team's state store (DESIGN.md, Team): the schema at its newest
// version, the roles, their grants, and row-level security on claims, so PostgreSQL itself
// decides who may do what whatever client connects. Run by the database's owner; running it
// again (after an upgrade) brings grants up to date and changes nothing else.
//
//   syncdesk_viewer    reads everything
//   syncdesk_auditor   viewer; exports and verifies the audit log (reads)
//   syncdesk_resolver  viewer + claims and resolutions (appends to the log, never changes it)
//   syncdesk_agent     resolver + what a live engine writes (positions, snapshots, statuses,
//                      activity, a policy's halt)
//   syncdesk_admin     agent + auditor + breaks anyone's claim, resumes halted policies
class TeamSetup
{
public:
    struct Result
    {
        int schemaVersion = 0;
        QStringList rolesCreated; // the ones that did not exist yet
    };

    // Throws SyncError (NotAllowed when the connecting role may not create roles or grant).
    static Result run(const QString &uri);
    // Makes login role `user` a member of `role` (one of roles(), without the prefix).
    static void grant(const QString &uri, const QString &user, const QString &role);

    // viewer, auditor, resolver, agent, admin.
    [[nodiscard]] static QStringList roles();
};

} // namespace syncdesk
