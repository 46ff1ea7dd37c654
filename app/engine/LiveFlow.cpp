#include "LiveFlow.h"

#include "DiffResult.h"
#include "Reconciler.h"
#include "state/BaselineSnapshot.h"
#include "connectors/ConnectorFactory.h"
#include "model/Canonical.h"
#include "model/Classify.h"
#include "model/JsonText.h"
#include "model/RowEncoder.h"
#include "model/SyncError.h"
#include "state/StateStore.h"

#include <future>
#include <limits>

namespace syncdesk {

namespace {

std::string_view view(const QByteArray &bytes)
{
    return {bytes.constData(), size_t(bytes.size())};
}

} // namespace

LiveFlow::LiveFlow(const Workspace &workspace, const FlowSpec &flow)
    : m_flow(flow), m_sides(workspace, flow), m_lags(qint64(flow.slaSeconds) * 1000),
      m_ledger(flow.name, qint64(flow.slaSeconds) * 1000)
{
}

LiveFlow::~LiveFlow() = default;

StoredBaseline LiveFlow::toStored(const QByteArray &keyJson, const Tracked &t,
                                  const QByteArray &fieldValues) const
{
    StoredBaseline b;
    b.flow = m_flow.name;
    b.keyJson = keyJson;
    b.known = t.state.baseline.has_value();
    b.hash = t.state.baseline ? *t.state.baseline : RowHash();
    b.inSync = t.status == RecordStatus::InSync;
    b.fieldValues = fieldValues;
    b.sourceChangedAtMs = t.state.sourceChangedAtMs;
    b.targetChangedAtMs = t.state.targetChangedAtMs;
    return b;
}

void LiveFlow::setStatus(const QByteArray &keyJson, Tracked &t, std::optional<RecordStatus> from,
                         RecordStatus to, qint64 lagMs, qint64 nowMs, QList<StatusEvent> &events)
{
    t.status = to;
    // Also when the status stays: a change may have moved the time the record waits since.
    m_waiting.note(keyJson, to, waitingSinceMs(t.state, m_flow.direction));
    if (from == to)
        return;
    if (from)
        m_counts[size_t(*from)] = std::max<qint64>(0, m_counts[size_t(*from)] - 1);
    ++m_counts[size_t(to)];
    // A record that appears in sync on both sides at once was never out of sync: no event.
    if (from || to != RecordStatus::InSync)
        events.append({nowMs, m_flow.name, keyJson, to, lagMs});
}

DiffResult LiveFlow::compare(const Workspace &workspace, const FlowSpec &flow, RecordTable &records,
                             DiffOptions options, qint64 expectedRecords)
{
    records.clear();
    // A size known from the last comparison saves the table's regrowth (copies and page faults).
    if (expectedRecords > 0)
        records.reserve(size_t(expectedRecords + expectedRecords / 8),
                        size_t(expectedRecords + expectedRecords / 8) * 24);
    options.listRecords = false;
    // Either pairing delivers each key once (a duplicate is an error): append, index once at
    // the end.
    options.onRecord = [&records](std::string_view keyJson, const quint64 *source,
                                  const quint64 *target) {
        RecordState s;
        if (source)
            s.source = *source;
        if (target)
            s.target = *target;
        records.appendUnindexed(keyJson).setState(s);
    };
    options.onRestart = [&records] { records.clear(); };
    DiffResult result = Reconciler(workspace, flow).run(options);
    records.reindex();
    return result;
}

void LiveFlow::load(RecordTable &&scanned, StateStore &store, qint64 nowMs,
                    QList<StatusEvent> &events, StateChanges &changes)
{
    m_records = std::move(scanned);
    m_counts.fill(0);
    m_waiting.clear();
    m_sides.forgetReads(); // the scan read rows on connections of its own
    // 1. The stored baselines onto the records both sides hold now. A stored key that neither
    // side holds any more is gone from both: nothing to keep.
    QSet<QByteArray> withRow; // keys whose baseline row is stored (field values included)
    auto setBaseline = [this](std::string_view key, const std::optional<RowHash> &baseline,
                              qint64 sourceAt, qint64 targetAt) {
        TrackedRecord *r = m_records.find(key);
        if (!r)
            return;
        RecordState s = r->state();
        s.baseline = baseline;
        s.sourceChangedAtMs = sourceAt;
        s.targetChangedAtMs = targetAt;
        r->setState(s);
        r->mark();
    };
    const bool complete = store.forEachBaseline(
        m_flow.name,
        [&](std::string_view key, const std::optional<RowHash> &baseline) {
            setBaseline(key, baseline, 0, 0);
        },
        [&](const StoredBaseline &b) {
            setBaseline(view(b.keyJson), b.known ? std::optional<RowHash>(b.hash) : std::nullopt,
                        b.sourceChangedAtMs, b.targetChangedAtMs);
            if (!b.fieldValues.isEmpty() || !b.inSync)
                withRow.insert(b.keyJson);
        });
    // 2. Every record classified. Without a stored baseline: after an earlier comparison of
    // this flow (a complete set), the key is new since then; at the very first comparison, a
    // record in sync has its row as baseline and one that differs has none.
    // With a complete stored set, the baselines that moved meanwhile are written as rows (a
    // restart rewrites no snapshot for a few agreements); without one, a snapshot is due.
    m_rowsSinceSnapshot = 0;
    m_records.forEach([&](std::string_view key, TrackedRecord &r) {
        Tracked t{r.state(), RecordStatus::InSync};
        const bool stored = r.isMarked();
        const std::optional<RowHash> before = t.state.baseline;
        if (t.state.source == t.state.target)
            t.state.baseline = t.state.source; // agreement, whatever was stored
        else if (!stored)
            t.state.baseline = complete ? std::optional<RowHash>(RowHash()) : std::nullopt;
        // A stored baseline that moved is rewritten (also in a store without a snapshot: its
        // old row would override the next snapshot); a key new to a complete set is written.
        const bool moved = (stored && t.state.baseline != before) || (complete && !stored);
        const RecordStatus status = classify(t.state, nowMs, m_flow.direction, m_flow.slaSeconds);
        r.setState(t.state);
        r.status = status;
        if (status == RecordStatus::InSync && !moved) {
            ++m_counts[size_t(RecordStatus::InSync)]; // the common case: no event, no copy
            return;
        }
        const QByteArray keyJson(key.data(), qsizetype(key.size()));
        setStatus(keyJson, t, std::nullopt, status, pendingAgeMs(t.state, nowMs, m_flow.direction),
                  nowMs, events);
        if (moved) {
            changes.upserts.append(toStored(keyJson, t, QByteArray()));
            ++m_rowsSinceSnapshot;
        } else if (t.state.baseline && !withRow.contains(keyJson)) {
            // Out of sync with a baseline known only from the snapshot: its own row, which the
            // detail view and resolutions read (no row means no baseline to them).
            changes.upserts.append(toStored(keyJson, t, QByteArray()));
        }
    });
    if (!complete)
        m_rowsSinceSnapshot = std::numeric_limits<qint64>::max() / 2;
}

StoredSnapshot LiveFlow::snapshot()
{
    m_rowsSinceSnapshot = 0;
    BaselineSnapshot snapshot;
    m_records.forEach([&](std::string_view key, const TrackedRecord &r) {
        snapshot.add(key, r.state().baseline);
    });
    const qint64 records = snapshot.records();
    return {m_flow.name, records, snapshot.takeParts()};
}

qint64 LiveFlow::partedBy(const RecordTable &scanned, const QSet<QByteArray> &moving) const
{
    qint64 parted = 0;
    scanned.forEach([&](std::string_view key, const TrackedRecord &s) {
        const TrackedRecord *r = m_records.find(key);
        if (r && r->state().source == r->state().target && s.state().source != s.state().target
            && !moving.contains(QByteArray(key.data(), qsizetype(key.size()))))
            ++parted;
    });
    return parted;
}

QList<KeyChange> LiveFlow::suspects(const RecordTable &scanned) const
{
    QList<KeyChange> out;
    scanned.forEach([&](std::string_view key, const TrackedRecord &s) {
        const TrackedRecord *r = m_records.find(key);
        if (!r || r->state().source != s.state().source || r->state().target != s.state().target)
            out.append({ChangeSide::Unknown, FlowSides::keyText(QByteArray(key.data(), qsizetype(key.size()))), 0});
    });
    // Held here, on neither side in the scan: gone from both unseen.
    m_records.forEach([&](std::string_view key, const TrackedRecord &) {
        if (!scanned.find(key))
            out.append({ChangeSide::Unknown, FlowSides::keyText(QByteArray(key.data(), qsizetype(key.size()))), 0});
    });
    return out;
}

std::optional<KeyChange> LiveFlow::keyChange(bool sourceSide, const ChangeEvent &e) const
{
    KeyChange change;
    change.side = sourceSide ? ChangeSide::Source : ChangeSide::Target;
    change.changedAtMs = e.commitMs;
    change.xid = e.xid;
    qsizetype cursor = 0;
    for (const ColumnPair &k : m_flow.key) {
        const ChangeColumns::Column *c = e.columns.find(k.name(sourceSide), cursor);
        if (!c)
            return std::nullopt;
        change.key.append(c->value ? std::optional(QString::fromUtf8(*c->value)) : std::nullopt);
    }
    if (e.image == RowImage::Absent) {
        change.image = RowImage::Absent;
        change.commitLsn = e.commitLsn;
    } else if (e.image == RowImage::Row && isOpen()) {
        // The row as committed stands in for reading it if it holds every compared field as a
        // read would print it. An unchanged TOAST value is left out of the stream; wal2json
        // writes null for NaN and ±Infinity of float and numeric columns, so a null there is
        // not known to be NULL; it writes bytea without the \x a read prints.
        const QList<ColumnInfo> &fields = plan().request(sourceSide).fields;
        change.fields.reserve(fields.size());
        for (const ColumnInfo &f : fields) {
            const ChangeColumns::Column *c = e.columns.find(f.name, cursor);
            if (!c)
                break;
            if (!c->value) {
                static const QStringList integers = {QStringLiteral("smallint"), QStringLiteral("integer"),
                                                     QStringLiteral("bigint"), QStringLiteral("oid")};
                if (f.cls == FieldClass::Numeric && !integers.contains(f.typeName))
                    break;
                change.fields.append(std::nullopt);
                continue;
            }
            QByteArray value = *c->value;
            if (f.typeName == u"bytea" && !value.startsWith("\\x"))
                value.prepend("\\x");
            change.fields.append(std::move(value));
        }
        if (change.fields.size() == fields.size()) {
            change.image = RowImage::Row;
            change.commitLsn = e.commitLsn;
        } else {
            change.fields.clear();
        }
    }
    return change;
}

void LiveFlow::apply(const QList<KeyChange> &keyChanges, qint64 nowMs, QList<StatusEvent> &events,
                     StateChanges &changes, QList<KeyChange> *later)
{
    if (keyChanges.isEmpty())
        return;
    // 1. One entry per key: which sides moved, and when (the latest commit per side).
    struct Pending
    {
        KeyText key;
        qint64 sourceAt = -1; // -1: this side did not change in the batch
        qint64 targetAt = -1;
        bool unknown = false;
        int rereads = 0;
        qint64 deferredSinceMs = 0;
        // Per side, its latest change in the batch when that carries a trusted row image.
        std::array<const KeyChange *, 2> image{};
        std::array<quint32, 2> xid{};        // per side, the latest change's transaction
        std::array<bool, 2> readAgain{};     // an imaged side read after all (its snapshot: again's)
    };
    QHash<QByteArray, Pending> byKey;
    QList<QByteArray> order;
    for (const KeyChange &c : keyChanges) {
        const std::optional<QByteArray> json = m_sides.tryKeyJson(c.key);
        if (!json)
            continue; // a key that cannot be one of this flow's (wrong arity or type)
        const QByteArray &keyJson = *json;
        auto it = byKey.find(keyJson);
        if (it == byKey.end()) {
            it = byKey.insert(keyJson, {c.key, -1, -1, false});
            order.append(keyJson);
        }
        it->rereads = std::max(it->rereads, c.rereads);
        if (c.deferredSinceMs > 0 && (it->deferredSinceMs == 0 || c.deferredSinceMs < it->deferredSinceMs))
            it->deferredSinceMs = c.deferredSinceMs;
        const qint64 at = c.changedAtMs > 0 ? c.changedAtMs : nowMs;
        if (c.side == ChangeSide::Source)
            it->sourceAt = std::max(it->sourceAt, at);
        else if (c.side == ChangeSide::Target)
            it->targetAt = std::max(it->targetAt, at);
        else
            it->unknown = true;
        if (c.side != ChangeSide::Unknown) {
            // Changes come in commit order: the side's last one is its row now, as far as
            // the feed has told. An older image than a read already made would undo that read.
            const bool source = c.side == ChangeSide::Source;
            it->image[source ? 0 : 1] =
                c.image != RowImage::None && m_sides.imageTrusted(source, c.commitLsn) ? &c : nullptr;
            it->xid[source ? 0 : 1] = c.xid;
        }
    }

    // 2. Both sides' current rows for the whole batch: at most two round trips. A side whose
    // change carried its row is not read (unless a scan asked to read the record afresh).
    std::array<QList<KeyText>, 2> toRead;
    std::array<QHash<QByteArray, EncodedRow>, 2> imaged;
    for (const QByteArray &k : order) {
        Pending &p = byKey[k];
        if (p.unknown)
            p.image = {};
        for (size_t i = 0; i < 2; ++i) {
            if (p.image[i] && p.image[i]->image == RowImage::Row) {
                std::optional<EncodedRow> row = m_sides.encodeImage(i == 0, p.key, p.image[i]->fields);
                if (row)
                    imaged[i].insert(k, std::move(*row));
                else
                    p.image[i] = nullptr; // not encodable as a read would be: read it
            }
            if (!p.image[i])
                toRead[i].append(p.key);
        }
    }
    std::array<QHash<QByteArray, EncodedRow>, 2> rows = m_sides.fetch(toRead);
    for (size_t i = 0; i < 2; ++i)
        rows[i].insert(imaged[i]);
    // Which transactions each side's reads saw: the first read's, and a second read's below.
    std::array<std::optional<TxSnapshot>, 2> seen, seenAgain;
    for (size_t i = 0; i < 2; ++i) {
        if (!toRead[i].isEmpty())
            seen[i] = m_sides.lastSnapshot(i == 0);
    }

    // An image is its side as one commit left it, and the other side was just read: perhaps
    // past what the image knows (a later change on its way, already copied over). Harmless
    // while the imaged side alone has moved from the agreement, or both agree: the later
    // change only follows. Anything else (the other side moved, both moved, an imaged side on
    // both) is judged on a fresh read of the imaged sides, so an image that fell behind never
    // makes a conflict, nor hides one.
    std::array<QList<KeyText>, 2> again;
    std::array<QList<QByteArray>, 2> againJson;
    for (const QByteArray &k : order) {
        Pending &p = byKey[k];
        if (!p.image[0] && !p.image[1])
            continue;
        const auto hashOf = [&rows, &k](size_t i) {
            const auto it = rows[i].constFind(k);
            return it != rows[i].constEnd() ? RowHash(it->hash) : RowHash();
        };
        const RowHash source = hashOf(0);
        const RowHash target = hashOf(1);
        if (source == target)
            continue;
        const TrackedRecord *found = m_records.find(view(k));
        // A key not held is agreed absent on both sides.
        const std::optional<RowHash> agreed = found ? found->state().baseline : std::optional<RowHash>(RowHash());
        if (agreed) {
            const bool sourceMoved = source != *agreed;
            const bool targetMoved = target != *agreed;
            const size_t leader = sourceMoved ? 0 : 1;
            if (sourceMoved != targetMoved && p.image[leader] && !p.image[1 - leader])
                continue;
        }
        for (size_t i = 0; i < 2; ++i) {
            if (!p.image[i])
                continue;
            again[i].append(p.key);
            againJson[i].append(k);
            p.image[i] = nullptr;
            p.readAgain[i] = true;
        }
    }
    if (!again[0].isEmpty() || !again[1].isEmpty()) {
        std::array<QHash<QByteArray, EncodedRow>, 2> fresh = m_sides.fetch(again);
        for (size_t i = 0; i < 2; ++i) {
            if (!again[i].isEmpty())
                seenAgain[i] = m_sides.lastSnapshot(i == 0);
            for (const QByteArray &k : againJson[i]) {
                rows[i].remove(k);
                if (auto it = fresh[i].find(k); it != fresh[i].end())
                    rows[i].insert(k, std::move(*it));
            }
        }
    }

    // 3. Reclassify each key against its baseline: whatever order the two sides' feeds
    // delivered in, a side that moved away from what both agreed on has changed.
    for (const QByteArray &keyJson : order) {
        Pending &p = byKey[keyJson];
        const auto src = rows[0].constFind(keyJson);
        const auto dst = rows[1].constFind(keyJson);
        const bool srcRow = src != rows[0].constEnd();
        const bool dstRow = dst != rows[1].constEnd();
        const RowHash source = srcRow ? RowHash(src->hash) : RowHash();
        const RowHash target = dstRow ? RowHash(dst->hash) : RowHash();
        const TrackedRecord *found = m_records.find(view(keyJson));
        const bool tracked = found != nullptr;
        // A key not held is agreed absent on both sides: it appeared since.
        Tracked t = tracked ? Tracked{found->state(), found->status}
                            : Tracked{RecordState{RowHash(), RowHash(), RowHash(), 0, 0},
                                      RecordStatus::InSync};
        const bool sourceMoved = p.sourceAt >= 0;
        const bool targetMoved = p.targetAt >= 0;
        // A read that does not show a commit already told is behind (PostgreSQL sends a commit
        // to logical decoding a moment before other sessions see it): the whole record waits
        // for it, so the other side's change is never judged alone. A side known from its
        // image is as the commit left it, visible or not. Where the read's snapshot and the
        // commit's transaction are known, that is exact: for a side that changed in this batch,
        // and for one whose state came from an image no read has shown yet. Elsewhere, a side
        // said to have moved that reads back as it was is taken as not visible yet.
        bool invisible = false;
        bool proven = false;
        for (size_t i = 0; i < 2; ++i) {
            if (p.image[i])
                continue;
            const bool moved = i == 0 ? sourceMoved : targetMoved;
            const std::optional<TxSnapshot> &snapshot = p.readAgain[i] ? seenAgain[i] : seen[i];
            const quint32 xid = moved ? p.xid[i] : m_unproven[i].value(keyJson, 0);
            if (xid && snapshot) {
                const bool behind = !snapshot->sees(xid);
                invisible = invisible || behind;
                proven = proven || behind;
            } else if (moved) {
                invisible = invisible || (i == 0 ? source == t.state.source : target == t.state.target);
            }
        }
        const qint64 deferredSince = p.deferredSinceMs > 0 ? p.deferredSinceMs : nowMs;
        if (invisible && later
            && (proven ? nowMs - deferredSince < ProvenWaitMs : p.rereads < MaxRereads)) {
            for (const bool side : {true, false}) {
                const qint64 at = side ? p.sourceAt : p.targetAt;
                if (at < 0)
                    continue;
                KeyChange again{side ? ChangeSide::Source : ChangeSide::Target, p.key, at, p.rereads + 1};
                if (const KeyChange *image = p.image[side ? 0 : 1]) {
                    again.image = image->image;
                    again.commitLsn = image->commitLsn;
                    again.fields = image->fields;
                }
                again.xid = p.xid[side ? 0 : 1];
                again.deferredSinceMs = deferredSince;
                later->append(std::move(again));
            }
            if (p.unknown) {
                KeyChange again{ChangeSide::Unknown, p.key, 0, p.rereads + 1};
                again.deferredSinceMs = deferredSince;
                later->append(std::move(again));
            }
            continue;
        }
        // From here on the record is as these rows say. A side taken from an image stays
        // unproven until a read shows its transaction; a side read showed all it knew of.
        for (size_t i = 0; i < 2; ++i) {
            if (p.image[i] && p.xid[i])
                m_unproven[i].insert(keyJson, p.xid[i]);
            else if (!m_unproven[i].isEmpty())
                m_unproven[i].remove(keyJson);
        }
        const RecordState previous = t.state;
        const RecordStatus previousStatus = t.status;
        t.state.source = source;
        t.state.target = target;
        if (sourceMoved)
            t.state.sourceChangedAtMs = p.sourceAt;
        if (targetMoved)
            t.state.targetChangedAtMs = p.targetAt;
        // Both sides hold the same row (or neither holds one): that is the new agreement.
        QByteArray baselineFields;
        if (source == target) {
            t.state.baseline = source;
            if (previous.baseline != t.state.baseline)
                baselineFields = srcRow ? jsonTextArray(src->fields) : QByteArray("null");
        } else if (previousStatus == RecordStatus::InSync && previous.baseline && *previous.baseline) {
            // Leaving agreement: a side still at the baseline shows the agreed field values.
            if (srcRow && source == *previous.baseline)
                baselineFields = jsonTextArray(src->fields);
            else if (dstRow && target == *previous.baseline)
                baselineFields = jsonTextArray(dst->fields);
        }
        const RecordStatus status = classify(t.state, nowMs, m_flow.direction, m_flow.slaSeconds);
        // Arrival: the side that was behind caught up; lag from the change to its arrival.
        qint64 lag = 0;
        const bool waiting = previousStatus == RecordStatus::Pending || previousStatus == RecordStatus::Late;
        if (status == RecordStatus::InSync && waiting && previous.baseline) {
            const bool sourceLed = *previous.baseline != previous.source;
            const qint64 from = sourceLed ? t.state.sourceChangedAtMs : t.state.targetChangedAtMs;
            const qint64 to = sourceLed ? t.state.targetChangedAtMs : t.state.sourceChangedAtMs;
            if (from > 0 && to > 0) {
                lag = std::max<qint64>(0, to - from);
                m_lags.recordArrival(nowMs, lag);
                m_ledger.arrival(keyJson, lag, nowMs);
            }
        }
        // What moved in the compared fields, whoever reported it (a feed or a scan).
        for (const bool side : {true, false}) {
            const RowHash &before = side ? previous.source : previous.target;
            const RowHash &after = side ? source : target;
            if (before != after)
                m_ledger.change(side, !before ? ChangeOp::Insert : !after ? ChangeOp::Delete : ChangeOp::Update,
                                nowMs);
        }
        const qint64 age = status == RecordStatus::InSync
                               ? lag
                               : pendingAgeMs(t.state, nowMs, m_flow.direction);
        if (!tracked && !source && !target)
            continue; // never held, still on no side
        if (status == RecordStatus::Conflict && previousStatus != RecordStatus::Conflict)
            m_ledger.conflictDetected(nowMs);
        if (status == RecordStatus::Late && previousStatus != RecordStatus::Late)
            m_ledger.turnedLate(keyJson, age, nowMs);
        setStatus(keyJson, t, tracked ? std::optional(previousStatus) : std::nullopt, status, age,
                  nowMs, events);
        // Still pending, but now with the time it changed (a replay after a restart names the
        // commit the first comparison could not date): the lag is news, say it again.
        const bool waitingNow = status == RecordStatus::Pending || status == RecordStatus::Late;
        if (tracked && waitingNow && previousStatus == status
            && pendingAgeMs(previous, nowMs, m_flow.direction) == 0 && age > 0)
            events.append({nowMs, m_flow.name, keyJson, status, age});
        // A change time alone matters only while the record is out of sync (lag, newest-wins).
        const bool changed = previous.source != t.state.source || previous.target != t.state.target
                             || previous.baseline != t.state.baseline || previousStatus != status
                             || (status != RecordStatus::InSync && (sourceMoved || targetMoved));
        if (!source && !target) {
            // Gone from both sides: agreed absent, which is what a key not held means.
            m_counts[size_t(RecordStatus::InSync)] =
                std::max<qint64>(0, m_counts[size_t(RecordStatus::InSync)] - 1);
            m_records.erase(view(keyJson));
            m_waiting.remove(keyJson);
            changes.upserts.append(toStored(keyJson, t, baselineFields));
            ++m_rowsSinceSnapshot;
            continue;
        }
        store(keyJson, t);
        if (changed || !baselineFields.isEmpty()) {
            changes.upserts.append(toStored(keyJson, t, baselineFields));
            ++m_rowsSinceSnapshot;
        }
    }
    m_ledger.lateRecords(m_counts[size_t(RecordStatus::Late)], nowMs);
    proveImages(nowMs, {!toRead[0].isEmpty() || !again[0].isEmpty(), !toRead[1].isEmpty() || !again[1].isEmpty()});
}

void LiveFlow::proveImages(qint64 nowMs, const std::array<bool, 2> &readNow)
{
    for (size_t i = 0; i < 2; ++i) {
        if (m_unproven[i].isEmpty() || nowMs - m_provedAtMs[i] < ProveIntervalMs)
            continue;
        m_provedAtMs[i] = nowMs;
        // A side read in this pass has a snapshot at hand; one only ever imaged (a desk whose
        // target never changes) is asked for one, once a second.
        std::optional<TxSnapshot> snapshot;
        try {
            snapshot = readNow[i] ? m_sides.lastSnapshot(i == 0) : m_sides.currentSnapshot(i == 0);
        } catch (const SyncError &) {
            continue; // the side's next read says what is wrong; the images wait for the next try
        }
        if (!snapshot) {
            m_unproven[i].clear(); // the system tells no snapshot: nothing to hold a read against
            continue;
        }
        m_unproven[i].removeIf([&snapshot](const QHash<QByteArray, quint32>::iterator &it) {
            return snapshot->sees(it.value());
        });
    }
}

void LiveFlow::tick(qint64 nowMs, QList<StatusEvent> &events)
{
    // Only the pending records whose SLA may have run out (classify(): late once older than
    // the SLA), not every record waiting: this runs every second.
    const QList<QByteArray> due = m_waiting.takePendingSince(nowMs - qint64(m_flow.slaSeconds) * 1000 - 1);
    for (const QByteArray &keyJson : due) {
        TrackedRecord *r = m_records.find(view(keyJson));
        if (!r || r->status != RecordStatus::Pending) {
            m_waiting.remove(keyJson); // cannot be: the order follows setStatus()
            continue;
        }
        Tracked t{r->state(), r->status};
        const RecordStatus status = classify(t.state, nowMs, m_flow.direction, m_flow.slaSeconds);
        if (status == t.status) {
            m_waiting.requeue(keyJson);
            continue;
        }
        const qint64 age = pendingAgeMs(t.state, nowMs, m_flow.direction);
        if (status == RecordStatus::Late)
            m_ledger.turnedLate(keyJson, age, nowMs);
        setStatus(keyJson, t, t.status, status, age, nowMs, events);
        r->status = t.status;
    }
    m_ledger.lateRecords(m_counts[size_t(RecordStatus::Late)], nowMs);
}

void LiveFlow::forEachOutOfSync(
    const std::function<void(std::string_view key, RecordStatus status, qint64 sinceMs)> &visit) const
{
    m_records.forEach([&visit](std::string_view key, const TrackedRecord &r) {
        if (r.status != RecordStatus::InSync)
            visit(key, r.status, divergedAtMs(r.state()));
    });
}

QList<QByteArray> LiveFlow::keysWith(RecordStatus status) const
{
    QList<QByteArray> keys;
    m_records.forEach([&](std::string_view key, const TrackedRecord &r) {
        if (r.status == status)
            keys.append(QByteArray(key.data(), qsizetype(key.size())));
    });
    return keys;
}

qint64 LiveFlow::oldestPendingAgeMs(qint64 nowMs) const
{
    const qint64 since = m_waiting.oldestSinceMs();
    return since > 0 ? std::max<qint64>(0, nowMs - since) : 0;
}

std::optional<RecordStatus> LiveFlow::status(const QByteArray &keyJson) const
{
    const TrackedRecord *r = m_records.find(view(keyJson));
    return r ? std::optional(r->status) : std::nullopt;
}

std::optional<RecordState> LiveFlow::state(const QByteArray &keyJson) const
{
    const TrackedRecord *r = m_records.find(view(keyJson));
    return r ? std::optional(r->state()) : std::nullopt;
}

void LiveFlow::store(const QByteArray &keyJson, const Tracked &t)
{
    TrackedRecord *r = m_records.find(view(keyJson));
    if (!r)
        r = &m_records.insert(view(keyJson));
    r->setState(t.state);
    r->status = t.status;
}

} // namespace syncdesk
