// The hash table of one shard: a power-of-two array of bucket chains through Entry::next.
//
// Chaining (rather than open addressing) is chosen for SCAN: with the bucket index = hash & mask,
// Redis's reverse-binary cursor visits every bucket that could hold a key present for the whole
// scan, across any number of resizes in between. The table doubles when size > buckets and halves
// when size < buckets / 8; a resize rehashes the whole shard at once (a shard is 1/16th of the
// keys, so this stays short).
// Each bucket slot is the chain's head pointer with the chain's length (saturating at 15) in its
// low 4 bits (entries come from malloc, 16-byte aligned): RandomEntry's uniform draw reads only
// slots, at no extra memory and no extra cache line for the writers.
// Thread: none of its own; the shard lock guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

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
  size_t bucket_count() const { return buckets_.size(); }
  // RandomEntry's bound: at least the length of the longest chain (tests and benchmarks).
  size_t chain_bound() const { return max_chain_; }

  Entry* Find(std::string_view key, uint64_t hash) const;
  // The key must not be present.
  void Insert(Entry* e, uint64_t hash);
  // Removes and returns the entry (caller frees), or nullptr.
  Entry* Unlink(std::string_view key, uint64_t hash);
  // Puts new_e where old_e (same key) was; caller frees old_e.
  void Replace(Entry* old_e, Entry* new_e, uint64_t hash);

  // Visits the entries of the bucket(s) at cursor and returns the next cursor, 0 when done.
  // fn(Entry*) must not insert or remove entries; collect and act after.
  template <typename Fn>
  uint64_t ScanStep(uint64_t cursor, Fn&& fn) const;

  // A uniformly chosen entry (every entry exactly equally likely), nullptr if empty; `random`
  // (any 64 random bits) seeds the draw. Rejection sampling over (bucket, position below
  // chain_bound()) pairs, about buckets * chain_bound() / size of them, each one slot read
  // (see dict.cc).
  Entry* RandomEntry(uint64_t random) const;

  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (uintptr_t slot : buckets_)
      for (Entry* e = Head(slot); e != nullptr; e = e->next) fn(e);
  }

  // Frees every entry.
  void Clear();

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

  void Resize(size_t new_buckets);
  void MaybeShrink();

  std::vector<uintptr_t> buckets_;
  size_t size_ = 0;
  // At least the longest chain's length: exact after a resize, raised by Insert, left alone by
  // Unlink (so it may run high until the next resize, never low).
  size_t max_chain_ = 0;
};

inline uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}

template <typename Fn>
uint64_t Dict::ScanStep(uint64_t cursor, Fn&& fn) const {
  if (size_ == 0 || buckets_.empty()) return 0;
  uint64_t mask = buckets_.size() - 1;
  for (Entry* e = Head(buckets_[cursor & mask]); e != nullptr; e = e->next) fn(e);
  // Increment the reversed cursor: set the unmasked high bits, reverse, add one, reverse back.
  cursor |= ~mask;
  cursor = ReverseBits(cursor);
  cursor++;
  cursor = ReverseBits(cursor);
  return cursor;
}

}  // namespace strata::storage
