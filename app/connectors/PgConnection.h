#pragma once

#include "PgHandles.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QLoggingCategory>
#include <QString>

Q_DECLARE_LOGGING_CATEGORY(lcPg)

namespace syncdesk {

// One libpq connection set up the way every scan needs it: UTF-8, ISO dates, UTC, shortest
// exact floats, hex bytea. Queries are logged under syncdesk.pg with the component that sent
// them; values only ever travel as parameters.
class PgConnection
{
public:
    // `where` names the system in messages ("system 'src' (postgres)").
    PgConnection(const QString &conninfo, QString where);

    [[nodiscard]] PGconn *handle() const { return m_conn.get(); }

    // Runs `sql` with text parameters $1..$n; throws SyncError unless the result has `expected`.
    PgResultPtr exec(const char *component, const QByteArray &sql,
                     const QList<QByteArray> &params = {},
                     ExecStatusType expected = PGRES_TUPLES_OK);

    // Like exec(), through a statement prepared once per connection: the live engine runs the
    // same fetch thousands of times a second, and planning it each time is most of its cost.
    PgResultPtr execPrepared(const char *component, const QByteArray &sql,
                             const QList<QByteArray> &params);

    // "schema"."name" quoting through PQescapeIdentifier.
    [[nodiscard]] QByteArray quoteIdentifier(const QString &name) const;

    // libpq's last error for this connection, without any password it might quote.
    [[nodiscard]] QString lastError() const;
    [[nodiscard]] QString where() const { return m_where; }
    [[nodiscard]] int serverVersion() const { return PQserverVersion(m_conn.get()); }

    [[nodiscard]] static QString scrub(QString message, const char *password);

private:
    // Throws SyncError (component, SQLSTATE, libpq's message without the password) unless
    // `result` has the `expected` status.
    void check(const char *component, const PgResultPtr &result, ExecStatusType expected) const;

public:

private:
    PgConnPtr m_conn;
    QString m_where;
    QHash<QByteArray, QByteArray> m_prepared; // SQL → statement name
};

} // namespace syncdesk
