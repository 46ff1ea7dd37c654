#pragma once

#include "connectors/PgHandles.h"

#include <QList>
#include <QString>

#include <utility>

// One connection to a test database kept open for many statements, so that a test can write
// quickly and run statements on several connections at the same instant: send() on each,
// then finish() on each. Failures come back through the return value and `error`.
namespace testsupport {

class PgSession
{
public:
    bool open(const QString &conninfo, QString *error);
    // Runs `sql` (one or more statements, simple query protocol) and waits for it.
    bool exec(const QString &sql, QString *error);
    // Sends `sql` without waiting for it; finish() collects every result.
    bool send(const QString &sql, QString *error);
    bool finish(QString *error);

private:
    syncdesk::PgConnPtr m_conn;
    QString m_sent;
};

// Each session's script, all sent before any is awaited: the statements run concurrently.
bool execConcurrently(const QList<std::pair<PgSession *, QString>> &scripts, QString *error);

} // namespace testsupport
