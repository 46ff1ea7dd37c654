#pragma once

#include <QString>
#include <QtGlobal>

#include <optional>

namespace syncdesk {

// A row hash, or nullopt when the record is absent on that side.
using RowHash = std::optional<quint64>;

// A row hash as everything prints it (diff --list, show, the audit log): 16 lowercase hex
// digits; empty for an absent row.
[[nodiscard]] inline QString rowHashText(const RowHash &hash)
{
    return hash ? QString::number(*hash, 16).rightJustified(16, u'0') : QString();
}

// What is known of one record of a flow: both sides' current hashes, the baseline both last
// agreed on, and when each side last changed (milliseconds since the epoch, 0 = unknown).
struct RecordState
{
    RowHash source;
    RowHash target;
    // nullopt: no baseline known (first comparison); a value: the agreed row (absent included,
    // for a record new on one side since both last agreed).
    std::optional<RowHash> baseline;
    qint64 sourceChangedAtMs = 0;
    qint64 targetChangedAtMs = 0;
};

} // namespace syncdesk
