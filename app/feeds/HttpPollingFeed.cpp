#include "HttpPollingFeed.h"

#include "connectors/HttpConnector.h"
#include "connectors/HttpRecords.h"
#include "model/Canonical.h"
#include "model/SyncError.h"

#include <QDateTime>
#include <QThreadPool>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <xxhash.h>

#include <algorithm>

namespace syncdesk {

namespace {

// Marks compare as numbers when both are numbers, else as text (ISO-8601 UTC times in one
// format sort as text).
int compareAt(const QVariant &a, const QVariant &b)
{
    const bool numbers = a.typeId() != QMetaType::QString && b.typeId() != QMetaType::QString;
    if (numbers) {
        const double x = a.toDouble(), y = b.toDouble();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    return QString::compare(a.toString(), b.toString());
}

QVariant atOf(const std::optional<HttpRecords::Value> &value)
{
    if (!value || value->is_null())
        return {};
    int64_t integer = 0;
    if (!value->get(integer))
        return QVariant(qint64(integer));
    double real = 0;
    if (HttpRecords::isNumber(*value) && !value->get(real))
        return QVariant(real);
    return QVariant(HttpConnector::memberText(value));
}

} // namespace

HttpPollingFeed::HttpPollingFeed(SystemSpec system, QList<Table> tables, int intervalMs, QObject *parent)
    : ChangeFeed(system, parent), m_tables(std::move(tables)),
      m_connector(std::make_shared<HttpConnector>(system)), m_timer(new QTimer(this))
{
    m_timer->setInterval(intervalMs);
    connect(m_timer, &QTimer::timeout, this, &HttpPollingFeed::poll);
    connect(&m_watcher, &QFutureWatcher<Result>::finished, this, &HttpPollingFeed::polled);
}

QThreadPool &HttpPollingFeed::pool()
{
    static QThreadPool *pool = [] {
        auto *p = new QThreadPool; // never destroyed: the process's end does not wait on a poll
        p->setMaxThreadCount(4);
        return p;
    }();
    return *pool;
}

HttpPollingFeed::~HttpPollingFeed()
{
    // The poll holds its own references to the connector and the flag; its result is dropped.
    m_cancelled->store(true);
    m_watcher.disconnect(this);
}

void HttpPollingFeed::resume(const QString &position)
{
    m_marks = PollMark::fromPosition(position);
}

void HttpPollingFeed::start()
{
    m_timer->start();
    poll();
}

void HttpPollingFeed::poll()
{
    if (m_polling)
        return; // a slow API: the next poll starts when this one is done
    m_polling = true;
    m_watcher.setFuture(QtConcurrent::run(&pool(), [connector = m_connector, tables = m_tables,
                                                         marks = m_marks, cancelled = m_cancelled] {
        return pollOnce(*connector, tables, marks, cancelled.get());
    }));
}

void HttpPollingFeed::polled()
{
    m_polling = false;
    Result r = m_watcher.result();
    if (!r.error.isEmpty()) {
        m_timer->stop();
        setFailed(r.error); // retried with back-off; the marks stay where they were
        return;
    }
    if (!m_timer->isActive())
        m_timer->start();
    setConnected();
    m_marks = r.marks;
    if (!r.events.isEmpty())
        noteEvent(QDateTime::currentMSecsSinceEpoch());
    // The position goes with every poll, so a learnt mark is kept even when nothing changed.
    emit changes(r.events, PollMark::position(m_marks));
}

HttpPollingFeed::Result HttpPollingFeed::pollOnce(HttpConnector &connector, const QList<Table> &tables,
                                                  QHash<QString, PollMark> marks,
                                                  const std::atomic<bool> *cancelled)
{
    Result result;
    try {
        for (const Table &t : tables) {
            const HttpSideSpec &side = connector.side(t.table);
            PollMark &mark = marks[t.table.name];
            const bool learning = !mark.isSet();
            QUrl first = connector.firstPage(side);
            if (!learning)
                first = HttpConnector::withParam(first, side.updatedSinceParam,
                                                 mark.value().toString());
            struct Seen
            {
                QVariant at;
                QByteArray key;
                quint64 fingerprint;
                KeyText keyText;
            };
            std::vector<Seen> seen;
            const std::string updatedAt = t.updatedAt.toStdString();
            connector.readPages(side, first, [&](const HttpRecords &records, const QString &at) {
                for (size_t i = 0; i < records.size(); ++i) {
                    const QVariant when = atOf(records.member(i, updatedAt));
                    if (!when.isValid())
                        throw SyncError(QStringLiteral("%1: record %2 has no \"%3\" value; polling "
                                                       "needs it on every record")
                                            .arg(at, QString::number(i), t.updatedAt));
                    Seen s;
                    s.at = when;
                    for (const QString &k : t.keyNames) {
                        const std::optional<HttpRecords::Value> m = records.member(i, k.toStdString());
                        if (!m || m->is_null())
                            throw SyncError(QStringLiteral("%1: record %2 has no key member '%3'")
                                                .arg(at, QString::number(i), k));
                        s.keyText.append(HttpConnector::memberText(m));
                        s.key += s.keyText.back()->toUtf8() + '\0';
                    }
                    const std::string dump = simdjson::minify(records.record(i));
                    s.fingerprint = XXH3_64bits(dump.data(), dump.size());
                    seen.push_back(std::move(s));
                }
                return !(cancelled && cancelled->load());
            });
            if (cancelled && cancelled->load()) {
                result.error = QStringLiteral("cancelled");
                return result;
            }
            // Oldest first, so the mark ends at the newest time (PollMark's rule).
            std::stable_sort(seen.begin(), seen.end(),
                             [](const Seen &a, const Seen &b) { return compareAt(a.at, b.at) < 0; });
            for (const Seen &s : seen) {
                // A server that ignores the parameter sends older records too: not news.
                if (mark.isSet() && compareAt(s.at, mark.value()) < 0)
                    continue;
                if (!mark.admit(s.at, s.key, s.fingerprint) || learning)
                    continue;
                std::string text = s.at.toString().toStdString();
                const std::optional<qint64> ms = canonical::instantMs(text);
                result.events.append(ChangeEvent::ofKey(t.table, t.keyNames, s.keyText,
                                                        ms.value_or(QDateTime::currentMSecsSinceEpoch())));
            }
        }
    } catch (const SyncError &e) {
        result.error = e.message();
        return result;
    } catch (const std::exception &e) { // never into the engine's thread, which would end it
        result.error = QStringLiteral("system '%1' (http): polling failed: %2")
                           .arg(connector.system().name, QString::fromUtf8(e.what()));
        return result;
    }
    result.marks = std::move(marks);
    return result;
}

} // namespace syncdesk
