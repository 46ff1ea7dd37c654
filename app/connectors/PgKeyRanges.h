#pragma once

#include "Connector.h"

#include <QByteArray>
#include <QList>

#include <memory>
#include <optional>

namespace syncdesk {

class BatchQueue;
class PgConnection;

// How one column enters a row's checksum. Both sides use the same form, chosen from both
// sides' types, so that rows whose canonical values agree hash alike on both servers.
enum class ChecksumForm {
    Integer, // smallint, integer, bigint: by value
    Numeric, // numeric (or an integer against a numeric): by value, scale ignored
    Text,    // anything else: its text output, compared byte-wise (same type on both sides)
};

// [lo, hi) over the key, either end open (nullopt): key texts as the server prints them.
struct KeyRange
{
    std::optional<QByteArray> lo;
    std::optional<QByteArray> hi;
};

// How many rows a key range holds and the sum of their row checksums (decimal text).
struct RangeSum
{
    qint64 rows = 0;
    QByteArray sum;
    friend bool operator==(const RangeSum &, const RangeSum &) = default;
};

// One PostgreSQL table read by key ranges for `diff --method checksum`: each range's rows
// are counted and their checksums summed by the server (an index range scan per range), so
// that only counts and sums travel; rows are read only in ranges that differ.
//
// A row's checksum is the XOR of one 64-bit hash per column (the key included), each with a
// seed of its own, from the server's own hash functions (hashint8extended,
// hash_numeric_extended, hashtextextended under the C collation), NULL with a constant of its
// own, hashed once more. Two rows whose canonical values differ thus differ in checksum but for
// a 2^-64 chance, and differences in several rows do not cancel in a range's sum.
class PgKeyRanges
{
public:
    // `request`: schema-qualified table, its key columns, the fields; `forms`: each key
    // column's form then each field's. Ranges are cut over the first key column; the others
    // only tell rows of the same first column apart.
    PgKeyRanges(const SystemSpec &system, ScanRequest request, QList<ChecksumForm> forms);
    ~PgKeyRanges();
    PgKeyRanges(const PgKeyRanges &) = delete;
    PgKeyRanges &operator=(const PgKeyRanges &) = delete;

    void open(); // throws SyncError
    // PostgreSQL 11 brought the 64-bit hash functions the checksums use.
    static constexpr int MinServerVersion = 110000;
    [[nodiscard]] int serverVersion() const;

    // The planner's row count (pg_class.reltuples), or the table's count when it has none.
    [[nodiscard]] qint64 estimatedRows();
    [[nodiscard]] qint64 nullKeyRows();
    // Ascending distinct keys spread over the table by rows: the planner's histogram of the
    // key column where it has one, else a sample of pages; with the least and greatest key.
    // Empty for an empty table.
    [[nodiscard]] QList<QByteArray> anchors();
    // Per range, in the order given.
    [[nodiscard]] QList<RangeSum> checksums(const QList<KeyRange> &ranges);
    // Every `step`-th key of `range` in key order: where to cut a range that is too large.
    [[nodiscard]] QList<QByteArray> splitPoints(const KeyRange &range, qint64 step);
    // Each row of `ranges` as its key's identity (identity()) and its checksum: what tells
    // which rows of a differing range differ, before any row is read in full.
    [[nodiscard]] QList<std::pair<QByteArray, qint64>> rowChecksums(const QList<KeyRange> &ranges);
    // Per hash bucket of the key (`buckets` a power of two), the count and checksum sum of its
    // rows: one sequential pass that says whether the tables differ and, where they differ in
    // few rows, in which buckets. Indexed by bucket.
    [[nodiscard]] QList<RangeSum> bucketChecksums(int buckets);
    // Every row of the table whose key has no NULL (or, with `only`, of those buckets of
    // `buckets`), in the order it is stored (no index, no sort), as its identity (the batch's
    // key) and its checksum (the batch's row hash), pushed to `queue` in batches until the
    // table ends or the queue is cancelled. Returns the rows sent. What differences spread
    // over the whole table cost least to find with: one sequential pass per side, one key and
    // eight bytes per row.
    qint64 scanRowChecksums(BatchQueue &queue, int buckets = 0, const QList<int> &only = {});
    // The rows of `keys` (identities), encoded as Connector::fetch() encodes them.
    [[nodiscard]] QList<EncodedRow> rows(const QList<QByteArray> &keys, RowEncoder &encoder);

    // A key as one text: a one-column key's text as the server prints it; for several
    // columns, each column's text after its length ("3:abc2:17"), so that no text can pass
    // for two columns.
    [[nodiscard]] static QByteArray identity(const QList<QByteArray> &columnTexts);
    // The column texts of an identity of `columns` columns; nullopt if it is not one.
    [[nodiscard]] static std::optional<QList<QByteArray>> columnTexts(const QByteArray &identity, qsizetype columns);

    // A range statement may cover this many ranges: a fraction of a second of work each.
    static constexpr qsizetype RangesPerStatement = 2048;
    // Rows per batch of scanRowChecksums(), as a row scan batches them.
    static constexpr size_t StreamBatchRows = 8192;

private:
    [[nodiscard]] QByteArray table() const;
    [[nodiscard]] QByteArray keyColumn() const;
    // The row checksum expression: of every column, mixed for summing; or (`summed` false) of
    // the fields alone, for a checksum that travels with its key.
    [[nodiscard]] QByteArray rowChecksum(bool summed) const;
    // Column i (of keys then fields) hashed by its ChecksumForm with `seed`: a 64-bit value.
    [[nodiscard]] QByteArray columnHash(qsizetype i, const QString &name, qint64 seed) const;
    [[nodiscard]] QByteArray keyArrayType() const;
    // The bucket of a row's key, 0 to buckets - 1: a 64-bit hash of every key column (as the
    // row checksum hashes them, with seeds of their own), its low bits.
    [[nodiscard]] QByteArray bucket(int buckets) const;
    // " AND t.k IS NOT NULL" for each key column after the first that may be NULL: a row with
    // a NULL in its key is no record (the row method counts it apart), and ranges over the
    // first column alone would take it in.
    [[nodiscard]] QByteArray otherKeysPresent() const;
    // Key order of the first key column's texts: by value for integers, else byte-wise.
    [[nodiscard]] bool before(const QByteArray &a, const QByteArray &b) const;
    // `key >= $n AND key < $m` for one range, its bounds appended to `params`.
    [[nodiscard]] QByteArray condition(const KeyRange &range, QList<QByteArray> &params) const;
    // The ranges' statement: per range (index, bounded or not), `select` evaluated over the
    // rows of the range, tagged with the range's index.
    [[nodiscard]] QByteArray perRange(const QList<KeyRange> &ranges, qsizetype first, qsizetype count,
                                      const QByteArray &select, QList<QByteArray> &params) const;

    SystemSpec m_system;
    ScanRequest m_request;
    QList<ChecksumForm> m_forms;
    std::unique_ptr<PgConnection> m_conn;
};

} // namespace syncdesk
