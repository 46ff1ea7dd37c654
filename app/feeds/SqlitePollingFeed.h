#pragma once

#include "ChangeFeed.h"
#include "KeySet.h"
#include "PollMark.h"

#include <QHash>
#include <QSet>
#include <QSqlError>

class QTimer;

namespace syncdesk {

// Live changes of an SQLite file by polling: PRAGMA data_version tells cheaply whether anyone
// wrote; then rows whose updated_at column reached the last mark are reported with that time,
// each change once (PollMark). Deletes leave no row: when a table's count(*) no longer matches
// the keys known, its keys are read again and the missing ones reported (KeySet). Tables
// without an updated_at column are caught by asking for a rescan.
class SqlitePollingFeed final : public ChangeFeed
{
    Q_OBJECT

public:
    struct Table
    {
        TableRef table;
        QStringList keyColumns;
        QString updatedAt; // empty: this table cannot be polled row by row
    };

    SqlitePollingFeed(SystemSpec system, QList<Table> tables, int intervalMs, QObject *parent);
    ~SqlitePollingFeed() override;

    void start() override;
    [[nodiscard]] QString mode() const override;
    [[nodiscard]] QString positionKind() const override { return QStringLiteral("polling"); }
    void resume(const QString &position) override;

protected:
    void retry() override { start(); }

private:
    void poll();
    // Reads `t`'s keys again when its row count says some were deleted (or inserted unseen).
    // Returns the error, of type NoError when the check ran.
    [[nodiscard]] QSqlError checkKeys(const Table &t, QList<ChangeEvent> &events);
    [[nodiscard]] QString position() const;
    QList<Table> m_tables;
    QHash<QString, PollMark> m_marks; // table → where polling stopped
    QHash<QString, KeySet> m_keys;    // table → its keys as last known
    QTimer *m_timer;
    QString m_connection;
    qint64 m_dataVersion = -1;
    QSet<QString> m_unlearned; // tables unreadable at the first poll: their mark is learnt later
};

} // namespace syncdesk
