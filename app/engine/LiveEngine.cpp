#include "LiveEngine.h"

#include "FirstComparisonCheck.h"
#include "probe/ProbeMonitor.h"

#include "DeskStatus.h"
#include "DiffResult.h"
#include "Reconciler.h"
#include "connectors/HttpClient.h"
#include "feeds/HttpChangesFeed.h"
#include "feeds/HttpPollingFeed.h"
#include "feeds/HttpWebhookFeed.h"
#include "feeds/PgFeedMode.h"
#include "feeds/PgLogicalFeed.h"
#include "feeds/PgNotifyFeed.h"
#include "feeds/PgPollingFeed.h"
#include "feeds/RescanFeed.h"
#include "feeds/SqlitePollingFeed.h"
#include "model/SyncError.h"
#include "state/ActivityCounters.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QScopedValueRollback>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

#ifdef __GLIBC__
#include <malloc.h>
#endif

Q_LOGGING_CATEGORY(lcEngine, "syncdesk.engine", QtWarningMsg)

namespace syncdesk {

namespace {

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

struct Compared
{
    DiffResult result;
    std::shared_ptr<RecordTable> records; // every record the comparison saw
    QString error;
    QString downSystem; // the system that did not answer, when that is why it failed
};

// "system 'src' (postgres) feed: connection lost: …" → "connection lost: …": the line that
// announces the system names it already.
QString reasonOf(const QString &system, const QString &error)
{
    const QString prefix = QStringLiteral("system '%1' (").arg(system);
    if (!error.startsWith(prefix))
        return error;
    const qsizetype colon = error.indexOf(QStringLiteral(": "), prefix.size());
    return colon < 0 ? error : error.mid(colon + 2);
}

} // namespace

LiveEngine::LiveEngine(Workspace workspace, Options options, QObject *parent)
    : QObject(parent), m_workspace(std::move(workspace)), m_options(options),
      m_flushTimer(new QTimer(this)), m_applyTimer(new QTimer(this)), m_tickTimer(new QTimer(this)), m_verifyTimer(new QTimer(this)),
      m_schemaTimer(new QTimer(this)), m_probes(std::make_unique<ProbeMonitor>(m_workspace, options.probePollMs)),
      m_firstChecks(new FirstComparisonCheck(this))
{
    m_flushTimer->setInterval(m_options.coalesceMs);
    m_tickTimer->setInterval(1000);
    m_schemaTimer->setInterval(m_options.schemaCheckIntervalMs);
    connect(m_schemaTimer, &QTimer::timeout, this, &LiveEngine::checkSchemas);
    m_verifyTimer->setInterval(m_options.verifyIntervalMs);
    connect(m_flushTimer, &QTimer::timeout, this, &LiveEngine::flush);
    // Changes are applied on the next pass of the event loop. A zero timer, not a posted
    // call: a post wakes the loop through its eventfd (a write and a read, two system calls
    // on every change's path), where the pass that follows the feed's read is there anyway.
    m_applyTimer->setSingleShot(true);
    m_applyTimer->setInterval(0);
    connect(m_applyTimer, &QTimer::timeout, this, &LiveEngine::flush);
    connect(m_tickTimer, &QTimer::timeout, this, &LiveEngine::tick);
    connect(m_verifyTimer, &QTimer::timeout, this, [this] {
        for (FlowSlot &slot : m_flows) {
            if (m_ready.value(slot.flow->spec().name) && !slot.comparing)
                compare(slot, false);
        }
    });
}

LiveEngine::~LiveEngine()
{
    // Scans running on the thread pool reference our workspace: stop them, and let them end.
    for (FlowSlot &slot : m_flows)
        slot.cancel->store(true);
    for (QFutureWatcher<Compared> *w : findChildren<QFutureWatcher<Compared> *>())
        w->waitForFinished();
    if (!m_stopped) {
        m_stopped = true; // the last write: nothing deferred (LiveEngine::flush)
        flush();
    }
}

bool LiveEngine::stop()
{
    m_stopped = true;
    m_storeRetryAtMs = 0; // the last chance: no pause
    flush();
    m_probes->stop(); // after the last write: a probe waiting on a hung system delays nothing
    return !m_storeFailed;
}

QList<const LiveFlow *> LiveEngine::flows() const
{
    QList<const LiveFlow *> out;
    for (const FlowSlot &slot : m_flows)
        out << slot.flow.get();
    return out;
}

void LiveEngine::start()
{
    // Reads on this thread (opening flows, a flush's records) skip an API that asks to wait:
    // the system shows as throttled and is retried, while the other flows go on.
    HttpClient::limitWaitsOnThisThread(1000);
    m_store = StateStore::open(m_workspace);
    m_store->fenceWritesTo(m_options.lease);
    m_store->checkpointInBackground();
    m_flows.reserve(size_t(m_workspace.flows.size()));
    for (const FlowSpec &f : m_workspace.flows) {
        FlowSlot slot;
        slot.flow = std::make_unique<LiveFlow>(m_workspace, f);
        // The accounting goes on from where the store has it (counters are totals since the
        // store began, as Prometheus counters should be across restarts).
        slot.flow->ledger().resume(m_store->activityTotals(f.name), m_store->openBreach(f.name));
        m_flows.push_back(std::move(slot));
    }
    m_auditSeq = m_store->lastAuditSeq();
    startFeeds();
    for (FlowSlot &slot : m_flows)
        compare(slot, true);
    m_flushTimer->start();
    m_tickTimer->start();
    m_verifyTimer->start();
    m_schemaTimer->start();
    m_probes->start();
}

void LiveEngine::startFeeds()
{
    for (const SystemSpec &system : m_workspace.systems) {
        if (ChangeFeed *feed = makeFeed(system))
            startFeed(feed);
        // Pushed changes arrive beside the system's own feed, which catches lost deliveries.
        if (ChangeFeed *hooks = makeWebhookFeed(system))
            startFeed(hooks);
    }
}

ChangeFeed *LiveEngine::makeWebhookFeed(const SystemSpec &system)
{
    if (system.kind != SystemKind::Http)
        return nullptr;
    QList<HttpWebhookFeed::Table> tables;
    for (const FlowSpec &f : m_workspace.flows) {
        for (const bool source : {true, false}) {
            const FlowSide &side = f.side(source);
            if (side.system != system.name || !side.table.http || !side.table.http->webhook)
                continue;
            QStringList keys;
            for (const ColumnPair &k : f.key)
                keys << k.name(source);
            tables.append({side.table, keys, side.updatedAt});
        }
    }
    return tables.isEmpty() ? nullptr : new HttpWebhookFeed(system, tables, this);
}

ChangeFeed *LiveEngine::makeFeed(const SystemSpec &system)
{
    QList<TableRef> pgTables;
    QList<SqlitePollingFeed::Table> sqliteTables;
    QList<PgPollingFeed::Table> pgPolled;
    bool pollable = true;
    for (const FlowSpec &f : m_workspace.flows) {
        for (const bool source : {true, false}) {
            const FlowSide &side = f.side(source);
            if (side.system != system.name)
                continue;
            // Unqualified PostgreSQL names match in any schema; the engine checks the
            // resolved schema when it routes.
            pgTables.append({side.table.schema.isEmpty() ? QStringLiteral("*") : side.table.schema,
                             side.table.name});
            QStringList keys;
            for (const ColumnPair &k : f.key)
                keys << k.name(source);
            sqliteTables.append({side.table, keys, side.updatedAt});
            pgPolled.append({side.table, keys, side.updatedAt});
            pollable = pollable && !side.updatedAt.isEmpty();
        }
    }
    if (pgTables.isEmpty())
        return nullptr;
    if (system.kind == SystemKind::Postgres) {
        const QString mode = system.feed == u"auto" ? choosePgFeedMode(system, pgTables, pollable)
                                                    : system.feed;
        if (mode == u"notify")
            return new PgNotifyFeed(system, this);
        if (mode == u"polling" && pollable)
            return new PgPollingFeed(system, pgPolled, m_options.pollIntervalMs, this);
        if (mode == u"rescan")
            return new RescanFeed(system, std::min(m_options.verifyIntervalMs, 60000), this);
        return new PgLogicalFeed(system, PgLogicalFeed::slotName(m_workspace.filePath, system.name),
                                 pgTables, this);
    }
    if (system.kind == SystemKind::Sqlite)
        return new SqlitePollingFeed(system, sqliteTables, m_options.pollIntervalMs, this);
    // An HTTP system is polled for records changed since a mark when every side on it says
    // how to ask; otherwise it is compared again at the poll interval.
    QList<HttpPollingFeed::Table> httpTables;
    QList<HttpChangesFeed::Table> changesTables;
    bool sincePollable = system.feed != u"rescan";
    bool followsChanges = system.feed == u"auto";
    for (const FlowSpec &f : m_workspace.flows) {
        for (const bool source : {true, false}) {
            const FlowSide &side = f.side(source);
            if (side.system != system.name)
                continue;
            QStringList keys;
            for (const ColumnPair &k : f.key)
                keys << k.name(source);
            sincePollable = sincePollable && side.table.http && !side.table.http->updatedSinceParam.isEmpty();
            followsChanges = followsChanges && side.table.http && !side.table.http->changes.isEmpty();
            httpTables.append({side.table, keys, side.updatedAt});
            changesTables.append({side.table, keys});
        }
    }
    // A changes feed tells deletions too: the best an API offers, when every side has one.
    if (followsChanges && !changesTables.isEmpty())
        return new HttpChangesFeed(system, changesTables, std::max(1000, m_options.pollIntervalMs), this);
    // An API is polled at most once a second (a request per resource, where a database's poll
    // is a cheap local query); without a way to ask for changes it is compared again as often
    // as a PostgreSQL system in rescan mode, since each comparison reads every page.
    if (sincePollable)
        return new HttpPollingFeed(system, httpTables, std::max(1000, m_options.pollIntervalMs), this);
    return new RescanFeed(system, std::min(m_options.verifyIntervalMs, 60000), this);
}

void LiveEngine::startFeed(ChangeFeed *feed)
{
    connect(feed, &ChangeFeed::changes, this,
            [this, feed](const QList<ChangeEvent> &events, const QString &position) {
                onFeedChanges(feed, events, position);
            });
    connect(feed, &ChangeFeed::rescanNeeded, this,
            [this, feed] { rescanFlowsOf(feed->system().name); });
    connect(feed, &ChangeFeed::connectionChanged, this,
            [this, feed](bool connected, const QString &) {
                const QString system = feed->system().name;
                updateSystem(system);
                if (!connected) {
                    m_lostSystems.insert(system);
                    return;
                }
                // Back after an outage: with "feed": "auto", what the server allows may have
                // changed meanwhile (logical decoding switched on, the trigger installed).
                if (m_lostSystems.remove(system) && feed->system().feed == u"auto"
                    && feed->system().kind == SystemKind::Postgres) {
                    QTimer::singleShot(0, this, [this, feed] { reprobe(feed); });
                    return;
                }
                // What the feed could not replay, a rescan finds.
                rescanFlowsOf(system);
            });
    m_feeds.append(feed);
    // A polling feed goes on from its kept marks: changes made while nobody watched are
    // then reported with their own times, and none twice.
    if (!feed->positionKind().isEmpty()) {
        try {
            if (const auto position =
                    m_store->feedPosition(feed->system().name + u'/' + feed->positionKind()))
                feed->resume(*position);
        } catch (const SyncError &e) {
            qCWarning(lcEngine).noquote() << e.message();
        }
    }
    feed->start();
}

void LiveEngine::reprobe(ChangeFeed *feed)
{
    const SystemSpec system = feed->system();
    ChangeFeed *fresh = makeFeed(system);
    if (!fresh || fresh->mode() == feed->mode()) {
        delete fresh;
        rescanFlowsOf(system.name);
        return;
    }
    qCInfo(lcEngine).noquote() << "system" << system.name << "feed now" << fresh->mode();
    m_feeds.removeOne(feed);
    // What the old feed handed over and nobody confirmed is its kind of position, not the new
    // feed's: the new one starts from its own (and its first connection rescans).
    m_positions.remove(system.name + u'/' + feed->positionKind());
    feed->deleteLater();
    startFeed(fresh); // its first connection rescans what the old feed missed
}

void LiveEngine::rescanFlowsOf(const QString &system)
{
    for (FlowSlot &slot : m_flows) {
        const FlowSpec &f = slot.flow->spec();
        const bool uses = f.source.system == system || f.target.system == system;
        if (uses && m_ready.value(f.name) && !slot.comparing)
            compare(slot, false);
    }
}

void LiveEngine::compare(FlowSlot &slot, bool initial)
{
    LiveFlow &flow = *slot.flow;
    if (!flow.isOpen()) {
        try {
            flow.open();
        } catch (const SyncError &e) {
            // Not opening while its systems answer: a table or column it names is gone.
            slot.schemaBroken = slot.schemaBroken || !e.unavailable();
            failFlow(slot, e);
            return;
        }
    }
    slot.comparing = true;
    slot.comparingInitial = initial;
    slot.queuedAtCompare = slot.queue.size();
    slot.stopped = false;
    slot.compared = std::make_shared<std::atomic<qint64>>(0);
    slot.cancel = std::make_shared<std::atomic<bool>>(false);
    const QString name = flow.spec().name;
    const FlowSpec *spec = m_workspace.flow(name);
    auto *watcher = new QFutureWatcher<Compared>(this);
    connect(watcher, &QFutureWatcher<Compared>::finished, this, [this, watcher, name, initial] {
        // Taking the result resets the future to "not started", so a wait on it would never end:
        // no longer the engine's child, the destructor does not wait on it (deleted below).
        watcher->setParent(nullptr);
        {
            QFuture<Compared> future = watcher->future();
            Compared c = future.takeResult();
            onCompared(name, initial, c.result, c.records, c.error, c.downSystem);
        }
        watcher->deleteLater();
#ifdef __GLIBC__
        // A verification's record table is gone: hand its pages back rather than keep the
        // peak resident for the life of the process.
        malloc_trim(0);
#endif
    });
    const Workspace *ws = &m_workspace;
    qint64 expected = slot.lastRecords;
    if (expected == 0) {
        try {
            expected = m_store->snapshotRecords(name).value_or(0);
        } catch (const SyncError &) {
            // only a size hint
        }
    }
    watcher->setFuture(QtConcurrent::run([ws, spec, expected, compared = slot.compared, cancel = slot.cancel] {
        Compared c;
        try {
            DiffOptions options;
            options.progress = [compared, cancel](qint64 records) {
                compared->store(records, std::memory_order_relaxed);
                return !cancel->load(std::memory_order_relaxed);
            };
            c.records = std::make_shared<RecordTable>();
            c.result = LiveFlow::compare(*ws, *spec, *c.records, options, expected);
        } catch (const SyncError &e) {
            c.error = e.message();
            if (e.unavailable())
                c.downSystem = e.system();
        } catch (const std::exception &e) {
            c.error = QStringLiteral("flow '%1': %2").arg(spec->name, QString::fromUtf8(e.what()));
        }
        return c;
    }));
}

void LiveEngine::onCompared(const QString &name, bool initial, const DiffResult &result,
                            const std::shared_ptr<RecordTable> &records, const QString &error,
                            const QString &downSystem)
{
    for (FlowSlot &slot : m_flows) {
        if (slot.flow->spec().name != name)
            continue;
        slot.comparing = false;
        if (std::exchange(slot.recompare, false)) {
            slot.flow->close();
            compare(slot, false); // the retype's check, on the tables as they are now
            return;
        }
        if (!error.isEmpty() && slot.cancel->load()) {
            if (!m_ready.value(name)) {
                slot.flow->close();
                slot.stopped = true; // no retry: the operator said stop
                emit flowError(name, QStringLiteral("first comparison cancelled by the operator"));
            } else if (slot.retypeCheck) {
                // The retype is still unchecked: held as an incident, checked again later.
                slot.schemaBroken = true;
                failFlow(slot, QStringLiteral("schema changed: %1; its check was cancelled").arg(slot.retype));
                slot.nextAttemptMs = nowMs() + RetypeRetryMs;
            }
            return; // a cancelled verification: the flow stays live as it was
        }
        if (!error.isEmpty()) {
            // A table or column gone makes the scan fail: the catalogue says which, plainly.
            if (downSystem.isEmpty() && diagnoseSchema(slot))
                return;
            failFlow(slot, error, downSystem);
            return;
        }
        slot.lastRecords = result.inSync + result.different + result.missingInTarget + result.missingInSource;
        slot.lastOrder = result.order;
        qCInfo(lcEngine).noquote() << name << (initial ? "first comparison:" : "verification:")
                                   << slot.lastRecords << "records," << result.order << "order,"
                                   << result.elapsedMs << "ms";
        if (initial || !m_ready.value(name)) {
            QList<StatusEvent> events;
            StateChanges changes;
            QElapsedTimer timer;
            timer.start();
            try {
                // Reads the stored baselines: without them no status can be told truly.
                slot.flow->load(std::move(*records), *m_store, nowMs(), events, changes);
            } catch (const SyncError &e) {
                // The state store's incident, not the flow's: compared again once it answers.
                storeLost(e);
                slot.failed = true;
                slot.error = e.message();
                slot.failures = std::min(slot.failures + 1, 6);
                slot.nextAttemptMs = nowMs() + std::min(250 << slot.failures, 5000);
                slot.flow->close();
                return;
            }
            qCDebug(lcEngine).noquote() << name << "compared in" << result.elapsedMs
                                        << "ms, loaded in" << timer.restart() << "ms";
            try {
                m_store->apply(changes);
                qCDebug(lcEngine).noquote() << name << "baselines written in" << timer.elapsed() << "ms";
            } catch (const SyncError &e) {
                // Kept and written with the next batch once the store is back; the flow is live.
                m_unsaved.append(std::move(changes));
                storeLost(e);
            }
            // Every baseline as one snapshot when that is worth it, written at the next
            // flush: the flow is live meanwhile, and rows written later override it.
            if (slot.flow->snapshotDue())
                m_snapshotDue.insert(name);
            slot.failures = 0;
            m_ready.insert(name, true);

            if (!events.isEmpty())
                emit statusEvents(events);
            emit flowReady(name);
            // What the first comparison found out of sync is read again after the flow's p99
            // lag: a change on its way, or a difference confirmed.
            QList<QByteArray> reread;
            qint64 outOfSync = 0;
            slot.flow->records().forEach([&](std::string_view key, const TrackedRecord &r) {
                if (r.status == RecordStatus::InSync)
                    return;
                if (++outOfSync <= FirstComparisonCheck::MaxKeys)
                    reread.append(QByteArray(key.data(), qsizetype(key.size())));
            });
            m_firstChecks->start(m_workspace, slot.flow->spec(), std::move(reread), outOfSync);
        } else {
            if (slot.retypeCheck) {
                // Records changed while it read moved on their own: not the retype's doing.
                // (What was queued before may be the retype itself: a table copied into a
                // retyped one shows every row as changed.)
                QSet<QByteArray> moving;
                for (qsizetype i = std::min(slot.queuedAtCompare, slot.queue.size()); i < slot.queue.size(); ++i)
                    if (const std::optional<QByteArray> key = slot.flow->sides().tryKeyJson(slot.queue[i].key))
                        moving.insert(*key);
                if (const qint64 parted = slot.flow->partedBy(*records, moving); parted > 0) {
                    // Nothing of it is applied: no record events, no policy acts on it. Checked
                    // again (a whole comparison) every 30 s until the type is back; an
                    // operator's "Compare now" accepts the new type.
                    slot.schemaBroken = true;
                    failFlow(slot, QStringLiteral("schema changed: %1; %2 record(s) that agreed no "
                                                  "longer compare equal")
                                       .arg(slot.retype)
                                       .arg(parted));
                    slot.nextAttemptMs = nowMs() + RetypeRetryMs;
                    return;
                }
                slot.retypeCheck = false;
            }
            slot.queue.append(slot.flow->suspects(*records));
            // Fold the rows written since the last snapshot into a new one once they are a
            // noticeable share of the flow: restarts then read one value, not many rows.
            if (slot.flow->snapshotDue())
                m_snapshotDue.insert(name);
        }
        recovered(slot); // its systems answered a whole comparison
        return;
    }
}

void LiveEngine::onFeedChanges(ChangeFeed *feed, const QList<ChangeEvent> &events,
                               const QString &position)
{
    const QString system = feed->system().name;
    qCDebug(lcEngine).noquote() << system << events.size() << "change(s) at" << position;
    for (FlowSlot &slot : m_flows) {
        const LiveFlow &flow = *slot.flow;
        if (!flow.isOpen() && !slot.comparing && !m_ready.value(flow.spec().name))
            continue; // its first comparison has not started: it will see these rows anyway
        for (const bool source : {true, false}) {
            const FlowSide &side = flow.spec().side(source);
            if (side.system != system)
                continue;
            const TableRef table = flow.isOpen() ? flow.table(source) : side.table;
            for (const ChangeEvent &e : events) {
                // An empty schema on either side: the search path decided, names must do.
                if (e.table.name != table.name
                    || (!table.schema.isEmpty() && !e.table.schema.isEmpty()
                        && e.table.schema != table.schema))
                    continue;
                if (std::optional<KeyChange> change = flow.keyChange(source, e))
                    slot.queue.append(std::move(*change));
            }
        }
    }
    if (!position.isEmpty() && !feed->positionKind().isEmpty())
        m_positions.insert(system + u'/' + feed->positionKind(), position);
    // A feed that hands over all a wake-up read has formed the batch already: apply it now, a
    // pass of the event loop sooner (that pass is a system call and a wake-up on every change's
    // path). Otherwise on the next pass: everything that arrived meanwhile forms one batch (one
    // fetch per side). Never inside a flush: its reads would be interleaved with this one's.
    if (feed->deliversWholeWakeups() && !m_flushing)
        flush();
    else
        applySoon();
}

bool LiveEngine::systemReady(const QString &system) const
{
    for (const FlowSlot &slot : m_flows) {
        const FlowSpec &f = slot.flow->spec();
        // A stopped flow waits for the operator, not for changes: holding positions for it
        // would make a PostgreSQL source keep WAL for as long as it stays stopped.
        if (slot.stopped)
            continue;
        if ((f.source.system == system || f.target.system == system)
            && (!m_ready.value(f.name) || !slot.queue.isEmpty() || !slot.flow->isOpen()))
            return false;
    }
    return true;
}

void LiveEngine::applySoon()
{
    if (!m_applyTimer->isActive()) // a restart would only cost a timer's re-registration
        m_applyTimer->start();
}

void LiveEngine::flush()
{
    if (!m_store)
        return;
    const QScopedValueRollback flushing(m_flushing, true);
    m_applyTimer->stop(); // this pass applies whatever it was started for
    const qint64 now = nowMs();
    QList<StatusEvent> events;
    StateChanges changes;
    for (FlowSlot &slot : m_flows) {
        // A retyped flow's changes wait for its check (tick()'s comparison) to pass.
        if (slot.queue.isEmpty() || !m_ready.value(slot.flow->spec().name) || slot.retypeCheck)
            continue;
        if (!slot.flow->isOpen()) {
            if (now < slot.nextAttemptMs)
                continue;
            try {
                slot.flow->open();
            } catch (const SyncError &e) {
                slot.schemaBroken = slot.schemaBroken || !e.unavailable();
                failFlow(slot, e);
                continue;
            }
            const bool schemaBack = slot.schemaBroken;
            recovered(slot);
            // A table renamed or a column gone hid its changes from the feeds meanwhile.
            if (schemaBack && !slot.comparing)
                compare(slot, false);
        }
        try {
            const qsizetype applied = slot.queue.size();
            qCDebug(lcEngine).noquote() << slot.flow->spec().name << "applying" << applied;
            QList<KeyChange> later;
            slot.flow->apply(slot.queue, now, events, changes, &later);
            slot.queue = later; // read again at the next flush (within coalesceMs)
            slot.failures = 0;
            m_eventsApplied += applied - later.size();
        } catch (const SyncError &e) {
            // A read the system answered with an error: most often the schema moved under the
            // flow (a table renamed, a column dropped), which the catalogue names plainly.
            // The queue stays: it is applied once the system or the schema is back.
            if (e.unavailable() || !diagnoseSchema(slot))
                failFlow(slot, e);
        }
    }
    QList<std::pair<QString, QString>> confirmed;
    for (auto it = m_positions.cbegin(); it != m_positions.cend(); ++it) {
        if (systemReady(it.key().section(u'/', 0, 0)))
            confirmed.append({it.key(), it.value()});
    }
    changes.feedPositions = confirmed;
    if (std::exchange(m_deskStatusDue, false))
        changes.deskStatus = std::pair{now, DeskStatus::of(*this, now).toJson()};
    for (FlowSlot &slot : m_flows) {
        if (m_snapshotDue.remove(slot.flow->spec().name) && m_ready.value(slot.flow->spec().name))
            changes.snapshots.append(slot.flow->snapshot());
    }
    // The statuses are facts about the systems: tell them first, persist right after (a crash
    // in between replays the same changes, which yields the same statuses).
    if (!events.isEmpty())
        emit statusEvents(events);
    for (FlowSlot &slot : m_flows)
        slot.flow->ledger().drain(changes);
    // What a failed write left goes first: the records it covers are already in memory as
    // they are now, so a feed's replay would find nothing to change and never write them.
    StateChanges pending = std::exchange(m_unsaved, {});
    pending.append(std::move(changes));
    // A store that refused the last write is tried again after a pause, not at every flush:
    // each try may wait out its busy timeout, and the feeds must be polled meanwhile.
    if (m_storeFailed && now < m_storeRetryAtMs) {
        keepUnsaved(std::move(pending));
        return;
    }
    const bool snapshots = !pending.snapshots.isEmpty();
    // Under a stream of changes, one store transaction every StoreIntervalMs carries them all:
    // the statuses are out already, and the feeds are told a position only once it is
    // written (a crash meanwhile replays the changes). The periodic flush writes what waits.
    // Not when a record turned into what a policy or a person acts on: they plan from the
    // stored baselines, right after these events.
    const bool actionable = std::any_of(events.cbegin(), events.cend(), [](const StatusEvent &e) {
        return e.status == RecordStatus::Conflict || e.status == RecordStatus::TargetDrift;
    });
    if (!m_stopped && !snapshots && !actionable && now - m_storeWrittenMs < StoreIntervalMs) {
        keepUnsaved(std::move(pending));
        return;
    }
    try {
        m_store->apply(pending);
    } catch (const SyncError &e) {
        keepUnsaved(std::move(pending));
        storeLost(e);
        return; // nothing confirmed: the feeds will replay
    }
    m_unsavedCompacted = 0;
    m_storeWrittenMs = now;
    m_storeFailures = 0;
#ifdef __GLIBC__
    if (snapshots)
        malloc_trim(0); // a snapshot's tens of megabytes of text are written: give them back
#endif
    if (std::exchange(m_storeFailed, false)) {
        m_storeError.clear();
        emit stateStoreChanged(true, QString());
    }
    for (const auto &[key, position] : confirmed) {
        m_positions.remove(key);
        for (ChangeFeed *feed : m_feeds) {
            if (feed->system().name == key.section(u'/', 0, 0)
                && feed->positionKind() == key.section(u'/', 1))
                feed->confirm(position);
        }
    }
}

bool LiveEngine::feedDown(const QString &system) const
{
    for (const ChangeFeed *feed : m_feeds)
        if (feed->system().name == system && !feed->isConnected())
            return true;
    return false;
}

void LiveEngine::checkSchemas()
{
    for (FlowSlot &slot : m_flows) {
        if (!m_ready.value(slot.flow->spec().name) || slot.comparing || slot.stopped
            || !slot.flow->isOpen())
            continue;
        diagnoseSchema(slot);
    }
}

bool LiveEngine::diagnoseSchema(FlowSlot &slot)
{
    if (!slot.flow->isOpen())
        return false;
    try {
        if (const std::optional<QString> change = slot.flow->sides().schemaChange()) {
            // Still readable, differently. A retype that keeps values equal (integer → numeric)
            // is no incident; one that does not is, before any record shows it: both sides are
            // read again with the new types and held against the records as they were.
            qCInfo(lcEngine).noquote() << slot.flow->spec().name << "schema changed:" << *change
                                       << "- comparing again";
            slot.retypeCheck = true;
            slot.retype = *change;
            if (slot.comparing) {
                // What it read may predate the retype: stopped, and the check starts after it.
                slot.recompare = true;
                slot.cancel->store(true);
                return true;
            }
            slot.flow->close();
            compare(slot, false);
            return true;
        }
    } catch (const SyncError &e) {
        if (!e.unavailable())
            slot.schemaBroken = true;
        failFlow(slot, e);
        return true;
    }
    return false;
}

void LiveEngine::keepUnsaved(StateChanges &&pending)
{
    m_unsaved = std::move(pending);
    m_unsaved.feedPositions.clear(); // recomputed from m_positions at the next flush
    // Folded each time it doubles: memory follows the records touched, not the changes.
    if (m_unsaved.upserts.size() > std::max<qsizetype>(4096, 2 * m_unsavedCompacted)) {
        m_unsaved.compact();
        m_unsavedCompacted = m_unsaved.upserts.size();
    }
}

void LiveEngine::storeLost(const SyncError &error)
{
    m_storeError = error.message();
    m_storeRefused = error.notAllowed();
    // Tried again after a pause that grows to 5 s: soon enough to write within seconds of its
    // return, rare enough not to hold up the feeds (a hung store takes its timeout).
    m_storeFailures = std::min(m_storeFailures + 1, 4);
    m_storeRetryAtMs = nowMs() + std::min(500 << m_storeFailures, 5000);
    if (!std::exchange(m_storeFailed, true))
        emit stateStoreChanged(false, m_storeError);
}

void LiveEngine::followResolutions()
{
    // A resolution (a person's, from any desk or the CLI, or a policy's) writes both sides
    // without moving a polled updated_at column: the audit log names the records it wrote, so
    // they are read again here rather than left as they were until a verification scan.
    if (m_storeFailed)
        return;
    QList<AuditRow> rows;
    try {
        rows = m_store->auditRows(m_auditSeq + 1);
    } catch (const SyncError &e) {
        storeLost(e);
        return;
    }
    for (const AuditRow &row : rows) {
        m_auditSeq = row.seq;
        const QJsonObject e = QJsonDocument::fromJson(row.entry).object();
        if (e.value(u"type").toString() != u"outcome" || !e.value(u"after").isObject())
            continue; // nothing was written
        FlowSlot *slot = slotOf(e.value(u"flow").toString());
        if (!slot || !m_ready.value(slot->flow->spec().name))
            continue; // a flow not yet live is compared whole anyway
        slot->queue.append({ChangeSide::Unknown,
                            FlowSides::keyText(QJsonDocument(e.value(u"key").toArray()).toJson(QJsonDocument::Compact)),
                            0});
        applySoon();
    }
}

void LiveEngine::refreshResolutionTotals(qint64 nowMs)
{
    // Resolutions are counted by whoever makes them (an operator's resolve, the console, a
    // policy): the store is where they all meet.
    if (m_storeFailed || nowMs < m_resolutionsReadMs + 5000)
        return;
    m_resolutionsReadMs = nowMs;
    try {
        for (const FlowSpec &f : m_workspace.flows) {
            QHash<QString, qint64> totals;
            const QHash<QString, qint64> all = m_store->activityTotals(f.name);
            for (auto it = all.begin(); it != all.end(); ++it)
                if (it.key().startsWith(activity::ResolutionsPrefix))
                    totals.insert(it.key(), it.value());
            m_resolutionTotals.insert(f.name, totals);
        }
    } catch (const SyncError &e) {
        storeLost(e);
    }
}

QHash<QString, qint64> LiveEngine::resolutionTotals(const QString &flow) const
{
    return m_resolutionTotals.value(flow);
}

void LiveEngine::tick()
{
    const qint64 now = nowMs();
    QList<StatusEvent> events;
    for (FlowSlot &slot : m_flows) {
        const QString name = slot.flow->spec().name;
        if (m_ready.value(name)) {
            slot.flow->tick(now, events);
            // A live flow that failed with nothing queued (flush() retries the others): open it
            // again, and verify, since what failed may have hidden changes. One waiting for a
            // system whose feed is down waits for the feed: its return rescans.
            if (slot.failed && !slot.comparing && !slot.stopped && (slot.queue.isEmpty() || slot.retypeCheck)
                && now >= slot.nextAttemptMs && !feedDown(slot.downSystem))
                compare(slot, false);
        } else if (!slot.comparing && !slot.stopped && now >= slot.nextAttemptMs) {
            compare(slot, true); // a first comparison that failed: try again
        }
    }
    if (!events.isEmpty())
        emit statusEvents(events);
    refreshResolutionTotals(now);
    followResolutions();
    // What `syncdesk-cli status` reads: the desk as of now, written with the next batch (one
    // transaction; a busy or lost store then holds up nothing more than the batch itself).
    m_deskStatusDue = true;
    applySoon();
}

LiveEngine::FlowSlot *LiveEngine::slotOf(const QString &flow)
{
    for (FlowSlot &slot : m_flows)
        if (slot.flow->spec().name == flow)
            return &slot;
    return nullptr;
}

LiveEngine::Comparison LiveEngine::comparison(const QString &flow) const
{
    for (const FlowSlot &slot : m_flows) {
        if (slot.flow->spec().name == flow)
            return {slot.comparing, slot.comparingInitial, slot.compared->load(std::memory_order_relaxed),
                    slot.lastRecords, slot.stopped, slot.lastOrder};
    }
    return {};
}

void LiveEngine::cancelComparison(const QString &flow)
{
    if (FlowSlot *slot = slotOf(flow); slot && slot->comparing)
        slot->cancel->store(true);
}

void LiveEngine::compareNow(const QString &flow)
{
    FlowSlot *slot = slotOf(flow);
    if (!slot || slot->comparing || !m_store)
        return;
    slot->stopped = false; // retried as usual from now on, should its systems not answer
    slot->retypeCheck = false; // the operator takes the tables as they are now
    compare(*slot, !m_ready.value(flow));
}

void LiveEngine::recovered(FlowSlot &slot)
{
    slot.error.clear();
    slot.failed = false;
    slot.schemaBroken = false;
    if (const QString down = std::exchange(slot.downSystem, QString()); !down.isEmpty())
        updateSystem(down);
    if (!std::exchange(slot.reported, QString()).isEmpty())
        emit flowRecovered(slot.flow->spec().name);
}

bool LiveEngine::isSchemaBroken(const QString &flow) const
{
    for (const FlowSlot &slot : m_flows)
        if (slot.flow->spec().name == flow)
            return slot.failed && slot.schemaBroken;
    return false;
}

QString LiveEngine::flowErrorText(const QString &flow) const
{
    for (const FlowSlot &slot : m_flows) {
        if (slot.flow->spec().name != flow)
            continue;
        // A flow held up by an unavailable system: that system's incident says it all.
        if (!slot.failed)
            return {};
        return slot.downSystem.isEmpty()
                   ? slot.error
                   : QStringLiteral("waiting for system '%1'").arg(slot.downSystem);
    }
    return {};
}

void LiveEngine::failFlow(FlowSlot &slot, const QString &failure, const QString &downSystem)
{
    // Whatever a flow whose table or column went away trips over next (opening it, a read),
    // the cause is the same: one incident, told once.
    const QString error = slot.schemaBroken && downSystem.isEmpty()
                                  && !failure.startsWith(QLatin1String("schema changed: "))
                              ? QStringLiteral("schema changed: ") + failure
                              : failure;
    slot.failed = true;
    slot.error = error;
    slot.flow->close();
    slot.failures = std::min(slot.failures + 1, 6);
    slot.nextAttemptMs = nowMs() + std::min(250 << slot.failures, 5000);
    const QString wasDown = std::exchange(slot.downSystem, downSystem);
    if (!downSystem.isEmpty()) {
        updateSystem(downSystem);
    } else if (slot.reported != error) {
        // Its own fault: said once, not at every retry.
        slot.reported = error;
        emit flowError(slot.flow->spec().name, error);
    }
    if (!wasDown.isEmpty() && wasDown != downSystem)
        updateSystem(wasDown);
}

void LiveEngine::updateSystem(const QString &system)
{
    QString error;
    for (const ChangeFeed *feed : m_feeds) {
        if (feed->system().name == system && !feed->isConnected() && !feed->lastError().isEmpty())
            error = feed->lastError();
    }
    for (const FlowSlot &slot : m_flows) {
        if (error.isEmpty() && slot.failed && slot.downSystem == system)
            error = slot.error;
    }
    Availability &a = m_availability[system];
    const qint64 now = nowMs();
    if (!error.isEmpty() && !a.down) {
        a = {true, reasonOf(system, error), now};
        emit systemChanged(system, false, a.error, 0);
    } else if (error.isEmpty() && a.down) {
        a.down = false;
        a.error.clear();
        emit systemChanged(system, true, QString(), now - a.sinceMs);
    }
}

namespace {

// An API's limits and last answer, as the systems panel shows them.
void describeTraffic(SystemHealth &h, const HttpSystemSpec &spec)
{
    h.isHttp = true;
    const std::optional<HttpGate::Traffic> t = HttpGate::trafficOf(h.name, spec);
    const double rate = t ? t->requestsPerSecond : spec.maxRequestsPerSecond;
    h.limits = (rate > 0 ? QStringLiteral("at most %1 requests/s").arg(rate) : QStringLiteral("unpaced"))
               + QStringLiteral(", %1 at once").arg(t ? t->maxConcurrent : spec.maxConcurrentRequests);
    if (!t)
        return;
    if (t->waiting > 0)
        h.limits += QStringLiteral("; %1 running, %2 waiting").arg(t->running).arg(t->waiting);
    if (t->answers > 0) {
        h.lastResponse = t->lastStatus > 0 ? QStringLiteral("%1 %2, %3 ms").arg(QString::number(t->lastStatus), t->lastRequest, QString::number(t->lastElapsedMs))
                                           : QStringLiteral("no answer to %1: %2").arg(t->lastRequest, t->lastProblem);
        h.lastResponseMs = t->lastAtMs;
    }
    h.heldUntilMs = t->heldUntilMs;
    h.heldBecause = t->heldBecause;
    h.throttling = t->heldUntilMs > 0 && (t->lastStatus == 429 || t->lastStatus == 503);
    h.throttled = t->throttled;
}

} // namespace

QList<SystemHealth> LiveEngine::systems() const
{
    QList<SystemHealth> out;
    for (const ChangeFeed *feed : m_feeds) {
        const Availability a = m_availability.value(feed->system().name);
        SystemHealth h;
        h.name = feed->system().name;
        h.feedMode = feed->mode();
        h.connected = feed->isConnected() && !a.down;
        h.error = a.down ? a.error : feed->lastError();
        h.lastEventMs = feed->lastEventMs();
        h.nextRetryMs = feed->nextRetryMs();
        // One row per system: an API's webhook receiver runs beside its polling feed.
        auto same = std::find_if(out.begin(), out.end(), [&](const SystemHealth &s) { return s.name == h.name; });
        if (same == out.end()) {
            out.append(h);
            continue;
        }
        same->feedMode += QStringLiteral(" + ") + h.feedMode;
        if (same->connected && !h.connected)
            same->error = h.error;
        same->connected = same->connected && h.connected;
        same->lastEventMs = std::max(same->lastEventMs, h.lastEventMs);
        same->nextRetryMs = std::max(same->nextRetryMs, h.nextRetryMs);
    }
    for (SystemHealth &h : out)
        if (const SystemSpec *spec = m_workspace.system(h.name); spec && spec->kind == SystemKind::Http)
            describeTraffic(h, spec->http);
    if (m_store) {
        SystemHealth store;
        store.name = QStringLiteral("state store");
        store.feedMode = isStateUri(m_workspace.state) ? QStringLiteral("postgres") : QStringLiteral("sqlite");
        store.connected = !m_storeFailed;
        store.error = m_storeError;
        store.refused = m_storeFailed && m_storeRefused;
        store.lastEventMs = m_storeWrittenMs;
        store.nextRetryMs = m_storeFailed ? m_storeRetryAtMs : 0;
        store.isStateStore = true;
        out.append(store);
    }
    return out;
}

} // namespace syncdesk
