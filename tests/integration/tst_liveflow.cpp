#include "TwoSystems.h"
#include "engine/DiffResult.h"
#include "engine/LiveFlow.h"
#include "engine/Reconciler.h"
#include "model/SyncError.h"
#include "state/StateStore.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

using namespace syncdesk;
using testsupport::TestSystem;

namespace {

constexpr qint64 T0 = 1'700'000'000'000; // the tests' clock, ms since the epoch

KeyChange change(ChangeSide side, const QString &sku, qint64 atMs)
{
    return {side, KeyText{sku}, atMs};
}

QByteArray json(const QString &sku)
{
    return QByteArray("[\"") + sku.toUtf8() + QByteArray("\"]");
}

// "key status lag" per event, after checking the event's flow and time.
QStringList describe(const QList<StatusEvent> &events, qint64 nowMs)
{
    QStringList out;
    for (const StatusEvent &e : events) {
        QString line = QStringLiteral("%1 %2 %3")
                           .arg(QString::fromUtf8(e.keyJson), statusName(e.status))
                           .arg(e.lagMs);
        if (e.flow != u"f" || e.tsMs != nowMs)
            line += QStringLiteral(" (flow %1, ts %2)").arg(e.flow).arg(e.tsMs);
        out << line;
    }
    out.sort();
    return out;
}

QStringList keysOf(const QList<StoredBaseline> &list)
{
    QStringList out;
    for (const StoredBaseline &b : list)
        out << b.flow + u' ' + QString::fromUtf8(b.keyJson);
    return out;
}


} // namespace

class TestLiveFlow : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_case = 0;
    TestSystem m_source;
    TestSystem m_target;
    QString m_table;
    Workspace m_ws;
    std::unique_ptr<StateStore> m_store; // the state store start() loads from (empty)

    // Records not in sync: the flow holds every record, in sync too.
    static qint64 outOfSync(const LiveFlow &live)
    {
        return live.trackedRecords() - live.count(RecordStatus::InSync);
    }

    // Both SQLite files get a fresh table of `rows` devices K1..Kn (model Mi, qty i), and the
    // workspace a one-way flow "f" over it with an SLA of `slaSeconds`.
    bool devices(int rows, int slaSeconds, QString *error)
    {
        if (!testsupport::makePairing(QStringLiteral("sqlite->sqlite"), QStringLiteral("live"),
                                      m_dir.path(), &m_source, &m_target, error))
            return false;
        m_table = QStringLiteral("dev%1").arg(++m_case);
        QStringList ddl{QStringLiteral("CREATE TABLE %1 (sku text PRIMARY KEY, model text, "
                                       "qty integer)").arg(m_table)};
        for (int i = 1; i <= rows; ++i)
            ddl << QStringLiteral("INSERT INTO %1 VALUES ('K%2', 'M%2', %2)").arg(m_table).arg(i);
        if (!m_source.exec(ddl, error) || !m_target.exec(ddl, error))
            return false;
        m_ws = testsupport::makeWorkspace(m_source, m_target, m_table, {QStringLiteral("sku")},
                                          {QStringLiteral("model"), QStringLiteral("qty")});
        m_ws.flows.first().slaSeconds = slaSeconds;
        return true;
    }

    // One statement on a side; %1 is the table.
    bool sql(const TestSystem &side, const QString &statement, QString *error)
    {
        return side.exec({statement.arg(m_table)}, error);
    }

    // open() and load() from a full comparison with records and no stored baselines.
    bool start(LiveFlow &live, qint64 nowMs, QList<StatusEvent> *events, StateChanges *changes,
               QString *error, DiffResult *diffOut = nullptr)
    {
        try {
            live.open();
            Workspace stateWs;
            stateWs.state = QDir(m_dir.path()).absoluteFilePath(
                QStringLiteral("load-%1.db").arg(m_case));
            m_store = StateStore::open(stateWs);
            RecordTable scanned;
            const DiffResult diff = LiveFlow::compare(m_ws, m_ws.flows.first(), scanned, {});
            live.load(std::move(scanned), *m_store, nowMs, *events, *changes);
            if (diffOut)
                *diffOut = diff;
            return true;
        } catch (const SyncError &e) {
            *error = e.message();
        }
        return false;
    }

    static bool apply(LiveFlow &live, const QList<KeyChange> &keyChanges, qint64 nowMs,
                      QList<StatusEvent> *events, StateChanges *changes, QString *error)
    {
        events->clear();
        *changes = StateChanges();
        try {
            live.apply(keyChanges, nowMs, *events, *changes);
            return true;
        } catch (const SyncError &e) {
            *error = e.message();
        }
        return false;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // Given a target that lacks K5, differs on K3 and has an extra K9, when the flow loads the
    // first comparison, then those three are tracked with first-comparison statuses and the
    // rest counts as in sync; nothing is persisted.
    void shouldLoadTheFirstComparison()
    {
        QString error;
        QVERIFY2(devices(5, 300, &error), qPrintable(error));
        QVERIFY2(sql(m_target, QStringLiteral("DELETE FROM %1 WHERE sku = 'K5'"), &error)
                     && sql(m_target, QStringLiteral("UPDATE %1 SET model = 'X' WHERE sku = 'K3'"),
                            &error)
                     && sql(m_target, QStringLiteral("INSERT INTO %1 VALUES ('K9', 'M9', 9)"),
                            &error),
                 qPrintable(error));

        LiveFlow live(m_ws, m_ws.flows.first());
        QList<StatusEvent> events;
        StateChanges changes;
        QVERIFY2(start(live, T0, &events, &changes, &error), qPrintable(error));

        QCOMPARE(describe(events, T0),
                 QStringList({QStringLiteral("[\"K3\"] different 0"),
                              QStringLiteral("[\"K5\"] missing_in_target 0"),
                              QStringLiteral("[\"K9\"] missing_in_source 0")}));
        // Nothing to write row by row: the three out of sync have no baseline (a first
        // comparison cannot say who changed); the snapshot holds all six records.
        QVERIFY(changes.isEmpty());
        QCOMPARE(live.snapshot().records, 6);
        QCOMPARE(outOfSync(live), 3);
        QCOMPARE(live.trackedRecords(), 6);
        QCOMPARE(live.count(RecordStatus::InSync), 3);
        QCOMPARE(live.count(RecordStatus::Different), 1);
        QCOMPARE(live.count(RecordStatus::MissingInTarget), 1);
        QCOMPARE(live.count(RecordStatus::MissingInSource), 1);
        QCOMPARE(live.status(json(QStringLiteral("K3"))), std::optional(RecordStatus::Different));
        QCOMPARE(live.status(json(QStringLiteral("K1"))), std::optional(RecordStatus::InSync));
        QCOMPARE(live.state(json(QStringLiteral("K1")))->baseline,
                 std::optional(live.state(json(QStringLiteral("K1")))->source));
        const auto k3 = live.state(json(QStringLiteral("K3")));
        QVERIFY(k3.has_value());
        QVERIFY(!k3->baseline.has_value());
        QVERIFY(k3->source && k3->target && *k3->source != *k3->target);
    }

    // Given a record in sync, when the source changes, then it is pending with the target's row
    // as baseline (persisted with its field values); past the SLA a tick makes it late; when
    // the target catches up it is in sync again and one arrival with lag = target change time
    // − source change time is recorded.
    void shouldFollowAChangeFromPendingToLateToArrival()
    {
        QString error;
        QVERIFY2(devices(3, 10, &error), qPrintable(error));
        LiveFlow live(m_ws, m_ws.flows.first());
        QList<StatusEvent> events;
        StateChanges changes;
        QVERIFY2(start(live, T0, &events, &changes, &error), qPrintable(error));
        QVERIFY(events.isEmpty());
        QCOMPARE(live.count(RecordStatus::InSync), 3);

        // When the source changes K1 at T0 + 1 s, seen at T0 + 1.5 s.
        QVERIFY2(sql(m_source, QStringLiteral("UPDATE %1 SET model = 'new' WHERE sku = 'K1'"),
                     &error),
                 qPrintable(error));
        QVERIFY2(apply(live, {change(ChangeSide::Source, QStringLiteral("K1"), T0 + 1000)},
                       T0 + 1500, &events, &changes, &error),
                 qPrintable(error));

        // Then pending, waiting 500 ms so far.
        QCOMPARE(describe(events, T0 + 1500), QStringList{QStringLiteral("[\"K1\"] pending 500")});
        QCOMPARE(live.count(RecordStatus::Pending), 1);
        QCOMPARE(live.count(RecordStatus::InSync), 2);
        QCOMPARE(outOfSync(live), 1);
        const auto pending = live.state(json(QStringLiteral("K1")));
        QVERIFY(pending.has_value());
        QVERIFY(pending->baseline.has_value() && pending->baseline->has_value());
        QCOMPARE(*pending->baseline, pending->target);
        QVERIFY(pending->source.has_value() && pending->source != pending->target);
        QCOMPARE(pending->sourceChangedAtMs, T0 + 1000);
        QCOMPARE(live.oldestPendingAgeMs(T0 + 2000), 1000);
        // The baseline is persisted: the target's row, which both sides agreed on.
        QCOMPARE(keysOf(changes.upserts), QStringList{QStringLiteral("f [\"K1\"]")});
        QVERIFY(changes.removals.isEmpty());
        const StoredBaseline &stored = changes.upserts.first();
        QCOMPARE(stored.hash, pending->target);
        QCOMPARE(stored.fieldValues, QByteArray("[\"M1\",\"1\"]"));
        QCOMPARE(stored.sourceChangedAtMs, T0 + 1000);

        // When ticks come: at exactly the SLA still pending, one ms later late.
        events.clear();
        live.tick(T0 + 1000 + 10'000, events);
        QVERIFY(events.isEmpty());
        live.tick(T0 + 1000 + 10'001, events);
        QCOMPARE(describe(events, T0 + 11'001),
                 QStringList{QStringLiteral("[\"K1\"] late 10001")});
        QCOMPARE(live.count(RecordStatus::Pending), 0);
        QCOMPARE(live.count(RecordStatus::Late), 1);
        events.clear();
        live.tick(T0 + 20'000, events);
        QVERIFY(events.isEmpty()); // late stays late, without repeating itself

        // When the target catches up at T0 + 12 s, seen at T0 + 12.5 s.
        QVERIFY2(sql(m_target, QStringLiteral("UPDATE %1 SET model = 'new' WHERE sku = 'K1'"),
                     &error),
                 qPrintable(error));
        QVERIFY2(apply(live, {change(ChangeSide::Target, QStringLiteral("K1"), T0 + 12'000)},
                       T0 + 12'500, &events, &changes, &error),
                 qPrintable(error));

        // Then in sync, untracked, its baseline removed, one arrival of 11 s (a breach).
        QCOMPARE(describe(events, T0 + 12'500),
                 QStringList{QStringLiteral("[\"K1\"] in_sync 11000")});
        QCOMPARE(live.count(RecordStatus::Late), 0);
        QCOMPARE(live.count(RecordStatus::InSync), 3);
        QCOMPARE(outOfSync(live), 0);
        // The new agreement is K1's baseline from now on, persisted with its values.
        const auto arrived = live.state(json(QStringLiteral("K1")));
        QVERIFY(arrived.has_value());
        QCOMPARE(*arrived->baseline, arrived->source);
        QCOMPARE(keysOf(changes.upserts), QStringList{QStringLiteral("f [\"K1\"]")});
        QVERIFY(changes.upserts.first().inSync);
        QCOMPARE(changes.upserts.first().hash, arrived->source);
        QCOMPARE(changes.upserts.first().fieldValues, QByteArray("[\"new\",\"1\"]"));
        QVERIFY(changes.removals.isEmpty());
        QCOMPARE(live.lags().totalArrivals(), 1);
        QCOMPARE(live.lags().totalBreaches(), 1);
        QCOMPARE(live.lags().summary(T0 + 12'500, LagStats::HourMs).max, 11'000);
    }

    // Given records in sync, when a change is reported for a key whose rows did not change,
    // then nothing is emitted, tracked or persisted.
    void shouldEmitNothingForAKeyStillInSync()
    {
        QString error;
        QVERIFY2(devices(3, 300, &error), qPrintable(error));
        LiveFlow live(m_ws, m_ws.flows.first());
        QList<StatusEvent> events;
        StateChanges changes;
        QVERIFY2(start(live, T0, &events, &changes, &error), qPrintable(error));

        QVERIFY2(sql(m_source, QStringLiteral("UPDATE %1 SET model = 'M2' WHERE sku = 'K2'"),
                     &error),
                 qPrintable(error));
        QVERIFY2(apply(live,
                       {change(ChangeSide::Source, QStringLiteral("K2"), T0 + 10),
                        change(ChangeSide::Target, QStringLiteral("K3"), T0 + 20),
                        change(ChangeSide::Unknown, QStringLiteral("K1"), 0),
                        change(ChangeSide::Source, QStringLiteral("K404"), T0 + 30)},
                       T0 + 100, &events, &changes, &error),
                 qPrintable(error));

        QVERIFY(events.isEmpty());
        QVERIFY(changes.isEmpty());
        QCOMPARE(outOfSync(live), 0);
        QCOMPARE(live.count(RecordStatus::InSync), 3);
    }

    // Given a flow keyed by one column, when a change names a key with two components (or
    // none), then it is ignored, while a valid key in the same batch is processed.
    void shouldIgnoreKeysWithTheWrongNumberOfComponents()
    {
        QString error;
        QVERIFY2(devices(3, 300, &error), qPrintable(error));
        LiveFlow live(m_ws, m_ws.flows.first());
        QList<StatusEvent> events;
        StateChanges changes;
        QVERIFY2(start(live, T0, &events, &changes, &error), qPrintable(error));
        QVERIFY2(sql(m_source, QStringLiteral("UPDATE %1 SET qty = 100 WHERE sku IN ('K1', "
                                              "'K2')"),
                     &error),
                 qPrintable(error));

        // Only malformed keys: nothing happens (and nothing is fetched for them).
        const KeyChange two{ChangeSide::Source, KeyText{QStringLiteral("K1"), QStringLiteral("x")},
                            T0 + 10};
        const KeyChange none{ChangeSide::Source, KeyText{}, T0 + 10};
        QVERIFY2(apply(live, {two, none}, T0 + 100, &events, &changes, &error),
                 qPrintable(error));
        QVERIFY(events.isEmpty());
        QVERIFY(changes.isEmpty());
        QCOMPARE(outOfSync(live), 0);

        // Mixed with a valid key: only that one counts.
        QVERIFY2(apply(live, {two, change(ChangeSide::Source, QStringLiteral("K2"), T0 + 10)},
                       T0 + 100, &events, &changes, &error),
                 qPrintable(error));
        QCOMPARE(describe(events, T0 + 100), QStringList{QStringLiteral("[\"K2\"] pending 90")});
        QCOMPARE(outOfSync(live), 1);
        QCOMPARE(live.status(json(QStringLiteral("K1"))), std::optional(RecordStatus::InSync));
    }

    // Given a record in sync, when both sides change it differently in one batch, then it is a
    // conflict (their common row is gone, so its baseline is one neither side holds).
    void shouldMarkConflictWhenBothSidesChangeInOneBatch()
    {
        QString error;
        QVERIFY2(devices(3, 300, &error), qPrintable(error));
        LiveFlow live(m_ws, m_ws.flows.first());
        QList<StatusEvent> events;
        StateChanges changes;
        QVERIFY2(start(live, T0, &events, &changes, &error), qPrintable(error));

        QVERIFY2(sql(m_source, QStringLiteral("UPDATE %1 SET model = 'S' WHERE sku = 'K2'"),
                     &error)
                     && sql(m_target, QStringLiteral("UPDATE %1 SET model = 'T' WHERE sku = 'K2'"),
                            &error),
                 qPrintable(error));
        QVERIFY2(apply(live,
                       {change(ChangeSide::Source, QStringLiteral("K2"), T0 + 100),
                        change(ChangeSide::Target, QStringLiteral("K2"), T0 + 200)},
                       T0 + 300, &events, &changes, &error),
                 qPrintable(error));

        QCOMPARE(describe(events, T0 + 300), QStringList{QStringLiteral("[\"K2\"] conflict 0")});
        QCOMPARE(live.count(RecordStatus::Conflict), 1);
        QCOMPARE(live.count(RecordStatus::InSync), 2);
        QCOMPARE(outOfSync(live), 1);
        const auto k2 = live.state(json(QStringLiteral("K2")));
        QVERIFY(k2.has_value() && k2->baseline.has_value());
        QVERIFY(*k2->baseline != k2->source && *k2->baseline != k2->target);
        QCOMPARE(k2->sourceChangedAtMs, T0 + 100);
        QCOMPARE(k2->targetChangedAtMs, T0 + 200);
        QCOMPARE(keysOf(changes.upserts), QStringList{QStringLiteral("f [\"K2\"]")});
        QCOMPARE(changes.upserts.first().hash, *k2->baseline);

        // A conflict never turns late.
        events.clear();
        live.tick(T0 + 3'600'000, events);
        QVERIFY(events.isEmpty());
    }

    // Given a record in sync, when both sides change it to the same row in one batch, then it
    // is still in sync, nothing is emitted, and the new row is its persisted baseline.
    void shouldStayInSyncWhenBothSidesMakeTheSameChange()
    {
        QString error;
        QVERIFY2(devices(3, 300, &error), qPrintable(error));
        LiveFlow live(m_ws, m_ws.flows.first());
        QList<StatusEvent> events;
        StateChanges changes;
        QVERIFY2(start(live, T0, &events, &changes, &error), qPrintable(error));

        const QString same = QStringLiteral("UPDATE %1 SET model = 'S' WHERE sku = 'K2'");
        QVERIFY2(sql(m_source, same, &error) && sql(m_target, same, &error), qPrintable(error));
        QVERIFY2(apply(live,
                       {change(ChangeSide::Source, QStringLiteral("K2"), T0 + 100),
                        change(ChangeSide::Target, QStringLiteral("K2"), T0 + 200)},
                       T0 + 300, &events, &changes, &error),
                 qPrintable(error));
        QVERIFY(events.isEmpty());
        QCOMPARE(keysOf(changes.upserts), QStringList{QStringLiteral("f [\"K2\"]")});
        QVERIFY(changes.upserts.first().inSync);
        QCOMPARE(changes.upserts.first().hash, live.state(json(QStringLiteral("K2")))->source);
        QCOMPARE(live.count(RecordStatus::InSync), 3);
    }

    // Given a source change pending, when the target then changes to a different row in a
    // later batch, then pending turns into conflict.
    void shouldMarkConflictWhenBothSidesChangeInSuccessiveBatches()
    {
        QString error;
        QVERIFY2(devices(3, 300, &error), qPrintable(error));
        LiveFlow live(m_ws, m_ws.flows.first());
        QList<StatusEvent> events;
        StateChanges changes;
        QVERIFY2(start(live, T0, &events, &changes, &error), qPrintable(error));

        QVERIFY2(sql(m_source, QStringLiteral("UPDATE %1 SET model = 'S' WHERE sku = 'K2'"),
                     &error),
                 qPrintable(error));
        QVERIFY2(apply(live, {change(ChangeSide::Source, QStringLiteral("K2"), T0 + 100)},
                       T0 + 150, &events, &changes, &error),
                 qPrintable(error));
        QCOMPARE(describe(events, T0 + 150), QStringList{QStringLiteral("[\"K2\"] pending 50")});
        const RowHash agreed = *live.state(json(QStringLiteral("K2")))->baseline;

        QVERIFY2(sql(m_target, QStringLiteral("UPDATE %1 SET model = 'T' WHERE sku = 'K2'"),
                     &error),
                 qPrintable(error));
        QVERIFY2(apply(live, {change(ChangeSide::Target, QStringLiteral("K2"), T0 + 200)},
                       T0 + 250, &events, &changes, &error),
                 qPrintable(error));

        QCOMPARE(describe(events, T0 + 250), QStringList{QStringLiteral("[\"K2\"] conflict 0")});
        QCOMPARE(live.count(RecordStatus::Pending), 0);
        QCOMPARE(live.count(RecordStatus::Conflict), 1);
        QCOMPARE(live.count(RecordStatus::InSync), 2);
        QCOMPARE(outOfSync(live), 1);
        const auto k2 = live.state(json(QStringLiteral("K2")));
        QVERIFY(k2.has_value());
        QCOMPARE(*k2->baseline, agreed); // still the row both agreed on
        QCOMPARE(k2->sourceChangedAtMs, T0 + 100);
        QCOMPARE(k2->targetChangedAtMs, T0 + 200);
        QCOMPARE(keysOf(changes.upserts), QStringList{QStringLiteral("f [\"K2\"]")});
        QCOMPARE(changes.upserts.first().hash, agreed);
        QVERIFY(live.lags().totalArrivals() == 0);
    }

    // Given a pending source change whose baseline (with its field values) was persisted, when
    // the target changes in a later batch and that batch's changes are persisted too, then the
    // state store still holds the agreed row's field values, not an empty text.
    void shouldKeepTheBaselineFieldValuesWhenATrackedRecordChangesAgain()
    {
        QString error;
        QVERIFY2(devices(3, 300, &error), qPrintable(error));
        Workspace stateWs;
        stateWs.state = QDir(m_dir.path()).absoluteFilePath(
            QStringLiteral("state-%1.db").arg(m_case));
        std::unique_ptr<StateStore> store;
        try {
            store = StateStore::open(stateWs);
        } catch (const SyncError &e) {
            QFAIL(qPrintable(e.message()));
        }
        LiveFlow live(m_ws, m_ws.flows.first());
        QList<StatusEvent> events;
        StateChanges changes;
        QVERIFY2(start(live, T0, &events, &changes, &error), qPrintable(error));

        QVERIFY2(sql(m_source, QStringLiteral("UPDATE %1 SET model = 'S' WHERE sku = 'K2'"),
                     &error),
                 qPrintable(error));
        QVERIFY2(apply(live, {change(ChangeSide::Source, QStringLiteral("K2"), T0 + 100)},
                       T0 + 150, &events, &changes, &error),
                 qPrintable(error));
        store->apply(changes);
        QCOMPARE(store->baselines(QStringLiteral("f")).value(0).fieldValues,
                 QByteArray("[\"M2\",\"2\"]"));

        QVERIFY2(sql(m_target, QStringLiteral("UPDATE %1 SET model = 'T' WHERE sku = 'K2'"),
                     &error),
                 qPrintable(error));
        QVERIFY2(apply(live, {change(ChangeSide::Target, QStringLiteral("K2"), T0 + 200)},
                       T0 + 250, &events, &changes, &error),
                 qPrintable(error));
        store->apply(changes);

        const QList<StoredBaseline> stored = store->baselines(QStringLiteral("f"));
        QCOMPARE(stored.size(), 1);
        QCOMPARE(stored.first().targetChangedAtMs, T0 + 200);
        QCOMPARE(stored.first().fieldValues, QByteArray("[\"M2\",\"2\"]"));
    }

    // Given a scan that only knows "K1 differs" (no feed said which side), when applied, then
    // the side that left K1's baseline is the one that changed: pending, not different.
    void shouldJudgeAnUnknownChangeAgainstTheBaseline()
    {
        QString error;
        QVERIFY2(devices(3, 300, &error), qPrintable(error));
        LiveFlow live(m_ws, m_ws.flows.first());
        QList<StatusEvent> events;
        StateChanges changes;
        QVERIFY2(start(live, T0, &events, &changes, &error), qPrintable(error));

        QVERIFY2(sql(m_source, QStringLiteral("UPDATE %1 SET model = 'S' WHERE sku = 'K1'"),
                     &error),
                 qPrintable(error));
        QVERIFY2(apply(live, {change(ChangeSide::Unknown, QStringLiteral("K1"), 0)}, T0 + 10,
                       &events, &changes, &error),
                 qPrintable(error));
        QCOMPARE(describe(events, T0 + 10), QStringList{QStringLiteral("[\"K1\"] pending 0")});
        const auto k1 = live.state(json(QStringLiteral("K1")));
        QVERIFY(k1.has_value());
        QCOMPARE(*k1->baseline, k1->target);
        QCOMPARE(live.count(RecordStatus::Pending), 1);
    }

    // Given a flow live after its first comparison, when a key appears on the source only
    // (an insert the batch has not copied yet), then it is a new record: pending with its lag,
    // late past the SLA (the alert), never missing_in_target; once copied, in sync.
    void shouldTreatAKeyNewSinceTheFirstComparisonAsPending()
    {
        QString error;
        QVERIFY2(devices(3, 10, &error), qPrintable(error));
        LiveFlow live(m_ws, m_ws.flows.first());
        QList<StatusEvent> events;
        StateChanges changes;
        QVERIFY2(start(live, T0, &events, &changes, &error), qPrintable(error));

        QVERIFY2(sql(m_source, QStringLiteral("INSERT INTO %1 VALUES ('K7', 'M7', 7)"), &error),
                 qPrintable(error));
        QVERIFY2(apply(live, {change(ChangeSide::Source, QStringLiteral("K7"), T0 + 100)}, T0 + 300,
                       &events, &changes, &error),
                 qPrintable(error));
        QCOMPARE(describe(events, T0 + 300), QStringList{QStringLiteral("[\"K7\"] pending 200")});
        QCOMPARE(live.state(json(QStringLiteral("K7")))->baseline, std::optional<RowHash>(RowHash())); // agreed absent
        events.clear();
        live.tick(T0 + 100 + 10'001, events);
        QCOMPARE(describe(events, T0 + 10'101), QStringList{QStringLiteral("[\"K7\"] late 10001")});

        QVERIFY2(sql(m_target, QStringLiteral("INSERT INTO %1 VALUES ('K7', 'M7', 7)"), &error),
                 qPrintable(error));
        QVERIFY2(apply(live, {change(ChangeSide::Target, QStringLiteral("K7"), T0 + 12'000)},
                       T0 + 12'100, &events, &changes, &error),
                 qPrintable(error));
        QCOMPARE(describe(events, T0 + 12'100), QStringList{QStringLiteral("[\"K7\"] in_sync 11900")});
        QCOMPARE(live.count(RecordStatus::InSync), 4);
    }

    // Given a record deleted at the source (pending), when the target deletes it too, then it
    // leaves the table with an in_sync event but is not counted in sync: it no longer exists,
    // and its persisted baseline says both agree it is absent.
    void shouldStopTrackingARecordDeletedOnBothSides()
    {
        QString error;
        QVERIFY2(devices(3, 300, &error), qPrintable(error));
        LiveFlow live(m_ws, m_ws.flows.first());
        QList<StatusEvent> events;
        StateChanges changes;
        QVERIFY2(start(live, T0, &events, &changes, &error), qPrintable(error));

        QVERIFY2(sql(m_source, QStringLiteral("DELETE FROM %1 WHERE sku = 'K3'"), &error),
                 qPrintable(error));
        QVERIFY2(apply(live, {change(ChangeSide::Source, QStringLiteral("K3"), T0 + 100)},
                       T0 + 200, &events, &changes, &error),
                 qPrintable(error));
        QCOMPARE(describe(events, T0 + 200), QStringList{QStringLiteral("[\"K3\"] pending 100")});
        QCOMPARE(live.count(RecordStatus::InSync), 2);
        QVERIFY(!live.state(json(QStringLiteral("K3")))->source.has_value());

        QVERIFY2(sql(m_target, QStringLiteral("DELETE FROM %1 WHERE sku = 'K3'"), &error),
                 qPrintable(error));
        QVERIFY2(apply(live, {change(ChangeSide::Target, QStringLiteral("K3"), T0 + 400)},
                       T0 + 500, &events, &changes, &error),
                 qPrintable(error));
        QCOMPARE(describe(events, T0 + 500), QStringList{QStringLiteral("[\"K3\"] in_sync 300")});
        QCOMPARE(outOfSync(live), 0);
        QCOMPARE(live.trackedRecords(), 2);
        QCOMPARE(live.count(RecordStatus::Pending), 0);
        QCOMPARE(live.count(RecordStatus::InSync), 2);
        QCOMPARE(keysOf(changes.upserts), QStringList{QStringLiteral("f [\"K3\"]")});
        QVERIFY(changes.upserts.first().known && !changes.upserts.first().hash);
    }

    // Given a record in sync, when both sides delete it within one batch, then it is no longer
    // counted in sync either (the same outcome as deleting it in two batches).
    void shouldStopCountingARecordDeletedOnBothSidesInOneBatch()
    {
        QString error;
        QVERIFY2(devices(3, 300, &error), qPrintable(error));
        LiveFlow live(m_ws, m_ws.flows.first());
        QList<StatusEvent> events;
        StateChanges changes;
        QVERIFY2(start(live, T0, &events, &changes, &error), qPrintable(error));

        const QString remove = QStringLiteral("DELETE FROM %1 WHERE sku = 'K3'");
        QVERIFY2(sql(m_source, remove, &error) && sql(m_target, remove, &error),
                 qPrintable(error));
        QVERIFY2(apply(live,
                       {change(ChangeSide::Source, QStringLiteral("K3"), T0 + 100),
                        change(ChangeSide::Target, QStringLiteral("K3"), T0 + 150)},
                       T0 + 200, &events, &changes, &error),
                 qPrintable(error));
        QCOMPARE(live.trackedRecords(), 2);
        QCOMPARE(live.count(RecordStatus::InSync), 2);
    }
};

QTEST_GUILESS_MAIN(TestLiveFlow)
#include "tst_liveflow.moc"
