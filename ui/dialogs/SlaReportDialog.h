#pragma once

#include "audit/SlaExport.h"
#include "model/Workspace.h"

#include <QDialog>

class QComboBox;
class QDateEdit;
class QLabel;
class QLineEdit;

namespace syncdesk::ui {

// What `syncdesk-cli report sla` asks for, asked in a dialog: the period in whole UTC days
// (both ends included), one flow or all, the format, the page size, and the file.
class SlaReportDialog : public QDialog
{
    Q_OBJECT

public:
    SlaReportDialog(const Workspace &workspace, const QString &flow, QWidget *parent = nullptr);

    [[nodiscard]] SlaRequest request() const;
    [[nodiscard]] QString format() const;
    [[nodiscard]] QString path() const;

    void accept() override;

private:
    QDateEdit *m_from;
    QDateEdit *m_to;
    QComboBox *m_flow;
    QComboBox *m_format;
    QComboBox *m_pageSize;
    QLineEdit *m_path;
    QLabel *m_message;
};

} // namespace syncdesk::ui
