#include "engine/FlowLedger.h"
#include "model/LagHistogram.h"
#include "policy/PolicyDecision.h"
#include "policy/PolicyGuard.h"

#include <QTest>

using namespace syncdesk;

// The pure parts of policies and accounting: which records a policy acts on and how, the
// guard's window, the lag histogram's bounds, and the ledger's counters and breaches.
class TestPolicyDecision : public QObject
{
    Q_OBJECT

    static RecordState state(qint64 sourceAt, qint64 targetAt)
    {
        return RecordState{RowHash(1), RowHash(2), std::optional<RowHash>(RowHash(0)), sourceAt, targetAt};
    }

private slots:
    void shouldActOnlyOnConflictsAndDrift()
    {
        for (const RecordStatus s : {RecordStatus::InSync, RecordStatus::Pending, RecordStatus::Late,
                                     RecordStatus::MissingInTarget, RecordStatus::MissingInSource,
                                     RecordStatus::Different})
            QCOMPARE(decide(Policy::SourceWins, s, state(1, 2)).kind, PolicyAction::Kind::None);
        QCOMPARE(decide(Policy::Manual, RecordStatus::Conflict, state(1, 2)).kind, PolicyAction::Kind::None);
        QCOMPARE(decide(Policy::SourceWins, RecordStatus::Conflict, state(1, 2)).kind, PolicyAction::Kind::TakeSource);
        QCOMPARE(decide(Policy::TargetWins, RecordStatus::TargetDrift, state(1, 2)).kind, PolicyAction::Kind::TakeTarget);
        QCOMPARE(decide(Policy::MergeFields, RecordStatus::Conflict, state(1, 2)).kind, PolicyAction::Kind::Merge);
    }

    void shouldLetTheNewestWinWithTiesToTheSource()
    {
        QCOMPARE(decide(Policy::NewestWins, RecordStatus::Conflict, state(1000, 2000)).kind, PolicyAction::Kind::TakeTarget);
        QCOMPARE(decide(Policy::NewestWins, RecordStatus::Conflict, state(2000, 1000)).kind, PolicyAction::Kind::TakeSource);
        QCOMPARE(decide(Policy::NewestWins, RecordStatus::Conflict, state(1500, 1500)).kind, PolicyAction::Kind::TakeSource);
        const PolicyAction unknown = decide(Policy::NewestWins, RecordStatus::Conflict, state(0, 1500));
        QCOMPARE(unknown.kind, PolicyAction::Kind::Manual);
        QVERIFY(unknown.why.contains(QStringLiteral("source")));
    }

    void shouldAdmitAtMostTheGuardsShareWithinAMinute()
    {
        QCOMPARE(PolicyGuard::limitFor(500), 100);
        QCOMPARE(PolicyGuard::limitFor(100000), 1000);
        PolicyGuard guard;
        int admitted = 0;
        for (int i = 0; i < 5000; ++i)
            admitted += guard.admit(1000 + i, 100000) ? 1 : 0;
        QCOMPARE(admitted, 1000);
        // A minute after the first ones, room again.
        QVERIFY(!guard.admit(60000, 100000));
        QVERIFY(guard.admit(61000 + 1, 100000));
    }

    void shouldBucketLagsWithinTheirBounds()
    {
        for (qint64 ms : {0LL, 1LL, 2LL, 7LL, 100LL, 1023LL, 1024LL, 1025LL, 59999LL, 300000LL, 86400000LL}) {
            const int b = LagHistogram::bucketOf(ms);
            QVERIFY2(ms < LagHistogram::upperBoundMs(b), qPrintable(QString::number(ms)));
            QVERIFY2(b == 0 || ms >= LagHistogram::upperBoundMs(b - 1), qPrintable(QString::number(ms)));
            QCOMPARE(LagHistogram::bucketFromCounter(LagHistogram::counterName(b)), std::optional<int>(b));
        }
        LagHistogram h;
        for (int i = 1; i <= 100; ++i)
            h.add(i * 10);
        // Upper bounds: never below the true quantile, at most a bucket (9 %) above.
        QVERIFY(h.quantileMs(0.5) >= 500 && h.quantileMs(0.5) <= 500 * 1.1);
        QVERIFY(h.quantileMs(0.99) >= 990 && h.quantileMs(0.99) <= 990 * 1.1);
    }

    void shouldCountChangesArrivalsAndBreaches()
    {
        const qint64 hour = 3600 * 1000;
        const qint64 t0 = 1000 * hour;
        FlowLedger ledger(QStringLiteral("f"), 60000);
        ledger.resume({{QStringLiteral("changes.source.insert"), 5}}, std::nullopt);
        ledger.change(true, ChangeOp::Insert, t0);
        ledger.change(false, ChangeOp::Delete, t0 + hour); // the next hour
        ledger.conflictDetected(t0);
        ledger.arrival("[\"a\"]", 1000, t0);
        ledger.turnedLate("[\"b\"]", 61000, t0 + 10);
        ledger.arrival("[\"b\"]", 90000, t0 + 20);
        ledger.lateRecords(0, t0 + 30);
        QCOMPARE(ledger.total(QStringLiteral("changes.source.insert")), 6);
        StateChanges changes;
        ledger.drain(changes);
        qint64 within = -1, arrivals = -1, deletes = 0;
        for (const ActivityCount &c : changes.counts) {
            if (c.name == u"arrivals_within_sla")
                within = c.value;
            if (c.name == u"arrivals")
                arrivals = c.value;
            if (c.name == u"changes.target.delete") {
                deletes = c.value;
                QCOMPARE(c.hourStartMs, t0 + hour);
            }
        }
        QCOMPARE(arrivals, 2);
        QCOMPARE(within, 1);
        QCOMPARE(deletes, 1);
        QCOMPARE(changes.peaks.size(), 1);
        QCOMPARE(changes.peaks[0].value, 90000);
        QCOMPARE(changes.breaches.size(), 1);
        const SlaBreach &b = changes.breaches[0];
        QCOMPARE(b.startedMs, t0 + 10 - 1000); // when the record crossed its SLA
        QCOMPARE(b.endedMs, std::optional<qint64>(t0 + 30));
        QCOMPARE(b.worstKey, QByteArray("[\"b\"]"));
        QCOMPARE(b.worstLagMs, 90000);
        // Drained: nothing twice.
        StateChanges again;
        ledger.drain(again);
        QVERIFY(again.counts.isEmpty() && again.breaches.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestPolicyDecision)
#include "tst_policydecision.moc"
