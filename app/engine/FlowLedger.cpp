#include "FlowLedger.h"

namespace syncdesk {

FlowLedger::FlowLedger(QString flow, qint64 slaMs) : m_flow(std::move(flow)), m_slaMs(slaMs) {}

void FlowLedger::resume(const QHash<QString, qint64> &storedTotals, std::optional<SlaBreach> openBreach)
{
    // What this run counted before resume() (nothing, normally) stays on top.
    for (auto it = storedTotals.begin(); it != storedTotals.end(); ++it)
        m_totals[it.key()] += it.value();
    if (openBreach && !m_breach)
        m_breach = std::move(openBreach);
}

void FlowLedger::count(const QString &name, qint64 atMs, qint64 n)
{
    m_counts[{hourStartOf(atMs), name}] += n;
    m_totals[name] += n;
}

void FlowLedger::change(bool sourceSide, ChangeOp op, qint64 atMs)
{
    count(activity::changes(sourceSide, op), atMs);
}

void FlowLedger::conflictDetected(qint64 atMs)
{
    count(activity::ConflictsDetected, atMs);
}

void FlowLedger::arrival(const QByteArray &keyJson, qint64 lagMs, qint64 atMs)
{
    count(activity::Arrivals, atMs);
    if (lagMs <= m_slaMs)
        count(activity::ArrivalsWithinSla, atMs);
    count(LagHistogram::counterName(LagHistogram::bucketOf(lagMs)), atMs);
    const qint64 hour = hourStartOf(atMs);
    auto it = m_peaks.find(hour);
    if (it == m_peaks.end())
        it = m_peaks.emplace(hour, ActivityPeak{m_flow, hour, activity::MaxLagMs, -1, {}}).first;
    if (lagMs > it->second.value) {
        it->second.value = lagMs;
        it->second.keyJson = keyJson;
    }
    if (m_breach && lagMs > m_slaMs && lagMs > m_breach->worstLagMs) {
        m_breach->worstLagMs = lagMs;
        m_breach->worstKey = keyJson;
        m_breachDirty = true;
    }
}

void FlowLedger::turnedLate(const QByteArray &keyJson, qint64 lagMs, qint64 atMs)
{
    if (!m_breach) {
        // It began when the first record crossed its SLA, not when that was noticed.
        m_breach = SlaBreach{m_flow, std::max<qint64>(0, atMs - std::max<qint64>(0, lagMs - m_slaMs)),
                             std::nullopt, keyJson, lagMs, 0};
    }
    ++m_breach->records;
    if (lagMs > m_breach->worstLagMs) {
        m_breach->worstLagMs = lagMs;
        m_breach->worstKey = keyJson;
    }
    m_breachDirty = true;
}

void FlowLedger::lateRecords(qint64 count, qint64 nowMs)
{
    if (count > 0 || !m_breach)
        return;
    m_breach->endedMs = nowMs;
    m_ended = std::move(m_breach);
    m_breach.reset();
    m_breachDirty = false;
}

void FlowLedger::drain(StateChanges &changes)
{
    for (const auto &[at, n] : m_counts)
        changes.counts.append({m_flow, at.first, at.second, n});
    m_counts.clear();
    for (const auto &[hour, peak] : m_peaks)
        changes.peaks.append(peak);
    m_peaks.clear();
    if (m_ended)
        changes.breaches.append(*m_ended);
    m_ended.reset();
    if (m_breach && m_breachDirty)
        changes.breaches.append(*m_breach);
    m_breachDirty = false;
}

} // namespace syncdesk
