#include "LagStats.h"

#include <algorithm>
#include <vector>

namespace syncdesk {

void LagStats::recordArrival(qint64 arrivedAtMs, qint64 lagMs)
{
    lagMs = std::max<qint64>(0, lagMs);
    m_samples.push_back({arrivedAtMs, lagMs});
    ++m_total;
    if (lagMs > m_slaMs)
        ++m_breaches;
    while (!m_samples.empty() && m_samples.front().atMs <= arrivedAtMs - HourMs)
        m_samples.pop_front();
}

LagStats::Summary LagStats::summary(qint64 nowMs, qint64 windowMs) const
{
    std::vector<qint64> lags;
    for (auto it = m_samples.rbegin(); it != m_samples.rend() && it->atMs > nowMs - windowMs; ++it)
        lags.push_back(it->lagMs);
    Summary s;
    s.count = qint64(lags.size());
    if (lags.empty())
        return s;
    std::sort(lags.begin(), lags.end());
    // Nearest-rank quantiles: the smallest lag with at least q of the samples at or below it.
    const auto rank = [&](double q) {
        const auto n = qint64(lags.size());
        const qint64 r = std::clamp<qint64>(qint64(q * double(n) + 0.999999) - 1, 0, n - 1);
        return lags[size_t(r)];
    };
    s.p50 = rank(0.50);
    s.p95 = rank(0.95);
    s.p99 = rank(0.99);
    s.max = lags.back();
    const auto within = std::count_if(lags.begin(), lags.end(), [&](qint64 l) { return l <= m_slaMs; });
    s.withinSla = double(within) / double(lags.size());
    return s;
}

} // namespace syncdesk
