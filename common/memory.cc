// jemalloc statistics through mallctl (Debian's libjemalloc exports unprefixed names: mallctl),
// the RSS from /proc, and the used-memory estimate (see memory.h for the costs).
#include "common/memory.h"

#include <jemalloc/jemalloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

// AddressSanitizer's allocator (sanitizer/allocator_interface.h), when the program runs under
// it: a weak reference, null in a normal build.
extern "C" size_t __sanitizer_get_current_allocated_bytes() __attribute__((weak));

namespace strata {

namespace {

// Statistics names resolved to MIBs once: a by-MIB read skips the name lookup.
struct StatMibs {
  static constexpr int kCount = 5;
  const char* names[kCount] = {"stats.allocated", "stats.active", "stats.resident",
                               "stats.mapped", "stats.retained"};
  size_t mib[kCount][4] = {};
  size_t len[kCount] = {};
  bool ok[kCount] = {};
  StatMibs() {
    for (int i = 0; i < kCount; ++i) {
      len[i] = 4;
      ok[i] = mallctlnametomib(names[i], mib[i], &len[i]) == 0;
    }
  }
  size_t Read(int i) const {
    if (!ok[i]) return 0;
    size_t v = 0, sz = sizeof(v);
    if (mallctlbymib(mib[i], len[i], &v, &sz, nullptr, 0) != 0) return 0;
    return v;
  }
};

const StatMibs& Mibs() {
  static const StatMibs mibs;
  return mibs;
}

// Makes jemalloc merge its per-arena counters into the figures stats.* read.
void RefreshEpoch() {
  uint64_t epoch = 1;
  size_t sz = sizeof(epoch);
  mallctl("epoch", &epoch, &sz, &epoch, sz);
}

std::atomic<int64_t> g_used_estimate{0};

struct ThreadCounters {
  uint64_t* allocated = nullptr;
  uint64_t* deallocated = nullptr;
  ThreadCounters() {
    size_t sz = sizeof(allocated);
    if (mallctl("thread.allocatedp", &allocated, &sz, nullptr, 0) != 0) allocated = nullptr;
    sz = sizeof(deallocated);
    if (mallctl("thread.deallocatedp", &deallocated, &sz, nullptr, 0) != 0) deallocated = nullptr;
    if (allocated == nullptr || deallocated == nullptr) {
      allocated = deallocated = nullptr;
      return;
    }
    // jemalloc may be linked without serving malloc (e.g. under AddressSanitizer, which
    // interposes its own): then its counters never move. Probe with one allocation, through a
    // volatile pointer so the compiler cannot drop the pair.
    static void* (*volatile alloc)(size_t) = std::malloc;
    uint64_t before = *allocated;
    void* p = alloc(64);
    bool moved = *allocated != before;
    std::free(p);
    if (!moved) allocated = deallocated = nullptr;
  }
};

const ThreadCounters& Counters() {
  static thread_local const ThreadCounters counters;
  return counters;
}

// Under AddressSanitizer jemalloc does not serve malloc (its figures stay near zero): the
// sanitizer's allocator counts the program's bytes instead, so maxmemory still works there.
bool SanitizerAllocates() {
  return __sanitizer_get_current_allocated_bytes != nullptr && !ThreadCountersAvailable();
}

size_t AllocatedBytes() {
  if (SanitizerAllocates()) return __sanitizer_get_current_allocated_bytes();
  RefreshEpoch();
  return Mibs().Read(0);
}

}  // namespace

MemoryStats ReadMemoryStats() {
  MemoryStats s;
  s.allocated = AllocatedBytes();
  const StatMibs& m = Mibs();
  s.active = m.Read(1);
  s.resident = m.Read(2);
  s.mapped = m.Read(3);
  s.retained = m.Read(4);
  return s;
}

size_t RssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long pages = 0, rss = 0;
  int n = std::fscanf(f, "%llu %llu", &pages, &rss);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<size_t>(rss) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

std::string AllocatorVersion() {
  if (SanitizerAllocates()) return "asan";
  const char* v = nullptr;
  size_t sz = sizeof(v);
  if (mallctl("version", &v, &sz, nullptr, 0) != 0 || v == nullptr) return "jemalloc";
  // "5.3.0-0-g54eaed1d..." -> "5.3.0"
  return "jemalloc-" + std::string(v, std::strcspn(v, "-"));
}

size_t RefreshUsedMemory() {
  size_t allocated = AllocatedBytes();
  g_used_estimate.store(static_cast<int64_t>(allocated), std::memory_order_relaxed);
  return allocated;
}

size_t UsedMemoryEstimate() {
  int64_t v = g_used_estimate.load(std::memory_order_relaxed);
  return v > 0 ? static_cast<size_t>(v) : 0;
}

void AdjustUsedMemoryEstimate(int64_t delta) {
  g_used_estimate.fetch_add(delta, std::memory_order_relaxed);
}

int64_t ThreadNetAllocated() {
  const ThreadCounters& c = Counters();
  if (c.allocated == nullptr) return 0;
  return static_cast<int64_t>(*c.allocated - *c.deallocated);
}

bool ThreadCountersAvailable() { return Counters().allocated != nullptr; }

}  // namespace strata
