#include "PolicyRunner.h"

#include "PolicyWorker.h"
#include "engine/LiveEngine.h"

#include <QDateTime>
#include <QTimer>

namespace syncdesk {

namespace {

constexpr int MaxAttempts = 4;
constexpr int StatePollMs = 2000;

} // namespace

PolicyRunner::PolicyRunner(LiveEngine &engine, QObject *parent) : QObject(parent), m_engine(engine)
{
    for (const FlowSpec &f : engine.workspace().flows)
        if (f.policy != Policy::Manual)
            m_flows[f.name] = FlowState{f.policy, f.policyDryRun, false, {}, 0, 0, {}, {}};
    if (m_flows.empty())
        return;
    qRegisterMetaType<PolicyJob>();
    qRegisterMetaType<PolicyResult>();
    qRegisterMetaType<QList<PolicyState>>();
    for (int i = 0; i < Workers; ++i) {
        m_workers[i] = new PolicyWorker(engine.workspace(), engine.lease());
        m_workers[i]->moveToThread(&m_threads[i]);
        connect(&m_threads[i], &QThread::finished, m_workers[i], &QObject::deleteLater);
        connect(m_workers[i], &PolicyWorker::done, this, &PolicyRunner::onDone);
        m_threads[i].setObjectName(QStringLiteral("policies-%1").arg(i));
        m_threads[i].start();
    }
    connect(m_workers[0], &PolicyWorker::states, this, &PolicyRunner::onStates);
    connect(&engine, &LiveEngine::statusEvents, this, &PolicyRunner::onEvents);
    connect(&engine, &LiveEngine::flowReady, this, &PolicyRunner::onReady);
    // A halt is kept in the state store: another desk's `policy resume` arrives through it.
    m_pollTimer = new QTimer(this);
    m_pollTimer->setInterval(StatePollMs);
    connect(m_pollTimer, &QTimer::timeout, this,
            [this] { QMetaObject::invokeMethod(m_workers[0], &PolicyWorker::readStates); });
    m_pollTimer->start();
    QMetaObject::invokeMethod(m_workers[0], &PolicyWorker::readStates);
}

PolicyRunner::~PolicyRunner()
{
    // A decision under way finishes (its outcome is audited); the rest are decided again at
    // the next start from what the engine then sees.
    for (QThread &t : m_threads)
        t.quit();
    for (QThread &t : m_threads)
        t.wait();
}

QHash<QString, PolicyRunner::FlowState> PolicyRunner::states() const
{
    QHash<QString, FlowState> out;
    for (const auto &[flow, state] : m_flows)
        out.insert(flow, state);
    return out;
}

bool PolicyRunner::idle() const
{
    for (const auto &set : m_inFlight)
        if (!set.isEmpty())
            return false;
    for (const auto &set : m_due)
        if (!set.isEmpty())
            return false;
    return true;
}

void PolicyRunner::onEvents(const QList<StatusEvent> &events)
{
    for (const StatusEvent &e : events) {
        if (!m_flows.count(e.flow))
            continue;
        if (e.status == RecordStatus::Conflict || e.status == RecordStatus::TargetDrift)
            consider(e.flow, e.keyJson);
        else if (m_inFlight.value(e.flow).contains(e.keyJson))
            m_dirty[e.flow].insert(e.keyJson); // its outcome will be judged against this
        else
            m_due[e.flow].remove(e.keyJson);
    }
}

void PolicyRunner::onReady(const QString &flow)
{
    if (!m_flows.count(flow))
        return;
    for (const LiveFlow *f : m_engine.flows()) {
        if (f->spec().name != flow)
            continue;
        for (const RecordStatus s : {RecordStatus::Conflict, RecordStatus::TargetDrift})
            for (const QByteArray &key : f->keysWith(s))
                consider(flow, key);
    }
}

void PolicyRunner::consider(const QString &flow, const QByteArray &keyJson)
{
    if (m_inFlight.value(flow).contains(keyJson)) {
        m_dirty[flow].insert(keyJson);
        return;
    }
    m_due[flow].insert(keyJson);
    if (!std::exchange(m_dispatchScheduled, true))
        QTimer::singleShot(0, this, &PolicyRunner::dispatch); // after the engine's batch is written
}

void PolicyRunner::dispatch()
{
    m_dispatchScheduled = false;
    if (!m_statesKnown)
        return; // onStates() dispatches once the stored halts are known
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const LiveFlow *f : m_engine.flows()) {
        const QString &name = f->spec().name;
        auto it = m_flows.find(name);
        if (it == m_flows.end() || !m_due.contains(name) || !m_engine.isReady(name))
            continue;
        FlowState &fs = it->second;
        QSet<QByteArray> due = std::exchange(m_due[name], {});
        if (fs.halted)
            continue; // decided again from the records as they are when it is resumed
        // A stable order: the same records go first on every desk and every run.
        QList<QByteArray> keys(due.cbegin(), due.cend());
        std::sort(keys.begin(), keys.end());
        for (const QByteArray &key : keys) {
            const std::optional<RecordStatus> status = f->status(key);
            const std::optional<RecordState> state = f->state(key);
            if (!status || !state)
                continue;
            const PolicyAction action = decide(fs.policy, *status, *state);
            if (action.kind == PolicyAction::Kind::None)
                continue;
            if (action.kind == PolicyAction::Kind::Manual) {
                PolicyResult r{name, key, PolicyResult::Outcome::Manual, policyName(fs.policy), {},
                               action.why, {}, {}, now, 0};
                ++fs.outcomes[r.outcome];
                emit decided(r);
                continue;
            }
            if (!fs.dryRun && !m_guards[name].admit(now, f->trackedRecords())) {
                halt(name, now, f->trackedRecords());
                break;
            }
            PolicyJob job{name, key, fs.policy, action, fs.dryRun, *status, *state,
                          m_attempts.value(name).value(key)};
            m_inFlight[name].insert(key);
            ++fs.queued;
            PolicyWorker *w = m_workers[qHash(key) % Workers];
            QMetaObject::invokeMethod(w, [w, job] { w->run(job); });
        }
    }
}

void PolicyRunner::halt(const QString &flow, qint64 nowMs, qint64 records)
{
    FlowState &fs = m_flows[flow];
    fs.halted = true;
    fs.haltedAtMs = nowMs;
    fs.haltReason = QStringLiteral("the guard stopped it: %1 records resolved in the last 60 s, "
                                   "the most it allows for a flow of %2 records, and more were "
                                   "waiting; look at them, then `syncdesk-cli policy resume`")
                        .arg(m_guards[flow].inWindow(nowMs))
                        .arg(records);
    m_due.remove(flow);
    m_haltWriting.insert(flow);
    const PolicyState stored{flow, true, fs.haltReason, nowMs, QStringLiteral("guard")};
    QMetaObject::invokeMethod(m_workers[0], [w = m_workers[0], stored] { w->writeState(stored); });
    emit halted(flow, fs.haltReason);
}

void PolicyRunner::onDone(const PolicyResult &r)
{
    using Outcome = PolicyResult::Outcome;
    auto it = m_flows.find(r.flow);
    if (it == m_flows.end())
        return;
    FlowState &fs = it->second;
    m_inFlight[r.flow].remove(r.keyJson);
    --fs.queued;
    ++fs.outcomes[r.outcome];
    fs.samples.append(r);
    if (fs.samples.size() > Samples)
        fs.samples.removeFirst();
    emit decided(r);
    const bool again = r.outcome == Outcome::Moved || r.outcome == Outcome::Failed;
    if (m_dirty[r.flow].remove(r.keyJson)) {
        m_attempts[r.flow].remove(r.keyJson);
        consider(r.flow, r.keyJson); // it changed meanwhile: decide on what it is now
    } else if (again && r.attempt + 1 < MaxAttempts) {
        // The store may not have the engine's last batch yet, or a system was away: try again
        // shortly, from the engine's view at that time.
        m_attempts[r.flow][r.keyJson] = r.attempt + 1;
        QTimer::singleShot(1000 * (r.attempt + 1), this,
                           [this, flow = r.flow, key = r.keyJson] { consider(flow, key); });
    } else {
        m_attempts[r.flow].remove(r.keyJson);
    }
}

void PolicyRunner::onStates(const QList<PolicyState> &states)
{
    QHash<QString, PolicyState> stored;
    for (const PolicyState &s : states)
        stored.insert(s.flow, s);
    for (auto &[flow, fs] : m_flows) {
        const bool haltedThere = stored.value(flow).halted;
        if (haltedThere)
            m_haltWriting.remove(flow);
        if (haltedThere && !fs.halted) {
            // Halted by the run before, or by another desk's guard.
            fs.halted = true;
            fs.haltReason = stored.value(flow).reason;
            fs.haltedAtMs = stored.value(flow).changedAtMs;
            m_due.remove(flow);
            emit halted(flow, fs.haltReason);
        } else if (!haltedThere && fs.halted && !m_haltWriting.contains(flow)) {
            fs.halted = false;
            fs.haltReason.clear();
            m_guards[flow].reset();
            emit resumed(flow, stored.value(flow).changedBy);
            onReady(flow); // every record it now covers, decided afresh
        }
    }
    if (!std::exchange(m_statesKnown, true))
        dispatch();
}

} // namespace syncdesk
