#pragma once

#include "session/SessionTypes.h"

#include <QAbstractTableModel>

namespace syncdesk::ui {

// One row per connected system: connected / throttled / retrying (with the error and the next
// retry), its feed mode, when it last reported a change, and for an API its last response,
// with its limits and why its requests wait in the tooltip.
class SystemsModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { NameColumn, StateColumn, FeedColumn, LastEventColumn, LastResponseColumn, ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    void setSystems(const QList<SystemHealth> &systems, qint64 nowMs);

private:
    QList<SystemHealth> m_systems;
    qint64 m_now = 0;
};

} // namespace syncdesk::ui
