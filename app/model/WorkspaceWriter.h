#pragma once

#include "Workspace.h"

#include <QByteArray>
#include <QString>

namespace syncdesk {

// A workspace back to its file (the Contract's shape): paths relative to the file where they
// lie beside it, the state store only when it is not the default, never a password.
class WorkspaceWriter
{
public:
    [[nodiscard]] static QByteArray toJson(const Workspace &workspace, const QString &path);
    // Writes `workspace` to `path` only if the result loads back as a valid workspace; the
    // old file is replaced whole or not at all. Throws SyncError naming what is wrong.
    static void save(const Workspace &workspace, const QString &path);
};

} // namespace syncdesk
