#include "HttpRowLock.h"

#include "HttpConnector.h"
#include "model/SyncError.h"

namespace syncdesk {

HttpRowLock::HttpRowLock(HttpConnector &connector, ScanRequest request, RowEncoder &encoder, QList<KeyText> keys)
    : m_connector(connector), m_request(std::move(request)), m_encoder(encoder), m_keys(std::move(keys))
{
    for (const KeyText &key : m_keys)
        m_read.append(m_connector.readItem(m_request, m_encoder, key));
    m_pending.resize(m_keys.size());
}

const std::optional<EncodedRow> &HttpRowLock::row(qsizetype i) const
{
    return m_read[i].row;
}

void HttpRowLock::write(qsizetype i, const std::optional<QList<FieldText>> &values)
{
    m_pending[i] = values;
}

void HttpRowLock::commit()
{
    const HttpSideSpec &side = m_connector.side(m_request.table);
    for (qsizetype i = 0; i < m_keys.size(); ++i) {
        if (!m_pending[i])
            continue;
        const HttpWriteRequest request = m_connector.writer(m_request, m_keys[i]).request(m_read[i], m_keys[i], *m_pending[i]);
        if (!HttpConnector::conditional(side.write, m_read[i].exists)) {
            // No condition the server checks: the record is read again as late as possible.
            const HttpItemRead now = m_connector.readItem(m_request, m_encoder, m_keys[i]);
            const bool same = now.exists == m_read[i].exists
                              && (!now.row || now.row->hash == m_read[i].row->hash);
            if (!same)
                throw SyncError(QStringLiteral("%1: %2: the record changed since it was read (read again "
                                               "just before the write); nothing was written to it")
                                    .arg(m_connector.client().where(),
                                         HttpClient::describe(request.method, request.url)),
                                SyncError::Kind::Changed, m_connector.system().name);
        }
        const std::unique_ptr<HttpClient::Exchange> exchange =
            m_connector.client().start(request.method, request.url, request.body, false, request.headers);
        (void)m_connector.client().wait(*exchange);
        m_pending[i].reset();
    }
}

} // namespace syncdesk
