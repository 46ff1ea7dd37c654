#pragma once

#include <QByteArray>
#include <QList>
#include <QMutex>
#include <QPair>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QThread>

#include <functional>
#include <memory>

class QTcpServer;

// HTTP servers for the HTTP connector's tests: the third-party ones (installed by
// tests/support/http-servers.sh from npm) and a small fault-injecting one of our own.
namespace testsupport {

// A third-party server on a free loopback port, stopped when this goes away.
class ThirdPartyServer
{
public:
    enum class Kind { JsonServer, PouchDb };
    ThirdPartyServer() = default;
    ~ThirdPartyServer();
    ThirdPartyServer(const ThirdPartyServer &) = delete;
    ThirdPartyServer &operator=(const ThirdPartyServer &) = delete;

    // json-server serves `dataFile` (a db.json); pouchdb-server runs in memory.
    bool start(Kind kind, const QString &dataFile, QString *error);
    [[nodiscard]] QString baseUrl() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }
    [[nodiscard]] int port() const { return m_port; }
    // Stops it (an outage), and starts it again on the same port with the same data.
    void stop();
    bool restart(QString *error);

private:
    bool launch(QString *error);

    QString m_bin;
    QStringList m_args;
    QProcess m_process;
    QTemporaryDir m_workDir; // pouchdb-server writes its config and log where it runs
    int m_port = 0;
};

// A port nothing listens on right now.
int freePort();

// One request, answered synchronously: the status (0 when there was no answer) and the body.
int httpRequest(const QByteArray &method, const QString &url, const QByteArray &body = {},
                QByteArray *response = nullptr, const QList<QPair<QByteArray, QByteArray>> &headers = {});

// A raw HTTP/1.1 server on its own thread whose answers a test writes byte for byte: pages,
// 429 storms, bodies cut short, malformed JSON, redirects. Each connection gets one answer and
// is closed; with Connections::KeepAlive, a connection carries answers until one is empty (the
// connection is then closed without an answer, as a server closes an idle one).
class FaultServer
{
public:
    struct Request
    {
        QByteArray method;
        QByteArray target; // path and query as sent
        QList<QPair<QByteArray, QByteArray>> headers;
        QByteArray body;
        int connection = 0;   // which connection it came on, from 1
        int onConnection = 0; // the how-manieth request on that connection, from 1
        [[nodiscard]] QByteArray header(const QByteArray &name) const;
    };
    enum class Connections { OneAnswer, KeepAlive };
    // Returns the whole response (status line, headers, body) to write.
    using Handler = std::function<QByteArray(const Request &)>;

    explicit FaultServer(Handler handler, Connections connections = Connections::OneAnswer);
    ~FaultServer();
    [[nodiscard]] QString baseUrl() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }
    [[nodiscard]] QList<Request> requests() const;

    // A complete response with a JSON body.
    static QByteArray json(int status, const QByteArray &body, const QByteArray &extraHeaders = {});

private:
    Handler m_handler;
    QThread m_thread;
    QTcpServer *m_server = nullptr;
    int m_port = 0;
    mutable QMutex m_mutex;
    QList<Request> m_requests;
    int m_connections = 0; // server thread only
};

// The folder the npm servers were installed into.
QString httpServersDir();

} // namespace testsupport
