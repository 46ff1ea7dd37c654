#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace syncdesk {

// One request header of an HTTP system. A secret is never in the workspace file: the value is
// either a literal (for non-secret headers such as Accept) or read from the environment at
// the moment of the request (`prefix` + $env), so it never lands in a message or a report.
struct HttpHeader
{
    QString name;
    QString literal;
    QString env;      // non-empty: the value comes from this environment variable
    QString keychain; // non-empty: from this desktop keychain entry, which the console reads
                      // (SecretCache); `env`, when also given, serves processes that read none
    QString prefix;   // put before the secret ("Bearer ")
};

// The HTTP half of a system (DESIGN.md, "HTTP JSON systems").
struct HttpSystemSpec
{
    QList<HttpHeader> headers;
    double maxRequestsPerSecond = 0; // 0: no pacing beyond the concurrency cap
    int maxConcurrentRequests = 4;
    QString caFile;                  // extra CA certificates (PEM) trusted for TLS
    qint64 maxBodyBytes = 64ll << 20; // a bigger response is refused, never read whole
    int timeoutSeconds = 30;          // per request, retried like any failure
    QJsonObject raw;                  // the system as written, kept for the workspace editor
};

// How a list endpoint is paged.
struct HttpPaging
{
    enum class Style { None, Link, Page, Offset, Cursor };
    Style style = Style::Link;
    QString pageParam = QStringLiteral("page");
    QString sizeParam = QStringLiteral("per_page");
    QString offsetParam = QStringLiteral("offset");
    QString limitParam = QStringLiteral("limit");
    QString cursorAt;      // JSON pointer to the next cursor in the body
    QString cursorParam = QStringLiteral("cursor");
    int size = 100;        // records asked per page (Link: sent only when sizeParam is given)
    int firstPage = 1;
    bool sizeParamSet = false;
};

// How a record of a flow side is written when a resolution changes it (README, "Resolving onto
// an API"). Writes are conditional where the API can check a condition itself; where it
// cannot, the record is read again just before the write, and the write is said to be
// unconditional in the preview and the audit entry.
struct HttpWrite
{
    enum class Update { Patch, Put };  // PATCH the compared members, or PUT the whole record
    enum class Create { Post, Put };   // POST to the resource, or PUT at the record's own URL
    enum class Condition { None, Etag, Version };
    Update update = Update::Patch;
    Create create = Create::Post;
    // Etag: If-Match with the ETag of the record's GET (If-None-Match: * on a PUT create).
    // Version: the `version` member as read is sent back in the body (CouchDB's _rev), and on
    // DELETE as query parameter `versionParam` (or If-Match when none is named); the server
    // refuses a stale one (412 or 409).
    Condition condition = Condition::None;
    QString version;
    QString versionParam;
};

// A webhook receiver for a flow side (DESIGN.md, "HTTP JSON systems"; README, "Webhooks"):
// where it listens, how deliveries are signed, and the bounds that keep a flood harmless.
struct HttpWebhook
{
    enum class Scheme { StandardWebhooks, GitHub };
    QString host;                 // the address listened on ("127.0.0.1")
    quint16 port = 0;
    QString path;                 // "/hooks/crm"
    QString secretEnv;            // the variable holding the signing secret
    QString secretKeychain;       // or the desktop keychain entry (see HttpHeader::keychain)
    Scheme scheme = Scheme::StandardWebhooks;
    QString record;               // JSON pointer to the changed record in a delivery's body
    int toleranceSeconds = 300;   // how far a delivery's timestamp may be from now
    qint64 maxBodyBytes = 1 << 20;
    int maxConnections = 16;
};

// The HTTP half of a flow side: where its records are and how to read and address them.
struct HttpSideSpec
{
    QString resource;       // path under base_url, may carry a query ("db/_all_docs?include_docs=true")
    QString records;        // JSON pointer to the array of records in a list body ("" = the body)
    QString record;         // JSON pointer to the record inside each array element ("" = itself)
    QString item;           // a record's own path, with {member} placeholders for key members
    QString itemRecord;     // JSON pointer to the record in an item's body ("" = the body)
    QString updatedSinceParam;
    QString changes;        // a CouchDB-style _changes path: live changes (deletes too) by sequence
    HttpPaging page;
    HttpWrite write;
    std::optional<HttpWebhook> webhook;
    QJsonObject raw;        // the side as written, kept for the workspace editor
};

} // namespace syncdesk
