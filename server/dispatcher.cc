// The dispatcher: resolve, refuse, queue, keys, lock, tier, run, log, mark, release, account.
#include "server/dispatcher.h"

#include <algorithm>
#include <cassert>
#include <climits>

#include "common/errors.h"
#include "common/format.h"
#include "common/memory.h"
#include "common/strutil.h"
#include "server/blocking.h"
#include "server/connection.h"
#include "server/persistence.h"
#include "server/scripting.h"
#include "server/server.h"
#include "server/tiering.h"
#include "server/transaction.h"

namespace strata::server {

namespace {

constexpr uint32_t kWrittenKey = cmd::kKeyRW | cmd::kKeyOW | cmd::kKeyRM;

// The database a TargetDb names in this invocation, or SIZE_MAX if none or not a valid index
// (the handler then replies the error).
size_t TargetDbOf(const cmd::TargetDb& t, const std::string_view* argv, size_t argc,
                  size_t num_dbs) {
  std::string_view arg;
  if (t.db_arg > 0 && static_cast<size_t>(t.db_arg) < argc) {
    arg = argv[t.db_arg];
  } else if (t.keyword != nullptr) {
    for (size_t i = 3; i + 1 < argc; ++i)
      if (EqualsIgnoreCase(argv[i], t.keyword)) arg = argv[i + 1];
  }
  int64_t v;
  if (arg.empty() || !ParseInt64(arg, &v) || v < 0 || static_cast<uint64_t>(v) >= num_dbs)
    return SIZE_MAX;
  return static_cast<size_t>(v);
}

bool IsErrorReply(const cmd::CommandContext& ctx, size_t reply_at) {
  const Buffer* b = ctx.out->buffer();
  return b->ReadableBytes() > reply_at && b->ReadPtr()[reply_at] == '-';
}

}  // namespace

const char* BusyError(bool function) { return function ? err::kBusyFunction : err::kBusyEval; }

Dispatcher::Dispatcher(const DispatchParts& parts, DispatchStats stats)
    : parts_(parts), stats_(stats) {}

Dispatcher::~Dispatcher() = default;

LuaEngine& Dispatcher::lua() {
  if (lua_ == nullptr) lua_ = std::make_unique<LuaEngine>(parts_.server);
  return *lua_;
}

// ---- keys and locks ----

void Dispatcher::ResolveKeys(cmd::CommandContext& ctx) const {
  ctx.keys.clear();
  const cmd::CommandSpec& spec = *ctx.spec;
  if (spec.single_key != 0 && spec.target_db.key_arg == 0) {  // one key (GET, SET...): most
    const uint32_t pos = spec.single_key;
    if (pos >= ctx.argc) return;
    uint32_t flags = spec.key_specs[0].flags;
    if ((flags & cmd::kKeyVariableFlags) && spec.key_flags != nullptr)
      flags = spec.key_flags(ctx.argv, ctx.argc, pos, flags);
    const size_t db = ctx.client->db_index;
    ctx.keys.push_back({parts_.keyspace->db(db).Ref(ctx.argv[pos]), static_cast<uint32_t>(db),
                        pos, flags});
    return;
  }
  if (spec.key_specs.empty()) return;
  cmd::KeyArgs args;
  if (!cmd::GetKeys(spec, ctx.argv, ctx.argc, &args)) return;  // the handler rejects them
  storage::Keyspace& ks = *parts_.keyspace;
  const size_t db = ctx.client->db_index;
  const cmd::TargetDb& t = spec.target_db;
  const size_t target =
      t.key_arg > 0 ? TargetDbOf(t, ctx.argv, ctx.argc, ks.num_dbs()) : SIZE_MAX;
  for (const cmd::KeyArg& a : args) {
    std::string_view key = ctx.argv[a.pos];
    size_t d = db;
    if (target != SIZE_MAX && a.pos == static_cast<uint32_t>(t.key_arg)) {
      if (t.also_client_db)
        ctx.keys.push_back({ks.db(db).Ref(key), static_cast<uint32_t>(db), a.pos, a.flags});
      d = target;
    }
    ctx.keys.push_back({ks.db(d).Ref(key), static_cast<uint32_t>(d), a.pos, a.flags});
  }
}

void Dispatcher::AddLocks(const cmd::CommandContext& ctx, storage::LockSet* locks) const {
  uint32_t f = ctx.spec->flags;
  if (ctx.spec->reach != nullptr) f |= ctx.spec->reach(ctx);
  if (f & (cmd::kReachAll | cmd::kReachDb)) {
    if (f & cmd::kReachAll) {
      locks->AddAll(*parts_.keyspace);
      return;
    }
    locks->AddDb(parts_.keyspace->db(ctx.client->db_index));
  }
  for (const cmd::ResolvedKey& k : ctx.keys) locks->Add(k.ref.shard);
}

bool Dispatcher::FindMisses(const cmd::CommandContext& ctx,
                            std::vector<storage::TierMiss>* misses) const {
  bool any = false;
  for (const cmd::ResolvedKey& k : ctx.keys) {
    if (k.flags & cmd::kKeyBlind) continue;  // replaced whatever it held: nothing to read
    const storage::KeyRef& r = k.ref;
    if (r.shard->NeedsLoad(r.key, r.hash, ctx.now_ms)) {
      misses->push_back({r.shard, r.hash, std::string(r.key)});
      any = true;
    }
  }
  return any;
}

void Dispatcher::CollectMisses(cmd::CommandContext& ctx, std::vector<storage::TierMiss>* misses) {
  if (parts_.tier == nullptr) return;
  ResolveKeys(ctx);
  for (const cmd::ResolvedKey& k : ctx.keys) {
    if (k.flags & cmd::kKeyBlind) continue;
    storage::ShardLock lock(k.ref.shard);
    if (k.ref.shard->NeedsLoad(k.ref.key, k.ref.hash, ctx.now_ms))
      misses->push_back({k.ref.shard, k.ref.hash, std::string(k.ref.key)});
  }
}

size_t Dispatcher::TargetDbIndex(const cmd::CommandContext& ctx) {
  return TargetDbOf(ctx.spec->target_db, ctx.argv, ctx.argc, ctx.keyspace->num_dbs());
}

bool Dispatcher::BackendQueryFor(const cmd::CommandContext& ctx, cmd::BackendQuery* q) const {
  return parts_.tier != nullptr && ctx.spec->backend_query != nullptr &&
         ctx.spec->backend_query(ctx, q);
}

// ---- the checks a client's command gets ----

void Dispatcher::Reject(cmd::CommandContext& ctx, std::string_view error) {
  if (ctx.conn != nullptr && (ctx.spec->flags & cmd::kAbortsTxWhenRefused))
    AbortExec(ctx, error);  // Redis's rejectCommand: a refused EXEC aborts its transaction
  else
    ctx.out->Error(error);
  if (stats_.errors != nullptr) Bump(*stats_.errors);
  if (stats_.per_command != nullptr) Bump((*stats_.per_command)[ctx.spec->id].rejected);
  if (ctx.conn != nullptr && ctx.conn->transaction().active)
    ctx.conn->transaction().failed = true;  // EXEC will answer EXECABORT
}

bool Dispatcher::Queue(cmd::CommandContext& ctx) {
  Transaction& tx = ctx.conn->transaction();
  const cmd::CommandSpec& spec = *ctx.spec;
  if (spec.flags & cmd::kNoMulti) {
    Reject(ctx, err::kNotInMulti);
    return true;
  }
  // Redis 7.0 refuses to queue anything while over maxmemory (EXEC then aborts).
  if (parts_.server != nullptr &&
      parts_.server->config().maxmemory.load(std::memory_order_relaxed) > 0 &&
      parts_.server->CheckMemory() == Server::MemoryVerdict::kOom) {
    Reject(ctx, err::kOom);
    return true;
  }
  tx.Add(spec, ctx.argv, ctx.argc);
  ctx.out->SimpleString("QUEUED");
  return true;
}

// A write the log cannot take (it cannot write: no new writes), or the tier refuses (WAL over
// wal-max-size, a key the backend cannot hold): true after replying the refusal.
bool Dispatcher::RefuseWrite(cmd::CommandContext& ctx) {
  if (parts_.wal != nullptr && parts_.wal->wal().write_errno() != 0) {
    Reject(ctx, parts_.wal->WriteRefusal());
    return true;
  }
  if (parts_.tier != nullptr) {
    std::string refusal = parts_.tier->Refusal(ctx);
    if (!refusal.empty()) {
      Reject(ctx, refusal);
      return true;
    }
  }
  return false;
}

// Returns true when the command may run; false when it was answered (refused, queued) or
// parked (fx->park).
bool Dispatcher::RunClientChecks(cmd::CommandContext& ctx, Mode mode, Effects* fx) {
  const cmd::CommandSpec& spec = *ctx.spec;
  const uint32_t flags = spec.flags;
  const cmd::ClientState& client = *ctx.client;
  if (!client.authenticated && !(flags & cmd::kNoAuth)) {
    Reject(ctx, err::kNoAuth);
    return false;
  }
  if (client.subscriptions > 0 && client.resp == 2 && !(flags & cmd::kPubSubContext)) {
    Reject(ctx, Format(err::kPubSubContext, spec.name.c_str()));
    return false;
  }
  if ((flags & cmd::kWrite) && RefuseWrite(ctx)) return false;
  if (ctx.conn != nullptr && ctx.conn->transaction().active && !(flags & cmd::kTxControl))
    return !Queue(ctx);
  // maxmemory: every command evicts when memory is over (as in Redis); those that may grow it
  // are refused (or, with a backend, wait for a checkpoint) when nothing can be evicted. A
  // command that runs again after a read-through does not evict first: that could drop the
  // very keys it waited for, and it would wait again, forever.
  Server* srv = parts_.server;
  if (srv != nullptr && mode == Mode::kClient && !ctx.resumed &&
      srv->config().maxmemory.load(std::memory_order_relaxed) > 0) {
    const bool may_grow = flags & cmd::kDenyOom;
    Server::MemoryVerdict m = srv->CheckMemory();
    ctx.over_memory = m != Server::MemoryVerdict::kOk;
    if (may_grow && m == Server::MemoryVerdict::kWait) {
      fx->park.reason = Park::Reason::kMemory;
      return false;
    }
    if (may_grow && m == Server::MemoryVerdict::kOom) {
      Reject(ctx, err::kOom);
      return false;
    }
  }
  if (spec.backend_query != nullptr && parts_.tier != nullptr && ctx.backend_answers == 0) {
    cmd::BackendQuery q;
    if (spec.backend_query(ctx, &q)) {
      fx->park.reason = Park::Reason::kQuery;
      fx->park.queries.push_back(std::move(q));
      return false;
    }
  }
  return true;
}

// ---- the checks a script's command gets ----

bool Dispatcher::RunScriptChecks(cmd::CommandContext& ctx, Effects* fx) {
  const uint32_t flags = ctx.spec->flags;
  ScriptScope& scope = *fx->script;
  if (flags & cmd::kNoScript) {
    Reject(ctx, err::kScriptNotAllowed);
    return false;
  }
  if ((flags & (cmd::kWrite | cmd::kMayReplicate)) && scope.read_only) {
    Reject(ctx, err::kScriptWriteInRo);
    return false;
  }
  if ((flags & cmd::kWrite) && RefuseWrite(ctx)) return false;
  // Redis decides with the memory state from before the script started (no eviction inside).
  if ((flags & cmd::kDenyOom) && scope.over_memory && !scope.allow_oom) {
    Reject(ctx, err::kOom);
    return false;
  }
  return scope.Cover(ctx);
}

// ---- running ----

bool Dispatcher::Run(cmd::CommandContext& ctx, Mode mode, Effects* fx) {
  const int64_t t0 = clock_us_ != 0 ? clock_us_ : NowUs();
  ctx.dispatcher = this;
  ctx.effects = fx;
  const bool counted = mode != Mode::kReplay && mode != Mode::kServeBlocked;
  if (counted && stats_.commands != nullptr) Bump(*stats_.commands);
  const size_t reply_at = ctx.out->buffer()->ReadableBytes();

  if (ctx.spec == nullptr) {
    cmd::Resolved r = cmd::Resolve(*parts_.registry, ctx);
    if (!r.ok) {
      if (stats_.errors != nullptr) Bump(*stats_.errors);
      if (r.spec != nullptr && stats_.per_command != nullptr)
        Bump((*stats_.per_command)[r.spec->id].rejected);
      if (ctx.conn != nullptr && ctx.conn->transaction().active)
        ctx.conn->transaction().failed = true;
      return true;
    }
    ctx.spec = r.spec;
  }
  const cmd::CommandSpec& spec = *ctx.spec;
  if (ctx.conn != nullptr) ctx.conn->last_cmd_id.store(spec.id, std::memory_order_relaxed);
  ResolveKeys(ctx);
  if (mode == Mode::kBusy && (!(spec.flags & cmd::kAllowBusy) || !ctx.keys.empty() ||
                              (spec.flags & (cmd::kReachDb | cmd::kReachAll)) ||
                              spec.reach != nullptr)) {
    Reject(ctx, BusyError(script_watch_.state.load() & ScriptWatch::kFunction));
    return true;
  }
  const bool client = mode == Mode::kClient || mode == Mode::kTest || mode == Mode::kBusy;
  if (client && !RunClientChecks(ctx, mode, fx)) return fx->park.reason == Park::Reason::kNone;
  if (mode == Mode::kScript && !RunScriptChecks(ctx, fx)) return true;
  Server* srv = parts_.server;
  const bool limited = mode == Mode::kClient && srv != nullptr &&
                       srv->config().maxmemory.load(std::memory_order_relaxed) > 0;
  const int64_t allocated_before = limited ? ThreadNetAllocated() : 0;
  Tiering* tier = parts_.tier;
  if (mode == Mode::kReplay && tier != nullptr) {
    // Start-up: make the keys it reads or changes resident first (synchronous reads).
    std::vector<storage::TierMiss> misses;
    for (const cmd::ResolvedKey& k : ctx.keys) {
      if (k.flags & cmd::kKeyBlind) continue;
      storage::ShardLock lock(k.ref.shard);
      if (k.ref.shard->NeedsLoad(k.ref.key, k.ref.hash, ctx.now_ms))
        misses.push_back({k.ref.shard, k.ref.hash, std::string(k.ref.key)});
    }
    if (!misses.empty()) tier->LoadNow(misses);
  }

  // Lock: a nested command runs under its execution's LockSet (ctx.held, set by the caller; a
  // script's covers its keys: RunScriptChecks).
  storage::LockSet* own = nullptr;
  if (mode == Mode::kScript) {
    for (const cmd::ResolvedKey& k : ctx.keys) assert(ctx.held->Holds(k.ref.shard));
  } else if (mode == Mode::kBusy) {
    ctx.held = &no_locks_;  // it takes none: this thread's script holds locks_
  } else if (mode != Mode::kNested) {
    own = &locks_;
    own->Clear();
    AddLocks(ctx, own);
    uint8_t why = 0;
    if (mode == Mode::kServeBlocked) {
      own->Lock();
    } else if (!own->LockUnlessBusy(&why)) {  // a busy script holds one of them
      Reject(ctx, BusyError(why == storage::Shard::kBusyFunction));
      return true;
    }
    ctx.held = own;
  } else {  // the execution locked every shard its commands touch
    for (const cmd::ResolvedKey& k : ctx.keys) assert(ctx.held->Holds(k.ref.shard));
  }

  Persistence* wal = parts_.wal;
  if (tier != nullptr && (client || mode == Mode::kServeBlocked) &&
      FindMisses(ctx, &fx->park.misses)) {
    if (own != nullptr) own->Unlock();  // read the backend first, then run again
    fx->park.reason = Park::Reason::kLoad;
    return false;
  }
  if (tier != nullptr && mode == Mode::kScript) {
    std::vector<storage::TierMiss> misses;
    if (FindMisses(ctx, &misses)) {
      if (fx->script->Restartable()) {  // the script starts again once they are read
        fx->park.reason = Park::Reason::kLoad;
        fx->park.misses = std::move(misses);
        return false;
      }
      // It wrote already and cannot start again: read them now, on this thread (the one
      // place a loop waits for the backend; docs/ARCHITECTURE.md, Scripts).
      tier->LoadNow(misses, ctx.held);
    }
  }
  if (wal != nullptr && mode != Mode::kReplay) {
    if (client && wal->wal().write_errno() != 0 && wal->always() &&
        !(spec.flags & cmd::kWrite) && ReadWait(ctx, *ctx.held) > wal->wal().synced_lsn()) {
      // It would read data whose write may never become durable: refuse rather than wait.
      if (own != nullptr) own->Unlock();
      Reject(ctx, wal->WriteRefusal());
      return true;
    }
    if (mode != Mode::kNested && (spec.flags & cmd::kWrite))
      wal->BeforeWrite(*ctx.held);  // a running rewrite captures these shards before they change
  }

  spec.handler(ctx);
  if (mode == Mode::kScript && (spec.flags & cmd::kWrite) && ctx.dirty > 0)
    fx->script->wrote = true;

  if (fx->park.reason != Park::Reason::kNone) {  // EXEC waits for the tier or memory
    if (own != nullptr) own->Unlock();
    return false;
  }
  // A write that changed something: log it, mark its keys (when anybody needs to know).
  if ((spec.flags & cmd::kWrite) && ctx.dirty > 0 &&
      (wal != nullptr || tier != nullptr || (parts_.watches != nullptr && !parts_.watches->empty()) ||
       (parts_.blocking != nullptr && !parts_.blocking->empty())))
    AfterWrite(ctx, mode, fx);
  if (wal != nullptr && mode != Mode::kReplay && wal->always())
    fx->wait_lsn = std::max(fx->wait_lsn, ReadWait(ctx, *ctx.held));
  if (own != nullptr) own->Unlock();
  // What the command allocated moves the used-memory estimate at once (the exact figure is
  // taken every 100 ms): a burst of big writes cannot slip past maxmemory between refreshes.
  if (limited) AdjustUsedMemoryEstimate(ThreadNetAllocated() - allocated_before);
  if (counted && stats_.per_command != nullptr) {
    CommandStats& st = (*stats_.per_command)[spec.id];
    const int64_t now = NowUs();
    clock_us_ = now;  // the next command starts where this one ended
    Bump(st.calls);
    Bump(st.usec, static_cast<uint64_t>(now - t0));
    if (IsErrorReply(ctx, reply_at)) {
      Bump(st.failed);
      if (stats_.errors != nullptr) Bump(*stats_.errors);
    }
  }
  return true;
}

uint64_t Dispatcher::ReadWait(const cmd::CommandContext& ctx,
                              const storage::LockSet& held) const {
  const Persistence& wal = *parts_.wal;
  uint64_t w = 0;
  for (const cmd::ResolvedKey& k : ctx.keys) w = std::max(w, wal.KeyWait(k.ref.shard, k.ref.hash));
  // KEYS, SCAN, DBSIZE... read the whole database (DEBUG, holding everything, reads nothing).
  if ((ctx.spec->flags & (cmd::kReachDb | cmd::kReachAll)) && (ctx.spec->flags & cmd::kReadOnly))
    for (const storage::Shard* s : held.shards()) w = std::max(w, wal.ShardWait(s));
  return w;
}

void Dispatcher::AfterWrite(cmd::CommandContext& ctx, Mode mode, Effects* fx) {
  const cmd::CommandSpec& spec = *ctx.spec;
  Persistence* wal = mode == Mode::kReplay ? nullptr : parts_.wal;
  uint64_t lsn = 0;
  if (wal != nullptr) {
    if (fx->batch != nullptr) {
      wal->Add(fx->batch, ctx);  // logged with the rest of the transaction
    } else {
      lsn = wal->Log(ctx, &scratch_);
      fx->wrote = true;
      fx->wait_lsn = std::max(fx->wait_lsn, wal->always() ? lsn : 0);
    }
  }
  const bool signal = mode != Mode::kReplay;
  WatchRegistry* watches = signal && parts_.watches != nullptr && !parts_.watches->empty()
                               ? parts_.watches : nullptr;
  BlockingRegistry* blocking = signal && parts_.blocking != nullptr && !parts_.blocking->empty()
                                   ? parts_.blocking : nullptr;
  // A stream's groups changed (XACK...), and not the keyspace.
  const bool no_watch = (spec.flags & cmd::kNoWatch) && !ctx.signal_watch;
  for (const cmd::ResolvedKey& k : ctx.keys) {
    if (!(k.flags & kWrittenKey) && !no_watch) continue;  // only read
    const storage::KeyRef& r = k.ref;
    if (wal != nullptr) {
      if (fx->batch != nullptr)
        fx->batch->written.push_back({r.shard, r.hash});
      else
        wal->NoteWrite(r.shard, r.hash, lsn);
    }
    r.shard->MarkWritten(r.key, r.hash);  // dirty for the checkpointer (with a backend)
    if (watches != nullptr && !no_watch) watches->Touch(k.db, r.key);
    if (blocking != nullptr && blocking->HasWaiters(k.db, r.key))
      fx->ready.push_back({k.db, std::string(r.key)});
  }
  if (wal != nullptr && (spec.flags & (cmd::kReachDb | cmd::kReachAll))) {
    if (fx->batch != nullptr)
      fx->batch->barrier = true;
    else
      wal->NoteBarrier(*ctx.held, lsn);  // FLUSHDB, FLUSHALL: every reader waits for it
  }
}


}  // namespace strata::server
