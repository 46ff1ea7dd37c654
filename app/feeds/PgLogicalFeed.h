#pragma once

#include "ChangeFeed.h"
#include "Wal2JsonMessage.h"
#include "connectors/PgHandles.h"

#include <QList>

class QSocketNotifier;
class QTimer;

namespace syncdesk {

// PostgreSQL logical decoding (wal2json, format 2) over a replication connection: every
// committed row change with its commit time, milliseconds after the commit. The slot is
// confirmed only up to what the engine has persisted, so a restart — of SyncDesk or of the
// server — replays whatever was not yet recorded.
class PgLogicalFeed final : public ChangeFeed
{
    Q_OBJECT

public:
    PgLogicalFeed(SystemSpec system, QString slot, QList<TableRef> tables, QObject *parent);
    ~PgLogicalFeed() override;

    void start() override;
    void confirm(const QString &position) override;
    [[nodiscard]] QString mode() const override { return QStringLiteral("logical (wal2json)"); }
    [[nodiscard]] QString positionKind() const override { return QStringLiteral("logical"); }
    [[nodiscard]] bool deliversWholeWakeups() const override { return true; }

    // The slot a workspace uses for a system: stable, unique per workspace file.
    [[nodiscard]] static QString slotName(const QString &workspacePath, const QString &system);
    [[nodiscard]] static quint64 parseLsn(const QString &lsn);
    [[nodiscard]] static QString formatLsn(quint64 lsn);

protected:
    void retry() override { start(); }

private:
    void connectAndStream();
    void onReadable();
    // Reads what libpq has; returns the error that ended the stream, if one did.
    [[nodiscard]] QString drain();
    void handleData(const char *data, int length, quint64 walStart);
    // Column `at`'s name as told, for `name` as sent (reused while they agree).
    [[nodiscard]] const QString &columnName(size_t at, const std::string &name);
    void sendStatus(bool force);
    [[nodiscard]] bool writeStatus();
    void fail(const QString &error);
    // libpq's last message for the replication connection: one line, no password.
    [[nodiscard]] QString lastError() const;

    QString m_slot;
    QList<TableRef> m_tables;
    PgConnPtr m_conn;
    QSocketNotifier *m_notifier = nullptr;
    QTimer *m_statusTimer;
    QList<ChangeEvent> m_transaction;
    QList<ChangeEvent> m_committed; // whole transactions read in this wake-up, not yet handed over
    std::string m_lastSchema, m_lastTableName; // the table of the last change read, as sent
    TableRef m_lastTable;                      // … and as told
    quint32 m_xid = 0;                         // the transaction being read (its begin told it)
    std::vector<std::pair<std::string, QString>> m_columnNames; // by position in the row: as sent, as told
    Wal2JsonMessage m_message; // the one being read (kept: its buffers are reused)
    static constexpr qint64 OutstandingLimitMs = 5000;
    // Silence from the server for this long, though every status asks it to reply: it is
    // paused, hung or cut off. (A walsender busy decoding still answers between messages.)
    static constexpr qint64 HungAfterMs = 20000;
    qint64 m_lastHeardMs = 0;
    quint64 m_received = 0;  // highest WAL position seen
    quint64 m_confirmed = 0; // highest position the engine persisted
    quint64 m_reported = 0;
    quint64 m_emitted = 0;   // position of the last transaction handed to the engine
    bool m_images = false;        // changes carry their rows (RowImage)
    bool m_inTransaction = false; // between a transaction's begin and commit messages
    qint64 m_outstandingSinceMs = 0; // when changes handed over began to wait for confirmation
};

} // namespace syncdesk
