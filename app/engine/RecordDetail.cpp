#include "RecordDetail.h"

namespace syncdesk {

QString fieldChangeName(FieldChange change)
{
    switch (change) {
    case FieldChange::Unchanged: return QStringLiteral("unchanged");
    case FieldChange::ChangedAtSource: return QStringLiteral("changed_at_source");
    case FieldChange::ChangedAtTarget: return QStringLiteral("changed_at_target");
    case FieldChange::ChangedOnBoth: return QStringLiteral("conflict");
    case FieldChange::Differs: return QStringLiteral("differs");
    }
    return {};
}

} // namespace syncdesk
