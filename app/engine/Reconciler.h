#pragma once

#include "DiffResult.h"
#include "model/Workspace.h"

#include <functional>
#include <string_view>

namespace syncdesk {

struct DiffOptions
{
    // How records of the two sides are paired: the merge of two key-ordered streams, the
    // order-free hash match, or (Auto) the merge only where neither system has to sort for it.
    enum class Order { Auto, Merge, Hash };
    Order order = Order::Auto;
    // Rows reads every row of both sides; Checksum compares key ranges by counts and checksums
    // computed inside both PostgreSQL servers and reads rows only in ranges that differ
    // (ChecksumReconciler); Auto takes Checksum where it can and the source is large.
    enum class Method { Rows, Checksum, Auto };
    Method method = Method::Rows;
    qint64 rangeRows = 64; // Checksum: about how many rows one key range holds
    // What the hash match may hold in memory before it spills partitions to temporary files.
    qint64 memoryBudgetBytes = 256LL << 20;
    bool listRecords = false; // keep every record that is not in sync, with its differing fields
    // Called now and then from the merge with the records compared so far; returning false
    // cancels the comparison: run() stops both scans and throws SyncError.
    std::function<bool(qint64 records)> progress;
    // Called from the merge for every record, in sync or not, in key order: the key's
    // canonical JSON and each side's row hash (nullptr where the side has no row). The live
    // engine builds its record table from it without holding a list of results.
    std::function<void(std::string_view keyJson, const quint64 *source, const quint64 *target)> onRecord;
    // With Order::Auto, a merge that finds a stream out of key order starts again by hash:
    // called first, so that whatever onRecord was given is forgotten.
    std::function<void()> onRestart;
};

// One full comparison of a flow: both sides are scanned at once, each on its own thread and
// connection, decoding while the other reads. Then either
// - the merge: both streams in key order, merge-joined; memory bounded by the batch queues.
//   Both streams are checked to be strictly ascending; a database that orders differently
//   (a collation, a mixed-type key) stops the diff with an error instead of a wrong result;
// - the hash match (HashJoin): both read in whatever order is cheapest, no sort anywhere,
//   records paired by their exact key bytes; memory bounded by a budget, past which
//   partitions spill to temporary files.
// Both give the same counts and the same records (listed in key order either way).
class Reconciler
{
public:
    Reconciler(const Workspace &workspace, const FlowSpec &flow);

    // Throws SyncError on any failure, naming the system and what went wrong.
    // With Method::Checksum, also throws SyncError when the flow cannot be compared that way.
    [[nodiscard]] DiffResult run(const DiffOptions &options = {});

private:
    [[nodiscard]] DiffResult runOnce(const DiffOptions &options);

    const Workspace &m_workspace;
    const FlowSpec &m_flow;
};

} // namespace syncdesk
