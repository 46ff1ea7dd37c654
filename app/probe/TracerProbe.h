#pragma once

#include "ProbeTable.h"
#include "feeds/Backoff.h"
#include "model/Workspace.h"

#include <QObject>

#include <deque>
#include <memory>

class QTimer;

namespace syncdesk {

// One flow's tracer probe, on a thread of its own (ProbeMonitor's): every interval it writes a
// fresh token into the source's probe row; every pollMs it reads the target's probe row. A
// token seen there for the first time has arrived: its lag is now minus the time it was sent
// (which travels with it, so a restart of SyncDesk, or another agent's probe, is timed too).
// A token still not arrived after stall_after_seconds means the pipeline is stalled, even
// while no business data moves.
class TracerProbe : public QObject
{
    Q_OBJECT

public:
    TracerProbe(const Workspace &workspace, const FlowSpec &flow, int pollMs);
    ~TracerProbe() override;

    // Both run on the probe's thread.
    void start();
    void stop();

signals:
    void sent(const QString &flow, qint64 sentMs);
    void arrived(const QString &flow, qint64 sentMs, qint64 lagMs);
    // Once per incident: the oldest token in flight, sent at `pendingSinceMs`, is this late.
    void stalled(const QString &flow, qint64 pendingSinceMs, qint64 waitedMs);
    // The incident's end: a token arrived and none in flight is late any more.
    void resumed(const QString &flow);
    // Writing or reading a probe failed (retried); `working` once both work again.
    void failed(const QString &flow, const QString &error);
    void working(const QString &flow);

private:
    void writeProbe();
    void poll();
    // Says what fails (the source's write first), once per incident: until both work again.
    void report();

    QString m_flow;
    ProbeSpec m_spec;
    ProbeTable m_source;
    ProbeTable m_target;
    int m_pollMs;
    QTimer *m_writeTimer = nullptr;
    QTimer *m_pollTimer = nullptr;
    qint64 m_startMs = 0;
    std::deque<qint64> m_pending; // send times of tokens not seen at the target yet
    QString m_lastToken;
    bool m_firstRead = true;
    bool m_stalled = false;
    QString m_sourceError;
    QString m_targetError;
    QString m_error; // as last reported
    qint64 m_retryAtMs = 0; // the target's next read after a failure
    Backoff m_backoff;
};

} // namespace syncdesk
