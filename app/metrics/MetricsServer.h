#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QObject>

#include <functional>

class QTcpServer;

namespace syncdesk {

// A minimal HTTP/1.1 endpoint serving GET /metrics for Prometheus scrapes. One response per
// connection; anything but GET /metrics gets 404.
class MetricsServer : public QObject
{
    Q_OBJECT

public:
    using Body = std::function<QByteArray()>;
    MetricsServer(Body body, QObject *parent = nullptr);

    // Returns false with `error` set when the address cannot be bound.
    [[nodiscard]] bool listen(const QHostAddress &address, quint16 port, QString *error);
    [[nodiscard]] quint16 port() const;

private:
    void onConnection();
    Body m_body;
    QTcpServer *m_server;
};

} // namespace syncdesk
