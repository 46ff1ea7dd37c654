#pragma once

#include "ChangeFeed.h"
#include "WebhookServer.h"
#include "WebhookVerifier.h"

#include <QList>

#include <memory>

namespace syncdesk {

// Changes an API pushes (README, "Webhooks"): each flow side with a `webhook` gets a receiver
// at its listen address and path; a delivery that passes WebhookVerifier names one record by
// the key members of the record in its body, and that key is reported as changed (the engine
// reads the record itself, so a delivery's claims never become a status). Anything else
// (unsigned, badly signed, stale, replayed, not JSON, no key) is answered 4xx and changes
// nothing. It runs beside the system's polling or rescan feed, which catches whatever
// deliveries are lost.
class HttpWebhookFeed final : public ChangeFeed
{
    Q_OBJECT

public:
    struct Table
    {
        TableRef table; // with its HTTP side spec, whose webhook is set
        QStringList keyNames;
        QString updatedAt;
    };
    HttpWebhookFeed(SystemSpec system, QList<Table> tables, QObject *parent);
    ~HttpWebhookFeed() override;

    void start() override;
    [[nodiscard]] QString mode() const override { return QStringLiteral("webhook"); }
    // The port listened on for `table`'s deliveries (0 before start()).
    [[nodiscard]] quint16 port(const QString &listen) const;

protected:
    void retry() override { start(); }

private:
    struct Endpoint; // one listen address and path: its verifier and the tables it names
    [[nodiscard]] WebhookServer::Response receive(const WebhookServer::Request &request, const QString &listen);

    QList<Table> m_tables;
    QList<std::shared_ptr<Endpoint>> m_endpoints;
    QHash<QString, WebhookServer *> m_servers; // by listen address ("127.0.0.1:8088")
};

} // namespace syncdesk
