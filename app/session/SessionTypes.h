#pragma once

#include "engine/FirstComparisonCheck.h"
#include "engine/LagStats.h"
#include "engine/LiveEngine.h"
#include "model/RecordStatus.h"

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QString>

#include <array>
#include <optional>

namespace syncdesk {

// One flow's health as the console's overview shows it, published about once a second.
struct FlowSnapshot
{
    QString name;
    QString source; // "warehouse.devices"
    QString target;
    qint64 slaMs = 0;
    bool ready = false;
    QString error;
    std::array<qint64, 8> counts{}; // by RecordStatus
    qint64 oldestPendingMs = 0;
    LagStats::Summary lag5m;
    qint64 eventsApplied = 0;
    LiveEngine::Comparison comparison; // a first comparison or verification scan, if running
    // The flow's conflict policy and how it stands (PolicyRunner).
    Policy policy = Policy::Manual;
    bool policyDryRun = false;
    bool policyHalted = false;
    QString policyHaltReason;
    qint64 policyApplied = 0;  // this run
    qint64 policyWould = 0;    // a dry run's decisions
    qint64 policyLeft = 0;     // left to a person (a field changed on both sides, …)
    // The tracer probe, where the flow has one (ProbeMonitor).
    bool probe = false;
    std::optional<qint64> probeLagMs; // the last trip, or how late a late probe is already
    bool probeStalled = false;
    QString probeError;
    // The first comparison's records out of sync, read again after the p99 lag.
    std::optional<FirstComparisonCheck::State> firstCheck;

    [[nodiscard]] qint64 outOfSync() const;
    // Past its SLA: a pending record older than the window, or arrivals that took longer.
    [[nodiscard]] bool breached() const { return oldestPendingMs > slaMs || lag5m.p95 > slaMs; }
};

// One record that is not in sync, as the records view lists it.
struct RecordRow
{
    QByteArray keyJson;
    RecordStatus status = RecordStatus::InSync;
    qint64 sinceMs = 0; // when it fell out of sync: the lag clock's start
};

// Every tracked record of one flow, sent when the flow becomes live (and after a rescan).
struct FlowRecords
{
    QString flow;
    QList<RecordRow> rows;
};

} // namespace syncdesk

Q_DECLARE_METATYPE(syncdesk::FlowSnapshot)
Q_DECLARE_METATYPE(syncdesk::FlowRecords)
Q_DECLARE_METATYPE(syncdesk::SystemHealth)
Q_DECLARE_METATYPE(syncdesk::StatusEvent)
