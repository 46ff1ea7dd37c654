#include "model/KeyInterpolation.h"

#include <QTest>
#include <QUtf8StringView>

#include <string_view>

using namespace syncdesk;

class TestKeyInterpolation : public QObject
{
    Q_OBJECT

    static bool ascending(const QList<QByteArray> &keys)
    {
        for (qsizetype i = 1; i < keys.size(); ++i) {
            if (!(std::string_view(keys[i - 1].constData(), size_t(keys[i - 1].size()))
                  < std::string_view(keys[i].constData(), size_t(keys[i].size()))))
                return false;
        }
        return true;
    }

private slots:
    // Given two integers 1,000 apart cut in ten, then the cuts fall every hundred.
    void shouldCutIntegersEvenly()
    {
        QCOMPARE(KeyInterpolation::integerCuts("-500", "500", 10),
                 QList<QByteArray>({"-400", "-300", "-200", "-100", "0", "100", "200", "300", "400"}));
        // No room between neighbours: no cut.
        QVERIFY(KeyInterpolation::integerCuts("7", "8", 10).isEmpty());
        // The extremes of bigint do not overflow.
        const QList<QByteArray> wide =
            KeyInterpolation::integerCuts("-9223372036854775808", "9223372036854775807", 4);
        QCOMPARE(wide.size(), 3);
        QCOMPARE(wide[1], QByteArray("-1")); // (2^64 - 1) / 2 rounded down
    }

    // Given fixed-width keys of digits (SKU0000000010 …), then they are cut as decimal
    // numbers, evenly spaced, to as many digits as the parts need.
    void shouldCutDigitKeysAsDecimals()
    {
        const QList<QByteArray> anchors{"SKU0000001000", "SKU0000003000", "SKU0000002000"};
        const QList<QByteArray> cuts = KeyInterpolation::textCuts("SKU0000001000", "SKU0000002000", 4, anchors);
        QCOMPARE(cuts, QList<QByteArray>({"SKU000000125", "SKU000000150", "SKU000000175"}));
    }

    // Given anchors that show only two digits at a position, then the other digits still get
    // their share of cuts (a digit stands for all digits).
    void shouldFillADigitPositionWhole()
    {
        const QList<QByteArray> cuts = KeyInterpolation::textCuts("K10", "K90", 8, {"K10", "K90"});
        QCOMPARE(cuts, QList<QByteArray>({"K20", "K30", "K40", "K50", "K60", "K70", "K80"}));
    }

    // Given keys of different lengths and letters, then the cuts are strictly between and
    // ascending in byte order.
    void shouldKeepCutsBetweenAndAscending()
    {
        const QList<QByteArray> anchors{"apple", "b", "banana", "cherry", "kiwi", "zz"};
        const QList<QByteArray> cuts = KeyInterpolation::cuts(KeyInterpolation::Kind::Text, anchors, 1000, 10);
        QVERIFY(cuts.size() > anchors.size() * 10);
        QVERIFY(ascending(cuts));
        for (const QByteArray &a : anchors)
            QVERIFY(cuts.contains(a));
    }

    // Given keys with characters of several bytes, then no cut splits a character (the cuts
    // travel as text parameters).
    void shouldNeverCutInsideACharacter()
    {
        const QList<QByteArray> anchors{QByteArray("caf\xc3\xa9"), QByteArray("\xc3\xa9t\xc3\xa9"),
                                        QByteArray("\xf0\x9f\x98\x80x")};
        const QList<QByteArray> cuts = KeyInterpolation::cuts(KeyInterpolation::Kind::Text, anchors, 5000, 10);
        QVERIFY(ascending(cuts));
        for (const QByteArray &c : cuts)
            QVERIFY2(QUtf8StringView(c).isValidUtf8(), c.toHex().constData());
    }
};

QTEST_APPLESS_MAIN(TestKeyInterpolation)
#include "tst_keyinterpolation.moc"
