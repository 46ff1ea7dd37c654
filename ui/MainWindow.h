#pragma once

#include "AlertMonitor.h"
#include "session/FlowActivity.h"
#include "session/RecordService.h"
#include "model/Workspace.h"

#include <QFutureWatcher>
#include "session/EngineHost.h"

#include <QMainWindow>
#include <QMessageBox>
#include <QModelIndexList>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSettings;
class QSystemTrayIcon;
class QProgressBar;
class QPushButton;
class QTableView;
class QTabWidget;
class QTimer;

namespace syncdesk {
class RecordService;
}

namespace syncdesk::ui {

class ActivityPanel;
class AuditView;
class FlowsModel;
class LagChart;
class RecordDetailPanel;
class RecordsModel;
class RecordSummaryLoader;
class SystemsModel;

// The operations console: systems, flows with their lag against the SLA, every record that is
// not in sync (live), one record in detail, resolution, and the audit log. Everything that
// reads a system runs off this thread: the engine on its own, one-off work on the pool.
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    // On a team's store the window attaches to the agent (EngineHost::defaultMode); `mode`
    // makes it run the engine itself instead (`syncdesk --engine`).
    MainWindow(Workspace workspace, const QString &workspacePath, QWidget *parent = nullptr);
    MainWindow(Workspace workspace, const QString &workspacePath, EngineHost::Mode mode, QWidget *parent = nullptr);
    ~MainWindow() override;

    void start();
    [[nodiscard]] RecordsModel *records() const { return m_records; }
    [[nodiscard]] QTableView *recordsView() const { return m_recordsView; }
    [[nodiscard]] RecordSummaryLoader *summaries() const { return m_summaries; }
    [[nodiscard]] AuditView *auditView() const { return m_audit; }
    [[nodiscard]] ActivityPanel *activityPanel() const { return m_activityPanel; }
    [[nodiscard]] QString bannerText() const;
    // Attached to a team's agent (not running the engine).
    [[nodiscard]] bool attached() const { return m_engine->mode() == EngineHost::Mode::Attach; }
    // Attached with no agent feeding the desk: the engine runs here from now on.
    void runEngineHere();
    void selectFirstRecord();
    // Opens the resolve dialog for the current record; returns it (tests drive it).
    QWidget *resolveCurrent();
    // Opens the bulk resolution for the selected flow and the status filter.
    QWidget *resolveAllMatching();
    // Claims (or releases) the selected records for the operator.
    void claimSelected(bool release);
    // Asks the store for its claims and permissions now (also every few seconds).
    void refreshClaims();
    [[nodiscard]] const StorePermissions &permissions() const { return m_permissions; }
    // Tests `password` on PostgreSQL system `system` (or "state store") and, if the server
    // takes it, stores it in the desktop keychain; passwordStored() tells how it went.
    void storePassword(const QString &system, const QByteArray &password);

signals:
    // Every flow's first comparison is done: the window shows the whole picture.
    void allFlowsLive();
    // The workspace file was edited and saved: the console reopens it.
    void workspaceSaved(const QString &path);
    // The operator chose another workspace (File ▸ Open…, Open recent).
    void openRequested(const QString &path);
    void passwordStored(bool ok, const QString &message);

protected:
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void buildActions();
    void applyFilters();
    void onSnapshot(const QList<FlowSnapshot> &flows, const QList<SystemHealth> &systems);
    void onCurrentRecord();
    QWidget *resolveSelected(const QModelIndexList &rows);
    void styleBanner();
    void onClaims();
    void notice(QMessageBox::Icon icon, const QString &title, const QString &text);
    // The conninfo (or URI) of a PostgreSQL system or the state store; empty for others.
    [[nodiscard]] QString passwordTarget(const QString &system) const;
    void askPassword(const QString &system);
    // What the store's login may not do is disabled, and says why.
    void applyPermissions();
    // Compare and Cancel belong to the agent while attached.
    void applyEngineMode();
    // "Run the engine here": only for a login that may keep the engine's state, saying why not.
    void updateRunHere();
    // The flow the Flow menu acts on: the selected one.
    [[nodiscard]] QString selectedFlow() const;
    void showComparison(const QList<FlowSnapshot> &flows);

    Workspace m_workspace;
    QString m_path;
    std::unique_ptr<RecordService> m_service;
    std::unique_ptr<EngineHost> m_engine;
    RecordsModel *m_records;
    FlowsModel *m_flows;
    SystemsModel *m_systems;
    QTableView *m_recordsView;
    QTableView *m_flowsView;
    QTableView *m_systemsView;
    LagChart *m_chart;
    RecordDetailPanel *m_detail;
    RecordSummaryLoader *m_summaries;
    AuditView *m_audit;
    ActivityPanel *m_activityPanel;
    QTabWidget *m_tabs;
    QLineEdit *m_keyFilter;
    QComboBox *m_statusFilter;
    QCheckBox *m_selectedFlowOnly;
    QLabel *m_banner;
    // Attached and no agent feeds the desk: says so, and offers to run the engine here.
    QWidget *m_agentBar;
    QLabel *m_agentNotice;
    QPushButton *m_runHere;
    QAction *m_compareAction = nullptr;
    QAction *m_cancelAction = nullptr;
    QLabel *m_counts;
    QProgressBar *m_compareBar;
    QPushButton *m_compareCancel;
    QString m_compareFlow; // the flow whose comparison the bar shows
    QTimer *m_clock;
    QSystemTrayIcon *m_tray = nullptr;
    AlertMonitor m_alerts;
    QSettings *m_settings;
    FlowActivity m_activity;
    QString m_operator;
    // Claims and the store's permissions, asked every few seconds.
    QTimer *m_claimsClock;
    QFutureWatcher<Fallible<RecordService::Claims>> m_claimsWatcher;
    QFutureWatcher<Fallible<RecordService::ClaimOutcome>> m_claimWatcher;
    StorePermissions m_permissions;
    QLabel *m_role;
    QAction *m_resolveAction = nullptr;
    QAction *m_bulkAction = nullptr;
    QAction *m_claimAction = nullptr;
    QAction *m_releaseAction = nullptr;
    bool m_allLive = false;
};

} // namespace syncdesk::ui
