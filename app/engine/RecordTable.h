#pragma once

#include "model/RecordState.h"
#include "model/RecordStatus.h"

#include <QtGlobal>

#include <string>
#include <string_view>
#include <vector>

namespace syncdesk {

// One record that is not in sync, packed into 48 bytes: a million of them must fit in a
// console's memory next to everything else.
struct TrackedRecord
{
    quint64 source = 0;
    quint64 target = 0;
    quint64 baseline = 0;
    qint64 sourceChangedAtMs = 0;
    qint64 targetChangedAtMs = 0;
    quint8 flags = 0;
    RecordStatus status = RecordStatus::InSync;

    [[nodiscard]] RecordState state() const;
    void setState(const RecordState &state);

private:
    enum : quint8 { SourcePresent = 1, TargetPresent = 2, BaselineKnown = 4, BaselinePresent = 8 };
};

// The records of a flow that are not in sync, by key (the key's canonical JSON). Open
// addressing over 32-bit indices, records in one vector, key bytes in one arena: about
// 60 bytes plus the key per record, against ~190 for a node-based hash map of QByteArrays.
class RecordTable
{
public:
    [[nodiscard]] TrackedRecord *find(std::string_view key);
    [[nodiscard]] const TrackedRecord *find(std::string_view key) const;
    // Adds `key` (which must be absent) with a default record. Invalidates pointers.
    TrackedRecord &insert(std::string_view key);
    // Returns false if `key` was absent. Invalidates pointers.
    bool erase(std::string_view key);
    void clear();
    [[nodiscard]] qsizetype size() const { return qsizetype(m_entries.size()); }

    // f(std::string_view key, TrackedRecord &record), in no particular order; f must not
    // insert or erase.
    template<typename F>
    void forEach(F f)
    {
        for (Entry &e : m_entries)
            f(keyOf(e), e.record);
    }
    template<typename F>
    void forEach(F f) const
    {
        for (const Entry &e : m_entries)
            f(keyOf(e), e.record);
    }

private:
    struct Entry
    {
        TrackedRecord record;
        quint32 keyOffset;
        quint32 keyLength;
    };

    [[nodiscard]] std::string_view keyOf(const Entry &e) const
    {
        return std::string_view(m_keys).substr(e.keyOffset, e.keyLength);
    }
    [[nodiscard]] size_t home(std::string_view key) const;
    [[nodiscard]] size_t slotOf(std::string_view key) const; // the slot holding key, or npos
    void grow();
    void compactKeys();

    std::vector<Entry> m_entries;
    std::vector<quint32> m_slots; // entry index + 1; 0 is empty. Size: a power of two.
    std::string m_keys;
    size_t m_garbage = 0; // arena bytes of erased keys
};

} // namespace syncdesk
