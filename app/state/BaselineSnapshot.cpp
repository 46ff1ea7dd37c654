#include "BaselineSnapshot.h"

#include "model/SyncError.h"

#include <QtEndian>

namespace syncdesk {

namespace {

enum : quint8 { Known = 1, Present = 2 };

} // namespace

void BaselineSnapshot::add(std::string_view keyJson, const std::optional<RowHash> &baseline)
{
    if (m_bytes.isEmpty())
        m_bytes = QByteArray("SDB1");
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
    if (++m_partRecords == RecordsPerPart)
        finishPart();
}

void BaselineSnapshot::finishPart()
{
    if (m_partRecords == 0)
        return;
    m_parts.append({m_partRecords, m_bytes.toBase64()});
    m_bytes.clear();
    m_partRecords = 0;
}

QList<std::pair<qint64, QByteArray>> BaselineSnapshot::takeParts()
{
    finishPart();
    return std::exchange(m_parts, {});
}

void BaselineSnapshot::read(const QByteArray &text,
                            const std::function<void(std::string_view, const std::optional<RowHash> &)> &f)
{
    if (text.isEmpty())
        return; // the one part of a flow with no records
    const QByteArray bytes = QByteArray::fromBase64(text);
    auto damaged = [] {
        return SyncError(QStringLiteral("state store: a baseline snapshot is damaged; remove its "
                                        "rows from baseline_snapshots to compare the flow afresh"));
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
