#include "RecordTable.h"

#include <xxhash.h>

namespace syncdesk {

RecordState TrackedRecord::state() const
{
    RecordState s;
    if (flags & SourcePresent)
        s.source = source;
    if (flags & TargetPresent)
        s.target = target;
    if (flags & BaselineKnown)
        s.baseline = (flags & BaselinePresent) ? RowHash(baseline) : RowHash();
    s.sourceChangedAtMs = sourceChangedAtMs;
    s.targetChangedAtMs = targetChangedAtMs;
    return s;
}

void TrackedRecord::setState(const RecordState &s)
{
    flags = 0;
    source = s.source.value_or(0);
    target = s.target.value_or(0);
    baseline = s.baseline && *s.baseline ? **s.baseline : 0;
    if (s.source)
        flags |= SourcePresent;
    if (s.target)
        flags |= TargetPresent;
    if (s.baseline)
        flags |= BaselineKnown;
    if (s.baseline && *s.baseline)
        flags |= BaselinePresent;
    sourceChangedAtMs = s.sourceChangedAtMs;
    targetChangedAtMs = s.targetChangedAtMs;
}

size_t RecordTable::home(std::string_view key) const
{
    return size_t(XXH3_64bits(key.data(), key.size())) & (m_slots.size() - 1);
}

size_t RecordTable::slotOf(std::string_view key) const
{
    if (m_slots.empty())
        return std::string_view::npos;
    const size_t mask = m_slots.size() - 1;
    for (size_t i = home(key);; i = (i + 1) & mask) {
        const quint32 v = m_slots[i];
        if (v == 0)
            return std::string_view::npos;
        if (keyOf(m_entries[v - 1]) == key)
            return i;
    }
}

TrackedRecord *RecordTable::find(std::string_view key)
{
    const size_t slot = slotOf(key);
    return slot == std::string_view::npos ? nullptr : &m_entries[m_slots[slot] - 1].record;
}

const TrackedRecord *RecordTable::find(std::string_view key) const
{
    const size_t slot = slotOf(key);
    return slot == std::string_view::npos ? nullptr : &m_entries[m_slots[slot] - 1].record;
}

TrackedRecord &RecordTable::insert(std::string_view key)
{
    if ((m_entries.size() + 1) * 2 > m_slots.size())
        grow();
    const auto offset = quint32(m_keys.size());
    m_keys.append(key);
    m_entries.push_back({TrackedRecord{}, offset, quint32(key.size())});
    const size_t mask = m_slots.size() - 1;
    size_t i = home(key);
    while (m_slots[i] != 0)
        i = (i + 1) & mask;
    m_slots[i] = quint32(m_entries.size());
    return m_entries.back().record;
}

bool RecordTable::erase(std::string_view key)
{
    size_t hole = slotOf(key);
    if (hole == std::string_view::npos)
        return false;
    const quint32 index = m_slots[hole] - 1;
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    const size_t mask = m_slots.size() - 1;
    m_slots[hole] = 0;
    for (size_t j = (hole + 1) & mask; m_slots[j] != 0; j = (j + 1) & mask) {
        const size_t h = home(keyOf(m_entries[m_slots[j] - 1]));
        const bool movable = (j > hole) ? (h <= hole || h > j) : (h <= hole && h > j);
        if (movable) {
            m_slots[hole] = m_slots[j];
            m_slots[j] = 0;
            hole = j;
        }
    }
    m_garbage += m_entries[index].keyLength;
    // Keep entries dense: the last one moves into the gap.
    const auto last = quint32(m_entries.size() - 1);
    if (index != last) {
        const size_t slot = slotOf(keyOf(m_entries[last]));
        m_entries[index] = m_entries[last];
        m_slots[slot] = index + 1;
    }
    m_entries.pop_back();
    if (m_garbage > (1u << 20) && m_garbage * 2 > m_keys.size())
        compactKeys();
    return true;
}

void RecordTable::clear()
{
    m_entries.clear();
    m_slots.clear();
    m_keys.clear();
    m_garbage = 0;
}

void RecordTable::grow()
{
    m_slots.assign(std::max<size_t>(16, m_slots.size() * 2), 0);
    const size_t mask = m_slots.size() - 1;
    for (size_t e = 0; e < m_entries.size(); ++e) {
        size_t i = home(keyOf(m_entries[e]));
        while (m_slots[i] != 0)
            i = (i + 1) & mask;
        m_slots[i] = quint32(e + 1);
    }
}

void RecordTable::compactKeys()
{
    std::string keys;
    keys.reserve(m_keys.size() - m_garbage);
    for (Entry &e : m_entries) {
        const std::string_view k = keyOf(e);
        e.keyOffset = quint32(keys.size());
        keys.append(k);
    }
    m_keys = std::move(keys);
    m_garbage = 0;
}

} // namespace syncdesk
