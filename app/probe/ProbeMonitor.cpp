#include "ProbeMonitor.h"

#include "TracerProbe.h"

#include <QDateTime>
#include <QThread>

namespace syncdesk {

ProbeMonitor::ProbeMonitor(const Workspace &workspace, int pollMs, QObject *parent)
    : QObject(parent), m_workspace(workspace), m_pollMs(pollMs)
{
    for (const FlowSpec &f : m_workspace.flows) {
        if (!f.probe)
            continue;
        ProbeState s;
        s.intervalMs = qint64(f.probe->intervalSeconds) * 1000;
        m_states.insert(f.name, s);
    }
}

ProbeMonitor::~ProbeMonitor()
{
    stop();
}

void ProbeMonitor::start()
{
    if (!m_probes.isEmpty() || m_states.isEmpty())
        return;
    for (const FlowSpec &f : m_workspace.flows) {
        if (!f.probe)
            continue;
        // A thread per probe: a system that hangs one probe's statements holds up no other.
        auto *thread = new QThread;
        thread->setObjectName(QStringLiteral("probe %1").arg(f.name));
        auto *probe = new TracerProbe(m_workspace, f, m_pollMs);
        probe->moveToThread(thread);
        connect(thread, &QThread::started, probe, &TracerProbe::start);
        connect(probe, &TracerProbe::sent, this, [this](const QString &flow, qint64 sentMs) {
            m_states[flow].lastSentMs = sentMs;
            emit sent(flow, sentMs);
        });
        connect(probe, &TracerProbe::arrived, this, [this](const QString &flow, qint64 sentMs, qint64 lagMs) {
            Q_UNUSED(sentMs)
            ProbeState &s = m_states[flow];
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            s.lastLagMs = lagMs;
            s.lastArrivalMs = now;
            s.history.append({now, lagMs});
            while (!s.history.isEmpty() && s.history.first().atMs < now - HistoryMs)
                s.history.removeFirst();
            emit arrived(flow, lagMs);
        });
        connect(probe, &TracerProbe::stalled, this, [this](const QString &flow, qint64 since, qint64 waited) {
            ProbeState &s = m_states[flow];
            s.stalled = true;
            s.pendingSinceMs = since;
            emit stalled(flow, waited);
        });
        connect(probe, &TracerProbe::resumed, this, [this](const QString &flow) {
            ProbeState &s = m_states[flow];
            s.stalled = false;
            s.pendingSinceMs = 0;
            emit resumed(flow);
        });
        connect(probe, &TracerProbe::failed, this, [this](const QString &flow, const QString &error) {
            m_states[flow].error = error;
            emit failed(flow, error);
        });
        connect(probe, &TracerProbe::working, this, [this](const QString &flow) {
            m_states[flow].error.clear();
            emit working(flow);
        });
        m_probes.append({probe, thread});
        thread->start();
    }
}

void ProbeMonitor::stop()
{
    // Each probe stops (and closes its connections) on its own thread, then goes with it. All
    // are told first, so that one waiting on a hung system delays the others' stop no further.
    for (const auto &[probe, thread] : std::as_const(m_probes)) {
        QMetaObject::invokeMethod(probe, [probe] {
            probe->stop();
            delete probe;
            QThread::currentThread()->quit(); // after the probe is gone, not before it ran
        });
    }
    for (const auto &[probe, thread] : std::as_const(m_probes)) {
        thread->wait();
        delete thread;
    }
    m_probes.clear();
}

} // namespace syncdesk
