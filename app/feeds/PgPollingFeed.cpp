#include "PgPollingFeed.h"

#include "connectors/PgConnection.h"
#include "model/Canonical.h"
#include "model/SyncError.h"

#include <QDateTime>
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

void PgPollingFeed::start()
{
    try {
        m_conn = std::make_unique<PgConnection>(
            system().conninfo, QStringLiteral("system '%1' (postgres) feed").arg(system().name));
        // Start from the newest mark: what came before is the first comparison's business.
        // After an outage the old marks stay, so nothing in between is skipped.
        for (const Table &t : m_tables) {
            const QString id = t.table.display();
            if (m_marks.contains(id))
                continue;
            const QByteArray from = (t.table.schema.isEmpty() ? QByteArray()
                                                              : m_conn->quoteIdentifier(t.table.schema) + '.')
                                    + m_conn->quoteIdentifier(t.table.name);
            const PgResultPtr r = m_conn->exec(
                "feed", "SELECT max(" + m_conn->quoteIdentifier(t.updatedAt) + ")::text FROM " + from);
            m_marks.insert(id, PQgetisnull(r.get(), 0, 0) ? QString()
                                                          : QString::fromUtf8(PQgetvalue(r.get(), 0, 0)));
        }
    } catch (const SyncError &e) {
        fail(e.message());
        return;
    }
    setConnected();
    m_timer->start();
}

void PgPollingFeed::fail(const QString &error)
{
    m_timer->stop();
    m_conn.reset();
    setFailed(error);
}

void PgPollingFeed::poll()
{
    if (!m_conn)
        return;
    QList<ChangeEvent> events;
    try {
        for (const Table &t : m_tables) {
            const QString id = t.table.display();
            QByteArray select;
            for (const QString &k : t.keyColumns)
                select += m_conn->quoteIdentifier(k) + "::text, ";
            const QByteArray at = m_conn->quoteIdentifier(t.updatedAt);
            const QByteArray from = (t.table.schema.isEmpty() ? QByteArray()
                                                              : m_conn->quoteIdentifier(t.table.schema) + '.')
                                    + m_conn->quoteIdentifier(t.table.name);
            const QString mark = m_marks.value(id);
            // Rows at the mark itself are read again: another row may share its time.
            const PgResultPtr r = m_conn->exec(
                "feed", "SELECT " + select + at + "::text FROM " + from
                            + (mark.isEmpty() ? QByteArray(" WHERE " + at + " IS NOT NULL")
                                              : " WHERE " + at + " >= $1")
                            + " ORDER BY " + at,
                mark.isEmpty() ? QList<QByteArray>() : QList<QByteArray>{mark.toUtf8()});
            const int keys = int(t.keyColumns.size());
            for (int row = 0; row < PQntuples(r.get()); ++row) {
                ChangeEvent e;
                e.table = t.table;
                for (int k = 0; k < keys; ++k)
                    e.columns.insert(t.keyColumns[k],
                                     PQgetisnull(r.get(), row, k)
                                         ? std::nullopt
                                         : std::optional(QString::fromUtf8(PQgetvalue(r.get(), row, k))));
                const QString when = QString::fromUtf8(PQgetvalue(r.get(), row, keys));
                QString keyText;
                for (int k = 0; k < keys; ++k)
                    keyText += QString::fromUtf8(PQgetvalue(r.get(), row, k)) + u'\x1f';
                QSet<QString> &atMark = m_atMark[id];
                if (when != m_marks.value(id))
                    atMark.clear();
                else if (atMark.contains(keyText))
                    continue; // reported at an earlier poll
                atMark.insert(keyText);
                const QByteArray whenUtf8 = when.toUtf8();
                e.commitMs = canonical::instantMs({whenUtf8.constData(), size_t(whenUtf8.size())})
                                 .value_or(0);
                m_marks.insert(id, when);
                events.append(std::move(e));
            }
        }
    } catch (const SyncError &e) {
        fail(e.message());
        return;
    }
    if (!events.isEmpty()) {
        noteEvent(QDateTime::currentMSecsSinceEpoch());
        emit changes(events, QString());
    }
}

} // namespace syncdesk
