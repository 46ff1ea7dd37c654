#include "FirstComparisonCheck.h"

#include "DiffConfirmation.h"
#include "model/SyncError.h"

#include <QDateTime>
#include <QFutureWatcher>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace syncdesk {

namespace {

// What a pool task hands back: the answer, or the failure's message.
struct Outcome
{
    qint64 waitMs = 0;
    QString basis;
    DiffResult result;
    QString error;
};

} // namespace

void FirstComparisonCheck::start(const Workspace &workspace, const FlowSpec &flow, QList<QByteArray> keys,
                                 qint64 outOfSync)
{
    const QString name = flow.name;
    const int generation = ++m_generation[name];
    State state;
    state.outOfSync = std::max<qint64>(outOfSync, keys.size());
    m_states.insert(name, state);
    if (keys.isEmpty())
        return;
    if (keys.size() > MaxKeys)
        keys.resize(MaxKeys);

    // 1. How long to wait: the store's lag counters (a read; off the engine's thread).
    auto *waitWatcher = new QFutureWatcher<Outcome>(this);
    connect(waitWatcher, &QFutureWatcher<Outcome>::finished, this, [=, this] {
        waitWatcher->deleteLater();
        if (m_generation.value(name) != generation)
            return;
        const Outcome w = waitWatcher->result();
        State &s = m_states[name];
        s.dueMs = QDateTime::currentMSecsSinceEpoch() + w.waitMs;
        s.basis = w.basis;
        emit scheduled(name, s.outOfSync, w.waitMs, w.basis);
        // 2. After the wait, the records read again on both sides (pool).
        QTimer::singleShot(std::chrono::milliseconds(w.waitMs), this, [=, this] {
            if (m_generation.value(name) != generation)
                return;
            auto *readWatcher = new QFutureWatcher<Outcome>(this);
            connect(readWatcher, &QFutureWatcher<Outcome>::finished, this, [=, this] {
                readWatcher->deleteLater();
                if (m_generation.value(name) != generation)
                    return;
                const Outcome r = readWatcher->result();
                State &s = m_states[name];
                if (!r.error.isEmpty()) {
                    s.error = r.error;
                    emit failed(name, r.error);
                    return;
                }
                DiffResult::Confirmation c = *r.result.confirmation;
                c.waitedMs = w.waitMs;
                c.confirmed += s.outOfSync - qint64(keys.size()); // past MaxKeys: not read, not cleared
                s.result = c;
                emit confirmed(name, c);
            });
            readWatcher->setFuture(QtConcurrent::run(&m_pool, [workspace, flow, keys, basis = w.basis] {
                Outcome o;
                o.result.flow = flow.name;
                for (const QByteArray &k : keys) {
                    RecordDiff d;
                    d.keyJson = k;
                    o.result.records.append(d);
                }
                try {
                    DiffConfirmation(workspace, flow).confirm(o.result, 0, basis);
                } catch (const SyncError &e) {
                    o.error = e.message();
                }
                return o;
            }));
        });
    });
    waitWatcher->setFuture(QtConcurrent::run(&m_pool, [workspace, flow] {
        Outcome o;
        std::tie(o.waitMs, o.basis) = DiffConfirmation(workspace, flow).wait();
        return o;
    }));
}

} // namespace syncdesk
