#include "CliRun.h"
#include "TestPostgres.h"
#include "TestSqlite.h"
#include "TwoSystems.h"
#include "model/LagHistogram.h"
#include "model/WorkspaceLoader.h"
#include "state/StateStore.h"

#include <QDateTime>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using testsupport::TestSystem;

// syncdesk-cli diff as scripts use it: arguments in, exit code, stdout and stderr out.
class TestCliDiff : public QObject
{
    Q_OBJECT

    using Run = testsupport::CliRun;
    static Run cli(const QStringList &args) { return testsupport::runCli(args); }

    QTemporaryDir m_dir;
    int m_case = 0;

    // A pairing with table `t` of 3 rows on both sides; `targetExtra` changes the target.
    QString m_table; // the last workspace()'s table

    QString workspace(const QString &pairing, const QStringList &targetExtra, QString *error,
                      TestSystem *targetOut = nullptr)
    {
        TestSystem source, target;
        if (!testsupport::makePairing(pairing, QStringLiteral("cli"), m_dir.path(), &source,
                                      &target, error))
            return {};
        const QString t = QStringLiteral("t%1").arg(++m_case);
        m_table = t;
        if (targetOut)
            *targetOut = target;
        const QStringList rows{
            QStringLiteral("CREATE TABLE %1 (sku text PRIMARY KEY, price numeric, qty integer)").arg(t),
            QStringLiteral("INSERT INTO %1 VALUES ('A1', 1.10, 1), ('B2', 2, 2), ('C3', NULL, 3)").arg(t)};
        if (!source.exec(rows, error) || !target.exec(rows, error))
            return {};
        QStringList extra;
        for (QString s : targetExtra)
            extra << s.replace(QStringLiteral("{t}"), t);
        if (!extra.isEmpty() && !target.exec(extra, error))
            return {};
        return testsupport::writeFile(
            QDir(m_dir.path()), QStringLiteral("ws%1.json").arg(m_case),
            testsupport::workspaceJson(source, target, t, {QStringLiteral("sku")},
                                       {QStringLiteral("price"), QStringLiteral("qty")}));
    }

    // A target with one record of each kind out of sync: A1 different, B2 missing, D4 extra.
    static QStringList oneOfEach()
    {
        return {QStringLiteral("UPDATE {t} SET price = 1.2 WHERE sku = 'A1'"),
                QStringLiteral("DELETE FROM {t} WHERE sku = 'B2'"),
                QStringLiteral("INSERT INTO {t} VALUES ('D4', 4, 4)")};
    }

    static void pairings()
    {
        QTest::addColumn<QString>("pairing");
        for (const QString &p : testsupport::pairingNames())
            QTest::newRow(qPrintable(p)) << p;
    }

    static bool oneErrorLine(const Run &r, const char *needle)
    {
        return r.exitCode == 2 && r.out.isEmpty() && r.err.count('\n') == 1
               && r.err.startsWith("syncdesk-cli: ") && r.err.contains(needle);
    }

private slots:
    void shouldDocumentEveryOption()
    {
        const Run r = cli({QStringLiteral("diff"), QStringLiteral("--help")});
        QCOMPARE(r.exitCode, 0);
        for (const char *option : {"--workspace", "--flow", "--json", "--list", "Exit status"})
            QVERIFY2(r.out.contains(option), option);
        const Run top = cli({QStringLiteral("--help")});
        QCOMPARE(top.exitCode, 0);
        QVERIFY(top.out.contains("diff"));
        QCOMPARE(cli({QStringLiteral("--version")}).exitCode, 0);
    }

    void shouldExitZeroWhenInSync_data() { pairings(); }

    void shouldExitZeroWhenInSync()
    {
        QFETCH(QString, pairing);
        QString error;
        const QString ws = workspace(pairing, {}, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        const Run r = cli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws,
                           QStringLiteral("--flow"), QStringLiteral("f"), QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QJsonParseError parse{};
        const QJsonObject o = QJsonDocument::fromJson(r.out, &parse).object();
        QVERIFY2(parse.error == QJsonParseError::NoError, r.out.constData());
        QCOMPARE(o.keys(), QStringList({QStringLiteral("different"), QStringLiteral("elapsed_ms"),
                                        QStringLiteral("flow"), QStringLiteral("in_sync"),
                                        QStringLiteral("method"),
                                        QStringLiteral("missing_in_source"),
                                        QStringLiteral("missing_in_target"),
                                        QStringLiteral("order"),
                                        QStringLiteral("source_rows"), QStringLiteral("target_rows")}));
        QCOMPARE(o.value(u"method").toString(), QStringLiteral("rows"));
        QVERIFY(o.value(u"order").toString() == u"merge" || o.value(u"order").toString() == u"hash");
        QCOMPARE(o.value(u"flow").toString(), QStringLiteral("f"));
        QCOMPARE(o.value(u"in_sync").toInt(), 3);
        QCOMPARE(o.value(u"source_rows").toInt(), 3);
        QCOMPARE(o.value(u"target_rows").toInt(), 3);
        QVERIFY(r.out.startsWith("{\"flow\":\"f\",\"source_rows\":3,\"target_rows\":3,"));
    }

    void shouldExitOneAndListDifferences_data() { pairings(); }

    void shouldExitOneAndListDifferences()
    {
        QFETCH(QString, pairing);
        QString error;
        const QString ws = workspace(pairing, oneOfEach(), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        const Run r = cli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws,
                           QStringLiteral("--flow"), QStringLiteral("f"), QStringLiteral("--json"),
                           QStringLiteral("--list")});
        QVERIFY2(r.exitCode == 1, r.err.constData());
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(u"in_sync").toInt(), 1);
        QCOMPARE(o.value(u"different").toInt(), 1);
        QCOMPARE(o.value(u"missing_in_target").toInt(), 1);
        QCOMPARE(o.value(u"missing_in_source").toInt(), 1);
        const QJsonArray records = o.value(u"records").toArray();
        QCOMPARE(records.size(), 3);
        const QJsonObject first = records[0].toObject();
        QCOMPARE(first.value(u"key").toArray(), QJsonArray{QStringLiteral("A1")});
        QCOMPARE(first.value(u"status").toString(), QStringLiteral("different"));
        QCOMPARE(first.value(u"fields").toArray(), QJsonArray{QStringLiteral("price")});
        QCOMPARE(first.value(u"source_hash").toString().size(), 16);
        QVERIFY(first.value(u"source_hash") != first.value(u"target_hash"));
        QCOMPARE(records[1].toObject().value(u"status").toString(), QStringLiteral("missing_in_target"));
        QVERIFY(records[1].toObject().value(u"target_hash").isNull());
        QCOMPARE(records[2].toObject().value(u"status").toString(), QStringLiteral("missing_in_source"));
        QVERIFY(records[2].toObject().value(u"source_hash").isNull());

        // The human form says the same.
        const Run text = cli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws,
                              QStringLiteral("--flow"), QStringLiteral("f"), QStringLiteral("--list")});
        QCOMPARE(text.exitCode, 1);
        QVERIFY2(text.out.contains("different") && text.out.contains("[\"A1\"]  fields: price"),
                 text.out.constData());
    }

    // Given PostgreSQL on both sides, when diffed by checksums, then the JSON and the list are
    // those of the row method but for the method and the time; on a pairing with SQLite,
    // --method checksum is refused in one line naming why.
    void shouldCompareByChecksumsAsByRows_data() { pairings(); }

    void shouldCompareByChecksumsAsByRows()
    {
        QFETCH(QString, pairing);
        QString error;
        const QString ws = workspace(pairing, oneOfEach(), &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        const QStringList args{QStringLiteral("diff"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                               QStringLiteral("f"), QStringLiteral("--json"), QStringLiteral("--list"),
                               QStringLiteral("--method")};
        const Run sums = cli(args + QStringList{QStringLiteral("checksum")});
        if (pairing != u"pg->pg") {
            QVERIFY2(oneErrorLine(sums, "--method checksum cannot compare it: checksums are computed by "
                                        "PostgreSQL on both sides, and system '"),
                     sums.err.constData());
            return;
        }
        const Run rows = cli(args + QStringList{QStringLiteral("rows")});
        QVERIFY2(sums.exitCode == 1 && rows.exitCode == 1, sums.err.constData());
        auto comparable = [](const QByteArray &out) {
            return QString::fromUtf8(out).remove(
                QRegularExpression(QStringLiteral("\"elapsed_ms\":\\d+,\"method\":\"\\w+\",\"order\":\"\\w+\"")));
        };
        QVERIFY(sums.out.contains("\"method\":\"checksum\""));
        QCOMPARE(comparable(sums.out), comparable(rows.out));
        QVERIFY(comparable(sums.out).contains(QLatin1String("\"different\":1,\"missing_in_target\":1,\"missing_in_source\":1")));
        QVERIFY(!comparable(sums.out).contains(QLatin1String("elapsed_ms")));
        // The human form says how much was read.
        const Run text = cli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                              QStringLiteral("f"), QStringLiteral("--method"), QStringLiteral("checksum")});
        QVERIFY2(text.exitCode == 1 && text.out.contains(" key ranges and buckets, ") && text.out.contains(" rows read)"),
                 text.out.constData());
    }

    // Given a source of a million rows on PostgreSQL at both ends, when diffed without a
    // method, then auto compares by checksums, with the row method's counts.
    void shouldPickChecksumsForLargeTables()
    {
        TestSystem source, target;
        QString error;
        QVERIFY2(testsupport::makePairing(QStringLiteral("pg->pg"), QStringLiteral("cli"), m_dir.path(), &source,
                                          &target, &error),
                 qPrintable(error));
        const QString t = QStringLiteral("big%1").arg(++m_case);
        const QStringList rows{
            QStringLiteral("CREATE TABLE %1 (id integer PRIMARY KEY, n integer)").arg(t),
            QStringLiteral("INSERT INTO %1 SELECT i, i % 7 FROM generate_series(1, 1000000) i").arg(t),
            QStringLiteral("ANALYZE %1").arg(t)};
        QVERIFY2(source.exec(rows, &error), qPrintable(error));
        QVERIFY2(target.exec(rows + QStringList{QStringLiteral("UPDATE %1 SET n = -1 WHERE id % 100000 = 0").arg(t),
                                                QStringLiteral("DELETE FROM %1 WHERE id = 77").arg(t)},
                             &error),
                 qPrintable(error));
        const QString ws = testsupport::writeFile(
            QDir(m_dir.path()), QStringLiteral("big%1.json").arg(m_case),
            testsupport::workspaceJson(source, target, t, {QStringLiteral("id")}, {QStringLiteral("n")}));
        const Run r = cli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                           QStringLiteral("f"), QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 1, r.err.constData());
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(u"method").toString(), QStringLiteral("checksum"));
        QCOMPARE(o.value(u"in_sync").toInt(), 1000000 - 11);
        QCOMPARE(o.value(u"different").toInt(), 10);
        QCOMPARE(o.value(u"missing_in_target").toInt(), 1);
        QCOMPARE(o.value(u"target_rows").toInt(), 999999);
    }

    void shouldConfirmDifferencesAfterAWait_data() { pairings(); }

    // Given two records out of sync, one of them about to arrive, `diff --confirm` says why it
    // waits, reads both again after the wait, reports the one that arrived as in flight and the
    // other as confirmed (exit 1); with nothing confirmed it exits 0.
    void shouldConfirmDifferencesAfterAWait()
    {
        QFETCH(QString, pairing);
        QString error;
        TestSystem source, target;
        const QString ws = workspace(pairing,
                                     {QStringLiteral("UPDATE {t} SET qty = 10 WHERE sku = 'A1'"),
                                      QStringLiteral("UPDATE {t} SET qty = 20 WHERE sku = 'B2'")},
                                     &error, &target);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        QProcess p;
        p.start(QStringLiteral(SYNCDESK_CLI_PATH),
                {QStringLiteral("diff"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                 QStringLiteral("f"), QStringLiteral("--json"), QStringLiteral("--list"), QStringLiteral("--confirm"),
                 QStringLiteral("--confirm-after"), QStringLiteral("3")});
        QByteArray err;
        QVERIFY(QTest::qWaitFor([&] {
            p.waitForReadyRead(100);
            err += p.readAllStandardError();
            return err.contains("reading them again in 3.0 s (given)");
        }, 20000));
        QVERIFY2(err.contains("diff: 2 record(s) out of sync"), err.constData());
        // B2's change arrives while it waits.
        QVERIFY2(target.exec({QStringLiteral("UPDATE %1 SET qty = 2 WHERE sku = 'B2'").arg(m_table)}, &error),
                 qPrintable(error));
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 1);
        const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        QCOMPARE(o.value(u"different").toInt(), 2);
        QCOMPARE(o.value(u"in_flight").toInt(), 1);
        QCOMPARE(o.value(u"confirmed").toInt(), 1);
        QCOMPARE(o.value(u"confirm_wait_ms").toInt(), 3000);
        const QJsonArray records = o.value(u"records").toArray();
        QCOMPARE(records[0].toObject().value(u"confirmed").toBool(), true);  // A1
        QCOMPARE(records[1].toObject().value(u"confirmed").toBool(), false); // B2

        // A1 arrives too: nothing out of sync, nothing to wait for.
        QVERIFY2(target.exec({QStringLiteral("UPDATE %1 SET qty = 1 WHERE sku = 'A1'").arg(m_table)}, &error),
                 qPrintable(error));
        const Run none = cli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                              QStringLiteral("f"), QStringLiteral("--confirm")});
        QVERIFY2(none.exitCode == 0 && none.out.contains("in sync\n"), none.out.constData());
        QVERIFY(!none.err.contains("reading them again")); // nothing to read again
    }

    // Given a flow whose arrivals a watch has measured (lag counters in its state store), the
    // wait of `diff --confirm` is their p99, not the SLA.
    void shouldWaitTheMeasuredP99Lag()
    {
        QString error;
        const QString ws = workspace(QStringLiteral("sqlite->sqlite"),
                                     {QStringLiteral("UPDATE {t} SET qty = 10 WHERE sku = 'A1'")}, &error);
        QVERIFY2(!ws.isEmpty(), qPrintable(error));
        {
            const syncdesk::Workspace w = syncdesk::WorkspaceLoader::load(ws);
            const auto store = syncdesk::StateStore::open(w);
            syncdesk::StateChanges counts;
            const qint64 hour = syncdesk::hourStartOf(QDateTime::currentMSecsSinceEpoch());
            using syncdesk::LagHistogram;
            // 99 arrivals within about 300 ms, one after 20 s: the p99 is the 300 ms bucket.
            counts.counts.append({QStringLiteral("f"), hour, LagHistogram::counterName(LagHistogram::bucketOf(300)), 99});
            counts.counts.append({QStringLiteral("f"), hour, LagHistogram::counterName(LagHistogram::bucketOf(20000)), 1});
            store->apply(counts);
        }
        const Run r = cli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws, QStringLiteral("--flow"),
                           QStringLiteral("f"), QStringLiteral("--json"), QStringLiteral("--confirm")});
        QVERIFY2(r.exitCode == 1, r.err.constData());
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(u"confirm_wait_basis").toString(), QStringLiteral("p99 lag"));
        QCOMPARE(qint64(o.value(u"confirm_wait_ms").toInteger()),
                 syncdesk::LagHistogram::upperBoundMs(syncdesk::LagHistogram::bucketOf(300)));
        QCOMPARE(o.value(u"confirmed").toInt(), 1);
    }

    void shouldFailWithOneLineOnBadUsage_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("needle");
        QTest::newRow("no command") << QStringList() << QByteArray("no command");
        QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")}
                                         << QByteArray("unknown command 'frobnicate'");
        QTest::newRow("no workspace") << QStringList{QStringLiteral("diff"), QStringLiteral("--flow"), QStringLiteral("f")}
                                      << QByteArray("--workspace is required");
        QTest::newRow("no flow") << QStringList{QStringLiteral("diff"), QStringLiteral("--workspace"), QStringLiteral("x.json")}
                                 << QByteArray("--flow is required");
        QTest::newRow("unknown option") << QStringList{QStringLiteral("diff"), QStringLiteral("--frob")}
                                        << QByteArray("Unknown option 'frob'");
        QTest::newRow("slots without an action")
            << QStringList{QStringLiteral("slots"), QStringLiteral("--workspace"), QStringLiteral("w.json")}
            << QByteArray("slots: say list or drop");
        QTest::newRow("feed without workspace")
            << QStringList{QStringLiteral("feed"), QStringLiteral("install-sql")}
            << QByteArray("feed: --workspace is required");
        QTest::newRow("watch without workspace") << QStringList{QStringLiteral("watch")}
                                                 << QByteArray("watch: --workspace is required");
        QTest::newRow("show without key")
            << QStringList{QStringLiteral("show"), QStringLiteral("--workspace"), QStringLiteral("w.json"),
                           QStringLiteral("--flow"), QStringLiteral("f")}
            << QByteArray("show: --key is required");
        QTest::newRow("unknown method")
            << QStringList{QStringLiteral("diff"), QStringLiteral("--workspace"), QStringLiteral("w.json"),
                           QStringLiteral("--flow"), QStringLiteral("f"), QStringLiteral("--method"), QStringLiteral("fast")}
            << QByteArray("diff: --method must be rows, checksum or auto, got 'fast'");
        QTest::newRow("range rows of zero")
            << QStringList{QStringLiteral("diff"), QStringLiteral("--workspace"), QStringLiteral("w.json"),
                           QStringLiteral("--flow"), QStringLiteral("f"), QStringLiteral("--range-rows"), QStringLiteral("0")}
            << QByteArray("diff: --range-rows must be a number of rows from 1 to 1000000, got '0'");
        QTest::newRow("range rows with the row method")
            << QStringList{QStringLiteral("diff"), QStringLiteral("--workspace"), QStringLiteral("w.json"),
                           QStringLiteral("--flow"), QStringLiteral("f"), QStringLiteral("--method"), QStringLiteral("rows"),
                           QStringLiteral("--range-rows"), QStringLiteral("8")}
            << QByteArray("diff: --range-rows applies to --method checksum (or auto), not rows");
        QTest::newRow("an order with checksums")
            << QStringList{QStringLiteral("diff"), QStringLiteral("--workspace"), QStringLiteral("w.json"),
                           QStringLiteral("--flow"), QStringLiteral("f"), QStringLiteral("--method"), QStringLiteral("checksum"),
                           QStringLiteral("--order"), QStringLiteral("hash")}
            << QByteArray("diff: --order applies to --method rows, not checksum");
        QTest::newRow("confirm-after without confirm")
            << QStringList{QStringLiteral("diff"), QStringLiteral("--workspace"), QStringLiteral("w.json"),
                           QStringLiteral("--flow"), QStringLiteral("f"), QStringLiteral("--confirm-after"), QStringLiteral("1")}
            << QByteArray("diff: --confirm-after needs --confirm");
        QTest::newRow("missing workspace file")
            << QStringList{QStringLiteral("diff"), QStringLiteral("--workspace"), QStringLiteral("/nonexistent/w.json"),
                           QStringLiteral("--flow"), QStringLiteral("f")}
            << QByteArray("/nonexistent/w.json: workspace file not found");
    }

    void shouldFailWithOneLineOnBadUsage()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, needle);
        const Run r = cli(args);
        QVERIFY2(oneErrorLine(r, needle.constData()), r.err.constData());
    }

    // Given a broken workspace, the CLI names the file and location, exits 2 and writes nothing.
    void shouldRejectABadWorkspaceWithoutWriting_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QByteArray>("needle");
        QTest::newRow("not json") << QByteArray("{\"version\": 1,") << QByteArray("line 1, column");
        QTest::newRow("version") << QByteArray(R"({"version": 7, "systems": [], "flows": []})")
                                 << QByteArray("$.version: unsupported version 7");
        QTest::newRow("unknown kind")
            << QByteArray(R"({"version": 1, "systems": [{"name": "a", "kind": "oracle"}], "flows": []})")
            << QByteArray("$.systems[0].kind: unknown kind 'oracle'");
        QTest::newRow("password")
            << QByteArray(R"({"version": 1, "systems": [{"name": "a", "kind": "postgres", "conninfo": "host=h password=hunter2"}], "flows": []})")
            << QByteArray("$.systems[0].conninfo: contains a password");
        QTest::newRow("missing system")
            << QByteArray(R"({"version": 1, "systems": [], "flows": [{"name": "f", "source": {"system": "s", "table": "t"}}]})")
            << QByteArray("$.flows[0].source.system: names system 's', which is not defined");
        QTest::newRow("unknown feed")
            << QByteArray(R"({"version": 1, "systems": [{"name": "a", "kind": "sqlite", "path": "a.db", "feed": "logical"}], "flows": []})")
            << QByteArray("$.systems[0].feed: unknown feed 'logical' for a sqlite system");
        QTest::newRow("polling without updated_at")
            << QByteArray(R"({"version": 1, "systems": [{"name": "p", "kind": "postgres", "conninfo": "dbname=x", "feed": "polling"}],
                 "flows": [{"name": "f", "source": {"system": "p", "table": "t", "updated_at": "u"}, "target": {"system": "p", "table": "t2"}, "key": ["id"], "fields": []}]})")
            << QByteArray("$.flows[0].target: needs \"updated_at\": system 'p' is followed by polling");
        QTest::newRow("unknown flow")
            << QByteArray(R"({"version": 1, "systems": [], "flows": []})")
            << QByteArray("no flow named 'f'");
    }

    void shouldRejectABadWorkspaceWithoutWriting()
    {
        QFETCH(QByteArray, json);
        QFETCH(QByteArray, needle);
        QTemporaryDir dir;
        const QString ws = testsupport::writeFile(QDir(dir.path()), QStringLiteral("w.json"), json);
        const Run r = cli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws,
                           QStringLiteral("--flow"), QStringLiteral("f")});
        QVERIFY2(oneErrorLine(r, needle.constData()), r.err.constData());
        QVERIFY2(r.err.contains(ws.toUtf8()), r.err.constData());
        QVERIFY(!r.err.contains("hunter2"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("w.json")});
    }

    void shouldFailWithTwoWhenASystemIsUnreachable()
    {
        QTemporaryDir dir;
        const QByteArray json = R"({"version": 1, "systems": [
            {"name": "wh", "kind": "postgres", "conninfo": "host=127.0.0.1 port=1 dbname=x connect_timeout=3"},
            {"name": "sales", "kind": "sqlite", "path": "missing.db"}],
          "flows": [{"name": "f", "source": {"system": "wh", "table": "t"},
                     "target": {"system": "sales", "table": "t"}, "key": ["id"], "fields": []}]})";
        const QString ws = testsupport::writeFile(QDir(dir.path()), QStringLiteral("w.json"), json);
        const Run r = cli({QStringLiteral("diff"), QStringLiteral("--workspace"), ws,
                           QStringLiteral("--flow"), QStringLiteral("f"), QStringLiteral("--json")});
        QVERIFY2(oneErrorLine(r, "system 'wh' (postgres): cannot connect"), r.err.constData());
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("missing.db"))));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("w.json")});
    }
};

QTEST_GUILESS_MAIN(TestCliDiff)
#include "tst_cli_diff.moc"
