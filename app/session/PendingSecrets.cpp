#include "PendingSecrets.h"

#include "KeychainSecrets.h"

namespace syncdesk {

QString PendingSecrets::store()
{
    while (!m_accepted.isEmpty()) {
        const auto it = m_accepted.begin();
        const QString error = KeychainSecrets::write(it.key(), it.value());
        if (!error.isEmpty())
            return QStringLiteral("the desktop keychain did not store '%1': %2").arg(it.key(), error);
        m_accepted.erase(it);
    }
    return {};
}

} // namespace syncdesk
