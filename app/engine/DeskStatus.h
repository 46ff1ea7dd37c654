#pragma once

#include "model/RecordStatus.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <array>
#include <optional>

namespace syncdesk {

class LiveEngine;

// The desk at a glance: per flow its state, counts by status and lag against the SLA; per
// system its connection and feed; the alerts. What `watch` shows on a terminal and persists
// in the state store about once a second, and what `status` reads back.
struct DeskStatus
{
    struct Flow
    {
        QString name;
        QString state; // "live", "first comparison 45%", "verifying", "retrying", "stopped"
        QString error;
        std::array<qint64, 8> counts{}; // by RecordStatus
        qint64 oldestPendingMs = 0;
        qint64 lagP95Ms = 0; // arrivals over the last 5 minutes
        qint64 slaMs = 0;

        [[nodiscard]] qint64 count(RecordStatus s) const { return counts[size_t(s)]; }
        [[nodiscard]] bool late() const
        {
            return count(RecordStatus::Late) > 0 || oldestPendingMs > slaMs || lagP95Ms > slaMs;
        }
    };
    struct System
    {
        QString name;
        bool connected = false;
        QString error;
        QString feed;
        qint64 lastChangeMs = 0;
        qint64 nextRetryMs = 0;
    };

    qint64 takenAtMs = 0;
    QList<Flow> flows;
    QList<System> systems;

    // The engine's state now.
    [[nodiscard]] static DeskStatus of(const LiveEngine &engine, qint64 nowMs);
    // What needs a person: flows late or with conflicts, systems down, flows failing.
    [[nodiscard]] QStringList alerts() const;
    // 0 healthy; 1 a flow is late, has conflicts, or something is down (the `status` exit code).
    [[nodiscard]] int health() const;

    // Several engines' rows of one desk (agents each watching some of a team's flows; the latest
    // first, as StateStore::deskStatuses gives them) as one: each of `flows` (the workspace's,
    // in its order) and each system as the latest row that has it says. Taken at the oldest
    // row used, so a share nobody writes any more makes the whole look as old as it is.
    // nullopt when no row holds a desk status.
    [[nodiscard]] static std::optional<DeskStatus> merged(const QList<std::pair<qint64, QByteArray>> &rows,
                                                          const QStringList &flows);

    [[nodiscard]] QByteArray toJson() const;
    // nullopt when `json` is not a desk status.
    [[nodiscard]] static std::optional<DeskStatus> fromJson(const QByteArray &json);
};

} // namespace syncdesk
