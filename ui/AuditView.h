#pragma once

#include "models/AuditModel.h"
#include "session/RecordService.h"

#include <QFutureWatcher>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressDialog;
class QPushButton;
class QTableView;

namespace syncdesk::ui {

// The audit log: filters, the chain's verification (verified with its head hash, or broken at
// entry N), export in the four formats off the window's thread, and undo of a resolution by a
// new, audited compensating one.
class AuditView : public QWidget
{
    Q_OBJECT

public:
    AuditView(const RecordService &service, QString operatorName, QWidget *parent = nullptr);

    void refresh();
    // The page before the oldest shown (the view shows the newest entries first).
    void loadOlder();
    // Writes a report without asking where (the Export… action asks, then calls this).
    void exportTo(const QString &format, const QString &path);
    void exportInteractively();
    void undoSelected();

    [[nodiscard]] AuditModel *model() const { return m_model; }
    [[nodiscard]] QString chainText() const;

signals:
    void loaded();
    void exported(bool ok, const QString &message);
    void undone(const QString &flow);

private:
    [[nodiscard]] AuditFilter filter() const;

    const RecordService &m_service;
    QString m_operator;
    AuditModel *m_model;
    QTableView *m_table;
    QComboBox *m_flow;
    QLineEdit *m_operatorFilter;
    QLabel *m_chain;
    QPushButton *m_older;
    qint64 m_olderFrom = 0;
    bool m_loadingOlder = false;
    QComboBox *m_format;
    QFutureWatcher<Fallible<RecordService::AuditLog>> m_loadWatcher;
    QFutureWatcher<Fallible<qint64>> m_exportWatcher;
    QFutureWatcher<Fallible<ResolutionPlan>> m_undoWatcher;
    QFutureWatcher<Fallible<ResolveResult>> m_undoApplyWatcher;
    QProgressDialog *m_progress = nullptr;
    QString m_exportPath;
};

} // namespace syncdesk::ui
