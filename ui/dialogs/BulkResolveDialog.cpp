#include "BulkResolveDialog.h"

#include "StatusStyle.h"
#include "resolution/PlanText.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressDialog>
#include <QPushButton>
#include <QVBoxLayout>

namespace syncdesk::ui {

BulkResolveDialog::BulkResolveDialog(const RecordService &service, const QString &flow, RecordStatus status,
                                     const QString &operatorName, const QList<QByteArray> &keys, QWidget *parent)
    : QDialog(parent), m_service(service), m_flow(flow), m_status(status), m_selected(keys), m_operator(operatorName),
      m_take(new QComboBox(this)), m_where(new QLineEdit(this)), m_reason(new QLineEdit(this)),
      m_preview(new QPlainTextEdit(this)), m_message(new QLabel(this)),
      m_previewButton(new QPushButton(tr("&Preview"), this)), m_applyButton(new QPushButton(tr("&Resolve all"), this))
{
    setWindowTitle(keys.isEmpty()
                       ? tr("Resolve every %1 record of %2").arg(StatusStyle::text(status).toLower(), flow)
                       : tr("Resolve %1 selected %2 records of %3").arg(keys.size()).arg(StatusStyle::text(status).toLower(), flow));
    m_take->addItem(tr("Take the source"), int(Pick::Source));
    m_take->addItem(tr("Take the target"), int(Pick::Target));
    m_take->addItem(tr("Take the baseline"), int(Pick::Baseline));
    m_where->setPlaceholderText(tr("optional: FIELD (differs) or FIELD=VALUE (either side holds it)"));
    m_reason->setPlaceholderText(tr("Why (required; kept with every record's entry)"));
    m_reason->setObjectName(QStringLiteral("bulkReason"));
    m_previewButton->setObjectName(QStringLiteral("previewAll"));
    m_applyButton->setObjectName(QStringLiteral("applyAll"));
    m_preview->setReadOnly(true);
    m_preview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_message->setWordWrap(true);
    auto *form = new QFormLayout;
    form->addRow(tr("Decision:"), m_take);
    form->addRow(tr("&Only where:"), m_where);
    form->addRow(tr("Rea&son:"), m_reason);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_previewButton, QDialogButtonBox::ActionRole);
    buttons->addButton(m_applyButton, QDialogButtonBox::ActionRole);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_preview, 1);
    layout->addWidget(m_message);
    layout->addWidget(buttons);
    resize(900, 600);

    connect(m_previewButton, &QPushButton::clicked, this, &BulkResolveDialog::preview);
    connect(m_applyButton, &QPushButton::clicked, this, &BulkResolveDialog::applyAll);
    connect(m_take, &QComboBox::currentIndexChanged, this, [this] { m_previewed = false; updateButtons(); });
    connect(m_where, &QLineEdit::textChanged, this, [this] { m_previewed = false; updateButtons(); });
    connect(m_reason, &QLineEdit::textChanged, this, &BulkResolveDialog::updateButtons);

    connect(&m_previewWatcher, &QFutureWatcherBase::finished, this, [this] {
        m_running = false;
        const auto r = m_previewWatcher.result();
        if (!r.value) {
            m_message->setText(tr("Cannot select the records: %1").arg(r.error));
        } else {
            m_keys = r.value->keys;
            m_previewed = true; // of m_previewedRule, fixed when Preview was clicked
            QString text = tr("%1 record(s) match %2.\nThe first %3, as they would be written:\n\n")
                               .arg(m_keys.size()).arg(m_previewedRule.text()).arg(r.value->sample.size());
            for (const ResolutionPlan &p : r.value->sample)
                text += planText(p) + u'\n';
            m_preview->setPlainText(text);
            m_message->setText(tr("Each record gets its own intent and outcome in the audit log."));
        }
        updateButtons();
    });
    updateButtons();
}

BulkRule BulkResolveDialog::rule() const
{
    BulkRule r;
    r.flow = m_flow;
    r.status = m_status;
    r.keys = m_selected;
    r.take = Pick(m_take->currentData().toInt());
    const QString where = m_where->text().trimmed();
    if (const qsizetype eq = where.indexOf(u'='); eq > 0) {
        r.field = where.left(eq);
        r.value = where.mid(eq + 1);
    } else {
        r.field = where;
    }
    return r;
}

void BulkResolveDialog::updateButtons()
{
    // The rule cannot change under a running preview or run.
    m_take->setEnabled(!m_running);
    m_where->setEnabled(!m_running);
    m_previewButton->setEnabled(!m_running);
    m_applyButton->setEnabled(!m_running && m_previewed && !m_keys.isEmpty() && !m_reason->text().trimmed().isEmpty());
}

void BulkResolveDialog::preview()
{
    m_running = true;
    m_message->setText(tr("Comparing the flow to find the records…"));
    updateButtons();
    m_previewedRule = rule();
    m_previewWatcher.setFuture(m_service.bulkPreview(m_previewedRule, 5));
}

void BulkResolveDialog::applyAll()
{
    m_running = true;
    updateButtons();
    auto *progress = new QProgressDialog(tr("Resolving %1 records…").arg(m_keys.size()), tr("Cancel"), 0,
                                         int(m_keys.size()), this);
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(0);
    progress->setAttribute(Qt::WA_DeleteOnClose);
    connect(&m_applyWatcher, &QFutureWatcherBase::progressValueChanged, progress, &QProgressDialog::setValue);
    connect(progress, &QProgressDialog::canceled, &m_applyWatcher, &QFutureWatcherBase::cancel);
    connect(&m_applyWatcher, &QFutureWatcherBase::finished, this, [this, progress] {
        disconnect(&m_applyWatcher, nullptr, this, nullptr);
        disconnect(progress, nullptr, &m_applyWatcher, nullptr); // closing it emits canceled()
        progress->close();
        m_running = false;
        m_previewed = false;
        if (m_applyWatcher.isCanceled() || m_applyWatcher.future().resultCount() == 0) {
            m_message->setText(tr("Cancelled after %1 record(s); those are resolved and audited, the rest untouched.")
                                   .arg(m_applyWatcher.progressValue()));
        } else {
            const auto r = m_applyWatcher.result();
            if (!r.value)
                m_message->setText(tr("Not started: %1").arg(r.error));
            else if (r.value->stopped)
                m_message->setText(tr("Stopped: %1. %2 applied, %3 refused before it; the rest untouched.")
                                       .arg(r.value->error).arg(r.value->applied).arg(r.value->refused));
            else if (r.value->claimed > 0)
                m_message->setText(tr("%1 applied, %2 refused because they changed meanwhile, %3 left alone: "
                                      "claimed by another operator.")
                                       .arg(r.value->applied).arg(r.value->refused).arg(r.value->claimed));
            else
                m_message->setText(tr("%1 applied, %2 refused because they changed meanwhile (audited; look at them again).")
                                       .arg(r.value->applied).arg(r.value->refused));
        }
        updateButtons();
        emit resolvedAll(m_flow);
    });
    m_applyWatcher.setFuture(m_service.bulkApply(m_previewedRule, m_keys, m_reason->text(), m_operator));
}

} // namespace syncdesk::ui
