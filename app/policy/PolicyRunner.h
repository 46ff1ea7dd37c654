#pragma once

#include "PolicyGuard.h"
#include "PolicyJob.h"
#include "state/StateStore.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>
#include <QThread>

class QTimer;

#include <array>
#include <map>

namespace syncdesk {

class LiveEngine;
class PolicyWorker;
struct StatusEvent;

// Applies the flows' conflict policies for whoever runs the live engine (watch, the console):
// it lives on the engine's thread, decides from the engine's view of each record
// (PolicyDecision), brakes through the guard (PolicyGuard), and hands each decision to the
// PolicyWorker's thread. A record that moves meanwhile is decided again from what it became.
class PolicyRunner : public QObject
{
    Q_OBJECT

public:
    // How one flow's policy stands, for the console and the metrics.
    struct FlowState
    {
        Policy policy = Policy::Manual;
        bool dryRun = false;
        bool halted = false;
        QString haltReason;
        qint64 haltedAtMs = 0;
        qint64 queued = 0; // decisions handed to the worker, not back yet
        std::map<PolicyResult::Outcome, qint64> outcomes; // this run
        QList<PolicyResult> samples; // the latest decisions (a dry run's preview), newest last
    };
    static constexpr int Samples = 10;

    explicit PolicyRunner(LiveEngine &engine, QObject *parent = nullptr);
    ~PolicyRunner() override;

    // Whether any flow has a policy other than manual (otherwise the runner does nothing).
    [[nodiscard]] bool active() const { return !m_flows.empty(); }
    [[nodiscard]] QHash<QString, FlowState> states() const;
    // Whether every decision handed out has come back (tests, a clean stop).
    [[nodiscard]] bool idle() const;

signals:
    void decided(const syncdesk::PolicyResult &result);
    void halted(const QString &flow, const QString &reason);
    void resumed(const QString &flow, const QString &by);

private:
    void onEvents(const QList<syncdesk::StatusEvent> &events);
    void onReady(const QString &flow);
    void consider(const QString &flow, const QByteArray &keyJson);
    void dispatch();
    void onDone(const syncdesk::PolicyResult &result);
    void onStates(const QList<syncdesk::PolicyState> &states);
    void halt(const QString &flow, qint64 nowMs, qint64 records);

    LiveEngine &m_engine;
    // Decisions are mostly waits on the systems' round trips: several workers, each on its
    // own thread with its own connections, and a record always on the same one (by its key),
    // so that no two act on one record at once. The first also keeps the guard's state.
    static constexpr int Workers = 4;
    std::array<QThread, Workers> m_threads;
    std::array<PolicyWorker *, Workers> m_workers{}; // each lives on its thread
    std::map<QString, FlowState> m_flows; // flows with a policy
    std::map<QString, PolicyGuard> m_guards;
    QHash<QString, QSet<QByteArray>> m_due;      // to decide at the next dispatch
    QHash<QString, QSet<QByteArray>> m_inFlight; // with the worker
    QHash<QString, QSet<QByteArray>> m_dirty;    // changed while in flight: decide again after
    QHash<QString, QHash<QByteArray, int>> m_attempts; // tries of a decision that did not land
    QSet<QString> m_haltWriting; // halts on their way to the store: a stale read is no resume
    bool m_dispatchScheduled = false;
    bool m_statesKnown = false; // the stored halts are read: nothing is dispatched before
    QTimer *m_pollTimer = nullptr;
};

} // namespace syncdesk
