// Unit tests for the order-preserving key encoding (KeyCodec) and the row encoder that packs
// keys, row hashes and details into a ScanBatch.

#include "model/FieldValue.h"
#include "model/KeyCodec.h"
#include "model/RowEncoder.h"
#include "model/ScanBatch.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QRandomGenerator>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace syncdesk {

namespace {

std::string_view view(const QByteArray &b)
{
    return std::string_view(b.constData(), size_t(b.size()));
}

// The merge's comparison: memcmp over the common length, then the shorter key first.
int compareKeys(std::string_view a, std::string_view b)
{
    const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
    if (c != 0)
        return c;
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

QByteArray hexOf(std::string_view s)
{
    return QByteArray(s.data(), qsizetype(s.size())).toHex(' ');
}

// Encodes one component; an empty result means the codec refused the value.
std::string encode(FieldClass cls, const RawValue &value)
{
    std::string out, scratch;
    if (!KeyCodec::appendComponent(cls, value, out, scratch))
        return {};
    return out;
}

std::string encodeText(FieldClass cls, const QByteArray &text)
{
    return encode(cls, RawValue::text(view(text)));
}

std::string encodeComposite(const QList<FieldClass> &classes, const QList<RawValue> &values)
{
    std::string out, scratch;
    for (qsizetype i = 0; i < classes.size(); ++i) {
        if (!KeyCodec::appendComponent(classes[i], values[i], out, scratch))
            return {};
    }
    return out;
}

// Checks that the encodings of `ascending` (strictly increasing values of `cls`) are strictly
// increasing under compareKeys, for every pair, not only neighbours.
void verifyStrictOrder(FieldClass cls, const QList<QByteArray> &ascending)
{
    std::vector<std::string> keys;
    for (const QByteArray &text : ascending) {
        keys.push_back(encodeText(cls, text));
        QVERIFY2(!keys.back().empty(), text.constData());
    }
    for (size_t i = 0; i < keys.size(); ++i) {
        for (size_t j = i + 1; j < keys.size(); ++j) {
            const QByteArray message = "expected '" + ascending[qsizetype(i)] + "' < '"
                                       + ascending[qsizetype(j)] + "' but encodings are "
                                       + hexOf(keys[i]) + " and " + hexOf(keys[j]);
            QVERIFY2(compareKeys(keys[i], keys[j]) < 0, message.constData());
        }
    }
}

} // namespace

class KeyCodecTest : public QObject
{
    Q_OBJECT

private slots:
    // KeyCodec: order
    void shouldOrderNumericKeysByValue();
    void shouldOrderRandomIntegersByValue();
    void shouldOrderRandomDoublesByValue();
    void shouldOrderMixedIntegerTextAndRealNumericsByValue();
    void shouldEncodeEqualNumbersIdentically_data();
    void shouldEncodeEqualNumbersIdentically();
    void shouldOrderTextKeysByBytes();
    void shouldOrderInstantKeysChronologically();
    void shouldEncodeEqualInstantsIdentically();
    void shouldKeepInstantsWithLongFractionsDistinct();
    void shouldOrderInstantKeysFromEpochSeconds_data();
    void shouldOrderInstantKeysFromEpochSeconds();
    void shouldSortNullAfterAnyPresentValue_data();
    void shouldSortNullAfterAnyPresentValue();
    void shouldRefuseNonNumericTextInNumericKey();

    // KeyCodec: composite keys
    void shouldKeepCompositeKeysUnambiguous_data();
    void shouldKeepCompositeKeysUnambiguous();
    void shouldOrderCompositeKeysLexicographically();

    // RowEncoder
    void shouldTreatNullAsDistinctFromEmptyText();
    void shouldMakeFieldOrderMatter();
    void shouldNotConfuseFieldBoundaries();
    void shouldGiveSameHashForSameValues();
    void shouldGiveSameHashForEqualValuesInDifferentRepresentations();
    void shouldFillKeysAndHashesWithoutDetails();
    void shouldFillFieldHashesAndDisplayKeysWithDetails();
    void shouldWriteDisplayKeysAsJson_data();
    void shouldWriteDisplayKeysAsJson();
    void shouldRefuseRowWithNonNumericTextInNumericKey();
};

// ---- KeyCodec: order ----------------------------------------------------------------------

void KeyCodecTest::shouldOrderNumericKeysByValue()
{
    // Given decimal texts in increasing numeric order, with the specials at both ends and NaN
    // above everything (PostgreSQL's numeric order)
    const QList<QByteArray> ascending{
        "-Infinity", "-1e10",  "-1000", "-10.5", "-10",  "-9",   "-1.25", "-1.2",
        "-1",        "-0.5",   "-0.01", "-0.001", "0",   "0.001", "0.01", "0.5",
        "1",         "1.2",    "1.25",  "9",     "10",  "10.5", "100",  "1e10",
        "1.5e10",    "2e10",   "Infinity", "NaN"};

    // When each is encoded, Then memcmp order equals numeric order
    verifyStrictOrder(FieldClass::Numeric, ascending);
}

void KeyCodecTest::shouldOrderRandomIntegersByValue()
{
    // Given a few hundred integers, extremes included
    QRandomGenerator rng(20240101);
    std::vector<qint64> values{std::numeric_limits<qint64>::min(),
                               std::numeric_limits<qint64>::max(), 0, -1, 1, 9, 10, 99, 100};
    for (int i = 0; i < 400; ++i) {
        const int bits = int(rng.bounded(64)) + 1;
        qint64 v = qint64(rng.generate64() >> (64 - bits));
        if (rng.bounded(2) && v != std::numeric_limits<qint64>::min())
            v = -v;
        values.push_back(v);
    }
    std::sort(values.begin(), values.end());

    // When encoded, Then neighbours in numeric order are in key order (equal when equal)
    std::string previous;
    for (size_t i = 0; i < values.size(); ++i) {
        const std::string key = encode(FieldClass::Numeric, RawValue::ofInteger(values[i]));
        QVERIFY(!key.empty());
        if (i > 0) {
            const int expected = values[i - 1] < values[i] ? -1 : 0;
            const int actual = compareKeys(previous, key);
            QVERIFY2((actual < 0 ? -1 : actual) == expected,
                     qPrintable(QStringLiteral("%1 vs %2").arg(values[i - 1]).arg(values[i])));
        }
        previous = key;
    }
}

void KeyCodecTest::shouldOrderRandomDoublesByValue()
{
    // Given a few hundred doubles over many magnitudes, both signs
    QRandomGenerator rng(42);
    std::vector<double> values{0.0, 1.0, -1.0, 0.1, 0.2, 0.30000000000000004, 0.3, 1e-300,
                               -1e-300, 1e300, -1e300, 5e-324,
                               std::numeric_limits<double>::max(),
                               std::numeric_limits<double>::lowest()};
    for (int i = 0; i < 400; ++i) {
        const double mantissa = rng.generateDouble() * 10.0;
        const int exponent = int(rng.bounded(61)) - 30;
        double v = mantissa * std::pow(10.0, exponent);
        if (rng.bounded(2))
            v = -v;
        values.push_back(v);
    }
    std::sort(values.begin(), values.end());

    // When encoded, Then the encoded order equals the numeric order
    std::string previous;
    for (size_t i = 0; i < values.size(); ++i) {
        const std::string key = encode(FieldClass::Numeric, RawValue::ofReal(values[i]));
        QVERIFY(!key.empty());
        if (i > 0) {
            const int expected = values[i - 1] < values[i] ? -1 : 0;
            const int actual = compareKeys(previous, key);
            QVERIFY2((actual < 0 ? -1 : actual) == expected,
                     qPrintable(QStringLiteral("%1 vs %2")
                                    .arg(values[i - 1], 0, 'g', 17)
                                    .arg(values[i], 0, 'g', 17)));
        }
        previous = key;
    }
}

void KeyCodecTest::shouldOrderMixedIntegerTextAndRealNumericsByValue()
{
    // Given the same column read as SQLite INTEGER, REAL and PostgreSQL text
    const std::string nine = encode(FieldClass::Numeric, RawValue::ofInteger(9));
    const std::string nineAndHalf = encode(FieldClass::Numeric, RawValue::text("9.5"));
    const std::string ten = encode(FieldClass::Numeric, RawValue::ofReal(10.0));
    const std::string tenText = encode(FieldClass::Numeric, RawValue::text("10.000"));

    // Then the representation does not matter, only the value
    QVERIFY(compareKeys(nine, nineAndHalf) < 0);
    QVERIFY(compareKeys(nineAndHalf, ten) < 0);
    QCOMPARE(ten, tenText);
}

void KeyCodecTest::shouldEncodeEqualNumbersIdentically_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");

    QTest::newRow("trailing zero") << QByteArray("1.10") << QByteArray("1.1");
    QTest::newRow("exponent") << QByteArray("1e3") << QByteArray("1000");
    QTest::newRow("negative zero") << QByteArray("-0") << QByteArray("0.000");
    QTest::newRow("leading zeros") << QByteArray("007") << QByteArray("7");
    QTest::newRow("small exponent") << QByteArray("1.5E-2") << QByteArray("0.015");
}

void KeyCodecTest::shouldEncodeEqualNumbersIdentically()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);

    const std::string ka = encodeText(FieldClass::Numeric, a);
    const std::string kb = encodeText(FieldClass::Numeric, b);
    QVERIFY(!ka.empty());
    QCOMPARE(hexOf(ka), hexOf(kb));
}

void KeyCodecTest::shouldOrderTextKeysByBytes()
{
    // Given texts in byte order: case matters ('B' < 'a'), a prefix sorts first, an embedded
    // NUL sorts between the prefix and the next byte, UTF-8 sorts above ASCII
    const QList<QByteArray> ascending{
        QByteArray(""),         QByteArray("A"),           QByteArray("AB"),
        QByteArray("B"),        QByteArray("a"),           QByteArray("a\0", 2),
        QByteArray("a\0\0", 3), QByteArray("a\0b", 3),     QByteArray("a\x01", 2),
        QByteArray("a1"),       QByteArray("ab"),          QByteArray("z"),
        QByteArray("\xc3\xa9"), QByteArray("\xff\xff", 2)};

    // When encoded, Then memcmp order equals byte order
    verifyStrictOrder(FieldClass::Text, ascending);
}

void KeyCodecTest::shouldOrderInstantKeysChronologically()
{
    // Given instants in chronological order, written in mixed zones and with fractions
    const QList<QByteArray> ascending{
        "-infinity",
        "1969-12-31T23:59:59Z",
        "1970-01-01 00:00:00+00",
        "2024-01-01T00:00:05Z",
        "2024-01-01T00:00:05.000001Z",
        "2024-01-01T00:00:05.123456Z",
        "2024-01-01T00:00:05.5Z",
        "2024-01-01 02:00:05.9+02",
        "2024-01-01T00:00:06Z",
        "2023-12-31 23:00:07-01:00",
        "2024-02-29T23:59:59Z",
        "9999-12-31T23:59:59Z",
        "infinity"};

    verifyStrictOrder(FieldClass::Instant, ascending);
}

void KeyCodecTest::shouldEncodeEqualInstantsIdentically()
{
    // Given one instant as PostgreSQL text, ISO with an offset and SQLite epoch seconds
    const std::string pg = encode(FieldClass::Instant, RawValue::text("2024-01-01 00:00:01+00"));
    const std::string iso =
        encode(FieldClass::Instant, RawValue::text("2024-01-01T02:00:01.000+02:00"));
    const std::string epoch = encode(FieldClass::Instant, RawValue::ofInteger(1704067201));

    // Then all three encode to the same bytes
    QVERIFY(!pg.empty());
    QCOMPARE(hexOf(iso), hexOf(pg));
    QCOMPARE(hexOf(epoch), hexOf(pg));
}

void KeyCodecTest::shouldKeepInstantsWithLongFractionsDistinct()
{
    // Given instants that differ only in the tenth fractional digit (SQLite text may hold
    // any number of digits; canonical text keeps them all)
    const QList<QByteArray> ascending{"2024-01-01T00:00:05.123456789Z",
                                      "2024-01-01T00:00:05.1234567891Z",
                                      "2024-01-01T00:00:05.1234567892Z"};

    // Then their keys are distinct and ordered, like their canonical texts
    verifyStrictOrder(FieldClass::Instant, ascending);
}

void KeyCodecTest::shouldOrderInstantKeysFromEpochSeconds_data()
{
    QTest::addColumn<qint64>("earlier");
    QTest::addColumn<qint64>("later");

    QTest::newRow("across the epoch") << qint64(-1) << qint64(0);
    QTest::newRow("one second") << qint64(1704067200) << qint64(1704067201);
    QTest::newRow("one day") << qint64(1709164800) << qint64(1709251200);
    QTest::newRow("decades") << qint64(86400) << qint64(1704067201);
    QTest::newRow("year 9999 to year 10000") << qint64(253402300799) << qint64(253402300800);
}

void KeyCodecTest::shouldOrderInstantKeysFromEpochSeconds()
{
    QFETCH(qint64, earlier);
    QFETCH(qint64, later);

    // Given two SQLite integer timestamps, When encoded as instant keys
    const std::string a = encode(FieldClass::Instant, RawValue::ofInteger(earlier));
    const std::string b = encode(FieldClass::Instant, RawValue::ofInteger(later));

    // Then the earlier sorts first
    QVERIFY(!a.empty() && !b.empty());
    QVERIFY2(compareKeys(a, b) < 0, (hexOf(a) + " vs " + hexOf(b)).constData());
}

void KeyCodecTest::shouldSortNullAfterAnyPresentValue_data()
{
    QTest::addColumn<int>("cls");
    QTest::addColumn<QByteArray>("largest");

    QTest::newRow("text") << int(FieldClass::Text) << QByteArray("\xff\xff\xff");
    QTest::newRow("numeric NaN") << int(FieldClass::Numeric) << QByteArray("NaN");
    QTest::newRow("numeric Infinity") << int(FieldClass::Numeric) << QByteArray("Infinity");
    QTest::newRow("numeric large") << int(FieldClass::Numeric) << QByteArray("1e300");
    QTest::newRow("instant infinity") << int(FieldClass::Instant) << QByteArray("infinity");
    QTest::newRow("boolean") << int(FieldClass::Boolean) << QByteArray("true");
    QTest::newRow("bytes") << int(FieldClass::Bytes) << QByteArray("\xff\xff");
}

void KeyCodecTest::shouldSortNullAfterAnyPresentValue()
{
    QFETCH(int, cls);
    QFETCH(QByteArray, largest);

    // Given the largest present value of a class and a NULL
    const std::string present = encodeText(FieldClass(cls), largest);
    const std::string null = encode(FieldClass(cls), RawValue::null());

    // Then NULL sorts last (NULLS LAST, as the scans order)
    QVERIFY(!present.empty());
    QVERIFY(!null.empty());
    QVERIFY(compareKeys(present, null) < 0);
}

void KeyCodecTest::shouldRefuseNonNumericTextInNumericKey()
{
    // Given a text that is not a number in a numeric key
    std::string out = "prefix";
    std::string scratch;

    // When it is encoded
    const bool ok = KeyCodec::appendComponent(FieldClass::Numeric, RawValue::text("n/a"), out,
                                              scratch);

    // Then the codec refuses it, since the order is then unknown
    QVERIFY(!ok);
}

// ---- KeyCodec: composite keys -------------------------------------------------------------

void KeyCodecTest::shouldKeepCompositeKeysUnambiguous_data()
{
    QTest::addColumn<QByteArray>("a1");
    QTest::addColumn<QByteArray>("a2");
    QTest::addColumn<QByteArray>("b1");
    QTest::addColumn<QByteArray>("b2");

    QTest::newRow("separator inside values") << QByteArray("a|b") << QByteArray("c")
                                             << QByteArray("a") << QByteArray("b|c");
    QTest::newRow("shifted boundary") << QByteArray("ab") << QByteArray("")
                                      << QByteArray("a") << QByteArray("b");
    QTest::newRow("empty first component") << QByteArray("") << QByteArray("ab")
                                           << QByteArray("a") << QByteArray("b");
    QTest::newRow("embedded NUL") << QByteArray("a\0", 2) << QByteArray("b")
                                  << QByteArray("a") << QByteArray("\0b", 2);
    // The terminator and presence bytes written as data must not fake a boundary.
    QTest::newRow("terminator bytes as data")
        << QByteArray("a\0\x01\x01" "b", 5) << QByteArray("c") << QByteArray("a")
        << QByteArray("b");
}

void KeyCodecTest::shouldKeepCompositeKeysUnambiguous()
{
    QFETCH(QByteArray, a1);
    QFETCH(QByteArray, a2);
    QFETCH(QByteArray, b1);
    QFETCH(QByteArray, b2);

    // Given two different two-column text keys whose concatenations may coincide
    const QList<FieldClass> classes{FieldClass::Text, FieldClass::Text};
    const std::string a = encodeComposite(classes, {RawValue::text(view(a1)),
                                                    RawValue::text(view(a2))});
    const std::string b = encodeComposite(classes, {RawValue::text(view(b1)),
                                                    RawValue::text(view(b2))});

    // Then their encodings differ, and neither is a prefix of the other
    QVERIFY(!a.empty() && !b.empty());
    QVERIFY2(a != b, hexOf(a).constData());
    QVERIFY(std::string_view(a).substr(0, b.size()) != b);
    QVERIFY(std::string_view(b).substr(0, a.size()) != a);
}

void KeyCodecTest::shouldOrderCompositeKeysLexicographically()
{
    // Given (text, numeric) keys in lexicographic order by component
    const QList<FieldClass> classes{FieldClass::Text, FieldClass::Numeric};
    const QList<std::pair<QByteArray, QByteArray>> ascending{
        {"", "5"},     {"a", "-10"},     {"a", "-1"},    {"a", "2"},  {"a", "10"},
        {"a", "NaN"},  {"a", QByteArray()}, // QByteArray() stands for NULL
        {QByteArray("a\0", 2), "1"}, {"ab", "-100"},   {"b", "0"},     {"b", "1e10"}};
    std::vector<std::string> keys;
    for (const auto &[text, number] : ascending) {
        const RawValue second =
            number.isNull() ? RawValue::null() : RawValue::text(view(number));
        keys.push_back(encodeComposite(classes, {RawValue::text(view(text)), second}));
        QVERIFY(!keys.back().empty());
    }

    // Then the encoded keys are in the same order, pair by pair
    for (size_t i = 0; i < keys.size(); ++i) {
        for (size_t j = i + 1; j < keys.size(); ++j) {
            QVERIFY2(compareKeys(keys[i], keys[j]) < 0,
                     qPrintable(QStringLiteral("row %1 should sort before row %2").arg(i).arg(j)));
        }
    }

    // And (numeric, text) keys order by the number first
    const QList<FieldClass> numberFirst{FieldClass::Numeric, FieldClass::Text};
    const std::string oneZ =
        encodeComposite(numberFirst, {RawValue::ofInteger(1), RawValue::text("z")});
    const std::string tenA =
        encodeComposite(numberFirst, {RawValue::ofInteger(10), RawValue::text("a")});
    const std::string twoA =
        encodeComposite(numberFirst, {RawValue::ofInteger(2), RawValue::text("a")});
    QVERIFY(compareKeys(oneZ, twoA) < 0);
    QVERIFY(compareKeys(twoA, tenA) < 0);
}

// ---- RowEncoder ---------------------------------------------------------------------------

void KeyCodecTest::shouldTreatNullAsDistinctFromEmptyText()
{
    // Given one text field holding NULL in one row and '' in the other
    RowEncoder encoder({FieldClass::Text}, {FieldClass::Text}, false);
    const RawValue null = RawValue::null();
    const RawValue empty = RawValue::text("");

    // When both rows are hashed, Then the hashes differ
    QVERIFY(encoder.rowHash(&null) != encoder.rowHash(&empty));

    // And the same holds in a numeric column, where '' does not parse as a number
    RowEncoder numeric({FieldClass::Text}, {FieldClass::Numeric}, false);
    QVERIFY(numeric.rowHash(&null) != numeric.rowHash(&empty));
}

void KeyCodecTest::shouldMakeFieldOrderMatter()
{
    // Given two fields, swapped between the rows
    RowEncoder encoder({FieldClass::Text}, {FieldClass::Text, FieldClass::Text}, false);
    const RawValue ab[] = {RawValue::text("a"), RawValue::text("b")};
    const RawValue ba[] = {RawValue::text("b"), RawValue::text("a")};

    // Then the row hashes differ
    QVERIFY(encoder.rowHash(ab) != encoder.rowHash(ba));
}

void KeyCodecTest::shouldNotConfuseFieldBoundaries()
{
    // Given rows whose fields concatenate to the same text
    RowEncoder encoder({FieldClass::Text}, {FieldClass::Text, FieldClass::Text}, false);
    const RawValue first[] = {RawValue::text("ab"), RawValue::text("")};
    const RawValue second[] = {RawValue::text("a"), RawValue::text("b")};
    const RawValue third[] = {RawValue::text(""), RawValue::text("ab")};

    // Then the row hashes differ
    const quint64 h1 = encoder.rowHash(first), h2 = encoder.rowHash(second);
    const quint64 h3 = encoder.rowHash(third);
    QVERIFY(h1 != h2);
    QVERIFY(h2 != h3);
    QVERIFY(h1 != h3);
}

void KeyCodecTest::shouldGiveSameHashForSameValues()
{
    // Given two encoders and the same values
    const QList<FieldClass> classes{FieldClass::Text, FieldClass::Numeric, FieldClass::Instant};
    RowEncoder a({FieldClass::Text}, classes, false);
    RowEncoder b({FieldClass::Text}, classes, false);
    const RawValue row[] = {RawValue::text("x"), RawValue::text("1.5"),
                            RawValue::text("2024-01-01 00:00:01+00")};

    // Then the hashes agree, across encoders and across calls
    const quint64 h = a.rowHash(row);
    QCOMPARE(b.rowHash(row), h);
    QCOMPARE(a.rowHash(row), h);
}

void KeyCodecTest::shouldGiveSameHashForEqualValuesInDifferentRepresentations()
{
    // Given PostgreSQL text values and SQLite typed values meaning the same
    const QList<FieldClass> classes{FieldClass::Numeric, FieldClass::Boolean,
                                    FieldClass::Instant, FieldClass::Bytes};
    RowEncoder encoder({FieldClass::Text}, classes, false);
    const RawValue pg[] = {RawValue::text("5.00"), RawValue::text("t"),
                           RawValue::text("2024-01-01 00:00:01+00"), RawValue::hex("0A0B")};
    const RawValue sqlite[] = {RawValue::ofInteger(5), RawValue::ofInteger(1),
                               RawValue::ofInteger(1704067201), RawValue::blob("\x0a\x0b")};

    // Then their row hashes agree
    QCOMPARE(encoder.rowHash(pg), encoder.rowHash(sqlite));

    // But a text column keeps "5.00" and "5" apart
    RowEncoder text({FieldClass::Text}, {FieldClass::Text}, false);
    const RawValue fivePoint = RawValue::text("5.00");
    const RawValue five = RawValue::text("5");
    QVERIFY(text.rowHash(&fivePoint) != text.rowHash(&five));
}

void KeyCodecTest::shouldFillKeysAndHashesWithoutDetails()
{
    // Given an encoder without details
    RowEncoder encoder({FieldClass::Text}, {FieldClass::Text, FieldClass::Numeric}, false);
    ScanBatch batch;
    const RawValue key = RawValue::text("k1");
    const RawValue fields[] = {RawValue::text("x"), RawValue::ofInteger(3)};

    // When a row is appended
    QVERIFY(encoder.append(&key, fields, batch));

    // Then the key and row hash are there, the details are not
    QCOMPARE(batch.size(), size_t(1));
    QCOMPARE(hexOf(batch.key(0)), hexOf(encode(FieldClass::Text, key)));
    QCOMPARE(batch.rowHashes.size(), size_t(1));
    QCOMPARE(batch.rowHashes[0], encoder.rowHash(fields));
    QVERIFY(batch.fieldHashes.empty());
    QVERIFY(batch.displayKeys.empty());
    QVERIFY(batch.displayEnds.empty());
}

void KeyCodecTest::shouldFillFieldHashesAndDisplayKeysWithDetails()
{
    // Given an encoder with details and two rows differing in the second field only
    RowEncoder encoder({FieldClass::Text}, {FieldClass::Text, FieldClass::Numeric}, true);
    QCOMPARE(encoder.fieldCount(), qsizetype(2));
    ScanBatch batch;
    const RawValue key1 = RawValue::text("SKU\"1");
    const RawValue key2 = RawValue::text("SKU2");
    const RawValue row1[] = {RawValue::text("x"), RawValue::text("1.10")};
    const RawValue row2[] = {RawValue::text("x"), RawValue::text("2")};

    // When both are appended
    QVERIFY(encoder.append(&key1, row1, batch));
    QVERIFY(encoder.append(&key2, row2, batch));

    // Then each row has its key, its hash, one hash per field and a JSON display key
    QCOMPARE(batch.size(), size_t(2));
    QCOMPARE(hexOf(batch.key(0)), hexOf(encode(FieldClass::Text, key1)));
    QCOMPARE(hexOf(batch.key(1)), hexOf(encode(FieldClass::Text, key2)));
    QCOMPARE(batch.rowHashes.size(), size_t(2));
    QVERIFY(batch.rowHashes[0] != batch.rowHashes[1]);
    QCOMPARE(batch.fieldHashes.size(), size_t(4));
    QCOMPARE(batch.fieldHashes[0], batch.fieldHashes[2]); // "x" = "x"
    QVERIFY(batch.fieldHashes[1] != batch.fieldHashes[3]); // 1.1 != 2
    QCOMPARE(batch.displayEnds.size(), size_t(2));
    QCOMPARE(QByteArray::fromStdString(std::string(batch.displayKey(0))),
             QByteArray(R"(["SKU\"1"])"));
    QCOMPARE(QByteArray::fromStdString(std::string(batch.displayKey(1))),
             QByteArray(R"(["SKU2"])"));
}

void KeyCodecTest::shouldWriteDisplayKeysAsJson_data()
{
    QTest::addColumn<int>("cls");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QByteArray>("expected");

    const QString text = QStringLiteral("text"), integer = QStringLiteral("integer");
    const QString null = QStringLiteral("null");
    QTest::newRow("text with quote") << int(FieldClass::Text) << text << QByteArray("SKU\"1")
                                     << QByteArray(R"(["SKU\"1"])");
    QTest::newRow("text with backslash and tab")
        << int(FieldClass::Text) << text << QByteArray("a\\b\tc")
        << QByteArray(R"(["a\\b\tc"])");
    QTest::newRow("text with control byte")
        << int(FieldClass::Text) << text << QByteArray("a\x01", 2)
        << QByteArray(R"(["a\u0001"])");
    QTest::newRow("numeric integer") << int(FieldClass::Numeric) << integer << QByteArray("42")
                                     << QByteArray("[42]");
    QTest::newRow("numeric text is a canonical JSON number")
        << int(FieldClass::Numeric) << text << QByteArray("-12.500") << QByteArray("[-12.5]");
    QTest::newRow("numeric NaN is a string") << int(FieldClass::Numeric) << text
                                             << QByteArray("NaN") << QByteArray(R"(["NaN"])");
    QTest::newRow("numeric Infinity is a string")
        << int(FieldClass::Numeric) << text << QByteArray("-Infinity")
        << QByteArray(R"(["-Infinity"])");
    QTest::newRow("instant") << int(FieldClass::Instant) << text
                             << QByteArray("2024-01-01 02:00:01+02")
                             << QByteArray(R"(["2024-01-01T00:00:01Z"])");
    QTest::newRow("null") << int(FieldClass::Text) << null << QByteArray()
                          << QByteArray("[null]");
}

void KeyCodecTest::shouldWriteDisplayKeysAsJson()
{
    QFETCH(int, cls);
    QFETCH(QString, kind);
    QFETCH(QByteArray, value);
    QFETCH(QByteArray, expected);

    // Given a one-column key
    RowEncoder encoder({FieldClass(cls)}, {FieldClass::Text}, true);
    RawValue key = RawValue::text(view(value));
    if (kind == u"integer")
        key = RawValue::ofInteger(value.toLongLong());
    else if (kind == u"null")
        key = RawValue::null();
    const RawValue field = RawValue::text("f");
    ScanBatch batch;

    // When the row is appended with details
    QVERIFY(encoder.append(&key, &field, batch));

    // Then the display key is the expected JSON array
    QCOMPARE(QByteArray::fromStdString(std::string(batch.displayKey(0))), expected);
}

void KeyCodecTest::shouldRefuseRowWithNonNumericTextInNumericKey()
{
    // Given a batch that already holds one good row
    RowEncoder encoder({FieldClass::Text, FieldClass::Numeric}, {FieldClass::Text}, true);
    ScanBatch batch;
    const RawValue good[] = {RawValue::text("a"), RawValue::ofInteger(1)};
    const RawValue bad[] = {RawValue::text("b"), RawValue::text("n/a")};
    const RawValue field = RawValue::text("f");
    QVERIFY(encoder.append(good, &field, batch));
    const std::string keysBefore = batch.keys;

    // When a row whose numeric key is not a number is appended
    const bool ok = encoder.append(bad, &field, batch);

    // Then it is refused and the batch is as it was
    QVERIFY(!ok);
    QCOMPARE(batch.size(), size_t(1));
    QCOMPARE(hexOf(batch.keys), hexOf(keysBefore));
    QCOMPARE(batch.rowHashes.size(), size_t(1));
    QCOMPARE(batch.displayEnds.size(), size_t(1));
}

} // namespace syncdesk

QTEST_GUILESS_MAIN(syncdesk::KeyCodecTest)
#include "tst_keycodec.moc"
