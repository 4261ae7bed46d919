// Hash values: the listpack and hashtable encodings (see hash_object.h).
#include "storage/hash_object.h"

#include <algorithm>
#include <cstring>

namespace strata::storage {

// ---- ListpackHash ----

bool ListpackHash::Fits(size_t len) {
  int64_t max = Limits().hash_max_listpack_value.load(std::memory_order_relaxed);
  return static_cast<uint64_t>(len) <= static_cast<uint64_t>(std::max<int64_t>(max, 0));
}

bool ListpackHash::ExceedsEntries(size_t n) {
  int64_t max = Limits().hash_max_listpack_entries.load(std::memory_order_relaxed);
  return static_cast<uint64_t>(n) > static_cast<uint64_t>(std::max<int64_t>(max, 0));
}

Object* ListpackHash::Clone() const {
  auto* copy = new ListpackHash();
  copy->lp_ = lp_;  // a copy holds exactly its bytes
  return copy;
}

size_t ListpackHash::FindField(std::string_view field) const {
  for (size_t pos = lp_.First(); pos != Listpack::kEnd; pos = lp_.Next(lp_.Next(pos))) {
    if (lp_.Get(pos) == field) return pos;
  }
  return Listpack::kEnd;
}

bool ListpackHash::Get(std::string_view field, std::string_view* value) const {
  size_t pos = FindField(field);
  if (pos == Listpack::kEnd) return false;
  *value = lp_.Get(lp_.Next(pos));
  return true;
}

bool ListpackHash::Set(std::string_view field, std::string_view value) {
  size_t pos = FindField(field);
  if (pos != Listpack::kEnd) {
    size_t vpos = lp_.Next(pos);
    if (lp_.Get(vpos) != value) lp_.Replace(vpos, value);
    return false;
  }
  lp_.PushBack(field);
  lp_.PushBack(value);
  return true;
}

bool ListpackHash::Delete(std::string_view field) {
  size_t pos = FindField(field);
  if (pos == Listpack::kEnd) return false;
  lp_.Erase(pos);  // the value moves to pos
  lp_.Erase(pos);
  return true;
}

void ListpackHash::PairAt(size_t i, std::string_view* field, std::string_view* value) const {
  PairAtPosition(lp_.Seek(static_cast<int64_t>(2 * i)), field, value);
}

std::vector<size_t> ListpackHash::FieldPositions() const {
  std::vector<size_t> out;
  out.reserve(size());
  for (size_t pos = lp_.First(); pos != Listpack::kEnd; pos = lp_.Next(lp_.Next(pos)))
    out.push_back(pos);
  return out;
}

void ListpackHash::PairAtPosition(size_t pos, std::string_view* field,
                                  std::string_view* value) const {
  *field = lp_.Get(pos);
  *value = lp_.Get(lp_.Next(pos));
}

void ListpackHash::ShrinkToFit() {
  // Listpack keeps its bytes in a std::string, whose copy holds exactly size() bytes (short
  // ones inline); moving the copy in frees the old, possibly doubled, buffer.
  Listpack exact(lp_);
  lp_ = std::move(exact);
}

DictHash* ListpackHash::ToDict() const {
  auto* d = new DictHash();
  ForEach([&](std::string_view f, std::string_view v) { d->Set(f, v); });
  return d;
}

// ---- DictHash ----

Object* DictHash::Clone() const {
  auto* copy = new DictHash();
  ForEach([&](std::string_view f, std::string_view v) { copy->Set(f, v); });
  return copy;
}

bool DictHash::Get(std::string_view field, std::string_view* value) const {
  Entry* e = dict_.Find(field, HashKey(field));
  if (e == nullptr) return false;
  *value = e->str();
  return true;
}

bool DictHash::Set(std::string_view field, std::string_view value) {
  uint64_t h = HashKey(field);
  Entry* e = dict_.Find(field, h);
  if (e == nullptr) {
    dict_.Insert(Entry::NewString(field, value, kNoExpire), h);
    return true;
  }
  // Overwrite in place when the new value fits the block without leaving much of it unused
  // (HINCRBY rewrites a counter of about the same length every time).
  size_t cap = e->str_capacity();
  if (value.size() <= cap && cap - value.size() <= std::max<size_t>(value.size(), 32)) {
    if (!value.empty()) std::memmove(e->mutable_str(), value.data(), value.size());
    e->set_str_len(value.size());
    return false;
  }
  Entry* fresh = Entry::NewString(field, value, kNoExpire);
  dict_.Replace(e, fresh, h);
  Entry::Free(e);
  return false;
}

bool DictHash::Delete(std::string_view field) {
  Entry* e = dict_.Unlink(field, HashKey(field));
  if (e == nullptr) return false;
  Entry::Free(e);
  return true;
}

}  // namespace strata::storage
