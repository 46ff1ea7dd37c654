// Unit tests for reading the messages of a binary COPY (PgCopyBinary).

#include "connectors/PgCopyBinary.h"

#include <QByteArray>
#include <QObject>
#include <QtTest>

#include <optional>
#include <string_view>

namespace syncdesk {

namespace {

QByteArray be16(int v)
{
    QByteArray out(2, '\0');
    out[0] = char((v >> 8) & 0xff);
    out[1] = char(v & 0xff);
    return out;
}

QByteArray be32(qint64 v)
{
    QByteArray out(4, '\0');
    for (int i = 0; i < 4; ++i)
        out[i] = char((v >> (24 - 8 * i)) & 0xff);
    return out;
}

// The header PostgreSQL writes before the first row, with `extension` bytes of extension.
QByteArray header(const QByteArray &extension = {})
{
    return QByteArray("PGCOPY\n\377\r\n\0", 11) + be32(0) + be32(extension.size()) + extension;
}

// One row: nullopt for NULL.
QByteArray row(const QList<std::optional<QByteArray>> &fields)
{
    QByteArray out = be16(int(fields.size()));
    for (const auto &f : fields)
        out += f ? be32(f->size()) + *f : be32(-1);
    return out;
}

std::string_view view(const QByteArray &b)
{
    return std::string_view(b.constData(), size_t(b.size()));
}

QByteArray text(std::string_view v)
{
    return QByteArray(v.data(), qsizetype(v.size()));
}

} // namespace

class TestPgCopyBinary : public QObject
{
    Q_OBJECT

private slots:
    // Given the header with the first row, then rows with NULLs, bytes of any value and an
    // empty text, then the trailer, when each message is read, then each field is its bytes.
    void shouldReadRowsBetweenHeaderAndTrailer()
    {
        PgCopyBinary parser(3);
        const QByteArray first = header() + row({QByteArray("k1"), QByteArray("\t\\\n", 3), QByteArray("\0\0\0\0\0\0\0\1", 8)});
        QCOMPARE(parser.read(view(first)), PgCopyBinary::Result::Row);
        QCOMPARE(text(parser.field(0)), QByteArray("k1"));
        QCOMPARE(text(parser.field(1)), QByteArray("\t\\\n", 3));
        QCOMPARE(parser.field(2).size(), size_t(8));
        QVERIFY(!parser.isNull(1));

        const QByteArray second = row({QByteArray(""), std::nullopt, QByteArray("été")});
        QCOMPARE(parser.read(view(second)), PgCopyBinary::Result::Row);
        QCOMPARE(text(parser.field(0)), QByteArray(""));
        QVERIFY(!parser.isNull(0)); // empty text is not NULL
        QVERIFY(parser.isNull(1));
        QCOMPARE(text(parser.field(2)), QByteArray("été"));

        QCOMPARE(parser.read(view(be16(-1))), PgCopyBinary::Result::End);
    }

    // Given a header that carries an extension, when the first message is read, then the
    // extension is skipped.
    void shouldSkipAHeaderExtension()
    {
        PgCopyBinary parser(1);
        QCOMPARE(parser.read(view(header("abcdef") + row({QByteArray("x")}))), PgCopyBinary::Result::Row);
        QCOMPARE(text(parser.field(0)), QByteArray("x"));
    }

    // Given the header in a message of its own, when read, then it is the header, and the
    // next message is the first row.
    void shouldTakeAHeaderAlone()
    {
        PgCopyBinary parser(1);
        QCOMPARE(parser.read(view(header())), PgCopyBinary::Result::Header);
        QCOMPARE(parser.read(view(row({QByteArray("x")}))), PgCopyBinary::Result::Row);
        QCOMPARE(text(parser.field(0)), QByteArray("x"));
        QCOMPARE(parser.read(view(header())), PgCopyBinary::Result::Malformed); // not twice
    }

    // Given messages that are not what a binary COPY of this many fields sends, when read,
    // then each is Malformed, never a row made of whatever bytes were there.
    void shouldRefuseWhatIsNotARow_data()
    {
        QTest::addColumn<QByteArray>("first");
        QTest::addColumn<QByteArray>("message");
        const QByteArray ok = row({QByteArray("a"), QByteArray("b")});
        QTest::newRow("no header") << QByteArray() << ok;
        QTest::newRow("text COPY, not binary") << QByteArray() << QByteArray("a\tb");
        QTest::newRow("header cut short") << QByteArray() << header().left(15);
        QTest::newRow("extension past the message") << QByteArray() << QByteArray("PGCOPY\n\377\r\n\0", 11) + be32(0) + be32(99);
        QTest::newRow("another field count") << header() + ok << row({QByteArray("a")});
        QTest::newRow("length past the message") << header() + ok << be16(2) + be32(1) + "a" + be32(5) + "b";
        QTest::newRow("bytes after the row") << header() + ok << ok + "z";
        QTest::newRow("bytes after the trailer") << header() + ok << be16(-1) + "z";
        QTest::newRow("negative count") << header() + ok << be16(-2);
        QTest::newRow("count cut short") << header() + ok << QByteArray(1, '\0');
    }
    void shouldRefuseWhatIsNotARow()
    {
        QFETCH(QByteArray, first);
        QFETCH(QByteArray, message);
        PgCopyBinary parser(2);
        if (!first.isEmpty())
            QCOMPARE(parser.read(view(first)), PgCopyBinary::Result::Row);
        QCOMPARE(parser.read(view(message)), PgCopyBinary::Result::Malformed);
    }
};

} // namespace syncdesk

QTEST_APPLESS_MAIN(syncdesk::TestPgCopyBinary)
#include "tst_pgcopybinary.moc"
