#pragma once

#include "connectors/Connector.h"
#include "model/RecordState.h"
#include "model/Workspace.h"

#include <QString>

#include <optional>

namespace syncdesk {

class StateStore;

struct ResolveRequest
{
    QString flow;
    KeyText key;
    bool takeSource = true;
    QString reason;
    QString operatorName;
    // The hashes the operator decided on (from `diff --list`, the console): the write is
    // refused if the record no longer hashes to them. Unset: what is read now.
    std::optional<RowHash> expectSource;
    std::optional<RowHash> expectTarget;
};

struct ResolveResult
{
    enum class Outcome { Applied, Refused, Failed };
    Outcome outcome = Outcome::Failed;
    QString error;
    qint64 intentSeq = 0;
    qint64 outcomeSeq = 0;
};

// The operator's decision on one record, under the protocol of DESIGN.md: (1) audit the intent
// with the values seen, (2) write the losing side in one transaction only if it (and the
// winning side) still hold what was seen, (3) drop the baseline, the record being in agreement
// again, (4) audit the outcome. Nothing is overwritten that the operator did not see.
class ResolutionService
{
public:
    ResolutionService(const Workspace &workspace, StateStore &store);

    // Throws SyncError for bad requests (unknown flow, no reason); failures of the write itself
    // are audited and returned as Outcome::Failed. Intents left open by an interrupted run
    // are closed first.
    [[nodiscard]] ResolveResult resolve(const ResolveRequest &request);

    // Closes every intent without an outcome (a resolve that was killed between its steps)
    // with what actually happened: the systems are read again, and the outcome says
    // "applied" if the losing side holds the chosen row, "failed" if it still holds what was
    // seen, "refused" if it holds something else. Returns how many were closed.
    int closeOpenIntents();

private:
    const Workspace &m_workspace;
    StateStore &m_store;
};

} // namespace syncdesk
