#include "StateStore.h"

#include "BaselineSnapshot.h"
#include "PostgresStateStore.h"
#include "SqliteStateStore.h"
#include "model/SyncError.h"
#include "model/Workspace.h"

#include <QDateTime>
#include <QHash>
#include <QJsonDocument>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSet>

#include <openssl/evp.h>

namespace syncdesk {

std::unique_ptr<StateStore> StateStore::open(const Workspace &workspace)
{
    if (isStateUri(workspace.state))
        return std::make_unique<PostgresStateStore>(workspace.state);
    return std::make_unique<SqliteStateStore>(workspace.state);
}

QList<std::pair<int, QStringList>> StateStore::migrations()
{
    QList<std::pair<int, QStringList>> out;
    const QDir dir(QStringLiteral(":/sql/state"));
    const QRegularExpression name(QStringLiteral("^(\\d+)_.*\\.sql$"));
    for (const QString &file : dir.entryList({QStringLiteral("*.sql")}, QDir::Files, QDir::Name)) {
        const auto m = name.match(file);
        if (!m.hasMatch())
            continue;
        QFile f(dir.filePath(file));
        if (!f.open(QIODevice::ReadOnly))
            throw SyncError(QStringLiteral("state store: cannot read migration %1").arg(file));
        QString sql = QString::fromUtf8(f.readAll());
        sql.remove(QRegularExpression(QStringLiteral("--[^\\n]*")));
        QStringList statements;
        for (const QString &s : sql.split(u';')) {
            if (!s.trimmed().isEmpty())
                statements << s.trimmed();
        }
        out.append({m.captured(1).toInt(), statements});
    }
    return out;
}

void StateStore::migrate()
{
    const int newest = migrations().constLast().first;
    if (hasTable(QStringLiteral("syncdesk_schema")) && schemaVersion() >= newest)
        return;
    try {
        exec(QStringLiteral("CREATE TABLE IF NOT EXISTS syncdesk_schema (version INTEGER NOT NULL)"));
        runMigrations();
    } catch (const SyncError &e) {
        // A team's desks connect as roles that may not change the schema: say who can.
        if (!e.notAllowed())
            throw;
        throw SyncError(QStringLiteral("the state store's schema is at version %1 and this build needs %2, "
                                       "which its role may not create: have its owner run `syncdesk-cli "
                                       "team setup --state URI` (%3)")
                            .arg(hasTable(QStringLiteral("syncdesk_schema")) ? schemaVersion() : 0)
                            .arg(newest)
                            .arg(e.message()),
                        SyncError::Kind::NotAllowed);
    }
}

void StateStore::runMigrations()
{
    for (const auto &[version, statements] : migrations()) {
        begin();
        try {
            // Asked again under the write lock: a watch and a status starting together must not
            // both run the same migration.
            lockSchema();
            if (schemaVersion() >= version) {
                commit();
                continue;
            }
            for (const QString &sql : statements)
                exec(sql);
            if (version == 7)
                backfillAuditIndex();
            exec(QStringLiteral("DELETE FROM syncdesk_schema"));
            exec(QStringLiteral("INSERT INTO syncdesk_schema (version) VALUES (?)"), {version});
            commit();
        } catch (...) {
            rollback();
            throw;
        }
    }
}

int StateStore::schemaVersion()
{
    const auto rows = query(QStringLiteral("SELECT max(version) FROM syncdesk_schema"));
    return rows.isEmpty() ? 0 : rows.first().value(0).toInt();
}

void StateChanges::append(StateChanges &&later)
{
    if (isEmpty()) {
        *this = std::move(later);
        return;
    }
    // apply() deletes before it upserts. So a later removal overrules earlier upserts of the
    // record, and an earlier removal stays ahead of a later upsert (which then starts from no
    // stored row, as it would have). Earlier upserts of a record upserted again stay too: the
    // later one's COALESCE of the field values needs them applied first.
    const QSet<QPair<QString, QByteArray>> removedLater(later.removals.cbegin(), later.removals.cend());
    upserts.removeIf([&](const StoredBaseline &b) { return removedLater.contains({b.flow, b.keyJson}); });
    upserts.append(std::move(later.upserts));
    removals.append(std::move(later.removals));
    for (auto &[feed, position] : later.feedPositions) {
        feedPositions.removeIf([&feed](const std::pair<QString, QString> &p) { return p.first == feed; });
        feedPositions.append({feed, position});
    }
    if (later.deskStatus)
        deskStatus = std::move(later.deskStatus);
    counts.append(std::move(later.counts));
    peaks.append(std::move(later.peaks));
    for (SlaBreach &b : later.breaches) {
        breaches.removeIf([&b](const SlaBreach &e) { return e.flow == b.flow && e.startedMs == b.startedMs; });
        breaches.append(std::move(b));
    }
    // A later snapshot holds everything the earlier one did; upserts still follow it.
    for (StoredSnapshot &s : later.snapshots) {
        snapshots.removeIf([&s](const StoredSnapshot &e) { return e.flow == s.flow; });
        snapshots.append(std::move(s));
    }
}

void StateChanges::compact()
{
    // Removals already precede every upsert that survived append(): only upserts fold.
    QHash<QPair<QString, QByteArray>, qsizetype> last; // record → its upsert in `kept`
    QList<StoredBaseline> kept;
    kept.reserve(upserts.size());
    for (StoredBaseline &b : upserts) {
        const QPair<QString, QByteArray> id(b.flow, b.keyJson);
        const auto it = last.constFind(id);
        if (it != last.cend()) {
            StoredBaseline &earlier = kept[*it];
            // Unknown values keep the stored ones only while the agreed row stays the same:
            // then the earlier upsert's values are the ones to keep.
            const bool sameAgreement = earlier.known == b.known && earlier.hash == b.hash;
            if (!b.fieldValues.isEmpty() || sameAgreement) {
                if (b.fieldValues.isEmpty())
                    b.fieldValues = std::move(earlier.fieldValues);
                earlier = std::move(b);
                continue;
            }
        }
        last.insert(id, kept.size());
        kept.append(std::move(b));
    }
    upserts = std::move(kept);
}

void StateStore::apply(const StateChanges &changes)
{
    if (changes.isEmpty())
        return;
    begin();
    try {
        checkFence();
        // Removals first: in batches appended together, a record back in sync and then out
        // again must start from no stored row (its old field values are not the new agreement).
        for (const auto &[flow, key] : changes.removals)
            exec(QStringLiteral("DELETE FROM baselines WHERE flow = ? AND record_key = ?"),
                 {flow, QString::fromUtf8(key)});
        // A snapshot holds every record's baseline as of now: the in-sync rows it folds in go.
        for (const StoredSnapshot &snap : changes.snapshots) {
            exec(QStringLiteral("DELETE FROM baseline_snapshots WHERE flow = ?"), {snap.flow});
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            for (qsizetype i = 0; i < snap.parts.size(); ++i)
                exec(QStringLiteral("INSERT INTO baseline_snapshots (flow, part, records, taken_at, "
                                    "snapshot) VALUES (?, ?, ?, ?, ?)"),
                     // ASCII (base64) bound as bytes: no UTF-16 copy of megabytes
                     {snap.flow, i, snap.parts[i].first, now, snap.parts[i].second});
            if (snap.parts.isEmpty()) // an empty flow: still a complete set of baselines
                exec(QStringLiteral("INSERT INTO baseline_snapshots (flow, part, records, taken_at, "
                                    "snapshot) VALUES (?, 0, 0, ?, ?)"),
                     {snap.flow, now, QByteArray("SDB1").toBase64()}); // a header, no records
            exec(QStringLiteral("DELETE FROM baselines WHERE flow = ? AND in_sync = 1"), {snap.flow});
        }
        for (const StoredBaseline &b : changes.upserts) {
            exec(QStringLiteral(
                     "INSERT INTO baselines (flow, record_key, known, present, row_hash, "
                     "field_values, in_sync, source_changed_at, target_changed_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT (flow, record_key) DO UPDATE SET known = excluded.known, "
                     "present = excluded.present, row_hash = excluded.row_hash, "
                     // Unknown field values (NULL) keep the stored ones while the agreed row is
                     // the same: they are what both sides last agreed on.
                     "field_values = CASE WHEN excluded.field_values IS NULL "
                     "AND excluded.known = baselines.known AND excluded.present = baselines.present "
                     "AND excluded.row_hash IS NOT DISTINCT FROM baselines.row_hash "
                     "THEN baselines.field_values ELSE excluded.field_values END, "
                     "in_sync = excluded.in_sync, "
                     "source_changed_at = excluded.source_changed_at, "
                     "target_changed_at = excluded.target_changed_at"),
                 {b.flow, QString::fromUtf8(b.keyJson), b.known ? 1 : 0, b.hash ? 1 : 0,
                  b.hash ? QVariant(qint64(*b.hash)) : QVariant(QMetaType(QMetaType::LongLong)),
                  b.fieldValues.isEmpty() ? QVariant(QMetaType(QMetaType::QString))
                                          : QVariant(QString::fromUtf8(b.fieldValues)),
                  b.inSync ? 1 : 0, b.sourceChangedAtMs, b.targetChangedAtMs});
        }
        if (changes.deskStatus)
            writeDeskStatus(changes.deskStatus->second, changes.deskStatus->first);
        addCounts(changes.counts);
        for (const ActivityPeak &p : changes.peaks)
            exec(QStringLiteral("INSERT INTO activity_peaks (flow, hour_start, name, value, record_key) "
                                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (flow, hour_start, name) DO UPDATE "
                                "SET value = excluded.value, record_key = excluded.record_key "
                                "WHERE excluded.value > activity_peaks.value"),
                 {p.flow, p.hourStartMs, p.name, p.value, QString::fromUtf8(p.keyJson)});
        for (const SlaBreach &b : changes.breaches)
            exec(QStringLiteral("INSERT INTO sla_breaches (flow, started_at, ended_at, worst_key, "
                                "worst_lag_ms, records) VALUES (?, ?, ?, ?, ?, ?) "
                                "ON CONFLICT (flow, started_at) DO UPDATE SET ended_at = excluded.ended_at, "
                                "worst_key = excluded.worst_key, worst_lag_ms = excluded.worst_lag_ms, "
                                "records = excluded.records"),
                 {b.flow, b.startedMs,
                  b.endedMs ? QVariant(*b.endedMs) : QVariant(QMetaType(QMetaType::LongLong)),
                  QString::fromUtf8(b.worstKey), b.worstLagMs, b.records});
        for (const auto &[feed, position] : changes.feedPositions) {
            const QStringList parts = feed.split(u'/');
            exec(QStringLiteral("INSERT INTO feed_positions (system, feed, position, updated_at) "
                                "VALUES (?, ?, ?, ?) ON CONFLICT (system, feed) DO UPDATE SET "
                                "position = excluded.position, updated_at = excluded.updated_at"),
                 {parts.value(0), parts.value(1), position,
                  QDateTime::currentMSecsSinceEpoch()});
        }
        commit();
    } catch (...) {
        rollback();
        throw;
    }
}

namespace {

const QString baselineColumns = QStringLiteral(
    "SELECT record_key, present, row_hash, field_values, source_changed_at, target_changed_at, "
    "known, in_sync FROM baselines WHERE flow = ?");

} // namespace

std::optional<StoredBaseline> StateStore::baseline(const QString &flow, const QByteArray &keyJson)
{
    const auto rows = query(baselineColumns + QStringLiteral(" AND record_key = ?"),
                            {flow, QString::fromUtf8(keyJson)});
    if (rows.isEmpty())
        return std::nullopt;
    return toBaseline(flow, rows.first());
}

StoredBaseline StateStore::toBaseline(const QString &flow, const QVariantList &r)
{
    StoredBaseline b;
    b.flow = flow;
    b.keyJson = r.value(0).toString().toUtf8();
    if (r.value(1).toInt() != 0)
        b.hash = quint64(r.value(2).toLongLong());
    b.fieldValues = r.value(3).toString().toUtf8();
    b.sourceChangedAtMs = r.value(4).toLongLong();
    b.targetChangedAtMs = r.value(5).toLongLong();
    b.known = r.value(6).toInt() != 0;
    b.inSync = r.value(7).toInt() != 0;
    return b;
}

bool StateStore::forEachBaseline(
    const QString &flow,
    const std::function<void(std::string_view, const std::optional<RowHash> &)> &snapshotRecord,
    const std::function<void(const StoredBaseline &)> &row)
{
    bool complete = false;
    forEachRow(QStringLiteral("SELECT snapshot FROM baseline_snapshots WHERE flow = ? ORDER BY part"),
               {flow}, [&](const QVariantList &r) {
                   complete = true;
                   BaselineSnapshot::read(r.value(0).toByteArray(), snapshotRecord);
                   return true;
               });
    forEachRow(baselineColumns, {flow}, [&](const QVariantList &r) {
        row(toBaseline(flow, r));
        return true;
    });
    return complete;
}

std::optional<qint64> StateStore::snapshotRecords(const QString &flow)
{
    const auto rows = query(QStringLiteral("SELECT sum(records) FROM baseline_snapshots WHERE flow = ?"), {flow});
    if (rows.isEmpty() || rows.first().value(0).isNull())
        return std::nullopt;
    return rows.first().value(0).toLongLong();
}

QList<StoredBaseline> StateStore::baselines(const QString &flow)
{
    QList<StoredBaseline> out;
    const auto rows = query(baselineColumns + QStringLiteral(" ORDER BY record_key"), {flow});
    out.reserve(rows.size());
    for (const QVariantList &r : rows)
        out.append(toBaseline(flow, r));
    return out;
}

QByteArray StateStore::canonicalJson(const QJsonObject &entry)
{
    return QJsonDocument(entry).toJson(QJsonDocument::Compact); // QJsonObject keeps keys sorted
}

QByteArray StateStore::chainHash(const QByteArray &prevHash, const QByteArray &entry)
{
    // OpenSSL's SHA-256 uses the CPU's SHA extensions: verifying a million entries is hashing
    // half a gigabyte, five times faster than Qt's portable implementation.
    struct Sha256
    {
        EVP_MD *md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        ~Sha256()
        {
            EVP_MD_CTX_free(ctx);
            EVP_MD_free(md);
        }
    };
    thread_local const Sha256 sha;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!sha.md || !sha.ctx || !EVP_DigestInit_ex2(sha.ctx, sha.md, nullptr)
        || !EVP_DigestUpdate(sha.ctx, prevHash.constData(), size_t(prevHash.size()))
        || !EVP_DigestUpdate(sha.ctx, entry.constData(), size_t(entry.size()))
        || !EVP_DigestFinal_ex(sha.ctx, digest, &length))
        throw SyncError(QStringLiteral("SHA-256 is not available from OpenSSL"));
    return QByteArray(reinterpret_cast<const char *>(digest), qsizetype(length)).toHex();
}

void StateStore::addCounts(const QList<ActivityCount> &counts)
{
    for (const ActivityCount &c : counts)
        exec(QStringLiteral("INSERT INTO activity_counts (flow, hour_start, name, value) "
                            "VALUES (?, ?, ?, ?) ON CONFLICT (flow, hour_start, name) DO UPDATE "
                            "SET value = activity_counts.value + excluded.value"),
             {c.flow, c.hourStartMs, c.name, c.value});
}

AuditRow StateStore::appendAudit(const QJsonObject &entry, const QList<ActivityCount> &counts)
{
    return appendAudits({entry}, counts).first();
}

QList<AuditRow> StateStore::appendAudits(const QList<QJsonObject> &entries, const QList<ActivityCount> &counts)
{
    return appendAudits(entries, counts, {});
}

QList<AuditRow> StateStore::appendAudits(const QList<QJsonObject> &entries, const QList<ActivityCount> &counts,
                                         const std::function<void()> &underLock)
{
    begin();
    try {
        lockAuditLog();
        if (underLock)
            underLock();
        QList<AuditRow> rows = appendLocked(entries);
        addCounts(counts);
        commit();
        return rows;
    } catch (...) {
        rollback();
        throw;
    }
}

QList<AuditRow> StateStore::appendLocked(const QList<QJsonObject> &entries)
{
    QList<AuditRow> rows;
    rows.reserve(entries.size());
    {
        const auto last = query(QStringLiteral("SELECT seq, hash FROM audit_log ORDER BY seq DESC "
                                               "LIMIT 1"));
        qint64 seq = last.isEmpty() ? 0 : last.first().value(0).toLongLong();
        QByteArray prevHash = last.isEmpty() ? QByteArray(64, '0') : last.first().value(1).toString().toUtf8();
        for (const QJsonObject &entry : entries) {
            AuditRow &row = rows.emplace_back();
            row.entry = canonicalJson(entry);
            row.seq = ++seq;
            row.prevHash = prevHash;
            row.hash = chainHash(row.prevHash, row.entry);
            prevHash = row.hash;
            const AuditColumns c = auditColumns(entry);
            exec(QStringLiteral("INSERT INTO audit_log (seq, entry, prev_hash, hash, flow, record_key, "
                                "entry_type, resolution_id, undoes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 {row.seq, QString::fromUtf8(row.entry), QString::fromUtf8(row.prevHash),
                  QString::fromUtf8(row.hash), c.flow, c.recordKey, c.type, c.resolutionId, c.undoes});
            // An intent is open until its outcome is in the log.
            if (c.type == QStringLiteral("intent") && !c.resolutionId.isNull())
                exec(QStringLiteral("INSERT INTO open_intents (resolution_id, seq) VALUES (?, ?)"),
                     {c.resolutionId, row.seq});
            else if (c.type == QStringLiteral("outcome") && !c.resolutionId.isNull())
                exec(QStringLiteral("DELETE FROM open_intents WHERE resolution_id = ?"), {c.resolutionId});
        }
    }
    return rows;
}

qint64 StateStore::lastAuditSeq()
{
    const auto rows = query(QStringLiteral("SELECT max(seq) FROM audit_log"));
    return rows.isEmpty() ? 0 : rows.first().value(0).toLongLong();
}

AuditRow StateStore::auditHead()
{
    const auto rows = query(QStringLiteral("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"));
    AuditRow head;
    if (!rows.isEmpty()) {
        head.seq = rows.first().value(0).toLongLong();
        head.hash = rows.first().value(1).toString().toUtf8();
    }
    return head;
}

QList<AuditRow> StateStore::auditRows(qint64 fromSeq)
{
    QList<AuditRow> out;
    for (const QVariantList &r : query(QStringLiteral("SELECT seq, entry, prev_hash, hash FROM "
                                                      "audit_log WHERE seq >= ? ORDER BY seq"),
                                       {fromSeq}))
        out.append({r.value(0).toLongLong(), r.value(1).toString().toUtf8(),
                    r.value(2).toString().toUtf8(), r.value(3).toString().toUtf8()});
    return out;
}

void StateStore::forEachRow(const QString &sql, const QVariantList &params,
                            const std::function<bool(const QVariantList &)> &f)
{
    for (const QVariantList &row : query(sql, params)) {
        if (!f(row))
            return;
    }
}

AuditRow StateStore::auditHashAt(qint64 seq)
{
    const auto rows = query(QStringLiteral("SELECT seq, hash FROM audit_log WHERE seq = ?"), {seq});
    AuditRow row;
    if (!rows.isEmpty()) {
        row.seq = rows.first().value(0).toLongLong();
        row.hash = rows.first().value(1).toString().toUtf8();
    }
    return row;
}

void StateStore::forEachAuditRow(const std::function<bool(const AuditRow &)> &f, qint64 fromSeq)
{
    forEachRow(QStringLiteral("SELECT seq, entry, prev_hash, hash FROM audit_log WHERE seq >= ? ORDER BY seq"), {fromSeq},
               [&](const QVariantList &r) {
                   return f({r.value(0).toLongLong(), r.value(1).toString().toUtf8(),
                             r.value(2).toString().toUtf8(), r.value(3).toString().toUtf8()});
               });
}

namespace {

// "Every flow" binds as '' (a null QString would bind as NULL, which `? = ''` never matches).
QString anyFlow(const QString &flow)
{
    return flow.isEmpty() ? QStringLiteral("") : flow;
}

} // namespace

QList<ActivityCount> StateStore::activityCounts(const QString &flowName, qint64 fromMs, qint64 toMs)
{
    const QString flow = anyFlow(flowName);
    QList<ActivityCount> out;
    for (const QVariantList &r :
         query(QStringLiteral("SELECT flow, hour_start, name, value FROM activity_counts WHERE "
                              "(? = '' OR flow = ?) AND hour_start >= ? AND hour_start < ? "
                              "ORDER BY flow, hour_start, name"),
               {flow, flow, fromMs, toMs}))
        out.append({r.value(0).toString(), r.value(1).toLongLong(), r.value(2).toString(),
                    r.value(3).toLongLong()});
    return out;
}

QList<ActivityPeak> StateStore::activityPeaks(const QString &flowName, qint64 fromMs, qint64 toMs)
{
    const QString flow = anyFlow(flowName);
    QList<ActivityPeak> out;
    for (const QVariantList &r :
         query(QStringLiteral("SELECT flow, hour_start, name, value, record_key FROM activity_peaks "
                              "WHERE (? = '' OR flow = ?) AND hour_start >= ? AND hour_start < ? "
                              "ORDER BY flow, hour_start, name"),
               {flow, flow, fromMs, toMs}))
        out.append({r.value(0).toString(), r.value(1).toLongLong(), r.value(2).toString(),
                    r.value(3).toLongLong(), r.value(4).toString().toUtf8()});
    return out;
}

QHash<QString, qint64> StateStore::activityTotals(const QString &flow)
{
    QHash<QString, qint64> out;
    for (const QVariantList &r : query(QStringLiteral("SELECT name, sum(value) FROM activity_counts "
                                                      "WHERE flow = ? GROUP BY name"),
                                       {flow}))
        out.insert(r.value(0).toString(), r.value(1).toLongLong());
    return out;
}

namespace {

const QString BreachColumns =
    QStringLiteral("SELECT flow, started_at, ended_at, worst_key, worst_lag_ms, records FROM sla_breaches ");

SlaBreach breachOf(const QVariantList &r)
{
    SlaBreach b;
    b.flow = r.value(0).toString();
    b.startedMs = r.value(1).toLongLong();
    if (!r.value(2).isNull())
        b.endedMs = r.value(2).toLongLong();
    b.worstKey = r.value(3).toString().toUtf8();
    b.worstLagMs = r.value(4).toLongLong();
    b.records = r.value(5).toLongLong();
    return b;
}

} // namespace

QList<SlaBreach> StateStore::slaBreaches(const QString &flowName, qint64 fromMs, qint64 toMs)
{
    const QString flow = anyFlow(flowName);
    QList<SlaBreach> out;
    for (const QVariantList &r :
         query(BreachColumns + QStringLiteral("WHERE (? = '' OR flow = ?) AND started_at < ? "
                                              "AND (ended_at IS NULL OR ended_at >= ?) ORDER BY started_at, flow"),
               {flow, flow, toMs, fromMs}))
        out.append(breachOf(r));
    return out;
}

std::optional<SlaBreach> StateStore::openBreach(const QString &flow)
{
    const auto rows = query(BreachColumns + QStringLiteral("WHERE flow = ? AND ended_at IS NULL "
                                                           "ORDER BY started_at DESC LIMIT 1"),
                            {flow});
    return rows.isEmpty() ? std::nullopt : std::optional(breachOf(rows.first()));
}

std::optional<PolicyState> StateStore::policyState(const QString &flow)
{
    const auto rows = query(QStringLiteral("SELECT halted, reason, changed_at, changed_by FROM "
                                           "policy_state WHERE flow = ?"),
                            {flow});
    if (rows.isEmpty())
        return std::nullopt;
    const QVariantList &r = rows.first();
    return PolicyState{flow, r.value(0).toLongLong() != 0, r.value(1).toString(),
                       r.value(2).toLongLong(), r.value(3).toString()};
}

void StateStore::setPolicyState(const PolicyState &s)
{
    exec(QStringLiteral("INSERT INTO policy_state (flow, halted, reason, changed_at, changed_by) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (flow) DO UPDATE SET "
                        "halted = excluded.halted, reason = excluded.reason, "
                        "changed_at = excluded.changed_at, changed_by = excluded.changed_by"),
         {s.flow, s.halted ? 1 : 0, s.reason, s.changedAtMs, s.changedBy});
}

void StateStore::writeDeskStatus(const QByteArray &json, qint64 atMs)
{
    // A share's row is stamped by the store's clock: rows of agents on several machines are
    // put together by which is newer, and old ones dropped, on one clock.
    if (!m_fenceLeases.isEmpty())
        atMs = nowMs();
    if (!m_fenceLeases.isEmpty() && atMs - m_sharesCleanedAtMs >= 60000) {
        // Each set of leases an engine ever watched left its rows: ten minutes on, a share's
        // flows are in a newer row (another agent took them within seconds) or no longer in
        // the workspace.
        exec(QStringLiteral("DELETE FROM desk_status WHERE (name LIKE 'desk/%' OR name LIKE 'console/%') "
                            "AND updated_at < ?"),
             {atMs - 10 * 60 * 1000});
        m_sharesCleanedAtMs = atMs;
    }
    exec(QStringLiteral("INSERT INTO desk_status (name, updated_at, status) VALUES (?, ?, ?) "
                        "ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at, "
                        "status = excluded.status"),
         {statusRow(QStringLiteral("desk")), atMs, QString::fromUtf8(json)});
}

QList<std::pair<qint64, QByteArray>> StateStore::deskStatuses()
{
    return statusRows(QStringLiteral("desk"));
}

std::optional<QString> StateStore::feedPosition(const QString &systemFeed)
{
    const QStringList parts = systemFeed.split(u'/');
    const auto rows = query(QStringLiteral("SELECT position FROM feed_positions WHERE system = ? "
                                           "AND feed = ?"),
                            {parts.value(0), parts.value(1)});
    if (rows.isEmpty())
        return std::nullopt;
    return rows.first().value(0).toString();
}

} // namespace syncdesk
