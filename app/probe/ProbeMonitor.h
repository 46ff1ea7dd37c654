#pragma once

#include "model/Workspace.h"

#include <QHash>
#include <QList>
#include <QObject>

#include <optional>
#include <utility>

class QThread;

namespace syncdesk {

class TracerProbe;

// What is known of one flow's tracer probe, as the metrics, `watch` and the console show it.
struct ProbeState
{
    qint64 intervalMs = 0;
    std::optional<qint64> lastLagMs; // the last token's trip from source to target
    qint64 lastArrivalMs = 0;
    qint64 lastSentMs = 0;
    bool stalled = false;
    qint64 pendingSinceMs = 0; // while stalled: when the oldest token in flight was sent
    QString error;             // writing or reading the probe fails (retried)
    struct Point
    {
        qint64 atMs = 0;
        qint64 lagMs = 0;
    };
    QList<Point> history; // arrivals of the last hour, oldest first

    // The probe lag as the metric reports it: the last trip, or while a token is late, how
    // late it is already (a stalled pipeline's lag keeps growing; it does not stay at the
    // last good value).
    [[nodiscard]] std::optional<qint64> currentLagMs(qint64 nowMs) const
    {
        if (stalled && pendingSinceMs > 0)
            return std::max(lastLagMs.value_or(0), nowMs - pendingSinceMs);
        return lastLagMs;
    }
};

// Every flow's tracer probe (the flows with "probe" in the workspace), each on a thread of its
// own so that a slow or hung system never holds the engine, or another probe, up. Lives on the thread that made
// it; the probes' reports arrive there as queued signals.
class ProbeMonitor : public QObject
{
    Q_OBJECT

public:
    // `pollMs`: how often each target's probe row is read (the arrival's resolution).
    explicit ProbeMonitor(const Workspace &workspace, int pollMs = 250, QObject *parent = nullptr);
    ~ProbeMonitor() override;

    void start();
    void stop(); // waits for the probes' thread

    [[nodiscard]] bool has(const QString &flow) const { return m_states.contains(flow); }
    [[nodiscard]] ProbeState state(const QString &flow) const { return m_states.value(flow); }

signals:
    void sent(const QString &flow, qint64 sentMs);
    void arrived(const QString &flow, qint64 lagMs);
    void stalled(const QString &flow, qint64 waitedMs);
    void resumed(const QString &flow); // a stall's end
    void failed(const QString &flow, const QString &error);
    void working(const QString &flow);

private:
    static constexpr qint64 HistoryMs = 3600 * 1000;

    Workspace m_workspace;
    int m_pollMs;
    // Each probe on a thread of its own; deleted on that thread by stop().
    QList<std::pair<TracerProbe *, QThread *>> m_probes;
    QHash<QString, ProbeState> m_states;
};

} // namespace syncdesk
