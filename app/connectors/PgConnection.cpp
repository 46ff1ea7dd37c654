#include "PgConnection.h"

#include "SecretCache.h"
#include "model/SyncError.h"

#include <QElapsedTimer>
#include <QtGlobal>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>

Q_LOGGING_CATEGORY(lcPg, "syncdesk.pg", QtWarningMsg)

namespace syncdesk {

namespace {

void logNotice(void *, const char *message)
{
    qCInfo(lcPg).noquote() << "server:" << QByteArray(message).trimmed();
}

} // namespace

QString PgConnection::scrub(QString message, const char *password)
{
    if (password && *password)
        message.replace(QString::fromUtf8(password), QStringLiteral("********"));
    return message.simplified(); // one line, whatever libpq's layout
}

void PgConnection::defaultKeywords(const QByteArray &info, std::vector<const char *> &keys,
                                   std::vector<const char *> &values, QByteArray &password,
                                   const std::optional<QByteArray> &explicitPassword)
{
    // Keywords given before "dbname" are defaults the connection string may override; those
    // after it win. A connect timeout keeps an unreachable host from hanging a scan for ever;
    // keepalives and tcp_user_timeout find a vanished host or network within about 30 s.
    if (qEnvironmentVariableIsEmpty("PGCONNECT_TIMEOUT")) {
        keys.push_back("connect_timeout");
        values.push_back("10");
    }
    keys.insert(keys.end(), {"keepalives", "keepalives_idle", "keepalives_interval",
                             "keepalives_count", "tcp_user_timeout", "dbname",
                             "fallback_application_name", "client_encoding"});
    values.insert(values.end(), {"1", "10", "5", "3", "30000", info.constData(), "syncdesk", "UTF8"});
    // A workspace never holds a password (the loader refuses one), so this one cannot clash.
    const std::optional<QByteArray> stored =
        explicitPassword ? explicitPassword : SecretCache::value(passwordEntry(QString::fromUtf8(info)));
    if (stored) {
        password = *stored;
        keys.push_back("password");
        values.push_back(password.constData());
    }
}

void PgConnection::quietNotices(PGconn *conn)
{
    if (conn)
        PQsetNoticeProcessor(conn, &logNotice, nullptr);
}

bool PgConnection::isUnavailable(PGconn *conn, const PGresult *result)
{
    if (!conn || PQstatus(conn) == CONNECTION_BAD)
        return true;
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    if (!state)
        return !result; // no result at all: the connection failed
    // Class 08: connection exceptions; 57P0x: the server shuts down or is starting; 53300:
    // too many connections; 57014: a statement the server stopped because it took too long.
    return qstrncmp(state, "08", 2) == 0 || qstrncmp(state, "57P0", 4) == 0
           || qstrcmp(state, "53300") == 0 || qstrcmp(state, "57014") == 0;
}

quint64 PgConnection::parseLsn(std::string_view lsn)
{
    const size_t slash = lsn.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == lsn.size())
        return 0;
    // Read on every live read (its horizon): from_chars, no QByteArray copies.
    const auto hex = [](std::string_view part, quint32 &out) {
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out, 16);
        return ec == std::errc() && end == part.data() + part.size();
    };
    quint32 h = 0, l = 0;
    return hex(lsn.substr(0, slash), h) && hex(lsn.substr(slash + 1), l) ? (quint64(h) << 32) | l : 0;
}

PgConnection::PgConnection(const QString &conninfo, QString where, Options options)
    : m_where(std::move(where)), m_options(std::move(options))
{
    const QByteArray info = conninfo.toUtf8();
    std::vector<const char *> keys;
    std::vector<const char *> values;
    QByteArray password;
    defaultKeywords(info, keys, values, password, m_options.password);
    keys.push_back(nullptr);
    values.push_back(nullptr);
    m_conn.reset(PQconnectdbParams(keys.data(), values.data(), 1));
    if (!m_conn)
        throw SyncError(QStringLiteral("%1: out of memory opening a connection").arg(m_where));
    quietNotices(m_conn.get());
    if (PQstatus(m_conn.get()) != CONNECTION_OK)
        throw SyncError(QStringLiteral("%1: cannot connect: %2").arg(m_where, lastError()),
                        SyncError::Kind::Unavailable, m_options.system);
    QByteArray session = OutputSettings;
    if (m_options.statementTimeoutMs > 0)
        session += "; SET statement_timeout TO " + QByteArray::number(m_options.statementTimeoutMs);
    exec("session", session, {}, PGRES_COMMAND_OK);
}

PgResultPtr PgConnection::exec(const char *component, const QByteArray &sql,
                               const QList<QByteArray> &params, ExecStatusType expected)
{
    qCDebug(lcPg).noquote() << component << sql;
    requireUsable(component);
    std::vector<const char *> values;
    values.reserve(size_t(params.size()));
    for (const QByteArray &p : params)
        values.push_back(p.isNull() ? nullptr : p.constData());
    const int sent = params.isEmpty()
                         ? PQsendQuery(m_conn.get(), sql.constData())
                         : PQsendQueryParams(m_conn.get(), sql.constData(), int(values.size()),
                                             nullptr, values.data(), nullptr, nullptr, 0);
    PgResultPtr result = sent ? awaitResult(component) : PgResultPtr();
    check(component, result, expected);
    return result;
}

PgResultPtr PgConnection::execPrepared(const char *component, const QByteArray &sql,
                                       const QList<QByteArray> &params)
{
    requireUsable(component);
    QByteArray name = m_prepared.value(sql);
    if (name.isEmpty()) {
        name = "syncdesk_" + QByteArray::number(m_prepared.size() + 1);
        qCDebug(lcPg).noquote() << component << "PREPARE" << name << sql;
        PgResultPtr r;
        if (PQsendPrepare(m_conn.get(), name.constData(), sql.constData(), int(params.size()), nullptr))
            r = awaitResult(component);
        check(component, r, PGRES_COMMAND_OK);
        m_prepared.insert(sql, name);
    }
    std::vector<const char *> values;
    for (const QByteArray &p : params)
        values.push_back(p.isNull() ? nullptr : p.constData());
    PgResultPtr result;
    if (PQsendQueryPrepared(m_conn.get(), name.constData(), int(values.size()), values.data(),
                            nullptr, nullptr, 0))
        result = awaitResult(component);
    check(component, result, PGRES_TUPLES_OK);
    return result;
}

bool PgConnection::waitReadable(int timeoutMs) const
{
    pollfd fd{PQsocket(m_conn.get()), POLLIN, 0};
    if (fd.fd < 0)
        return true; // no socket: let libpq report the broken connection
    QElapsedTimer timer;
    timer.start();
    while (true) {
        const int left = timeoutMs <= 0 ? timeoutMs : int(std::max<qint64>(0, timeoutMs - timer.elapsed()));
        const int n = ::poll(&fd, 1, left < 0 ? -1 : left);
        if (n > 0)
            return true;
        if (n == 0)
            return false;
        if (errno != EINTR)
            return true; // libpq's own read will say what is wrong
    }
}

PgResultPtr PgConnection::awaitResult(const char *component)
{
    PGconn *conn = m_conn.get();
    PgResultPtr kept;
    while (true) {
        while (PQisBusy(conn)) {
            // The clock restarts with every byte: a long result that keeps coming is not hung.
            // Without a limit the wait still sleeps: libpq's socket never blocks, so asking it
            // for input until the answer came would take a core from the server computing it.
            if (m_options.answerTimeoutMs <= 0)
                (void)waitReadable(-1);
            else if (!waitReadable(m_options.answerTimeoutMs))
                giveUp(component, m_options.answerTimeoutMs);
            if (!PQconsumeInput(conn))
                break; // lost: PQgetResult reports it
        }
        PgResultPtr next(PQgetResult(conn));
        if (!next)
            break;
        const ExecStatusType status = PQresultStatus(next.get());
        // Several statements in one string: the first failure is the one to report.
        if (!kept || PQresultStatus(kept.get()) != PGRES_FATAL_ERROR)
            kept = std::move(next);
        if (status == PGRES_COPY_OUT || status == PGRES_COPY_IN || status == PGRES_COPY_BOTH)
            break; // the caller reads or writes the data; no further result until it ends
    }
    return kept;
}

void PgConnection::giveUp(const char *component, int waitedMs)
{
    m_abandoned = QStringLiteral("no answer within %1 s").arg(waitedMs / 1000.0);
    // Shut the socket rather than close it: libpq still owns the descriptor, and any wait on
    // it (a ROLLBACK on the way out, say) now ends at once instead of hanging.
    if (const int fd = PQsocket(m_conn.get()); fd >= 0)
        ::shutdown(fd, SHUT_RDWR);
    throw SyncError(QStringLiteral("%1: %2 failed: %3 (the server may be hung or unreachable)")
                        .arg(m_where, QString::fromUtf8(component), m_abandoned),
                    SyncError::Kind::Unavailable, m_options.system);
}

bool PgConnection::isUsable() const
{
    return m_abandoned.isEmpty() && PQstatus(m_conn.get()) == CONNECTION_OK;
}

void PgConnection::requireUsable(const char *component) const
{
    if (isUsable())
        return;
    throw SyncError(QStringLiteral("%1: %2 failed: %3")
                        .arg(m_where, QString::fromUtf8(component),
                             m_abandoned.isEmpty() ? lastError() : m_abandoned),
                    SyncError::Kind::Unavailable, m_options.system);
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
                             scrub(message, PQpass(m_conn.get()))),
                    isUnavailable(m_conn.get(), result.get()) ? SyncError::Kind::Unavailable
                                                              : SyncError::Kind::Other,
                    m_options.system);
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
