#include "WebhookVerifier.h"

#include "model/SyncError.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>

namespace syncdesk {

WebhookVerifier::WebhookVerifier(HttpWebhook::Scheme scheme, const QByteArray &secret, int toleranceSeconds)
    : m_scheme(scheme), m_tolerance(toleranceSeconds)
{
    if (secret.isEmpty())
        throw SyncError(QStringLiteral("the webhook secret is empty"));
    if (scheme == HttpWebhook::Scheme::GitHub) {
        m_key = secret;
        return;
    }
    const QByteArray encoded = secret.startsWith("whsec_") ? secret.mid(6) : secret;
    const auto decoded = QByteArray::fromBase64Encoding(encoded, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty())
        throw SyncError(QStringLiteral("the webhook secret is not a Standard Webhooks key (\"whsec_\" "
                                       "followed by base64)"));
    m_key = decoded.decoded;
}

bool WebhookVerifier::equalConstantTime(const QByteArray &a, const QByteArray &b)
{
    // Every byte is looked at whatever differs; only the lengths (not secret) end it early.
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

WebhookVerifier::Result WebhookVerifier::verify(const Headers &headers, const QByteArray &body, qint64 nowSeconds)
{
    forgetExpired(nowSeconds);
    Result r = m_scheme == HttpWebhook::Scheme::GitHub ? verifyGitHub(headers, body)
                                                       : verifyStandard(headers, body, nowSeconds);
    if (r.verdict != Verdict::Accepted)
        return r;
    if (m_seen.contains(r.id)) {
        r.verdict = Verdict::Replayed;
        r.reason = QStringLiteral("delivery %1 was received before; a replay changes nothing")
                       .arg(QString::fromLatin1(r.id.left(64)));
        return r;
    }
    remember(r.id, nowSeconds);
    return r;
}

WebhookVerifier::Result WebhookVerifier::verifyStandard(const Headers &headers, const QByteArray &body, qint64 now)
{
    Result r;
    r.id = headers.value("webhook-id");
    const QByteArray timestamp = headers.value("webhook-timestamp");
    const QByteArray signatures = headers.value("webhook-signature");
    if (signatures.isEmpty()) {
        r.verdict = Verdict::Unsigned;
        r.reason = QStringLiteral("no webhook-signature header: an unsigned delivery changes nothing");
        return r;
    }
    bool ok = false;
    r.timestamp = timestamp.toLongLong(&ok);
    if (r.id.isEmpty() || !ok) {
        r.verdict = Verdict::Malformed;
        r.reason = QStringLiteral("webhook-id and a numeric webhook-timestamp are required");
        return r;
    }
    QMessageAuthenticationCode mac(QCryptographicHash::Sha256, m_key);
    mac.addData(r.id);
    mac.addData(".");
    mac.addData(timestamp);
    mac.addData(".");
    mac.addData(body);
    const QByteArray expected = mac.result();
    bool matched = false;
    for (const QByteArray &entry : signatures.split(' ')) {
        if (!entry.startsWith("v1,"))
            continue; // other versions (v1a: asymmetric) are not ours to check
        const auto given = QByteArray::fromBase64Encoding(entry.mid(3), QByteArray::AbortOnBase64DecodingErrors);
        // Every v1 signature is compared (no early exit), so timing says nothing of which.
        if (given && equalConstantTime(given.decoded, expected))
            matched = true;
    }
    if (!matched) {
        r.verdict = Verdict::BadSignature;
        r.reason = QStringLiteral("no v1 signature matches the body: changes nothing");
        return r;
    }
    // Checked after the signature, so the timestamp judged is one the sender vouched for.
    if (r.timestamp < now - m_tolerance || r.timestamp > now + m_tolerance) {
        r.verdict = Verdict::Stale;
        r.reason = QStringLiteral("webhook-timestamp is %1 s from now, more than the %2 s tolerated: "
                                  "a late or replayed delivery changes nothing")
                       .arg(r.timestamp - now)
                       .arg(m_tolerance);
        return r;
    }
    r.verdict = Verdict::Accepted;
    return r;
}

WebhookVerifier::Result WebhookVerifier::verifyGitHub(const Headers &headers, const QByteArray &body)
{
    Result r;
    r.id = headers.value("x-github-delivery");
    const QByteArray signature = headers.value("x-hub-signature-256");
    if (signature.isEmpty()) {
        r.verdict = Verdict::Unsigned;
        r.reason = QStringLiteral("no X-Hub-Signature-256 header: an unsigned delivery changes nothing");
        return r;
    }
    if (r.id.isEmpty()) {
        r.verdict = Verdict::Malformed;
        r.reason = QStringLiteral("X-GitHub-Delivery is required: without an id a replay cannot be told apart");
        return r;
    }
    const QByteArray expected = QMessageAuthenticationCode::hash(body, m_key, QCryptographicHash::Sha256);
    const QByteArray given = signature.startsWith("sha256=") ? QByteArray::fromHex(signature.mid(7)) : QByteArray();
    if (!equalConstantTime(given, expected)) {
        r.verdict = Verdict::BadSignature;
        r.reason = QStringLiteral("X-Hub-Signature-256 does not match the body: changes nothing");
        return r;
    }
    r.verdict = Verdict::Accepted;
    return r;
}

void WebhookVerifier::remember(const QByteArray &id, qint64 now)
{
    // Kept past the tolerance on both sides of now: until then its timestamp still passes.
    const qint64 until = now + (m_scheme == HttpWebhook::Scheme::GitHub ? GitHubIdSeconds : 2 * qint64(m_tolerance) + 1);
    m_seen.insert(id, until);
    m_order.emplace_back(until, id);
    while (m_order.size() > size_t(MaxIds)) {
        m_seen.remove(m_order.front().second);
        m_order.pop_front();
    }
}

void WebhookVerifier::forgetExpired(qint64 now)
{
    while (!m_order.empty() && m_order.front().first < now) {
        m_seen.remove(m_order.front().second);
        m_order.pop_front();
    }
}

} // namespace syncdesk
