#include "HttpPageFetcher.h"

#include "model/SyncError.h"

namespace syncdesk {

HttpPageFetcher::HttpPageFetcher(HttpClient &client, const QUrl &first, Decide decide)
    : m_client(client), m_decide(std::move(decide))
{
    m_thread = std::thread(&HttpPageFetcher::run, this, first, false, HttpClient::waitLimitOnThisThread());
}

HttpPageFetcher::~HttpPageFetcher()
{
    m_stop = true;
    m_changed.notify_all();
    m_thread.join();
}

void HttpPageFetcher::run(QUrl url, bool notFoundIsAnswer, qint64 waitLimitMs)
{
    HttpClient::limitWaitsOnThisThread(waitLimitMs);
    HttpClient::stopWaitsOnThisThread(&m_stop);
    try {
        std::unique_ptr<HttpClient::Exchange> exchange = m_client.start("GET", url, {}, notFoundIsAnswer);
        for (;;) {
            // Decided on the headers where they are an answer: the next request then leaves
            // while this body still travels, and the server is never idle between pages.
            std::optional<Next> next;
            std::unique_ptr<HttpClient::Exchange> following;
            const QUrl requested = url;
            if (std::optional<HttpResponse> head = m_client.waitHeaders(*exchange))
                next = m_decide(Page{requested, std::move(*head)});
            auto ask = [&] {
                if (next->kind == Next::Kind::Url && !m_stop) {
                    url = next->url;
                    following = m_client.start("GET", url, {}, next->notFoundIsAnswer);
                }
            };
            if (next)
                ask();
            Page page{requested, m_client.wait(*exchange)};
            exchange = std::move(following);
            if (!next) {
                next = m_decide(page);
                ask();
                exchange = std::move(following);
            }
            if (!deliver(std::move(page)))
                return;
            if (next->kind == Next::Kind::Last) {
                (void)deliver(std::nullopt);
                return;
            }
            if (next->kind == Next::Kind::FromBody) {
                std::pair<QUrl, bool> follow;
                {
                    std::unique_lock lock(m_mutex);
                    m_changed.wait(lock, [&] { return m_stop || m_follow; });
                    if (m_stop)
                        return;
                    follow = *std::exchange(m_follow, std::nullopt);
                }
                if (follow.first.isEmpty()) {
                    (void)deliver(std::nullopt);
                    return;
                }
                url = follow.first;
                exchange = m_client.start("GET", url, {}, follow.second);
            }
        }
    } catch (...) {
        if (!m_stop)
            (void)deliver(std::nullopt, std::current_exception());
    }
}

bool HttpPageFetcher::deliver(std::optional<Page> page, std::exception_ptr error)
{
    {
        std::unique_lock lock(m_mutex);
        // Only answers wait for room: the list's end and an error are never held back.
        if (page && !error)
            m_changed.wait(lock, [&] { return m_stop || m_pages.size() < Ahead; });
        if (m_stop)
            return false;
        if (error)
            m_error = std::move(error);
        else
            m_pages.push_back(std::move(page));
    }
    m_changed.notify_all();
    return true;
}

std::optional<HttpPageFetcher::Page> HttpPageFetcher::take()
{
    std::optional<Page> page;
    {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return !m_pages.empty() || m_error; });
        if (m_pages.empty())
            std::rethrow_exception(m_error);
        page = std::move(m_pages.front());
        m_pages.pop_front();
    }
    m_changed.notify_all();
    return page;
}

void HttpPageFetcher::follow(const QUrl &next, bool notFoundIsAnswer)
{
    {
        const std::lock_guard lock(m_mutex);
        m_follow = std::pair(next, notFoundIsAnswer);
    }
    m_changed.notify_all();
}

} // namespace syncdesk
