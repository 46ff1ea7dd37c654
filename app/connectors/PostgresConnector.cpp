#include "PostgresConnector.h"

#include "BatchQueue.h"
#include "PgConnection.h"
#include "PgCopyText.h"
#include "model/RowEncoder.h"
#include "model/SyncError.h"

#include <QHash>

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

// Trailing blanks of char(n) are padding, not data (PostgreSQL ignores them when comparing).
std::string_view trimPadding(std::string_view s)
{
    while (!s.empty() && s.back() == ' ')
        s.remove_suffix(1);
    return s;
}

// Per column of a scan or fetch: how its text output becomes a raw value.
class OutputColumns
{
public:
    explicit OutputColumns(const ScanRequest &r)
    {
        for (const QList<ColumnInfo> *list : {&r.keys, &r.fields}) {
            for (const ColumnInfo &c : *list) {
                m_padded.push_back(c.typeName.startsWith(QLatin1String("character("))
                                   || c.typeName == QLatin1String("character"));
                m_hex.push_back(c.typeName == QLatin1String("bytea"));
            }
        }
    }
    [[nodiscard]] size_t count() const { return m_padded.size(); }
    // Row `row` of a text-format result as raw values, adjusted like a COPY line.
    void read(const PGresult *result, int row, std::vector<RawValue> &values) const
    {
        values.resize(count());
        for (int c = 0; c < int(count()); ++c)
            values[size_t(c)] = PQgetisnull(result, row, c)
                                    ? RawValue::null()
                                    : RawValue::text({PQgetvalue(result, row, c),
                                                      size_t(PQgetlength(result, row, c))});
        adjust(values);
    }
    void adjust(std::vector<RawValue> &values) const
    {
        for (size_t i = 0; i < values.size(); ++i) {
            RawValue &v = values[i];
            if (v.kind != RawValue::Kind::Text)
                continue;
            if (m_padded[i])
                v.bytes = trimPadding(v.bytes);
            else if (m_hex[i] && v.bytes.size() >= 2 && v.bytes[0] == '\\' && v.bytes[1] == 'x')
                v = RawValue::hex(v.bytes.substr(2));
        }
    }

private:
    std::vector<bool> m_padded;
    std::vector<bool> m_hex;
};

// A PostgreSQL array literal of text elements, every element quoted.
QByteArray arrayLiteral(const QList<QByteArray> &elements)
{
    QByteArray out = "{";
    for (qsizetype i = 0; i < elements.size(); ++i) {
        QByteArray e = elements[i];
        e.replace('\\', "\\\\").replace('"', "\\\"");
        out += (i ? ",\"" : "\"") + e + '"';
    }
    return out + '}';
}

} // namespace

PostgresConnector::PostgresConnector(SystemSpec system) : Connector(std::move(system)) {}
PostgresConnector::~PostgresConnector() = default;

void PostgresConnector::open()
{
    m_conn = std::make_unique<PgConnection>(system().conninfo, where());
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
        "             FROM pg_collation co WHERE co.oid = a.attcollation) END "
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

QByteArray PostgresConnector::scanQuery(const ScanRequest &request) const
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
    return "COPY (SELECT " + select + " FROM " + from + notNull + " ORDER BY " + order
           + ") TO STDOUT";
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

    m_conn->exec("scan", scanQuery(resolved), {}, PGRES_COPY_OUT);

    const size_t keyCount = size_t(resolved.keys.size());
    const OutputColumns columns(resolved);
    const size_t columnCount = columns.count();
    PgCopyText parser;
    std::vector<RawValue> values;
    auto batch = queue.emptyBatch();
    PGconn *conn = m_conn->handle();
    char *buffer = nullptr;
    int length;
    QString failure;
    while ((length = PQgetCopyData(conn, &buffer, 0)) > 0) {
        const std::unique_ptr<char, decltype(&PQfreemem)> owned(buffer, &PQfreemem);
        if (!parser.split(std::string_view(buffer, size_t(length)), columnCount, values)) {
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
            if (!queue.push(std::move(batch)))
                break;
            batch = queue.emptyBatch();
        }
    }
    if (length == -2)
        failure = QStringLiteral("%1: scan of %2 failed: %3")
                      .arg(where(), resolved.table.display(), m_conn->lastError());
    if (!failure.isEmpty() || queue.cancelled() || length > 0) {
        // Stopped early: drop the connection rather than drain the rest of the table.
        m_conn.reset();
        if (!failure.isEmpty())
            throw SyncError(failure);
        return stats;
    }
    // The COPY's own result tells whether the server finished the statement cleanly.
    for (PgResultPtr r(PQgetResult(conn)); r; r.reset(PQgetResult(conn))) {
        if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
            throw SyncError(QStringLiteral("%1: scan of %2 failed: %3")
                                .arg(where(), resolved.table.display(),
                                     PgConnection::scrub(QString::fromUtf8(
                                                             PQresultErrorMessage(r.get())),
                                                         PQpass(conn))));
    }
    if (batch->size() > 0)
        (void)queue.push(std::move(batch)); // false only if the merge already stopped
    return stats;
}

QList<EncodedRow> PostgresConnector::fetch(const ScanRequest &request, RowEncoder &encoder,
                                           const QList<KeyText> &keys)
{
    QList<EncodedRow> rows;
    if (keys.isEmpty())
        return rows;
    ScanRequest resolved = request;
    resolved.table.schema = resolveSchema(request.table);
    // One round trip for the whole batch: the keys travel as typed arrays, joined by value.
    QByteArray select, on, unnest, alias;
    QList<QByteArray> params;
    for (qsizetype k = 0; k < resolved.keys.size(); ++k) {
        const ColumnInfo &c = resolved.keys[k];
        const QByteArray id = m_conn->quoteIdentifier(c.name);
        const QByteArray u = "u" + QByteArray::number(k);
        select += (select.isEmpty() ? "t." : ", t.") + id;
        on += (on.isEmpty() ? "t." : " AND t.") + id + " = u." + u;
        unnest += (unnest.isEmpty() ? "$" : ", $") + QByteArray::number(k + 1) + "::"
                  + c.typeName.toUtf8() + "[]";
        alias += (alias.isEmpty() ? "" : ", ") + u;
        QList<QByteArray> values;
        for (const KeyText &key : keys)
            values << key.value(k).value_or(QString()).toUtf8();
        params << arrayLiteral(values);
    }
    for (const ColumnInfo &f : resolved.fields)
        select += ", t." + m_conn->quoteIdentifier(f.name);
    const QByteArray sql = "SELECT " + select + " FROM " + m_conn->quoteIdentifier(resolved.table.schema)
                           + '.' + m_conn->quoteIdentifier(resolved.table.name) + " AS t JOIN unnest("
                           + unnest + ") AS u(" + alias + ") ON " + on;
    const PgResultPtr r = m_conn->execPrepared("fetch", sql, params);
    const OutputColumns columns(resolved);
    std::vector<RawValue> values(columns.count());
    const size_t keyCount = size_t(resolved.keys.size());
    for (int row = 0; row < PQntuples(r.get()); ++row) {
        columns.read(r.get(), row, values);
        EncodedRow encoded;
        if (encoder.encodeRow(values.data(), values.data() + keyCount, encoded))
            rows.append(std::move(encoded));
    }
    return rows;
}

TableRef PostgresConnector::qualified(const TableRef &table)
{
    return {resolveSchema(table), table.name};
}

bool PostgresConnector::write(const ScanRequest &request, RowEncoder &encoder, const KeyText &key,
                              const RowHash &expected,
                              const std::optional<QList<std::optional<QByteArray>>> &values)
{
    ScanRequest r = request;
    r.table.schema = resolveSchema(request.table);
    const QByteArray table = m_conn->quoteIdentifier(r.table.schema) + '.'
                             + m_conn->quoteIdentifier(r.table.name);
    QList<QByteArray> keyParams;
    QByteArray where, select, keyNames, keyValues;
    for (qsizetype k = 0; k < r.keys.size(); ++k) {
        const QByteArray id = m_conn->quoteIdentifier(r.keys[k].name);
        const QByteArray param = '$' + QByteArray::number(k + 1) + "::" + r.keys[k].typeName.toUtf8();
        where += (where.isEmpty() ? "" : " AND ") + id + " = " + param;
        select += (select.isEmpty() ? "" : ", ") + id;
        keyNames += (keyNames.isEmpty() ? "" : ", ") + id;
        keyValues += (keyValues.isEmpty() ? "" : ", ") + param;
        keyParams << (key.value(k) ? key.value(k)->toUtf8() : QByteArray());
    }
    for (const ColumnInfo &f : r.fields)
        select += ", " + m_conn->quoteIdentifier(f.name);

    m_conn->exec("write", "BEGIN", {}, PGRES_COMMAND_OK);
    try {
        // Lock the row (if any) and check it is still what the operator saw.
        const PgResultPtr current = m_conn->exec(
            "write", "SELECT " + select + " FROM " + table + " WHERE " + where + " FOR UPDATE", keyParams);
        RowHash now;
        if (PQntuples(current.get()) > 0) {
            std::vector<RawValue> raw;
            OutputColumns(r).read(current.get(), 0, raw);
            EncodedRow row;
            if (encoder.encodeRow(raw.data(), raw.data() + r.keys.size(), row))
                now = row.hash;
        }
        if (now != expected) {
            m_conn->exec("write", "ROLLBACK", {}, PGRES_COMMAND_OK);
            return false;
        }
        // Canonical texts read back as the column's type, bytes as bytea's hex form.
        QList<QByteArray> params = keyParams;
        QByteArray assignments, fieldNames, fieldValues;
        if (values) {
            for (qsizetype f = 0; f < r.fields.size(); ++f) {
                const std::optional<QByteArray> v = values->value(f);
                params << (!v ? QByteArray()
                              : r.fields[f].cls == FieldClass::Bytes ? "\\x" + *v : *v);
                const QByteArray id = m_conn->quoteIdentifier(r.fields[f].name);
                const QByteArray param = '$' + QByteArray::number(params.size()) + "::"
                                         + r.fields[f].typeName.toUtf8();
                assignments += (assignments.isEmpty() ? "" : ", ") + id + " = " + param;
                fieldNames += ", " + id;
                fieldValues += ", " + param;
            }
        }
        if (!values) {
            if (now)
                m_conn->exec("write", "DELETE FROM " + table + " WHERE " + where, keyParams,
                             PGRES_COMMAND_OK);
        } else if (now) {
            if (!assignments.isEmpty())
                m_conn->exec("write", "UPDATE " + table + " SET " + assignments + " WHERE " + where,
                             params, PGRES_COMMAND_OK);
        } else {
            m_conn->exec("write", "INSERT INTO " + table + " (" + keyNames + fieldNames + ") VALUES ("
                                      + keyValues + fieldValues + ")",
                         params, PGRES_COMMAND_OK);
        }
        m_conn->exec("write", "COMMIT", {}, PGRES_COMMAND_OK);
        return true;
    } catch (const SyncError &) {
        const PgResultPtr rollback(PQexec(m_conn->handle(), "ROLLBACK"));
        throw;
    }
}

} // namespace syncdesk
