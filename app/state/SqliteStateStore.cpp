#include "SqliteStateStore.h"

#include "WalCheckpointer.h"

#include "connectors/SqliteConnector.h"
#include "model/SyncError.h"

#include <QAtomicInteger>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QThread>

#include <sqlite3.h>

#include <memory>

namespace syncdesk {

namespace {

QSqlQuery prepared(const QSqlDatabase &db, const QString &sql, const QVariantList &params,
                   const QString &path)
{
    QSqlQuery q(db);
    if (!q.prepare(sql))
        throw SyncError(QStringLiteral("state store %1: %2").arg(path, q.lastError().text()));
    for (const QVariant &p : params)
        q.addBindValue(p);
    if (!q.exec())
        throw SyncError(QStringLiteral("state store %1: %2").arg(path, q.lastError().text()));
    return q;
}

} // namespace

SqliteStateStore::SqliteStateStore(const QString &path) : m_path(path)
{
    static QAtomicInteger<quint64> counter;
    m_connection = QStringLiteral("syncdesk-state-%1").arg(counter.fetchAndAddRelaxed(1));
    if (!QFileInfo(QFileInfo(path).absolutePath()).isWritable())
        throw SyncError(QStringLiteral("state store %1: the folder is not writable").arg(path));
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open())
        throw SyncError(QStringLiteral("state store %1: %2").arg(path, db.lastError().text()));
    // Switching a new file to WAL takes an exclusive lock that the busy timeout does not wait
    // for: a watch's engine and its policy worker opening a new store together would collide.
    for (int attempt = 0;; ++attempt) {
        try {
            exec(QStringLiteral("PRAGMA journal_mode=WAL"), {});
            break;
        } catch (const SyncError &) {
            if (attempt >= 50)
                throw;
            QThread::msleep(100);
        }
    }
    exec(QStringLiteral("PRAGMA synchronous=NORMAL"), {});
    migrate();
}

SqliteStateStore::~SqliteStateStore()
{
    m_checkpointer.reset(); // hands the connection its automatic checkpoint back while it is open
    m_statements.clear(); // before the connection goes
    QSqlDatabase::database(m_connection, false).close();
    QSqlDatabase::removeDatabase(m_connection);
}

void SqliteStateStore::exec(const QString &sql, const QVariantList &params)
{
    // Statements are prepared once: a batch writes the same upsert thousands of times.
    auto it = m_statements.find(sql);
    if (it == m_statements.end()) {
        QSqlQuery q(QSqlDatabase::database(m_connection, false));
        if (!q.prepare(sql))
            throw SyncError(QStringLiteral("state store %1: %2").arg(m_path, q.lastError().text()));
        it = m_statements.insert(sql, q);
    }
    for (int i = 0; i < params.size(); ++i)
        it->bindValue(i, params[i]);
    if (!it->exec())
        throw SyncError(QStringLiteral("state store %1: %2").arg(m_path, it->lastError().text()));
    it->finish();
}

QList<QVariantList> SqliteStateStore::query(const QString &sql, const QVariantList &params)
{
    QSqlQuery q = prepared(QSqlDatabase::database(m_connection, false), sql, params, m_path);
    QList<QVariantList> rows;
    while (q.next()) {
        QVariantList row;
        for (int i = 0; i < q.record().count(); ++i)
            row << q.value(i);
        rows << row;
    }
    return rows;
}

void SqliteStateStore::forEachRow(const QString &sql, const QVariantList &params,
                                  const std::function<bool(const QVariantList &)> &f)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true); // a million audit entries stream instead of piling up
    if (!q.prepare(sql))
        throw SyncError(QStringLiteral("state store %1: %2").arg(m_path, q.lastError().text()));
    for (const QVariant &p : params)
        q.addBindValue(p);
    if (!q.exec())
        throw SyncError(QStringLiteral("state store %1: %2").arg(m_path, q.lastError().text()));
    const int columns = q.record().count();
    QVariantList row;
    while (q.next()) {
        row.clear();
        for (int i = 0; i < columns; ++i)
            row << q.value(i);
        if (!f(row))
            return;
    }
}

void SqliteStateStore::forEachAuditRow(const std::function<bool(const AuditRow &)> &f, qint64 fromSeq)
{
    sqlite3 *handle = SqliteConnector::nativeHandle(QSqlDatabase::database(m_connection, false));
    static const char sql[] = "SELECT seq, entry, prev_hash, hash FROM audit_log WHERE seq >= ? ORDER BY seq";
    sqlite3_stmt *raw = nullptr;
    if (sqlite3_prepare_v2(handle, sql, -1, &raw, nullptr) != SQLITE_OK)
        throw SyncError(QStringLiteral("state store %1: %2").arg(m_path, QString::fromUtf8(sqlite3_errmsg(handle))));
    const std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
    sqlite3_bind_int64(raw, 1, fromSeq);
    auto text = [raw](int i) {
        const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(raw, i));
        return QByteArray(p, sqlite3_column_bytes(raw, i));
    };
    int rc;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
        if (!f({sqlite3_column_int64(raw, 0), text(1), text(2), text(3)}))
            return;
    }
    if (rc != SQLITE_DONE)
        throw SyncError(QStringLiteral("state store %1: %2").arg(m_path, QString::fromUtf8(sqlite3_errmsg(handle))));
}

void SqliteStateStore::checkpointInBackground()
{
    if (m_checkpointer)
        return;
    m_checkpointer = std::make_unique<WalCheckpointer>(m_path);
    m_checkpointer->attach(SqliteConnector::nativeHandle(QSqlDatabase::database(m_connection, false)));
}

void SqliteStateStore::begin()
{
    exec(QStringLiteral("BEGIN IMMEDIATE"), {});
}

void SqliteStateStore::commit()
{
    exec(QStringLiteral("COMMIT"), {});
}

void SqliteStateStore::rollback() noexcept
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.exec(QStringLiteral("ROLLBACK"));
}

bool SqliteStateStore::hasTable(const QString &name)
{
    const auto rows = query(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"),
                            {name});
    return !rows.isEmpty() && rows.first().value(0).toInt() > 0;
}

} // namespace syncdesk
