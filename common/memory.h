// Process memory figures for INFO memory and maxmemory: jemalloc's statistics (mallctl), the
// resident set size, and a cheap used-memory estimate for the eviction check on the write path.
//
// Costs. Refreshing jemalloc's statistics ("epoch") merges every arena's counters: microseconds,
// so not once per command. RefreshUsedMemory() does it and stores the exact figure into an
// atomic; UsedMemoryEstimate() is one relaxed load. Between refreshes, whoever frees or
// allocates memory it knows about moves the estimate with AdjustUsedMemoryEstimate() (the
// evictor subtracts what it freed). ThreadNetAllocated() gives that figure exactly and cheaply:
// bracket a piece of work with two calls (two loads of this thread's jemalloc counters).
//
// Caveat: jemalloc's "allocated" counts small blocks sitting in thread caches as allocated
// until the cache flushes them (bounded, typically well under 1 MB per thread), so right after
// many small frees it reads a little high.
// Thread: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace strata {

struct MemoryStats {
  size_t allocated = 0;  // bytes in blocks the program holds (used_memory)
  size_t active = 0;     // bytes in active pages (allocated + fragmentation within pages)
  size_t resident = 0;   // bytes in physically resident pages the allocator maps
  size_t mapped = 0;     // bytes in active extents the allocator maps
  size_t retained = 0;   // bytes unmapped-but-retained virtual memory (not counted in RSS)
};

// Refreshes jemalloc's statistics and reads them (all zero if mallctl fails). Microseconds.
MemoryStats ReadMemoryStats();

// Resident set size from /proc/self/statm, in bytes (0 if unreadable).
size_t RssBytes();

// "jemalloc-5.3.0" (the allocator's version without its git suffix).
std::string AllocatorVersion();

// Exact allocated bytes now (refreshes jemalloc's statistics) and stores it as the estimate.
// Call from a timer (e.g. the server cron, every 100 ms) and when an exact figure matters.
size_t RefreshUsedMemory();
// Same as RefreshUsedMemory(): the exact figure, for INFO.
inline size_t UsedMemory() { return RefreshUsedMemory(); }

// The last refreshed figure plus the adjustments since: one relaxed atomic load.
size_t UsedMemoryEstimate();
// Moves the estimate by delta bytes (negative: freed). Overwritten by the next refresh.
void AdjustUsedMemoryEstimate(int64_t delta);

// This thread's bytes allocated minus bytes freed since it started (jemalloc's
// thread.allocated / thread.deallocated; may be negative if it frees others' memory). The
// difference of two calls is what the code in between allocated (net). 0 where unsupported.
int64_t ThreadNetAllocated();
// Whether jemalloc serves this process's malloc and keeps per-thread counters. False e.g.
// under AddressSanitizer (its malloc replaces jemalloc's): then ThreadNetAllocated() is 0 and
// the jemalloc statistics above do not see the program's allocations either.
bool ThreadCountersAvailable();

}  // namespace strata
