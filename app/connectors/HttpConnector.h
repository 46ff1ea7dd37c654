#pragma once

#include "Connector.h"
#include "HttpClient.h"
#include "HttpRecordWriter.h"
#include "HttpRecords.h"

#include <QUrl>

#include <functional>
#include <memory>

namespace syncdesk {

// An HTTP JSON API (DESIGN.md, "HTTP JSON systems"; README, "HTTP systems"). A flow side is a
// list endpoint read page by page; a record is addressed by its item path for live reads.
// APIs list records in no order the merge could rely on, so scans say so (orderCost() is
// Sort) and the comparison pairs keys by hash, spilling to disk past its memory budget: the
// answer is exact whatever order the pages come in, with bounded memory.
class HttpConnector final : public Connector
{
public:
    explicit HttpConnector(SystemSpec system);
    ~HttpConnector() override;

    void open() override;
    [[nodiscard]] QList<ColumnInfo> describe(const TableRef &table, const QStringList &columns) override;
    // describe(), and the list's pages start coming at once: the first page, read to describe
    // the list, is the scan's first page too, and the pages after it are on their way while
    // the comparison settles its plan with the other side.
    [[nodiscard]] QList<ColumnInfo> describeThenScan(const TableRef &table, const QStringList &columns) override;
    // Page bytes held for the scan while the comparison settles its plan.
    static constexpr qsizetype PagesWhilePlanning = 8 << 20;
    ScanStats scan(const ScanRequest &request, RowEncoder &encoder, BatchQueue &queue) override;
    [[nodiscard]] OrderCost orderCost(const ScanRequest &) override { return OrderCost::Sort; }
    [[nodiscard]] QList<EncodedRow> fetch(const ScanRequest &request, RowEncoder &encoder,
                                          const QList<KeyText> &keys) override;
    [[nodiscard]] std::unique_ptr<RowLock> lockRows(const ScanRequest &request, RowEncoder &encoder,
                                                    const QList<KeyText> &keys) override;
    [[nodiscard]] QList<BoundStatement> writeStatements(const ScanRequest &request, const KeyText &key,
                                                        bool exists,
                                                        const std::optional<QList<FieldText>> &values) override;
    [[nodiscard]] QString writeNote(const ScanRequest &request) override;
    // One record read for a write: its row as the flow encodes it, its body and its ETag.
    [[nodiscard]] HttpItemRead readItem(const ScanRequest &request, RowEncoder &encoder, const KeyText &key);
    // How a record of `request`'s side is written (the request's lifetime must cover it).
    [[nodiscard]] HttpRecordWriter writer(const ScanRequest &request, const KeyText &key) const;
    // Whether the server itself checks a write's condition (else it is read again before).
    [[nodiscard]] static bool conditional(const HttpWrite &write, bool exists);
    // An API has no catalog (the editor names resources itself): asks the base URL once, so
    // "Test connection" says whether the API answers (404 counts: the server is there).
    [[nodiscard]] QList<TableRef> tables() override;
    // The members of the first page's records.
    [[nodiscard]] QStringList columns(const TableRef &table) override;
    [[nodiscard]] TableRef qualified(const TableRef &table) override { return table; }

    // The first page's URL of a side, and the page after `current` given its response and
    // records (nullopt: that was the last page). Public for tests of the paging styles.
    [[nodiscard]] QUrl firstPage(const HttpSideSpec &side) const;
    // A record's own URL, from the item template and the key's texts.
    [[nodiscard]] QUrl itemUrl(const HttpSideSpec &side, const QStringList &keyNames,
                               const KeyText &key) const;
    // The same for a scan request's side and key members.
    [[nodiscard]] QUrl itemUrl(const ScanRequest &request, const KeyText &key) const;

    // The URL of a Link header's link of relation `rel` (RFC 8288: "next", "last"), resolved
    // against `base`; empty if none.
    [[nodiscard]] static QUrl link(const QByteArray &linkHeader, const QUrl &base, QStringView rel);
    [[nodiscard]] static QUrl nextLink(const QByteArray &linkHeader, const QUrl &base)
    {
        return link(linkHeader, base, u"next");
    }

    [[nodiscard]] HttpClient &client() { return m_client; }

    // Reads the list pages from `first` on, handing each page's records to `reader` (with the
    // request's name for messages) until the last page, or until `reader` returns false.
    using PageReader = std::function<bool(const HttpRecords &records, const QString &at)>;
    void readPages(const HttpSideSpec &side, const QUrl &first, const PageReader &reader);
    // `url` with query parameter `name` set to `value` (any earlier value replaced).
    [[nodiscard]] static QUrl withParam(QUrl url, const QString &name, const QString &value);
    // A member's value as URL parameter text (a string as is, a number as printed).
    [[nodiscard]] static QString memberText(const std::optional<HttpRecords::Value> &value);
    [[nodiscard]] const HttpSideSpec &side(const TableRef &table) const;

private:
    // An item response's record, encoded, checked to be the record of `requestedKey`.
    [[nodiscard]] EncodedRow encodeItem(const ScanRequest &request, RowEncoder &encoder,
                                        const HttpResponse &response, const QUrl &url,
                                        const std::string &requestedKey);
    [[nodiscard]] static std::string encodedKey(RowEncoder &encoder, const KeyText &key);
    [[nodiscard]] QString messagePrefix(const QByteArray &method, const QUrl &url) const;

    struct ListRead;
    // A list's pages asked for from `first` on.
    [[nodiscard]] std::unique_ptr<ListRead> startList(const HttpSideSpec &side, const QUrl &first);
    // The classes of `columns` as the records of a list's first page suggest them.
    [[nodiscard]] static QList<ColumnInfo> describeRecords(const HttpRecords &records, const QStringList &columns,
                                                           const QString &at);

    HttpClient m_client;
    simdjson::dom::parser m_parser; // reused page after page (see HttpRecords)
    // Started by describeThenScan(), taken by the scan that follows (if of the same list).
    // Declared last: its fetcher stops before the client it asks through goes.
    std::unique_ptr<ListRead> m_started;
};

} // namespace syncdesk
