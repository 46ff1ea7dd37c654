#include "HttpPageFetcher.h"

#include "LinkPagePattern.h"
#include "model/SyncError.h"

namespace syncdesk {

HttpPageFetcher::HttpPageFetcher(HttpClient &client, const QUrl &first, Pace pace, Decide decide)
    : m_client(client), m_pace(pace), m_decide(std::move(decide))
{
    m_thread = std::thread(&HttpPageFetcher::run, this, first, HttpClient::waitLimitOnThisThread());
}

HttpPageFetcher::~HttpPageFetcher()
{
    {
        // Under the mutex: the fetching thread cannot miss it between a look and its wait.
        const std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_changed.notify_all();
    m_thread.join();
}

void HttpPageFetcher::run(QUrl url, qint64 waitLimitMs)
{
    HttpClient::limitWaitsOnThisThread(waitLimitMs);
    HttpClient::stopWaitsOnThisThread(&m_stop);
    try {
        std::unique_ptr<HttpClient::Exchange> exchange = m_client.start("GET", url);
        // Pages asked for on a guess, in list order, each after the one before it.
        std::deque<std::pair<QUrl, std::unique_ptr<HttpClient::Exchange>>> guessed;
        std::optional<LinkPagePattern> pattern;
        bool guessing = m_pace == Pace::Ahead;
        for (;;) {
            const QUrl requested = url;
            std::optional<Next> next;
            std::unique_ptr<HttpClient::Exchange> following;
            auto ask = [&](bool onlyIfFree) {
                if (next->kind != Next::Kind::Url || m_stop)
                    return;
                if (guessing && pattern) {
                    const std::optional<QUrl> foreseen = pattern->after(requested);
                    if (!foreseen || !LinkPagePattern::samePage(*foreseen, next->url)) {
                        guessing = false; // the links do not count as guessed: no more guesses
                        guessed.clear();
                    }
                }
                if (!guessed.empty()) {
                    following = std::move(guessed.front().second);
                    guessed.pop_front();
                } else {
                    following = onlyIfFree ? m_client.startIfFree("GET", next->url, next->notFoundIsAnswer)
                                           : m_client.start("GET", next->url, {}, next->notFoundIsAnswer);
                }
                if (!following)
                    return;
                url = next->url;
                // Learnt from the first two pages that show it (a list's first URL often has no
                // page number: /issues, then /issues?page=2).
                if (guessing && !pattern)
                    pattern = LinkPagePattern::learn(requested, next->url, next->last);
                // Only with a slot to spare now: a guess never keeps another request waiting,
                // nor takes the last slot another thread (the live engine, a resolution) may
                // need next.
                while (guessing && pattern && guessed.size() < Guesses && !m_stop) {
                    std::optional<QUrl> after = pattern->after(guessed.empty() ? url : guessed.back().first);
                    if (!after)
                        break; // the last page
                    std::unique_ptr<HttpClient::Exchange> guess = m_client.startIfSpare("GET", *after, next->notFoundIsAnswer);
                    if (!guess)
                        break;
                    guessed.emplace_back(std::move(*after), std::move(guess));
                }
            };
            // Decided on the headers where they are an answer: the next request then leaves
            // while this body still travels, if a slot is free (the gate's last one is not
            // taken from the requests of other threads while this body holds one). A body
            // then cut short is asked for again; the next page stays the one its first
            // headers named.
            if (m_pace == Pace::Ahead) {
                if (std::optional<HttpResponse> head = m_client.waitHeaders(*exchange)) {
                    next = m_decide(Page{requested, std::move(*head)});
                    ask(true);
                }
            }
            Page page{requested, m_client.wait(*exchange)};
            if (!next)
                next = m_decide(page);
            if (m_pace == Pace::Ahead && !following)
                ask(false);
            if (!deliver(std::move(page)))
                return;
            if (m_pace == Pace::OneAhead) {
                // Not before the reader has this page: it may be the list's empty end.
                std::unique_lock lock(m_mutex);
                m_changed.wait(lock, [&] { return m_stop || m_taken >= m_delivered; });
                if (m_stop)
                    return;
                lock.unlock();
                ask(false);
            }
            exchange = std::move(following);
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
            if (!exchange)
                return; // stopping: nothing was asked for
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
        const qsizetype bytes = page ? page->answer.body.size() : 0;
        if (page && !error)
            m_changed.wait(lock, [&] { return m_stop || m_pages.size() < Ahead || (m_holdBytes > 0 && m_heldBytes + bytes <= m_holdBytes); });
        if (m_stop)
            return false;
        if (error) {
            m_error = std::move(error);
        } else {
            if (page)
                ++m_delivered;
            m_heldBytes += bytes;
            m_pages.push_back(std::move(page));
        }
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
        m_holdBytes = 0;
        if (page) {
            ++m_taken;
            m_heldBytes -= page->answer.body.size();
        }
    }
    m_changed.notify_all();
    return page;
}

void HttpPageFetcher::holdUntilTaken(qsizetype bytes)
{
    {
        const std::lock_guard lock(m_mutex);
        m_holdBytes = bytes;
    }
    m_changed.notify_all();
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
