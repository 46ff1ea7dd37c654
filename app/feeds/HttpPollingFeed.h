#pragma once

#include "ChangeFeed.h"
#include "PollMark.h"

#include <QFutureWatcher>
#include <QHash>

#include <atomic>

#include <memory>

class QThreadPool;
class QTimer;

namespace syncdesk {

class HttpConnector;

// Live changes of an HTTP system by polling its list endpoints for records changed since a
// mark: `updated_since_param` = the newest `updated_at` seen (an inclusive bound, so a record
// that shares the mark's time is never missed), each change reported once (PollMark: records
// at the mark are told apart by a fingerprint of their content). The mark is kept in the state
// store, so changes made while nobody watched are reported after a restart. With no mark yet,
// the first poll reads every page once to learn it and reports nothing (the first comparison
// covers that moment). Deleted records leave no trace in such a list: the engine's periodic
// verification comparisons find them.
//
// Polls run on a pool of their own (never the comparisons' pool, which would hold them up for a
// whole comparison): the engine's thread only receives their results. A feed that goes away
// does not wait for its poll; the poll sees the cancel flag at its next page and stops.
class HttpPollingFeed final : public ChangeFeed
{
    Q_OBJECT

public:
    struct Table
    {
        TableRef table; // with its HTTP side spec
        QStringList keyNames;
        QString updatedAt;
    };
    // What one poll found.
    struct Result
    {
        QList<ChangeEvent> events;
        QHash<QString, PollMark> marks;
        QString error; // empty: the poll succeeded
    };

    HttpPollingFeed(SystemSpec system, QList<Table> tables, int intervalMs, QObject *parent);
    ~HttpPollingFeed() override;
    void start() override;
    [[nodiscard]] QString mode() const override { return QStringLiteral("polling (updated_since)"); }
    [[nodiscard]] QString positionKind() const override { return QStringLiteral("polling"); }
    void resume(const QString &position) override;

    // The threads of the process's HTTP polls, apart from the comparisons' pool.
    [[nodiscard]] static QThreadPool &pool();

    // One poll of `tables` from `marks`, as run on the pool (public for tests).
    [[nodiscard]] static Result pollOnce(HttpConnector &connector, const QList<Table> &tables,
                                         QHash<QString, PollMark> marks,
                                         const std::atomic<bool> *cancelled = nullptr);

protected:
    void retry() override { start(); }

private:
    void poll();
    void polled();

    QList<Table> m_tables;
    QHash<QString, PollMark> m_marks; // resource → where polling stopped
    std::shared_ptr<HttpConnector> m_connector; // one poll at a time uses it
    QTimer *m_timer;
    QFutureWatcher<Result> m_watcher;
    std::shared_ptr<std::atomic<bool>> m_cancelled = std::make_shared<std::atomic<bool>>(false);
    bool m_polling = false; // from poll() until polled(): one poll at a time
};

} // namespace syncdesk
