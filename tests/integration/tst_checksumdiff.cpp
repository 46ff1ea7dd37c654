#include "TestSeed.h"
#include "TwoSystems.h"
#include "engine/ChecksumReconciler.h"
#include "engine/Reconciler.h"
#include "model/RecordState.h"
#include "model/SyncError.h"

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace syncdesk;
using testsupport::TestSystem;

// `diff --method checksum` against the row method on the same fixtures: the same counts and
// the same listed records (keys, statuses, differing fields, row hashes), whatever the range
// size, on PostgreSQL ↔ PostgreSQL; and a clear refusal where checksums cannot be trusted.
class TestChecksumDiff : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_case = 0;

    bool systems(TestSystem *source, TestSystem *target, const QString &pairing = QStringLiteral("pg->pg"))
    {
        QString error;
        const bool ok = testsupport::makePairing(pairing, QStringLiteral("sum"), m_dir.path(), source, target, &error);
        if (!ok)
            qWarning("%s", qPrintable(error));
        return ok;
    }

    // Every fact a diff reports, as one comparable text.
    static QString summary(const DiffResult &r)
    {
        QStringList out{QStringLiteral("rows %1/%2 in_sync %3 different %4 mit %5 mis %6 nullkeys %7/%8")
                            .arg(r.sourceRows).arg(r.targetRows).arg(r.inSync).arg(r.different)
                            .arg(r.missingInTarget).arg(r.missingInSource).arg(r.sourceNullKeys)
                            .arg(r.targetNullKeys)};
        for (const RecordDiff &d : r.records)
            out << QString::fromUtf8(d.keyJson) + u' ' + statusName(d.status) + u' ' + d.fields.join(u',')
                       + u' ' + rowHashText(d.sourceHash) + u' ' + rowHashText(d.targetHash);
        return out.join(u'\n');
    }

    static DiffResult diff(const Workspace &ws, DiffOptions o)
    {
        o.listRecords = true;
        return Reconciler(ws, ws.flows.first()).run(o);
    }

    // SYNCDESK_CHECKSUM_SEED, or a new seed: what a randomized test prints to be repeated.
    static quint32 randomSeed()
    {
        return testsupport::seedFrom("SYNCDESK_CHECKSUM_SEED");
    }

    // Table `t` made by `create` on both sides, `changes` made on one of them (either), and
    // both analysed half the time.
    static bool fill(QRandomGenerator &random, const QString &t, const QStringList &create,
                     const QStringList &changes, const TestSystem &src, const TestSystem &dst, QString *error)
    {
        QStringList sourceSql = create, targetSql = create;
        (random.bounded(2) == 0 ? targetSql : sourceSql) += changes;
        if (random.bounded(2) == 0) {
            sourceSql << QStringLiteral("ANALYZE %1").arg(t);
            targetSql << QStringLiteral("ANALYZE %1").arg(t);
        }
        return src.exec(sourceSql, error) && dst.exec(targetSql, error);
    }

    static QString refusal(const Workspace &ws)
    {
        DiffOptions o;
        o.method = DiffOptions::Method::Checksum;
        try {
            (void)Reconciler(ws, ws.flows.first()).run(o);
        } catch (const SyncError &e) {
            return e.message();
        }
        return QStringLiteral("(no error)");
    }

private slots:
    void shouldAgreeWithTheRowMethod_data()
    {
        QTest::addColumn<QString>("ddl");        // %1: the table
        QTest::addColumn<QStringList>("source"); // statements after the DDL
        QTest::addColumn<QStringList>("target");
        QTest::addColumn<QString>("key"); // key columns, comma-separated
        QTest::addColumn<QStringList>("fields");
        QTest::addColumn<bool>("inSync");

        const QString devices = QStringLiteral("CREATE TABLE %1 (sku text PRIMARY KEY, model text, qty integer)");
        const QString hundred = QStringLiteral(
            "INSERT INTO %1 SELECT 'K' || (1000 + i), 'M' || i, i FROM generate_series(1, 100) i");
        QTest::newRow("every status")
            << devices << QStringList{hundred}
            << QStringList{hundred, QStringLiteral("UPDATE %1 SET model = 'X' WHERE sku = 'K1010'"),
                           QStringLiteral("UPDATE %1 SET qty = 999 WHERE sku = 'K1020'"),
                           QStringLiteral("UPDATE %1 SET model = NULL, qty = 0 WHERE sku = 'K1030'"),
                           QStringLiteral("DELETE FROM %1 WHERE sku IN ('K1040', 'K1100', 'K1001')"),
                           QStringLiteral("INSERT INTO %1 VALUES ('K1000', 'new', 1), ('K1100a', 'new', 2), ('', 'empty key', 3)")}
            << QStringLiteral("sku") << QStringList{QStringLiteral("model"), QStringLiteral("qty")} << false;
        QTest::newRow("in sync") << devices << QStringList{hundred} << QStringList{hundred}
                                 << QStringLiteral("sku")
                                 << QStringList{QStringLiteral("model"), QStringLiteral("qty")} << true;

        // Integer keys from the bottom of bigint to its top, with a wide gap.
        const QString ints = QStringLiteral(
            "INSERT INTO %1 SELECT i, 'v' || i FROM generate_series(1, 2000) i UNION ALL "
            "SELECT v, 'edge' FROM unnest(ARRAY[-9223372036854775808, -5, 0, 1000000000000, "
            "9223372036854775807]::bigint[]) v");
        QTest::newRow("integer keys, gaps and extremes")
            << QStringLiteral("CREATE TABLE %1 (id bigint PRIMARY KEY, v text)") << QStringList{ints}
            << QStringList{ints, QStringLiteral("DELETE FROM %1 WHERE id BETWEEN 500 AND 1700"),
                           QStringLiteral("UPDATE %1 SET v = 'changed' WHERE id IN (-9223372036854775808, 9223372036854775807, 3, 1999)"),
                           QStringLiteral("INSERT INTO %1 VALUES (-6, 'new'), (999999999999, 'new')")}
            << QStringLiteral("id") << QStringList{QStringLiteral("v")} << false;

        // NULL against '', numbers equal by value but printed apart, floats, instants.
        const QString values = QStringLiteral(
            "CREATE TABLE %1 (k text PRIMARY KEY, t text, n numeric, f double precision, "
            "at timestamptz, c character(3), b bytea, flag boolean)");
        QTest::newRow("nulls, blanks and values equal by value")
            << values
            << QStringList{QStringLiteral(
                   "INSERT INTO %1 VALUES ('a', NULL, 1.0, 0, '2024-01-01 00:00+00', 'x', '\\x00', true), "
                   "('b', '', 2, 1.5, NULL, NULL, NULL, NULL), ('c', 'same', 3.10, -0.0, "
                   "'2024-06-01 12:00+02', 'ab', '\\xff', false), ('d', 'x', 4, 2, NULL, 'x', NULL, true)")}
            << QStringList{QStringLiteral(
                   "INSERT INTO %1 VALUES ('a', '', 1.00, -0.0, '2024-01-01 01:00+01', 'x  ', '\\x00', true), "
                   "('b', NULL, 2.000, 1.5, NULL, NULL, NULL, NULL), ('c', 'same', 3.1, 0, "
                   "'2024-06-01 10:00+00', 'ab ', '\\xff', false), ('d', 'x', 4, 2.0000001, NULL, 'x', '\\x01', false)")}
            << QStringLiteral("k")
            << QStringList{QStringLiteral("t"), QStringLiteral("n"), QStringLiteral("f"), QStringLiteral("at"),
                           QStringLiteral("c"), QStringLiteral("b"), QStringLiteral("flag")}
            << false;

        // A unique (not primary) key leaves room for NULL keys, counted apart.
        const QString nullKeys = QStringLiteral("INSERT INTO %1 VALUES ('a', '1'), (NULL, '2'), (NULL, '3'), ('b', '4')");
        QTest::newRow("null keys")
            << QStringLiteral("CREATE TABLE %1 (k text UNIQUE, v text)") << QStringList{nullKeys}
            << QStringList{QStringLiteral("INSERT INTO %1 VALUES ('a', '1'), (NULL, '9'), ('b', '5')")}
            << QStringLiteral("k") << QStringList{QStringLiteral("v")} << false;

        // Dense and sparse key regions (the histogram tells them), a block missing on the target.
        const QString skewed = QStringLiteral(
            "INSERT INTO %1 SELECT 'A' || lpad(i::text, 6, '0'), i FROM generate_series(1, 6000) i "
            "UNION ALL SELECT 'Z' || lpad((i * 7919)::text, 9, '0'), i FROM generate_series(1, 300) i");
        QTest::newRow("skewed keys, a block missing, analysed")
            << QStringLiteral("CREATE TABLE %1 (k varchar(20) PRIMARY KEY, n integer)")
            << QStringList{skewed, QStringLiteral("ANALYZE %1")}
            << QStringList{skewed, QStringLiteral("DELETE FROM %1 WHERE k BETWEEN 'A001000' AND 'A002500'"),
                           QStringLiteral("UPDATE %1 SET n = -n WHERE k IN ('A004000', 'Z000007919', 'A000001')"),
                           QStringLiteral("ANALYZE %1")}
            << QStringLiteral("k") << QStringList{QStringLiteral("n")} << false;
        QTest::newRow("spread differences, never analysed")
            << QStringLiteral("CREATE TABLE %1 (k text PRIMARY KEY, n integer)")
            << QStringList{skewed}
            << QStringList{skewed, QStringLiteral("UPDATE %1 SET n = n + 1 WHERE n % 97 = 0"),
                           QStringLiteral("INSERT INTO %1 SELECT 'M' || i, i FROM generate_series(1, 50) i")}
            << QStringLiteral("k") << QStringList{QStringLiteral("n")} << false;

        QTest::newRow("empty target")
            << devices << QStringList{hundred} << QStringList{} << QStringLiteral("sku")
            << QStringList{QStringLiteral("model"), QStringLiteral("qty")} << false;
        QTest::newRow("empty source")
            << devices << QStringList{} << QStringList{hundred} << QStringLiteral("sku")
            << QStringList{QStringLiteral("model"), QStringLiteral("qty")} << false;
        QTest::newRow("both empty")
            << devices << QStringList{} << QStringList{} << QStringLiteral("sku")
            << QStringList{QStringLiteral("model"), QStringLiteral("qty")} << true;

        // Key columns typed apart but printing and sorting a key one way: varchar of a length
        // against text, and domains against their base types. (The target's table is made
        // anew by its first statements.)
        const QString varcharKeys = QStringLiteral(
            "INSERT INTO %1 SELECT 'K' || lpad(i::text, 5, '0'), i FROM generate_series(1, 3000) i");
        QTest::newRow("a varchar key against a text key")
            << QStringLiteral("CREATE TABLE %1 (k varchar(10) PRIMARY KEY, n integer)")
            << QStringList{varcharKeys, QStringLiteral("ANALYZE %1")}
            << QStringList{QStringLiteral("DROP TABLE %1"), QStringLiteral("CREATE TABLE %1 (k text PRIMARY KEY, n integer)"),
                           varcharKeys, QStringLiteral("DELETE FROM %1 WHERE k BETWEEN 'K01000' AND 'K01100'"),
                           QStringLiteral("UPDATE %1 SET n = 0 WHERE k IN ('K00001', 'K02999')"),
                           QStringLiteral("INSERT INTO %1 VALUES ('K10000x', 1)"), QStringLiteral("ANALYZE %1")}
            << QStringLiteral("k") << QStringList{QStringLiteral("n")} << false;
        QTest::newRow("domain keys against their base types")
            << QStringLiteral("CREATE DOMAIN %1_code AS varchar(12) CHECK (VALUE <> ''); "
                              "CREATE DOMAIN %1_id AS bigint CHECK (VALUE > 0); "
                              "CREATE TABLE %1 (k %1_code, id %1_id, n integer, PRIMARY KEY (k, id))")
            << QStringList{QStringLiteral("INSERT INTO %1 SELECT 'C' || (i % 40), i, i FROM generate_series(1, 2000) i")}
            << QStringList{QStringLiteral("DROP TABLE %1"),
                           QStringLiteral("CREATE TABLE %1 (k text, id bigint, n integer, PRIMARY KEY (k, id))"),
                           QStringLiteral("INSERT INTO %1 SELECT 'C' || (i % 40), i, i FROM generate_series(1, 2000) i"),
                           QStringLiteral("UPDATE %1 SET n = -n WHERE id IN (7, 1500)"),
                           QStringLiteral("DELETE FROM %1 WHERE k = 'C3'"),
                           QStringLiteral("INSERT INTO %1 VALUES ('C3', 99999, 1)")}
            << QStringLiteral("k,id") << QStringList{QStringLiteral("n")} << false;

        // An integer key against a bigint one, the bigint side holding keys past the integer
        // type's range: bounds and read-back keys from that side must not fail the other.
        const QString narrow = QStringLiteral(
            "INSERT INTO %1 SELECT i, 'v' || i FROM generate_series(1, 3000) i UNION ALL "
            "SELECT v, 'edge' FROM unnest(ARRAY[-2147483648, -7, 2147483647]) v");
        QTest::newRow("an integer key against a bigint key")
            << QStringLiteral("CREATE TABLE %1 (id integer PRIMARY KEY, v text)")
            << QStringList{narrow, QStringLiteral("ANALYZE %1")}
            << QStringList{QStringLiteral("DROP TABLE %1"), QStringLiteral("CREATE TABLE %1 (id bigint PRIMARY KEY, v text)"),
                           narrow, QStringLiteral("DELETE FROM %1 WHERE id BETWEEN 100 AND 180"),
                           QStringLiteral("UPDATE %1 SET v = 'changed' WHERE id IN (-2147483648, 2147483647, 2999)"),
                           QStringLiteral("INSERT INTO %1 SELECT v, 'wide' FROM unnest(ARRAY[-9223372036854775808, "
                                          "-2147483649, 2147483648, 5000000000, 9223372036854775807]::bigint[]) v"),
                           QStringLiteral("ANALYZE %1")}
            << QStringLiteral("id") << QStringList{QStringLiteral("v")} << false;

        const QString utf8 = QStringLiteral(
            "INSERT INTO %1 VALUES ('café', 1), ('cafe', 2), ('été', 3), ('😀', 4), ('Zürich', 5), "
            "('zebra', 6), ('ß', 7)");
        QTest::newRow("keys of several bytes per character")
            << QStringLiteral("CREATE TABLE %1 (k text PRIMARY KEY, n integer)") << QStringList{utf8}
            << QStringList{utf8, QStringLiteral("UPDATE %1 SET n = 0 WHERE k IN ('été', '😀')"),
                           QStringLiteral("INSERT INTO %1 VALUES ('ça', 8)")}
            << QStringLiteral("k") << QStringList{QStringLiteral("n")} << false;
    }

    // Given any fixture, when compared by rows (both pairings) and by checksums (default
    // ranges, and ranges of two rows so that large ranges are cut again), then every count
    // and every listed record is the same.
    void shouldAgreeWithTheRowMethod()
    {
        QFETCH(QString, ddl);
        QFETCH(QStringList, source);
        QFETCH(QStringList, target);
        QFETCH(QString, key);
        QFETCH(QStringList, fields);
        QFETCH(bool, inSync);
        TestSystem src, dst;
        QVERIFY(systems(&src, &dst));
        const QString t = QStringLiteral("t%1").arg(++m_case);
        QString error;
        auto statements = [&](const QStringList &after) {
            QStringList out{ddl.arg(t)};
            for (const QString &s : after)
                out << s.arg(t);
            return out;
        };
        QVERIFY2(src.exec(statements(source), &error), qPrintable(error));
        QVERIFY2(dst.exec(statements(target), &error), qPrintable(error));
        const Workspace ws = testsupport::makeWorkspace(src, dst, t, key.split(u','), fields);
        try {
            DiffOptions rows;
            rows.order = DiffOptions::Order::Merge;
            const DiffResult merged = diff(ws, rows);
            QCOMPARE(merged.method, QStringLiteral("rows"));
            QCOMPARE(merged.inSyncOverall(), inSync);
            rows.order = DiffOptions::Order::Hash;
            QCOMPARE(summary(diff(ws, rows)), summary(merged));
            for (const qint64 rangeRows : {64, 2}) {
                DiffOptions sums;
                sums.method = DiffOptions::Method::Checksum;
                sums.rangeRows = rangeRows;
                const DiffResult r = diff(ws, sums);
                QCOMPARE(r.method, QStringLiteral("checksum"));
                QCOMPARE(summary(r), summary(merged));
                // Rows are read only where ranges differ: never more than both tables hold.
                QVERIFY(r.rowsRead <= r.sourceRows + r.targetRows);
                if (inSync)
                    QCOMPARE(r.rowsRead, 0);
            }
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
    }

    // Given random tables (integer or text keys, dense, gappy or skewed, analysed or not) with
    // random differences (changed fields, NULLs, rows missing on either side, in runs or
    // spread), when compared by rows and by checksums with a random range size, then both
    // say the same, record by record. SYNCDESK_CHECKSUM_SEED repeats a run.
    void shouldAgreeOnRandomTables()
    {
        const quint32 seed = randomSeed();
        QRandomGenerator random(seed);
        TestSystem src, dst;
        QVERIFY(systems(&src, &dst));
        for (int round = 0; round < 6; ++round) {
            const QString t = QStringLiteral("rnd%1").arg(++m_case);
            const bool integer = random.bounded(2) == 0;
            const int rows = 200 + int(random.bounded(3000));
            // Keys: dense, with gaps, or crowded into a few clusters.
            const int shape = int(random.bounded(3));
            const QString keyExpr =
                shape == 0   ? QStringLiteral("i")
                : shape == 1 ? QStringLiteral("i * i")
                             : QStringLiteral("(i % 7) * 1000000 + i");
            const QString key = integer ? keyExpr : QStringLiteral("'k' || lpad((%1)::text, 12, '0')").arg(keyExpr);
            const QStringList create{
                QStringLiteral("CREATE TABLE %1 (k %2 PRIMARY KEY, a text, n numeric)").arg(t, integer ? QStringLiteral("bigint") : QStringLiteral("text")),
                QStringLiteral("INSERT INTO %1 SELECT %2, CASE WHEN i %% 13 = 0 THEN NULL ELSE 'v' || i END, i / 10.0 "
                               "FROM generate_series(1, %3) i").arg(t, key).arg(rows).replace(QStringLiteral("%%"), QStringLiteral("%"))};
            QStringList changes;
            const int kinds = 1 + int(random.bounded(4));
            for (int c = 0; c < kinds; ++c) {
                const int from = 1 + int(random.bounded(quint32(rows)));
                const int span = random.bounded(3) == 0 ? 1 + int(random.bounded(200)) : 1;
                const QString range = QStringLiteral("k IN (SELECT %1 FROM generate_series(%2, %3) i)").arg(key).arg(from).arg(from + span);
                switch (random.bounded(5)) {
                case 0: changes << QStringLiteral("UPDATE %1 SET a = 'changed' WHERE %2").arg(t, range); break;
                case 1: changes << QStringLiteral("UPDATE %1 SET a = NULL WHERE %2").arg(t, range); break;
                case 2: changes << QStringLiteral("UPDATE %1 SET n = n * 10 / 10 + 0.5 WHERE %2").arg(t, range); break;
                case 3: changes << QStringLiteral("DELETE FROM %1 WHERE %2").arg(t, range); break;
                default:
                    changes << QStringLiteral("INSERT INTO %1 SELECT %2, 'new', 0 FROM generate_series(%3, %4) i "
                                              "ON CONFLICT DO NOTHING")
                                   .arg(t, key).arg(rows + from).arg(rows + from + span);
                }
            }
            if (random.bounded(2) == 0)
                changes << QStringLiteral("UPDATE %1 SET n = n * 1.00").arg(t); // equal by value: in sync
            QString error;
            QVERIFY2(fill(random, t, create, changes, src, dst, &error), qPrintable(error));
            const Workspace ws = testsupport::makeWorkspace(src, dst, t, {QStringLiteral("k")},
                                                            {QStringLiteral("a"), QStringLiteral("n")});
            const qint64 rangeRows = 1 + random.bounded(100);
            try {
                DiffOptions rowsOptions;
                const QString byRows = summary(diff(ws, rowsOptions));
                DiffOptions sums;
                sums.method = DiffOptions::Method::Checksum;
                sums.rangeRows = rangeRows;
                const QString bySums = summary(diff(ws, sums));
                if (bySums != byRows)
                    QFAIL(qPrintable(QStringLiteral("seed %1, round %2, range rows %3, changes: %4\n"
                                                    "--- rows ---\n%5\n--- checksum ---\n%6")
                                         .arg(seed).arg(round).arg(rangeRows)
                                         .arg(changes.join(QStringLiteral("; ")), byRows, bySums)));
            } catch (const SyncError &e) {
                QFAIL(qPrintable(QStringLiteral("seed %1: %2").arg(seed).arg(e.message())));
            }
        }
    }

    // Given random tables keyed by two columns (the first with few values or many, text or
    // integer; the second nullable under a unique index, so some rows have no key) with random
    // differences, when compared by rows and by checksums with a random range size, then both
    // say the same, record by record; tables in sync read no row. SYNCDESK_CHECKSUM_SEED
    // repeats a run.
    void shouldAgreeOnCompositeKeys()
    {
        const quint32 seed = randomSeed();
        QRandomGenerator random(seed);
        TestSystem src, dst;
        QVERIFY(systems(&src, &dst));
        for (int round = 0; round < 6; ++round) {
            const QString t = QStringLiteral("comp%1").arg(++m_case);
            const bool textFirst = random.bounded(2) == 0;
            const int groups = random.bounded(2) == 0 ? 3 : 400; // few first values, or many
            const int rows = 300 + int(random.bounded(2500));
            const QString first = textFirst ? QStringLiteral("'g' || lpad((i % %1)::text, 4, '0')").arg(groups)
                                            : QStringLiteral("(i % %1) * 7").arg(groups);
            const QStringList create{
                QStringLiteral("CREATE TABLE %1 (a %2 NOT NULL, b bigint, v text)").arg(t, textFirst ? QStringLiteral("text") : QStringLiteral("integer")),
                QStringLiteral("CREATE UNIQUE INDEX ON %1 (a, b)").arg(t),
                QStringLiteral("INSERT INTO %1 SELECT %2, CASE WHEN i % 97 = 0 THEN NULL ELSE i END, 'v' || i "
                               "FROM generate_series(1, %3) i").arg(t, first).arg(rows)};
            QStringList changes;
            const int kinds = int(random.bounded(4)); // 0: in sync
            for (int c = 0; c < kinds; ++c) {
                const int from = 1 + int(random.bounded(quint32(rows)));
                const int span = random.bounded(2) == 0 ? 1 + int(random.bounded(300)) : 1;
                const QString range = QStringLiteral("b BETWEEN %1 AND %2").arg(from).arg(from + span);
                switch (random.bounded(4)) {
                case 0: changes << QStringLiteral("UPDATE %1 SET v = 'changed' WHERE %2").arg(t, range); break;
                case 1: changes << QStringLiteral("DELETE FROM %1 WHERE %2").arg(t, range); break;
                case 2: changes << QStringLiteral("UPDATE %1 SET b = NULL WHERE %2").arg(t, range); break;
                default:
                    changes << QStringLiteral("INSERT INTO %1 SELECT %2, i + 100000, 'new' FROM generate_series(%3, %4) i "
                                              "ON CONFLICT DO NOTHING")
                                   .arg(t, first).arg(from).arg(from + span);
                }
            }
            QString error;
            QVERIFY2(fill(random, t, create, changes, src, dst, &error), qPrintable(error));
            const Workspace ws = testsupport::makeWorkspace(src, dst, t, {QStringLiteral("a"), QStringLiteral("b")},
                                                            {QStringLiteral("v")});
            const qint64 rangeRows = 1 + random.bounded(100);
            const QString context = QStringLiteral("seed %1, round %2, range rows %3, changes: %4")
                                        .arg(seed).arg(round).arg(rangeRows).arg(changes.join(QStringLiteral("; ")));
            try {
                const DiffResult byRows = diff(ws, DiffOptions{});
                DiffOptions sums;
                sums.method = DiffOptions::Method::Checksum;
                sums.rangeRows = rangeRows;
                const DiffResult bySums = diff(ws, sums);
                QVERIFY2(bySums.method == u"checksum", qPrintable(context));
                if (summary(bySums) != summary(byRows))
                    QFAIL(qPrintable(context + QStringLiteral("\n--- rows ---\n%1\n--- checksum ---\n%2")
                                                   .arg(summary(byRows), summary(bySums))));
                if (changes.isEmpty())
                    QVERIFY2(bySums.rowsRead == 0, qPrintable(context));
            } catch (const SyncError &e) {
                QFAIL(qPrintable(context + u' ' + e.message()));
            }
        }
    }

    // Given 1,050,000 rows (past auto's threshold), when one row in 300 differs (about one
    // sampled range in five), then auto and --method checksum both stream every row's
    // checksum after the sample; when the same number of rows differ in one run (one sampled
    // range at most, but nearly every hash bucket), both narrow the key ranges; when eleven
    // rows differ, both sum the hash buckets and stream only the differing buckets' rows. All
    // say what the row method says.
    void shouldChooseHowToFindDifferencesByWhereTheyAre()
    {
        TestSystem src, dst;
        QVERIFY(systems(&src, &dst));
        static constexpr int Rows = 1050000;
        enum Where { Spread, Run, Handful };
        for (const Where where : {Spread, Run, Handful}) {
            const QString t = QStringLiteral("where%1").arg(++m_case);
            const QStringList create{QStringLiteral("CREATE TABLE %1 (k bigint PRIMARY KEY, v text)").arg(t),
                                     QStringLiteral("INSERT INTO %1 SELECT i, 'v' || i FROM generate_series(1, %2) i").arg(t).arg(Rows),
                                     QStringLiteral("ANALYZE %1").arg(t)};
            const QString change = where == Spread ? QStringLiteral("UPDATE %1 SET v = 'changed' WHERE k % 300 = 7").arg(t)
                                   : where == Run  ? QStringLiteral("UPDATE %1 SET v = 'changed' WHERE k BETWEEN 500001 AND 503500").arg(t)
                                                   : QStringLiteral("UPDATE %1 SET v = 'changed' WHERE k % 100000 = 7").arg(t);
            QString error;
            QVERIFY2(src.exec(create, &error), qPrintable(error));
            QVERIFY2(dst.exec(create + QStringList{change}, &error), qPrintable(error));
            const Workspace ws = testsupport::makeWorkspace(src, dst, t, {QStringLiteral("k")}, {QStringLiteral("v")});
            try {
                const DiffResult rows = diff(ws, DiffOptions{});
                QCOMPARE(rows.different, qint64(where == Handful ? 11 : 3500));
                DiffOptions automatic;
                automatic.method = DiffOptions::Method::Auto;
                const DiffResult a = diff(ws, automatic);
                QCOMPARE(summary(a), summary(rows));
                QCOMPARE(a.method, QStringLiteral("checksum"));
                DiffOptions sums;
                sums.method = DiffOptions::Method::Checksum;
                const DiffResult c = diff(ws, sums);
                QCOMPARE(c.method, QStringLiteral("checksum"));
                QCOMPARE(summary(c), summary(rows));
                const qint64 sampled = Rows / 64 / ChecksumReconciler::SampleStride + 1;
                for (const DiffResult *r : {&a, &c}) {
                    const QByteArray facts = QByteArray::number(r->rangesCompared) + " ranges, "
                                             + QByteArray::number(r->rowsRead) + " rows read";
                    switch (where) {
                    case Spread: // the sample's ranges, then every row's checksum from each side
                        QVERIFY2(r->rangesCompared <= sampled + 1, facts.constData());
                        QCOMPARE(r->rowsRead, qint64(2 * Rows));
                        break;
                    case Run: // the sample, the buckets, then every range of the first level
                        QVERIFY2(r->rangesCompared > sampled + 1 + ChecksumReconciler::Buckets, facts.constData());
                        QVERIFY2(r->rowsRead < 20000, facts.constData());
                        break;
                    case Handful: // the sample, the buckets, the rows of eleven buckets at most
                        QVERIFY2(r->rangesCompared <= sampled + 1 + ChecksumReconciler::Buckets, facts.constData());
                        QVERIFY2(r->rowsRead > 0 && r->rowsRead < 2 * 11 * 2 * Rows / ChecksumReconciler::Buckets,
                                 facts.constData());
                        break;
                    }
                }
            } catch (const SyncError &e) {
                QFAIL(qPrintable(e.message()));
            }
        }
    }

    // Given a key of two columns whose texts need COPY's escapes (tab, newline, backslash,
    // several bytes per character) and a second column that is NULL in some rows, when one row
    // in six differs in every way a row can (a changed field, a NULL, deleted, inserted, equal
    // by value only), then --method checksum streams the row checksums (the sample shows the
    // differences everywhere) and says what the row method says, record by record.
    void shouldStreamTheSameAnswerAsTheRowMethod()
    {
        TestSystem src, dst;
        QVERIFY(systems(&src, &dst));
        const QString t = QStringLiteral("stream%1").arg(++m_case);
        const QString first = QStringLiteral("(ARRAY[E'tab\\there', E'new\\nline', E'back\\\\slash', 'été', '😀', 'plain'])[i % 6 + 1] "
                                             "|| lpad((i / 7)::text, 5, '0')");
        const QStringList create{
            QStringLiteral("CREATE TABLE %1 (a text NOT NULL, b bigint, v text, n numeric)").arg(t),
            QStringLiteral("CREATE UNIQUE INDEX ON %1 (a, b)").arg(t),
            QStringLiteral("INSERT INTO %1 SELECT %2, CASE WHEN i % 101 = 0 THEN NULL ELSE i END, "
                           "CASE WHEN i % 13 = 0 THEN NULL ELSE 'v' || i END, i / 4.0 FROM generate_series(1, 20000) i")
                .arg(t, first),
            QStringLiteral("ANALYZE %1").arg(t)};
        const QStringList changes{
            QStringLiteral("UPDATE %1 SET v = v || '+' WHERE b % 24 = 1").arg(t),
            QStringLiteral("UPDATE %1 SET v = NULL WHERE b % 24 = 5").arg(t),
            QStringLiteral("UPDATE %1 SET n = n * 1.000 WHERE b % 24 = 9").arg(t), // equal by value
            QStringLiteral("DELETE FROM %1 WHERE b % 24 = 13").arg(t),
            QStringLiteral("INSERT INTO %1 SELECT a || 'x', b, v, n FROM %1 WHERE b % 24 = 17").arg(t),
            QStringLiteral("UPDATE %1 SET n = n + 1 WHERE b % 24 = 21").arg(t)};
        QString error;
        QVERIFY2(src.exec(create, &error), qPrintable(error));
        QVERIFY2(dst.exec(create + changes, &error), qPrintable(error));
        const Workspace ws = testsupport::makeWorkspace(src, dst, t, {QStringLiteral("a"), QStringLiteral("b")},
                                                        {QStringLiteral("v"), QStringLiteral("n")});
        try {
            const DiffResult rows = diff(ws, DiffOptions{});
            QVERIFY2(rows.different > 1000 && rows.missingInTarget > 500 && rows.missingInSource > 500,
                     qPrintable(summary(rows).left(200)));
            DiffOptions sums;
            sums.method = DiffOptions::Method::Checksum;
            sums.rangeRows = 2;
            const DiffResult c = diff(ws, sums);
            QCOMPARE(summary(c), summary(rows));
            // Streamed: no range compared past the sample, every row's checksum read.
            QVERIFY2(c.rangesCompared < 20000 / 2 / ChecksumReconciler::SampleStride + 2,
                     qPrintable(QString::number(c.rangesCompared)));
            QCOMPARE(c.rowsRead, c.sourceRows + c.targetRows);
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
    }

    // Given a flow checksums cannot serve, when --method checksum is asked for, then it is
    // refused naming why; auto reads the rows instead.
    void shouldRefuseWhatChecksumsCannotCompare_data()
    {
        QTest::addColumn<QString>("pairing");
        QTest::addColumn<QString>("sourceDdl");
        QTest::addColumn<QString>("targetDdl");
        QTest::addColumn<QStringList>("key");
        QTest::addColumn<QString>("why");
        const QString plain = QStringLiteral("CREATE TABLE %1 (k text PRIMARY KEY, v text)");
        QTest::newRow("an SQLite side") << QStringLiteral("pg->sqlite") << plain << plain
                                        << QStringList{QStringLiteral("k")}
                                        << QStringLiteral("system 'dst' is sqlite");
        QTest::newRow("a composite key with a timestamp")
            << QStringLiteral("pg->pg") << QStringLiteral("CREATE TABLE %1 (k text, v timestamptz, PRIMARY KEY (k, v))")
            << QStringLiteral("CREATE TABLE %1 (k text, v timestamptz, PRIMARY KEY (k, v))")
            << QStringList{QStringLiteral("k"), QStringLiteral("v")}
            << QStringLiteral("key column 'v' is timestamp with time zone; the key columns after the first must be integers or text");
        QTest::newRow("a composite key typed apart")
            << QStringLiteral("pg->pg") << QStringLiteral("CREATE TABLE %1 (k text, v integer, PRIMARY KEY (k, v))")
            << QStringLiteral("CREATE TABLE %1 (k text, v numeric, PRIMARY KEY (k, v))")
            << QStringList{QStringLiteral("k"), QStringLiteral("v")}
            << QStringLiteral("key column 'v' is integer on the source but numeric on the target");
        QTest::newRow("no unique index") << QStringLiteral("pg->pg") << plain
                                         << QStringLiteral("CREATE TABLE %1 (k text, v text)")
                                         << QStringList{QStringLiteral("k")}
                                         << QStringLiteral("has no unique index on exactly 'k'");
        QTest::newRow("a linguistic collation")
            << QStringLiteral("pg->pg") << QStringLiteral("CREATE TABLE %1 (k text COLLATE \"und-x-icu\" PRIMARY KEY, v text)")
            << plain << QStringList{QStringLiteral("k")} << QStringLiteral("under a linguistic collation");
        QTest::newRow("field types that print alike values apart")
            << QStringLiteral("pg->pg") << plain << QStringLiteral("CREATE TABLE %1 (k text PRIMARY KEY, v timestamptz)")
            << QStringList{QStringLiteral("k")} << QStringLiteral("field 'v' is text on the source but timestamp with time zone on the target");
    }

    void shouldRefuseWhatChecksumsCannotCompare()
    {
        QFETCH(QString, pairing);
        QFETCH(QString, sourceDdl);
        QFETCH(QString, targetDdl);
        QFETCH(QStringList, key);
        QFETCH(QString, why);
        TestSystem src, dst;
        QVERIFY(systems(&src, &dst, pairing));
        const QString t = QStringLiteral("r%1").arg(++m_case);
        QString error;
        QVERIFY2(src.exec({sourceDdl.arg(t)}, &error), qPrintable(error));
        QVERIFY2(dst.exec({targetDdl.arg(t)}, &error), qPrintable(error));
        QStringList fields{QStringLiteral("k"), QStringLiteral("v")};
        for (const QString &k : key)
            fields.removeAll(k);
        const Workspace ws = testsupport::makeWorkspace(src, dst, t, key, fields);
        const QString message = refusal(ws);
        QVERIFY2(message.contains(QLatin1String("--method checksum cannot compare it")) && message.contains(why),
                 qPrintable(message));
        DiffOptions o;
        o.method = DiffOptions::Method::Auto;
        try {
            QCOMPARE(Reconciler(ws, ws.flows.first()).run(o).method, QStringLiteral("rows"));
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
    }
};

QTEST_GUILESS_MAIN(TestChecksumDiff)
#include "tst_checksumdiff.moc"
