#include "AuditModel.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace syncdesk::ui {

int AuditModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int AuditModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AuditModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const AuditEntry &a = m_entries[index.row()];
    const QJsonObject &e = a.entry;
    const bool intent = e.value(u"type").toString() == u"intent";
    if (role == IdRole)
        return e.value(u"id").toString();
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case SeqColumn: return a.seq;
        case AtColumn: return e.value(u"at").toString();
        case TypeColumn: return e.value(u"type").toString();
        case FlowColumn: return e.value(u"flow").toString();
        case KeyColumn: return QString::fromUtf8(QJsonDocument(e.value(u"key").toArray()).toJson(QJsonDocument::Compact));
        case WhatColumn: return intent ? e.value(u"choice").toString() : e.value(u"outcome").toString();
        case OperatorColumn: return e.value(u"operator").toString();
        case DetailColumn: return intent ? e.value(u"reason").toString() : e.value(u"error").toString();
        }
    }
    if (role == Qt::ToolTipRole)
        return QString::fromUtf8(QJsonDocument(e).toJson(QJsonDocument::Indented));
    return {};
}

QVariant AuditModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const char *const names[] = {"#", "At (UTC)", "Type", "Flow", "Key", "Decision / outcome",
                                        "Operator", "Reason / error"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

void AuditModel::setEntries(const QList<AuditEntry> &entries)
{
    beginResetModel();
    m_entries = entries;
    endResetModel();
}

const AuditEntry *AuditModel::entryAt(int row) const
{
    return row >= 0 && row < m_entries.size() ? &m_entries[row] : nullptr;
}

} // namespace syncdesk::ui
