#include "MainWindow.h"

#include "ActivityPanel.h"
#include "AuditView.h"
#include "LagChart.h"
#include "RecordDetailPanel.h"
#include "RecordSummaryLoader.h"
#include "StatusStyle.h"
#include "audit/PdfOutput.h"
#include "audit/PdfReport.h"
#include "connectors/PgConnection.h"
#include "dialogs/BulkResolveDialog.h"
#include "dialogs/ResolveDialog.h"
#include "dialogs/WorkspaceEditor.h"
#include "models/FlowsModel.h"
#include "models/RecordsModel.h"
#include "models/SystemsModel.h"
#include "session/KeychainSecrets.h"
#include "session/EngineHost.h"
#include "session/RecordService.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace syncdesk::ui {

namespace {

QTableView *makeTable(QAbstractItemModel *model, QWidget *parent)
{
    auto *v = new QTableView(parent);
    v->setModel(model);
    v->setSelectionBehavior(QAbstractItemView::SelectRows);
    v->setSelectionMode(QAbstractItemView::SingleSelection);
    v->verticalHeader()->hide();
    v->verticalHeader()->setDefaultSectionSize(v->fontMetrics().height() + 6);
    v->horizontalHeader()->setStretchLastSection(true);
    v->setAlternatingRowColors(true);
    return v;
}

} // namespace

MainWindow::MainWindow(Workspace workspace, const QString &workspacePath, QWidget *parent)
    : MainWindow(workspace, workspacePath, EngineHost::defaultMode(workspace), parent)
{
}

MainWindow::MainWindow(Workspace workspace, const QString &workspacePath, EngineHost::Mode mode, QWidget *parent)
    : QMainWindow(parent), m_workspace(std::move(workspace)), m_path(workspacePath),
      m_service(std::make_unique<RecordService>(m_workspace)),
      m_engine(std::make_unique<EngineHost>(m_workspace, mode)), m_records(new RecordsModel(this)),
      m_flows(new FlowsModel(this)), m_systems(new SystemsModel(this)), m_clock(new QTimer(this)),
      m_settings(new QSettings(this)),
      m_activity(m_settings, QString::number(qHash(QFileInfo(workspacePath).absoluteFilePath()), 16))
{
    // A widget program has Qt GUI loaded already: its reports are painted here, not through
    // the PDF module.
    PdfOutput::use(&PdfReport::write);
    m_claimsClock = new QTimer(this);
    m_role = new QLabel(this);
    setWindowTitle(tr("SyncDesk — %1").arg(workspacePath));
    m_operator = QSettings().value(QStringLiteral("operator"), qEnvironmentVariable("USER")).toString();

    m_banner = new QLabel(this);
    m_banner->setObjectName(QStringLiteral("banner"));
    m_banner->setWordWrap(true);
    styleBanner();
    m_banner->hide();
    m_agentBar = new QWidget(this);
    m_agentBar->setObjectName(QStringLiteral("agentBar"));
    auto *agentLayout = new QHBoxLayout(m_agentBar);
    agentLayout->setContentsMargins(0, 0, 0, 0);
    m_agentNotice = new QLabel(m_agentBar);
    m_agentNotice->setObjectName(QStringLiteral("agentNotice"));
    m_agentNotice->setWordWrap(true);
    m_runHere = new QPushButton(tr("Run the engine here"), m_agentBar);
    m_runHere->setObjectName(QStringLiteral("runEngineHere"));
    agentLayout->addWidget(m_agentNotice, 1);
    agentLayout->addWidget(m_runHere);
    connect(m_runHere, &QPushButton::clicked, this, &MainWindow::runEngineHere);
    m_agentBar->hide();

    // Flows overview and its lag chart.
    m_flowsView = makeTable(m_flows, this);
    m_flowsView->setObjectName(QStringLiteral("flows"));
    m_chart = new LagChart(this);
    auto *top = new QSplitter(Qt::Horizontal, this);
    top->addWidget(m_flowsView);
    top->addWidget(m_chart);
    top->setSizes({700, 460});

    // Records, with their filters.
    m_keyFilter = new QLineEdit(this);
    m_keyFilter->setObjectName(QStringLiteral("keyFilter"));
    m_keyFilter->setPlaceholderText(tr("Filter by key (Ctrl+F)"));
    m_keyFilter->setClearButtonEnabled(true);
    m_statusFilter = new QComboBox(this);
    m_statusFilter->setObjectName(QStringLiteral("statusFilter"));
    m_statusFilter->addItem(tr("All statuses"), -1);
    for (int s = int(RecordStatus::Pending); s <= int(RecordStatus::Different); ++s)
        m_statusFilter->addItem(StatusStyle::icon(RecordStatus(s)), StatusStyle::text(RecordStatus(s)), s);
    m_selectedFlowOnly = new QCheckBox(tr("Selected flow only"), this);
    m_recordsView = makeTable(m_records, this);
    m_recordsView->setObjectName(QStringLiteral("records"));
    m_recordsView->setSelectionMode(QAbstractItemView::ExtendedSelection); // several: one bulk decision
    m_recordsView->setSortingEnabled(true);
    m_recordsView->sortByColumn(RecordsModel::LagColumn, Qt::DescendingOrder);
    // Changed fields and change times are read for the rows on screen only, so they cannot
    // order a million rows: a click on their header keeps the order there is.
    connect(m_recordsView->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this,
            [this](int column, Qt::SortOrder) {
                if (!RecordsModel::sortable(column))
                    m_recordsView->horizontalHeader()->setSortIndicator(m_records->sortColumn(),
                                                                         m_records->sortOrder());
            });
    m_summaries = new RecordSummaryLoader(m_recordsView, m_records, *m_service);
    const int digit = m_recordsView->fontMetrics().horizontalAdvance(u'0');
    m_recordsView->setColumnWidth(RecordsModel::ChangedColumn, 30 * digit);
    for (const int column : {int(RecordsModel::SourceChangedColumn), int(RecordsModel::TargetChangedColumn)})
        m_recordsView->setColumnWidth(column, 11 * digit);
    auto *recordsPane = new QWidget(this);
    auto *filterBar = new QHBoxLayout;
    filterBar->addWidget(m_keyFilter, 2);
    filterBar->addWidget(m_statusFilter, 1);
    filterBar->addWidget(m_selectedFlowOnly);
    auto *recordsLayout = new QVBoxLayout(recordsPane);
    recordsLayout->setContentsMargins(0, 0, 0, 0);
    recordsLayout->addLayout(filterBar);
    recordsLayout->addWidget(m_recordsView);

    m_detail = new RecordDetailPanel(*m_service, this);
    auto *lower = new QSplitter(Qt::Horizontal, this);
    lower->addWidget(recordsPane);
    lower->addWidget(m_detail);
    lower->setSizes({640, 520});

    auto *live = new QSplitter(Qt::Vertical, this);
    live->addWidget(top);
    live->addWidget(lower);
    live->setStretchFactor(1, 3);
    live->setSizes({220, 600});

    m_audit = new AuditView(*m_service, m_operator, this);
    m_tabs = new QTabWidget(this);
    m_tabs->addTab(live, tr("&Live"));
    m_tabs->addTab(m_audit, tr("A&udit log"));
    m_activityPanel = new ActivityPanel(*m_service, this);
    m_tabs->addTab(m_activityPanel, tr("Acti&vity"));
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int i) {
        if (m_tabs->widget(i) == m_audit)
            m_audit->refresh();
    });

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->addWidget(m_agentBar);
    layout->addWidget(m_banner);
    layout->addWidget(m_tabs);
    setCentralWidget(central);

    // Systems panel.
    m_systemsView = makeTable(m_systems, this);
    m_systemsView->setObjectName(QStringLiteral("systems"));
    auto *systemsDock = new QDockWidget(tr("Systems"), this);
    systemsDock->setObjectName(QStringLiteral("systemsDock"));
    systemsDock->setWidget(m_systemsView);
    addDockWidget(Qt::LeftDockWidgetArea, systemsDock);
    m_systemsView->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_systemsView, &QWidget::customContextMenuRequested, this, [this](const QPoint &at) {
        const QModelIndex i = m_systemsView->indexAt(at);
        const QString system = i.isValid() ? m_systems->index(i.row(), 0).data().toString() : QString();
        if (passwordTarget(system).isEmpty())
            return;
        QMenu menu(this);
        menu.addAction(tr("Store password in the keychain…"), this, [this, system] { askPassword(system); });
        menu.exec(m_systemsView->viewport()->mapToGlobal(at));
    });
    connect(this, &MainWindow::passwordStored, this, [this](bool ok, const QString &message) {
        statusBar()->showMessage(message, 10000);
        if (!ok)
            notice(QMessageBox::Warning, tr("PostgreSQL password"), message);
    });

    // A running comparison (first or verification) of a flow: its progress and a Cancel.
    m_compareBar = new QProgressBar(this);
    m_compareBar->setObjectName(QStringLiteral("compareProgress"));
    m_compareBar->setMaximumWidth(420);
    m_compareBar->setTextVisible(true);
    m_compareCancel = new QPushButton(tr("Cancel comparison"), this);
    m_compareCancel->setObjectName(QStringLiteral("compareCancel"));
    connect(m_compareCancel, &QPushButton::clicked, this, [this] {
        if (!m_compareFlow.isEmpty())
            m_engine->cancelComparison(m_compareFlow);
    });
    m_compareBar->hide();
    m_compareCancel->hide();
    statusBar()->addPermanentWidget(m_compareBar);
    statusBar()->addPermanentWidget(m_compareCancel);
    m_counts = new QLabel(this);
    statusBar()->addPermanentWidget(m_counts);
    m_role->setObjectName(QStringLiteral("role"));
    statusBar()->addPermanentWidget(m_role);
    statusBar()->showMessage(tr("Comparing…"));

    connect(m_engine.get(), &EngineHost::flowRecords, m_records, &RecordsModel::setFlowRecords);
    connect(m_engine.get(), &EngineHost::statusEvents, m_records, &RecordsModel::addEvents);
    connect(m_engine.get(), &EngineHost::statusEvents, this, [this](const QList<StatusEvent> &events) {
        QHash<QString, qint64> perFlow;
        for (const StatusEvent &e : events)
            ++perFlow[e.flow];
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        for (auto it = perFlow.begin(); it != perFlow.end(); ++it)
            m_activity.record(it.key(), it.value(), now);
    });
    connect(m_engine.get(), &EngineHost::snapshot, this, &MainWindow::onSnapshot);
    // Attached to a team's agent: a desk with none feeding it says so plainly.
    connect(m_engine.get(), &EngineHost::agentState, this, [this](bool alive, qint64 lastSeenMs) {
        if (alive || !attached()) {
            m_agentBar->hide();
            statusBar()->showMessage(tr("Attached to the team's agent"), 5000);
            return;
        }
        m_agentNotice->setText(
            lastSeenMs > 0
                ? tr("No agent is feeding this desk: its last word was at %1. Statuses here stay as they were "
                     "until one runs again (syncdesk-cli watch), or this console runs the engine itself.")
                      .arg(QDateTime::fromMSecsSinceEpoch(lastSeenMs).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")))
                : tr("No agent has fed this desk yet: start one (syncdesk-cli watch on the team's store), or "
                     "let this console run the engine itself."));
        updateRunHere();
        m_agentBar->show();
    });
    connect(m_engine.get(), &EngineHost::startFailed, this, [this](const QString &error) {
        m_banner->setText(tr("Cannot start: %1").arg(error));
        m_banner->show();
    });
    connect(m_keyFilter, &QLineEdit::textChanged, this, &MainWindow::applyFilters);
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this, &MainWindow::applyFilters);
    connect(m_selectedFlowOnly, &QCheckBox::toggled, this, &MainWindow::applyFilters);
    connect(m_flowsView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        if (const QString f = selectedFlow(); !f.isEmpty()) {
            m_chart->showFlow(f);
            m_activityPanel->showFlow(f);
        }
        if (m_selectedFlowOnly->isChecked())
            applyFilters();
    });
    connect(m_recordsView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &MainWindow::onCurrentRecord);
    connect(m_recordsView, &QTableView::doubleClicked, this, [this] { resolveCurrent(); });
    connect(m_audit, &AuditView::undone, m_engine.get(), &EngineHost::reloadRecords);
    const auto reportExport = [this](bool ok, const QString &message) {
        statusBar()->showMessage(message, 10000);
        if (!ok)
            QMessageBox::warning(this, tr("Export"), message);
    };
    connect(m_audit, &AuditView::exported, this, reportExport);
    connect(m_activityPanel, &ActivityPanel::exported, this, reportExport);
    connect(m_clock, &QTimer::timeout, this, [this] { m_records->setNow(QDateTime::currentMSecsSinceEpoch()); });
    m_clock->start(1000);
    // A colleague's claim shows within seconds, without anyone reloading.
    connect(&m_claimsWatcher, &QFutureWatcherBase::finished, this, &MainWindow::onClaims);
    connect(m_claimsClock, &QTimer::timeout, this, &MainWindow::refreshClaims);
    m_claimsClock->start(3000);
    // Keys and statuses are read whole: sized to their content (sampled, for a million rows).
    m_recordsView->horizontalHeader()->setResizeContentsPrecision(1000);
    connect(m_engine.get(), &EngineHost::flowRecords, this, [this] {
        for (const int column : {int(RecordsModel::KeyColumn), int(RecordsModel::StatusColumn)})
            m_recordsView->resizeColumnToContents(column);
    });

    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_tray = new QSystemTrayIcon(StatusStyle::icon(RecordStatus::InSync), this);
        m_tray->setToolTip(tr("SyncDesk"));
        m_tray->show();
    }
    buildActions();
    const QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

MainWindow::~MainWindow() = default;

void MainWindow::buildActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *openFile = file->addAction(tr("&Open workspace…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open workspace"), QFileInfo(m_path).path(),
                                                          tr("Workspaces (*.json)"));
        if (!path.isEmpty())
            emit openRequested(path);
    });
    openFile->setShortcut(QKeySequence::Open);
    QMenu *recent = file->addMenu(tr("Open &recent"));
    connect(recent, &QMenu::aboutToShow, this, [this, recent] {
        recent->clear();
        for (const QString &path : QSettings().value(QStringLiteral("recentWorkspaces")).toStringList()) {
            QAction *a = recent->addAction(path, this, [this, path] { emit openRequested(path); });
            a->setEnabled(path != m_path && QFileInfo::exists(path));
        }
        if (recent->isEmpty())
            recent->addAction(tr("(none yet)"))->setEnabled(false);
    });
    file->addSeparator();
    QAction *op = file->addAction(tr("Set &operator name…"));
    connect(op, &QAction::triggered, this, [this] {
        bool ok = false;
        const QString name = QInputDialog::getText(this, tr("Operator"), tr("Your name, as the audit log records it:"),
                                                   QLineEdit::Normal, m_operator, &ok);
        if (ok && !name.trimmed().isEmpty()) {
            m_operator = name.trimmed();
            QSettings().setValue(QStringLiteral("operator"), m_operator);
        }
    });
    QAction *edit = file->addAction(tr("&Edit workspace…"), this, [this] {
        auto *editor = new WorkspaceEditor(m_workspace, m_path, this);
        editor->setAttribute(Qt::WA_DeleteOnClose);
        connect(editor, &QDialog::accepted, this, [this] { emit workspaceSaved(m_path); });
        editor->open();
    });
    edit->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *record = menuBar()->addMenu(tr("&Record"));
    m_resolveAction = record->addAction(tr("&Resolve…"), this, [this] { resolveCurrent(); });
    m_resolveAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_bulkAction = record->addAction(tr("Resolve &all matching…"), this, [this] { resolveAllMatching(); });
    m_bulkAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    m_claimAction = record->addAction(tr("&Claim"), this, [this] { claimSelected(false); });
    m_claimAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_claimAction->setToolTip(tr("Hold the selected records for %1 minutes (the workspace's claim_minutes): nobody "
                                 "else resolves them meanwhile").arg(m_workspace.claimMinutes));
    m_releaseAction = record->addAction(tr("Re&lease claim"), this, [this] { claimSelected(true); });
    m_releaseAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
    record->setToolTipsVisible(true);
    QAction *find = record->addAction(tr("&Find by key"), this, [this] {
        m_tabs->setCurrentIndex(0);
        m_keyFilter->setFocus();
        m_keyFilter->selectAll();
    });
    find->setShortcut(QKeySequence::Find);
    QAction *refresh = record->addAction(tr("Re&read record"), this, &MainWindow::onCurrentRecord);
    refresh->setShortcut(QKeySequence::Refresh);

    QMenu *flow = menuBar()->addMenu(tr("F&low"));
    QAction *compare = m_compareAction = flow->addAction(tr("&Compare now"), this, [this] {
        if (const QString f = selectedFlow(); !f.isEmpty())
            m_engine->compareNow(f);
    });
    compare->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_F5)); // its status tip: applyEngineMode()
    QAction *cancel = m_cancelAction = flow->addAction(tr("C&ancel comparison"), this, [this] {
        if (const QString f = selectedFlow(); !f.isEmpty())
            m_engine->cancelComparison(f);
    });
    cancel->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F5));

    QMenu *audit = menuBar()->addMenu(tr("&Audit"));
    QAction *show = audit->addAction(tr("&Show audit log"), this, [this] { m_tabs->setCurrentWidget(m_audit); });
    show->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    QAction *exp = audit->addAction(tr("&Export…"), this, [this] {
        m_tabs->setCurrentWidget(m_audit);
        m_audit->exportInteractively();
    });
    exp->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    QAction *undo = audit->addAction(tr("&Undo selected resolution…"), this, [this] {
        m_tabs->setCurrentWidget(m_audit);
        m_audit->undoSelected();
    });
    undo->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z));
    audit->addSeparator();
    QAction *activity = audit->addAction(tr("Flow &activity"), this, [this] {
        m_tabs->setCurrentWidget(m_activityPanel);
    });
    activity->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Y));
    audit->addAction(tr("&SLA report…"), this, [this] {
        m_tabs->setCurrentWidget(m_activityPanel);
        m_activityPanel->exportSlaInteractively();
    });
    applyEngineMode();
}

void MainWindow::start()
{
    // Secrets in the desktop keychain are read first, so the engine's first requests carry
    // them; one that cannot be read leaves its system failing with the keychain's reason.
    // PostgreSQL passwords stored there are optional: without one, libpq's password file serves.
    const QStringList entries = KeychainSecrets::entries(m_workspace);
    const QStringList passwords = KeychainSecrets::passwordEntries(m_workspace);
    if (entries.isEmpty() && passwords.isEmpty()) {
        m_engine->start();
        refreshClaims();
        return;
    }
    auto *keychain = new KeychainSecrets(this);
    connect(keychain, &KeychainSecrets::loaded, this, [this, keychain](const QStringList &problems) {
        keychain->deleteLater();
        if (!problems.isEmpty())
            statusBar()->showMessage(tr("Not read from the desktop keychain: %1").arg(problems.join(QStringLiteral("; "))));
        m_engine->start();
        refreshClaims();
    });
    keychain->read(entries, passwords);
}

QString MainWindow::passwordTarget(const QString &system) const
{
    if (system == u"state store")
        return isStateUri(m_workspace.state) ? m_workspace.state : QString();
    const SystemSpec *spec = m_workspace.system(system);
    return spec && spec->kind == SystemKind::Postgres ? spec->conninfo : QString();
}

void MainWindow::storePassword(const QString &system, const QByteArray &password)
{
    const QString conninfo = passwordTarget(system);
    if (conninfo.isEmpty()) {
        emit passwordStored(false, tr("%1 is not a PostgreSQL system").arg(system));
        return;
    }
    // Tested first, on the pool: only a password the server accepts is stored.
    auto *watcher = new QFutureWatcher<Fallible<bool>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, system, conninfo, password] {
        watcher->deleteLater();
        const auto r = watcher->result();
        if (!r.value) {
            emit passwordStored(false, tr("Not stored: %1 refused it: %2").arg(system, r.error));
            return;
        }
        const QString error = KeychainSecrets::write(PgConnection::passwordEntry(conninfo), password);
        emit passwordStored(error.isEmpty(), error.isEmpty()
                                                 ? tr("Password of %1 tested and stored in the desktop keychain").arg(system)
                                                 : tr("Tested, but the desktop keychain did not store it: %1").arg(error));
    });
    watcher->setFuture(RecordService::testPassword(conninfo, password));
}

void MainWindow::askPassword(const QString &system)
{
    bool ok = false;
    const QString password = QInputDialog::getText(this, tr("PostgreSQL password"),
                                                   tr("Password for %1 (tested before it is stored in the desktop "
                                                      "keychain; agents keep using the password file):")
                                                       .arg(system),
                                                   QLineEdit::Password, {}, &ok);
    if (!ok || password.isEmpty())
        return; // cancelled: nothing stored
    storePassword(system, password.toUtf8());
}

QString MainWindow::bannerText() const
{
    return m_banner->isVisible() || !m_banner->text().isEmpty() ? m_banner->text() : QString();
}

void MainWindow::applyFilters()
{
    m_records->setKeyFilter(m_keyFilter->text());
    const int status = m_statusFilter->currentData().toInt();
    m_records->setStatusFilter(status < 0 ? QList<RecordStatus>{} : QList<RecordStatus>{RecordStatus(status)});
    const QString flow = selectedFlow();
    m_records->setFlowFilter(m_selectedFlowOnly->isChecked() && !flow.isEmpty() ? QStringList{flow} : QStringList{});
}

QString MainWindow::selectedFlow() const
{
    const FlowSnapshot *f = m_flows->flowAt(m_flowsView->currentIndex().row());
    return f ? f->name : QString();
}

void MainWindow::showComparison(const QList<FlowSnapshot> &flows)
{
    // The selected flow's comparison if it runs one, else the first that does.
    const FlowSnapshot *shown = nullptr;
    for (const FlowSnapshot &f : flows) {
        if (f.comparison.running && (!shown || f.name == selectedFlow()))
            shown = &f;
    }
    m_compareBar->setVisible(shown);
    m_compareCancel->setVisible(shown);
    if (!shown) {
        m_compareFlow.clear();
        return;
    }
    m_compareFlow = shown->name;
    const LiveEngine::Comparison &c = shown->comparison;
    if (c.expected > 0) {
        m_compareBar->setRange(0, 1000);
        m_compareBar->setValue(int(std::min<qint64>(999, c.records * 1000 / c.expected)));
    } else {
        m_compareBar->setRange(0, 0); // no earlier count to measure against: busy
    }
    m_compareBar->setFormat(QStringLiteral("%1: %2").arg(shown->name, comparisonText(c)));
    m_compareBar->setToolTip(m_compareBar->format());
}

void MainWindow::onSnapshot(const QList<FlowSnapshot> &flows, const QList<SystemHealth> &systems)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_flows->setSnapshot(flows);
    showComparison(flows);
    m_systems->setSystems(systems, now);
    m_chart->addSnapshot(flows, now);
    if (!m_flowsView->currentIndex().isValid() && !flows.isEmpty()) {
        m_flowsView->setCurrentIndex(m_flows->index(0, 0));
        m_flowsView->resizeColumnsToContents();
        m_systemsView->resizeColumnsToContents();
    }
    qint64 outOfSync = 0;
    int ready = 0;
    for (const FlowSnapshot &f : flows) {
        outOfSync += f.outOfSync();
        ready += f.ready;
    }
    m_counts->setText(tr("%1 of %2 flows live · %3 records out of sync · %4 shown")
                          .arg(ready).arg(flows.size()).arg(outOfSync).arg(m_records->rowCount()));
    // (An attached desk hears of no flow until an agent has written: that is not "all live".)
    if (ready == flows.size() && (!flows.isEmpty() || m_workspace.flows.isEmpty())) {
        statusBar()->clearMessage();
        if (!std::exchange(m_allLive, true))
            emit allFlowsLive();
    }
    QList<AlertMonitor::Silence> silent;
    for (const FlowSnapshot &f : flows) {
        m_activity.record(f.name, 0, now); // an hour with no changes still ends
        AlertMonitor::Silence q{f.name};
        if (f.ready && m_activity.silent(f.name, now, &q.seen, &q.usual))
            silent << q;
    }
    const AlertMonitor::Update alerts = m_alerts.update(flows, systems, silent);
    m_banner->setText(alerts.active.join(u'\n'));
    m_banner->setVisible(!alerts.active.isEmpty());
    if (m_tray && !alerts.started.isEmpty())
        m_tray->showMessage(tr("SyncDesk"), alerts.started.join(u'\n'), QSystemTrayIcon::Warning);
}

void MainWindow::onCurrentRecord()
{
    const int row = m_recordsView->currentIndex().row();
    if (row >= 0) {
        m_detail->showRecord(m_records->flowAt(row), m_records->keyAt(row));
        m_detail->setClaim(m_records->claimAt(row));
    }
}

void MainWindow::notice(QMessageBox::Icon icon, const QString &title, const QString &text)
{
    // Window-modal and not waited on: an answer arriving in the background never stops the
    // event loop (nor a test driving the window).
    auto *box = new QMessageBox(icon, title, text, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName(QStringLiteral("notice"));
    box->open();
}

void MainWindow::refreshClaims()
{
    if (!m_claimsWatcher.isRunning())
        m_claimsWatcher.setFuture(m_service->claims());
}

void MainWindow::onClaims()
{
    const auto r = m_claimsWatcher.result();
    if (!r.value) {
        // The store being away is the systems panel's and the banner's to say; here, only
        // that claims are not known.
        m_role->setToolTip(tr("Claims unknown: %1").arg(r.error));
        return;
    }
    m_records->setClaims(r.value->claims);
    if (const int row = m_recordsView->currentIndex().row(); row >= 0)
        m_detail->setClaim(m_records->claimAt(row));
    m_permissions = r.value->permissions;
    applyPermissions();
}

void MainWindow::applyPermissions()
{
    const StorePermissions &p = m_permissions;
    const QString role = p.roleText();
    m_role->setText(role.isEmpty() ? QString() : tr("Store login: %1").arg(role));
    m_role->setToolTip(role.isEmpty() ? QString()
                                      : tr("What this login may do is decided by the team's PostgreSQL "
                                           "(syncdesk-cli team grant)"));
    const QString denied = tr("The state store's login %1 may not do this").arg(p.login);
    for (const auto &[action, allowed] : {std::pair{m_resolveAction, p.resolve}, {m_bulkAction, p.resolve},
                                          {m_claimAction, p.claim}, {m_releaseAction, p.claim}}) {
        action->setEnabled(allowed);
        action->setStatusTip(allowed ? QString() : denied);
    }
    applyEngineMode();
    updateRunHere();
    if (attached())
        m_role->setText(m_role->text() + tr(" · attached to the agent"));
}

void MainWindow::applyEngineMode()
{
    // Comparisons are the engine's: attached, the agent runs them. Set as soon as the actions
    // exist, since the agent's records can arrive before the store's permissions do.
    const QString agentRuns = tr("The team's agent runs this desk's comparisons");
    m_compareAction->setEnabled(!attached());
    m_compareAction->setStatusTip(attached() ? agentRuns
                                             : tr("A full comparison of the selected flow now (its first, if it "
                                                  "was stopped)"));
    m_cancelAction->setEnabled(!attached());
    m_cancelAction->setStatusTip(attached() ? agentRuns : QString());
}

void MainWindow::updateRunHere()
{
    m_runHere->setEnabled(m_permissions.runEngine);
    m_runHere->setToolTip(m_permissions.runEngine
                              ? tr("Watch the systems from this console, with its own feeds")
                              : tr("The state store's login %1 may not keep the engine's state").arg(m_permissions.login));
}

void MainWindow::runEngineHere()
{
    m_agentBar->hide();
    m_engine->runEngineHere();
    applyPermissions();
    statusBar()->showMessage(tr("Comparing…"));
}

void MainWindow::claimSelected(bool release)
{
    QModelIndexList rows = m_recordsView->selectionModel()->selectedRows();
    if (rows.isEmpty() && m_recordsView->currentIndex().isValid())
        rows << m_recordsView->currentIndex();
    if (rows.isEmpty()) {
        statusBar()->showMessage(tr("Select the records to claim"), 5000);
        return;
    }
    if (m_claimWatcher.isRunning())
        return;
    const QString flow = m_records->flowAt(rows.first().row());
    QList<QByteArray> keys;
    for (const QModelIndex &i : rows) {
        if (m_records->flowAt(i.row()) != flow) {
            QMessageBox::information(this, tr("Claim"), tr("The selection mixes flows: claim one flow's records at a time."));
            return;
        }
        keys << m_records->keyAt(i.row());
    }
    disconnect(&m_claimWatcher, nullptr, this, nullptr);
    connect(&m_claimWatcher, &QFutureWatcherBase::finished, this, [this, release, flow] {
        const auto r = m_claimWatcher.result();
        if (!r.value) {
            notice(QMessageBox::Warning, release ? tr("Release claim") : tr("Claim"), r.error);
        } else {
            const QString done = QString::number(r.value->done);
            statusBar()->showMessage(release ? tr("%1 record(s) of %2 released").arg(done, flow)
                                             : tr("%1 record(s) of %2 claimed for %3 minutes")
                                                   .arg(done, flow, QString::number(m_workspace.claimMinutes)),
                                     10000);
            if (!r.value->refused.isEmpty())
                notice(QMessageBox::Information, release ? tr("Release claim") : tr("Claim"),
                       tr("Left as they are:\n%1").arg(r.value->refused.join(u'\n')));
        }
        refreshClaims();
    });
    m_claimWatcher.setFuture(m_service->claim(flow, keys, m_operator, release, m_workspace.claimMinutes));
}

QWidget *MainWindow::resolveAllMatching()
{
    if (!m_permissions.resolve) {
        statusBar()->showMessage(tr("The state store's login %1 may not resolve").arg(m_permissions.login), 10000);
        return nullptr;
    }
    const QString flow = selectedFlow();
    const int status = m_statusFilter->currentData().toInt();
    if (flow.isEmpty() || status < 0) {
        QMessageBox::information(this, tr("Resolve all matching"),
                                 tr("Select a flow and a status in the filter first: a bulk resolution "
                                    "covers one flow's records of one status."));
        return nullptr;
    }
    auto *dialog = new BulkResolveDialog(*m_service, flow, RecordStatus(status), m_operator, {}, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &BulkResolveDialog::resolvedAll, m_engine.get(), &EngineHost::reloadRecords);
    dialog->open();
    return dialog;
}

void MainWindow::selectFirstRecord()
{
    if (m_records->rowCount() > 0)
        m_recordsView->setCurrentIndex(m_records->index(0, 0));
}

QWidget *MainWindow::resolveCurrent()
{
    if (!m_permissions.resolve) { // a double click reaches here without the menu's action
        statusBar()->showMessage(tr("The state store's login %1 may not resolve").arg(m_permissions.login), 10000);
        return nullptr;
    }
    const QModelIndexList selected = m_recordsView->selectionModel()->selectedRows();
    if (selected.size() > 1)
        return resolveSelected(selected);
    const int row = m_recordsView->currentIndex().row();
    if (row < 0) {
        statusBar()->showMessage(tr("Select a record to resolve"), 5000);
        return nullptr;
    }
    auto *dialog = new ResolveDialog(*m_service, m_records->flowAt(row), m_records->keyAt(row), m_operator, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ResolveDialog::resolved, this, [this](const QString &flow, const QByteArray &key) {
        statusBar()->showMessage(tr("%1 resolved in %2").arg(QString::fromUtf8(key), flow), 10000);
        m_engine->reloadRecords(flow);
        if (m_detail->keyJson() == key)
            m_detail->showRecord(flow, key);
    });
    dialog->open();
    return dialog;
}

QWidget *MainWindow::resolveSelected(const QModelIndexList &rows)
{
    // One decision for records that share a flow and a status, like a filter's bulk rule.
    const QString flow = m_records->flowAt(rows.first().row());
    const RecordStatus status = m_records->statusAt(rows.first().row());
    QList<QByteArray> keys;
    for (const QModelIndex &i : rows) {
        if (m_records->flowAt(i.row()) != flow || m_records->statusAt(i.row()) != status) {
            QMessageBox::information(this, tr("Resolve selected"),
                                     tr("The selection mixes flows or statuses. One decision covers the "
                                        "records of one flow with one status: narrow the selection, or "
                                        "filter by status."));
            return nullptr;
        }
        keys.append(m_records->keyAt(i.row()));
    }
    auto *dialog = new BulkResolveDialog(*m_service, flow, status, m_operator, keys, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &BulkResolveDialog::resolvedAll, m_engine.get(), &EngineHost::reloadRecords);
    dialog->open();
    return dialog;
}

void MainWindow::styleBanner()
{
    // Red on the palette's own lightness: a pale band on a light desktop, a dark one on dark.
    const bool dark = palette().color(QPalette::Window).lightness() < 128;
    m_banner->setStyleSheet(dark ? QStringLiteral("QLabel { background: #5c1a14; color: #ffd7d2; padding: 6px; font-weight: bold }")
                                 : QStringLiteral("QLabel { background: #fdecea; color: #8a1c12; padding: 6px; font-weight: bold }"));
}

void MainWindow::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        styleBanner();
    QMainWindow::changeEvent(event);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    event->accept();
}

} // namespace syncdesk::ui
