#include "TestSqlite.h"

#include "engine/LiveEngine.h"
#include "engine/Reconciler.h"
#include "model/SyncError.h"
#include "model/WorkspaceLoader.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace syncdesk;

// A full comparison reports its progress and stops when the operator cancels it: a first
// comparison leaves its flow stopped (no retries) until "compare now", a verification scan is
// skipped with the flow left live. On real SQLite files, big enough to be cancelled midway.
class TestComparisonControl : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_case = 0;
    static constexpr int Rows = 60000;

    Workspace workspace()
    {
        ++m_case;
        const QString src = m_dir.filePath(QStringLiteral("src%1.db").arg(m_case));
        const QString dst = m_dir.filePath(QStringLiteral("dst%1.db").arg(m_case));
        const QString ddl = QStringLiteral("CREATE TABLE t (id integer PRIMARY KEY, v text)");
        const QString fill = QStringLiteral("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %1) "
                                            "INSERT INTO t SELECT i, 'v' || i FROM n").arg(Rows);
        QString error;
        if (!testsupport::sqliteExec(src, {ddl, fill}, &error) || !testsupport::sqliteExec(dst, {ddl, fill}, &error))
            qFatal("%s", qPrintable(error));
        const QByteArray json = QStringLiteral(R"({"version": 1, "systems": [
              {"name": "a", "kind": "sqlite", "path": "%1"}, {"name": "b", "kind": "sqlite", "path": "%2"}],
            "flows": [{"name": "f", "source": {"system": "a", "table": "t"}, "target": {"system": "b", "table": "t"},
              "key": ["id"], "fields": ["v"], "sla_seconds": 60}]})").arg(src, dst).toUtf8();
        return WorkspaceLoader::load(testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("ws%1.json").arg(m_case), json));
    }

private slots:
    // Given a progress callback, it sees the count grow, and returning false stops the run.
    void shouldReportProgressAndStopWhenToldTo()
    {
        const Workspace ws = workspace();
        QList<qint64> seen;
        DiffOptions options;
        options.progress = [&seen](qint64 records) {
            seen << records;
            return true;
        };
        const DiffResult full = Reconciler(ws, ws.flows.first()).run(options);
        QCOMPARE(full.inSync, qint64(Rows));
        QVERIFY(seen.size() >= 3);
        QVERIFY(std::is_sorted(seen.cbegin(), seen.cend()));
        QVERIFY(seen.last() <= Rows);

        options.progress = [](qint64) { return false; };
        QVERIFY_THROWS_EXCEPTION(SyncError, (void)Reconciler(ws, ws.flows.first()).run(options));
    }

    // Given a first comparison cancelled at once, the flow is stopped and not retried; compare
    // now makes it live. A cancelled verification leaves it live.
    void shouldStopAFirstComparisonUntilComparedAgain()
    {
        LiveEngine engine(workspace(), LiveEngine::Options{});
        QSignalSpy errors(&engine, &LiveEngine::flowError);
        QSignalSpy ready(&engine, &LiveEngine::flowReady);
        engine.start();
        QVERIFY(engine.comparison(QStringLiteral("f")).running);
        QVERIFY(engine.comparison(QStringLiteral("f")).initial);
        engine.cancelComparison(QStringLiteral("f"));
        QVERIFY(errors.wait(20000));
        QVERIFY2(errors.first().at(1).toString().contains(QLatin1String("cancelled")),
                 qPrintable(errors.first().at(1).toString()));
        QVERIFY(engine.comparison(QStringLiteral("f")).stopped);
        QTest::qWait(2500); // the engine retries failed flows within seconds; not a stopped one
        QVERIFY(!engine.comparison(QStringLiteral("f")).running);
        QVERIFY(!engine.isReady(QStringLiteral("f")));
        QCOMPARE(ready.size(), 0);

        engine.compareNow(QStringLiteral("f"));
        QVERIFY(engine.comparison(QStringLiteral("f")).running);
        QVERIFY(ready.wait(30000));
        QVERIFY(engine.isReady(QStringLiteral("f")));
        const LiveEngine::Comparison done = engine.comparison(QStringLiteral("f"));
        QVERIFY(!done.running && !done.stopped);
        QCOMPARE(done.expected, qint64(Rows)); // the next bar measures against this count

        const int errorsBefore = int(errors.size());
        engine.compareNow(QStringLiteral("f")); // a verification scan, cancelled
        QVERIFY(engine.comparison(QStringLiteral("f")).running);
        QVERIFY(!engine.comparison(QStringLiteral("f")).initial);
        engine.cancelComparison(QStringLiteral("f"));
        QVERIFY(QTest::qWaitFor([&] { return !engine.comparison(QStringLiteral("f")).running; }, 20000));
        QVERIFY(engine.isReady(QStringLiteral("f")));
        QVERIFY(!engine.comparison(QStringLiteral("f")).stopped);
        QCOMPARE(int(errors.size()), errorsBefore);
    }
};

QTEST_GUILESS_MAIN(TestComparisonControl)
#include "tst_comparisoncontrol.moc"
