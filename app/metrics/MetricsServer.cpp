#include "MetricsServer.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace syncdesk {

MetricsServer::MetricsServer(Body body, QObject *parent)
    : QObject(parent), m_body(std::move(body)), m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &MetricsServer::onConnection);
}

bool MetricsServer::listen(const QHostAddress &address, quint16 port, QString *error)
{
    if (m_server->listen(address, port))
        return true;
    *error = m_server->errorString();
    return false;
}

quint16 MetricsServer::port() const
{
    return m_server->serverPort();
}

void MetricsServer::onConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        // A client that never finishes its request does not keep a socket forever.
        QTimer::singleShot(10000, socket, [socket] { socket->abort(); });
        connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
            if (socket->property("answered").toBool())
                return;
            QByteArray request = socket->property("request").toByteArray() + socket->readAll();
            if (request.size() > 16384) { // not a scrape
                socket->abort();
                return;
            }
            socket->setProperty("request", request);
            if (!request.contains("\r\n\r\n"))
                return;
            socket->setProperty("answered", true);
            const QList<QByteArray> line = request.left(request.indexOf("\r\n")).split(' ');
            const bool metrics = line.value(0) == "GET"
                                 && (line.value(1) == "/metrics" || line.value(1).startsWith("/metrics?"));
            const QByteArray body = metrics ? m_body() : QByteArray("not found: try /metrics\n");
            socket->write((metrics ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 404 Not Found\r\n")
                          + QByteArray("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n")
                          + "Content-Length: " + QByteArray::number(body.size())
                          + "\r\nConnection: close\r\n\r\n" + body);
            socket->disconnectFromHost();
        });
    }
}

} // namespace syncdesk
