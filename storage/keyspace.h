// The keyspace: `databases` databases, each split into `shards` shards by key hash. Each shard
// has its own lock, hash table and expiry bookkeeping, so worker threads touching different
// shards never contend.
//
// Locking contract: every Shard method below requires the caller to hold shard.mu. Commands get
// their shards locked by the dispatcher (server/dispatcher.h) before their handler runs, through
// a LockSet (several shards, locked in ascending order, so any two commands lock in the same
// order and cannot deadlock); other code locks with ShardLock. Entries returned are valid only
// while that lock is held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <atomic>
#include <mutex>
#include <string_view>
#include <vector>
#include <algorithm>

#include "storage/dict.h"
#include "storage/entry.h"
#include "storage/lazyfree.h"

namespace strata::storage {

struct ShardTier;   // storage/tier.h
struct TierShared;
class LockSet;

struct KeyspaceStats {
  uint64_t expired_keys = 0;   // removed because their TTL passed (lazily or actively)
};

class Shard {
 public:
  // Timed: a command waiting for a shard that a busy script holds gives up (LockUnlessBusy).
  std::timed_mutex mu;
  // Set while a script past busy-reply-threshold holds this shard: why waiters give up
  // (server/scripting.h, "Time limit"). Written by the holder, read by waiters.
  enum Busy : uint8_t { kNotBusy = 0, kBusyEval = 1, kBusyFunction = 2 };
  std::atomic<uint8_t> busy{kNotBusy};
  // Position in the keyspace: database * shards + index (set by Keyspace).
  size_t id = 0;
  // Backing tier state (storage/tier.h); null without a backend. Owned by the Keyspace.
  ShardTier* tier = nullptr;
  // Where deleted values are freed (storage/lazyfree.h); null: right here. Owned by the Keyspace.
  LazyFree* lazyfree = nullptr;

  // The live entry for key, or nullptr. An expired entry is deleted on the way (lazy expiry).
  // kTouch counts as an access for eviction (LRU clock, LFU counter); EXISTS, TYPE, TTL and
  // OBJECT look with kNoTouch (Redis's LOOKUP_NOTOUCH).
  enum class Lookup : uint8_t { kTouch, kNoTouch };
  Entry* Find(std::string_view key, uint64_t hash, int64_t now_ms, Lookup how = Lookup::kTouch);
  // Inserts e, replacing and freeing any entry with the same key. Takes ownership. A key that
  // was only in the backend is in memory from then on.
  void Put(Entry* e, uint64_t hash);
  // Puts new_e in place of old_e (same key, e.g. a string that outgrew its block); frees old_e.
  void Replace(Entry* old_e, Entry* new_e, uint64_t hash);
  // Deletes key if present (expired or not); true if a live key was deleted. `why` picks the
  // lazyfree-lazy-* setting that says whether a big value is freed on the freeing thread.
  bool Erase(std::string_view key, uint64_t hash, int64_t now_ms,
             LazyFree::Reason why = LazyFree::kServerDel);
  // Removes and returns an entry without freeing it (RENAME/MOVE); nullptr if absent or expired.
  Entry* Take(std::string_view key, uint64_t hash, int64_t now_ms);
  void SetExpire(Entry* e, int64_t expire_ms);

  // ---- backing tier (no-ops without one; storage/tier.h) ----
  // After a write that may have changed key: marks it dirty in the current epoch.
  void MarkWritten(std::string_view key, uint64_t hash) {
    if (tier != nullptr) MarkDirty(key, hash);
  }
  // True if key is not in memory but the backend may hold it (a read-through is needed).
  bool NeedsLoad(std::string_view key, uint64_t hash, int64_t now_ms);
  // Keys of this shard that are only in the backend (DBSIZE counts them).
  uint64_t BackendOnly() const;
  // The key is not in memory but listed in the index: only in the backend (not deleted since).
  bool OnlyInBackend(std::string_view key, uint64_t hash) const;
  // The entry's value is in the backend as it is (written by a committed checkpoint, or read
  // from it). False without a backend.
  bool Clean(const Entry* e) const;
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

  // A table resize in progress moves up to `buckets` more buckets, or a sparse table starts to
  // shrink (the workers' cron, Redis's activerehashing); returns whether one is in progress.
  bool Rehash(size_t buckets) { return dict_.Rehash(buckets); }

  // Deletes every key; `async`: the entries are freed on the freeing thread (FLUSHALL ASYNC).
  void Clear(bool async = false);
  size_t size() const { return dict_.size(); }
  size_t volatile_keys() const { return volatile_keys_; }
  const Dict& dict() const { return dict_; }
  const KeyspaceStats& stats() const { return stats_; }

 private:
  void Unaccount(const Entry* e);
  void Drop(Entry* e, LazyFree::Reason why) {  // frees an entry already out of the table
    if (lazyfree != nullptr)
      lazyfree->Free(e, why);
    else
      Entry::Free(e);
  }
  void MarkDirty(std::string_view key, uint64_t hash);
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

  // Whole-database helpers: each locks the shards in ascending order itself, skipping those
  // `held` holds (a command that holds the database already).
  size_t Size(const LockSet* held = nullptr);  // keys in memory plus keys only in the backend
  size_t VolatileSize(const LockSet* held = nullptr);
  uint64_t BackendOnly(const LockSet* held = nullptr);
  void Flush(const LockSet* held = nullptr, bool async = false);

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
  void FlushAll(const LockSet* held = nullptr, bool async = false);
  uint64_t ExpiredKeys(const LockSet* held = nullptr);
  // Gives every shard its backing-tier state (start-up, before any command).
  void EnableTier(TierShared* shared);
  bool tiered() const { return !tiers_.empty(); }
  LazyFree& lazyfree() { return lazyfree_; }

 private:
  LazyFree lazyfree_;  // first: destroyed last, after every shard
  size_t num_shards_;
  std::vector<std::unique_ptr<Db>> dbs_;
  std::vector<std::unique_ptr<ShardTier>> tiers_;
};

// Lock and unlock one shard. Locking captures the shard first if a checkpoint's instant
// passed and it is not captured yet (copy-on-write at shard granularity, storage/tier.h).
void CaptureShard(Shard* s);  // storage/tier.h
bool CapturePending(const Shard* s);
inline void AfterLockShard(Shard* s) {  // a checkpoint capture waiting for this shard
  if (s->tier != nullptr && CapturePending(s)) CaptureShard(s);
}
inline void LockShard(Shard* s) {
  s->mu.lock();
  AfterLockShard(s);
}
inline void UnlockShard(Shard* s) { s->mu.unlock(); }
inline bool TryLockShard(Shard* s) {
  if (!s->mu.try_lock()) return false;
  AfterLockShard(s);
  return true;
}

// The shards one command (or one transaction, or one script) holds. Add what is needed, then
// Lock() takes them in the global order (Shard::id: database, then shard index), each once, so
// any two lockers wait on each other in the same order and cannot deadlock; Unlock() releases
// in reverse (the destructor too). A script that must take one more shard while it holds
// others (a key it did not declare) never waits out of order: TryAdd, or TryAddFor with a short
// deadline, after which it gives up (server/scripting.cc). Whoever runs under a LockSet and
// must lock more on the same thread passes it to ShardLock, which skips the shards it holds
// (std::mutex is not recursive).
// Thread: one thread, for as long as it holds the shards.
class LockSet {
 public:
  LockSet() = default;
  ~LockSet() { Unlock(); }
  LockSet(const LockSet&) = delete;
  LockSet& operator=(const LockSet&) = delete;

  void Add(Shard* s) { shards_.push_back(s); }
  void AddDb(Db& db);         // every shard of one database
  void AddAll(Keyspace& ks);  // every shard
  // Once, after the last Add (or again after Unlock, with more added).
  void Lock() {
    if (shards_.size() > 1) SortUnique();
    for (Shard* s : shards_) LockShard(s);
    locked_ = true;
  }
  // Lock(), except that it gives up, taking nothing, where the shard it waits for is held by a
  // busy script (Shard::busy): false, *why = that script's kind. Commands of a client use it,
  // so they answer -BUSY instead of waiting for a script that may never end.
  bool LockUnlessBusy(uint8_t* why) {
    if (shards_.size() == 1 && TryLockShard(shards_[0])) {  // most commands: one free shard
      locked_ = true;
      return true;
    }
    return LockUnlessBusySlow(why);
  }
  // While locked: takes s as well if no other thread holds it (true), without waiting.
  bool TryAdd(Shard* s);
  // While locked: takes s as well if it becomes free within `ms` milliseconds (polling, never
  // blocking: its holder may be waiting for a shard of this set).
  bool TryAddFor(Shard* s, int ms);
  // Releases what Lock took; Clear() then makes the set reusable.
  void Unlock() {
    if (!locked_) return;
    for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) UnlockShard(*it);
    locked_ = false;
  }
  void Clear() {
    Unlock();
    shards_.clear();
  }
  bool Holds(const Shard* s) const {
    if (!locked_) return false;
    if (shards_.size() == 1) return shards_[0] == s;
    return HoldsSorted(s);
  }
  bool locked() const { return locked_; }
  bool empty() const { return shards_.empty(); }
  const std::vector<Shard*>& shards() const { return shards_; }  // ascending once locked

 private:
  void SortUnique();
  bool LockUnlessBusySlow(uint8_t* why);
  void InsertSorted(Shard* s);    // a shard just taken
  bool HoldsSorted(const Shard* s) const;

  std::vector<Shard*> shards_;
  bool locked_ = false;
};

// Locks one shard for a scope, unless `held` (the caller's LockSet, if any) holds it already.
class ShardLock {
 public:
  explicit ShardLock(Shard* s, const LockSet* held = nullptr)
      : shard_(held != nullptr && held->Holds(s) ? nullptr : s) {
    if (shard_ != nullptr) LockShard(shard_);
  }
  explicit ShardLock(const KeyRef& k, const LockSet* held = nullptr) : ShardLock(k.shard, held) {}
  ~ShardLock() {
    if (shard_ != nullptr) UnlockShard(shard_);
  }
  ShardLock(const ShardLock&) = delete;
  ShardLock& operator=(const ShardLock&) = delete;

 private:
  Shard* shard_;
};

}  // namespace strata::storage
