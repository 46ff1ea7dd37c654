#include "CliRun.h"
#include "TestSqlite.h"
#include "engine/DeskStatus.h"
#include "model/SyncError.h"
#include "model/Workspace.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using testsupport::runCli;

// `syncdesk-cli status` (the desk from the state store, for scripts and checks) and the live
// table of `watch --table`, as an operator on SSH and a monitoring check use them.
class TestCliStatus : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_ws;
    QString m_src;
    QString m_dst;

    static QString now() { return QStringLiteral("strftime('%Y-%m-%dT%H:%M:%fZ','now')"); }

    // `status --json` until `match` holds, or the deadline passes; the last run either way.
    testsupport::CliRun statusUntil(const std::function<bool(const QJsonObject &)> &match)
    {
        QElapsedTimer timer;
        timer.start();
        testsupport::CliRun run;
        do {
            run = runCli({QStringLiteral("status"), QStringLiteral("--workspace"), m_ws,
                          QStringLiteral("--json")});
            if (match(QJsonDocument::fromJson(run.out).object()))
                return run;
            QTest::qWait(200);
        } while (timer.elapsed() < 20000);
        return run;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QDir dir(m_dir.path());
        m_src = dir.filePath(QStringLiteral("src.db"));
        m_dst = dir.filePath(QStringLiteral("dst.db"));
        for (const QString &db : {m_src, m_dst})
            SQLITE_EXEC(db, {QStringLiteral("CREATE TABLE t (k text PRIMARY KEY, v text, u text)"),
                             QStringLiteral("INSERT INTO t VALUES ('k1', 'a', '2026-01-01T00:00:00.000Z'), "
                                            "('k2', 'b', '2026-01-01T00:00:00.000Z')")});
        m_ws = testsupport::writeFile(
            dir, QStringLiteral("ws.json"),
            R"({"version": 1, "systems": [{"name": "src", "kind": "sqlite", "path": "src.db"},
                {"name": "dst", "kind": "sqlite", "path": "dst.db"}],
                "flows": [{"name": "items", "source": {"system": "src", "table": "t", "updated_at": "u"},
                  "target": {"system": "dst", "table": "t", "updated_at": "u"}, "key": ["k"],
                  "fields": ["v"], "direction": "one-way", "sla_seconds": 300}]})");
    }

    // Given a workspace no watch ever ran on, status cannot tell: exit 2, one line, and no
    // state store is created by asking.
    void shouldNotTellWithoutAStateStore()
    {
        const auto run = runCli({QStringLiteral("status"), QStringLiteral("--workspace"), m_ws});
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.err.count('\n'), 1);
        QVERIFY2(run.err.contains("no watch has run"), run.err.constData());
        QVERIFY(!QFileInfo::exists(QDir(m_dir.path()).filePath(QStringLiteral("ws.state.db"))));
    }

    // Given a state store that exists but holds no desk yet (resolve or audit made it), status
    // cannot tell either: exit 2, one line.
    void shouldNotTellBeforeAWatchWroteTheDesk()
    {
        QTemporaryDir dir;
        syncdesk::Workspace ws;
        ws.state = dir.filePath(QStringLiteral("only.state.db"));
        try {
            (void)syncdesk::StateStore::open(ws);
        } catch (const syncdesk::SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
        const auto run = runCli({QStringLiteral("status"), QStringLiteral("--workspace"), m_ws,
                                 QStringLiteral("--state"), ws.state});
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.err.count('\n'), 1);
        QVERIFY2(run.err.contains("holds no desk status yet"), run.err.constData());
    }

    // Given a running watch, status shows the desk (exit 0 while healthy); a conflict makes it
    // exit 1 with the alert; the table on a non-terminal comes with --table.
    void shouldReportTheDeskWhileAWatchRuns()
    {
        QProcess watch;
        watch.start(QStringLiteral(SYNCDESK_CLI_PATH),
                    {QStringLiteral("watch"), QStringLiteral("--workspace"), m_ws, QStringLiteral("--table")});
        QVERIFY(watch.waitForStarted());
        const auto healthy = statusUntil([](const QJsonObject &o) {
            return o.value(u"flows").toArray().first().toObject().value(u"state").toString() == u"live";
        });
        QVERIFY2(healthy.exitCode == 0, healthy.out.constData());
        const auto table = runCli({QStringLiteral("status"), QStringLiteral("--workspace"), m_ws});
        QCOMPARE(table.exitCode, 0);
        QVERIFY2(table.out.contains("FLOW   STATE") && table.out.contains("items  live")
                     && table.out.contains("No alerts."),
                 table.out.constData());
        QVERIFY(!table.out.contains('\x1b')); // not a terminal: no colours

        SQLITE_EXEC(m_src, {QStringLiteral("UPDATE t SET v = 'S', u = %1 WHERE k = 'k1'").arg(now())});
        SQLITE_EXEC(m_dst, {QStringLiteral("UPDATE t SET v = 'T', u = %1 WHERE k = 'k1'").arg(now())});
        const auto conflict = statusUntil([](const QJsonObject &o) {
            return o.value(u"flows").toArray().first().toObject().value(u"conflict").toInteger() == 1;
        });
        QCOMPARE(conflict.exitCode, 1);
        const QJsonObject o = QJsonDocument::fromJson(conflict.out).object();
        QCOMPARE(o.value(u"health").toString(), QStringLiteral("attention"));
        QVERIFY(o.value(u"alerts").toArray().contains(
            QStringLiteral("flow items has 1 conflict(s) waiting for an operator")));

        ::kill(pid_t(watch.processId()), SIGTERM);
        QVERIFY(watch.waitForFinished(15000));
        QCOMPARE(watch.exitCode(), 0);
        const QByteArray frames = watch.readAllStandardOutput();
        QVERIFY2(frames.contains("SyncDesk  ws.json") && frames.contains("P95 LAG / SLA")
                     && frames.contains("! flow items has 1 conflict(s)"),
                 frames.constData());
    }

    // Given a snapshot older than --max-age (no watch running any more), status cannot vouch
    // for the desk: it shows what it has, and exits 2 saying how old it is.
    void shouldRefuseAStaleSnapshot()
    {
        syncdesk::Workspace ws;
        ws.state = QDir(m_dir.path()).filePath(QStringLiteral("ws.state.db"));
        try {
            const auto store = syncdesk::StateStore::open(ws);
            syncdesk::DeskStatus old = *syncdesk::DeskStatus::fromJson(store->deskStatuses().first().second);
            old.takenAtMs = QDateTime::currentMSecsSinceEpoch() - 10 * 60 * 1000;
            store->writeDeskStatus(old.toJson(), old.takenAtMs);
        } catch (const syncdesk::SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
        const auto run = runCli({QStringLiteral("status"), QStringLiteral("--workspace"), m_ws,
                                 QStringLiteral("--max-age"), QStringLiteral("60")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("10 m 00 s old") || run.err.contains("10 m 01 s old"), run.err.constData());
        QVERIFY(run.out.contains("old)")); // the table says it too
    }

    // Given the README's main command without a display, the demo shows the live table (not a
    // flood of JSON lines), then the closing diff.
    void shouldShowTheTableInTheHeadlessDemo()
    {
        QProcess demo;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.insert(QStringLiteral("SYNCDESK_DEMO_SECONDS"), QStringLiteral("9"));
        demo.setProcessEnvironment(env);
        const QString build = QFileInfo(QStringLiteral(SYNCDESK_CLI_PATH)).dir().absoluteFilePath(QStringLiteral(".."));
        demo.start(QStringLiteral("bash"),
                   {QStringLiteral(SYNCDESK_SOURCE_DIR "/packaging/demo.sh"), build,
                    QDir(m_dir.path()).filePath(QStringLiteral("demo"))});
        QVERIFY(demo.waitForFinished(60000));
        const QByteArray out = demo.readAllStandardOutput();
        QVERIFY2(demo.exitCode() == 0, (out + demo.readAllStandardError()).constData());
        QVERIFY2(out.contains("$ syncdesk-cli watch") && out.contains("FLOW     STATE")
                     && out.contains("devices  live") && out.contains("SYSTEM")
                     && out.contains("$ syncdesk-cli diff"),
                 out.constData());
        QVERIFY2(!out.contains("\"status\":"), out.constData()); // no JSON event lines
    }
};

QTEST_GUILESS_MAIN(TestCliStatus)
#include "tst_cli_status.moc"
