#include "TestPostgres.h"
#include "connectors/BatchQueue.h"
#include "connectors/PgConnection.h"
#include "connectors/PostgresConnector.h"
#include "model/RowEncoder.h"
#include "model/SyncError.h"

#include <QElapsedTimer>
#include <QTest>

#include <ctime>

using namespace syncdesk;

class TestPostgresConnector : public QObject
{
    Q_OBJECT

private:
    QString m_db;

    SystemSpec system(const QString &conninfo) const
    {
        SystemSpec s;
        s.name = QStringLiteral("pg");
        s.kind = SystemKind::Postgres;
        s.conninfo = conninfo;
        return s;
    }

    // Scans `table` keyed by `key` comparing `fields`; returns the row count or -1 with `error`.
    qint64 scanRows(const TableRef &table, const QStringList &key, const QStringList &fields,
                    QString *error)
    {
        try {
            PostgresConnector c(system(m_db));
            c.open();
            const QList<ColumnInfo> cols = c.describe(table, key + fields);
            ScanRequest r;
            r.table = table;
            r.keys = cols.mid(0, key.size());
            r.fields = cols.mid(key.size());
            QList<FieldClass> keyClasses, fieldClasses;
            for (const ColumnInfo &k : r.keys)
                keyClasses << k.cls;
            for (const ColumnInfo &f : r.fields)
                fieldClasses << f.cls;
            RowEncoder encoder(keyClasses, fieldClasses, false);
            BatchQueue queue(1000); // roomy: this test scans and drains on one thread
            const ScanStats stats = c.scan(r, encoder, queue);
            queue.finish();
            while (queue.pop()) {
            }
            return stats.rows;
        } catch (const SyncError &e) {
            *error = e.message();
            return -1;
        }
    }

    // Fetches `keys` (one key column) from `table`; the JSON keys of the rows found, sorted.
    QStringList fetchKeys(const QString &table, const QString &key, const KeyText &keys,
                          quint64 *horizon = nullptr)
    {
        PostgresConnector c(system(m_db));
        c.open();
        ScanRequest r;
        r.table = {QStringLiteral("public"), table};
        r.keys = c.describe(r.table, {key});
        RowEncoder encoder({r.keys.constFirst().cls}, {}, false);
        QList<KeyText> asked;
        for (const std::optional<QString> &k : keys)
            asked.append(KeyText{k});
        QStringList found;
        for (const EncodedRow &row : c.fetch(r, encoder, asked))
            found << QString::fromUtf8(row.keyJson);
        found.sort();
        if (horizon)
            *horizon = c.lastReadHorizon();
        return found;
    }

private slots:
    void initTestCase()
    {
        QString error;
        QVERIFY2(testsupport::createDatabase(QStringLiteral("tst_pgconnector"), &m_db, &error),
                 qPrintable(error));
    }

    void shouldQuoteEveryIdentifier_data()
    {
        QTest::addColumn<QString>("schema");
        QTest::addColumn<QString>("table");
        QTest::addColumn<QString>("keyColumn");
        QTest::addColumn<QString>("fieldColumn");
        QTest::newRow("plain") << QString() << QStringLiteral("devices")
                               << QStringLiteral("sku") << QStringLiteral("model");
        QTest::newRow("mixed case") << QStringLiteral("Sales") << QStringLiteral("Devices")
                                    << QStringLiteral("SKU") << QStringLiteral("Model");
        QTest::newRow("reserved words") << QStringLiteral("order") << QStringLiteral("select")
                                        << QStringLiteral("from") << QStringLiteral("where");
        QTest::newRow("quote and space") << QStringLiteral("my schema")
                                         << QStringLiteral("we\"ird table")
                                         << QStringLiteral("key \"k\"")
                                         << QStringLiteral("a;b");
        QTest::newRow("dot in name") << QStringLiteral("s") << QStringLiteral("a.b")
                                     << QStringLiteral("c.d") << QStringLiteral("e");
    }

    // Given tables whose names need quoting, when scanned, then every row is read.
    void shouldQuoteEveryIdentifier()
    {
        QFETCH(QString, schema);
        QFETCH(QString, table);
        QFETCH(QString, keyColumn);
        QFETCH(QString, fieldColumn);
        auto q = [](QString s) { return u'"' + s.replace(u'"', QStringLiteral("\"\"")) + u'"'; };
        const QString qualified = schema.isEmpty() ? q(table) : q(schema) + u'.' + q(table);
        if (!schema.isEmpty())
            PG_EXEC(m_db, QStringLiteral("CREATE SCHEMA IF NOT EXISTS %1").arg(q(schema)));
        PG_EXEC(m_db, QStringLiteral("DROP TABLE IF EXISTS %1; CREATE TABLE %1 (%2 text PRIMARY "
                                     "KEY, %3 text); INSERT INTO %1 VALUES ('a', 'x'), ('b', "
                                     "NULL), ('c', 'it''s')")
                          .arg(qualified, q(keyColumn), q(fieldColumn)));
        QString error;
        const qint64 rows = scanRows({schema, table}, {keyColumn}, {fieldColumn}, &error);
        QVERIFY2(rows == 3, qPrintable(error));
    }

    void shouldNameTheMissingTableOrColumn()
    {
        PG_EXEC(m_db, QStringLiteral("CREATE TABLE IF NOT EXISTS present (id int PRIMARY KEY, v text)"));
        QString error;
        QCOMPARE(scanRows({QString(), QStringLiteral("absent")}, {QStringLiteral("id")}, {}, &error), -1);
        QVERIFY2(error.contains(QLatin1String("system 'pg' (postgres)"))
                     && error.contains(QLatin1String("'absent' not found")),
                 qPrintable(error));
        QCOMPARE(scanRows({QStringLiteral("public"), QStringLiteral("absent")},
                          {QStringLiteral("id")}, {}, &error), -1);
        QVERIFY2(error.contains(QLatin1String("public.absent does not exist")), qPrintable(error));
        QCOMPARE(scanRows({QString(), QStringLiteral("present")}, {QStringLiteral("id")},
                          {QStringLiteral("v"), QStringLiteral("qty")}, &error), -1);
        QVERIFY2(error.contains(QLatin1String("has no column 'qty'")), qPrintable(error));
    }

    // Given a C-collated primary key, the scan lets the index deliver the order (no sort, no
    // COLLATE); given an ICU-collated key, it asks for COLLATE "C" so order is byte order.
    void shouldLetTheIndexOrderCCollatedKeys()
    {
        PG_EXEC(m_db, QStringLiteral(
                          "DROP TABLE IF EXISTS big; CREATE TABLE big (sku text PRIMARY KEY, v int);"
                          "INSERT INTO big SELECT 'K' || i, i FROM generate_series(1, 20000) i;"
                          "ANALYZE big"));
        PostgresConnector c(system(m_db));
        c.open();
        ScanRequest r;
        r.table = {QStringLiteral("public"), QStringLiteral("big")};
        const QList<ColumnInfo> cols =
            c.describe(r.table, {QStringLiteral("sku"), QStringLiteral("v")});
        QVERIFY(cols[0].byteOrdered);
        r.keys = {cols[0]};
        r.fields = {cols[1]};
        QByteArray query = c.scanQuery(r);
        QVERIFY2(!query.contains("COLLATE"), query.constData());
        // EXPLAIN the SELECT inside COPY ( … ) TO STDOUT
        query = query.mid(6, query.lastIndexOf(") TO STDOUT") - 6);
        QString error;
        PG_EXEC(m_db, QStringLiteral("SET enable_seqscan = off")); // harmless: proves index usable
        const QString plan = testsupport::pgValue(
            m_db, QStringLiteral("EXPLAIN ") + QString::fromUtf8(query), &error);
        QVERIFY2(plan.contains(QLatin1String("Index")) && !plan.contains(QLatin1String("Sort")),
                 qPrintable(plan + error));
    }

    void shouldSortIcuCollatedKeysByteWise()
    {
        QString error;
        const QString icu = testsupport::pgValue(
            m_db, QStringLiteral("SELECT count(*) FROM pg_collation WHERE collname = 'und-x-icu'"),
            &error);
        QVERIFY2(icu == u"1", "this PostgreSQL build has no ICU collation und-x-icu");
        PG_EXEC(m_db, QStringLiteral("DROP TABLE IF EXISTS icu; CREATE TABLE icu (k text COLLATE "
                                     "\"und-x-icu\" PRIMARY KEY); INSERT INTO icu VALUES ('a'), "
                                     "('B'), ('b'), ('A')"));
        PostgresConnector c(system(m_db));
        c.open();
        const QList<ColumnInfo> cols =
            c.describe({QString(), QStringLiteral("icu")}, {QStringLiteral("k")});
        QVERIFY(!cols[0].byteOrdered);
        ScanRequest r;
        r.table = {QStringLiteral("public"), QStringLiteral("icu")};
        r.keys = cols;
        QVERIFY(c.scanQuery(r).contains("COLLATE \"C\""));
        RowEncoder encoder({FieldClass::Text}, {}, true);
        BatchQueue queue(100);
        QCOMPARE(c.scan(r, encoder, queue).rows, 4);
        queue.finish();
        auto batch = queue.pop();
        QVERIFY(batch);
        QStringList order;
        for (size_t i = 0; i < batch->size(); ++i)
            order << QString::fromUtf8(batch->displayKey(i).data(), qsizetype(batch->displayKey(i).size()));
        QCOMPARE(order.join(u' '), QStringLiteral("[\"A\"] [\"B\"] [\"a\"] [\"b\"]"));
    }

    void shouldReportAConnectionFailureWithTheSystemName()
    {
        // A port nobody listens on: the fixture's port + 1 is free often enough; use port 1.
        SystemSpec s = system(QStringLiteral("host=127.0.0.1 port=1 dbname=x connect_timeout=3"));
        PostgresConnector c(s);
        try {
            c.open();
            QFAIL("connecting to port 1 succeeded");
        } catch (const SyncError &e) {
            QVERIFY2(e.message().startsWith(QLatin1String("system 'pg' (postgres): cannot connect:")),
                     qPrintable(e.message()));
            QVERIFY2(e.message().contains(QLatin1String("127.0.0.1")), qPrintable(e.message()));
        }
    }

    // Given a connection without an answer limit (the checksum method's: its whole-table
    // statements answer only when done), when a statement takes a while, then the wait sleeps:
    // this thread's CPU time stays a small part of the statement's time.
    void shouldSleepWhileWaitingWithoutAnAnswerLimit()
    {
        PgConnection conn(m_db, QStringLiteral("test"), PgConnection::Options{QStringLiteral("pg"), 0, 0, std::nullopt});
        const auto cpuNs = [] {
            timespec t{};
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
            return qint64(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
        };
        const qint64 before = cpuNs();
        QElapsedTimer wall;
        wall.start();
        (void)conn.exec("test", "SELECT pg_sleep(0.5)");
        const qint64 spent = cpuNs() - before;
        QVERIFY(wall.elapsed() >= 500);
        QVERIFY2(spent < 100'000'000, qPrintable(QStringLiteral("%1 ms of CPU waiting 500 ms").arg(spent / 1'000'000)));
    }

    void shouldScrubThePasswordFromMessages()
    {
        QCOMPARE(PgConnection::scrub(QStringLiteral("password s3cret rejected\n"), "s3cret"),
                 QStringLiteral("password ******** rejected"));
        QCOMPARE(PgConnection::scrub(QStringLiteral("plain"), nullptr), QStringLiteral("plain"));
    }

    void shouldResolveUnqualifiedTablesOnTheSearchPath()
    {
        PG_EXEC(m_db, QStringLiteral("CREATE SCHEMA IF NOT EXISTS inv; DROP TABLE IF EXISTS "
                                     "inv.stock; CREATE TABLE inv.stock (id int PRIMARY KEY); "
                                     "INSERT INTO inv.stock VALUES (1), (2);"
                                     "ALTER DATABASE tst_pgconnector SET search_path = inv, public"));
        QString error;
        QCOMPARE(scanRows({QString(), QStringLiteral("stock")}, {QStringLiteral("id")}, {}, &error), 2);
        PG_EXEC(m_db, QStringLiteral("ALTER DATABASE tst_pgconnector RESET search_path"));
    }

    // A live read finds exactly the rows of the keys asked for, alone or in a batch: a key too
    // long for the column is not cut to another row's, one a domain refuses is simply absent,
    // a missing part matches nothing and an empty one the empty text.
    void shouldFetchTheRowsOfExactlyTheKeysAskedFor()
    {
        PG_EXEC(m_db, QStringLiteral(
                          "DROP TABLE IF EXISTS short_keys, domain_keys; DROP DOMAIN IF EXISTS posint;"
                          "CREATE TABLE short_keys (code varchar(3) PRIMARY KEY);"
                          "INSERT INTO short_keys VALUES ('abc'), ('');"
                          "CREATE DOMAIN posint AS int CHECK (VALUE > 0);"
                          "CREATE TABLE domain_keys (id posint PRIMARY KEY); INSERT INTO domain_keys VALUES (1), (2)"));
        const QString code = QStringLiteral("code");
        const std::optional<QString> none;
        quint64 horizon = 0;
        QCOMPARE(fetchKeys(QStringLiteral("short_keys"), code, {QStringLiteral("abcd")}, &horizon),
                 QStringList());
        QVERIFY2(horizon > 0, "a read of one key tells the WAL position it saw");
        QCOMPARE(fetchKeys(QStringLiteral("short_keys"), code, {QStringLiteral("abc")}),
                 QStringList{QStringLiteral("[\"abc\"]")});
        QCOMPARE(fetchKeys(QStringLiteral("short_keys"), code,
                           {QStringLiteral("abcd"), QStringLiteral("abc")}, &horizon),
                 QStringList{QStringLiteral("[\"abc\"]")});
        QVERIFY(horizon > 0);
        QCOMPARE(fetchKeys(QStringLiteral("short_keys"), code, {QStringLiteral("")}),
                 QStringList{QStringLiteral("[\"\"]")});
        QCOMPARE(fetchKeys(QStringLiteral("short_keys"), code, {none}), QStringList());
        QCOMPARE(fetchKeys(QStringLiteral("short_keys"), code, {none, QStringLiteral("abc")}),
                 QStringList{QStringLiteral("[\"abc\"]")});
        const QString id = QStringLiteral("id");
        QCOMPARE(fetchKeys(QStringLiteral("domain_keys"), id, {QStringLiteral("-5")}), QStringList());
        QCOMPARE(fetchKeys(QStringLiteral("domain_keys"), id, {QStringLiteral("-5"), QStringLiteral("2")}),
                 QStringList{QStringLiteral("[2]")});
    }
};

QTEST_GUILESS_MAIN(TestPostgresConnector)
#include "tst_postgresconnector.moc"
