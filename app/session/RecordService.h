#pragma once

#include "Fallible.h"
#include "audit/AuditExport.h"
#include "audit/AuditVerifier.h"
#include "audit/SlaExport.h"
#include "resolution/BulkResolution.h"
#include "resolution/ResolutionPlan.h"
#include "resolution/ResolutionService.h"
#include "model/Workspace.h"

#include <QFuture>
#include <QString>

#include <memory>

namespace syncdesk {

// The console's way to the systems and the state store for one-off work: reading a record,
// planning and applying a resolution, reading, verifying and exporting the audit log. Each
// call runs on the thread pool with connections of its own, so the window never waits.
class RecordService
{
public:
    explicit RecordService(Workspace workspace);

    [[nodiscard]] QFuture<Fallible<ResolutionPlan>> plan(const ResolveRequest &request) const;
    [[nodiscard]] QFuture<Fallible<ResolutionPlan>> planUndo(const QString &id) const;
    [[nodiscard]] QFuture<Fallible<ResolveResult>> apply(const ResolutionPlan &plan, const QString &reason,
                                                         const QString &operatorName) const;

    // Records of one flow read fresh from both sides, set against their stored baselines:
    // the records view's changed fields and change times, for the rows on screen.
    [[nodiscard]] QFuture<Fallible<QList<RecordDetail>>> details(const QString &flow,
                                                                 const QList<QByteArray> &keyJsons) const;

    // A bulk rule's records now, with the plans of the first `sample` of them.
    struct BulkPreview
    {
        QList<BulkRecord> keys;
        QList<ResolutionPlan> sample;
    };
    [[nodiscard]] QFuture<Fallible<BulkPreview>> bulkPreview(const BulkRule &rule, int sample) const;
    // Resolves `keys` under `rule`; the future reports progress (records done) and can be
    // cancelled, which stops before the next record.
    [[nodiscard]] QFuture<Fallible<BulkResult>> bulkApply(const BulkRule &rule, const QList<BulkRecord> &keys,
                                                          const QString &reason, const QString &operatorName) const;

    // A page of the log for the audit view: the newest `limit` entries before `beforeSeq` (0:
    // the end) that pass the filter, and the chain checked from where this console last
    // verified it (VerifiedChain), so neither grows with the log.
    struct AuditLog
    {
        QList<AuditEntry> entries;
        ChainCheck chain;
        qint64 olderFrom = 0; // where the next older page starts; 0: none
    };
    static constexpr int AuditPageSize = 5000;
    // `fullCheck`: the whole chain recomputed (the view's Refresh), not only what is new.
    [[nodiscard]] QFuture<Fallible<AuditLog>> auditLog(const AuditFilter &filter, qint64 beforeSeq = 0,
                                                       int limit = AuditPageSize, bool fullCheck = false) const;
    // One record's entries, read by the log's index (a click on a record, however long the log).
    [[nodiscard]] QFuture<Fallible<QList<AuditEntry>>> recordHistory(const QString &flow,
                                                                     const QByteArray &keyJson) const;
    // Writes a report; the future reports progress (entries written, of the range's end) and
    // can be cancelled, which leaves no file behind.
    [[nodiscard]] QFuture<Fallible<qint64>> exportAudit(const QString &format, const AuditFilter &filter,
                                                        const QString &path) const;

    // A flow's sync accounting: its hourly counters in [fromMs, toMs) and its totals since
    // counting began (names: state/ActivityCounters.h).
    struct Activity
    {
        QList<ActivityCount> hourly;
        QHash<QString, qint64> totals;
    };
    [[nodiscard]] QFuture<Fallible<Activity>> activity(const QString &flow, qint64 fromMs, qint64 toMs) const;
    // Writes the consistency-window report (`report sla`), whole or not at all.
    [[nodiscard]] QFuture<Fallible<bool>> exportSla(const QString &format, const SlaRequest &request,
                                                    const QString &path) const;

    // The claims that hold now, and what the store's login may do: the console asks every
    // few seconds, so a colleague's claim shows without anyone reloading.
    struct Claims
    {
        QList<Claim> claims;
        StorePermissions permissions;
    };
    [[nodiscard]] QFuture<Fallible<Claims>> claims() const;
    // Claims (or renews, for `minutes`) or releases records of one flow for the operator. A
    // record held by someone else is left as it is and named in `refused`.
    struct ClaimOutcome
    {
        int done = 0;
        QStringList refused; // one line per record: why
    };
    [[nodiscard]] QFuture<Fallible<ClaimOutcome>> claim(const QString &flow, const QList<QByteArray> &keyJsons,
                                                        const QString &operatorName, bool release,
                                                        int minutes = 30) const;

    // Whether PostgreSQL accepts `password` for `conninfo` (one connection, then closed):
    // the console stores only a password that works.
    [[nodiscard]] static QFuture<Fallible<bool>> testPassword(const QString &conninfo, const QByteArray &password);

    [[nodiscard]] const Workspace &workspace() const { return m_workspace; }

private:
    Workspace m_workspace;
    std::shared_ptr<VerifiedChain> m_verified = std::make_shared<VerifiedChain>();
};

} // namespace syncdesk
