#pragma once

#include "ChangeFeed.h"

#include <QFutureWatcher>
#include <QHash>
#include <QJsonValue>

#include <atomic>
#include <memory>

class QTimer;

namespace syncdesk {

class HttpConnector;

// Live changes of a CouchDB-style API from its changes feed (`changes`: "db/_changes"): every
// poll asks for what happened since the last sequence seen (`?since=SEQ`), in pages, and each
// result names a document id, which is the record's key; deletions come too, so a deleted
// document is reported at the next poll rather than at the next verification. The sequences
// are kept in the state store: changes made while nobody watched are reported after a restart.
// With no sequence yet, the first poll asks for `since=now` and reports nothing (the first
// comparison covers that moment). Sequences are opaque (numbers in PouchDB, strings in
// CouchDB 2+) and sent back as they came. A change carries no time, so its lag counts from
// when the poll saw it. Polls run on the HTTP polling pool, never on the engine's thread.
class HttpChangesFeed final : public ChangeFeed
{
    Q_OBJECT

public:
    struct Table
    {
        TableRef table; // with its HTTP side spec, whose `changes` names the feed
        QStringList keyNames; // one member
    };
    struct Result
    {
        QList<ChangeEvent> events;
        QHash<QString, QJsonValue> sequences; // changes path → last sequence seen
        QString error;
    };

    HttpChangesFeed(SystemSpec system, QList<Table> tables, int intervalMs, QObject *parent);
    ~HttpChangesFeed() override;
    void start() override;
    [[nodiscard]] QString mode() const override { return QStringLiteral("changes feed"); }
    [[nodiscard]] QString positionKind() const override { return QStringLiteral("changes"); }
    void resume(const QString &position) override;

    // One poll of `tables` from `sequences`, as run on the pool (public for tests). At most
    // `pageSize` results a request.
    [[nodiscard]] static Result pollOnce(HttpConnector &connector, const QList<Table> &tables,
                                         QHash<QString, QJsonValue> sequences,
                                         const std::atomic<bool> *cancelled = nullptr, int pageSize = 500);

protected:
    void retry() override { start(); }

private:
    void poll();
    void polled();
    [[nodiscard]] static QString position(const QHash<QString, QJsonValue> &sequences);

    QList<Table> m_tables;
    QHash<QString, QJsonValue> m_sequences;
    std::shared_ptr<HttpConnector> m_connector;
    QTimer *m_timer;
    QFutureWatcher<Result> m_watcher;
    std::shared_ptr<std::atomic<bool>> m_cancelled = std::make_shared<std::atomic<bool>>(false);
    bool m_polling = false;
};

} // namespace syncdesk
