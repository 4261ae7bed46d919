// Blocked clients: registration, FIFO serving from the writer's thread, hand-off of the reply.
#include "server/blocking.h"

#include "common/buffer.h"
#include "protocol/reply_writer.h"
#include "server/connection.h"
#include "server/persistence.h"
#include "server/tiering.h"
#include "storage/tier.h"
#include "server/server.h"
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

void BlockingRegistry::ServeKey(Server* server, size_t db, const std::string& key, int depth) {
  std::vector<std::string> chained;  // keys the served commands wrote to (BLMOVE's target)
  while (true) {
    std::shared_ptr<BlockedClient> bc;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = map_.find(MapKey(db, key));
      if (it == map_.end() || it->second.empty()) break;
      bc = it->second.front();
    }
    std::lock_guard<std::mutex> claim(bc->mu);
    if (bc->done) {  // finished by another thread a moment ago; it is leaving the queue
      continue;
    }
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
    ctx.out = &writer;
    ctx.client = &client;
    ctx.keyspace = &server->keyspace();
    ctx.server = server;
    ctx.registry = &server->registry();
    ctx.now_ms = NowMs();
    ctx.serving_blocked = true;
    uint64_t wait_lsn = 0;
    if (Persistence* wal = server->persistence(); wal != nullptr) {
      Persistence::Scope scope;  // logged like any write (server/persistence.h)
      if (!wal->Begin(*bc->spec, ctx, &scope, /*check_tier=*/true)) {
        // A key of the command (BLMOVE's destination) was evicted to the backend: load it on
        // the client's loop, then serve this key again. Everyone behind keeps waiting.
        std::vector<storage::TierMiss> misses;
        misses.swap(storage::tl_tier_misses.list);
        bc->worker->Post([server, db, key, misses = std::move(misses)](Worker& w) mutable {
          server->tiering()->Load(w.loop(), std::move(misses),
                                  [server, db, key](bool, const std::string&) {
                                    server->blocking().ServeKey(server, db, key);
                                  });
        });
        break;
      }
      bc->spec->handler(ctx);
      wait_lsn = wal->End(*bc->spec, ctx, &scope);
    } else {
      bc->spec->handler(ctx);
    }
    if (ctx.not_served) break;  // the data is gone again: everyone behind waits too
    bc->done = true;
    Remove(*bc);
    if (ctx.dirty > 0) {
      server->watches().Touch(bc->db, key);
      for (size_t i = 1; i < bc->args.size(); ++i)
        if (bc->args[i] != key && HasWaiters(bc->db, bc->args[i])) chained.push_back(bc->args[i]);
    }
    std::string reply(out.ReadPtr(), out.ReadableBytes());
    uint64_t id = bc->client_id;
    bc->worker->Post([id, wait_lsn, reply = std::move(reply)](Worker& w) {
      if (Connection* c = w.FindClient(id)) c->Unblock(reply, wait_lsn);
    });
  }
  // BLMOVE pushed to another key somebody may be waiting on. Bounded: cycles of BLMOVEs
  // between keys cannot recurse forever.
  if (depth < 16)
    for (const std::string& k : chained) ServeKey(server, db, k, depth + 1);
}

}  // namespace strata::server
