#include "BatchHeap.h"

#include <cstdint>
#include <cstdlib>

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace syncdesk::cli {

void BatchHeap::prepare()
{
#if defined(__linux__) && defined(__GLIBC__)
    if (std::getenv("GLIBC_TUNABLES"))
        return;
    constexpr size_t MiB = size_t(1) << 20;
    constexpr size_t HugePage = 2 * MiB;
    // Address space, not memory: untouched pages cost nothing where the kernel overcommits
    // (its default). Under strict accounting (vm.overcommit_memory=2) or a data-size limit,
    // each step is charged whole, so an allocation near that limit fails up to a step sooner.
    constexpr size_t Step = 128 * MiB;
    // Every thread in the main heap, the only one advised below (thread arenas are mapped by
    // glibc where this cannot see them); the run's few threads allocate little at a time.
    mallopt(M_ARENA_MAX, 1);
    // Page bodies and batches up to 32 MiB come from the heap and are reused, not mapped
    // and faulted in afresh each time.
    mallopt(M_MMAP_THRESHOLD, int(32 * MiB));
    mallopt(M_TOP_PAD, int(Step));
    mallopt(M_TRIM_THRESHOLD, int(2 * Step));
    // Grow the heap by one step now and advise that step: enough for the pairing of a million
    // API records (about 106 MB). What the heap grows by later, the kernel maps apart and
    // unadvised (glibc's tunable advises every growth; nothing here sees later ones), so a
    // bigger comparison runs its excess on 4 KiB pages, as without this.
    auto *before = static_cast<char *>(sbrk(0));
    // Through a volatile pointer: a compiler may drop a malloc() whose memory is never used.
    void *volatile probe = std::malloc(4 * MiB);
    auto *after = static_cast<char *>(sbrk(0));
    std::free(probe);
    if (before == reinterpret_cast<char *>(-1) || after <= before)
        return; // the heap could not grow in place (glibc then maps it): default pages
    const auto from = (reinterpret_cast<uintptr_t>(before) + HugePage - 1) & ~uintptr_t(HugePage - 1);
    const auto to = reinterpret_cast<uintptr_t>(after) & ~uintptr_t(HugePage - 1);
    if (to > from)
        madvise(reinterpret_cast<void *>(from), to - from, MADV_HUGEPAGE);
#endif
}

} // namespace syncdesk::cli
