#include "ChangeFeed.h"

#include <QDateTime>
#include <QTimer>

namespace syncdesk {

ChangeFeed::ChangeFeed(SystemSpec system, QObject *parent)
    : QObject(parent), m_system(std::move(system)), m_retryTimer(new QTimer(this))
{
    m_retryTimer->setSingleShot(true);
    connect(m_retryTimer, &QTimer::timeout, this, [this] { retry(); });
}

void ChangeFeed::setConnected()
{
    m_backoff.reset();
    m_nextRetryMs = 0;
    if (m_connected)
        return;
    m_connected = true;
    m_lastError.clear();
    emit connectionChanged(true, QString());
}

void ChangeFeed::setFailed(const QString &error)
{
    const int delay = m_backoff.nextDelayMs();
    m_nextRetryMs = QDateTime::currentMSecsSinceEpoch() + delay;
    const bool changed = m_connected || m_lastError != error;
    m_connected = false;
    m_lastError = error;
    if (changed)
        emit connectionChanged(false, error);
    m_retryTimer->start(delay);
}

bool ChangeFeed::setTableReadable(const QString &table, bool readable)
{
    bool changed = false;
    if (readable) {
        changed = m_unreadable.remove(table);
    } else if (!m_unreadable.contains(table)) {
        m_unreadable.insert(table);
        changed = true;
    }
    if (changed)
        emit rescanNeeded();
    return changed;
}

} // namespace syncdesk
