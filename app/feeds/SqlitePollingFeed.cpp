#include "SqlitePollingFeed.h"

#include "connectors/SqliteConnector.h"
#include "model/Canonical.h"
#include "model/SyncError.h"

#include <QAtomicInteger>
#include <QDateTime>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>

#include <sqlite3.h>

#include <memory>

namespace syncdesk {

namespace {

const auto quoted = &SqliteConnector::quoteIdentifier;

qint64 instantMs(const QVariant &v)
{
    if (v.typeId() == QMetaType::LongLong || v.typeId() == QMetaType::Int)
        return v.toLongLong() * 1000; // epoch seconds
    const QByteArray text = v.toString().toUtf8();
    return canonical::instantMs({text.constData(), size_t(text.size())}).value_or(0);
}

} // namespace

SqlitePollingFeed::SqlitePollingFeed(SystemSpec system, QList<Table> tables, int intervalMs,
                                     QObject *parent)
    : ChangeFeed(std::move(system), parent), m_tables(std::move(tables)), m_timer(new QTimer(this))
{
    static QAtomicInteger<quint64> counter;
    m_connection = QStringLiteral("syncdesk-poll-%1").arg(counter.fetchAndAddRelaxed(1));
    m_timer->setInterval(intervalMs);
    connect(m_timer, &QTimer::timeout, this, &SqlitePollingFeed::poll);
}

SqlitePollingFeed::~SqlitePollingFeed()
{
    if (QSqlDatabase::contains(m_connection)) {
        QSqlDatabase::database(m_connection, false).close();
        QSqlDatabase::removeDatabase(m_connection);
    }
}

QString SqlitePollingFeed::mode() const
{
    for (const Table &t : m_tables) {
        if (t.updatedAt.isEmpty())
            return QStringLiteral("polling (data_version, rescan)");
    }
    return QStringLiteral("polling (data_version, updated_at)");
}

void SqlitePollingFeed::start()
{
    if (!QFileInfo::exists(system().path)) {
        setFailed(QStringLiteral("system '%1' (sqlite): database file %2 does not exist")
                      .arg(system().name, system().path));
        return;
    }
    if (!QSqlDatabase::contains(m_connection)) {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
        db.setDatabaseName(system().path);
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=1000"));
    }
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    if (!db.isOpen() && !db.open()) {
        setFailed(QStringLiteral("system '%1' (sqlite): %2").arg(system().name, db.lastError().text()));
        return;
    }
    setConnected();
    m_timer->start();
    // The first poll on the next pass of the event loop: the engine has started its first
    // comparisons by then, so what it reports (changes since a kept mark) is queued, not lost.
    QTimer::singleShot(0, this, &SqlitePollingFeed::poll);
}

void SqlitePollingFeed::resume(const QString &position)
{
    m_marks = PollMark::fromPosition(position);
}

QString SqlitePollingFeed::position() const
{
    return PollMark::position(m_marks);
}

namespace {

QString fromClause(const TableRef &t)
{
    return quoted(t.schema.isEmpty() ? QStringLiteral("main") : t.schema) + u'.' + quoted(t.name);
}

TableRef eventTable(const TableRef &t)
{
    return {t.schema.isEmpty() ? QStringLiteral("main") : t.schema, t.name};
}

QList<std::optional<QString>> keyValues(const QSqlQuery &q, qsizetype columns)
{
    QList<std::optional<QString>> out;
    for (int i = 0; i < int(columns); ++i) {
        const QVariant v = q.value(i);
        out.append(v.isNull() ? std::nullopt : std::optional(v.toString()));
    }
    return out;
}

// SQLITE_ERROR ("no such table", "no such column") from a statement built from the described
// columns: the schema moved. Busy, locked, I/O or corruption errors have codes of their own.
bool isSchemaError(const QSqlError &error)
{
    return error.nativeErrorCode() == QLatin1String("1");
}

// One column of a row as Qt's driver would give it (qlonglong, double, QString, QByteArray
// or null), so marks and content read the same either way.
QVariant columnValue(sqlite3_stmt *stmt, int column)
{
    switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER:
        return qlonglong(sqlite3_column_int64(stmt, column));
    case SQLITE_FLOAT:
        return sqlite3_column_double(stmt, column);
    case SQLITE_BLOB:
        return QByteArray(static_cast<const char *>(sqlite3_column_blob(stmt, column)),
                          sqlite3_column_bytes(stmt, column));
    case SQLITE_NULL:
        return {};
    default:
        return QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(stmt, column)),
                                 sqlite3_column_bytes(stmt, column));
    }
}

int bindValue(sqlite3_stmt *stmt, int index, const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::LongLong:
    case QMetaType::Int:
        return sqlite3_bind_int64(stmt, index, v.toLongLong());
    case QMetaType::Double:
        return sqlite3_bind_double(stmt, index, v.toDouble());
    case QMetaType::QByteArray: {
        const QByteArray b = v.toByteArray();
        return sqlite3_bind_blob(stmt, index, b.constData(), int(b.size()), SQLITE_TRANSIENT);
    }
    default:
        if (v.isNull())
            return sqlite3_bind_null(stmt, index);
        const QByteArray text = v.toString().toUtf8();
        return sqlite3_bind_text(stmt, index, text.constData(), int(text.size()), SQLITE_TRANSIENT);
    }
}

QSqlError sqliteError(sqlite3 *handle)
{
    return QSqlError(QStringLiteral("polling failed"), QString::fromUtf8(sqlite3_errmsg(handle)),
                     QSqlError::StatementError, QString::number(sqlite3_errcode(handle)));
}

} // namespace

QSqlError SqlitePollingFeed::checkKeys(const Table &t, QList<ChangeEvent> &events)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    const QString id = t.table.display();
    KeySet &keys = m_keys[id];
    if (keys.isLoaded()) {
        QSqlQuery count(db);
        if (!count.exec(QStringLiteral("SELECT count(*) FROM %1").arg(fromClause(t.table)))
            || !count.next())
            return count.lastError();
        if (count.value(0).toLongLong() == keys.size())
            return {}; // every known key is still there, and no other
    }
    QStringList select;
    for (const QString &k : t.keyColumns)
        select << quoted(k);
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT %1 FROM %2").arg(select.join(QStringLiteral(", ")),
                                                        fromClause(t.table))))
        return q.lastError();
    QList<QByteArray> added;
    keys.begin();
    while (q.next())
        keys.seen(KeySet::encode(keyValues(q, t.keyColumns.size())), &added);
    const bool first = !keys.isLoaded();
    const QList<QByteArray> gone = keys.end();
    if (first)
        return {}; // the first read only learns the keys
    // A delete leaves no time behind: it is reported as seen now.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const QByteArray &k : gone + added)
        events.append(ChangeEvent::ofKey(eventTable(t.table), t.keyColumns, KeySet::decode(k), now));
    return {};
}

void SqlitePollingFeed::poll()
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    QSqlQuery version(db);
    if (!version.exec(QStringLiteral("PRAGMA data_version")) || !version.next()) {
        m_timer->stop();
        db.close();
        setFailed(QStringLiteral("system '%1' (sqlite): %2")
                      .arg(system().name, version.lastError().text()));
        return;
    }
    sqlite3 *handle = nullptr;
    try {
        handle = SqliteConnector::nativeHandle(db);
    } catch (const SyncError &e) { // a Qt driver built on another SQLite than ours
        m_timer->stop();
        setFailed(QStringLiteral("system '%1' (sqlite): %2").arg(system().name, e.message()));
        return;
    }
    const qint64 current = version.value(0).toLongLong();
    const bool first = m_dataVersion < 0;
    const bool changed = !first && current != m_dataVersion;
    m_dataVersion = current;
    if (!changed && !first)
        return;
    auto failed = [&](const QString &id, const QSqlError &error) {
        m_timer->stop();
        setFailed(QStringLiteral("system '%1' (sqlite): polling %2 failed: %3")
                      .arg(system().name, id, error.text()));
    };
    bool rescan = false;
    QList<ChangeEvent> events;
    for (const Table &t : m_tables) {
        const QString id = t.table.display();
        if (t.updatedAt.isEmpty()) {
            rescan = true;
            continue;
        }
        PollMark &mark = m_marks[id];
        QStringList select;
        for (const QString &k : t.keyColumns)
            select << quoted(k);
        select << quoted(t.updatedAt) << QStringLiteral("*");
        const QString from = fromClause(t.table);
        const QString at = quoted(t.updatedAt);
        // The first poll starts at the newest mark (what came before is the first comparison's
        // business) unless the state store kept where the last run stopped.
        const bool learning = (first || m_unlearned.contains(id)) && !mark.isSet();
        QString sql;
        if (learning)
            sql = QStringLiteral("SELECT %1 FROM %2 WHERE %3 = (SELECT max(%3) FROM %2)");
        else if (mark.isSet())
            sql = QStringLiteral("SELECT %1 FROM %2 WHERE %3 >= ? ORDER BY %3");
        else // a table that was empty: everything with a time is news
            sql = QStringLiteral("SELECT %1 FROM %2 WHERE %3 IS NOT NULL ORDER BY %3");
        const QByteArray utf8 = sql.arg(select.join(QStringLiteral(", ")), from, at).toUtf8();
        // SQLite's own API: "*" follows the table as it is at each step (another connection may
        // copy it into a retyped one between prepare and step), which Qt's driver, sized at
        // prepare, does not survive.
        sqlite3_stmt *raw = nullptr;
        int rc = sqlite3_prepare_v2(handle, utf8.constData(), int(utf8.size()), &raw, nullptr);
        const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt *)> statement(raw, &sqlite3_finalize);
        if (rc == SQLITE_OK && !learning && mark.isSet())
            rc = bindValue(raw, 1, mark.value());
        const int keyCount = int(t.keyColumns.size());
        KeySet &keys = m_keys[id];
        QByteArray content;
        QList<QVariant> row;
        while (rc == SQLITE_OK || rc == SQLITE_ROW) {
            if ((rc = sqlite3_step(raw)) != SQLITE_ROW)
                break;
            const int columns = sqlite3_column_count(raw);
            row.clear();
            for (int c = 0; c < columns; ++c)
                row.append(columnValue(raw, c));
            QList<std::optional<QString>> values;
            for (int k = 0; k < keyCount; ++k)
                values.append(row.value(k).isNull() ? std::nullopt : std::optional(row.value(k).toString()));
            const QByteArray key = KeySet::encode(values);
            // The whole row's content tells a second change at the same time from a re-read.
            content.clear();
            for (int c = keyCount + 1; c < columns; ++c) {
                const QVariant &v = row[c];
                content += v.isNull() ? QByteArray("\x01N") : v.toString().toUtf8();
                content += '\x1f';
            }
            const QVariant when = row.value(keyCount);
            const bool news = mark.admit(when, key, keyTableHash({content.constData(), size_t(content.size())}));
            if (keys.isLoaded())
                keys.add(key);
            if (news && !learning)
                events.append(ChangeEvent::ofKey(eventTable(t.table), t.keyColumns, values, instantMs(when)));
        }
        if (rc != SQLITE_DONE) {
            const QSqlError error = sqliteError(handle);
            if (isSchemaError(error)) {
                if (learning)
                    m_unlearned.insert(id); // learnt when it reads again, not reported whole then
                setTableReadable(id, false);
                continue;
            }
            failed(id, error);
            return;
        }
        if (const QSqlError error = checkKeys(t, events); error.type() != QSqlError::NoError) {
            if (isSchemaError(error)) {
                setTableReadable(id, false);
                continue;
            }
            failed(id, error);
            return;
        }
        m_unlearned.remove(id);
        setTableReadable(id, true);
    }
    if (!events.isEmpty()) {
        noteEvent(QDateTime::currentMSecsSinceEpoch());
        emit changes(events, position());
    }
    if (rescan && !first)
        emit rescanNeeded();
}

} // namespace syncdesk
