#pragma once

#include "model/Workspace.h"
#include "session/PendingSecrets.h"
#include "session/SystemProbe.h"

#include <QDialog>
#include <QFutureWatcher>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QSpinBox;
class QStackedWidget;

namespace syncdesk::ui {

// Systems and flows of a workspace, edited and saved to its file. Test connection lists a
// system's tables; a flow's tables and columns are picked from what the systems have. A
// PostgreSQL password goes to libpq's password file, an API's token to the desktop keychain
// (once Test connection saw the API accept it, when the workspace is saved), never into the
// workspace, which names the keychain entry. The file is written only when it loads back as a
// valid workspace.
class WorkspaceEditor : public QDialog
{
    Q_OBJECT

public:
    WorkspaceEditor(Workspace workspace, QString path, QWidget *parent = nullptr);

    [[nodiscard]] const Workspace &workspace() const { return m_ws; }
    // Saves to the file; false with the reason shown when it is not valid.
    bool save();

signals:
    void probed(); // a Test connection or a column listing answered (tests wait on it)

private:
    void showSystem(int row);
    void showFlow(int row);
    void storeSystem();
    // A flow side's table as the editor's text names it (an HTTP side: its resource).
    [[nodiscard]] TableRef sideTable(const FlowSide &side, const QString &text) const;
    void storeFlow();
    void testConnection();
    // An API system's typed token: tried on a copy of the system; kept (memory until save)
    // and named by the system's header only once the API accepted it.
    void tryApiToken(const SystemSpec &system);
    void tokenTested();
    void loadColumns();
    void refreshLists();

    Workspace m_ws;
    QString m_path;
    int m_system = -1;
    int m_flow = -1;
    bool m_loading = false;

    QListWidget *m_systems;
    QListWidget *m_flows;
    QStackedWidget *m_forms;
    // System form.
    QLineEdit *m_sysName;
    QComboBox *m_sysKind;
    QLineEdit *m_sysTarget; // conninfo or path
    QLineEdit *m_sysPassword;
    QLineEdit *m_sysSecretHeader; // an API's "Name: prefix" for its token
    QComboBox *m_sysFeed;
    QLabel *m_sysResult;
    // Flow form.
    QLineEdit *m_flowName;
    QComboBox *m_srcSystem, *m_dstSystem;
    QComboBox *m_srcTable, *m_dstTable;
    QListWidget *m_keys;
    QListWidget *m_fields;
    QSpinBox *m_sla;
    QComboBox *m_direction, *m_policy;
    QCheckBox *m_policyDryRun;
    // The flow's tracer probe: no table, no probe.
    QLineEdit *m_probeTable, *m_probeTarget;
    QSpinBox *m_probeInterval;
    QLabel *m_message;
    QFutureWatcher<Fallible<QList<TableRef>>> m_tablesWatcher;
    PendingSecrets m_secrets;
    // The token the running test tries: for which system, in which header, under which entry.
    struct TokenTrial
    {
        QString system;
        HttpHeader header; // its keychain entry and prefix; the token itself apart
        QByteArray token;
    };
    std::optional<TokenTrial> m_trial;
    QFutureWatcher<Fallible<QString>> m_tokenWatcher;
    QFutureWatcher<Fallible<QStringList>> m_columnsWatcher;
};

} // namespace syncdesk::ui
