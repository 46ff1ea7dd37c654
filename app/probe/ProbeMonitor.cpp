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
    if (m_thread || m_states.isEmpty())
        return;
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("probes"));
    for (const FlowSpec &f : m_workspace.flows) {
        if (!f.probe)
            continue;
        auto *probe = new TracerProbe(m_workspace, f, m_pollMs);
        probe->moveToThread(m_thread);
        connect(m_thread, &QThread::started, probe, &TracerProbe::start);
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
            s.stalled = false;
            s.pendingSinceMs = 0;
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
        connect(probe, &TracerProbe::failed, this, [this](const QString &flow, const QString &error) {
            m_states[flow].error = error;
            emit failed(flow, error);
        });
        connect(probe, &TracerProbe::working, this, [this](const QString &flow) {
            m_states[flow].error.clear();
            emit working(flow);
        });
        m_probes.append(probe);
    }
    m_thread->start();
}

void ProbeMonitor::stop()
{
    if (!m_thread)
        return;
    // The probes stop (and close their connections) on their own thread, then go with it.
    for (TracerProbe *p : std::as_const(m_probes))
        QMetaObject::invokeMethod(p, [p] { p->stop(); delete p; }, Qt::BlockingQueuedConnection);
    m_probes.clear();
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

} // namespace syncdesk
