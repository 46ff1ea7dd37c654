#pragma once

#include "DiffResult.h"
#include "Reconciler.h"
#include "model/Workspace.h"

#include <optional>

namespace syncdesk {

// `diff --method checksum`: both PostgreSQL servers checksum their rows themselves, and rows
// leave a server in full only where checksums differ; they are then paired as the row method
// pairs them. Same counts and records as Reconciler's row method. Which checksums are asked
// for depends on where the differences are, which a sample of key ranges (one in
// SampleStride) shows first:
// - spread over the whole table: each server sends every row's key and checksum in one
//   sequential pass (about half the server work of checksumming every range through the
//   index, and a key and eight bytes a row travel instead of the row);
// - otherwise the whole table is summed per hash bucket of the key in one sequential pass:
//   tables in sync are done; where few buckets differ, only their rows' checksums are sent;
//   where many do (differences in runs of keys, which the sample missed), key ranges are
//   narrowed: each range's count and sum through the key's index, a range that differs cut
//   finer where it is large (at every n-th key of its larger side), down to leaves whose
//   rows' checksums are read.
//
// The ranges come from the source's key histogram (or a sample), cut between neighbouring
// histogram keys by interpolation to about DiffOptions::rangeRows rows each. Skewed or gappy
// keys only make some ranges larger; hash buckets do not mind them.
//
// Each side is read in one REPEATABLE READ transaction, so all its statements see one
// snapshot, as the row method's single scan does.
class ChecksumReconciler
{
public:
    ChecksumReconciler(const Workspace &workspace, const FlowSpec &flow);

    // Throws SyncError naming why the flow cannot be compared by checksums, or any failure.
    // With `fallback` (auto), returns nullopt instead of refusing, and also when the source is
    // smaller than AutoMinRows (reading its rows is then as quick).
    [[nodiscard]] std::optional<DiffResult> run(const DiffOptions &options, bool fallback);

    static constexpr qint64 AutoMinRows = 1'000'000;
    // One range in this many is compared first, to tell a table with spread differences.
    static constexpr qsizetype SampleStride = 200;
    // Where at least one sampled range in SpreadOneIn differs (and SpreadMinRanges do), every
    // row's checksum is streamed instead of narrowing. Measured on 10,000,000 rows here with
    // 0.1 % of them different, which is one range of 64 rows in 16: narrowing took 8.5 times a
    // count(*) of both sides, nearly all of it checksumming every range of the first level
    // through the index (the 10,000 differing leaves took a tenth). Where fewer ranges differ,
    // the sample may miss them all and the whole-table pass settles most tables in sync.
    static constexpr qsizetype SpreadOneIn = 64;
    static constexpr qsizetype SpreadMinRanges = 4;
    // Where the tables differ but the sample shows no spread, the whole table is summed per
    // hash bucket of the key, in as many buckets (few enough for the server's grouping to stay
    // in cache: 1,024 cost about a third more than one plain sum over the table); where one
    // bucket in FewBucketsOneIn or fewer differs, only those buckets' row checksums are
    // streamed.
    static constexpr int Buckets = 1024;
    static constexpr qsizetype FewBucketsOneIn = 8;
    // Suspects read back in full per statement (a key array each way).
    static constexpr qsizetype SettleKeys = 20000;

private:
    const Workspace &m_workspace;
    const FlowSpec &m_flow;
};

} // namespace syncdesk
