#pragma once

#include <QtGlobal>

#include <deque>

namespace syncdesk {

// The brake of DESIGN.md (Policies): within any 60 s a policy resolves at most
// max(100, 1 %) of a flow's records. A restored backup or a broken batch job makes thousands
// of records drift at once; that must halt for a person, not become a mass overwrite.
class PolicyGuard
{
public:
    static constexpr qint64 WindowMs = 60 * 1000;

    [[nodiscard]] static qint64 limitFor(qint64 flowRecords)
    {
        return std::max<qint64>(100, flowRecords / 100);
    }

    // Whether one more resolution may go now; counts it if so.
    [[nodiscard]] bool admit(qint64 nowMs, qint64 flowRecords)
    {
        expire(nowMs);
        if (qint64(m_times.size()) >= limitFor(flowRecords))
            return false;
        m_times.push_back(nowMs);
        return true;
    }
    [[nodiscard]] qint64 inWindow(qint64 nowMs)
    {
        expire(nowMs);
        return qint64(m_times.size());
    }
    void reset() { m_times.clear(); }

private:
    void expire(qint64 nowMs)
    {
        while (!m_times.empty() && m_times.front() <= nowMs - WindowMs)
            m_times.pop_front();
    }

    std::deque<qint64> m_times;
};

} // namespace syncdesk
