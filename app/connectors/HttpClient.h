#pragma once

#include "HttpGate.h"
#include "model/Workspace.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QUrl>

#include <atomic>
#include <memory>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;
class QThread;

namespace syncdesk {

class PlainHttpPool;

struct HttpResponse
{
    int status = 0;
    QUrl url; // where the body came from (after same-origin redirects)
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    [[nodiscard]] QByteArray header(const QByteArray &name) const { return header(headers, name); }
    // The first field `name` (any case) of `headers`; empty if none.
    [[nodiscard]] static QByteArray header(const QList<QPair<QByteArray, QByteArray>> &headers,
                                           const QByteArray &name);
};

// One HTTP system's requests, through Qt Network, answered synchronously to the calling thread.
// The network work runs on a thread of the client's own (Qt Network needs an event loop); the
// caller only blocks, like a database call, so no event of its thread (a timer of the live
// engine, say) ever runs in the middle of a request. What it does for every request:
//  - the system's headers, secrets read from the environment at send time, never logged;
//  - the system's gate (pacing, concurrency cap, Retry-After held for all its requests);
//  - retries of 429, 502/503/504 and network failures with exponential back-off and full
//    jitter (Retry-After honoured, up to a cap), then one error naming what failed;
//  - redirects followed only within the base URL's origin: another host is refused, so a
//    header meant for one server never reaches another;
//  - a body past max_body_bytes is cut off and refused, never read whole into memory.
// Errors are SyncError with the system's name, the method and URL path, and the problem.
class HttpClient
{
public:
    explicit HttpClient(SystemSpec system);
    ~HttpClient();
    HttpClient(const HttpClient &) = delete;
    HttpClient &operator=(const HttpClient &) = delete;

    // `pathAndQuery` under base_url ("customers?_page=1"); an absolute URL is taken as it is
    // and must share base_url's origin.
    [[nodiscard]] QUrl resolve(const QString &pathAndQuery) const;
    [[nodiscard]] bool sameOrigin(const QUrl &url) const;

    // A request started now and finished by wait(): the caller may parse one page while the
    // next one travels. Statuses 2xx are answers; so is 404 when `notFoundIsAnswer`; the rest
    // are retried or thrown.
    // What the network thread learns of one request, handed to the caller when it is done.
    struct Flight;
    class Exchange
    {
    public:
        Exchange() = default;
        ~Exchange(); // aborts a request not waited for
        Exchange(const Exchange &) = delete;
        Exchange &operator=(const Exchange &) = delete;

    private:
        friend class HttpClient;
        void abandon(); // aborts the request in flight, if any

        QByteArray method;
        QUrl url;
        QByteArray body;
        bool notFoundIsAnswer = false;
        QList<QPair<QByteArray, QByteArray>> extraHeaders;
        std::shared_ptr<Flight> flight;
        QObject *network = nullptr; // the client's network thread's context
        int attempt = 0;
        int redirects = 0;
        HttpGate::Clock::time_point sentAt; // of the latest try, for the systems panel
    };
    [[nodiscard]] std::unique_ptr<Exchange> start(const QByteArray &method, const QUrl &url,
                                                  const QByteArray &body = {},
                                                  bool notFoundIsAnswer = false,
                                                  QList<QPair<QByteArray, QByteArray>> extraHeaders = {});
    // start(), or nullptr when the system's gate has no slot free at once (its pace or its
    // concurrency cap): for a request that may as well leave later.
    [[nodiscard]] std::unique_ptr<Exchange> startIfFree(const QByteArray &method, const QUrl &url,
                                                        bool notFoundIsAnswer = false);
    // startIfFree(), and only if another slot stays free and no request waits for one
    // (HttpGate::acquireSpare): for a request that may never be needed.
    [[nodiscard]] std::unique_ptr<Exchange> startIfSpare(const QByteArray &method, const QUrl &url,
                                                         bool notFoundIsAnswer = false);
    [[nodiscard]] HttpResponse wait(Exchange &exchange);
    // The answer's status and headers as soon as they arrive, before its body, when they are an
    // answer (2xx, or 404 when `notFoundIsAnswer`); nullopt when only wait() can tell (a
    // redirect, an error to retry, a transfer that failed). wait() still gives the whole answer.
    [[nodiscard]] std::optional<HttpResponse> waitHeaders(Exchange &exchange);

    [[nodiscard]] HttpResponse get(const QUrl &url, bool notFoundIsAnswer = false);

    // "GET /customers?_page=2": how messages name a request (never a header).
    [[nodiscard]] static QString describe(const QByteArray &method, const QUrl &url);
    // "system 'crm' (http)"
    [[nodiscard]] QString where() const;

    [[nodiscard]] const SystemSpec &system() const { return m_system; }
    // Retries so far, for the systems panel and tests.
    [[nodiscard]] int retries() const { return m_retries; }

    // Requests made on the calling thread from now on wait at most `ms` for the system's
    // Retry-After or back-off (<0: as long as it takes, the default); past it they fail at
    // once as unavailable, leaving the gate held for the others. The live engine sets it on
    // its thread, where a throttled API must not stop every other flow's updates; comparisons
    // and resolutions, on threads of their own, still wait.
    static void limitWaitsOnThisThread(qint64 ms);
    [[nodiscard]] static qint64 waitLimitOnThisThread();
    // Requests made on the calling thread from now on give up (SyncError) once `*stop` is set,
    // whatever they wait for: the answer, a slot, a Retry-After. A thread that fetches ahead
    // for another sets it, so it can be stopped within a tenth of a second. nullptr: never.
    static void stopWaitsOnThisThread(const std::atomic<bool> *stop);

    // How many times a request is retried before it fails, and the longest Retry-After obeyed.
    static constexpr int MaxRetries = 6;
    static constexpr int MaxRetryAfterSeconds = 120;

private:
    // A request not sent yet; throws when `url` leaves the base URL's origin.
    [[nodiscard]] std::unique_ptr<Exchange> exchange(const QByteArray &method, const QUrl &url,
                                                     const QByteArray &body, bool notFoundIsAnswer,
                                                     QList<QPair<QByteArray, QByteArray>> extraHeaders) const;
    // How send() takes the gate's slot: waiting for one, or only one free now (false, nothing
    // sent, when there is none), or only one that leaves another free (acquireSpare).
    enum class Slot { Wait, IfFree, IfSpare };
    bool send(Exchange &exchange, Slot slot = Slot::Wait);
    // startIfFree() and startIfSpare(): a request without a body, sent only if `slot` can be had now.
    [[nodiscard]] std::unique_ptr<Exchange> startWithoutWaiting(const QByteArray &method, const QUrl &url,
                                                                 bool notFoundIsAnswer, Slot slot);
    // The gate's slot for `exchange`, within the calling thread's limits; throws when they end.
    void acquireSlot(const Exchange &exchange);
    // Until the flight in the air finishes (or, with `headersWillDo`, its headers arrive),
    // honouring the thread's stop flag.
    void awaitFlight(Exchange &exchange, bool headersWillDo);

    SystemSpec m_system;
    QUrl m_base;
    std::shared_ptr<HttpGate> m_gate;
    std::unique_ptr<QThread> m_thread;
    QObject *m_context = nullptr;                 // lives in m_thread
    QNetworkAccessManager *m_manager = nullptr;   // lives in m_thread, child of m_context
    PlainHttpPool *m_pool = nullptr;              // the same: plain-HTTP GETs (PlainHttpGet)
    int m_retries = 0;
};

} // namespace syncdesk
