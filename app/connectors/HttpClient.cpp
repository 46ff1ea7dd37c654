#include "HttpClient.h"

#include "PlainHttpGet.h"
#include "PlainHttpPool.h"
#include "SecretCache.h"

#include "model/SyncError.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QRandomGenerator>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QThread>

#include <algorithm>
#include <utility>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace syncdesk {

namespace {

// HttpClient::limitWaitsOnThisThread(): the calling thread's limit, <0 for none.
thread_local qint64 t_waitLimitMs = -1;
// HttpClient::stopWaitsOnThisThread(): set when the calling thread's requests are to end.
thread_local const std::atomic<bool> *t_stop = nullptr;

bool stopped()
{
    return t_stop && t_stop->load();
}

// How long a stoppable wait sleeps between looks at its stop flag.
constexpr auto StopPoll = std::chrono::milliseconds(100);

std::optional<qint64> retryAfterSeconds(const QByteArray &value); // below

} // namespace

struct HttpClient::Flight
{
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;
    // Filled on the network thread when the headers arrive, before the body.
    bool headersArrived = false;
    int headStatus = 0;
    QList<QPair<QByteArray, QByteArray>> headHeaders;
    // Filled on the network thread when the reply finishes.
    int status = 0;
    int error = 0;
    QString errorString;
    QString reason;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    bool oversized = false;
    std::function<void()> abort; // ends the request in flight; network thread only
    // The gate slot this request holds. It goes back when the reply finishes, on the network
    // thread, whatever its caller is doing meanwhile (blocked on a full queue, waiting for
    // another slot): a slot never waits on a caller, so callers can never wait on each other.
    std::shared_ptr<HttpGate> gate;

    void releaseSlot()
    {
        if (const std::shared_ptr<HttpGate> g = std::exchange(gate, nullptr))
            g->release();
    }
    ~Flight() { releaseSlot(); } // a reply dropped without finishing (its manager went)
};

namespace {

// The final status and headers of a request, as they arrive (network thread).
void headersArrived(HttpClient::Flight &flight, int status, const QList<QPair<QByteArray, QByteArray>> &headers)
{
    {
        const std::lock_guard lock(flight.mutex);
        flight.headStatus = status;
        flight.headHeaders = headers;
        flight.headersArrived = true;
    }
    flight.done.notify_all();
}

// How a request ended, whichever way it went (network thread).
struct Ended
{
    int status = 0;
    QString reason;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    int error = 0;
    QString errorString;
    QUrl url;
    bool oversized = false;
};

void ended(HttpClient::Flight &flight, Ended &&end, const QByteArray &method)
{
    // The server's Retry-After holds the gate as it arrives, before the slot goes back: also
    // when no caller waits for this answer any more (a guessed page given up), whose wait()
    // would otherwise never see it. wait() still holds it for its retry.
    if ((end.status == 429 || end.status == 503) && flight.gate) {
        const std::optional<qint64> after = retryAfterSeconds(HttpResponse::header(end.headers, "Retry-After"));
        if (after && *after > 0 && *after <= HttpClient::MaxRetryAfterSeconds)
            flight.gate->holdUntil(HttpGate::Clock::now() + std::chrono::seconds(*after),
                                   QStringLiteral("HTTP %1 to %2 (Retry-After %3 s)")
                                       .arg(QString::number(end.status), HttpClient::describe(method, end.url),
                                            QString::number(*after)));
    }
    {
        const std::lock_guard lock(flight.mutex);
        flight.status = end.status;
        flight.reason = std::move(end.reason);
        flight.error = end.error;
        flight.errorString = std::move(end.errorString);
        flight.body = std::move(end.body);
        flight.headers = std::move(end.headers);
        flight.oversized = flight.oversized || end.oversized;
        flight.abort = nullptr;
        flight.finished = true;
        flight.releaseSlot();
    }
    flight.done.notify_all();
}

} // namespace

void HttpClient::Exchange::abandon()
{
    if (flight && network) {
        bool finished = false;
        {
            const std::lock_guard lock(flight->mutex);
            finished = flight->finished;
        }
        if (!finished) {
            QMetaObject::invokeMethod(network, [f = flight] {
                // Taken out first: the abort reports the end at once, which clears it.
                if (const std::function<void()> abort = std::exchange(f->abort, nullptr))
                    abort(); // its end is still reported, and frees it
            });
        }
    }
    flight.reset();
}

HttpClient::Exchange::~Exchange()
{
    abandon();
}

QByteArray HttpResponse::header(const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &name)
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

HttpClient::HttpClient(SystemSpec system)
    : m_system(std::move(system)), m_base(m_system.url + u'/'),
      m_gate(HttpGate::forSystem(m_system.name, m_system.http)), m_thread(std::make_unique<QThread>())
{
    // Checked before the thread starts: a constructor that throws runs no destructor.
    if (!m_system.http.caFile.isEmpty()) {
        if (!QFile::exists(m_system.http.caFile))
            throw SyncError(QStringLiteral("%1: CA file %2 not found").arg(where(), m_system.http.caFile));
        if (QSslCertificate::fromPath(m_system.http.caFile, QSsl::Pem).isEmpty())
            throw SyncError(QStringLiteral("%1: CA file %2 holds no PEM certificate")
                                .arg(where(), m_system.http.caFile));
    }
    m_thread->setObjectName(QStringLiteral("http:") + m_system.name);
    m_context = new QObject;
    m_context->moveToThread(m_thread.get());
    m_thread->start();
    QMetaObject::invokeMethod(
        m_context,
        [this] {
            m_manager = new QNetworkAccessManager(m_context);
            m_pool = new PlainHttpPool(m_context);
            m_manager->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
        },
        Qt::BlockingQueuedConnection);
}

HttpClient::~HttpClient()
{
    // Replies still open are aborted with their manager, on the thread they live in.
    QMetaObject::invokeMethod(m_context, [this] { delete m_context; }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
}

QString HttpClient::where() const
{
    return QStringLiteral("system '%1' (http)").arg(m_system.name);
}

QString HttpClient::describe(const QByteArray &method, const QUrl &url)
{
    QString path = url.path(QUrl::FullyEncoded);
    if (path.isEmpty())
        path = QStringLiteral("/");
    if (url.hasQuery())
        path += u'?' + url.query(QUrl::FullyEncoded);
    return QString::fromLatin1(method) + u' ' + path;
}

QUrl HttpClient::resolve(const QString &pathAndQuery) const
{
    const QUrl relative(pathAndQuery, QUrl::TolerantMode);
    return m_base.resolved(relative);
}

bool HttpClient::sameOrigin(const QUrl &url) const
{
    return url.scheme() == m_base.scheme() && url.host() == m_base.host()
           && url.port(m_base.scheme() == u"https" ? 443 : 80)
                  == m_base.port(m_base.scheme() == u"https" ? 443 : 80);
}

std::unique_ptr<HttpClient::Exchange> HttpClient::exchange(const QByteArray &method, const QUrl &url,
                                                           const QByteArray &body, bool notFoundIsAnswer,
                                                           QList<QPair<QByteArray, QByteArray>> extraHeaders) const
{
    if (!sameOrigin(url))
        throw SyncError(QStringLiteral("%1: %2: the URL leaves the base URL's host (%3); refused")
                            .arg(where(), describe(method, url), url.host()));
    auto out = std::make_unique<Exchange>();
    out->method = method;
    out->url = url;
    out->body = body;
    out->notFoundIsAnswer = notFoundIsAnswer;
    out->extraHeaders = std::move(extraHeaders);
    return out;
}

std::unique_ptr<HttpClient::Exchange> HttpClient::start(const QByteArray &method, const QUrl &url,
                                                        const QByteArray &body, bool notFoundIsAnswer,
                                                        QList<QPair<QByteArray, QByteArray>> extraHeaders)
{
    std::unique_ptr<Exchange> out = exchange(method, url, body, notFoundIsAnswer, std::move(extraHeaders));
    send(*out);
    return out;
}

std::unique_ptr<HttpClient::Exchange> HttpClient::startIfFree(const QByteArray &method, const QUrl &url,
                                                              bool notFoundIsAnswer)
{
    return startWithoutWaiting(method, url, notFoundIsAnswer, Slot::IfFree);
}

std::unique_ptr<HttpClient::Exchange> HttpClient::startIfSpare(const QByteArray &method, const QUrl &url,
                                                               bool notFoundIsAnswer)
{
    return startWithoutWaiting(method, url, notFoundIsAnswer, Slot::IfSpare);
}

std::unique_ptr<HttpClient::Exchange> HttpClient::startWithoutWaiting(const QByteArray &method, const QUrl &url,
                                                                      bool notFoundIsAnswer, Slot slot)
{
    std::unique_ptr<Exchange> out = exchange(method, url, {}, notFoundIsAnswer, {});
    if (!send(*out, slot))
        return nullptr;
    return out;
}

bool HttpClient::send(Exchange &ex, Slot slot)
{
    QList<QPair<QByteArray, QByteArray>> headers{
        {"Accept", "application/json"},
        {"User-Agent", "SyncDesk/" + QCoreApplication::applicationVersion().toUtf8()}};
    if (!ex.body.isEmpty())
        headers.append(qMakePair(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")));
    for (const HttpHeader &h : m_system.http.headers) {
        QByteArray value = h.literal.toUtf8();
        if (!h.env.isEmpty() || !h.keychain.isEmpty()) {
            const std::optional<QByteArray> secret = SecretCache::resolve(h.keychain, h.env);
            if (!secret)
                throw SyncError(QStringLiteral("%1: header %2 takes its value from %3")
                                    .arg(where(), h.name, SecretCache::missing(h.keychain, h.env)));
            value = h.prefix.toUtf8() + *secret;
        }
        headers.append(qMakePair(h.name.toUtf8(), value));
    }
    headers.append(ex.extraHeaders);
    // One field per name, the last given winning (a workspace's Accept over ours), as Qt
    // Network's setRawHeader does.
    for (qsizetype i = headers.size() - 1; i >= 0; --i) {
        for (qsizetype j = 0; j < i; ++j) {
            if (headers[j].first.compare(headers[i].first, Qt::CaseInsensitive) == 0) {
                headers[j].second = headers[i].second;
                headers.removeAt(i);
                break;
            }
        }
    }
    for (const auto &[name, value] : std::as_const(headers)) {
        // A line break would end the header and start another the server obeys; the value
        // (perhaps a secret) is never shown.
        if (name.contains('\r') || name.contains('\n') || value.contains('\r') || value.contains('\n')
            || value.contains('\0'))
            throw SyncError(QStringLiteral("%1: header %2 holds a line break or a NUL; refused")
                                .arg(where(), QString::fromUtf8(name)));
    }
    const bool plain = PlainHttpGet::suits(ex.method, ex.url, ex.body);
    QNetworkRequest request(ex.url);
    if (!plain) {
        for (const auto &[name, value] : std::as_const(headers))
            request.setRawHeader(name, value);
        request.setTransferTimeout(m_system.http.timeoutSeconds * 1000);
        request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        if (!m_system.http.caFile.isEmpty() && ex.url.scheme() == u"https") {
            QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
            tls.addCaCertificates(QSslCertificate::fromPath(m_system.http.caFile, QSsl::Pem));
            request.setSslConfiguration(tls);
        }
    }

    if (slot == Slot::IfSpare) {
        if (!m_gate->acquireSpare())
            return false;
    } else if (slot == Slot::IfFree) {
        if (!m_gate->acquire(HttpGate::Clock::now()))
            return false;
    } else {
        acquireSlot(ex);
    }
    ex.sentAt = HttpGate::Clock::now();
    ex.network = m_context;
    auto flight = std::make_shared<Flight>();
    flight->gate = m_gate;
    ex.flight = flight;
    const qint64 limit = m_system.http.maxBodyBytes;
    const int timeoutMs = m_system.http.timeoutSeconds * 1000;
    if (plain) {
        QMetaObject::invokeMethod(m_context, [this, flight, url = ex.url, headers, limit, timeoutMs, method = ex.method] {
            auto *get = new PlainHttpGet(
                *m_pool, url, headers, timeoutMs, limit,
                [flight](int status, const QList<QPair<QByteArray, QByteArray>> &head) { headersArrived(*flight, status, head); },
                [flight, method, url](PlainHttpGet::Result &&r) {
                    Ended end;
                    end.status = r.status;
                    end.reason = QString::fromLatin1(r.reason);
                    end.body = std::move(r.body);
                    end.headers = std::move(r.headers);
                    end.error = r.error;
                    end.errorString = r.errorString;
                    end.url = url;
                    end.oversized = r.oversized;
                    ended(*flight, std::move(end), method);
                },
                m_context);
            flight->abort = [get = QPointer<PlainHttpGet>(get)] {
                if (get)
                    get->abort();
            };
            get->start();
        });
        return true;
    }
    QNetworkAccessManager *nam = m_manager;
    QMetaObject::invokeMethod(m_context, [nam, flight, request, method = ex.method, body = ex.body, limit] {
        QNetworkReply *reply = method == "GET" ? nam->get(request)
                                               : nam->sendCustomRequest(request, method, body);
        flight->abort = [reply] { reply->abort(); };
        auto tooBig = [reply, flight] {
            {
                const std::lock_guard lock(flight->mutex);
                flight->oversized = true;
            }
            reply->abort();
        };
        QObject::connect(reply, &QNetworkReply::metaDataChanged, reply, [reply, flight, limit, tooBig] {
            const QVariant length = reply->header(QNetworkRequest::ContentLengthHeader);
            if (length.isValid() && length.toLongLong() > limit) {
                tooBig();
                return;
            }
            headersArrived(*flight, reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                           reply->rawHeaderPairs());
        });
        QObject::connect(reply, &QNetworkReply::downloadProgress, reply, [limit, tooBig](qint64 received, qint64) {
            if (received > limit)
                tooBig();
        });
        QObject::connect(reply, &QNetworkReply::finished, reply, [reply, flight, method] {
            Ended end;
            end.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            end.reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
            end.body = reply->isOpen() ? reply->readAll() : QByteArray(); // closed once aborted
            end.headers = reply->rawHeaderPairs();
            end.error = int(reply->error());
            end.errorString = reply->errorString();
            end.url = reply->url();
            ended(*flight, std::move(end), method);
            reply->deleteLater();
        });
    });
    return true;
}

void HttpClient::acquireSlot(const Exchange &ex)
{
    std::optional<HttpGate::Clock::time_point> deadline;
    if (t_waitLimitMs >= 0)
        deadline = HttpGate::Clock::now() + std::chrono::milliseconds(t_waitLimitMs);
    for (;;) {
        if (stopped())
            throw SyncError(QStringLiteral("%1: %2: stopped").arg(where(), describe(ex.method, ex.url)));
        // A stoppable thread waits in short steps, looking at its flag between them.
        std::optional<HttpGate::Clock::time_point> step = deadline;
        bool stepped = false;
        if (t_stop) {
            const auto soon = HttpGate::Clock::now() + StopPoll;
            stepped = !deadline || soon < *deadline;
            if (stepped)
                step = soon;
        }
        if (m_gate->acquire(step))
            return;
        // Only a step ended, unless a hold outlasts the limit (the gate refuses such a step at
        // once; the limit is then refused at once too, as without steps).
        if (stepped && !(deadline && HttpGate::Clock::now() + m_gate->heldFor() > *deadline)) {
            std::this_thread::sleep_until(*step);
            continue;
        }
        QString why;
        const auto held = std::chrono::duration_cast<std::chrono::milliseconds>(m_gate->heldFor(&why)).count();
        throw SyncError(held > 0 ? QStringLiteral("%1: %2: requests wait another %3 s (%4); tried again later")
                                       .arg(where(), describe(ex.method, ex.url), QString::number((held + 999) / 1000), why)
                                 : QStringLiteral("%1: %2: every connection to it is busy; tried again later")
                                       .arg(where(), describe(ex.method, ex.url)),
                        SyncError::Kind::Unavailable, m_system.name);
    }
}

void HttpClient::limitWaitsOnThisThread(qint64 ms)
{
    t_waitLimitMs = ms;
}

qint64 HttpClient::waitLimitOnThisThread()
{
    return t_waitLimitMs;
}

void HttpClient::stopWaitsOnThisThread(const std::atomic<bool> *stop)
{
    t_stop = stop;
}

namespace {

bool idempotent(const QByteArray &method)
{
    return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE"
           || method == "OPTIONS";
}

// Seconds the server asked to wait: a number or an HTTP date; nullopt when it said nothing usable.
std::optional<qint64> retryAfterSeconds(const QByteArray &value)
{
    const QByteArray v = value.trimmed();
    if (v.isEmpty())
        return std::nullopt;
    bool ok = false;
    const qint64 seconds = v.toLongLong(&ok);
    if (ok)
        return seconds < 0 ? std::nullopt : std::optional<qint64>(seconds);
    const QDateTime when = QDateTime::fromString(QString::fromLatin1(v), Qt::RFC2822Date);
    if (!when.isValid())
        return std::nullopt;
    return std::max<qint64>(0, QDateTime::currentDateTimeUtc().secsTo(when));
}

} // namespace

void HttpClient::awaitFlight(Exchange &ex, bool headersWillDo)
{
    std::unique_lock lock(ex.flight->mutex);
    while (!ex.flight->finished && !(headersWillDo && ex.flight->headersArrived)) {
        if (stopped()) {
            lock.unlock();
            ex.abandon();
            throw SyncError(QStringLiteral("%1: %2: stopped").arg(where(), describe(ex.method, ex.url)));
        }
        if (t_stop)
            ex.flight->done.wait_for(lock, StopPoll);
        else
            ex.flight->done.wait(lock);
    }
}

std::optional<HttpResponse> HttpClient::waitHeaders(Exchange &ex)
{
    awaitFlight(ex, true);
    const std::lock_guard lock(ex.flight->mutex);
    if (!ex.flight->headersArrived || ex.redirects || ex.attempt)
        return std::nullopt;
    const int status = ex.flight->headStatus;
    if (!((status >= 200 && status < 300) || (status == 404 && ex.notFoundIsAnswer)))
        return std::nullopt;
    HttpResponse r;
    r.status = status;
    r.url = ex.url;
    r.headers = ex.flight->headHeaders;
    return r;
}

HttpResponse HttpClient::wait(Exchange &ex)
{
    for (;;) {
        awaitFlight(ex, false);
        const std::shared_ptr<Flight> f = std::exchange(ex.flight, nullptr);
        const QString request = describe(ex.method, ex.url);
        const QString what = QStringLiteral("%1: %2").arg(where(), request);
        m_gate->noteAnswer(request, f->status, f->errorString,
                           std::chrono::duration_cast<std::chrono::milliseconds>(HttpGate::Clock::now() - ex.sentAt).count());
        if (f->oversized)
            throw SyncError(QStringLiteral("%1: the response is larger than %2 bytes "
                                           "(max_body_bytes); refused")
                                .arg(what, QString::number(m_system.http.maxBodyBytes)));
        HttpResponse r;
        r.status = f->status;
        r.url = ex.url;
        r.headers = std::move(f->headers);
        const int status = f->status;
        const int error = f->error;

        // What to do with this answer: take it, follow it, retry it or fail.
        std::optional<qint64> waitMs;
        QString problem;
        bool transient = false;
        if (status >= 300 && status < 400 && status != 304) {
            const QByteArray location = r.header("Location");
            const QUrl next = ex.url.resolved(QUrl(QString::fromUtf8(location)));
            if (location.isEmpty())
                throw SyncError(QStringLiteral("%1: HTTP %2 redirect without a Location").arg(what, QString::number(status)));
            if (!sameOrigin(next))
                throw SyncError(QStringLiteral("%1: redirected to another host (%2); refused, so the "
                                               "system's headers never reach another server")
                                    .arg(what, next.host()));
            if (++ex.redirects > 5)
                throw SyncError(QStringLiteral("%1: more than 5 redirects").arg(what));
            if (status == 303)
                ex.method = "GET", ex.body.clear();
            ex.url = next;
            send(ex);
            continue;
        }
        const bool answer = (status >= 200 && status < 300) || (status == 404 && ex.notFoundIsAnswer);
        // Qt also sets an error for statuses it knows (404 is ContentNotFoundError); only the
        // codes below 200 say the transfer itself failed (a connection dropped, a timeout).
        const bool transferFailed = error != QNetworkReply::NoError && error < 200;
        if (answer && !transferFailed) {
            r.body = std::move(f->body);
            return r;
        }
        if (answer) {
            // A 2xx whose transfer failed: a body cut short or a dropped connection.
            problem = QStringLiteral("the response was cut short (%1)").arg(f->errorString);
            transient = idempotent(ex.method);
        } else if (status == 429 || status == 503) {
            problem = QStringLiteral("HTTP %1 %2").arg(status).arg(f->reason);
            const std::optional<qint64> after = retryAfterSeconds(r.header("Retry-After"));
            if (after && *after > MaxRetryAfterSeconds)
                throw SyncError(QStringLiteral("%1: %2: the server asks to wait %3 s (Retry-After), "
                                               "longer than %4 s; try again later")
                                    .arg(what, problem, QString::number(*after), QString::number(MaxRetryAfterSeconds)),
                                SyncError::Kind::Unavailable, m_system.name);
            if (after) {
                waitMs = *after * 1000;
                problem += QStringLiteral(" (Retry-After %1 s)").arg(*after);
            }
            transient = true; // the server refused before doing anything: safe for any method
        } else if (status == 502 || status == 504 || (status == 0 && transferFailed)) {
            problem = status ? QStringLiteral("HTTP %1 %2").arg(status).arg(f->reason) : f->errorString;
            transient = idempotent(ex.method);
        } else if (status == 0 && error != QNetworkReply::NoError) {
            // No HTTP answer at all (the port speaks something else): asking again will not help.
            throw SyncError(QStringLiteral("%1: %2").arg(what, f->errorString), SyncError::Kind::Other, m_system.name);
        } else if (status == 409 || status == 412) {
            // A conditional write the server refused: the record is no longer what was read.
            throw SyncError(QStringLiteral("%1: HTTP %2 %3: the record changed since it was read")
                                .arg(what, QString::number(status), f->reason),
                            SyncError::Kind::Changed, m_system.name);
        } else {
            problem = QStringLiteral("HTTP %1 %2").arg(status).arg(f->reason);
            throw SyncError(QStringLiteral("%1: %2").arg(what, problem),
                            status >= 500 ? SyncError::Kind::Unavailable : SyncError::Kind::Other,
                            m_system.name);
        }
        if (!transient || ex.attempt >= MaxRetries)
            throw SyncError(QStringLiteral("%1: %2%3").arg(what, problem,
                                                           ex.attempt ? QStringLiteral(" (after %1 retries)").arg(ex.attempt)
                                                                      : QString()),
                            SyncError::Kind::Unavailable, m_system.name);
        if (!waitMs) {
            // Exponential back-off with full jitter: retries from many clients spread out.
            const qint64 cap = std::min<qint64>(8000, 250ll << ex.attempt);
            waitMs = 50 + qint64(QRandomGenerator::global()->bounded(quint32(cap)));
        }
        ++ex.attempt;
        ++m_retries;
        // Held on the gate: every request to this system waits, not only this one.
        m_gate->holdUntil(HttpGate::Clock::now() + std::chrono::milliseconds(*waitMs),
                          QStringLiteral("%1 to %2; retry %3 of %4")
                              .arg(problem, request, QString::number(ex.attempt), QString::number(MaxRetries)));
        send(ex);
    }
}

HttpResponse HttpClient::get(const QUrl &url, bool notFoundIsAnswer)
{
    const std::unique_ptr<Exchange> exchange = start("GET", url, {}, notFoundIsAnswer);
    return wait(*exchange);
}

} // namespace syncdesk
