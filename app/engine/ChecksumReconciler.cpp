#include "ChecksumReconciler.h"

#include "FlowPlan.h"
#include "HashJoin.h"
#include "connectors/BatchQueue.h"
#include "connectors/PgKeyRanges.h"
#include "connectors/PostgresConnector.h"
#include "model/KeyInterpolation.h"
#include "model/RowEncoder.h"
#include "model/ScanBatch.h"
#include "model/SyncError.h"

#include <QElapsedTimer>
#include <QHash>

#include <algorithm>
#include <future>
#include <string_view>

namespace syncdesk {

namespace {

bool isInteger(const QString &type)
{
    return type == u"smallint" || type == u"integer" || type == u"bigint";
}

bool isPlainText(const QString &type)
{
    return type == u"text" || type.startsWith(QLatin1String("character varying"));
}

// The type a key column is compared and printed as: a domain's base type, text for character
// varying of any length (a value prints the same from either, and sorts the same under one
// collation), bigint for every integer width (range bounds and read-back keys are then cast
// to bigint on both sides, which an integer column's index serves as well).
QString keyType(const ColumnInfo &c)
{
    const QString base = c.castType.isEmpty() ? c.typeName : c.castType;
    if (isInteger(base))
        return QStringLiteral("bigint");
    return isPlainText(base) ? QStringLiteral("text") : base;
}

// How a field enters the row checksum, or nullopt when its two types could print one value
// two ways (then equal checksums would not prove equal canonical values).
std::optional<ChecksumForm> fieldForm(const ColumnInfo &a, const ColumnInfo &b)
{
    if (isInteger(a.typeName) && isInteger(b.typeName))
        return ChecksumForm::Integer;
    const bool numericA = a.typeName.startsWith(QLatin1String("numeric")) || isInteger(a.typeName);
    const bool numericB = b.typeName.startsWith(QLatin1String("numeric")) || isInteger(b.typeName);
    if (numericA && numericB)
        return ChecksumForm::Numeric;
    if ((isPlainText(a.typeName) && isPlainText(b.typeName)) || a.typeName == b.typeName)
        return ChecksumForm::Text;
    return std::nullopt;
}

std::string_view view(const std::string &s)
{
    return s;
}

// One side: its describing connector, then its range reader.
struct Side
{
    const SystemSpec *system = nullptr;
    TableRef table;
    QList<ColumnInfo> columns;
    bool unique = false;
    std::unique_ptr<PostgresConnector> describer; // until the plan is settled
    std::unique_ptr<PgKeyRanges> ranges;
};

// Runs `work` on both sides at once (each side's connection on its own thread) and returns
// both results; a failure on either side is thrown once both are done.
template<typename Work>
auto onBoth(Side (&sides)[2], Work work)
{
    auto source = std::async(std::launch::async, [&] { return work(sides[0]); });
    auto target = std::async(std::launch::async, [&] { return work(sides[1]); });
    source.wait();
    target.wait();
    return std::pair(source.get(), target.get());
}

// Whether the sampled ranges show differences spread over the whole table: at least
// SpreadMinRanges of them differ, and one in SpreadOneIn or more.
bool spread(const QList<RangeSum> &a, const QList<RangeSum> &b)
{
    qsizetype differing = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        differing += a[i] == b[i] ? 0 : 1;
    return differing >= ChecksumReconciler::SpreadMinRanges
           && differing * ChecksumReconciler::SpreadOneIn >= a.size();
}

// Keys whose checksums differ or that one side lacks, to be read in full; with how many of
// them each side holds (and, from a stream, which: bit 1 the source, bit 2 the target).
struct Suspects
{
    QList<QByteArray> keys;
    qsizetype onSource = 0;
    qsizetype onTarget = 0;
    std::vector<quint8> sides;
};

// One side's stream of row checksums, row by row: the batch at hand and the row in it.
struct StreamHead
{
    explicit StreamHead(BatchQueue &q) : queue(q) {}
    static constexpr size_t npos = size_t(-1);
    // How far ahead find() looks for a key the other side is at.
    static constexpr size_t Lookahead = 16;

    // Makes a row current, taking the next batch as needed; false at the end.
    bool ready()
    {
        while (!ended && (!batch || row >= batch->size())) {
            if (batch)
                queue.recycle(std::move(batch));
            batch = queue.pop();
            row = 0;
            if (batch)
                rows += qint64(batch->size());
            else
                ended = true;
        }
        return !ended;
    }
    [[nodiscard]] std::string_view key() const { return batch->key(row); }
    [[nodiscard]] HashJoin::Record record() const { return {key(), {}, batch->rowHashes[row], nullptr}; }
    // The row of this batch, a few ahead of the current one, whose key is `k`; npos if none.
    [[nodiscard]] size_t find(std::string_view k) const
    {
        const size_t end = std::min(batch->size(), row + 1 + Lookahead);
        for (size_t i = row + 1; i < end; ++i) {
            if (batch->key(i) == k)
                return i;
        }
        return npos;
    }

    BatchQueue &queue;
    std::unique_ptr<ScanBatch> batch;
    size_t row = 0;
    qint64 rows = 0;
    bool ended = false;
};

// Both sides' row checksums streamed at once (PgKeyRanges::scanRowChecksums, each on its own
// thread) and paired by key as they come: in step where both are stored alike, else by the
// hash join (past the memory budget, partitions spill). Rows whose checksums agree are in
// sync; the others are returned.
Suspects pairStreams(Side (&sides)[2], const QString &flow, const DiffOptions &options, DiffResult &result,
                     int buckets, const QList<int> &only)
{
    BatchQueue queues[2];
    auto scan = [&sides, &queues, buckets, &only](int i) {
        try {
            (void)sides[i].ranges->scanRowChecksums(queues[i], buckets, only);
            queues[i].finish();
        } catch (const SyncError &e) {
            queues[i].fail(e.message());
        } catch (const std::exception &e) {
            queues[i].fail(QString::fromUtf8(e.what()));
        }
    };
    auto source = std::async(std::launch::async, scan, 0);
    auto target = std::async(std::launch::async, scan, 1);
    Suspects out;
    try {
        HashJoin::Options o;
        o.memoryBudgetBytes = options.memoryBudgetBytes;
        o.uniqueKeys = true; // both sides' unique indexes were checked
        o.sourceLabel = QStringLiteral("source %1").arg(sides[0].table.display());
        o.targetLabel = QStringLiteral("target %1").arg(sides[1].table.display());
        quint32 steps = 0;
        auto pair = [&](const HashJoin::Record *s, const HashJoin::Record *t) {
            if ((++steps & 0x3fff) == 0 && options.progress && !options.progress(result.inSync))
                throw SyncError(QStringLiteral("flow '%1': comparison cancelled").arg(flow));
            if (s && t && s->rowHash == t->rowHash) {
                ++result.inSync;
                return;
            }
            const std::string_view key = (s ? s : t)->key;
            out.keys << QByteArray(key.data(), qsizetype(key.size()));
            out.sides.push_back(quint8((s ? 1 : 0) | (t ? 2 : 0)));
            out.onSource += s ? 1 : 0;
            out.onTarget += t ? 1 : 0;
        };
        HashJoin join(o, pair);
        // Two tables that hold the same rows are mostly stored in the same order (a copy, a
        // replica, the same loads): rows are first paired in step, by comparing the two
        // streams' current keys, and only rows out of step go through the hash join. A row one
        // side lacks here (deleted, inserted, moved by an update) is found by looking a few
        // rows ahead for the other side's key. Each side's keys are unique, so two equal
        // current keys are a pair whose rows cannot be waiting in the join.
        StreamHead a(queues[0]);
        StreamHead b(queues[1]);
        auto toJoin = [&join](bool source, StreamHead &h) {
            join.add(source, h.record());
            ++h.row;
        };
        while (true) {
            const bool hasA = a.ready();
            const bool hasB = b.ready();
            if (!hasA && !hasB)
                break;
            if (!hasA || !hasB) {
                toJoin(hasA, hasA ? a : b);
                continue;
            }
            if (a.key() == b.key()) {
                const HashJoin::Record x = a.record();
                const HashJoin::Record y = b.record();
                pair(&x, &y);
                ++a.row;
                ++b.row;
                continue;
            }
            if (const size_t at = a.find(b.key()); at != StreamHead::npos) {
                while (a.row < at)
                    toJoin(true, a);
            } else if (const size_t at2 = b.find(a.key()); at2 != StreamHead::npos) {
                while (b.row < at2)
                    toJoin(false, b);
            } else {
                toJoin(true, a);
                toJoin(false, b);
            }
        }
        const qint64 rows[2] = {a.rows, b.rows};
        join.finish();
        result.sourceRows += rows[0];
        result.targetRows += rows[1];
    } catch (...) {
        for (BatchQueue &q : queues)
            q.cancel();
        source.wait();
        target.wait();
        throw;
    }
    source.wait();
    target.wait();
    return out;
}

} // namespace

ChecksumReconciler::ChecksumReconciler(const Workspace &workspace, const FlowSpec &flow)
    : m_workspace(workspace), m_flow(flow)
{
}

std::optional<DiffResult> ChecksumReconciler::run(const DiffOptions &options, bool fallback)
{
    QElapsedTimer timer;
    timer.start();
    auto refuse = [&](const QString &why) -> std::optional<DiffResult> {
        if (fallback)
            return std::nullopt;
        throw SyncError(QStringLiteral("flow '%1': --method checksum cannot compare it: %2; use "
                                       "--method rows (or auto)")
                            .arg(m_flow.name, why));
    };

    Side sides[2];
    for (int i = 0; i < 2; ++i) {
        const FlowSide &fs = m_flow.side(i == 0);
        sides[i].system = m_workspace.system(fs.system);
        if (!sides[i].system)
            throw SyncError(QStringLiteral("flow '%1': system '%2' is not defined").arg(m_flow.name, fs.system));
        if (sides[i].system->kind != SystemKind::Postgres)
            return refuse(QStringLiteral("checksums are computed by PostgreSQL on both sides, and "
                                         "system '%1' is %2")
                              .arg(fs.system, systemKindName(sides[i].system->kind)));
        sides[i].table = fs.table;
    }

    // Auto: where the planner knows the source's size, it decides first, on the source's one
    // connection, before anything is asked of the target: a table too small to gain goes to
    // the row method having cost one connection, not two on each side. An unknown size (never
    // analysed, a view) is settled after the checks below, as before, by a count on the range
    // reader's connection, which has no time limit.
    if (fallback) {
        sides[0].describer = std::make_unique<PostgresConnector>(*sides[0].system);
        sides[0].describer->open();
        sides[0].table = sides[0].describer->qualified(sides[0].table);
        const qint64 planned = sides[0].describer->plannedRows(sides[0].table);
        if (planned > 0 && planned < AutoMinRows)
            return std::nullopt;
    }

    // Both tables described at once, as the row method does.
    (void)onBoth(sides, [&](Side &s) {
        const bool isSource = &s == &sides[0];
        if (!s.describer) {
            s.describer = std::make_unique<PostgresConnector>(*s.system);
            s.describer->open();
        }
        PostgresConnector &c = *s.describer;
        s.table = c.qualified(s.table);
        s.columns = c.describe(s.table, FlowPlan::columnNames(m_flow, isSource));
        ScanRequest request;
        request.table = s.table;
        request.keys = s.columns.mid(0, m_flow.key.size());
        s.unique = c.keyIsUnique(request);
        s.describer.reset(); // its connection is not needed past the plan
        return true;
    });
    FlowPlan plan = FlowPlan::resolve(m_flow, sides[0].columns, sides[1].columns);
    plan.source.table = sides[0].table;
    plan.target.table = sides[1].table;

    // Every key column one type on both sides (keyType: varchar of any length and text alike,
    // integers of any width alike, a domain as its base type), so that each prints a key one
    // way; after the first (which the ranges are cut over, below), integers or text.
    QList<ChecksumForm> forms;
    for (qsizetype k = 0; k < plan.source.keys.size(); ++k) {
        ColumnInfo &a = plan.source.keys[k];
        ColumnInfo &b = plan.target.keys[k];
        if (keyType(a) != keyType(b))
            return refuse(QStringLiteral("key column '%1' is %2 on the source but %3 on the target")
                              .arg(a.name, a.typeName, b.typeName));
        if (k > 0 && keyType(a) != u"bigint" && keyType(a) != u"text")
            return refuse(QStringLiteral("key column '%1' is %2; the key columns after the first must be "
                                         "integers or text")
                              .arg(a.name, a.typeName));
        // Integers of two widths: a bound or a key from the wider side need not fit the
        // narrower type, so both sides take them as bigint.
        if (keyType(a) == u"bigint" && a.castType != b.castType)
            a.castType = b.castType = QStringLiteral("bigint");
        forms << (keyType(a) == u"bigint" ? ChecksumForm::Integer : ChecksumForm::Text);
    }
    const ColumnInfo &keyA = plan.source.keys.first();
    const ColumnInfo &keyB = plan.target.keys.first();
    ChecksumForm keyForm;
    if (keyType(keyA) == u"bigint")
        keyForm = ChecksumForm::Integer;
    else if (keyType(keyA) == u"text" && keyA.byteOrdered && keyB.byteOrdered)
        keyForm = ChecksumForm::Text;
    else
        return refuse(QStringLiteral("key column '%1' is %2%3; key ranges need an integer key, or "
                                     "a text key under the C collation (whose index is in byte "
                                     "order)")
                          .arg(keyA.name, keyA.typeName,
                               keyType(keyA) == u"text" ? QStringLiteral(" under a linguistic collation")
                                                          : QString()));
    for (int i = 0; i < 2; ++i) {
        if (!sides[i].unique)
            return refuse(QStringLiteral("%1 %2 has no unique index on exactly '%3', so equal "
                                         "checksums could hide a key that is there twice")
                              .arg(i == 0 ? QStringLiteral("source") : QStringLiteral("target"),
                                   sides[i].table.display(), m_flow.key.size() == 1
                                       ? plan.request(i == 0).keys.first().name
                                       : FlowPlan::columnNames(m_flow, i == 0).mid(0, m_flow.key.size()).join(QStringLiteral("', '"))));
    }
    for (qsizetype f = 0; f < plan.source.fields.size(); ++f) {
        const std::optional<ChecksumForm> form = fieldForm(plan.source.fields[f], plan.target.fields[f]);
        if (!form)
            return refuse(QStringLiteral("field '%1' is %2 on the source but %3 on the target, "
                                         "which print the same value differently")
                              .arg(plan.source.fields[f].name, plan.source.fields[f].typeName,
                                   plan.target.fields[f].typeName));
        forms << *form;
    }

    for (int i = 0; i < 2; ++i)
        sides[i].ranges = std::make_unique<PgKeyRanges>(*sides[i].system, plan.request(i == 0), forms);
    (void)onBoth(sides, [](Side &s) {
        s.ranges->open();
        return true;
    });
    for (const Side &s : sides) {
        if (s.ranges->serverVersion() < PgKeyRanges::MinServerVersion)
            return refuse(QStringLiteral("system '%1' runs PostgreSQL %2, and the hash functions the "
                                         "checksums use came with PostgreSQL 11")
                              .arg(s.system->name)
                              .arg(s.ranges->serverVersion() / 10000));
    }
    const qint64 estimated = sides[0].ranges->estimatedRows();
    if (fallback && estimated < AutoMinRows)
        return std::nullopt;

    DiffResult result;
    result.flow = m_flow.name;
    result.method = QStringLiteral("checksum");
    result.order = QStringLiteral("merge");
    const auto [sourceNulls, targetNulls] = onBoth(sides, [](Side &s) { return s.ranges->nullKeyRows(); });
    result.sourceNullKeys = sourceNulls;
    result.targetNullKeys = targetNulls;

    // 1. Ranges of about rangeRows rows, cut between the source's histogram keys.
    const qint64 rangeRows = std::max<qint64>(1, options.rangeRows);
    const QList<QByteArray> anchors = sides[0].ranges->anchors();
    const double between = anchors.size() > 1 ? double(estimated) / double(anchors.size() - 1) : 0;
    // Not more ranges than a statement list can sensibly carry: past that, larger ranges.
    const double perRange = std::max(double(rangeRows), double(estimated) / 2.0e6);
    const QList<QByteArray> cuts = KeyInterpolation::cuts(
        keyForm == ChecksumForm::Integer ? KeyInterpolation::Kind::Integer : KeyInterpolation::Kind::Text,
        anchors, between, perRange);
    QList<KeyRange> pending;
    for (qsizetype i = 0; i <= cuts.size(); ++i)
        pending.append({i > 0 ? std::optional(cuts[i - 1]) : std::nullopt,
                        i < cuts.size() ? std::optional(cuts[i]) : std::nullopt});

    // The rows of suspects in full on both sides, classified as the row method does: equal
    // canonical values with unequal checksums (-0 against 0, say) are in sync. Each side must
    // give back every suspect its checksums showed: a key that does not read back would
    // otherwise vanish from the counts.
    std::vector<std::pair<std::string, RecordDiff>> listed;
    auto record = [&](RecordStatus status, const EncodedRow *s, const EncodedRow *t) {
        if (!options.listRecords)
            return;
        RecordDiff r;
        r.status = status;
        r.keyJson = (s ? s : t)->keyJson;
        if (s)
            r.sourceHash = s->hash;
        if (t)
            r.targetHash = t->hash;
        if (s && t) {
            for (qsizetype f = 0; f < m_flow.fields.size(); ++f) {
                if (s->fields.value(f) != t->fields.value(f))
                    r.fields << m_flow.fields[f].source;
            }
        }
        listed.emplace_back((s ? s : t)->key, std::move(r));
    };
    auto settle = [&](const Suspects &suspects) {
        if (suspects.keys.isEmpty())
            return;
        auto [sourceRows, targetRows] = onBoth(sides, [&](Side &s) {
            RowEncoder encoder(plan.keyClasses, plan.fieldClasses, RowEncoder::Details::KeysAndFields);
            QList<EncodedRow> rows = s.ranges->rows(suspects.keys, encoder);
            std::sort(rows.begin(), rows.end(),
                      [](const EncodedRow &x, const EncodedRow &y) { return view(x.key) < view(y.key); });
            return rows;
        });
        if (sourceRows.size() != suspects.onSource || targetRows.size() != suspects.onTarget)
            throw SyncError(QStringLiteral("flow '%1': of the rows whose checksums differ, %2 of %3 on the "
                                           "source and %4 of %5 on the target read back by key; use "
                                           "--method rows")
                                .arg(m_flow.name)
                                .arg(sourceRows.size())
                                .arg(suspects.onSource)
                                .arg(targetRows.size())
                                .arg(suspects.onTarget));
        qsizetype i = 0, j = 0;
        while (i < sourceRows.size() || j < targetRows.size()) {
            const int order = i == sourceRows.size()   ? 1
                              : j == targetRows.size() ? -1
                                                       : view(sourceRows[i].key).compare(view(targetRows[j].key));
            if (order < 0) {
                ++result.missingInTarget;
                record(RecordStatus::MissingInTarget, &sourceRows[i++], nullptr);
            } else if (order > 0) {
                ++result.missingInSource;
                record(RecordStatus::MissingInSource, nullptr, &targetRows[j++]);
            } else {
                const bool same = sourceRows[i].hash == targetRows[j].hash;
                ++(same ? result.inSync : result.different);
                if (!same)
                    record(RecordStatus::Different, &sourceRows[i], &targetRows[j]);
                ++i;
                ++j;
            }
        }
    };
    auto finish = [&] {
        // Listed in key order, as the row method lists them.
        std::sort(listed.begin(), listed.end(),
                  [](const auto &x, const auto &y) { return view(x.first) < view(y.first); });
        for (auto &[key, r] : listed)
            result.records.append(std::move(r));
        result.elapsedMs = timer.elapsed();
        return result;
    };

    // Row checksums streamed (every row's, or only those of some key hash buckets) and
    // paired; the rows whose checksums differ are then read in full.
    auto stream = [&](int buckets, const QList<int> &only) {
        const qint64 before = result.sourceRows + result.targetRows;
        const Suspects suspects = pairStreams(sides, m_flow.name, options, result, buckets, only);
        result.rowsRead += result.sourceRows + result.targetRows - before;
        for (qsizetype first = 0; first < suspects.keys.size(); first += SettleKeys) {
            Suspects part;
            part.keys = suspects.keys.mid(first, SettleKeys);
            for (qsizetype k = first; k < first + part.keys.size(); ++k) {
                part.onSource += suspects.sides[size_t(k)] & 1 ? 1 : 0;
                part.onTarget += suspects.sides[size_t(k)] & 2 ? 1 : 0;
            }
            settle(part);
        }
        return finish();
    };

    // Where the differences are decides how to find them: a sample of the ranges, one in
    // SampleStride, first.
    if (pending.size() > 1) {
        QList<KeyRange> sample;
        for (qsizetype i = 0; i < pending.size(); i += SampleStride)
            sample << pending[i];
        const auto [a, b] = onBoth(sides, [&sample](Side &s) { return s.ranges->checksums(sample); });
        result.rangesCompared += sample.size();
        // Differences everywhere: narrowing would checksum every range through the index
        // (about twice the cost of a sequential pass) and then read a good part of them row by
        // row. Instead each server sends every row's key and checksum in one sequential pass,
        // paired as they come; only the rows that differ are read.
        if (spread(a, b))
            return stream(0, {});
        // A table in sync, the usual case, is told cheapest by one sum over the whole table,
        // each server reading in parallel and in stored order (about 2.3 times a count(*)).
        if (a == b) {
            const QList<KeyRange> whole{KeyRange{}};
            const auto [x, y] = onBoth(sides, [&whole](Side &s) { return s.ranges->checksums(whole); });
            result.rangesCompared += 1;
            if (x == y) {
                result.inSync = result.sourceRows = result.targetRows = x.first().rows;
                result.elapsedMs = timer.elapsed();
                return result;
            }
        }
        // The tables differ, in few places: the whole table in one sequential pass per side,
        // summed per hash bucket of the key (grouping costs about a third more than one sum);
        // where few buckets differ, only their rows' checksums are streamed.
        const auto [x, y] = onBoth(sides, [](Side &s) { return s.ranges->bucketChecksums(Buckets); });
        result.rangesCompared += Buckets;
        QList<int> differing;
        qint64 same = 0;
        for (int i = 0; i < Buckets; ++i) {
            if (x[i] == y[i])
                same += x[i].rows;
            else
                differing << i;
        }
        if (differing.isEmpty()) {
            result.inSync = result.sourceRows = result.targetRows = same;
            result.elapsedMs = timer.elapsed();
            return result;
        }
        if (differing.size() * FewBucketsOneIn <= Buckets) {
            result.inSync += same;
            result.sourceRows += same;
            result.targetRows += same;
            return stream(Buckets, differing);
        }
        // Many buckets differ, yet few sampled ranges: differences gathered in runs of keys,
        // which narrowing the ranges finds reading little.
    }

    // 2. Compare; cut again where a differing range is large, down to leaves worth reading.
    const qint64 leafRows = std::max<qint64>(4 * rangeRows, 16);
    QList<KeyRange> leaves;
    for (int depth = 0; !pending.isEmpty(); ++depth) {
        if (options.progress && !options.progress(result.inSync))
            throw SyncError(QStringLiteral("flow '%1': comparison cancelled").arg(m_flow.name));
        const auto [a, b] = onBoth(sides, [&pending](Side &s) { return s.ranges->checksums(pending); });
        result.rangesCompared += pending.size();
        QList<KeyRange> next;
        for (qsizetype i = 0; i < pending.size(); ++i) {
            if (a[i] == b[i]) {
                result.inSync += a[i].rows;
                result.sourceRows += a[i].rows;
                result.targetRows += b[i].rows;
                continue;
            }
            const qint64 larger = std::max(a[i].rows, b[i].rows);
            QList<QByteArray> points;
            if (larger > leafRows && depth < 8) {
                const qint64 step = std::max(rangeRows, larger / 100000);
                points = sides[a[i].rows >= b[i].rows ? 0 : 1].ranges->splitPoints(pending[i], step);
            }
            if (points.isEmpty()) {
                leaves << pending[i];
                continue;
            }
            for (qsizetype p = 0; p <= points.size(); ++p)
                next.append({p > 0 ? std::optional(points[p - 1]) : pending[i].lo,
                             p < points.size() ? std::optional(points[p]) : pending[i].hi});
        }
        pending = std::move(next);
    }

    // 3. The leaves: each row's key and checksum first; then, for the keys whose checksums
    // differ or that one side lacks, the rows in full (settle).
    for (qsizetype first = 0; first < leaves.size(); first += PgKeyRanges::RangesPerStatement) {
        const QList<KeyRange> chunk = leaves.mid(first, PgKeyRanges::RangesPerStatement);
        const auto [a, b] = onBoth(sides, [&chunk](Side &s) { return s.ranges->rowChecksums(chunk); });
        result.rowsRead += a.size() + b.size();
        result.sourceRows += a.size();
        result.targetRows += b.size();
        QHash<QByteArray, qint64> source;
        source.reserve(a.size());
        for (const auto &[key, sum] : a)
            source.insert(key, sum);
        Suspects suspects;
        for (const auto &[key, sum] : b) {
            const auto it = source.find(key);
            if (it != source.end() && it.value() == sum) {
                ++result.inSync;
                source.erase(it);
                continue;
            }
            suspects.keys << key;
            ++suspects.onTarget;
            if (it != source.end()) {
                ++suspects.onSource;
                source.erase(it);
            }
        }
        for (auto it = source.cbegin(); it != source.cend(); ++it)
            suspects.keys << it.key();
        suspects.onSource += source.size();
        settle(suspects);
    }
    return finish();
}

} // namespace syncdesk
