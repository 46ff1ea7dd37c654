#include "HttpWebhookFeed.h"

#include "connectors/SecretCache.h"

#include "model/Canonical.h"
#include "model/SyncError.h"

#include <QDateTime>
#include <QLoggingCategory>

#include <nlohmann/json.hpp>

namespace syncdesk {

Q_LOGGING_CATEGORY(lcWebhook, "syncdesk.webhook")

struct HttpWebhookFeed::Endpoint
{
    QString listen;
    HttpWebhook hook;
    std::unique_ptr<WebhookVerifier> verifier;
    QList<Table> tables;
};

namespace {

QString listenName(const HttpWebhook &h)
{
    return (h.host.contains(u':') ? u'[' + h.host + u']' : h.host) + u':' + QString::number(h.port);
}

using Json = nlohmann::json;

const Json *member(const Json &record, const QString &name)
{
    const std::string pointer = name.startsWith(u'/') ? name.toStdString() : [&] {
        QString escaped = name;
        escaped.replace(QStringLiteral("~"), QStringLiteral("~0")).replace(QStringLiteral("/"), QStringLiteral("~1"));
        return '/' + escaped.toStdString();
    }();
    try {
        const Json::json_pointer p(pointer);
        return record.contains(p) ? &record.at(p) : nullptr;
    } catch (const Json::exception &) {
        return nullptr;
    }
}

// A key member's value as the other feeds give it: a string as is, a number as printed.
std::optional<QString> keyText(const Json &v)
{
    if (v.is_null())
        return std::nullopt;
    if (v.is_string())
        return QString::fromStdString(v.get<std::string>());
    return QString::fromStdString(v.dump());
}

} // namespace

HttpWebhookFeed::HttpWebhookFeed(SystemSpec system, QList<Table> tables, QObject *parent)
    : ChangeFeed(std::move(system), parent), m_tables(std::move(tables))
{
}

HttpWebhookFeed::~HttpWebhookFeed() = default;

quint16 HttpWebhookFeed::port(const QString &listen) const
{
    const WebhookServer *server = m_servers.value(listen);
    return server ? server->port() : 0;
}

void HttpWebhookFeed::start()
{
    qDeleteAll(m_servers);
    m_servers.clear();
    m_endpoints.clear();
    try {
        for (const Table &t : m_tables) {
            const HttpWebhook &hook = *t.table.http->webhook;
            const QString listen = listenName(hook);
            std::shared_ptr<Endpoint> endpoint;
            for (const auto &e : std::as_const(m_endpoints))
                if (e->listen == listen && e->hook.path == hook.path)
                    endpoint = e;
            if (endpoint) {
                if (endpoint->hook.secretEnv != hook.secretEnv || endpoint->hook.secretKeychain != hook.secretKeychain
                    || endpoint->hook.scheme != hook.scheme
                    || endpoint->hook.record != hook.record)
                    throw SyncError(QStringLiteral("two flow sides receive webhooks at %1%2 with different "
                                                   "secrets, schemes or record pointers; give each its own path")
                                        .arg(listen, hook.path));
                endpoint->tables.append(t);
                continue;
            }
            const std::optional<QByteArray> secret = SecretCache::resolve(hook.secretKeychain, hook.secretEnv);
            if (!secret)
                throw SyncError(QStringLiteral("the webhook at %1%2 takes its secret from %3; no delivery is accepted")
                                    .arg(listen, hook.path, SecretCache::missing(hook.secretKeychain, hook.secretEnv)));
            endpoint = std::make_shared<Endpoint>();
            endpoint->listen = listen;
            endpoint->hook = hook;
            endpoint->verifier = std::make_unique<WebhookVerifier>(hook.scheme, *secret, hook.toleranceSeconds);
            endpoint->tables.append(t);
            m_endpoints.append(endpoint);
        }
        for (const auto &e : std::as_const(m_endpoints)) {
            WebhookServer *&server = m_servers[e->listen];
            if (!server) {
                server = new WebhookServer(e->hook.maxConnections, this);
                server->setHandler([this, listen = e->listen](const WebhookServer::Request &r) {
                    return receive(r, listen);
                });
                if (!server->listen(QHostAddress(e->hook.host), e->hook.port))
                    throw SyncError(QStringLiteral("the webhook receiver cannot listen on %1: %2")
                                        .arg(e->listen, server->errorString()));
            }
            server->addPath(e->hook.path, e->hook.maxBodyBytes);
        }
    } catch (const SyncError &e) {
        qDeleteAll(m_servers);
        m_servers.clear();
        setFailed(QStringLiteral("system '%1': %2").arg(system().name, e.message()));
        return;
    }
    setConnected();
}

WebhookServer::Response HttpWebhookFeed::receive(const WebhookServer::Request &request, const QString &listen)
{
    Endpoint *endpoint = nullptr;
    for (const auto &e : std::as_const(m_endpoints))
        if (e->listen == listen && e->hook.path == request.path)
            endpoint = e.get();
    if (!endpoint)
        return {404, "no webhook is received at this path"};
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const WebhookVerifier::Result verdict = endpoint->verifier->verify(request.headers, request.body, now / 1000);
    if (verdict.verdict != WebhookVerifier::Verdict::Accepted) {
        qCInfo(lcWebhook).noquote() << "system" << system().name << "refused a delivery at" << request.path
                                    << ":" << verdict.reason;
        const int status = verdict.verdict == WebhookVerifier::Verdict::Replayed ? 409
                           : verdict.verdict == WebhookVerifier::Verdict::Malformed ? 400
                                                                                    : 401;
        return {status, verdict.reason.toUtf8()};
    }
    const Json body = Json::parse(request.body.constData(), request.body.constData() + request.body.size(), nullptr, false);
    const Json *record = nullptr;
    if (!body.is_discarded())
        record = endpoint->hook.record.isEmpty() ? &body : member(body, endpoint->hook.record);
    if (!record || !record->is_object())
        return {400, QStringLiteral("the body has no JSON object at '%1'").arg(endpoint->hook.record).toUtf8()};
    QList<ChangeEvent> events;
    for (const Table &t : std::as_const(endpoint->tables)) {
        QList<std::optional<QString>> key;
        for (const QString &name : t.keyNames) {
            const Json *v = member(*record, name);
            if (!v || v->is_null())
                return {400, QStringLiteral("the record has no key member '%1'").arg(name).toUtf8()};
            key.append(keyText(*v));
        }
        // When it changed: the record's own time, else the signed delivery time, else now.
        qint64 changedMs = verdict.timestamp ? verdict.timestamp * 1000 : now;
        if (const Json *at = t.updatedAt.isEmpty() ? nullptr : member(*record, t.updatedAt); at && at->is_string())
            changedMs = canonical::instantMs(at->get<std::string>()).value_or(changedMs);
        events.append(ChangeEvent::ofKey(t.table, t.keyNames, key, std::min(changedMs, now)));
    }
    noteEvent(now);
    emit changes(events, QString());
    return {204, {}};
}

} // namespace syncdesk
