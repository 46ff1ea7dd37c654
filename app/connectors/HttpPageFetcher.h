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
// own while the reader still parses earlier pages, as far as the paging allows:
//  - Pace::Ahead, where a page's headers name the next one (a Link header) and an empty page
//    never comes: asked for as soon as those headers arrive (if the system's gate has a slot
//    free then, else when the page is in), with up to Ahead answers held for the reader, so
//    memory stays a few pages whatever the list's length. Where the links count pages
//    (LinkPagePattern), up to Guesses more pages are asked for on that guess while the gate
//    has a slot to spare (one stays free, none is waited for), so the server never idles
//    between pages; a guessed page is used only once a link names it, and a link the guess
//    did not foresee ends the guessing for the list;
//  - Pace::OneAhead, for page numbers, where only the reader learns that a page was the last
//    (it is empty): the next page is asked for when the reader takes a page, so at most one
//    page past the list's end is ever asked for;
//  - Decide says FromBody where only the body names the next page (a cursor, an offset): the
//    reader names it, follow().
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
        QUrl last;                     // the list's last page, where the server names it
    };
    // Decides from a page's answer: its status, URL and headers (run on the fetching thread,
    // before the reader sees the page). May throw SyncError, which the reader gets in its place.
    using Decide = std::function<Next(const Page &page)>;

    enum class Pace { Ahead, OneAhead };
    HttpPageFetcher(HttpClient &client, const QUrl &first, Pace pace, Decide decide);
    // Stops asking and waits for the fetching thread (a request in flight is aborted).
    ~HttpPageFetcher();
    HttpPageFetcher(const HttpPageFetcher &) = delete;
    HttpPageFetcher &operator=(const HttpPageFetcher &) = delete;

    // The next answer, in list order; nullopt once the list has ended. Rethrows what failed.
    [[nodiscard]] std::optional<Page> take();
    // After an answer whose decision was FromBody: the page after it; an empty URL ends the list.
    void follow(const QUrl &next, bool notFoundIsAnswer = false);
    // Until the next take(), answers are held while they total at most `bytes` (and Ahead of
    // them whatever their size): for a reader that will start late (a comparison settling its
    // plan with the other side), so the list's first pages are in when it does.
    void holdUntilTaken(qsizetype bytes);

    // Answers held for the reader, besides the request in flight.
    static constexpr size_t Ahead = 2;
    // Pages asked for on a guess, besides the one a link named (Pace::Ahead).
    static constexpr size_t Guesses = 2;

private:
    void run(QUrl url, qint64 waitLimitMs);
    // Hands an answer (or the list's end, or an error) to the reader; false once stopping.
    bool deliver(std::optional<Page> page, std::exception_ptr error = {});

    HttpClient &m_client;
    Pace m_pace;
    Decide m_decide;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<std::optional<Page>> m_pages; // nullopt: the list's end
    qsizetype m_heldBytes = 0;               // of the bodies in m_pages
    qsizetype m_holdBytes = 0;               // holdUntilTaken()
    std::exception_ptr m_error;              // after m_pages
    std::optional<std::pair<QUrl, bool>> m_follow;     // the reader's next page and its 404 rule
    qint64 m_delivered = 0;                            // pages handed over so far
    qint64 m_taken = 0;                                // pages the reader took so far
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

} // namespace syncdesk
