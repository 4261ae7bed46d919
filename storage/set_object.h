// A Redis set value with Redis 7.0's two encodings (OBJECT ENCODING names):
//   "intset"    a sorted array of integers, every element 16, 32 or 64 bits wide (the narrowest
//               that holds all members; widened on insert, never narrowed). Used while every
//               member is a string ParseInt64 accepts (Redis's string2ll: canonical decimal, so
//               the conversion is lossless) and there are at most set-max-intset-entries.
//   "hashtable" a storage::Dict whose Entry nodes carry the member as key and an empty value.
// A set leaves "intset" for good when a non-integer member arrives or it grows past the limit
// (read from storage::Limits() on every insert, as Redis reads its config); it never converts
// back, except that a set built afresh (SINTERSTORE & co, SPOP's rebuild) starts as an intset.
// Redis 7.0 has no listpack sets (7.2 added them).
//
// Memory: the object is 16 bytes (vtable + one tagged word), the intset one block of
// 8 header bytes + width * count (Redis's intset layout), a hashtable member one Entry block
// (32-byte header + member bytes) plus its bucket pointer.
//
// Thread: none; a SetObject is guarded by the shard lock of the key that owns it. Views it hands
// out stay valid until the set is modified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/strutil.h"
#include "storage/dict.h"
#include "storage/entry.h"

namespace strata::storage {

class SetObject final : public Object {
 public:
  // Room for a formatted int64 ("-9223372036854775808" and a '\0').
  static constexpr size_t kIntBufSize = 24;

  SetObject();  // an empty intset
  ~SetObject() override;
  SetObject(const SetObject&) = delete;
  SetObject& operator=(const SetObject&) = delete;

  const char* EncodingName() const override { return is_intset() ? "intset" : "hashtable"; }
  Object* Clone() const override;  // same members, same encoding
  size_t FreeEffort() const override { return is_intset() ? 1 : size(); }

  bool is_intset() const { return (rep_ & kDictTag) == 0; }
  size_t size() const;
  bool empty() const { return size() == 0; }

  // Each returns whether the set changed. Add converts the encoding when needed.
  bool Add(std::string_view member);
  bool Remove(std::string_view member);
  bool Contains(std::string_view member) const;

  // A uniformly chosen member, random = any 64 random bits. The set must not be empty. An
  // intset member is formatted into buf (kIntBufSize bytes); the view lives as long as buf
  // and the set's current state.
  std::string_view RandomMember(uint64_t random, char* buf) const;

  // Calls fn(std::string_view member) for every member: ascending for an intset, table order
  // for a hashtable. fn must not modify the set.
  template <typename Fn>
  void ForEach(Fn&& fn) const;

  // Hashtable only: one step of Redis's reverse-binary cursor over the table (see Dict::ScanStep),
  // calling fn(std::string_view member) for the members of the bucket(s) visited.
  template <typename Fn>
  uint64_t ScanStep(uint64_t cursor, Fn&& fn) const;

  // Exchanges the contents of two sets (SPOP rebuilds the survivors into a new set).
  void Swap(SetObject& other) { std::swap(rep_, other.rep_); }

  // Heap bytes held by the members (usable sizes, excluding the 16-byte object itself; bucket
  // arrays counted by their length). For tests and memory reports.
  size_t AllocatedBytes() const;

 private:
  // rep_ is the intset block's address, or the Dict's address | kDictTag.
  static constexpr uintptr_t kDictTag = 1;

  struct IntsetHeader {
    uint32_t count;
    uint32_t width;  // bytes per element: 2, 4 or 8
  };

  IntsetHeader* intset() const { return reinterpret_cast<IntsetHeader*>(rep_); }
  Dict* dict() const { return reinterpret_cast<Dict*>(rep_ & ~kDictTag); }
  int64_t IntAt(size_t i) const;
  // Binary search; *pos receives the index where v is or would be inserted.
  bool IntsetFind(int64_t v, size_t* pos) const;
  bool IntsetAdd(int64_t v);
  bool IntsetRemove(int64_t v);
  void ConvertToDict();
  static void DictAdd(Dict* d, std::string_view member);

  uintptr_t rep_;
};

// ---- inline definitions ----

template <typename Fn>
void SetObject::ForEach(Fn&& fn) const {
  if (is_intset()) {
    char buf[kIntBufSize];
    size_t n = intset()->count;
    for (size_t i = 0; i < n; ++i) {
      size_t len = FormatInt64(IntAt(i), buf);
      fn(std::string_view(buf, len));
    }
  } else {
    dict()->ForEach([&](Entry* e) { fn(e->key()); });
  }
}

template <typename Fn>
uint64_t SetObject::ScanStep(uint64_t cursor, Fn&& fn) const {
  return dict()->ScanStep(cursor, [&](Entry* e) { fn(e->key()); });
}

}  // namespace strata::storage
