#pragma once

#include "audit/AuditExport.h"

#include <QAbstractTableModel>

namespace syncdesk::ui {

// The audit log as a table: sequence, time, type, flow, key, decision or outcome, operator,
// reason or error. Entries are immutable, so the model only ever gets a whole new list.
class AuditModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { SeqColumn, AtColumn, TypeColumn, FlowColumn, KeyColumn, WhatColumn, OperatorColumn,
                  DetailColumn, ColumnCount };
    enum Role { IdRole = Qt::UserRole + 1 };

    using QAbstractTableModel::QAbstractTableModel;

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    void setEntries(const QList<AuditEntry> &entries);
    [[nodiscard]] const AuditEntry *entryAt(int row) const;

private:
    QList<AuditEntry> m_entries;
};

} // namespace syncdesk::ui
