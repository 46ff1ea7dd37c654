#include "SqliteConnector.h"

#include "BatchQueue.h"
#include "model/RowEncoder.h"
#include "model/SyncError.h"

#include <QAtomicInteger>
#include <QFileInfo>
#include <QHash>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QVariant>

#include <sqlite3.h>

#include <memory>
#include <utility>
#include <vector>

namespace syncdesk {

namespace {

// A locked, busy or vanished file is the system being unavailable (retried, one incident);
// anything else (no such table, a bad value) is the flow's own fault.
SyncError::Kind kindOf(int rc)
{
    switch (rc & 0xFF) { // the primary code of an extended one
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return SyncError::Kind::Unavailable;
    default:
        return SyncError::Kind::Other;
    }
}


const auto quoted = &SqliteConnector::quoteIdentifier;

} // namespace

sqlite3 *SqliteConnector::nativeHandle(const QSqlDatabase &db)
{
    const QVariant h = db.driver()->handle();
    if (!h.isValid() || qstrcmp(h.typeName(), "sqlite3*") != 0)
        throw SyncError(QStringLiteral("the Qt SQLite driver does not expose its sqlite3 handle"));
    sqlite3 *handle = *static_cast<sqlite3 *const *>(h.constData());
    QSqlQuery version(db);
    if (!version.exec(QStringLiteral("SELECT sqlite_version()")) || !version.next()
        || version.value(0).toString() != QString::fromLatin1(sqlite3_libversion()))
        throw SyncError(QStringLiteral("the Qt SQLite driver uses another SQLite library than "
                                       "SyncDesk (%1); rebuild against the system SQLite")
                            .arg(QString::fromLatin1(sqlite3_libversion())));
    return handle;
}

namespace {

// The current row of `stmt` as raw values; views stay valid until the next step.
void readRow(sqlite3_stmt *stmt, std::vector<RawValue> &values)
{
    for (int i = 0; i < int(values.size()); ++i) {
        RawValue &v = values[size_t(i)];
        switch (sqlite3_column_type(stmt, i)) {
        case SQLITE_INTEGER:
            v = RawValue::ofInteger(sqlite3_column_int64(stmt, i));
            break;
        case SQLITE_FLOAT:
            v = RawValue::ofReal(sqlite3_column_double(stmt, i));
            break;
        case SQLITE_TEXT: {
            const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(stmt, i));
            v = RawValue::text({text, size_t(sqlite3_column_bytes(stmt, i))});
            break;
        }
        case SQLITE_BLOB: {
            const auto *blob = static_cast<const char *>(sqlite3_column_blob(stmt, i));
            v = RawValue::blob({blob, size_t(sqlite3_column_bytes(stmt, i))});
            break;
        }
        default:
            v = RawValue::null();
        }
    }
}

using Statement = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;

QString schemaOf(const TableRef &table)
{
    return table.schema.isEmpty() ? QStringLiteral("main") : table.schema;
}

} // namespace

SqliteConnector::SqliteConnector(SystemSpec system) : Connector(std::move(system))
{
    static QAtomicInteger<quint64> counter;
    m_connectionName = QStringLiteral("syncdesk-sqlite-%1").arg(counter.fetchAndAddRelaxed(1));
}

SqliteConnector::~SqliteConnector()
{
    if (QSqlDatabase::contains(m_connectionName)) {
        QSqlDatabase::database(m_connectionName, false).close();
        QSqlDatabase::removeDatabase(m_connectionName);
    }
}

void SqliteConnector::open()
{
    const QFileInfo file(system().path);
    if (!file.exists())
        throw SyncError(QStringLiteral("%1: database file %2 does not exist")
                            .arg(where(), system().path),
                        SyncError::Kind::Unavailable, system().name);
    if (!file.isReadable())
        throw SyncError(QStringLiteral("%1: database file %2 is not readable")
                            .arg(where(), system().path),
                        SyncError::Kind::Unavailable, system().name);
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    if (!db.isValid())
        throw SyncError(QStringLiteral("%1: the Qt SQLite driver (QSQLITE) is not installed")
                            .arg(where()));
    db.setDatabaseName(system().path);
    db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open())
        throw SyncError(QStringLiteral("%1: cannot open %2: %3")
                            .arg(where(), system().path, db.lastError().text()),
                        SyncError::Kind::Unavailable, system().name);
    // Reading the schema proves the file is an SQLite database, not just any file.
    QSqlQuery probe(db);
    if (!probe.exec(QStringLiteral("SELECT count(*) FROM sqlite_schema")))
        throw SyncError(QStringLiteral("%1: %2 is not a readable SQLite database: %3")
                            .arg(where(), system().path, probe.lastError().text()));
}

QString SqliteConnector::quoteIdentifier(const QString &identifier)
{
    QString out = identifier;
    out.replace(u'"', QStringLiteral("\"\""));
    return u'"' + out + u'"';
}

FieldClass SqliteConnector::classOfDeclaredType(const QString &declared)
{
    const QString t = declared.toUpper();
    if (t.contains(QLatin1String("BOOL")))
        return FieldClass::Boolean;
    if (t.contains(QLatin1String("TIMESTAMP")) || t.contains(QLatin1String("DATETIME")))
        return FieldClass::Instant;
    // SQLite's affinity rules, in its order (https://sqlite.org/datatype3.html, 3.1).
    if (t.contains(QLatin1String("INT")))
        return FieldClass::Numeric;
    if (t.contains(QLatin1String("CHAR")) || t.contains(QLatin1String("CLOB"))
        || t.contains(QLatin1String("TEXT")))
        return FieldClass::Text;
    if (t.contains(QLatin1String("BLOB")))
        return FieldClass::Bytes;
    if (t.isEmpty())
        return FieldClass::Text; // no affinity: each value keeps its own storage class
    return FieldClass::Numeric; // REAL, FLOAT, DOUBLE, NUMERIC, DECIMAL, …
}

QList<ColumnInfo> SqliteConnector::describe(const TableRef &table, const QStringList &columns)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?, ?)"));
    q.addBindValue(table.name);
    q.addBindValue(schemaOf(table));
    if (!q.exec())
        throw SyncError(QStringLiteral("%1: cannot read the columns of %2: %3")
                            .arg(where(), table.display(), q.lastError().text()));
    QHash<QString, ColumnInfo> found;
    while (q.next()) {
        ColumnInfo c;
        c.name = q.value(0).toString();
        c.typeName = q.value(1).toString();
        c.cls = classOfDeclaredType(c.typeName);
        c.nullable = q.value(2).toInt() == 0;
        // An INTEGER PRIMARY KEY is the rowid: never NULL.
        if (q.value(3).toInt() > 0 && c.typeName.compare(QLatin1String("INTEGER"), Qt::CaseInsensitive) == 0)
            c.nullable = false;
        found.insert(c.name, c);
    }
    if (found.isEmpty())
        throw SyncError(QStringLiteral("%1: table %2 does not exist in %3")
                            .arg(where(), table.display(), system().path));
    QList<ColumnInfo> out;
    for (const QString &name : columns) {
        if (!found.contains(name))
            throw SyncError(QStringLiteral("%1: table %2 has no column '%3'")
                                .arg(where(), table.display(), name));
        out.append(found.value(name));
    }
    return out;
}

QString SqliteConnector::scanQuery(const ScanRequest &request) const
{
    QStringList select, order, notNull;
    for (const ColumnInfo &k : request.keys) {
        select << quoted(k.name);
        order << quoted(k.name) + (k.cls == FieldClass::Text ? QStringLiteral(" COLLATE BINARY")
                                                             : QString());
        if (k.nullable)
            notNull << quoted(k.name) + QStringLiteral(" IS NOT NULL");
    }
    for (const ColumnInfo &f : request.fields)
        select << quoted(f.name);
    return QStringLiteral("SELECT %1 FROM %2.%3%4%5")
        .arg(select.join(QStringLiteral(", ")), quoted(schemaOf(request.table)),
             quoted(request.table.name),
             notNull.isEmpty() ? QString() : QStringLiteral(" WHERE ") + notNull.join(QStringLiteral(" AND ")),
             request.ordered ? QStringLiteral(" ORDER BY ") + order.join(QStringLiteral(", ")) : QString());
}

bool SqliteConnector::keyIsUnique(const ScanRequest &request)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QStringList keys;
    for (const ColumnInfo &k : request.keys) {
        // No declared type, no affinity: 1 and '1' may both be stored, distinct to SQLite but
        // one key to the flow. Every other affinity makes them one value before the index sees it.
        if (k.typeName.trimmed().isEmpty() || k.typeName.contains(QLatin1String("BLOB"), Qt::CaseInsensitive))
            return false;
        keys << k.name;
    }
    keys.sort();
    const QString table = quoted(schemaOf(request.table)) + u'.';
    QSqlQuery q(db);
    // An INTEGER PRIMARY KEY is the rowid itself: unique, and in no index list.
    if (keys.size() == 1 && q.exec(QStringLiteral("PRAGMA %1table_info(%2)").arg(table, quoted(request.table.name)))) {
        int pkColumns = 0;
        bool rowid = false;
        while (q.next()) {
            if (q.value(5).toInt() > 0) {
                ++pkColumns;
                rowid = q.value(1).toString() == keys.first()
                        && q.value(2).toString().compare(QLatin1String("INTEGER"), Qt::CaseInsensitive) == 0;
            }
        }
        if (pkColumns == 1 && rowid)
            return true;
    }
    // Any unique index (a primary key's too) over exactly the key columns, without a WHERE:
    // BINARY is the finest equality SQLite has, so it refuses at least what the flow would.
    if (!q.exec(QStringLiteral("PRAGMA %1index_list(%2)").arg(table, quoted(request.table.name))))
        return false;
    QStringList unique;
    while (q.next()) {
        if (q.value(2).toInt() == 1 && q.value(4).toInt() == 0) // unique, not partial
            unique << q.value(1).toString();
    }
    for (const QString &index : unique) {
        QSqlQuery info(db);
        if (!info.exec(QStringLiteral("PRAGMA %1index_info(%2)").arg(table, quoted(index))))
            continue;
        QStringList columns;
        while (info.next())
            columns << info.value(2).toString();
        columns.sort();
        if (columns == keys)
            return true;
    }
    return false;
}

Connector::OrderCost SqliteConnector::orderCost(const ScanRequest &request)
{
    ScanRequest ordered = request;
    ordered.ordered = true;
    QSqlQuery plan(QSqlDatabase::database(m_connectionName, false));
    if (!plan.exec(QStringLiteral("EXPLAIN QUERY PLAN ") + scanQuery(ordered)))
        throw SyncError(QStringLiteral("%1: cannot plan the scan of %2: %3")
                            .arg(where(), request.table.display(), plan.lastError().text()));
    while (plan.next()) {
        if (plan.value(3).toString().contains(QLatin1String("TEMP B-TREE")))
            return OrderCost::Sort;
    }
    // Rows looked up through an index in its order count as free: from a local file in the
    // page cache that costs less than pairing unordered rows by hash (measured).
    return OrderCost::Free;
}

ScanStats SqliteConnector::scan(const ScanRequest &request, RowEncoder &encoder, BatchQueue &queue)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    ScanStats stats;
    QStringList anyNull;
    for (const ColumnInfo &k : request.keys) {
        if (k.nullable)
            anyNull << quoted(k.name) + QStringLiteral(" IS NULL");
    }
    if (!anyNull.isEmpty()) {
        QSqlQuery count(db);
        if (!count.exec(QStringLiteral("SELECT count(*) FROM %1.%2 WHERE %3")
                            .arg(quoted(schemaOf(request.table)), quoted(request.table.name),
                                 anyNull.join(QStringLiteral(" OR "))))
            || !count.next())
            throw SyncError(QStringLiteral("%1: scan of %2 failed: %3")
                                .arg(where(), request.table.display(), count.lastError().text()));
        stats.nullKeyRows = count.value(0).toLongLong();
    }

    // The hot loop reads through the connection's native statement: Qt Sql's per-value
    // QVariant and UTF-16 round trip cost three times what SQLite itself needs per row.
    sqlite3 *handle = nativeHandle(db);
    const QByteArray sql = scanQuery(request).toUtf8();
    sqlite3_stmt *raw = nullptr;
    if (sqlite3_prepare_v2(handle, sql.constData(), int(sql.size()), &raw, nullptr) != SQLITE_OK)
        throw SyncError(QStringLiteral("%1: scan of %2 failed: %3")
                            .arg(where(), request.table.display(),
                                 QString::fromUtf8(sqlite3_errmsg(handle))),
                        kindOf(sqlite3_extended_errcode(handle)), system().name);
    const Statement stmt(raw, &sqlite3_finalize);
    const int keyCount = int(request.keys.size());
    const int columnCount = keyCount + int(request.fields.size());
    std::vector<RawValue> values(static_cast<size_t>(columnCount));
    auto batch = queue.emptyBatch();
    int rc;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
        readRow(raw, values);
        if (!encoder.append(values.data(), values.data() + keyCount, *batch))
            throw SyncError(QStringLiteral("%1: a key value of %2 does not read as the key's type "
                                           "(%3)").arg(where(), request.table.display(),
                                                       request.keys.first().typeName));
        ++stats.rows;
        if (batch->size() == BatchRows) {
            if (!queue.push(std::move(batch)))
                return stats;
            batch = queue.emptyBatch();
        }
    }
    if (rc != SQLITE_DONE)
        throw SyncError(QStringLiteral("%1: scan of %2 failed: %3")
                            .arg(where(), request.table.display(),
                                 QString::fromUtf8(sqlite3_errmsg(handle))),
                        kindOf(sqlite3_extended_errcode(handle)), system().name);
    if (batch->size() > 0)
        (void)queue.push(std::move(batch)); // false only if the merge already stopped
    return stats;
}

QList<EncodedRow> SqliteConnector::fetch(const ScanRequest &request, RowEncoder &encoder,
                                         const QList<KeyText> &keys)
{
    QList<EncodedRow> rows;
    if (keys.isEmpty())
        return rows;
    sqlite3 *handle = nativeHandle(QSqlDatabase::database(m_connectionName, false));
    QStringList select, conditions;
    for (const ColumnInfo &k : request.keys) {
        select << quoted(k.name);
        conditions << quoted(k.name) + QStringLiteral(" = ?");
    }
    for (const ColumnInfo &f : request.fields)
        select << quoted(f.name);
    const QByteArray sql = QStringLiteral("SELECT %1 FROM %2.%3 WHERE %4")
                               .arg(select.join(QStringLiteral(", ")), quoted(schemaOf(request.table)),
                                    quoted(request.table.name), conditions.join(QStringLiteral(" AND ")))
                               .toUtf8();
    sqlite3_stmt *raw = nullptr;
    if (sqlite3_prepare_v2(handle, sql.constData(), int(sql.size()), &raw, nullptr) != SQLITE_OK)
        throw SyncError(QStringLiteral("%1: fetch from %2 failed: %3")
                            .arg(where(), request.table.display(),
                                 QString::fromUtf8(sqlite3_errmsg(handle))),
                        kindOf(sqlite3_extended_errcode(handle)), system().name);
    const Statement stmt(raw, &sqlite3_finalize);
    std::vector<RawValue> values(size_t(request.keys.size() + request.fields.size()));
    // Point lookups by primary key take microseconds in SQLite: one prepared statement, reset
    // per key, costs less than building a batch query.
    for (const KeyText &key : keys) {
        sqlite3_reset(raw);
        for (int i = 0; i < int(key.size()); ++i) {
            const QByteArray text = key[i].value_or(QString()).toUtf8();
            sqlite3_bind_text(raw, i + 1, text.constData(), int(text.size()), SQLITE_TRANSIENT);
        }
        const int rc = sqlite3_step(raw);
        if (rc == SQLITE_ROW) {
            readRow(raw, values);
            EncodedRow encoded;
            if (encoder.encodeRow(values.data(), values.data() + request.keys.size(), encoded))
                rows.append(std::move(encoded));
        } else if (rc != SQLITE_DONE) {
            throw SyncError(QStringLiteral("%1: fetch from %2 failed: %3")
                                .arg(where(), request.table.display(),
                                     QString::fromUtf8(sqlite3_errmsg(handle))),
                        kindOf(sqlite3_extended_errcode(handle)), system().name);
        }
    }
    return rows;
}

std::optional<qint64> SqliteConnector::schemaVersion()
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    if (!q.exec(QStringLiteral("PRAGMA schema_version")) || !q.next())
        throw SyncError(QStringLiteral("%1: cannot read the schema version: %2").arg(where(), q.lastError().text()));
    return q.value(0).toLongLong();
}

QList<TableRef> SqliteConnector::tables()
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    if (!q.exec(QStringLiteral("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') "
                               "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")))
        throw SyncError(QStringLiteral("%1: cannot list the tables: %2").arg(where(), q.lastError().text()));
    QList<TableRef> out;
    while (q.next())
        out.append({QString(), q.value(0).toString()});
    return out;
}

QStringList SqliteConnector::columns(const TableRef &table)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("SELECT name FROM pragma_table_info(?, ?) ORDER BY cid"));
    q.addBindValue(table.name);
    q.addBindValue(schemaOf(table));
    if (!q.exec())
        throw SyncError(QStringLiteral("%1: cannot list the columns of %2: %3")
                            .arg(where(), table.display(), q.lastError().text()));
    QStringList out;
    while (q.next())
        out << q.value(0).toString();
    return out;
}

TableRef SqliteConnector::qualified(const TableRef &table)
{
    return {schemaOf(table), table.name};
}

namespace {

// One bound value as SQLite stores such a field: a canonical text of the field's class.
struct SqliteBind
{
    enum class Kind { Null, Text, Blob, Integer } kind = Kind::Null;
    QByteArray bytes;
    int integer = 0;

    static SqliteBind of(FieldClass cls, const FieldText &v)
    {
        if (!v)
            return {};
        if (cls == FieldClass::Bytes)
            return {Kind::Blob, QByteArray::fromHex(*v), 0};
        if (cls == FieldClass::Boolean && (*v == "true" || *v == "false"))
            return {Kind::Integer, {}, *v == "true" ? 1 : 0};
        return {Kind::Text, *v, 0};
    }
    void bind(sqlite3_stmt *s, int index) const
    {
        switch (kind) {
        case Kind::Null:
            sqlite3_bind_null(s, index);
            break;
        case Kind::Text:
            sqlite3_bind_text(s, index, bytes.constData(), int(bytes.size()), SQLITE_TRANSIENT);
            break;
        case Kind::Blob:
            sqlite3_bind_blob(s, index, bytes.constData(), int(bytes.size()), SQLITE_TRANSIENT);
            break;
        case Kind::Integer:
            sqlite3_bind_int(s, index, integer);
            break;
        }
    }
    [[nodiscard]] std::optional<QString> display() const
    {
        switch (kind) {
        case Kind::Null:
            return std::nullopt;
        case Kind::Blob:
            return QStringLiteral("x'%1'").arg(QString::fromLatin1(bytes.toHex()));
        case Kind::Integer:
            return QString::number(integer);
        case Kind::Text:
            break;
        }
        return QString::fromUtf8(bytes);
    }
};

struct SqliteStatement
{
    QString sql;
    QList<SqliteBind> binds;

    [[nodiscard]] BoundStatement bound() const
    {
        BoundStatement b{sql, {}};
        for (const SqliteBind &v : binds)
            b.values << v.display();
        return b;
    }
};

// The SQL of one record's write, built in one place for the write and for its preview.
class SqliteWriteSql
{
public:
    SqliteWriteSql(const ScanRequest &r, const KeyText &key) : m_request(r)
    {
        QStringList conditions;
        for (qsizetype k = 0; k < r.keys.size(); ++k) {
            m_select << quoted(r.keys[k].name);
            m_names << quoted(r.keys[k].name);
            conditions << quoted(r.keys[k].name) + QStringLiteral(" = ?");
            m_keys << SqliteBind{SqliteBind::Kind::Text, key.value(k).value_or(QString()).toUtf8(), 0};
        }
        for (const ColumnInfo &f : r.fields)
            m_select << quoted(f.name);
        m_table = quoted(schemaOf(r.table)) + u'.' + quoted(r.table.name);
        m_where = conditions.join(QStringLiteral(" AND "));
    }

    [[nodiscard]] SqliteStatement lock() const
    {
        return {QStringLiteral("SELECT %1 FROM %2 WHERE %3")
                    .arg(m_select.join(QStringLiteral(", ")), m_table, m_where),
                m_keys};
    }

    // Nothing when the row already is as asked (absent and to be absent).
    [[nodiscard]] std::optional<SqliteStatement> change(bool exists,
                                                        const std::optional<QList<FieldText>> &values) const
    {
        if (!values) {
            if (!exists)
                return std::nullopt;
            return SqliteStatement{QStringLiteral("DELETE FROM %1 WHERE %2").arg(m_table, m_where), m_keys};
        }
        QList<SqliteBind> fields;
        QStringList assignments, names = m_names, marks;
        for (qsizetype f = 0; f < m_request.fields.size(); ++f) {
            fields << SqliteBind::of(m_request.fields[f].cls, values->value(f));
            assignments << quoted(m_request.fields[f].name) + QStringLiteral(" = ?");
            names << quoted(m_request.fields[f].name);
        }
        if (exists) {
            if (assignments.isEmpty())
                return std::nullopt;
            return SqliteStatement{QStringLiteral("UPDATE %1 SET %2 WHERE %3")
                                       .arg(m_table, assignments.join(QStringLiteral(", ")), m_where),
                                   fields + m_keys};
        }
        for (qsizetype i = 0; i < names.size(); ++i)
            marks << QStringLiteral("?");
        return SqliteStatement{QStringLiteral("INSERT INTO %1 (%2) VALUES (%3)")
                                   .arg(m_table, names.join(QStringLiteral(", ")),
                                        marks.join(QStringLiteral(", "))),
                               m_keys + fields};
    }

private:
    const ScanRequest &m_request;
    QStringList m_select, m_names;
    QString m_table, m_where;
    QList<SqliteBind> m_keys;
};

// The row under BEGIN IMMEDIATE (SQLite's write lock is the database's) on a connection of its
// own: scans read through a read-only one.
class SqliteRowLock final : public RowLock
{
public:
    SqliteRowLock(const QString &connectionName, const QString &path, QString where,
                  ScanRequest request, RowEncoder &encoder, const QList<KeyText> &keys)
        : m_name(connectionName), m_where(std::move(where)), m_request(std::move(request))
    {
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
            db.setDatabaseName(path);
            db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
            if (!db.open()) {
                const QString error = db.lastError().text();
                close();
                throw SyncError(QStringLiteral("%1: cannot open %2 for writing: %3")
                                    .arg(m_where, path, error));
            }
        }
        try {
            m_handle = SqliteConnector::nativeHandle(QSqlDatabase::database(m_name, false));
            if (sqlite3_exec(m_handle, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
                throw failure(QStringLiteral("taking the write lock"));
            m_open = true;
            m_sql.reserve(size_t(keys.size()));
            m_rows.resize(size_t(keys.size()));
            std::vector<RawValue> raw(size_t(m_request.keys.size() + m_request.fields.size()));
            for (qsizetype i = 0; i < keys.size(); ++i) {
                const Statement current =
                    run(m_sql.emplace_back(m_request, keys[i]).lock(), QStringLiteral("reading the row"));
                if (m_lastStep == SQLITE_ROW) {
                    readRow(current.get(), raw);
                    EncodedRow row;
                    if (encoder.encodeRow(raw.data(), raw.data() + m_request.keys.size(), row))
                        m_rows[size_t(i)] = std::move(row);
                }
            }
        } catch (...) {
            close(); // no destructor runs for a constructor that throws
            throw;
        }
    }
    ~SqliteRowLock() override { close(); }

    [[nodiscard]] const std::optional<EncodedRow> &row(qsizetype i) const override { return m_rows.at(size_t(i)); }
    // A statement SQLite refuses (a trigger's RAISE(ABORT), a constraint) is undone alone and
    // the transaction goes on, so several records' writes need no savepoints here.
    void write(qsizetype i, const std::optional<QList<FieldText>> &values) override
    {
        if (const auto change = m_sql.at(size_t(i)).change(m_rows.at(size_t(i)).has_value(), values))
            run(*change, QStringLiteral("writing the row"));
    }
    void commit() override
    {
        if (sqlite3_exec(m_handle, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
            throw failure(QStringLiteral("committing the write"));
        m_open = false;
    }

private:
    // Prepares, binds and steps once; the statement stays for reading a returned row.
    Statement run(const SqliteStatement &s, const QString &what)
    {
        const QByteArray utf8 = s.sql.toUtf8();
        sqlite3_stmt *raw = nullptr;
        if (sqlite3_prepare_v2(m_handle, utf8.constData(), int(utf8.size()), &raw, nullptr) != SQLITE_OK)
            throw failure(what);
        Statement stmt(raw, &sqlite3_finalize);
        for (int i = 0; i < int(s.binds.size()); ++i)
            s.binds[i].bind(raw, i + 1);
        m_lastStep = sqlite3_step(raw);
        if (m_lastStep != SQLITE_ROW && m_lastStep != SQLITE_DONE)
            throw failure(what);
        return stmt;
    }
    SyncError failure(const QString &what) const
    {
        return SyncError(QStringLiteral("%1: %2 in %3 failed: %4")
                             .arg(m_where, what, m_request.table.display(),
                                  QString::fromUtf8(sqlite3_errmsg(m_handle))));
    }
    void close()
    {
        if (m_handle && std::exchange(m_open, false))
            sqlite3_exec(m_handle, "ROLLBACK", nullptr, nullptr, nullptr);
        m_handle = nullptr;
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }

    QString m_name;
    QString m_where;
    ScanRequest m_request;
    std::vector<SqliteWriteSql> m_sql; // one per key, in the keys' order
    sqlite3 *m_handle = nullptr;
    std::vector<std::optional<EncodedRow>> m_rows;
    int m_lastStep = SQLITE_DONE;
    bool m_open = false;
};

} // namespace

std::unique_ptr<RowLock> SqliteConnector::lockRows(const ScanRequest &request, RowEncoder &encoder,
                                                   const QList<KeyText> &keys)
{
    return std::make_unique<SqliteRowLock>(m_connectionName + QStringLiteral("-write"),
                                           system().path, where(), request, encoder, keys);
}

QList<BoundStatement> SqliteConnector::writeStatements(const ScanRequest &request, const KeyText &key,
                                                       bool exists,
                                                       const std::optional<QList<FieldText>> &values)
{
    const SqliteWriteSql sql(request, key);
    QList<BoundStatement> out{{QStringLiteral("BEGIN IMMEDIATE"), {}}, sql.lock().bound()};
    if (const auto change = sql.change(exists, values))
        out << change->bound();
    out << BoundStatement{QStringLiteral("COMMIT"), {}};
    return out;
}

} // namespace syncdesk
