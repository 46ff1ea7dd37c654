#include "TestSqlite.h"

#include "engine/LiveEngine.h"
#include "model/WorkspaceLoader.h"
#include "state/StateStore.h"

#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace syncdesk;

// The live engine keeps what it learnt when its state store cannot take a write for a while
// (another process holds it locked): the batch is written with the next one once the store is
// back, and the store's loss and return are announced once each. On real SQLite files.
class TestEnginePersistence : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private slots:
    void shouldWriteABatchTheStoreRefusedOnceItIsBack()
    {
        const QString src = m_dir.filePath(QStringLiteral("src.db"));
        const QString dst = m_dir.filePath(QStringLiteral("dst.db"));
        const QString ddl = QStringLiteral("CREATE TABLE t (id integer PRIMARY KEY, v text, updated_at text)");
        const QString rows = QStringLiteral("INSERT INTO t VALUES (1, 'a', '1'), (2, 'b', '1')");
        SQLITE_EXEC(src, {ddl, rows});
        SQLITE_EXEC(dst, {ddl, rows});
        const QByteArray json = QStringLiteral(R"({"version": 1, "systems": [
              {"name": "a", "kind": "sqlite", "path": "%1"}, {"name": "b", "kind": "sqlite", "path": "%2"}],
            "flows": [{"name": "f", "source": {"system": "a", "table": "t", "updated_at": "updated_at"},
              "target": {"system": "b", "table": "t", "updated_at": "updated_at"},
              "key": ["id"], "fields": ["v"], "sla_seconds": 60}]})").arg(src, dst).toUtf8();
        const Workspace ws = WorkspaceLoader::load(testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("ws.json"), json));

        LiveEngine engine(ws, LiveEngine::Options{});
        QSignalSpy ready(&engine, &LiveEngine::flowReady);
        QSignalSpy store(&engine, &LiveEngine::stateStoreChanged);
        QSignalSpy flowErrors(&engine, &LiveEngine::flowError);
        QSignalSpy events(&engine, &LiveEngine::statusEvents);
        engine.start();
        QVERIFY(ready.wait(20000));

        {
            // Another process takes the store: every write waits out its busy timeout and fails.
            QSqlDatabase lock = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("lock"));
            lock.setDatabaseName(ws.state);
            QVERIFY(lock.open());
            QSqlQuery q(lock);
            QVERIFY(q.exec(QStringLiteral("BEGIN EXCLUSIVE")));
            SQLITE_EXEC(src, {QStringLiteral("UPDATE t SET v = 'a2', updated_at = '2' WHERE id = 1")});
            QVERIFY(QTest::qWaitFor([&] { return !events.isEmpty(); }, 10000)); // pending, in memory
            QVERIFY(QTest::qWaitFor([&] { return !store.isEmpty(); }, 15000)); // and not written
            QCOMPARE(store.first().at(0).toBool(), false);
            QVERIFY(!engine.stateError().isEmpty());
            QVERIFY(q.exec(QStringLiteral("ROLLBACK")));
            lock.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("lock"));
        QVERIFY(QTest::qWaitFor([&] { return store.size() == 2; }, 20000));
        QCOMPARE(store.last().at(0).toBool(), true);
        // Busy retries are the store's incident, not a fault of the flow.
        QVERIFY(flowErrors.isEmpty());
        QVERIFY(engine.stateError().isEmpty());

        const auto stored = StateStore::open(ws);
        const QList<StoredBaseline> saved = stored->baselines(QStringLiteral("f"));
        QCOMPARE(saved.size(), 1);
        QCOMPARE(saved.first().keyJson, QByteArray("[1]"));
        QCOMPARE(saved.first().fieldValues, QByteArray("[\"a\"]")); // what both agreed on
    }
};

QTEST_GUILESS_MAIN(TestEnginePersistence)
#include "tst_enginepersistence.moc"
