// The hash table of one shard (and of a set's or a hash's "hashtable" encoding): a power-of-two
// array of bucket chains through Entry::next.
//
// Chaining (rather than open addressing) is chosen for SCAN: with the bucket index = hash & mask,
// Redis's reverse-binary cursor visits every bucket that could hold a key present for the whole
// scan, across any number of resizes in between. The table doubles when size > buckets and halves
// when size < buckets / 8.
// Resizing is incremental, as Redis's dict: a resize allocates the new table (calloc: its pages
// are zeroed lazily, as they are first touched) and from then on each Insert and Unlink moves one
// more bucket of the old table, and Rehash() moves more when the caller has time (the workers'
// cron, activerehashing). Lookups search both tables meanwhile. No single operation rehashes
// more than one bucket (plus ten empty ones), whatever the size: a whole-table rehash of a
// 2M-member set took a quarter of a second.
// Each bucket slot is the chain's head pointer with the chain's length (saturating at 15) in its
// low 4 bits (entries come from malloc, 16-byte aligned): RandomEntry's uniform draw reads only
// slots, at no extra memory and no extra cache line for the writers.
// Thread: none of its own; the shard lock guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "storage/entry.h"

namespace strata::storage {

uint64_t HashKey(std::string_view key);  // xxh3-64

class Dict {
 public:
  Dict() = default;
  ~Dict();
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;

  size_t size() const { return size_; }
  // Bucket slots held: both tables' while a resize is in progress.
  size_t bucket_count() const { return n_[0] + n_[1]; }
  bool rehashing() const { return t_[1] != nullptr; }
  // RandomEntry's bound: at least the length of the longest chain (tests and benchmarks).
  size_t chain_bound() const { return max_chain_; }

  Entry* Find(std::string_view key, uint64_t hash) const;
  // The key must not be present.
  void Insert(Entry* e, uint64_t hash);
  // Removes and returns the entry (caller frees), or nullptr.
  Entry* Unlink(std::string_view key, uint64_t hash);
  // Puts new_e where old_e (same key) was; caller frees old_e.
  void Replace(Entry* old_e, Entry* new_e, uint64_t hash);

  // During a resize, moves up to `buckets` non-empty buckets of the old table to the new one
  // (looking at no more than ten times as many empty ones); otherwise starts the shrink that a
  // table left sparse by deletions is due. Returns whether a resize is in progress.
  bool Rehash(size_t buckets);

  // Visits the entries of the bucket(s) at cursor and returns the next cursor, 0 when done.
  // During a resize: the bucket of the smaller table and every bucket of the larger one that it
  // expands to (Redis's dictScan), so the guarantee holds across the two tables.
  // fn(Entry*) must not insert or remove entries; collect and act after.
  template <typename Fn>
  uint64_t ScanStep(uint64_t cursor, Fn&& fn) const;

  // A uniformly chosen entry (every entry exactly equally likely), nullptr if empty; `random`
  // (any 64 random bits) seeds the draw. Rejection sampling over (bucket, position below
  // chain_bound()) pairs of both tables, about buckets * chain_bound() / size of them, each one
  // slot read (see dict.cc).
  Entry* RandomEntry(uint64_t random) const;

  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (int t = 0; t < 2; ++t)
      for (size_t b = 0; b < n_[t]; ++b)
        for (Entry* e = Head(t_[t][b]); e != nullptr; e = e->next) fn(e);
  }

  // Frees every entry.
  void Clear();
  // Exchanges the contents of two tables (FLUSHALL ASYNC hands the old one to a thread).
  void Swap(Dict& other);

 private:
  // A slot: the head pointer | min(chain length, kLengthSaturated).
  static constexpr uintptr_t kLengthSaturated = 15;  // "15 or more": walk the chain to know
  static Entry* Head(uintptr_t slot) { return reinterpret_cast<Entry*>(slot & ~kLengthSaturated); }
  static size_t Length(uintptr_t slot) { return slot & kLengthSaturated; }
  static uintptr_t Slot(Entry* head, size_t length) {
    return reinterpret_cast<uintptr_t>(head) |
           (length < kLengthSaturated ? length : kLengthSaturated);
  }
  // The chain's length, walking it only when the slot's count is saturated.
  static size_t ChainLength(uintptr_t slot);
  static size_t CountChain(const Entry* head);  // walks it

  // Pushes e onto table t's chain for hash; returns the chain's length.
  size_t Push(int t, Entry* e, uint64_t hash);
  void StartResize(size_t new_buckets);
  void MaybeShrink();

  uintptr_t* t_[2] = {nullptr, nullptr};  // t_[1] only during a resize (from t_[0] to it)
  size_t n_[2] = {0, 0};                  // bucket counts, powers of two
  size_t next_ = 0;                       // the first t_[0] bucket not moved yet
  size_t size_ = 0;
  // At least the longest chain's length in either table: raised by every push, left alone by
  // Unlink (so it may run high, never low). At the end of a resize it becomes max_new_: the
  // same bound for the new table alone, kept since the resize began.
  size_t max_chain_ = 0;
  size_t max_new_ = 0;
};

inline uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}

template <typename Fn>
uint64_t Dict::ScanStep(uint64_t v, Fn&& fn) const {
  if (size_ == 0) return 0;
  if (!rehashing()) {
    const uint64_t mask = n_[0] - 1;
    for (Entry* e = Head(t_[0][v & mask]); e != nullptr; e = e->next) fn(e);
    // Increment the reversed cursor: set the unmasked high bits, reverse, add one, reverse back.
    v |= ~mask;
    return ReverseBits(ReverseBits(v) + 1);
  }
  const int small = n_[0] <= n_[1] ? 0 : 1, large = 1 - small;
  const uint64_t m0 = n_[small] - 1, m1 = n_[large] - 1;
  for (Entry* e = Head(t_[small][v & m0]); e != nullptr; e = e->next) fn(e);
  // The large table's buckets whose low bits are this one's, in reverse-binary order.
  do {
    for (Entry* e = Head(t_[large][v & m1]); e != nullptr; e = e->next) fn(e);
    v |= ~m1;
    v = ReverseBits(ReverseBits(v) + 1);
  } while (v & (m0 ^ m1));
  return v;
}

}  // namespace strata::storage
