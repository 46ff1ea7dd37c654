#include "KeyTable.h"

#include <xxhash.h>

namespace syncdesk {

quint64 keyTableHash(std::string_view key)
{
    return XXH3_64bits(key.data(), key.size());
}

} // namespace syncdesk
