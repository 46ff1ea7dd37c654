#pragma once

#include "model/RecordStatus.h"

#include <QByteArray>
#include <QHash>
#include <QList>

#include <vector>

namespace syncdesk {

// The records of a flow that wait for a side (pending or late), ordered by when they began to
// wait. The engine's second tick reaches only the pending records whose SLA may have run out,
// and the oldest wait is read off the front, however many records wait: an outage can leave
// hundreds of thousands, and a pass over all of them every second stalled the live path.
// Orders are kept in heaps whose stale entries (a record that moved on) are dropped lazily.
class WaitingRecords
{
public:
    // The record's status now, and since when it waits (0: unknown, which never turns late).
    // Any status but pending or late takes the record out.
    void note(const QByteArray &key, RecordStatus status, qint64 sinceMs);
    void remove(const QByteArray &key);
    void clear();

    [[nodiscard]] qsizetype size() const { return m_entries.size(); }
    // Entries in the orders, stale ones included: what the records waiting cost in memory.
    [[nodiscard]] size_t marks() const { return m_pending.size() + m_late.size(); }
    // The earliest known start of a wait among all waiting records; 0 when none is known.
    [[nodiscard]] qint64 oldestSinceMs() const;
    // Takes out of the pending order, oldest first, every pending record that began to wait at
    // or before `untilMs`. The caller notes each one's new status; one still pending goes back
    // into the order with requeue().
    [[nodiscard]] QList<QByteArray> takePendingSince(qint64 untilMs);
    void requeue(const QByteArray &key);

private:
    struct Entry
    {
        qint64 sinceMs = 0;
        RecordStatus status = RecordStatus::Pending;
    };
    struct Mark
    {
        qint64 sinceMs;
        QByteArray key; // shares the entry's bytes
    };
    // Min-heaps by sinceMs (std::*_heap with this order).
    static bool later(const Mark &a, const Mark &b) { return a.sinceMs > b.sinceMs; }
    [[nodiscard]] bool current(const Mark &m, RecordStatus status) const;
    void push(std::vector<Mark> &heap, const QByteArray &key, qint64 sinceMs);
    // Drops the stale marks at the top of `heap`.
    void trim(std::vector<Mark> &heap, RecordStatus status) const;
    void compactIfStale();

    QHash<QByteArray, Entry> m_entries; // what is true now
    // Known start times only: a record with none is in m_entries alone.
    mutable std::vector<Mark> m_pending;
    mutable std::vector<Mark> m_late;
};

} // namespace syncdesk
