#include "DemoPortalApi.h"

#include "DemoPortalStore.h"
#include "model/SyncError.h"

#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QJsonDocument>
#include <QUrlQuery>

#include <cmath>

namespace syncdesk {

using Status = QHttpServerResponse::StatusCode;

// Lives on the API's thread: the server, the store, and the answer to each request.
class DemoPortalHandler : public QObject
{
public:
    explicit DemoPortalHandler(const DemoPlace &place) : m_store(place) {}

    quint16 listen()
    {
        m_server = new QHttpServer(this);
        m_server->route(QStringLiteral("/catalog"), [this](const QHttpServerRequest &r) { return collection(r); });
        m_server->route(QStringLiteral("/catalog/<arg>"),
                        [this](const QString &sku, const QHttpServerRequest &r) { return item(sku, r); });
        m_port = m_server->listen(QHostAddress::LocalHost, 0);
        return m_port;
    }

private:
    static QHttpServerResponse json(const QJsonValue &body, Status status)
    {
        const QByteArray text = body.isArray() ? QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact)
                                               : QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact);
        return QHttpServerResponse(QByteArrayLiteral("application/json"), text, status);
    }
    static QHttpServerResponse error(const QString &message, Status status)
    {
        return json(QJsonObject{{QStringLiteral("error"), message}}, status);
    }
    static QHttpServerResponse withTag(const QJsonObject &record, Status status)
    {
        QHttpServerResponse r = json(record, status);
        r.setHeader(QByteArrayLiteral("ETag"), DemoPortalStore::etag(record));
        return r;
    }
    static QByteArray header(const QHttpServerRequest &r, const QByteArray &name)
    {
        for (const auto &[key, value] : r.headers())
            if (key.compare(name, Qt::CaseInsensitive) == 0)
                return value.trimmed();
        return {};
    }

    // Why a written body cannot be stored, or empty. `updated_at` is the server's to set.
    static QString problem(const QJsonObject &body, const QString &sku)
    {
        for (auto it = body.begin(); it != body.end(); ++it) {
            const QString &m = it.key();
            const QJsonValue v = it.value();
            if (!DemoPortalStore::members().contains(m))
                return QStringLiteral("unknown member '%1'").arg(m);
            if (m == u"sku" && v.toString() != sku)
                return QStringLiteral("'sku' must be the record's key, '%1'").arg(sku);
            if ((m == u"model" || m == u"grade") && !v.isString() && !v.isNull())
                return QStringLiteral("'%1' must be a string or null").arg(m);
            if (m == u"price_cents" && !v.isNull()
                && (!v.isDouble() || std::trunc(v.toDouble()) != v.toDouble() || std::abs(v.toDouble()) > 9.0e15))
                return QStringLiteral("'price_cents' must be a whole number or null");
        }
        return {};
    }
    static std::optional<QJsonObject> bodyOf(const QHttpServerRequest &r, QString *why)
    {
        QJsonParseError e;
        const QJsonDocument d = QJsonDocument::fromJson(r.body(), &e);
        if (e.error != QJsonParseError::NoError || !d.isObject()) {
            *why = e.error != QJsonParseError::NoError ? QStringLiteral("the body is not JSON: %1").arg(e.errorString())
                                                       : QStringLiteral("the body must be a JSON object");
            return std::nullopt;
        }
        return d.object();
    }

    QHttpServerResponse collection(const QHttpServerRequest &r)
    {
        try {
            if (r.method() == QHttpServerRequest::Method::Get)
                return list(r);
            if (r.method() == QHttpServerRequest::Method::Post) {
                QString why;
                std::optional<QJsonObject> body = bodyOf(r, &why);
                const QString sku = body ? body->value(u"sku").toString() : QString();
                if (body && sku.isEmpty())
                    why = QStringLiteral("a new record needs its 'sku'");
                if (why.isEmpty())
                    why = problem(*body, sku);
                if (!why.isEmpty())
                    return error(why, Status::BadRequest);
                m_store.begin();
                if (m_store.record(sku, true)) {
                    m_store.rollback();
                    return error(QStringLiteral("%1 exists").arg(sku), Status::Conflict);
                }
                const QJsonObject stored = m_store.store(*body, false);
                m_store.commit();
                QHttpServerResponse created = withTag(stored, Status::Created);
                created.setHeader(QByteArrayLiteral("Location"), QByteArrayLiteral("/catalog/") + sku.toUtf8());
                return created;
            }
            return error(QStringLiteral("use GET or POST"), Status::MethodNotAllowed);
        } catch (const SyncError &e) {
            return unavailable(e);
        }
    }

    QHttpServerResponse list(const QHttpServerRequest &r)
    {
        const QUrlQuery query = r.query();
        bool pageOk = true, limitOk = true;
        const qint64 page = query.hasQueryItem(QStringLiteral("_page"))
                                ? query.queryItemValue(QStringLiteral("_page")).toLongLong(&pageOk) : 1;
        const int limit = query.hasQueryItem(QStringLiteral("_limit"))
                              ? query.queryItemValue(QStringLiteral("_limit")).toInt(&limitOk) : 100;
        if (!pageOk || page < 1 || !limitOk || limit < 1 || limit > 1000)
            return error(QStringLiteral("_page must be 1 or more and _limit 1 to 1000"), Status::BadRequest);
        const QString since = query.queryItemValue(QStringLiteral("updated_at_gte"), QUrl::FullyDecoded);
        const DemoPortalStore::Page records = m_store.page((page - 1) * limit, limit, since);
        QHttpServerResponse response = json(records.records, Status::Ok);
        if (records.more) {
            QUrlQuery next = query;
            next.removeAllQueryItems(QStringLiteral("_page"));
            next.removeAllQueryItems(QStringLiteral("_limit"));
            next.addQueryItem(QStringLiteral("_page"), QString::number(page + 1));
            next.addQueryItem(QStringLiteral("_limit"), QString::number(limit));
            QUrl url(QStringLiteral("http://127.0.0.1:%1/catalog").arg(m_port));
            url.setQuery(next);
            response.setHeader(QByteArrayLiteral("Link"), '<' + url.toEncoded() + QByteArrayLiteral(">; rel=\"next\""));
        }
        return response;
    }

    QHttpServerResponse item(const QString &sku, const QHttpServerRequest &r)
    {
        using Method = QHttpServerRequest::Method;
        const Method method = r.method();
        try {
            if (method == Method::Get) {
                const std::optional<QJsonObject> record = m_store.record(sku);
                return record ? withTag(*record, Status::Ok) : error(QStringLiteral("no %1").arg(sku), Status::NotFound);
            }
            if (method != Method::Patch && method != Method::Put && method != Method::Delete)
                return error(QStringLiteral("use GET, PATCH, PUT or DELETE"), Status::MethodNotAllowed);
            std::optional<QJsonObject> body;
            if (method != Method::Delete) {
                QString why;
                body = bodyOf(r, &why);
                if (body)
                    why = problem(*body, sku);
                if (!why.isEmpty())
                    return error(why, Status::BadRequest);
            }
            m_store.begin();
            const std::optional<QJsonObject> current = m_store.record(sku, true);
            if (const QString refused = precondition(r, current); !refused.isEmpty()) {
                m_store.rollback();
                return error(refused, Status::PreconditionFailed);
            }
            if (!current && method != Method::Put) {
                m_store.rollback();
                return error(QStringLiteral("no %1").arg(sku), Status::NotFound);
            }
            if (method == Method::Delete) {
                m_store.remove(sku);
                m_store.commit();
                return QHttpServerResponse(Status::NoContent);
            }
            // PATCH merges into the record; PUT replaces it (members left out become null).
            QJsonObject next = method == Method::Patch ? *current : QJsonObject{};
            for (auto it = body->begin(); it != body->end(); ++it)
                next.insert(it.key(), it.value());
            next.insert(QStringLiteral("sku"), sku);
            const QJsonObject stored = m_store.store(next, current.has_value());
            m_store.commit();
            return withTag(stored, current ? Status::Ok : Status::Created);
        } catch (const SyncError &e) {
            return unavailable(e);
        }
    }

    // Why the request's conditions refuse it (412), or empty. If-Match compares strongly, as
    // RFC 9110 says: a weak tag never matches.
    static QString precondition(const QHttpServerRequest &r, const std::optional<QJsonObject> &current)
    {
        const QByteArray ifMatch = header(r, QByteArrayLiteral("If-Match"));
        if (!ifMatch.isEmpty()) {
            if (!current)
                return QStringLiteral("the record does not exist");
            const QByteArray tag = DemoPortalStore::etag(*current);
            bool matched = false;
            for (const QByteArray &candidate : ifMatch.split(','))
                matched = matched || candidate.trimmed() == "*" || candidate.trimmed() == tag;
            if (!matched)
                return QStringLiteral("the record changed since it was read");
        }
        if (header(r, QByteArrayLiteral("If-None-Match")) == "*" && current)
            return QStringLiteral("the record exists");
        return {};
    }

    QHttpServerResponse unavailable(const SyncError &e)
    {
        try {
            m_store.rollback();
        } catch (const SyncError &) {
            // no transaction was open
        }
        return error(e.message(), Status::ServiceUnavailable);
    }

    DemoPortalStore m_store;
    QHttpServer *m_server = nullptr;
    quint16 m_port = 0;
};

DemoPortalApi::DemoPortalApi()
{
    m_thread.setObjectName(QStringLiteral("syncdesk-demo-portal"));
}

DemoPortalApi::~DemoPortalApi()
{
    stop();
}

quint16 DemoPortalApi::start(const DemoPlace &place)
{
    stop();
    m_handler = new DemoPortalHandler(place);
    m_handler->moveToThread(&m_thread);
    m_thread.start();
    quint16 port = 0;
    QMetaObject::invokeMethod(m_handler, [this, &port] { port = m_handler->listen(); }, Qt::BlockingQueuedConnection);
    if (port == 0) {
        stop();
        throw SyncError(QStringLiteral("demo: the portal API cannot listen on 127.0.0.1"));
    }
    return port;
}

void DemoPortalApi::stop()
{
    if (m_handler) {
        // The store's connection and the server go on the thread that made them.
        QMetaObject::invokeMethod(m_handler, [h = m_handler] { delete h; }, Qt::BlockingQueuedConnection);
        m_handler = nullptr;
    }
    m_thread.quit();
    m_thread.wait();
}

} // namespace syncdesk
