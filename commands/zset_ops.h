// Pure sorted-set operations on the keyspace, shared by the sorted-set commands (ZPOPMIN,
// ZPOPMAX, ZMPOP) and the blocking ones built on them (BZPOPMIN, BZPOPMAX, BZMPOP).
//
// Locking contract: the caller already holds the shard lock of every key it passes (ShardLock
// for one key, MultiShardLock for several: Add all, LockAll, then call), for the whole call and
// for as long as it uses what the call returned. These functions never lock, never block and
// write no reply; they add nothing to ctx.dirty (the caller adds the count they report).
// A sorted set that becomes empty is deleted from its shard, as in Redis; a missing key reads as
// an empty sorted set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "storage/keyspace.h"
#include "storage/zset_object.h"

namespace strata::cmd::zset_ops {

enum class Status : uint8_t {
  kOk,         // done (for Pop: at least one element was taken)
  kEmpty,      // the key does not exist (sorted sets are never stored empty)
  kWrongType,  // the key holds another type: reply err::kWrongType
};

enum class Where : uint8_t { kMin, kMax };  // lowest scores first (ZPOPMIN) / highest first

// The sorted set stored at k, or nullptr with *status kEmpty / kWrongType. Expired keys are
// deleted on the way (Shard::Find).
storage::ZSetObject* FindZSet(const storage::KeyRef& k, int64_t now_ms, Status* status);

// Pops up to `count` (>= 1) members from the `where` end of the sorted set at k, in pop order
// (kMin: ascending scores; kMax: descending), appending (member, score) pairs to *out; deletes
// the key when it empties. kEmpty: missing key, nothing popped. kWrongType: not a sorted set,
// nothing popped. Serves ZPOPMIN/ZPOPMAX, ZMPOP, BZPOPMIN/BZPOPMAX (count 1) and BZMPOP.
//
// Replies, for whoever writes them (Redis 7.0): scores are doubles (ReplyWriter::Double);
// BZPOPMIN/BZPOPMAX reply a flat [key, member, score] array in RESP2 and RESP3 alike;
// BZMPOP/ZMPOP reply [key, [[member, score], ...]] (nested in both protocols).
Status Pop(const storage::KeyRef& k, int64_t now_ms, Where where, size_t count,
           std::vector<std::pair<std::string, double>>* out);

}  // namespace strata::cmd::zset_ops
