#include "KeySet.h"

#include <QtEndian>

namespace syncdesk {

QByteArray KeySet::encode(const QList<std::optional<QString>> &values)
{
    QByteArray out;
    for (const std::optional<QString> &v : values) {
        if (!v) {
            out.append('n');
            continue;
        }
        const QByteArray utf8 = v->toUtf8();
        char length[4];
        qToLittleEndian(quint32(utf8.size()), length);
        out.append('v');
        out.append(length, 4);
        out.append(utf8);
    }
    return out;
}

QList<std::optional<QString>> KeySet::decode(const QByteArray &key)
{
    QList<std::optional<QString>> out;
    qsizetype i = 0;
    while (i < key.size()) {
        if (key[i++] == 'n') {
            out.append(std::nullopt);
            continue;
        }
        // A key cut short (never one encode() wrote) ends here rather than read past its end.
        if (key.size() - i < 4)
            break;
        const quint32 length = qFromLittleEndian<quint32>(key.constData() + i);
        i += 4;
        if (key.size() - i < qsizetype(length))
            break;
        out.append(QString::fromUtf8(key.constData() + i, qsizetype(length)));
        i += qsizetype(length);
    }
    return out;
}

void KeySet::begin()
{
    ++m_generation;
}

void KeySet::seen(const QByteArray &key, QList<QByteArray> *added)
{
    quint8 *g = m_keys.find(view(key));
    if (!g) {
        g = &m_keys.insert(view(key));
        if (m_loaded && added)
            added->append(key);
    }
    *g = m_generation;
}

QList<QByteArray> KeySet::end()
{
    QList<QByteArray> gone;
    m_keys.forEach([&](std::string_view key, quint8 g) {
        if (g != m_generation)
            gone.append(QByteArray(key.data(), qsizetype(key.size())));
    });
    for (const QByteArray &k : gone)
        m_keys.erase(view(k));
    m_loaded = true;
    return gone;
}

} // namespace syncdesk
