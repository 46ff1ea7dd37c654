#pragma once

#include "Connector.h"
#include "HttpRecordWriter.h"

#include <optional>

namespace syncdesk {

class HttpConnector;

// A resolution's hold on records of an API side. An API has no transaction to lock records
// in, so the "lock" is a read (the record and its ETag or version, under which the write is
// conditional), writes are held until commit() and then sent one request per record:
//  - with a condition the server checks (HttpWrite::Condition), a record changed meanwhile is
//    refused by the server (412 or 409), which throws SyncError::Kind::Changed;
//  - without one, each record is read again just before its write and the write is refused
//    (SyncError::Kind::Changed) if it no longer hashes as it did; the write is unconditional
//    and previews and audit entries say so (HttpConnector::writeNote()).
// Nothing can be rolled back once sent: resolutions commit API sides before database ones,
// whose commits cannot be refused once their rows are locked.
class HttpRowLock final : public RowLock
{
public:
    HttpRowLock(HttpConnector &connector, ScanRequest request, RowEncoder &encoder, QList<KeyText> keys);

    [[nodiscard]] const std::optional<EncodedRow> &row(qsizetype i = 0) const override;
    void write(qsizetype i, const std::optional<QList<FieldText>> &values) override;
    void commit() override;
    [[nodiscard]] bool transactional() const override { return false; }

private:
    HttpConnector &m_connector;
    ScanRequest m_request;
    RowEncoder &m_encoder;
    QList<KeyText> m_keys;
    QList<HttpItemRead> m_read;
    QList<std::optional<std::optional<QList<FieldText>>>> m_pending; // per key: the write asked for
};

} // namespace syncdesk
