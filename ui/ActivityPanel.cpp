#include "ActivityPanel.h"

#include "dialogs/SlaReportDialog.h"
#include "state/ActivityCounters.h"

#include <QCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChartView>
#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QShowEvent>
#include <QSplitter>
#include <QTableWidget>
#include <QTimer>
#include <QValueAxis>
#include <QVBoxLayout>

namespace syncdesk::ui {

namespace {

constexpr qint64 HourMs = 3600 * 1000;

// The table's rows: a label and the counters it adds up.
struct Row
{
    const char *label;
    QStringList names;
};

QList<Row> tableRows()
{
    using namespace activity;
    QList<Row> rows;
    for (const bool source : {true, false}) {
        rows.append({source ? "Source: inserted" : "Target: inserted", {changes(source, ChangeOp::Insert)}});
        rows.append({source ? "Source: updated" : "Target: updated", {changes(source, ChangeOp::Update)}});
        rows.append({source ? "Source: deleted" : "Target: deleted", {changes(source, ChangeOp::Delete)}});
    }
    rows.append({"Conflicts detected", {ConflictsDetected}});
    rows.append({"Changes arrived", {Arrivals}});
    rows.append({"… within the SLA", {ArrivalsWithinSla}});
    rows.append({"Resolved by operators", {resolutions(false, QStringLiteral("applied"))}});
    rows.append({"Operator resolutions refused or failed",
                 {resolutions(false, QStringLiteral("refused")), resolutions(false, QStringLiteral("failed"))}});
    rows.append({"Resolved by policy", {resolutions(true, QStringLiteral("applied"))}});
    rows.append({"Policy decisions refused or failed",
                 {resolutions(true, QStringLiteral("refused")), resolutions(true, QStringLiteral("failed"))}});
    return rows;
}

qint64 sum(const QHash<QString, qint64> &counts, const QStringList &names)
{
    qint64 n = 0;
    for (const QString &name : names)
        n += counts.value(name);
    return n;
}

} // namespace

ActivityPanel::ActivityPanel(const RecordService &service, QWidget *parent)
    : QWidget(parent), m_service(service), m_flow(new QComboBox(this)), m_message(new QLabel(this)),
      m_chartView(new QChartView(new QChart, this)), m_hours(new QCategoryAxis),
      m_counts(new QValueAxis), m_table(new QTableWidget(this)), m_refresh(new QTimer(this))
{
    m_flow->setObjectName(QStringLiteral("activityFlow"));
    for (const FlowSpec &f : m_service.workspace().flows)
        m_flow->addItem(f.name);
    connect(m_flow, &QComboBox::currentIndexChanged, this, &ActivityPanel::refresh);
    auto *report = new QPushButton(tr("SLA report…"), this);
    report->setObjectName(QStringLiteral("slaReport"));
    connect(report, &QPushButton::clicked, this, &ActivityPanel::exportSlaInteractively);
    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Flow"), this));
    bar->addWidget(m_flow);
    bar->addWidget(m_message, 1);
    bar->addWidget(report);

    // Changes of both sides, conflicts and resolutions per hour, side by side: a quiet hour, a
    // burst of edits on one side, or conflicts piling up with no resolutions show at a glance.
    auto *series = new QBarSeries;
    for (const QString &name : {tr("Source changes"), tr("Target changes"), tr("Conflicts detected"),
                                tr("Resolutions")}) {
        auto *set = new QBarSet(name);
        m_sets.append(set);
        series->append(set);
    }
    QChart *chart = m_chartView->chart();
    chart->addSeries(series);
    chart->addAxis(m_hours, Qt::AlignBottom);
    chart->addAxis(m_counts, Qt::AlignLeft);
    series->attachAxis(m_hours);
    series->attachAxis(m_counts);
    m_counts->setLabelFormat(QStringLiteral("%d"));
    // Bars sit at 0 … 23; an hour label every third bar keeps the labels whole at any width.
    m_hours->setRange(-0.5, Hours - 0.5);
    m_hours->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    m_hours->setGridLineVisible(false);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(2, 2, 2, 2));
    m_chartView->setObjectName(QStringLiteral("activityChart"));
    m_chartView->setMinimumHeight(200);

    const QList<Row> rows = tableRows();
    m_table->setObjectName(QStringLiteral("activityTotals"));
    m_table->setColumnCount(2);
    m_table->setRowCount(int(rows.size()));
    m_table->setHorizontalHeaderLabels({tr("Last 24 h"), tr("All time")});
    m_table->horizontalHeaderItem(1)->setToolTip(tr("Since the state store began counting this flow"));
    for (int r = 0; r < int(rows.size()); ++r) {
        m_table->setVerticalHeaderItem(r, new QTableWidgetItem(tr(rows[r].label)));
        for (int c = 0; c < 2; ++c) {
            auto *item = new QTableWidgetItem;
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_table->setItem(r, c, item);
        }
    }
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    // Wide enough for its labels and two counts: it never scrolls sideways.
    const QFontMetrics metrics = m_table->fontMetrics();
    int labels = 0;
    for (const Row &row : rows)
        labels = std::max(labels, metrics.horizontalAdvance(tr(row.label)));
    m_table->setMinimumWidth(labels + 2 * metrics.horizontalAdvance(QStringLiteral("  1,000,000  ")) + 40);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_chartView);
    split->addWidget(m_table);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 0);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(split, 1);

    connect(&m_watcher, &QFutureWatcherBase::finished, this, [this] {
        if (m_requested != flow()) { // another flow was picked meanwhile
            refresh();
            return;
        }
        const auto r = m_watcher.result();
        if (!r.value) {
            m_message->setText(tr("Cannot read the activity: %1").arg(r.error));
            emit loaded();
            return;
        }
        m_message->clear();
        display(*r.value);
        emit loaded();
    });
    connect(&m_exportWatcher, &QFutureWatcherBase::finished, this, [this] {
        const auto r = m_exportWatcher.result();
        emit exported(r.value.has_value(), r.value ? tr("SLA report written to %1").arg(m_exportPath)
                                                   : tr("SLA report failed: %1").arg(r.error));
    });
    // The counters are written with each batch of the live engine: read again while shown.
    m_refresh->setInterval(30000);
    connect(m_refresh, &QTimer::timeout, this, [this] {
        if (isVisible())
            refresh();
    });
    m_refresh->start();
}

QString ActivityPanel::flow() const
{
    return m_flow->currentText();
}

void ActivityPanel::showFlow(const QString &flow)
{
    const int i = m_flow->findText(flow);
    if (i >= 0 && i != m_flow->currentIndex())
        m_flow->setCurrentIndex(i); // refreshes
}

void ActivityPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

void ActivityPanel::refresh()
{
    if (flow().isEmpty() || m_watcher.isRunning())
        return;
    // The last 24 whole hours and the one under way.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_fromMs = now - now % HourMs - (Hours - 1) * HourMs;
    m_requested = flow();
    m_watcher.setFuture(m_service.activity(flow(), m_fromMs, m_fromMs + Hours * HourMs));
}

void ActivityPanel::display(const RecordService::Activity &activity)
{
    QList<QHash<QString, qint64>> perHour(Hours);
    QHash<QString, qint64> day;
    for (const ActivityCount &c : activity.hourly) {
        const qint64 hour = (c.hourStartMs - m_fromMs) / HourMs;
        if (hour < 0 || hour >= Hours)
            continue;
        perHour[hour][c.name] += c.value;
        day[c.name] += c.value;
    }
    using namespace activity;
    const QStringList sourceChanges{changes(true, ChangeOp::Insert), changes(true, ChangeOp::Update),
                                    changes(true, ChangeOp::Delete)};
    const QStringList targetChanges{changes(false, ChangeOp::Insert), changes(false, ChangeOp::Update),
                                    changes(false, ChangeOp::Delete)};
    QStringList resolved;
    for (const bool byPolicy : {false, true})
        resolved << resolutions(byPolicy, QStringLiteral("applied"));
    const QList<QStringList> perSet{sourceChanges, targetChanges, {ConflictsDetected}, resolved};

    for (const QString &label : m_hours->categoriesLabels())
        m_hours->remove(label);
    qint64 highest = 0;
    for (QBarSet *set : std::as_const(m_sets))
        set->remove(0, set->count());
    for (int h = 0; h < Hours; ++h) {
        // Local hours: the desk reads its own clock (the SLA report is in UTC days).
        if (h % 3 == 0)
            m_hours->append(QDateTime::fromMSecsSinceEpoch(m_fromMs + h * HourMs).toString(QStringLiteral("HH:00")),
                            h);
        for (int s = 0; s < int(m_sets.size()); ++s) {
            const qint64 n = sum(perHour[h], perSet[s]);
            m_sets[s]->append(qreal(n));
            highest = std::max(highest, n);
        }
    }
    m_counts->setRange(0, double(std::max<qint64>(highest, 4)));
    m_counts->setTickCount(5);

    const QList<Row> rows = tableRows();
    for (int r = 0; r < int(rows.size()); ++r) {
        m_table->item(r, 0)->setText(QLocale().toString(sum(day, rows[r].names)));
        m_table->item(r, 1)->setText(QLocale().toString(sum(activity.totals, rows[r].names)));
    }
}

qint64 ActivityPanel::chartTotal(int set) const
{
    qint64 n = 0;
    if (set < 0 || set >= int(m_sets.size()))
        return 0;
    for (int i = 0; i < m_sets[set]->count(); ++i)
        n += qint64(m_sets[set]->at(i));
    return n;
}

void ActivityPanel::exportSla(const QString &format, const SlaRequest &request, const QString &path)
{
    if (m_exportWatcher.isRunning())
        return;
    m_exportPath = path;
    m_exportWatcher.setFuture(m_service.exportSla(format, request, path));
}

void ActivityPanel::exportSlaInteractively()
{
    SlaReportDialog dialog(m_service.workspace(), flow(), this);
    if (dialog.exec() == QDialog::Accepted)
        exportSla(dialog.format(), dialog.request(), dialog.path());
}

} // namespace syncdesk::ui
