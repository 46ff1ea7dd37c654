#include "SlaReportDialog.h"

#include <QComboBox>
#include <QDateEdit>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace syncdesk::ui {

namespace {

QDateEdit *dateEdit(const QDate &date, QWidget *parent)
{
    auto *edit = new QDateEdit(date, parent);
    edit->setCalendarPopup(true);
    edit->setDisplayFormat(QStringLiteral("yyyy-MM-dd"));
    return edit;
}

} // namespace

SlaReportDialog::SlaReportDialog(const Workspace &workspace, const QString &flow, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("SLA report"));
    const QDate today = QDateTime::currentDateTimeUtc().date();
    m_from = dateEdit(today.addDays(-6), this);
    m_from->setObjectName(QStringLiteral("slaFrom"));
    m_to = dateEdit(today, this);
    m_to->setObjectName(QStringLiteral("slaTo"));
    m_flow = new QComboBox(this);
    m_flow->setObjectName(QStringLiteral("slaFlow"));
    m_flow->addItem(tr("All flows"), QString());
    for (const FlowSpec &f : workspace.flows)
        m_flow->addItem(f.name, f.name);
    m_flow->setCurrentIndex(std::max(0, m_flow->findData(flow)));
    m_format = new QComboBox(this);
    m_format->setObjectName(QStringLiteral("slaFormat"));
    for (const char *f : {"pdf", "html", "csv", "json"})
        m_format->addItem(QString::fromLatin1(f).toUpper(), QString::fromLatin1(f));
    m_pageSize = new QComboBox(this);
    m_pageSize->setObjectName(QStringLiteral("slaPageSize"));
    m_pageSize->addItem(QStringLiteral("A4"), int(ReportPageSize::A4));
    m_pageSize->addItem(QStringLiteral("Letter"), int(ReportPageSize::Letter));
    connect(m_format, &QComboBox::currentIndexChanged, this,
            [this] { m_pageSize->setEnabled(format() == u"pdf"); });

    m_path = new QLineEdit(QDir::home().filePath(QStringLiteral("sla-report.pdf")), this);
    m_path->setObjectName(QStringLiteral("slaPath"));
    // The file's extension follows the format, unless the operator typed a name of their own.
    connect(m_format, &QComboBox::currentIndexChanged, this, [this] {
        const QFileInfo info(m_path->text());
        if (QStringList{QStringLiteral("pdf"), QStringLiteral("html"), QStringLiteral("csv"), QStringLiteral("json")}
                .contains(info.suffix()))
            m_path->setText(info.dir().filePath(info.completeBaseName() + u'.' + format()));
    });
    auto *browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("SLA report"), m_path->text());
        if (!path.isEmpty())
            m_path->setText(path);
    });
    auto *file = new QHBoxLayout;
    file->addWidget(m_path, 1);
    file->addWidget(browse);

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("message"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #d93025"));

    auto *form = new QFormLayout;
    form->addRow(tr("From (UTC day)"), m_from);
    form->addRow(tr("To (UTC day, included)"), m_to);
    form->addRow(tr("Flow"), m_flow);
    form->addRow(tr("Format"), m_format);
    form->addRow(tr("Page size"), m_pageSize);
    form->addRow(tr("File"), file);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Write report"));
    connect(buttons, &QDialogButtonBox::accepted, this, &SlaReportDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SlaReportDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_message);
    layout->addWidget(buttons);
}

SlaRequest SlaReportDialog::request() const
{
    SlaRequest r;
    r.fromMs = m_from->date().startOfDay(Qt::UTC).toMSecsSinceEpoch();
    r.toMs = m_to->date().addDays(1).startOfDay(Qt::UTC).toMSecsSinceEpoch();
    r.flow = m_flow->currentData().toString();
    r.pageSize = ReportPageSize(m_pageSize->currentData().toInt());
    return r;
}

QString SlaReportDialog::format() const
{
    return m_format->currentData().toString();
}

QString SlaReportDialog::path() const
{
    return m_path->text().trimmed();
}

void SlaReportDialog::accept()
{
    if (m_to->date() < m_from->date()) {
        m_message->setText(tr("The period ends before it starts."));
        return;
    }
    if (path().isEmpty()) {
        m_message->setText(tr("Choose the file to write."));
        return;
    }
    if (!QFileInfo(path()).absoluteDir().exists()) {
        m_message->setText(tr("The folder %1 does not exist.").arg(QFileInfo(path()).absolutePath()));
        return;
    }
    QDialog::accept();
}

} // namespace syncdesk::ui
