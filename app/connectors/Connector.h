#pragma once

#include "ColumnInfo.h"
#include "model/RecordState.h"
#include "model/Workspace.h"

#include <QList>
#include <QStringList>

#include <optional>

namespace syncdesk {

class BatchQueue;
class RowEncoder;
struct EncodedRow;

// One key's column values as text, as change feeds deliver them (nullopt for NULL).
using KeyText = QList<std::optional<QString>>;

// What one scan reads: the key columns then the compared fields, with the classes the flow
// resolved for both sides.
struct ScanRequest
{
    TableRef table;
    QList<ColumnInfo> keys;
    QList<ColumnInfo> fields;
};

struct ScanStats
{
    qint64 rows = 0;
    qint64 nullKeyRows = 0; // rows left out because a key column is NULL: they name no record
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
    // Streams (key, row hash) in key order into `queue`, in batches. Returns when the table
    // is read or the queue was cancelled.
    virtual ScanStats scan(const ScanRequest &request, RowEncoder &encoder, BatchQueue &queue) = 0;
    // The current rows of `keys`; keys with no row are left out. `request` as for scan().
    [[nodiscard]] virtual QList<EncodedRow> fetch(const ScanRequest &request, RowEncoder &encoder,
                                                  const QList<KeyText> &keys) = 0;
    // Makes the row of `key` hold `values` (canonical texts in field order; nullopt: no row),
    // in one transaction, only if it still hashes to `expected` (nullopt: absent). Returns
    // false, having written nothing, when it does not; throws SyncError on failure.
    [[nodiscard]] virtual bool write(const ScanRequest &request, RowEncoder &encoder,
                                     const KeyText &key, const RowHash &expected,
                                     const std::optional<QList<std::optional<QByteArray>>> &values) = 0;

    // `table` with its schema filled in, as change feeds name it (search path resolved).
    [[nodiscard]] virtual TableRef qualified(const TableRef &table) = 0;

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
