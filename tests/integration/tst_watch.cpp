#include "WatchFixture.h"

#include <QDir>
#include <QFile>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <functional>
#include <optional>

// `syncdesk-cli watch --events` against real servers: the stories of the live issue, as a
// monitoring agent would see them.
class TestWatch : public QObject
{
    Q_OBJECT

    using Watch = testsupport::WatchProcess;

    QTemporaryDir m_dir;
    int m_case = 0;

    // The devices fixture under this test's names.
    QString setUp(bool postgres, const QString &direction, int slaSeconds, QString *srcDb,
                  QString *dstDb, QString *error, const QString &serverConninfo = {})
    {
        testsupport::DevicesFixture f;
        f.postgres = postgres;
        f.prefix = QStringLiteral("watch");
        f.number = ++m_case;
        f.direction = direction;
        f.slaSeconds = slaSeconds;
        f.serverConninfo = serverConninfo;
        return f.create(QDir(m_dir.path()), srcDb, dstDb, error);
    }

    static bool run(bool postgres, const QString &db, const QString &sql, QString *error)
    {
        return testsupport::runOn(postgres, db, sql, error);
    }
    static QString touch(const QString &set, const QString &sku) { return testsupport::touch(set, sku); }

    // Sets the source system's "feed" (and the source side's updated_at) in a workspace file.
    static bool useFeed(const QString &ws, const QString &feed, bool updatedAt)
    {
        QFile file(ws);
        if (!file.open(QIODevice::ReadOnly))
            return false;
        QJsonObject root = QJsonDocument::fromJson(file.readAll()).object();
        file.close();
        QJsonArray systems = root.value(u"systems").toArray();
        QJsonObject source = systems[0].toObject();
        source.insert(QStringLiteral("feed"), feed);
        systems[0] = source;
        root.insert(QStringLiteral("systems"), systems);
        if (updatedAt) {
            QJsonArray flows = root.value(u"flows").toArray();
            QJsonObject flow = flows[0].toObject();
            QJsonObject side = flow.value(u"source").toObject();
            side.insert(QStringLiteral("updated_at"), QStringLiteral("updated_at"));
            flow.insert(QStringLiteral("source"), side);
            flows[0] = flow;
            root.insert(QStringLiteral("flows"), flows);
        }
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return false;
        file.write(QJsonDocument(root).toJson());
        return true;
    }

    static void backends()
    {
        QTest::addColumn<bool>("postgres");
        QTest::newRow("postgres (logical decoding)") << true;
        QTest::newRow("sqlite (polling)") << false;
    }

private slots:
    void shouldFollowAChangeFromPendingToInSync_data() { backends(); }

    // Given a live flow, when the source changes, then the record is pending; when the same
    // change reaches the target, it is in sync again with a measured lag.
    void shouldFollowAChangeFromPendingToInSync()
    {
        QFETCH(bool, postgres);
        QString src, dst, error;
        const QString ws = setUp(postgres, QStringLiteral("one-way"), 300, &src, &dst, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        Watch watch;
        watch.start(ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));

        QVERIFY2(run(postgres, src, touch(QStringLiteral("qty = 99"), QStringLiteral("K1")), &error),
                 qPrintable(error));
        QVERIFY2(watch.waitForStatus(QStringLiteral("K1"), QStringLiteral("pending")),
                 qPrintable(watch.transcript()));
        QTest::qWait(300);
        QVERIFY2(run(postgres, dst, touch(QStringLiteral("qty = 99"), QStringLiteral("K1")), &error),
                 qPrintable(error));
        const auto arrived = watch.waitForStatus(QStringLiteral("K1"), QStringLiteral("in_sync"));
        QVERIFY2(arrived, qPrintable(watch.transcript()));
        QVERIFY2(arrived->value(u"lag_ms").toInteger() >= 250, qPrintable(watch.transcript()));
        QVERIFY(arrived->value(u"ts").toString().endsWith(u'Z'));
        QCOMPARE(arrived->value(u"flow").toString(), QStringLiteral("devices"));
        QCOMPARE(watch.stop(), 0);
    }

    // A source change not yet at the target: `pending`, or already `late` when a loaded
    // machine delivered it after the 2 s SLA (lag counts from the commit, not from our read).
    static std::optional<QJsonObject> waitForSourceChange(Watch &watch, const QString &key)
    {
        return watch.waitFor([&](const QJsonObject &o) {
            const QString status = o.value(u"status").toString();
            return o.value(u"key").toArray() == QJsonArray{key} && (status == u"pending" || status == u"late");
        });
    }

    void shouldFlagConflictsDriftAndLateness_data() { backends(); }

    void shouldFlagConflictsDriftAndLateness()
    {
        QFETCH(bool, postgres);
        QString src, dst, error;
        const QString ws = setUp(postgres, QStringLiteral("one-way"), 2, &src, &dst, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        Watch watch;
        watch.start(ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));

        // Both sides changed, differently: a conflict.
        QVERIFY2(run(postgres, src, touch(QStringLiteral("qty = 5"), QStringLiteral("K2")), &error), qPrintable(error));
        QVERIFY2(waitForSourceChange(watch, QStringLiteral("K2")), qPrintable(watch.transcript()));
        QVERIFY2(run(postgres, dst, touch(QStringLiteral("model = 'X'"), QStringLiteral("K2")), &error), qPrintable(error));
        QVERIFY2(watch.waitForStatus(QStringLiteral("K2"), QStringLiteral("conflict")), qPrintable(watch.transcript()));
        // …with the right fields: each side moved a different one away from the baseline.
        QProcess show;
        show.start(QStringLiteral(SYNCDESK_CLI_PATH),
                   {QStringLiteral("show"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                    QStringLiteral("devices"), QStringLiteral("--key"), QStringLiteral("K2"),
                    QStringLiteral("--json")});
        QVERIFY(show.waitForFinished(30000));
        const QByteArray shown = show.readAllStandardOutput() + show.readAllStandardError();
        QCOMPARE(show.exitCode(), 1);
        const QJsonObject detail = QJsonDocument::fromJson(shown).object();
        QCOMPARE(detail.value(u"status").toString(), QStringLiteral("conflict"));
        const QJsonArray fields = detail.value(u"fields").toArray();
        QCOMPARE(fields.size(), 2);
        QCOMPARE(fields[0].toObject().value(u"name").toString(), QStringLiteral("model"));
        QCOMPARE(fields[0].toObject().value(u"change").toString(), QStringLiteral("changed_at_target"));
        QCOMPARE(fields[0].toObject().value(u"baseline").toString(), QStringLiteral("M2"));
        QCOMPARE(fields[0].toObject().value(u"target").toString(), QStringLiteral("X"));
        QCOMPARE(fields[1].toObject().value(u"change").toString(), QStringLiteral("changed_at_source"));
        QCOMPARE(fields[1].toObject().value(u"source").toString(), QStringLiteral("5"));

        // A one-way flow's target edited on its own: drift.
        QVERIFY2(run(postgres, dst, touch(QStringLiteral("qty = 0"), QStringLiteral("K3")), &error), qPrintable(error));
        QVERIFY2(watch.waitForStatus(QStringLiteral("K3"), QStringLiteral("target_drift")), qPrintable(watch.transcript()));

        // A change that does not arrive within the SLA (2 s): late.
        QVERIFY2(run(postgres, src, touch(QStringLiteral("model = 'slow'"), QStringLiteral("K4")), &error), qPrintable(error));
        const auto seen = waitForSourceChange(watch, QStringLiteral("K4"));
        QVERIFY2(seen, qPrintable(watch.transcript()));
        const auto late = seen->value(u"status").toString() == u"late"
                              ? seen
                              : watch.waitForStatus(QStringLiteral("K4"), QStringLiteral("late"), 10000);
        QVERIFY2(late, qPrintable(watch.transcript()));
        QVERIFY(late->value(u"lag_ms").toInteger() > 2000);
        QCOMPARE(watch.stop(), 0);
    }

    void shouldTreatTargetChangesAsPendingInATwoWayFlow()
    {
        QString src, dst, error;
        const QString ws = setUp(true, QStringLiteral("two-way"), 300, &src, &dst, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        Watch watch;
        watch.start(ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        QVERIFY2(run(true, dst, touch(QStringLiteral("qty = 7"), QStringLiteral("K5")), &error), qPrintable(error));
        QVERIFY2(watch.waitForStatus(QStringLiteral("K5"), QStringLiteral("pending")), qPrintable(watch.transcript()));
    }

    // Given a watch that was stopped, changes made meanwhile are replayed from the slot with
    // their commit times when it starts again.
    void shouldReplayChangesMadeWhileStopped()
    {
        QString src, dst, error;
        const QString ws = setUp(true, QStringLiteral("one-way"), 300, &src, &dst, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        {
            Watch watch;
            watch.start(ws);
            QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
            QCOMPARE(watch.stop(), 0);
        }
        QVERIFY2(run(true, src, touch(QStringLiteral("qty = 42"), QStringLiteral("K6")), &error), qPrintable(error));
        QTest::qWait(1500);
        Watch again;
        again.start(ws);
        // The first comparison finds K6 pending (its baseline is kept); the slot's replay then
        // dates it: the lag counts from the commit, made while nobody watched.
        const auto replayed = again.waitFor([](const QJsonObject &o) {
            return o.value(u"key").toArray() == QJsonArray{QStringLiteral("K6")}
                   && o.value(u"status").toString() == u"pending"
                   && o.value(u"lag_ms").toInteger() >= 1400;
        });
        QVERIFY2(replayed, qPrintable(again.transcript()));
        QCOMPARE(again.stop(), 0);

        // The slots that made the replay possible are listed, and dropped on request.
        auto slotCommand = [&](const QString &action) {
            QProcess p;
            p.start(QStringLiteral(SYNCDESK_CLI_PATH),
                    {QStringLiteral("slots"), action, QStringLiteral("--workspace"), ws});
            p.waitForFinished(30000);
            return std::pair{p.exitCode(), QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError())};
        };
        auto [code, listed] = slotCommand(QStringLiteral("list"));
        QCOMPARE(code, 0);
        QVERIFY2(listed.count(QLatin1String("this workspace")) == 2
                     && listed.contains(QLatin1String("active=no")),
                 qPrintable(listed));
        auto [dropCode, dropped] = slotCommand(QStringLiteral("drop"));
        QCOMPARE(dropCode, 0);
        QCOMPARE(dropped.count(QLatin1String("dropped syncdesk_")), 2);
        QVERIFY(!slotCommand(QStringLiteral("list")).second.contains(QLatin1String("this workspace")));
    }

    // Given a server that dies mid-watch, the watch keeps running, reconnects when it is back,
    // and a change committed just before the crash is not lost.
    void shouldRecoverWhenTheServerRestarts()
    {
        const QString fixture = m_dir.filePath(QStringLiteral("private-pg"));
        const QString script = QStringLiteral(SYNCDESK_TEST_SUPPORT_DIR "/pg-fixture.sh");
        QProcess start;
        start.start(QStringLiteral("bash"), {script, QStringLiteral("start"), fixture});
        QVERIFY(start.waitForFinished(120000) && start.exitCode() == 0);
        auto cleanup = qScopeGuard([&] {
            QProcess::execute(QStringLiteral("bash"), {script, QStringLiteral("stop"), fixture});
        });
        QFile info(fixture + QStringLiteral("/conninfo"));
        QVERIFY(info.open(QIODevice::ReadOnly));
        const QString server = QString::fromUtf8(info.readAll()).trimmed();

        QString src, dst, error;
        const QString ws = setUp(true, QStringLiteral("one-way"), 300, &src, &dst, &error, server);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        Watch watch;
        watch.start(ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));

        QVERIFY2(run(true, src, touch(QStringLiteral("qty = 1000"), QStringLiteral("K7")), &error), qPrintable(error));
        QCOMPARE(QProcess::execute(QStringLiteral("bash"), {script, QStringLiteral("kill"), fixture}), 0);
        QTest::qWait(1500);
        QCOMPARE(QProcess::execute(QStringLiteral("bash"), {script, QStringLiteral("resume"), fixture}), 0);
        QVERIFY2(watch.waitForStatus(QStringLiteral("K7"), QStringLiteral("pending"), 30000),
                 qPrintable(watch.transcript()));
        // And it is live again after the outage.
        QVERIFY2(run(true, src, touch(QStringLiteral("qty = 1001"), QStringLiteral("K8")), &error), qPrintable(error));
        QVERIFY2(watch.waitForStatus(QStringLiteral("K8"), QStringLiteral("pending"), 30000),
                 qPrintable(watch.transcript()));
        QCOMPARE(watch.stop(), 0);
        // Slots of this workspace go with the server.
    }

    // Given a system where logical decoding is not wanted, the trigger printed by
    // `feed install-sql`, once installed, carries changes to the watch through NOTIFY.
    void shouldFollowChangesThroughTheNotifyTrigger()
    {
        QString src, dst, error;
        const QString ws = setUp(true, QStringLiteral("one-way"), 300, &src, &dst, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        QVERIFY(useFeed(ws, QStringLiteral("notify"), false));

        QProcess print;
        print.start(QStringLiteral(SYNCDESK_CLI_PATH),
                    {QStringLiteral("feed"), QStringLiteral("install-sql"), QStringLiteral("--workspace"),
                     ws, QStringLiteral("--system"), QStringLiteral("src")});
        QVERIFY(print.waitForFinished(30000));
        const QString sql = QString::fromUtf8(print.readAllStandardOutput());
        QVERIFY2(print.exitCode() == 0 && sql.contains(QLatin1String("CREATE TRIGGER syncdesk_notify")),
                 print.readAllStandardError().constData());
        QVERIFY2(sql.contains(QLatin1String("\"public\".\"devices\"")) && sql.contains(QLatin1String("'sku'")),
                 qPrintable(sql));
        QVERIFY2(testsupport::pgExec(src, sql, &error), qPrintable(error));

        Watch watch;
        watch.start(ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        QVERIFY2(run(true, src, touch(QStringLiteral("qty = 77"), QStringLiteral("K10")), &error), qPrintable(error));
        const auto pending = watch.waitForStatus(QStringLiteral("K10"), QStringLiteral("pending"));
        QVERIFY2(pending, qPrintable(watch.transcript()));
        QVERIFY(pending->value(u"lag_ms").toInteger() < 5000);
        QCOMPARE(watch.stop(), 0);
    }

    // Given a server that allows neither decoding nor triggers, an updated_at column is polled.
    void shouldPollUpdatedAtWhereNothingElseIsAllowed()
    {
        QString src, dst, error;
        const QString ws = setUp(true, QStringLiteral("one-way"), 300, &src, &dst, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        QVERIFY(useFeed(ws, QStringLiteral("polling"), true));
        Watch watch;
        watch.start(ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        QVERIFY2(run(true, src, touch(QStringLiteral("qty = 1011"), QStringLiteral("K11")), &error), qPrintable(error));
        const auto pending = watch.waitForStatus(QStringLiteral("K11"), QStringLiteral("pending"));
        QVERIFY2(pending, qPrintable(watch.transcript()));
        QVERIFY(pending->value(u"lag_ms").toInteger() < 5000);
        // Polled rows are reported once, not at every poll.
        QVERIFY(!watch.waitForStatus(QStringLiteral("K11"), QStringLiteral("pending"), 1500));
        QCOMPARE(watch.stop(), 0);
    }

    void shouldServePrometheusMetrics()
    {
        QString src, dst, error;
        const QString ws = setUp(false, QStringLiteral("one-way"), 300, &src, &dst, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        Watch watch;
        watch.start(ws, {QStringLiteral("--metrics"), QStringLiteral("127.0.0.1:0")});
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        QVERIFY2(run(false, src, touch(QStringLiteral("qty = 3"), QStringLiteral("K9")), &error), qPrintable(error));
        QVERIFY2(watch.waitForStatus(QStringLiteral("K9"), QStringLiteral("pending")), qPrintable(watch.transcript()));

        const QByteArray response = watch.metrics();
        QVERIFY2(response.startsWith("HTTP/1.1 200 OK"), response.constData());
        QVERIFY(response.contains("Content-Type: text/plain; version=0.0.4"));
        for (const char *line : {"syncdesk_records{flow=\"devices\",status=\"pending\"} 1",
                                 "syncdesk_records{flow=\"devices\",status=\"in_sync\"} 19",
                                 "syncdesk_flow_ready{flow=\"devices\"} 1",
                                 "# TYPE syncdesk_sla_breaches_total counter",
                                 "syncdesk_feed_connected{system=\"src\",mode=\"polling (data_version, updated_at)\"} 1",
                                 "syncdesk_arrival_lag_seconds{flow=\"devices\",window=\"5m\",quantile=\"0.95\"}"})
            QVERIFY2(response.contains(line), line);
    }

    void shouldRefuseBadWatchInput()
    {
        QProcess p;
        p.start(QStringLiteral(SYNCDESK_CLI_PATH),
                {QStringLiteral("watch"), QStringLiteral("--workspace"), QStringLiteral("/nonexistent.json"),
                 QStringLiteral("--metrics"), QStringLiteral("nohost")});
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().contains("--metrics must be HOST:PORT"));
    }
};

QTEST_GUILESS_MAIN(TestWatch)
#include "tst_watch.moc"
