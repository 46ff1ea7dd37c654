#include "SlaReport.h"

#include "state/ActivityCounters.h"

#include <QHash>

#include <algorithm>
#include <cmath>

namespace syncdesk {

namespace {

constexpr qint64 DayMs = 24 * 3600 * 1000;

qint64 dayStartOf(qint64 ms)
{
    return ms - ((ms % DayMs) + DayMs) % DayMs;
}

// The windows of one flow: each UTC day overlapping [from, to), clipped to it.
QList<SlaWindow> days(qint64 fromMs, qint64 toMs)
{
    QList<SlaWindow> out;
    for (qint64 day = dayStartOf(fromMs); day < toMs; day += DayMs) {
        SlaWindow w;
        w.fromMs = std::max(day, fromMs);
        w.toMs = std::min(day + DayMs, toMs);
        out.append(w);
    }
    return out;
}

void addCount(SlaWindow &w, const ActivityCount &c)
{
    if (c.name == activity::Arrivals)
        w.arrivals += c.value;
    else if (c.name == activity::ArrivalsWithinSla)
        w.withinSla += c.value;
    else if (const auto bucket = LagHistogram::bucketFromCounter(c.name))
        w.lags.addBucket(*bucket, c.value);
    else
        w.activity[c.name] += c.value;
}

void addPeak(SlaWindow &w, const ActivityPeak &p, qint64 slaMs)
{
    // Only a record past the SLA is late; the earliest hour wins a tie.
    if (p.name != activity::MaxLagMs || p.value <= slaMs)
        return;
    if (!w.longestLate || p.value > w.longestLate->lagMs)
        w.longestLate = SlaLateRecord{p.keyJson, p.value};
}

void addBreach(SlaWindow &w, const SlaBreach &b, qint64 endMs)
{
    const qint64 from = std::max(b.startedMs, w.fromMs);
    const qint64 to = std::min(endMs, w.toMs);
    // A breach that began and ended at once still belongs to the window it began in.
    const bool startsHere = b.startedMs >= w.fromMs && b.startedMs < w.toMs;
    if (to <= from && !startsHere)
        return;
    const qint64 duration = std::max<qint64>(0, to - from);
    w.breaches.append({b.startedMs, b.endedMs, duration, b.worstKey, b.worstLagMs, b.records});
    w.breachMs += duration;
}

} // namespace

std::optional<double> SlaWindow::withinSlaPercent() const
{
    if (arrivals <= 0)
        return std::nullopt;
    return std::round(double(withinSla) * 10000.0 / double(arrivals)) / 100.0;
}

SlaReport buildSlaReport(const QList<SlaFlow> &flows, qint64 fromMs, qint64 toMs, qint64 nowMs,
                         const QList<ActivityCount> &counts, const QList<ActivityPeak> &peaks,
                         const QList<SlaBreach> &breaches)
{
    SlaReport report;
    report.fromMs = fromMs;
    report.toMs = toMs;
    report.generatedMs = nowMs;
    QHash<QString, qsizetype> index;
    for (const SlaFlow &f : flows) {
        index.insert(f.name, report.flows.size());
        SlaFlowReport r;
        r.flow = f.name;
        r.slaMs = f.slaMs;
        r.days = days(fromMs, toMs);
        r.period.fromMs = fromMs;
        r.period.toMs = toMs;
        report.flows.append(r);
    }
    // The day window an instant falls in (the days are consecutive from the first).
    const qint64 firstDay = dayStartOf(fromMs);
    auto dayOf = [&](SlaFlowReport &r, qint64 ms) -> SlaWindow * {
        if (ms < fromMs || ms >= toMs)
            return nullptr;
        return &r.days[qsizetype((dayStartOf(ms) - firstDay) / DayMs)];
    };
    for (const ActivityCount &c : counts) {
        const auto it = index.constFind(c.flow);
        if (it == index.constEnd())
            continue;
        SlaFlowReport &r = report.flows[*it];
        if (SlaWindow *day = dayOf(r, c.hourStartMs)) {
            addCount(*day, c);
            addCount(r.period, c);
        }
    }
    for (const ActivityPeak &p : peaks) {
        const auto it = index.constFind(p.flow);
        if (it == index.constEnd())
            continue;
        SlaFlowReport &r = report.flows[*it];
        if (SlaWindow *day = dayOf(r, p.hourStartMs)) {
            addPeak(*day, p, r.slaMs);
            addPeak(r.period, p, r.slaMs);
        }
    }
    QList<SlaBreach> ordered = breaches;
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const SlaBreach &a, const SlaBreach &b) { return a.startedMs < b.startedMs; });
    for (const SlaBreach &b : ordered) {
        const auto it = index.constFind(b.flow);
        if (it == index.constEnd())
            continue;
        SlaFlowReport &r = report.flows[*it];
        const qint64 end = b.endedMs ? *b.endedMs : std::max(b.startedMs, std::min(toMs, nowMs));
        for (SlaWindow &day : r.days)
            addBreach(day, b, end);
        addBreach(r.period, b, end);
    }
    return report;
}

} // namespace syncdesk
