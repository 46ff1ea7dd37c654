#pragma once

#include "model/Workspace.h"

#include <QObject>
#include <QStringList>

namespace syncdesk {

// The console's side of secrets kept in the desktop keychain (QtKeychain: the Secret Service
// of GNOME or KDE, under the service name "syncdesk"): reads the entries a workspace names
// into SecretCache before its engine starts, and stores what the workspace editor was given.
// syncdesk-cli links none of this: on a server it takes the secrets' "env" fallbacks.
class KeychainSecrets : public QObject
{
    Q_OBJECT

public:
    static constexpr const char *Service = "syncdesk";

    using QObject::QObject;

    // The keychain entries a workspace names: header values and webhook secrets.
    [[nodiscard]] static QStringList entries(const Workspace &workspace);
    // The entries that may hold the passwords of its PostgreSQL systems and state store
    // (PgConnection::passwordEntry): read when there, else libpq's password file serves.
    [[nodiscard]] static QStringList passwordEntries(const Workspace &workspace);

    // Reads every entry (at once, asynchronously) into SecretCache; one that cannot be read is
    // kept there as a failure with the keychain's reason, which the system's error then
    // names. `optional` entries that cannot be read are left out quietly (no keychain, or
    // nothing stored: the password file serves). loaded() follows when all have answered.
    void read(const QStringList &entries, const QStringList &optional = {});

    // Stores `value` under `entry`, waiting for the keychain's answer (at most `timeoutMs`,
    // events still served). Returns the keychain's error, or empty when stored.
    [[nodiscard]] static QString write(const QString &entry, const QByteArray &value, int timeoutMs = 15000);

signals:
    void loaded(const QStringList &problems);

private:
    int m_waiting = 0;
    QStringList m_problems;
};

} // namespace syncdesk
