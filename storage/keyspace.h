// The keyspace: `databases` databases, each split into `shards` shards by key hash. Each shard
// has its own lock, hash table and expiry bookkeeping, so worker threads touching different
// shards never contend.
//
// Locking contract: every Shard method below requires the caller to hold shard.mu. Commands take
// it through ShardLock (one key) or MultiShardLock (several keys, locked in ascending shard index
// order, so any two commands lock in the same order and cannot deadlock). Entries returned are
// valid only while that lock is held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>
#include <algorithm>

#include "storage/dict.h"
#include "storage/entry.h"

namespace strata::storage {

struct ShardTier;   // storage/tier.h
struct TierShared;

struct KeyspaceStats {
  uint64_t expired_keys = 0;   // removed because their TTL passed (lazily or actively)
};

class Shard {
 public:
  std::mutex mu;
  // Position in the keyspace: database * shards + index (set by Keyspace).
  size_t id = 0;
  // Backing tier state (storage/tier.h); null without a backend. Owned by the Keyspace.
  ShardTier* tier = nullptr;

  // The live entry for key, or nullptr. An expired entry is deleted on the way (lazy expiry).
  Entry* Find(std::string_view key, uint64_t hash, int64_t now_ms);
  // Inserts e, replacing and freeing any entry with the same key. Takes ownership.
  void Put(Entry* e, uint64_t hash);
  // Puts new_e in place of old_e (same key, e.g. a string that outgrew its block); frees old_e.
  void Replace(Entry* old_e, Entry* new_e, uint64_t hash);
  // Deletes key if present (expired or not); true if a live key was deleted.
  bool Erase(std::string_view key, uint64_t hash, int64_t now_ms);
  // Removes and returns an entry without freeing it (RENAME/MOVE); nullptr if absent or expired.
  Entry* Take(std::string_view key, uint64_t hash, int64_t now_ms);
  void SetExpire(Entry* e, int64_t expire_ms);

  // ---- backing tier (no-ops without one; storage/tier.h) ----
  // After a write that may have changed key: marks it dirty in the current epoch.
  void MarkWritten(std::string_view key, uint64_t hash);
  // True if key is not in memory but the backend may hold it (a read-through is needed).
  bool NeedsLoad(std::string_view key, uint64_t hash, int64_t now_ms);
  // Read-through result: installs e (clean) unless the key is in memory meanwhile or no longer
  // in the index (deleted meanwhile); frees e otherwise. True if installed.
  bool InstallLoaded(Entry* e, uint64_t hash);
  // Read-through found no live row: the key is not in the backend after all.
  void ForgetLoaded(uint64_t hash);
  // Eviction: drops a clean entry from memory only (the backend keeps it). Without a backend,
  // the same as deleting it.
  void Evict(Entry* e);

  // Active expiry (Redis's sampling idea over a sweep cursor): walks buckets from where the last
  // step stopped until `want_volatile` keys with a TTL were seen or `max_buckets` buckets were
  // walked, deleting the expired ones. Returns {volatile keys seen, expired deleted}.
  std::pair<size_t, size_t> ExpireStep(int64_t now_ms, size_t want_volatile, size_t max_buckets);

  void Clear();
  size_t size() const { return dict_.size(); }
  size_t volatile_keys() const { return volatile_keys_; }
  const Dict& dict() const { return dict_; }
  const KeyspaceStats& stats() const { return stats_; }

 private:
  void Unaccount(const Entry* e);
  void OnMiss(std::string_view key, uint64_t hash);  // tier: collect a read-through
  void OnDeleted(std::string_view key, uint64_t hash);  // tier: the key left memory for good

  Dict dict_;
  size_t volatile_keys_ = 0;
  uint64_t expire_cursor_ = 0;
  KeyspaceStats stats_;
};

// A key with its hash and shard, computed once per command.
struct KeyRef {
  std::string_view key;
  uint64_t hash;
  Shard* shard;
  size_t shard_index;
};

class Db {
 public:
  explicit Db(size_t num_shards);
  KeyRef Ref(std::string_view key);
  size_t num_shards() const { return shards_.size(); }
  Shard& shard(size_t i) { return *shards_[i]; }
  size_t ShardIndex(uint64_t hash) const { return (hash >> 40) % shards_.size(); }

  // Whole-database helpers; each locks every shard in ascending order itself.
  size_t Size();
  size_t VolatileSize();
  void Flush();

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
};

class Keyspace {
 public:
  Keyspace(size_t num_dbs, size_t num_shards);
  ~Keyspace();
  size_t num_dbs() const { return dbs_.size(); }
  size_t num_shards() const { return num_shards_; }
  Db& db(size_t i) { return *dbs_[i]; }
  void FlushAll();
  uint64_t ExpiredKeys();
  // Gives every shard its backing-tier state (start-up, before any command).
  void EnableTier(TierShared* shared);
  bool tiered() const { return !tiers_.empty(); }

 private:
  size_t num_shards_;
  std::vector<std::unique_ptr<Db>> dbs_;
  std::vector<std::unique_ptr<ShardTier>> tiers_;
};

// Transactions and watched keys hook into shard locking through two thread-local pointers,
// so command handlers lock the same way inside and outside EXEC:
//  - tl_held_shards: the shards an EXEC on this thread already holds. Locking one of them again
//    is skipped (std::mutex is not recursive).
//  - tl_release_hook: called for each shard a command releases, while it is still locked, so
//    WATCHed keys are marked modified before any other thread can observe the change.
struct HeldShards {
  bool all = false;                 // every shard of every database
  const Shard* one = nullptr;       // a single shard (the common case: a one-key command)
  std::vector<const Shard*> shards;  // otherwise: sorted by address
  bool Holds(const Shard* s) const;
};
extern thread_local const HeldShards* tl_held_shards;

class ReleaseHook {
 public:
  virtual ~ReleaseHook() = default;
  virtual void OnRelease(const Shard* s) = 0;
};
extern thread_local ReleaseHook* tl_release_hook;

// Called right after this thread locked a shard (not for shards it already held): the WAL's
// rewrite captures a shard there before a write can change it (server/persistence.h).
class AcquireHook {
 public:
  virtual ~AcquireHook() = default;
  virtual void OnAcquire(Shard* s) = 0;
};
extern thread_local AcquireHook* tl_acquire_hook;

// A key's hash computed once per command: the WAL's dispatcher hashes a command's key to lock
// its shard, then the handler asks Db::Ref for the same argument again. While a command runs,
// tl_key_hash remembers (argument bytes, hash) so the second Ref does not hash again. Only set
// around one command (the argument's bytes cannot change meanwhile), cleared after it.
struct KeyHashMemo {
  const char* data = nullptr;
  size_t size = 0;
  uint64_t hash = 0;
};
extern thread_local KeyHashMemo tl_key_hash;

// Lookups that must not count as an access for eviction (EXISTS, TYPE, TTL, OBJECT: Redis's
// LOOKUP_NOTOUCH): a handler sets it for its lookups with NoTouch.
extern thread_local bool tl_no_touch;
class NoTouch {
 public:
  NoTouch() { tl_no_touch = true; }
  ~NoTouch() { tl_no_touch = false; }
  NoTouch(const NoTouch&) = delete;
  NoTouch& operator=(const NoTouch&) = delete;
};

// Lock and unlock one shard, honouring the two hooks above.
void LockShard(Shard* s);
void UnlockShard(Shard* s);

// Locks the shard of one key (or one shard).
class ShardLock {
 public:
  explicit ShardLock(const KeyRef& k) : ShardLock(k.shard) {}
  explicit ShardLock(Shard* s) : shard_(s) { LockShard(s); }
  ~ShardLock() { UnlockShard(shard_); }
  ShardLock(const ShardLock&) = delete;
  ShardLock& operator=(const ShardLock&) = delete;

 private:
  Shard* shard_;
};

// Locks the shards of several keys, possibly in different databases, ascending by
// (database, shard index); each shard once.
class MultiShardLock {
 public:
  MultiShardLock() = default;
  void Add(size_t db_index, const KeyRef& k) { wanted_.push_back({db_index, k.shard_index, k.shard}); }
  void AddShard(size_t db_index, size_t shard_index, Shard* s) {
    wanted_.push_back({db_index, shard_index, s});
  }
  void LockAll();  // call once, after the last Add
  const std::vector<Shard*>& locked() const { return locked_; }
  ~MultiShardLock();
  MultiShardLock(const MultiShardLock&) = delete;
  MultiShardLock& operator=(const MultiShardLock&) = delete;

 private:
  struct Want { size_t db; size_t index; Shard* shard; };
  std::vector<Want> wanted_;
  std::vector<Shard*> locked_;
};

}  // namespace strata::storage
