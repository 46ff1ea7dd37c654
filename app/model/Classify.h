#pragma once

#include "RecordState.h"
#include "RecordStatus.h"
#include "Workspace.h"

#include <QByteArray>

namespace syncdesk {

// The status of a record (DESIGN.md, Record status): one pure function, from which colours,
// counts and alerts all derive. In a two-way flow a change on the target travels to the
// source, so it is pending (or late) rather than drift.
[[nodiscard]] RecordStatus classify(const RecordState &record, qint64 nowMs,
                                    Direction direction, int slaSeconds);

// How long the record has waited to arrive on the other side, in ms (0 when not pending/late).
[[nodiscard]] qint64 pendingAgeMs(const RecordState &record, qint64 nowMs, Direction direction);
// Since when it waits: the change classify() times a pending or late record by (0 when not
// pending/late, or when that change's time is unknown).
[[nodiscard]] qint64 waitingSinceMs(const RecordState &record, Direction direction);

// When the record stopped being in sync: the earliest known change of a side that moved away
// from the baseline (without a baseline, the latest known change); 0 when in sync or unknown.
// The records list and the resolve dialog both count "out of sync for" from it.
[[nodiscard]] qint64 divergedAtMs(const RecordState &record);

// One compared field against the baseline (the three-way view).
enum class FieldChange { Unchanged, ChangedAtSource, ChangedAtTarget, ChangedOnBoth, Differs };

// `baseline` empty when no baseline is known: then a difference is just Differs. Values are the
// canonical texts (nullopt for NULL or an absent row).
using FieldText = std::optional<QByteArray>;
[[nodiscard]] FieldChange classifyField(const FieldText &source, const FieldText &target,
                                        const std::optional<FieldText> &baseline);

} // namespace syncdesk
