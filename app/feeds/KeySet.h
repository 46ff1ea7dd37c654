#pragma once

#include "model/KeyTable.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace syncdesk {

// The keys of one table as last read, for feeds that cannot see deletes (polling): a key read
// before and not in a new full read of the keys was deleted. Keys are packed as encode() makes
// them; about 16 bytes plus the key per row.
class KeySet
{
public:
    // A key's column values packed into bytes (decode() gives them back).
    [[nodiscard]] static QByteArray encode(const QList<std::optional<QString>> &values);
    [[nodiscard]] static QList<std::optional<QString>> decode(const QByteArray &key);

    // A key known to exist now (a row the feed reported).
    void add(const QByteArray &key) { m_keys[view(key)] = m_generation; }
    [[nodiscard]] qsizetype size() const { return m_keys.size(); }
    [[nodiscard]] bool isLoaded() const { return m_loaded; }

    // A full read: begin(), seen() for every key read, then end() gives the keys that were
    // known and are gone, and `added` the ones that were not known.
    void begin();
    void seen(const QByteArray &key, QList<QByteArray> *added);
    [[nodiscard]] QList<QByteArray> end();

private:
    static std::string_view view(const QByteArray &b) { return {b.constData(), size_t(b.size())}; }

    KeyTable<quint8> m_keys; // key → the generation of the read that last saw it
    quint8 m_generation = 0;
    bool m_loaded = false;
};

} // namespace syncdesk
