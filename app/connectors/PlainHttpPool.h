#pragma once

#include <QList>
#include <QObject>
#include <QString>

class QTcpSocket;

namespace syncdesk {

// The kept-alive connections of one HTTP client's plain-HTTP requests (PlainHttpGet), on its
// network thread: a request takes an idle one to its host or a new one, and gives it back
// when its response ended with the connection still usable. An idle connection the server
// closes is dropped as it closes.
class PlainHttpPool : public QObject
{
public:
    explicit PlainHttpPool(QObject *parent = nullptr) : QObject(parent) {}

    // A socket to host:port owned by `owner` from now on: a connected one that carried an
    // earlier request (`reused`; the server may have closed it meanwhile), or a new one that
    // the caller connects once it listens to its signals.
    // `fresh`: always a new connection.
    [[nodiscard]] QTcpSocket *take(const QString &host, quint16 port, QObject *owner, bool *reused, bool fresh = false);
    // An idle socket whose last response ended and left it open; the pool owns it again.
    void giveBack(QTcpSocket *socket, const QString &host, quint16 port);

    // Idle connections kept at most; the system's gate caps the requests at once below it.
    static constexpr int MaxIdle = 8;

private:
    struct Idle
    {
        QTcpSocket *socket;
        QString host;
        quint16 port;
    };
    void drop(QTcpSocket *socket);

    QList<Idle> m_idle;
};

} // namespace syncdesk
