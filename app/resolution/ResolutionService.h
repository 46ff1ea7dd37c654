#pragma once

#include "ResolutionPlan.h"
#include "model/Workspace.h"
#include "state/StateStore.h"

#include <QJsonObject>
#include <QString>

#include <map>
#include <optional>
#include <utility>
#include <memory>

namespace syncdesk {

class FlowSides;
class SyncError;

struct ResolveResult
{
    enum class Outcome { Applied, Refused, Failed };
    Outcome outcome = Outcome::Failed;
    QString error;
    qint64 intentSeq = 0;
    qint64 outcomeSeq = 0;
    QString id; // the resolution's id: what an undo names
};

// The operator's decision on one record, under the protocol of DESIGN.md: (1) audit the intent
// with the values seen and the values decided; (2) lock the record on both sides, check that
// each still holds what was seen, write the sides that differ from the decision and commit;
// (3) drop the baseline, the record being in agreement again; (4) audit the outcome. Nothing
// is overwritten that the operator did not see, and a replay writes nothing twice: a side that
// already holds the decided values is left alone.
class ResolutionService
{
public:
    ResolutionService(const Workspace &workspace, StateStore &store);
    ~ResolutionService();

    // The resolution as it would run now: the record as read, and per side the values and the
    // exact statements. Throws SyncError for a bad request (unknown flow or field, a side or
    // baseline that has no row to take, a custom value that is not of its field's type).
    [[nodiscard]] ResolutionPlan plan(const ResolveRequest &request);
    // Plans for many records of one flow, both sides read once (a policy's batch). A request
    // that cannot be planned gets its error; a read that fails throws SyncError.
    struct Planned
    {
        std::optional<ResolutionPlan> plan;
        QString error;
    };
    [[nodiscard]] QList<Planned> planMany(const QString &flow, const QList<ResolveRequest> &requests);
    // The compensating resolution that puts back what resolution `id` overwrote, on both sides,
    // if they still hold what it left. Throws SyncError when there is nothing to undo.
    [[nodiscard]] ResolutionPlan planUndo(const QString &id);

    // Carries out a plan (from plan() or planUndo()). `reason` is mandatory. Failures of the
    // write itself are audited and returned as Outcome::Failed; SyncError for bad requests.
    [[nodiscard]] ResolveResult apply(const ResolutionPlan &plan, const QString &reason,
                                      const QString &operatorName);
    // Many plans of one flow carried out together (a policy's batch), each record under the
    // same protocol as apply(): every intent audited (one transaction) before anything is
    // written; each side's rows locked in one transaction and each record checked under it on
    // its own (a record that moved is refused, the others go on); every outcome audited in one
    // transaction. A failure of the lock or the write fails the batch, each audited.
    [[nodiscard]] QList<ResolveResult> applyMany(const QList<ResolutionPlan> &plans, const QStringList &reasons,
                                                 const QString &operatorName);
    // A record's key as the state store keys it (typed as the flow's key columns are).
    [[nodiscard]] QByteArray keyJson(const QString &flow, const KeyText &key);

    // plan() then apply(), closing intents left open by an interrupted run first.
    [[nodiscard]] ResolveResult resolve(const ResolveRequest &request);

    // Closes every intent without an outcome (a resolve that was killed between its steps)
    // with what actually happened: the systems are read again, and the outcome says "applied"
    // if every side it meant to write holds the decided values, "failed" if each still holds
    // what was seen, "refused" if one holds something else. Returns how many were closed.
    int closeOpenIntents();

private:
    [[nodiscard]] FlowSides &flow(const QString &name);
    // Throws SyncError when a running live engine holds `flow` in a schema incident (the desk
    // status it keeps in the state store says so).
    void refuseOnHeldFlow(const QString &flow);
    static constexpr qint64 HeldStatusMaxAgeMs = 15000;
    [[nodiscard]] ResolutionPlan planOf(FlowSides &flow, const ResolveRequest &request, RecordDetail seen);
    [[nodiscard]] QJsonObject intentEntry(const ResolutionPlan &plan, const QString &reason,
                                          const QString &operatorName, const QString &id) const;
    // The baseline that the record as read back (`now`) leaves, into `changes`; returns the
    // outcome's "after".
    [[nodiscard]] QJsonValue settle(const ResolutionPlan &plan, const RecordDetail &now,
                                    const ResolveResult &result, StateChanges &changes) const;
    static void noteReadBackFailed(ResolveResult &result, const SyncError &e);
    [[nodiscard]] std::pair<QJsonObject, ActivityCount> outcomeEntry(const ResolutionPlan &plan,
                                                                     const ResolveResult &result,
                                                                     const QJsonValue &after,
                                                                     const QString &operatorName) const;
    [[nodiscard]] SidePlan sidePlan(FlowSides &flow, const ResolutionPlan &plan, bool sourceSide,
                                    const RowHash &expected,
                                    const std::optional<QList<FieldText>> &values);

    const Workspace &m_workspace;
    StateStore &m_store;
    std::map<QString, std::unique_ptr<FlowSides>> m_flows; // opened once per service
};

// Whether a resolution's operator is a conflict policy ("policy:source-wins") rather than a person.
[[nodiscard]] bool isPolicyOperator(const QString &operatorName);

// "Each field from the side that changed it": field → "source" | "target" for the fields that
// changed since both last agreed (unchanged ones are absent). Throws SyncError naming why the
// record cannot be merged: a field changed on both sides, a delete, no known baseline values.
[[nodiscard]] QJsonObject mergePicks(const RecordDetail &detail);

// The operating-system account running this process (not what the environment claims).
[[nodiscard]] QString osUser();

} // namespace syncdesk
