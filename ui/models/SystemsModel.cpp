#include "SystemsModel.h"

#include "StatusStyle.h"

#include <QDateTime>

namespace syncdesk::ui {

int SystemsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_systems.size());
}

int SystemsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SystemsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const SystemHealth &s = m_systems[index.row()];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case NameColumn: return s.name;
        case StateColumn:
            if (s.connected)
                return tr("Connected");
            return s.nextRetryMs > m_now ? tr("Retrying in %1").arg(durationText(s.nextRetryMs - m_now))
                                         : tr("Retrying");
        case FeedColumn: return s.feedMode;
        case LastEventColumn:
            return s.lastEventMs > 0 ? tr("%1 ago").arg(durationText(m_now - s.lastEventMs)) : tr("none yet");
        }
    }
    if (role == Qt::DecorationRole && index.column() == StateColumn)
        return StatusStyle::icon(s.connected ? RecordStatus::InSync : RecordStatus::Conflict);
    if (role == Qt::ToolTipRole && !s.error.isEmpty())
        return s.error;
    return {};
}

QVariant SystemsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const char *const names[] = {"System", "State", "Feed", "Last change"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

void SystemsModel::setSystems(const QList<SystemHealth> &systems, qint64 nowMs)
{
    m_now = nowMs;
    if (systems.size() != m_systems.size()) {
        beginResetModel();
        m_systems = systems;
        endResetModel();
        return;
    }
    m_systems = systems;
    if (!m_systems.isEmpty())
        emit dataChanged(index(0, 0), index(int(m_systems.size()) - 1, ColumnCount - 1));
}

} // namespace syncdesk::ui
