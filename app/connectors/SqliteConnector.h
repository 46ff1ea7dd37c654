#pragma once

#include "Connector.h"

#include <QString>

class QSqlDatabase;
struct sqlite3;

namespace syncdesk {

// An SQLite file through Qt Sql, opened read-only for scans (a missing file is an error, never
// a new empty database). Scans order text keys with the BINARY collation: byte order.
class SqliteConnector final : public Connector
{
public:
    explicit SqliteConnector(SystemSpec system);
    ~SqliteConnector() override;

    void open() override;
    [[nodiscard]] TableRef qualified(const TableRef &table) override;
    [[nodiscard]] std::optional<qint64> schemaVersion() override;
    [[nodiscard]] QList<TableRef> tables() override;
    [[nodiscard]] QStringList columns(const TableRef &table) override;
    [[nodiscard]] QList<ColumnInfo> describe(const TableRef &table,
                                             const QStringList &columns) override;
    ScanStats scan(const ScanRequest &request, RowEncoder &encoder, BatchQueue &queue) override;
    [[nodiscard]] OrderCost orderCost(const ScanRequest &request) override;
    [[nodiscard]] bool keyIsUnique(const ScanRequest &request) override;
    [[nodiscard]] QList<EncodedRow> fetch(const ScanRequest &request, RowEncoder &encoder,
                                          const QList<KeyText> &keys) override;
    [[nodiscard]] std::unique_ptr<RowLock> lockRows(const ScanRequest &request, RowEncoder &encoder,
                                             const QList<KeyText> &keys) override;
    [[nodiscard]] QList<BoundStatement> writeStatements(const ScanRequest &request,
                                                        const KeyText &key, bool exists,
                                                        const std::optional<QList<FieldText>> &values) override;

    [[nodiscard]] QString scanQuery(const ScanRequest &request) const;

    // SQLite's declared type → class, after SQLite's own affinity rules, with booleans and
    // timestamps recognised by name.
    [[nodiscard]] static FieldClass classOfDeclaredType(const QString &declared);
    // The sqlite3 handle behind a Qt Sql connection. Only valid when the Qt driver uses the
    // same SQLite library we link (Debian's does); a version check catches one with its own.
    [[nodiscard]] static sqlite3 *nativeHandle(const QSqlDatabase &db);
    // "name" with inner quotes doubled: SQLite's identifier quoting.
    [[nodiscard]] static QString quoteIdentifier(const QString &identifier);

private:
    QString m_connectionName;
};

} // namespace syncdesk
