// Blocked clients: registration, FIFO serving from the writer's thread, hand-off of the reply.
#include "server/blocking.h"

#include "common/buffer.h"
#include "protocol/reply_writer.h"
#include "server/connection.h"
#include "server/dispatcher.h"
#include "server/server.h"
#include "server/tiering.h"
#include "server/worker.h"

namespace strata::server {

std::string BlockingRegistry::MapKey(size_t db, std::string_view key) {
  std::string k = std::to_string(db);
  k += ':';
  k.append(key);
  return k;
}

void BlockingRegistry::Add(const std::shared_ptr<BlockedClient>& bc) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& key : bc->keys) {
    auto& q = map_[MapKey(bc->db, key)];
    bool dup = false;
    for (auto& x : q) dup |= x == bc;  // BLPOP k k: queue once per key
    if (!dup) q.push_back(bc);
  }
  blocked_.fetch_add(1, std::memory_order_relaxed);
}

void BlockingRegistry::Remove(const BlockedClient& bc) {
  std::lock_guard<std::mutex> lock(mu_);
  bool found = false;
  for (const std::string& key : bc.keys) {
    auto it = map_.find(MapKey(bc.db, key));
    if (it == map_.end()) continue;
    auto& q = it->second;
    for (auto qi = q.begin(); qi != q.end(); ++qi) {
      if (qi->get() == &bc) {
        q.erase(qi);
        found = true;
        break;
      }
    }
    if (q.empty()) map_.erase(it);
  }
  if (found) blocked_.fetch_sub(1, std::memory_order_relaxed);
}

bool BlockingRegistry::HasWaiters(size_t db, std::string_view key) {
  if (empty()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return map_.count(MapKey(db, key)) != 0;
}

void BlockingRegistry::ServeKey(Dispatcher* dispatcher, size_t db, const std::string& key,
                                int depth) {
  Server* server = dispatcher->parts().server;
  std::vector<ReadyKey> chained;  // keys the served commands wrote to (BLMOVE's target)
  std::vector<std::shared_ptr<BlockedClient>> waiters;  // in arrival order
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(MapKey(db, key));
    if (it != map_.end()) waiters.assign(it->second.begin(), it->second.end());
  }
  for (const std::shared_ptr<BlockedClient>& bc : waiters) {
    std::lock_guard<std::mutex> claim(bc->mu);
    if (bc->done) continue;  // finished by another thread a moment ago; it is leaving the queue
    // Run the blocked command again, as the blocked client, into a reply of its own.
    Buffer out;
    protocol::ReplyWriter writer(&out);
    writer.set_resp3(bc->resp == 3);
    cmd::ClientState client;
    client.id = bc->client_id;
    client.db_index = bc->db;
    client.resp = bc->resp;
    std::vector<std::string_view> argv(bc->args.begin(), bc->args.end());
    cmd::CommandContext ctx;
    ctx.argv = argv.data();
    ctx.argc = argv.size();
    ctx.spec = bc->spec;
    ctx.out = &writer;
    ctx.client = &client;
    ctx.keyspace = &server->keyspace();
    ctx.server = server;
    ctx.registry = &server->registry();
    ctx.now_ms = NowMs();
    ctx.serving_blocked = true;
    Effects fx;
    if (!dispatcher->Run(ctx, Mode::kServeBlocked, &fx)) {
      // A key of the command (BLMOVE's destination) is only in the backend: load it on the
      // client's loop, then serve this key again. Everyone behind keeps waiting.
      bc->worker->Post([server, db, key, misses = std::move(fx.park.misses)](Worker& w) mutable {
        server->tiering()->Load(w.loop(), std::move(misses),
                                [&w, db, key](bool, const std::string&) {
                                  w.server()->blocking().ServeKey(&w.dispatcher(), db, key);
                                });
      });
      break;
    }
    if (ctx.not_served) {
      // A pop found the data gone again (or of another type): everyone behind waits on. A
      // stream reader only had nothing after its own ID or group: the next may still be served.
      if (bc->spec->flags & cmd::kServedEach) continue;
      break;
    }
    bc->done = true;
    Remove(*bc);
    for (ReadyKey& k : fx.ready)
      if (k.db != db || k.key != key) chained.push_back(std::move(k));
    std::string reply(out.ReadPtr(), out.ReadableBytes());
    uint64_t id = bc->client_id;
    bc->worker->Post([id, wait_lsn = fx.wait_lsn, reply = std::move(reply)](Worker& w) {
      if (Connection* c = w.FindClient(id)) c->Unblock(reply, wait_lsn);
    });
  }
  // BLMOVE pushed to another key somebody may be waiting on. Bounded: cycles of BLMOVEs
  // between keys cannot recurse forever.
  if (depth < 16)
    for (const ReadyKey& k : chained) ServeKey(dispatcher, k.db, k.key, depth + 1);
}

}  // namespace strata::server
