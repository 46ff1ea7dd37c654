// Unit tests for the canonical text of values (DESIGN.md, Normalisation).

#include "TestSeed.h"
#include "model/Canonical.h"
#include "model/FieldValue.h"
#include "model/JsonText.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QObject>
#include <QRandomGenerator>
#include <QVariant>
#include <QtTest>

#include <cmath>
#include <limits>
#include <string>
#include <string_view>

namespace syncdesk {

namespace {

std::string_view view(const QByteArray &b)
{
    return std::string_view(b.constData(), size_t(b.size()));
}

QByteArray bytes(const std::string &s)
{
    return QByteArray::fromStdString(s);
}

// Builds a RawValue from a data-table row: kind name plus a QVariant payload. Text, blob and
// hex values point into `storage`, which must outlive the value.
RawValue rawValue(const QString &kind, const QVariant &value, QByteArray &storage)
{
    storage = value.toByteArray();
    if (kind == u"null")
        return RawValue::null();
    if (kind == u"integer")
        return RawValue::ofInteger(value.toLongLong());
    if (kind == u"real")
        return RawValue::ofReal(value.toDouble());
    if (kind == u"blob")
        return RawValue::blob(view(storage));
    if (kind == u"hex")
        return RawValue::hex(view(storage));
    return RawValue::text(view(storage));
}

// What a rejecting function must leave behind: the output exactly as it was.
const QByteArray kPrefix = QByteArrayLiteral("prefix|");

} // namespace

class CanonicalTest : public QObject
{
    Q_OBJECT

private slots:
    void shouldWriteNumbersAsPlainDecimals_data();
    void shouldWriteNumbersAsPlainDecimals();
    void shouldRejectTextThatIsNotANumber_data();
    void shouldRejectTextThatIsNotANumber();
    void shouldWriteIntegersInDecimal_data();
    void shouldWriteIntegersInDecimal();
    void shouldWriteDoublesAsShortestRoundTripDecimal_data();
    void shouldWriteDoublesAsShortestRoundTripDecimal();

    void shouldWriteInstantsInUtc_data();
    void shouldWriteInstantsInUtc();
    void shouldRejectTextThatIsNotAnInstant_data();
    void shouldRejectTextThatIsNotAnInstant();
    void shouldWriteEpochSecondsAsInstants_data();
    void shouldWriteEpochSecondsAsInstants();
    void instantMsAgreesWithQDateTime();
    void instantMsRefusesWhatIsNoInstant();
    void isoMsAgreesWithQDateTime();
    void jsonTextArrayIsWhatQJsonDocumentWrites();

    void shouldWriteBooleansAsTrueOrFalse_data();
    void shouldWriteBooleansAsTrueOrFalse();
    void shouldRejectTextThatIsNotABoolean_data();
    void shouldRejectTextThatIsNotABoolean();

    void shouldWriteBytesAsLowercaseHex_data();
    void shouldWriteBytesAsLowercaseHex();

    void shouldNormaliseRawValuesByFieldClass_data();
    void shouldNormaliseRawValuesByFieldClass();
    void shouldGiveEqualBytesForEqualValues_data();
    void shouldGiveEqualBytesForEqualValues();
    void shouldGiveDifferentBytesForDifferentValues_data();
    void shouldGiveDifferentBytesForDifferentValues();
};

// ---- numbers ------------------------------------------------------------------------------

void CanonicalTest::shouldWriteNumbersAsPlainDecimals_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("trailing zero dropped") << QByteArray("1.10") << QByteArray("1.1");
    QTest::newRow("already canonical") << QByteArray("1.1") << QByteArray("1.1");
    QTest::newRow("leading zeros dropped") << QByteArray("001") << QByteArray("1");
    QTest::newRow("negative zero is zero") << QByteArray("-0.00") << QByteArray("0");
    QTest::newRow("zero") << QByteArray("0") << QByteArray("0");
    QTest::newRow("plus sign dropped") << QByteArray("+5") << QByteArray("5");
    QTest::newRow("exponent expanded") << QByteArray("1e3") << QByteArray("1000");
    QTest::newRow("negative exponent upper E") << QByteArray("1.5E-2") << QByteArray("0.015");
    QTest::newRow("explicit plus exponent") << QByteArray("2.5e+2") << QByteArray("250");
    QTest::newRow("negative with trailing zeros") << QByteArray("-12.500")
                                                  << QByteArray("-12.5");
    QTest::newRow("no integer part") << QByteArray(".5") << QByteArray("0.5");
    QTest::newRow("no fraction digits") << QByteArray("5.") << QByteArray("5");
    QTest::newRow("integer zeros kept") << QByteArray("100") << QByteArray("100");
    QTest::newRow("small fraction") << QByteArray("0.000120") << QByteArray("0.00012");
    QTest::newRow("large exponent") << QByteArray("1e20")
                                    << QByteArray("100000000000000000000");
    QTest::newRow("NaN") << QByteArray("NaN") << QByteArray("NaN");
    QTest::newRow("nan lower case") << QByteArray("nan") << QByteArray("NaN");
    QTest::newRow("infinity lower case") << QByteArray("infinity") << QByteArray("Infinity");
    QTest::newRow("negative Infinity") << QByteArray("-Infinity") << QByteArray("-Infinity");
    QTest::newRow("inf short form") << QByteArray("inf") << QByteArray("Infinity");
}

void CanonicalTest::shouldWriteNumbersAsPlainDecimals()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);

    // Given an output that already holds bytes, When a number is appended
    std::string out = kPrefix.toStdString();
    const bool ok = canonical::appendNumber(view(input), out);

    // Then the canonical decimal follows the existing bytes
    QVERIFY(ok);
    QCOMPARE(bytes(out), kPrefix + expected);
}

void CanonicalTest::shouldRejectTextThatIsNotANumber_data()
{
    QTest::addColumn<QByteArray>("input");

    QTest::newRow("letters") << QByteArray("abc");
    QTest::newRow("empty") << QByteArray("");
    QTest::newRow("exponent without digits") << QByteArray("1e");
    QTest::newRow("exponent sign without digits") << QByteArray("1e-");
    QTest::newRow("two points") << QByteArray("1.2.3");
    QTest::newRow("double sign") << QByteArray("--1");
    QTest::newRow("point only") << QByteArray(".");
    QTest::newRow("sign only") << QByteArray("-");
    QTest::newRow("trailing letters") << QByteArray("12abc");
    QTest::newRow("exponent only") << QByteArray("e5");
}

void CanonicalTest::shouldRejectTextThatIsNotANumber()
{
    QFETCH(QByteArray, input);

    // Given an output that already holds bytes, When a non-number is appended
    std::string out = kPrefix.toStdString();
    const bool ok = canonical::appendNumber(view(input), out);

    // Then it is refused and the output is untouched
    QVERIFY(!ok);
    QCOMPARE(bytes(out), kPrefix);
}

void CanonicalTest::shouldWriteIntegersInDecimal_data()
{
    QTest::addColumn<qint64>("value");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("zero") << qint64(0) << QByteArray("0");
    QTest::newRow("positive") << qint64(5) << QByteArray("5");
    QTest::newRow("negative") << qint64(-42) << QByteArray("-42");
    QTest::newRow("max") << std::numeric_limits<qint64>::max()
                         << QByteArray("9223372036854775807");
    QTest::newRow("min") << std::numeric_limits<qint64>::min()
                         << QByteArray("-9223372036854775808");
}

void CanonicalTest::shouldWriteIntegersInDecimal()
{
    QFETCH(qint64, value);
    QFETCH(QByteArray, expected);

    std::string out;
    QVERIFY(canonical::appendNumber(value, out));
    QCOMPARE(bytes(out), expected);
}

void CanonicalTest::shouldWriteDoublesAsShortestRoundTripDecimal_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("1.1") << 1.1 << QByteArray("1.1");
    QTest::newRow("0.1 + 0.2") << (0.1 + 0.2) << QByteArray("0.30000000000000004");
    QTest::newRow("1e20 without exponent") << 1e20 << QByteArray("100000000000000000000");
    QTest::newRow("negative zero is zero") << -0.0 << QByteArray("0");
    QTest::newRow("whole double") << 5.0 << QByteArray("5");
    QTest::newRow("small negative") << -1.5e-7 << QByteArray("-0.00000015");
    QTest::newRow("NaN") << std::numeric_limits<double>::quiet_NaN() << QByteArray("NaN");
    QTest::newRow("Infinity") << std::numeric_limits<double>::infinity()
                              << QByteArray("Infinity");
    QTest::newRow("-Infinity") << -std::numeric_limits<double>::infinity()
                               << QByteArray("-Infinity");
}

void CanonicalTest::shouldWriteDoublesAsShortestRoundTripDecimal()
{
    QFETCH(double, value);
    QFETCH(QByteArray, expected);

    std::string out;
    QVERIFY(canonical::appendNumber(value, out));
    QCOMPARE(bytes(out), expected);
}

// ---- instants -----------------------------------------------------------------------------

void CanonicalTest::shouldWriteInstantsInUtc_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("PostgreSQL output, UTC")
        << QByteArray("2024-01-01 00:00:01+00") << QByteArray("2024-01-01T00:00:01Z");
    QTest::newRow("ISO with offset +02:00")
        << QByteArray("2024-01-01T02:00:01+02:00") << QByteArray("2024-01-01T00:00:01Z");
    QTest::newRow("ISO Z") << QByteArray("2024-01-01T00:00:01Z")
                           << QByteArray("2024-01-01T00:00:01Z");
    QTest::newRow("fraction trailing zeros dropped")
        << QByteArray("2024-01-01 00:00:01.500000+00") << QByteArray("2024-01-01T00:00:01.5Z");
    QTest::newRow("microseconds kept")
        << QByteArray("2024-01-01 00:00:01.000123+00")
        << QByteArray("2024-01-01T00:00:01.000123Z");
    QTest::newRow("zero fraction dropped")
        << QByteArray("2024-01-01 00:00:01.000+00") << QByteArray("2024-01-01T00:00:01Z");
    QTest::newRow("offset crosses leap day")
        << QByteArray("2024-03-01 01:00:00+05") << QByteArray("2024-02-29T20:00:00Z");
    QTest::newRow("negative offset hhmm")
        << QByteArray("2024-01-01 00:00:00-0130") << QByteArray("2024-01-01T01:30:00Z");
    QTest::newRow("offset crosses year")
        << QByteArray("2023-12-31 23:30:00-01") << QByteArray("2024-01-01T00:30:00Z");
    QTest::newRow("no zone means UTC")
        << QByteArray("2024-01-01 00:00:01") << QByteArray("2024-01-01T00:00:01Z");
    QTest::newRow("no seconds") << QByteArray("2024-01-01T10:20")
                                << QByteArray("2024-01-01T10:20:00Z");
    QTest::newRow("date only") << QByteArray("2024-01-01") << QByteArray("2024-01-01T00:00:00Z");
    QTest::newRow("before the epoch")
        << QByteArray("1969-12-31 23:59:59+00") << QByteArray("1969-12-31T23:59:59Z");
    QTest::newRow("infinity") << QByteArray("infinity") << QByteArray("infinity");
    QTest::newRow("-infinity") << QByteArray("-infinity") << QByteArray("-infinity");
}

void CanonicalTest::shouldWriteInstantsInUtc()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);

    std::string out = kPrefix.toStdString();
    QVERIFY(canonical::appendInstant(view(input), out));
    QCOMPARE(bytes(out), kPrefix + expected);
}

void CanonicalTest::shouldRejectTextThatIsNotAnInstant_data()
{
    QTest::addColumn<QByteArray>("input");

    QTest::newRow("month 13") << QByteArray("2024-13-01");
    QTest::newRow("month 0") << QByteArray("2024-00-10");
    QTest::newRow("29 February of a common year") << QByteArray("2023-02-29");
    QTest::newRow("31 April") << QByteArray("2024-04-31");
    QTest::newRow("hour 25") << QByteArray("2024-01-01 25:00:00");
    QTest::newRow("minute 60") << QByteArray("2024-01-01 10:60:00");
    QTest::newRow("word") << QByteArray("yesterday");
    QTest::newRow("empty") << QByteArray("");
    QTest::newRow("garbage after zone") << QByteArray("2024-01-01 00:00:00+00 x");
    QTest::newRow("point without fraction") << QByteArray("2024-01-01 00:00:00.+00");
}

void CanonicalTest::shouldRejectTextThatIsNotAnInstant()
{
    QFETCH(QByteArray, input);

    std::string out = kPrefix.toStdString();
    QVERIFY(!canonical::appendInstant(view(input), out));
    QCOMPARE(bytes(out), kPrefix);
}

void CanonicalTest::shouldWriteEpochSecondsAsInstants_data()
{
    QTest::addColumn<qint64>("seconds");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("epoch") << qint64(0) << QByteArray("1970-01-01T00:00:00Z");
    QTest::newRow("2024") << qint64(1704067201) << QByteArray("2024-01-01T00:00:01Z");
    QTest::newRow("leap day") << qint64(1709236800) << QByteArray("2024-02-29T20:00:00Z");
    QTest::newRow("one second before the epoch") << qint64(-1)
                                                 << QByteArray("1969-12-31T23:59:59Z");
}

void CanonicalTest::shouldWriteEpochSecondsAsInstants()
{
    QFETCH(qint64, seconds);
    QFETCH(QByteArray, expected);

    std::string out;
    QVERIFY(canonical::appendInstantFromEpoch(seconds, out));
    QCOMPARE(bytes(out), expected);
}

// Randomized: the milliseconds of an instant text are what QDateTime reads from its canonical
// UTC text (how instantMs worked before it computed them from the parts), for every zone
// form, separator, fraction length and rounding.
void CanonicalTest::instantMsAgreesWithQDateTime()
{
    const quint32 seed = testsupport::seedFrom("SYNCDESK_CANONICAL_SEED");
    qInfo("seed %u (SYNCDESK_CANONICAL_SEED repeats it)", seed);
    QRandomGenerator rng(seed);
    for (int i = 0; i < 20000; ++i) {
        // 1900 to 2100, and now and then the end of a day or a year, where a carry moves it.
        qint64 local = rng.bounded(qint64(-2208988800), qint64(4102444800));
        if (rng.bounded(4) == 0)
            local = local - local % 86400 + 86399;
        const int offsetMinutes = int(rng.bounded(-14 * 60, 14 * 60 + 1)) / 15 * 15;
        QString text = QDateTime::fromSecsSinceEpoch(local, Qt::UTC).toString(
            rng.bounded(2) ? QStringLiteral("yyyy-MM-dd HH:mm:ss") : QStringLiteral("yyyy-MM-ddTHH:mm:ss"));
        const int digits = int(rng.bounded(8)); // none, or one to seven
        if (digits) {
            text += u'.';
            for (int d = 0; d < digits; ++d)
                text += QChar(u'0' + int(rng.bounded(10)));
        }
        switch (rng.bounded(4)) {
        case 0: break; // no zone: UTC
        case 1: text += u'Z'; break;
        case 2:
            text += QStringLiteral("%1%2").arg(offsetMinutes < 0 ? QStringLiteral("-") : QStringLiteral("+"))
                        .arg(std::abs(offsetMinutes) / 60, 2, 10, QChar(u'0'));
            if (offsetMinutes % 60)
                text += QStringLiteral(":%1").arg(std::abs(offsetMinutes) % 60, 2, 10, QChar(u'0'));
            break;
        default:
            text += QStringLiteral("%1%2:%3").arg(offsetMinutes < 0 ? QStringLiteral("-") : QStringLiteral("+"))
                        .arg(std::abs(offsetMinutes) / 60, 2, 10, QChar(u'0'))
                        .arg(std::abs(offsetMinutes) % 60, 2, 10, QChar(u'0'));
        }
        const QByteArray utf8 = text.toUtf8();
        std::string canon;
        QVERIFY2(canonical::appendInstant(view(utf8), canon), utf8.constData());
        const QDateTime reference = QDateTime::fromString(QString::fromStdString(canon), Qt::ISODateWithMs);
        QVERIFY2(reference.isValid(), canon.c_str());
        const std::optional<qint64> ms = canonical::instantMs(view(utf8));
        QVERIFY2(ms, utf8.constData());
        QVERIFY2(*ms == reference.toMSecsSinceEpoch(),
                 qPrintable(QStringLiteral("%1: %2, QDateTime %3").arg(text).arg(*ms).arg(reference.toMSecsSinceEpoch())));
    }
}

void CanonicalTest::instantMsRefusesWhatIsNoInstant()
{
    for (const char *text : {"infinity", "-infinity", "", "2024-13-01", "2024-02-30 10:00:00", "yesterday",
                             "2024-01-01 10:00:00+", "2024-01-01 25:00:00"})
        QVERIFY2(!canonical::instantMs(text), text);
    QCOMPARE(canonical::instantMs("1970-01-01 00:00:00.0015+00"), std::optional<qint64>(2));
    QCOMPARE(canonical::instantMs("1969-12-31T23:59:59.999Z"), std::optional<qint64>(-1));
    QCOMPARE(canonical::instantMs("2024-01-01 00:00:00+01"), std::optional<qint64>(1704063600000));
}

void CanonicalTest::isoMsAgreesWithQDateTime()
{
    const quint32 seed = testsupport::seedFrom("SYNCDESK_CANONICAL_SEED");
    qInfo("seed %u (SYNCDESK_CANONICAL_SEED repeats it)", seed);
    QRandomGenerator rng(seed);
    // Years 1 to 9999, which Qt writes with four digits, and the edges of a second.
    QList<qint64> samples{0, 1, 999, 1000, -1, -999, -1000, -1001, 1733356800123};
    for (int i = 0; i < 20000; ++i)
        samples << rng.bounded(qint64(-62135596800000), qint64(253402300799999));
    for (const qint64 ms : std::as_const(samples)) {
        std::string out;
        canonical::appendIsoMs(ms, out);
        QCOMPARE(bytes(out), QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs).toUtf8());
    }
}

// Randomized: field texts as a JSON array, byte for byte what QJsonDocument writes (the form
// the state store has always kept): every control character, quotes, backslashes, DEL,
// multi-byte characters, NULL, and bytes that are not UTF-8.
void CanonicalTest::jsonTextArrayIsWhatQJsonDocumentWrites()
{
    const quint32 seed = testsupport::seedFrom("SYNCDESK_CANONICAL_SEED");
    qInfo("seed %u (SYNCDESK_CANONICAL_SEED repeats it)", seed);
    QRandomGenerator rng(seed);
    const QList<QByteArray> pieces{"a", "Z", " ", "\"", "\\", "/", "\x7f", "\xc3\xa9", "\xe4\xb8\xad",
                                   "\xf0\x9f\x98\x80", "\xe2\x80\xa8", "\xff", "\xc3", "\xed\xa0\x80"};
    for (int i = 0; i < 20000; ++i) {
        QList<std::optional<QByteArray>> texts;
        QJsonArray reference;
        const int count = int(rng.bounded(5));
        for (int t = 0; t < count; ++t) {
            if (rng.bounded(6) == 0) {
                texts.append(std::nullopt);
                reference.append(QJsonValue());
                continue;
            }
            QByteArray text;
            const int length = int(rng.bounded(12));
            for (int c = 0; c < length; ++c)
                text += rng.bounded(3) == 0 ? QByteArray(1, char(rng.bounded(0x20))) : pieces[rng.bounded(pieces.size())];
            texts.append(text);
            reference.append(QString::fromUtf8(text));
        }
        const QByteArray expected = QJsonDocument(reference).toJson(QJsonDocument::Compact);
        QCOMPARE(jsonTextArray(texts), expected);
    }
}

// ---- booleans -----------------------------------------------------------------------------

void CanonicalTest::shouldWriteBooleansAsTrueOrFalse_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");

    for (const char *t : {"t", "true", "1", "yes", "on", "TRUE", "True"})
        QTest::newRow(t) << QByteArray(t) << QByteArray("true");
    for (const char *f : {"f", "false", "0", "no", "off", "FALSE", "Off"})
        QTest::newRow(f) << QByteArray(f) << QByteArray("false");
}

void CanonicalTest::shouldWriteBooleansAsTrueOrFalse()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);

    std::string out = kPrefix.toStdString();
    QVERIFY(canonical::appendBoolean(view(input), out));
    QCOMPARE(bytes(out), kPrefix + expected);
}

void CanonicalTest::shouldRejectTextThatIsNotABoolean_data()
{
    QTest::addColumn<QByteArray>("input");

    QTest::newRow("maybe") << QByteArray("maybe");
    QTest::newRow("empty") << QByteArray("");
    QTest::newRow("2") << QByteArray("2");
    QTest::newRow("truth") << QByteArray("truth");
}

void CanonicalTest::shouldRejectTextThatIsNotABoolean()
{
    QFETCH(QByteArray, input);

    std::string out = kPrefix.toStdString();
    QVERIFY(!canonical::appendBoolean(view(input), out));
    QCOMPARE(bytes(out), kPrefix);
}

// ---- bytes --------------------------------------------------------------------------------

void CanonicalTest::shouldWriteBytesAsLowercaseHex_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("empty") << QByteArray() << QByteArray("");
    QTest::newRow("letters") << QByteArray("AB") << QByteArray("4142");
    QTest::newRow("zero, high and mid bytes")
        << QByteArray("\x00\xff\x10\xab", 4) << QByteArray("00ff10ab");
}

void CanonicalTest::shouldWriteBytesAsLowercaseHex()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);

    std::string out = kPrefix.toStdString();
    canonical::appendHex(view(input), out);
    QCOMPARE(bytes(out), kPrefix + expected);
}

// ---- append(FieldClass, RawValue) ---------------------------------------------------------

void CanonicalTest::shouldNormaliseRawValuesByFieldClass_data()
{
    QTest::addColumn<int>("cls");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<int>("expectedClass");
    QTest::addColumn<QByteArray>("expected");

    const int text = int(FieldClass::Text), numeric = int(FieldClass::Numeric);
    const int boolean = int(FieldClass::Boolean), instant = int(FieldClass::Instant);
    const int bytesClass = int(FieldClass::Bytes);
    const QString kText = QStringLiteral("text"), kInteger = QStringLiteral("integer");
    const QString kReal = QStringLiteral("real"), kBlob = QStringLiteral("blob");
    const QString kHex = QStringLiteral("hex");

    QTest::newRow("numeric from integer")
        << numeric << kInteger << QVariant(qint64(5)) << numeric << QByteArray("5");
    QTest::newRow("numeric from text")
        << numeric << kText << QVariant(QByteArray("5.0")) << numeric << QByteArray("5");
    QTest::newRow("numeric from real")
        << numeric << kReal << QVariant(1.1) << numeric << QByteArray("1.1");
    QTest::newRow("non-number text in numeric column falls back to text")
        << numeric << kText << QVariant(QByteArray("n/a")) << text << QByteArray("n/a");
    QTest::newRow("empty text in numeric column falls back to text")
        << numeric << kText << QVariant(QByteArray("")) << text << QByteArray("");
    QTest::newRow("boolean from integer 1")
        << boolean << kInteger << QVariant(qint64(1)) << boolean << QByteArray("true");
    QTest::newRow("boolean from integer 0")
        << boolean << kInteger << QVariant(qint64(0)) << boolean << QByteArray("false");
    QTest::newRow("boolean from text t")
        << boolean << kText << QVariant(QByteArray("t")) << boolean << QByteArray("true");
    QTest::newRow("integer 2 in boolean column falls back to text")
        << boolean << kInteger << QVariant(qint64(2)) << text << QByteArray("2");
    QTest::newRow("instant from epoch integer")
        << instant << kInteger << QVariant(qint64(1704067201)) << instant
        << QByteArray("2024-01-01T00:00:01Z");
    QTest::newRow("instant from text")
        << instant << kText << QVariant(QByteArray("2024-01-01T02:00:01+02:00")) << instant
        << QByteArray("2024-01-01T00:00:01Z");
    QTest::newRow("non-instant text falls back to text")
        << instant << kText << QVariant(QByteArray("soon")) << text << QByteArray("soon");
    QTest::newRow("bytes from blob")
        << bytesClass << kBlob << QVariant(QByteArray("\x0a\x0b", 2)) << bytesClass
        << QByteArray("0a0b");
    QTest::newRow("bytes from mixed-case hex")
        << bytesClass << kHex << QVariant(QByteArray("0A0b")) << bytesClass
        << QByteArray("0a0b");
    QTest::newRow("text byte exact with trailing space")
        << text << kText << QVariant(QByteArray("a ")) << text << QByteArray("a ");
    QTest::newRow("text keeps case")
        << text << kText << QVariant(QByteArray("SKU-a1")) << text << QByteArray("SKU-a1");
    QTest::newRow("text keeps leading zeros")
        << text << kText << QVariant(QByteArray("007")) << text << QByteArray("007");
}

void CanonicalTest::shouldNormaliseRawValuesByFieldClass()
{
    QFETCH(int, cls);
    QFETCH(QString, kind);
    QFETCH(QVariant, value);
    QFETCH(int, expectedClass);
    QFETCH(QByteArray, expected);

    // Given a raw value as a connector read it
    QByteArray storage;
    const RawValue raw = rawValue(kind, value, storage);

    // When it is normalised as its column's class
    std::string out = kPrefix.toStdString();
    const FieldClass used = canonical::append(FieldClass(cls), raw, out);

    // Then the class actually used and the canonical bytes are as expected
    QCOMPARE(int(used), expectedClass);
    QCOMPARE(bytes(out), kPrefix + expected);
}

void CanonicalTest::shouldGiveEqualBytesForEqualValues_data()
{
    QTest::addColumn<int>("cls");
    QTest::addColumn<QString>("kindA");
    QTest::addColumn<QVariant>("valueA");
    QTest::addColumn<QString>("kindB");
    QTest::addColumn<QVariant>("valueB");

    const QString kText = QStringLiteral("text"), kInteger = QStringLiteral("integer");
    const QString kReal = QStringLiteral("real"), kBlob = QStringLiteral("blob");
    const QString kHex = QStringLiteral("hex");

    QTest::newRow("numeric: integer 5 = text 5.0")
        << int(FieldClass::Numeric) << kInteger << QVariant(qint64(5)) << kText
        << QVariant(QByteArray("5.0"));
    QTest::newRow("numeric: text 1.10 = text 1.1")
        << int(FieldClass::Numeric) << kText << QVariant(QByteArray("1.10")) << kText
        << QVariant(QByteArray("1.1"));
    QTest::newRow("numeric: real 1.1 = text 1.10")
        << int(FieldClass::Numeric) << kReal << QVariant(1.1) << kText
        << QVariant(QByteArray("1.10"));
    QTest::newRow("numeric: real 1000 = text 1e3")
        << int(FieldClass::Numeric) << kReal << QVariant(1000.0) << kText
        << QVariant(QByteArray("1e3"));
    QTest::newRow("boolean: integer 1 = text t")
        << int(FieldClass::Boolean) << kInteger << QVariant(qint64(1)) << kText
        << QVariant(QByteArray("t"));
    QTest::newRow("instant: epoch = PostgreSQL text")
        << int(FieldClass::Instant) << kInteger << QVariant(qint64(1704067201)) << kText
        << QVariant(QByteArray("2024-01-01 00:00:01+00"));
    QTest::newRow("instant: two zones, one instant")
        << int(FieldClass::Instant) << kText << QVariant(QByteArray("2024-01-01 00:00:01+00"))
        << kText << QVariant(QByteArray("2024-01-01T02:00:01+02:00"));
    QTest::newRow("bytes: blob = hex")
        << int(FieldClass::Bytes) << kBlob << QVariant(QByteArray("\x0a\x0b", 2)) << kHex
        << QVariant(QByteArray("0A0b"));
    QTest::newRow("text: identical bytes")
        << int(FieldClass::Text) << kText << QVariant(QByteArray("abc")) << kText
        << QVariant(QByteArray("abc"));
}

void CanonicalTest::shouldGiveEqualBytesForEqualValues()
{
    QFETCH(int, cls);
    QFETCH(QString, kindA);
    QFETCH(QVariant, valueA);
    QFETCH(QString, kindB);
    QFETCH(QVariant, valueB);

    // Given one value as two systems represent it
    QByteArray storageA, storageB;
    const RawValue a = rawValue(kindA, valueA, storageA);
    const RawValue b = rawValue(kindB, valueB, storageB);

    // When both are normalised as the same class
    std::string outA, outB;
    const FieldClass usedA = canonical::append(FieldClass(cls), a, outA);
    const FieldClass usedB = canonical::append(FieldClass(cls), b, outB);

    // Then both parse as that class and give the same bytes
    QCOMPARE(int(usedA), cls);
    QCOMPARE(int(usedB), cls);
    QCOMPARE(bytes(outA), bytes(outB));
}

void CanonicalTest::shouldGiveDifferentBytesForDifferentValues_data()
{
    QTest::addColumn<int>("cls");
    QTest::addColumn<QByteArray>("textA");
    QTest::addColumn<QByteArray>("textB");

    QTest::newRow("text: trailing space is not trimmed")
        << int(FieldClass::Text) << QByteArray("a ") << QByteArray("a");
    QTest::newRow("text: leading space is not trimmed")
        << int(FieldClass::Text) << QByteArray(" a") << QByteArray("a");
    QTest::newRow("text: case is kept")
        << int(FieldClass::Text) << QByteArray("A1") << QByteArray("a1");
    QTest::newRow("text: numbers as text compare as text")
        << int(FieldClass::Text) << QByteArray("1.10") << QByteArray("1.1");
    QTest::newRow("numeric: 1.1 vs 1.01")
        << int(FieldClass::Numeric) << QByteArray("1.1") << QByteArray("1.01");
    QTest::newRow("instant: half a second apart")
        << int(FieldClass::Instant) << QByteArray("2024-01-01 00:00:01+00")
        << QByteArray("2024-01-01 00:00:01.5+00");
}

void CanonicalTest::shouldGiveDifferentBytesForDifferentValues()
{
    QFETCH(int, cls);
    QFETCH(QByteArray, textA);
    QFETCH(QByteArray, textB);

    std::string outA, outB;
    canonical::append(FieldClass(cls), RawValue::text(view(textA)), outA);
    canonical::append(FieldClass(cls), RawValue::text(view(textB)), outB);
    QVERIFY2(outA != outB, qPrintable(QStringLiteral("both gave '%1'")
                                          .arg(QString::fromStdString(outA))));
}

} // namespace syncdesk

QTEST_GUILESS_MAIN(syncdesk::CanonicalTest)
#include "tst_canonical.moc"
