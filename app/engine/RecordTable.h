#pragma once

#include "model/KeyTable.h"
#include "model/RecordState.h"
#include "model/RecordStatus.h"

#include <QtGlobal>


namespace syncdesk {

// One record of a flow, packed into 48 bytes: a million of them must fit in a console's
// memory next to everything else.
struct TrackedRecord
{
    quint64 source = 0;
    quint64 target = 0;
    quint64 baseline = 0;
    qint64 sourceChangedAtMs = 0;
    qint64 targetChangedAtMs = 0;
    quint8 flags = 0;
    RecordStatus status = RecordStatus::InSync;

    [[nodiscard]] RecordState state() const;
    // Sets the state (and clears the mark below).
    void setState(const RecordState &state);
    // A mark for one pass over a table (LiveFlow::load: "a baseline was stored for it").
    void mark() { flags |= Marked; }
    [[nodiscard]] bool isMarked() const { return flags & Marked; }

private:
    enum : quint8 {
        SourcePresent = 1,
        TargetPresent = 2,
        BaselineKnown = 4,
        BaselinePresent = 8,
        Marked = 16
    };
};

// Every record of a flow by key (the key's canonical JSON): in-sync records too, so each one
// keeps the row both sides last agreed on (its baseline).
using RecordTable = KeyTable<TrackedRecord>;

} // namespace syncdesk
