// HttpResponseParser: the HTTP/1.1 responses of plain-HTTP GETs, however the bytes are split
// across reads.
#include "connectors/HttpResponseParser.h"

#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <cstring>

using namespace syncdesk;

namespace {

constexpr qint64 Limit = 1 << 20;

// Feeds `bytes` in pieces cut at `cuts` (ascending offsets), then says the connection closed
// when `close`; returns the parser and how many bytes it took. `direct`: a piece that starts
// where the parser offers body space is written there (as PlainHttpGet reads a body of known
// length), up to the room offered, and only the rest is fed.
struct Fed
{
    HttpResponseParser parser{Limit};
    qsizetype used = 0;
};

void feed(Fed &f, const QByteArray &bytes, const QList<qsizetype> &cuts, bool close, bool direct = false)
{
    qsizetype at = 0;
    QList<qsizetype> ends = cuts;
    ends.append(bytes.size());
    bool ended = false;
    for (const qsizetype end : ends) {
        while (!ended && at < end) {
            if (const auto [to, room] = f.parser.bodySpace(); direct && room > 0) {
                const qsizetype n = std::min(room, end - at);
                std::memcpy(to, bytes.constData() + at, size_t(n));
                f.parser.bodyWritten(n);
                f.used += n;
                at += n;
                continue;
            }
            const qsizetype took = f.parser.feed(bytes.constData() + at, end - at);
            f.used += took;
            at += took;
            ended = at < end;
        }
    }
    if (close)
        f.parser.closed();
}

// Every split into two pieces, and random splits into many, fed or written into the body
// space: the same answer each time.
template<typename Check>
void everySplit(const QByteArray &bytes, bool close, Check check)
{
    for (const bool direct : {false, true}) {
        const QString how = direct ? QStringLiteral(", body written in place") : QString();
        for (qsizetype cut = 0; cut <= bytes.size(); ++cut) {
            Fed f;
            feed(f, bytes, {cut}, close, direct);
            check(f, QStringLiteral("cut at %1%2").arg(cut).arg(how));
        }
        QRandomGenerator random(7);
        for (int run = 0; run < 50; ++run) {
            QList<qsizetype> cuts;
            for (qsizetype at = 0; at < bytes.size(); at += 1 + random.bounded(5))
                cuts.append(at);
            Fed f;
            feed(f, bytes, cuts, close, direct);
            check(f, QStringLiteral("random run %1%2").arg(run).arg(how));
        }
    }
}

} // namespace

class TestHttpResponseParser : public QObject
{
    Q_OBJECT

private slots:
    void contentLengthBody()
    {
        const QByteArray body = R"([{"id":1},{"id":2}])";
        const QByteArray bytes = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLink: <http://x/a?page=2>; rel=\"next\"\r\n"
                                 "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
        everySplit(bytes, false, [&](Fed &f, const QString &how) {
            QVERIFY2(f.parser.done(), qPrintable(how));
            QCOMPARE(f.parser.status(), 200);
            QCOMPARE(f.parser.reason(), QByteArray("OK"));
            QCOMPARE(f.parser.headers().size(), 3);
            QCOMPARE(f.parser.headers()[1].second, QByteArray("<http://x/a?page=2>; rel=\"next\""));
            QVERIFY(f.parser.keepAlive());
            QCOMPARE(f.parser.takeBody(), body);
        });
    }

    void bytesPastAContentLengthBodyAreNotTaken()
    {
        // A second answer on the same connection (never asked for): not this response's.
        const QByteArray body = "[1,2]";
        const QByteArray after = "HTTP/1.1 200 OK\r\n";
        const QByteArray bytes = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + body + after;
        everySplit(bytes, false, [&](Fed &f, const QString &how) {
            QVERIFY2(f.parser.done(), qPrintable(how));
            QCOMPARE(f.used, bytes.size() - after.size());
            QCOMPARE(f.parser.takeBody(), body);
        });
    }

    void chunkedBodyWithExtensionsAndTrailers()
    {
        const QByteArray bytes = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                                 "5;name=value\r\nhello\r\n1\r\n,\r\nB\r\n 0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
        // gzip before chunked: still framed by the chunks (decoding is not ours to do; the
        // client never asks for it).
        everySplit(bytes, false, [&](Fed &f, const QString &how) {
            QVERIFY2(f.parser.done(), qPrintable(how + u' ' + f.parser.error()));
            QCOMPARE(f.parser.takeBody(), QByteArray("hello, 0123456789"));
        });
    }

    void interimAnswersAreSkipped()
    {
        const QByteArray bytes = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                                 "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}";
        everySplit(bytes, false, [&](Fed &f, const QString &how) {
            QVERIFY2(f.parser.done(), qPrintable(how));
            QCOMPARE(f.parser.status(), 201);
            QCOMPARE(f.parser.headers().size(), 1);
            QCOMPARE(f.parser.takeBody(), QByteArray("{}"));
        });
    }

    void aBodyFramedByTheCloseEndsOnlyThere()
    {
        const QByteArray bytes = "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[1,2,3]";
        everySplit(bytes, false, [&](Fed &f, const QString &how) {
            QVERIFY2(!f.parser.done() && !f.parser.failed(), qPrintable(how));
        });
        everySplit(bytes, true, [&](Fed &f, const QString &how) {
            QVERIFY2(f.parser.done(), qPrintable(how));
            QVERIFY(!f.parser.keepAlive());
            QCOMPARE(f.parser.takeBody(), QByteArray("[1,2,3]"));
        });
    }

    void keepAliveFollowsVersionAndConnection()
    {
        auto keepAlive = [](const QByteArray &head) {
            HttpResponseParser p(Limit);
            const QByteArray bytes = head + "Content-Length: 0\r\n\r\n";
            p.feed(bytes.constData(), bytes.size());
            return p.done() && p.keepAlive();
        };
        QVERIFY(keepAlive("HTTP/1.1 200 OK\r\n"));
        QVERIFY(!keepAlive("HTTP/1.1 200 OK\r\nConnection: close\r\n"));
        QVERIFY(!keepAlive("HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\n"));
        QVERIFY(!keepAlive("HTTP/1.0 200 OK\r\n"));
        QVERIFY(keepAlive("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"));
        // Both framings: read by the chunks, and the connection not trusted again.
        HttpResponseParser both(Limit);
        const QByteArray bytes = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n";
        both.feed(bytes.constData(), bytes.size());
        QVERIFY(both.done() && !both.keepAlive());
        QCOMPARE(both.takeBody(), QByteArray("x"));
    }

    void noBodyAnswersEndAtTheirHeaders()
    {
        for (const QByteArray status : {"204 No Content", "304 Not Modified"}) {
            HttpResponseParser p(Limit);
            const QByteArray bytes = "HTTP/1.1 " + status + "\r\nETag: \"1\"\r\n\r\nHTTP/1.1 200";
            const qsizetype used = p.feed(bytes.constData(), bytes.size());
            QVERIFY(p.done());
            // What follows belongs to no answer of this request.
            QCOMPARE(used, bytes.indexOf("\r\n\r\n") + 4);
        }
    }

    void foldedHeadersContinueTheFieldBefore()
    {
        HttpResponseParser p(Limit);
        const QByteArray bytes = "HTTP/1.1 200 OK\r\nX-Long: one\r\n  two\r\nContent-Length: 0\r\n\r\n";
        p.feed(bytes.constData(), bytes.size());
        QVERIFY(p.done());
        QCOMPARE(p.headers()[0].second, QByteArray("one two"));
    }

    void aResponseCutShortFails_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("nothing") << QByteArray();
        QTest::newRow("in the status line") << QByteArray("HTTP/1.1 2");
        QTest::newRow("in the headers") << QByteArray("HTTP/1.1 200 OK\r\nContent-Le");
        QTest::newRow("in a length body") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345");
        QTest::newRow("in a chunk") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
        QTest::newRow("before the last chunk") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    }

    void aResponseCutShortFails()
    {
        QFETCH(QByteArray, bytes);
        HttpResponseParser p(Limit);
        p.feed(bytes.constData(), bytes.size());
        QVERIFY(!p.done());
        p.closed();
        QVERIFY(p.failed());
        QVERIFY(p.cutShort());
        QVERIFY(p.error().contains(u"closed the connection"));
        QVERIFY(p.takeBody().isEmpty()); // nothing of what was sized and not received
    }

    void malformedResponsesFailWithTheirProblem_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("problem");
        QTest::newRow("not HTTP") << QByteArray("SSH-2.0-OpenSSH_9.2\r\n") << QStringLiteral("not HTTP/1.x");
        QTest::newRow("HTTP/2 preface") << QByteArray("HTTP/2 200\r\n") << QStringLiteral("not HTTP/1.x");
        QTest::newRow("status letters") << QByteArray("HTTP/1.1 2x0 OK\r\n") << QStringLiteral("three digits");
        QTest::newRow("status too long") << QByteArray("HTTP/1.1 2000 OK\r\n") << QStringLiteral("three digits");
        QTest::newRow("header without colon") << QByteArray("HTTP/1.1 200 OK\r\nLink\r\n") << QStringLiteral("field name and colon");
        QTest::newRow("space before colon") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length : 1\r\n") << QStringLiteral("field name and colon");
        QTest::newRow("two lengths") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") << QStringLiteral("not one number");
        QTest::newRow("negative length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") << QStringLiteral("not one number");
        QTest::newRow("chunk size") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") << QStringLiteral("hexadecimal");
        QTest::newRow("chunk too long") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n") << QStringLiteral("longer than its size");
        QTest::newRow("switching protocols") << QByteArray("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n") << QStringLiteral("switches protocols");
        QTest::newRow("headers past 64 KiB") << QByteArray("HTTP/1.1 200 OK\r\nX: " + QByteArray(70 * 1024, 'a')) << QStringLiteral("longer than 64 KiB");
    }

    void malformedResponsesFailWithTheirProblem()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, problem);
        HttpResponseParser p(Limit);
        p.feed(bytes.constData(), bytes.size());
        QVERIFY(p.failed());
        QVERIFY(!p.cutShort());
        QVERIFY(!p.oversized());
        QVERIFY2(p.error().contains(problem), qPrintable(p.error()));
    }

    void bodiesPastTheLimitAreRefusedBeforeTheyAreRead()
    {
        const QByteArray big(100, 'x');
        const QList<QByteArray> responses{
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + big.left(64) + "\r\n40\r\n",
            "HTTP/1.1 200 OK\r\n\r\n" + big,
        };
        for (const QByteArray &bytes : responses) {
            HttpResponseParser p(99);
            p.feed(bytes.constData(), bytes.size());
            QVERIFY2(p.failed() && p.oversized(), bytes.left(60).constData());
            QVERIFY(p.error().contains(u"larger than 99 bytes"));
        }
        // At the limit: an answer.
        HttpResponseParser p(100);
        const QByteArray exact = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + big;
        p.feed(exact.constData(), exact.size());
        QVERIFY(p.done());
    }
};

QTEST_APPLESS_MAIN(TestHttpResponseParser)
#include "tst_httpresponseparser.moc"
