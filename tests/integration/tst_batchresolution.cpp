#include "TwoSystems.h"

#include "audit/AuditVerifier.h"
#include "engine/FlowSides.h"
#include "resolution/ResolutionService.h"
#include "state/ActivityCounters.h"
#include "state/StateStore.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace syncdesk;

// A policy's batch (ResolutionService::applyMany) on every pairing: the same protocol as one
// record's resolution, record by record, with one transaction per step for the batch.
class TestBatchResolution : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_case = 0;

    // Two systems of `pairing` with `rows` devices each (K1…), the target's qty moved by 100
    // on all but the last, a workspace with its own state store, and "take the source"
    // requests for K1…K`planned`.
    struct Batch
    {
        testsupport::TestSystem source, target;
        Workspace ws;
        std::unique_ptr<StateStore> store;
        QList<ResolveRequest> requests;
    };
    bool setUp(const QString &pairing, int rows, int planned, Batch &b, QString *error)
    {
        const QString tag = QStringLiteral("batch%1").arg(++m_case);
        if (!testsupport::makePairing(pairing, tag, m_dir.path(), &b.source, &b.target, error))
            return false;
        QStringList values;
        for (int i = 1; i <= rows; ++i)
            values << QStringLiteral("('K%1', 'M%1', %1)").arg(i);
        const QStringList ddl{QStringLiteral("CREATE TABLE devices (sku text PRIMARY KEY, model text, qty integer)"),
                              QStringLiteral("INSERT INTO devices VALUES ") + values.join(QStringLiteral(", "))};
        if (!b.source.exec(ddl, error) || !b.target.exec(ddl, error)
            || !b.target.exec({QStringLiteral("UPDATE devices SET qty = qty + 100 WHERE sku <> 'K%1'").arg(rows)}, error))
            return false;
        b.ws = testsupport::makeWorkspace(b.source, b.target, QStringLiteral("devices"), {QStringLiteral("sku")},
                                          {QStringLiteral("model"), QStringLiteral("qty")});
        b.ws.state = m_dir.filePath(tag + QStringLiteral("-state.db"));
        b.store = StateStore::open(b.ws);
        for (int i = 1; i <= planned; ++i) {
            ResolveRequest r;
            r.flow = QStringLiteral("f");
            r.key = {QStringLiteral("K%1").arg(i)};
            r.take = Pick::Source;
            b.requests << r;
        }
        return true;
    }

private slots:
    void shouldDecideEachRecordOfABatchOnItsOwn_data()
    {
        QTest::addColumn<QString>("pairing");
        for (const QString &p : testsupport::pairingNames())
            QTest::newRow(qPrintable(p)) << p;
    }

    // Given five drifted target rows planned "take the source" together, when one record's
    // target and another's source change before the batch is applied, then those two are
    // refused and left as they are, the other three written; every intent precedes every
    // outcome in one intact chain, and the resolutions are counted by outcome.
    void shouldDecideEachRecordOfABatchOnItsOwn()
    {
        QFETCH(QString, pairing);
        QString error;
        Batch batch;
        QVERIFY2(setUp(pairing, 6, 5, batch, &error), qPrintable(error));
        const testsupport::TestSystem &source = batch.source, &target = batch.target;
        const Workspace &ws = batch.ws;
        const auto &store = batch.store;
        ResolutionService service(ws, *store);
        const QList<ResolveRequest> &requests = batch.requests;
        const QList<ResolutionService::Planned> planned = service.planMany(QStringLiteral("f"), requests);
        QList<ResolutionPlan> plans;
        for (const ResolutionService::Planned &p : planned) {
            QVERIFY2(p.plan, qPrintable(p.error));
            QVERIFY(p.plan->target.write && !p.plan->source.write);
            plans << *p.plan;
        }

        // Meanwhile: K3's target (the side written) and K5's source (the side taken) move.
        QVERIFY2(target.exec({QStringLiteral("UPDATE devices SET qty = 999 WHERE sku = 'K3'")}, &error), qPrintable(error));
        QVERIFY2(source.exec({QStringLiteral("UPDATE devices SET model = 'changed' WHERE sku = 'K5'")}, &error),
                 qPrintable(error));

        const QString policy = QStringLiteral("policy:source-wins");
        const QList<ResolveResult> results =
            service.applyMany(plans, QStringList(5, QStringLiteral("the source is right")), policy);
        QCOMPARE(results.size(), 5);
        const QList<ResolveResult::Outcome> expected{ResolveResult::Outcome::Applied, ResolveResult::Outcome::Applied,
                                                     ResolveResult::Outcome::Refused, ResolveResult::Outcome::Applied,
                                                     ResolveResult::Outcome::Refused};
        for (int i = 0; i < 5; ++i)
            QVERIFY2(results[i].outcome == expected[i], qPrintable(QStringLiteral("K%1: %2").arg(i + 1).arg(results[i].error)));

        // What each side holds now, read as the engine reads it.
        FlowSides sides(ws, *ws.flow(QStringLiteral("f")));
        sides.open();
        QList<KeyText> keys;
        for (int i = 1; i <= 6; ++i)
            keys << KeyText{QStringLiteral("K%1").arg(i)};
        const auto rows = sides.fetch(keys);
        const auto qtyOf = [&](int side, const char *sku) {
            return rows[side].value(sides.keyJson({QString::fromLatin1(sku)})).fields.value(1).value_or(QByteArray("NULL"));
        };
        QCOMPARE(qtyOf(1, "K1"), QByteArray("1"));
        QCOMPARE(qtyOf(1, "K2"), QByteArray("2"));
        QCOMPARE(qtyOf(1, "K3"), QByteArray("999")); // refused: as the other writer left it
        QCOMPARE(qtyOf(1, "K4"), QByteArray("4"));
        QCOMPARE(qtyOf(1, "K5"), QByteArray("105")); // refused: still drifted
        QCOMPARE(qtyOf(1, "K6"), QByteArray("6"));

        // Five intents, then five outcomes, each naming its resolution; one intact chain.
        const QList<AuditRow> log = store->auditRows();
        QCOMPARE(log.size(), 10);
        for (int i = 0; i < 10; ++i) {
            const QJsonObject e = QJsonDocument::fromJson(log[i].entry).object();
            QCOMPARE(e.value(u"type").toString(), i < 5 ? QStringLiteral("intent") : QStringLiteral("outcome"));
            QCOMPARE(e.value(u"id").toString(), results[i % 5].id);
            QCOMPARE(e.value(u"operator").toString(), i < 5 ? policy : QString());
        }
        QVERIFY(verifyStoredChain(*store).intact);
        const QHash<QString, qint64> totals = store->activityTotals(QStringLiteral("f"));
        QCOMPARE(totals.value(activity::resolutions(true, QStringLiteral("applied"))), 3);
        QCOMPARE(totals.value(activity::resolutions(true, QStringLiteral("refused"))), 2);
        // The records written agree again: their baseline is the new agreement.
        QVERIFY(store->baseline(QStringLiteral("f"), sides.keyJson({QStringLiteral("K1")}))->inSync);
    }

    void shouldFailOnlyTheRecordWhoseWriteIsRefused_data() { shouldDecideEachRecordOfABatchOnItsOwn_data(); }

    // Given three drifted records planned together, when the target refuses the write of one
    // (a trigger), then that one is audited as failed with the system's message and left as it
    // was, and the other two are written in the same transaction.
    void shouldFailOnlyTheRecordWhoseWriteIsRefused()
    {
        QFETCH(QString, pairing);
        QString error;
        Batch batch;
        QVERIFY2(setUp(pairing, 4, 3, batch, &error), qPrintable(error));
        const testsupport::TestSystem &target = batch.target;
        const Workspace &ws = batch.ws;
        const auto &store = batch.store;
        const QList<ResolveRequest> &requests = batch.requests;
        const QStringList trigger =
            target.backend == testsupport::Backend::Postgres
                ? QStringList{QStringLiteral("CREATE FUNCTION frozen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                                             "IF NEW.sku = 'K2' THEN RAISE EXCEPTION 'K2 is frozen'; END IF; "
                                             "RETURN NEW; END $$"),
                              QStringLiteral("CREATE TRIGGER frozen BEFORE UPDATE ON devices FOR EACH ROW "
                                             "EXECUTE FUNCTION frozen()")}
                : QStringList{QStringLiteral("CREATE TRIGGER frozen BEFORE UPDATE ON devices WHEN NEW.sku = 'K2' "
                                             "BEGIN SELECT RAISE(ABORT, 'K2 is frozen'); END")};
        QVERIFY2(target.exec(trigger, &error), qPrintable(error));
        ResolutionService service(ws, *store);
        QList<ResolutionPlan> plans;
        for (const ResolutionService::Planned &p : service.planMany(QStringLiteral("f"), requests)) {
            QVERIFY2(p.plan, qPrintable(p.error));
            plans << *p.plan;
        }
        const QList<ResolveResult> results =
            service.applyMany(plans, QStringList(3, QStringLiteral("the source is right")), QStringLiteral("policy:source-wins"));
        QVERIFY2(results[0].outcome == ResolveResult::Outcome::Applied, qPrintable(results[0].error));
        QVERIFY(results[1].outcome == ResolveResult::Outcome::Failed);
        QVERIFY2(results[1].error.contains(QLatin1String("K2 is frozen")), qPrintable(results[1].error));
        QVERIFY2(results[2].outcome == ResolveResult::Outcome::Applied, qPrintable(results[2].error));
        FlowSides sides(ws, *ws.flow(QStringLiteral("f")));
        sides.open();
        const auto rows = sides.fetch({KeyText{QStringLiteral("K1")}, KeyText{QStringLiteral("K2")},
                                       KeyText{QStringLiteral("K3")}});
        const auto qtyOf = [&](const char *sku) {
            return rows[1].value(sides.keyJson({QString::fromLatin1(sku)})).fields.value(1).value_or(QByteArray());
        };
        QCOMPARE(qtyOf("K1"), QByteArray("1"));
        QCOMPARE(qtyOf("K2"), QByteArray("102")); // as it was
        QCOMPARE(qtyOf("K3"), QByteArray("3"));
        QCOMPARE(store->auditRows().size(), 6);
        QVERIFY(verifyStoredChain(*store).intact);
        const QHash<QString, qint64> totals = store->activityTotals(QStringLiteral("f"));
        QCOMPARE(totals.value(activity::resolutions(true, QStringLiteral("applied"))), 2);
        QCOMPARE(totals.value(activity::resolutions(true, QStringLiteral("failed"))), 1);
    }

    // Given a PostgreSQL target whose model column holds three characters and a source whose
    // model is longer, when the source is taken, then the target refuses the write with its
    // own message and keeps its row: the value is never cut to fit and audited as written.
    void shouldRefuseAValueTooLongForTheTargetColumn()
    {
        QString error;
        Batch batch;
        QVERIFY2(setUp(QStringLiteral("pg->pg"), 2, 1, batch, &error), qPrintable(error));
        QVERIFY2(batch.target.exec({QStringLiteral("ALTER TABLE devices ALTER COLUMN model TYPE varchar(3)")}, &error),
                 qPrintable(error));
        QVERIFY2(batch.source.exec({QStringLiteral("UPDATE devices SET model = 'LONGER' WHERE sku = 'K1'")}, &error),
                 qPrintable(error));
        ResolutionService service(batch.ws, *batch.store);
        QList<ResolutionPlan> plans;
        for (const ResolutionService::Planned &p : service.planMany(QStringLiteral("f"), batch.requests)) {
            QVERIFY2(p.plan, qPrintable(p.error));
            plans << *p.plan;
        }
        const QList<ResolveResult> results =
            service.applyMany(plans, {QStringLiteral("the source is right")}, QStringLiteral("policy:source-wins"));
        QVERIFY(results[0].outcome == ResolveResult::Outcome::Failed);
        QVERIFY2(results[0].error.contains(QLatin1String("too long")), qPrintable(results[0].error));
        FlowSides sides(batch.ws, *batch.ws.flow(QStringLiteral("f")));
        sides.open();
        const auto rows = sides.fetch({KeyText{QStringLiteral("K1")}});
        const EncodedRow target = rows[1].value(sides.keyJson({QStringLiteral("K1")}));
        QCOMPARE(target.fields.value(0).value_or(QByteArray()), QByteArray("M1"));
        QCOMPARE(target.fields.value(1).value_or(QByteArray()), QByteArray("101")); // as it was
    }
};

QTEST_GUILESS_MAIN(TestBatchResolution)
#include "tst_batchresolution.moc"
