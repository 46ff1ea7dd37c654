#include "Reconciler.h"

#include "connectors/BatchQueue.h"
#include "FlowPlan.h"
#include "connectors/ConnectorFactory.h"
#include "model/RowEncoder.h"
#include "model/ScanBatch.h"
#include "model/SyncError.h"

#include <QElapsedTimer>

#include <cstring>
#include <future>
#include <thread>

namespace syncdesk {

namespace {

// A readable rendering of an encoded key for error messages.
QString printable(std::string_view encoded)
{
    QByteArray out;
    for (const char c : encoded) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f)
            out.append(c);
        else if (!out.endsWith(' '))
            out.append(' ');
    }
    return QString::fromUtf8(out.trimmed());
}

// One side of the comparison: its connector and the thread that drives it.
struct Side
{
    bool isSource = true;
    const FlowSide *flowSide = nullptr;
    std::unique_ptr<Connector> connector;
    std::promise<QList<ColumnInfo>> described;
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

void drive(Side &side, const FlowSpec &flow, std::shared_future<FlowPlan> plan,
           RowEncoder::Details details)
{
    const QStringList names = FlowPlan::columnNames(flow, side.isSource);
    QList<ColumnInfo> columns;
    try {
        side.connector->open();
        columns = side.connector->describe(side.flowSide->table, names);
        side.described.set_value(columns);
    } catch (...) { // a SyncError, or anything else: never let it escape the thread
        side.connector.reset(); // connections close on the thread that opened them
        side.described.set_exception(std::current_exception());
        return;
    }
    FlowPlan p;
    try {
        p = plan.get();
    } catch (...) {
        side.connector.reset();
        return; // the other side failed: nothing to scan
    }
    try {
        RowEncoder encoder(p.keyClasses, p.fieldClasses, details);
        side.stats = side.connector->scan(p.request(side.isSource), encoder, side.queue);
        side.queue.finish();
    } catch (const SyncError &e) {
        side.queue.fail(e.message());
    } catch (const std::exception &e) {
        side.queue.fail(QStringLiteral("%1: %2").arg(side.label(), QString::fromUtf8(e.what())));
    }
    side.connector.reset();
}

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
            if (order >= 0)
                throw SyncError(orderError(k, order == 0));
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
                .arg(m_side.label(), printable(k));
        return QStringLiteral("%1 returned key '%2' after '%3': the database does not order the "
                              "key the way keys are compared (byte order for text, numeric order "
                              "for numbers); check the key column's type and collation")
            .arg(m_side.label(), printable(k), printable(m_last));
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
    const std::shared_future<FlowPlan> plan = planPromise.get_future().share();
    for (Side &s : sides)
        s.thread = std::thread(drive, std::ref(s), std::cref(m_flow), plan,
                               options.listRecords ? RowEncoder::Details::KeysAndFields
                               : options.onRecord  ? RowEncoder::Details::Keys
                                                   : RowEncoder::Details::None);

    auto stopAll = [&](const SyncError &error) {
        try {
            planPromise.set_exception(std::make_exception_ptr(error));
        } catch (const std::future_error &) {
            // the plan was already sent: cancelling the queues stops the scans
        }
        for (Side &s : sides)
            s.queue.cancel();
        for (Side &s : sides) {
            if (s.thread.joinable())
                s.thread.join();
        }
        throw error;
    };

    // 1. Both tables described (concurrently): classes are resolved per key and field.
    QList<ColumnInfo> described[2];
    for (int i = 0; i < 2; ++i) {
        try {
            described[i] = sides[i].described.get_future().get();
        } catch (const SyncError &e) {
            stopAll(e);
        } catch (const std::exception &e) {
            stopAll(SyncError(QStringLiteral("%1: %2").arg(sides[i].label(), QString::fromUtf8(e.what()))));
        }
    }
    try {
        planPromise.set_value(FlowPlan::resolve(m_flow, described[0], described[1]));
    } catch (const SyncError &e) {
        stopAll(e);
    }

    // 2. Merge-join the two ordered streams.
    DiffResult result;
    result.flow = m_flow.name;
    try {
        Cursor src(sides[0]);
        Cursor dst(sides[1]);
        const qsizetype fieldCount = m_flow.fields.size();
        auto record = [&](RecordStatus status, const Cursor *s, const Cursor *t) {
            if (options.onRecord) {
                const Cursor *any = s ? s : t;
                const quint64 sourceHash = s ? s->hash() : 0;
                const quint64 targetHash = t ? t->hash() : 0;
                options.onRecord(any->batch().displayKey(any->row()), s ? &sourceHash : nullptr,
                                 t ? &targetHash : nullptr);
            }
            if (!options.listRecords || status == RecordStatus::InSync)
                return;
            RecordDiff r;
            r.status = status;
            const Cursor *any = s ? s : t;
            const std::string_view key = any->batch().displayKey(any->row());
            r.keyJson = QByteArray(key.data(), qsizetype(key.size()));
            if (s)
                r.sourceHash = s->hash();
            if (t)
                r.targetHash = t->hash();
            if (s && t) {
                const quint64 *a = s->batch().fieldHashes.data() + s->row() * size_t(fieldCount);
                const quint64 *b = t->batch().fieldHashes.data() + t->row() * size_t(fieldCount);
                for (qsizetype f = 0; f < fieldCount; ++f) {
                    if (a[f] != b[f])
                        r.fields << m_flow.fields[f].source;
                }
            }
            result.records.append(std::move(r));
        };
        bool a = src.next();
        bool b = dst.next();
        quint32 steps = 0;
        while (a || b) {
            // About every 16k records: cheap next to reading them, often enough for a bar.
            if ((++steps & 0x3fff) == 0 && options.progress
                && !options.progress(result.inSync + result.different + result.missingInTarget
                                     + result.missingInSource))
                throw SyncError(QStringLiteral("flow '%1': comparison cancelled").arg(m_flow.name));
            const int order = !a ? 1 : !b ? -1 : Cursor::compare(src.key(), dst.key());
            if (order < 0) {
                ++result.missingInTarget;
                record(RecordStatus::MissingInTarget, &src, nullptr);
                a = src.next();
            } else if (order > 0) {
                ++result.missingInSource;
                record(RecordStatus::MissingInSource, nullptr, &dst);
                b = dst.next();
            } else {
                if (src.hash() == dst.hash()) {
                    ++result.inSync;
                    record(RecordStatus::InSync, &src, &dst);
                } else {
                    ++result.different;
                    record(RecordStatus::Different, &src, &dst);
                }
                a = src.next();
                b = dst.next();
            }
        }
        result.sourceRows = src.rows();
        result.targetRows = dst.rows();
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
