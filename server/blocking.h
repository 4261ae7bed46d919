// Clients blocked in BLPOP, BLMOVE, BZPOPMIN and friends, across worker threads.
//
// A blocking handler that finds nothing registers its client here while it still holds the
// shard locks of its keys (Connection::Block), so no push can fall between "empty" and
// "waiting". A write that changed one of those keys (the dispatcher lists it in
// Effects::ready) makes its caller call ServeKey once the write's locks are gone: the blocked
// clients of that key are served first come, first served, by running each one's command
// again through the writer's thread's dispatcher (Mode::kServeBlocked, ctx.serving_blocked),
// which logs it and signals its written keys like any command (WATCHers of BLMOVE's
// destination, clients blocked there); the reply bytes are posted to the blocked client's own
// worker (Worker::Post), which sends them and resumes the client. A timeout or a disconnect
// races a serve for the same client; BlockedClient::mu decides which one happens.
//
// Lock order: BlockedClient::mu -> shard locks -> BlockingRegistry::mu_.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/command.h"

namespace strata::server {

class Server;
class Worker;
class Dispatcher;

struct BlockedClient {
  Worker* worker = nullptr;  // the client's own worker
  uint64_t client_id = 0;
  size_t db = 0;
  int resp = 2;
  const cmd::CommandSpec* spec = nullptr;
  std::vector<std::string> args;  // the blocked command, to run again
  std::vector<std::string> keys;
  int64_t deadline_ms = 0;        // 0: no timeout
  cmd::TimeoutReply on_timeout = cmd::TimeoutReply::kNullArray;

  std::mutex mu;      // held while serving, timing out or cancelling this client
  bool done = false;  // guarded by mu: served, timed out or cancelled
};

class BlockingRegistry {
 public:
  // Caller holds the shard locks of bc->keys.
  void Add(const std::shared_ptr<BlockedClient>& bc);
  // Caller holds bc->mu.
  void Remove(const BlockedClient& bc);
  bool HasWaiters(size_t db, std::string_view key);
  bool empty() const { return blocked_.load(std::memory_order_relaxed) == 0; }
  size_t blocked_clients() const { return blocked_.load(std::memory_order_relaxed); }

  // Serves the clients blocked on (db, key) in arrival order until a pop cannot be served
  // (stream readers that cannot be served, cmd::kServedEach, are passed over). Runs on the
  // writer's thread, through its dispatcher, with no shard lock held.
  void ServeKey(Dispatcher* dispatcher, size_t db, const std::string& key, int depth = 0);

 private:
  static std::string MapKey(size_t db, std::string_view key);

  std::mutex mu_;
  std::unordered_map<std::string, std::deque<std::shared_ptr<BlockedClient>>> map_;
  std::atomic<size_t> blocked_{0};
};

}  // namespace strata::server
