#include "TxSnapshot.h"

#include <algorithm>
#include <charconv>

namespace syncdesk {

std::optional<TxSnapshot> TxSnapshot::parse(std::string_view text)
{
    const auto number = [&text](char end, quint64 &out) {
        const auto [stop, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
        if (ec != std::errc() || (stop != text.data() + text.size() && *stop != end))
            return false;
        text.remove_prefix(size_t(stop - text.data()) + (stop != text.data() + text.size() ? 1 : 0));
        return true;
    };
    TxSnapshot s;
    if (!number(':', s.m_xmin) || text.empty() || !number(':', s.m_xmax) || s.m_xmax < s.m_xmin)
        return std::nullopt;
    while (!text.empty()) {
        quint64 xid = 0;
        if (!number(',', xid) || xid < s.m_xmin || xid >= s.m_xmax)
            return std::nullopt;
        s.m_running.push_back(xid);
    }
    std::sort(s.m_running.begin(), s.m_running.end());
    return s;
}

bool TxSnapshot::sees(quint32 xid) const
{
    // The full id nearest xmax: a transaction a stream just told is within 2^31 of any
    // snapshot taken since.
    const qint64 offset = qint32(xid - quint32(m_xmax));
    const quint64 full = quint64(qint64(m_xmax) + offset);
    if (full < m_xmin)
        return true; // finished before every transaction the snapshot waited on
    if (full >= m_xmax)
        return false; // not yet finished when it was taken
    return !std::binary_search(m_running.cbegin(), m_running.cend(), full);
}

} // namespace syncdesk
