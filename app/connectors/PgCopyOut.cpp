#include "PgCopyOut.h"

#include "PgConnection.h"

#include <QElapsedTimer>

#include <libpq-fe.h>

namespace syncdesk {

PgCopyOut::PgCopyOut(PgConnection &conn, const char *component, int quietLimitMs,
                     std::function<bool()> cancelled)
    : m_conn(conn), m_component(component), m_quietLimitMs(quietLimitMs),
      m_cancelled(std::move(cancelled)), m_buffer(nullptr, &PQfreemem)
{
}

PgCopyOut::~PgCopyOut() = default;

PgCopyOut::Next PgCopyOut::next()
{
    m_buffer.reset();
    m_row = {};
    PGconn *conn = m_conn.handle();
    QElapsedTimer quiet; // since the server last sent something
    quiet.start();
    while (true) {
        char *buffer = nullptr;
        const int length = PQgetCopyData(conn, &buffer, 1);
        if (length > 0) {
            m_buffer.reset(buffer);
            m_row = std::string_view(buffer, size_t(length));
            return Next::Row;
        }
        if (length == -1)
            return Next::End;
        if (length < 0) {
            m_error = m_conn.lastError();
            return Next::Failed;
        }
        if (!m_conn.waitReadable(1000)) {
            if (m_cancelled && m_cancelled())
                return Next::Cancelled;
            if (m_quietLimitMs > 0 && quiet.elapsed() >= m_quietLimitMs)
                m_conn.giveUp(m_component, m_quietLimitMs);
            continue;
        }
        quiet.restart();
        if (!PQconsumeInput(conn)) {
            m_error = m_conn.lastError();
            return Next::Failed;
        }
    }
}

QString PgCopyOut::finish()
{
    PGconn *conn = m_conn.handle();
    QString failure;
    for (PgResultPtr r(PQgetResult(conn)); r; r.reset(PQgetResult(conn))) {
        if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && failure.isEmpty())
            failure = PgConnection::scrub(QString::fromUtf8(PQresultErrorMessage(r.get())), PQpass(conn));
    }
    return failure;
}

} // namespace syncdesk
