#pragma once

#include <QSqlDatabase>
#include <QString>

namespace syncdesk {

// Where the demo lives: its folder (workspace, state store, and the systems as SQLite files),
// or, with a port, the systems as databases of the demo's PostgreSQL cluster (DemoCluster).
struct DemoPlace
{
    QString dir;
    int pgPort = 0; // 0: SQLite files in `dir`
    quint16 portalApiPort = 0; // the portal's API (DemoPortalApi), which the workspace names
    [[nodiscard]] bool postgres() const { return pgPort > 0; }
    // The cluster's password file (libpq's format) in `dir`: every connection names it.
    [[nodiscard]] QString passfile() const;
    // `passfile=…` as a libpq connection option, quoted.
    [[nodiscard]] QString passfileOption() const;
};

// The demo's three systems, with the workspace that connects them: a warehouse (devices, the
// source of truth), a sales tool (listings) and a client portal (catalog, which the workspace
// reaches through the portal's HTTP API), all in agreement to begin with, as after a
// successful nightly sync.
class DemoWorld
{
public:
    static constexpr int Devices = 400;

    // Creates (or recreates) the demo; returns the workspace file. The place names the port of
    // its running portal API. Throws SyncError.
    static QString create(const DemoPlace &place);
    // A connection (named `connection`) to one of the systems: "warehouse", "sales", "portal".
    [[nodiscard]] static QSqlDatabase open(const DemoPlace &place, const QString &system, const QString &connection);
};

} // namespace syncdesk
