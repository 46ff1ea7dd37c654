#include "HttpServers.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTcpServer>
#include <QTcpSocket>

namespace testsupport {

QString httpServersDir()
{
    const QByteArray env = qgetenv("SYNCDESK_HTTP_SERVERS_DIR");
    return env.isEmpty() ? QStringLiteral(SYNCDESK_SOURCE_DIR "/.cache/test-servers")
                         : QString::fromLocal8Bit(env);
}

int freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

ThirdPartyServer::~ThirdPartyServer()
{
    stop();
}

void ThirdPartyServer::stop()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.terminate();
        if (!m_process.waitForFinished(5000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
}

bool ThirdPartyServer::start(Kind kind, const QString &dataFile, QString *error)
{
    m_bin = httpServersDir() + (kind == Kind::JsonServer ? QStringLiteral("/node_modules/.bin/json-server")
                                                         : QStringLiteral("/node_modules/.bin/pouchdb-server"));
    if (!QFile::exists(m_bin)) {
        *error = QStringLiteral("%1 is not installed; run tests/support/http-servers.sh install "
                                "(packaging/install-deps.sh does)").arg(m_bin);
        return false;
    }
    m_port = freePort();
    m_args = QStringList{QStringLiteral("--host"), QStringLiteral("127.0.0.1"), QStringLiteral("--port"),
                         QString::number(m_port)};
    if (kind == Kind::JsonServer)
        m_args << QStringLiteral("--quiet") << dataFile;
    else
        m_args << QStringLiteral("--in-memory");
    return launch(error);
}

bool ThirdPartyServer::restart(QString *error)
{
    stop();
    return launch(error);
}

bool ThirdPartyServer::launch(QString *error)
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.setWorkingDirectory(m_workDir.path());
    m_process.start(m_bin, m_args);
    if (!m_process.waitForStarted(10000)) {
        *error = QStringLiteral("%1 did not start: %2").arg(m_bin, m_process.errorString());
        return false;
    }
    // Ready when it answers a request (node takes a second or two to load).
    const QDeadlineTimer deadline(30000);
    while (!deadline.hasExpired()) {
        if (httpRequest("GET", baseUrl() + u'/') > 0)
            return true;
        if (m_process.state() == QProcess::NotRunning) {
            *error = QStringLiteral("%1 exited: %2").arg(m_bin, QString::fromUtf8(m_process.readAll()));
            return false;
        }
        m_process.waitForReadyRead(200); // a bounded wait for the server, not a sleep on a guess
    }
    *error = QStringLiteral("%1 did not answer on port %2 within 30 s").arg(m_bin).arg(m_port);
    return false;
}

int httpRequest(const QByteArray &method, const QString &url, const QByteArray &body, QByteArray *response,
                const QList<QPair<QByteArray, QByteArray>> &headers)
{
    QNetworkAccessManager nam;
    QNetworkRequest request{QUrl(url)};
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    request.setTransferTimeout(10000);
    QNetworkReply *reply = nam.sendCustomRequest(request, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (response)
        *response = reply->readAll();
    delete reply;
    return status;
}

QByteArray FaultServer::Request::header(const QByteArray &name) const
{
    for (const auto &[k, v] : headers) {
        if (k.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    }
    return {};
}

QByteArray FaultServer::json(int status, const QByteArray &body, const QByteArray &extraHeaders)
{
    return "HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: application/json\r\n"
           + "Content-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n"
           + extraHeaders + "\r\n" + body;
}

FaultServer::FaultServer(Handler handler, Connections connections) : m_handler(std::move(handler))
{
    m_server = new QTcpServer;
    m_server->listen(QHostAddress::LocalHost, 0);
    m_port = m_server->serverPort();
    m_server->moveToThread(&m_thread);
    QObject::connect(m_server, &QTcpServer::newConnection, m_server, [this, connections] {
        while (QTcpSocket *socket = m_server->nextPendingConnection()) {
            auto buffer = std::make_shared<QByteArray>();
            const int connection = ++m_connections;
            auto requests = std::make_shared<int>(0);
            QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket, buffer, connection, requests, connections] {
                buffer->append(socket->readAll());
                const qsizetype end = buffer->indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                Request r;
                const QList<QByteArray> lines = buffer->left(end).split('\n');
                const QList<QByteArray> first = lines.value(0).trimmed().split(' ');
                r.method = first.value(0);
                r.target = first.value(1);
                qsizetype length = 0;
                for (qsizetype i = 1; i < lines.size(); ++i) {
                    const qsizetype colon = lines[i].indexOf(':');
                    if (colon < 0)
                        continue;
                    const QByteArray name = lines[i].left(colon).trimmed();
                    const QByteArray value = lines[i].mid(colon + 1).trimmed();
                    r.headers.append({name, value});
                    if (name.compare("Content-Length", Qt::CaseInsensitive) == 0)
                        length = value.toLongLong();
                }
                if (buffer->size() < end + 4 + length)
                    return; // the body is still coming
                r.body = buffer->mid(end + 4, length);
                buffer->remove(0, end + 4 + length);
                r.connection = connection;
                r.onConnection = ++*requests;
                {
                    const QMutexLocker lock(&m_mutex);
                    m_requests.append(r);
                }
                const QByteArray answer = m_handler(r);
                socket->write(answer);
                if (connections == Connections::OneAnswer || answer.isEmpty())
                    socket->disconnectFromHost();
            });
        }
    });
    m_thread.start();
}

FaultServer::~FaultServer()
{
    QMetaObject::invokeMethod(m_server, [this] { delete m_server; }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

QList<FaultServer::Request> FaultServer::requests() const
{
    const QMutexLocker lock(&m_mutex);
    return m_requests;
}

} // namespace testsupport
