#include "PostgresConnector.h"

#include "BatchQueue.h"
#include "PgConnection.h"
#include "PgCopyOut.h"
#include "PgCopyText.h"
#include "PgOutputColumns.h"
#include "model/RowEncoder.h"
#include "model/SyncError.h"

#include <QElapsedTimer>
#include <QHash>

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

namespace syncdesk {

namespace {

FieldClass classOf(const QByteArray &baseType)
{
    static const QHash<QByteArray, FieldClass> classes{
        {"int2", FieldClass::Numeric},      {"int4", FieldClass::Numeric},
        {"int8", FieldClass::Numeric},      {"numeric", FieldClass::Numeric},
        {"float4", FieldClass::Numeric},    {"float8", FieldClass::Numeric},
        {"oid", FieldClass::Numeric},       {"bool", FieldClass::Boolean},
        {"timestamptz", FieldClass::Instant}, {"timestamp", FieldClass::Instant},
        {"bytea", FieldClass::Bytes},
    };
    return classes.value(baseType, FieldClass::Text);
}

} // namespace

PostgresConnector::PostgresConnector(SystemSpec system) : Connector(std::move(system)) {}
PostgresConnector::~PostgresConnector() = default;

void PostgresConnector::open()
{
    // Reads of the live path and the describe/lock statements are short: a server that keeps
    // one waiting this long is stuck (or a lock holds it), and saying so beats hanging.
    m_conn = std::make_unique<PgConnection>(system().conninfo, where(), PgConnection::reader(system().name));
}

QString PostgresConnector::resolveSchema(const TableRef &table)
{
    if (!table.schema.isEmpty())
        return table.schema;
    // Unqualified: the first schema on the search path that has it, as the server would pick.
    const PgResultPtr r = m_conn->exec(
        "describe",
        "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = $1 AND n.nspname = ANY (current_schemas(true)) "
        "ORDER BY array_position(current_schemas(true), n.nspname) LIMIT 1",
        {table.name.toUtf8()});
    if (PQntuples(r.get()) == 0)
        throw SyncError(QStringLiteral("%1: table '%2' not found on the search path (%3)")
                            .arg(where(), table.name,
                                 QString::fromUtf8(PQgetvalue(
                                     m_conn->exec("describe", "SELECT current_setting('search_path')")
                                         .get(),
                                     0, 0))));
    return QString::fromUtf8(PQgetvalue(r.get(), 0, 0));
}

QList<ColumnInfo> PostgresConnector::describe(const TableRef &table, const QStringList &columns)
{
    const QString schema = resolveSchema(table);
    // Text sorts byte-wise only under a C/POSIX libc collation; the database default (oid 100)
    // is the database's own collation, which on PostgreSQL 15+ may come from ICU.
    const QByteArray defaultIsBytewise =
        m_conn->serverVersion() >= 150000
            ? "(SELECT d.datlocprovider = 'c' AND d.datcollate IN ('C', 'POSIX') FROM pg_database d "
              "WHERE d.datname = current_database())"
            : "(SELECT d.datcollate IN ('C', 'POSIX') FROM pg_database d "
              "WHERE d.datname = current_database())";
    const PgResultPtr r = m_conn->exec(
        "describe",
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), bt.typname, NOT a.attnotnull, "
        "  CASE WHEN a.attcollation = 0 THEN true "
        "       WHEN a.attcollation = 100 THEN " + defaultIsBytewise +
        "       ELSE (SELECT co.collprovider = 'c' AND co.collcollate IN ('C', 'POSIX') "
        "             FROM pg_collation co WHERE co.oid = a.attcollation) END, "
        "  format_type(bt.oid, NULL) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "JOIN pg_type t ON t.oid = a.atttypid "
        "JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END "
        "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
        {schema.toUtf8(), table.name.toUtf8()});
    const int rows = PQntuples(r.get());
    if (rows == 0)
        throw SyncError(QStringLiteral("%1: table %2.%3 does not exist (or has no columns)")
                            .arg(where(), schema, table.name));
    QHash<QString, ColumnInfo> found;
    for (int i = 0; i < rows; ++i) {
        ColumnInfo c;
        c.name = QString::fromUtf8(PQgetvalue(r.get(), i, 0));
        c.typeName = QString::fromUtf8(PQgetvalue(r.get(), i, 1));
        c.cls = classOf(QByteArray(PQgetvalue(r.get(), i, 2)));
        c.nullable = *PQgetvalue(r.get(), i, 3) == 't';
        c.byteOrdered = *PQgetvalue(r.get(), i, 4) == 't';
        c.castType = QString::fromUtf8(PQgetvalue(r.get(), i, 5));
        found.insert(c.name, c);
    }
    QList<ColumnInfo> out;
    for (const QString &name : columns) {
        if (!found.contains(name))
            throw SyncError(QStringLiteral("%1: table %2.%3 has no column '%4'")
                                .arg(where(), schema, table.name, name));
        out.append(found.value(name));
    }
    return out;
}

QByteArray PostgresConnector::selectQuery(const ScanRequest &request) const
{
    const QString schema = request.table.schema;
    QByteArray select;
    QByteArray order;
    QByteArray notNull;
    for (const ColumnInfo &k : request.keys) {
        const QByteArray id = m_conn->quoteIdentifier(k.name);
        select += (select.isEmpty() ? "" : ", ") + id;
        // COLLATE "C" only where needed: on a C-collated column it would stop the primary-key
        // index from delivering the order and force a sort.
        order += (order.isEmpty() ? "" : ", ") + id
                 + (k.cls == FieldClass::Text && !k.byteOrdered ? " COLLATE \"C\"" : "");
        if (k.nullable)
            notNull += (notNull.isEmpty() ? " WHERE " : " AND ") + id + " IS NOT NULL";
    }
    for (const ColumnInfo &f : request.fields)
        select += ", " + m_conn->quoteIdentifier(f.name);
    const QByteArray from = (schema.isEmpty() ? QByteArray() : m_conn->quoteIdentifier(schema) + '.')
                            + m_conn->quoteIdentifier(request.table.name);
    return "SELECT " + select + " FROM " + from + notNull
           + (request.ordered ? " ORDER BY " + order : QByteArray());
}

QByteArray PostgresConnector::scanQuery(const ScanRequest &request) const
{
    return "COPY (" + selectQuery(request) + ") TO STDOUT";
}

Connector::OrderCost PostgresConnector::orderCost(const ScanRequest &request)
{
    ScanRequest ordered = request;
    ordered.table.schema = resolveSchema(request.table);
    ordered.ordered = true;
    const PgResultPtr plan = m_conn->exec("plan", "EXPLAIN " + selectQuery(ordered));
    OrderCost cost = OrderCost::Free;
    for (int i = 0; i < PQntuples(plan.get()); ++i) {
        const char *line = PQgetvalue(plan.get(), i, 0);
        if (std::strstr(line, "Sort"))
            return OrderCost::Sort; // "Sort", "Incremental Sort": the server would sort the table
        // An index scan visits the heap in the index's order, not the table's.
        if (std::strstr(line, "Index Scan") || std::strstr(line, "Bitmap"))
            cost = OrderCost::IndexOrder;
    }
    return cost;
}

bool PostgresConnector::keyIsUnique(const ScanRequest &request)
{
    QList<QByteArray> names;
    for (const ColumnInfo &k : request.keys)
        names << k.name.toUtf8();
    // A valid unique index (or primary key) over exactly the key columns, without predicate
    // or expressions: the server then refuses a second row with the same key. Non-default
    // collations are not trusted (a nondeterministic one compares differently from bytes).
    const PgResultPtr r = m_conn->exec(
        "plan",
        "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relname = $2 AND i.indisunique AND i.indisvalid "
        "AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts = cardinality($3::text[]) "
        "AND (SELECT array_agg(a.attname::text ORDER BY a.attname) "
        "     FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord) "
        "     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
        "     WHERE k.ord <= i.indnkeyatts) "
        "    = (SELECT array_agg(x ORDER BY x) FROM unnest($3::text[]) x) "
        "AND NOT EXISTS (SELECT 1 FROM unnest(i.indcollation::oid[]) co "
        "                JOIN pg_collation col ON col.oid = co WHERE NOT col.collisdeterministic))",
        {resolveSchema(request.table).toUtf8(), request.table.name.toUtf8(), arrayLiteral(names)});
    return *PQgetvalue(r.get(), 0, 0) == 't';
}

ScanStats PostgresConnector::scan(const ScanRequest &request, RowEncoder &encoder, BatchQueue &queue)
{
    ScanRequest resolved = request;
    resolved.table.schema = resolveSchema(request.table);
    ScanStats stats;

    bool nullableKey = false;
    for (const ColumnInfo &k : resolved.keys)
        nullableKey = nullableKey || k.nullable;
    const QByteArray from = m_conn->quoteIdentifier(resolved.table.schema) + '.'
                            + m_conn->quoteIdentifier(resolved.table.name);
    if (nullableKey) {
        QByteArray anyNull;
        for (const ColumnInfo &k : resolved.keys)
            anyNull += (anyNull.isEmpty() ? "" : " OR ") + m_conn->quoteIdentifier(k.name) + " IS NULL";
        const PgResultPtr r =
            m_conn->exec("scan", "SELECT count(*) FROM " + from + " WHERE " + anyNull);
        stats.nullKeyRows = QByteArray(PQgetvalue(r.get(), 0, 0)).toLongLong();
    }

    // A full read takes as long as the table is big: no statement timeout for it. A server
    // that sends nothing for ScanAnswerTimeoutMs (a sort may keep it quiet a while) is hung.
    // A sequential scan starts at the table's first page, not where another scan of it happens
    // to be (synchronize_seqscans): two tables loaded alike then arrive in the same order, and
    // the hash pairing holds few rows waiting for their partner.
    m_conn->exec("scan", "SET statement_timeout TO 0; SET synchronize_seqscans TO off", {}, PGRES_COMMAND_OK);
    m_conn->exec("scan", scanQuery(resolved), {}, PGRES_COPY_OUT);

    const size_t keyCount = size_t(resolved.keys.size());
    const OutputColumns columns(resolved);
    const size_t columnCount = columns.count();
    PgCopyText parser;
    std::vector<RawValue> values;
    auto batch = queue.emptyBatch();
    // Waits in slices, so that a cancelled comparison stops even while the server sorts.
    PgCopyOut copy(*m_conn, "scan", ScanAnswerTimeoutMs, [&queue] { return queue.cancelled(); });
    PgCopyOut::Next next;
    QString failure;
    bool stopped = false;
    while ((next = copy.next()) == PgCopyOut::Next::Row) {
        if (!parser.split(copy.row(), columnCount, values)) {
            failure = QStringLiteral("%1: unexpected COPY row from %2 (column count)")
                          .arg(where(), resolved.table.display());
            break;
        }
        columns.adjust(values);
        if (!encoder.append(values.data(), values.data() + keyCount, *batch)) {
            failure = QStringLiteral("%1: a key value of %2 does not read as its type")
                          .arg(where(), resolved.table.display());
            break;
        }
        ++stats.rows;
        if (batch->size() == BatchRows) {
            if (!queue.push(std::move(batch))) {
                stopped = true;
                break;
            }
            batch = queue.emptyBatch();
        }
    }
    if (next == PgCopyOut::Next::Failed)
        failure = QStringLiteral("%1: scan of %2 failed: %3").arg(where(), resolved.table.display(), copy.error());
    if (!failure.isEmpty() || stopped || next == PgCopyOut::Next::Cancelled || queue.cancelled()) {
        // Stopped early: drop the connection rather than drain the rest of the table.
        m_conn.reset();
        if (!failure.isEmpty())
            throw SyncError(failure);
        return stats;
    }
    // The COPY's own result tells whether the server finished the statement cleanly.
    if (const QString error = copy.finish(); !error.isEmpty())
        throw SyncError(QStringLiteral("%1: scan of %2 failed: %3").arg(where(), resolved.table.display(), error));
    if (batch->size() > 0)
        (void)queue.push(std::move(batch)); // false only if the merge already stopped
    return stats;
}

namespace {

bool sameColumns(const QList<ColumnInfo> &a, const QList<ColumnInfo> &b)
{
    return std::equal(a.cbegin(), a.cend(), b.cbegin(), b.cend(), [](const ColumnInfo &x, const ColumnInfo &y) {
        return x.name == y.name && x.castType == y.castType;
    });
}

} // namespace

const QByteArray &PostgresConnector::fetchStatement(const ScanRequest &resolved, bool single)
{
    const bool withHorizon = m_conn->serverVersion() >= 100000; // a reconnection may find another server
    const bool xid8Snapshot = m_conn->serverVersion() >= 130000;
    for (const FetchStatement &f : std::as_const(m_fetchStatements)) {
        if (f.single == single && f.withHorizon == withHorizon && f.xid8Snapshot == xid8Snapshot
            && f.table.schema == resolved.table.schema
            && f.table.name == resolved.table.name && sameColumns(f.keys, resolved.keys)
            && sameColumns(f.fields, resolved.fields))
            return f.sql;
    }
    // One round trip for the whole batch. One key (a live change, most often) is bound as
    // scalars: the server then keeps one generic plan for the statement, where the typed
    // arrays of a batch, joined by value, are planned anew at every read (0.1 to 0.3 ms, about
    // a third of a live read here).
    QByteArray select, on, unnest, alias;
    for (qsizetype k = 0; k < resolved.keys.size(); ++k) {
        const ColumnInfo &c = resolved.keys[k];
        const QByteArray id = m_conn->quoteIdentifier(c.name);
        const QByteArray param = "$" + QByteArray::number(k + 1) + "::" + c.castType.toUtf8();
        const QByteArray u = "u" + QByteArray::number(k);
        select += (select.isEmpty() ? "t." : ", t.") + id;
        on += (on.isEmpty() ? "t." : " AND t.") + id + " = " + (single ? param : "u." + u);
        unnest += (unnest.isEmpty() ? "" : ", ") + param + "[]";
        alias += (alias.isEmpty() ? "" : ", ") + u;
    }
    for (const ColumnInfo &f : resolved.fields)
        select += ", t." + m_conn->quoteIdentifier(f.name);
    // One more row after the rows: the WAL insert position, evaluated after the statement's
    // snapshot was taken, so at or past every commit the read saw ('' on a standby, and no
    // such row before PostgreSQL 10, which named the function otherwise); and that snapshot,
    // which tells whether the read saw a commit a change stream just told.
    QByteArray nulls;
    for (qsizetype c = 0; c < resolved.keys.size() + resolved.fields.size(); ++c)
        nulls += "NULL, ";
    const QByteArray horizon = withHorizon
                                   ? " UNION ALL SELECT " + nulls
                                         + "COALESCE((CASE WHEN pg_is_in_recovery() THEN NULL "
                                           "ELSE pg_current_wal_insert_lsn() END)::text, ''), "
                                         + snapshotFunction() + "::text"
                                   : QByteArray();
    const QByteArray from = m_conn->quoteIdentifier(resolved.table.schema) + '.'
                            + m_conn->quoteIdentifier(resolved.table.name) + " AS t";
    const QByteArray sql = "SELECT " + select + ", NULL::text, NULL::text FROM " + from
                           + (single ? " WHERE " + on
                                     : " JOIN unnest(" + unnest + ") AS u(" + alias + ") ON " + on)
                           + horizon;
    if (m_fetchStatements.size() >= MaxFetchStatements)
        m_fetchStatements.clear(); // many tables through one connection: rebuilt as they come
    m_fetchStatements.append({resolved.table, resolved.keys, resolved.fields, single, withHorizon, xid8Snapshot, sql});
    return m_fetchStatements.constLast().sql;
}

QList<EncodedRow> PostgresConnector::fetch(const ScanRequest &request, RowEncoder &encoder,
                                           const QList<KeyText> &keys)
{
    QList<EncodedRow> rows;
    if (keys.isEmpty())
        return rows;
    // Qualified already once a flow is open: no copy on a live change's path.
    std::optional<ScanRequest> qualified;
    if (request.table.schema.isEmpty()) {
        qualified = request;
        qualified->table.schema = resolveSchema(request.table);
    }
    const ScanRequest &resolved = qualified ? *qualified : request;
    const bool single = keys.size() == 1;
    QList<QByteArray> params;
    for (qsizetype k = 0; k < resolved.keys.size(); ++k) {
        QList<QByteArray> values;
        for (const KeyText &key : keys) {
            // A key part without a value matches no row (NULL), an empty one the empty text.
            const std::optional<QString> part = key.value(k);
            QByteArray text = part ? part->toUtf8() : QByteArray();
            if (part && text.isNull())
                text = QByteArray(""); // not null: an empty text
            values << text;
        }
        params << (single ? values.constFirst() : arrayLiteral(values));
    }
    const QByteArray sql = fetchStatement(resolved, single);
    const PgResultPtr r = m_conn->execPrepared("fetch", sql, params);
    const OutputColumns columns(resolved);
    std::vector<RawValue> values(columns.count());
    const size_t keyCount = size_t(resolved.keys.size());
    const int horizonColumn = int(columns.count());
    m_readHorizon = 0;
    m_readSnapshot.reset();
    for (int row = 0; row < PQntuples(r.get()); ++row) {
        if (!PQgetisnull(r.get(), row, horizonColumn)) {
            m_readHorizon = PgConnection::parseLsn(PQgetvalue(r.get(), row, horizonColumn));
            m_readSnapshot = TxSnapshot::parse(PQgetvalue(r.get(), row, horizonColumn + 1));
            continue;
        }
        columns.read(r.get(), row, values);
        EncodedRow encoded;
        if (encoder.encodeRow(values.data(), values.data() + keyCount, encoded))
            rows.append(std::move(encoded));
    }
    return rows;
}

const char *PostgresConnector::snapshotFunction() const
{
    return m_conn->serverVersion() >= 130000 ? "pg_current_snapshot()" : "txid_current_snapshot()";
}

std::optional<TxSnapshot> PostgresConnector::currentSnapshot()
{
    const PgResultPtr r = m_conn->exec("snapshot", QByteArray("SELECT ") + snapshotFunction() + "::text");
    return PQntuples(r.get()) == 1 ? TxSnapshot::parse(PQgetvalue(r.get(), 0, 0)) : std::nullopt;
}

QList<TableRef> PostgresConnector::tables()
{
    const PgResultPtr r = m_conn->exec(
        "describe",
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2");
    QList<TableRef> out;
    for (int i = 0; i < PQntuples(r.get()); ++i)
        out.append({QString::fromUtf8(PQgetvalue(r.get(), i, 0)), QString::fromUtf8(PQgetvalue(r.get(), i, 1))});
    return out;
}

QStringList PostgresConnector::columns(const TableRef &table)
{
    const PgResultPtr r = m_conn->exec(
        "describe",
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 "
        "ORDER BY ordinal_position",
        {resolveSchema(table).toUtf8(), table.name.toUtf8()});
    QStringList out;
    for (int i = 0; i < PQntuples(r.get()); ++i)
        out << QString::fromUtf8(PQgetvalue(r.get(), i, 0));
    return out;
}

TableRef PostgresConnector::qualified(const TableRef &table)
{
    return {resolveSchema(table), table.name};
}

qint64 PostgresConnector::plannedRows(const TableRef &qualified)
{
    return plannedRows(*m_conn, qualified);
}

qint64 PostgresConnector::plannedRows(PgConnection &conn, const TableRef &qualified)
{
    const PgResultPtr r = conn.exec(
        "plan",
        "SELECT c.reltuples::int8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relname = $2",
        {qualified.schema.toUtf8(), qualified.name.toUtf8()});
    const qint64 planned = PQntuples(r.get()) ? QByteArray(PQgetvalue(r.get(), 0, 0)).toLongLong() : -1;
    return planned > 0 ? planned : -1;
}

namespace {

// One statement of a record's write: SQL with $n parameters and their text values (a null
// QByteArray: NULL).
struct PgStatement
{
    QByteArray sql;
    QList<QByteArray> params;
};

// The SQL of one record's write, built in one place for the write and for its preview. Values
// go as text parameters cast to the column's base type (ColumnInfo::castType): canonical texts
// read back as that type, bytes in bytea's hex form. Not to the type with its modifier: an
// explicit cast to varchar(3) cuts 'abcd' to 'abc' without a word (another row's key in the
// WHERE, a value written other than the audit says), where the column's own assignment
// refuses a value too long for it.
class PgWriteSql
{
public:
    PgWriteSql(const ScanRequest &r, const PgConnection &conn, const KeyText &key) : m_request(r)
    {
        m_table = conn.quoteIdentifier(r.table.schema) + '.' + conn.quoteIdentifier(r.table.name);
        for (qsizetype k = 0; k < r.keys.size(); ++k) {
            const QByteArray id = conn.quoteIdentifier(r.keys[k].name);
            const QByteArray param = '$' + QByteArray::number(k + 1) + "::" + r.keys[k].castType.toUtf8();
            m_where += (m_where.isEmpty() ? "" : " AND ") + id + " = " + param;
            m_select += (m_select.isEmpty() ? "" : ", ") + id;
            m_keyNames += (m_keyNames.isEmpty() ? "" : ", ") + id;
            m_keyValues += (m_keyValues.isEmpty() ? "" : ", ") + param;
            m_keyParams << (key.value(k) ? key.value(k)->toUtf8() : QByteArray());
        }
        for (const ColumnInfo &f : r.fields) {
            m_fieldIds << conn.quoteIdentifier(f.name);
            m_select += ", " + m_fieldIds.last();
        }
    }

    [[nodiscard]] PgStatement lock() const
    {
        return {"SELECT " + m_select + " FROM " + m_table + " WHERE " + m_where + " FOR UPDATE",
                m_keyParams};
    }

    // Nothing when the row already is as asked (absent and to be absent).
    [[nodiscard]] std::optional<PgStatement> change(bool exists,
                                                    const std::optional<QList<FieldText>> &values) const
    {
        if (!values) {
            if (!exists)
                return std::nullopt;
            return PgStatement{"DELETE FROM " + m_table + " WHERE " + m_where, m_keyParams};
        }
        QList<QByteArray> params = m_keyParams;
        QByteArray assignments, fieldNames, fieldValues;
        for (qsizetype f = 0; f < m_request.fields.size(); ++f) {
            const FieldText v = values->value(f);
            params << (!v ? QByteArray()
                          : m_request.fields[f].cls == FieldClass::Bytes ? "\\x" + *v : *v);
            const QByteArray param = '$' + QByteArray::number(params.size()) + "::"
                                     + m_request.fields[f].castType.toUtf8();
            assignments += (assignments.isEmpty() ? "" : ", ") + m_fieldIds[f] + " = " + param;
            fieldNames += ", " + m_fieldIds[f];
            fieldValues += ", " + param;
        }
        if (exists) {
            if (assignments.isEmpty())
                return std::nullopt;
            return PgStatement{"UPDATE " + m_table + " SET " + assignments + " WHERE " + m_where, params};
        }
        return PgStatement{"INSERT INTO " + m_table + " (" + m_keyNames + fieldNames + ") VALUES ("
                               + m_keyValues + fieldValues + ")",
                           params};
    }

private:
    const ScanRequest &m_request;
    QByteArray m_table, m_where, m_select, m_keyNames, m_keyValues;
    QList<QByteArray> m_keyParams, m_fieldIds;
};

BoundStatement bound(const PgStatement &s)
{
    BoundStatement b{QString::fromUtf8(s.sql), {}};
    for (const QByteArray &p : s.params)
        b.values << (p.isNull() ? std::nullopt : std::optional<QString>(QString::fromUtf8(p)));
    return b;
}

// The rows under FOR UPDATE on the connector's connection, which is in the lock's
// transaction until it ends.
class PgRowLock final : public RowLock
{
public:
    PgRowLock(PgConnection &conn, ScanRequest request, RowEncoder &encoder, const QList<KeyText> &keys)
        : m_conn(conn), m_request(std::move(request))
    {
        m_conn.exec("write", "BEGIN", {}, PGRES_COMMAND_OK);
        m_open = true;
        try {
            // A session left idle in a transaction must not hold a resolution (and the row it
            // has locked on the other side) forever: give up, audited as failed.
            m_conn.exec("write", "SET LOCAL lock_timeout = '10s'", {}, PGRES_COMMAND_OK);
            m_sql.reserve(size_t(keys.size()));
            m_rows.resize(size_t(keys.size()));
            std::vector<RawValue> raw;
            QElapsedTimer locking;
            locking.start();
            for (qsizetype i = 0; i < keys.size(); ++i) {
                // lock_timeout bounds each wait; a batch's rows are held while later ones wait,
                // so the whole batch gets the same 10 s.
                if (i > 0 && locking.elapsed() > 10000)
                    throw SyncError(QStringLiteral("%1: the rows of %2 records could not all be locked "
                                                   "within 10 s: another session holds some of them")
                                        .arg(m_conn.where())
                                        .arg(keys.size()));
                const PgStatement lock = m_sql.emplace_back(m_request, conn, keys[i]).lock();
                const PgResultPtr current = m_conn.exec("write", lock.sql, lock.params);
                if (PQntuples(current.get()) > 0) {
                    OutputColumns(m_request).read(current.get(), 0, raw);
                    EncodedRow row;
                    if (encoder.encodeRow(raw.data(), raw.data() + m_request.keys.size(), row))
                        m_rows[size_t(i)] = std::move(row);
                }
            }
        } catch (...) {
            rollback(); // no destructor runs for a constructor that throws
            throw;
        }
    }
    ~PgRowLock() override { rollback(); }
    [[nodiscard]] const std::optional<EncodedRow> &row(qsizetype i) const override { return m_rows.at(size_t(i)); }
    void write(qsizetype i, const std::optional<QList<FieldText>> &values) override
    {
        const auto change = m_sql.at(size_t(i)).change(m_rows.at(size_t(i)).has_value(), values);
        if (!change)
            return;
        // Several records in one transaction: a write the server refuses (a trigger, a
        // constraint) is undone alone, and the transaction goes on for the others.
        const bool alone = m_sql.size() == 1;
        if (!alone)
            m_conn.exec("write", "SAVEPOINT syncdesk_record", {}, PGRES_COMMAND_OK);
        try {
            m_conn.exec("write", change->sql, change->params, PGRES_COMMAND_OK);
        } catch (const SyncError &) {
            if (!alone)
                const PgResultPtr undone(PQexec(m_conn.handle(), "ROLLBACK TO SAVEPOINT syncdesk_record"));
            throw;
        }
        if (!alone)
            m_conn.exec("write", "RELEASE SAVEPOINT syncdesk_record", {}, PGRES_COMMAND_OK);
    }
    void commit() override
    {
        m_conn.exec("write", "COMMIT", {}, PGRES_COMMAND_OK);
        m_open = false; // when COMMIT throws, the destructor's ROLLBACK ends what is left
    }

private:
    void rollback()
    {
        if (std::exchange(m_open, false))
            const PgResultPtr result(PQexec(m_conn.handle(), "ROLLBACK"));
    }

    PgConnection &m_conn;
    ScanRequest m_request;
    std::vector<PgWriteSql> m_sql; // one per key, in the keys' order
    std::vector<std::optional<EncodedRow>> m_rows;
    bool m_open = false;
};

} // namespace

std::unique_ptr<RowLock> PostgresConnector::lockRows(const ScanRequest &request, RowEncoder &encoder,
                                                     const QList<KeyText> &keys)
{
    ScanRequest r = request;
    r.table.schema = resolveSchema(request.table);
    return std::make_unique<PgRowLock>(*m_conn, std::move(r), encoder, keys);
}

QList<BoundStatement> PostgresConnector::writeStatements(const ScanRequest &request,
                                                         const KeyText &key, bool exists,
                                                         const std::optional<QList<FieldText>> &values)
{
    ScanRequest r = request;
    r.table.schema = resolveSchema(request.table);
    const PgWriteSql sql(r, *m_conn, key);
    QList<BoundStatement> out{{QStringLiteral("BEGIN"), {}},
                              {QStringLiteral("SET LOCAL lock_timeout = '10s'"), {}},
                              bound(sql.lock())};
    if (const auto change = sql.change(exists, values))
        out << bound(*change);
    out << BoundStatement{QStringLiteral("COMMIT"), {}};
    return out;
}

} // namespace syncdesk
