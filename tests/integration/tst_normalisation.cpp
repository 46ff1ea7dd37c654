#include "TwoSystems.h"
#include "engine/Reconciler.h"
#include "model/SyncError.h"

#include <QTemporaryDir>
#include <QTest>

using namespace syncdesk;
using testsupport::Backend;

// Every normalisation rule of DESIGN.md, run on every pairing of backends: a one-row table on
// each side holding value A (source) and value B (target), and the diff must call the record
// in_sync exactly when the rule says A and B are equal.
class TestNormalisation : public QObject
{
    Q_OBJECT

    struct Rule
    {
        const char *name;
        const char *pgType;
        const char *pgA;
        const char *pgB;
        const char *sqliteType;
        const char *sqliteA;
        const char *sqliteB;
        bool equal;
    };

    static QList<Rule> rules()
    {
        return {
            {"null differs from empty text", "text", "NULL", "''", "TEXT", "NULL", "''", false},
            {"null equals null", "text", "NULL", "NULL", "TEXT", "NULL", "NULL", true},
            {"text is byte exact: case", "text", "'abc'", "'ABC'", "TEXT", "'abc'", "'ABC'", false},
            {"text is byte exact: no trimming", "text", "'a '", "'a'", "TEXT", "'a '", "'a'", false},
            {"text is byte exact: unicode forms", "text", "U&'\\00E9'", "U&'e\\0301'", "TEXT",
             "char(233)", "'e' || char(769)", false},
            {"same text", "text", "'Grade A – ok'", "'Grade A – ok'", "TEXT", "'Grade A – ok'",
             "'Grade A – ok'", true},
            {"numeric by value: 1.10 = 1.1", "numeric", "1.10", "1.1", "NUMERIC", "'1.10'", "1.1", true},
            {"numeric by value: 1.1 != 1.11", "numeric", "1.1", "1.11", "REAL", "1.1", "1.11", false},
            {"integer equals decimal of same value", "numeric", "5", "5.000", "INTEGER", "5", "5.0", true},
            {"float shortest text", "float8", "0.1", "0.1", "REAL", "0.1", "0.1", true},
            {"negative zero is zero", "numeric", "-0.00", "0", "REAL", "-0.0", "0", true},
            {"bigint", "bigint", "9007199254740993", "9007199254740993", "INTEGER",
             "9007199254740993", "9007199254740993", true},
            {"timestamptz by instant", "timestamptz", "'2024-01-01 02:00:00+02'",
             "'2024-01-01 00:00:00+00'", "TIMESTAMP", "'2024-01-01T02:00:00+02:00'",
             "'2024-01-01T00:00:00Z'", true},
            {"timestamptz fractions", "timestamptz", "'2024-01-01 00:00:00.5+00'",
             "'2024-01-01 00:00:00.500+00'", "DATETIME", "'2024-01-01 00:00:00.5Z'",
             "'2024-01-01T00:00:00.500Z'", true},
            {"timestamptz differs by a second", "timestamptz", "'2024-01-01 00:00:00+00'",
             "'2024-01-01 00:00:01+00'", "TIMESTAMP", "'2024-01-01T00:00:00Z'",
             "'2024-01-01T00:00:01Z'", false},
            {"boolean true", "boolean", "true", "'t'", "BOOLEAN", "1", "'true'", true},
            {"boolean differs", "boolean", "true", "false", "BOOLEAN", "1", "0", false},
            {"bytea byte exact", "bytea", "'\\x00ff10'", "'\\x00ff10'", "BLOB", "x'00ff10'",
             "x'00FF10'", true},
            {"bytea differs", "bytea", "'\\x00ff10'", "'\\x00ff11'", "BLOB", "x'00ff10'",
             "x'00ff11'", false},
            {"bytea empty vs null", "bytea", "''", "NULL", "BLOB", "x''", "NULL", false},
            {"char(n) padding is not data", "char(5)", "'ab'", "'ab'", "TEXT", "'ab'", "'ab'", true},
        };
    }

    QTemporaryDir m_dir;
    int m_case = 0;

private slots:
    void shouldCompareByTheNormalisationRules_data()
    {
        QTest::addColumn<QString>("pairing");
        QTest::addColumn<int>("rule");
        const QList<Rule> all = rules();
        for (qsizetype i = 0; i < all.size(); ++i) {
            for (const QString &pairing : testsupport::pairingNames())
                QTest::addRow("%s / %s", all[i].name, qPrintable(pairing)) << pairing << int(i);
        }
    }

    void shouldCompareByTheNormalisationRules()
    {
        QFETCH(QString, pairing);
        QFETCH(int, rule);
        const Rule r = rules()[rule];
        testsupport::TestSystem source, target;
        QString error;
        QVERIFY2(testsupport::makePairing(pairing, QStringLiteral("norm"), m_dir.path(), &source,
                                          &target, &error),
                 qPrintable(error));
        const QString table = QStringLiteral("t%1").arg(++m_case);
        auto setUp = [&](const testsupport::TestSystem &s, bool isSource) {
            const bool pg = s.backend == Backend::Postgres;
            const QString type = QString::fromUtf8(pg ? r.pgType : r.sqliteType);
            const QString value = QString::fromUtf8(
                pg ? (isSource ? r.pgA : r.pgB) : (isSource ? r.sqliteA : r.sqliteB));
            return s.exec({QStringLiteral("CREATE TABLE %1 (id integer PRIMARY KEY, v %2)")
                               .arg(table, type),
                           QStringLiteral("INSERT INTO %1 VALUES (1, %2)").arg(table, value)},
                          &error);
        };
        QVERIFY2(setUp(source, true), qPrintable(error));
        QVERIFY2(setUp(target, false), qPrintable(error));

        const Workspace ws = testsupport::makeWorkspace(source, target, table,
                                                        {QStringLiteral("id")}, {QStringLiteral("v")});
        // Both ways of pairing records read and normalise the same: the same verdict.
        for (const auto order : {DiffOptions::Order::Merge, DiffOptions::Order::Hash}) {
            DiffResult result;
            try {
                DiffOptions o;
                o.order = order;
                result = Reconciler(ws, ws.flows.first()).run(o);
            } catch (const SyncError &e) {
                QFAIL(qPrintable(e.message()));
            }
            QCOMPARE(result.sourceRows, 1);
            QCOMPARE(result.targetRows, 1);
            QCOMPARE(result.inSync, r.equal ? 1 : 0);
            QCOMPARE(result.different, r.equal ? 0 : 1);
        }
    }
};

QTEST_GUILESS_MAIN(TestNormalisation)
#include "tst_normalisation.moc"
