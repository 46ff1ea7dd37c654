#pragma once

#include "FlowPlan.h"
#include "RecordDetail.h"
#include "connectors/Connector.h"
#include "model/Classify.h"
#include "model/Workspace.h"
#include "state/StateStore.h"

#include <QByteArray>
#include <QHash>
#include <QList>

#include <array>
#include <optional>
#include <functional>
#include <memory>

namespace syncdesk {

class RowEncoder;

// Both sides of one flow opened for readers: the connectors, the resolved plan, and what is
// read through them (changed rows for the live engine, the three-way detail view, row locks
// and the statements of a resolution). It keeps no state of the records: that is LiveFlow's.
class FlowSides
{
public:
    FlowSides(const Workspace &workspace, const FlowSpec &flow);
    ~FlowSides();
    FlowSides(const FlowSides &) = delete;
    FlowSides &operator=(const FlowSides &) = delete;

    // Connects both sides and resolves the plan. Throws SyncError.
    void open();
    [[nodiscard]] bool isOpen() const { return m_encoder != nullptr; }
    void close();
    // Reads both tables' catalogue entries again (cheap: no rows): nullopt while the compared
    // columns are as when opened, what changed when one was retyped; throws SyncError when a
    // table or column is gone (renamed, dropped).
    [[nodiscard]] std::optional<QString> schemaChange();

    [[nodiscard]] const FlowSpec &spec() const { return m_flow; }
    [[nodiscard]] const FlowPlan &plan() const { return m_plan; }
    [[nodiscard]] TableRef table(bool sourceSide) const { return m_tables[sourceSide ? 0 : 1]; }

    // Both sides' current rows of `keys`, by key JSON: [0] the source, [1] the target. Two
    // PostgreSQL systems are read at once. Throws SyncError.
    // Throws SyncError when a side whose system tells its schema version cheaply changed the
    // flow's tables since open() (see schemaChange()); called before each fetch().
    void checkSchemaVersions();
    [[nodiscard]] std::array<QHash<QByteArray, EncodedRow>, 2> fetch(const QList<KeyText> &keys);
    // The same with keys of its own for each side (none: that side is not read).
    [[nodiscard]] std::array<QHash<QByteArray, EncodedRow>, 2> fetch(const std::array<QList<KeyText>, 2> &keys);

    // A change stream's row image (RowImage::Row: the plan's field values as the system prints
    // them) encoded as a fetch() of that row would be; nullopt for a key of the wrong shape.
    [[nodiscard]] std::optional<EncodedRow> encodeImage(bool sourceSide, const KeyText &key,
                                                        const QList<std::optional<QByteArray>> &fields);
    // Whether an image of a commit at `commitLsn` on that side is newer than everything
    // fetch() read there since forgetReads(): only then may it stand in for a read, since a
    // read past it would be undone by the older image. Nothing is trusted before a first read.
    [[nodiscard]] bool imageTrusted(bool sourceSide, quint64 commitLsn) const
    {
        const size_t i = sourceSide ? 0 : 1;
        return m_horizonKnown[i] && commitLsn > m_horizon[i];
    }
    // Rows were read elsewhere (a comparison's scan): until a fetch() of a side says how far
    // its reads went, no image of it is trusted.
    void forgetReads() { m_horizonKnown = {false, false}; }
    // Which transactions the last fetch() of a side saw (nullopt: its system does not tell).
    [[nodiscard]] const std::optional<TxSnapshot> &lastSnapshot(bool sourceSide) const
    {
        return m_snapshots[sourceSide ? 0 : 1];
    }
    // The same for a read of that side made now.
    [[nodiscard]] std::optional<TxSnapshot> currentSnapshot(bool sourceSide);

    // The canonical JSON of a key given as text; throws SyncError for a key of the wrong shape.
    [[nodiscard]] QByteArray keyJson(const KeyText &key);
    // The same, or nullopt for a key that cannot be one of this flow's (wrong arity or type).
    [[nodiscard]] std::optional<QByteArray> tryKeyJson(const KeyText &key);
    // The key columns' values of a key JSON array, as fetch() takes them.
    [[nodiscard]] static KeyText keyText(const QByteArray &keyJson);

    // One record read fresh from both sides and set against its stored baseline (the
    // three-way view). `stored`: the state store's baseline for it, if any.
    [[nodiscard]] RecordDetail detail(const KeyText &key, const std::optional<StoredBaseline> &stored,
                                      qint64 nowMs);
    // The same for many records at once: one read per side (the records view's visible rows).
    // `stored` gives each key's (JSON) stored baseline.
    [[nodiscard]] QList<RecordDetail> details(
        const QList<KeyText> &keys,
        const std::function<std::optional<StoredBaseline>(const QByteArray &keyJson)> &stored, qint64 nowMs);
    // One record's row on one side under that system's write lock (Connector::lockRow).
    [[nodiscard]] std::unique_ptr<RowLock> lockRow(bool sourceSide, const KeyText &key);
    // Several records' rows on one side under one lock (a policy's batch).
    [[nodiscard]] std::unique_ptr<RowLock> lockRows(bool sourceSide, const QList<KeyText> &keys);
    // The statements that lock and then write it (Connector::writeStatements): the preview.
    // What the preview and the audit must say about how the side's writes are guarded.
    [[nodiscard]] QString writeNote(bool sourceSide);
    [[nodiscard]] QList<BoundStatement> writeStatements(bool sourceSide, const KeyText &key,
                                                        bool exists,
                                                        const std::optional<QList<FieldText>> &values);
    // `text` as field `field`'s canonical text, or nullopt when it is not a value of the
    // field's class ("n/a" for a number).
    [[nodiscard]] std::optional<QByteArray> canonicalValue(qsizetype field, const QString &text) const;

private:
    const Workspace &m_workspace;
    FlowSpec m_flow;
    FlowPlan m_plan;
    std::array<TableRef, 2> m_tables;
    QList<ColumnInfo> m_described[2]; // as open() found them
    std::array<std::optional<qint64>, 2> m_schemaVersions; // Connector::schemaVersion() at open()
    std::unique_ptr<Connector> m_connectors[2];
    std::unique_ptr<RowEncoder> m_encoder;
    std::unique_ptr<RowEncoder> m_sourceEncoder; // set when the source is fetched in parallel
    // Per side: at or past every commit fetch() could have seen (Connector::lastReadHorizon()).
    std::array<quint64, 2> m_horizon{};
    std::array<bool, 2> m_horizonKnown{};
    std::array<std::optional<TxSnapshot>, 2> m_snapshots; // of the last fetch() per side
};

} // namespace syncdesk
