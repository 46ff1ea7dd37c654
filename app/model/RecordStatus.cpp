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

} // namespace syncdesk
