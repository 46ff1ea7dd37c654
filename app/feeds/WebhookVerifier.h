#pragma once

#include "model/HttpSpec.h"

#include <QByteArray>
#include <QHash>
#include <QString>

#include <deque>

namespace syncdesk {

// Decides whether one webhook delivery may change anything (README, "Webhooks"): its signature
// is an HMAC-SHA256 over the raw body made with the shared secret, compared in constant time;
// its timestamp is within the tolerance of now; its id was not accepted before.
//  - Standard Webhooks 1.0: `webhook-id`, `webhook-timestamp` (seconds), `webhook-signature`
//    ("v1,<base64>", several space-separated), signed over "id.timestamp.body" with the
//    base64 key after "whsec_".
//  - GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body with the secret's bytes,
//    `X-GitHub-Delivery` as the id (GitHub signs no timestamp: ids are kept for a day).
// Ids are remembered only once a delivery is accepted, so nobody can spend an id without the
// secret; at most MaxIds are kept, the oldest forgotten first (by then their timestamps are
// stale, or, for GitHub, a day old).
class WebhookVerifier
{
public:
    enum class Verdict { Accepted, Unsigned, BadSignature, Stale, Replayed, Malformed };
    struct Result
    {
        Verdict verdict = Verdict::Malformed;
        QString reason;       // for the sender and the log; never the secret or a signature
        QByteArray id;
        qint64 timestamp = 0; // seconds since the epoch, 0 where the scheme signs none
    };
    // Header names are matched in lower case.
    using Headers = QHash<QByteArray, QByteArray>;

    // `secret` as configured (Standard Webhooks: "whsec_" + base64). Throws SyncError when it
    // cannot be a key of its scheme.
    WebhookVerifier(HttpWebhook::Scheme scheme, const QByteArray &secret, int toleranceSeconds);

    [[nodiscard]] Result verify(const Headers &headers, const QByteArray &body, qint64 nowSeconds);

    // Byte arrays equal, in a time that does not depend on where they first differ.
    [[nodiscard]] static bool equalConstantTime(const QByteArray &a, const QByteArray &b);

    static constexpr int MaxIds = 100000;
    static constexpr qint64 GitHubIdSeconds = 86400;

private:
    [[nodiscard]] Result verifyStandard(const Headers &headers, const QByteArray &body, qint64 now);
    [[nodiscard]] Result verifyGitHub(const Headers &headers, const QByteArray &body);
    void remember(const QByteArray &id, qint64 now);
    void forgetExpired(qint64 now);

    HttpWebhook::Scheme m_scheme;
    QByteArray m_key;
    int m_tolerance;
    QHash<QByteArray, qint64> m_seen;                 // id → when it may be forgotten
    std::deque<std::pair<qint64, QByteArray>> m_order; // the same, oldest first
};

} // namespace syncdesk
