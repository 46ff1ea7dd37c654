#include "RescanFeed.h"

#include <QTimer>

namespace syncdesk {

RescanFeed::RescanFeed(SystemSpec system, int intervalMs, QObject *parent)
    : ChangeFeed(std::move(system), parent), m_timer(new QTimer(this))
{
    m_timer->setInterval(intervalMs);
    connect(m_timer, &QTimer::timeout, this, &RescanFeed::rescanNeeded);
}

void RescanFeed::start()
{
    setConnected();
    m_timer->start();
}

QString RescanFeed::mode() const
{
    return QStringLiteral("rescan every %1 s").arg(m_timer->interval() / 1000);
}

} // namespace syncdesk
