// Chained hash table with whole-table resize (see dict.h for why chaining).
#include "storage/dict.h"

#include <xxhash.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <random>

namespace strata::storage {

namespace {
// A per-process random seed: keys crafted to collide on one run do not collide on the next
// (Redis seeds SipHash the same way).
uint64_t RandomSeed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}
const uint64_t kHashSeed = RandomSeed();
}  // namespace

uint64_t HashKey(std::string_view key) {
  return XXH3_64bits_withSeed(key.data(), key.size(), kHashSeed);
}

namespace {
constexpr size_t kMinBuckets = 4;

bool KeyEquals(const Entry* e, std::string_view key) {
  std::string_view k = e->key();
  return k.size() == key.size() && std::memcmp(k.data(), key.data(), key.size()) == 0;
}
}  // namespace

Dict::~Dict() { Clear(); }

Entry* Dict::Find(std::string_view key, uint64_t hash) const {
  if (size_ == 0) return nullptr;
  for (Entry* e = Head(buckets_[hash & (buckets_.size() - 1)]); e != nullptr; e = e->next)
    if (KeyEquals(e, key)) return e;
  return nullptr;
}

void Dict::Insert(Entry* e, uint64_t hash) {
  // Entries are malloc blocks of at least 32 bytes: 16-byte aligned, the low 4 bits are free.
  static_assert(alignof(std::max_align_t) >= kLengthSaturated + 1, "slot tags need alignment");
  if (buckets_.empty()) buckets_.assign(kMinBuckets, 0);
  uintptr_t& slot = buckets_[hash & (buckets_.size() - 1)];
  e->next = Head(slot);
  slot = Slot(e, Length(slot) + 1);
  size_t len = ChainLength(slot);
  if (len > max_chain_) max_chain_ = len;
  if (++size_ > buckets_.size()) Resize(buckets_.size() * 2);
}

Entry* Dict::Unlink(std::string_view key, uint64_t hash) {
  if (size_ == 0) return nullptr;
  uintptr_t& slot = buckets_[hash & (buckets_.size() - 1)];
  Entry* prev = nullptr;
  for (Entry* e = Head(slot); e != nullptr; prev = e, e = e->next) {
    if (!KeyEquals(e, key)) continue;
    Entry* head = Head(slot);
    if (prev == nullptr) {
      head = e->next;
    } else {
      prev->next = e->next;
    }
    e->next = nullptr;
    size_t len = Length(slot);
    slot = Slot(head, len < kLengthSaturated ? len - 1 : CountChain(head));  // may be exact again
    --size_;
    MaybeShrink();
    return e;
  }
  return nullptr;
}

void Dict::Replace(Entry* old_e, Entry* new_e, uint64_t hash) {
  uintptr_t& slot = buckets_[hash & (buckets_.size() - 1)];
  new_e->next = old_e->next;
  if (Head(slot) == old_e) {
    slot = Slot(new_e, Length(slot));
  } else {
    Entry* prev = Head(slot);
    while (prev->next != old_e) prev = prev->next;
    prev->next = new_e;
  }
  old_e->next = nullptr;
}

Entry* Dict::RandomEntry(uint64_t random) const {
  if (size_ == 0) return nullptr;
  // Rejection sampling: a random bucket and a random position below max_chain_ (>= every
  // chain's length), again until the position lies within its bucket's chain. Each (bucket,
  // position) pair is equally likely and each entry is exactly one of them, so each entry is
  // equally likely whatever the chain lengths. (A random position within the chain found, as
  // before, favoured the entries of short chains.) Expected draws: buckets * max_chain_ / size,
  // about 9 at a load of 1 with 1M keys; a rejected one reads just the slot's length.
  const uint64_t mask = buckets_.size() - 1;
  const uint64_t bound = max_chain_;
  uint64_t state = random;
  for (;;) {
    // splitmix64: the low bits pick the bucket, the high 32 the position (multiply-shift,
    // uniform up to max_chain_ / 2^32). The two overlap only past 2^32 buckets.
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    uintptr_t slot = buckets_[z & mask];
    uint64_t pos = ((z >> 32) * bound) >> 32;
    if (pos >= Length(slot) && Length(slot) != kLengthSaturated) continue;
    Entry* e = Head(slot);
    for (; e != nullptr && pos > 0; --pos) e = e->next;
    if (e != nullptr) return e;  // (null only past the end of a saturated chain)
  }
}

void Dict::Clear() {
  for (uintptr_t& slot : buckets_) {
    for (Entry* e = Head(slot); e != nullptr;) {
      Entry* next = e->next;
      Entry::Free(e);
      e = next;
    }
    slot = 0;
  }
  buckets_.clear();
  buckets_.shrink_to_fit();
  size_ = 0;
  max_chain_ = 0;
}

void Dict::Resize(size_t new_buckets) {
  std::vector<uintptr_t> fresh(new_buckets, 0);
  size_t mask = new_buckets - 1;
  size_t longest = 0;
  for (uintptr_t slot : buckets_) {
    for (Entry* e = Head(slot); e != nullptr;) {
      Entry* next = e->next;
      uintptr_t& to = fresh[HashKey(e->key()) & mask];
      e->next = Head(to);
      to = Slot(e, Length(to) + 1);
      if (Length(to) > longest) longest = Length(to);
      e = next;
    }
  }
  buckets_.swap(fresh);
  if (longest == kLengthSaturated) {  // only under a hash flood: count the long chains
    for (uintptr_t slot : buckets_) longest = std::max(longest, ChainLength(slot));
  }
  max_chain_ = longest;
}

size_t Dict::ChainLength(uintptr_t slot) {
  return Length(slot) < kLengthSaturated ? Length(slot) : CountChain(Head(slot));
}

size_t Dict::CountChain(const Entry* head) {
  size_t n = 0;
  for (; head != nullptr; head = head->next) ++n;
  return n;
}

void Dict::MaybeShrink() {
  if (buckets_.size() > kMinBuckets && size_ < buckets_.size() / 8) {
    size_t n = buckets_.size();
    while (n > kMinBuckets && size_ < n / 2) n /= 2;
    Resize(n);
  }
}

}  // namespace strata::storage
