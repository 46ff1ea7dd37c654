#pragma once

#include "Workspace.h"

#include <QByteArray>
#include <QString>

namespace syncdesk {

// Reads and validates a workspace file (the Contract in DESIGN.md). Every problem becomes one
// SyncError naming the file, the JSON location and what is wrong. It never writes anything.
class WorkspaceLoader
{
public:
    [[nodiscard]] static Workspace load(const QString &path);
    // `path` only names the file in messages and anchors relative paths.
    [[nodiscard]] static Workspace parse(const QByteArray &json, const QString &path);
    // The state store named outside the file (an agent keeps it in its own state directory):
    // a path, relative to the current directory, or a postgresql:// URI; checked as `state`.
    static void overrideState(Workspace &ws, const QString &state);
};

} // namespace syncdesk
