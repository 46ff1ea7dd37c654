#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QString>

#include <functional>

class QTcpServer;
class QTcpSocket;

namespace syncdesk {

// The listening end of webhook deliveries: HTTP/1.1 POSTs with a Content-Length, one per
// connection, answered and closed. Written on QTcpServer rather than Qt HttpServer because a
// receiver open to the network must bound what a sender can make it hold, and Qt HttpServer
// (6.4) reads any body whole before a handler sees it. Bounds:
//  - at most `maxConnections` open at once (more are answered 503 and closed);
//  - request line and headers at most 16 KiB (431), body at most the path's limit (413, refused
//    from its Content-Length before it is read), a Content-Length required (411);
//  - a connection that has not sent its whole request within 10 s is dropped (408).
// Runs on the thread that owns it (the engine's); a handler answers synchronously.
class WebhookServer : public QObject
{
    Q_OBJECT

public:
    struct Request
    {
        QByteArray method;
        QString path;                      // without the query
        QHash<QByteArray, QByteArray> headers; // names in lower case
        QByteArray body;
    };
    struct Response
    {
        int status = 204;
        QByteArray text; // a short plain-text reason
    };
    using Handler = std::function<Response(const Request &)>;

    WebhookServer(int maxConnections, QObject *parent);
    ~WebhookServer() override;

    // `path` is served with bodies up to `maxBodyBytes`; other paths get 404.
    void addPath(const QString &path, qint64 maxBodyBytes);
    void setHandler(Handler handler) { m_handler = std::move(handler); }
    // Returns false with the reason in errorString() (an address in use, say).
    bool listen(const QHostAddress &address, quint16 port);
    [[nodiscard]] QString errorString() const;
    [[nodiscard]] quint16 port() const;

    static constexpr qint64 MaxHeaderBytes = 16 * 1024;
    static constexpr int RequestTimeoutMs = 10000;
    static constexpr int DrainMs = 500;

private:
    struct Connection;
    void accept();
    void read(QTcpSocket *socket);
    void answer(QTcpSocket *socket, const Response &response);

    QTcpServer *m_server;
    int m_maxConnections;
    QHash<QString, qint64> m_paths;
    Handler m_handler;
    QHash<QTcpSocket *, Connection *> m_connections;
};

} // namespace syncdesk
