#pragma once

#include "PgHandles.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QLoggingCategory>
#include <QString>

#include <optional>

#include <string_view>
#include <vector>

Q_DECLARE_LOGGING_CATEGORY(lcPg)

namespace syncdesk {

// One libpq connection set up the way every scan needs it: UTF-8, ISO dates, UTC, shortest
// exact floats, hex bytea. Queries are logged under syncdesk.pg with the component that sent
// them; values only ever travel as parameters.
//
// A peer that goes away is noticed: TCP keepalives and tcp_user_timeout catch a dead host or
// network, and every statement waits for the server's answer only so long (a paused or hung
// server keeps its sockets open and answers nothing; no TCP setting sees that).
class PgConnection
{
public:
    struct Options
    {
        QString system; // the workspace system it reaches; empty for the state store
        // No byte from the server for this long while a statement runs: the connection is
        // given up as hung (SyncError::Kind::Unavailable). 0: wait for ever.
        int answerTimeoutMs = DefaultAnswerTimeoutMs;
        // The server's own statement_timeout (0: the server's default). Kept below the answer
        // timeout so that a live server's error (a lock wait, say) is the one reported.
        int statementTimeoutMs = 0;
        // A password to try instead of the keychain's (a password being tested before it is
        // stored); without one, the desktop keychain's (SecretCache), else libpq's own
        // (~/.pgpass, PGPASSWORD).
        std::optional<QByteArray> password;
    };
    static constexpr int DefaultAnswerTimeoutMs = 15000;
    static constexpr int ReadStatementTimeoutMs = 10000;
    // What the live path's readers of a system use: short statements, a statement timeout.
    [[nodiscard]] static Options reader(const QString &system)
    {
        return {system, DefaultAnswerTimeoutMs, ReadStatementTimeoutMs, std::nullopt};
    }

    // `where` names the system in messages ("system 'src' (postgres)").
    PgConnection(const QString &conninfo, QString where, Options options);
    PgConnection(const QString &conninfo, QString where) : PgConnection(conninfo, std::move(where), Options{}) {}

    [[nodiscard]] PGconn *handle() const { return m_conn.get(); }

    // Runs `sql` with text parameters $1..$n; throws SyncError unless the result has `expected`.
    PgResultPtr exec(const char *component, const QByteArray &sql,
                     const QList<QByteArray> &params = {},
                     ExecStatusType expected = PGRES_TUPLES_OK);

    // Like exec(), through a statement prepared once per connection: the live engine runs the
    // same fetch thousands of times a second, and planning it each time is most of its cost.
    PgResultPtr execPrepared(const char *component, const QByteArray &sql,
                             const QList<QByteArray> &params);

    // Waits until the server sends something (true) or `timeoutMs` passes (false; 0: at once;
    // negative: for ever).
    [[nodiscard]] bool waitReadable(int timeoutMs) const;
    // Gives the connection up as hung (its socket is shut, so nothing waits on it again) and
    // throws the Unavailable SyncError that says so.
    [[noreturn]] void giveUp(const char *component, int waitedMs);
    [[nodiscard]] int answerTimeoutMs() const { return m_options.answerTimeoutMs; }
    // False once the connection is lost or given up.
    [[nodiscard]] bool isUsable() const;

    // "schema"."name" quoting through PQescapeIdentifier.
    [[nodiscard]] QByteArray quoteIdentifier(const QString &name) const;

    // libpq's last error for this connection, without any password it might quote.
    [[nodiscard]] QString lastError() const;
    [[nodiscard]] QString where() const { return m_where; }
    [[nodiscard]] const QString &system() const { return m_options.system; }
    [[nodiscard]] int serverVersion() const { return PQserverVersion(m_conn.get()); }

    // A pg_lsn's text ("16/B374D848") as a number; 0 for anything else.
    [[nodiscard]] static quint64 parseLsn(std::string_view lsn);
    // How every session prints values; the logical feed's row images must print them the
    // same way as the reads they stand in for.
    static constexpr const char *OutputSettings =
        "SET DateStyle TO ISO; SET TimeZone TO 'UTC'; SET extra_float_digits TO 1; "
        "SET bytea_output TO 'hex'";
    [[nodiscard]] static QString scrub(QString message, const char *password);
    // The keywords every connection of ours starts from (keepalives, timeouts, encoding), as
    // defaults that the workspace's conninfo may override, and the password the console read
    // from the desktop keychain for this conninfo, if any (else libpq finds its own: the
    // password file, PGPASSWORD). `info` and `password` must outlive the result.
    static void defaultKeywords(const QByteArray &info, std::vector<const char *> &keys,
                                std::vector<const char *> &values, QByteArray &password,
                                const std::optional<QByteArray> &explicitPassword = std::nullopt);
    // The desktop keychain entry that holds the password of a conninfo or URI, exactly as the
    // workspace writes it.
    [[nodiscard]] static QString passwordEntry(const QString &conninfo)
    {
        return QStringLiteral("postgres:") + conninfo;
    }
    // Routes the server's NOTICEs (and errors sent while idle) to the log, not to stderr.
    static void quietNotices(PGconn *conn);
    // Whether a failed result, or the connection's state, says the server is not answering.
    [[nodiscard]] static bool isUnavailable(PGconn *conn, const PGresult *result);

private:
    // Waits for the result of what was just sent, within the answer timeout; stops at a COPY.
    PgResultPtr awaitResult(const char *component);
    // Throws SyncError (component, SQLSTATE, libpq's message without the password) unless
    // `result` has the `expected` status.
    void check(const char *component, const PgResultPtr &result, ExecStatusType expected) const;
    void requireUsable(const char *component) const;

    PgConnPtr m_conn;
    QString m_where;
    Options m_options;
    QString m_abandoned; // why the connection was given up; empty while it is usable
    QHash<QByteArray, QByteArray> m_prepared; // SQL → statement name
};

} // namespace syncdesk
