// MULTI/EXEC/WATCH: the watched-keys registry shared by all workers, a connection's transaction
// state, and the transaction commands (server/transaction.cc).
//
// MULTI: the dispatcher queues a client's commands into its Transaction (checked as they are
// queued: an unknown command, a wrong arity or a refusal makes EXEC answer EXECABORT).
// EXEC is the one command that runs other commands: it computes every shard its queued commands
// touch (following SELECT) plus the shards of its watched keys, locks them in the global order,
// reads through the keys only in the backend and answers the backend queries of queued KEYS/
// SCAN/RANDOMKEY before anything runs (EXEC waits and starts again; nothing has run or been
// replied), checks the WATCHes, then runs the queue through the dispatcher in nested mode under
// those locks and logs it as one WAL record. No other client sees part of a transaction. Every
// refusal of EXEC discards the transaction (Redis's execCommandAbort).
//
// WATCH: a client registers (db, key) while holding that key's shard lock. A write command that
// changed something marks the watchers of its written keys while it still holds their shard
// locks (the dispatcher), so an EXEC that locks the shard afterwards is sure to see the mark: no
// window where a change is visible but not yet signalled. A flush marks the watchers of the keys
// that existed (as Redis: a watched key that did not exist is not touched by FLUSHALL).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
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
  // FLUSHDB (db) / FLUSHALL (every db, db == SIZE_MAX): marks the watchers of the watched keys
  // for which existed(db, key) is true. Caller holds the shards of those databases.
  void TouchFlushed(size_t db, const std::function<bool(size_t db, std::string_view key)>& existed);
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

// One connection's transaction. Loop thread of the connection only (the WATCH marks are the
// atomic in WatchState).
struct Transaction {
  bool active = false;        // between MULTI and EXEC / DISCARD
  bool failed = false;        // a command was refused while queueing: EXEC aborts
  uint32_t queued_flags = 0;  // the union of the queued commands' flags
  std::vector<QueuedCommand> queue;
  WatchState watch;

  void Add(const cmd::CommandSpec& spec, const std::string_view* argv, size_t argc) {
    queue.push_back({&spec, std::vector<std::string>(argv, argv + argc)});
    queued_flags |= spec.flags;
  }
  // Leaves MULTI (the WATCHes stay: see Discard in transaction.cc).
  void Reset() {
    active = failed = false;
    queued_flags = 0;
    queue.clear();
  }
};

// Redis's execCommandAbort: EXEC refused (by the dispatcher or by EXEC itself) answers
// -EXECABORT with the reason, in MULTI or not, and the transaction and its WATCHes are gone.
void AbortExec(cmd::CommandContext& ctx, std::string_view why);

// MULTI EXEC DISCARD WATCH UNWATCH RESET (server/transaction.cc).
void RegisterTransactionFamily(cmd::CommandRegistry& r);

}  // namespace strata::server
