#include "Classify.h"

namespace syncdesk {

namespace {

// Which side moved away from the baseline, if a baseline is known.
struct Movement
{
    bool source = false;
    bool target = false;
};

Movement movement(const RecordState &r)
{
    return {*r.baseline != r.source, *r.baseline != r.target};
}

RecordStatus pendingOrLate(qint64 changedAtMs, qint64 nowMs, int slaSeconds)
{
    // Unknown change time: it cannot be shown late, only pending.
    if (changedAtMs > 0 && nowMs - changedAtMs > qint64(slaSeconds) * 1000)
        return RecordStatus::Late;
    return RecordStatus::Pending;
}

} // namespace

RecordStatus classify(const RecordState &r, qint64 nowMs, Direction direction, int slaSeconds)
{
    if (r.source == r.target)
        return RecordStatus::InSync; // equal rows, or gone from both sides
    if (!r.baseline) {
        if (!r.target)
            return RecordStatus::MissingInTarget;
        if (!r.source)
            return RecordStatus::MissingInSource;
        return RecordStatus::Different;
    }
    const Movement moved = movement(r);
    if (moved.source && moved.target)
        return RecordStatus::Conflict; // both moved, to different rows (equal was caught above)
    if (moved.source)
        return pendingOrLate(r.sourceChangedAtMs, nowMs, slaSeconds);
    // Only the target moved.
    if (direction == Direction::OneWay)
        return RecordStatus::TargetDrift;
    return pendingOrLate(r.targetChangedAtMs, nowMs, slaSeconds);
}

qint64 waitingSinceMs(const RecordState &r, Direction direction)
{
    if (r.source == r.target || !r.baseline)
        return 0;
    const Movement moved = movement(r);
    qint64 since = 0;
    if (moved.source && !moved.target)
        since = r.sourceChangedAtMs;
    else if (moved.target && !moved.source && direction == Direction::TwoWay)
        since = r.targetChangedAtMs;
    return std::max<qint64>(0, since);
}

qint64 pendingAgeMs(const RecordState &r, qint64 nowMs, Direction direction)
{
    const qint64 since = waitingSinceMs(r, direction);
    return since > 0 ? std::max<qint64>(0, nowMs - since) : 0;
}

qint64 divergedAtMs(const RecordState &r)
{
    if (r.source == r.target)
        return 0;
    if (!r.baseline)
        return std::max(r.sourceChangedAtMs, r.targetChangedAtMs);
    const Movement moved = movement(r);
    qint64 at = 0;
    for (const auto &[did, when] : {std::pair{moved.source, r.sourceChangedAtMs},
                                    std::pair{moved.target, r.targetChangedAtMs}})
        if (did && when > 0)
            at = at == 0 ? when : std::min(at, when);
    return at;
}

FieldChange classifyField(const FieldText &source, const FieldText &target,
                          const std::optional<FieldText> &baseline)
{
    if (!baseline)
        return source == target ? FieldChange::Unchanged : FieldChange::Differs;
    const bool sourceMoved = source != *baseline;
    const bool targetMoved = target != *baseline;
    if (sourceMoved && targetMoved)
        return source == target ? FieldChange::Unchanged : FieldChange::ChangedOnBoth;
    if (sourceMoved)
        return FieldChange::ChangedAtSource;
    if (targetMoved)
        return FieldChange::ChangedAtTarget;
    return FieldChange::Unchanged;
}

} // namespace syncdesk
