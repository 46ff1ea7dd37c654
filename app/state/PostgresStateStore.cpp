#include "PostgresStateStore.h"

#include "connectors/PgConnection.h"

namespace syncdesk {

namespace {

// '?' placeholders (shared with SQLite) become $1, $2, …; our SQL has no '?' elsewhere.
QByteArray numbered(const QString &sql)
{
    QByteArray out;
    int n = 0;
    for (const char c : sql.toUtf8()) {
        if (c == '?')
            out += '$' + QByteArray::number(++n);
        else
            out += c;
    }
    return out;
}

QList<QByteArray> texts(const QVariantList &params)
{
    QList<QByteArray> out;
    for (const QVariant &p : params)
        out << (p.isNull() ? QByteArray()
                : p.typeId() == QMetaType::QByteArray ? p.toByteArray() // already UTF-8 text
                                                      : p.toString().toUtf8());
    return out;
}

} // namespace

PostgresStateStore::PostgresStateStore(const QString &uri)
    : m_conn(std::make_unique<PgConnection>(uri, QStringLiteral("state store (postgres)")))
{
    migrate();
}

PostgresStateStore::~PostgresStateStore() = default;

void PostgresStateStore::exec(const QString &sql, const QVariantList &params)
{
    const PgResultPtr r = m_conn->exec("state", numbered(sql), texts(params), PGRES_COMMAND_OK);
}

QList<QVariantList> PostgresStateStore::query(const QString &sql, const QVariantList &params)
{
    const PgResultPtr r = m_conn->exec("state", numbered(sql), texts(params));
    QList<QVariantList> rows;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
        QVariantList row;
        for (int c = 0; c < PQnfields(r.get()); ++c)
            row << (PQgetisnull(r.get(), i, c)
                        ? QVariant()
                        : QVariant(QString::fromUtf8(PQgetvalue(r.get(), i, c))));
        rows << row;
    }
    return rows;
}

void PostgresStateStore::begin()
{
    exec(QStringLiteral("BEGIN"), {});
}

void PostgresStateStore::commit()
{
    exec(QStringLiteral("COMMIT"), {});
}

void PostgresStateStore::lockSchema()
{
    exec(QStringLiteral("LOCK TABLE syncdesk_schema IN SHARE ROW EXCLUSIVE MODE"), {});
}

void PostgresStateStore::lockAuditLog()
{
    // Two desks appending at once would both read the same head: one waits for the other.
    exec(QStringLiteral("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE"), {});
}

void PostgresStateStore::rollback() noexcept
{
    PgResultPtr r(PQexec(m_conn->handle(), "ROLLBACK"));
}

} // namespace syncdesk
