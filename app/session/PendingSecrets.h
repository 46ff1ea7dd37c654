#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

namespace syncdesk {

// Secrets typed into the workspace editor that an API accepted in a test: held in memory only
// until the workspace is saved, then stored in the desktop keychain. A dialog that goes without
// saving stores nothing, and no secret reaches a running engine before it is stored.
class PendingSecrets
{
public:
    void accept(const QString &entry, const QByteArray &value) { m_accepted.insert(entry, value); }
    [[nodiscard]] bool isEmpty() const { return m_accepted.isEmpty(); }
    // Stores every accepted secret in the desktop keychain (and this process's SecretCache).
    // Returns the first refusal (what was stored before it stays stored), or empty.
    [[nodiscard]] QString store();

private:
    QHash<QString, QByteArray> m_accepted;
};

} // namespace syncdesk
