#pragma once

#include "ChangeFeed.h"

#include <memory>

class QSocketNotifier;
class QTimer;

namespace syncdesk {

class PgConnection;

// PostgreSQL changes through the trigger `syncdesk-cli feed install-sql` prints: LISTEN on
// syncdesk_changes; each notification names a row's table and key, delivered at commit.
// Notifications sent while disconnected are lost, so a reconnect asks for a rescan.
class PgNotifyFeed final : public ChangeFeed
{
    Q_OBJECT

public:
    PgNotifyFeed(SystemSpec system, QObject *parent);
    ~PgNotifyFeed() override;

    void start() override;
    [[nodiscard]] QString mode() const override { return QStringLiteral("notify (trigger)"); }

    static constexpr const char *Channel = "syncdesk_changes";

protected:
    void retry() override { start(); }

private:
    void onReadable();
    void fail(const QString &error);

    static constexpr int PingIntervalMs = 5000;

    std::unique_ptr<PgConnection> m_conn;
    QSocketNotifier *m_notifier = nullptr;
    QTimer *m_pingTimer;
};

} // namespace syncdesk
