#pragma once

#include "session/SessionTypes.h"

#include <QSet>
#include <QStringList>

namespace syncdesk::ui {

// Turns snapshots into alert episodes: a flow past its SLA, a system that is down. An episode
// starts when the condition appears and ends when it clears, so an operator is told once per
// episode, not every second.
class AlertMonitor
{
public:
    struct Update
    {
        QStringList active;  // every alert now, for the banner
        QStringList started; // the ones new since the last snapshot, for a notification
    };
    [[nodiscard]] Update update(const QList<FlowSnapshot> &flows, const QList<SystemHealth> &systems);

private:
    QSet<QString> m_active;
};

} // namespace syncdesk::ui
