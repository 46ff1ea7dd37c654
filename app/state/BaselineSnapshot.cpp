#include "BaselineSnapshot.h"

#include "model/SyncError.h"

#include <QtEndian>

namespace syncdesk {

namespace {

enum : quint8 { Known = 1, Present = 2 };

} // namespace

void BaselineSnapshot::add(std::string_view keyJson, const std::optional<RowHash> &baseline)
{
    char length[4];
    qToLittleEndian(quint32(keyJson.size()), length);
    m_bytes.append(length, 4);
    m_bytes.append(keyJson.data(), qsizetype(keyJson.size()));
    const quint8 flags = (baseline ? Known : 0) | (baseline && *baseline ? Present : 0);
    m_bytes.append(char(flags));
    if (flags & Present) {
        char hash[8];
        qToLittleEndian(quint64(**baseline), hash);
        m_bytes.append(hash, 8);
    }
    ++m_records;
}

QByteArray BaselineSnapshot::toText() const
{
    return m_bytes.toBase64();
}

void BaselineSnapshot::read(const QByteArray &text,
                            const std::function<void(std::string_view, const std::optional<RowHash> &)> &f)
{
    const QByteArray bytes = QByteArray::fromBase64(text);
    auto damaged = [] {
        return SyncError(QStringLiteral("state store: a baseline snapshot is damaged; remove its "
                                        "row from baseline_snapshots to compare the flow afresh"));
    };
    if (!bytes.startsWith("SDB1"))
        throw damaged();
    const char *p = bytes.constData() + 4;
    const char *end = bytes.constData() + bytes.size();
    while (p < end) {
        if (end - p < 5)
            throw damaged();
        const quint32 length = qFromLittleEndian<quint32>(p);
        p += 4;
        if (quint64(end - p) < quint64(length) + 1)
            throw damaged();
        const std::string_view key(p, length);
        p += length;
        const auto flags = quint8(*p++);
        std::optional<RowHash> baseline;
        if (flags & Known) {
            baseline = RowHash();
            if (flags & Present) {
                if (end - p < 8)
                    throw damaged();
                baseline = RowHash(qFromLittleEndian<quint64>(p));
                p += 8;
            }
        }
        f(key, baseline);
    }
}

} // namespace syncdesk
