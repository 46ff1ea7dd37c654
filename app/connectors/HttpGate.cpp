#include "HttpGate.h"

#include <QDateTime>
#include <QHash>

#include <algorithm>

namespace syncdesk {

namespace {

// Gates live as long as the process: a system's hold and last answer outlive the connectors
// that made them (a flow closed after a failure), and the panel shows them.
struct Registry
{
    std::mutex mutex;
    QHash<QString, std::shared_ptr<HttpGate>> gates;
};

// By name and limits: a workspace reloaded with other limits gets a gate of its own.
QString keyOf(const QString &name, const HttpSystemSpec &spec)
{
    return QStringLiteral("%1\n%2\n%3").arg(name).arg(spec.maxRequestsPerSecond).arg(spec.maxConcurrentRequests);
}

Registry &registry()
{
    static Registry r;
    return r;
}

} // namespace

std::shared_ptr<HttpGate> HttpGate::forSystem(const QString &name, const HttpSystemSpec &spec)
{
    Registry &r = registry();
    auto &gates = r.gates;
    const std::lock_guard lock(r.mutex);
    const QString key = keyOf(name, spec);
    if (std::shared_ptr<HttpGate> gate = gates.value(key))
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
      m_maxConcurrent(std::max(1, maxConcurrent)), m_requestsPerSecond(std::max(0.0, requestsPerSecond))
{
}

bool HttpGate::acquire(std::optional<Clock::time_point> deadline)
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        const Clock::time_point now = Clock::now();
        const Clock::time_point start = std::max(m_nextStart, m_heldUntil);
        if (m_running < m_maxConcurrent && start <= now) {
            ++m_running;
            m_nextStart = now + m_interval;
            return true;
        }
        // A hold that ends past the deadline (it only ever grows) is not waited for at all.
        if (deadline && (now >= *deadline || m_heldUntil > *deadline))
            return false;
        ++m_waiting;
        if (m_running < m_maxConcurrent)
            m_changed.wait_until(lock, deadline ? std::min(start, *deadline) : start);
        else if (deadline)
            m_changed.wait_until(lock, *deadline);
        else
            m_changed.wait(lock);
        --m_waiting;
    }
}

bool HttpGate::acquireSpare()
{
    const std::lock_guard lock(m_mutex);
    const Clock::time_point now = Clock::now();
    if (m_waiting > 0 || m_running + 1 >= m_maxConcurrent || std::max(m_nextStart, m_heldUntil) > now)
        return false;
    ++m_running;
    m_nextStart = now + m_interval;
    return true;
}

void HttpGate::release()
{
    {
        const std::lock_guard lock(m_mutex);
        --m_running;
    }
    m_changed.notify_all();
}

void HttpGate::holdUntil(Clock::time_point until, const QString &why)
{
    {
        const std::lock_guard lock(m_mutex);
        if (until > m_heldUntil) {
            m_heldUntil = until;
            m_traffic.heldBecause = why;
        }
    }
    m_changed.notify_all();
}

HttpGate::Clock::duration HttpGate::heldFor(QString *why) const
{
    const std::lock_guard lock(m_mutex);
    const Clock::duration left = m_heldUntil - Clock::now();
    if (left <= Clock::duration::zero())
        return Clock::duration::zero();
    if (why)
        *why = m_traffic.heldBecause;
    return left;
}

void HttpGate::noteAnswer(const QString &request, int status, const QString &problem, qint64 elapsedMs)
{
    const std::lock_guard lock(m_mutex);
    m_traffic.lastRequest = request;
    m_traffic.lastStatus = status;
    m_traffic.lastProblem = status ? QString() : problem;
    m_traffic.lastAtMs = QDateTime::currentMSecsSinceEpoch();
    m_traffic.lastElapsedMs = elapsedMs;
    ++m_traffic.answers;
    m_traffic.throttled += status == 429 || status == 503;
}

HttpGate::Traffic HttpGate::traffic() const
{
    const std::lock_guard lock(m_mutex);
    Traffic t = m_traffic;
    t.requestsPerSecond = m_requestsPerSecond;
    t.maxConcurrent = m_maxConcurrent;
    t.running = m_running;
    t.waiting = m_waiting;
    // The hold in wall-clock time, from the steady one the gate keeps.
    const Clock::time_point now = Clock::now();
    if (m_heldUntil > now)
        t.heldUntilMs = QDateTime::currentMSecsSinceEpoch()
                        + std::chrono::duration_cast<std::chrono::milliseconds>(m_heldUntil - now).count();
    else
        t.heldBecause.clear();
    return t;
}

std::optional<HttpGate::Traffic> HttpGate::trafficOf(const QString &name, const HttpSystemSpec &spec)
{
    std::shared_ptr<HttpGate> gate;
    {
        Registry &r = registry();
        const std::lock_guard lock(r.mutex);
        gate = r.gates.value(keyOf(name, spec));
    }
    if (!gate)
        return std::nullopt;
    return gate->traffic();
}

} // namespace syncdesk
