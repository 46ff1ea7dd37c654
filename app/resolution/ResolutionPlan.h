#pragma once

#include "connectors/Connector.h"
#include "engine/RecordDetail.h"
#include "model/RecordState.h"
#include "state/StateStore.h"

#include <QJsonObject>
#include <QMap>
#include <QString>

#include <optional>

namespace syncdesk {

// Where a field's resolved value comes from.
enum class Pick { Source, Target, Baseline };

[[nodiscard]] QString pickName(Pick pick); // "source", "target", "baseline"
[[nodiscard]] std::optional<Pick> pickFromName(const QString &name);

// An operator's decision on one record, before it is checked against the systems.
struct ResolveRequest
{
    QString flow;
    KeyText key;
    // The whole record from one side (or the baseline both last agreed on) ...
    Pick take = Pick::Source;
    // ... or, instead, each field from the side that changed it since both last agreed (the
    // record read now decides which; refused where a field changed on both sides) ...
    bool merge = false;
    // ... except these fields, each from the side named (source field names) ...
    QMap<QString, Pick> fieldPicks;
    // ... and these, set to a value the operator typed (nullopt: NULL).
    QMap<QString, FieldText> customValues;
    QString reason;
    QString operatorName;
    // The hashes the operator decided on (from `diff --list`, the console): the write is
    // refused if the record no longer hashes to them. Unset: what is read now.
    std::optional<RowHash> expectSource;
    std::optional<RowHash> expectTarget;
};

// What a resolution does to one side: it must still hash to `expected`; then it is made to
// hold `values` (nullopt: no row) by `statements`, unless it already does.
struct SidePlan
{
    bool sourceSide = true;
    QString system; // the system's name
    RowHash expected;
    // Whether the decided values were taken from this side: then it must still be exactly
    // what the operator saw, or the decision rests on values nobody looked at.
    bool contributes = false;
    std::optional<QList<FieldText>> values;
    bool write = false;
    QList<BoundStatement> statements; // empty when nothing is written
    // How the write is guarded beyond the lock, where the system says so (an API without a
    // condition: "unconditional write: …"); shown in the preview and kept in the audit entry.
    QString note;
};

// A resolution worked out against the record as read now: the preview, and what apply()
// carries out. Built by ResolutionService::plan() or ::planUndo().
struct ResolutionPlan
{
    RecordDetail seen;
    KeyText key;
    QString choice;  // take_source, take_target, take_baseline, per_field, merge, undo
    QString undoes;  // for an undo: the id of the resolution it reverts
    QJsonObject picks; // per_field: field → "source" | "target" | "baseline" | "custom"
    SidePlan source;
    SidePlan target;
    std::optional<StoredBaseline> restoreBaseline; // for an undo: the baseline to put back
    QJsonObject bulk; // for one record of a bulk resolution: its id and rule

    [[nodiscard]] bool writesAnything() const { return source.write || target.write; }
};

} // namespace syncdesk
