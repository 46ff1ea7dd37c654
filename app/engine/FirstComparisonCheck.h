#pragma once

#include "DiffResult.h"
#include "model/Workspace.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QThreadPool>

#include <optional>

namespace syncdesk {

// The live engine's view of a first comparison, confirmed (as `diff --confirm` does): the
// records it found out of sync (pending, different, missing on a side, …) are read again on
// both sides after the flow's measured p99 arrival lag (the SLA when none is measured).
// In sync by then: the change was in flight; still out of sync: confirmed. The wait runs on the
// engine's event loop, the reads on a thread of their own, so the engine never waits on
// either.
class FirstComparisonCheck : public QObject
{
    Q_OBJECT

public:
    explicit FirstComparisonCheck(QObject *parent = nullptr) : QObject(parent) { m_pool.setMaxThreadCount(1); }
    // Reads not started yet are dropped; one running is waited for (its answer timeouts bound it).
    ~FirstComparisonCheck() override { m_pool.clear(); }

    // Starts the check of `keys` (key JSON) of `flow`, out of `outOfSync` records found out of
    // sync; a check of the flow still running is forgotten. At most MaxKeys are read again (the
    // rest count as confirmed unread), so the caller passes at most that many: a million
    // copied keys would only be dropped here, and would leave the agent's heap that much larger.
    void start(const Workspace &workspace, const FlowSpec &flow, QList<QByteArray> keys, qint64 outOfSync);

    struct State
    {
        qint64 outOfSync = 0;
        qint64 dueMs = 0; // when the records are read again (0: not known yet)
        QString basis;    // "p99 lag" or "sla"
        std::optional<DiffResult::Confirmation> result;
        QString error;    // the re-read failed (a system away): nothing confirmed
    };
    [[nodiscard]] std::optional<State> state(const QString &flow) const
    {
        const auto it = m_states.constFind(flow);
        return it == m_states.cend() ? std::nullopt : std::optional<State>(it.value());
    }

    static constexpr qsizetype MaxKeys = 100'000;

signals:
    void scheduled(const QString &flow, qint64 outOfSync, qint64 waitMs, const QString &basis);
    void confirmed(const QString &flow, const syncdesk::DiffResult::Confirmation &confirmation);
    void failed(const QString &flow, const QString &error);

private:
    // Its own thread, not the pool comparisons run on: a re-read waiting on a hung system
    // must not hold up a flow's comparison.
    QThreadPool m_pool;
    QHash<QString, State> m_states;
    QHash<QString, int> m_generation; // a newer check of the flow voids an older one's answers
};

} // namespace syncdesk
