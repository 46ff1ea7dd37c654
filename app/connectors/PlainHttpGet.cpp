#include "PlainHttpGet.h"

#include "PlainHttpPool.h"

#include <QNetworkProxy>
#include <QNetworkProxyFactory>
#include <QNetworkReply>
#include <QTcpSocket>

#include <algorithm>
#include <utility>

namespace syncdesk {

PlainHttpGet::PlainHttpGet(PlainHttpPool &pool, const QUrl &url, const QList<QPair<QByteArray, QByteArray>> &headers,
                           int timeoutMs, qint64 maxBodyBytes, HeadersArrived headersArrived, Finished finished,
                           QObject *parent)
    : QObject(parent), m_pool(pool), m_host(url.host()), m_port(quint16(url.port(80))),
      m_timeoutMs(timeoutMs), m_maxBody(maxBodyBytes), m_parser(maxBodyBytes),
      m_headersArrived(std::move(headersArrived)), m_finished(std::move(finished))
{
    QByteArray target = url.path(QUrl::FullyEncoded).toLatin1();
    if (target.isEmpty())
        target = "/";
    if (url.hasQuery())
        target += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    QByteArray host = url.host(QUrl::FullyEncoded).toLatin1();
    if (host.contains(':'))
        host = '[' + host + ']'; // an IPv6 address
    if (m_port != 80)
        host += ':' + QByteArray::number(m_port);
    m_request = "GET " + target + " HTTP/1.1\r\n";
    // A Host the system's headers name replaces ours (a virtual host behind an address).
    if (std::none_of(headers.begin(), headers.end(),
                     [](const auto &h) { return h.first.compare("Host", Qt::CaseInsensitive) == 0; }))
        m_request += "Host: " + host + "\r\n";
    for (const auto &[name, value] : headers)
        m_request += name + ": " + value + "\r\n";
    m_request += "\r\n";
    m_timeout.setSingleShot(true);
    m_timeout.setInterval(m_timeoutMs);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        finish(QNetworkReply::TimeoutError,
               QStringLiteral("the server sent nothing for %1 s").arg(m_timeoutMs / 1000.0));
    });
}

PlainHttpGet::~PlainHttpGet() = default;

bool PlainHttpGet::suits(const QByteArray &method, const QUrl &url, const QByteArray &body)
{
    if (method != "GET" || !body.isEmpty() || url.scheme() != u"http" || !url.userInfo().isEmpty())
        return false;
    // Direct only: the proxy Qt Network would pick for this URL (application proxy or factory).
    const QList<QNetworkProxy> proxies = QNetworkProxyFactory::proxyForQuery(QNetworkProxyQuery(url));
    return proxies.isEmpty() || proxies.first().type() == QNetworkProxy::NoProxy;
}

void PlainHttpGet::start()
{
    send();
}

void PlainHttpGet::send()
{
    m_socket = m_pool.take(m_host, m_port, this, &m_reused, m_retried);
    connect(m_socket, &QTcpSocket::readyRead, this, &PlainHttpGet::readAvailable);
    connect(m_socket, &QTcpSocket::disconnected, this, &PlainHttpGet::onClosed);
    connect(m_socket, &QTcpSocket::errorOccurred, this, &PlainHttpGet::onSocketError);
    m_timeout.start();
    // Connected only now that its errors are heard: a connection can fail within this call
    // (an address known at once that cannot be reached), which ends or retries this request.
    if (!m_reused) {
        QTcpSocket *socket = m_socket;
        socket->connectToHost(m_host, m_port);
        if (m_done || m_socket != socket)
            return;
    }
    m_socket->write(m_request); // sent once connected, if it is not yet
}

void PlainHttpGet::abort()
{
    finish(QNetworkReply::OperationCanceledError, QStringLiteral("Operation canceled"));
}

void PlainHttpGet::readAvailable()
{
    // One block per read: the socket already took everything the kernel had in one call.
    thread_local QByteArray block(64 * 1024, Qt::Uninitialized);
    while (!m_done && m_socket) {
        // A body of known length is read where it goes: one copy (the socket's buffer to the
        // body) instead of two; its end is the response's, no byte past it is taken.
        if (const auto [to, room] = m_parser.bodySpace(); room > 0) {
            const qint64 n = m_socket->read(to, room);
            if (n <= 0)
                return;
            m_received = true;
            m_timeout.start();
            m_parser.bodyWritten(qsizetype(n));
            if (m_parser.done())
                finish(QNetworkReply::NoError, {}); // reused only if nothing came after it
            continue;
        }
        const qint64 n = m_socket->read(block.data(), block.size());
        if (n <= 0)
            return;
        m_received = true;
        m_timeout.start();
        const qsizetype used = m_parser.feed(block.constData(), qsizetype(n));
        if (m_parser.headersComplete() && !m_headersReported) {
            m_headersReported = true;
            if (m_headersArrived)
                m_headersArrived(m_parser.status(), m_parser.headers());
            if (m_done)
                return;
        }
        if (m_parser.failed()) {
            if (m_parser.oversized())
                finish(QNetworkReply::OperationCanceledError, m_parser.error());
            else // before the headers: no HTTP server (not retried); after them, a body cut wrong
                finish(m_parser.headersComplete() ? QNetworkReply::UnknownNetworkError : QNetworkReply::ProtocolFailure,
                       QStringLiteral("the response is not valid HTTP/1.1: %1").arg(m_parser.error()));
            return;
        }
        if (m_parser.done()) {
            // Bytes past the response answer nothing we asked: the connection goes.
            finish(used < n ? -1 : QNetworkReply::NoError, {});
            return;
        }
    }
}

void PlainHttpGet::onClosed()
{
    if (m_done)
        return;
    readAvailable(); // what came before the close
    if (m_done)
        return;
    if (!m_received && retryOnNewConnection())
        return;
    m_parser.closed();
    if (m_parser.done())
        finish(QNetworkReply::NoError, {});
    else
        finish(QNetworkReply::RemoteHostClosedError, m_parser.error());
}

void PlainHttpGet::onSocketError()
{
    if (m_done || !m_socket)
        return;
    const QAbstractSocket::SocketError error = m_socket->error();
    if (error == QAbstractSocket::RemoteHostClosedError) {
        onClosed();
        return;
    }
    if (!m_received && retryOnNewConnection())
        return;
    int code = QNetworkReply::UnknownNetworkError;
    switch (error) {
    case QAbstractSocket::ConnectionRefusedError: code = QNetworkReply::ConnectionRefusedError; break;
    case QAbstractSocket::HostNotFoundError: code = QNetworkReply::HostNotFoundError; break;
    case QAbstractSocket::SocketTimeoutError: code = QNetworkReply::TimeoutError; break;
    default: break;
    }
    finish(code, m_socket->errorString());
}

bool PlainHttpGet::retryOnNewConnection()
{
    if (!m_reused || m_retried)
        return false;
    m_retried = true;
    disconnect(m_socket, nullptr, this, nullptr);
    m_socket->abort();
    m_socket->deleteLater();
    m_socket = nullptr;
    m_parser = HttpResponseParser(m_maxBody);
    send();
    return true;
}

void PlainHttpGet::finish(int error, const QString &errorString)
{
    if (m_done)
        return;
    m_done = true;
    m_timeout.stop();
    // -1: an answer, on a connection that is not to be used again.
    const bool reusable = error == QNetworkReply::NoError && m_parser.keepAlive() && m_socket
                          && m_socket->state() == QAbstractSocket::ConnectedState && m_socket->bytesAvailable() == 0;
    if (error < 0)
        error = QNetworkReply::NoError;
    if (m_socket) {
        disconnect(m_socket, nullptr, this, nullptr);
        if (reusable) {
            m_pool.giveBack(m_socket, m_host, m_port);
        } else {
            m_socket->abort();
            m_socket->deleteLater();
        }
        m_socket = nullptr;
    }
    Result r;
    if (m_parser.headersComplete()) {
        r.status = m_parser.status();
        r.reason = m_parser.reason();
        r.headers = m_parser.headers();
    }
    if (error == QNetworkReply::NoError)
        r.body = m_parser.takeBody();
    r.error = error;
    r.errorString = errorString;
    r.oversized = m_parser.oversized();
    if (const Finished finished = std::exchange(m_finished, nullptr))
        finished(std::move(r));
    deleteLater();
}

} // namespace syncdesk
