#include "ResolveDialog.h"

#include "StatusStyle.h"
#include "engine/FlowSides.h"
#include "resolution/PlanText.h"

#include <QAbstractButton>
#include <QButtonGroup>
#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace syncdesk::ui {

namespace {

enum FieldColumn { NameCol, SourceCol, BaselineCol, TargetCol, ChangeCol, UseCol, CustomCol, FieldColumns };
enum Choice { TakeSource, TakeTarget, TakeBaseline, PerField, Merge };

} // namespace

ResolveDialog::ResolveDialog(const RecordService &service, const QString &flow, const QByteArray &keyJson,
                             const QString &operatorName, QWidget *parent)
    : QDialog(parent), m_service(service), m_flow(flow), m_keyJson(keyJson), m_operator(operatorName),
      m_title(new QLabel(this)), m_message(new QLabel(this)), m_fields(new QTableWidget(0, FieldColumns, this)),
      m_choice(new QButtonGroup(this)), m_reason(new QLineEdit(this)), m_preview(new QPlainTextEdit(this)),
      m_previewButton(new QPushButton(tr("&Preview"), this)), m_applyButton(new QPushButton(tr("&Apply"), this)),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Resolve %1 in %2").arg(QString::fromUtf8(keyJson), flow));
    m_title->setObjectName(QStringLiteral("title"));
    m_message->setObjectName(QStringLiteral("message"));
    m_message->setWordWrap(true);
    m_fields->setObjectName(QStringLiteral("fields"));
    m_fields->setHorizontalHeaderLabels({tr("Field"), tr("Source"), tr("Baseline"), tr("Target"),
                                         tr("Change"), tr("Use"), tr("Custom value")});
    m_fields->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_fields->horizontalHeader()->setStretchLastSection(true);
    m_fields->verticalHeader()->hide();

    auto *choices = new QGroupBox(tr("Decision"), this);
    auto *choiceLayout = new QHBoxLayout(choices);
    const std::pair<Choice, QString> options[] = {{TakeSource, tr("Take &source")}, {TakeTarget, tr("Take &target")},
                                                  {TakeBaseline, tr("Take &baseline")}, {PerField, tr("Per &field")}};
    for (const auto &[id, label] : options) {
        auto *b = new QRadioButton(label, choices);
        b->setObjectName(QStringLiteral("choice%1").arg(int(id)));
        m_choice->addButton(b, id);
        choiceLayout->addWidget(b);
    }
    m_choice->button(TakeSource)->setChecked(true);
    connect(m_choice, &QButtonGroup::idToggled, this, [this](int, bool on) {
        if (!on)
            return;
        const bool perField = m_choice->checkedId() == PerField;
        for (int r = 0; r < m_fields->rowCount(); ++r)
            if (auto *w = m_fields->cellWidget(r, UseCol))
                w->setEnabled(perField);
        invalidatePreview();
    });

    m_reason->setObjectName(QStringLiteral("reason"));
    m_reason->setPlaceholderText(tr("Why is this right? (required, kept in the audit log)"));
    connect(m_reason, &QLineEdit::textChanged, this, [this] { setBusy(m_busy); });
    m_preview->setObjectName(QStringLiteral("preview"));
    m_preview->setReadOnly(true);
    m_preview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_preview->setPlaceholderText(tr("Preview shows what will be written where before anything is."));
    m_previewButton->setObjectName(QStringLiteral("previewButton"));
    m_applyButton->setObjectName(QStringLiteral("applyButton"));
    m_buttons->addButton(m_previewButton, QDialogButtonBox::ActionRole);
    m_buttons->addButton(m_applyButton, QDialogButtonBox::AcceptRole);
    disconnect(m_buttons, &QDialogButtonBox::accepted, this, nullptr);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_previewButton, &QPushButton::clicked, this, &ResolveDialog::preview);
    connect(m_applyButton, &QPushButton::clicked, this, &ResolveDialog::applyPlan);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_fields, 2);
    layout->addWidget(choices);
    layout->addWidget(new QLabel(tr("&Reason:"), this));
    qobject_cast<QLabel *>(layout->itemAt(layout->count() - 1)->widget())->setBuddy(m_reason);
    layout->addWidget(m_reason);
    layout->addWidget(m_preview, 1);
    layout->addWidget(m_message);
    layout->addWidget(m_buttons);
    resize(900, 620);

    connect(&m_planWatcher, &QFutureWatcherBase::finished, this, [this] {
        const Fallible<ResolutionPlan> r = m_planWatcher.result();
        setBusy(false);
        if (!r.value) {
            m_message->setText(tr("Cannot read or plan this: %1").arg(r.error));
            return;
        }
        showRecord(r.value->seen);
        if (!m_previewRequested)
            m_message->setText(m_afterLoad);
        if (m_previewRequested) {
            m_plan = r.value;
            m_preview->setPlainText(planText(*m_plan));
            m_message->setText(m_plan->writesAnything()
                                   ? tr("Check the preview, then Apply.")
                                   : tr("Both sides already hold these values: Apply records the decision only."));
        }
        setBusy(false);
    });
    connect(&m_applyWatcher, &QFutureWatcherBase::finished, this, [this] {
        const Fallible<ResolveResult> r = m_applyWatcher.result();
        setBusy(false);
        if (!r.value) {
            m_message->setText(tr("Not applied: %1").arg(r.error));
            return;
        }
        m_result = r.value;
        switch (r.value->outcome) {
        case ResolveResult::Outcome::Applied:
            emit resolved(m_flow, m_keyJson);
            accept();
            return;
        case ResolveResult::Outcome::Refused:
            // Someone changed the record: show what it holds now and let the operator decide again.
            invalidatePreview();
            load(tr("Refused: the record changed since you read it, and nothing was written "
                    "(audit entries %1 and %2). The values below are fresh: decide again.")
                     .arg(r.value->intentSeq).arg(r.value->outcomeSeq));
            return;
        case ResolveResult::Outcome::Failed:
            m_message->setText(tr("Failed: %1 (audit entries %2 and %3)")
                                   .arg(r.value->error).arg(r.value->intentSeq).arg(r.value->outcomeSeq));
            invalidatePreview();
            return;
        }
    });
    load();
}

ResolveRequest ResolveDialog::request() const
{
    ResolveRequest r;
    r.flow = m_flow;
    r.key = FlowSides::keyText(m_keyJson);
    switch (m_choice->checkedId()) {
    case TakeTarget: r.take = Pick::Target; break;
    case TakeBaseline: r.take = Pick::Baseline; break;
    default: r.take = Pick::Source; break;
    }
    if (m_choice->checkedId() == PerField) {
        for (int row = 0; row < m_fields->rowCount(); ++row) {
            const QString name = m_fields->item(row, NameCol)->text();
            const auto *use = qobject_cast<const QComboBox *>(m_fields->cellWidget(row, UseCol));
            const QString pick = use ? use->currentData().toString() : QStringLiteral("source");
            if (pick == u"custom") {
                const QTableWidgetItem *custom = m_fields->item(row, CustomCol);
                r.customValues.insert(name, custom ? std::optional<QByteArray>(custom->text().toUtf8()) : std::nullopt);
            } else if (pick != u"source") {
                r.fieldPicks.insert(name, *pickFromName(pick));
            }
        }
    }
    return r;
}

void ResolveDialog::load(const QString &note)
{
    m_previewRequested = false;
    m_afterLoad = note;
    setBusy(true, tr("Reading the record from both systems…"));
    ResolveRequest r = request();
    r.fieldPicks.clear();
    r.customValues.clear();
    r.take = Pick::Source; // any plan reads the record; this one cannot fail on a pick
    m_planWatcher.setFuture(m_service.plan(r));
}

void ResolveDialog::preview()
{
    m_previewRequested = true;
    setBusy(true, tr("Working out what would be written…"));
    m_planWatcher.setFuture(m_service.plan(request()));
}

void ResolveDialog::applyPlan()
{
    if (!m_plan || m_reason->text().trimmed().isEmpty())
        return;
    setBusy(true, tr("Writing…"));
    m_applyWatcher.setFuture(m_service.apply(*m_plan, m_reason->text(), m_operator));
}

void ResolveDialog::showRecord(const RecordDetail &d)
{
    // Counted from when it diverged, as the records list counts it (not the lag of a pending
    // change, which a conflict does not have).
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_title->setText(tr("<b>%1</b> in flow <b>%2</b>: %3, out of sync for %4")
                         .arg(QString::fromUtf8(d.keyJson).toHtmlEscaped(), d.flow.toHtmlEscaped(),
                              StatusStyle::text(d.status),
                              d.divergedAtMs > 0 ? durationText(std::max<qint64>(0, now - d.divergedAtMs))
                                                 : tr("an unknown time")));
    const bool keepPicks = m_fields->rowCount() == d.fields.size();
    m_fields->setRowCount(int(d.fields.size()));
    for (int row = 0; row < int(d.fields.size()); ++row) {
        const FieldDetail &f = d.fields[row];
        auto set = [&](int col, const QString &text) {
            auto *item = m_fields->item(row, col);
            if (!item) {
                item = new QTableWidgetItem;
                m_fields->setItem(row, col, item);
            }
            item->setText(text);
            if (col != CustomCol)
                item->setFlags(item->flags() & ~Qt::ItemIsEditable);
        };
        set(NameCol, f.name);
        set(SourceCol, d.state.source ? fieldText(f.source) : tr("(no row)"));
        set(BaselineCol, f.baseline ? fieldText(*f.baseline) : tr("(unknown)"));
        set(TargetCol, d.state.target ? fieldText(f.target) : tr("(no row)"));
        set(ChangeCol, fieldChangeText(f.change));
        if (!keepPicks || !m_fields->item(row, CustomCol))
            set(CustomCol, QString());
        if (!keepPicks || !m_fields->cellWidget(row, UseCol)) {
            auto *use = new QComboBox(m_fields);
            use->setObjectName(QStringLiteral("use_%1").arg(f.name));
            use->addItem(tr("Source"), QStringLiteral("source"));
            use->addItem(tr("Target"), QStringLiteral("target"));
            use->addItem(tr("Baseline"), QStringLiteral("baseline"));
            use->addItem(tr("Custom value"), QStringLiteral("custom"));
            use->setEnabled(m_choice->checkedId() == PerField);
            connect(use, &QComboBox::currentIndexChanged, this, &ResolveDialog::invalidatePreview);
            m_fields->setCellWidget(row, UseCol, use);
        }
        const QColor changed = StatusStyle::colour(f.change == FieldChange::ChangedOnBoth ? RecordStatus::Conflict
                                                                                      : RecordStatus::Pending);
        m_fields->item(row, ChangeCol)->setForeground(f.change == FieldChange::Unchanged ? QBrush() : QBrush(changed));
    }
    connect(m_fields, &QTableWidget::itemChanged, this, &ResolveDialog::invalidatePreview, Qt::UniqueConnection);
}

void ResolveDialog::invalidatePreview()
{
    if (m_busy)
        return;
    m_plan.reset();
    m_preview->clear();
    setBusy(false);
}

void ResolveDialog::setBusy(bool busy, const QString &what)
{
    const bool changed = busy != m_busy;
    m_busy = busy;
    if (busy)
        m_message->setText(what);
    // The decision cannot change under a running read: the plan that comes back is of it.
    m_fields->setEnabled(!busy);
    for (QAbstractButton *b : m_choice->buttons())
        b->setEnabled(!busy);
    m_previewButton->setEnabled(!busy);
    m_applyButton->setEnabled(!busy && m_plan && !m_reason->text().trimmed().isEmpty());
    m_applyButton->setToolTip(m_reason->text().trimmed().isEmpty() ? tr("A reason is required")
                              : !m_plan                            ? tr("Preview first")
                                                                   : QString());
    if (changed)
        emit busyChanged(busy);
}

} // namespace syncdesk::ui
