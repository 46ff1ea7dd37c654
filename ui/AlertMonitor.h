#pragma once

#include "session/SessionTypes.h"

#include <QSet>
#include <QStringList>

namespace syncdesk::ui {

// Turns snapshots into alert episodes: a flow past its SLA, a system that is down, a pipeline
// whose tracer probe stopped arriving. An episode
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
    struct Silence
    {
        QString flow;
        qint64 seen = 0;  // changes this hour so far
        qint64 usual = 0; // usual for the whole hour
    };
    [[nodiscard]] Update update(const QList<FlowSnapshot> &flows, const QList<SystemHealth> &systems,
                                const QList<Silence> &silent = {});

private:
    QSet<QString> m_active;
};

} // namespace syncdesk::ui
