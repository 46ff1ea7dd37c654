#include "WatchFixture.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

// Conflict policies applied by a running `watch` (DESIGN.md, Policies), end to end on real
// PostgreSQL and SQLite systems: each policy, the guard, the dry run, and a person's merge.
class TestPolicies : public QObject
{
    Q_OBJECT

    using Watch = testsupport::WatchProcess;

    QTemporaryDir m_dir;
    int m_case = 0;

    struct Setup
    {
        QString ws, src, dst;
    };

    Setup setUp(bool postgres, const QString &policy, QString *error, bool dryRun = false,
                int extraRecords = 0)
    {
        testsupport::DevicesFixture f;
        f.postgres = postgres;
        f.prefix = QStringLiteral("policy");
        f.number = ++m_case;
        f.policy = policy;
        f.policyDryRun = dryRun;
        f.extraRecords = extraRecords;
        Setup s;
        s.ws = f.create(QDir(m_dir.path()), &s.src, &s.dst, error);
        return s;
    }

    static bool run(bool postgres, const QString &db, const QString &sql, QString *error)
    {
        return testsupport::runOn(postgres, db, sql, error);
    }

    // One value read from either kind of database.
    static QString value(bool postgres, const QString &db, const QString &sql)
    {
        if (postgres) {
            QString error;
            return testsupport::pgValue(db, sql, &error);
        }
        const QString name = QUuid::createUuid().toString();
        QString out;
        {
            QSqlDatabase d = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            d.setDatabaseName(db);
            if (d.open()) {
                QSqlQuery q(d);
                if (q.exec(sql) && q.next())
                    out = q.value(0).toString();
            }
        }
        QSqlDatabase::removeDatabase(name);
        return out;
    }

    // The suite's server has 20 replication slots for every test: a watch's are given back.
    static void dropSlots(bool postgres, const QString &ws)
    {
        if (postgres)
            QCOMPARE(testsupport::runCli({QStringLiteral("slots"), QStringLiteral("drop"),
                                          QStringLiteral("--workspace"), ws}).exitCode, 0);
    }

    static std::function<bool(const QJsonObject &)> isDecision(const QString &key, const QString &outcome)
    {
        return [key, outcome](const QJsonObject &o) {
            return o.value(u"event").toString() == u"policy_decision"
                   && o.value(u"key").toArray() == QJsonArray{key} && o.value(u"outcome").toString() == outcome;
        };
    }

    static std::optional<QJsonObject> decision(Watch &watch, const QString &key, const QString &outcome,
                                               int timeoutMs = 20000)
    {
        return watch.waitFor(isDecision(key, outcome), timeoutMs);
    }

    static QList<QJsonObject> auditEntries(const QString &ws) { return testsupport::auditEntries(ws); }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void backends_data()
    {
        QTest::addColumn<bool>("postgres");
        QTest::newRow("postgres") << true;
        QTest::newRow("sqlite") << false;
    }

    // source-wins puts a drifted target back and settles a conflict for the source, audited as
    // the policy's decision; target-wins does the opposite.
    void shouldSettleDriftAndConflictsBySourceOrTarget_data() { backends_data(); }
    void shouldSettleDriftAndConflictsBySourceOrTarget()
    {
        QFETCH(bool, postgres);
        for (const QString &policy : {QStringLiteral("source-wins"), QStringLiteral("target-wins")}) {
            QString error;
            const Setup s = setUp(postgres, policy, &error);
            QVERIFY2(!s.ws.isEmpty(), qPrintable(error));
            Watch watch;
            watch.start(s.ws);
            QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
            // K1 drifts on the target; K2 changes on the source, then on the target.
            QVERIFY2(run(postgres, s.dst, testsupport::touch(QStringLiteral("qty = 901"), QStringLiteral("K1")), &error),
                     qPrintable(error));
            QVERIFY2(run(postgres, s.src, testsupport::touch(QStringLiteral("model = 'SRC'"), QStringLiteral("K2")), &error),
                     qPrintable(error));
            QVERIFY2(watch.waitForStatus(QStringLiteral("K2"), QStringLiteral("pending")), qPrintable(watch.transcript()));
            QVERIFY2(run(postgres, s.dst, testsupport::touch(QStringLiteral("model = 'DST'"), QStringLiteral("K2")), &error),
                     qPrintable(error));
            for (const QString &key : {QStringLiteral("K1"), QStringLiteral("K2")})
                QTRY_VERIFY2_WITH_TIMEOUT(watch.sawStatus(key, QStringLiteral("in_sync")),
                                          qPrintable(watch.transcript()), 20000);
            // The decision's line comes once its batch's outcomes are audited, which may be
            // after the feed has shown the write.
            for (const QString &key : {QStringLiteral("K1"), QStringLiteral("K2")})
                QTRY_VERIFY2_WITH_TIMEOUT(watch.saw(isDecision(key, QStringLiteral("applied"))),
                                          qPrintable(watch.transcript()), 10000);
            const bool sourceWins = policy == u"source-wins";
            for (const QString &db : {s.src, s.dst}) {
                QCOMPARE(value(postgres, db, QStringLiteral("SELECT qty FROM devices WHERE sku = 'K1'")),
                         sourceWins ? QStringLiteral("1") : QStringLiteral("901"));
                QCOMPARE(value(postgres, db, QStringLiteral("SELECT model FROM devices WHERE sku = 'K2'")),
                         sourceWins ? QStringLiteral("SRC") : QStringLiteral("DST"));
            }
            QCOMPARE(watch.stop(), 0);
            dropSlots(postgres, s.ws);
            // Audited as the policy's decisions, each with its intent and its outcome.
            int intents = 0, applied = 0;
            for (const QJsonObject &e : auditEntries(s.ws)) {
                if (e.value(u"type").toString() == u"intent") {
                    QCOMPARE(e.value(u"operator").toString(), QStringLiteral("policy:") + policy);
                    QVERIFY(e.value(u"reason").toString().startsWith(QStringLiteral("policy ") + policy));
                    ++intents;
                }
                applied += e.value(u"outcome").toString() == u"applied" ? 1 : 0;
            }
            QCOMPARE(intents, 2);
            QCOMPARE(applied, 2);
            QCOMPARE(testsupport::runCli({QStringLiteral("audit"), QStringLiteral("verify"),
                                          QStringLiteral("--workspace"), s.ws}).exitCode, 0);
        }
    }

    // A record an operator has claimed is theirs: the policy leaves it, and acts on the rest.
    void shouldLeaveAClaimedRecordToItsOperator()
    {
        QString error;
        const Setup s = setUp(false, QStringLiteral("source-wins"), &error);
        QVERIFY2(!s.ws.isEmpty(), qPrintable(error));
        const auto claimed = testsupport::runCli({QStringLiteral("claim"), QStringLiteral("--workspace"), s.ws,
                                                  QStringLiteral("--flow"), QStringLiteral("devices"),
                                                  QStringLiteral("--key"), QStringLiteral("K3"),
                                                  QStringLiteral("--operator"), QStringLiteral("Ana")});
        QVERIFY2(claimed.exitCode == 0, claimed.err.constData());
        Watch watch;
        watch.start(s.ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        for (const char *key : {"K2", "K3"})
            QVERIFY2(run(false, s.dst, testsupport::touch(QStringLiteral("qty = 999"), QLatin1String(key)), &error),
                     qPrintable(error));
        QTRY_VERIFY2_WITH_TIMEOUT(watch.saw([](const QJsonObject &o) {
                                      return isDecision(QStringLiteral("K3"), QStringLiteral("manual"))(o)
                                             && o.value(u"detail").toString().contains(QStringLiteral("claimed by Ana"));
                                  }),
                                  qPrintable(watch.transcript()), 20000);
        QTRY_VERIFY2_WITH_TIMEOUT(watch.saw(isDecision(QStringLiteral("K2"), QStringLiteral("applied"))),
                                  qPrintable(watch.transcript()), 20000);
        QCOMPARE(value(false, s.dst, QStringLiteral("SELECT qty FROM devices WHERE sku = 'K3'")), QStringLiteral("999"));
        QCOMPARE(watch.stop(), 0);
    }

    // newest-wins: the side that changed last wins a conflict.
    void shouldLetTheNewestChangeWin()
    {
        QString error;
        const Setup s = setUp(false, QStringLiteral("newest-wins"), &error);
        QVERIFY2(!s.ws.isEmpty(), qPrintable(error));
        Watch watch;
        watch.start(s.ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        QVERIFY2(run(false, s.src, testsupport::touch(QStringLiteral("qty = 501"), QStringLiteral("K3")), &error), qPrintable(error));
        QVERIFY2(watch.waitForStatus(QStringLiteral("K3"), QStringLiteral("pending")), qPrintable(watch.transcript()));
        QVERIFY2(run(false, s.dst, testsupport::touch(QStringLiteral("qty = 502"), QStringLiteral("K3")), &error), qPrintable(error));
        const auto d = decision(watch, QStringLiteral("K3"), QStringLiteral("applied"));
        QVERIFY2(d, qPrintable(watch.transcript()));
        QCOMPARE(d->value(u"choice").toString(), QStringLiteral("take_target"));
        QTRY_VERIFY2_WITH_TIMEOUT(watch.sawStatus(QStringLiteral("K3"), QStringLiteral("in_sync")),
                                  qPrintable(watch.transcript()), 20000);
        QCOMPARE(value(false, s.src, QStringLiteral("SELECT qty FROM devices WHERE sku = 'K3'")), QStringLiteral("502"));
        QCOMPARE(watch.stop(), 0);
    }

    // merge-fields: fields changed on one side each are combined; a field changed on both
    // sides leaves the record to a person, untouched.
    void shouldMergeFieldsChangedOnOneSideOnly_data() { backends_data(); }
    void shouldMergeFieldsChangedOnOneSideOnly()
    {
        QFETCH(bool, postgres);
        QString error;
        const Setup s = setUp(postgres, QStringLiteral("merge-fields"), &error);
        QVERIFY2(!s.ws.isEmpty(), qPrintable(error));
        Watch watch;
        watch.start(s.ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        QVERIFY2(run(postgres, s.src, testsupport::touch(QStringLiteral("model = 'NEW'"), QStringLiteral("K4")), &error), qPrintable(error));
        QVERIFY2(run(postgres, s.src, testsupport::touch(QStringLiteral("qty = 70"), QStringLiteral("K5")), &error), qPrintable(error));
        QVERIFY2(watch.waitForStatuses({QStringLiteral("K4"), QStringLiteral("K5")}, QStringLiteral("pending")),
                 qPrintable(watch.transcript()));
        QVERIFY2(run(postgres, s.dst, testsupport::touch(QStringLiteral("qty = 44"), QStringLiteral("K4")), &error), qPrintable(error));
        QVERIFY2(run(postgres, s.dst, testsupport::touch(QStringLiteral("qty = 71"), QStringLiteral("K5")), &error), qPrintable(error));
        // Decisions on different records come in any order (several workers).
        QTRY_VERIFY2_WITH_TIMEOUT(watch.saw(isDecision(QStringLiteral("K4"), QStringLiteral("applied"))),
                                  qPrintable(watch.transcript()), 20000);
        QTRY_VERIFY2_WITH_TIMEOUT(watch.saw([](const QJsonObject &o) {
                                      return isDecision(QStringLiteral("K5"), QStringLiteral("manual"))(o)
                                             && o.value(u"detail").toString().contains(
                                                 QStringLiteral("qty changed on both sides"));
                                  }),
                                  qPrintable(watch.transcript()), 20000);
        QTRY_VERIFY2_WITH_TIMEOUT(watch.sawStatus(QStringLiteral("K4"), QStringLiteral("in_sync")),
                                  qPrintable(watch.transcript()), 20000);
        for (const QString &db : {s.src, s.dst}) {
            QCOMPARE(value(postgres, db, QStringLiteral("SELECT model FROM devices WHERE sku = 'K4'")), QStringLiteral("NEW"));
            QCOMPARE(value(postgres, db, QStringLiteral("SELECT qty FROM devices WHERE sku = 'K4'")), QStringLiteral("44"));
        }
        QCOMPARE(value(postgres, s.src, QStringLiteral("SELECT qty FROM devices WHERE sku = 'K5'")), QStringLiteral("70"));
        QCOMPARE(value(postgres, s.dst, QStringLiteral("SELECT qty FROM devices WHERE sku = 'K5'")), QStringLiteral("71"));
        QCOMPARE(watch.stop(), 0);
        dropSlots(postgres, s.ws);
    }

    // The guard: 150 records drift at once on a flow of 170 under source-wins. At most
    // max(100, 1 %) = 100 are written within the minute, then the policy halts until a person
    // resumes it; the halt survives a restart of the watch.
    void shouldHaltAtTheGuardUntilResumed()
    {
        QString error;
        const Setup s = setUp(false, QStringLiteral("source-wins"), &error, false, 150);
        QVERIFY2(!s.ws.isEmpty(), qPrintable(error));
        Watch watch;
        watch.start(s.ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        QVERIFY2(run(false, s.dst, QStringLiteral("UPDATE devices SET qty = qty + 1000, updated_at = '%1' "
                                                  "WHERE CAST(substr(sku, 2) AS INTEGER) > 20")
                                       .arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)),
                     &error),
                 qPrintable(error));
        const auto halted = watch.waitFor(
            [](const QJsonObject &o) { return o.value(u"event").toString() == u"policy_halted"; });
        QVERIFY2(halted, qPrintable(watch.transcript()));
        QVERIFY(halted->value(u"reason").toString().contains(QStringLiteral("100 records")));
        watch.observe(1500); // decisions under way come back; nothing more is handed out
        QCOMPARE(value(false, s.dst, QStringLiteral("SELECT count(*) FROM devices WHERE qty > 1000")),
                 QStringLiteral("50"));
        QCOMPARE(watch.stop(), 0);

        const testsupport::CliRun status = testsupport::runCli(
            {QStringLiteral("policy"), QStringLiteral("status"), QStringLiteral("--workspace"), s.ws});
        QCOMPARE(status.exitCode, 0);
        QVERIFY2(status.out.contains("halted since"), status.out.constData());

        // Still halted after a restart: nothing written.
        Watch again;
        again.start(s.ws);
        QVERIFY2(again.waitReady(), qPrintable(again.transcript()));
        again.observe(3000);
        QCOMPARE(value(false, s.dst, QStringLiteral("SELECT count(*) FROM devices WHERE qty > 1000")),
                 QStringLiteral("50"));
        // A person resumes it: the rest is settled.
        const testsupport::CliRun resume = testsupport::runCli(
            {QStringLiteral("policy"), QStringLiteral("resume"), QStringLiteral("--workspace"), s.ws,
             QStringLiteral("--flow"), QStringLiteral("devices"), QStringLiteral("--reason"),
             QStringLiteral("checked: the target's batch job was wrong")});
        QCOMPARE(resume.exitCode, 0);
        QVERIFY2(again.waitFor([](const QJsonObject &o) { return o.value(u"event").toString() == u"policy_resumed"; }),
                 qPrintable(again.transcript()));
        QTRY_VERIFY2_WITH_TIMEOUT(
            value(false, s.dst, QStringLiteral("SELECT count(*) FROM devices WHERE qty > 1000")) == QStringLiteral("0"),
            qPrintable(again.transcript()), 30000);
        QCOMPARE(again.stop(), 0);
        // A second resume has nothing to resume.
        QCOMPARE(testsupport::runCli({QStringLiteral("policy"), QStringLiteral("resume"), QStringLiteral("--workspace"),
                                      s.ws, QStringLiteral("--flow"), QStringLiteral("devices")}).exitCode, 2);
        bool haltAudited = false, resumeAudited = false;
        for (const QJsonObject &e : auditEntries(s.ws)) {
            haltAudited = haltAudited || (e.value(u"type").toString() == u"policy" && e.value(u"event").toString() == u"halted");
            resumeAudited = resumeAudited || (e.value(u"type").toString() == u"policy" && e.value(u"event").toString() == u"resumed");
        }
        QVERIFY(haltAudited && resumeAudited);
    }

    // A dry run shows each decision with its statements and writes nothing.
    void shouldShowADryRunWithoutWriting()
    {
        QString error;
        const Setup s = setUp(false, QStringLiteral("target-wins"), &error, true);
        QVERIFY2(!s.ws.isEmpty(), qPrintable(error));
        Watch watch;
        watch.start(s.ws);
        QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
        QVERIFY2(run(false, s.dst, testsupport::touch(QStringLiteral("qty = 606"), QStringLiteral("K6")), &error), qPrintable(error));
        const auto d = decision(watch, QStringLiteral("K6"), QStringLiteral("would_apply"));
        QVERIFY2(d, qPrintable(watch.transcript()));
        const QString writes = QString::fromUtf8(QJsonDocument(d->value(u"writes").toArray()).toJson());
        QVERIFY2(writes.contains(QStringLiteral("source: UPDATE")), qPrintable(writes));
        watch.observe(1000);
        QCOMPARE(value(false, s.src, QStringLiteral("SELECT qty FROM devices WHERE sku = 'K6'")), QStringLiteral("6"));
        QCOMPARE(watch.stop(), 0);
        QVERIFY(auditEntries(s.ws).isEmpty());
    }

    // A person's merge: `resolve --take merge` takes each field from the side that changed it,
    // previewed first; refused where a field changed on both sides.
    void shouldMergeForAPerson()
    {
        QString error;
        const Setup s = setUp(false, QStringLiteral("manual"), &error);
        QVERIFY2(!s.ws.isEmpty(), qPrintable(error));
        {
            Watch watch;
            watch.start(s.ws);
            QVERIFY2(watch.waitReady(), qPrintable(watch.transcript()));
            QVERIFY2(run(false, s.src, testsupport::touch(QStringLiteral("model = 'M7-new'"), QStringLiteral("K7")), &error), qPrintable(error));
            QVERIFY2(run(false, s.src, testsupport::touch(QStringLiteral("qty = 80"), QStringLiteral("K8")), &error), qPrintable(error));
            QVERIFY2(watch.waitForStatuses({QStringLiteral("K7"), QStringLiteral("K8")}, QStringLiteral("pending")),
                     qPrintable(watch.transcript()));
            QVERIFY2(run(false, s.dst, testsupport::touch(QStringLiteral("qty = 77"), QStringLiteral("K7")), &error), qPrintable(error));
            QVERIFY2(run(false, s.dst, testsupport::touch(QStringLiteral("qty = 81"), QStringLiteral("K8")), &error), qPrintable(error));
            QVERIFY2(watch.waitForStatuses({QStringLiteral("K7"), QStringLiteral("K8")}, QStringLiteral("conflict")),
                     qPrintable(watch.transcript()));
            QCOMPARE(watch.stop(), 0);
        }
        const auto resolve = [&](const QString &key, bool preview) {
            QStringList args{QStringLiteral("resolve"), QStringLiteral("--workspace"), s.ws,
                             QStringLiteral("--flow"), QStringLiteral("devices"), QStringLiteral("--key"), key,
                             QStringLiteral("--take"), QStringLiteral("merge"), QStringLiteral("--reason"),
                             QStringLiteral("both edits are right")};
            if (preview)
                args << QStringLiteral("--preview");
            return testsupport::runCli(args);
        };
        const testsupport::CliRun preview = resolve(QStringLiteral("K7"), true);
        QCOMPARE(preview.exitCode, 0);
        QVERIFY2(preview.out.contains("merge"), preview.out.constData());
        QCOMPARE(value(false, s.src, QStringLiteral("SELECT qty FROM devices WHERE sku = 'K7'")), QStringLiteral("7"));
        const testsupport::CliRun applied = resolve(QStringLiteral("K7"), false);
        QVERIFY2(applied.exitCode == 0, applied.err.constData());
        for (const QString &db : {s.src, s.dst}) {
            QCOMPARE(value(false, db, QStringLiteral("SELECT model FROM devices WHERE sku = 'K7'")), QStringLiteral("M7-new"));
            QCOMPARE(value(false, db, QStringLiteral("SELECT qty FROM devices WHERE sku = 'K7'")), QStringLiteral("77"));
        }
        const testsupport::CliRun refused = resolve(QStringLiteral("K8"), false);
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains("qty changed on both sides"), refused.err.constData());
        QCOMPARE(value(false, s.dst, QStringLiteral("SELECT qty FROM devices WHERE sku = 'K8'")), QStringLiteral("81"));
    }

    // A workspace cannot ask for a policy or a mode that does not exist.
    void shouldRefuseUnknownPolicies()
    {
        QString error;
        for (const auto &[policy, mode, message] :
             {std::tuple{"oldest-wins", "active", "unknown policy 'oldest-wins'"},
              std::tuple{"source-wins", "sometimes", "unknown policy mode 'sometimes'"},
              std::tuple{"manual", "dry-run", "a dry run needs a policy other than manual"}}) {
            const QByteArray json = QStringLiteral(R"({"version": 1, "systems": [
                {"name": "a", "kind": "sqlite", "path": "a.db"}, {"name": "b", "kind": "sqlite", "path": "b.db"}],
              "flows": [{"name": "f", "source": {"system": "a", "table": "t"}, "target": {"system": "b", "table": "t"},
                "key": ["id"], "fields": ["v"], "policy": "%1", "policy_mode": "%2"}]})")
                                        .arg(QLatin1String(policy), QLatin1String(mode)).toUtf8();
            const QString ws = testsupport::writeFile(QDir(m_dir.path()), QStringLiteral("bad.json"), json);
            const testsupport::CliRun r = testsupport::runCli(
                {QStringLiteral("policy"), QStringLiteral("status"), QStringLiteral("--workspace"), ws});
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.contains(message), r.err.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestPolicies)
#include "tst_policies.moc"
