#include "CliRun.h"
#include "ConsoleSupport.h"
#include "MainWindow.h"
#include "RecordDetailPanel.h"
#include "TestPostgres.h"
#include "TestSqlite.h"
#include "model/WorkspaceLoader.h"
#include "models/RecordsModel.h"
#include "session/AttachedDesk.h"
#include "state/TeamSetup.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace syncdesk;
using syncdesk::ui::MainWindow;
using syncdesk::ui::RecordsModel;
using testsupport::rowOf;
using testsupport::startLive;

// Two consoles of one team, offscreen, on a shared PostgreSQL state store: a resolver's claim
// shows live in a colleague's console, and a viewer's console disables what PostgreSQL would
// refuse it.
class TestTeamConsole : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_address; // 127.0.0.1:PORT
    QString m_src, m_dst;

    QString store(const QString &login) const
    {
        return QStringLiteral("postgresql://%1@%2/team_console").arg(login, m_address);
    }

    // The same systems; the state store reached as `login`.
    QString workspace(const QString &login)
    {
        const QByteArray json = QStringLiteral(R"({"version": 1, "state": "%3", "systems": [
              {"name": "warehouse", "kind": "sqlite", "path": "%1"},
              {"name": "sales", "kind": "sqlite", "path": "%2"}],
            "flows": [{"name": "devices",
              "source": {"system": "warehouse", "table": "devices"},
              "target": {"system": "sales", "table": "devices"},
              "key": ["sku"], "fields": ["price"], "direction": "one-way", "sla_seconds": 300}]})")
                                    .arg(m_src, m_dst, store(login))
                                    .toUtf8();
        return testsupport::writeFile(QDir(m_dir.path()), login + QStringLiteral(".json"), json);
    }



    static QAction *action(MainWindow &w, const QString &text)
    {
        for (QAction *a : w.findChildren<QAction *>())
            if (a->text() == text)
                return a;
        return nullptr;
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        QString error, owner;
        QVERIFY2(testsupport::createDatabase(QStringLiteral("team_console"), &owner, &error), qPrintable(error));
        const QString fixture = testsupport::fixtureConninfo(&error);
        const auto port = QRegularExpression(QStringLiteral("port=(\\d+)")).match(fixture);
        QVERIFY(port.hasMatch());
        m_address = QStringLiteral("127.0.0.1:") + port.captured(1);
        for (const char *login : {"ana", "vic", "agt"})
            PG_EXEC(fixture, QStringLiteral("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%1') "
                                            "THEN CREATE ROLE %1 LOGIN; END IF; END $$")
                                 .arg(QLatin1String(login)));
        TeamSetup::run(store(QStringLiteral("postgres")));
        TeamSetup::grant(store(QStringLiteral("postgres")), QStringLiteral("ana"), QStringLiteral("resolver"));
        TeamSetup::grant(store(QStringLiteral("postgres")), QStringLiteral("vic"), QStringLiteral("viewer"));
        TeamSetup::grant(store(QStringLiteral("postgres")), QStringLiteral("agt"), QStringLiteral("agent"));
        m_src = m_dir.filePath(QStringLiteral("src.db"));
        m_dst = m_dir.filePath(QStringLiteral("dst.db"));
        const QString ddl = QStringLiteral("CREATE TABLE devices (sku text PRIMARY KEY, price numeric)");
        QVERIFY2(testsupport::sqliteExec(m_src, {ddl, QStringLiteral("INSERT INTO devices VALUES ('A1', 1), ('B2', 2)")},
                                         &error),
                 qPrintable(error));
        QVERIFY2(testsupport::sqliteExec(m_dst, {ddl, QStringLiteral("INSERT INTO devices VALUES ('A1', 1), ('B2', 99)")},
                                         &error),
                 qPrintable(error));
    }

    // Given Ana's console and Vic's, when Ana claims B2, then Vic's console shows "Ana since
    // HH:MM" within seconds; Vic, a viewer, finds Resolve and Claim disabled and his login's
    // role named; Ana releases and the claim goes from both.
    void shouldShowAColleaguesClaimAndDisableWhatTheRoleCannotDo()
    {
        QSettings().setValue(QStringLiteral("operator"), QStringLiteral("Ana"));
        // Each runs its own engine here (`syncdesk --engine`); attaching is the next test's.
        MainWindow ana(WorkspaceLoader::load(workspace(QStringLiteral("ana"))), QStringLiteral("ana.json"),
                       EngineHost::Mode::Engine);
        QVERIFY(startLive(ana));
        QSettings().setValue(QStringLiteral("operator"), QStringLiteral("Vic"));
        MainWindow vic(WorkspaceLoader::load(workspace(QStringLiteral("vic"))), QStringLiteral("vic.json"),
                       EngineHost::Mode::Engine);
        QVERIFY(startLive(vic));

        const QByteArray key("[\"B2\"]");
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(*ana.records(), key) >= 0, 20000);
        const int row = rowOf(*ana.records(), key);
        ana.recordsView()->setCurrentIndex(ana.records()->index(row, 0));
        QTRY_VERIFY_WITH_TIMEOUT(ana.permissions().login == u"ana", 10000);
        QVERIFY(ana.permissions().claim);
        ana.claimSelected(false);

        // Vic's console: the claim, by polling the shared store.
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(*vic.records(), key) >= 0, 20000);
        QTRY_VERIFY_WITH_TIMEOUT(vic.records()->claimAt(rowOf(*vic.records(), key)).has_value(), 10000);
        const int vicRow = rowOf(*vic.records(), key);
        QCOMPARE(vic.records()->claimAt(vicRow)->operatorName, QStringLiteral("Ana"));
        QVERIFY(vic.records()->data(vic.records()->index(vicRow, RecordsModel::ClaimColumn)).toString().startsWith(u"Ana since"));
        vic.recordsView()->setCurrentIndex(vic.records()->index(vicRow, 0));
        auto *claimLabel = vic.findChild<QLabel *>(QStringLiteral("claim"));
        QVERIFY(claimLabel);
        QTRY_VERIFY_WITH_TIMEOUT(claimLabel->text().startsWith(u"Claimed by Ana since"), 10000);

        // A viewer: PostgreSQL would refuse, so the console does not offer.
        QTRY_VERIFY_WITH_TIMEOUT(vic.permissions().login == u"vic", 10000);
        QVERIFY(!vic.permissions().resolve);
        QVERIFY(!action(vic, QStringLiteral("&Resolve…"))->isEnabled());
        QVERIFY(!action(vic, QStringLiteral("&Claim"))->isEnabled());
        QVERIFY(action(ana, QStringLiteral("&Resolve…"))->isEnabled());
        QVERIFY(vic.findChild<QLabel *>(QStringLiteral("role"))->text().contains(u"vic (read only)"));

        // A console runs its own engine, whose state only an agent's login may keep: it says so,
        // rather than calling the store down.
        QTRY_VERIFY_WITH_TIMEOUT(vic.bannerText().contains(u"may not keep the live engine's state"), 10000);
        QVERIFY2(!vic.bannerText().contains(u"unavailable"), qPrintable(vic.bannerText()));
        ana.claimSelected(true);
        QTRY_VERIFY_WITH_TIMEOUT(!vic.records()->claimAt(rowOf(*vic.records(), key)).has_value(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!claimLabel->isVisible(), 5000);
    }

    // Given an agent (`syncdesk-cli watch` as the agent's login) and two consoles opened on the
    // team's workspace, then both attach to what the agent publishes instead of watching the
    // systems: they list what it found, and a change at the source reaches both within
    // seconds. When the agent is killed (-9), each says plainly that no agent feeds the desk and
    // offers to run the engine, which a resolver's login may not; when an agent runs again,
    // the notice goes and what changed meanwhile shows.
    void shouldAttachToTheAgentAndSayWhenItIsGone()
    {
        const QString agentWorkspace = workspace(QStringLiteral("agt"));
        QProcess agent;
        agent.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        const auto startAgent = [&agent, &agentWorkspace] {
            agent.start(QStringLiteral(SYNCDESK_CLI_PATH),
                        {QStringLiteral("watch"), QStringLiteral("--workspace"), agentWorkspace, QStringLiteral("--quiet")});
            return agent.waitForStarted();
        };
        QVERIFY(startAgent());
        QSettings().setValue(QStringLiteral("operator"), QStringLiteral("Ana"));
        MainWindow ana(WorkspaceLoader::load(workspace(QStringLiteral("ana"))), QStringLiteral("ana.json"));
        QVERIFY(ana.attached());
        QVERIFY(startLive(ana));
        QSettings().setValue(QStringLiteral("operator"), QStringLiteral("Vic"));
        MainWindow vic(WorkspaceLoader::load(workspace(QStringLiteral("vic"))), QStringLiteral("vic.json"));
        QVERIFY(vic.attached());
        QVERIFY(startLive(vic));

        // What the agent found: B2 differs (the previous test left it so), A1 agrees.
        for (MainWindow *w : {&ana, &vic}) {
            QTRY_VERIFY_WITH_TIMEOUT(rowOf(*w->records(), "[\"B2\"]") >= 0, 20000);
            QCOMPARE(rowOf(*w->records(), "[\"A1\"]"), -1);
            QVERIFY(!action(*w, QStringLiteral("&Compare now"))->isEnabled()); // the agent's to run
        }
        // The role comes with the store's permissions, which may arrive after the agent's records.
    QTRY_VERIFY_WITH_TIMEOUT(vic.findChild<QLabel *>(QStringLiteral("role"))->text().contains(u"attached to the agent"), 10000);
        QString error;
        QVERIFY2(testsupport::sqliteExec(m_src, {QStringLiteral("UPDATE devices SET price = 7 WHERE sku = 'A1'")}, &error),
                 qPrintable(error));
        for (MainWindow *w : {&ana, &vic})
            QTRY_VERIFY_WITH_TIMEOUT(rowOf(*w->records(), "[\"A1\"]") >= 0, 10000);

        // The agent dies: both say so; Ana's login may not keep the engine's state.
        agent.kill();
        agent.waitForFinished();
        auto *notice = ana.findChild<QLabel *>(QStringLiteral("agentNotice"));
        QVERIFY(notice);
        for (MainWindow *w : {&ana, &vic}) {
            auto *bar = w->findChild<QWidget *>(QStringLiteral("agentBar"));
            QTRY_VERIFY_WITH_TIMEOUT(bar->isVisible(), AttachedDesk::AgentSilentMs + 5000);
        }
        QVERIFY2(notice->text().contains(u"No agent is feeding this desk"), qPrintable(notice->text()));
        QVERIFY(!ana.findChild<QPushButton *>(QStringLiteral("runEngineHere"))->isEnabled());

        // Meanwhile B2 is put right at the target; an agent started again finds it.
        QVERIFY2(testsupport::sqliteExec(m_dst, {QStringLiteral("UPDATE devices SET price = 2 WHERE sku = 'B2'")}, &error),
                 qPrintable(error));
        QVERIFY(startAgent());
        for (MainWindow *w : {&ana, &vic}) {
            auto *bar = w->findChild<QWidget *>(QStringLiteral("agentBar"));
            QTRY_VERIFY_WITH_TIMEOUT(!bar->isVisible(), 20000);
            QTRY_VERIFY_WITH_TIMEOUT(rowOf(*w->records(), "[\"B2\"]") < 0, 20000);
        }
        agent.terminate();
        QVERIFY(agent.waitForFinished(20000));

        // An agent's login may run the engine itself when none feeds the desk.
        MainWindow own(WorkspaceLoader::load(agentWorkspace), QStringLiteral("agt.json"));
        own.show();
        own.start();
        auto *ownBar = own.findChild<QWidget *>(QStringLiteral("agentBar"));
        QTRY_VERIFY_WITH_TIMEOUT(ownBar->isVisible(), AttachedDesk::AgentSilentMs + 5000);
        QTRY_VERIFY_WITH_TIMEOUT(own.permissions().runEngine, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(own.findChild<QPushButton *>(QStringLiteral("runEngineHere"))->isEnabled(), 5000);
        own.findChild<QPushButton *>(QStringLiteral("runEngineHere"))->click();
        QVERIFY(!own.attached());
        QVERIFY(!ownBar->isVisible());
        // With no agent running, only this console's own engine can see a new change.
        QVERIFY2(testsupport::sqliteExec(m_src, {QStringLiteral("UPDATE devices SET price = 3 WHERE sku = 'B2'")}, &error),
                 qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(*own.records(), "[\"B2\"]") >= 0, 30000);
    }
};

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    app.setOrganizationName(QStringLiteral("SyncDeskTests"));
    TestTeamConsole test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_teamconsole.moc"
