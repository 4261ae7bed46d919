// MULTI/EXEC/WATCH: the watched-keys registry shared by all workers, and the per-connection
// transaction state.
//
// WATCH: a client registers (db, key) while holding that key's shard lock. A write command that
// changed something (ctx.dirty > 0) marks the watchers of its keys while it still holds the
// shard lock (storage::tl_release_hook), so an EXEC that locks the shard afterwards is sure to
// see the mark: no window where a change is visible but not yet signalled.
// EXEC: locks every shard its queued commands (and its watched keys) touch, in the global
// order, checks the marks and TTLs of watched keys, then runs the queue with those shards held
// (storage::tl_held_shards): no other client sees part of a transaction. Commands whose keys
// cannot be known in advance make EXEC lock every shard, as Redis blocks everything while it
// runs a transaction.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/command.h"

namespace strata::server {

// One client's WATCH state. Owned by its connection; the registry holds pointers until
// UnwatchAll.
struct WatchState {
  struct Key {
    size_t db;
    std::string key;
    int64_t expire_ms;  // TTL the key had at WATCH time (storage::kNoExpire if none or absent)
  };
  std::atomic<bool> dirty{false};  // a watched key changed (set by any thread)
  std::vector<Key> keys;
};

class WatchRegistry {
 public:
  // Caller holds the key's shard lock.
  void Watch(size_t db, std::string_view key, WatchState* w);
  void UnwatchAll(WatchState* w);
  // Marks every watcher of (db, key); cheap when nobody watches anything.
  void Touch(size_t db, std::string_view key);
  void TouchDb(size_t db);  // FLUSHDB
  void TouchAll();          // FLUSHALL
  bool empty() const { return watched_keys_.load(std::memory_order_relaxed) == 0; }

 private:
  static std::string MapKey(size_t db, std::string_view key);

  std::mutex mu_;
  std::unordered_map<std::string, std::vector<WatchState*>> map_;  // "db:key" -> watchers
  std::atomic<size_t> watched_keys_{0};
};

// A queued command: its spec (resolved at queue time) and a copy of its arguments.
struct QueuedCommand {
  const cmd::CommandSpec* spec;
  std::vector<std::string> args;
};

// MULTI EXEC DISCARD WATCH UNWATCH RESET (server/transaction.cc).
void RegisterTransactionFamily(cmd::CommandRegistry& r);

}  // namespace strata::server
