// A Redis hash value (field -> value) in one of Redis 7.0's two encodings (OBJECT ENCODING):
//  - "listpack": field, value, field, value ... in one storage::Listpack, in insertion order,
//    while the hash has at most hash-max-listpack-entries fields and no field or value is longer
//    than hash-max-listpack-value bytes (storage::Limits()). Lookups walk the listpack: a few
//    cache lines for a small hash, and no per-field allocation.
//  - "hashtable": a storage::Dict of string Entries (key = field, value = value): one heap
//    block per field (32-byte header + field + value), O(1) lookups, Redis's SCAN cursor.
// Conversion goes one way, listpack -> hashtable, as in Redis (deleting fields never converts
// back).
//
// The encodings are two classes behind one interface, so an object is only as big as its
// encoding needs (48 and 40 bytes: the vtable pointer doubles as the encoding tag). Converting
// therefore makes a new object (ListpackHash::ToDict), which the caller puts into the key's
// Entry in place of the old one. Limits are not enforced here: ListpackHash::Set stores what
// it is given, and the caller (commands/hash_family.cc) converts first when a field, a value
// or the field count would pass them (ListpackHash::Fits / ExceedsEntries).
//
// Views returned by Get/ForEach/FieldAt point into the object and are valid until it is next
// modified. Thread: none; a hash is guarded by the shard lock of the key that owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "storage/dict.h"
#include "storage/entry.h"
#include "storage/limits.h"
#include "storage/listpack.h"

namespace strata::storage {

class ListpackHash;
class DictHash;

class HashObject : public Object {
 public:
  enum class Encoding : uint8_t { kListpack, kHashtable };

  virtual Encoding encoding() const = 0;
  bool is_listpack() const { return encoding() == Encoding::kListpack; }
  ListpackHash* AsListpack();  // precondition: is_listpack()
  const ListpackHash* AsListpack() const;
  DictHash* AsDict();  // precondition: !is_listpack()
  const DictHash* AsDict() const;

  virtual size_t size() const = 0;
  bool empty() const { return size() == 0; }
  // The value of field; false if the hash has no such field.
  virtual bool Get(std::string_view field, std::string_view* value) const = 0;
  bool Contains(std::string_view field) const {
    std::string_view v;
    return Get(field, &v);
  }
  // Sets field to value (see the header comment about limits); true if the field is new.
  virtual bool Set(std::string_view field, std::string_view value) = 0;
  // Removes field; true if it was there.
  virtual bool Delete(std::string_view field) = 0;

  // Visits every pair as fn(field, value), listpack order or hash-table order. fn must not
  // modify the hash.
  template <typename Fn>
  void ForEach(Fn&& fn) const;
};

class ListpackHash final : public HashObject {
 public:
  ListpackHash() = default;
  const char* EncodingName() const override { return "listpack"; }
  Object* Clone() const override;
  Encoding encoding() const override { return Encoding::kListpack; }

  size_t size() const override { return lp_.size() / 2; }
  bool Get(std::string_view field, std::string_view* value) const override;
  bool Set(std::string_view field, std::string_view value) override;
  bool Delete(std::string_view field) override;

  // May a field or value of len bytes live in a listpack (hash-max-listpack-value)?
  static bool Fits(size_t len);
  // Would n fields pass hash-max-listpack-entries?
  static bool ExceedsEntries(size_t n);

  // The field (and value) of pair i, 0 <= i < size(). O(i).
  void PairAt(size_t i, std::string_view* field, std::string_view* value) const;
  // Byte positions of every field, for repeated random access (HRANDFIELD).
  std::vector<size_t> FieldPositions() const;
  // The pair whose field starts at byte position pos (from FieldPositions).
  void PairAtPosition(size_t pos, std::string_view* field, std::string_view* value) const;

  // Bytes of the encoded pairs (what ShrinkToFit compares).
  size_t bytes() const { return lp_.bytes(); }
  // Drops the spare capacity a growing insert leaves behind (the buffer doubles), so a small
  // hash costs its size rounded to one malloc size class. O(bytes); call once per command.
  void ShrinkToFit();

  // A hashtable-encoded copy of this hash.
  DictHash* ToDict() const;

  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t pos = lp_.First(); pos != Listpack::kEnd;) {
      size_t vpos = lp_.Next(pos);
      fn(lp_.Get(pos), lp_.Get(vpos));
      pos = lp_.Next(vpos);
    }
  }

 private:
  // Position of field's entry, or Listpack::kEnd.
  size_t FindField(std::string_view field) const;

  Listpack lp_;
};

class DictHash final : public HashObject {
 public:
  DictHash() = default;
  const char* EncodingName() const override { return "hashtable"; }
  Object* Clone() const override;
  Encoding encoding() const override { return Encoding::kHashtable; }

  size_t size() const override { return dict_.size(); }
  size_t FreeEffort() const override { return dict_.size(); }
  bool Get(std::string_view field, std::string_view* value) const override;
  bool Set(std::string_view field, std::string_view value) override;
  bool Delete(std::string_view field) override;

  // The table itself, for ScanStep (HSCAN) and RandomEntry (HRANDFIELD). Entry::key() is the
  // field, Entry::str() the value.
  const Dict& dict() const { return dict_; }

  template <typename Fn>
  void ForEach(Fn&& fn) const {
    dict_.ForEach([&](const Entry* e) { fn(e->key(), e->str()); });
  }

 private:
  Dict dict_;
};

inline ListpackHash* HashObject::AsListpack() { return static_cast<ListpackHash*>(this); }
inline const ListpackHash* HashObject::AsListpack() const {
  return static_cast<const ListpackHash*>(this);
}
inline DictHash* HashObject::AsDict() { return static_cast<DictHash*>(this); }
inline const DictHash* HashObject::AsDict() const { return static_cast<const DictHash*>(this); }

template <typename Fn>
void HashObject::ForEach(Fn&& fn) const {
  if (is_listpack()) {
    AsListpack()->ForEach(fn);
  } else {
    AsDict()->ForEach(fn);
  }
}

}  // namespace strata::storage
