#pragma once

#include "model/LagHistogram.h"
#include "state/StateStore.h"

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>

#include <optional>

namespace syncdesk {

// A flow as the report needs it: its name and consistency window.
struct SlaFlow
{
    QString name;
    qint64 slaMs = 0;
};

// One breach as seen from one window (a day, or the whole period): the part of it that falls
// in the window, and what the state store knows of the whole breach.
struct SlaBreachPart
{
    qint64 startedMs = 0;
    std::optional<qint64> endedMs; // nullopt: still open when the report was made
    qint64 durationMs = 0;         // within the window (an open breach: up to its end or now)
    QByteArray worstKey;           // key JSON of the record that waited longest in the breach
    qint64 worstLagMs = 0;
    qint64 records = 0; // records late in the breach
};

// The record that waited longest past the SLA in a window.
struct SlaLateRecord
{
    QByteArray keyJson;
    qint64 lagMs = 0;
};

// One flow over one window [fromMs, toMs).
struct SlaWindow
{
    qint64 fromMs = 0;
    qint64 toMs = 0;
    qint64 arrivals = 0;
    qint64 withinSla = 0;
    LagHistogram lags;
    std::optional<SlaLateRecord> longestLate;
    QList<SlaBreachPart> breaches;
    qint64 breachMs = 0;
    // Every other counter of the window (changes.*, conflicts_detected, resolutions.*).
    QMap<QString, qint64> activity;

    // Share of arrivals within the SLA in percent, rounded to two decimals; nullopt when
    // nothing arrived.
    [[nodiscard]] std::optional<double> withinSlaPercent() const;
};

struct SlaFlowReport
{
    QString flow;
    qint64 slaMs = 0;
    QList<SlaWindow> days; // every UTC day that overlaps the period, in order
    SlaWindow period;      // the whole period
};

struct SlaReport
{
    qint64 fromMs = 0;
    qint64 toMs = 0;
    qint64 generatedMs = 0;
    QList<SlaFlowReport> flows;
};

// The consistency-window report from the state store's rows, as a pure function: per flow
// (every one of `flows`, in that order, with or without data) and per UTC day in
// [fromMs, toMs), and for the whole period. Activity rows are hourly: an hour belongs to the
// day its start falls in. A breach counts in every window it overlaps, with the overlapping
// duration; an open one lasts up to min(toMs, nowMs). Rows of other flows are ignored.
[[nodiscard]] SlaReport buildSlaReport(const QList<SlaFlow> &flows, qint64 fromMs, qint64 toMs,
                                       qint64 nowMs, const QList<ActivityCount> &counts,
                                       const QList<ActivityPeak> &peaks,
                                       const QList<SlaBreach> &breaches);

} // namespace syncdesk
