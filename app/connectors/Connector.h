#pragma once

#include "ColumnInfo.h"
#include "TxSnapshot.h"
#include "model/Classify.h"
#include "model/RowEncoder.h"
#include "model/RecordState.h"
#include "model/Workspace.h"

#include <QList>
#include <QStringList>

#include <memory>
#include <optional>

namespace syncdesk {

class BatchQueue;

// One key's column values as text, as change feeds deliver them (nullopt for NULL).
using KeyText = QList<std::optional<QString>>;

// What one scan reads: the key columns then the compared fields, with the classes the flow
// resolved for both sides.
struct ScanRequest
{
    TableRef table;
    QList<ColumnInfo> keys;
    QList<ColumnInfo> fields;
    // In the merge's key order (byte order for text, numeric for numbers), or in whatever
    // order is cheapest to read (the order-free comparison).
    bool ordered = true;
};

struct ScanStats
{
    qint64 rows = 0;
    qint64 nullKeyRows = 0; // rows left out because a key column is NULL: they name no record
};

// One statement as it is sent: SQL with placeholders and the values bound to them, shown as
// text (nullopt: NULL). Previews show these, so what the operator reads is what runs.
struct BoundStatement
{
    QString sql;
    QList<std::optional<QString>> values;
};

// Records' rows held under their system's write lock, in one open transaction: one record's
// for a person's resolution, a batch's for a policy.
class RowLock
{
public:
    virtual ~RowLock() = default; // rolls back unless committed
    // The row of the i-th key locked, as read under the lock (nullopt: there is none).
    [[nodiscard]] virtual const std::optional<EncodedRow> &row(qsizetype i = 0) const = 0;
    [[nodiscard]] RowHash hash(qsizetype i = 0) const { return row(i) ? RowHash(row(i)->hash) : RowHash(); }
    // Makes the i-th key's row hold `values` (canonical texts in field order; nullopt: delete it).
    virtual void write(qsizetype i, const std::optional<QList<FieldText>> &values) = 0;
    void write(const std::optional<QList<FieldText>> &values) { write(0, values); }
    virtual void commit() = 0;
    // False where a commit cannot be rolled back with the others once sent (an API's writes):
    // such locks are committed first, while the others can still be rolled back.
    [[nodiscard]] virtual bool transactional() const { return true; }
};

// One connected system. A connector is used from one thread at a time (its worker thread);
// errors are thrown as SyncError with the system's name and what to do next.
class Connector
{
public:
    virtual ~Connector() = default;
    Connector(const Connector &) = delete;
    Connector &operator=(const Connector &) = delete;

    virtual void open() = 0;
    // The named columns of `table`, in the order asked; fails naming the missing table or column.
    [[nodiscard]] virtual QList<ColumnInfo> describe(const TableRef &table,
                                                     const QStringList &columns) = 0;
    // describe(), where a scan of `table` follows at once (a comparison): a connector whose
    // reading needs nothing from the plan may start it now, while the other side is described.
    [[nodiscard]] virtual QList<ColumnInfo> describeThenScan(const TableRef &table, const QStringList &columns)
    {
        return describe(table, columns);
    }
    // Streams (key, row hash) into `queue`, in batches (in key order when request.ordered).
    // Returns when the table is read or the queue was cancelled.
    virtual ScanStats scan(const ScanRequest &request, RowEncoder &encoder, BatchQueue &queue) = 0;
    // What reading `request` in key order costs beyond reading the table as it is stored, as
    // the system's own planner sees it: nothing, rows fetched through an index in its order,
    // or a sort.
    enum class OrderCost { Free, IndexOrder, Sort };
    [[nodiscard]] virtual OrderCost orderCost(const ScanRequest &request) = 0;
    // Whether the system itself guarantees that no two rows share the request's key (a unique
    // index on exactly those columns, with types that compare by value as the flow does).
    // The hash pairing then forgets a pair once matched instead of keeping it to catch a
    // duplicate. False when not sure.
    [[nodiscard]] virtual bool keyIsUnique(const ScanRequest &request) { Q_UNUSED(request) return false; }
    // The current rows of `keys`; keys with no row are left out. `request` as for scan().
    [[nodiscard]] virtual QList<EncodedRow> fetch(const ScanRequest &request, RowEncoder &encoder,
                                                  const QList<KeyText> &keys) = 0;
    // After a fetch(): a position in the system's log at or past every commit that fetch
    // could see (PostgreSQL: the WAL insert position, taken after the read's snapshot). A
    // change stream's commit past it is newer than what was read. 0: the system tells none.
    [[nodiscard]] virtual quint64 lastReadHorizon() const { return 0; }
    // After a fetch(): which transactions it saw, for a system whose change stream names them
    // (PostgreSQL); nullopt otherwise.
    [[nodiscard]] virtual std::optional<TxSnapshot> lastReadSnapshot() const { return std::nullopt; }
    // The same for a read made now, without reading any row.
    [[nodiscard]] virtual std::optional<TxSnapshot> currentSnapshot() { return std::nullopt; }
    // Locks the rows of `keys` (whether or not they exist) in a transaction of its own, one
    // after the other with the statement lockRow() sends for each, so nothing else changes
    // them until the lock commits or is dropped (which rolls back).
    [[nodiscard]] virtual std::unique_ptr<RowLock> lockRows(const ScanRequest &request,
                                                            RowEncoder &encoder,
                                                            const QList<KeyText> &keys) = 0;
    [[nodiscard]] std::unique_ptr<RowLock> lockRow(const ScanRequest &request, RowEncoder &encoder,
                                                   const KeyText &key)
    {
        return lockRows(request, encoder, {key});
    }
    // The statements lockRow() and then RowLock::write(values) send, in order, with their
    // bound values: a preview shows exactly these. `exists`: whether the row is there.
    [[nodiscard]] virtual QList<BoundStatement> writeStatements(const ScanRequest &request,
                                                                const KeyText &key, bool exists,
                                                                const std::optional<QList<FieldText>> &values) = 0;

    // What a preview and the audit entry must say about how this system's writes are guarded,
    // beyond the lock (an API without a condition the server checks: "unconditional …").
    [[nodiscard]] virtual QString writeNote(const ScanRequest &request) { Q_UNUSED(request) return {}; }

    // Makes the row of `key` hold `values` (canonical texts in field order; nullopt: no row),
    // in one transaction, only if it still hashes to `expected` (nullopt: absent). Returns
    // false, having written nothing, when it does not; throws SyncError on failure.
    [[nodiscard]] bool write(const ScanRequest &request, RowEncoder &encoder, const KeyText &key,
                             const RowHash &expected, const std::optional<QList<FieldText>> &values)
    {
        const std::unique_ptr<RowLock> lock = lockRow(request, encoder, key);
        if (lock->hash() != expected)
            return false;
        lock->write(values);
        lock->commit();
        return true;
    }

    // What the workspace editor offers: the system's tables (schema-qualified where it has
    // schemas, system catalogs left out) and one table's columns, in their order.
    [[nodiscard]] virtual QList<TableRef> tables() = 0;
    [[nodiscard]] virtual QStringList columns(const TableRef &table) = 0;

    // `table` with its schema filled in, as change feeds name it (search path resolved).
    [[nodiscard]] virtual TableRef qualified(const TableRef &table) = 0;

    // A number that moves with every schema change of the system, where reading it is cheap
    // enough to do before each live fetch (SQLite: PRAGMA schema_version); nullopt elsewhere.
    [[nodiscard]] virtual std::optional<qint64> schemaVersion() { return std::nullopt; }

    [[nodiscard]] const SystemSpec &system() const { return m_system; }

protected:
    explicit Connector(SystemSpec system) : m_system(std::move(system)) {}
    // "system 'src' (postgres)": how every message names where it happened.
    [[nodiscard]] QString where() const
    {
        return QStringLiteral("system '%1' (%2)").arg(m_system.name, systemKindName(m_system.kind));
    }

    static constexpr size_t BatchRows = 8192;

private:
    SystemSpec m_system;
};

} // namespace syncdesk
