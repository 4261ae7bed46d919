// Set encodings: the intset (sorted fixed-width integer array) and the hashtable (Dict of
// member-keyed Entry nodes), with the conversion between them (see set_object.h).
#include "storage/set_object.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <limits>

#include "storage/limits.h"

namespace strata::storage {

namespace {

void* AllocOrDie(size_t n) {
  void* p = std::malloc(n);
  if (p == nullptr) std::abort();  // out of memory
  return p;
}

void* ReallocOrDie(void* p, size_t n) {
  void* q = std::realloc(p, n);
  if (q == nullptr) std::abort();
  return q;
}

// The narrowest element width (bytes) that holds v.
uint32_t WidthFor(int64_t v) {
  if (v >= std::numeric_limits<int16_t>::min() && v <= std::numeric_limits<int16_t>::max())
    return 2;
  if (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max())
    return 4;
  return 8;
}

int64_t Load(const char* data, uint32_t width, size_t i) {
  switch (width) {
    case 2: {
      int16_t v;
      std::memcpy(&v, data + i * 2, 2);
      return v;
    }
    case 4: {
      int32_t v;
      std::memcpy(&v, data + i * 4, 4);
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, data + i * 8, 8);
      return v;
    }
  }
}

void Store(char* data, uint32_t width, size_t i, int64_t v) {
  switch (width) {
    case 2: {
      int16_t x = static_cast<int16_t>(v);
      std::memcpy(data + i * 2, &x, 2);
      break;
    }
    case 4: {
      int32_t x = static_cast<int32_t>(v);
      std::memcpy(data + i * 4, &x, 4);
      break;
    }
    default:
      std::memcpy(data + i * 8, &v, 8);
  }
}

// set-max-intset-entries, clamped like Redis (at most 2^30: the intset's own limit).
size_t MaxIntsetEntries() {
  int64_t v = Limits().set_max_intset_entries.load(std::memory_order_relaxed);
  if (v < 0) return 0;
  return v >= (int64_t{1} << 30) ? (size_t{1} << 30) : static_cast<size_t>(v);
}

}  // namespace

SetObject::SetObject() {
  auto* h = static_cast<IntsetHeader*>(AllocOrDie(sizeof(IntsetHeader)));
  h->count = 0;
  h->width = 2;
  rep_ = reinterpret_cast<uintptr_t>(h);
}

SetObject::~SetObject() {
  if (is_intset()) {
    std::free(intset());
  } else {
    delete dict();
  }
}

Object* SetObject::Clone() const {
  auto* copy = new SetObject();
  if (is_intset()) {
    size_t bytes = sizeof(IntsetHeader) + size_t{intset()->count} * intset()->width;
    void* block = ReallocOrDie(copy->intset(), bytes);
    std::memcpy(block, intset(), bytes);
    copy->rep_ = reinterpret_cast<uintptr_t>(block);
  } else {
    // Like Redis's setTypeDup: a hashtable stays a hashtable, even if every member is an int.
    auto* d = new Dict();
    dict()->ForEach([&](Entry* e) { DictAdd(d, e->key()); });
    std::free(copy->intset());
    copy->rep_ = reinterpret_cast<uintptr_t>(d) | kDictTag;
  }
  return copy;
}

size_t SetObject::size() const { return is_intset() ? intset()->count : dict()->size(); }

int64_t SetObject::IntAt(size_t i) const {
  const IntsetHeader* h = intset();
  return Load(reinterpret_cast<const char*>(h + 1), h->width, i);
}

bool SetObject::IntsetFind(int64_t v, size_t* pos) const {
  const IntsetHeader* h = intset();
  const char* data = reinterpret_cast<const char*>(h + 1);
  size_t lo = 0, hi = h->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int64_t m = Load(data, h->width, mid);
    if (m == v) {
      *pos = mid;
      return true;
    }
    if (m < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *pos = lo;
  return false;
}

bool SetObject::IntsetAdd(int64_t v) {
  IntsetHeader* h = intset();
  uint32_t need = WidthFor(v);
  size_t n = h->count;
  if (need > h->width) {
    // v lies outside the current width's range, so it is smaller or larger than every member.
    auto* wide = static_cast<IntsetHeader*>(AllocOrDie(sizeof(IntsetHeader) + (n + 1) * need));
    char* src = reinterpret_cast<char*>(h + 1);
    char* dst = reinterpret_cast<char*>(wide + 1);
    size_t shift = v < 0 ? 1 : 0;
    for (size_t i = 0; i < n; ++i) Store(dst, need, i + shift, Load(src, h->width, i));
    Store(dst, need, v < 0 ? 0 : n, v);
    wide->count = static_cast<uint32_t>(n + 1);
    wide->width = need;
    std::free(h);
    rep_ = reinterpret_cast<uintptr_t>(wide);
    return true;
  }
  size_t pos;
  if (IntsetFind(v, &pos)) return false;
  size_t bytes = sizeof(IntsetHeader) + (n + 1) * h->width;
  if (bytes > malloc_usable_size(h)) {
    h = static_cast<IntsetHeader*>(ReallocOrDie(h, bytes));
    rep_ = reinterpret_cast<uintptr_t>(h);
  }
  char* data = reinterpret_cast<char*>(h + 1);
  std::memmove(data + (pos + 1) * h->width, data + pos * h->width, (n - pos) * h->width);
  Store(data, h->width, pos, v);
  h->count = static_cast<uint32_t>(n + 1);
  return true;
}

bool SetObject::IntsetRemove(int64_t v) {
  IntsetHeader* h = intset();
  size_t pos;
  if (WidthFor(v) > h->width || !IntsetFind(v, &pos)) return false;
  size_t n = h->count;
  char* data = reinterpret_cast<char*>(h + 1);
  std::memmove(data + pos * h->width, data + (pos + 1) * h->width, (n - pos - 1) * h->width);
  h->count = static_cast<uint32_t>(n - 1);
  // Give memory back once the block is at most half used (jemalloc keeps same-class reallocs
  // in place, so this only moves when the size class really changes).
  size_t bytes = sizeof(IntsetHeader) + (n - 1) * h->width;
  if (bytes <= malloc_usable_size(h) / 2)
    rep_ = reinterpret_cast<uintptr_t>(ReallocOrDie(h, bytes));
  return true;
}

void SetObject::DictAdd(Dict* d, std::string_view member) {
  d->Insert(Entry::NewString(member, {}, kNoExpire), HashKey(member));
}

void SetObject::ConvertToDict() {
  auto* d = new Dict();
  char buf[kIntBufSize];
  IntsetHeader* h = intset();
  for (size_t i = 0; i < h->count; ++i) {
    size_t len = FormatInt64(IntAt(i), buf);
    DictAdd(d, std::string_view(buf, len));
  }
  std::free(h);
  rep_ = reinterpret_cast<uintptr_t>(d) | kDictTag;
}

bool SetObject::Add(std::string_view member) {
  if (is_intset()) {
    int64_t v;
    if (ParseInt64(member, &v)) {
      if (!IntsetAdd(v)) return false;
      if (intset()->count > MaxIntsetEntries()) ConvertToDict();
      return true;
    }
    ConvertToDict();  // a non-integer member: it cannot be present yet
    DictAdd(dict(), member);
    return true;
  }
  uint64_t hash = HashKey(member);
  if (dict()->Find(member, hash) != nullptr) return false;
  dict()->Insert(Entry::NewString(member, {}, kNoExpire), hash);
  return true;
}

bool SetObject::Remove(std::string_view member) {
  if (is_intset()) {
    int64_t v;
    return ParseInt64(member, &v) && IntsetRemove(v);
  }
  Entry* e = dict()->Unlink(member, HashKey(member));
  if (e == nullptr) return false;
  Entry::Free(e);
  return true;
}

bool SetObject::Contains(std::string_view member) const {
  if (is_intset()) {
    int64_t v;
    size_t pos;
    return ParseInt64(member, &v) && WidthFor(v) <= intset()->width && IntsetFind(v, &pos);
  }
  return dict()->Find(member, HashKey(member)) != nullptr;
}

std::string_view SetObject::RandomMember(uint64_t random, char* buf) const {
  if (is_intset()) {
    size_t len = FormatInt64(IntAt(random % intset()->count), buf);
    return {buf, len};
  }
  return dict()->RandomEntry(random)->key();
}

size_t SetObject::AllocatedBytes() const {
  if (is_intset()) return malloc_usable_size(intset());
  size_t bytes = sizeof(Dict) + dict()->bucket_count() * sizeof(Entry*);
  dict()->ForEach([&](Entry* e) { bytes += malloc_usable_size(e); });
  return bytes;
}

}  // namespace strata::storage
