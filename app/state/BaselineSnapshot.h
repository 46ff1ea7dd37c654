#pragma once

#include "model/RecordState.h"

#include <QByteArray>

#include <functional>
#include <optional>
#include <string_view>

namespace syncdesk {

// The baselines of every record of a flow packed into one value of the state store: a
// million records are one write of ~35 MB instead of a million rows, so the first comparison
// of a big flow is not slowed down by persisting what it found.
//
// Layout before base64 (text, so both SQLite and PostgreSQL store it as is): "SDB1", then per
// record a 32-bit little-endian key length, the key's canonical JSON, one flags byte
// (1: a baseline is known, 2: the agreed row exists) and, when it exists, its 64-bit hash.
class BaselineSnapshot
{
public:
    // `baseline`: nullopt when no baseline is known; a RowHash (absent = agreed absent).
    void add(std::string_view keyJson, const std::optional<RowHash> &baseline);
    [[nodiscard]] qsizetype records() const { return m_records; }
    [[nodiscard]] QByteArray toText() const;

    // Calls f for every record of a snapshot's text. Throws SyncError when it is damaged.
    static void read(const QByteArray &text,
                     const std::function<void(std::string_view keyJson,
                                              const std::optional<RowHash> &baseline)> &f);

private:
    QByteArray m_bytes = QByteArray("SDB1");
    qsizetype m_records = 0;
};

} // namespace syncdesk
