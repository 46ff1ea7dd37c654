#pragma once

#include "Connector.h"
#include "model/HttpSpec.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QUrl>

namespace syncdesk {

// One write request as it is sent (the secret headers of the system are added by HttpClient
// and never appear here): what a preview shows and what a resolution sends.
struct HttpWriteRequest
{
    QByteArray method;
    QUrl url;
    QList<QPair<QByteArray, QByteArray>> headers; // the condition's (If-Match …), nothing secret
    QByteArray body;                              // JSON, empty for DELETE
    // "PATCH http://host/customers/7  If-Match: \"3\"  {\"name\":\"Ana\"}"
    [[nodiscard]] QString text() const;
};

// What a record of one API side looks like when it is read for a write: its item body as
// the server sent it (empty: there is no record) and the ETag the server sent with it.
struct HttpItemRead
{
    bool exists = false;
    std::optional<EncodedRow> row; // as the flow encodes it (left out where only shown)
    QByteArray body;
    QByteArray etag;
};

// Builds the request that makes one record of an API side hold a resolution's values
// (HttpWrite: the method for updates and creates, and the condition the server checks):
//  - a delete is DELETE at the record's URL;
//  - an update is PATCH of the compared members (a JSON pointer field sends its whole top-level
//    member as read, with the nested value replaced, so shallow and merge-patch servers agree),
//    or PUT of the whole record as read with the compared members replaced;
//  - a create is POST to the resource, or PUT at the record's URL, with the key members and the
//    fields.
// Values keep the JSON type the member has on the server (a string stays a string); members
// without a value yet take their column's class (numbers, booleans, text).
class HttpRecordWriter
{
public:
    HttpRecordWriter(const HttpSideSpec &side, const ScanRequest &request, QUrl itemUrl, QUrl collectionUrl,
                     QString where);

    // Throws SyncError naming the problem (no ETag to condition on, a value that JSON cannot
    // hold, a body that is not a JSON object) before anything is sent.
    [[nodiscard]] HttpWriteRequest request(const HttpItemRead &current, const KeyText &key,
                                           const std::optional<QList<FieldText>> &values) const;

private:
    const HttpSideSpec &m_side;
    const ScanRequest &m_request;
    QUrl m_itemUrl;
    QUrl m_collectionUrl;
    QString m_where;
};

} // namespace syncdesk
