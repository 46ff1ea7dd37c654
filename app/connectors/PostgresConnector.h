#pragma once

#include "Connector.h"

#include <memory>

namespace syncdesk {

class PgConnection;

// A PostgreSQL system through libpq: scans stream COPY (SELECT … ORDER BY key) TO STDOUT.
class PostgresConnector final : public Connector
{
public:
    explicit PostgresConnector(SystemSpec system);
    ~PostgresConnector() override;

    void open() override;
    [[nodiscard]] TableRef qualified(const TableRef &table) override;
    [[nodiscard]] QList<TableRef> tables() override;
    [[nodiscard]] QStringList columns(const TableRef &table) override;
    [[nodiscard]] QList<ColumnInfo> describe(const TableRef &table,
                                             const QStringList &columns) override;
    ScanStats scan(const ScanRequest &request, RowEncoder &encoder, BatchQueue &queue) override;
    [[nodiscard]] QList<EncodedRow> fetch(const ScanRequest &request, RowEncoder &encoder,
                                          const QList<KeyText> &keys) override;
    [[nodiscard]] std::unique_ptr<RowLock> lockRows(const ScanRequest &request, RowEncoder &encoder,
                                             const QList<KeyText> &keys) override;
    [[nodiscard]] QList<BoundStatement> writeStatements(const ScanRequest &request,
                                                        const KeyText &key, bool exists,
                                                        const std::optional<QList<FieldText>> &values) override;

    [[nodiscard]] OrderCost orderCost(const ScanRequest &request) override;
    [[nodiscard]] bool keyIsUnique(const ScanRequest &request) override;

    // The planner's row count of a qualified table (pg_class.reltuples); -1 where it has none
    // (never analysed, a view, a foreign or partitioned parent, no such table). One catalog
    // read: what `diff --method auto` sizes a table by before anything else.
    [[nodiscard]] qint64 plannedRows(const TableRef &qualified);
    [[nodiscard]] static qint64 plannedRows(PgConnection &conn, const TableRef &qualified);

    // The statement scan() runs, for logs, EXPLAIN and tests.
    [[nodiscard]] QByteArray scanQuery(const ScanRequest &request) const;
    // Its SELECT, without the COPY around it.
    [[nodiscard]] QByteArray selectQuery(const ScanRequest &request) const;

    // A full read whose server sends nothing for this long is given up as hung. Generous: the
    // server may sort a large table before its first row.
    static constexpr int ScanAnswerTimeoutMs = 5 * 60 * 1000;

    [[nodiscard]] quint64 lastReadHorizon() const override { return m_readHorizon; }
    [[nodiscard]] std::optional<TxSnapshot> lastReadSnapshot() const override { return m_readSnapshot; }
    [[nodiscard]] std::optional<TxSnapshot> currentSnapshot() override;

private:
    [[nodiscard]] QString resolveSchema(const TableRef &table);
    // The statement fetch() binds for this request and form (one key or a batch), built once:
    // building it anew was about a tenth of a live change's own work.
    [[nodiscard]] const QByteArray &fetchStatement(const ScanRequest &resolved, bool single);

    struct FetchStatement
    {
        TableRef table;
        QList<ColumnInfo> keys;
        QList<ColumnInfo> fields;
        bool single = false;
        bool withHorizon = false;
        bool xid8Snapshot = false; // pg_current_snapshot() (13+), else txid_current_snapshot()
        QByteArray sql;
    };
    static constexpr qsizetype MaxFetchStatements = 32;
    QList<FetchStatement> m_fetchStatements;
    std::unique_ptr<PgConnection> m_conn;
    quint64 m_readHorizon = 0; // of the last fetch()
    std::optional<TxSnapshot> m_readSnapshot; // of the last fetch()
    // The function that prints the statement's snapshot on this server.
    [[nodiscard]] const char *snapshotFunction() const;
};

} // namespace syncdesk
