#pragma once

#include "LiveFlow.h"
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
class StateStore;
struct DiffResult;

// Health of one connected system, as the console's Systems panel and the metrics show it.
struct SystemHealth
{
    QString name;
    QString feedMode;
    bool connected = false;
    QString error;
    qint64 lastEventMs = 0;
    qint64 nextRetryMs = 0;
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
    };

    LiveEngine(Workspace workspace, Options options, QObject *parent = nullptr);
    ~LiveEngine() override;

    // Opens the state store and starts every flow; problems with systems are reported through
    // signals and retried, a state store that cannot open throws SyncError.
    void start();
    // Applies what is queued and persists it.
    void flush();

    [[nodiscard]] const Workspace &workspace() const { return m_workspace; }
    [[nodiscard]] QList<const LiveFlow *> flows() const;
    [[nodiscard]] bool isReady(const QString &flow) const { return m_ready.value(flow); }
    [[nodiscard]] QList<SystemHealth> systems() const;
    [[nodiscard]] qint64 eventsApplied() const { return m_eventsApplied; }
    // What keeps `flow` from working now (its systems, or the state store); empty when nothing.
    [[nodiscard]] QString flowErrorText(const QString &flow) const;

    // A flow's full comparison: the first one, or a verification scan.
    struct Comparison
    {
        bool running = false;
        bool initial = false;
        qint64 records = 0;  // compared so far
        qint64 expected = 0; // records the last finished comparison counted; 0: not known
        bool stopped = false; // its first comparison was cancelled: it waits for compareNow()
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
    void systemChanged(const QString &system, bool connected, const QString &error);
    void flowError(const QString &flow, const QString &error);
    // A flow that reported an error works again (its systems answer, its state is written).
    void flowRecovered(const QString &flow);

private:
    struct FlowSlot
    {
        std::unique_ptr<LiveFlow> flow;
        QList<KeyChange> queue;
        bool comparing = false;
        bool comparingInitial = false;
        bool stopped = false;
        bool failed = false; // reported by flowError, not yet by flowRecovered
        QString error;       // what failFlow() said last, while failed
        qint64 lastRecords = 0;
        // Shared with the comparison on the pool: its progress, and the operator's cancel.
        std::shared_ptr<std::atomic<qint64>> compared = std::make_shared<std::atomic<qint64>>(0);
        std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
        qint64 nextAttemptMs = 0;
        int failures = 0;
    };

    void startFeeds();
    // The feed `system` gets now (for "auto", what the server allows); nullptr: no flow uses it.
    [[nodiscard]] ChangeFeed *makeFeed(const SystemSpec &system);
    void startFeed(ChangeFeed *feed);
    // An "auto" system back after an outage: a better (or the only possible) feed replaces the
    // old one.
    void reprobe(ChangeFeed *feed);
    void compare(FlowSlot &slot, bool initial);
    // A verification scan of every live flow that reads or writes `system`.
    void rescanFlowsOf(const QString &system);
    void onCompared(const QString &flow, bool initial, const DiffResult &result,
                    const std::shared_ptr<RecordTable> &records, const QString &error);
    void onFeedChanges(ChangeFeed *feed, const QList<struct ChangeEvent> &events,
                       const QString &position);
    void tick();
    void failFlow(FlowSlot &slot, const QString &error);
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
    QTimer *m_tickTimer;
    QTimer *m_verifyTimer;
    qint64 m_eventsApplied = 0;
    StateChanges m_unsaved; // a batch whose write failed, written with the next one
    bool m_storeFailed = false;
    QString m_storeError;
    qint64 m_storeRetryAtMs = 0; // a failed store is written again from then on
    QSet<QString> m_lostSystems; // systems whose feed is disconnected
    QSet<QString> m_snapshotDue;
    bool m_deskStatusDue = false; // the desk's status goes with the next flush // flows whose baselines are written as one snapshot at the next flush
    bool m_flushScheduled = false;
};

} // namespace syncdesk
