#include "WaitingRecords.h"

#include <QSet>

#include <algorithm>

namespace syncdesk {

namespace {

bool waits(RecordStatus status)
{
    return status == RecordStatus::Pending || status == RecordStatus::Late;
}

} // namespace

void WaitingRecords::note(const QByteArray &key, RecordStatus status, qint64 sinceMs)
{
    if (!waits(status)) {
        remove(key);
        return;
    }
    auto it = m_entries.find(key);
    if (it != m_entries.end() && it->status == status && it->sinceMs == sinceMs)
        return; // as it was: its mark is in place
    if (it == m_entries.end())
        it = m_entries.insert(key, {sinceMs, status});
    else
        *it = {sinceMs, status};
    if (sinceMs > 0)
        push(status == RecordStatus::Pending ? m_pending : m_late, it.key(), sinceMs);
}

void WaitingRecords::remove(const QByteArray &key)
{
    // Its marks go stale and are dropped when they reach the top (or at the next compaction).
    if (m_entries.remove(key))
        compactIfStale();
}

void WaitingRecords::clear()
{
    m_entries.clear();
    m_pending.clear();
    m_late.clear();
}

qint64 WaitingRecords::oldestSinceMs() const
{
    trim(m_pending, RecordStatus::Pending);
    trim(m_late, RecordStatus::Late);
    qint64 oldest = 0;
    for (const std::vector<Mark> *heap : {&m_pending, &m_late}) {
        if (!heap->empty() && (oldest == 0 || heap->front().sinceMs < oldest))
            oldest = heap->front().sinceMs;
    }
    return oldest;
}

QList<QByteArray> WaitingRecords::takePendingSince(qint64 untilMs)
{
    QList<QByteArray> due;
    QSet<QByteArray> taken; // a record that left the order and came back at the same time has two current marks
    for (;;) {
        trim(m_pending, RecordStatus::Pending);
        if (m_pending.empty() || m_pending.front().sinceMs > untilMs)
            return due;
        std::pop_heap(m_pending.begin(), m_pending.end(), later);
        QByteArray key = std::move(m_pending.back().key);
        m_pending.pop_back();
        if (!taken.contains(key)) {
            taken.insert(key);
            due.append(std::move(key));
        }
    }
}

void WaitingRecords::requeue(const QByteArray &key)
{
    const auto it = m_entries.constFind(key);
    if (it != m_entries.cend() && it->sinceMs > 0)
        push(it->status == RecordStatus::Pending ? m_pending : m_late, it.key(), it->sinceMs);
}

bool WaitingRecords::current(const Mark &m, RecordStatus status) const
{
    const auto it = m_entries.constFind(m.key);
    return it != m_entries.cend() && it->status == status && it->sinceMs == m.sinceMs;
}

void WaitingRecords::push(std::vector<Mark> &heap, const QByteArray &key, qint64 sinceMs)
{
    heap.push_back({sinceMs, key});
    std::push_heap(heap.begin(), heap.end(), later);
    compactIfStale();
}

void WaitingRecords::trim(std::vector<Mark> &heap, RecordStatus status) const
{
    while (!heap.empty() && !current(heap.front(), status)) {
        std::pop_heap(heap.begin(), heap.end(), later);
        heap.pop_back();
    }
}

void WaitingRecords::compactIfStale()
{
    // Most waits end long before their SLA (the change arrives), leaving their marks behind:
    // rebuilt from what is true once they outnumber the waiting records, so memory follows the
    // records that wait and each mark is rebuilt a bounded number of times.
    if (m_pending.size() + m_late.size() <= size_t(2 * m_entries.size()) + 1024)
        return;
    m_pending.clear();
    m_late.clear();
    for (auto it = m_entries.cbegin(); it != m_entries.cend(); ++it) {
        if (it->sinceMs > 0)
            (it->status == RecordStatus::Pending ? m_pending : m_late).push_back({it->sinceMs, it.key()});
    }
    std::make_heap(m_pending.begin(), m_pending.end(), later);
    std::make_heap(m_late.begin(), m_late.end(), later);
}

} // namespace syncdesk
