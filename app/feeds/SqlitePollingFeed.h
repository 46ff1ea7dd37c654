#pragma once

#include "ChangeFeed.h"

#include <QHash>

class QTimer;

namespace syncdesk {

// Live changes of an SQLite file by polling: PRAGMA data_version tells cheaply whether anyone
// wrote; then rows whose updated_at column moved past the last mark are reported with that
// time. Tables without an updated_at column (and deletes, which leave no row) are caught by
// asking for a rescan.
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

protected:
    void retry() override { start(); }

private:
    void poll();
    QList<Table> m_tables;
    QHash<QString, QString> m_marks; // table → last updated_at seen (text, compared as SQLite does)
    QTimer *m_timer;
    QString m_connection;
    qint64 m_dataVersion = -1;
};

} // namespace syncdesk
