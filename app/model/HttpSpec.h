#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

namespace syncdesk {

// One request header of an HTTP system. A secret is never in the workspace file: the value is
// either a literal (for non-secret headers such as Accept) or read from the environment at
// the moment of the request (`prefix` + $env), so it never lands in a message or a report.
struct HttpHeader
{
    QString name;
    QString literal;
    QString env;    // non-empty: the value comes from this environment variable
    QString prefix; // put before the variable's value ("Bearer ")
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

// The HTTP half of a flow side: where its records are and how to read and address them.
struct HttpSideSpec
{
    QString resource;       // path under base_url, may carry a query ("db/_all_docs?include_docs=true")
    QString records;        // JSON pointer to the array of records in a list body ("" = the body)
    QString record;         // JSON pointer to the record inside each array element ("" = itself)
    QString item;           // a record's own path, with {member} placeholders for key members
    QString itemRecord;     // JSON pointer to the record in an item's body ("" = the body)
    QString updatedSinceParam;
    HttpPaging page;
    QJsonObject raw;        // the side as written, kept for the workspace editor
};

} // namespace syncdesk
