#include "RecordStatus.h"

namespace syncdesk {

QString statusName(RecordStatus status)
{
    switch (status) {
    case RecordStatus::InSync: return QStringLiteral("in_sync");
    case RecordStatus::Pending: return QStringLiteral("pending");
    case RecordStatus::Late: return QStringLiteral("late");
    case RecordStatus::Conflict: return QStringLiteral("conflict");
    case RecordStatus::TargetDrift: return QStringLiteral("target_drift");
    case RecordStatus::MissingInTarget: return QStringLiteral("missing_in_target");
    case RecordStatus::MissingInSource: return QStringLiteral("missing_in_source");
    case RecordStatus::Different: return QStringLiteral("different");
    }
    return {};
}

std::optional<RecordStatus> statusFromName(const QString &name)
{
    for (int s = int(RecordStatus::InSync); s <= int(RecordStatus::Different); ++s)
        if (statusName(RecordStatus(s)) == name)
            return RecordStatus(s);
    return std::nullopt;
}

} // namespace syncdesk
