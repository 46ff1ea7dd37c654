#include "WatchFixture.h"

#include <QTemporaryDir>
#include <QTest>

using testsupport::WatchProcess;

// The live engine's first comparison, confirmed: the records it finds out of sync are read
// again after the flow's p99 lag (here its SLA, no lag being measured yet), and told apart as
// in flight (in sync by then) or confirmed, on `watch --events` and on stderr.
class TestFirstCheck : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private slots:
    void shouldTellChangesInFlightFromConfirmedDifferences()
    {
        QString error;
        const QString path = QDir(m_dir.path()).absoluteFilePath(QStringLiteral("first.db"));
        QVERIFY2(testsupport::sqliteExec(
                     path,
                     {QStringLiteral("CREATE TABLE items (k text PRIMARY KEY, v text)"),
                      QStringLiteral("CREATE TABLE items2 (k text PRIMARY KEY, v text)"),
                      QStringLiteral("INSERT INTO items VALUES ('a', '1'), ('b', '2'), ('c', '3'), ('d', '4')"),
                      QStringLiteral("INSERT INTO items2 VALUES ('a', '1'), ('d', 'old')")},
                     &error),
                 qPrintable(error));
        const QString ws = testsupport::writeFile(
            QDir(m_dir.path()), QStringLiteral("first.json"),
            "{\"version\": 1, \"systems\": [{\"name\": \"s\", \"kind\": \"sqlite\", \"path\": \"" + path.toUtf8()
                + "\"}], \"flows\": [{\"name\": \"f\", \"source\": {\"system\": \"s\", \"table\": \"items\"}, "
                  "\"target\": {\"system\": \"s\", \"table\": \"items2\"}, \"key\": [\"k\"], \"fields\": [\"v\"], "
                  "\"sla_seconds\": 3}]}");
        WatchProcess watch;
        watch.start(ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        QVERIFY2(watch.waitForErr(QStringLiteral("flow 'f': 3 record(s) out of sync at the first comparison; "
                                                 "reading them again in 3.0 s (sla)"),
                                  5000),
                 qPrintable(watch.transcript()));
        // Two of the three arrive before the wait is over: they were in flight.
        QVERIFY2(testsupport::sqliteExec(path, {QStringLiteral("INSERT INTO items2 VALUES ('b', '2')"),
                                                QStringLiteral("UPDATE items2 SET v = '4' WHERE k = 'd'")},
                                         &error),
                 qPrintable(error));
        const std::optional<QJsonObject> checked = watch.waitFor(
            [](const QJsonObject &o) { return o.value(u"event").toString() == u"first_comparison_checked"; }, 15000);
        QVERIFY2(checked, qPrintable(watch.transcript()));
        QCOMPARE(checked->value(u"in_flight").toInt(), 2);
        QCOMPARE(checked->value(u"confirmed").toInt(), 1);
        QCOMPARE(checked->value(u"wait_ms").toInt(), 3000);
        QCOMPARE(checked->value(u"wait_basis").toString(), QStringLiteral("sla"));
        QVERIFY(watch.waitForErr(QStringLiteral("2 were in flight and 1 are confirmed"), 5000));
        QCOMPARE(watch.stop(), 0);
    }
};

QTEST_GUILESS_MAIN(TestFirstCheck)
#include "tst_firstcheck.moc"
