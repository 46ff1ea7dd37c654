#include "SecretCache.h"

#include <QHash>

#include <mutex>

namespace syncdesk {

namespace {

struct Store
{
    std::mutex mutex;
    QHash<QString, QByteArray> values;
    QHash<QString, QString> failures;
};

Store &store()
{
    static Store s;
    return s;
}

} // namespace

void SecretCache::put(const QString &entry, const QByteArray &value)
{
    Store &s = store();
    const std::lock_guard lock(s.mutex);
    s.values.insert(entry, value);
    s.failures.remove(entry);
}

void SecretCache::putFailure(const QString &entry, const QString &why)
{
    Store &s = store();
    const std::lock_guard lock(s.mutex);
    s.values.remove(entry);
    s.failures.insert(entry, why);
}

void SecretCache::remove(const QString &entry)
{
    Store &s = store();
    const std::lock_guard lock(s.mutex);
    s.values.remove(entry);
    s.failures.remove(entry);
}

std::optional<QByteArray> SecretCache::value(const QString &entry)
{
    Store &s = store();
    const std::lock_guard lock(s.mutex);
    const auto it = s.values.constFind(entry);
    if (it == s.values.cend())
        return std::nullopt;
    return *it;
}

std::optional<QByteArray> SecretCache::resolve(const QString &keychain, const QString &env)
{
    if (!keychain.isEmpty())
        if (std::optional<QByteArray> v = value(keychain))
            return v;
    if (!env.isEmpty() && qEnvironmentVariableIsSet(env.toLocal8Bit().constData()))
        return qgetenv(env.toLocal8Bit().constData());
    return std::nullopt;
}

QString SecretCache::missing(const QString &keychain, const QString &env)
{
    if (keychain.isEmpty())
        return QStringLiteral("the environment variable %1, which is not set").arg(env);
    QString failure;
    {
        Store &s = store();
        const std::lock_guard lock(s.mutex);
        failure = s.failures.value(keychain);
    }
    const QString entry = failure.isEmpty()
                              ? QStringLiteral("the desktop keychain entry '%1', which this process has not read "
                                               "(the console reads it when it opens the workspace)")
                                    .arg(keychain)
                              : QStringLiteral("the desktop keychain entry '%1', which could not be read: %2")
                                    .arg(keychain, failure);
    return env.isEmpty() ? entry + QStringLiteral("; syncdesk-cli reads no keychain: give the secret an \"env\" "
                                                  "fallback for it")
                         : entry + QStringLiteral(", or the environment variable %1, which is not set").arg(env);
}

} // namespace syncdesk
