// The hash table of one shard: a power-of-two array of bucket chains through Entry::next.
//
// Chaining (rather than open addressing) is chosen for SCAN: with the bucket index = hash & mask,
// Redis's reverse-binary cursor visits every bucket that could hold a key present for the whole
// scan, across any number of resizes in between. The table doubles when size > buckets and halves
// when size < buckets / 8; a resize rehashes the whole shard at once (a shard is 1/16th of the
// keys, so this stays short).
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

  // Any entry, roughly uniformly (random bucket, random position in its chain); nullptr if empty.
  Entry* RandomEntry(uint64_t random) const;

  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (Entry* b : buckets_)
      for (Entry* e = b; e != nullptr; e = e->next) fn(e);
  }

  // Frees every entry.
  void Clear();

 private:
  void Resize(size_t new_buckets);
  void MaybeShrink();

  std::vector<Entry*> buckets_;
  size_t size_ = 0;
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
  for (Entry* e = buckets_[cursor & mask]; e != nullptr; e = e->next) fn(e);
  // Increment the reversed cursor: set the unmasked high bits, reverse, add one, reverse back.
  cursor |= ~mask;
  cursor = ReverseBits(cursor);
  cursor++;
  cursor = ReverseBits(cursor);
  return cursor;
}

}  // namespace strata::storage
