#include "audit/AuditVerifier.h"
#include "state/StateStore.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

using namespace syncdesk;

class TestAuditChain : public QObject
{
    Q_OBJECT

    static QList<AuditRow> chain(int n)
    {
        QList<AuditRow> rows;
        QByteArray previous(64, '0');
        for (int i = 1; i <= n; ++i) {
            const QByteArray entry = StateStore::canonicalJson(
                QJsonObject{{QStringLiteral("n"), i}, {QStringLiteral("a"), QStringLiteral("x")}});
            rows.append({i, entry, previous, StateStore::chainHash(previous, entry)});
            previous = rows.last().hash;
        }
        return rows;
    }

private slots:
    // The chain hash is plain SHA-256 over prev_hash ‖ entry, so anyone can recompute it with
    // standard tools (this value is `printf '%s{}' 000…000 | sha256sum`).
    void shouldHashAsSha256OfPrevHashThenEntry()
    {
        QCOMPARE(StateStore::chainHash(QByteArray(64, '0'), "{}"),
                 QByteArray("5508d2b710e64bc470079e1b211d9c58e21011e59d0559e422345dc19d659a75"));
    }

    void shouldWriteCanonicalJsonWithSortedKeys()
    {
        QCOMPARE(StateStore::canonicalJson(QJsonObject{{QStringLiteral("b"), 1},
                                                       {QStringLiteral("a"), QJsonArray{QStringLiteral("é")}}}),
                 QByteArray("{\"a\":[\"\xc3\xa9\"],\"b\":1}"));
    }

    void shouldAcceptAnIntactChain()
    {
        const ChainCheck c = verifyChain(chain(5));
        QVERIFY(c.intact);
        QCOMPARE(c.entries, 5);
        QCOMPARE(c.headHash, chain(5).last().hash);
        QVERIFY(verifyChain({}).intact);
    }

    void shouldNameTheFirstBadEntry_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<qint64>("badSeq");
        QTest::newRow("modified") << 0 << qint64(3);
        QTest::newRow("deleted") << 1 << qint64(3);
        QTest::newRow("swapped") << 2 << qint64(2);
    }

    void shouldNameTheFirstBadEntry()
    {
        QFETCH(int, kind);
        QFETCH(qint64, badSeq);
        QList<AuditRow> rows = chain(5);
        if (kind == 0) {
            rows[2].entry[5] = 'y';
        } else if (kind == 1) {
            rows.removeAt(2);
        } else {
            std::swap(rows[1].seq, rows[2].seq); // entry 3 now stands as entry 2
            rows.swapItemsAt(1, 2);
        }
        const ChainCheck c = verifyChain(rows);
        QVERIFY(!c.intact);
        QCOMPARE(c.badSeq, badSeq);
    }
};

QTEST_GUILESS_MAIN(TestAuditChain)
#include "tst_auditchain.moc"
