#pragma once

namespace syncdesk::cli {

// The memory policy of a one-shot comparison (`diff`), set before any thread starts.
//
// Why: a comparison touches its memory once (the hash pairing's tables, page bodies, row
// batches), and on a virtual machine each first touch of a 4 KiB page is a trap that costs
// several microseconds: on 100,000 API records that was a third of the CLI's CPU time, taken
// from the core the API server needed. glibc's own answer (the glibc.malloc.hugetlb tunable)
// is only read from the environment at start; this does most of it from inside the program:
// one arena, grown in large steps and never trimmed during the run, whose first 128 MiB step
// is advised for transparent huge pages (where the system leaves that to programs, "madvise"
// mode); later growth keeps 4 KiB pages.
// The watch agent and the console keep the default policy: they run for days.
class BatchHeap
{
public:
    // Does nothing where GLIBC_TUNABLES is set (whoever set it chose the allocator's policy)
    // or outside glibc on Linux. Failures only lose the speed-up.
    static void prepare();
};

} // namespace syncdesk::cli
