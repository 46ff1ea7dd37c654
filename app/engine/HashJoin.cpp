#include "HashJoin.h"

#include "model/KeyCodec.h"
#include "model/SyncError.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace syncdesk {

namespace {

// What one entry costs beyond its key and details: the value and the table's bookkeeping
// (entry, slot at half load, growth slack).
constexpr qint64 EntryOverhead = 48;
constexpr size_t SpillBufferBytes = 32 * 1024;
constexpr size_t InitialRecords = 1024; // per partition

template<typename T>
void put(std::FILE *f, const T &v)
{
    std::fwrite(&v, sizeof v, 1, f);
}

template<typename T>
bool get(std::FILE *f, T &v)
{
    return std::fread(&v, sizeof v, 1, f) == 1;
}

bool getBytes(std::FILE *f, std::string &out, quint32 n)
{
    out.resize(n);
    return n == 0 || std::fread(out.data(), 1, n, f) == n;
}

} // namespace

HashJoin::HashJoin(Options options, Sink sink)
    : m_options(std::move(options)), m_sink(std::move(sink)), m_parts(Partitions)
{
    // Each partition's first thousand records without regrowing its table (a regrowth copies
    // the table into new memory, which faults in page by page): a hundred thousand records
    // fill them about that far. Untouched, the room costs address space, not memory.
    for (Partition &p : m_parts) {
        p.table.reserve(InitialRecords, InitialRecords * 16);
        p.table.reserveIndex(InitialRecords);
    }
}

HashJoin::~HashJoin()
{
    for (Partition &p : m_parts)
        if (p.spill)
            std::fclose(p.spill);
}


void HashJoin::add(bool source, const ScanBatch &batch)
{
    const bool display = m_options.keepDisplayKeys && !batch.displayEnds.empty();
    const size_t fields = size_t(m_options.fieldCount);
    const bool withFields = fields > 0 && batch.fieldHashes.size() >= batch.size() * fields;
    for (size_t i = 0; i < batch.size(); ++i) {
        Record r;
        r.key = batch.key(i);
        r.display = display ? batch.displayKey(i) : std::string_view();
        r.rowHash = batch.rowHashes[i];
        r.fields = withFields ? batch.fieldHashes.data() + i * fields : nullptr;
        place(source, r);
    }
    keepWithinBudget();
}

void HashJoin::add(bool source, const Record &record)
{
    place(source, record);
    keepWithinBudget();
}

void HashJoin::place(bool source, const Record &r)
{
    // The top bits pick the partition; KeyTable places keys by the low ones.
    const quint64 hash = keyTableHash(r.key);
    Partition &p = m_parts[size_t(hash >> 57) % Partitions];
    if (p.spill)
        writeRecord(p, source ? SourceWaiting : TargetWaiting, r);
    else
        accept(p, source ? SourceWaiting : TargetWaiting, r, hash, true);
}

void HashJoin::keepWithinBudget()
{
    m_peakBytes = std::max(m_peakBytes, m_bytes);
    while (m_bytes > m_options.memoryBudgetBytes)
        spillLargest();
}

void HashJoin::accept(Partition &p, quint32 state, const Record &r, quint64 hash, bool counted)
{
    const size_t slot = p.table.locate(r.key, hash);
    if (slot != KeyTable<Entry>::npos) {
        Entry *e = &p.table.valueInSlot(slot);
        // Seen on this side already, or matched already: the key is not unique on this side.
        if (e->state == Matched || e->state == state) {
            if (state == Matched)
                return; // a marker read back twice cannot happen; nothing to report
            duplicate(state == SourceWaiting, r);
        }
        const Record other = recordOf(p, r.key, *e);
        if (state == Matched) {
            e->state = Matched; // a marker for a key whose pair was reported before the spill
            return;
        }
        if (state == SourceWaiting)
            m_sink(&r, &other);
        else
            m_sink(&other, &r);
        // The waiting record's details are garbage from now on.
        if (hasExtras())
            p.garbage += extraSize(other);
        if (m_options.uniqueKeys && counted) {
            // Nothing can pair with it again. (Its details stay in the arena, which goes with
            // the partition; the entry and key bytes go now.)
            p.bytes -= EntryOverhead + qint64(r.key.size());
            m_bytes -= EntryOverhead + qint64(r.key.size());
            p.table.eraseSlot(slot);
            compactIfWasteful(p, counted);
            return;
        }
        e->state = Matched;
        compactIfWasteful(p, counted);
        return;
    }
    Entry &e = p.table.insert(r.key, hash);
    e.rowHash = r.rowHash;
    e.state = state;
    e.extra = quint32(p.extras.size());
    qint64 added = EntryOverhead + qint64(r.key.size());
    if (state != Matched && hasExtras()) {
        const auto length = quint32(r.display.size());
        p.extras.append(reinterpret_cast<const char *>(&length), sizeof length);
        p.extras.append(r.display);
        if (m_options.fieldCount > 0) {
            const size_t bytes = size_t(m_options.fieldCount) * sizeof(quint64);
            if (r.fields)
                p.extras.append(reinterpret_cast<const char *>(r.fields), bytes);
            else
                p.extras.append(bytes, '\0');
        }
        added += qint64(sizeof length + r.display.size()) + m_options.fieldCount * 8;
    }
    if (counted) {
        p.bytes += added;
        m_bytes += added;
    }
}

size_t HashJoin::extraSize(const Record &r) const
{
    return sizeof(quint32) + r.display.size() + size_t(m_options.fieldCount) * sizeof(quint64);
}

void HashJoin::compactIfWasteful(Partition &p, bool counted)
{
    // Details of matched records pile up in the arena: rewrite it once they are half of it,
    // so memory follows the records still waiting, not every record that passed through.
    if (p.garbage < (64u << 10) || p.garbage * 2 < p.extras.size())
        return;
    std::string kept;
    kept.reserve(p.extras.size() - p.garbage);
    p.table.forEach([&](std::string_view key, Entry &e) {
        if (e.state == Matched)
            return;
        const Record r = recordOf(p, key, e);
        const auto offset = quint32(kept.size());
        kept.append(p.extras, e.extra, extraSize(r));
        e.extra = offset;
    });
    if (counted) {
        const auto freed = qint64(p.extras.size() - kept.size());
        p.bytes -= freed;
        m_bytes -= freed;
    }
    p.extras.swap(kept);
    p.garbage = 0;
}

HashJoin::Record HashJoin::recordOf(const Partition &p, std::string_view key, const Entry &e) const
{
    Record r;
    r.key = key;
    r.rowHash = e.rowHash;
    if (e.state != Matched && hasExtras()) {
        const char *at = p.extras.data() + e.extra;
        quint32 length = 0;
        std::memcpy(&length, at, sizeof length);
        r.display = std::string_view(at + sizeof length, length);
        if (m_options.fieldCount > 0)
            r.fields = reinterpret_cast<const quint64 *>(at + sizeof length + length);
    }
    return r;
}

void HashJoin::duplicate(bool source, const Record &r) const
{
    // Worded as the merge words it.
    throw SyncError(QStringLiteral("%1 has more than one row with key '%2': the flow's key must be "
                                   "unique on both sides")
                        .arg(source ? m_options.sourceLabel : m_options.targetLabel, printableKey(r.key)));
}

void HashJoin::spillLargest()
{
    Partition *largest = nullptr;
    for (Partition &p : m_parts)
        if (!p.spill && (!largest || p.bytes > largest->bytes))
            largest = &p;
    if (!largest || largest->bytes == 0) {
        m_bytes = 0; // everything is on disk already: only buffers remain
        return;
    }
    Partition &p = *largest;
    p.spill = std::tmpfile();
    if (!p.spill)
        throw SyncError(QStringLiteral("comparison: cannot create a temporary file to spill to (%1); "
                                       "set TMPDIR to a writable folder with room")
                            .arg(QString::fromLocal8Bit(std::strerror(errno))));
    std::setvbuf(p.spill, nullptr, _IOFBF, SpillBufferBytes);
    ++m_spilled;
    // Everything it holds goes first, matched keys as markers: a later duplicate of one of
    // them is still found when the file is read back.
    p.table.forEach([&](std::string_view key, const Entry &e) { writeRecord(p, e.state, recordOf(p, key, e)); });
    m_bytes -= p.bytes;
    p.bytes = 0;
    p.garbage = 0;
    p.table = KeyTable<Entry>();
    std::string().swap(p.extras);
}

void HashJoin::writeRecord(Partition &p, quint32 state, const Record &r)
{
    put(p.spill, quint8(state));
    put(p.spill, quint32(r.key.size()));
    std::fwrite(r.key.data(), 1, r.key.size(), p.spill);
    put(p.spill, r.rowHash);
    if (state != Matched) {
        put(p.spill, quint32(r.display.size()));
        std::fwrite(r.display.data(), 1, r.display.size(), p.spill);
        for (qsizetype f = 0; f < m_options.fieldCount; ++f)
            put(p.spill, r.fields ? r.fields[f] : quint64(0));
    }
    if (std::ferror(p.spill))
        throw SyncError(QStringLiteral("comparison: cannot write a temporary file (%1); set TMPDIR "
                                       "to a folder with room")
                            .arg(QString::fromLocal8Bit(std::strerror(errno))));
}

void HashJoin::drain(Partition &p)
{
    p.table.forEach([&](std::string_view key, const Entry &e) {
        if (e.state == Matched)
            return;
        const Record r = recordOf(p, key, e);
        if (e.state == SourceWaiting)
            m_sink(&r, nullptr);
        else
            m_sink(nullptr, &r);
    });
    m_bytes -= p.bytes;
    p.bytes = 0;
    p.garbage = 0;
    p.table = KeyTable<Entry>();
    std::string().swap(p.extras);
}

void HashJoin::readBack(Partition &p)
{
    std::FILE *f = std::exchange(p.spill, nullptr);
    if (std::fflush(f) != 0 || std::fseek(f, 0, SEEK_SET) != 0) {
        std::fclose(f);
        throw SyncError(QStringLiteral("comparison: cannot read back a temporary file (%1)")
                            .arg(QString::fromLocal8Bit(std::strerror(errno))));
    }
    m_readFields.resize(size_t(m_options.fieldCount));
    quint8 state = 0;
    bool ok = true;
    while (ok && get(f, state)) {
        quint32 keyLength = 0;
        Record r;
        ok = get(f, keyLength) && getBytes(f, m_readKey, keyLength) && get(f, r.rowHash);
        if (ok && state != Matched) {
            quint32 displayLength = 0;
            ok = get(f, displayLength) && getBytes(f, m_readDisplay, displayLength);
            for (qsizetype i = 0; ok && i < m_options.fieldCount; ++i)
                ok = get(f, m_readFields[size_t(i)]);
            r.display = m_readDisplay;
            r.fields = m_options.fieldCount > 0 ? m_readFields.data() : nullptr;
        }
        if (!ok)
            break;
        r.key = m_readKey;
        accept(p, state, r, keyTableHash(r.key), false); // one partition at a time: the budget's share, not counted
    }
    const bool failed = !ok || std::ferror(f);
    std::fclose(f);
    if (failed)
        throw SyncError(QStringLiteral("comparison: a temporary file could not be read back"));
}

void HashJoin::finish()
{
    // Partitions still in memory first: they free their share before a spilled one loads.
    for (Partition &p : m_parts)
        if (!p.spill)
            drain(p);
    for (Partition &p : m_parts) {
        if (!p.spill)
            continue;
        readBack(p);
        drain(p);
    }
}

} // namespace syncdesk
