#include "RecordTable.h"


namespace syncdesk {

RecordState TrackedRecord::state() const
{
    RecordState s;
    if (flags & SourcePresent)
        s.source = source;
    if (flags & TargetPresent)
        s.target = target;
    if (flags & BaselineKnown)
        s.baseline = (flags & BaselinePresent) ? RowHash(baseline) : RowHash();
    s.sourceChangedAtMs = sourceChangedAtMs;
    s.targetChangedAtMs = targetChangedAtMs;
    return s;
}

void TrackedRecord::setState(const RecordState &s)
{
    flags = 0;
    source = s.source.value_or(0);
    target = s.target.value_or(0);
    baseline = s.baseline && *s.baseline ? **s.baseline : 0;
    if (s.source)
        flags |= SourcePresent;
    if (s.target)
        flags |= TargetPresent;
    if (s.baseline)
        flags |= BaselineKnown;
    if (s.baseline && *s.baseline)
        flags |= BaselinePresent;
    sourceChangedAtMs = s.sourceChangedAtMs;
    targetChangedAtMs = s.targetChangedAtMs;
}

} // namespace syncdesk
