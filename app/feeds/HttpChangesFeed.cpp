#include "HttpChangesFeed.h"

#include "HttpPollingFeed.h"
#include "connectors/HttpClient.h"
#include "connectors/HttpConnector.h"
#include "model/SyncError.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

namespace syncdesk {

namespace {

// A sequence as the `since` parameter takes it: a number as its digits, a string as is.
QString sinceText(const QJsonValue &seq)
{
    if (seq.isDouble())
        return QString::number(qint64(seq.toDouble()));
    return seq.toString();
}

} // namespace

HttpChangesFeed::HttpChangesFeed(SystemSpec system, QList<Table> tables, int intervalMs, QObject *parent)
    : ChangeFeed(system, parent), m_tables(std::move(tables)),
      m_connector(std::make_shared<HttpConnector>(system)), m_timer(new QTimer(this))
{
    m_timer->setInterval(intervalMs);
    connect(m_timer, &QTimer::timeout, this, &HttpChangesFeed::poll);
    connect(&m_watcher, &QFutureWatcher<Result>::finished, this, &HttpChangesFeed::polled);
}

HttpChangesFeed::~HttpChangesFeed()
{
    m_cancelled->store(true);
    m_watcher.disconnect(this);
}

QString HttpChangesFeed::position(const QHash<QString, QJsonValue> &sequences)
{
    QJsonObject o;
    for (auto it = sequences.cbegin(); it != sequences.cend(); ++it)
        o.insert(it.key(), it.value());
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

void HttpChangesFeed::resume(const QString &position)
{
    m_sequences.clear();
    const QJsonObject o = QJsonDocument::fromJson(position.toUtf8()).object();
    for (auto it = o.begin(); it != o.end(); ++it)
        m_sequences.insert(it.key(), it.value());
}

void HttpChangesFeed::start()
{
    m_timer->start();
    poll();
}

void HttpChangesFeed::poll()
{
    if (m_polling)
        return;
    m_polling = true;
    m_watcher.setFuture(QtConcurrent::run(&HttpPollingFeed::pool(), [connector = m_connector, tables = m_tables,
                                                                      sequences = m_sequences, cancelled = m_cancelled] {
        return pollOnce(*connector, tables, sequences, cancelled.get());
    }));
}

void HttpChangesFeed::polled()
{
    m_polling = false;
    Result r = m_watcher.result();
    if (!r.error.isEmpty()) {
        m_timer->stop();
        setFailed(r.error); // retried with back-off from the same sequences
        return;
    }
    if (!m_timer->isActive())
        m_timer->start();
    setConnected();
    m_sequences = r.sequences;
    if (!r.events.isEmpty())
        noteEvent(QDateTime::currentMSecsSinceEpoch());
    emit changes(r.events, position(m_sequences));
}

HttpChangesFeed::Result HttpChangesFeed::pollOnce(HttpConnector &connector, const QList<Table> &tables,
                                                  QHash<QString, QJsonValue> sequences,
                                                  const std::atomic<bool> *cancelled, int pageSize)
{
    Result result;
    // One request per changes path, whatever number of flow sides follow it.
    QStringList paths;
    for (const Table &t : tables)
        if (!paths.contains(t.table.http->changes))
            paths << t.table.http->changes;
    try {
        for (const QString &path : paths) {
            const QJsonValue known = sequences.value(path);
            const bool learning = known.isUndefined() || known.isNull();
            QJsonValue seq = learning ? QJsonValue(QStringLiteral("now")) : known;
            for (;;) {
                QUrl url = HttpConnector::withParam(connector.client().resolve(path), QStringLiteral("since"),
                                                    sinceText(seq));
                if (!learning)
                    url = HttpConnector::withParam(url, QStringLiteral("limit"), QString::number(pageSize));
                const HttpResponse response = connector.client().get(url);
                const QString where = QStringLiteral("%1: %2").arg(connector.client().where(),
                                                                   HttpClient::describe("GET", response.url));
                QJsonParseError error;
                const QJsonObject body = QJsonDocument::fromJson(response.body, &error).object();
                if (error.error != QJsonParseError::NoError)
                    throw SyncError(QStringLiteral("%1: malformed JSON at byte %2: %3")
                                        .arg(where, QString::number(error.offset), error.errorString()));
                if (!body.contains(u"last_seq") || !body.value(u"results").isArray())
                    throw SyncError(QStringLiteral("%1: not a changes feed (no \"results\" array and \"last_seq\")")
                                        .arg(where));
                const QJsonArray results = body.value(u"results").toArray();
                const qint64 now = QDateTime::currentMSecsSinceEpoch();
                for (const QJsonValue &v : results) {
                    const QString id = v.toObject().value(u"id").toString();
                    if (id.isEmpty())
                        throw SyncError(QStringLiteral("%1: a change without an \"id\"").arg(where));
                    if (learning || id.startsWith(QLatin1String("_design/")))
                        continue; // the database's own code is not a record
                    for (const Table &t : tables)
                        if (t.table.http->changes == path)
                            result.events.append(ChangeEvent::ofKey(t.table, t.keyNames, {id}, now));
                }
                seq = body.value(u"last_seq");
                if (learning || results.size() < pageSize || (cancelled && cancelled->load()))
                    break;
            }
            if (cancelled && cancelled->load()) {
                result.error = QStringLiteral("cancelled");
                return result;
            }
            sequences.insert(path, seq);
        }
    } catch (const SyncError &e) {
        result.error = e.message();
        return result;
    }
    result.sequences = std::move(sequences);
    return result;
}

} // namespace syncdesk
