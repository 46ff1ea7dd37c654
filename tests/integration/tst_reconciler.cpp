#include "TestPostgres.h"
#include "TwoSystems.h"
#include "engine/Reconciler.h"
#include "model/SyncError.h"

#include <QTemporaryDir>
#include <QTest>

using namespace syncdesk;
using testsupport::Backend;
using testsupport::TestSystem;

class TestReconciler : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_case = 0;

    // 100 devices K1001..K1100, as rows both PostgreSQL and SQLite accept.
    static QStringList devices(const QString &table)
    {
        return {QStringLiteral("CREATE TABLE %1 (sku text PRIMARY KEY, model text, qty integer)")
                    .arg(table),
                QStringLiteral("INSERT INTO %1 SELECT 'K' || (1000 + i), 'M' || i, i FROM (WITH "
                               "RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE "
                               "i < 100) SELECT i FROM s) AS g")
                    .arg(table)};
    }

    bool pairing(TestSystem *source, TestSystem *target, QString *error)
    {
        QFETCH(QString, pairing);
        return testsupport::makePairing(pairing, QStringLiteral("rec"), m_dir.path(), source,
                                        target, error);
    }

    // Every pairing under both ways of pairing records: they must agree on every fixture.
    static void pairings()
    {
        QTest::addColumn<QString>("pairing");
        for (const QString &p : testsupport::pairingNames()) {
            QTest::newRow(qPrintable(p + QStringLiteral(" merge"))) << p;
            QTest::newRow(qPrintable(p + QStringLiteral(" hash"))) << p;
        }
    }

    // `o` with the order the current data row names (none: auto).
    static DiffOptions ordered(DiffOptions o = {})
    {
        const QByteArray tag = QTest::currentDataTag();
        o.order = tag.endsWith(" hash")    ? DiffOptions::Order::Hash
                  : tag.endsWith(" merge") ? DiffOptions::Order::Merge
                                           : DiffOptions::Order::Auto;
        if (o.order == DiffOptions::Order::Hash)
            o.memoryBudgetBytes = 1 << 20; // small: the larger fixtures spill to disk
        return o;
    }

    static QString diffError(const Workspace &ws, DiffOptions::Order order = DiffOptions::Order::Auto)
    {
        try {
            DiffOptions o;
            o.order = order;
            (void)Reconciler(ws, ws.flows.first()).run(o);
        } catch (const SyncError &e) {
            return e.message();
        }
        return QStringLiteral("(no error)");
    }

private slots:
    void shouldCountEveryStatus_data() { pairings(); }

    // Given a target that lost, gained and changed rows, when diffed with details, then every
    // record not in sync is listed with its status, differing fields and hashes.
    void shouldCountEveryStatus()
    {
        TestSystem source, target;
        QString error;
        QVERIFY2(pairing(&source, &target, &error), qPrintable(error));
        const QString t = QStringLiteral("dev%1").arg(++m_case);
        QVERIFY2(source.exec(devices(t), &error), qPrintable(error));
        QVERIFY2(target.exec(devices(t) + QStringList{
                     QStringLiteral("UPDATE %1 SET model = 'X' WHERE sku = 'K1010'").arg(t),
                     QStringLiteral("UPDATE %1 SET qty = 999 WHERE sku = 'K1020'").arg(t),
                     QStringLiteral("UPDATE %1 SET model = NULL, qty = 0 WHERE sku = 'K1030'").arg(t),
                     QStringLiteral("DELETE FROM %1 WHERE sku IN ('K1040', 'K1100')").arg(t),
                     QStringLiteral("INSERT INTO %1 VALUES ('K1000', 'new', 1), ('K1100a', 'new', 2)").arg(t)},
                 &error),
                 qPrintable(error));
        const Workspace ws = testsupport::makeWorkspace(
            source, target, t, {QStringLiteral("sku")}, {QStringLiteral("model"), QStringLiteral("qty")});
        DiffOptions options;
        options.listRecords = true;
        DiffResult r;
        try {
            r = Reconciler(ws, ws.flows.first()).run(ordered(options));
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
        QCOMPARE(r.sourceRows, 100);
        QCOMPARE(r.targetRows, 100);
        QCOMPARE(r.inSync, 95);
        QCOMPARE(r.different, 3);
        QCOMPARE(r.missingInTarget, 2);
        QCOMPARE(r.missingInSource, 2);
        QVERIFY(!r.inSyncOverall());

        QStringList seen;
        for (const RecordDiff &d : r.records)
            seen << QString::fromUtf8(d.keyJson) + u' ' + statusName(d.status) + u' '
                        + d.fields.join(u',') + u' ' + (d.sourceHash ? u'S' : u'-')
                        + (d.targetHash ? u'T' : u'-');
        QCOMPARE(seen, QStringList({
                           QStringLiteral("[\"K1000\"] missing_in_source  -T"),
                           QStringLiteral("[\"K1010\"] different model ST"),
                           QStringLiteral("[\"K1020\"] different qty ST"),
                           QStringLiteral("[\"K1030\"] different model,qty ST"),
                           QStringLiteral("[\"K1040\"] missing_in_target  S-"),
                           QStringLiteral("[\"K1100\"] missing_in_target  S-"),
                           QStringLiteral("[\"K1100a\"] missing_in_source  -T"),
                       }));
    }

    void shouldCompareNumericKeysInNumericOrder_data() { pairings(); }

    void shouldCompareNumericKeysInNumericOrder()
    {
        TestSystem source, target;
        QString error;
        QVERIFY2(pairing(&source, &target, &error), qPrintable(error));
        const QString t = QStringLiteral("num%1").arg(++m_case);
        const QStringList rows{
            QStringLiteral("CREATE TABLE %1 (id bigint PRIMARY KEY, v text)").arg(t),
            QStringLiteral("INSERT INTO %1 VALUES (-5, 'a'), (2, 'b'), (10, 'c'), (100, 'd'), "
                           "(9007199254740993, 'e')").arg(t)};
        QVERIFY2(source.exec(rows, &error), qPrintable(error));
        QVERIFY2(target.exec(rows, &error), qPrintable(error));
        const Workspace ws = testsupport::makeWorkspace(source, target, t, {QStringLiteral("id")},
                                                        {QStringLiteral("v")});
        DiffOptions options;
        options.listRecords = true;
        try {
            const DiffResult r = Reconciler(ws, ws.flows.first()).run(ordered(options));
            QCOMPARE(r.inSync, 5);
            QVERIFY(r.inSyncOverall());
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
    }

    void shouldKeepCompositeKeysUnambiguous_data() { pairings(); }

    void shouldKeepCompositeKeysUnambiguous()
    {
        TestSystem source, target;
        QString error;
        QVERIFY2(pairing(&source, &target, &error), qPrintable(error));
        const QString t = QStringLiteral("comp%1").arg(++m_case);
        const QString ddl =
            QStringLiteral("CREATE TABLE %1 (region text, id integer, name text, PRIMARY KEY "
                           "(region, id))").arg(t);
        QVERIFY2(source.exec({ddl, QStringLiteral("INSERT INTO %1 VALUES ('eu', 1, 'a'), ('eu', "
                                                  "2, 'b'), ('eu', 10, 'c'), ('us', 1, 'd'), "
                                                  "('a|b', 0, 'x')").arg(t)},
                             &error),
                 qPrintable(error));
        QVERIFY2(target.exec({ddl, QStringLiteral("INSERT INTO %1 VALUES ('eu', 1, 'a'), ('eu', "
                                                  "2, 'b'), ('eu', 10, 'c'), ('us', 1, 'D'), "
                                                  "('a', 0, 'x')").arg(t)},
                             &error),
                 qPrintable(error));
        const Workspace ws = testsupport::makeWorkspace(
            source, target, t, {QStringLiteral("region"), QStringLiteral("id")},
            {QStringLiteral("name")});
        DiffOptions options;
        options.listRecords = true;
        try {
            const DiffResult r = Reconciler(ws, ws.flows.first()).run(ordered(options));
            QCOMPARE(r.inSync, 3);
            QCOMPARE(r.different, 1);
            QCOMPARE(r.missingInTarget, 1);
            QCOMPARE(r.missingInSource, 1);
            QCOMPARE(r.records.first().keyJson, QByteArray("[\"a\",0]"));
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
    }

    // Given a PostgreSQL key under an ICU collation (a < B there), the scan still delivers byte
    // order, so it meets an SQLite copy record for record.
    void shouldCompareIcuCollatedKeysByteWise()
    {
        TestSystem source, target;
        QString error;
        QVERIFY2(testsupport::makePairing(QStringLiteral("pg->sqlite"), QStringLiteral("rec"),
                                          m_dir.path(), &source, &target, &error),
                 qPrintable(error));
        const QString t = QStringLiteral("icu%1").arg(++m_case);
        const QString rows = QStringLiteral("INSERT INTO %1 VALUES ('a', 1), ('B', 2), ('b', 3), "
                                            "('A', 4), ('ä', 5), ('Z', 6)").arg(t);
        QVERIFY2(source.exec({QStringLiteral("CREATE TABLE %1 (k text COLLATE \"und-x-icu\" "
                                             "PRIMARY KEY, v int)").arg(t), rows}, &error),
                 qPrintable(error));
        QVERIFY2(target.exec({QStringLiteral("CREATE TABLE %1 (k text PRIMARY KEY, v int)").arg(t),
                              rows}, &error),
                 qPrintable(error));
        const Workspace ws = testsupport::makeWorkspace(source, target, t, {QStringLiteral("k")},
                                                        {QStringLiteral("v")});
        for (const auto order : {DiffOptions::Order::Merge, DiffOptions::Order::Hash, DiffOptions::Order::Auto}) {
            try {
                DiffOptions o;
                o.order = order;
                const DiffResult r = Reconciler(ws, ws.flows.first()).run(o);
                QCOMPARE(r.inSync, 6);
                if (order == DiffOptions::Order::Auto) // the ICU column would need a sort
                    QCOMPARE(r.order, QStringLiteral("hash"));
            } catch (const SyncError &e) {
                QFAIL(qPrintable(e.message()));
            }
        }
    }

    // Given an SQLite key column without a type holding integers (SQLite sorts them as numbers,
    // the flow compares them as text), the merge notices and stops instead of miscounting.
    void shouldStopWhenADatabaseOrdersKeysDifferently()
    {
        TestSystem source, target;
        QString error;
        QVERIFY2(testsupport::makePairing(QStringLiteral("sqlite->sqlite"), QStringLiteral("rec"),
                                          m_dir.path(), &source, &target, &error),
                 qPrintable(error));
        const QString t = QStringLiteral("untyped%1").arg(++m_case);
        const QStringList rows{QStringLiteral("CREATE TABLE %1 (k PRIMARY KEY, v)").arg(t),
                               QStringLiteral("INSERT INTO %1 VALUES (9, 'a'), (10, 'b')").arg(t)};
        QVERIFY2(source.exec(rows, &error), qPrintable(error));
        QVERIFY2(target.exec(rows, &error), qPrintable(error));
        const Workspace ws = testsupport::makeWorkspace(source, target, t, {QStringLiteral("k")},
                                                        {QStringLiteral("v")});
        const QString message = diffError(ws, DiffOptions::Order::Merge);
        QVERIFY2(message.contains(QLatin1String("returned key '10' after '9'"))
                     && message.contains(QLatin1String("does not order the key")),
                 qPrintable(message));
        // Left to choose, it pairs by key instead, needing no order at all: exact.
        try {
            const DiffResult r = Reconciler(ws, ws.flows.first()).run();
            QCOMPARE(r.order, QStringLiteral("hash"));
            QCOMPARE(r.inSync, 2);
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
    }

    // Given keys that trip up ordering (case, trailing spaces, accents, scripts, an emoji, the
    // empty string) under a C, an ICU and a libc collation, and numeric keys written with
    // different scales, then the merge and the hash pairing list exactly the same records.
    void shouldPairEdgeKeysAlikeUnderBothOrders_data()
    {
        QTest::addColumn<QString>("collation");
        QTest::newRow("C") << QStringLiteral("C");
        QTest::newRow("ICU") << QStringLiteral("und-x-icu");
        QTest::newRow("libc") << QStringLiteral("C.utf8");
    }

    void shouldPairEdgeKeysAlikeUnderBothOrders()
    {
        QFETCH(QString, collation);
        TestSystem source, target;
        QString error;
        QVERIFY2(testsupport::makePairing(QStringLiteral("pg->sqlite"), QStringLiteral("rec"),
                                          m_dir.path(), &source, &target, &error),
                 qPrintable(error));
        // Debian's PostgreSQL has ICU and the C.utf8 locale: a server without them cannot
        // show what this test is for, so it fails rather than passing unseen.
        QVERIFY2(testsupport::pgValue(source.conninfo,
                                      QStringLiteral("SELECT count(*) FROM pg_collation WHERE collname = '%1'")
                                          .arg(collation), &error) == u"1",
                 qPrintable(QStringLiteral("the test server has no collation '%1' %2").arg(collation, error)));
        const QString t = QStringLiteral("edge%1").arg(++m_case);
        const QString values = QStringLiteral(
            "('a', 1), ('A', 2), ('a ', 3), ('a  ', 4), ('ä', 5), ('a' || chr(776), 6), ('B', 7), "
            "('b', 8), ('日本', 9), ('😀', 10), ('', 11), ('Z', 12), ('z', 13), ('ß', 14), ('ss', 15)");
        QVERIFY2(source.exec({QStringLiteral("CREATE TABLE %1 (k text COLLATE \"%2\" PRIMARY KEY, v int)")
                                  .arg(t, collation),
                              QStringLiteral("INSERT INTO %1 VALUES %2").arg(t, values)}, &error),
                 qPrintable(error));
        QString sqliteValues = values;
        sqliteValues.replace(QStringLiteral("'a' || chr(776)"), QStringLiteral("'a' || char(776)"));
        QVERIFY2(target.exec({QStringLiteral("CREATE TABLE %1 (k TEXT PRIMARY KEY, v INTEGER)").arg(t),
                              QStringLiteral("INSERT INTO %1 VALUES %2").arg(t, sqliteValues),
                              QStringLiteral("DELETE FROM %1 WHERE k IN ('A', 'a  ')").arg(t),
                              QStringLiteral("UPDATE %1 SET v = -1 WHERE k IN ('ä', 'z', '')").arg(t),
                              QStringLiteral("INSERT INTO %1 VALUES ('a   ', 16), ('Ä', 17)").arg(t)},
                             &error),
                 qPrintable(error));
        const QString n = QStringLiteral("num%1").arg(++m_case);
        QVERIFY2(source.exec({QStringLiteral("CREATE TABLE %1 (k numeric PRIMARY KEY, v int)").arg(n),
                              QStringLiteral("INSERT INTO %1 VALUES (1.50, 1), (2, 2), (10.000, 3), "
                                             "(0.001, 4), (-0.5, 5)").arg(n)}, &error),
                 qPrintable(error));
        QVERIFY2(target.exec({QStringLiteral("CREATE TABLE %1 (k NUMERIC PRIMARY KEY, v INTEGER)").arg(n),
                              QStringLiteral("INSERT INTO %1 VALUES (1.5, 1), (2.0, 2), (10, 3), "
                                             "(0.001, 4), (-0.50, 5)").arg(n)}, &error),
                 qPrintable(error));

        for (const QString &table : {t, n}) {
            const Workspace ws = testsupport::makeWorkspace(source, target, table, {QStringLiteral("k")},
                                                            {QStringLiteral("v")});
            DiffResult results[2];
            for (int i = 0; i < 2; ++i) {
                DiffOptions o;
                o.listRecords = true;
                o.order = i == 0 ? DiffOptions::Order::Merge : DiffOptions::Order::Hash;
                try {
                    results[i] = Reconciler(ws, ws.flows.first()).run(o);
                } catch (const SyncError &e) {
                    QFAIL(qPrintable(e.message()));
                }
            }
            const DiffResult &merge = results[0];
            const DiffResult &hash = results[1];
            if (table == t) {
                QCOMPARE(merge.inSync, 10);
                QCOMPARE(merge.different, 3);
                QCOMPARE(merge.missingInTarget, 2);
                QCOMPARE(merge.missingInSource, 2);
            } else {
                QCOMPARE(merge.inSync, 5); // numbers by value, whatever their scale
            }
            QCOMPARE(hash.inSync, merge.inSync);
            QCOMPARE(hash.different, merge.different);
            QCOMPARE(hash.missingInTarget, merge.missingInTarget);
            QCOMPARE(hash.missingInSource, merge.missingInSource);
            QCOMPARE(hash.records.size(), merge.records.size());
            for (qsizetype i = 0; i < merge.records.size(); ++i) {
                QCOMPARE(hash.records[i].keyJson, merge.records[i].keyJson); // the same order too
                QCOMPARE(hash.records[i].status, merge.records[i].status);
                QCOMPARE(hash.records[i].fields, merge.records[i].fields);
                QCOMPARE(hash.records[i].sourceHash, merge.records[i].sourceHash);
                QCOMPARE(hash.records[i].targetHash, merge.records[i].targetHash);
            }
        }
    }

    // Given tables whose key no index guarantees unique (so every key is kept to catch a
    // duplicate), the target written in the opposite order, and a 1 MB memory budget, when
    // paired by hash, then partitions spill to disk and the counts still come out exact; a
    // duplicate that only shows after its partition was spilled is still refused.
    void shouldSpillPastTheMemoryBudget_data()
    {
        // Spilling is the hash pairing's: every pairing, that order only.
        QTest::addColumn<QString>("pairing");
        for (const QString &p : testsupport::pairingNames())
            QTest::newRow(qPrintable(p)) << p;
    }

    void shouldSpillPastTheMemoryBudget()
    {
        TestSystem source, target;
        QString error;
        QVERIFY2(pairing(&source, &target, &error), qPrintable(error));
        const QString t = QStringLiteral("spill%1").arg(++m_case);
        const auto rows = [&](const QString &order) {
            return QStringList{
                QStringLiteral("CREATE TABLE %1 (sku text NOT NULL, qty integer)").arg(t),
                QStringLiteral("INSERT INTO %1 SELECT 'S' || (1000000 + i), i FROM (WITH "
                               "RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE "
                               "i < 60000) SELECT i FROM s) AS g ORDER BY i %2").arg(t, order)};
        };
        QVERIFY2(source.exec(rows(QStringLiteral("ASC")), &error), qPrintable(error));
        QVERIFY2(target.exec(rows(QStringLiteral("DESC")) + QStringList{
                                 QStringLiteral("UPDATE %1 SET qty = -1 WHERE qty % 100 = 0").arg(t),
                                 QStringLiteral("DELETE FROM %1 WHERE qty % 1000 = 1").arg(t)},
                             &error),
                 qPrintable(error));
        const Workspace ws = testsupport::makeWorkspace(source, target, t, {QStringLiteral("sku")},
                                                        {QStringLiteral("qty")});
        DiffOptions o;
        o.order = DiffOptions::Order::Hash;
        o.memoryBudgetBytes = 1 << 20;
        o.listRecords = true;
        try {
            const DiffResult r = Reconciler(ws, ws.flows.first()).run(o);
            QVERIFY(r.spilledPartitions > 0);
            QCOMPARE(r.different, 600);
            QCOMPARE(r.missingInTarget, 60);
            QCOMPARE(r.inSync, 60000 - 600 - 60);
            QCOMPARE(r.records.size(), 660);
            QCOMPARE(r.records.first().keyJson, QByteArray("[\"S1000001\"]")); // in key order
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
        // A duplicate added last is refused, its partition on disk or not.
        QVERIFY2(source.exec({QStringLiteral("INSERT INTO %1 VALUES ('S1000002', 2)").arg(t)}, &error),
                 qPrintable(error));
        const QString message = [&] {
            try {
                (void)Reconciler(ws, ws.flows.first()).run(o);
            } catch (const SyncError &e) {
                return e.message();
            }
            return QStringLiteral("(no error)");
        }();
        QVERIFY2(message.contains(QLatin1String("more than one row with key 'S1000002'")), qPrintable(message));
    }

    void shouldRefuseDuplicateKeys()
    {
        TestSystem source, target;
        QString error;
        QVERIFY2(testsupport::makePairing(QStringLiteral("pg->pg"), QStringLiteral("rec"),
                                          m_dir.path(), &source, &target, &error),
                 qPrintable(error));
        const QString t = QStringLiteral("dup%1").arg(++m_case);
        const QStringList rows{QStringLiteral("CREATE TABLE %1 (k text NOT NULL, v text)").arg(t),
                               QStringLiteral("INSERT INTO %1 VALUES ('a', '1'), ('a', '2')").arg(t)};
        QVERIFY2(source.exec(rows, &error), qPrintable(error));
        QVERIFY2(target.exec(rows, &error), qPrintable(error));
        const Workspace ws = testsupport::makeWorkspace(source, target, t, {QStringLiteral("k")},
                                                        {QStringLiteral("v")});
        for (const auto order : {DiffOptions::Order::Merge, DiffOptions::Order::Hash}) {
            const QString message = diffError(ws, order);
            QVERIFY2(message.contains(QLatin1String("more than one row with key 'a'")),
                     qPrintable(message));
        }
    }

    void shouldRefuseTextKeysAgainstNumericKeys()
    {
        TestSystem source, target;
        QString error;
        QVERIFY2(testsupport::makePairing(QStringLiteral("pg->sqlite"), QStringLiteral("rec"),
                                          m_dir.path(), &source, &target, &error),
                 qPrintable(error));
        const QString t = QStringLiteral("mixed%1").arg(++m_case);
        QVERIFY2(source.exec({QStringLiteral("CREATE TABLE %1 (id int PRIMARY KEY)").arg(t)}, &error),
                 qPrintable(error));
        QVERIFY2(target.exec({QStringLiteral("CREATE TABLE %1 (id TEXT PRIMARY KEY)").arg(t)}, &error),
                 qPrintable(error));
        const QString message = diffError(
            testsupport::makeWorkspace(source, target, t, {QStringLiteral("id")}, {}));
        QVERIFY2(message.contains(QLatin1String("key column 'id' is integer on the source but "
                                                "TEXT on the target")),
                 qPrintable(message));
    }

    void shouldCountNullKeysApart_data() { pairings(); }

    void shouldCountNullKeysApart()
    {
        TestSystem source, target;
        QString error;
        QVERIFY2(pairing(&source, &target, &error), qPrintable(error));
        const QString t = QStringLiteral("nullkey%1").arg(++m_case);
        const QString ddl = QStringLiteral("CREATE TABLE %1 (k text, v text)").arg(t);
        QVERIFY2(source.exec({ddl, QStringLiteral("INSERT INTO %1 VALUES ('a', '1'), (NULL, '2'), "
                                                  "(NULL, '3')").arg(t)}, &error),
                 qPrintable(error));
        QVERIFY2(target.exec({ddl, QStringLiteral("INSERT INTO %1 VALUES ('a', '1')").arg(t)}, &error),
                 qPrintable(error));
        const Workspace ws = testsupport::makeWorkspace(source, target, t, {QStringLiteral("k")},
                                                        {QStringLiteral("v")});
        try {
            const DiffResult r = Reconciler(ws, ws.flows.first()).run(ordered());
            QCOMPARE(r.inSync, 1);
            QCOMPARE(r.sourceNullKeys, 2);
            QCOMPARE(r.targetNullKeys, 0);
            QVERIFY(r.inSyncOverall());
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
    }

    void shouldNameTheSideThatFailed()
    {
        TestSystem source, target;
        QString error;
        QVERIFY2(testsupport::makePairing(QStringLiteral("pg->sqlite"), QStringLiteral("rec"),
                                          m_dir.path(), &source, &target, &error),
                 qPrintable(error));
        const QString t = QStringLiteral("onlysrc%1").arg(++m_case);
        QVERIFY2(source.exec(devices(t), &error), qPrintable(error));
        QVERIFY2(target.exec({QStringLiteral("CREATE TABLE other (x int)")}, &error) ||
                     error.contains(QLatin1String("already exists")),
                 qPrintable(error));
        const QString message = diffError(testsupport::makeWorkspace(
            source, target, t, {QStringLiteral("sku")}, {QStringLiteral("model")}));
        QVERIFY2(message.contains(QLatin1String("system 'dst' (sqlite)"))
                     && message.contains(QLatin1String("does not exist")),
                 qPrintable(message));
    }

    // Given a table far larger than the batch queues hold, the counts still come out exact.
    void shouldStreamTablesLargerThanTheQueues_data() { pairings(); }

    void shouldStreamTablesLargerThanTheQueues()
    {
        TestSystem source, target;
        QString error;
        QVERIFY2(pairing(&source, &target, &error), qPrintable(error));
        const QString t = QStringLiteral("big%1").arg(++m_case);
        const auto rows = [&](int n) {
            return QStringList{
                QStringLiteral("CREATE TABLE %1 (sku text PRIMARY KEY, qty integer)").arg(t),
                QStringLiteral("INSERT INTO %1 SELECT 'S' || (1000000 + i), i FROM (WITH "
                               "RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE "
                               "i < %2) SELECT i FROM s) AS g").arg(t).arg(n)};
        };
        QVERIFY2(source.exec(rows(120000), &error), qPrintable(error));
        QVERIFY2(target.exec(rows(119000) + QStringList{QStringLiteral(
                                 "UPDATE %1 SET qty = -1 WHERE qty % 1000 = 0").arg(t)},
                             &error),
                 qPrintable(error));
        const Workspace ws = testsupport::makeWorkspace(source, target, t, {QStringLiteral("sku")},
                                                        {QStringLiteral("qty")});
        try {
            const DiffResult r = Reconciler(ws, ws.flows.first()).run(ordered());
            QCOMPARE(r.sourceRows, 120000);
            QCOMPARE(r.targetRows, 119000);
            QCOMPARE(r.different, 119);
            QCOMPARE(r.missingInTarget, 1000);
            QCOMPARE(r.inSync, 120000 - 1000 - 119);
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
    }
};

QTEST_GUILESS_MAIN(TestReconciler)
#include "tst_reconciler.moc"
