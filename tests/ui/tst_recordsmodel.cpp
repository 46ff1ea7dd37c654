#include "models/RecordsModel.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

using namespace syncdesk;
using syncdesk::ui::RecordsModel;

// The records view's model: consistent under QAbstractItemModelTester while live batches
// arrive, filtered and sorted as asked, with the selection kept across updates.
class TestRecordsModel : public QObject
{
    Q_OBJECT

    static QByteArray key(int i) { return "[\"SKU" + QByteArray::number(i).rightJustified(7, '0') + "\"]"; }

    static FlowRecords records(const QString &flow, int n, qint64 now)
    {
        FlowRecords r;
        r.flow = flow;
        for (int i = 0; i < n; ++i)
            r.rows.append({key(i), i % 3 == 0 ? RecordStatus::Conflict : RecordStatus::Pending, now - i * 1000});
        return r;
    }

    static QList<QByteArray> column(const RecordsModel &m)
    {
        QList<QByteArray> keys;
        for (int r = 0; r < m.rowCount(); ++r)
            keys << m.keyAt(r);
        return keys;
    }

private slots:
    // Given a desk where 60,000 records fell out of sync and came back over time, when the
    // rows back in sync outnumber the rest, then the model drops them: what is shown, the
    // selection, claims and summaries stay as they were, and memory follows the records
    // out of sync rather than every record ever seen.
    void shouldFreeRowsThatCameBackInSync()
    {
        RecordsModel m(nullptr, 10);
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const qint64 now = 1'800'000'000'000;
        m.setNow(now);
        m.setFlowRecords(records(QStringLiteral("devices"), 60'000, now));
        QCOMPARE(m.rowCount(), 60'000);
        // Keep SKU 59,999 out of sync and claimed; select it.
        const QByteArray keptKey = key(59'999);
        Claim c;
        c.flow = QStringLiteral("devices");
        c.keyJson = keptKey;
        c.operatorName = QStringLiteral("Ana");
        c.claimedAtMs = now;
        c.expiresAtMs = now + 60'000;
        m.setClaims({c});
        int keptRow = -1;
        for (int r = 0; r < m.rowCount() && keptRow < 0; ++r)
            if (m.keyAt(r) == keptKey)
                keptRow = r;
        QVERIFY(keptRow >= 0);
        const QPersistentModelIndex selected = m.index(keptRow, RecordsModel::KeyColumn);
        QList<StatusEvent> back;
        for (int i = 0; i < 59'999; ++i)
            back.append({now, QStringLiteral("devices"), key(i), RecordStatus::InSync, 0});
        back.append({now, QStringLiteral("devices"), key(70'000), RecordStatus::Pending, 5});
        m.addEvents(back);
        m.flushPending();
        QCOMPARE(m.rowCount(), 2);
        QCOMPARE(m.storedRows(), 2);
        QVERIFY(selected.isValid());
        QCOMPARE(m.keyAt(selected.row()), keptKey);
        QCOMPARE(m.claimAt(selected.row())->operatorName, QStringLiteral("Ana"));
        // A record that comes back out of sync after its row was dropped gets a new one.
        m.addEvents({{now, QStringLiteral("devices"), key(7), RecordStatus::Conflict, 0}});
        m.flushPending();
        QCOMPARE(m.rowCount(), 3);
        QCOMPARE(m.keyAt(selected.row()), keptKey);
    }

    // Given a loaded model under the tester, when random batches of status changes arrive
    // (new records, records back in sync, status moves) with filters and sorts changing in
    // between, then the tester finds nothing wrong and the rows match the truth.
    void shouldStayConsistentUnderLiveBatches()
    {
        RecordsModel m(nullptr, 10);
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const qint64 now = 1'800'000'000'000;
        m.setNow(now);
        m.setFlowRecords(records(QStringLiteral("devices"), 500, now));
        m.setFlowRecords(records(QStringLiteral("listings"), 200, now));
        QHash<QByteArray, RecordStatus> truth;
        for (int i = 0; i < 500; ++i)
            truth.insert("devices" + key(i), i % 3 == 0 ? RecordStatus::Conflict : RecordStatus::Pending);
        for (int i = 0; i < 200; ++i)
            truth.insert("listings" + key(i), i % 3 == 0 ? RecordStatus::Conflict : RecordStatus::Pending);
        QCOMPARE(m.rowCount(), 700);

        QRandomGenerator rng(42);
        QPersistentModelIndex kept = m.index(10, RecordsModel::KeyColumn);
        const QByteArray keptKey = m.keyAt(10);
        const QString keptFlow = m.flowAt(10);
        for (int batch = 0; batch < 40; ++batch) {
            QList<StatusEvent> events;
            for (int e = 0; e < 50; ++e) {
                const QString flow = rng.bounded(2) ? QStringLiteral("devices") : QStringLiteral("listings");
                const int k = int(rng.bounded(800));
                const auto status = RecordStatus(rng.bounded(8));
                if (flow + QString::fromUtf8(key(k)) == keptFlow + QString::fromUtf8(keptKey))
                    continue; // the kept row stays alive to follow it
                events.append({now + batch, flow, key(k), status, qint64(rng.bounded(5000))});
                if (status == RecordStatus::InSync)
                    truth.remove(flow.toUtf8() + key(k));
                else
                    truth.insert(flow.toUtf8() + key(k), status);
            }
            m.addEvents(events);
            if (batch % 7 == 0)
                m.sort(int(rng.bounded(quint32(RecordsModel::ColumnCount))),
                       rng.bounded(2) ? Qt::AscendingOrder : Qt::DescendingOrder);
            m.flushPending();
            QVERIFY(kept.isValid());
            QCOMPARE(m.keyAt(kept.row()), keptKey);
        }
        QCOMPARE(m.rowCount(), int(truth.size()));
        QCOMPARE(m.totalRecords(), qint64(truth.size()));
        for (int r = 0; r < m.rowCount(); ++r)
            QCOMPARE(m.statusAt(r), truth.value(m.flowAt(r).toUtf8() + m.keyAt(r)));

        m.setStatusFilter({RecordStatus::Conflict});
        for (int r = 0; r < m.rowCount(); ++r)
            QCOMPARE(m.statusAt(r), RecordStatus::Conflict);
        m.setFlowFilter({QStringLiteral("listings")});
        for (int r = 0; r < m.rowCount(); ++r)
            QCOMPARE(m.flowAt(r), QStringLiteral("listings"));
        m.setStatusFilter({});
        m.setFlowFilter({});
        QCOMPARE(m.rowCount(), int(truth.size()));
    }

    // Given records out of sync since different times, sorting by lag puts the oldest first
    // (descending), and a key filter shows only matching keys, in that order.
    void shouldSortByLagAndFilterByKey()
    {
        RecordsModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const qint64 now = 1'800'000'000'000;
        m.setFlowRecords(records(QStringLiteral("devices"), 30, now));
        m.sort(RecordsModel::LagColumn, Qt::DescendingOrder);
        QCOMPARE(m.keyAt(0), key(29)); // out of sync for 29 s: the most lag
        QCOMPARE(m.keyAt(29), key(0));
        m.setKeyFilter(QStringLiteral("SKU000001"));
        QCOMPARE(column(m), (QList<QByteArray>{key(19), key(18), key(17), key(16), key(15), key(14),
                                               key(13), key(12), key(11), key(10)}));
        m.setNow(now + 60'000);
        QCOMPARE(m.data(m.index(0, RecordsModel::LagColumn)).toString(), QStringLiteral("1 m 19 s"));
        QCOMPARE(m.data(m.index(0, RecordsModel::StatusColumn)).toString(), QStringLiteral("Pending"));
        QVERIFY(!m.data(m.index(0, RecordsModel::StatusColumn), Qt::DecorationRole).isNull());
    }

    // Given rows on screen without a summary, the loader is told which; a summary shows its
    // changed fields and change times, a live change drops it, and an expired one is asked again.
    void shouldShowSummariesUntilTheRowChanges()
    {
        RecordsModel m(nullptr, 10);
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const qint64 now = 1'800'000'000'000;
        m.setFlowRecords(records(QStringLiteral("devices"), 10, now));
        m.sort(RecordsModel::KeyColumn, Qt::AscendingOrder);
        QCOMPARE(m.rowsWithoutSummary(0, 3).size(), 4);
        QCOMPARE(m.data(m.index(0, RecordsModel::ChangedColumn)).toString(), QStringLiteral("…"));

        RecordDetail d;
        d.flow = QStringLiteral("devices");
        d.keyJson = key(0);
        d.state.source = 1;
        d.state.target = 2;
        d.state.sourceChangedAtMs = now - 5000;
        d.fields = {{QStringLiteral("price"), QByteArray("25"), QByteArray("20"), FieldText(QByteArray("20")), FieldChange::ChangedAtSource},
                    {QStringLiteral("grade"), QByteArray("A"), QByteArray("C"), FieldText(QByteArray("B")), FieldChange::ChangedOnBoth},
                    {QStringLiteral("qty"), QByteArray("1"), QByteArray("1"), FieldText(QByteArray("1")), FieldChange::Unchanged}};
        RecordDetail gone = d;
        gone.keyJson = key(1);
        gone.state.target.reset();
        QSignalSpy changed(&m, &QAbstractItemModel::dataChanged);
        m.setSummaries(QStringLiteral("devices"), {d, gone});
        QVERIFY(!changed.isEmpty());
        QCOMPARE(m.data(m.index(0, RecordsModel::ChangedColumn)).toString(), QStringLiteral("price (source), grade (conflict)"));
        QVERIFY(m.data(m.index(0, RecordsModel::SourceChangedColumn)).toString().startsWith(QLatin1String("20")));
        QCOMPARE(m.data(m.index(0, RecordsModel::TargetChangedColumn)).toString(), QString());
        QCOMPARE(m.data(m.index(1, RecordsModel::ChangedColumn)).toString(), QStringLiteral("(no target row)"));
        QCOMPARE(m.rowsWithoutSummary(0, 3).size(), 2);

        // Sorting by a column only rows on screen have is refused; the order stays.
        m.sort(RecordsModel::ChangedColumn, Qt::DescendingOrder);
        QCOMPARE(m.sortColumn(), int(RecordsModel::KeyColumn));
        QCOMPARE(m.keyAt(0), key(0));

        m.addEvents({{now, QStringLiteral("devices"), key(0), RecordStatus::Conflict, 100}});
        m.flushPending();
        QCOMPARE(m.data(m.index(m.keyAt(0) == key(0) ? 0 : 1, RecordsModel::ChangedColumn)).toString(), QStringLiteral("…"));
        m.expireSummaries();
        QCOMPARE(m.rowsWithoutSummary(0, 3).size(), 4);
        QCOMPARE(m.rowsWithoutSummary(0, 3).first().flow, QStringLiteral("devices"));
    }

    // Benchmark-sized, but a test of behaviour: a key filter over 1,000,000 rows finds the one.
    void shouldFilterAMillionRows()
    {
        RecordsModel m;
        m.setFlowRecords(records(QStringLiteral("devices"), 1'000'000, 1'800'000'000'000));
        QCOMPARE(m.rowCount(), 1'000'000);
        QElapsedTimer t;
        t.start();
        m.setKeyFilter(QStringLiteral("SKU0765432"));
        qInfo("key filter over 1,000,000 rows: %lld ms", t.elapsed());
        QCOMPARE(m.rowCount(), 1);
        QCOMPARE(m.keyAt(0), key(765432));
    }
};

QTEST_MAIN(TestRecordsModel)
#include "tst_recordsmodel.moc"
