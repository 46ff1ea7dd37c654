#pragma once

#include <QString>

namespace syncdesk {

// The demo's three systems as SQLite files in one folder, with the workspace that connects
// them: a warehouse (devices, the source of truth), a sales tool (listings) and a client
// portal (catalog), all in agreement to begin with, as after a successful nightly sync.
class DemoWorld
{
public:
    static constexpr int Devices = 400;

    // Creates (or recreates) the demo in `dir`; returns the workspace file. Throws SyncError.
    static QString create(const QString &dir);
    [[nodiscard]] static QString warehouse(const QString &dir);
    [[nodiscard]] static QString sales(const QString &dir);
    [[nodiscard]] static QString portal(const QString &dir);
};

} // namespace syncdesk
