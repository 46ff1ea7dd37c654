#pragma once

#include "FlowLedger.h"
#include "FlowPlan.h"
#include "FlowSides.h"
#include "LagStats.h"
#include "RecordDetail.h"
#include "RecordTable.h"
#include "WaitingRecords.h"
#include "feeds/ChangeEvent.h"
#include "model/RecordState.h"
#include "model/RecordStatus.h"
#include "model/Workspace.h"
#include "state/StateStore.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QSet>

#include <array>
#include <functional>
#include <memory>

namespace syncdesk {

struct DiffOptions;
struct DiffResult;
struct StoredSnapshot;
struct StateChanges;
class StateStore;

// Which side a change was seen on; Unknown for what a verification scan found.
enum class ChangeSide { Source, Target, Unknown };

// "This key changed on that side at that commit time": what feeds and scans report.
struct KeyChange
{
    KeyChange() = default;
    KeyChange(ChangeSide side, KeyText key, qint64 changedAtMs = 0, int rereads = 0)
        : side(side), key(std::move(key)), changedAtMs(changedAtMs), rereads(rereads)
    {
    }

    ChangeSide side = ChangeSide::Unknown;
    KeyText key;
    qint64 changedAtMs = 0; // commit time when the feed knows it, else when it was seen
    int rereads = 0;        // times it was read back before the change was visible
    // The side's row as the change committed it, when the feed carried it (a logical feed):
    // Row with `fields` (the plan's field values as the system prints them, nullopt for NULL),
    // or Absent. It saves reading the row, unless a read of that side may already have seen
    // a later commit (FlowSides::imageTrusted()).
    RowImage image = RowImage::None;
    quint64 commitLsn = 0;
    QList<std::optional<QByteArray>> fields;
    quint32 xid = 0;              // the transaction that made the change, when the feed tells
    qint64 deferredSinceMs = 0;   // when a read first showed it not visible yet (0: never)
};

// One status change of one record, as `watch --events` prints it.
struct StatusEvent
{
    qint64 tsMs = 0;
    QString flow;
    QByteArray keyJson;
    RecordStatus status = RecordStatus::InSync;
    qint64 lagMs = 0;
};

// The live state of one flow: every record with both sides' row hashes and the row both last
// agreed on (its baseline), in memory and persisted; the counts by status; the arrival lags.
// A key the table does not hold is agreed to exist on neither side, so a key that appears after
// the first comparison is a new record (pending) rather than a missing one.
class LiveFlow
{
public:
    LiveFlow(const Workspace &workspace, const FlowSpec &flow);
    ~LiveFlow();
    LiveFlow(const LiveFlow &) = delete;
    LiveFlow &operator=(const LiveFlow &) = delete;

    // Connects both sides for fetches (FlowSides). Throws SyncError.
    void open() { m_sides.open(); }
    [[nodiscard]] bool isOpen() const { return m_sides.isOpen(); }
    void close() { m_sides.close(); }
    // Both sides, opened: what readers of the flow's records use.
    [[nodiscard]] FlowSides &sides() { return m_sides; }

    // One full comparison of `flow` that fills `records` with every record it saw (each side's
    // row hash; no baseline yet), streamed from the merge. `expectedRecords`: how many the
    // last one saw, if known. Throws SyncError.
    static DiffResult compare(const Workspace &workspace, const FlowSpec &flow,
                              RecordTable &records, DiffOptions options, qint64 expectedRecords = 0);
    // Takes what compare() found plus the stored baselines as the starting state. Baselines
    // that moved since are in `changes`; snapshotDue() says when a snapshot() is worth more.
    void load(RecordTable &&scanned, StateStore &store, qint64 nowMs, QList<StatusEvent> &events,
              StateChanges &changes);
    // Re-reads the changed keys on both sides and reclassifies them. A change a feed reported
    // that the read does not show yet goes to `later`, to be read again: PostgreSQL sends a
    // committed transaction to logical decoding a moment before other sessions can see it.
    void apply(const QList<KeyChange> &keyChanges, qint64 nowMs, QList<StatusEvent> &events,
               StateChanges &changes, QList<KeyChange> *later = nullptr);

    // What a feed's change of a row of this flow's table on one side says: its key (nullopt
    // when a key column is missing) and, when the feed carried the row with every compared
    // field (the flow open, so its columns are known), the row's image.
    [[nodiscard]] std::optional<KeyChange> keyChange(bool sourceSide, const ChangeEvent &e) const;

    static constexpr int MaxRereads = 10;
    // A read proven not to show a commit (TxSnapshot) is made again for this long at most.
    static constexpr qint64 ProvenWaitMs = 10000;
    // How often the images not yet proven visible are checked against a fresh snapshot.
    static constexpr qint64 ProveIntervalMs = 1000;
    // Keys a verification scan (compare()) disagrees with the live state on, to be re-read
    // through apply().
    // How many records that agree here (both sides' hashes equal) do not in `scanned`, leaving
    // out `moving` (keys with changes not applied yet): what a retype that changes values parts.
    [[nodiscard]] qint64 partedBy(const RecordTable &scanned, const QSet<QByteArray> &moving) const;
    [[nodiscard]] QList<KeyChange> suspects(const RecordTable &scanned) const;
    // Every record's baseline, packed for the state store (rows written before it are folded in).
    [[nodiscard]] StoredSnapshot snapshot();
    // Whether the baseline rows written since the last snapshot (or a store without one) make
    // a new snapshot worth writing: past a tenth of the flow's records.
    [[nodiscard]] bool snapshotDue() const
    {
        return m_rowsSinceSnapshot > std::max<qint64>(1000, m_records.size() / 10);
    }
    // Each record out of sync now: its key (JSON), status and when it fell out of sync, in no
    // particular order (what a records view and an attached console list after a comparison).
    void forEachOutOfSync(const std::function<void(std::string_view key, RecordStatus status, qint64 sinceMs)> &visit) const;
    [[nodiscard]] qint64 outOfSyncCount() const { return trackedRecords() - count(RecordStatus::InSync); }
    // The keys (JSON) of the tracked records that have `status`, in no particular order.
    [[nodiscard]] QList<QByteArray> keysWith(RecordStatus status) const;
    // Pending records past their SLA turn late.
    void tick(qint64 nowMs, QList<StatusEvent> &events);

    [[nodiscard]] const FlowSpec &spec() const { return m_flow; }
    [[nodiscard]] const FlowPlan &plan() const { return m_sides.plan(); }
    [[nodiscard]] TableRef table(bool sourceSide) const { return m_sides.table(sourceSide); }
    [[nodiscard]] qint64 count(RecordStatus status) const { return m_counts[size_t(status)]; }
    [[nodiscard]] qint64 trackedRecords() const { return m_records.size(); }
    [[nodiscard]] const RecordTable &records() const { return m_records; }
    [[nodiscard]] qint64 oldestPendingAgeMs(qint64 nowMs) const;
    [[nodiscard]] const LagStats &lags() const { return m_lags; }
    // The flow's accounting: changes, conflicts, arrivals, SLA breaches (drained by the engine
    // into each batch it writes).
    [[nodiscard]] FlowLedger &ledger() { return m_ledger; }
    [[nodiscard]] const FlowLedger &ledger() const { return m_ledger; }
    [[nodiscard]] std::optional<RecordStatus> status(const QByteArray &keyJson) const;
    [[nodiscard]] std::optional<RecordState> state(const QByteArray &keyJson) const;

    // The key columns' values of a key JSON array (FlowSides::keyText).
    [[nodiscard]] static KeyText keyText(const QByteArray &keyJson) { return FlowSides::keyText(keyJson); }

private:
    // A record as the logic works on it; RecordTable keeps it packed.
    struct Tracked
    {
        RecordState state;
        RecordStatus status = RecordStatus::InSync;
    };

    void store(const QByteArray &keyJson, const Tracked &t);

    // Moves a record between status counts (`from` nullopt: it was not counted anywhere).
    void setStatus(const QByteArray &keyJson, Tracked &t, std::optional<RecordStatus> from,
                   RecordStatus to, qint64 lagMs, qint64 nowMs, QList<StatusEvent> &events);
    [[nodiscard]] StoredBaseline toStored(const QByteArray &keyJson, const Tracked &t,
                                          const QByteArray &fieldValues) const;

    FlowSpec m_flow;
    FlowSides m_sides;
    RecordTable m_records; // keyed by the key's JSON, which is canonical
    // The records pending or late, by when they began to wait (setStatus() keeps it): what
    // tick() and the oldest pending age look at, instead of every record of the table.
    WaitingRecords m_waiting;
    std::array<qint64, 8> m_counts{};
    LagStats m_lags;
    FlowLedger m_ledger;
    qint64 m_rowsSinceSnapshot = 0;
    // Per side: records whose state there came from a change's image, by the transaction
    // that made it, until a read is known to see that transaction. A read that does not is
    // older than what the record holds (its commit not visible yet), never newer.
    std::array<QHash<QByteArray, quint32>, 2> m_unproven;
    std::array<qint64, 2> m_provedAtMs{};
    // Drops the images a snapshot of their side now sees (at most every ProveIntervalMs).
    void proveImages(qint64 nowMs, const std::array<bool, 2> &readNow);
};

} // namespace syncdesk
