#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>
#include <QStringList>

#include <optional>

namespace syncdesk {

// Secrets typed into the workspace editor: tried out in this process's SecretCache while the
// dialog tests its systems, stored in the desktop keychain only once a test accepted them and
// the workspace is saved, and taken back out of the cache (what it held before restored) when
// the dialog goes without saving. So nothing is stored that was not tested or not saved.
class PendingSecrets
{
public:
    PendingSecrets() = default;
    ~PendingSecrets();
    PendingSecrets(const PendingSecrets &) = delete;
    PendingSecrets &operator=(const PendingSecrets &) = delete;

    void tryOut(const QString &entry, const QByteArray &value);
    // The test of `entry` answered; a refused secret is dropped.
    void tested(const QString &entry, bool accepted);
    // Entries typed but not yet accepted by a test.
    [[nodiscard]] QStringList untested() const;
    // Stores every accepted secret in the desktop keychain. Returns the first refusal (then
    // nothing more is stored), or empty.
    [[nodiscard]] QString store();

private:
    void drop(const QString &entry);

    struct Pending
    {
        QByteArray value;
        std::optional<QByteArray> before; // what SecretCache held for the entry
        bool accepted = false;
    };
    QHash<QString, Pending> m_pending;
};

} // namespace syncdesk
