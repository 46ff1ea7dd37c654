#include "PgConnection.h"

#include "model/SyncError.h"

#include <QtGlobal>

#include <vector>

Q_LOGGING_CATEGORY(lcPg, "syncdesk.pg", QtWarningMsg)

namespace syncdesk {

QString PgConnection::scrub(QString message, const char *password)
{
    if (password && *password)
        message.replace(QString::fromUtf8(password), QStringLiteral("********"));
    return message.simplified(); // one line, whatever libpq's layout
}

PgConnection::PgConnection(const QString &conninfo, QString where) : m_where(std::move(where))
{
    // Keywords given before "dbname" are defaults the connection string may override; those
    // after it win. A connect timeout keeps an unreachable host from hanging a scan forever.
    const QByteArray info = conninfo.toUtf8();
    std::vector<const char *> keys;
    std::vector<const char *> values;
    if (qEnvironmentVariableIsEmpty("PGCONNECT_TIMEOUT")) {
        keys.push_back("connect_timeout");
        values.push_back("10");
    }
    keys.insert(keys.end(), {"dbname", "fallback_application_name", "client_encoding", nullptr});
    values.insert(values.end(), {info.constData(), "syncdesk", "UTF8", nullptr});
    m_conn.reset(PQconnectdbParams(keys.data(), values.data(), 1));
    if (!m_conn)
        throw SyncError(QStringLiteral("%1: out of memory opening a connection").arg(m_where));
    if (PQstatus(m_conn.get()) != CONNECTION_OK)
        throw SyncError(QStringLiteral("%1: cannot connect: %2").arg(m_where, lastError()));
    exec("session", "SET DateStyle TO ISO; SET TimeZone TO 'UTC'; SET extra_float_digits TO 1; "
                    "SET bytea_output TO 'hex'",
         {}, PGRES_COMMAND_OK);
}

PgResultPtr PgConnection::exec(const char *component, const QByteArray &sql,
                               const QList<QByteArray> &params, ExecStatusType expected)
{
    qCDebug(lcPg).noquote() << component << sql;
    std::vector<const char *> values;
    values.reserve(size_t(params.size()));
    for (const QByteArray &p : params)
        values.push_back(p.isNull() ? nullptr : p.constData());
    PgResultPtr result(params.isEmpty()
                           ? PQexec(m_conn.get(), sql.constData())
                           : PQexecParams(m_conn.get(), sql.constData(), int(values.size()),
                                          nullptr, values.data(), nullptr, nullptr, 0));
    check(component, result, expected);
    return result;
}

PgResultPtr PgConnection::execPrepared(const char *component, const QByteArray &sql,
                                       const QList<QByteArray> &params)
{
    QByteArray name = m_prepared.value(sql);
    if (name.isEmpty()) {
        name = "syncdesk_" + QByteArray::number(m_prepared.size() + 1);
        qCDebug(lcPg).noquote() << component << "PREPARE" << name << sql;
        const PgResultPtr r(PQprepare(m_conn.get(), name.constData(), sql.constData(),
                                      int(params.size()), nullptr));
        check(component, r, PGRES_COMMAND_OK);
        m_prepared.insert(sql, name);
    }
    std::vector<const char *> values;
    for (const QByteArray &p : params)
        values.push_back(p.isNull() ? nullptr : p.constData());
    PgResultPtr result(PQexecPrepared(m_conn.get(), name.constData(), int(values.size()),
                                      values.data(), nullptr, nullptr, 0));
    check(component, result, PGRES_TUPLES_OK);
    return result;
}

void PgConnection::check(const char *component, const PgResultPtr &result,
                         ExecStatusType expected) const
{
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == expected)
        return;
    QString message = result ? QString::fromUtf8(PQresultErrorMessage(result.get())) : QString();
    if (message.trimmed().isEmpty())
        message = lastError();
    const char *state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
    throw SyncError(QStringLiteral("%1: %2 failed%3: %4")
                        .arg(m_where, QString::fromUtf8(component),
                             state ? QStringLiteral(" (SQLSTATE %1)").arg(QString::fromUtf8(state))
                                   : QString(),
                             scrub(message, PQpass(m_conn.get()))));
}

QByteArray PgConnection::quoteIdentifier(const QString &name) const
{
    const QByteArray utf8 = name.toUtf8();
    char *quoted = PQescapeIdentifier(m_conn.get(), utf8.constData(), size_t(utf8.size()));
    if (!quoted)
        throw SyncError(QStringLiteral("%1: cannot quote identifier: %2").arg(m_where, lastError()));
    QByteArray out(quoted);
    PQfreemem(quoted);
    return out;
}

QString PgConnection::lastError() const
{
    return scrub(QString::fromUtf8(PQerrorMessage(m_conn.get())), PQpass(m_conn.get()));
}

} // namespace syncdesk
