#pragma once

#include "ChangeFeed.h"

#include <QHash>
#include <QSet>

#include <memory>

class QTimer;

namespace syncdesk {

class PgConnection;

// PostgreSQL changes by polling each flow table's updated_at column: the last resort before
// rescans, for servers that allow neither logical decoding nor triggers. It cannot see
// deletes; the verification scan does.
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

protected:
    void retry() override { start(); }

private:
    void poll();
    void fail(const QString &error);

    QList<Table> m_tables;
    QHash<QString, QString> m_marks; // table → newest updated_at seen, as the server prints it
    QHash<QString, QSet<QString>> m_atMark; // table → keys already reported at that mark
    std::unique_ptr<PgConnection> m_conn;
    QTimer *m_timer;
};

} // namespace syncdesk
