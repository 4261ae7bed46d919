// MULTI EXEC DISCARD WATCH UNWATCH RESET, and the watched-keys registry.
#include "server/transaction.h"

#include "common/errors.h"
#include "common/format.h"
#include "server/connection.h"
#include "server/pubsub.h"
#include "server/server.h"

namespace strata::server {

// ---- WatchRegistry ----

std::string WatchRegistry::MapKey(size_t db, std::string_view key) {
  std::string k = std::to_string(db);
  k += ':';
  k.append(key);
  return k;
}

void WatchRegistry::Watch(size_t db, std::string_view key, WatchState* w) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& watchers = map_[MapKey(db, key)];
  for (WatchState* x : watchers)
    if (x == w) return;
  watchers.push_back(w);
  watched_keys_.fetch_add(1, std::memory_order_relaxed);
}

void WatchRegistry::UnwatchAll(WatchState* w) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const WatchState::Key& k : w->keys) {
    auto it = map_.find(MapKey(k.db, k.key));
    if (it == map_.end()) continue;
    auto& v = it->second;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == w) {
        v[i] = v.back();
        v.pop_back();
        watched_keys_.fetch_sub(1, std::memory_order_relaxed);
        break;
      }
    }
    if (v.empty()) map_.erase(it);
  }
  w->keys.clear();
  w->dirty = false;
}

void WatchRegistry::Touch(size_t db, std::string_view key) {
  if (empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(MapKey(db, key));
  if (it == map_.end()) return;
  for (WatchState* w : it->second) w->dirty = true;
}

void WatchRegistry::TouchDb(size_t db) {
  if (empty()) return;
  std::string prefix = std::to_string(db) + ":";
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [k, watchers] : map_)
    if (k.compare(0, prefix.size(), prefix) == 0)
      for (WatchState* w : watchers) w->dirty = true;
}

void WatchRegistry::TouchAll() {
  if (empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [k, watchers] : map_)
    for (WatchState* w : watchers) w->dirty = true;
}

// ---- commands ----

namespace {

using cmd::CommandContext;
using cmd::CommandSpec;

void Multi(CommandContext& ctx) {
  if (ctx.conn->in_multi()) return ctx.out->Error("ERR MULTI calls can not be nested");
  ctx.conn->BeginMulti();
  ctx.out->Ok();
}

void Exec(CommandContext& ctx) {
  if (!ctx.conn->in_multi()) return ctx.out->Error("ERR EXEC without MULTI");
  ctx.conn->Exec();
}

void Discard(CommandContext& ctx) {
  if (!ctx.conn->in_multi()) return ctx.out->Error("ERR DISCARD without MULTI");
  ctx.conn->Discard();
  ctx.out->Ok();
}

void Watch(CommandContext& ctx) {
  if (ctx.conn->in_multi()) return ctx.out->Error("ERR WATCH inside MULTI is not allowed");
  WatchState& ws = ctx.conn->watch_state();
  WatchRegistry& reg = ctx.server->watches();
  size_t db = ctx.client->db_index;
  for (size_t i = 1; i < ctx.argc; ++i) {
    std::string_view key = ctx.arg(i);
    bool already = false;
    for (const WatchState::Key& k : ws.keys)
      if (k.db == db && k.key == key) already = true;
    if (already) continue;
    // Registered under the shard lock: a concurrent write either finished before (and is not
    // a change after WATCH) or sees this watcher.
    storage::KeyRef k = ctx.db().Ref(key);
    storage::ShardLock lock(k);
    storage::Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
    ws.keys.push_back({db, std::string(key), e != nullptr ? e->expire_ms() : storage::kNoExpire});
    reg.Watch(db, key, &ws);
  }
  ctx.out->Ok();
}

void Unwatch(CommandContext& ctx) {
  ctx.conn->UnwatchAll();
  ctx.out->Ok();
}

// RESET: back to a fresh connection's state (Redis 6.2+).
void Reset(CommandContext& ctx) {
  if (ctx.conn->in_multi()) ctx.conn->Discard();
  ctx.conn->UnwatchAll();
  if (ctx.client->subscriptions > 0) ctx.server->pubsub().OnClientClosed(*ctx.conn);
  ctx.client->db_index = 0;
  ctx.client->resp = 2;
  ctx.out->set_resp3(false);
  ctx.client->authenticated = ctx.server->config().requirepass().empty();
  ctx.out->SimpleString("RESET");
}

CommandSpec Spec(const char* name, int arity, uint32_t flags, std::vector<cmd::KeySpec> keys,
                 cmd::Handler h, const char* group, const char* since, const char* summary,
                 const char* syntax) {
  return cmd::MakeSpec(name, arity, flags, std::move(keys), h, group, since, summary, syntax);
}

}  // namespace

void RegisterTransactionFamily(cmd::CommandRegistry& r) {
  using namespace cmd;
  const uint32_t kTx = kNoScript | kLoading | kStale;
  r.Register(Spec("multi", 1, kNoMulti | kTx | kFast | kAllowBusy, {}, Multi, "transactions",
                  "1.2.0", "Start a transaction block", ""));
  r.Register(Spec("exec", 1, kNoMulti | kTx | kSkipSlowlog, {}, Exec, "transactions", "1.2.0",
                  "Execute all commands issued after MULTI", ""));
  r.Register(Spec("discard", 1, kNoMulti | kTx | kFast | kAllowBusy, {}, Discard, "transactions",
                  "2.0.0", "Discard all commands issued after MULTI", ""));
  r.Register(Spec("watch", -2, kNoMulti | kTx | kFast | kAllowBusy, {KeyRange(1, -1, 1, kKeyRO)},
                  Watch, "transactions", "2.2.0",
                  "Watch the given keys to determine execution of the MULTI/EXEC block",
                  "key [key ...]"));
  r.Register(Spec("unwatch", 1, kTx | kFast | kAllowBusy, {}, Unwatch, "transactions", "2.2.0",
                  "Forget about all watched keys", ""));
  r.Register(Spec("reset", 1,
                  kNoMulti | kNoAuth | kNoScript | kLoading | kStale | kFast | kSwitchesDb |
                      kPubSubContext | kAllowBusy,
                  {}, Reset, "connection", "6.2.0", "Reset the connection", ""));
}

}  // namespace strata::server
