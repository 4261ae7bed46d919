// Frees large values off the event loops (Redis's lazyfree): UNLINK, FLUSHALL/FLUSHDB ASYNC,
// and, per the lazyfree-lazy-* settings, DEL, the plain flushes, expiry, eviction and the
// server's own deletions (a value overwritten by SET, RENAME's target...).
//
// A value is freed where it was deleted when freeing it is cheap: a string, or a collection of
// at most kThreshold allocations (Redis's LAZYFREE_THRESHOLD, 64). Anything bigger, and a
// flushed database's whole table, goes to one background thread. Freeing a 10M-member set
// takes about a second; the command that dropped it returns at once.
//
// Memory: what waits in the queue is still allocated (INFO used_memory counts it until the
// thread frees it; lazyfree_pending_objects says how many wait).
// Thread: Free and FreeTable from any thread (the caller has already unlinked what it passes:
// nothing else can reach it); the freeing thread starts at the first use.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/dict.h"
#include "storage/entry.h"

namespace strata::storage {

class LazyFree {
 public:
  // Why an entry is deleted: each maps to one lazyfree-lazy-* setting (kUnlink: always lazy).
  enum Reason : uint8_t { kUnlink, kUserDel, kExpire, kEviction, kServerDel, kNumReasons };
  static constexpr size_t kThreshold = 64;

  LazyFree() = default;
  ~LazyFree();  // frees what is still queued, then stops the thread
  LazyFree(const LazyFree&) = delete;
  LazyFree& operator=(const LazyFree&) = delete;

  // lazyfree-lazy-user-del, -expire, -eviction, -server-del (kUnlink is always lazy).
  void set_lazy(Reason r, bool lazy) { lazy_[r].store(lazy, std::memory_order_relaxed); }
  bool lazy(Reason r) const { return r == kUnlink || lazy_[r].load(std::memory_order_relaxed); }

  // Frees e (already out of its table), here or on the thread.
  void Free(Entry* e, Reason why);
  // Frees every entry of a table that is no longer reachable (FLUSHALL/FLUSHDB ASYNC).
  void FreeTable(std::unique_ptr<Dict> table);

  // INFO: lazyfree_pending_objects, lazyfreed_objects (entries; a table counts its entries).
  uint64_t pending() const { return pending_.load(std::memory_order_relaxed); }
  uint64_t freed() const { return freed_.load(std::memory_order_relaxed); }
  // Waits until the queue is empty (tests, shutdown).
  void Drain();

 private:
  struct Job {
    Entry* entry = nullptr;
    std::unique_ptr<Dict> table;
    uint64_t count = 0;  // entries it frees
  };
  void Push(Job job);
  void Run();

  std::atomic<bool> lazy_[kNumReasons] = {};
  std::atomic<uint64_t> pending_{0}, freed_{0};
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<Job> jobs_;
  bool busy_ = false;  // the thread is freeing a job it took
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace strata::storage
