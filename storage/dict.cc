// Chained hash table with incremental resize (see dict.h for why chaining).
#include "storage/dict.h"

#include <xxhash.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <random>
#include <utility>

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
  for (int t = 0; t < 2 && t_[t] != nullptr; ++t)
    for (Entry* e = Head(t_[t][hash & (n_[t] - 1)]); e != nullptr; e = e->next)
      if (KeyEquals(e, key)) return e;
  return nullptr;
}

size_t Dict::Push(int t, Entry* e, uint64_t hash) {
  uintptr_t& slot = t_[t][hash & (n_[t] - 1)];
  e->next = Head(slot);
  slot = Slot(e, Length(slot) + 1);
  const size_t len = ChainLength(slot);
  if (t == 1 && len > max_new_) max_new_ = len;
  if (len > max_chain_) max_chain_ = len;
  return len;
}

void Dict::Insert(Entry* e, uint64_t hash) {
  // Entries are malloc blocks of at least 32 bytes: 16-byte aligned, the low 4 bits are free.
  static_assert(alignof(std::max_align_t) >= kLengthSaturated + 1, "slot tags need alignment");
  if (t_[0] == nullptr) StartResize(kMinBuckets);  // (becomes the first table at once)
  if (rehashing()) Rehash(1);
  Push(rehashing() ? 1 : 0, e, hash);
  if (++size_ > n_[0] && !rehashing()) StartResize(n_[0] * 2);
}

Entry* Dict::Unlink(std::string_view key, uint64_t hash) {
  if (size_ == 0) return nullptr;
  if (rehashing()) Rehash(1);
  for (int t = 0; t < 2 && t_[t] != nullptr; ++t) {
    uintptr_t& slot = t_[t][hash & (n_[t] - 1)];
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
  }
  return nullptr;
}

void Dict::Replace(Entry* old_e, Entry* new_e, uint64_t hash) {
  new_e->next = old_e->next;
  old_e->next = nullptr;
  for (int t = 0; t < 2 && t_[t] != nullptr; ++t) {
    uintptr_t& slot = t_[t][hash & (n_[t] - 1)];
    if (Head(slot) == old_e) {
      slot = Slot(new_e, Length(slot));
      return;
    }
    for (Entry* prev = Head(slot); prev != nullptr; prev = prev->next) {
      if (prev->next == old_e) {
        prev->next = new_e;
        return;
      }
    }
  }
}

Entry* Dict::RandomEntry(uint64_t random) const {
  if (size_ == 0) return nullptr;
  // Rejection sampling: a random bucket and a random position below max_chain_ (>= every
  // chain's length), again until the position lies within its bucket's chain. Each (bucket,
  // position) pair is equally likely and each entry is exactly one of them, so each entry is
  // equally likely whatever the chain lengths. (A random position within the chain found, as
  // before, favoured the entries of short chains.) Expected draws: buckets * max_chain_ / size,
  // about 9 at a load of 1 with 1M keys; a rejected one reads just the slot's length.
  // During a resize the buckets of both tables are the candidates (the old table's moved ones
  // are empty): index i < n_[1] is t_[1][i], the next n_[0] are t_[0]'s, and the rest of the
  // power of two that holds both is drawn again.
  const uint64_t big = n_[0] > n_[1] ? n_[0] : n_[1];
  const uint64_t mask = rehashing() ? 2 * big - 1 : n_[0] - 1;
  const uint64_t bound = max_chain_;
  uint64_t state = random;
  for (;;) {
    // splitmix64: the low bits pick the bucket, the high 32 the position (multiply-shift,
    // uniform up to max_chain_ / 2^32). The two overlap only past 2^31 buckets.
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    uint64_t i = z & mask;
    uintptr_t slot;
    if (!rehashing()) {
      slot = t_[0][i];
    } else if (i < n_[1]) {
      slot = t_[1][i];
    } else if (i - n_[1] < n_[0]) {
      slot = t_[0][i - n_[1]];
    } else {
      continue;
    }
    uint64_t pos = ((z >> 32) * bound) >> 32;
    if (pos >= Length(slot) && Length(slot) != kLengthSaturated) continue;
    Entry* e = Head(slot);
    for (; e != nullptr && pos > 0; --pos) e = e->next;
    if (e != nullptr) return e;  // (null only past the end of a saturated chain)
  }
}

void Dict::Clear() {
  for (int t = 0; t < 2; ++t) {
    for (size_t b = 0; b < n_[t]; ++b) {
      for (Entry* e = Head(t_[t][b]); e != nullptr;) {
        Entry* next = e->next;
        Entry::Free(e);
        e = next;
      }
    }
    std::free(t_[t]);
    t_[t] = nullptr;
    n_[t] = 0;
  }
  next_ = 0;
  size_ = 0;
  max_chain_ = 0;
  max_new_ = 0;
}

void Dict::Swap(Dict& other) {
  std::swap(t_, other.t_);
  std::swap(n_, other.n_);
  std::swap(next_, other.next_);
  std::swap(size_, other.size_);
  std::swap(max_chain_, other.max_chain_);
  std::swap(max_new_, other.max_new_);
}

void Dict::StartResize(size_t new_buckets) {
  // calloc, not a zero-filled vector: a large table comes from fresh pages that are zero
  // already, so the resize does not touch all of them at once.
  auto* fresh = static_cast<uintptr_t*>(std::calloc(new_buckets, sizeof(uintptr_t)));
  if (fresh == nullptr) std::abort();
  if (t_[0] == nullptr) {  // the first table: nothing to move
    t_[0] = fresh;
    n_[0] = new_buckets;
    return;
  }
  t_[1] = fresh;
  n_[1] = new_buckets;
  next_ = 0;
  max_new_ = 0;
}

bool Dict::Rehash(size_t buckets) {
  if (!rehashing()) MaybeShrink();  // a table left sparse by deletions shrinks when idle too
  if (!rehashing()) return false;
  size_t empty_visits = buckets * 10;
  while (buckets > 0 && next_ < n_[0]) {
    Entry* e = Head(t_[0][next_]);
    if (e == nullptr) {
      ++next_;
      if (--empty_visits == 0) break;
      continue;
    }
    while (e != nullptr) {
      Entry* next = e->next;
      Push(1, e, HashKey(e->key()));
      e = next;
    }
    t_[0][next_++] = 0;
    --buckets;
  }
  if (next_ < n_[0]) return true;
  std::free(t_[0]);
  t_[0] = t_[1];
  n_[0] = n_[1];
  t_[1] = nullptr;
  n_[1] = 0;
  next_ = 0;
  max_chain_ = max_new_;
  return false;
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
  if (!rehashing() && n_[0] > kMinBuckets && size_ < n_[0] / 8) {
    size_t n = n_[0];
    while (n > kMinBuckets && size_ < n / 2) n /= 2;
    StartResize(n);
  }
}

}  // namespace strata::storage
