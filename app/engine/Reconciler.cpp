#include "Reconciler.h"

#include "ChecksumReconciler.h"
#include "HashJoin.h"
#include "connectors/BatchQueue.h"
#include "FlowPlan.h"
#include "connectors/ConnectorFactory.h"
#include "model/RowEncoder.h"
#include "model/ScanBatch.h"
#include "model/KeyCodec.h"
#include "model/SyncError.h"

#include <QElapsedTimer>

#include <algorithm>
#include <cstring>
#include <future>
#include <thread>

namespace syncdesk {

namespace {

// One side of the comparison: its connector and the thread that drives it.
struct Side
{
    bool isSource = true;
    const FlowSide *flowSide = nullptr;
    std::unique_ptr<Connector> connector;
    std::promise<QList<ColumnInfo>> described;
    std::promise<Connector::OrderCost> orderCost; // of reading in key order, by its planner
    std::promise<bool> unique; // it guarantees the key unique (hash pairing may forget pairs)
    BatchQueue queue;
    ScanStats stats;
    std::thread thread;

    QString label() const
    {
        return QStringLiteral("%1 %2").arg(isSource ? QStringLiteral("source")
                                                    : QStringLiteral("target"),
                                           flowSide->table.display());
    }
};

// What the two scanning threads learn from the merge thread, in turn: the plan (classes per
// key and field), then whether to read in key order.
struct Handshake
{
    std::shared_future<FlowPlan> plan;
    bool askOrderCost = false; // Auto: each side's planner is asked whether order costs a sort
    bool askUnique = false;    // Auto or Hash: whether the key is unique by the system's word
    std::shared_future<bool> ordered;
};

void drive(Side &side, const FlowSpec &flow, Handshake handshake, RowEncoder::Details details)
{
    const QStringList names = FlowPlan::columnNames(flow, side.isSource);
    QList<ColumnInfo> columns;
    try {
        side.connector->open();
        columns = side.connector->describeThenScan(side.flowSide->table, names);
        side.described.set_value(columns);
    } catch (...) { // a SyncError, or anything else: never let it escape the thread
        side.connector.reset(); // connections close on the thread that opened them
        side.described.set_exception(std::current_exception());
        return;
    }
    FlowPlan p;
    try {
        p = handshake.plan.get();
    } catch (...) {
        side.connector.reset();
        return; // the other side failed: nothing to scan
    }
    ScanRequest request = p.request(side.isSource);
    try {
        if (handshake.askOrderCost)
            side.orderCost.set_value(side.connector->orderCost(request));
    } catch (...) {
        side.orderCost.set_exception(std::current_exception());
    }
    try {
        if (handshake.askUnique)
            side.unique.set_value(side.connector->keyIsUnique(request));
    } catch (...) {
        side.unique.set_exception(std::current_exception());
    }
    try {
        request.ordered = handshake.ordered.get();
    } catch (...) {
        side.connector.reset();
        return;
    }
    try {
        RowEncoder encoder(p.keyClasses, p.fieldClasses, details);
        side.stats = side.connector->scan(request, encoder, side.queue);
        side.queue.finish();
    } catch (const SyncError &e) {
        side.queue.fail(e.message());
    } catch (const std::exception &e) {
        side.queue.fail(QStringLiteral("%1: %2").arg(side.label(), QString::fromUtf8(e.what())));
    }
    side.connector.reset();
}

// A stream out of the merge's key order (not a duplicate): with Auto, pairing by hash instead
// still gives the exact answer.
class OrderViolation : public SyncError
{
public:
    using SyncError::SyncError;
};

// Walks one side's stream row by row, checking that keys strictly ascend.
class Cursor
{
public:
    explicit Cursor(Side &side) : m_side(side) {}

    bool next()
    {
        if (m_batch && m_row + 1 < m_batch->size()) {
            ++m_row;
        } else {
            if (m_batch)
                m_side.queue.recycle(std::move(m_batch));
            m_batch = m_side.queue.pop();
            while (m_batch && m_batch->size() == 0)
                m_batch = m_side.queue.pop();
            if (!m_batch)
                return false;
            m_row = 0;
        }
        const std::string_view k = key();
        if (m_rows > 0) {
            const int order = compare(m_last, k);
            if (order == 0)
                throw SyncError(orderError(k, true));
            if (order > 0)
                throw OrderViolation(orderError(k, false));
        }
        m_last.assign(k);
        ++m_rows;
        return true;
    }

    [[nodiscard]] std::string_view key() const { return m_batch->key(m_row); }
    [[nodiscard]] quint64 hash() const { return m_batch->rowHashes[m_row]; }
    [[nodiscard]] const ScanBatch &batch() const { return *m_batch; }
    [[nodiscard]] size_t row() const { return m_row; }
    [[nodiscard]] qint64 rows() const { return m_rows; }

    static int compare(std::string_view a, std::string_view b)
    {
        const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
        if (c != 0)
            return c;
        return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
    }

private:
    QString orderError(std::string_view k, bool duplicate) const
    {
        if (duplicate)
            return QStringLiteral("%1 has more than one row with key '%2': the flow's key must be "
                                  "unique on both sides")
                .arg(m_side.label(), printableKey(k));
        return QStringLiteral("%1 returned key '%2' after '%3': the database does not order the "
                              "key the way keys are compared (byte order for text, numeric order "
                              "for numbers); check the key column's type and collation")
            .arg(m_side.label(), printableKey(k), printableKey(m_last));
    }

    Side &m_side;
    std::unique_ptr<ScanBatch> m_batch;
    size_t m_row = 0;
    qint64 m_rows = 0;
    std::string m_last;
};

} // namespace

Reconciler::Reconciler(const Workspace &workspace, const FlowSpec &flow)
    : m_workspace(workspace), m_flow(flow)
{
}

DiffResult Reconciler::run(const DiffOptions &options)
{
    // Auto takes checksums only where the pairing was left to it too: a chosen pairing is the
    // row method's.
    if (options.method == DiffOptions::Method::Checksum
        || (options.method == DiffOptions::Method::Auto && options.order == DiffOptions::Order::Auto)) {
        std::optional<DiffResult> r = ChecksumReconciler(m_workspace, m_flow).run(
            options, options.method == DiffOptions::Method::Auto);
        if (r)
            return std::move(*r);
        // Auto: the flow is not one for checksums (or too small to gain); read the rows.
    }
    try {
        return runOnce(options);
    } catch (const OrderViolation &) {
        if (options.order != DiffOptions::Order::Auto)
            throw;
    }
    // A system that said it reads in key order did not (an untyped SQLite column mixing
    // numbers and text, say): pair by key instead, from the start.
    if (options.onRestart)
        options.onRestart();
    DiffOptions byHash = options;
    byHash.order = DiffOptions::Order::Hash;
    return runOnce(byHash);
}

DiffResult Reconciler::runOnce(const DiffOptions &options)
{
    QElapsedTimer timer;
    timer.start();

    Side sides[2];
    for (int i = 0; i < 2; ++i) {
        Side &s = sides[i];
        s.isSource = i == 0;
        s.flowSide = &m_flow.side(s.isSource);
        const SystemSpec *system = m_workspace.system(s.flowSide->system);
        if (!system)
            throw SyncError(QStringLiteral("flow '%1': system '%2' is not defined")
                                .arg(m_flow.name, s.flowSide->system));
        s.connector = makeConnector(*system);
    }

    std::promise<FlowPlan> planPromise;
    std::promise<bool> orderedPromise;
    Handshake handshake;
    handshake.plan = planPromise.get_future().share();
    handshake.ordered = orderedPromise.get_future().share();
    handshake.askOrderCost = options.order == DiffOptions::Order::Auto;
    handshake.askUnique = options.order != DiffOptions::Order::Merge;
    const RowEncoder::Details details = options.listRecords ? RowEncoder::Details::KeysAndFields
                                        : options.onRecord  ? RowEncoder::Details::Keys
                                                            : RowEncoder::Details::None;
    for (Side &s : sides)
        s.thread = std::thread(drive, std::ref(s), std::cref(m_flow), handshake, details);

    auto stopAll = [&](const SyncError &error, bool orderViolation = false) {
        // Whatever was not sent yet ends the scanning threads' waits; what was sent already,
        // cancelling the queues stops.
        try {
            planPromise.set_exception(std::make_exception_ptr(error));
        } catch (const std::future_error &) {
        }
        try {
            orderedPromise.set_exception(std::make_exception_ptr(error));
        } catch (const std::future_error &) {
        }
        for (Side &s : sides)
            s.queue.cancel();
        for (Side &s : sides) {
            if (s.thread.joinable())
                s.thread.join();
        }
        if (orderViolation)
            throw OrderViolation(error.message());
        throw error;
    };
    auto rethrow = [&](int side, const std::exception_ptr &e) {
        try {
            std::rethrow_exception(e);
        } catch (const SyncError &error) {
            stopAll(error);
        } catch (const std::exception &error) {
            stopAll(SyncError(QStringLiteral("%1: %2").arg(sides[side].label(), QString::fromUtf8(error.what()))));
        }
    };

    // 1. Both tables described (concurrently): classes are resolved per key and field.
    QList<ColumnInfo> described[2];
    for (int i = 0; i < 2; ++i) {
        try {
            described[i] = sides[i].described.get_future().get();
        } catch (...) {
            rethrow(i, std::current_exception());
        }
    }
    try {
        planPromise.set_value(FlowPlan::resolve(m_flow, described[0], described[1]));
    } catch (const SyncError &e) {
        stopAll(e);
    }

    // 2. How to pair. By hash where a system would have to sort for the key's order; and where
    // one would read through an index while both guarantee the key unique: reading a table as
    // it is stored beats reading it in an index's order (measured 0.99x against 1.28x of the
    // floor on C-collated PostgreSQL), and a matched pair is forgotten at once. Otherwise the
    // merge: no memory, and duplicate keys caught for free.
    bool unique = handshake.askUnique;
    for (int i = 0; i < 2 && handshake.askUnique; ++i) {
        try {
            unique = sides[i].unique.get_future().get() && unique;
        } catch (...) {
            rethrow(i, std::current_exception());
        }
    }
    bool ordered = options.order == DiffOptions::Order::Merge;
    if (options.order == DiffOptions::Order::Auto) {
        bool sorts = false;
        bool indexOrder = false;
        for (int i = 0; i < 2; ++i) {
            try {
                const Connector::OrderCost cost = sides[i].orderCost.get_future().get();
                sorts = sorts || cost == Connector::OrderCost::Sort;
                indexOrder = indexOrder || cost == Connector::OrderCost::IndexOrder;
            } catch (...) {
                rethrow(i, std::current_exception());
            }
        }
        ordered = !sorts && !(indexOrder && unique);
    }
    orderedPromise.set_value(ordered);

    DiffResult result;
    result.flow = m_flow.name;
    result.order = ordered ? QStringLiteral("merge") : QStringLiteral("hash");
    const qsizetype fieldCount = m_flow.fields.size();
    // Encoded keys of the listed records, to list them in key order whatever the pairing.
    std::vector<std::string> listedKeys;
    auto record = [&](RecordStatus status, std::string_view key, std::string_view display,
                      const quint64 *sourceHash, const quint64 *targetHash,
                      const quint64 *sourceFields, const quint64 *targetFields) {
        if (options.onRecord)
            options.onRecord(display, sourceHash, targetHash);
        if (!options.listRecords || status == RecordStatus::InSync)
            return;
        RecordDiff r;
        r.status = status;
        r.keyJson = QByteArray(display.data(), qsizetype(display.size()));
        if (sourceHash)
            r.sourceHash = *sourceHash;
        if (targetHash)
            r.targetHash = *targetHash;
        if (sourceFields && targetFields) {
            for (qsizetype f = 0; f < fieldCount; ++f) {
                if (sourceFields[f] != targetFields[f])
                    r.fields << m_flow.fields[f].source;
            }
        }
        result.records.append(std::move(r));
        if (!ordered)
            listedKeys.emplace_back(key);
    };
    auto compared = [&result] {
        return result.inSync + result.different + result.missingInTarget + result.missingInSource;
    };
    quint32 steps = 0;
    auto checkProgress = [&] {
        // About every 16k records: cheap next to reading them, often enough for a bar.
        if ((++steps & 0x3fff) == 0 && options.progress && !options.progress(compared()))
            throw SyncError(QStringLiteral("flow '%1': comparison cancelled").arg(m_flow.name));
    };

    try {
        if (ordered) {
            // 3a. Merge-join the two ordered streams.
            Cursor src(sides[0]);
            Cursor dst(sides[1]);
            auto displayOf = [details](const Cursor &c) {
                return details == RowEncoder::Details::None ? std::string_view() : c.batch().displayKey(c.row());
            };
            auto fieldsOf = [fieldCount](const Cursor &c) {
                return c.batch().fieldHashes.empty() ? nullptr
                                                     : c.batch().fieldHashes.data() + c.row() * size_t(fieldCount);
            };
            bool a = src.next();
            bool b = dst.next();
            while (a || b) {
                checkProgress();
                const int order = !a ? 1 : !b ? -1 : Cursor::compare(src.key(), dst.key());
                if (order < 0) {
                    ++result.missingInTarget;
                    const quint64 h = src.hash();
                    record(RecordStatus::MissingInTarget, src.key(), displayOf(src), &h,
                           nullptr, nullptr, nullptr);
                    a = src.next();
                } else if (order > 0) {
                    ++result.missingInSource;
                    const quint64 h = dst.hash();
                    record(RecordStatus::MissingInSource, dst.key(), displayOf(dst), nullptr,
                           &h, nullptr, nullptr);
                    b = dst.next();
                } else {
                    const quint64 hs = src.hash();
                    const quint64 ht = dst.hash();
                    const RecordStatus status = hs == ht ? RecordStatus::InSync : RecordStatus::Different;
                    ++(status == RecordStatus::InSync ? result.inSync : result.different);
                    record(status, src.key(), displayOf(src), &hs, &ht, fieldsOf(src),
                           fieldsOf(dst));
                    a = src.next();
                    b = dst.next();
                }
            }
            result.sourceRows = src.rows();
            result.targetRows = dst.rows();
        } else {
            // 3b. Pair records by key as they come, from both sides in turn: a fast side waits
            // on its full queue rather than reading ahead into memory.
            HashJoin::Options o;
            o.fieldCount = options.listRecords ? fieldCount : 0;
            o.keepDisplayKeys = details != RowEncoder::Details::None;
            o.memoryBudgetBytes = options.memoryBudgetBytes;
            o.uniqueKeys = unique;
            o.sourceLabel = sides[0].label();
            o.targetLabel = sides[1].label();
            HashJoin join(o, [&](const HashJoin::Record *s, const HashJoin::Record *t) {
                checkProgress();
                const HashJoin::Record *any = s ? s : t;
                RecordStatus status = RecordStatus::MissingInSource;
                if (s && t)
                    status = s->rowHash == t->rowHash ? RecordStatus::InSync : RecordStatus::Different;
                else if (s)
                    status = RecordStatus::MissingInTarget;
                switch (status) {
                case RecordStatus::InSync: ++result.inSync; break;
                case RecordStatus::Different: ++result.different; break;
                case RecordStatus::MissingInTarget: ++result.missingInTarget; break;
                default: ++result.missingInSource; break;
                }
                record(status, any->key, any->display, s ? &s->rowHash : nullptr, t ? &t->rowHash : nullptr,
                       s ? s->fields : nullptr, t ? t->fields : nullptr);
            });
            bool open[2] = {true, true};
            qint64 rows[2] = {0, 0};
            while (open[0] || open[1]) {
                for (int i = 0; i < 2; ++i) {
                    if (!open[i])
                        continue;
                    std::unique_ptr<ScanBatch> batch = sides[i].queue.pop();
                    if (!batch) {
                        open[i] = false;
                        continue;
                    }
                    rows[i] += qint64(batch->size());
                    join.add(i == 0, *batch);
                    sides[i].queue.recycle(std::move(batch));
                }
            }
            join.finish();
            result.sourceRows = rows[0];
            result.targetRows = rows[1];
            result.spilledPartitions = join.spilledPartitions();
            // Listed as the merge lists them: in key order.
            if (!result.records.isEmpty()) {
                std::vector<qsizetype> byKey(size_t(result.records.size()));
                for (size_t i = 0; i < byKey.size(); ++i)
                    byKey[i] = qsizetype(i);
                std::sort(byKey.begin(), byKey.end(), [&](qsizetype a, qsizetype b) {
                    return Cursor::compare(listedKeys[size_t(a)], listedKeys[size_t(b)]) < 0;
                });
                QList<RecordDiff> sorted;
                sorted.reserve(result.records.size());
                for (const qsizetype i : byKey)
                    sorted.append(std::move(result.records[i]));
                result.records = std::move(sorted);
            }
        }
    } catch (const OrderViolation &e) {
        stopAll(e, true);
    } catch (const SyncError &e) {
        stopAll(e);
    } catch (const std::exception &e) {
        stopAll(SyncError(QStringLiteral("flow '%1': comparison failed: %2")
                              .arg(m_flow.name, QString::fromUtf8(e.what()))));
    }
    for (Side &s : sides)
        s.thread.join();
    result.sourceNullKeys = sides[0].stats.nullKeyRows;
    result.targetNullKeys = sides[1].stats.nullKeyRows;
    result.elapsedMs = timer.elapsed();
    return result;
}

} // namespace syncdesk
