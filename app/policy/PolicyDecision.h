#pragma once

#include "model/RecordState.h"
#include "model/RecordStatus.h"
#include "model/Workspace.h"

#include <QString>

namespace syncdesk {

// What a conflict policy makes of one record, before anything is read or written.
struct PolicyAction
{
    enum class Kind { None, Manual, TakeSource, TakeTarget, Merge };
    Kind kind = Kind::None; // None: the policy has no business with this record
    QString why;            // for the audit entry's reason, or why it is left to a person
};

// The rule of DESIGN.md (Policies) as one pure function. A policy acts only on records whose
// movement against the baseline is known to be a person's edit against the agreement: a
// `conflict` (both sides changed) and, in a one-way flow, `target_drift`. Records in flight
// (pending, late) are the pipeline's business; records with no baseline (different, missing
// at a first comparison) carry no history a rule could rest on.
[[nodiscard]] PolicyAction decide(Policy policy, RecordStatus status, const RecordState &state);

} // namespace syncdesk
