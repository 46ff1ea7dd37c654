// WaitingRecords against a plain map of what is true: randomized notes, removals and ticks must
// give the same oldest wait and the same due records, and its orders must stay bounded by the
// records that wait however many waits come and go.
#include "TestSeed.h"
#include "engine/WaitingRecords.h"

#include <QMap>
#include <QRandomGenerator>
#include <QtTest>

#include <algorithm>

using namespace syncdesk;

class TestWaitingRecords : public QObject
{
    Q_OBJECT

    struct Truth
    {
        qint64 sinceMs;
        RecordStatus status;
    };

    static qint64 oldestOf(const QMap<QByteArray, Truth> &truth)
    {
        qint64 oldest = 0;
        for (const Truth &t : truth)
            if (t.sinceMs > 0 && (oldest == 0 || t.sinceMs < oldest))
                oldest = t.sinceMs;
        return oldest;
    }

private slots:
    void shouldAgreeWithAPlainMapOfWaits()
    {
        const quint32 seed = testsupport::seedFrom("SYNCDESK_WAITING_SEED");
        qInfo("seed %u (SYNCDESK_WAITING_SEED repeats it)", seed);
        QRandomGenerator rng(seed);
        WaitingRecords waiting;
        QMap<QByteArray, Truth> truth; // the waiting records only
        constexpr int Keys = 300;
        qint64 now = 1'000'000;
        for (int step = 0; step < 40000; ++step) {
            const QByteArray key = "[" + QByteArray::number(rng.bounded(Keys)) + "]";
            const int op = int(rng.bounded(100));
            if (op < 70) {
                // A change: any status, a wait since a recent time (sometimes unknown, 0).
                const auto status = RecordStatus(rng.bounded(8));
                const qint64 since = rng.bounded(10) == 0 ? 0 : now - rng.bounded(5000);
                waiting.note(key, status, since);
                if (status == RecordStatus::Pending || status == RecordStatus::Late)
                    truth.insert(key, {since, status});
                else
                    truth.remove(key);
            } else if (op < 80) {
                waiting.remove(key);
                truth.remove(key);
            } else {
                // A tick: the due pending records turn late, as LiveFlow::tick() does; one in
                // ten is put back instead, as a record classify() still calls pending would be.
                now += rng.bounded(1000);
                const qint64 until = now - 2000;
                QList<QByteArray> expected;
                for (auto it = truth.cbegin(); it != truth.cend(); ++it)
                    if (it->status == RecordStatus::Pending && it->sinceMs > 0 && it->sinceMs <= until)
                        expected.append(it.key());
                const QList<QByteArray> due = waiting.takePendingSince(until);
                QList<QByteArray> sortedDue = due;
                std::sort(sortedDue.begin(), sortedDue.end());
                QCOMPARE(sortedDue, expected); // QMap iterates in key order
                for (qsizetype i = 1; i < due.size(); ++i)
                    QVERIFY(truth.value(due[i - 1]).sinceMs <= truth.value(due[i]).sinceMs); // oldest first
                for (const QByteArray &k : due) {
                    if (rng.bounded(10) == 0) {
                        waiting.requeue(k);
                    } else {
                        waiting.note(k, RecordStatus::Late, truth.value(k).sinceMs);
                        truth[k].status = RecordStatus::Late;
                    }
                }
            }
            QCOMPARE(waiting.size(), qsizetype(truth.size()));
            QCOMPARE(waiting.oldestSinceMs(), oldestOf(truth));
            QVERIFY2(waiting.marks() <= size_t(2 * truth.size()) + 1024 + 1,
                     qPrintable(QStringLiteral("%1 marks for %2 records").arg(waiting.marks()).arg(truth.size())));
        }
    }

    // A wait that ends leaves no trace: a hundred thousand records waiting one at a time keep the
    // orders small.
    void shouldForgetWaitsThatEnded()
    {
        WaitingRecords waiting;
        for (int i = 0; i < 100000; ++i) {
            const QByteArray key = QByteArray::number(i);
            waiting.note(key, RecordStatus::Pending, 1000 + i);
            waiting.note(key, RecordStatus::InSync, 0);
        }
        QCOMPARE(waiting.size(), qsizetype(0));
        QCOMPARE(waiting.oldestSinceMs(), qint64(0));
        QVERIFY(waiting.marks() <= 1025);
        QVERIFY(waiting.takePendingSince(1'000'000).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestWaitingRecords)
#include "tst_waitingrecords.moc"
