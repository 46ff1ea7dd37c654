#pragma once

#include "DiffResult.h"
#include "model/Workspace.h"

#include <functional>
#include <string_view>

namespace syncdesk {

struct DiffOptions
{
    bool listRecords = false; // keep every record that is not in sync, with its differing fields
    // Called now and then from the merge with the records compared so far; returning false
    // cancels the comparison: run() stops both scans and throws SyncError.
    std::function<bool(qint64 records)> progress;
    // Called from the merge for every record, in sync or not, in key order: the key's
    // canonical JSON and each side's row hash (nullptr where the side has no row). The live
    // engine builds its record table from it without holding a list of results.
    std::function<void(std::string_view keyJson, const quint64 *source, const quint64 *target)> onRecord;
};

// One full comparison of a flow: both sides are scanned at once, each on its own thread and
// connection, and the two key-ordered streams are merge-joined. Memory stays bounded by the
// batch queues, whatever the table size (plus the listed records, with listRecords).
//
// Both streams are checked to be strictly ascending in the merge's key order; a database that
// orders differently (a collation, a mixed-type key) stops the diff with an error instead of
// producing wrong results.
class Reconciler
{
public:
    Reconciler(const Workspace &workspace, const FlowSpec &flow);

    // Throws SyncError on any failure, naming the system and what went wrong.
    [[nodiscard]] DiffResult run(const DiffOptions &options = {});

private:
    const Workspace &m_workspace;
    const FlowSpec &m_flow;
};

} // namespace syncdesk
