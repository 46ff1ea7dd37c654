#include "LiveFlow.h"

#include "DiffResult.h"
#include "connectors/ConnectorFactory.h"
#include "model/Canonical.h"
#include "model/Classify.h"
#include "model/JsonText.h"
#include "model/RowEncoder.h"
#include "model/SyncError.h"
#include "state/StateStore.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <future>

namespace syncdesk {

namespace {

std::string_view view(const QByteArray &bytes)
{
    return {bytes.constData(), size_t(bytes.size())};
}

// The hash standing for "an agreed row whose content is unknown": no real row hashes to it
// (a 1 in 2^64 chance, the same odds every hash comparison here takes).
constexpr quint64 UnknownAgreedRow = 0x5D5D5D5D5D5D5D5DULL;

// Canonical field texts as the JSON array the state store keeps.
QByteArray fieldsJson(const QList<std::optional<QByteArray>> &fields)
{
    QJsonArray a;
    for (const auto &f : fields)
        a.append(f ? QJsonValue(QString::fromUtf8(*f)) : QJsonValue());
    return QJsonDocument(a).toJson(QJsonDocument::Compact);
}

} // namespace

LiveFlow::LiveFlow(const Workspace &workspace, const FlowSpec &flow)
    : m_workspace(workspace), m_flow(flow), m_lags(qint64(flow.slaSeconds) * 1000)
{
}

LiveFlow::~LiveFlow() = default;

void LiveFlow::open()
{
    QList<ColumnInfo> described[2];
    for (int i = 0; i < 2; ++i) {
        const bool source = i == 0;
        const SystemSpec *system = m_workspace.system(m_flow.side(source).system);
        if (!system)
            throw SyncError(QStringLiteral("flow '%1': system '%2' is not defined")
                                .arg(m_flow.name, m_flow.side(source).system));
        auto connector = makeConnector(*system);
        connector->open();
        described[i] = connector->describe(m_flow.side(source).table,
                                           FlowPlan::columnNames(m_flow, source));
        m_tables[size_t(i)] = connector->qualified(m_flow.side(source).table);
        m_connectors[i] = std::move(connector);
    }
    m_plan = FlowPlan::resolve(m_flow, described[0], described[1]);
    m_plan.source.table = m_tables[0];
    m_plan.target.table = m_tables[1];
    m_encoder = std::make_unique<RowEncoder>(m_plan.keyClasses, m_plan.fieldClasses, false);
    if (m_connectors[0]->system().kind == SystemKind::Postgres
        && m_connectors[1]->system().kind == SystemKind::Postgres)
        m_sourceEncoder =
            std::make_unique<RowEncoder>(m_plan.keyClasses, m_plan.fieldClasses, false);
}

void LiveFlow::close()
{
    m_connectors[0].reset();
    m_connectors[1].reset();
    m_encoder.reset();
    m_sourceEncoder.reset();
}

KeyText LiveFlow::keyText(const QByteArray &keyJson)
{
    KeyText key;
    const QJsonArray a = QJsonDocument::fromJson(keyJson).array();
    for (const QJsonValue &v : a)
        key.append(jsonScalarText(v));
    return key;
}

StoredBaseline LiveFlow::toStored(const QByteArray &keyJson, const Tracked &t,
                                  const QByteArray &fieldValues) const
{
    StoredBaseline b;
    b.flow = m_flow.name;
    b.keyJson = keyJson;
    b.hash = t.state.baseline ? *t.state.baseline : RowHash();
    b.fieldValues = fieldValues;
    b.sourceChangedAtMs = t.state.sourceChangedAtMs;
    b.targetChangedAtMs = t.state.targetChangedAtMs;
    return b;
}

void LiveFlow::setStatus(const QByteArray &keyJson, Tracked &t, std::optional<RecordStatus> from,
                         RecordStatus to, qint64 lagMs, qint64 nowMs, QList<StatusEvent> &events)
{
    if (from == to)
        return;
    if (from)
        m_counts[size_t(*from)] = std::max<qint64>(0, m_counts[size_t(*from)] - 1);
    ++m_counts[size_t(to)];
    t.status = to;
    events.append({nowMs, m_flow.name, keyJson, to, lagMs});
}

void LiveFlow::untrack(const QByteArray &keyJson, bool present, qint64 lagMs, qint64 nowMs,
                       QList<StatusEvent> &events, StateChanges &changes)
{
    const TrackedRecord *record = m_records.find(view(keyJson));
    if (!record)
        return;
    --m_counts[size_t(record->status)];
    if (present) // on both sides and equal: one more record in sync (gone from both: none)
        ++m_counts[size_t(RecordStatus::InSync)];
    m_records.erase(view(keyJson));
    changes.removals.append({m_flow.name, keyJson});
    events.append({nowMs, m_flow.name, keyJson, RecordStatus::InSync, lagMs});
}

void LiveFlow::load(const DiffResult &diff, const QList<StoredBaseline> &stored, qint64 nowMs,
                    QList<StatusEvent> &events, StateChanges &changes)
{
    m_records.clear();
    m_counts.fill(0);
    m_counts[size_t(RecordStatus::InSync)] = diff.inSync;
    QHash<QByteArray, const StoredBaseline *> baselines;
    for (const StoredBaseline &b : stored)
        baselines.insert(b.keyJson, &b);
    for (const RecordDiff &d : diff.records) {
        Tracked t;
        t.state.source = d.sourceHash;
        t.state.target = d.targetHash;
        if (const StoredBaseline *b = baselines.take(d.keyJson)) {
            t.state.baseline = b->hash;
            t.state.sourceChangedAtMs = b->sourceChangedAtMs;
            t.state.targetChangedAtMs = b->targetChangedAtMs;
        }
        const RecordStatus status = classify(t.state, nowMs, m_flow.direction, m_flow.slaSeconds);
        if (status == RecordStatus::InSync)
            continue;
        setStatus(d.keyJson, t, std::nullopt, status,
                  pendingAgeMs(t.state, nowMs, m_flow.direction), nowMs, events);
        store(d.keyJson, t);
    }
    // Baselines of records that came back in sync while nobody watched.
    for (auto it = baselines.cbegin(); it != baselines.cend(); ++it)
        changes.removals.append({m_flow.name, it.key()});
}

QList<KeyChange> LiveFlow::suspects(const DiffResult &diff) const
{
    QList<KeyChange> out;
    QSet<QByteArray> seen;
    for (const RecordDiff &d : diff.records) {
        seen.insert(d.keyJson);
        const TrackedRecord *r = m_records.find(view(d.keyJson));
        if (!r || r->state().source != d.sourceHash || r->state().target != d.targetHash)
            out.append({ChangeSide::Unknown, keyText(d.keyJson), 0});
    }
    m_records.forEach([&](std::string_view key, const TrackedRecord &) {
        const QByteArray keyJson(key.data(), qsizetype(key.size()));
        if (!seen.contains(keyJson))
            out.append({ChangeSide::Unknown, keyText(keyJson), 0});
    });
    return out;
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
    };
    QHash<QByteArray, Pending> byKey;
    QList<QByteArray> order;
    for (const KeyChange &c : keyChanges) {
        const std::optional<QByteArray> json = tryKeyJson(c.key);
        if (!json)
            continue; // a key that cannot be one of this flow's (wrong arity or type)
        const QByteArray &keyJson = *json;
        auto it = byKey.find(keyJson);
        if (it == byKey.end()) {
            it = byKey.insert(keyJson, {c.key, -1, -1, false});
            order.append(keyJson);
        }
        it->rereads = std::max(it->rereads, c.rereads);
        const qint64 at = c.changedAtMs > 0 ? c.changedAtMs : nowMs;
        if (c.side == ChangeSide::Source)
            it->sourceAt = std::max(it->sourceAt, at);
        else if (c.side == ChangeSide::Target)
            it->targetAt = std::max(it->targetAt, at);
        else
            it->unknown = true;
    }

    // 2. Both sides' current rows for the whole batch: two round trips.
    QList<KeyText> keys;
    for (const QByteArray &k : order)
        keys.append(byKey[k].key);
    QList<EncodedRow> fetched[2];
    if (m_sourceEncoder) {
        // Two PostgreSQL systems: both round trips at once (each side has its own connection
        // and encoder), which halves the time a change waits for its status.
        auto source = std::async(std::launch::async, [&] {
            return m_connectors[0]->fetch(m_plan.source, *m_sourceEncoder, keys);
        });
        fetched[1] = m_connectors[1]->fetch(m_plan.target, *m_encoder, keys);
        fetched[0] = source.get();
    } else {
        // SQLite connections belong to the thread that opened them: one after the other.
        for (int i = 0; i < 2; ++i)
            fetched[i] = m_connectors[i]->fetch(m_plan.request(i == 0), *m_encoder, keys);
    }
    QHash<QByteArray, EncodedRow> rows[2];
    for (int i = 0; i < 2; ++i) {
        for (EncodedRow &r : fetched[i])
            rows[i].insert(r.keyJson, std::move(r));
    }

    // 3. Reclassify each key.
    for (const QByteArray &keyJson : order) {
        Pending &p = byKey[keyJson];
        // A feed's word on which side moved beats a scan's "something differs".
        p.unknown = p.unknown && p.sourceAt < 0 && p.targetAt < 0;
        const auto src = rows[0].constFind(keyJson);
        const auto dst = rows[1].constFind(keyJson);
        const RowHash source = src != rows[0].constEnd() ? RowHash(src->hash) : RowHash();
        const RowHash target = dst != rows[1].constEnd() ? RowHash(dst->hash) : RowHash();
        const TrackedRecord *found = m_records.find(view(keyJson));
        const bool tracked = found != nullptr;
        Tracked t = tracked ? Tracked{found->state(), found->status} : Tracked{};
        const bool sourceMoved = p.sourceAt >= 0;
        const bool targetMoved = p.targetAt >= 0;
        // A side said to have moved but read back as it was: not visible yet, read it again.
        const RecordState known = tracked ? t.state : RecordState{};
        const bool invisible =
            tracked ? ((sourceMoved && source == known.source && !targetMoved)
                       || (targetMoved && target == known.target && !sourceMoved))
                    : (sourceMoved != targetMoved && source == target);
        if (invisible && later && p.rereads < MaxRereads) {
            for (const bool side : {true, false}) {
                const qint64 at = side ? p.sourceAt : p.targetAt;
                if (at >= 0)
                    later->append({side ? ChangeSide::Source : ChangeSide::Target, p.key, at,
                                   p.rereads + 1});
            }
            continue;
        }
        // A record leaves agreement through one side: the other side still holds what both
        // agreed on, so that becomes the baseline (also for a first-comparison difference,
        // once we learn which side moved).
        QByteArray baselineFields;
        if (!t.state.baseline && !p.unknown && sourceMoved != targetMoved) {
            const bool fromTarget = sourceMoved; // the side that did not move
            const auto &holder = fromTarget ? dst : src;
            const bool present = holder != rows[fromTarget ? 1 : 0].constEnd();
            t.state.baseline = present ? RowHash(holder->hash) : RowHash();
            baselineFields = present ? fieldsJson(holder->fields) : QByteArray("null");
        } else if (!tracked && sourceMoved && targetMoved) {
            // Both sides left the row they agreed on within one batch: whatever that row was,
            // neither still holds it, so if they now differ it is a conflict. Its content is
            // gone (feeds carry no old values), hence a baseline known only by that fact.
            t.state.baseline = RowHash(UnknownAgreedRow);
        }
        const RecordState previous = t.state;
        t.state.source = source;
        t.state.target = target;
        if (sourceMoved)
            t.state.sourceChangedAtMs = p.sourceAt;
        if (targetMoved)
            t.state.targetChangedAtMs = p.targetAt;

        const RecordStatus status = classify(t.state, nowMs, m_flow.direction, m_flow.slaSeconds);
        if (status == RecordStatus::InSync) {
            if (!tracked) {
                // Still (or again) in sync; unless both sides just deleted a record they held.
                if (!source && sourceMoved && targetMoved)
                    m_counts[size_t(RecordStatus::InSync)] =
                        std::max<qint64>(0, m_counts[size_t(RecordStatus::InSync)] - 1);
                continue;
            }
            // Arrival: the side that was behind caught up; lag from the change to its arrival.
            qint64 lag = 0;
            const bool waiting = t.status == RecordStatus::Pending || t.status == RecordStatus::Late;
            if (waiting && previous.baseline) {
                const bool sourceLed = *previous.baseline != previous.source;
                const qint64 from = sourceLed ? t.state.sourceChangedAtMs : t.state.targetChangedAtMs;
                const qint64 to = sourceLed ? t.state.targetChangedAtMs : t.state.sourceChangedAtMs;
                if (from > 0 && to > 0) {
                    lag = std::max<qint64>(0, to - from);
                    m_lags.recordArrival(nowMs, lag);
                }
            }
            untrack(keyJson, source.has_value(), lag, nowMs, events, changes);
            continue;
        }
        // Newly tracked: it was counted in sync if both sides held the agreed row.
        std::optional<RecordStatus> from = t.status;
        if (!tracked)
            from = previous.baseline && *previous.baseline ? std::optional(RecordStatus::InSync)
                                                           : std::nullopt;
        setStatus(keyJson, t, from, status, pendingAgeMs(t.state, nowMs, m_flow.direction), nowMs,
                  events);
        store(keyJson, t);
        if (!baselineFields.isEmpty() || !tracked || sourceMoved || targetMoved)
            changes.upserts.append(toStored(keyJson, t, baselineFields));
    }
}

void LiveFlow::tick(qint64 nowMs, QList<StatusEvent> &events)
{
    m_records.forEach([&](std::string_view key, TrackedRecord &r) {
        if (r.status != RecordStatus::Pending)
            return;
        Tracked t{r.state(), r.status};
        const RecordStatus status = classify(t.state, nowMs, m_flow.direction, m_flow.slaSeconds);
        if (status == t.status)
            return;
        setStatus(QByteArray(key.data(), qsizetype(key.size())), t, t.status, status,
                  pendingAgeMs(t.state, nowMs, m_flow.direction), nowMs, events);
        r.status = t.status;
    });
}

QByteArray LiveFlow::keyJson(const KeyText &key)
{
    const std::optional<QByteArray> json = tryKeyJson(key);
    if (!json)
        throw SyncError(QStringLiteral("flow '%1': the key needs %2 value(s) of the key's type")
                            .arg(m_flow.name).arg(m_plan.keyClasses.size()));
    return *json;
}

std::optional<QByteArray> LiveFlow::tryKeyJson(const KeyText &key)
{
    std::vector<QByteArray> utf8;
    std::vector<RawValue> raw;
    for (const auto &v : key) {
        if (!v)
            return std::nullopt; // a NULL key part names no record
        utf8.push_back(v->toUtf8());
    }
    for (size_t i = 0; i < utf8.size(); ++i)
        raw.push_back(key[qsizetype(i)] ? RawValue::text({utf8[i].constData(), size_t(utf8[i].size())})
                                        : RawValue::null());
    std::string encoded;
    QByteArray json;
    if (raw.size() != size_t(m_plan.keyClasses.size())
        || !m_encoder->encodeKey(raw.data(), encoded, json))
        return std::nullopt;
    return json;
}

RecordDetail LiveFlow::detail(const KeyText &key, const std::optional<StoredBaseline> &stored,
                              qint64 nowMs)
{
    return details({key}, [&stored](const QByteArray &) { return stored; }, nowMs).first();
}

QList<RecordDetail> LiveFlow::details(
    const QList<KeyText> &keys,
    const std::function<std::optional<StoredBaseline>(const QByteArray &keyJson)> &stored, qint64 nowMs)
{
    QHash<QByteArray, EncodedRow> rows[2];
    for (int i = 0; i < 2; ++i)
        for (EncodedRow &row : m_connectors[i]->fetch(m_plan.request(i == 0), *m_encoder, keys))
            rows[i].insert(row.keyJson, std::move(row));
    QList<RecordDetail> out;
    out.reserve(keys.size());
    for (const KeyText &key : keys) {
        RecordDetail &d = out.emplace_back();
        d.flow = m_flow.name;
        d.keyJson = keyJson(key);
        const auto source = rows[0].constFind(d.keyJson);
        const auto target = rows[1].constFind(d.keyJson);
        const EncodedRow *side[2] = {source != rows[0].cend() ? &*source : nullptr,
                                     target != rows[1].cend() ? &*target : nullptr};
        d.state.source = side[0] ? RowHash(side[0]->hash) : RowHash();
        d.state.target = side[1] ? RowHash(side[1]->hash) : RowHash();
        QJsonArray baselineValues;
        bool baselineFieldsKnown = false;
        if (const std::optional<StoredBaseline> b = stored(d.keyJson)) {
            d.state.baseline = b->hash;
            d.state.sourceChangedAtMs = b->sourceChangedAtMs;
            d.state.targetChangedAtMs = b->targetChangedAtMs;
            const QJsonDocument doc = QJsonDocument::fromJson(b->fieldValues);
            baselineFieldsKnown = doc.isArray() || (doc.isNull() && b->fieldValues == "null");
            baselineValues = doc.array(); // "null": the agreed state had no row
        }
        d.status = classify(d.state, nowMs, m_flow.direction, m_flow.slaSeconds);
        d.lagMs = pendingAgeMs(d.state, nowMs, m_flow.direction);
        for (qsizetype f = 0; f < m_flow.fields.size(); ++f) {
            FieldDetail fd;
            fd.name = m_flow.fields[f].source;
            fd.source = side[0] ? side[0]->fields.value(f) : FieldText();
            fd.target = side[1] ? side[1]->fields.value(f) : FieldText();
            if (baselineFieldsKnown) {
                const QJsonValue v = baselineValues.at(f);
                fd.baseline = v.isString() ? FieldText(v.toString().toUtf8()) : FieldText();
            }
            fd.change = classifyField(fd.source, fd.target, fd.baseline);
            d.fields.append(std::move(fd));
        }
    }
    return out;
}

std::unique_ptr<RowLock> LiveFlow::lockRow(bool sourceSide, const KeyText &key)
{
    return m_connectors[sourceSide ? 0 : 1]->lockRow(m_plan.request(sourceSide), *m_encoder, key);
}

QList<BoundStatement> LiveFlow::writeStatements(bool sourceSide, const KeyText &key, bool exists,
                                                const std::optional<QList<FieldText>> &values)
{
    return m_connectors[sourceSide ? 0 : 1]->writeStatements(m_plan.request(sourceSide), key,
                                                             exists, values);
}

std::optional<QByteArray> LiveFlow::canonicalValue(qsizetype field, const QString &text) const
{
    const FieldClass cls = m_plan.fieldClasses.value(field, FieldClass::Text);
    const QByteArray utf8 = cls == FieldClass::Bytes ? text.toUtf8().toLower() : text.toUtf8();
    const std::string_view view(utf8.constData(), size_t(utf8.size()));
    if (cls == FieldClass::Bytes) {
        // Bytes are given as hex digits, as they are shown.
        if (utf8.size() % 2 != 0 || QByteArray::fromHex(utf8).toHex() != utf8)
            return std::nullopt;
    }
    std::string out;
    const RawValue raw = cls == FieldClass::Bytes ? RawValue::hex(view) : RawValue::text(view);
    if (canonical::append(cls, raw, out) != cls)
        return std::nullopt;
    return QByteArray(out.data(), qsizetype(out.size()));
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
    qint64 oldest = 0;
    m_records.forEach([&](std::string_view, const TrackedRecord &r) {
        if (r.status == RecordStatus::Pending || r.status == RecordStatus::Late)
            oldest = std::max(oldest, pendingAgeMs(r.state(), nowMs, m_flow.direction));
    });
    return oldest;
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
