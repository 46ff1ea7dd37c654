// Unit tests for splitting PostgreSQL COPY text rows into raw values.

#include "connectors/PgCopyText.h"
#include "model/FieldValue.h"

#include <QByteArray>
#include <QByteArrayList>
#include <QObject>
#include <QtTest>

#include <string>
#include <string_view>
#include <vector>

namespace syncdesk {

namespace {

std::string_view view(const QByteArray &b)
{
    return std::string_view(b.constData(), size_t(b.size()));
}

// One value as the tests write it: "N" for NULL, "T:" + bytes for text.
QByteArray describe(const RawValue &v)
{
    if (v.kind == RawValue::Kind::Null)
        return QByteArrayLiteral("N");
    if (v.kind != RawValue::Kind::Text)
        return QByteArrayLiteral("?kind=") + QByteArray::number(int(v.kind));
    return QByteArrayLiteral("T:") + QByteArray(v.bytes.data(), qsizetype(v.bytes.size()));
}

QByteArrayList describe(const std::vector<RawValue> &values)
{
    QByteArrayList out;
    for (const RawValue &v : values)
        out.append(describe(v));
    return out;
}

QByteArray text(const QByteArray &bytes)
{
    return QByteArrayLiteral("T:") + bytes;
}

} // namespace

class PgCopyTextTest : public QObject
{
    Q_OBJECT

private slots:
    void shouldSplitAndUnescapeFields_data();
    void shouldSplitAndUnescapeFields();
    void shouldRefuseWrongColumnCount_data();
    void shouldRefuseWrongColumnCount();
    void shouldTreatNullAsDistinctFromEmptyText();
    void shouldKeepEveryValueCorrectWhenManyFieldsAreEscaped();
    void shouldReuseParserAcrossLines();
};

void PgCopyTextTest::shouldSplitAndUnescapeFields_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QByteArrayList>("expected");

    QTest::newRow("plain fields") << QByteArray("a\tb\tc")
                                  << QByteArrayList{text("a"), text("b"), text("c")};
    QTest::newRow("single field") << QByteArray("only") << QByteArrayList{text("only")};
    QTest::newRow("NULL marker") << QByteArray("1\t\\N\tx")
                                 << QByteArrayList{text("1"), "N", text("x")};
    QTest::newRow("NULL only") << QByteArray("\\N") << QByteArrayList{"N"};
    QTest::newRow("escaped backslash then N is the text \\N")
        << QByteArray("\\\\N") << QByteArrayList{text("\\N")};
    QTest::newRow("backslash N inside a longer value is text")
        << QByteArray("a\\Nb") << QByteArrayList{text("aNb")};
    QTest::newRow("empty fields are empty text") << QByteArray("\t")
                                                 << QByteArrayList{text(""), text("")};
    QTest::newRow("empty line is one empty text") << QByteArray("")
                                                  << QByteArrayList{text("")};
    QTest::newRow("trailing tab gives an empty last field")
        << QByteArray("a\t") << QByteArrayList{text("a"), text("")};
    QTest::newRow("trailing newline stripped")
        << QByteArray("a\tb\n") << QByteArrayList{text("a"), text("b")};
    QTest::newRow("trailing newline after NULL")
        << QByteArray("a\t\\N\n") << QByteArrayList{text("a"), "N"};
    QTest::newRow("control escapes")
        << QByteArray("\\t\\n\\r\\\\\\b\\f\\v")
        << QByteArrayList{text("\t\n\r\\\b\f\v")};
    QTest::newRow("escaped tab is not a separator")
        << QByteArray("a\\tb\tc") << QByteArrayList{text("a\tb"), text("c")};
    QTest::newRow("octal") << QByteArray("\\101") << QByteArrayList{text("A")};
    QTest::newRow("octal inside text") << QByteArray("x\\101BC") << QByteArrayList{text("xABC")};
    QTest::newRow("octal takes at most three digits")
        << QByteArray("\\1012") << QByteArrayList{text("A2")};
    QTest::newRow("short octal") << QByteArray("\\7x") << QByteArrayList{text("\ax")};
    QTest::newRow("hex") << QByteArray("\\x41") << QByteArrayList{text("A")};
    QTest::newRow("hex upper case digits") << QByteArray("\\x4a") << QByteArrayList{text("J")};
    QTest::newRow("hex takes at most two digits")
        << QByteArray("\\x414") << QByteArrayList{text("A4")};
    QTest::newRow("single hex digit") << QByteArray("\\x4") << QByteArrayList{text("\x04")};
    QTest::newRow("UTF-8 passes through")
        << QByteArray("caf\xc3\xa9\tna\xc3\xafve")
        << QByteArrayList{text("caf\xc3\xa9"), text("na\xc3\xafve")};
    QTest::newRow("escaped and plain fields mixed")
        << QByteArray("plain\t\\\\N\t\\N\ta\\\\b\tend")
        << QByteArrayList{text("plain"), text("\\N"), "N", text("a\\b"), text("end")};
}

void PgCopyTextTest::shouldSplitAndUnescapeFields()
{
    QFETCH(QByteArray, line);
    QFETCH(QByteArrayList, expected);

    // Given one COPY text line
    PgCopyText parser;
    std::vector<RawValue> values;

    // When it is split into the expected number of columns
    const bool ok = parser.split(view(line), size_t(expected.size()), values);

    // Then each value is NULL or its unescaped text
    QCOMPARE(describe(values), expected);
    QVERIFY(ok);
}

void PgCopyTextTest::shouldRefuseWrongColumnCount_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<int>("expected");

    QTest::newRow("too few") << QByteArray("a\tb") << 3;
    QTest::newRow("too many") << QByteArray("a\tb\tc") << 2;
    QTest::newRow("escaped tab does not count") << QByteArray("a\\tb") << 2;
    QTest::newRow("empty line for two columns") << QByteArray("") << 2;
}

void PgCopyTextTest::shouldRefuseWrongColumnCount()
{
    QFETCH(QByteArray, line);
    QFETCH(int, expected);

    PgCopyText parser;
    std::vector<RawValue> values;
    QVERIFY(!parser.split(view(line), size_t(expected), values));
}

void PgCopyTextTest::shouldTreatNullAsDistinctFromEmptyText()
{
    // Given a NULL, an empty string and the text "\N"
    const QByteArray line("\\N\t\t\\\\N");
    PgCopyText parser;
    std::vector<RawValue> values;

    // When the line is split
    QVERIFY(parser.split(view(line), 3, values));

    // Then only the first is NULL; the empty string is Text "" and the last is Text "\N"
    QCOMPARE(int(values[0].kind), int(RawValue::Kind::Null));
    QCOMPARE(int(values[1].kind), int(RawValue::Kind::Text));
    QCOMPARE(values[1].bytes.size(), size_t(0));
    QCOMPARE(int(values[2].kind), int(RawValue::Kind::Text));
    QCOMPARE(describe(values[2]), text("\\N"));
}

void PgCopyTextTest::shouldKeepEveryValueCorrectWhenManyFieldsAreEscaped()
{
    // Given a long line where most fields need unescaping, of growing lengths, mixed with plain
    // fields and NULLs, so that any view into a reallocated buffer would show wrong bytes
    QByteArray line;
    QByteArrayList expected;
    const int columns = 300;
    for (int i = 0; i < columns; ++i) {
        if (i)
            line += '\t';
        if (i % 7 == 3) {
            line += "\\N";
            expected.append("N");
        } else if (i % 5 == 0) {
            const QByteArray plain = "plain" + QByteArray::number(i);
            line += plain;
            expected.append(text(plain));
        } else {
            QByteArray escaped, unescaped;
            for (int j = 0; j <= i % 23; ++j) {
                escaped += "v" + QByteArray::number(i) + "\\t\\\\\\101\\x42\\n";
                unescaped += "v" + QByteArray::number(i) + "\t\\AB\n";
            }
            line += escaped;
            expected.append(text(unescaped));
        }
    }
    line += '\n';

    // When it is split
    PgCopyText parser;
    std::vector<RawValue> values;
    QVERIFY(parser.split(view(line), size_t(columns), values));

    // Then every value, read after the whole line was split, is still right
    QCOMPARE(describe(values), expected);
}

void PgCopyTextTest::shouldReuseParserAcrossLines()
{
    // Given one parser that splits an escaped line, then another
    PgCopyText parser;
    std::vector<RawValue> values;
    const QByteArray first("\\x41\\x42\t\\N");
    const QByteArray second("\\101\\t\tplain\t\\\\");
    QVERIFY(parser.split(view(first), 2, values));
    QCOMPARE(describe(values), (QByteArrayList{text("AB"), "N"}));

    // When the second line is split, Then the values replace the first line's
    QVERIFY(parser.split(view(second), 3, values));
    QCOMPARE(describe(values), (QByteArrayList{text("A\t"), text("plain"), text("\\")}));
}

} // namespace syncdesk

QTEST_GUILESS_MAIN(syncdesk::PgCopyTextTest)
#include "tst_pgcopytext.moc"
