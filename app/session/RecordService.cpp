#include "RecordService.h"

#include "connectors/PgConnection.h"
#include "engine/FlowSides.h"
#include "model/SyncError.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QHostInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <climits>
#include <QtConcurrent/QtConcurrentRun>

namespace syncdesk {

namespace {

// Runs `work(store)` on the pool with a state store of its own; SyncError becomes the error.
template<typename T, typename F>
QFuture<Fallible<T>> onPool(const Workspace &workspace, F work)
{
    return QtConcurrent::run([workspace, work] {
        return fallible<T>([&] {
            const auto store = StateStore::open(workspace);
            return work(workspace, *store);
        });
    });
}

} // namespace

RecordService::RecordService(Workspace workspace) : m_workspace(std::move(workspace)) {}

QFuture<Fallible<ResolutionPlan>> RecordService::plan(const ResolveRequest &request) const
{
    return onPool<ResolutionPlan>(m_workspace, [request](const Workspace &ws, StateStore &store) {
        return ResolutionService(ws, store).plan(request);
    });
}

QFuture<Fallible<ResolutionPlan>> RecordService::planUndo(const QString &id) const
{
    return onPool<ResolutionPlan>(m_workspace, [id](const Workspace &ws, StateStore &store) {
        return ResolutionService(ws, store).planUndo(id);
    });
}

QFuture<Fallible<ResolveResult>> RecordService::apply(const ResolutionPlan &plan, const QString &reason,
                                                      const QString &operatorName) const
{
    return onPool<ResolveResult>(m_workspace, [plan, reason, operatorName](const Workspace &ws,
                                                                           StateStore &store) {
        ResolutionService service(ws, store);
        service.closeOpenIntents();
        return service.apply(plan, reason, operatorName);
    });
}

QFuture<Fallible<QList<RecordDetail>>> RecordService::details(const QString &flow,
                                                              const QList<QByteArray> &keyJsons) const
{
    return onPool<QList<RecordDetail>>(m_workspace, [flow, keyJsons](const Workspace &ws, StateStore &store) {
        const FlowSpec *spec = ws.flow(flow);
        if (!spec)
            throw SyncError(QStringLiteral("no flow named '%1'").arg(flow));
        FlowSides live(ws, *spec);
        live.open();
        QList<KeyText> keys;
        keys.reserve(keyJsons.size());
        for (const QByteArray &k : keyJsons)
            keys.append(FlowSides::keyText(k));
        return live.details(
            keys, [&store, &flow](const QByteArray &key) { return store.baseline(flow, key); },
            QDateTime::currentMSecsSinceEpoch());
    });
}

QFuture<Fallible<RecordService::BulkPreview>> RecordService::bulkPreview(const BulkRule &rule, int sample) const
{
    return onPool<BulkPreview>(m_workspace, [rule, sample](const Workspace &ws, StateStore &store) {
        ResolutionService service(ws, store);
        BulkPreview p;
        p.keys = BulkResolution(ws, store, service).select(rule);
        for (qsizetype i = 0; i < std::min<qsizetype>(sample, p.keys.size()); ++i) {
            ResolveRequest r;
            r.flow = rule.flow;
            r.key = p.keys[i].key;
            r.take = rule.take;
            p.sample << service.plan(r);
        }
        return p;
    });
}

QFuture<Fallible<BulkResult>> RecordService::bulkApply(const BulkRule &rule, const QList<BulkRecord> &keys,
                                                       const QString &reason, const QString &operatorName) const
{
    const Workspace workspace = m_workspace;
    return QtConcurrent::run([workspace, rule, keys, reason, operatorName](QPromise<Fallible<BulkResult>> &promise) {
        promise.setProgressRange(0, int(keys.size()));
        promise.addResult(fallible<BulkResult>([&] {
            const auto store = StateStore::open(workspace);
            ResolutionService service(workspace, *store);
            return BulkResolution(workspace, *store, service)
                .apply(rule, keys, reason, operatorName, [&promise](int done, int) {
                    promise.setProgressValue(done);
                    return !promise.isCanceled();
                });
        }));
    });
}

QFuture<Fallible<RecordService::AuditLog>> RecordService::auditLog(const AuditFilter &filter, qint64 beforeSeq,
                                                                   int limit, bool fullCheck) const
{
    return onPool<AuditLog>(m_workspace, [filter, beforeSeq, limit, fullCheck,
                                          verified = m_verified](const Workspace &, StateStore &store) {
        AuditLog log;
        AuditPage page = selectAuditPage(store, filter, beforeSeq, limit);
        log.entries = std::move(page.entries);
        log.olderFrom = page.olderFrom;
        log.chain = verified->check(store, fullCheck);
        return log;
    });
}

QFuture<Fallible<QList<AuditEntry>>> RecordService::recordHistory(const QString &flow,
                                                                  const QByteArray &keyJson) const
{
    return onPool<QList<AuditEntry>>(m_workspace, [flow, keyJson](const Workspace &, StateStore &store) {
        QList<AuditEntry> out;
        for (const AuditRow &row : store.auditRowsOfRecord(flow, keyJson))
            out.append({row.seq, row.hash, QJsonDocument::fromJson(row.entry).object()});
        return out;
    });
}

QFuture<Fallible<qint64>> RecordService::exportAudit(const QString &format, const AuditFilter &filter,
                                                     const QString &path) const
{
    const Workspace workspace = m_workspace;
    return QtConcurrent::run([workspace, format, filter, path](QPromise<Fallible<qint64>> &promise) {
        promise.addResult(fallible<qint64>([&] {
            const auto store = StateStore::open(workspace);
            QString error;
            const qint64 n = writeAuditReport(*store, format, filter, path, &error, [&promise](qint64 done, qint64 total) {
                promise.setProgressRange(0, int(std::min<qint64>(total, INT_MAX)));
                promise.setProgressValue(int(std::min<qint64>(done, INT_MAX)));
                return !promise.isCanceled();
            });
            if (n < 0)
                throw SyncError(error);
            return n;
        }));
    });
}

QFuture<Fallible<RecordService::Activity>> RecordService::activity(const QString &flow, qint64 fromMs,
                                                                   qint64 toMs) const
{
    return onPool<Activity>(m_workspace, [flow, fromMs, toMs](const Workspace &ws, StateStore &store) {
        if (!ws.flow(flow))
            throw SyncError(QStringLiteral("no flow named '%1'").arg(flow));
        return Activity{store.activityCounts(flow, fromMs, toMs), store.activityTotals(flow)};
    });
}

QFuture<Fallible<bool>> RecordService::testPassword(const QString &conninfo, const QByteArray &password)
{
    return QtConcurrent::run([conninfo, password] {
        return fallible<bool>([&] {
            PgConnection::Options options;
            options.password = password;
            PgConnection conn(conninfo, QStringLiteral("PostgreSQL"), options);
            return true;
        });
    });
}

QFuture<Fallible<RecordService::Claims>> RecordService::claims() const
{
    return onPool<Claims>(m_workspace, [](const Workspace &, StateStore &store) {
        return Claims{store.claims(), store.permissions()};
    });
}

QFuture<Fallible<RecordService::ClaimOutcome>> RecordService::claim(const QString &flow,
                                                                    const QList<QByteArray> &keyJsons,
                                                                    const QString &operatorName, bool release,
                                                                    int minutes) const
{
    return onPool<ClaimOutcome>(m_workspace, [=](const Workspace &, StateStore &store) {
        const QString who = operatorName.isEmpty() ? osUser() : operatorName;
        const QJsonObject by{{QStringLiteral("operator"), who},
                             {QStringLiteral("os_user"), osUser()},
                             {QStringLiteral("host"), QHostInfo::localHostName()}};
        ClaimOutcome out;
        for (const QByteArray &key : keyJsons) {
            try {
                if (release)
                    store.releaseClaim(flow, key, who);
                else
                    store.takeClaim(flow, key, by, qint64(minutes) * 60 * 1000);
                ++out.done;
            } catch (const SyncError &e) {
                // Someone else's record is theirs; anything else (the store, a role) stops here.
                if (!e.notAllowed())
                    throw;
                out.refused << e.message();
            }
        }
        return out;
    });
}

QFuture<Fallible<bool>> RecordService::exportSla(const QString &format, const SlaRequest &request,
                                                 const QString &path) const
{
    return onPool<bool>(m_workspace, [format, request, path](const Workspace &ws, StateStore &store) {
        QString error;
        if (!writeSlaReport(store, ws, format, request, path, &error))
            throw SyncError(error);
        return true;
    });
}

} // namespace syncdesk
