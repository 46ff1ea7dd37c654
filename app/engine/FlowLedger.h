#pragma once

#include "model/LagHistogram.h"
#include "state/ActivityCounters.h"
#include "state/StateStore.h"

#include <QByteArray>
#include <QHash>
#include <QString>

#include <map>
#include <optional>

namespace syncdesk {

// The sync's own numbers for one flow (DESIGN.md, Metrics; resources/sql/state/005_activity.sql):
// changes per side and kind, conflicts detected, arrivals with their lag histogram, and the
// periods in which a record was past the SLA. Counted as they happen, kept per hour until the
// next write to the state store (drain()), and summed since the store began for the metrics.
class FlowLedger
{
public:
    FlowLedger(QString flow, qint64 slaMs);

    // Where the store's numbers stood when the engine started, and a breach left open by the
    // run before (it goes on if records are still late, and ends at the first look otherwise).
    void resume(const QHash<QString, qint64> &storedTotals, std::optional<SlaBreach> openBreach);

    void change(bool sourceSide, ChangeOp op, qint64 atMs);
    void conflictDetected(qint64 atMs);
    void arrival(const QByteArray &keyJson, qint64 lagMs, qint64 atMs);
    // A record past its SLA: opens a breach if none is open.
    void turnedLate(const QByteArray &keyJson, qint64 lagMs, qint64 atMs);
    // How many records are late now: a breach ends when none is.
    void lateRecords(qint64 count, qint64 nowMs);

    // Moves what was counted since the last drain into `changes` (and the open breach, if it
    // moved), to be written with the batch. (A batch the store refuses is kept by the engine:
    // the totals already hold it.)
    void drain(StateChanges &changes);

    // Every counter summed since the store began (what was stored at start, plus this run).
    [[nodiscard]] qint64 total(const QString &name) const { return m_totals.value(name); }

private:
    void count(const QString &name, qint64 atMs, qint64 n = 1);

    QString m_flow;
    qint64 m_slaMs;
    QHash<QString, qint64> m_totals;
    std::map<std::pair<qint64, QString>, qint64> m_counts; // (hour, name) → since the last drain
    std::map<qint64, ActivityPeak> m_peaks;                 // hour → max lag since the last drain
    std::optional<SlaBreach> m_breach;
    bool m_breachDirty = false;
    std::optional<SlaBreach> m_ended; // closed since the last drain, to be written once
};

} // namespace syncdesk
