#include "FlowSides.h"

#include "connectors/ConnectorFactory.h"
#include "connectors/PgOutputColumns.h"
#include "model/Canonical.h"
#include "model/JsonText.h"
#include "model/RowEncoder.h"
#include "model/SyncError.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <future>

namespace syncdesk {

FlowSides::FlowSides(const Workspace &workspace, const FlowSpec &flow)
    : m_workspace(workspace), m_flow(flow)
{
}

FlowSides::~FlowSides() = default;

void FlowSides::open()
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
        m_schemaVersions[size_t(i)] = connector->schemaVersion();
        m_connectors[i] = std::move(connector);
    }
    m_plan = FlowPlan::resolve(m_flow, described[0], described[1]);
    m_described[0] = described[0];
    m_described[1] = described[1];
    m_plan.source.table = m_tables[0];
    m_plan.target.table = m_tables[1];
    m_encoder = std::make_unique<RowEncoder>(m_plan.keyClasses, m_plan.fieldClasses, false);
    if (m_connectors[0]->system().kind == SystemKind::Postgres
        && m_connectors[1]->system().kind == SystemKind::Postgres)
        m_sourceEncoder =
            std::make_unique<RowEncoder>(m_plan.keyClasses, m_plan.fieldClasses, false);
}

std::optional<QString> FlowSides::schemaChange()
{
    for (int i = 0; i < 2; ++i) {
        const bool source = i == 0;
        // Throws, naming the table or column, when one the flow compares is gone: in the
        // words open() would use, since a retry of it says the same.
        const QList<ColumnInfo> now =
            m_connectors[i]->describe(m_flow.side(source).table, FlowPlan::columnNames(m_flow, source));
        for (qsizetype c = 0; c < now.size() && c < m_described[i].size(); ++c) {
            const ColumnInfo &was = m_described[i][c];
            if (now[c].typeName != was.typeName || now[c].byteOrdered != was.byteOrdered)
                return QStringLiteral("%1: column '%2' of %3 is now %4 (was %5)")
                    .arg(m_flow.side(source).system, now[c].name, m_tables[size_t(i)].display(),
                         now[c].typeName, was.typeName);
        }
    }
    return std::nullopt;
}

void FlowSides::close()
{
    forgetReads();
    m_connectors[0].reset();
    m_connectors[1].reset();
    m_encoder.reset();
    m_sourceEncoder.reset();
}

KeyText FlowSides::keyText(const QByteArray &keyJson)
{
    KeyText key;
    const QJsonArray a = QJsonDocument::fromJson(keyJson).array();
    for (const QJsonValue &v : a)
        key.append(jsonScalarText(v));
    return key;
}

QByteArray FlowSides::keyJson(const KeyText &key)
{
    const std::optional<QByteArray> json = tryKeyJson(key);
    if (!json)
        throw SyncError(QStringLiteral("flow '%1': the key needs %2 value(s) of the key's type")
                            .arg(m_flow.name).arg(m_plan.keyClasses.size()));
    return *json;
}

std::optional<QByteArray> FlowSides::tryKeyJson(const KeyText &key)
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

RecordDetail FlowSides::detail(const KeyText &key, const std::optional<StoredBaseline> &stored,
                              qint64 nowMs)
{
    return details({key}, [&stored](const QByteArray &) { return stored; }, nowMs).first();
}

QList<RecordDetail> FlowSides::details(
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
        if (const std::optional<StoredBaseline> b = stored(d.keyJson); b && b->known) {
            d.state.baseline = b->hash;
            d.state.sourceChangedAtMs = b->sourceChangedAtMs;
            d.state.targetChangedAtMs = b->targetChangedAtMs;
            const QJsonDocument doc = QJsonDocument::fromJson(b->fieldValues);
            baselineFieldsKnown = doc.isArray() || (doc.isNull() && b->fieldValues == "null");
            baselineValues = doc.array(); // "null": the agreed state had no row
        }
        d.status = classify(d.state, nowMs, m_flow.direction, m_flow.slaSeconds);
        d.lagMs = pendingAgeMs(d.state, nowMs, m_flow.direction);
        d.divergedAtMs = divergedAtMs(d.state);
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

std::unique_ptr<RowLock> FlowSides::lockRow(bool sourceSide, const KeyText &key)
{
    return lockRows(sourceSide, {key});
}

std::unique_ptr<RowLock> FlowSides::lockRows(bool sourceSide, const QList<KeyText> &keys)
{
    return m_connectors[sourceSide ? 0 : 1]->lockRows(m_plan.request(sourceSide), *m_encoder, keys);
}

QString FlowSides::writeNote(bool sourceSide)
{
    return m_connectors[sourceSide ? 0 : 1]->writeNote(m_plan.request(sourceSide));
}

QList<BoundStatement> FlowSides::writeStatements(bool sourceSide, const KeyText &key, bool exists,
                                                const std::optional<QList<FieldText>> &values)
{
    return m_connectors[sourceSide ? 0 : 1]->writeStatements(m_plan.request(sourceSide), key,
                                                             exists, values);
}

std::optional<QByteArray> FlowSides::canonicalValue(qsizetype field, const QString &text) const
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

void FlowSides::checkSchemaVersions()
{
    for (size_t i = 0; i < 2; ++i) {
        if (!m_schemaVersions[i])
            continue;
        const std::optional<qint64> now = m_connectors[i]->schemaVersion();
        if (now == m_schemaVersions[i])
            continue;
        // Rows read with the old types would pass for changes (a table copied into a retyped
        // one rewrites them all): the engine sees to the change first (LiveEngine).
        if (const std::optional<QString> change = schemaChange())
            throw SyncError(QStringLiteral("flow '%1': schema changed: %2").arg(m_flow.name, *change));
        m_schemaVersions[i] = now; // another table, an index: nothing to this flow
    }
}

std::array<QHash<QByteArray, EncodedRow>, 2> FlowSides::fetch(const QList<KeyText> &keys)
{
    return fetch(std::array<QList<KeyText>, 2>{keys, keys});
}

std::array<QHash<QByteArray, EncodedRow>, 2> FlowSides::fetch(const std::array<QList<KeyText>, 2> &keys)
{
    checkSchemaVersions();
    QList<EncodedRow> fetched[2];
    if (m_sourceEncoder && !keys[0].isEmpty() && !keys[1].isEmpty()) {
        // Two PostgreSQL systems: both round trips at once (each side has its own connection
        // and encoder), which halves the time a change waits for its status.
        auto source = std::async(std::launch::async, [&] {
            return m_connectors[0]->fetch(m_plan.source, *m_sourceEncoder, keys[0]);
        });
        fetched[1] = m_connectors[1]->fetch(m_plan.target, *m_encoder, keys[1]);
        fetched[0] = source.get();
    } else {
        // SQLite connections belong to the thread that opened them: one after the other.
        for (int i = 0; i < 2; ++i) {
            if (!keys[size_t(i)].isEmpty())
                fetched[i] = m_connectors[i]->fetch(m_plan.request(i == 0), *m_encoder, keys[size_t(i)]);
        }
    }
    std::array<QHash<QByteArray, EncodedRow>, 2> rows;
    for (int i = 0; i < 2; ++i) {
        if (keys[size_t(i)].isEmpty())
            continue;
        // Known only as far as every read of the side tells it.
        const quint64 horizon = m_connectors[i]->lastReadHorizon();
        m_horizonKnown[size_t(i)] = horizon != 0;
        m_horizon[size_t(i)] = std::max(m_horizon[size_t(i)], horizon);
        m_snapshots[size_t(i)] = m_connectors[i]->lastReadSnapshot();
        for (EncodedRow &r : fetched[i])
            rows[size_t(i)].insert(r.keyJson, std::move(r));
    }
    return rows;
}

std::optional<TxSnapshot> FlowSides::currentSnapshot(bool sourceSide)
{
    return m_connectors[sourceSide ? 0 : 1]->currentSnapshot();
}

std::optional<EncodedRow> FlowSides::encodeImage(bool sourceSide, const KeyText &key,
                                                 const QList<std::optional<QByteArray>> &fields)
{
    const ScanRequest &request = m_plan.request(sourceSide);
    if (key.size() != request.keys.size() || fields.size() != request.fields.size())
        return std::nullopt;
    std::vector<QByteArray> keyUtf8;
    keyUtf8.reserve(size_t(key.size()));
    std::vector<RawValue> values;
    values.reserve(size_t(key.size() + fields.size()));
    for (const std::optional<QString> &k : key) {
        if (!k)
            return std::nullopt;
        keyUtf8.push_back(k->toUtf8());
        values.push_back(RawValue::text({keyUtf8.back().constData(), size_t(keyUtf8.back().size())}));
    }
    for (const std::optional<QByteArray> &f : fields)
        values.push_back(f ? RawValue::text({f->constData(), size_t(f->size())}) : RawValue::null());
    // The same adjustments as a read of the row (char(n) padding, bytea's \x).
    OutputColumns(request).adjust(values);
    EncodedRow row;
    if (!m_encoder->encodeRow(values.data(), values.data() + key.size(), row))
        return std::nullopt;
    return row;
}

} // namespace syncdesk
