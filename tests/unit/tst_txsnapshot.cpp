#include "connectors/TxSnapshot.h"

#include <QTest>

using syncdesk::TxSnapshot;

// A read's snapshot decides whether the engine believes that read or the change stream's
// image of a row: a wrong answer shows a record pending when it is in conflict.
class TestTxSnapshot : public QObject
{
    Q_OBJECT

private slots:
    // Given a snapshot with transactions in progress, a transaction is seen when it finished
    // before the snapshot, and not when it was running or began after.
    void shouldSeeOnlyWhatFinishedBeforeIt()
    {
        const std::optional<TxSnapshot> s = TxSnapshot::parse("100:110:103,105");
        QVERIFY(s);
        QVERIFY(s->sees(99));
        QVERIFY(s->sees(100)); // not listed as running: it had finished
        QVERIFY(s->sees(104));
        QVERIFY(!s->sees(103));
        QVERIFY(!s->sees(105));
        QVERIFY(!s->sees(110));
        QVERIFY(!s->sees(111));
        const std::optional<TxSnapshot> idle = TxSnapshot::parse("42:42:");
        QVERIFY(idle);
        QVERIFY(idle->sees(41));
        QVERIFY(!idle->sees(42));
    }

    // Given 64-bit ids past one wraparound of the 32-bit ids a stream tells, the 32-bit id is
    // read in the snapshot's epoch, on either side of the 2^32 boundary.
    void shouldPlaceA32BitIdInTheSnapshotsEpoch()
    {
        const quint64 epoch = quint64(3) << 32;
        const QByteArray text = QByteArray::number(epoch - 5) + ':' + QByteArray::number(epoch + 5) + ':'
                                + QByteArray::number(epoch - 2) + ',' + QByteArray::number(epoch + 1);
        const std::optional<TxSnapshot> s = TxSnapshot::parse(text.toStdString());
        QVERIFY(s);
        QVERIFY(s->sees(0xFFFFFFFFu - 10)); // epoch - 11: before xmin
        QVERIFY(s->sees(0xFFFFFFFFu - 2));  // epoch - 3: finished
        QVERIFY(!s->sees(0xFFFFFFFFu - 1)); // epoch - 2: running
        QVERIFY(s->sees(0));                // epoch + 0: finished
        QVERIFY(!s->sees(1));               // epoch + 1: running
        QVERIFY(!s->sees(5));               // xmax
    }

    // Given text that is not a snapshot, there is none (the engine then trusts no image).
    void shouldRefuseWhatIsNotASnapshot()
    {
        for (const char *bad : {"", "1", "1:", ":1:", "5:4:", "1:5:7", "1:5:0", "a:b:", "1:5:2,,3", "1:5:2,x"})
            QVERIFY2(!TxSnapshot::parse(bad), bad);
    }
};

QTEST_GUILESS_MAIN(TestTxSnapshot)
#include "tst_txsnapshot.moc"
