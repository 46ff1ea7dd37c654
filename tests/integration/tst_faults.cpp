#include "WatchFixture.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>

// Faults an operations desk meets during `syncdesk-cli watch --events` (issue 15): a hung
// server, a state store that goes away, a compared column renamed while nothing moves. Each
// incident is one stderr line when it starts and one when it ends, never one per retry.
class TestFaults : public QObject
{
    Q_OBJECT

    using Watch = testsupport::WatchProcess;
    using PrivateServer = testsupport::PrivateServer;

    QTemporaryDir m_dir;
    int m_case = 0;

    // The devices fixture under this test's names (tst_watch's may run at once on the
    // suite's server).
    QString setUp(bool postgres, QString *srcDb, QString *dstDb, QString *error,
                  const QString &serverConninfo = {}, const QString &state = {})
    {
        testsupport::DevicesFixture f;
        f.postgres = postgres;
        f.prefix = QStringLiteral("faults");
        f.number = ++m_case;
        f.serverConninfo = serverConninfo;
        f.state = state;
        return f.create(QDir(m_dir.path()), srcDb, dstDb, error);
    }

    static bool run(bool postgres, const QString &db, const QString &sql, QString *error)
    {
        return testsupport::runOn(postgres, db, sql, error);
    }
    static QString touch(const QString &set, const QString &sku) { return testsupport::touch(set, sku); }

    static qint64 nowMs() { return QDateTime::currentMSecsSinceEpoch(); }

    // Polls `sql`'s first value on `conninfo` until it is `expected`, within `timeoutMs`.
    static bool waitForValue(const QString &conninfo, const QString &sql, const QString &expected,
                             int timeoutMs, QString *last)
    {
        QElapsedTimer timer;
        timer.start();
        while (true) {
            QString error;
            *last = testsupport::pgValue(conninfo, sql, &error);
            if (*last == expected)
                return true;
            if (timer.elapsed() > timeoutMs) {
                *last += error;
                return false;
            }
            QTest::qWait(200);
        }
    }

    // The rename of one compared column on an idle flow, seen and cleared by the catalogue
    // check alone: no row changes, so no status events.
    void idleRename(bool postgres)
    {
        QString src, dst, error;
        const QString ws = setUp(postgres, &src, &dst, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        Watch watch;
        watch.start(ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        const qsizetype before = watch.eventCount();
        const QString changed = QStringLiteral("flow 'devices': schema changed");
        const QString recovered = QStringLiteral("flow 'devices' recovered");
        const int recoveredBefore = watch.errCount(recovered);

        QVERIFY2(run(postgres, src, QStringLiteral("ALTER TABLE devices RENAME COLUMN qty TO qty_renamed"), &error),
                 qPrintable(error));
        QVERIFY2(watch.waitForErr(changed, 20000), qPrintable(watch.transcript()));
        QVERIFY2(watch.errLine(changed).contains(QLatin1String("qty")), qPrintable(watch.transcript()));
        // Still renamed through at least one more catalogue check (every 10 s): still one line.
        watch.observe(11000);
        QVERIFY2(watch.errCount(changed) == 1, qPrintable(watch.transcript()));
        QVERIFY2(watch.statusEventsSince(before) == 0, qPrintable(watch.transcript()));

        QVERIFY2(run(postgres, src, QStringLiteral("ALTER TABLE devices RENAME COLUMN qty_renamed TO qty"), &error),
                 qPrintable(error));
        QVERIFY2(watch.waitForErr(recovered, 20000, recoveredBefore + 1), qPrintable(watch.transcript()));
        QVERIFY2(watch.errCount(changed) == 1, qPrintable(watch.transcript()));
        QVERIFY2(watch.statusEventsSince(before) == 0, qPrintable(watch.transcript()));

        // And the flow follows changes again.
        QVERIFY2(run(postgres, src, touch(QStringLiteral("qty = 123"), QStringLiteral("K1")), &error),
                 qPrintable(error));
        QVERIFY2(watch.waitForStatus(QStringLiteral("K1"), QStringLiteral("pending")),
                 qPrintable(watch.transcript()));
        QCOMPARE(watch.stop(), 0);
        QVERIFY2(watch.unwantedErrLine().isEmpty(), qPrintable(watch.transcript()));
    }

    // A flow whose tables move under it while changes flow (issue 18): the target table
    // renamed, then a source column dropped, each one stderr line naming it, the metric set,
    // no record events, a resolution refused with nothing written; back by itself, with the
    // change made meanwhile; then a retype that keeps values equal, which changes nothing; then
    // one that changes them, an incident until the type is back.
    void brokenSchema(bool postgres)
    {
        QString src, dst, error;
        const QString ws = setUp(postgres, &src, &dst, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        Watch watch;
        const auto cleanup = qScopeGuard([&] {
            watch.stop();
            if (postgres) // the suite's server has few replication slots
                testsupport::runCli({QStringLiteral("slots"), QStringLiteral("drop"),
                                     QStringLiteral("--workspace"), ws});
        });
        watch.start(ws, {QStringLiteral("--metrics"), QStringLiteral("127.0.0.1:0")});
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        const qsizetype before = watch.eventCount();
        const QString changed = QStringLiteral("flow 'devices': schema changed");

        QVERIFY2(run(postgres, dst, QStringLiteral("ALTER TABLE devices RENAME TO devices_gone"), &error),
                 qPrintable(error));
        QVERIFY2(run(postgres, src, touch(QStringLiteral("qty = 99"), QStringLiteral("K1")), &error),
                 qPrintable(error));
        QVERIFY2(watch.waitForErr(changed, 20000), qPrintable(watch.transcript()));
        QVERIFY2(watch.errLine(changed).contains(QLatin1String("'dst'"))
                     && watch.errLine(changed).contains(QLatin1String("devices")),
                 qPrintable(watch.transcript()));
        QVERIFY2(watch.metrics().contains("syncdesk_flow_schema_broken{flow=\"devices\"} 1"),
                 qPrintable(watch.transcript()));

        // A resolution on the broken flow: refused, one line naming the table, nothing audited.
        const testsupport::CliRun resolve = testsupport::runCli(
            {QStringLiteral("resolve"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
             QStringLiteral("devices"), QStringLiteral("--key"), QStringLiteral("K2"), QStringLiteral("--take"),
             QStringLiteral("source"), QStringLiteral("--reason"), QStringLiteral("t")});
        QVERIFY2(resolve.exitCode == 2 && resolve.err.contains("devices") && resolve.err.count('\n') == 1,
                 resolve.err.constData());
        const QString exported = m_dir.filePath(QStringLiteral("broken-%1.json").arg(m_case));
        const testsupport::CliRun audit = testsupport::runCli(
            {QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--workspace"), ws,
             QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--out"), exported});
        QFile entries(exported);
        QVERIFY2(audit.exitCode == 0 && entries.open(QIODevice::ReadOnly), audit.err.constData());
        QVERIFY2(!entries.readAll().contains("\"K2\""), "a refused resolution left an audit entry");

        QVERIFY2(run(postgres, src, QStringLiteral("ALTER TABLE devices DROP COLUMN model"), &error),
                 qPrintable(error));
        QVERIFY2(run(postgres, src, touch(QStringLiteral("qty = 98"), QStringLiteral("K2")), &error),
                 qPrintable(error));
        const QString column = QStringLiteral("no column 'model'");
        QVERIFY2(watch.waitForErr(column, 20000), qPrintable(watch.transcript()));
        // Held through more catalogue checks and polls: one line each, no events.
        watch.observe(11000);
        QVERIFY2(watch.errCount(changed) == 2 && watch.errCount(column) == 1, qPrintable(watch.transcript()));
        QVERIFY2(watch.errCount(QStringLiteral("unavailable")) == 0, qPrintable(watch.transcript()));
        QVERIFY2(watch.statusEventsSince(before) == 0, qPrintable(watch.transcript()));

        // Back: the changes made meanwhile show, nothing else does.
        QVERIFY2(run(postgres, dst, QStringLiteral("ALTER TABLE devices_gone RENAME TO devices"), &error),
                 qPrintable(error));
        QVERIFY2(run(postgres, src, QStringLiteral("ALTER TABLE devices ADD COLUMN model text"), &error),
                 qPrintable(error));
        QVERIFY2(run(postgres, src, QStringLiteral("UPDATE devices SET model = 'M' || substr(sku, 2)"), &error),
                 qPrintable(error));
        QVERIFY2(watch.waitForErr(QStringLiteral("flow 'devices' recovered"), 20000), qPrintable(watch.transcript()));
        QVERIFY2(watch.waitForStatuses({QStringLiteral("K1"), QStringLiteral("K2")}, QStringLiteral("pending")),
                 qPrintable(watch.transcript()));
        QVERIFY2(watch.metrics().contains("syncdesk_flow_schema_broken{flow=\"devices\"} 0"),
                 qPrintable(watch.transcript()));
        const qsizetype back = watch.eventCount();

        // integer → numeric on the target: the same values, so nothing to tell.
        const int errorsBefore = watch.errCount(QStringLiteral("syncdesk-cli:"));
        if (postgres) {
            QVERIFY2(run(true, dst, QStringLiteral("ALTER TABLE devices ALTER COLUMN qty TYPE numeric"), &error),
                     qPrintable(error));
        } else { // SQLite retypes by copying into a new table, in one transaction
            SQLITE_EXEC(dst, {QStringLiteral("BEGIN"),
                              QStringLiteral("CREATE TABLE d2 (sku text PRIMARY KEY, model text, qty numeric, "
                                             "updated_at text)"),
                              QStringLiteral("INSERT INTO d2 SELECT * FROM devices"),
                              QStringLiteral("DROP TABLE devices"), QStringLiteral("ALTER TABLE d2 RENAME TO devices"),
                              QStringLiteral("COMMIT")});
        }
        watch.observe(12000); // past a catalogue check (every 10 s) and the comparison it starts
        QVERIFY2(watch.statusEventsSince(back) == 0, qPrintable(watch.transcript()));
        QVERIFY2(watch.errCount(QStringLiteral("syncdesk-cli:")) == errorsBefore, qPrintable(watch.transcript()));
        QVERIFY2(run(postgres, src, touch(QStringLiteral("qty = 97"), QStringLiteral("K3")), &error),
                 qPrintable(error));
        QVERIFY2(watch.waitForStatus(QStringLiteral("K3"), QStringLiteral("pending")), qPrintable(watch.transcript()));
        const QByteArray page = watch.metrics();
        QVERIFY2(page.contains("syncdesk_records{flow=\"devices\",status=\"in_sync\"} 17")
                     && page.contains("syncdesk_records{flow=\"devices\",status=\"pending\"} 3"),
                 page.constData());

        // A retype that changes the values ('n' in front of each quantity): an incident, not
        // seventeen differences; back when the type and values are.
        const auto retypeQty = [&](const QString &type, const QString &value) {
            QString failure;
            const bool ok = postgres
                ? run(true, dst, QStringLiteral("ALTER TABLE devices ALTER COLUMN qty TYPE %1 USING %2").arg(type, value),
                      &failure)
                : testsupport::sqliteExec(
                      dst,
                      {QStringLiteral("BEGIN"),
                       QStringLiteral("CREATE TABLE d3 (sku text PRIMARY KEY, model text, qty %1, updated_at text)").arg(type),
                       QStringLiteral("INSERT INTO d3 SELECT sku, model, %1, updated_at FROM devices").arg(value),
                       QStringLiteral("DROP TABLE devices"), QStringLiteral("ALTER TABLE d3 RENAME TO devices"),
                       QStringLiteral("COMMIT")},
                      &failure);
            return ok ? QString() : failure;
        };
        const qsizetype beforeLossy = watch.eventCount();
        const QString parted = QStringLiteral("17 record(s) that agreed no longer compare equal");
        QString failure = retypeQty(QStringLiteral("text"), QStringLiteral("'n' || qty"));
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        QVERIFY2(watch.waitForErr(parted, 30000), qPrintable(watch.transcript()));
        QVERIFY2(watch.errLine(parted).contains(QLatin1String("qty")), qPrintable(watch.transcript()));
        QVERIFY2(watch.metrics().contains("syncdesk_flow_schema_broken{flow=\"devices\"} 1"),
                 qPrintable(watch.transcript()));
        // The tables still read: the refusal comes from the engine's own word, in the store,
        // once the desk status there says so.
        QVERIFY2(QTest::qWaitFor([&] {
                     return testsupport::runCli({QStringLiteral("status"), QStringLiteral("--workspace"), ws,
                                                 QStringLiteral("--json")})
                         .out.contains("no longer compare equal");
                 }, 10000),
                 qPrintable(watch.transcript()));
        const testsupport::CliRun held = testsupport::runCli(
            {QStringLiteral("resolve"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
             QStringLiteral("devices"), QStringLiteral("--key"), QStringLiteral("K5"), QStringLiteral("--take"),
             QStringLiteral("source"), QStringLiteral("--reason"), QStringLiteral("t")});
        QVERIFY2(held.exitCode == 2 && held.err.contains("held by the live engine")
                     && held.err.contains("no longer compare equal") && held.err.count('\n') == 1,
                 held.err.constData());
        failure = retypeQty(QStringLiteral("numeric"), postgres ? QStringLiteral("substr(qty, 2)::numeric")
                                                                : QStringLiteral("substr(qty, 2)"));
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        QVERIFY2(watch.waitForErr(QStringLiteral("flow 'devices' recovered"), 60000, 2), qPrintable(watch.transcript()));
        QVERIFY2(watch.errCount(parted) == 1, qPrintable(watch.transcript()));
        QVERIFY2(watch.statusEventsSince(beforeLossy) == 0, qPrintable(watch.transcript()));
        QCOMPARE(watch.stop(), 0);
        QVERIFY2(watch.unwantedErrLine().isEmpty(), qPrintable(watch.transcript()));
    }

private slots:
    // Given a watch whose systems are on one server, when that server hangs (SIGSTOP: its
    // sockets stay open, nothing answers), then each system is reported unavailable once,
    // however many retries follow; when it answers again, back once, and changes flow again.
    void shouldReportAHungServerOnceAndRecover()
    {
        QString error;
        PrivateServer server;
        Watch watch;
        // Never leave a stopped server behind: resumed before the watch stops, then removed.
        const auto cleanup = qScopeGuard([&] {
            server.unpause();
            watch.stop();
            server.stop();
        });
        QVERIFY2(server.start(m_dir.filePath(QStringLiteral("pg-hung")), &error), qPrintable(error));

        QString src, dst;
        const QString ws = setUp(true, &src, &dst, &error, server.conninfo);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        watch.start(ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));

        QCOMPARE(server.run("pause"), 0);
        const QString srcDown = QStringLiteral("system 'src' unavailable");
        const QString dstDown = QStringLiteral("system 'dst' unavailable");
        QVERIFY2(watch.waitForErr(srcDown, 35000), qPrintable(watch.transcript()));
        // Still hung for a while: retries, but no more lines.
        watch.observe(5000);
        QVERIFY2(watch.errCount(srcDown) == 1, qPrintable(watch.transcript()));
        QVERIFY2(watch.errCount(dstDown) <= 1, qPrintable(watch.transcript()));

        QCOMPARE(server.run("unpause"), 0);
        const QString srcBack = QStringLiteral("system 'src' back");
        QVERIFY2(watch.waitForErr(srcBack, 20000), qPrintable(watch.transcript()));
        // Live again: a change reaches the watch (the server answers, so the test may talk to it).
        QVERIFY2(run(true, src, touch(QStringLiteral("qty = 500"), QStringLiteral("K1")), &error),
                 qPrintable(error));
        QVERIFY2(watch.waitForStatus(QStringLiteral("K1"), QStringLiteral("pending")),
                 qPrintable(watch.transcript()));
        // One line per incident, each way.
        QVERIFY2(watch.errCount(srcDown) == 1 && watch.errCount(srcBack) == 1,
                 qPrintable(watch.transcript()));
        QVERIFY2(watch.errCount(dstDown) <= 1 && watch.errCount(QStringLiteral("system 'dst' back")) <= 1,
                 qPrintable(watch.transcript()));
        QCOMPARE(watch.stop(), 0);
        QVERIFY2(watch.unwantedErrLine().isEmpty(), qPrintable(watch.transcript()));
    }

    // Given a PostgreSQL state store, when its server dies during a watch, then the watch keeps
    // reporting changes, says once that the store is lost, keeps what it could not write, and
    // writes it (baselines and feed positions) once the store is back.
    void shouldKeepChangesWhileTheStateStoreIsDownAndWriteThemAfter()
    {
        QString error;
        PrivateServer store;
        const auto cleanup = qScopeGuard([&] { store.stop(); });
        QVERIFY2(store.start(m_dir.filePath(QStringLiteral("pg-state-down")), &error), qPrintable(error));

        QString src, dst;
        const QString ws = setUp(true, &src, &dst, &error, {}, store.stateUri());
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        Watch watch; // stopped before the store's server goes (declared after its guard)
        watch.start(ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        // The store is in use (the desk's status is written about once a second) …
        QString value;
        QVERIFY2(waitForValue(store.conninfo, QStringLiteral("SELECT count(*) > 0 FROM desk_status"),
                              QStringLiteral("t"), 10000, &value),
                 qPrintable(value + u'\n' + watch.transcript()));
        // … and holds no out-of-sync baseline for the records about to change.
        const QString changedKeys = QStringLiteral(R"(('["K1"]', '["K2"]', '["K3"]'))");
        QCOMPARE(testsupport::pgValue(store.conninfo,
                                      QStringLiteral("SELECT count(*) FROM baselines WHERE flow = 'devices' "
                                                     "AND in_sync = 0 AND record_key IN %1").arg(changedKeys),
                                      &error),
                 QStringLiteral("0"));
        const QString positionsSql = QStringLiteral(
            "SELECT coalesce(string_agg(feed || '=' || position, ',' ORDER BY feed), '') "
            "FROM feed_positions WHERE system = 'src'");
        const QString positionsBefore = testsupport::pgValue(store.conninfo, positionsSql, &error);

        QCOMPARE(store.run("kill"), 0);
        const qint64 changedAtMs = nowMs();
        for (int i = 1; i <= 3; ++i)
            QVERIFY2(run(true, src, touch(QStringLiteral("qty = %1").arg(100 + i), QStringLiteral("K%1").arg(i)),
                         &error),
                     qPrintable(error));
        const QString lost = QStringLiteral("state store unavailable");
        QVERIFY2(watch.waitForErr(lost, 10000), qPrintable(watch.transcript()));
        // The engine keeps working without its store.
        QVERIFY2(watch.waitForStatuses({QStringLiteral("K1"), QStringLiteral("K2"), QStringLiteral("K3")},
                                       QStringLiteral("pending")),
                 qPrintable(watch.transcript()));
        // Retried, not told again: no storm of lines.
        watch.observe(3000);
        QVERIFY2(watch.errCount(lost) == 1, qPrintable(watch.transcript()));

        const qint64 resumedAtMs = nowMs();
        QCOMPARE(store.run("resume"), 0);
        const QString back = QStringLiteral("state store back");
        QVERIFY2(watch.waitForErr(back, 20000), qPrintable(watch.transcript()));
        QVERIFY2(watch.errCount(lost) == 1 && watch.errCount(back) == 1, qPrintable(watch.transcript()));
        QCOMPARE(watch.stop(), 0);
        QVERIFY2(watch.unwantedErrLine().isEmpty(), qPrintable(watch.transcript()));

        // The changes made while the store was down are in it: each record left agreement at
        // the source (a baseline row, not in sync, dated by its change) …
        QCOMPARE(testsupport::pgValue(
                     store.conninfo,
                     QStringLiteral("SELECT count(*) FROM baselines WHERE flow = 'devices' AND in_sync = 0 "
                                    "AND known = 1 AND source_changed_at >= %1 AND record_key IN %2")
                         .arg(changedAtMs - 1000)
                         .arg(changedKeys),
                     &error),
                 QStringLiteral("3"));
        // … which `show` reads back as pending (without the baseline it would be "different") …
        const testsupport::CliRun shown = testsupport::runCli(
            {QStringLiteral("show"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
             QStringLiteral("devices"), QStringLiteral("--key"), QStringLiteral("K2"), QStringLiteral("--json")});
        QVERIFY2(QJsonDocument::fromJson(shown.out).object().value(u"status").toString() == u"pending",
                 shown.out + shown.err);
        // … and the source's feed position moved on, written after the store came back.
        const QString positionsAfter = testsupport::pgValue(store.conninfo, positionsSql, &error);
        QVERIFY2(!positionsAfter.isEmpty() && positionsAfter != positionsBefore,
                 qPrintable(positionsBefore + QStringLiteral(" -> ") + positionsAfter + error));
        const qint64 positionWrittenAt =
            testsupport::pgValue(store.conninfo,
                                 QStringLiteral("SELECT coalesce(max(updated_at), 0) FROM feed_positions "
                                                "WHERE system = 'src'"),
                                 &error)
                .toLongLong();
        QVERIFY2(positionWrittenAt >= resumedAtMs,
                 qPrintable(QStringLiteral("feed position written at %1, store resumed at %2")
                                .arg(positionWrittenAt).arg(resumedAtMs)));
    }

    // Given a PostgreSQL state store that is down when the watch is told to stop, the changes
    // it holds cannot be saved: it says so and exits 2 (failure) rather than 0.
    void shouldExitNonZeroWhenStateCannotBeSavedAtStop()
    {
        QString error;
        PrivateServer store;
        const auto cleanup = qScopeGuard([&] { store.stop(); });
        QVERIFY2(store.start(m_dir.filePath(QStringLiteral("pg-state-stop")), &error), qPrintable(error));

        QString src, dst;
        const QString ws = setUp(true, &src, &dst, &error, {}, store.stateUri());
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        Watch watch;
        watch.start(ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));

        QCOMPARE(store.run("kill"), 0);
        QVERIFY2(run(true, src, touch(QStringLiteral("qty = 700"), QStringLiteral("K4")), &error),
                 qPrintable(error));
        QVERIFY2(watch.waitForStatus(QStringLiteral("K4"), QStringLiteral("pending")),
                 qPrintable(watch.transcript()));
        const int code = watch.stop(30000);
        QVERIFY2(code == 2, qPrintable(watch.transcript()));
        QVERIFY2(watch.errCount(QStringLiteral("state could not be saved at stop")) == 1,
                 qPrintable(watch.transcript()));
        QVERIFY2(watch.unwantedErrLine().isEmpty(), qPrintable(watch.transcript()));
    }

    // Given an idle PostgreSQL flow, when a compared column is renamed on the source, then it
    // is reported within 15 s (catalogue check every 10 s) with no record events, and cleared
    // by itself when the column is renamed back.
    void shouldReportAnIdleRenameAndClearIt() { idleRename(true); }

    // The same on SQLite files followed by polling (PRAGMA schema_version).
    void shouldReportAnIdleSqliteRename() { idleRename(false); }

    // Given a live flow, when its tables move under it (table renamed, column dropped, column
    // retyped), then it is held in a named error and recovers, on PostgreSQL and on SQLite.
    void shouldHoldAFlowWhoseSchemaBrokeAndRecover() { brokenSchema(true); }
    void shouldHoldAnSqliteFlowWhoseSchemaBrokeAndRecover() { brokenSchema(false); }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
