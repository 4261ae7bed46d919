// What a shard keeps for the backing tier (server/tiering.h), when a backend is configured.
//
// Clean and dirty. Checkpoints are numbered by epoch. Every write marks its key with the current
// epoch (Entry::epoch) and, the first time in an epoch, appends the key to the shard's `dirty`
// list. A checkpoint starts with an instant at which every shard is locked: each shard's dirty
// list becomes its capture list, the epoch advances, and the WAL's last LSN is the checkpoint's
// LSN. Each shard is then captured (its listed keys encoded as rows, or as deletions when gone)
// exactly as of that instant: by the checkpointer, or, copy-on-write, by whichever thread locks
// the shard first (LockShard calls CaptureShard), so no write after the instant can reach a
// shard before it is captured. Once the rows are committed, `committed` becomes the
// checkpoint's epoch: an entry whose epoch is at or below it is clean (its value is in the
// backend) and may be evicted; 0 marks entries loaded from the backend.
//
// The key index. `index` holds the hashes of keys the backend may hold that a read must not
// treat as absent: every key the backend had at start-up, and every key a checkpoint wrote.
// A key deleted in memory leaves the index at once (so a miss never resurrects the backend's
// stale row), an evicted key stays. A miss on a key whose hash is in the index is a read-through
// (the command waits for the backend); any other miss is answered from memory. 64-bit hashes:
// about 9-18 bytes per key (abseil flat_hash_set), and a false "maybe" costs one round trip.
//
// Thread: everything here is guarded by the shard's lock, except TierShared's atomics.
#pragma once

#include <absl/container/flat_hash_set.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/stored_row.h"

namespace strata::storage {

class Shard;

// Shared by every shard's tier state.
struct TierShared {
  std::atomic<uint32_t> epoch{1};      // marks writes; advanced at each checkpoint's instant
  std::atomic<uint32_t> committed{0};  // the last epoch wholly in the backend
  uint64_t capture_lsn = 0;            // the running checkpoint's LSN (set at its instant)
  int64_t capture_ms = 0;              // its wall clock: keys expired by then are deletions
};

struct ShardTier {
  TierShared* shared = nullptr;
  uint32_t db = 0;
  absl::flat_hash_set<uint64_t> index;
  std::vector<std::string> dirty;     // written since the last instant (may repeat a key)
  bool flushed = false;               // FLUSHDB/FLUSHALL since the last instant
  // Keys only in the backend: the index's keys that are not in memory (DBSIZE counts them).
  // Kept exact: +1 when a key is evicted or indexed at start-up, -1 when one comes back
  // (read through, or created by a blind write: Shard::Put) or is found not to exist.
  uint64_t evicted = 0;

  // The running checkpoint.
  std::vector<std::string> capture_keys;  // this shard's dirty list as of the instant
  bool capture_flushed = false;           // the database was flushed before the instant
  bool capture_pending = false;           // not captured yet
  std::vector<StoredRow> rows;         // captured upserts, waiting for the checkpointer
  std::vector<std::string> deletes;       // captured deletions

  bool Clean(uint32_t entry_epoch) const {
    return entry_epoch <= shared->committed.load(std::memory_order_acquire);
  }
};

// A key to read through from the backend before a command can run (server/tiering.h Load).
struct TierMiss {
  Shard* shard;
  uint64_t hash;
  std::string key;
};

// Encodes the shard's capture list into rows/deletes and clears capture_pending. Caller holds
// the shard's lock. Called from LockShard when capture_pending is set.
void CaptureShard(Shard* s);

}  // namespace strata::storage
