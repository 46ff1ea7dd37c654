#include "PgNotifyFeed.h"

#include "connectors/PgConnection.h"
#include "model/SyncError.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSocketNotifier>
#include <QTimer>

namespace syncdesk {

PgNotifyFeed::PgNotifyFeed(SystemSpec system, QObject *parent)
    : ChangeFeed(std::move(system), parent), m_pingTimer(new QTimer(this))
{
    // A listening connection is quiet by nature, and a hung server keeps its socket open:
    // only a question it must answer shows whether it is still there.
    m_pingTimer->setInterval(PingIntervalMs);
    connect(m_pingTimer, &QTimer::timeout, this, [this] {
        if (!m_conn)
            return;
        try {
            m_conn->exec("feed", "SELECT 1");
        } catch (const SyncError &e) {
            fail(e.message());
            return;
        }
        onReadable(); // notifications that came with the answer
    });
}

PgNotifyFeed::~PgNotifyFeed() = default;

void PgNotifyFeed::start()
{
    try {
        m_conn = std::make_unique<PgConnection>(
            system().conninfo, QStringLiteral("system '%1' (postgres) feed").arg(system().name),
            PgConnection::reader(system().name));
        m_conn->exec("feed", QByteArray("LISTEN ") + Channel, {}, PGRES_COMMAND_OK);
    } catch (const SyncError &e) {
        fail(e.message());
        return;
    }
    m_notifier = new QSocketNotifier(PQsocket(m_conn->handle()), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &PgNotifyFeed::onReadable);
    setConnected();
    m_pingTimer->start();
    QTimer::singleShot(0, this, &PgNotifyFeed::onReadable);
}

void PgNotifyFeed::fail(const QString &error)
{
    delete m_notifier;
    m_notifier = nullptr;
    m_pingTimer->stop();
    m_conn.reset();
    setFailed(error);
}

void PgNotifyFeed::onReadable()
{
    if (!m_conn)
        return;
    PGconn *conn = m_conn->handle();
    if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK) {
        fail(QStringLiteral("system '%1' (postgres) feed: connection lost: %2")
                 .arg(system().name, m_conn->lastError()));
        return;
    }
    QList<ChangeEvent> events;
    // Every pending notification per wake-up, not one.
    while (PGnotify *n = PQnotifies(conn)) {
        const std::unique_ptr<PGnotify, decltype(&PQfreemem)> owned(n, &PQfreemem);
        const QJsonObject o = QJsonDocument::fromJson(QByteArray(n->extra)).object();
        ChangeEvent e;
        e.table = {o.value(u"schema").toString(), o.value(u"table").toString()};
        e.commitMs = o.value(u"at").toInteger(); // ms since the epoch, set by the trigger
        const QJsonObject key = o.value(u"key").toObject();
        for (auto it = key.begin(); it != key.end(); ++it)
            e.columns.insert(it.key(), it.value().isNull() ? std::nullopt
                                                           : std::optional(it.value().toString()));
        events.append(std::move(e));
    }
    if (!events.isEmpty()) {
        noteEvent(QDateTime::currentMSecsSinceEpoch());
        emit changes(events, QString());
    }
}

} // namespace syncdesk
