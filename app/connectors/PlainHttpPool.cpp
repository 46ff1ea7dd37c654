#include "PlainHttpPool.h"

#include <QTcpSocket>

namespace syncdesk {

QTcpSocket *PlainHttpPool::take(const QString &host, quint16 port, QObject *owner, bool *reused, bool fresh)
{
    // The most recently used first: the least likely to have been closed by the server.
    for (qsizetype i = m_idle.size() - 1; i >= 0 && !fresh; --i) {
        const Idle idle = m_idle[i];
        if (idle.host != host || idle.port != port)
            continue;
        m_idle.removeAt(i);
        QObject::disconnect(idle.socket, nullptr, this, nullptr);
        // Bytes on an idle connection answer nothing we asked: it is not to be trusted.
        if (idle.socket->state() != QAbstractSocket::ConnectedState || idle.socket->bytesAvailable() > 0) {
            idle.socket->abort();
            idle.socket->deleteLater();
            continue;
        }
        idle.socket->setParent(owner);
        *reused = true;
        return idle.socket;
    }
    auto *socket = new QTcpSocket(owner);
    // Buffered (unlike Qt Network's own HTTP channel on plain connections): the status line and
    // headers are read in blocks, not one byte per system call.
    QObject::connect(socket, &QTcpSocket::connected, socket,
                     [socket] { socket->setSocketOption(QAbstractSocket::LowDelayOption, 1); });
    *reused = false;
    return socket;
}

void PlainHttpPool::giveBack(QTcpSocket *socket, const QString &host, quint16 port)
{
    if (m_idle.size() >= MaxIdle) {
        QTcpSocket *oldest = m_idle.takeFirst().socket;
        QObject::disconnect(oldest, nullptr, this, nullptr);
        oldest->abort();
        oldest->deleteLater();
    }
    socket->setParent(this);
    m_idle.append({socket, host, port});
    QObject::connect(socket, &QTcpSocket::disconnected, this, [this, socket] { drop(socket); });
    QObject::connect(socket, &QTcpSocket::errorOccurred, this, [this, socket] { drop(socket); });
}

void PlainHttpPool::drop(QTcpSocket *socket)
{
    for (qsizetype i = 0; i < m_idle.size(); ++i) {
        if (m_idle[i].socket == socket) {
            m_idle.removeAt(i);
            QObject::disconnect(socket, nullptr, this, nullptr);
            socket->deleteLater();
            return;
        }
    }
}

} // namespace syncdesk
