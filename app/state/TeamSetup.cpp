#include "TeamSetup.h"

#include "PostgresStateStore.h"
#include "connectors/PgConnection.h"
#include "model/SyncError.h"

namespace syncdesk {

namespace {

// Every table of the schema (resources/sql/state/), for the readers' grant.
const QStringList Tables{
    QStringLiteral("syncdesk_schema"),  QStringLiteral("baselines"),       QStringLiteral("feed_positions"),
    QStringLiteral("audit_log"),        QStringLiteral("baseline_snapshots"), QStringLiteral("desk_status"),
    QStringLiteral("activity_counts"),  QStringLiteral("activity_peaks"),  QStringLiteral("sla_breaches"),
    QStringLiteral("policy_state"),     QStringLiteral("claims"),          QStringLiteral("open_intents"),
    QStringLiteral("live_records"),     QStringLiteral("live_flows"),      QStringLiteral("agent_lease")};

// The server's clock in ms, as claims keep it.
const QString NowMs = QStringLiteral("floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint");

QStringList grants()
{
    return {
        // Each role holds the one below it.
        QStringLiteral("GRANT syncdesk_viewer TO syncdesk_auditor"),
        QStringLiteral("GRANT syncdesk_viewer TO syncdesk_resolver"),
        QStringLiteral("GRANT syncdesk_resolver TO syncdesk_agent"),
        QStringLiteral("GRANT syncdesk_agent TO syncdesk_admin"),
        QStringLiteral("GRANT syncdesk_auditor TO syncdesk_admin"),
        QStringLiteral("GRANT SELECT ON %1 TO syncdesk_viewer").arg(Tables.join(QStringLiteral(", "))),
        // A resolution: its intent and outcome appended (never updated: the log is append-only
        // for every role but its owner), the record's baseline, its count, and claims.
        QStringLiteral("GRANT INSERT ON audit_log TO syncdesk_resolver"),
        QStringLiteral("GRANT INSERT, UPDATE, DELETE ON baselines, claims TO syncdesk_resolver"),
        // DELETE also lets a resolver lock open_intents, the lock every append takes.
        QStringLiteral("GRANT INSERT, DELETE ON open_intents TO syncdesk_resolver"),
        QStringLiteral("GRANT INSERT, UPDATE ON activity_counts TO syncdesk_resolver"),
        // The live engine's own state.
        QStringLiteral("GRANT INSERT, UPDATE, DELETE ON feed_positions, baseline_snapshots, desk_status, "
                       "activity_peaks, sla_breaches, policy_state, live_records, live_flows, agent_lease TO syncdesk_agent"),
        // Claims: anyone reads them; a resolver takes a free or lapsed one as itself and changes
        // or ends only its own; an admin ends anyone's.
        QStringLiteral("ALTER TABLE claims ENABLE ROW LEVEL SECURITY"),
        QStringLiteral("DROP POLICY IF EXISTS syncdesk_claims_read ON claims"),
        QStringLiteral("CREATE POLICY syncdesk_claims_read ON claims FOR SELECT USING (true)"),
        QStringLiteral("DROP POLICY IF EXISTS syncdesk_claims_take ON claims"),
        QStringLiteral("CREATE POLICY syncdesk_claims_take ON claims FOR INSERT TO syncdesk_resolver "
                       "WITH CHECK (db_user = current_user)"),
        QStringLiteral("DROP POLICY IF EXISTS syncdesk_claims_own ON claims"),
        QStringLiteral("CREATE POLICY syncdesk_claims_own ON claims FOR UPDATE TO syncdesk_resolver "
                       "USING (db_user = current_user OR expires_at <= %1) WITH CHECK (db_user = current_user)")
            .arg(NowMs),
        QStringLiteral("DROP POLICY IF EXISTS syncdesk_claims_release ON claims"),
        QStringLiteral("CREATE POLICY syncdesk_claims_release ON claims FOR DELETE TO syncdesk_resolver "
                       "USING (db_user = current_user OR expires_at <= %1)")
            .arg(NowMs),
        // A policy's state: an agent halts one; only an admin resumes it.
        QStringLiteral("ALTER TABLE policy_state ENABLE ROW LEVEL SECURITY"),
        QStringLiteral("DROP POLICY IF EXISTS syncdesk_policy_read ON policy_state"),
        QStringLiteral("CREATE POLICY syncdesk_policy_read ON policy_state FOR SELECT USING (true)"),
        QStringLiteral("DROP POLICY IF EXISTS syncdesk_policy_halt ON policy_state"),
        QStringLiteral("CREATE POLICY syncdesk_policy_halt ON policy_state FOR INSERT TO syncdesk_agent WITH CHECK (halted = 1)"),
        QStringLiteral("DROP POLICY IF EXISTS syncdesk_policy_halt_again ON policy_state"),
        QStringLiteral("CREATE POLICY syncdesk_policy_halt_again ON policy_state FOR UPDATE TO syncdesk_agent "
                       "USING (true) WITH CHECK (halted = 1)"),
        QStringLiteral("DROP POLICY IF EXISTS syncdesk_policy_admin ON policy_state"),
        QStringLiteral("CREATE POLICY syncdesk_policy_admin ON policy_state FOR ALL TO syncdesk_admin "
                       "USING (true) WITH CHECK (true)"),
        QStringLiteral("DROP POLICY IF EXISTS syncdesk_claims_admin ON claims"),
        QStringLiteral("CREATE POLICY syncdesk_claims_admin ON claims FOR ALL TO syncdesk_admin "
                       "USING (true) WITH CHECK (true)"),
    };
}

void run(PgConnection &conn, const QString &sql, const QList<QByteArray> &params = {})
{
    const PgResultPtr r = conn.exec("team setup", sql.toUtf8(), params, PGRES_COMMAND_OK);
}

} // namespace

QStringList TeamSetup::roles()
{
    return {QStringLiteral("viewer"), QStringLiteral("auditor"), QStringLiteral("resolver"),
            QStringLiteral("agent"), QStringLiteral("admin")};
}

TeamSetup::Result TeamSetup::run(const QString &uri)
{
    Result result;
    {
        PostgresStateStore store(uri); // brings the schema to the newest version
        result.schemaVersion = store.schemaVersion();
    }
    PgConnection conn(uri, QStringLiteral("state store (postgres)"));
    syncdesk::run(conn, QStringLiteral("BEGIN"));
    try {
        // Roles belong to the cluster: another database's setup may have made them already.
        for (const QString &role : roles()) {
            const QString name = QStringLiteral("syncdesk_") + role;
            const PgResultPtr found = conn.exec("team setup", "SELECT 1 FROM pg_roles WHERE rolname = $1",
                                                {name.toUtf8()});
            if (PQntuples(found.get()) > 0)
                continue;
            syncdesk::run(conn, QStringLiteral("CREATE ROLE %1 NOLOGIN").arg(QString::fromUtf8(conn.quoteIdentifier(name))));
            result.rolesCreated << name;
        }
        const PgResultPtr schema = conn.exec("team setup", "SELECT current_schema()");
        const QString schemaName = QString::fromUtf8(PQgetvalue(schema.get(), 0, 0));
        syncdesk::run(conn, QStringLiteral("GRANT USAGE ON SCHEMA %1 TO syncdesk_viewer")
                                .arg(QString::fromUtf8(conn.quoteIdentifier(schemaName))));
        for (const QString &sql : grants())
            syncdesk::run(conn, sql);
        syncdesk::run(conn, QStringLiteral("COMMIT"));
    } catch (...) {
        PgResultPtr r(PQexec(conn.handle(), "ROLLBACK"));
        throw;
    }
    return result;
}

void TeamSetup::grant(const QString &uri, const QString &user, const QString &role)
{
    if (!roles().contains(role))
        throw SyncError(QStringLiteral("no role '%1': use one of %2").arg(role, roles().join(QStringLiteral(", "))));
    PgConnection conn(uri, QStringLiteral("state store (postgres)"));
    const PgResultPtr found = conn.exec("team grant", "SELECT 1 FROM pg_roles WHERE rolname = $1", {user.toUtf8()});
    if (PQntuples(found.get()) == 0)
        throw SyncError(QStringLiteral("no database role '%1': create the login first (CREATE ROLE … LOGIN)").arg(user));
    syncdesk::run(conn, QStringLiteral("GRANT %1 TO %2")
                            .arg(QString::fromUtf8(conn.quoteIdentifier(QStringLiteral("syncdesk_") + role)),
                                 QString::fromUtf8(conn.quoteIdentifier(user))));
}

} // namespace syncdesk
