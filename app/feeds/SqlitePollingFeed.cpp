#include "SqlitePollingFeed.h"

#include "connectors/SqliteConnector.h"
#include "model/Canonical.h"

#include <QAtomicInteger>
#include <QDateTime>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>

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
    poll();
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
    const qint64 current = version.value(0).toLongLong();
    const bool first = m_dataVersion < 0;
    const bool changed = !first && current != m_dataVersion;
    m_dataVersion = current;
    if (!changed && !first)
        return;
    bool rescan = false;
    QList<ChangeEvent> events;
    for (const Table &t : m_tables) {
        const QString id = t.table.display();
        if (t.updatedAt.isEmpty()) {
            rescan = true;
            continue;
        }
        QStringList select;
        for (const QString &k : t.keyColumns)
            select << quoted(k);
        select << quoted(t.updatedAt);
        QSqlQuery q(db);
        q.setForwardOnly(true);
        const QString from = quoted(t.table.schema.isEmpty() ? QStringLiteral("main") : t.table.schema)
                             + u'.' + quoted(t.table.name);
        if (first) {
            // Start from the newest mark: what came before is the initial comparison's business.
            if (q.exec(QStringLiteral("SELECT max(%1) FROM %2").arg(quoted(t.updatedAt), from))
                && q.next())
                m_marks.insert(id, q.value(0).toString());
            continue;
        }
        q.prepare(QStringLiteral("SELECT %1 FROM %2 WHERE %3 >= ? ORDER BY %3")
                      .arg(select.join(QStringLiteral(", ")), from, quoted(t.updatedAt)));
        q.addBindValue(m_marks.value(id));
        if (!q.exec()) {
            m_timer->stop();
            setFailed(QStringLiteral("system '%1' (sqlite): polling %2 failed: %3")
                          .arg(system().name, id, q.lastError().text()));
            return;
        }
        while (q.next()) {
            ChangeEvent e;
            e.table = {t.table.schema.isEmpty() ? QStringLiteral("main") : t.table.schema,
                       t.table.name};
            for (int i = 0; i < t.keyColumns.size(); ++i) {
                const QVariant v = q.value(i);
                e.columns.insert(t.keyColumns[i],
                                 v.isNull() ? std::nullopt : std::optional(v.toString()));
            }
            const QVariant at = q.value(int(t.keyColumns.size()));
            e.commitMs = instantMs(at);
            m_marks.insert(id, at.toString());
            events.append(std::move(e));
        }
    }
    if (!events.isEmpty()) {
        noteEvent(QDateTime::currentMSecsSinceEpoch());
        emit changes(events, QString());
    }
    if (rescan && !first)
        emit rescanNeeded();
}

} // namespace syncdesk
