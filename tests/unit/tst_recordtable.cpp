#include "engine/RecordTable.h"

#include <QRandomGenerator>
#include <QTest>

#include <map>

using namespace syncdesk;

class TestRecordTable : public QObject
{
    Q_OBJECT

private slots:
    // Given random inserts, updates and erases, the table always agrees with std::map.
    void shouldAgreeWithAMapUnderRandomOperations()
    {
        RecordTable table;
        std::map<std::string, quint64> oracle;
        QRandomGenerator rng(42);
        for (int step = 0; step < 200000; ++step) {
            const std::string key = "[\"K" + std::to_string(rng.bounded(5000)) + "\"]";
            const int op = int(rng.bounded(3));
            if (op == 0) {
                TrackedRecord *r = table.find(key);
                if (!r)
                    r = &table.insert(key);
                r->source = quint64(step);
                oracle[key] = quint64(step);
            } else if (op == 1) {
                QCOMPARE(table.erase(key), oracle.erase(key) == 1);
            } else {
                const TrackedRecord *r = table.find(key);
                const auto it = oracle.find(key);
                QCOMPARE(r != nullptr, it != oracle.end());
                if (r)
                    QCOMPARE(r->source, it->second);
            }
            QCOMPARE(table.size(), qsizetype(oracle.size()));
        }
        qsizetype visited = 0;
        table.forEach([&](std::string_view key, const TrackedRecord &r) {
            ++visited;
            QCOMPARE(r.source, oracle.at(std::string(key)));
        });
        QCOMPARE(visited, qsizetype(oracle.size()));
    }

    // Given a record state with every combination of present and absent, it survives packing.
    void shouldPackEveryRecordState_data()
    {
        QTest::addColumn<int>("mask");
        for (int m = 0; m < 16; ++m)
            QTest::addRow("mask %d", m) << m;
    }

    void shouldPackEveryRecordState()
    {
        QFETCH(int, mask);
        RecordState s;
        if (mask & 1)
            s.source = 0xFFFFFFFFFFFFFFFFULL;
        if (mask & 2)
            s.target = 0;
        if (mask & 4)
            s.baseline = (mask & 8) ? RowHash(7) : RowHash();
        s.sourceChangedAtMs = 1234;
        s.targetChangedAtMs = 5678;
        TrackedRecord r;
        r.setState(s);
        const RecordState back = r.state();
        QCOMPARE(back.source, s.source);
        QCOMPARE(back.target, s.target);
        QCOMPARE(back.baseline, s.baseline);
        QCOMPARE(back.sourceChangedAtMs, 1234);
        QCOMPARE(back.targetChangedAtMs, 5678);
        QVERIFY(sizeof(TrackedRecord) <= 48);
    }

    // Given heavy churn, erased keys' bytes are reclaimed instead of growing without bound.
    void shouldReclaimKeysOfErasedRecords()
    {
        RecordTable table;
        for (int round = 0; round < 50; ++round) {
            for (int i = 0; i < 20000; ++i)
                table.insert("[\"round" + std::to_string(round) + "-" + std::to_string(i) + "\"]");
            for (int i = 0; i < 20000; ++i)
                QVERIFY(table.erase("[\"round" + std::to_string(round) + "-" + std::to_string(i) + "\"]"));
        }
        QCOMPARE(table.size(), 0);
        table.insert("[\"last\"]");
        QVERIFY(table.find("[\"last\"]"));
    }
};

QTEST_GUILESS_MAIN(TestRecordTable)
#include "tst_recordtable.moc"
