#include "AttachedDesk.h"

#include "connectors/PgConnection.h"
#include "model/SyncError.h"
#include "state/StateStore.h"
#include "team/ConsoleSnapshot.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QTimer>

Q_LOGGING_CATEGORY(lcAttach, "syncdesk.attach")

namespace syncdesk {

namespace {

// A NOTIFY wakes the desk; what else arrives within this is read in the same pass.
constexpr int CoalesceMs = 10;
// Under a stream of changes a desk reads at most once per this: ten desks cost the store a
// hundred small reads a second, not one per change each.
constexpr qint64 ReadEveryMs = 100;

} // namespace

AttachedDesk::AttachedDesk(Workspace workspace) : m_workspace(std::move(workspace))
{
    for (const FlowSpec &f : m_workspace.flows)
        m_flowNames.insert(f.name);
}

AttachedDesk::~AttachedDesk() = default;

void AttachedDesk::start()
{
    m_poll = new QTimer(this);
    m_poll->setInterval(1000);
    connect(m_poll, &QTimer::timeout, this, &AttachedDesk::poll);
    m_coalesce = new QTimer(this);
    m_coalesce->setSingleShot(true);
    connect(m_coalesce, &QTimer::timeout, this, &AttachedDesk::readNamed);
    if (!isStateUri(m_workspace.state)) {
        emit startFailed(tr("only a team's PostgreSQL state store can be attached to; this workspace keeps its "
                            "state in %1").arg(m_workspace.state));
        return;
    }
    m_poll->start();
    poll();
}

bool AttachedDesk::connectStore()
{
    if (m_store)
        return true;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now < m_retryAtMs)
        return false;
    try {
        m_store = StateStore::open(m_workspace);
        m_listener = std::make_unique<PgConnection>(m_workspace.state, QStringLiteral("state store (attached)"));
        m_listener->exec("attach", QByteArray("LISTEN ") + StateStore::LiveChannel, {}, PGRES_COMMAND_OK);
    } catch (const SyncError &e) {
        m_store.reset();
        m_listener.reset();
        lose(e.message());
        return false;
    }
    m_notifier = new QSocketNotifier(PQsocket(m_listener->handle()), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &AttachedDesk::onReadable);
    // Anything may have moved meanwhile: every list is read again.
    for (Mark &m : m_marks)
        m.epoch = -1;
    m_failures = 0;
    if (!m_storeError.isEmpty())
        qCInfo(lcAttach) << "attached to the state store again";
    m_storeError.clear();
    return true;
}

void AttachedDesk::lose(const QString &error)
{
    delete m_notifier;
    m_notifier = nullptr;
    m_listener.reset();
    m_store.reset();
    if (m_storeError.isEmpty())
        qCWarning(lcAttach).noquote() << "state store lost:" << error;
    m_storeError = error;
    m_failures = std::min(m_failures + 1, 5);
    m_retryAtMs = QDateTime::currentMSecsSinceEpoch() + std::min(500 << m_failures, 5000);
    // Shown like any system that went away: the rest of the window keeps what it had.
    QList<SystemHealth> systems = m_systems;
    systems.removeIf([](const SystemHealth &s) { return s.isStateStore; });
    SystemHealth store;
    store.name = QStringLiteral("state store");
    store.isStateStore = true;
    store.error = error;
    store.nextRetryMs = m_retryAtMs;
    systems.append(store);
    emit snapshot(m_flows, systems);
}

void AttachedDesk::onReadable()
{
    if (!m_listener)
        return;
    PGconn *conn = m_listener->handle();
    if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK) {
        lose(tr("state store: connection lost: %1").arg(m_listener->lastError()));
        return;
    }
    bool told = false;
    while (PGnotify *n = PQnotifies(conn)) {
        const QByteArray payload(n->extra);
        PQfreemem(n);
        told = true;
        const QJsonDocument named = QJsonDocument::fromJson(payload);
        if (!named.isArray()) {
            m_readAll = true; // "*", or a payload this build does not know
            continue;
        }
        for (const QJsonValue &flow : named.array())
            m_named.insert(flow.toString());
    }
    if (told && !m_coalesce->isActive()) {
        const qint64 since = QDateTime::currentMSecsSinceEpoch() - m_readAtMs;
        m_coalesce->start(int(std::max<qint64>(CoalesceMs, ReadEveryMs - since)));
    }
}

void AttachedDesk::readNamed()
{
    const QSet<QString> named = std::exchange(m_named, {});
    if (std::exchange(m_readAll, false)) {
        readChanges();
        return;
    }
    if (!m_store)
        return;
    m_readAtMs = QDateTime::currentMSecsSinceEpoch();
    try {
        for (const QString &flow : named) {
            if (!m_flowNames.contains(flow))
                continue;
            const auto mark = m_marks.find(flow);
            if (mark == m_marks.end() || mark->epoch < 0) {
                readChanges(); // never listed: the whole list first
                return;
            }
            if (!readAfter(flow, *mark, 0)) {
                readChanges(); // written whole or pruned meanwhile: read again
                return;
            }
        }
    } catch (const SyncError &e) {
        lose(e.message());
    }
}

void AttachedDesk::poll()
{
    if (!connectStore())
        return;
    readSnapshot();
    readChanges(); // a NOTIFY lost with a connection is caught up here
}

void AttachedDesk::readSnapshot()
{
    if (!m_store)
        return;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    // One row per agent's share of the desk, the latest first: the latest says whether an
    // agent writes.
    QList<std::pair<qint64, QByteArray>> rows;
    try {
        rows = m_store->consoleSnapshots();
    } catch (const SyncError &e) {
        lose(e.message());
        return;
    }
    const std::optional<std::pair<qint64, QByteArray>> stored =
        rows.isEmpty() ? std::nullopt : std::optional(rows.first());
    if (stored && stored->first != m_snapshotAt) {
        // The first sight is judged by the agent's clock; after that by whether it moves.
        m_snapshotSeenMs = m_snapshotAt < 0 ? std::min(stored->first, now) : now;
        m_snapshotAt = stored->first;
        // A share whose agent went silent while another writes is said per flow (judged against
        // the latest row, so by the agents' clocks).
        if (const auto s = ConsoleSnapshot::merged(rows, stored->first - AgentSilentMs)) {
            m_flows = s->flows;
            m_systems = s->systems;
            // Flows the workspace does not name (another workspace's agent) are not this desk's.
            m_flows.removeIf([this](const FlowSnapshot &f) { return !m_flowNames.contains(f.name); });
            emit snapshot(m_flows, m_systems);
        }
    }
    const bool alive = stored && now - m_snapshotSeenMs < AgentSilentMs;
    if (int(alive) != m_alive) {
        m_alive = int(alive);
        emit agentState(alive, stored ? stored->first : 0);
    }
}

void AttachedDesk::readChanges()
{
    if (!m_store)
        return;
    m_readAtMs = QDateTime::currentMSecsSinceEpoch();
    try {
        bool again = false; // a flow's rows moved under the read: read it whole, once more
        for (const LiveFlowMark &mark : m_store->liveFlows()) {
            if (!m_flowNames.contains(mark.flow))
                continue;
            Mark &mine = m_marks[mark.flow];
            if (mine.epoch != mark.epoch || mine.version < mark.prunedBelow) {
                // Written whole since (a comparison), or rows it never saw pruned: read it all.
                FlowRecords out;
                out.flow = mark.flow;
                qint64 version = mark.version;
                for (const LiveRecord &r : m_store->liveRecords(mark.flow, 0, true)) {
                    out.rows.append({r.keyJson, RecordStatus(r.status), r.sinceMs});
                    version = std::max(version, r.version);
                }
                mine = {mark.epoch, version};
                emit flowRecords(out);
            } else if (mark.version > mine.version && !readAfter(mark.flow, mine, mark.version)) {
                again = true; // written whole or pruned meanwhile
            }
        }
        if (again)
            readChanges(); // reads those flows whole: no further round
    } catch (const SyncError &e) {
        lose(e.message());
    }
}

bool AttachedDesk::readAfter(const QString &flow, Mark &mine, qint64 markedVersion)
{
    const qint64 from = mine.version;
    const QList<LiveRecord> rows = m_store->liveRecords(flow, from, false);
    // Read as separate statements: a whole list or a prune committed between them would make
    // these rows not the whole story. The flow's mark, read after them, tells.
    const std::optional<LiveFlowMark> now = m_store->liveFlow(flow);
    if (!now || now->epoch != mine.epoch || now->prunedBelow > from) {
        mine.epoch = -1;
        return false;
    }
    QList<StatusEvent> events;
    for (const LiveRecord &r : rows) {
        events.append({r.sinceMs + r.lagMs, flow, r.keyJson, RecordStatus(r.status), r.lagMs});
        mine.version = std::max(mine.version, r.version);
    }
    // The flow's version as read before these rows is read through too (a write that touched
    // other flows after this one's rows moved it on); the one read after them is not: rows
    // committed in between may be missing here.
    mine.version = std::max(mine.version, markedVersion);
    if (!events.isEmpty())
        emit statusEvents(events);
    return true;
}

void AttachedDesk::sendRecords(const QString &flow)
{
    if (m_marks.contains(flow))
        m_marks[flow].epoch = -1;
    readChanges();
}

} // namespace syncdesk
