#pragma once

#include <QtGlobal>

#include <string>
#include <string_view>
#include <vector>

namespace syncdesk {

// A run of scanned rows in key order, packed so that a batch of thousands of rows is a handful
// of allocations: keys in one arena, row hashes in one vector. Batches are recycled.
struct ScanBatch
{
    std::string keys;               // encoded keys (KeyCodec), back to back
    std::vector<quint32> keyEnds;   // end offset of row i's key in `keys`
    std::vector<quint64> rowHashes; // XXH3 of row i's canonical fields
    // Filled only when the caller wants record details (diff --list):
    std::vector<quint64> fieldHashes; // fieldCount hashes per row
    std::string displayKeys;          // row i's key as a JSON array
    std::vector<quint32> displayEnds;

    [[nodiscard]] size_t size() const { return keyEnds.size(); }
    [[nodiscard]] std::string_view key(size_t i) const
    {
        const quint32 begin = i ? keyEnds[i - 1] : 0;
        return std::string_view(keys).substr(begin, keyEnds[i] - begin);
    }
    [[nodiscard]] std::string_view displayKey(size_t i) const
    {
        const quint32 begin = i ? displayEnds[i - 1] : 0;
        return std::string_view(displayKeys).substr(begin, displayEnds[i] - begin);
    }
    void clear()
    {
        keys.clear();
        keyEnds.clear();
        rowHashes.clear();
        fieldHashes.clear();
        displayKeys.clear();
        displayEnds.clear();
    }
};

} // namespace syncdesk
