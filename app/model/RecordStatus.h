#pragma once

#include <QString>

#include <optional>

namespace syncdesk {

// The status of one record of a flow (DESIGN.md, Record status). A first comparison, with no
// baseline, can only say InSync, Different, MissingInTarget or MissingInSource.
enum class RecordStatus {
    InSync,
    Pending,
    Late,
    Conflict,
    TargetDrift,
    MissingInTarget,
    MissingInSource,
    Different,
};

// The Contract's spelling: "in_sync", "missing_in_target", …
[[nodiscard]] QString statusName(RecordStatus status);
[[nodiscard]] std::optional<RecordStatus> statusFromName(const QString &name);

} // namespace syncdesk
