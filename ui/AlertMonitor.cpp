#include "AlertMonitor.h"

#include "StatusStyle.h"

#include <QObject>

namespace syncdesk::ui {

AlertMonitor::Update AlertMonitor::update(const QList<FlowSnapshot> &flows, const QList<SystemHealth> &systems,
                                          const QList<Silence> &silent)
{
    Update u;
    QSet<QString> now;
    auto raise = [&](const QString &id, const QString &text) {
        now.insert(id);
        u.active << text;
        if (!m_active.contains(id))
            u.started << text;
    };
    for (const SystemHealth &s : systems) {
        if (s.connected)
            continue;
        const QString why = s.error.isEmpty() ? QObject::tr("retrying") : s.error;
        if (s.isStateStore && s.refused) {
            raise(QStringLiteral("refused:") + s.name,
                  QObject::tr("This console's login may not keep the live engine's state in the team's store, "
                              "so what it sees lives in memory only: %1. A team runs agents for that "
                              "(syncdesk-cli watch with a syncdesk_agent login).")
                      .arg(s.error));
            continue;
        }
        raise(QStringLiteral("down:") + s.name,
              s.isStateStore ? QObject::tr("The state store is unavailable: %1 (changes are kept in memory "
                                           "and written once it is back)").arg(why)
                             : QObject::tr("System %1 is unavailable: %2").arg(s.name, why));
    }
    for (const FlowSnapshot &f : flows) {
        if (!f.error.isEmpty())
            raise(QStringLiteral("error:") + f.name, QObject::tr("Flow %1: %2").arg(f.name, f.error));
        else if (f.ready && f.breached())
            raise(QStringLiteral("sla:") + f.name,
                  QObject::tr("Flow %1 is past its SLA of %2 (oldest pending %3, p95 lag %4)")
                      .arg(f.name, durationText(f.slaMs), durationText(f.oldestPendingMs), durationText(f.lag5m.p95)));
    }
    for (const FlowSnapshot &f : flows) {
        // A stalled pipeline is news even while the flow is otherwise quiet and in sync.
        if (f.probeStalled)
            raise(QStringLiteral("stalled:") + f.name,
                  QObject::tr("Flow %1: pipeline stalled: the tracer probe has not arrived for %2")
                      .arg(f.name, durationText(f.probeLagMs.value_or(0))));
        else if (!f.probeError.isEmpty())
            raise(QStringLiteral("probe:") + f.name, QObject::tr("Flow %1: tracer probe: %2").arg(f.name, f.probeError));
    }
    for (const Silence &q : silent)
        raise(QStringLiteral("silent:") + q.flow,
              QObject::tr("Flow %1 went silent: %2 changes this hour, usually about %3 an hour")
                  .arg(q.flow).arg(q.seen).arg(q.usual));
    m_active = now;
    return u;
}

} // namespace syncdesk::ui
