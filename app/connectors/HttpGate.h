#pragma once

#include "model/HttpSpec.h"

#include <QString>

#include <chrono>
#include <optional>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace syncdesk {

// Every request to one HTTP system in this process passes one gate: at most
// max_concurrent_requests at once, starts at most max_requests_per_second apart, and a
// Retry-After the server sends holds every request to that system, not only the one that got
// it, so several threads never retry into a server that asked them to wait (no retry storm).
class HttpGate
{
public:
    using Clock = std::chrono::steady_clock;

    // The gate of the system named `name`, shared by every connector of it in the process.
    [[nodiscard]] static std::shared_ptr<HttpGate> forSystem(const QString &name,
                                                             const HttpSystemSpec &spec);

    HttpGate(double requestsPerSecond, int maxConcurrent);

    // Blocks until a request may start; pair with release(). With a deadline, gives up (false,
    // nothing to release) rather than wait past it, for a slot or for a hold.
    bool acquire(std::optional<Clock::time_point> deadline = std::nullopt);
    // A slot now, only if one more stays free for others and no request waits for one: for
    // requests that may never be needed (pages asked for on a guess). False: nothing taken.
    bool acquireSpare();
    void release();
    // No request starts before `until` (the server said Retry-After, or a back-off after a
    // failure); `why` says which, for the systems panel.
    void holdUntil(Clock::time_point until, const QString &why = {});
    // How much longer requests are held (zero when they are not), and why.
    [[nodiscard]] Clock::duration heldFor(QString *why = nullptr) const;

    // What the systems panel shows of an API: its limits, its last answer, and whether its
    // requests are held back.
    struct Traffic
    {
        double requestsPerSecond = 0; // 0: unpaced
        int maxConcurrent = 0;
        int running = 0;
        int waiting = 0;                 // requests queued at the gate
        QString lastRequest;             // "GET /customers?_page=2" (never a header)
        int lastStatus = 0;              // 0: no HTTP answer (the network failed)
        QString lastProblem;             // the network's error when there was no answer
        qint64 lastAtMs = 0;             // wall clock, ms since the epoch
        qint64 lastElapsedMs = 0;
        qint64 heldUntilMs = 0;          // wall clock; 0 or past: not held
        QString heldBecause;
        quint64 answers = 0;
        quint64 throttled = 0;           // 429 and 503 answers
    };
    // One answer (status 0: none, `problem` says why) to a request sent `elapsedMs` ago.
    void noteAnswer(const QString &request, int status, const QString &problem, qint64 elapsedMs);
    [[nodiscard]] Traffic traffic() const;
    // The traffic of the system named `name` with these limits in this process, if a request
    // was ever made to it.
    [[nodiscard]] static std::optional<Traffic> trafficOf(const QString &name, const HttpSystemSpec &spec);

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    Clock::duration m_interval;
    int m_maxConcurrent;
    int m_running = 0;
    Clock::time_point m_nextStart{};
    Clock::time_point m_heldUntil{};
    double m_requestsPerSecond;
    int m_waiting = 0;
    Traffic m_traffic;
};

// acquire() … release() as a scope.
class HttpGateSlot
{
public:
    explicit HttpGateSlot(HttpGate &gate) : m_gate(gate) { m_gate.acquire(); }
    ~HttpGateSlot() { m_gate.release(); }
    HttpGateSlot(const HttpGateSlot &) = delete;
    HttpGateSlot &operator=(const HttpGateSlot &) = delete;

private:
    HttpGate &m_gate;
};

} // namespace syncdesk
