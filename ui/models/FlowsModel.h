#pragma once

#include "session/SessionTypes.h"

#include <QAbstractTableModel>

namespace syncdesk::ui {

// "first comparison 45% (450,000 of ~1,000,000 records)": a running comparison in words.
[[nodiscard]] QString comparisonText(const LiveEngine::Comparison &c);
// "source-wins: 12 resolved", "newest-wins: halted", …: the flow's policy and how it stands.
[[nodiscard]] QString policyText(const FlowSnapshot &f);
// The first comparison's differences and what reading them again after the p99 lag found.
[[nodiscard]] QString firstCheckText(const FlowSnapshot &f);

// One row per flow: out-of-sync counts by status, the oldest pending age and the p95 arrival
// lag against the SLA. A flow past its SLA stands out (icon, bold, colour, tooltip).
class FlowsModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { NameColumn, OutOfSyncColumn, PendingColumn, LateColumn, ConflictColumn,
                  DriftColumn, MissingColumn, OldestColumn, LagColumn, SlaColumn, PolicyColumn, StateColumn,
                  ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    void setSnapshot(const QList<FlowSnapshot> &flows);
    [[nodiscard]] const FlowSnapshot *flowAt(int row) const;

private:
    QList<FlowSnapshot> m_flows;
};

} // namespace syncdesk::ui
