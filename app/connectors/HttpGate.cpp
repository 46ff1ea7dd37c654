#include "HttpGate.h"

#include <QHash>

#include <algorithm>

namespace syncdesk {

std::shared_ptr<HttpGate> HttpGate::forSystem(const QString &name, const HttpSystemSpec &spec)
{
    static std::mutex mutex;
    static QHash<QString, std::weak_ptr<HttpGate>> gates;
    const std::lock_guard lock(mutex);
    // Keyed by the settings too: a workspace reloaded with other limits gets a gate of its own.
    const QString key = QStringLiteral("%1\n%2\n%3").arg(name).arg(spec.maxRequestsPerSecond).arg(spec.maxConcurrentRequests);
    if (std::shared_ptr<HttpGate> gate = gates.value(key).lock())
        return gate;
    auto gate = std::make_shared<HttpGate>(spec.maxRequestsPerSecond, spec.maxConcurrentRequests);
    gates.insert(key, gate);
    return gate;
}

HttpGate::HttpGate(double requestsPerSecond, int maxConcurrent)
    : m_interval(requestsPerSecond > 0
                     ? std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(1.0 / requestsPerSecond))
                     : Clock::duration::zero()),
      m_maxConcurrent(std::max(1, maxConcurrent))
{
}

void HttpGate::acquire()
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        const Clock::time_point now = Clock::now();
        const Clock::time_point start = std::max(m_nextStart, m_heldUntil);
        if (m_running < m_maxConcurrent && start <= now) {
            ++m_running;
            m_nextStart = now + m_interval;
            return;
        }
        if (m_running >= m_maxConcurrent)
            m_changed.wait(lock);
        else
            m_changed.wait_until(lock, start);
    }
}

void HttpGate::release()
{
    {
        const std::lock_guard lock(m_mutex);
        --m_running;
    }
    m_changed.notify_all();
}

void HttpGate::holdUntil(Clock::time_point until)
{
    {
        const std::lock_guard lock(m_mutex);
        m_heldUntil = std::max(m_heldUntil, until);
    }
    m_changed.notify_all();
}

} // namespace syncdesk
