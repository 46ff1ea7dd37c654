#pragma once

#include "HttpResponseParser.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QString>
#include <QTimer>
#include <QUrl>

#include <functional>

class QTcpSocket;

namespace syncdesk {

class PlainHttpPool;

// One GET over plain HTTP/1.1 on a kept-alive connection of a PlainHttpPool, on the client's
// network thread. Why not QNetworkAccessManager here: on unencrypted connections its HTTP
// channel reads each response's status line and headers one byte per system call (its socket
// is unbuffered), about 480 calls for a page with four Link headers; on a list of 100 pages
// that was a third of a comparison's CPU. This reads in blocks. HTTPS, other methods, URLs with
// user info and any configured proxy stay with QNetworkAccessManager (suits()).
// What it does not do, as the client asks for nothing of it: compression (no Accept-Encoding is
// sent), redirects (answered as they are: the client follows them), authentication challenges.
class PlainHttpGet : public QObject
{
public:
    struct Result
    {
        int status = 0;
        QByteArray reason;
        QList<QPair<QByteArray, QByteArray>> headers;
        QByteArray body;
        int error = 0; // a QNetworkReply::NetworkError, as QNetworkAccessManager would say it
        QString errorString;
        bool oversized = false; // the body is larger than the limit
    };
    // The final status and headers, before the body.
    using HeadersArrived = std::function<void(int status, const QList<QPair<QByteArray, QByteArray>> &headers)>;
    // Called once, whatever the end (an answer, a failure, abort()); the object then deletes
    // itself (deleteLater).
    using Finished = std::function<void(Result &&result)>;

    PlainHttpGet(PlainHttpPool &pool, const QUrl &url, const QList<QPair<QByteArray, QByteArray>> &headers,
                 int timeoutMs, qint64 maxBodyBytes, HeadersArrived headersArrived, Finished finished,
                 QObject *parent = nullptr);
    ~PlainHttpGet() override;

    void start();
    // Ends the request now (OperationCanceledError); its connection is closed, not reused.
    void abort();

    // Whether a request goes this way (see the class comment).
    [[nodiscard]] static bool suits(const QByteArray &method, const QUrl &url, const QByteArray &body);

private:
    void send();
    void readAvailable();
    void onClosed();
    void onSocketError();
    void finish(int error, const QString &errorString);
    // The first try on a reused connection failed before any byte came back: the server had
    // closed it while idle. Tried once more on a new connection (a GET is safe to repeat).
    bool retryOnNewConnection();

    PlainHttpPool &m_pool;
    QString m_host;
    quint16 m_port = 80;
    QByteArray m_request;
    int m_timeoutMs;
    qint64 m_maxBody;
    HttpResponseParser m_parser;
    HeadersArrived m_headersArrived;
    Finished m_finished;
    QTcpSocket *m_socket = nullptr;
    QTimer m_timeout;
    bool m_reused = false;
    bool m_retried = false;
    bool m_received = false; // any byte of the answer
    bool m_headersReported = false;
    bool m_done = false;
};

} // namespace syncdesk
