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
            if (s.throttling && s.heldUntilMs > m_now)
                return tr("Throttled, waiting %1").arg(durationText(s.heldUntilMs - m_now));
            if (s.connected)
                return tr("Connected");
            return s.nextRetryMs > m_now ? tr("Retrying in %1").arg(durationText(s.nextRetryMs - m_now))
                                         : tr("Retrying");
        case FeedColumn: return s.feedMode;
        case LastEventColumn:
            return s.lastEventMs > 0 ? tr("%1 ago").arg(durationText(m_now - s.lastEventMs)) : tr("none yet");
        case LastResponseColumn:
            if (!s.isHttp)
                return QString();
            return s.lastResponseMs > 0 ? tr("%1 (%2 ago)").arg(s.lastResponse, durationText(m_now - s.lastResponseMs))
                                        : tr("no request yet");
        }
    }
    if (role == Qt::DecorationRole && index.column() == StateColumn) {
        if (s.throttling && s.heldUntilMs > m_now)
            return StatusStyle::icon(RecordStatus::Pending);
        return StatusStyle::icon(s.connected ? RecordStatus::InSync : RecordStatus::Conflict);
    }
    if (role == Qt::ToolTipRole) {
        QStringList lines;
        if (!s.error.isEmpty())
            lines << s.error;
        if (s.heldUntilMs > m_now && !s.heldBecause.isEmpty())
            lines << tr("Requests wait: %1").arg(s.heldBecause);
        if (s.isHttp) {
            lines << tr("Limits: %1").arg(s.limits);
            if (s.throttled > 0)
                lines << tr("Throttled by the server %n time(s) (429 or 503)", nullptr, int(s.throttled));
        }
        return lines.isEmpty() ? QVariant() : QVariant(lines.join(u'\n'));
    }
    return {};
}

QVariant SystemsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const char *const names[] = {"System", "State", "Feed", "Last change", "Last response"};
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
