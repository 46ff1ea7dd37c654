// Webhook signatures, against the published examples of both schemes (Standard Webhooks'
// reference vector, GitHub's documented one), and what must change nothing: unsigned, badly
// signed, stale, future and replayed deliveries.
#include "feeds/WebhookVerifier.h"
#include "model/SyncError.h"

#include <QTest>

using namespace syncdesk;
using Verdict = WebhookVerifier::Verdict;

namespace {

// The Standard Webhooks specification's example delivery.
const QByteArray StdSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const QByteArray StdId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr qint64 StdTimestamp = 1614265330;
const QByteArray StdBody = R"({"test": 2432232314})";
const QByteArray StdSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

WebhookVerifier::Headers standard(const QByteArray &id, qint64 timestamp, const QByteArray &signature)
{
    WebhookVerifier::Headers h;
    h.insert("webhook-id", id);
    h.insert("webhook-timestamp", QByteArray::number(timestamp));
    if (!signature.isEmpty())
        h.insert("webhook-signature", signature);
    return h;
}

} // namespace

class TestWebhookVerifier : public QObject
{
    Q_OBJECT

private slots:
    void standardWebhooksReferenceVectorIsAccepted()
    {
        WebhookVerifier v(HttpWebhook::Scheme::StandardWebhooks, StdSecret, 300);
        const auto r = v.verify(standard(StdId, StdTimestamp, StdSignature), StdBody, StdTimestamp + 10);
        QCOMPARE(r.verdict, Verdict::Accepted);
        QCOMPARE(r.id, StdId);
        QCOMPARE(r.timestamp, StdTimestamp);
    }

    void anyOfSeveralSignaturesMayMatch()
    {
        // A sender rotating its secret signs with both keys; unknown versions are skipped.
        WebhookVerifier v(HttpWebhook::Scheme::StandardWebhooks, StdSecret, 300);
        const QByteArray several = "v1a,aGVsbG8= v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " + StdSignature;
        QCOMPARE(v.verify(standard(StdId, StdTimestamp, several), StdBody, StdTimestamp).verdict, Verdict::Accepted);
    }

    void whatMustChangeNothing_data()
    {
        QTest::addColumn<QByteArray>("id");
        QTest::addColumn<qint64>("timestamp");
        QTest::addColumn<QByteArray>("signature");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<qint64>("now");
        QTest::addColumn<int>("verdict");
        QTest::newRow("unsigned") << StdId << StdTimestamp << QByteArray() << StdBody << StdTimestamp
                                  << int(Verdict::Unsigned);
        QTest::newRow("body changed") << StdId << StdTimestamp << StdSignature << QByteArray(R"({"test": 2432232315})")
                                      << StdTimestamp << int(Verdict::BadSignature);
        QTest::newRow("id changed") << QByteArray("msg_other") << StdTimestamp << StdSignature << StdBody
                                    << StdTimestamp << int(Verdict::BadSignature);
        QTest::newRow("timestamp changed") << StdId << StdTimestamp + 1 << StdSignature << StdBody << StdTimestamp
                                           << int(Verdict::BadSignature);
        QTest::newRow("signature not base64") << StdId << StdTimestamp << QByteArray("v1,%%%") << StdBody
                                              << StdTimestamp << int(Verdict::BadSignature);
        QTest::newRow("only another version") << StdId << StdTimestamp << QByteArray("v2,") + StdSignature.mid(3)
                                              << StdBody << StdTimestamp << int(Verdict::BadSignature);
        QTest::newRow("stale") << StdId << StdTimestamp << StdSignature << StdBody << StdTimestamp + 301
                               << int(Verdict::Stale);
        QTest::newRow("from the future") << StdId << StdTimestamp << StdSignature << StdBody << StdTimestamp - 301
                                         << int(Verdict::Stale);
        QTest::newRow("no id") << QByteArray() << StdTimestamp << StdSignature << StdBody << StdTimestamp
                               << int(Verdict::Malformed);
    }

    void whatMustChangeNothing()
    {
        QFETCH(QByteArray, id);
        QFETCH(qint64, timestamp);
        QFETCH(QByteArray, signature);
        QFETCH(QByteArray, body);
        QFETCH(qint64, now);
        QFETCH(int, verdict);
        WebhookVerifier v(HttpWebhook::Scheme::StandardWebhooks, StdSecret, 300);
        const auto r = v.verify(standard(id, timestamp, signature), body, now);
        QCOMPARE(int(r.verdict), verdict);
        QVERIFY(!r.reason.isEmpty());
        QVERIFY(!r.reason.contains(QString::fromLatin1(StdSecret.mid(6))));
        // A refused delivery spends nothing: the genuine one is still accepted afterwards.
        QCOMPARE(v.verify(standard(StdId, StdTimestamp, StdSignature), StdBody, StdTimestamp).verdict,
                 Verdict::Accepted);
    }

    void aReplayIsRefusedUntilItsTimestampIsStale()
    {
        WebhookVerifier v(HttpWebhook::Scheme::StandardWebhooks, StdSecret, 300);
        const auto headers = standard(StdId, StdTimestamp, StdSignature);
        QCOMPARE(v.verify(headers, StdBody, StdTimestamp).verdict, Verdict::Accepted);
        QCOMPARE(v.verify(headers, StdBody, StdTimestamp + 1).verdict, Verdict::Replayed);
        QCOMPARE(v.verify(headers, StdBody, StdTimestamp + 300).verdict, Verdict::Replayed);
        // Once its id is forgotten, its timestamp is out of the window: still refused.
        QCOMPARE(v.verify(headers, StdBody, StdTimestamp + 1000).verdict, Verdict::Stale);
    }

    void gitHubDocumentedExampleIsAccepted()
    {
        // docs.github.com, "Validating webhook deliveries".
        WebhookVerifier v(HttpWebhook::Scheme::GitHub, "It's a Secret to Everybody", 300);
        WebhookVerifier::Headers h;
        h.insert("x-hub-signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
        h.insert("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        QCOMPARE(v.verify(h, "Hello, World!", 1000).verdict, Verdict::Accepted);
        QCOMPARE(v.verify(h, "Hello, World!", 2000).verdict, Verdict::Replayed);
        h.insert("x-github-delivery", "another");
        QCOMPARE(v.verify(h, "Hello, World?", 2000).verdict, Verdict::BadSignature);
        h.remove("x-hub-signature-256");
        QCOMPARE(v.verify(h, "Hello, World!", 2000).verdict, Verdict::Unsigned);
    }

    void aSecretThatIsNoKeyIsRefused()
    {
        QVERIFY_THROWS_EXCEPTION(SyncError, WebhookVerifier(HttpWebhook::Scheme::StandardWebhooks, "whsec_%%%", 300));
        QVERIFY_THROWS_EXCEPTION(SyncError, WebhookVerifier(HttpWebhook::Scheme::GitHub, "", 300));
    }

    void constantTimeComparison()
    {
        QVERIFY(WebhookVerifier::equalConstantTime("abc", "abc"));
        QVERIFY(!WebhookVerifier::equalConstantTime("abc", "abd"));
        QVERIFY(!WebhookVerifier::equalConstantTime("abc", "abcd"));
        QVERIFY(WebhookVerifier::equalConstantTime({}, {}));
    }
};

QTEST_GUILESS_MAIN(TestWebhookVerifier)
#include "tst_webhookverifier.moc"
