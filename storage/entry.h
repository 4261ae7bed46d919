// One key-value pair as one heap block: header, key bytes, then the value.
//
// Layout (32-byte header with padding, then data):
//   next_ (8) | expire_ms_ (8) | key_len_ (4) | val_len_ (4) | type_ (1) | flags_ (1) | access_ (2)
//   | epoch_ (4)
//   | key bytes | value bytes (strings)  or  | Object* (collections, aligned copy)
// A 16-byte key with a 16-byte value fits jemalloc's 64-byte class with no other allocation:
// this is where the per-key memory advantage over Redis (robj + sds key + sds value + dictEntry)
// comes from. A string value has spare room up to malloc_usable_size(), so APPEND/SETRANGE
// usually grow in place.
// Thread: an Entry belongs to its shard and is touched only under that shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strata::storage {

enum class ObjType : uint8_t { kString = 0, kList, kHash, kSet, kZSet, kStream };
const char* TypeName(ObjType t);  // "string", "list", ... as TYPE replies

constexpr int64_t kNoExpire = -1;
constexpr uint32_t kEpochUnmarked = 0xffffffffu;

// Collections (lists, hashes, sets, sorted sets) live behind a pointer to one of these
// (storage/list_object.h, hash_object.h, set_object.h, zset_object.h).
class Object {
 public:
  virtual ~Object() = default;
  virtual const char* EncodingName() const = 0;  // OBJECT ENCODING
  virtual Object* Clone() const = 0;             // COPY
  // About how many allocations freeing it takes (Redis's lazyfreeGetFreeEffort): past
  // LazyFree::kThreshold a lazy deletion hands it to the freeing thread.
  virtual size_t FreeEffort() const { return 1; }
};

class Entry {
 public:
  // A string entry with room for at least value.size() + extra value bytes.
  static Entry* NewString(std::string_view key, std::string_view value, int64_t expire_ms,
                          size_t extra = 0);
  // A collection entry owning obj.
  static Entry* NewObject(std::string_view key, ObjType type, Object* obj, int64_t expire_ms);
  // Same value and expiry under another key (RENAME, COPY). Collections are cloned.
  static Entry* CloneWithKey(const Entry* e, std::string_view key);
  // The same value and expiry under another key, consuming e (RENAME): a collection's object
  // moves to the new block instead of being copied.
  static Entry* Rekey(Entry* e, std::string_view key);
  static void Free(Entry* e);

  std::string_view key() const { return {data(), key_len_}; }
  ObjType type() const { return static_cast<ObjType>(type_); }

  bool HasExpire() const { return expire_ms_ != kNoExpire; }
  int64_t expire_ms() const { return expire_ms_; }
  bool IsExpired(int64_t now_ms) const { return expire_ms_ != kNoExpire && expire_ms_ <= now_ms; }
  // Use Shard::SetExpire instead when the entry is in a shard: it keeps the volatile count.
  void set_expire_ms(int64_t ms) { expire_ms_ = ms; }

  // Strings.
  std::string_view str() const { return {data() + key_len_, val_len_}; }
  char* mutable_str() { return data() + key_len_; }
  size_t str_capacity() const;  // bytes the value may grow to in place
  void set_str_len(size_t n) { val_len_ = static_cast<uint32_t>(n); }

  // Collections.
  Object* obj() const;

  // OBJECT ENCODING: a string edited in place (APPEND, SETRANGE) reports "raw" like Redis;
  // otherwise the encoding is derived from the value ("int", "embstr", "raw" by length).
  bool raw_encoding() const { return flags_ & kFlagRawEncoding; }
  void set_raw_encoding(bool on) {
    flags_ = on ? (flags_ | kFlagRawEncoding) : (flags_ & ~kFlagRawEncoding);
  }

  // Eviction: an LRU clock (seconds) or, under an LFU policy, an 8-bit decay time and an 8-bit
  // logarithmic counter (storage/eviction.h).
  uint16_t access() const { return access_; }
  void set_access(uint16_t a) { access_ = a; }

  // Backing tier: the checkpoint epoch of the last write to this key (storage/tier.h). The entry
  // is clean (its value is in the backend) when epoch <= the last committed checkpoint's epoch;
  // 0 = loaded from the backend; kEpochUnmarked (new entries) is never clean until a write
  // marks it. Lives in what was padding: the header stays 32 bytes.
  uint32_t epoch() const { return epoch_; }
  void set_epoch(uint32_t e) { epoch_ = e; }

  Entry* next = nullptr;  // bucket chain; owned by Dict

 private:
  static constexpr uint8_t kFlagRawEncoding = 1;

  Entry() = default;
  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }

  int64_t expire_ms_ = kNoExpire;
  uint32_t key_len_ = 0;
  uint32_t val_len_ = 0;
  uint8_t type_ = 0;
  uint8_t flags_ = 0;
  uint16_t access_ = 0;
  uint32_t epoch_ = 0xffffffffu;  // kEpochUnmarked
};
static_assert(sizeof(Entry) == 32, "the entry header is 32 bytes");

// Strings up to 4 GiB - 1 fit val_len_; proto-max-bulk-len caps values at 512 MiB by default.
constexpr size_t kMaxStringLen = 0xffffffffu;

}  // namespace strata::storage
