#pragma once

#include "resolution/ResolutionPlan.h"
#include "session/RecordService.h"

#include <QDialog>
#include <QFutureWatcher>

#include <optional>

class QButtonGroup;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;

namespace syncdesk::ui {

// The operator's decision on one record: take the source, the target or the baseline whole,
// or pick per field (any side, or a typed value). A reason is required, and Apply only runs
// the plan the operator previewed: what will be written where, statement by statement. If
// the record changed meanwhile the write is refused; the dialog then shows the fresh values
// and the operator decides again.
class ResolveDialog : public QDialog
{
    Q_OBJECT

public:
    ResolveDialog(const RecordService &service, const QString &flow, const QByteArray &keyJson,
                  const QString &operatorName, QWidget *parent = nullptr);

    [[nodiscard]] std::optional<ResolveResult> result() const { return m_result; }

signals:
    void resolved(const QString &flow, const QByteArray &keyJson);
    void busyChanged(bool busy); // a read or write is running (tests wait on it)

private:
    // Reads the record afresh; `note` is shown once it is in.
    void load(const QString &note = {});
    void preview();
    void applyPlan();
    void showRecord(const RecordDetail &detail);
    void invalidatePreview();
    void setBusy(bool busy, const QString &what = {});
    [[nodiscard]] ResolveRequest request() const;

    const RecordService &m_service;
    QString m_flow;
    QByteArray m_keyJson;
    QString m_operator;
    std::optional<ResolutionPlan> m_plan; // the previewed plan: what Apply runs
    std::optional<ResolveResult> m_result;
    bool m_busy = false;

    QLabel *m_title;
    QLabel *m_message;
    QTableWidget *m_fields;
    QButtonGroup *m_choice;
    QLineEdit *m_reason;
    QPlainTextEdit *m_preview;
    QPushButton *m_previewButton;
    QPushButton *m_applyButton;
    QDialogButtonBox *m_buttons;
    QFutureWatcher<Fallible<ResolutionPlan>> m_planWatcher;
    QFutureWatcher<Fallible<ResolveResult>> m_applyWatcher;
    bool m_previewRequested = false;
    QString m_afterLoad;
};

} // namespace syncdesk::ui
