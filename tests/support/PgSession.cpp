#include "PgSession.h"

namespace testsupport {

bool PgSession::open(const QString &conninfo, QString *error)
{
    m_conn.reset(PQconnectdb(conninfo.toUtf8().constData()));
    if (PQstatus(m_conn.get()) != CONNECTION_OK) {
        *error = QStringLiteral("cannot connect to the test PostgreSQL (%1): %2")
                     .arg(conninfo, QString::fromUtf8(PQerrorMessage(m_conn.get())));
        m_conn.reset();
        return false;
    }
    PQsetNoticeProcessor(m_conn.get(), [](void *, const char *) {}, nullptr);
    return true;
}

bool PgSession::exec(const QString &sql, QString *error)
{
    return send(sql, error) && finish(error);
}

bool PgSession::send(const QString &sql, QString *error)
{
    if (!m_conn) {
        *error = QStringLiteral("PgSession: not open");
        return false;
    }
    m_sent = sql;
    if (!PQsendQuery(m_conn.get(), sql.toUtf8().constData())) {
        *error = QStringLiteral("%1\n  in: %2")
                     .arg(QString::fromUtf8(PQerrorMessage(m_conn.get())), sql);
        return false;
    }
    return true;
}

bool PgSession::finish(QString *error)
{
    // Every result of the script is read, so the connection is ready for the next one.
    bool ok = true;
    while (PGresult *raw = PQgetResult(m_conn.get())) {
        const syncdesk::PgResultPtr r(raw);
        const ExecStatusType s = PQresultStatus(r.get());
        if (ok && s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
            *error = QStringLiteral("%1\n  in: %2")
                         .arg(QString::fromUtf8(PQresultErrorMessage(r.get())), m_sent);
            ok = false;
        }
    }
    return ok;
}

bool execConcurrently(const QList<std::pair<PgSession *, QString>> &scripts, QString *error)
{
    bool ok = true;
    QList<PgSession *> sent;
    for (const auto &[session, sql] : scripts) {
        if (sql.isEmpty())
            continue;
        if (!session->send(sql, error)) {
            ok = false;
            break;
        }
        sent.append(session);
    }
    QString first;
    for (PgSession *session : sent) {
        QString e;
        if (!session->finish(&e) && ok) {
            first = e;
            ok = false;
        }
    }
    if (!first.isEmpty())
        *error = first;
    return ok;
}

} // namespace testsupport
