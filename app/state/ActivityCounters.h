#pragma once

#include <QString>
#include <QStringList>

namespace syncdesk {

enum class ChangeOp { Insert, Update, Delete };

// The names of the activity counters (resources/sql/state/005_activity.sql), in one place for
// those who count them (FlowLedger, ResolutionService), those who read them (the metrics, the
// live engine) and the reports.
namespace activity {

// "changes.source.insert"
[[nodiscard]] QString changes(bool sourceSide, ChangeOp op);
// "resolutions.policy.applied"; outcome: applied, refused or failed
[[nodiscard]] QString resolutions(bool byPolicy, const QString &outcome);
[[nodiscard]] QString opName(ChangeOp op); // insert, update, delete

inline const QString ConflictsDetected = QStringLiteral("conflicts_detected");
inline const QString Arrivals = QStringLiteral("arrivals");
inline const QString ArrivalsWithinSla = QStringLiteral("arrivals_within_sla");
inline const QString MaxLagMs = QStringLiteral("max_lag_ms"); // a peak, not a count
inline const QString ResolutionsPrefix = QStringLiteral("resolutions.");
inline const QStringList Outcomes{QStringLiteral("applied"), QStringLiteral("refused"),
                                  QStringLiteral("failed")};

// The counters a report names, in the order it names them: changes by side and kind,
// conflicts, resolutions by operators then by policies.
[[nodiscard]] QStringList reportedNames();

} // namespace activity
} // namespace syncdesk
