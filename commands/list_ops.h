// Pure list operations on the keyspace, shared by the list commands (LPOP, LMPOP, LMOVE, ...)
// and the blocking ones built on them (BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH).
//
// Locking contract: the caller already holds the shard lock of every key it passes (ShardLock
// for one key, MultiShardLock for several: Add all, LockAll, then call), for the whole call and
// for as long as it uses what the call returned. These functions never lock, never block and
// write no reply; they add nothing to ctx.dirty (the caller adds the count they report).
// A list that becomes empty is deleted from its shard, as in Redis; a missing key reads as an
// empty list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/keyspace.h"
#include "storage/list_object.h"

namespace strata::cmd::list_ops {

enum class End : uint8_t { kLeft, kRight };  // LEFT = head (LPOP/LPUSH), RIGHT = tail

enum class Status : uint8_t {
  kOk,         // done (for Pop/Move: at least one element was taken)
  kEmpty,      // the key does not exist (lists are never stored empty)
  kWrongType,  // the key holds another type: reply err::kWrongType
};

// The list stored at k, or nullptr with *status kEmpty / kWrongType. Expired keys are deleted on
// the way (Shard::Find).
storage::ListObject* FindList(const storage::KeyRef& k, int64_t now_ms, Status* status);

// The list at k, created empty (and stored) if the key is missing; nullptr if the key holds
// another type. The caller must push at least one element before releasing the lock.
storage::ListObject* FindOrCreateList(const storage::KeyRef& k, int64_t now_ms, Status* status);

// Deletes the key k if its list is empty (after pops or removals).
void EraseIfEmpty(const storage::KeyRef& k, storage::ListObject* list, int64_t now_ms);

// Pops up to `count` (>= 1) elements from `end` of the list at k, in pop order (for kRight: last
// element first, like RPOP key count), appending them to *out; deletes the key when it empties.
// kEmpty: missing key, nothing popped. kWrongType: not a list, nothing popped.
// Serves LPOP/RPOP count, LMPOP, BLPOP/BRPOP (count 1) and BLMPOP.
Status Pop(const storage::KeyRef& k, int64_t now_ms, End end, size_t count,
           std::vector<std::string>* out);

// LMOVE semantics: pops one element from `from` of src and pushes it at `to` of dst, creating
// dst if missing; src == dst is allowed (rotation). Both keys' shards must be locked.
// kEmpty: src is missing, nothing changed (reply null). kWrongType: src, or (when src has
// elements) dst, holds another type; nothing changed. On kOk *moved holds the element.
// Serves LMOVE, RPOPLPUSH, BLMOVE and BRPOPLPUSH.
Status Move(const storage::KeyRef& src, const storage::KeyRef& dst, int64_t now_ms, End from,
            End to, std::string* moved);

}  // namespace strata::cmd::list_ops
