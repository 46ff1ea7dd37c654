#include "connectors/PgConnection.h"
#include "feeds/PgLogicalFeed.h"

#include <QRandomGenerator>
#include <QTest>

using syncdesk::PgConnection;
using syncdesk::PgLogicalFeed;

// A feed's position is PostgreSQL's LSN text ("%X/%X"): stored, compared with what the server
// prints, and read back from the horizon of every live read.
class TestLsnText : public QObject
{
    Q_OBJECT

private slots:
    // Given LSNs at the edges of both halves, the text is what PostgreSQL prints for them.
    void shouldPrintAsPostgresDoes()
    {
        QCOMPARE(PgLogicalFeed::formatLsn(0), QStringLiteral("0/0"));
        QCOMPARE(PgLogicalFeed::formatLsn(0x16B3748), QStringLiteral("0/16B3748"));
        QCOMPARE(PgLogicalFeed::formatLsn(0x1ABCDEF00000001ull), QStringLiteral("1ABCDEF/1"));
        QCOMPARE(PgLogicalFeed::formatLsn(~0ull), QStringLiteral("FFFFFFFF/FFFFFFFF"));
    }

    // Given any LSN, reading its text gives it back, in either case of the hex digits.
    void shouldReadBackWhatItPrints()
    {
        QRandomGenerator rng(20261205);
        for (int i = 0; i < 10000; ++i) {
            const int shift = int(rng.bounded(64));
            const quint64 lsn = rng.generate64() >> shift;
            const QString text = PgLogicalFeed::formatLsn(lsn);
            QCOMPARE(PgLogicalFeed::parseLsn(text), lsn);
            QCOMPARE(PgLogicalFeed::parseLsn(text.toLower()), lsn);
        }
    }

    // Given text that is not an LSN, the answer is 0 (no position), never a part of it.
    void shouldRefuseWhatIsNotAnLsn()
    {
        for (const char *bad : {"", "/", "1/", "/1", "1", "G/1", "1/G", "100000000/0", "0/100000000",
                                " 1/2", "1/2 ", "+1/2", "-1/2", "0x1/2", "1//2", "1/2/3"})
            QCOMPARE(PgConnection::parseLsn(bad), 0ull);
        QCOMPARE(PgConnection::parseLsn("ffffffff/0"), 0xFFFFFFFF00000000ull);
    }
};

QTEST_GUILESS_MAIN(TestLsnText)
#include "tst_lsntext.moc"
