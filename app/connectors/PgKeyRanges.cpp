#include "PgKeyRanges.h"

#include "BatchQueue.h"
#include "PgConnection.h"
#include "PgCopyBinary.h"
#include "PgCopyOut.h"
#include "PgOutputColumns.h"
#include "PostgresConnector.h"
#include "model/RowEncoder.h"
#include "model/ScanBatch.h"
#include "model/SyncError.h"

#include <algorithm>
#include <string_view>

namespace syncdesk {

namespace {

// A column's NULL stands for this in the row checksum (one per seed, none likely to be a
// hash of a value): NULL must differ from every value, and from NULL in another column.
qint64 nullHash(int seed)
{
    return qint64(0x2545F4914F6CDD1DULL * quint64(seed + 1) >> 1);
}

} // namespace

PgKeyRanges::PgKeyRanges(const SystemSpec &system, ScanRequest request, QList<ChecksumForm> forms)
    : m_system(system), m_request(std::move(request)), m_forms(std::move(forms))
{
}

PgKeyRanges::~PgKeyRanges() = default;

void PgKeyRanges::open()
{
    // The whole-table pass (and a count of a table never analysed) answers only when done,
    // which on a table of billions of rows is long after any silence limit a row scan uses:
    // no limit here. TCP keepalives and tcp_user_timeout still give up on a host that is gone.
    m_conn = std::make_unique<PgConnection>(
        m_system.conninfo, QStringLiteral("system '%1' (postgres)").arg(m_system.name),
        PgConnection::Options{m_system.name, 0, 0, std::nullopt});
    if (m_conn->serverVersion() < MinServerVersion)
        return; // the reconciler refuses: the hash functions are not there
    // JIT would compile the checksum expression anew for each statement, for longer than the
    // statement takes to run. Sequential scans start at the table's first page, not where
    // another scan of it happens to be (synchronize_seqscans): both sides then stream their
    // rows in stored order, which for tables loaded alike is the same order, so rows pair in
    // step (ChecksumReconciler) instead of waiting in memory.
    m_conn->exec("checksum", "SET statement_timeout TO 0; SET jit TO off; SET synchronize_seqscans TO off", {},
                 PGRES_COMMAND_OK);
    // One snapshot for all of this side's statements, as one scan would read it.
    m_conn->exec("checksum", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {}, PGRES_COMMAND_OK);
}

int PgKeyRanges::serverVersion() const
{
    return m_conn->serverVersion();
}

QByteArray PgKeyRanges::table() const
{
    return m_conn->quoteIdentifier(m_request.table.schema) + '.'
           + m_conn->quoteIdentifier(m_request.table.name) + " AS t";
}

QByteArray PgKeyRanges::keyColumn() const
{
    return "t." + m_conn->quoteIdentifier(m_request.keys.first().name);
}

QByteArray PgKeyRanges::keyArrayType() const
{
    return m_request.keys.first().castType.toUtf8() + "[]";
}

QByteArray PgKeyRanges::otherKeysPresent() const
{
    QByteArray out;
    for (qsizetype k = 1; k < m_request.keys.size(); ++k) {
        if (m_request.keys[k].nullable)
            out += " AND t." + m_conn->quoteIdentifier(m_request.keys[k].name) + " IS NOT NULL";
    }
    return out;
}

bool PgKeyRanges::before(const QByteArray &a, const QByteArray &b) const
{
    if (m_forms.value(0) == ChecksumForm::Integer)
        return a.toLongLong() < b.toLongLong();
    return std::string_view(a.constData(), size_t(a.size())) < std::string_view(b.constData(), size_t(b.size()));
}

QByteArray PgKeyRanges::identity(const QList<QByteArray> &columnTexts)
{
    if (columnTexts.size() == 1)
        return columnTexts.first();
    QByteArray out;
    for (const QByteArray &t : columnTexts)
        out += QByteArray::number(t.size()) + ':' + t;
    return out;
}

std::optional<QList<QByteArray>> PgKeyRanges::columnTexts(const QByteArray &identity, qsizetype columns)
{
    if (columns == 1)
        return QList<QByteArray>{identity};
    QList<QByteArray> out;
    qsizetype at = 0;
    while (at < identity.size()) {
        const qsizetype colon = identity.indexOf(':', at);
        bool ok = false;
        const qsizetype length = colon < 0 ? -1 : identity.mid(at, colon - at).toLongLong(&ok);
        if (!ok || length < 0 || colon + 1 + length > identity.size())
            return std::nullopt;
        out << identity.mid(colon + 1, length);
        at = colon + 1 + length;
    }
    if (out.size() != columns)
        return std::nullopt;
    return out;
}

QByteArray PgKeyRanges::columnHash(qsizetype i, const QString &name, qint64 seed) const
{
    const QByteArray column = "t." + m_conn->quoteIdentifier(name);
    const QByteArray s = QByteArray::number(seed);
    switch (m_forms.value(i, ChecksumForm::Text)) {
    case ChecksumForm::Integer:
        return "hashint8extended(" + column + "::int8, " + s + ")";
    case ChecksumForm::Numeric:
        return "hash_numeric_extended(" + column + "::numeric, " + s + ")";
    case ChecksumForm::Text:
        break;
    }
    // Byte-wise: a nondeterministic collation would hash "a" and "A" alike.
    return "hashtextextended(" + column + "::text COLLATE \"C\", " + s + ")";
}

QByteArray PgKeyRanges::rowChecksum(bool summed) const
{
    QByteArray out;
    QList<const ColumnInfo *> columns;
    for (const ColumnInfo &c : m_request.keys)
        columns << &c;
    for (const ColumnInfo &c : m_request.fields)
        columns << &c;
    // A streamed checksum travels beside its key, which is matched byte for byte: the key
    // need not be hashed, nor the result mixed for summing.
    const qsizetype from = summed ? 0 : m_request.keys.size();
    for (qsizetype i = from; i < columns.size(); ++i) {
        const QByteArray hash = columnHash(i, columns[i]->name, i + 1);
        out += (out.isEmpty() ? "coalesce(" : " # coalesce(") + hash + ", "
               + QByteArray::number(nullHash(int(i))) + "::int8)";
    }
    if (!summed)
        return out.isEmpty() ? QByteArray("0::int8") : out;
    // Hashed once more before ranges sum them: two rows whose changes flip the same bits
    // (one field's values swapped between them) would otherwise cancel out in the sum.
    return "hashint8extended(" + out + ", 0)";
}

QByteArray PgKeyRanges::condition(const KeyRange &range, QList<QByteArray> &params) const
{
    const QByteArray key = keyColumn();
    const QByteArray type = m_request.keys.first().castType.toUtf8();
    QByteArray out;
    if (range.lo) {
        params << *range.lo;
        out += key + " >= $" + QByteArray::number(params.size()) + "::" + type;
    }
    if (range.hi) {
        params << *range.hi;
        out += (out.isEmpty() ? "" : " AND ") + key + " < $" + QByteArray::number(params.size()) + "::" + type;
    }
    return (out.isEmpty() ? key + " IS NOT NULL" : out) + otherKeysPresent();
}

QByteArray PgKeyRanges::perRange(const QList<KeyRange> &ranges, qsizetype first, qsizetype count,
                                 const QByteArray &select, QList<QByteArray> &params) const
{
    // Ranges with both ends go as arrays, each read through the key's index (a LATERAL
    // subquery per range); the open-ended ones (the first and the last) on their own.
    QList<QByteArray> indexes, los, his;
    QByteArray open;
    for (qsizetype i = first; i < first + count; ++i) {
        const KeyRange &r = ranges[i];
        if (r.lo && r.hi) {
            indexes << QByteArray::number(i);
            los << *r.lo;
            his << *r.hi;
            continue;
        }
        const QByteArray cond = condition(r, params);
        open += " UNION ALL SELECT " + QByteArray::number(i) + ", " + select + " FROM " + table()
                + " WHERE " + cond;
    }
    QByteArray sql;
    if (!indexes.isEmpty()) {
        params << arrayLiteral(indexes) << arrayLiteral(los) << arrayLiteral(his);
        const QByteArray n = QByteArray::number(params.size());
        const QByteArray key = keyColumn();
        sql = "SELECT r.i, x.* FROM unnest($" + QByteArray::number(params.size() - 2) + "::int8[], $"
              + QByteArray::number(params.size() - 1) + "::" + keyArrayType() + ", $" + n
              + "::" + keyArrayType() + ") AS r(i, lo, hi) CROSS JOIN LATERAL (SELECT " + select
              + " FROM " + table() + " WHERE " + key + " >= r.lo AND " + key + " < r.hi"
              + otherKeysPresent() + ") AS x";
    }
    if (sql.isEmpty())
        return open.mid(qsizetype(sizeof(" UNION ALL ") - 1));
    return sql + open;
}

qint64 PgKeyRanges::estimatedRows()
{
    const qint64 planned = PostgresConnector::plannedRows(*m_conn, m_request.table);
    if (planned > 0)
        return planned;
    // Never analysed (or analysed empty): count, on this connection, which waits as long as
    // a count takes (PgKeyRanges::open).
    const PgResultPtr count = m_conn->exec("checksum", "SELECT count(*) FROM " + table());
    return QByteArray(PQgetvalue(count.get(), 0, 0)).toLongLong();
}

qint64 PgKeyRanges::nullKeyRows()
{
    // As the row method counts them: a NULL in any key column.
    QByteArray anyNull;
    for (const ColumnInfo &k : m_request.keys) {
        if (k.nullable)
            anyNull += (anyNull.isEmpty() ? "t." : " OR t.") + m_conn->quoteIdentifier(k.name) + " IS NULL";
    }
    if (anyNull.isEmpty())
        return 0;
    const PgResultPtr r = m_conn->exec("checksum", "SELECT count(*) FROM " + table() + " WHERE " + anyNull);
    return QByteArray(PQgetvalue(r.get(), 0, 0)).toLongLong();
}

QList<QByteArray> PgKeyRanges::anchors()
{
    const QByteArray key = keyColumn();
    const PgResultPtr ends = m_conn->exec("checksum", "SELECT min(" + key + ")::text, max(" + key
                                                           + ")::text FROM " + table());
    if (PQgetisnull(ends.get(), 0, 0))
        return {}; // no row with a key
    const QByteArray least(PQgetvalue(ends.get(), 0, 0));
    const QByteArray greatest(PQgetvalue(ends.get(), 0, 1));

    auto before = [this](const QByteArray &a, const QByteArray &b) { return this->before(a, b); };
    QList<QByteArray> keys;
    PgResultPtr r = m_conn->exec(
        "checksum",
        "SELECT unnest(s.histogram_bounds::text::" + keyArrayType() + ")::text FROM pg_stats s "
        "WHERE s.schemaname = $1 AND s.tablename = $2 AND s.attname = $3 AND NOT s.inherited",
        {m_request.table.schema.toUtf8(), m_request.table.name.toUtf8(), m_request.keys.first().name.toUtf8()});
    if (PQntuples(r.get()) < 3) {
        // No statistics yet: a sample of about 1 % of the pages (at least a thousand rows'
        // worth) stands in for the histogram.
        const qint64 rows = std::max<qint64>(estimatedRows(), 1);
        const double percent = std::clamp(100.0 * 2000.0 / double(rows), 0.5, 100.0);
        r = m_conn->exec("checksum", "SELECT " + key + "::text FROM "
                                         + m_conn->quoteIdentifier(m_request.table.schema) + '.'
                                         + m_conn->quoteIdentifier(m_request.table.name)
                                         + " AS t TABLESAMPLE SYSTEM (" + QByteArray::number(percent)
                                         + ") REPEATABLE (7) WHERE " + key + " IS NOT NULL");
    }
    for (int i = 0; i < PQntuples(r.get()); ++i)
        keys << QByteArray(PQgetvalue(r.get(), i, 0));
    std::sort(keys.begin(), keys.end(), before);
    // At most about a thousand anchors, evenly taken: the cuts between them do the rest.
    QList<QByteArray> out{least};
    const qsizetype stride = std::max<qsizetype>(1, keys.size() / 1000);
    for (qsizetype i = 0; i < keys.size(); i += stride) {
        if (before(out.last(), keys[i]) && before(keys[i], greatest))
            out << keys[i];
    }
    if (before(out.last(), greatest))
        out << greatest;
    return out;
}

QList<RangeSum> PgKeyRanges::checksums(const QList<KeyRange> &ranges)
{
    QList<RangeSum> out(ranges.size());
    const QByteArray select = "count(*), coalesce(sum(" + rowChecksum(true) + "), 0)";
    for (qsizetype first = 0; first < ranges.size(); first += RangesPerStatement) {
        const qsizetype count = std::min(RangesPerStatement, ranges.size() - first);
        QList<QByteArray> params;
        const QByteArray sql = perRange(ranges, first, count, select, params);
        const PgResultPtr r = m_conn->exec("checksum", sql, params);
        for (int row = 0; row < PQntuples(r.get()); ++row) {
            const qsizetype i = QByteArray(PQgetvalue(r.get(), row, 0)).toLongLong();
            out[i].rows = QByteArray(PQgetvalue(r.get(), row, 1)).toLongLong();
            out[i].sum = QByteArray(PQgetvalue(r.get(), row, 2));
        }
    }
    return out;
}

QList<QByteArray> PgKeyRanges::splitPoints(const KeyRange &range, qint64 step)
{
    QList<QByteArray> params;
    const QByteArray cond = condition(range, params);
    params << QByteArray::number(step);
    const QByteArray key = keyColumn();
    const PgResultPtr r = m_conn->exec(
        "checksum",
        "SELECT s.k::text FROM (SELECT " + key + " AS k, row_number() OVER (ORDER BY " + key
            + ") AS n FROM " + table() + " WHERE " + cond + ") AS s WHERE s.n % $"
            + QByteArray::number(params.size()) + "::int8 = 1 AND s.n > 1 ORDER BY s.n",
        params);
    // Ascending and inside the range: with a key of several columns, rows n and n + step
    // may share their first column, which cuts nothing.
    QList<QByteArray> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
        QByteArray point(PQgetvalue(r.get(), i, 0));
        if ((out.isEmpty() ? !range.lo || before(*range.lo, point) : before(out.last(), point)))
            out << std::move(point);
    }
    return out;
}

QList<std::pair<QByteArray, qint64>> PgKeyRanges::rowChecksums(const QList<KeyRange> &ranges)
{
    QList<std::pair<QByteArray, qint64>> out;
    QByteArray select;
    for (const ColumnInfo &k : m_request.keys)
        select += "t." + m_conn->quoteIdentifier(k.name) + "::text, ";
    select += rowChecksum(true);
    const int keys = int(m_request.keys.size());
    QList<QByteArray> texts(keys);
    for (qsizetype first = 0; first < ranges.size(); first += RangesPerStatement) {
        const qsizetype count = std::min(RangesPerStatement, ranges.size() - first);
        QList<QByteArray> params;
        const PgResultPtr r = m_conn->exec("checksum", perRange(ranges, first, count, select, params), params);
        out.reserve(out.size() + PQntuples(r.get()));
        for (int row = 0; row < PQntuples(r.get()); ++row) {
            for (int k = 0; k < keys; ++k)
                texts[k] = QByteArray(PQgetvalue(r.get(), row, 1 + k), PQgetlength(r.get(), row, 1 + k));
            out.append({identity(texts), QByteArray(PQgetvalue(r.get(), row, 1 + keys)).toLongLong()});
        }
    }
    return out;
}

QByteArray PgKeyRanges::bucket(int buckets) const
{
    QByteArray hash;
    for (qsizetype i = 0; i < m_request.keys.size(); ++i)
        hash += (hash.isEmpty() ? "" : " # ") + columnHash(i, m_request.keys[i].name, 1000 + i);
    return "((" + hash + ") & " + QByteArray::number(buckets - 1) + ")";
}

QList<RangeSum> PgKeyRanges::bucketChecksums(int buckets)
{
    QList<RangeSum> out(buckets);
    QList<QByteArray> params;
    const PgResultPtr r = m_conn->exec(
        "checksum",
        "SELECT " + bucket(buckets) + ", count(*), coalesce(sum(" + rowChecksum(true) + "), 0) FROM "
            + table() + " WHERE " + condition(KeyRange{}, params) + " GROUP BY 1",
        params);
    for (int row = 0; row < PQntuples(r.get()); ++row) {
        const qint64 b = QByteArray(PQgetvalue(r.get(), row, 0)).toLongLong();
        if (b < 0 || b >= buckets)
            throw SyncError(QStringLiteral("%1: a key hash bucket out of range").arg(m_conn->where()));
        out[b].rows = QByteArray(PQgetvalue(r.get(), row, 1)).toLongLong();
        out[b].sum = QByteArray(PQgetvalue(r.get(), row, 2));
    }
    return out;
}

qint64 PgKeyRanges::scanRowChecksums(BatchQueue &queue, int buckets, const QList<int> &only)
{
    QByteArray select;
    for (const ColumnInfo &k : m_request.keys)
        select += "t." + m_conn->quoteIdentifier(k.name) + "::text, ";
    select += rowChecksum(false);
    QList<QByteArray> params;
    QByteArray where = condition(KeyRange{}, params);
    if (!only.isEmpty()) {
        // COPY takes no parameters: the bucket numbers are this program's own integers.
        QByteArray list;
        for (const int b : only)
            list += (list.isEmpty() ? "" : ",") + QByteArray::number(b);
        where += " AND " + bucket(buckets) + " IN (" + list + ")";
    }
    m_conn->exec("checksum", "COPY (SELECT " + select + " FROM " + table() + " WHERE " + where + ") TO STDOUT (FORMAT binary)",
                 params, PGRES_COPY_OUT);

    // Binary: key texts arrive as their bytes (nothing to unescape) and checksums as eight
    // bytes (nothing to print or parse), which halves this side's work per row.
    const size_t keys = size_t(m_request.keys.size());
    PgCopyBinary parser(keys + 1);
    std::unique_ptr<ScanBatch> batch = queue.emptyBatch();
    qint64 rows = 0;
    QString failure;
    bool stopped = false;
    // No silence limit (open()); a comparison given up on the other side stops this one too.
    PgCopyOut copy(*m_conn, "checksum", 0, [&queue] { return queue.cancelled(); });
    PgCopyOut::Next next;
    while ((next = copy.next()) == PgCopyOut::Next::Row) {
        const PgCopyBinary::Result read = parser.read(copy.row());
        if (read == PgCopyBinary::Result::End || read == PgCopyBinary::Result::Header)
            continue; // the COPY's result follows the trailer
        if (read == PgCopyBinary::Result::Malformed || parser.isNull(keys) || parser.field(keys).size() != 8) {
            failure = QStringLiteral("unexpected row checksum from the server");
            break;
        }
        // The identity (identity()), written straight into the batch's key arena.
        if (keys == 1) {
            batch->keys.append(parser.field(0));
        } else {
            for (size_t k = 0; k < keys; ++k) {
                batch->keys.append(std::to_string(parser.field(k).size()));
                batch->keys.push_back(':');
                batch->keys.append(parser.field(k));
            }
        }
        const std::string_view sum = parser.field(keys);
        quint64 checksum = 0;
        for (const char byte : sum)
            checksum = checksum << 8 | quint8(byte); // network order
        batch->keyEnds.push_back(quint32(batch->keys.size()));
        batch->rowHashes.push_back(checksum);
        ++rows;
        if (batch->size() == StreamBatchRows) {
            if (!queue.push(std::move(batch))) {
                stopped = true;
                break;
            }
            batch = queue.emptyBatch();
        }
    }
    if (next == PgCopyOut::Next::Failed)
        failure = copy.error();
    if (stopped || !failure.isEmpty() || next == PgCopyOut::Next::Cancelled) {
        // Stopped early: the connection is dropped rather than drained of the rest of the table.
        m_conn.reset();
        if (!failure.isEmpty())
            throw SyncError(QStringLiteral("system '%1' (postgres): reading the row checksums of %2 failed: %3")
                                .arg(m_system.name, m_request.table.display(), failure));
        return rows;
    }
    if (const QString error = copy.finish(); !error.isEmpty())
        throw SyncError(QStringLiteral("system '%1' (postgres): reading the row checksums of %2 failed: %3")
                            .arg(m_system.name, m_request.table.display(), error));
    if (batch->size() > 0)
        (void)queue.push(std::move(batch)); // false only if the pairing already stopped
    return rows;
}

QList<EncodedRow> PgKeyRanges::rows(const QList<QByteArray> &keys, RowEncoder &encoder)
{
    QList<EncodedRow> out;
    if (keys.isEmpty())
        return out;
    QByteArray select;
    for (const ColumnInfo &c : m_request.keys)
        select += (select.isEmpty() ? "t." : ", t.") + m_conn->quoteIdentifier(c.name);
    for (const ColumnInfo &c : m_request.fields)
        select += ", t." + m_conn->quoteIdentifier(c.name);
    // The keys as one typed array per key column, joined by value.
    QList<QList<QByteArray>> byColumn(m_request.keys.size());
    for (const QByteArray &key : keys) {
        const std::optional<QList<QByteArray>> texts = columnTexts(key, m_request.keys.size());
        if (!texts)
            continue; // not an identity this side made
        for (qsizetype k = 0; k < texts->size(); ++k)
            byColumn[k] << texts->at(k);
    }
    QByteArray unnest, alias, on;
    QList<QByteArray> params;
    for (qsizetype k = 0; k < m_request.keys.size(); ++k) {
        const QByteArray u = "k" + QByteArray::number(k);
        params << arrayLiteral(byColumn[k]);
        unnest += (k ? ", $" : "$") + QByteArray::number(k + 1) + "::" + m_request.keys[k].castType.toUtf8() + "[]";
        alias += (k ? ", " : "") + u;
        on += (k ? " AND t." : "t.") + m_conn->quoteIdentifier(m_request.keys[k].name) + " = u." + u;
    }
    const PgResultPtr r = m_conn->exec(
        "checksum", "SELECT " + select + " FROM " + table() + " JOIN unnest(" + unnest + ") AS u(" + alias + ") ON " + on,
        params);
    const OutputColumns columns(m_request);
    const size_t keyCount = size_t(m_request.keys.size());
    std::vector<RawValue> values;
    for (int row = 0; row < PQntuples(r.get()); ++row) {
        columns.read(r.get(), row, values);
        EncodedRow encoded;
        if (encoder.encodeRow(values.data(), values.data() + keyCount, encoded))
            out.append(std::move(encoded));
    }
    return out;
}

} // namespace syncdesk
