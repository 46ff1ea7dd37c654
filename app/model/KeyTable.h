#pragma once

#include <QtGlobal>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <type_traits>
#include <vector>

namespace syncdesk {

// A growable array of trivially copyable values on malloc/realloc: glibc grows a large block
// with mremap, so a table loading a million records never copies (or faults in twice) what it
// already holds, as std::vector's doubling does.
template<typename T>
class PodBuffer
{
    static_assert(std::is_trivially_copyable_v<T>);

public:
    PodBuffer() = default;
    PodBuffer(const PodBuffer &other) { *this = other; }
    PodBuffer(PodBuffer &&other) noexcept { swap(other); }
    PodBuffer &operator=(const PodBuffer &other)
    {
        if (this != &other) {
            resize(0);
            append(other.m_data, other.m_size);
        }
        return *this;
    }
    PodBuffer &operator=(PodBuffer &&other) noexcept
    {
        PodBuffer(std::move(other)).swap(*this);
        return *this;
    }
    ~PodBuffer() { std::free(m_data); }

    void swap(PodBuffer &other) noexcept
    {
        std::swap(m_data, other.m_data);
        std::swap(m_size, other.m_size);
        std::swap(m_capacity, other.m_capacity);
    }
    void reserve(size_t n)
    {
        if (n <= m_capacity)
            return;
        void *grown = std::realloc(m_data, n * sizeof(T));
        if (!grown)
            throw std::bad_alloc();
        m_data = static_cast<T *>(grown);
        m_capacity = n;
    }
    void append(const T *values, size_t n)
    {
        if (m_size + n > m_capacity)
            reserve(std::max(m_size + n, m_capacity + m_capacity / 2 + 64));
        if (n)
            std::memcpy(static_cast<void *>(m_data + m_size), values, n * sizeof(T));
        m_size += n;
    }
    void push_back(const T &v) { append(&v, 1); }
    void pop_back() { --m_size; }
    void resize(size_t n) { reserve(n); m_size = n; }
    // n copies of `v` (the table's empty slots).
    void assign(size_t n, const T &v)
    {
        resize(n);
        std::fill(m_data, m_data + n, v);
    }
    void clear() { resize(0); }
    [[nodiscard]] size_t size() const { return m_size; }
    [[nodiscard]] bool empty() const { return m_size == 0; }
    [[nodiscard]] T *data() { return m_data; }
    [[nodiscard]] const T *data() const { return m_data; }
    T &operator[](size_t i) { return m_data[i]; }
    const T &operator[](size_t i) const { return m_data[i]; }
    T &back() { return m_data[m_size - 1]; }
    T *begin() { return m_data; }
    T *end() { return m_data + m_size; }
    const T *begin() const { return m_data; }
    const T *end() const { return m_data + m_size; }

private:
    T *m_data = nullptr;
    size_t m_size = 0;
    size_t m_capacity = 0;
};

// XXH3 of a key's bytes: where a key lives in a KeyTable (kept out of line so users of the
// template need not see xxhash).
[[nodiscard]] quint64 keyTableHash(std::string_view key);

// A hash table from key bytes (a key's canonical JSON) to a small packed value: open
// addressing over 32-bit indices, values in one dense vector, key bytes in one arena. About
// 20 bytes plus the key and the value per entry, against ~190 for a node-based map of
// QByteArrays: the live engine keeps every record of a flow in one (a million must fit in a
// console's memory), and so do the order-free scans and the polling feeds' key sets.
template<typename Value>
class KeyTable
{
public:
    [[nodiscard]] Value *find(std::string_view key) { return find(key, keyTableHash(key)); }
    [[nodiscard]] const Value *find(std::string_view key) const
    {
        const size_t slot = slotOf(key, keyTableHash(key));
        return slot == npos ? nullptr : &m_entries[m_slots[slot] - 1].value;
    }
    // With the key's keyTableHash() already at hand (a caller that partitions by it).
    [[nodiscard]] Value *find(std::string_view key, quint64 hash)
    {
        const size_t slot = slotOf(key, hash);
        return slot == npos ? nullptr : &m_entries[m_slots[slot] - 1].value;
    }
    // Where `key` is, for valueInSlot() and eraseSlot(): one lookup for a find-then-erase.
    // npos if absent. Valid until the table changes.
    [[nodiscard]] size_t locate(std::string_view key, quint64 hash) const { return slotOf(key, hash); }
    [[nodiscard]] Value &valueInSlot(size_t slot) { return m_entries[m_slots[slot] - 1].value; }
    // Adds `key` (which must be absent) with a default value. Invalidates pointers.
    Value &insert(std::string_view key) { return insert(key, keyTableHash(key)); }
    Value &insert(std::string_view key, quint64 hash)
    {
        if ((m_entries.size() + 1) * 2 > m_slots.size())
            grow();
        Entry &e = append(key, hash);
        place(quint32(m_entries.size()), hash);
        return e.value;
    }
    // Bulk loading, for keys known to be distinct (a merge's ascending keys): appends without
    // looking the key up; find() and insert() work again after reindex(). Much cheaper than
    // insert() for a million keys: no probing, and the index is sized once.
    Value &appendUnindexed(std::string_view key) { return append(key, keyTableHash(key)).value; }
    void reindex() { rebuild(slotsFor(m_entries.size())); }
    // Room for `n` entries and `keyBytes` bytes of keys without reallocating.
    void reserve(size_t n, size_t keyBytes)
    {
        m_entries.reserve(n);
        m_keys.reserve(keyBytes);
    }
    // An index for `n` entries, so insert() never regrows it before then (not for bulk
    // loading: reindex() sizes the index once anyway).
    void reserveIndex(size_t n)
    {
        if (slotsFor(n) > m_slots.size())
            rebuild(slotsFor(n));
    }
    // The value of `key`, inserted with a default value if it was absent.
    Value &operator[](std::string_view key)
    {
        const quint64 hash = keyTableHash(key);
        Value *v = find(key, hash);
        return v ? *v : insert(key, hash);
    }
    // Returns false if `key` was absent. Invalidates pointers.
    bool erase(std::string_view key)
    {
        const size_t slot = slotOf(key, keyTableHash(key));
        if (slot == npos)
            return false;
        eraseSlot(slot);
        return true;
    }
    // Erases the entry in `slot` (from locate()). Invalidates pointers and slots.
    void eraseSlot(size_t hole)
    {
        const quint32 index = m_slots[hole] - 1;
        // Backward-shift deletion keeps every probe chain unbroken without tombstones. A
        // neighbour's home comes from its entry's stored hash: no key bytes are read.
        const size_t mask = m_slots.size() - 1;
        m_slots[hole] = 0;
        for (size_t j = (hole + 1) & mask; m_slots[j] != 0; j = (j + 1) & mask) {
            const size_t h = m_entries[m_slots[j] - 1].hash & mask;
            const bool movable = (j > hole) ? (h <= hole || h > j) : (h <= hole && h > j);
            if (movable) {
                m_slots[hole] = m_slots[j];
                m_tags[hole] = m_tags[j];
                m_slots[j] = 0;
                hole = j;
            }
        }
        m_garbage += m_entries[index].keyLength;
        // Keep entries dense: the last one moves into the gap (its slot found by index, from
        // its home on: no key compared).
        const auto last = quint32(m_entries.size() - 1);
        if (index != last) {
            size_t i = m_entries[last].hash & mask;
            while (m_slots[i] != last + 1)
                i = (i + 1) & mask;
            m_entries[index] = m_entries[last];
            m_slots[i] = index + 1;
        }
        m_entries.pop_back();
        // Once half the arena is garbage (and enough to matter): a table that keeps few keys
        // while many pass through (the hash pairing's) stays small and in cache.
        if (m_garbage > (64u << 10) && m_garbage * 2 > m_keys.size())
            compactKeys();
    }
    void clear()
    {
        m_entries.clear();
        m_slots.clear();
        m_tags.clear();
        m_keys.clear();
        m_garbage = 0;
    }
    [[nodiscard]] qsizetype size() const { return qsizetype(m_entries.size()); }

    // Entries by position, for users that never erase: an entry keeps the position it was
    // inserted at (insertion order), so a position can stand for the entry (a model's row).
    [[nodiscard]] size_t indexOf(std::string_view key) const
    {
        const size_t slot = slotOf(key, keyTableHash(key));
        return slot == npos ? npos : m_slots[slot] - 1;
    }
    [[nodiscard]] std::string_view keyAt(size_t i) const { return keyOf(m_entries[i]); }
    [[nodiscard]] Value &valueAt(size_t i) { return m_entries[i].value; }
    [[nodiscard]] const Value &valueAt(size_t i) const { return m_entries[i].value; }
    static constexpr size_t npos = std::string_view::npos;

    // f(std::string_view key, Value &value), in no particular order; f must not insert or erase.
    template<typename F>
    void forEach(F f)
    {
        for (Entry &e : m_entries)
            f(keyOf(e), e.value);
    }
    template<typename F>
    void forEach(F f) const
    {
        for (const Entry &e : m_entries)
            f(keyOf(e), e.value);
    }

private:
    struct Entry
    {
        Value value;
        quint32 keyOffset;
        quint32 keyLength;
        // The key's hash, low bits: its home slot (tables stay below 2^32 slots), so growing
        // and erasing never hash or read a key again.
        quint32 hash;
    };

    [[nodiscard]] std::string_view keyOf(const Entry &e) const
    {
        return std::string_view(m_keys.data() + e.keyOffset, e.keyLength);
    }
    Entry &append(std::string_view key, quint64 hash)
    {
        const auto offset = quint32(m_keys.size());
        m_keys.append(key.data(), key.size());
        m_entries.push_back({Value{}, offset, quint32(key.size()), quint32(hash)});
        return m_entries.back();
    }
    // Puts entry number `oneBased` in the first free slot from its home.
    void place(quint32 oneBased, quint64 hash)
    {
        const size_t mask = m_slots.size() - 1;
        size_t i = size_t(quint32(hash)) & mask;
        while (m_slots[i] != 0)
            i = (i + 1) & mask;
        m_slots[i] = oneBased;
        m_tags[i] = tagOf(hash);
    }
    // A slot's hash bits beside it: a probe passes other keys' slots without reading their
    // entries and key bytes (two cache misses each) but for one in 256. Taken from the stored
    // 32 bits, above those that pick the home slot in tables of up to 2^24 slots.
    [[nodiscard]] static quint8 tagOf(quint64 hash) { return quint8(quint32(hash) >> 24); }
    [[nodiscard]] size_t slotOf(std::string_view key, quint64 hash) const
    {
        if (m_slots.empty())
            return npos;
        const size_t mask = m_slots.size() - 1;
        const quint8 tag = tagOf(hash);
        for (size_t i = size_t(quint32(hash)) & mask;; i = (i + 1) & mask) {
            const quint32 v = m_slots[i];
            if (v == 0)
                return npos;
            if (m_tags[i] == tag && keyOf(m_entries[v - 1]) == key)
                return i;
        }
    }
    // At most half full, as insert() keeps it.
    [[nodiscard]] static size_t slotsFor(size_t entries)
    {
        size_t size = 16;
        while (size < entries * 2)
            size *= 2;
        return size;
    }
    void grow() { rebuild(std::max<size_t>(16, m_slots.size() * 2)); }
    void rebuild(size_t slotCount)
    {
        m_slots.assign(slotCount, 0);
        m_tags.assign(slotCount, 0);
        for (size_t e = 0; e < m_entries.size(); ++e)
            place(quint32(e + 1), m_entries[e].hash);
    }
    void compactKeys()
    {
        PodBuffer<char> keys;
        keys.reserve(m_keys.size() - m_garbage);
        for (Entry &e : m_entries) {
            const std::string_view k = keyOf(e);
            e.keyOffset = quint32(keys.size());
            keys.append(k.data(), k.size());
        }
        m_keys = std::move(keys);
        m_garbage = 0;
    }

    PodBuffer<Entry> m_entries;
    PodBuffer<quint32> m_slots; // entry index + 1; 0 is empty. Size: a power of two.
    PodBuffer<quint8> m_tags;   // tagOf() the key's hash, per slot (where the slot is not empty)
    PodBuffer<char> m_keys;
    size_t m_garbage = 0; // arena bytes of erased keys
};

} // namespace syncdesk
