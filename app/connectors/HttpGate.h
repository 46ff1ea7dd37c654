#pragma once

#include "model/HttpSpec.h"

#include <QString>

#include <chrono>
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

    // Blocks until a request may start; pair with release().
    void acquire();
    void release();
    // No request starts before `until` (the server said Retry-After).
    void holdUntil(Clock::time_point until);

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    Clock::duration m_interval;
    int m_maxConcurrent;
    int m_running = 0;
    Clock::time_point m_nextStart{};
    Clock::time_point m_heldUntil{};
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
