#pragma once

#include "HttpClient.h"

#include <QUrl>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace syncdesk {

// The pages of one list, fetched ahead of the thread that parses them. An API serves a list
// one page after the other, so the list takes its pages' time end to end plus every moment
// between an answer and the next request. Here the next request leaves from a thread of its
// own as soon as the previous answer names it, while the reader still parses earlier pages:
//  - where the headers name the next page (a Link header, a page number), at once;
//  - where only the body does (a cursor, an offset), when the reader says it: follow().
// At most Ahead answers wait to be read, so memory stays a few pages whatever the list's size.
// Requests go through the client as any other (its gate, retries, redirects, limits); the
// fetching thread waits no longer than the reader's thread would (its wait limit is copied).
class HttpPageFetcher
{
public:
    // One page's answer, with the URL asked for (the answer's own is where it came from, after
    // redirects within the origin).
    struct Page
    {
        QUrl requested;
        HttpResponse answer;
    };
    // What follows an answer.
    struct Next
    {
        enum class Kind {
            Url,      // ask for `url` now
            Last,     // the list ends with this page
            FromBody, // the reader names the next page: follow()
        };
        Kind kind = Kind::Last;
        QUrl url;
        bool notFoundIsAnswer = false; // a 404 for `url` ends the list rather than fails
    };
    // Decides from a page's answer: its status, URL and headers (run on the fetching thread,
    // before the reader sees the page). May throw SyncError, which the reader gets in its place.
    using Decide = std::function<Next(const Page &page)>;

    HttpPageFetcher(HttpClient &client, const QUrl &first, Decide decide);
    // Stops asking and waits for the fetching thread (a request in flight is aborted).
    ~HttpPageFetcher();
    HttpPageFetcher(const HttpPageFetcher &) = delete;
    HttpPageFetcher &operator=(const HttpPageFetcher &) = delete;

    // The next answer, in list order; nullopt once the list has ended. Rethrows what failed.
    [[nodiscard]] std::optional<Page> take();
    // After an answer whose decision was FromBody: the page after it; an empty URL ends the list.
    void follow(const QUrl &next, bool notFoundIsAnswer = false);

    // Answers held for the reader, besides the request in flight.
    static constexpr size_t Ahead = 2;

private:
    void run(QUrl url, bool notFoundIsAnswer, qint64 waitLimitMs);
    // Hands an answer (or the list's end, or an error) to the reader; false once stopping.
    bool deliver(std::optional<Page> page, std::exception_ptr error = {});

    HttpClient &m_client;
    Decide m_decide;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<std::optional<Page>> m_pages; // nullopt: the list's end
    std::exception_ptr m_error;              // after m_pages
    std::optional<std::pair<QUrl, bool>> m_follow;     // the reader's next page and its 404 rule
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

} // namespace syncdesk
