#include "HttpConnector.h"

#include "BatchQueue.h"
#include "HttpPageFetcher.h"
#include "HttpRecords.h"
#include "HttpRowLock.h"
#include "model/RowEncoder.h"
#include "model/ScanBatch.h"
#include "model/SyncError.h"

#include <QRegularExpression>
#include <QSet>
#include <QUrlQuery>

#include <xxhash.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <utility>

namespace syncdesk {

namespace {

std::vector<std::string> memberNames(const ScanRequest &request)
{
    std::vector<std::string> names;
    for (const ColumnInfo &c : request.keys)
        names.push_back(c.name.toStdString());
    for (const ColumnInfo &c : request.fields)
        names.push_back(c.name.toStdString());
    return names;
}

} // namespace

QUrl HttpConnector::withParam(QUrl url, const QString &name, const QString &value)
{
    QUrlQuery query(url);
    query.removeAllQueryItems(name);
    query.addQueryItem(name, QString::fromLatin1(QUrl::toPercentEncoding(value)));
    url.setQuery(query.query(QUrl::FullyEncoded), QUrl::StrictMode);
    return url;
}

namespace {

// Reads one record's key and field members into `values` (texts kept in `storage`); throws
// naming the record when a key member is missing or null: such a record names nothing.
void readRecord(const HttpRecords &records, size_t i, const std::vector<std::string> &names,
                qsizetype keyCount, std::vector<RawValue> &values, std::vector<std::string> &storage,
                const QString &where)
{
    for (size_t c = 0; c < names.size(); ++c) {
        const std::optional<HttpRecords::Value> member = records.member(i, names[c]);
        values[c] = HttpRecords::raw(member, storage[c]);
        if (qsizetype(c) < keyCount && values[c].kind == RawValue::Kind::Null)
            throw SyncError(QStringLiteral("%1: record %2 has %3 key member '%4'")
                                .arg(where, QString::number(i),
                                     member ? QStringLiteral("a null") : QStringLiteral("no"),
                                     QString::fromStdString(names[c])));
    }
}

[[noreturn]] void keyNotOfClass(const HttpRecords &records, size_t i, const ScanRequest &request,
                                const QString &where)
{
    for (const ColumnInfo &k : request.keys) {
        const std::optional<HttpRecords::Value> m = records.member(i, k.name.toStdString());
        if (m && HttpRecords::isNumber(*m) != (k.cls == FieldClass::Numeric))
            throw SyncError(QStringLiteral("%1: record %2's key member '%3' is %4, but the flow "
                                           "compares that key as %5")
                                .arg(where, QString::number(i), k.name, HttpRecords::typeName(*m),
                                     k.cls == FieldClass::Numeric ? QStringLiteral("a number")
                                                                  : QStringLiteral("text")));
    }
    throw SyncError(QStringLiteral("%1: record %2's key cannot be read as the flow's key type")
                        .arg(where, QString::number(i)));
}

// The class a column's JSON values suggest: numbers compare by value, booleans as booleans,
// anything else (strings, objects, a mix) as text; the other side's type may refine it.
ColumnInfo inferColumn(const HttpRecords &records, const QString &name)
{
    ColumnInfo info;
    info.name = name;
    info.byteOrdered = false;
    bool numbers = true, booleans = true, any = false;
    const std::string member = name.toStdString();
    for (size_t i = 0; i < records.size(); ++i) {
        const std::optional<HttpRecords::Value> v = records.member(i, member);
        if (!v || v->is_null())
            continue;
        any = true;
        numbers = numbers && HttpRecords::isNumber(*v);
        booleans = booleans && v->is_bool();
    }
    if (any && numbers) {
        info.cls = FieldClass::Numeric;
        info.typeName = QStringLiteral("json number");
    } else if (any && booleans) {
        info.cls = FieldClass::Boolean;
        info.typeName = QStringLiteral("json boolean");
    } else {
        info.cls = FieldClass::Text;
        info.typeName = any ? QStringLiteral("json") : QStringLiteral("json (no value seen)");
    }
    return info;
}

} // namespace

// One list being read: its fetcher and what deciding its next pages needs. Where the headers
// or a page number name the next page, the fetcher decides it (on its own thread; `visited`
// and `page` are then its alone); else the reading thread names it.
struct HttpConnector::ListRead
{
    const HttpSideSpec *side = nullptr;
    std::shared_ptr<const HttpSideSpec> keep; // the side, while a started list waits for its scan
    QUrl first;
    // Each page's URL, asked for once: a list whose next page is one already read never ends.
    QSet<QString> visited;
    int page = 1;
    // The first page, taken to describe the list, for the scan that follows (describeThenScan).
    std::optional<HttpPageFetcher::Page> taken;
    std::unique_ptr<HttpPageFetcher> fetcher; // last: stopped before the state it decides with

    QUrl unvisited(const HttpConnector &connector, const QUrl &current, const QUrl &next)
    {
        if (visited.contains(next.toString()))
            throw SyncError(QStringLiteral("%1: the next page is %2 again, a page already read; the "
                                           "paging never ends")
                                .arg(connector.messagePrefix("GET", current), HttpClient::describe("GET", next)));
        visited.insert(next.toString());
        return next;
    }
};

HttpConnector::HttpConnector(SystemSpec system) : Connector(system), m_client(std::move(system)) {}

void HttpConnector::open()
{
    // Nothing to hold open: each request finds its connection (Qt Network keeps them alive).
}

const HttpSideSpec &HttpConnector::side(const TableRef &table) const
{
    if (!table.http)
        throw SyncError(QStringLiteral("%1: '%2' is not an HTTP resource of this system")
                            .arg(where(), table.display()));
    return *table.http;
}

QString HttpConnector::messagePrefix(const QByteArray &method, const QUrl &url) const
{
    return QStringLiteral("%1: %2").arg(where(), HttpClient::describe(method, url));
}

QUrl HttpConnector::firstPage(const HttpSideSpec &s) const
{
    QUrl url = m_client.resolve(s.resource);
    const HttpPaging &p = s.page;
    switch (p.style) {
    case HttpPaging::Style::None: break;
    case HttpPaging::Style::Link:
    case HttpPaging::Style::Cursor:
        if (p.sizeParamSet)
            url = withParam(url, p.sizeParam, QString::number(p.size));
        break;
    case HttpPaging::Style::Page:
        url = withParam(url, p.pageParam, QString::number(p.firstPage));
        url = withParam(url, p.sizeParam, QString::number(p.size));
        break;
    case HttpPaging::Style::Offset:
        url = withParam(url, p.offsetParam, QStringLiteral("0"));
        url = withParam(url, p.limitParam, QString::number(p.size));
        break;
    }
    return url;
}

QUrl HttpConnector::link(const QByteArray &linkHeader, const QUrl &base, QStringView relation)
{
    // Link: <u1>; rel="first", <u2>; rel="next"; several headers arrive joined by ", ".
    const QString header = QString::fromUtf8(linkHeader);
    qsizetype pos = 0;
    while (pos < header.size()) {
        const qsizetype open = header.indexOf(u'<', pos);
        if (open < 0)
            break;
        const qsizetype close = header.indexOf(u'>', open);
        if (close < 0)
            break;
        const QString target = header.mid(open + 1, close - open - 1);
        qsizetype end = header.indexOf(u'<', close);
        // Parameters run to the next link (a comma inside a quoted value is not a separator,
        // and URLs cannot start before a '<').
        const QString params = header.mid(close + 1, end < 0 ? -1 : end - close - 1);
        static const QRegularExpression rel(QStringLiteral("^\\s*;.*?rel\\s*=\\s*(?:\"([^\"]*)\"|([^\\s;,]+))"),
                                            QRegularExpression::CaseInsensitiveOption);
        const QRegularExpressionMatch m = rel.match(params);
        if (m.hasMatch()) {
            const QString rels = m.captured(1).isEmpty() ? m.captured(2) : m.captured(1);
            if (rels.split(u' ', Qt::SkipEmptyParts).contains(relation.toString(), Qt::CaseInsensitive))
                return base.resolved(QUrl(target));
        }
        pos = end < 0 ? header.size() : end;
    }
    return {};
}

QUrl HttpConnector::itemUrl(const ScanRequest &request, const KeyText &key) const
{
    QStringList keyNames;
    for (const ColumnInfo &k : request.keys)
        keyNames << k.name;
    return itemUrl(side(request.table), keyNames, key);
}

QUrl HttpConnector::itemUrl(const HttpSideSpec &s, const QStringList &keyNames, const KeyText &key) const
{
    QString path = s.item;
    if (path.isEmpty()) {
        path = s.resource.section(u'?', 0, 0);
        while (path.endsWith(u'/'))
            path.chop(1);
        path += QStringLiteral("/{key}");
    }
    for (qsizetype i = 0; i < keyNames.size() && i < key.size(); ++i) {
        const QString value = QString::fromLatin1(QUrl::toPercentEncoding(key[i].value_or(QString())));
        path.replace(u'{' + keyNames[i] + u'}', value);
        if (keyNames.size() == 1)
            path.replace(QStringLiteral("{key}"), value);
    }
    return m_client.resolve(path);
}

QList<ColumnInfo> HttpConnector::describe(const TableRef &table, const QStringList &columns)
{
    const HttpSideSpec &s = side(table);
    const QUrl url = firstPage(s);
    const HttpResponse response = m_client.get(url);
    const QString at = messagePrefix("GET", url);
    return describeRecords(HttpRecords(m_parser, response.body, s.records, s.record, at), columns, at);
}

QList<ColumnInfo> HttpConnector::describeThenScan(const TableRef &table, const QStringList &columns)
{
    m_started.reset();
    const HttpSideSpec &s = side(table);
    const QUrl url = firstPage(s);
    std::unique_ptr<ListRead> list = startList(s, url);
    std::optional<HttpPageFetcher::Page> first = list->fetcher->take(); // throws what failed
    if (!first)
        return describe(table, columns); // never: a list's first answer always comes first
    const QString at = messagePrefix("GET", url);
    QList<ColumnInfo> out =
        describeRecords(HttpRecords(m_parser, first->answer.body, s.records, s.record, at), columns, at);
    // The pages after it keep coming while the plan settles, up to a few MiB.
    list->fetcher->holdUntilTaken(PagesWhilePlanning);
    list->keep = table.http;
    list->taken = std::move(first);
    m_started = std::move(list);
    return out;
}

QList<ColumnInfo> HttpConnector::describeRecords(const HttpRecords &records, const QStringList &columns,
                                                 const QString &at)
{
    QList<ColumnInfo> out;
    for (const QString &name : columns) {
        ColumnInfo info = inferColumn(records, name);
        // A member that no record of a non-empty first page has is most likely misspelt; a
        // member left out only where it is null still shows up in some record.
        if (records.size() > 0 && info.typeName.endsWith(QLatin1String("(no value seen)"))) {
            bool present = false;
            for (size_t i = 0; i < records.size() && !present; ++i)
                present = records.member(i, name.toStdString()).has_value();
            if (!present)
                throw SyncError(QStringLiteral("%1: no record of the first page has a member '%2' "
                                               "(members seen: %3)")
                                    .arg(at, name, records.memberNames().join(QStringLiteral(", "))));
        }
        out.append(info);
    }
    return out;
}

QList<TableRef> HttpConnector::tables()
{
    (void)m_client.get(m_client.resolve(QString()), true);
    return {};
}

QStringList HttpConnector::columns(const TableRef &table)
{
    const HttpSideSpec &s = side(table);
    const QUrl url = firstPage(s);
    const HttpResponse response = m_client.get(url);
    return HttpRecords(m_parser, response.body, s.records, s.record, messagePrefix("GET", url)).memberNames();
}

HttpConnector::~HttpConnector() = default;

std::unique_ptr<HttpConnector::ListRead> HttpConnector::startList(const HttpSideSpec &s, const QUrl &first)
{
    auto list = std::make_unique<ListRead>();
    ListRead &l = *list;
    l.side = &s;
    l.first = first;
    l.visited.insert(first.toString());
    l.page = s.page.firstPage;
    const HttpPaging &p = s.page;
    // Page numbers run past the list's end (an empty page), so they go one page ahead only.
    const auto pace = p.style == HttpPaging::Style::Page ? HttpPageFetcher::Pace::OneAhead : HttpPageFetcher::Pace::Ahead;
    l.fetcher = std::make_unique<HttpPageFetcher>(m_client, first, pace, [this, &l, &p](const HttpPageFetcher::Page &answered) {
        using Next = HttpPageFetcher::Next;
        const QUrl &current = answered.requested;
        switch (p.style) {
        case HttpPaging::Style::Link: {
            // Relative links are relative to where the page came from.
            const QUrl next = nextLink(answered.answer.header("Link"), answered.answer.url);
            if (next.isEmpty())
                return Next{Next::Kind::Last, {}, false, {}};
            if (!m_client.sameOrigin(next))
                throw SyncError(QStringLiteral("%1: the next page link leads to another host (%2); "
                                               "refused").arg(messagePrefix("GET", current), next.host()));
            // The last page, where the server names it, bounds the pages asked for ahead.
            return Next{Next::Kind::Url, l.unvisited(*this, current, next), false,
                        link(answered.answer.header("Link"), answered.answer.url, u"last")};
        }
        case HttpPaging::Style::Page:
            // Past the first page, a 404 of page-numbered lists is their end (servers such as
            // Django REST framework answer an out-of-range page that way).
            if (answered.answer.status == 404)
                return Next{Next::Kind::Last, {}, false, {}};
            return Next{Next::Kind::Url,
                        l.unvisited(*this, current, withParam(current, p.pageParam, QString::number(++l.page))), true, {}};
        case HttpPaging::Style::None: return Next{Next::Kind::Last, {}, false, {}};
        case HttpPaging::Style::Offset:
        case HttpPaging::Style::Cursor: break;
        }
        return Next{Next::Kind::FromBody, {}, false, {}};
    });
    return list;
}

void HttpConnector::readPages(const HttpSideSpec &s, const QUrl &first, const PageReader &reader)
{
    const HttpPaging &p = s.page;
    // The list describeThenScan() started, if it is this one; else a new one.
    std::unique_ptr<ListRead> list = std::move(m_started);
    if (!list || list->side != &s || list->first != first)
        list = startList(s, first);
    HttpPageFetcher &fetcher = *list->fetcher;
    quint64 lastBody = 0;
    qint64 offset = 0;
    for (;;) {
        std::optional<HttpPageFetcher::Page> taken = std::exchange(list->taken, std::nullopt);
        if (!taken)
            taken = fetcher.take();
        if (!taken)
            break;
        const QUrl &current = taken->requested;
        const HttpResponse &response = taken->answer;
        const QString at = messagePrefix("GET", current);
        if (response.status == 404)
            return;
        // A server that ignores the paging parameters sends the same page again and again.
        const quint64 bodyHash = XXH3_64bits(response.body.constData(), size_t(response.body.size()));
        if (p.style != HttpPaging::Style::None && p.style != HttpPaging::Style::Link && bodyHash == lastBody
            && !response.body.isEmpty())
            throw SyncError(QStringLiteral("%1: the server sent the previous page again; it does not "
                                           "seem to page by '%2' (check the side's \"page\")")
                                .arg(at, p.style == HttpPaging::Style::Page     ? p.pageParam
                                         : p.style == HttpPaging::Style::Offset ? p.offsetParam
                                                                                : p.cursorParam));
        lastBody = bodyHash;
        const HttpRecords records(m_parser, response.body, s.records, s.record, at);
        if (!reader(records, at))
            return;
        // An empty page ends page-numbered and offset lists (a short one does not: servers cap
        // the page size); links and cursors end where the server gives no next one.
        if (records.size() == 0 && (p.style == HttpPaging::Style::Page || p.style == HttpPaging::Style::Offset))
            return;
        if (p.style == HttpPaging::Style::Offset) {
            offset += qint64(records.size());
            fetcher.follow(list->unvisited(*this, current, withParam(current, p.offsetParam, QString::number(offset))));
        } else if (p.style == HttpPaging::Style::Cursor) {
            const std::optional<HttpRecords::Value> cursor = HttpRecords::at(records.document(), p.cursorAt.toStdString());
            const QString next = memberText(cursor);
            fetcher.follow(next.isEmpty() ? QUrl() : list->unvisited(*this, current, withParam(current, p.cursorParam, next)));
        }
    }
}

QString HttpConnector::memberText(const std::optional<HttpRecords::Value> &value)
{
    std::string storage;
    const RawValue v = HttpRecords::raw(value, storage);
    switch (v.kind) {
    case RawValue::Kind::Null: return {};
    case RawValue::Kind::Integer: return QString::number(v.integer);
    default: return QString::fromUtf8(v.bytes.data(), qsizetype(v.bytes.size()));
    }
}

ScanStats HttpConnector::scan(const ScanRequest &request, RowEncoder &encoder, BatchQueue &queue)
{
    const HttpSideSpec &s = side(request.table);
    const std::vector<std::string> names = memberNames(request);
    const qsizetype keyCount = request.keys.size();
    std::vector<RawValue> values(names.size());
    std::vector<std::string> storage(names.size());
    ScanStats stats;
    std::unique_ptr<ScanBatch> batch = queue.emptyBatch();
    bool cancelled = false;
    readPages(s, firstPage(s), [&](const HttpRecords &records, const QString &at) {
        for (size_t i = 0; i < records.size(); ++i) {
            readRecord(records, i, names, keyCount, values, storage, at);
            if (!encoder.append(values.data(), values.data() + keyCount, *batch))
                keyNotOfClass(records, i, request, at);
            ++stats.rows;
            if (batch->size() >= BatchRows) {
                if (!queue.push(std::move(batch))) {
                    cancelled = true;
                    return false;
                }
                batch = queue.emptyBatch();
            }
        }
        return !queue.cancelled();
    });
    if (!cancelled && batch->size() > 0)
        (void)queue.push(std::move(batch));
    return stats;
}

std::string HttpConnector::encodedKey(RowEncoder &encoder, const KeyText &key)
{
    std::vector<QByteArray> texts;
    std::vector<RawValue> keyValues;
    for (const std::optional<QString> &part : key)
        texts.push_back(part.value_or(QString()).toUtf8());
    for (const QByteArray &t : texts)
        keyValues.push_back(RawValue::text({t.constData(), size_t(t.size())}));
    std::string encoded;
    QByteArray keyJson;
    if (!encoder.encodeKey(keyValues.data(), encoded, keyJson))
        encoded.clear(); // cannot match any record: its item is read and refused
    return encoded;
}

EncodedRow HttpConnector::encodeItem(const ScanRequest &request, RowEncoder &encoder, const HttpResponse &response,
                                     const QUrl &url, const std::string &requestedKey)
{
    const HttpSideSpec &s = side(request.table);
    const std::vector<std::string> names = memberNames(request);
    std::vector<RawValue> values(names.size());
    std::vector<std::string> storage(names.size());
    const QString at = messagePrefix("GET", url);
    const HttpRecords record = HttpRecords::single(m_parser, response.body, s.itemRecord, at);
    readRecord(record, 0, names, request.keys.size(), values, storage, at);
    EncodedRow encoded;
    if (!encoder.encodeRow(values.data(), values.data() + request.keys.size(), encoded))
        keyNotOfClass(record, 0, request, at);
    // The item path must lead to the record asked for: a wrong "item" template would
    // otherwise pair one record's key with another's values.
    if (encoded.key != requestedKey)
        throw SyncError(QStringLiteral("%1: the response holds the record %2, not the one asked "
                                       "for; check the flow side's \"item\" path")
                            .arg(at, QString::fromUtf8(encoded.keyJson)));
    return encoded;
}

QList<EncodedRow> HttpConnector::fetch(const ScanRequest &request, RowEncoder &encoder,
                                       const QList<KeyText> &keys)
{
    QList<EncodedRow> rows;
    // A few item reads travel at once (within the system's concurrency cap).
    const qsizetype window = std::min(8, m_client.system().http.maxConcurrentRequests);
    std::deque<std::pair<QUrl, std::unique_ptr<HttpClient::Exchange>>> inFlight;
    qsizetype nextKey = 0;
    std::deque<std::string> requested; // the encoded keys of the reads in flight, in order
    while (nextKey < keys.size() || !inFlight.empty()) {
        while (nextKey < keys.size() && qsizetype(inFlight.size()) < window) {
            const KeyText &key = keys[nextKey++];
            requested.push_back(encodedKey(encoder, key));
            const QUrl url = itemUrl(request, key);
            inFlight.emplace_back(url, m_client.start("GET", url, {}, true));
        }
        auto [url, exchange] = std::move(inFlight.front());
        inFlight.pop_front();
        const HttpResponse response = m_client.wait(*exchange);
        const std::string wanted = std::move(requested.front());
        requested.pop_front();
        if (response.status == 404)
            continue; // no such record
        rows.append(encodeItem(request, encoder, response, url, wanted));
    }
    return rows;
}

HttpItemRead HttpConnector::readItem(const ScanRequest &request, RowEncoder &encoder, const KeyText &key)
{
    const QUrl url = itemUrl(request, key);
    HttpResponse response = m_client.get(url, true);
    HttpItemRead read;
    if (response.status == 404)
        return read;
    read.exists = true;
    read.row = encodeItem(request, encoder, response, url, encodedKey(encoder, key));
    read.etag = response.header("ETag");
    read.body = std::move(response.body);
    return read;
}

HttpRecordWriter HttpConnector::writer(const ScanRequest &request, const KeyText &key) const
{
    const HttpSideSpec &s = side(request.table);
    const QUrl item = itemUrl(request, key);
    // New records are POSTed to the collection their item URLs live in.
    QUrl collection = item;
    QString path = collection.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    collection.setPath(path.left(path.lastIndexOf(u'/')));
    collection.setQuery(QString());
    return HttpRecordWriter(s, request, item, collection,
                            QStringLiteral("%1: %2").arg(where(), HttpClient::describe("GET", item)));
}

bool HttpConnector::conditional(const HttpWrite &write, bool exists)
{
    switch (write.condition) {
    case HttpWrite::Condition::None: return false;
    case HttpWrite::Condition::Etag:
    case HttpWrite::Condition::Version: return exists || write.create == HttpWrite::Create::Put;
    }
    return false;
}

QString HttpConnector::writeNote(const ScanRequest &request)
{
    const HttpWrite &w = side(request.table).write;
    switch (w.condition) {
    case HttpWrite::Condition::None:
        return QStringLiteral("unconditional write: this API checks no condition (write.condition "
                              "\"none\"), so the record is read again just before the write and the "
                              "write is refused if it changed; a change in the moment between that read "
                              "and the write would be overwritten");
    case HttpWrite::Condition::Etag:
        return QStringLiteral("conditional write: If-Match with the record's ETag as read under the "
                              "lock; the server refuses it (412) if the record changed%1")
            .arg(w.create == HttpWrite::Create::Post ? QStringLiteral(" (a new record is POSTed "
                                                                      "unconditionally, after checking it is still absent)")
                                                     : QString());
    case HttpWrite::Condition::Version:
        return QStringLiteral("conditional write: the record's '%1' as read under the lock is sent "
                              "back; the server refuses it (409 or 412) if the record changed%2")
            .arg(w.version, w.create == HttpWrite::Create::Post
                                ? QStringLiteral(" (a new record is POSTed unconditionally, after "
                                                 "checking it is still absent)")
                                : QString());
    }
    return {};
}

std::unique_ptr<RowLock> HttpConnector::lockRows(const ScanRequest &request, RowEncoder &encoder,
                                                 const QList<KeyText> &keys)
{
    return std::make_unique<HttpRowLock>(*this, request, encoder, keys);
}

QList<BoundStatement> HttpConnector::writeStatements(const ScanRequest &request, const KeyText &key, bool exists,
                                                     const std::optional<QList<FieldText>> &values)
{
    // The record is read now, so the request shown is the one that would be sent with what the
    // server holds now (its body for a PUT, its ETag or version); the write reads it again.
    Q_UNUSED(exists)
    const HttpSideSpec &s = side(request.table);
    const QUrl item = itemUrl(request, key);
    HttpResponse response = m_client.get(item, true);
    HttpItemRead current;
    current.exists = response.status != 404;
    current.etag = response.header("ETag");
    current.body = std::move(response.body);
    const HttpWriteRequest write = writer(request, key).request(current, key, values);
    QList<BoundStatement> out;
    if (!conditional(s.write, current.exists))
        out.append({QStringLiteral("GET %1   (read again just before the write; refused if it changed)")
                        .arg(item.toDisplayString(QUrl::RemoveUserInfo)),
                    {}});
    out.append({write.text(), {}});
    return out;
}

} // namespace syncdesk
