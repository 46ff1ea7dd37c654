#pragma once

#include "model/RecordState.h"

#include <QByteArray>
#include <QList>

#include <functional>
#include <optional>
#include <string_view>

namespace syncdesk {

// The baselines of every record of a flow packed into a few values of the state store: a
// million records are 16 writes of ~2 MB instead of a million rows, so persisting what a big
// flow's first comparison found costs little, and no part needs much memory at once.
//
// Layout of a part before base64 (text, so both SQLite and PostgreSQL store it as is): "SDB1",
// then per record a 32-bit little-endian key length, the key's canonical JSON, one flags byte
// (1: a baseline is known, 2: the agreed row exists) and, when it exists, its 64-bit hash.
class BaselineSnapshot
{
public:
    // `baseline`: nullopt when no baseline is known; a RowHash (absent = agreed absent).
    void add(std::string_view keyJson, const std::optional<RowHash> &baseline);
    [[nodiscard]] qsizetype records() const { return m_records; }
    // The parts as text, each with its number of records.
    [[nodiscard]] QList<std::pair<qint64, QByteArray>> takeParts();

    static constexpr qsizetype RecordsPerPart = 65536;

    // Calls f for every record of one part's text. Throws SyncError when it is damaged.
    static void read(const QByteArray &text,
                     const std::function<void(std::string_view keyJson,
                                              const std::optional<RowHash> &baseline)> &f);

private:
    void finishPart();

    QByteArray m_bytes;
    qsizetype m_records = 0;
    qsizetype m_partRecords = 0;
    QList<std::pair<qint64, QByteArray>> m_parts;
};

} // namespace syncdesk
