// Entry allocation: one block per key (see entry.h for the layout).
#include "storage/entry.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace strata::storage {

const char* TypeName(ObjType t) {
  switch (t) {
    case ObjType::kString: return "string";
    case ObjType::kList: return "list";
    case ObjType::kHash: return "hash";
    case ObjType::kSet: return "set";
    case ObjType::kZSet: return "zset";
    case ObjType::kStream: return "stream";
  }
  return "none";
}

namespace {
void* AllocOrDie(size_t n) {
  void* p = std::malloc(n);
  if (p == nullptr) std::abort();  // out of memory
  return p;
}
}  // namespace

Entry* Entry::NewString(std::string_view key, std::string_view value, int64_t expire_ms,
                        size_t extra) {
  size_t bytes = sizeof(Entry) + key.size() + value.size() + extra;
  Entry* e = new (AllocOrDie(bytes)) Entry();
  e->expire_ms_ = expire_ms;
  e->key_len_ = static_cast<uint32_t>(key.size());
  e->val_len_ = static_cast<uint32_t>(value.size());
  e->type_ = static_cast<uint8_t>(ObjType::kString);
  std::memcpy(e->data(), key.data(), key.size());
  if (!value.empty()) std::memcpy(e->data() + key.size(), value.data(), value.size());
  return e;
}

Entry* Entry::NewObject(std::string_view key, ObjType type, Object* obj, int64_t expire_ms) {
  size_t bytes = sizeof(Entry) + key.size() + sizeof(Object*);
  Entry* e = new (AllocOrDie(bytes)) Entry();
  e->expire_ms_ = expire_ms;
  e->key_len_ = static_cast<uint32_t>(key.size());
  e->type_ = static_cast<uint8_t>(type);
  std::memcpy(e->data(), key.data(), key.size());
  std::memcpy(e->data() + key.size(), &obj, sizeof(obj));  // key length may misalign it
  return e;
}

Entry* Entry::CloneWithKey(const Entry* src, std::string_view key) {
  Entry* e = src->type() == ObjType::kString
                 ? NewString(key, src->str(), src->expire_ms())
                 : NewObject(key, src->type(), src->obj()->Clone(), src->expire_ms());
  e->access_ = src->access_;
  e->flags_ = src->flags_;
  return e;
}

Entry* Entry::Rekey(Entry* src, std::string_view key) {
  if (src->type() == ObjType::kString) {
    Entry* e = CloneWithKey(src, key);
    Free(src);
    return e;
  }
  Entry* e = NewObject(key, src->type(), src->obj(), src->expire_ms());
  e->access_ = src->access_;
  e->flags_ = src->flags_;
  src->~Entry();
  std::free(src);  // the object now belongs to e
  return e;
}

void Entry::Free(Entry* e) {
  if (e == nullptr) return;
  if (e->type() != ObjType::kString) delete e->obj();
  e->~Entry();
  std::free(e);
}

size_t Entry::str_capacity() const {
  return malloc_usable_size(const_cast<Entry*>(this)) - sizeof(Entry) - key_len_;
}

Object* Entry::obj() const {
  Object* o;
  std::memcpy(&o, data() + key_len_, sizeof(o));
  return o;
}

}  // namespace strata::storage
