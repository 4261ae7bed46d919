// The value codec of the SQL backing tier: an Entry's value as the `v` column of a strata_kv row
// (backend/backend.h), and back.
//
// Strings: `v` is the value's bytes, unchanged (no header), so any SQL client reads them as is.
//
// Collections: encoding version 1, a portable byte layout (nothing depends on the host's
// endianness, alignment or word size). All integers are unsigned little-endian.
//
//   offset  size  field
//   0       1     format version: 0x01
//   1       4     n: the number of items (u32 LE); at least 1, as Redis has no empty collection
//   5       ...   n items, back to back, nothing after the last
//
//   a byte string   = len (u32 LE) | len bytes (binary-safe: any byte, NULs included)
//   list item       = byte string                       the elements head to tail (LRANGE 0 -1)
//   hash item       = byte string field | byte string value        one item per field
//   set item        = byte string member
//   zset item       = byte string member | score (8 bytes: IEEE-754 binary64, the double's
//                     64 bits as a u64 LE), items ascending by score then member (ZRANGE 0 -1
//                     order: members of equal score by memcmp, a prefix first)
//
// Streams (type 5) use the same version byte and count (n: the entries, possibly 0: a stream
// may be empty), then a stream header and n entries, ascending by ID:
//
//   header  = last ID | max deleted ID | entries added (u64 LE)      an ID = ms | seq (u64 LE each)
//   entry   = ID | pairs (u32 LE, at least 1) | pairs x (byte string field | byte string value)
//   then its consumer groups:
//   groups  = count (u32 LE, 0 for none) | per group: byte string name | last delivered ID | entries read
//             (i64 LE, -1 unknown) | consumers (u32 LE) x (byte string name | seen time ms u64)
//             | pending (u32 LE) x (ID | delivery time ms u64 | delivery count u64 | byte string
//             consumer: one of the group's consumers)
//
// Example: the list ["a", ""] is 01 02000000 01000000 61 00000000 (14 bytes); the zset
// {x: 1.5} is 01 01000000 01000000 78 000000000000F83F.
//
// Constraints a reader checks (DecodeEntry rejects a value that breaks any of them): version 1;
// n >= 1; every length within the value; no bytes after the last item; hash fields, set members
// and zset members distinct; zset scores not NaN (+inf and -inf are allowed). A reader must not
// rely on the zset order (strata's accepts any order); the hash and set order is unspecified
// (a hash's listpack order, a set's intset or table order). The type is not in `v`: it is the
// row's `type` column (storage::ObjType). A later layout would use another version byte.
//
// Thread: none; EncodeValue reads the entry, so the caller holds its shard lock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/entry.h"

namespace strata::storage {

constexpr uint8_t kCodecVersion = 1;

// Replaces *out with e's encoded value (above). Single pass, with the output reserved from the
// value's size. Precondition: a collection has fewer than 2^32 items (a larger list cannot be
// represented in version 1).
void EncodeValue(const Entry& e, std::string* out);

// A new Entry (caller owns; Entry::Free) holding key, the value that `value` encodes for `type`
// and expire_ms (kNoExpire: none), built through the same object APIs the commands use (RPUSH,
// HSET, SADD, ZADD on a new key), so the encoding (OBJECT ENCODING) follows the current
// storage::Limits() as if the collection had been built by commands. The entry's epoch is left
// at kEpochUnmarked (Shard::InstallLoaded sets it). On a malformed value (see above), an unknown
// type or a string longer than kMaxStringLen: nullptr and a message in *error. The whole value
// is validated before anything is allocated, and memory is never sized from n alone.
Entry* DecodeEntry(std::string_view key, ObjType type, std::string_view value, int64_t expire_ms,
                   std::string* error);

}  // namespace strata::storage
