#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace syncdesk {

// Secrets of this process that come from the desktop keychain: the console reads the entries a
// workspace names (session/KeychainSecrets) and puts them here, in memory only, for the
// connectors, which link no keychain library and run where none may exist (syncdesk-cli on a
// server). Never written anywhere, never logged. Thread-safe.
class SecretCache
{
public:
    static void put(const QString &entry, const QByteArray &value);
    // The entry could not be read (`why`: the keychain's own words), for missing().
    static void putFailure(const QString &entry, const QString &why);
    static void remove(const QString &entry);
    [[nodiscard]] static std::optional<QByteArray> value(const QString &entry);

    // A secret named by a keychain entry and/or an environment variable: the entry's value when
    // this process read it, else the variable's when it is set; nullopt when neither.
    [[nodiscard]] static std::optional<QByteArray> resolve(const QString &keychain, const QString &env);
    // Why resolve() found nothing, for an error message ("… which is not set").
    [[nodiscard]] static QString missing(const QString &keychain, const QString &env);
};

} // namespace syncdesk
