#include "ProbeTable.h"

#include "connectors/PgConnection.h"
#include "model/SyncError.h"

#include <sqlite3.h>

namespace syncdesk {

namespace {

QString quoted(const QString &identifier)
{
    QString out = identifier;
    out.replace(u'"', QStringLiteral("\"\""));
    return u'"' + out + u'"';
}

QString qualified(const TableRef &table)
{
    return table.schema.isEmpty() ? quoted(table.name) : quoted(table.schema) + u'.' + quoted(table.name);
}

} // namespace

ProbeTable::ProbeTable(const SystemSpec &system, TableRef table) : m_system(system), m_table(std::move(table)) {}

ProbeTable::~ProbeTable()
{
    close();
}

QString ProbeTable::where() const
{
    return QStringLiteral("system '%1' (%2), probe table %3")
        .arg(m_system.name, systemKindName(m_system.kind), m_table.display());
}

QString ProbeTable::writeStatement(SystemKind kind, const TableRef &table)
{
    const bool pg = kind == SystemKind::Postgres;
    return QStringLiteral("INSERT INTO %1 (id, token, sent_at_ms) VALUES (%2, %3, %4) ON CONFLICT (id) DO "
                          "UPDATE SET token = excluded.token, sent_at_ms = excluded.sent_at_ms")
        .arg(qualified(table), pg ? QStringLiteral("$1") : QStringLiteral("?1"),
             pg ? QStringLiteral("$2") : QStringLiteral("?2"), pg ? QStringLiteral("$3") : QStringLiteral("?3"));
}

QString ProbeTable::createStatement(SystemKind kind, const TableRef &table)
{
    Q_UNUSED(kind) // the same DDL reads on both
    return QStringLiteral("CREATE TABLE %1 (id text PRIMARY KEY, token text NOT NULL, sent_at_ms bigint NOT NULL)")
        .arg(qualified(table));
}

QString ProbeTable::readStatement(SystemKind kind, const TableRef &table)
{
    return QStringLiteral("SELECT token, sent_at_ms FROM %1 WHERE id = %2")
        .arg(qualified(table), kind == SystemKind::Postgres ? QStringLiteral("$1") : QStringLiteral("?1"));
}

bool ProbeTable::isOpen() const
{
    return m_pg || m_sqlite;
}

void ProbeTable::open()
{
    close();
    if (m_system.kind == SystemKind::Postgres) {
        m_pg = std::make_unique<PgConnection>(m_system.conninfo, QStringLiteral("system '%1' (postgres)").arg(m_system.name),
                                              PgConnection::reader(m_system.name));
        return;
    }
    if (m_system.kind != SystemKind::Sqlite)
        throw SyncError(QStringLiteral("%1: probes are written and read on PostgreSQL and SQLite only").arg(where()));
    const int rc = sqlite3_open_v2(m_system.path.toUtf8().constData(), &m_sqlite, SQLITE_OPEN_READWRITE, nullptr);
    if (rc != SQLITE_OK) {
        const QString error = QString::fromUtf8(m_sqlite ? sqlite3_errmsg(m_sqlite) : sqlite3_errstr(rc));
        close();
        throw SyncError(QStringLiteral("%1: cannot open %2: %3").arg(where(), m_system.path, error),
                        SyncError::Kind::Unavailable, m_system.name);
    }
    // Another process (the pipeline) writes the same file: wait for its locks a while.
    sqlite3_busy_timeout(m_sqlite, 5000);
}

void ProbeTable::close()
{
    m_pg.reset();
    if (m_sqlite)
        sqlite3_close_v2(m_sqlite);
    m_sqlite = nullptr;
}

void ProbeTable::write(const QString &id, const QString &token, qint64 sentMs)
{
    if (!isOpen())
        open();
    const QString sql = writeStatement(m_system.kind, m_table);
    if (m_pg) {
        (void)m_pg->exec("probe", sql.toUtf8(), {id.toUtf8(), token.toUtf8(), QByteArray::number(sentMs)},
                         PGRES_COMMAND_OK);
        return;
    }
    sqlite3_stmt *stmt = nullptr;
    const QByteArray text = sql.toUtf8();
    const QByteArray idBytes = id.toUtf8();
    const QByteArray tokenBytes = token.toUtf8();
    int rc = sqlite3_prepare_v2(m_sqlite, text.constData(), int(text.size()), &stmt, nullptr);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, idBytes.constData(), int(idBytes.size()), SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, tokenBytes.constData(), int(tokenBytes.size()), SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 3, sentMs);
        rc = sqlite3_step(stmt);
    }
    const QString error = QString::fromUtf8(sqlite3_errmsg(m_sqlite));
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        throw SyncError(QStringLiteral("%1: the probe could not be written: %2").arg(where(), error));
}

std::optional<ProbeTable::Row> ProbeTable::read(const QString &id)
{
    if (!isOpen())
        open();
    const QString sql = readStatement(m_system.kind, m_table);
    if (m_pg) {
        const PgResultPtr r = m_pg->exec("probe", sql.toUtf8(), {id.toUtf8()});
        if (PQntuples(r.get()) == 0)
            return std::nullopt;
        return Row{QString::fromUtf8(PQgetvalue(r.get(), 0, 0)), QByteArray(PQgetvalue(r.get(), 0, 1)).toLongLong()};
    }
    sqlite3_stmt *stmt = nullptr;
    const QByteArray text = sql.toUtf8();
    const QByteArray idBytes = id.toUtf8();
    int rc = sqlite3_prepare_v2(m_sqlite, text.constData(), int(text.size()), &stmt, nullptr);
    std::optional<Row> out;
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, idBytes.constData(), int(idBytes.size()), SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW)
            out = Row{QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0))),
                      sqlite3_column_int64(stmt, 1)};
    }
    const QString error = QString::fromUtf8(sqlite3_errmsg(m_sqlite));
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        throw SyncError(QStringLiteral("%1: the probe could not be read: %2").arg(where(), error));
    return out;
}

} // namespace syncdesk
