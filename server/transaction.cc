// MULTI EXEC DISCARD WATCH UNWATCH RESET, and the watched-keys registry.
#include "server/transaction.h"

#include "common/errors.h"
#include "common/format.h"
#include "server/connection.h"
#include "server/dispatcher.h"
#include "server/persistence.h"
#include "server/pubsub.h"
#include "server/server.h"
#include "server/tiering.h"

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

void WatchRegistry::TouchFlushed(
    size_t db, const std::function<bool(size_t db, std::string_view key)>& existed) {
  if (empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [map_key, watchers] : map_) {
    size_t colon = map_key.find(':');
    size_t key_db = std::stoul(map_key.substr(0, colon));
    if (db != SIZE_MAX && key_db != db) continue;
    if (!existed(key_db, std::string_view(map_key).substr(colon + 1))) continue;
    for (WatchState* w : watchers) w->dirty = true;
  }
}

// ---- commands ----

namespace {

using cmd::CommandContext;
using cmd::CommandSpec;

// Leaves MULTI and forgets every WATCH (after EXEC, DISCARD, or a refused EXEC).
void Discard(CommandContext& ctx) {
  Transaction& tx = ctx.conn->transaction();
  tx.Reset();
  if (!tx.watch.keys.empty()) ctx.server->watches().UnwatchAll(&tx.watch);
}


}  // namespace

void AbortExec(cmd::CommandContext& ctx, std::string_view why) {
  std::string_view reason = why.substr(why.empty() || why[0] != '-' ? 0 : 1);
  ctx.out->Error(Format(err::kExecAbortBecause, std::string(reason).c_str()));
  Discard(ctx);
}

namespace {

void Multi(CommandContext& ctx) {
  Transaction& tx = ctx.conn->transaction();
  if (tx.active) return ctx.out->Error(err::kNestedMulti);
  tx.active = true;
  ctx.out->Ok();
}

// The queued commands as they will run: each in the database the SELECTs before it lead to.
struct Prepared {
  cmd::ClientState client;  // a copy: only db_index matters before they run
  std::vector<std::string_view> argv;
  CommandContext ctx;
};

void Exec(CommandContext& ctx) {
  Transaction& tx = ctx.conn->transaction();
  Server* srv = ctx.server;
  Dispatcher& dispatcher = *ctx.dispatcher;
  Effects& outer = *ctx.effects;
  if (!tx.active) return ctx.out->Error(err::kExecWithoutMulti);
  if (tx.failed) {
    ctx.out->Error(err::kExecAbortErrors);
    return Discard(ctx);
  }

  // Refusals that depend on what is queued, as Redis checks EXEC with its queue's flags.
  Persistence* wal = srv->persistence();
  if ((tx.queued_flags & cmd::kWrite) && wal != nullptr) {
    std::string refusal = wal->WriteRefusal();
    if (!refusal.empty()) return AbortExec(ctx, refusal);
  }
  if ((tx.queued_flags & cmd::kDenyOom) && !ctx.resumed &&
      srv->config().maxmemory.load(std::memory_order_relaxed) > 0) {
    Server::MemoryVerdict m = srv->CheckMemory();
    if (m == Server::MemoryVerdict::kWait) {
      outer.park.reason = Park::Reason::kMemory;  // a checkpoint will free memory: run again
      return;
    }
    if (m == Server::MemoryVerdict::kOom) return AbortExec(ctx, err::kOom);
  }

  // Each queued command's context, following SELECTs.
  std::vector<Prepared> prepared(tx.queue.size());
  size_t db = ctx.client->db_index;
  for (size_t i = 0; i < tx.queue.size(); ++i) {
    const QueuedCommand& q = tx.queue[i];
    Prepared& p = prepared[i];
    p.client.db_index = db;
    p.argv.assign(q.args.begin(), q.args.end());
    p.ctx.argv = p.argv.data();
    p.ctx.argc = p.argv.size();
    p.ctx.spec = q.spec;
    p.ctx.client = &p.client;
    p.ctx.keyspace = ctx.keyspace;
    p.ctx.now_ms = ctx.now_ms;
    dispatcher.ResolveKeys(p.ctx);
    if (q.spec->flags & cmd::kSwitchesDb) {
      size_t target = Dispatcher::TargetDbIndex(p.ctx);
      if (target != SIZE_MAX) db = target;
    }
  }

  // Backend queries of queued KEYS / SCAN / RANDOMKEY, answered before anything runs.
  std::vector<cmd::BackendQuery> queries;
  std::vector<bool> has_query(prepared.size(), false);
  for (size_t i = 0; i < prepared.size(); ++i) {
    cmd::BackendQuery q;
    if (dispatcher.BackendQueryFor(prepared[i].ctx, &q)) {
      queries.push_back(std::move(q));
      has_query[i] = true;
    }
  }
  if (!queries.empty() && ctx.backend_answers != queries.size()) {
    outer.park.reason = Park::Reason::kQuery;
    outer.park.queries = std::move(queries);
    return;
  }

  // The shards of every queued key (and whole databases for KEYS, FLUSHDB...) and of the
  // watched keys, whose marks and TTLs are checked under the same locks.
  storage::LockSet locks;
  for (Prepared& p : prepared) dispatcher.AddLocks(p.ctx, &locks);
  for (const WatchState::Key& w : tx.watch.keys) locks.Add(ctx.keyspace->db(w.db).Ref(w.key).shard);
  uint8_t why = 0;
  if (!locks.LockUnlessBusy(&why))  // a busy script holds one of them
    return AbortExec(ctx, BusyError(why == storage::Shard::kBusyFunction));

  // Keys only in the backend are read through before any command runs; EXEC then starts again.
  std::vector<storage::TierMiss> misses;
  if (srv->tiering() != nullptr)
    for (Prepared& p : prepared) dispatcher.FindMisses(p.ctx, &misses);
  if (!misses.empty()) {
    outer.park.reason = Park::Reason::kLoad;
    outer.park.misses = std::move(misses);
    return;  // the locks go with `locks`; nothing ran and nothing was replied
  }

  // WATCH: abort if a watched key changed, or has expired since it was watched.
  bool abort = tx.watch.dirty.load();
  for (const WatchState::Key& w : tx.watch.keys)
    if (w.expire_ms != storage::kNoExpire && w.expire_ms <= ctx.now_ms) abort = true;
  if (abort) {
    locks.Unlock();
    ctx.out->NullArray();
    return Discard(ctx);
  }

  if (wal != nullptr && (tx.queued_flags & cmd::kWrite)) wal->BeforeWrite(locks);
  WalBatch batch;
  Effects inner;
  inner.batch = &batch;
  size_t answer = 0;  // the next backend answer (queued commands with a query, in order)
  ctx.out->ArrayHeader(tx.queue.size());
  for (size_t i = 0; i < tx.queue.size(); ++i) {
    CommandContext c;
    c.argv = prepared[i].argv.data();
    c.argc = prepared[i].argv.size();
    c.spec = tx.queue[i].spec;
    c.out = ctx.out;
    c.client = ctx.client;  // the real client: a queued SELECT changes its database
    c.keyspace = ctx.keyspace;
    c.server = srv;
    c.registry = ctx.registry;
    c.conn = ctx.conn;
    c.now_ms = ctx.now_ms;
    c.max_string_len = ctx.max_string_len;
    c.held = &locks;
    c.nested = true;  // blocking commands answer as on timeout
    if (has_query[i]) {
      c.backend = &ctx.backend[answer++];
      c.backend_answers = 1;
    }
    dispatcher.Run(c, Mode::kNested, &inner);
  }
  uint64_t lsn = wal != nullptr ? wal->LogBatch(&batch, locks) : 0;
  locks.Unlock();
  outer.wrote |= lsn > 0;
  outer.wait_lsn = std::max({outer.wait_lsn, inner.wait_lsn, wal != nullptr && wal->always() ? lsn : 0});
  for (ReadyKey& k : inner.ready) outer.ready.push_back(std::move(k));
  Discard(ctx);
}

void DiscardCmd(CommandContext& ctx) {
  if (!ctx.conn->transaction().active) return ctx.out->Error(err::kDiscardWithoutMulti);
  Discard(ctx);
  ctx.out->Ok();
}

void Watch(CommandContext& ctx) {
  Transaction& tx = ctx.conn->transaction();
  if (tx.active) return ctx.out->Error(err::kWatchInMulti);
  WatchRegistry& reg = ctx.server->watches();
  size_t db = ctx.client->db_index;
  for (size_t i = 0; i < ctx.num_keys(); ++i) {
    const storage::KeyRef& k = ctx.Key(i);
    bool already = false;
    for (const WatchState::Key& w : tx.watch.keys)
      if (w.db == db && w.key == k.key) already = true;
    if (already) continue;
    // Registered under the shard lock (held by the dispatcher): a concurrent write either
    // finished before (and is not a change after WATCH) or sees this watcher.
    storage::Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms, storage::Shard::Lookup::kNoTouch);
    tx.watch.keys.push_back({db, std::string(k.key), e != nullptr ? e->expire_ms() : storage::kNoExpire});
    reg.Watch(db, k.key, &tx.watch);
  }
  ctx.out->Ok();
}

void Unwatch(CommandContext& ctx) {
  WatchState& w = ctx.conn->transaction().watch;
  if (!w.keys.empty()) ctx.server->watches().UnwatchAll(&w);
  ctx.out->Ok();
}

// RESET: back to a fresh connection's state (Redis 6.2+).
void Reset(CommandContext& ctx) {
  Discard(ctx);
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
  // kTxControl: these run at once inside MULTI (Redis compares the command's proc for that).
  const uint32_t kTx = kTxControl | kNoScript | kLoading | kStale;
  r.Register(Spec("multi", 1, kTx | kFast | kAllowBusy, {}, Multi, "transactions", "1.2.0",
                  "Start a transaction block", ""));
  r.Register(Spec("exec", 1, kTx | kSkipSlowlog | kAbortsTxWhenRefused, {}, Exec, "transactions", "1.2.0",
                  "Execute all commands issued after MULTI", ""));
  r.Register(Spec("discard", 1, kTx | kFast | kAllowBusy, {}, DiscardCmd, "transactions",
                  "2.0.0", "Discard all commands issued after MULTI", ""));
  r.Register(Spec("watch", -2, kTx | kFast | kAllowBusy, {KeyRange(1, -1, 1, kKeyRO)}, Watch,
                  "transactions", "2.2.0",
                  "Watch the given keys to determine execution of the MULTI/EXEC block",
                  "key [key ...]"));
  r.Register(Spec("unwatch", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy, {}, Unwatch,
                  "transactions", "2.2.0", "Forget about all watched keys", ""));
  r.Register(Spec("reset", 1, kTxControl | kNoAuth | kNoScript | kLoading | kStale | kFast |
                                  kPubSubContext | kAllowBusy,
                  {}, Reset, "connection", "6.2.0", "Reset the connection", ""));
}

}  // namespace strata::server
