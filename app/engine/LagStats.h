#pragma once

#include <QtGlobal>

#include <deque>

namespace syncdesk {

// Arrival lags of one flow over the last hour: how long changes took to reach the other side,
// summarised per window as quantiles and the share that arrived within the SLA.
class LagStats
{
public:
    struct Summary
    {
        qint64 count = 0;
        qint64 p50 = 0;
        qint64 p95 = 0;
        qint64 p99 = 0;
        qint64 max = 0;
        double withinSla = 1.0; // share of arrivals within the SLA (1 when none arrived)
    };

    explicit LagStats(qint64 slaMs) : m_slaMs(slaMs) {}

    void recordArrival(qint64 arrivedAtMs, qint64 lagMs);
    // Arrivals in (now − windowMs, now].
    [[nodiscard]] Summary summary(qint64 nowMs, qint64 windowMs) const;
    [[nodiscard]] qint64 totalArrivals() const { return m_total; }
    [[nodiscard]] qint64 totalBreaches() const { return m_breaches; }

    static constexpr qint64 HourMs = 3600 * 1000;

private:
    struct Sample
    {
        qint64 atMs;
        qint64 lagMs;
    };
    std::deque<Sample> m_samples; // in arrival order; older than an hour dropped
    qint64 m_slaMs;
    qint64 m_total = 0;
    qint64 m_breaches = 0;
};

} // namespace syncdesk
