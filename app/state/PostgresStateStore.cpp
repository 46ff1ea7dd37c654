#include "PostgresStateStore.h"

#include "connectors/PgConnection.h"
#include "model/SyncError.h"

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

PostgresStateStore::PostgresStateStore(const QString &uri) : m_uri(uri)
{
    connection();
    migrate();
}

PostgresStateStore::~PostgresStateStore() = default;

PgConnection &PostgresStateStore::connection()
{
    // A store whose server went away is connected afresh at the next use, but never inside a
    // transaction: that one failed with its connection, and the caller rolls it back.
    if (!m_conn || (!m_inTransaction && !m_conn->isUsable())) {
        m_conn.reset();
        PgConnection::Options options;
        // Its statements are small, but a snapshot's parts or a large flow's clean-up are not
        // instant: hung means quiet for longer than any of them takes.
        options.answerTimeoutMs = 30000;
        m_conn = std::make_unique<PgConnection>(m_uri, QStringLiteral("state store (postgres)"), options);
        // The server's side of a desk that vanished mid-write (a host lost, a cable cut) holds its
        // locks, the lease's among them, until the server notices: within half a minute, not the
        // two hours of the system's TCP keepalive default.
        for (const char *set : {"SET tcp_keepalives_idle = 10", "SET tcp_keepalives_interval = 5",
                                "SET tcp_keepalives_count = 3", "SET tcp_user_timeout = 30000"})
            m_conn->exec("state", set, {}, PGRES_COMMAND_OK);
    }
    return *m_conn;
}

PgResultPtr PostgresStateStore::run(const QString &sql, const QVariantList &params, ExecStatusType expected)
{
    PgConnection &conn = connection();
    try {
        return conn.exec("state", numbered(sql), texts(params), expected);
    } catch (const SyncError &e) {
        // 42501 from the state store is the team's roles speaking; from a business system it is
        // that system's own grants, a failure like any other (so not mapped in PgConnection).
        if (!e.message().contains(QLatin1String("(SQLSTATE 42501)")))
            throw;
        // The team's roles decide (`team setup`): say whose role it is and who can change it.
        throw SyncError(QStringLiteral("the state store's login '%1' may not do this: its syncdesk_* role does "
                                       "not allow it; an admin can give another with `syncdesk-cli team grant` (%2)")
                            .arg(QString::fromUtf8(PQuser(conn.handle())), e.message()),
                        SyncError::Kind::NotAllowed);
    }
}

void PostgresStateStore::exec(const QString &sql, const QVariantList &params)
{
    const PgResultPtr r = run(sql, params, PGRES_COMMAND_OK);
}

QList<QVariantList> PostgresStateStore::query(const QString &sql, const QVariantList &params)
{
    const PgResultPtr r = run(sql, params, PGRES_TUPLES_OK);
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
    m_inTransaction = true;
}

void PostgresStateStore::commit()
{
    exec(QStringLiteral("COMMIT"), {});
    m_inTransaction = false;
}

void PostgresStateStore::lockSchema()
{
    exec(QStringLiteral("LOCK TABLE syncdesk_schema IN SHARE ROW EXCLUSIVE MODE"), {});
}

void PostgresStateStore::lockAuditLog()
{
    // Two desks appending at once would both read the same head: one waits for the other.
    // Not the log itself, which would need UPDATE or DELETE on it (it is append-only for every
    // role but its owner), nor an advisory lock, which any login (a viewer) could hold to stall
    // the desk: open_intents, which only roles that append may lock this way.
    exec(QStringLiteral("LOCK TABLE open_intents IN SHARE ROW EXCLUSIVE MODE"), {});
}

void PostgresStateStore::limitLockWait(int ms)
{
    exec(QStringLiteral("SET LOCAL lock_timeout = %1").arg(ms), {});
}

void PostgresStateStore::notify(const QString &channel, const QString &payload)
{
    // Delivered at commit (the same payload once per transaction).
    (void)query(QStringLiteral("SELECT pg_notify(?, ?)"), {channel, payload});
}

bool PostgresStateStore::hasTable(const QString &name)
{
    const auto rows = query(QStringLiteral("SELECT to_regclass(?) IS NOT NULL"), {name});
    return !rows.isEmpty() && rows.first().value(0).toString() == u"t";
}

QString PostgresStateStore::databaseUser()
{
    // The URI's login, the same on every reconnection: asked once, not per resolution.
    if (m_databaseUser.isEmpty()) {
        const auto rows = query(QStringLiteral("SELECT current_user"), {});
        m_databaseUser = rows.isEmpty() ? QString() : rows.first().value(0).toString();
    }
    return m_databaseUser;
}

StorePermissions PostgresStateStore::permissions()
{
    // Asked of PostgreSQL itself, so it is what the grants say whoever set them. Breaking a
    // claim and resuming a policy are row-level security's: `unlimited` is whether it lets
    // this login past its limits on a table (its owner, a superuser, none in force, or a
    // member of syncdesk_admin).
    const QString unlimited = QStringLiteral(
        "((SELECT c.relowner = r.oid OR r.rolsuper OR NOT c.relrowsecurity FROM pg_class c, pg_roles r "
        "  WHERE c.oid = '%1'::regclass AND r.rolname = current_user) "
        " OR (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'syncdesk_admin') "
        "     AND pg_has_role(current_user, (SELECT oid FROM pg_roles WHERE rolname = 'syncdesk_admin'), 'MEMBER')))");
    const auto rows = query(
        QStringLiteral("SELECT current_user, has_table_privilege('audit_log', 'INSERT') AND has_table_privilege('baselines', "
                       "'UPDATE'), has_table_privilege('claims', 'INSERT') AND has_table_privilege('claims', 'DELETE'), %1, "
                       "has_table_privilege('policy_state', 'UPDATE') AND %2, has_table_privilege('desk_status', 'UPDATE')")
            .arg(unlimited.arg(QStringLiteral("claims")), unlimited.arg(QStringLiteral("policy_state"))),
        {});
    StorePermissions p;
    if (rows.isEmpty())
        return p;
    const QVariantList &r = rows.first();
    const auto yes = [&r](int i) { return r.value(i).toString() == u"t"; };
    p.login = r.value(0).toString();
    p.resolve = yes(1);
    p.claim = yes(2) && p.resolve;
    p.breakClaims = yes(3) && yes(2);
    p.resumePolicies = yes(4) && p.resolve;
    p.runEngine = yes(5);
    return p;
}

qint64 PostgresStateStore::nowMs()
{
    const auto rows = query(QStringLiteral("SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint"), {});
    return rows.isEmpty() ? StateStore::nowMs() : rows.first().value(0).toLongLong();
}

void PostgresStateStore::rollback() noexcept
{
    m_inTransaction = false;
    // A lost connection took its transaction with it: nothing to roll back, nothing to wait on.
    if (m_conn && m_conn->isUsable())
        PgResultPtr r(PQexec(m_conn->handle(), "ROLLBACK"));
}

} // namespace syncdesk
