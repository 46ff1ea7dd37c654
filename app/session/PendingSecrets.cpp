#include "PendingSecrets.h"

#include "KeychainSecrets.h"
#include "connectors/SecretCache.h"

namespace syncdesk {

PendingSecrets::~PendingSecrets()
{
    for (const QString &entry : m_pending.keys())
        drop(entry);
}

void PendingSecrets::tryOut(const QString &entry, const QByteArray &value)
{
    auto it = m_pending.find(entry);
    if (it == m_pending.end())
        it = m_pending.insert(entry, Pending{{}, SecretCache::value(entry), false});
    it->value = value;
    it->accepted = false;
    SecretCache::put(entry, value);
}

void PendingSecrets::tested(const QString &entry, bool accepted)
{
    const auto it = m_pending.find(entry);
    if (it == m_pending.end())
        return;
    if (accepted)
        it->accepted = true;
    else
        drop(entry);
}

QStringList PendingSecrets::untested() const
{
    QStringList out;
    for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it)
        if (!it->accepted)
            out << it.key();
    return out;
}

QString PendingSecrets::store()
{
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (!it->accepted) {
            ++it;
            continue;
        }
        const QString error = KeychainSecrets::write(it.key(), it->value);
        if (!error.isEmpty())
            return QStringLiteral("the desktop keychain did not store '%1': %2").arg(it.key(), error);
        it = m_pending.erase(it); // stored: the cache keeps it, as the keychain now does
    }
    return {};
}

void PendingSecrets::drop(const QString &entry)
{
    const auto it = m_pending.find(entry);
    if (it == m_pending.end())
        return;
    if (it->before)
        SecretCache::put(entry, *it->before);
    else
        SecretCache::remove(entry);
    m_pending.erase(it);
}

} // namespace syncdesk
