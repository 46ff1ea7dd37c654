#include "SqliteStateStore.h"

#include "model/SyncError.h"

#include <QAtomicInteger>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>

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
    exec(QStringLiteral("PRAGMA journal_mode=WAL"), {});
    exec(QStringLiteral("PRAGMA synchronous=NORMAL"), {});
    migrate();
}

SqliteStateStore::~SqliteStateStore()
{
    QSqlDatabase::database(m_connection, false).close();
    QSqlDatabase::removeDatabase(m_connection);
}

void SqliteStateStore::exec(const QString &sql, const QVariantList &params)
{
    (void)prepared(QSqlDatabase::database(m_connection, false), sql, params, m_path);
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

} // namespace syncdesk
