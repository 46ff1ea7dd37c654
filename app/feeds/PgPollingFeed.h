#pragma once

#include "ChangeFeed.h"
#include "KeySet.h"
#include "PollMark.h"

#include <QHash>
#include <QSet>

#include <memory>

class QTimer;

namespace syncdesk {

class PgConnection;

// PostgreSQL changes by polling each flow table's updated_at column: the last resort before
// rescans, for servers that allow neither logical decoding nor triggers. Each change is
// reported once (PollMark, with the row's md5 as its content). Deletes leave no row: when the
// table's deleted-rows counter (pg_stat_user_tables.n_tup_del) moves, or at every poll for a
// table whose keys read cheaply, its keys are read again and the missing ones reported (KeySet).
class PgPollingFeed final : public ChangeFeed
{
    Q_OBJECT

public:
    struct Table
    {
        TableRef table;
        QStringList keyColumns;
        QString updatedAt;
    };

    PgPollingFeed(SystemSpec system, QList<Table> tables, int intervalMs, QObject *parent);
    ~PgPollingFeed() override;

    void start() override;
    [[nodiscard]] QString mode() const override { return QStringLiteral("polling (updated_at)"); }
    [[nodiscard]] QString positionKind() const override { return QStringLiteral("polling"); }
    void resume(const QString &position) override;

protected:
    void retry() override { start(); }

private:
    void poll();
    // Reads `t`'s rows from its mark on and its keys; throws SyncError.
    void pollTable(const Table &t, QList<ChangeEvent> &events);
    // Reads `t`'s keys and, without a mark kept, starts its mark at its newest row.
    void learn(const Table &t, QList<ChangeEvent> &meanwhile);
    void fail(const QString &error);
    // Reads `t`'s keys again when its deleted-rows counter moved; throws SyncError.
    void checkKeys(const Table &t, QList<ChangeEvent> &events);
    [[nodiscard]] QByteArray from(const Table &t) const;
    // "SELECT <keys>, <updated_at>, md5(t::text) FROM <table> t": the columns a poll reads.
    [[nodiscard]] QByteArray rowSelect(const Table &t) const;
    [[nodiscard]] QString position() const;

    QList<Table> m_tables;
    QHash<QString, PollMark> m_marks; // table → where polling stopped (times as the server prints them)
    QHash<QString, KeySet> m_keys;    // table → its keys as last known
    QHash<QString, qint64> m_deleted; // table → n_tup_del when its keys were last read
    QHash<QString, qint64> m_keyReadMs; // table → how long its last key read took
    QSet<QString> m_unlearned; // tables that could not be read at start: learnt, not reported, later
    std::unique_ptr<PgConnection> m_conn;
    QTimer *m_timer;
};

} // namespace syncdesk
