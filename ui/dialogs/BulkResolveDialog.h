#pragma once

#include "session/RecordService.h"

#include <QDialog>
#include <QFutureWatcher>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace syncdesk::ui {

// One decision over every record of a flow with one status (optionally where a field differs
// or holds a value): the count and a sample's exact statements first, one reason, then each
// record resolved and audited on its own, with progress and Cancel, stopping at the first
// failure of a system.
class BulkResolveDialog : public QDialog
{
    Q_OBJECT

public:
    // `keys` non-empty: only those records (the records view's selection), if they still have
    // `status` when previewed.
    BulkResolveDialog(const RecordService &service, const QString &flow, RecordStatus status,
                      const QString &operatorName, const QList<QByteArray> &keys = {}, QWidget *parent = nullptr);

signals:
    void resolvedAll(const QString &flow);

private:
    void preview();
    void applyAll();
    [[nodiscard]] BulkRule rule() const;
    void updateButtons();

    const RecordService &m_service;
    QString m_flow;
    RecordStatus m_status;
    QList<QByteArray> m_selected;
    QString m_operator;
    QList<BulkRecord> m_keys; // what the preview counted: what Apply resolves
    BulkRule m_previewedRule; // the rule they were counted under: what Apply runs
    bool m_previewed = false;
    bool m_running = false;

    QComboBox *m_take;
    QLineEdit *m_where;
    QLineEdit *m_reason;
    QPlainTextEdit *m_preview;
    QLabel *m_message;
    QPushButton *m_previewButton;
    QPushButton *m_applyButton;
    QFutureWatcher<Fallible<RecordService::BulkPreview>> m_previewWatcher;
    QFutureWatcher<Fallible<BulkResult>> m_applyWatcher;
};

} // namespace syncdesk::ui
