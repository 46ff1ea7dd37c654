#include "WebhookServer.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace syncdesk {

struct WebhookServer::Connection
{
    QByteArray buffer;
    qsizetype headerEnd = -1; // where the body starts, once the headers are read
    Request request;
    qint64 length = -1;
    bool answered = false;
    QTimer timer;
};

namespace {

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

} // namespace

WebhookServer::WebhookServer(int maxConnections, QObject *parent)
    : QObject(parent), m_server(new QTcpServer(this)), m_maxConnections(maxConnections)
{
    connect(m_server, &QTcpServer::newConnection, this, &WebhookServer::accept);
}

WebhookServer::~WebhookServer()
{
    for (Connection *c : std::as_const(m_connections))
        delete c;
}

void WebhookServer::addPath(const QString &path, qint64 maxBodyBytes)
{
    m_paths.insert(path, maxBodyBytes);
}

bool WebhookServer::listen(const QHostAddress &address, quint16 port)
{
    return m_server->listen(address, port);
}

QString WebhookServer::errorString() const
{
    return m_server->errorString();
}

quint16 WebhookServer::port() const
{
    return m_server->serverPort();
}

void WebhookServer::accept()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        if (m_connections.size() >= m_maxConnections) {
            // Over the bound: answered without reading, so a flood holds nothing.
            socket->write("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
                          "Connection: close\r\n\r\n");
            socket->disconnectFromHost();
            continue;
        }
        auto *c = new Connection;
        m_connections.insert(socket, c);
        c->timer.setSingleShot(true);
        connect(&c->timer, &QTimer::timeout, socket, [this, socket] {
            answer(socket, {408, "the request did not arrive in time"});
        });
        c->timer.start(RequestTimeoutMs);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { read(socket); });
        connect(socket, &QObject::destroyed, this, [this, socket] { delete m_connections.take(socket); });
    }
}

void WebhookServer::read(QTcpSocket *socket)
{
    Connection *c = m_connections.value(socket);
    if (!c)
        return;
    if (c->answered) {
        (void)socket->readAll(); // what a refused sender still sends is dropped, never kept
        return;
    }
    if (c->headerEnd < 0) {
        c->buffer += socket->read(MaxHeaderBytes + 4 - c->buffer.size());
        const qsizetype end = c->buffer.indexOf("\r\n\r\n");
        if (end < 0) {
            if (c->buffer.size() > MaxHeaderBytes)
                answer(socket, {431, "the request line and headers exceed 16 KiB"});
            return;
        }
        c->headerEnd = end + 4;
        const QList<QByteArray> lines = c->buffer.left(end).split('\n');
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        if (requestLine.size() != 3 || !requestLine[2].startsWith("HTTP/1.")) {
            answer(socket, {400, "not an HTTP/1.1 request"});
            return;
        }
        c->request.method = requestLine[0];
        c->request.path = QString::fromUtf8(requestLine[1]).section(u'?', 0, 0);
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArray name = lines[i].left(colon).trimmed().toLower();
            const QByteArray value = lines[i].mid(colon + 1).trimmed();
            // Repeated headers are joined as HTTP says (Standard Webhooks signatures are
            // space-separated within one header).
            auto it = c->request.headers.find(name);
            if (it == c->request.headers.end())
                c->request.headers.insert(name, value);
            else
                *it += (name == "webhook-signature" ? " " : ", ") + value;
        }
        if (!m_paths.contains(c->request.path)) {
            answer(socket, {404, "no webhook is received at this path"});
            return;
        }
        if (c->request.method != "POST") {
            answer(socket, {405, "webhooks are POSTed"});
            return;
        }
        if (c->request.headers.contains("transfer-encoding") || !c->request.headers.contains("content-length")) {
            answer(socket, {411, "a Content-Length is required"});
            return;
        }
        bool ok = false;
        c->length = c->request.headers.value("content-length").toLongLong(&ok);
        if (!ok || c->length < 0) {
            answer(socket, {400, "the Content-Length is not a number"});
            return;
        }
        if (c->length > m_paths.value(c->request.path)) {
            answer(socket, {413, "the body is larger than this webhook's max_body_bytes"});
            return;
        }
        c->request.body = c->buffer.mid(c->headerEnd);
        c->buffer.clear();
    }
    c->request.body += socket->read(c->length - c->request.body.size());
    if (c->request.body.size() < c->length)
        return;
    c->timer.stop();
    answer(socket, m_handler ? m_handler(c->request) : Response{503, "not ready"});
}

void WebhookServer::answer(QTcpSocket *socket, const Response &response)
{
    if (Connection *c = m_connections.value(socket)) {
        if (c->answered)
            return;
        c->answered = true;
        c->timer.stop();
    }
    const QByteArray body = response.text.isEmpty() ? QByteArray() : response.text + '\n';
    socket->write("HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status)
                  + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
                  + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    // Closing with unread bytes makes the kernel reset the connection, and the sender may lose
    // the answer: a refused request's remaining bytes are read and dropped for a moment first.
    (void)socket->readAll();
    QTimer::singleShot(response.status >= 400 ? DrainMs : 0, socket, [socket] { socket->disconnectFromHost(); });
}

} // namespace syncdesk
