#pragma once

#include <QtGlobal>

#include <algorithm>

namespace syncdesk {

// Retry delays for a system that went away: 250 ms doubling to a 5 s cap, reset on success.
class Backoff
{
public:
    [[nodiscard]] int nextDelayMs()
    {
        const int delay = m_delayMs;
        m_delayMs = std::min(m_delayMs * 2, MaxMs);
        return delay;
    }
    void reset() { m_delayMs = FirstMs; }

    static constexpr int FirstMs = 250;
    static constexpr int MaxMs = 5000;

private:
    int m_delayMs = FirstMs;
};

} // namespace syncdesk
