#include "CliRun.h"
#include "TestPostgres.h"
#include "TestSqlite.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
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

    // A running `watch`: JSON lines on stdout, the human lines of what happens on stderr.
    class Watch
    {
    public:
        ~Watch() { stop(); }
        void start(const QString &workspace)
        {
            m_started = true;
            m_process.start(QStringLiteral(SYNCDESK_CLI_PATH),
                            {QStringLiteral("watch"), QStringLiteral("--workspace"), workspace,
                             QStringLiteral("--events")});
            m_process.waitForStarted();
        }
        // The first stdout line not yet looked at matching `match`, within `timeoutMs`.
        std::optional<QJsonObject> waitFor(const std::function<bool(const QJsonObject &)> &match,
                                           int timeoutMs = 20000)
        {
            QElapsedTimer timer;
            timer.start();
            while (true) {
                read();
                while (m_next < m_events.size()) {
                    const QJsonObject o = m_events[m_next++];
                    if (match(o))
                        return o;
                }
                if (!waitMore(timer, timeoutMs))
                    return std::nullopt;
            }
        }
        std::optional<QJsonObject> waitForStatus(const QString &key, const QString &status,
                                                 int timeoutMs = 20000)
        {
            return waitFor(
                [&](const QJsonObject &o) {
                    return o.value(u"key").toArray() == QJsonArray{key}
                           && o.value(u"status").toString() == status;
                },
                timeoutMs);
        }
        // Every key of `keys` reported with `status` among the stdout lines not yet looked at,
        // in whatever order they come.
        bool waitForStatuses(const QStringList &keys, const QString &status, int timeoutMs = 20000)
        {
            QElapsedTimer timer;
            timer.start();
            while (true) {
                read();
                QStringList missing = keys;
                for (qsizetype i = m_next; i < m_events.size(); ++i) {
                    if (m_events[i].value(u"status").toString() == status)
                        missing.removeAll(m_events[i].value(u"key").toArray().at(0).toString());
                }
                if (missing.isEmpty())
                    return true;
                if (!waitMore(timer, timeoutMs))
                    return false;
            }
        }
        bool waitReady(int timeoutMs = 30000)
        {
            return waitFor([](const QJsonObject &o) { return o.value(u"event").toString() == u"ready"; },
                           timeoutMs)
                .has_value();
        }
        // Until at least `count` stderr lines (since the start) contain `text`.
        bool waitForErr(const QString &text, int timeoutMs, int count = 1)
        {
            QElapsedTimer timer;
            timer.start();
            while (true) {
                read();
                if (errCount(text) >= count)
                    return true;
                if (!waitMore(timer, timeoutMs))
                    return false;
            }
        }
        // Keeps reading for `ms`: a window in which something must not happen (again).
        void observe(int ms)
        {
            QElapsedTimer timer;
            timer.start();
            while (waitMore(timer, ms))
                read();
            read();
        }
        int errCount(const QString &text)
        {
            read();
            return int(std::count_if(m_err.cbegin(), m_err.cend(),
                                     [&](const QString &line) { return line.contains(text); }));
        }
        QString errLine(const QString &text)
        {
            read();
            for (const QString &line : std::as_const(m_err))
                if (line.contains(text))
                    return line;
            return {};
        }
        // A raw libpq line or a server NOTICE on stderr, if any.
        QString unwantedErrLine()
        {
            read();
            for (const QString &line : std::as_const(m_err))
                if (line.startsWith(QLatin1String("FATAL")) || line.contains(QLatin1String("NOTICE")))
                    return line;
            return {};
        }
        // How many stdout lines so far, and how many status events from the `from`-th on.
        qsizetype eventCount()
        {
            read();
            return m_events.size();
        }
        int statusEventsSince(qsizetype from)
        {
            read();
            int n = 0;
            for (qsizetype i = from; i < m_events.size(); ++i)
                n += m_events[i].contains(u"status") ? 1 : 0;
            return n;
        }
        // SIGTERM (state flushed first); the exit code, -1 if it crashed, hung or never ran.
        int stop(int timeoutMs = 15000)
        {
            if (m_process.state() != QProcess::NotRunning)
                m_exitCode = testsupport::stopGracefully(m_process, timeoutMs);
            else if (!m_exitCode && m_started)
                m_exitCode = m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
            read();
            if (!m_errPartial.isEmpty())
                m_err << QString::fromUtf8(std::exchange(m_errPartial, {}));
            return m_exitCode.value_or(-1);
        }
        QString transcript()
        {
            read();
            const QByteArray state = m_process.state() == QProcess::Running
                                         ? QByteArray("running")
                                         : "exited with " + QByteArray::number(m_process.exitCode());
            // stderr first: QtTest shortens long messages from the end.
            return QString::fromUtf8("--- watch " + state + ", stderr ---\n")
                   + m_err.join(u'\n') + QString::fromUtf8(m_errPartial)
                   + QStringLiteral("\n--- stdout ---\n") + QString::fromUtf8(m_out.join());
        }

    private:
        // Waits up to 100 ms for output; false once `timeoutMs` is over or the watch has gone.
        bool waitMore(const QElapsedTimer &timer, int timeoutMs)
        {
            const qint64 left = timeoutMs - timer.elapsed();
            if (left <= 0 || m_process.state() != QProcess::Running)
                return false;
            // Returns early on stdout only; stderr is read at least every 100 ms.
            m_process.waitForReadyRead(int(std::min<qint64>(left, 100)));
            return true;
        }
        void read()
        {
            while (m_process.canReadLine()) {
                const QByteArray line = m_process.readLine();
                m_out << line;
                m_events << QJsonDocument::fromJson(line).object();
            }
            m_errPartial += m_process.readAllStandardError();
            qsizetype nl;
            while ((nl = m_errPartial.indexOf('\n')) >= 0) {
                m_err << QString::fromUtf8(m_errPartial.left(nl));
                m_errPartial.remove(0, nl + 1);
            }
        }

        QProcess m_process;
        bool m_started = false;
        std::optional<int> m_exitCode;
        QByteArrayList m_out;
        QList<QJsonObject> m_events; // one per stdout line
        qsizetype m_next = 0;        // the first event waitFor has not looked at
        QStringList m_err;           // complete stderr lines
        QByteArray m_errPartial;
    };

    // A PostgreSQL server of the test's own (pg-fixture.sh), which it may kill or pause
    // without disturbing the suite's.
    struct PrivateServer
    {
        QString dir;
        QString conninfo; // dbname=postgres
        QString port;

        static QString script() { return QStringLiteral(SYNCDESK_TEST_SUPPORT_DIR "/pg-fixture.sh"); }
        int run(const char *action) const
        {
            return QProcess::execute(QStringLiteral("bash"), {script(), QLatin1String(action), dir});
        }
        bool start(const QString &where, QString *error)
        {
            dir = where;
            QProcess p;
            p.start(QStringLiteral("bash"), {script(), QStringLiteral("start"), dir});
            if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
                *error = QStringLiteral("pg-fixture.sh start failed: ")
                         + QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
                return false;
            }
            QFile info(dir + QStringLiteral("/conninfo"));
            QFile portFile(dir + QStringLiteral("/port"));
            if (!info.open(QIODevice::ReadOnly) || !portFile.open(QIODevice::ReadOnly)) {
                *error = QStringLiteral("pg-fixture.sh start wrote no conninfo or port in ") + dir;
                return false;
            }
            conninfo = QString::fromUtf8(info.readAll()).trimmed();
            port = QString::fromUtf8(portFile.readAll()).trimmed();
            return true;
        }
        // The workspace's "state" for a store in this server's postgres database.
        QString stateUri() const
        {
            return QStringLiteral("postgresql://postgres@127.0.0.1:%1/postgres").arg(port);
        }
        // Resumes a paused server (a no-op otherwise), so that nothing is left stopped.
        void unpause() const
        {
            if (!dir.isEmpty())
                run("unpause");
        }
        void stop() const
        {
            if (!dir.isEmpty())
                run("stop"); // unpauses first
        }
    };

    QTemporaryDir m_dir;
    int m_case = 0;

    static QByteArray system(const QString &name, const QString &conninfo, const QString &path)
    {
        if (!conninfo.isEmpty())
            return QStringLiteral(R"({"name": "%1", "kind": "postgres", "conninfo": "%2"})")
                .arg(name, conninfo).toUtf8();
        return QStringLiteral(R"({"name": "%1", "kind": "sqlite", "path": "%2"})")
            .arg(name, path).toUtf8();
    }

    // Two PostgreSQL databases (or SQLite files) holding devices K1..K20 and a one-way flow
    // "devices" comparing model and qty. The databases are on the suite's server unless
    // `serverConninfo` names another; `state` is the workspace's "state" when not empty.
    QString setUp(bool postgres, QString *srcDb, QString *dstDb, QString *error,
                  const QString &serverConninfo = {}, const QString &state = {})
    {
        const int n = ++m_case;
        const QString ddl = QStringLiteral(
            "CREATE TABLE devices (sku text PRIMARY KEY, model text, qty integer, updated_at text)");
        QString rows = QStringLiteral("INSERT INTO devices VALUES ");
        for (int i = 1; i <= 20; ++i)
            rows += QStringLiteral("%1('K%2', 'M%2', %2, '2026-01-01T00:00:00Z')")
                        .arg(i > 1 ? QStringLiteral(", ") : QString()).arg(i);
        QByteArray systems;
        for (const char *side : {"src", "dst"}) {
            QString conninfo, path;
            if (postgres) {
                // Not tst_watch's names: both may run at once on the suite's server.
                const QString name = QStringLiteral("faults%1_%2").arg(n).arg(QLatin1String(side));
                if (serverConninfo.isEmpty()) {
                    if (!testsupport::createDatabase(name, &conninfo, error))
                        return {};
                } else {
                    conninfo = QString(serverConninfo).replace(QStringLiteral("dbname=postgres"),
                                                               QStringLiteral("dbname=") + name);
                    if (!testsupport::pgExec(serverConninfo,
                                             QStringLiteral("CREATE DATABASE %1").arg(name), error))
                        return {};
                }
                if (!testsupport::pgExec(conninfo, ddl + u';' + rows, error))
                    return {};
            } else {
                path = m_dir.filePath(QStringLiteral("faults%1_%2.db").arg(n).arg(QLatin1String(side)));
                if (!testsupport::sqliteExec(path, {ddl, rows}, error))
                    return {};
            }
            (QLatin1String(side) == QLatin1String("src") ? *srcDb : *dstDb) =
                postgres ? conninfo : path;
            systems += (systems.isEmpty() ? "" : ",\n") + system(QLatin1String(side), conninfo, path);
        }
        const QString updatedAt = postgres ? QString() : QStringLiteral(", \"updated_at\": \"updated_at\"");
        const QString stateKey = state.isEmpty() ? QString() : QStringLiteral("\"state\": \"%1\",").arg(state);
        const QByteArray json = QStringLiteral(R"({"version": 1, %1
            "systems": [%2],
            "flows": [{"name": "devices",
              "source": {"system": "src", "table": "devices"%3},
              "target": {"system": "dst", "table": "devices"%3},
              "key": ["sku"], "fields": ["model", "qty"],
              "direction": "one-way", "sla_seconds": 300}]})")
                                    .arg(stateKey, QString::fromUtf8(systems), updatedAt)
                                    .toUtf8();
        return testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("faults%1.json").arg(n), json);
    }

    // Runs `sql` on a PostgreSQL conninfo or an SQLite path.
    static bool run(bool postgres, const QString &db, const QString &sql, QString *error)
    {
        return postgres ? testsupport::pgExec(db, sql, error)
                        : testsupport::sqliteExec(db, {sql}, error);
    }

    static QString touch(const QString &set, const QString &sku)
    {
        // updated_at moves with every change, as applications that support polling do.
        return QStringLiteral("UPDATE devices SET %1, updated_at = '%2' WHERE sku = '%3'")
            .arg(set, QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs), sku);
    }

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
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
