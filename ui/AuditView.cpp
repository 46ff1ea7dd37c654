#include "AuditView.h"

#include "resolution/PlanText.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace syncdesk::ui {

AuditView::AuditView(const RecordService &service, QString operatorName, QWidget *parent)
    : QWidget(parent), m_service(service), m_operator(std::move(operatorName)), m_model(new AuditModel(this)),
      m_table(new QTableView(this)), m_flow(new QComboBox(this)), m_operatorFilter(new QLineEdit(this)),
      m_chain(new QLabel(this)), m_older(new QPushButton(tr("Load &older entries"), this)), m_format(new QComboBox(this))
{
    m_older->setObjectName(QStringLiteral("loadOlder"));
    m_older->setEnabled(false);
    m_older->setToolTip(tr("The view reads the log a page at a time, newest first"));
    connect(m_older, &QPushButton::clicked, this, &AuditView::loadOlder);
    m_chain->setObjectName(QStringLiteral("chain"));
    m_chain->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_flow->addItem(tr("All flows"), QString());
    for (const FlowSpec &f : service.workspace().flows)
        m_flow->addItem(f.name, f.name);
    m_operatorFilter->setPlaceholderText(tr("Operator"));
    m_operatorFilter->setClearButtonEnabled(true);
    for (const char *f : {"pdf", "html", "csv", "json"})
        m_format->addItem(QString::fromLatin1(f).toUpper(), QString::fromLatin1(f));
    auto *refreshButton = new QPushButton(tr("Refresh"), this);
    auto *exportButton = new QPushButton(tr("E&xport…"), this);
    auto *undoButton = new QPushButton(tr("&Undo resolution…"), this);
    undoButton->setToolTip(tr("Put back what the selected resolution overwrote, as a new audited resolution"));
    refreshButton->setToolTip(tr("Read the newest entries again and recompute the whole chain"));
    connect(refreshButton, &QPushButton::clicked, this, [this] {
        m_loadingOlder = false;
        m_loadWatcher.setFuture(m_service.auditLog(filter(), 0, RecordService::AuditPageSize, true));
    });
    connect(exportButton, &QPushButton::clicked, this, &AuditView::exportInteractively);
    connect(undoButton, &QPushButton::clicked, this, &AuditView::undoSelected);
    connect(m_flow, &QComboBox::currentIndexChanged, this, &AuditView::refresh);
    connect(m_operatorFilter, &QLineEdit::editingFinished, this, &AuditView::refresh);

    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_flow);
    bar->addWidget(m_operatorFilter);
    bar->addWidget(refreshButton);
    bar->addWidget(m_older);
    bar->addStretch();
    bar->addWidget(undoButton);
    bar->addWidget(m_format);
    bar->addWidget(exportButton);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_chain);
    layout->addWidget(m_table);

    connect(&m_loadWatcher, &QFutureWatcherBase::finished, this, [this] {
        const auto r = m_loadWatcher.result();
        if (!r.value) {
            m_chain->setText(tr("Cannot read the audit log: %1").arg(r.error));
        } else {
            QList<AuditEntry> entries = r.value->entries;
            if (m_loadingOlder) { // an older page goes before what is shown
                for (int i = 0; i < m_model->rowCount(); ++i)
                    entries.append(*m_model->entryAt(i));
            }
            m_model->setEntries(entries);
            m_olderFrom = r.value->olderFrom;
            m_older->setEnabled(m_olderFrom > 0);
            const ChainCheck &c = r.value->chain;
            const bool good = c.intact && c.anchored;
            m_chain->setText(!c.intact   ? tr("Chain BROKEN at entry %1: %2").arg(c.badSeq).arg(c.problem)
                             : !c.anchored ? tr("Chain NOT the one verified before: %1").arg(c.anchorProblem)
                                           : tr("Chain verified: %1 entries, head hash %2")
                                                 .arg(c.entries)
                                                 .arg(QString::fromLatin1(c.headHash)));
            m_chain->setStyleSheet(good ? QString() : QStringLiteral("color: #d93025; font-weight: bold"));
        }
        m_loadingOlder = false;
        emit loaded();
    });
    connect(&m_exportWatcher, &QFutureWatcherBase::finished, this, [this] {
        if (m_progress)
            m_progress->reset();
        if (m_exportWatcher.isCanceled() || m_exportWatcher.future().resultCount() == 0) {
            emit exported(false, tr("Export cancelled; nothing was written to %1").arg(m_exportPath));
            return;
        }
        const auto r = m_exportWatcher.result();
        const QString message = r.value ? tr("%1 entries written to %2").arg(*r.value).arg(m_exportPath)
                                        : tr("Export failed: %1").arg(r.error);
        emit exported(r.value.has_value(), message);
    });
}

AuditFilter AuditView::filter() const
{
    AuditFilter f;
    f.flow = m_flow->currentData().toString();
    f.operatorName = m_operatorFilter->text().trimmed();
    return f;
}

QString AuditView::chainText() const
{
    return m_chain->text();
}

void AuditView::refresh()
{
    m_loadingOlder = false;
    m_loadWatcher.setFuture(m_service.auditLog(filter()));
}

void AuditView::loadOlder()
{
    if (m_olderFrom <= 0 || m_loadWatcher.isRunning())
        return;
    m_loadingOlder = true;
    m_loadWatcher.setFuture(m_service.auditLog(filter(), m_olderFrom));
}

void AuditView::exportTo(const QString &format, const QString &path)
{
    m_exportPath = path;
    if (!m_progress) {
        m_progress = new QProgressDialog(tr("Writing the audit report…"), tr("Cancel"), 0, 0, this);
        m_progress->setObjectName(QStringLiteral("exportProgress"));
        m_progress->setWindowModality(Qt::NonModal);
        m_progress->setMinimumDuration(300);
        m_progress->setAutoReset(false);
        // Cancel (or closing it) stops the writer; the report is written whole or not at all.
        connect(m_progress, &QProgressDialog::canceled, &m_exportWatcher, &QFutureWatcherBase::cancel);
        connect(&m_exportWatcher, &QFutureWatcherBase::progressRangeChanged, m_progress, &QProgressDialog::setRange);
        connect(&m_exportWatcher, &QFutureWatcherBase::progressValueChanged, m_progress, &QProgressDialog::setValue);
    }
    m_progress->setRange(0, 0); // busy until the writer knows how many entries there are
    m_progress->show();
    m_exportWatcher.setFuture(m_service.exportAudit(format, filter(), path));
}

void AuditView::exportInteractively()
{
    const QString format = m_format->currentData().toString();
    const QString path = QFileDialog::getSaveFileName(this, tr("Export audit report"),
                                                      QStringLiteral("syncdesk-audit.") + format,
                                                      tr("%1 files (*.%2)").arg(format.toUpper(), format));
    if (!path.isEmpty())
        exportTo(format, path);
}

void AuditView::undoSelected()
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    if (rows.isEmpty()) {
        QMessageBox::information(this, tr("Undo"), tr("Select a resolution's entry first."));
        return;
    }
    const QString id = m_model->data(rows.first(), AuditModel::IdRole).toString();
    connect(&m_undoWatcher, &QFutureWatcherBase::finished, this, [this] {
        disconnect(&m_undoWatcher, nullptr, this, nullptr);
        const auto plan = m_undoWatcher.result();
        if (!plan.value) {
            QMessageBox::warning(this, tr("Undo"), plan.error);
            return;
        }
        bool ok = false;
        const QString reason = QInputDialog::getMultiLineText(
            this, tr("Undo resolution"),
            tr("This new resolution will be written:\n\n%1\nReason (required):").arg(planText(*plan.value)),
            QString(), &ok);
        if (!ok || reason.trimmed().isEmpty())
            return;
        const QString flow = plan.value->seen.flow;
        connect(&m_undoApplyWatcher, &QFutureWatcherBase::finished, this, [this, flow] {
            disconnect(&m_undoApplyWatcher, nullptr, this, nullptr);
            const auto r = m_undoApplyWatcher.result();
            if (!r.value || r.value->outcome != ResolveResult::Outcome::Applied)
                QMessageBox::warning(this, tr("Undo"), r.value ? r.value->error : r.error);
            refresh();
            emit undone(flow);
        });
        m_undoApplyWatcher.setFuture(m_service.apply(*plan.value, reason, m_operator));
    });
    m_undoWatcher.setFuture(m_service.planUndo(id));
}

} // namespace syncdesk::ui
