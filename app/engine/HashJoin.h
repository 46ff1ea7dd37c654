#pragma once

#include "model/KeyTable.h"
#include "model/ScanBatch.h"

#include <QString>

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace syncdesk {

// The order-free comparison: records of both sides arrive in any order and are matched by
// their encoded key. The key's hash picks one of a fixed number of partitions; inside one,
// a KeyTable finds the key by its bytes, so a match is always exact. A record is reported as
// soon as its partner arrives; what is left at the end is missing on the other side.
//
// Memory stays within a budget: past it, the largest partitions go to temporary files (what
// they hold, then every later record of theirs), and each is matched on its own at the end.
// Unless both systems guarantee the key unique, matched keys are kept (as markers, without
// their details) so that a key seen twice on one side is the error the merge reports too, not
// a silently wrong count.
class HashJoin
{
public:
    // One side's record as the sink sees it; `fields` is null unless field hashes were kept.
    struct Record
    {
        std::string_view key;     // encoded (KeyCodec): what matching compares
        std::string_view display; // the key as a JSON array; empty unless kept
        quint64 rowHash = 0;
        const quint64 *fields = nullptr;
    };
    // A record of the flow: both sides' rows, or one side only (the other is null).
    using Sink = std::function<void(const Record *source, const Record *target)>;

    struct Options
    {
        qsizetype fieldCount = 0; // field hashes per record kept (0: none)
        bool keepDisplayKeys = false;
        qint64 memoryBudgetBytes = DefaultMemoryBudgetBytes;
        // Both systems guarantee the key unique: a matched pair is forgotten at once, so the
        // tables hold only records still waiting for their partner (few, when both sides are
        // read in similar orders) instead of every key.
        bool uniqueKeys = false;
        QString sourceLabel; // "source public.devices", for the duplicate-key error
        QString targetLabel;
    };
    static constexpr qint64 DefaultMemoryBudgetBytes = 256LL << 20;
    static constexpr int Partitions = 128;

    HashJoin(Options options, Sink sink);
    ~HashJoin();
    HashJoin(const HashJoin &) = delete;
    HashJoin &operator=(const HashJoin &) = delete;

    // Every row of one scanned batch. Throws SyncError for a key seen twice on one side, or a
    // temporary file that cannot be written.
    void add(bool source, const ScanBatch &batch);
    // One record (its key and row hash; no details), as add() takes each row of a batch.
    void add(bool source, const Record &record);
    // Reports what is left unmatched, partition by partition (spilled ones read back).
    void finish();

    [[nodiscard]] int spilledPartitions() const { return m_spilled; }
    [[nodiscard]] qint64 peakBytes() const { return m_peakBytes; }

private:
    enum State : quint32 { SourceWaiting = 0, TargetWaiting = 1, Matched = 2 };
    struct Entry
    {
        quint64 rowHash;
        quint32 extra; // offset of the display key and field hashes in the partition's arena
        quint32 state;
    };
    struct Partition
    {
        KeyTable<Entry> table;
        std::string extras;
        size_t garbage = 0; // arena bytes of records already matched
        qint64 bytes = 0;
        std::FILE *spill = nullptr;
    };

    // Into its partition's table (matched, or waiting), or its spill file.
    void place(bool source, const Record &r);
    void keepWithinBudget(); // spills the largest partitions while past the budget
    // `hash`: keyTableHash(r.key), computed once for the partition and the table.
    void accept(Partition &p, quint32 state, const Record &r, quint64 hash, bool counted);
    void spillLargest();
    void writeRecord(Partition &p, quint32 state, const Record &r);
    void drain(Partition &p);
    void readBack(Partition &p);
    [[nodiscard]] Record recordOf(const Partition &p, std::string_view key, const Entry &e) const;
    [[nodiscard]] bool hasExtras() const { return m_options.keepDisplayKeys || m_options.fieldCount > 0; }
    [[nodiscard]] size_t extraSize(const Record &r) const;
    void compactIfWasteful(Partition &p, bool counted);
    [[noreturn]] void duplicate(bool source, const Record &r) const;

    Options m_options;
    Sink m_sink;
    std::vector<Partition> m_parts;
    qint64 m_bytes = 0;
    qint64 m_peakBytes = 0;
    int m_spilled = 0;
    std::string m_readKey, m_readDisplay; // read-back scratch
    std::vector<quint64> m_readFields;
};

} // namespace syncdesk
