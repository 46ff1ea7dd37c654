#pragma once

#include "model/RecordState.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QJsonObject>
#include <QVariantList>

#include <functional>
#include <memory>
#include <string_view>
#include <optional>

namespace syncdesk {

struct Workspace;

// One persisted baseline: the row both sides of a flow last agreed on. Rows are kept for records
// out of sync and for those that changed since the flow's last snapshot (BaselineSnapshot).
struct StoredBaseline
{
    QString flow;
    QByteArray keyJson;     // ["SKU-1"]
    bool known = true;      // false: no baseline (the record differed at the first comparison)
    RowHash hash;           // nullopt: agreed that the record does not exist
    bool inSync = false;    // the record was in sync when written: folded into the next snapshot
    QByteArray fieldValues; // JSON array of canonical texts (null for NULL); empty: unknown
    qint64 sourceChangedAtMs = 0;
    qint64 targetChangedAtMs = 0;
};

// A flow's baselines packed at one moment (BaselineSnapshot::takeParts()).
struct StoredSnapshot
{
    QString flow;
    qint64 records = 0;
    QList<std::pair<qint64, QByteArray>> parts; // (records, text) per part
};

// The sync's own numbers (resources/sql/state/005_activity.sql): a counter of one flow in one
// hour, added to what is stored ...
struct ActivityCount
{
    QString flow;
    qint64 hourStartMs = 0; // a multiple of an hour, ms since the epoch
    QString name;           // changes.source.insert, conflicts_detected, lag_bucket.17, …
    qint64 value = 0;
};

// ... and a maximum of one flow in one hour, with the record that set it.
struct ActivityPeak
{
    QString flow;
    qint64 hourStartMs = 0;
    QString name; // max_lag_ms
    qint64 value = 0;
    QByteArray keyJson;
};

// A period in which a flow had at least one record past its SLA.
struct SlaBreach
{
    QString flow;
    qint64 startedMs = 0;
    std::optional<qint64> endedMs; // nullopt: still open
    QByteArray worstKey;           // the record that waited longest in it
    qint64 worstLagMs = 0;
    qint64 records = 0; // records that were late in it
};

// A flow's conflict policy as its guard left it.
struct PolicyState
{
    QString flow;
    bool halted = false;
    QString reason;
    qint64 changedAtMs = 0;
    QString changedBy;
};

// An operator's hold on one record (resources/sql/state/006_claims.sql): while it lasts, a
// resolution of the record by anyone else is refused.
struct Claim
{
    QString flow;
    QByteArray keyJson;
    QString operatorName;
    QString osUser;
    QString host;
    QString dbUser; // the state store's role that took it; empty in an SQLite store
    qint64 claimedAtMs = 0;
    qint64 expiresAtMs = 0;
    // "claimed by Ana since 10:42 (until 11:12)", in local time.
    [[nodiscard]] QString text() const;
};

// What the store's login may do (a team's roles, resources: TeamSetup.h); everything in an
// SQLite store. The console disables what is not allowed; PostgreSQL refuses it anyway.
struct StorePermissions
{
    QString login; // the database login; empty for SQLite
    bool resolve = true;        // append to the audit log, write baselines
    bool claim = true;          // take and release one's own claims
    bool breakClaims = true;    // end anyone's claim
    bool resumePolicies = true; // write a policy's state
    bool runEngine = true;      // write the live engine's state (positions, statuses)
    [[nodiscard]] QString roleText() const;
};

// The hour an instant falls in, as activity rows are keyed.
[[nodiscard]] inline qint64 hourStartOf(qint64 ms)
{
    constexpr qint64 hour = 3600 * 1000;
    return ms - ((ms % hour) + hour) % hour;
}

// Everything one processed batch of changes persists, written in one transaction so that a feed
// position is never saved ahead of the baselines it covers.
struct StateChanges
{
    QList<StoredBaseline> upserts;
    QList<QPair<QString, QByteArray>> removals; // (flow, keyJson): back in sync
    QList<std::pair<QString, QString>> feedPositions; // ("system/feed", position)
    // Written before the upserts, so a batch appended after a snapshot still overrides it.
    QList<StoredSnapshot> snapshots;
    // The desk as of this batch (DeskStatus JSON, and when), for `syncdesk-cli status`.
    std::optional<std::pair<qint64, QByteArray>> deskStatus;
    // The activity of this batch: counts are added to the stored ones, peaks kept when higher,
    // breaches written whole (keyed by flow and start).
    QList<ActivityCount> counts;
    QList<ActivityPeak> peaks;
    QList<SlaBreach> breaches;
    [[nodiscard]] bool isEmpty() const
    {
        return upserts.isEmpty() && removals.isEmpty() && feedPositions.isEmpty()
               && snapshots.isEmpty() && !deskStatus && counts.isEmpty() && peaks.isEmpty()
               && breaches.isEmpty();
    }
    // Adds a later batch, as if both were applied in turn: a record's last word wins (a later
    // removal drops an earlier upsert and the other way round), and so does a feed's position.
    void append(StateChanges &&later);
    // The same changes with each record's run of upserts folded into one where applying the
    // last alone leaves what applying them in turn would (its field values known, or the same
    // agreed row as the one before). Keeps a batch held through a long outage about as large
    // as the records it touches, not as the changes made meanwhile.
    void compact();
};

// One record's live status as a team's agent publishes it for attached consoles
// (resources/sql/state/008_live_records.sql).
struct LiveRecord
{
    QByteArray keyJson;
    int status = 0; // RecordStatus; 0: back in sync
    qint64 sinceMs = 0;
    qint64 lagMs = 0;
    qint64 version = 0; // the write that set it (set by the store's writer)
};

// Where one flow's published rows stand.
struct LiveFlowMark
{
    QString flow;
    qint64 epoch = 0;
    qint64 version = 0;
    qint64 prunedBelow = 0;
    qint64 updatedAtMs = 0;
};

// One write of the live publisher, in one transaction, followed by a NOTIFY to the consoles.
struct LivePublication
{
    QHash<QString, QList<LiveRecord>> rewrites; // flow → every record out of sync, whole
    QHash<QString, QList<LiveRecord>> updates;  // flow → records whose status changed since
    std::optional<std::pair<qint64, QByteArray>> console; // the console's snapshot JSON, and when
    [[nodiscard]] bool isEmpty() const { return rewrites.isEmpty() && updates.isEmpty() && !console; }
};

// One lease row of a team's desk (resources/sql/state/009_agent_lease.sql and 010_flow_leases.sql):
// a flow an agent watches ("flow/NAME"), or an agent's presence ("agent/ID"), which tells the
// others how many share the desk.
struct AgentLease
{
    QString name;
    QString agent; // "host:pid:tag"
    QString host;
    qint64 pid = 0;
    qint64 takenAtMs = 0;
    qint64 heartbeatAtMs = 0;
    qint64 expiresAtMs = 0; // the store's clock
};

// What an engine's writes are fenced by (StateStore::fenceWritesTo): the agent and the leases
// it must hold, each of them, for a write to go in. An empty agent: no fence.
struct LeaseFence
{
    QString agent;
    QStringList leases;
};

// One audit log row as stored.
struct AuditRow
{
    qint64 seq = 0;
    QByteArray entry; // canonical JSON
    QByteArray prevHash;
    QByteArray hash;
};

// The state store (DESIGN.md): an SQLite file by default, a PostgreSQL database for a team.
// Versioned migrations (resources/sql/state/NNN_*.sql) bring either to the current schema.
class StateStore
{
public:
    virtual ~StateStore() = default;
    StateStore(const StateStore &) = delete;
    StateStore &operator=(const StateStore &) = delete;

    // The workspace's store: `state` is a file path or a postgresql:// URI. Throws SyncError.
    [[nodiscard]] static std::unique_ptr<StateStore> open(const Workspace &workspace);

    void apply(const StateChanges &changes);
    // The stored rows of a flow's baselines (records out of sync, and changes since its
    // snapshot), without the snapshot.
    [[nodiscard]] QList<StoredBaseline> baselines(const QString &flow);
    // Every baseline of a flow: its snapshot's records first (`snapshotRecord`: the key and
    // the baseline, nullopt when unknown), then the rows written since (`row`), which override
    // them (a key can come twice: the later wins). Returns true when the flow has a snapshot,
    // i.e. the set is complete: a key in neither is agreed to exist on no side.
    bool forEachBaseline(
        const QString &flow,
        const std::function<void(std::string_view keyJson, const std::optional<RowHash> &baseline)> &snapshotRecord,
        const std::function<void(const StoredBaseline &)> &row);
    // How many records the flow's snapshot holds, if it has one.
    [[nodiscard]] std::optional<qint64> snapshotRecords(const QString &flow);
    [[nodiscard]] std::optional<StoredBaseline> baseline(const QString &flow, const QByteArray &keyJson);
    [[nodiscard]] std::optional<QString> feedPosition(const QString &systemFeed);
    // The desk's status as a live engine last wrote it (DeskStatus JSON) and when: the row of
    // the leases it watched (fenceWritesTo; then "when" is the store's clock), or the desk's
    // own row without a lease.
    void writeDeskStatus(const QByteArray &json, qint64 atMs);
    // Every such row, the latest first: several agents each watch some of a team's flows
    // (DeskStatus::merged puts them together).
    [[nodiscard]] QList<std::pair<qint64, QByteArray>> deskStatuses();
    [[nodiscard]] int schemaVersion();

    // The live publisher's write (LivePublisher): rewrites replace a flow's rows, updates
    // follow them; every row gets the next version after `lastVersion`, which it returns
    // advanced. Back-in-sync rows up to version `pruneBelow` are dropped (0: none) from the
    // publisher's own flows (`pruneFlows`; empty: every flow), never from another agent's,
    // whose versions count on their own. Consoles are notified.
    qint64 publishLive(const LivePublication &publication, qint64 lastVersion, qint64 pruneBelow, qint64 nowMs,
                       const QStringList &pruneFlows = {});
    // The highest version written (0: none), where a new publisher goes on from.
    [[nodiscard]] qint64 liveVersion();
    [[nodiscard]] QList<LiveFlowMark> liveFlows();
    [[nodiscard]] std::optional<LiveFlowMark> liveFlow(const QString &flow);
    // A flow's published rows after `afterVersion`, by version; out of sync only when asked.
    [[nodiscard]] QList<LiveRecord> liveRecords(const QString &flow, qint64 afterVersion, bool outOfSyncOnly);
    // The consoles' snapshots (flows and systems) as the live publishers last wrote them, and
    // when, the latest first: one row per agent's share, as deskStatuses().
    [[nodiscard]] QList<std::pair<qint64, QByteArray>> consoleSnapshots();
    // Every lease row (flows and agents' presence), by name.
    [[nodiscard]] QList<AgentLease> leases();
    // Takes each of `names` for `me` (for `ttlMs` from now, by the store's clock) where it is
    // free, lapsed, already its own, or held by one of `deadAgents` (processes known to be gone
    // on this host: taken before their leases lapse). With `allOrNothing`, none unless all.
    // Returns the names `me` holds of them after the attempt.
    QStringList takeLeases(const AgentLease &me, const QStringList &names, qint64 ttlMs,
                           const QStringList &deadAgents = {}, bool allOrNothing = false);
    // Extends those of `names` that `agent` holds by `ttlMs` from now; returns their names.
    QStringList renewLeases(const QString &agent, const QStringList &names, qint64 ttlMs);
    // Drops the presence rows ("agent/…") of agents lapsed for `graceMs` or more: every start
    // of an agent is a new one, and the others count the live ones.
    void forgetLapsedAgents(qint64 graceMs);
    // Gives `names` up (empty: every lease of `agent`), so another agent takes them at once.
    void releaseLeases(const QString &agent, const QStringList &names = {});
    // Inside a transaction (an audit append's check under the log's lock): throws unless the
    // fence's agent holds its leases, so a policy of an agent that lost its share writes no
    // intent, and so nothing to the systems. No fence: nothing to check.
    void refuseWithoutLease() { checkFence(); }
    // This store writes the engine's state (apply, publishLive) only while the fence's agent
    // holds every one of its leases (checked in each write's transaction, under a lock a taker
    // waits for), so an agent that lost one (paused past its lease, cut off) cannot write beside
    // its successor. Set on the stores of the engine, the live writer and the policy workers;
    // an empty agent: no fence. The desk's status and the consoles' snapshot go to rows named
    // after the leases.
    void fenceWritesTo(const LeaseFence &fence)
    {
        m_fence = fence.agent;
        m_fenceLeases = fence.agent.isEmpty() ? QStringList() : fence.leases;
    }

    // The channel attached consoles LISTEN on. Its payload is a JSON array of the flows whose
    // rows changed, or "*" when a list was written whole or rows pruned (read every flow's mark).
    static constexpr const char *LiveChannel = "syncdesk_live";

    // Activity rows of `flow` (empty: every flow) whose hour starts in [fromMs, toMs), ordered
    // by flow and hour.
    [[nodiscard]] QList<ActivityCount> activityCounts(const QString &flow, qint64 fromMs, qint64 toMs);
    [[nodiscard]] QList<ActivityPeak> activityPeaks(const QString &flow, qint64 fromMs, qint64 toMs);
    // Every counter of `flow` summed over all hours: name → total.
    [[nodiscard]] QHash<QString, qint64> activityTotals(const QString &flow);
    // Breaches of `flow` (empty: every flow) that overlap [fromMs, toMs), by start.
    [[nodiscard]] QList<SlaBreach> slaBreaches(const QString &flow, qint64 fromMs, qint64 toMs);
    // The breach of `flow` still open (a run stopped while records were late), if any.
    [[nodiscard]] std::optional<SlaBreach> openBreach(const QString &flow);
    [[nodiscard]] std::optional<PolicyState> policyState(const QString &flow);
    void setPolicyState(const PolicyState &state);

    // Appends one entry (an object; written as canonical JSON) to the audit log's hash chain,
    // in its own transaction, with the activity it accounts for (a resolution's count) in the
    // same one. Returns the stored row.
    AuditRow appendAudit(const QJsonObject &entry, const QList<ActivityCount> &counts = {});
    // Several entries chained in order, in one transaction with `counts` (a policy's batch).
    QList<AuditRow> appendAudits(const QList<QJsonObject> &entries, const QList<ActivityCount> &counts = {});
    // The same with `underLock` run first, in the transaction and under the log's lock (which
    // claims take too): a check that throws there appends nothing.
    QList<AuditRow> appendAudits(const QList<QJsonObject> &entries, const QList<ActivityCount> &counts,
                                 const std::function<void()> &underLock);

    // The store's clock: the server's for a team's PostgreSQL, so every desk agrees on when a
    // claim lapses.
    [[nodiscard]] virtual qint64 nowMs();
    // The claim that holds a record now, if any (a lapsed one holds nothing).
    [[nodiscard]] std::optional<Claim> claim(const QString &flow, const QByteArray &keyJson);
    // The claims that hold now, of `flow` (empty: every flow), by flow and key.
    [[nodiscard]] QList<Claim> claims(const QString &flow = {});
    // Claims a record for `who` (operator, os_user, host) for `forMs` from now, or renews that
    // operator's claim (its start kept). Throws SyncError (NotAllowed) naming the holder when
    // another operator's claim holds it.
    Claim takeClaim(const QString &flow, const QByteArray &keyJson, const QJsonObject &who, qint64 forMs);
    // Drops the operator's own claim; false when the record was not claimed. Throws SyncError
    // (NotAllowed) when another operator's claim holds it: only breakClaim() ends that.
    bool releaseClaim(const QString &flow, const QByteArray &keyJson, const QString &operatorName);
    // Ends whoever's claim holds a record, audited in the same transaction (type "claim", event
    // "broken", with `who` and `reason`). Returns the claim ended; nullopt when none held. In a
    // team's store only syncdesk_admin may (row-level security): others get NotAllowed.
    std::optional<Claim> breakClaim(const QString &flow, const QByteArray &keyJson, const QJsonObject &who,
                                    const QString &reason);
    // What this store's login may do.
    [[nodiscard]] virtual StorePermissions permissions() { return {}; }
    // For the store of a live engine, whose event loop every change waits on: housekeeping
    // that would stall a write (a SQLite file's checkpoint) runs on a thread of its own.
    virtual void checkpointInBackground() {}
    // Throws SyncError (Claimed) when a claim of anyone but `operatorName` holds the record;
    // otherwise returns the operator's own claim that holds it, if any.
    std::optional<Claim> refuseClaimedByOthers(const QString &flow, const QByteArray &keyJson,
                                               const QString &operatorName);

    // The last entry's sequence number (0 for an empty log).
    [[nodiscard]] qint64 lastAuditSeq();
    // The last entry's number and hash (seq 0: an empty log); its entry is not read.
    [[nodiscard]] AuditRow auditHead();
    // A record's entries (intents, outcomes, claims broken, …) in order, through the log's
    // index on (flow, key): a record's history without reading the log. `keyJson` in any
    // JSON spelling of the key.
    [[nodiscard]] QList<AuditRow> auditRowsOfRecord(const QString &flow, const QByteArray &keyJson);
    // The entries of resolution `id` and of the undos that name it (their intents and
    // outcomes), in order.
    [[nodiscard]] QList<AuditRow> auditRowsOfResolution(const QString &id);
    // Up to `limit` entries before `beforeSeq` (0: the end), newest first, of `flow` (empty:
    // every flow), by index: the audit view's pages.
    [[nodiscard]] QList<AuditRow> auditRowsBefore(const QString &flow, qint64 beforeSeq, int limit);
    // The intents that have no outcome yet, in order.
    [[nodiscard]] QList<AuditRow> openIntentRows();
    // The index columns an entry is stored with (resources/sql/state/007_audit_index.sql).
    struct AuditColumns
    {
        QVariant flow, recordKey, type, resolutionId, undoes; // null where the entry has none
    };
    [[nodiscard]] static AuditColumns auditColumns(const QJsonObject &entry);

    // The log in sequence order, from `fromSeq` on.
    [[nodiscard]] QList<AuditRow> auditRows(qint64 fromSeq = 1);
    // The same, one row at a time, without holding the log in memory; stops when `f` says no.
    void forEachAuditRow(const std::function<bool(const AuditRow &)> &f) { forEachAuditRow(f, 1); }
    virtual void forEachAuditRow(const std::function<bool(const AuditRow &)> &f, qint64 fromSeq);
    // One entry's number and hash (its entry not read); seq 0 when there is no such entry.
    [[nodiscard]] AuditRow auditHashAt(qint64 seq);
    // SHA-256(prev_hash ‖ entry) in lowercase hex: the chain's one definition.
    [[nodiscard]] static QByteArray chainHash(const QByteArray &prevHash, const QByteArray &entry);
    [[nodiscard]] static QByteArray canonicalJson(const QJsonObject &entry);

    // The migrations compiled into this build, in order.
    [[nodiscard]] static QList<std::pair<int, QStringList>> migrations();

protected:
    StateStore() = default;
    [[nodiscard]] static StoredBaseline toBaseline(const QString &flow, const QVariantList &row);
    // Brings the schema to the newest migration; backends call it once connected.
    void migrate();

    // What a backend provides: statements with '?' placeholders, values bound, never spliced.
    virtual void exec(const QString &sql, const QVariantList &params = {}) = 0;
    [[nodiscard]] virtual QList<QVariantList> query(const QString &sql,
                                                    const QVariantList &params = {}) = 0;
    virtual void begin() = 0;
    virtual void commit() = 0;
    virtual void rollback() noexcept = 0;
    // Streams a query's rows; the default reads them all first.
    virtual void forEachRow(const QString &sql, const QVariantList &params,
                            const std::function<bool(const QVariantList &)> &f);
    // Adds counters to the stored ones, inside the caller's transaction.
    void addCounts(const QList<ActivityCount> &counts);
    // Serialises appends across connections (a team's desks share one log).
    virtual void lockAuditLog() {}
    // Serialises migrations across connections, inside begin() (SQLite's BEGIN IMMEDIATE
    // already holds the write lock).
    virtual void lockSchema() {}
    // Whether the store has a table of that name (asked before creating one, which a team's
    // read-only roles may not).
    [[nodiscard]] virtual bool hasTable(const QString &name) = 0;
    // Tells the consoles listening on `channel` at commit (PostgreSQL); nothing elsewhere.
    virtual void notify(const QString &channel, const QString &payload)
    {
        Q_UNUSED(channel)
        Q_UNUSED(payload)
    }
    // The role this connection acts as; empty where there are none (SQLite).
    [[nodiscard]] virtual QString databaseUser() { return {}; }

    // The lock clause that makes a read hold a row until the transaction ends (" FOR SHARE"
    // on PostgreSQL; SQLite's write transaction holds the whole file already).
    [[nodiscard]] virtual QString shareLock() const { return {}; }
    // Makes this transaction's statements wait at most `ms` for a lock (PostgreSQL).
    virtual void limitLockWait(int ms) { Q_UNUSED(ms) }

private:
    // Throws unless the fence's agent (fenceWritesTo) still holds the lease; inside
    // the caller's transaction.
    void checkFence();
    void runMigrations();

    // The row of desk_status `prefix` ('desk', 'console') this store writes: one per set of
    // leases watched, so several agents' rows stand side by side.
    [[nodiscard]] QString statusRow(const QString &prefix) const;
    // The rows of `prefix`, the latest first.
    [[nodiscard]] QList<std::pair<qint64, QByteArray>> statusRows(const QString &prefix);

    QString m_fence; // fenceWritesTo
    QStringList m_fenceLeases;
    qint64 m_sharesCleanedAtMs = 0; // writeDeskStatus
    // Fills version 7's index columns and open intents for the rows written before it.
    void backfillAuditIndex();
    // Chains entries onto the log; the caller holds a transaction and the log's lock.
    QList<AuditRow> appendLocked(const QList<QJsonObject> &entries);
    [[nodiscard]] std::optional<Claim> claimRow(const QString &flow, const QByteArray &keyJson);
};

} // namespace syncdesk
