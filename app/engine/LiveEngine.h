#pragma once

#include "LiveFlow.h"
#include "model/SyncError.h"
#include "model/Workspace.h"
#include "state/StateStore.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>

#include <atomic>
#include <memory>
#include <vector>

class QTimer;

namespace syncdesk {

class ChangeFeed;
class FirstComparisonCheck;
class ProbeMonitor;
class StateStore;
struct DiffResult;

// Health of one connected system, as the console's Systems panel and the metrics show it.
// The state store is listed too (isStateStore): it can go away like any system.
struct SystemHealth
{
    QString name;
    QString feedMode;
    bool connected = false; // its feed is connected and nothing else finds it unavailable
    QString error;
    qint64 lastEventMs = 0;
    qint64 nextRetryMs = 0;
    bool isStateStore = false;
    bool refused = false; // not down: its roles forbid what is asked (a team's store)
    // An HTTP system's traffic, from the gate all its requests in this process pass.
    bool isHttp = false;
    QString lastResponse;     // "200 GET /catalog?_page=2, 12 ms", or why there was no answer
    qint64 lastResponseMs = 0;
    qint64 heldUntilMs = 0;   // its requests wait until then (Retry-After, or a back-off)
    QString heldBecause;
    bool throttling = false;  // held because the server answered 429 or 503
    QString limits;           // its pacing and concurrency, and what waits at the gate
    quint64 throttled = 0;    // 429 and 503 answers so far
};

// The live engine: for every flow, a first full comparison, then change feeds keep every
// record's status and lag current; a periodic verification scan catches what feeds cannot see.
// Changes are applied in batches (all that arrived during one pass of the event loop),
// persisted, and only then confirmed to the feeds, so nothing is lost when SyncDesk or a
// system stops.
class LiveEngine : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        int coalesceMs = 100; // retries and stragglers; fresh changes are applied at once
        int verifyIntervalMs = 10 * 60 * 1000;
        int pollIntervalMs = 250;
        // Catalogue checks of every compared table and column: a rename or drop is found
        // while nothing changes, not at the next change.
        int schemaCheckIntervalMs = 10000;
        int probePollMs = 250; // how often a tracer probe's target row is read
        // On a team's store: the agent and leases every write of the engine's state checks
        // (StateStore::fenceWritesTo; DeskLease). An empty agent: no lease.
        LeaseFence lease;
    };

    LiveEngine(Workspace workspace, Options options, QObject *parent = nullptr);
    ~LiveEngine() override;

    // Opens the state store and starts every flow; problems with systems are reported through
    // signals and retried, a state store that cannot open throws SyncError.
    void start();
    // Applies what is queued and persists it.
    void flush();
    // The last flush before the process ends: the state store is tried even while it waits
    // out a retry pause. True when everything is written; otherwise stateError() says why
    // (the feeds then replay what was not confirmed, on the next start).
    bool stop();
    [[nodiscard]] QString stateError() const { return m_storeFailed ? m_storeError : QString(); }

    [[nodiscard]] const Workspace &workspace() const { return m_workspace; }
    // The leases its writes are fenced by (Options::lease).
    [[nodiscard]] const LeaseFence &lease() const { return m_options.lease; }
    [[nodiscard]] QList<const LiveFlow *> flows() const;
    [[nodiscard]] bool isReady(const QString &flow) const { return m_ready.value(flow); }
    [[nodiscard]] QList<SystemHealth> systems() const;
    [[nodiscard]] qint64 eventsApplied() const { return m_eventsApplied; }
    // The flows' tracer probes: started with the engine, stopped by stop().
    [[nodiscard]] ProbeMonitor &probes() const { return *m_probes; }
    // The first comparison's records out of sync, read again after the flow's p99 lag.
    [[nodiscard]] FirstComparisonCheck &firstChecks() const { return *m_firstChecks; }
    // What keeps `flow` from working now (its systems, or the state store); empty when nothing.
    [[nodiscard]] QString flowErrorText(const QString &flow) const;
    // Whether a table or column `flow` compares is gone: no events, no resolutions, until back.
    [[nodiscard]] bool isSchemaBroken(const QString &flow) const;

    // A flow's resolutions so far, by whom and how they ended ("resolutions.policy.applied" →
    // count), as the state store has them (read every few seconds).
    [[nodiscard]] QHash<QString, qint64> resolutionTotals(const QString &flow) const;

    // A flow's full comparison: the first one, or a verification scan.
    struct Comparison
    {
        bool running = false;
        bool initial = false;
        qint64 records = 0;  // compared so far
        qint64 expected = 0; // records the last finished comparison counted; 0: not known
        bool stopped = false; // its first comparison was cancelled: it waits for compareNow()
        QString order;        // how the last finished one paired records: "merge" or "hash"
    };
    [[nodiscard]] Comparison comparison(const QString &flow) const;
    // Stops the running comparison of `flow`. A first comparison leaves the flow stopped; a
    // verification scan is skipped (the flow stays live, the next one runs at its interval).
    void cancelComparison(const QString &flow);
    // A full comparison of `flow` now: a stopped flow's first, or a live flow's verification.
    void compareNow(const QString &flow);

signals:
    void statusEvents(const QList<syncdesk::StatusEvent> &events);
    void flowReady(const QString &flow);
    // One per incident: a system stops answering (its feed, or any read or write of a flow,
    // finds it unavailable), and once more when everything that uses it works again.
    // `downForMs`: how long it was unavailable (when connected).
    void systemChanged(const QString &system, bool connected, const QString &error, qint64 downForMs);
    // One per incident too: the state store cannot be written (changes are kept in memory and
    // feed positions not confirmed), and written again.
    void stateStoreChanged(bool available, const QString &error);
    // A flow fails for a reason of its own (not an unavailable system): its schema changed,
    // a column does not compare. Once per distinct error, not per retry.
    void flowError(const QString &flow, const QString &error);
    // A flow that reported an error works again.
    void flowRecovered(const QString &flow);

private:
    static constexpr qint64 RetypeRetryMs = 30000; // a whole comparison each time

    void applySoon(); // flush() on the next pass of the event loop

    struct FlowSlot
    {
        std::unique_ptr<LiveFlow> flow;
        QList<KeyChange> queue;
        bool comparing = false;
        bool comparingInitial = false;
        bool stopped = false;
        bool failed = false; // not working, for whatever reason; retried
        QString error;       // what failFlow() said last, while failed
        QString downSystem;  // while failed because this system is unavailable
        QString reported;    // the error flowError() announced, until flowRecovered()
        bool schemaBroken = false; // a compared table or column is gone, until it works again
        // A compared column was retyped: the next verification must find every record that
        // agreed still agreeing under the new type before the flow goes on (else: schemaBroken).
        bool retypeCheck = false;
        QString retype;         // what changed, for the incident's line
        bool recompare = false; // the comparison running read the old types: its result is void
        qsizetype queuedAtCompare = 0; // queue entries from here on came during the comparison
        qint64 lastRecords = 0;
        QString lastOrder;
        // Shared with the comparison on the pool: its progress, and the operator's cancel.
        std::shared_ptr<std::atomic<qint64>> compared = std::make_shared<std::atomic<qint64>>(0);
        std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
        qint64 nextAttemptMs = 0;
        int failures = 0;
    };

    void startFeeds();
    // The feed `system` gets now (for "auto", what the server allows); nullptr: no flow uses it.
    [[nodiscard]] ChangeFeed *makeFeed(const SystemSpec &system);
    // The receiver of an HTTP system's webhooks, when a side on it has one.
    [[nodiscard]] ChangeFeed *makeWebhookFeed(const SystemSpec &system);
    void startFeed(ChangeFeed *feed);
    // An "auto" system back after an outage: a better (or the only possible) feed replaces the
    // old one.
    void reprobe(ChangeFeed *feed);
    void compare(FlowSlot &slot, bool initial);
    // A verification scan of every live flow that reads or writes `system`.
    void rescanFlowsOf(const QString &system);
    void onCompared(const QString &flow, bool initial, const DiffResult &result,
                    const std::shared_ptr<RecordTable> &records, const QString &error,
                    const QString &downSystem);
    void onFeedChanges(ChangeFeed *feed, const QList<struct ChangeEvent> &events,
                       const QString &position);
    void tick();
    // The state store refused a read or write: one incident until a write succeeds again.
    void storeLost(const SyncError &error);
    // Holds a batch the store did not take, to be written with the next one.
    void keepUnsaved(StateChanges &&pending);
    void checkSchemas();
    void refreshResolutionTotals(qint64 nowMs);
    void followResolutions();
    [[nodiscard]] bool feedDown(const QString &system) const;
    void failFlow(FlowSlot &slot, const QString &error, const QString &downSystem = {});
    // Asks the catalogue about `slot`'s tables: a table or column gone fails the flow naming
    // it, a retype compares it again. False when the schema is as it was.
    bool diagnoseSchema(FlowSlot &slot);
    void failFlow(FlowSlot &slot, const SyncError &error) { failFlow(slot, error.message(), error.unavailable() ? error.system() : QString()); }
    // Works out whether `system` is available now (its feed, the flows that use it) and
    // announces a change of that.
    void updateSystem(const QString &system);
    void recovered(FlowSlot &slot);
    [[nodiscard]] FlowSlot *slotOf(const QString &flow);
    [[nodiscard]] bool systemReady(const QString &system) const;

    Workspace m_workspace;
    Options m_options;
    std::unique_ptr<StateStore> m_store;
    std::vector<FlowSlot> m_flows;
    QHash<QString, bool> m_ready;
    QList<ChangeFeed *> m_feeds;
    QHash<QString, QString> m_positions; // "system/feed" → position handed over, not yet saved
    QTimer *m_flushTimer;
    bool m_flushing = false; // inside flush(): a change arriving meanwhile waits for the next pass
    QTimer *m_applyTimer; // single shot, 0 ms: the next pass of the event loop applies changes
    QTimer *m_tickTimer;
    QTimer *m_verifyTimer;
    QTimer *m_schemaTimer;
    qint64 m_eventsApplied = 0;
    StateChanges m_unsaved; // a batch whose write failed, written with the next one
    qsizetype m_unsavedCompacted = 0; // its upserts after the last compact()
    bool m_storeFailed = false;
    bool m_storeRefused = false; // the store's roles forbid this login the engine's writes
    QString m_storeError;
    qint64 m_storeRetryAtMs = 0; // a failed store is written again from then on
    int m_storeFailures = 0;     // in a row: the retry pause doubles
    qint64 m_storeWrittenMs = 0;
    static constexpr qint64 StoreIntervalMs = 50; // at most one store write per this, while changes stream
    bool m_stopped = false;
    QSet<QString> m_lostSystems; // systems whose feed is disconnected
    struct Availability
    {
        bool down = false;
        QString error;
        qint64 sinceMs = 0;
    };
    QHash<QString, Availability> m_availability; // as last announced by systemChanged
    QSet<QString> m_snapshotDue;
    bool m_deskStatusDue = false; // the desk's status goes with the next flush // flows whose baselines are written as one snapshot at the next flush
    QHash<QString, QHash<QString, qint64>> m_resolutionTotals; // flow → resolutions.* → count
    qint64 m_resolutionsReadMs = 0;
    qint64 m_auditSeq = 0; // the last audit entry followResolutions() looked at
    std::unique_ptr<ProbeMonitor> m_probes;
    FirstComparisonCheck *m_firstChecks;
};

} // namespace syncdesk
