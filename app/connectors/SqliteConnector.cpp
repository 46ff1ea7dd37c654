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
#include <vector>

namespace syncdesk {

namespace {

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
                            .arg(where(), system().path));
    if (!file.isReadable())
        throw SyncError(QStringLiteral("%1: database file %2 is not readable")
                            .arg(where(), system().path));
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    if (!db.isValid())
        throw SyncError(QStringLiteral("%1: the Qt SQLite driver (QSQLITE) is not installed")
                            .arg(where()));
    db.setDatabaseName(system().path);
    db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open())
        throw SyncError(QStringLiteral("%1: cannot open %2: %3")
                            .arg(where(), system().path, db.lastError().text()));
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
    return QStringLiteral("SELECT %1 FROM %2.%3%4 ORDER BY %5")
        .arg(select.join(QStringLiteral(", ")), quoted(schemaOf(request.table)),
             quoted(request.table.name),
             notNull.isEmpty() ? QString() : QStringLiteral(" WHERE ") + notNull.join(QStringLiteral(" AND ")),
             order.join(QStringLiteral(", ")));
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
                                 QString::fromUtf8(sqlite3_errmsg(handle))));
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
                                 QString::fromUtf8(sqlite3_errmsg(handle))));
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
                                 QString::fromUtf8(sqlite3_errmsg(handle))));
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
                                     QString::fromUtf8(sqlite3_errmsg(handle))));
        }
    }
    return rows;
}

TableRef SqliteConnector::qualified(const TableRef &table)
{
    return {schemaOf(table), table.name};
}

bool SqliteConnector::write(const ScanRequest &request, RowEncoder &encoder, const KeyText &key,
                            const RowHash &expected,
                            const std::optional<QList<std::optional<QByteArray>>> &values)
{
    // Scans read through a read-only connection; a write gets its own, closed afterwards.
    const QString name = m_connectionName + QStringLiteral("-write");
    struct Closer
    {
        QString name;
        ~Closer()
        {
            QSqlDatabase::database(name, false).close();
            QSqlDatabase::removeDatabase(name);
        }
    };
    const Closer closer{name}; // also when opening fails
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(system().path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
        if (!db.open())
            throw SyncError(QStringLiteral("%1: cannot open %2 for writing: %3")
                                .arg(where(), system().path, db.lastError().text()));
    }
    sqlite3 *handle = nativeHandle(QSqlDatabase::database(name, false));
    auto fail = [&](const QString &what) {
        sqlite3_exec(handle, "ROLLBACK", nullptr, nullptr, nullptr);
        return SyncError(QStringLiteral("%1: %2 in %3 failed: %4")
                             .arg(where(), what, request.table.display(),
                                  QString::fromUtf8(sqlite3_errmsg(handle))));
    };
    auto prepare = [&](const QString &sql) {
        const QByteArray utf8 = sql.toUtf8();
        sqlite3_stmt *raw = nullptr;
        if (sqlite3_prepare_v2(handle, utf8.constData(), int(utf8.size()), &raw, nullptr) != SQLITE_OK)
            throw fail(QStringLiteral("preparing a write"));
        return Statement(raw, &sqlite3_finalize);
    };
    QStringList select, conditions, keyNames;
    for (const ColumnInfo &k : request.keys) {
        select << quoted(k.name);
        keyNames << quoted(k.name);
        conditions << quoted(k.name) + QStringLiteral(" = ?");
    }
    for (const ColumnInfo &f : request.fields)
        select << quoted(f.name);
    const QString table = quoted(schemaOf(request.table)) + u'.' + quoted(request.table.name);
    const QString whereKey = conditions.join(QStringLiteral(" AND "));
    std::vector<QByteArray> keyBytes;
    for (const auto &v : key)
        keyBytes.push_back(v.value_or(QString()).toUtf8());
    auto bindKey = [&](sqlite3_stmt *s, int first) {
        for (int i = 0; i < int(keyBytes.size()); ++i)
            sqlite3_bind_text(s, first + i, keyBytes[size_t(i)].constData(),
                              int(keyBytes[size_t(i)].size()), SQLITE_TRANSIENT);
    };
    // A field's canonical text bound the way SQLite stores such a value.
    auto bindField = [&](sqlite3_stmt *s, int index, FieldClass cls, const std::optional<QByteArray> &v) {
        if (!v) {
            sqlite3_bind_null(s, index);
        } else if (cls == FieldClass::Bytes) {
            const QByteArray bytes = QByteArray::fromHex(*v);
            sqlite3_bind_blob(s, index, bytes.constData(), int(bytes.size()), SQLITE_TRANSIENT);
        } else if (cls == FieldClass::Boolean && (*v == "true" || *v == "false")) {
            sqlite3_bind_int(s, index, *v == "true" ? 1 : 0);
        } else {
            sqlite3_bind_text(s, index, v->constData(), int(v->size()), SQLITE_TRANSIENT);
        }
    };

    if (sqlite3_exec(handle, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
        throw fail(QStringLiteral("starting a write"));
    RowHash now;
    {
        const Statement current = prepare(QStringLiteral("SELECT %1 FROM %2 WHERE %3")
                                              .arg(select.join(QStringLiteral(", ")), table, whereKey));
        bindKey(current.get(), 1);
        const int rc = sqlite3_step(current.get());
        if (rc == SQLITE_ROW) {
            std::vector<RawValue> raw(size_t(request.keys.size() + request.fields.size()));
            readRow(current.get(), raw);
            EncodedRow row;
            if (encoder.encodeRow(raw.data(), raw.data() + request.keys.size(), row))
                now = row.hash;
        } else if (rc != SQLITE_DONE) {
            throw fail(QStringLiteral("reading the row"));
        }
    }
    if (now != expected) {
        sqlite3_exec(handle, "ROLLBACK", nullptr, nullptr, nullptr);
        return false;
    }
    const int keyCount = int(request.keys.size());
    Statement change(nullptr, &sqlite3_finalize);
    if (!values) {
        if (now) {
            change = prepare(QStringLiteral("DELETE FROM %1 WHERE %2").arg(table, whereKey));
            bindKey(change.get(), 1);
        }
    } else if (now) {
        QStringList assignments;
        for (const ColumnInfo &f : request.fields)
            assignments << quoted(f.name) + QStringLiteral(" = ?");
        if (!assignments.isEmpty()) {
            change = prepare(QStringLiteral("UPDATE %1 SET %2 WHERE %3")
                                 .arg(table, assignments.join(QStringLiteral(", ")), whereKey));
            for (int f = 0; f < int(request.fields.size()); ++f)
                bindField(change.get(), f + 1, request.fields[f].cls, values->value(f));
            bindKey(change.get(), int(request.fields.size()) + 1);
        }
    } else {
        QStringList names = keyNames;
        for (const ColumnInfo &f : request.fields)
            names << quoted(f.name);
        QStringList marks;
        for (int i = 0; i < names.size(); ++i)
            marks << QStringLiteral("?");
        change = prepare(QStringLiteral("INSERT INTO %1 (%2) VALUES (%3)")
                             .arg(table, names.join(QStringLiteral(", ")), marks.join(QStringLiteral(", "))));
        bindKey(change.get(), 1);
        for (int f = 0; f < int(request.fields.size()); ++f)
            bindField(change.get(), keyCount + f + 1, request.fields[f].cls, values->value(f));
    }
    if (change && sqlite3_step(change.get()) != SQLITE_DONE)
        throw fail(QStringLiteral("writing the row"));
    change.reset();
    if (sqlite3_exec(handle, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
        throw fail(QStringLiteral("committing the write"));
    return true;
}

} // namespace syncdesk
