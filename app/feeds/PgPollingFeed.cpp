#include "PgPollingFeed.h"

#include "connectors/PgConnection.h"
#include "model/Canonical.h"
#include "model/SyncError.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QTimer>

namespace syncdesk {

PgPollingFeed::PgPollingFeed(SystemSpec system, QList<Table> tables, int intervalMs,
                             QObject *parent)
    : ChangeFeed(std::move(system), parent), m_tables(std::move(tables)), m_timer(new QTimer(this))
{
    m_timer->setInterval(intervalMs);
    connect(m_timer, &QTimer::timeout, this, &PgPollingFeed::poll);
}

PgPollingFeed::~PgPollingFeed() = default;

void PgPollingFeed::resume(const QString &position)
{
    m_marks = PollMark::fromPosition(position);
}

QString PgPollingFeed::position() const
{
    return PollMark::position(m_marks);
}

QByteArray PgPollingFeed::rowSelect(const Table &t) const
{
    QByteArray select = "SELECT ";
    for (const QString &k : t.keyColumns)
        select += m_conn->quoteIdentifier(k) + "::text, ";
    return select + m_conn->quoteIdentifier(t.updatedAt) + "::text, md5(t::text) FROM " + from(t) + " t";
}

QByteArray PgPollingFeed::from(const Table &t) const
{
    return (t.table.schema.isEmpty() ? QByteArray() : m_conn->quoteIdentifier(t.table.schema) + '.')
           + m_conn->quoteIdentifier(t.table.name);
}

namespace {

QList<std::optional<QString>> keyValues(PGresult *r, int row, int columns)
{
    QList<std::optional<QString>> out;
    for (int k = 0; k < columns; ++k)
        out.append(PQgetisnull(r, row, k) ? std::nullopt
                                          : std::optional(QString::fromUtf8(PQgetvalue(r, row, k))));
    return out;
}


} // namespace

void PgPollingFeed::start()
{
    QList<ChangeEvent> meanwhile;
    try {
        m_conn = std::make_unique<PgConnection>(
            system().conninfo, QStringLiteral("system '%1' (postgres) feed").arg(system().name),
            PgConnection::reader(system().name));
        for (const Table &t : m_tables) {
            const QString id = t.table.display();
            try {
                learn(t, meanwhile);
            } catch (const SyncError &e) {
                if (e.unavailable())
                    throw;
                m_unlearned.insert(id); // learnt when it reads again, not reported whole then
                setTableReadable(id, false);
            }
        }
    } catch (const SyncError &e) {
        fail(e.message());
        return;
    }
    setConnected();
    m_timer->start();
    if (!meanwhile.isEmpty())
        emit changes(meanwhile, position());
}

void PgPollingFeed::learn(const Table &t, QList<ChangeEvent> &meanwhile)
{
    const QString id = t.table.display();
    PollMark &mark = m_marks[id];
    // Learn the keys; after an outage, what was deleted meanwhile is reported.
    m_deleted.insert(id, -1);
    checkKeys(t, meanwhile);
    if (!mark.isSet()) {
        // Start from the newest mark: what came before is the first comparison's business.
        const QByteArray at = m_conn->quoteIdentifier(t.updatedAt);
        const PgResultPtr r = m_conn->exec(
            "feed", rowSelect(t) + " WHERE " + at + " = (SELECT max(" + at + ") FROM " + from(t) + ")");
        const int keys = int(t.keyColumns.size());
        for (int row = 0; row < PQntuples(r.get()); ++row)
            mark.admit(QString::fromUtf8(PQgetvalue(r.get(), row, keys)),
                       KeySet::encode(keyValues(r.get(), row, keys)),
                       QByteArray(PQgetvalue(r.get(), row, keys + 1), 16).toULongLong(nullptr, 16));
    }
    m_unlearned.remove(id);
    setTableReadable(id, true);
}

void PgPollingFeed::fail(const QString &error)
{
    m_timer->stop();
    m_conn.reset();
    setFailed(error);
}

void PgPollingFeed::checkKeys(const Table &t, QList<ChangeEvent> &events)
{
    const QString id = t.table.display();
    // The statistics collector's count of deleted rows: a cheap "did anything go?" that moves
    // within about a second of a delete's commit.
    const PgResultPtr counter = m_conn->exec(
        "feed", "SELECT coalesce(pg_stat_get_tuples_deleted($1::regclass), 0)", {from(t)});
    const qint64 deleted = QByteArray(PQgetvalue(counter.get(), 0, 0)).toLongLong();
    KeySet &keys = m_keys[id];
    // The counter moves only when the deleting session flushes its statistics (about a second
    // after its commit). A table whose keys read in a twentieth of a poll is simply read at
    // every poll: its deletes show at once.
    const bool cheap = m_keyReadMs.value(id, -1) >= 0
                       && m_keyReadMs.value(id) * 20 <= m_timer->interval();
    if (keys.isLoaded() && deleted == m_deleted.value(id) && !cheap)
        return;
    m_deleted.insert(id, deleted);
    QElapsedTimer timer;
    timer.start();
    QByteArray select;
    for (const QString &k : t.keyColumns)
        select += (select.isEmpty() ? "" : ", ") + m_conn->quoteIdentifier(k) + "::text";
    const PgResultPtr r = m_conn->exec("feed", "SELECT " + select + " FROM " + from(t));
    const int columns = int(t.keyColumns.size());
    keys.begin();
    for (int row = 0; row < PQntuples(r.get()); ++row)
        keys.seen(KeySet::encode(keyValues(r.get(), row, columns)), nullptr);
    const bool first = !keys.isLoaded();
    const QList<QByteArray> gone = keys.end();
    m_keyReadMs.insert(id, timer.elapsed());
    if (first)
        return;
    // A delete leaves no time behind: it is reported as seen now.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const QByteArray &k : gone)
        events.append(ChangeEvent::ofKey(t.table, t.keyColumns, KeySet::decode(k), now));
}

void PgPollingFeed::poll()
{
    if (!m_conn)
        return;
    QList<ChangeEvent> events;
    try {
        for (const Table &t : m_tables) {
            const QString id = t.table.display();
            try {
                if (m_unlearned.contains(id))
                    learn(t, events);
                else
                    pollTable(t, events);
            } catch (const SyncError &e) {
                if (e.unavailable())
                    throw;
                setTableReadable(id, false);
            }
        }
    } catch (const SyncError &e) {
        fail(e.message());
        return;
    }
    if (!events.isEmpty()) {
        noteEvent(QDateTime::currentMSecsSinceEpoch());
        emit changes(events, position());
    }
}

void PgPollingFeed::pollTable(const Table &t, QList<ChangeEvent> &events)
{
    const QString id = t.table.display();
    PollMark &mark = m_marks[id];
    const QByteArray at = m_conn->quoteIdentifier(t.updatedAt);
    // Rows at the mark itself are read again: another row may share its time; the
    // mark tells which of them are news.
    const PgResultPtr r = m_conn->exec(
        "feed", rowSelect(t)
                    + (mark.isSet() ? " WHERE " + at + " >= $1" : " WHERE " + at + " IS NOT NULL")
                    + " ORDER BY " + at,
        mark.isSet() ? QList<QByteArray>{mark.value().toString().toUtf8()} : QList<QByteArray>());
    const int keys = int(t.keyColumns.size());
    KeySet &known = m_keys[id];
    for (int row = 0; row < PQntuples(r.get()); ++row) {
        const QList<std::optional<QString>> values = keyValues(r.get(), row, keys);
        const QByteArray key = KeySet::encode(values);
        const QString when = QString::fromUtf8(PQgetvalue(r.get(), row, keys));
        known.add(key);
        if (!mark.admit(when, key,
                        QByteArray(PQgetvalue(r.get(), row, keys + 1), 16).toULongLong(nullptr, 16)))
            continue; // reported at an earlier poll
        const QByteArray whenUtf8 = when.toUtf8();
        events.append(ChangeEvent::ofKey(t.table, t.keyColumns, values,
                               canonical::instantMs({whenUtf8.constData(), size_t(whenUtf8.size())})
                                   .value_or(0)));
    }
    checkKeys(t, events);
    setTableReadable(id, true);
}

} // namespace syncdesk
