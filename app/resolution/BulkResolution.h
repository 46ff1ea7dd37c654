#pragma once

#include "ResolutionPlan.h"
#include "model/RecordStatus.h"
#include "model/Workspace.h"

#include <QString>

#include <functional>
#include <optional>

namespace syncdesk {

class ResolutionService;
class StateStore;

// Which records a bulk resolution covers: one flow's records of one status, optionally only
// those where a field differs between the sides, or where either side holds a value in it.
struct BulkRule
{
    QString flow;
    RecordStatus status = RecordStatus::Conflict;
    QString field;                // empty: no field filter
    std::optional<QString> value; // with `field`: either side holds this (as shown)
    Pick take = Pick::Source;
    QList<QByteArray> keys; // non-empty: only these records (keys' JSON; an operator's selection)

    [[nodiscard]] QString text() const; // "flow f, status conflict, field price = 12" for the log
};

// One record a bulk rule covers, with the hashes it had when it was selected: it is resolved
// only if it still has them, so nothing is written that the preview did not count.
struct BulkRecord
{
    KeyText key;
    RowHash source;
    RowHash target;
};

struct BulkResult
{
    int applied = 0;
    int refused = 0; // changed meanwhile: untouched, audited, left for a closer look
    int claimed = 0; // claimed by another operator: untouched, theirs to resolve
    bool stopped = false;
    bool notAllowed = false; // stopped because the state store's role forbids resolving
    QString error; // why it stopped: the first system failure, naming the record
};

// One decision over many records (DESIGN.md, bulk resolution): the records are selected by a
// rule from a fresh comparison, and each is resolved under the single-record protocol with
// the same reason, so each gets its own intent and outcome. It stops at the first failure of a
// system: every record is then either resolved and audited, or untouched.
class BulkResolution
{
public:
    BulkResolution(const Workspace &workspace, StateStore &store, ResolutionService &service);

    // The keys the rule covers now. Throws SyncError.
    [[nodiscard]] QList<BulkRecord> select(const BulkRule &rule);
    // `progress(done, total)` after each record; returning false stops before the next one.
    [[nodiscard]] BulkResult apply(const BulkRule &rule, const QList<BulkRecord> &records,
                                   const QString &reason, const QString &operatorName,
                                   const std::function<bool(int, int)> &progress = {});

private:
    const Workspace &m_workspace;
    StateStore &m_store;
    ResolutionService &m_service;
};

} // namespace syncdesk
