#pragma once

#include "engine/RecordDetail.h"
#include "model/KeyTable.h"
#include "session/SessionTypes.h"
#include "state/StateStore.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QStringList>

#include <string_view>
#include <vector>

class QTimer;

namespace syncdesk::ui {

// Every record that is not in sync, of every flow, as one table: flow, key, status, lag and
// when it fell out of sync. Built for a million live rows:
// - rows are kept once; the view order is a vector of row numbers, kept sorted, and what is
//   shown is that order filtered by flow, status and key text (one pass, no re-sort);
// - live status events are coalesced and applied together every `coalesceMs`: the changed
//   rows are merged into the order (O(n + k log k)) and the view gets one layoutChanged, with
//   the selection kept;
// - sorting by lag is sorting by "since", which does not move as the clock does.
class RecordsModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        FlowColumn, KeyColumn, StatusColumn, LagColumn, ChangedColumn, SourceChangedColumn,
        TargetChangedColumn, SinceColumn, ClaimColumn, ColumnCount
    };
    enum Role { FlowRole = Qt::UserRole + 1, KeyJsonRole, StatusRole };

    explicit RecordsModel(QObject *parent = nullptr, int coalesceMs = 250);

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    // Sorts by a column of what every row holds (not the changed fields or change times).
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    [[nodiscard]] static bool sortable(int column)
    {
        return column >= 0 && column < ColumnCount && column != ChangedColumn
               && column != SourceChangedColumn && column != TargetChangedColumn && column != ClaimColumn;
    }
    [[nodiscard]] int sortColumn() const { return m_sortColumn; }
    [[nodiscard]] Qt::SortOrder sortOrder() const { return m_sortOrder; }

    // Replaces every row of `records.flow`.
    void setFlowRecords(const FlowRecords &records);
    // Queues live changes; they show at the next coalesced update (or flushPending()).
    void addEvents(const QList<StatusEvent> &events);
    void flushPending();

    // Filters: flows (empty: all), statuses (empty: all), key text (a substring of the key).
    void setFlowFilter(const QStringList &flows);
    void setStatusFilter(const QList<RecordStatus> &statuses);
    void setKeyFilter(const QString &text);
    // The clock lags are shown against; the console moves it every second.
    void setNow(qint64 nowMs);

    // The changed fields and each side's change time come from reading the records, which only
    // pays for rows on screen: a loader asks which of rows [first, last] have none (or an
    // outdated one), reads them, and hands them back. A live change to a row drops its summary.
    struct Summary
    {
        QString changedFields; // "price (conflict), qty (source)"
        qint64 sourceChangedAtMs = 0;
        qint64 targetChangedAtMs = 0;
    };
    struct RecordRef
    {
        QString flow;
        QByteArray keyJson;
    };
    [[nodiscard]] QList<RecordRef> rowsWithoutSummary(int first, int last) const;
    void setSummaries(const QString &flow, const QList<RecordDetail> &details);
    // Marks every summary outdated (kept on screen until the new one arrives).
    void expireSummaries();

    [[nodiscard]] qint64 totalRecords() const { return m_alive; }
    // Rows held, in sync or not (rows back in sync are dropped once they are most of them).
    [[nodiscard]] qint64 storedRows() const { return m_rows.size(); }
    [[nodiscard]] QString flowAt(int row) const;
    [[nodiscard]] QByteArray keyAt(int row) const;
    [[nodiscard]] RecordStatus statusAt(int row) const;

    // The claims that hold now (every flow's): shown in the "Claimed by" column.
    void setClaims(const QList<Claim> &claims);
    [[nodiscard]] std::optional<Claim> claimAt(int row) const;

private:
    // 16 bytes; with its key in the table's arena, the table's index and the two orders that is
    // about 40 bytes per record beyond the key: a million rows fit next to everything else.
    struct Row
    {
        qint64 sinceMs = 0;
        quint16 flow = 0;
        quint8 status = 0; // RecordStatus
    };

    [[nodiscard]] quint16 flowIndex(const QString &flow);
    // A row's key (its canonical JSON), without the flow prefix the table keys it by.
    [[nodiscard]] std::string_view keyOf(quint32 row) const { return m_rows.keyAt(row).substr(2); }
    [[nodiscard]] const Row &rowAt(quint32 row) const { return m_rows.valueAt(row); }
    [[nodiscard]] RecordStatus statusOf(quint32 row) const { return RecordStatus(rowAt(row).status); }
    [[nodiscard]] bool alive(quint32 row) const { return statusOf(row) != RecordStatus::InSync; }
    [[nodiscard]] bool less(quint32 a, quint32 b) const;
    [[nodiscard]] bool visible(quint32 row) const;
    // The row of (flow, key), or npos.
    [[nodiscard]] quint32 find(quint16 flow, std::string_view key) const;
    // Sets one row from a change; returns its row number.
    quint32 upsert(quint16 flow, const QByteArray &key, RecordStatus status, qint64 sinceMs);
    // Rebuilds m_visible from m_order under one layout change, keeping persistent indexes.
    void refilter();
    // Drops the rows back in sync once they outnumber the rest (and CompactAfterDeadRows),
    // renumbering the others; `rowsOf` (row numbers held for persistent indexes) with them.
    void compactRows(std::vector<quint32> &rowsOf);
    static constexpr size_t CompactAfterDeadRows = 50000;

    void resort();

    static constexpr quint32 npos = 0xffffffffu;
    // Every row ever shown, by (flow, key): the engine's open-addressing table, keyed by the
    // flow's number (2 bytes) and the key. Rows are never erased, so a row's number is its
    // position in the table.
    KeyTable<Row> m_rows;
    mutable std::string m_probe; // find()'s composite key, kept for its capacity
    size_t m_rowKeyBytes = 0;     // key bytes the table holds (for reserve)
    std::vector<quint32> m_order;       // alive rows in sort order
    std::vector<quint32> m_visible;     // m_order filtered
    std::vector<quint32> m_kept;        // flushPending's scratch, kept for its capacity
    std::vector<bool> m_isTouched;      // the same
    // Summaries of the rows read lately, by row number; bounded, since only rows on screen are
    // read. `fresh` false: outdated, read again when next on screen.
    struct Cached
    {
        Summary summary;
        bool fresh = true;
    };
    QHash<quint32, Cached> m_summaries;
    QHash<quint32, Claim> m_claims; // by row number
    QStringList m_flows;
    QList<StatusEvent> m_pending;
    QTimer *m_coalesce;
    qint64 m_now = 0;
    qint64 m_alive = 0;

    int m_sortColumn = KeyColumn;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    std::vector<bool> m_flowShown; // by flow number; empty: all
    quint32 m_statusMask = 0;      // bit per RecordStatus; 0: all
    std::string m_keyFilter;
};

} // namespace syncdesk::ui
