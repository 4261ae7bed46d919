// Chained hash table with whole-table resize (see dict.h for why chaining).
#include "storage/dict.h"

#include <xxhash.h>

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
  for (Entry* e = buckets_[hash & (buckets_.size() - 1)]; e != nullptr; e = e->next)
    if (KeyEquals(e, key)) return e;
  return nullptr;
}

void Dict::Insert(Entry* e, uint64_t hash) {
  if (buckets_.empty()) buckets_.assign(kMinBuckets, nullptr);
  Entry*& head = buckets_[hash & (buckets_.size() - 1)];
  e->next = head;
  head = e;
  if (++size_ > buckets_.size()) Resize(buckets_.size() * 2);
}

Entry* Dict::Unlink(std::string_view key, uint64_t hash) {
  if (size_ == 0) return nullptr;
  Entry** link = &buckets_[hash & (buckets_.size() - 1)];
  for (; *link != nullptr; link = &(*link)->next) {
    Entry* e = *link;
    if (KeyEquals(e, key)) {
      *link = e->next;
      e->next = nullptr;
      --size_;
      MaybeShrink();
      return e;
    }
  }
  return nullptr;
}

void Dict::Replace(Entry* old_e, Entry* new_e, uint64_t hash) {
  Entry** link = &buckets_[hash & (buckets_.size() - 1)];
  while (*link != old_e) link = &(*link)->next;
  new_e->next = old_e->next;
  *link = new_e;
  old_e->next = nullptr;
}

Entry* Dict::RandomEntry(uint64_t random) const {
  if (size_ == 0) return nullptr;
  // Pick non-empty buckets at random; the load factor is >= 1/8, so this ends quickly.
  uint64_t mask = buckets_.size() - 1;
  Entry* head;
  do {
    random = random * 6364136223846793005ULL + 1442695040888963407ULL;  // LCG step
    head = buckets_[(random >> 17) & mask];
  } while (head == nullptr);
  size_t len = 0;
  for (Entry* e = head; e != nullptr; e = e->next) ++len;
  size_t pick = (random >> 40) % len;
  while (pick-- > 0) head = head->next;
  return head;
}

void Dict::Clear() {
  for (Entry*& b : buckets_) {
    for (Entry* e = b; e != nullptr;) {
      Entry* next = e->next;
      Entry::Free(e);
      e = next;
    }
    b = nullptr;
  }
  buckets_.clear();
  buckets_.shrink_to_fit();
  size_ = 0;
}

void Dict::Resize(size_t new_buckets) {
  std::vector<Entry*> fresh(new_buckets, nullptr);
  size_t mask = new_buckets - 1;
  for (Entry* b : buckets_) {
    for (Entry* e = b; e != nullptr;) {
      Entry* next = e->next;
      Entry*& head = fresh[HashKey(e->key()) & mask];
      e->next = head;
      head = e;
      e = next;
    }
  }
  buckets_.swap(fresh);
}

void Dict::MaybeShrink() {
  if (buckets_.size() > kMinBuckets && size_ < buckets_.size() / 8) {
    size_t n = buckets_.size();
    while (n > kMinBuckets && size_ < n / 2) n /= 2;
    Resize(n);
  }
}

}  // namespace strata::storage
