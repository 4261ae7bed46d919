// Connection I/O and the per-command path: parse, resolve, check, run, account.
#include "server/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "common/errors.h"
#include "common/format.h"
#include "common/log.h"
#include "common/memory.h"
#include "server/persistence.h"
#include "server/tiering.h"
#include "server/worker.h"

namespace strata::server {

namespace {
std::string FormatAddr(const sockaddr_storage& ss) {
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
    port = ntohs(a->sin6_port);
  }
  return Format("%s:%d", ip, port);
}
}  // namespace

Connection::Connection(Worker* worker, uint64_t id_) : id(id_), worker_(worker) {
  client_.id = id_;
  handle_.data = this;
  write_req_.data = this;
}

void Connection::Start() {
  sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getpeername(&handle_, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    addr = FormatAddr(ss);
  len = sizeof(ss);
  if (uv_tcp_getsockname(&handle_, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    laddr = FormatAddr(ss);
  uv_os_fd_t os_fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&handle_), &os_fd) == 0) fd = os_fd;
  created_ms = NowMs();
  last_interaction_ms = created_ms;

  Config& cfg = worker_->server()->config();
  client_.authenticated = cfg.requirepass().empty();
  uv_tcp_nodelay(&handle_, 1);
  if (int64_t ka = cfg.tcp_keepalive.load(); ka > 0)
    uv_tcp_keepalive(&handle_, 1, static_cast<unsigned>(ka));
  reading_ = uv_read_start(reinterpret_cast<uv_stream_t*>(&handle_), OnAlloc, OnRead) == 0;
  if (!reading_) Close();
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  UnwatchAll();
  if (blocked_) {
    {
      std::lock_guard<std::mutex> lock(blocked_->mu);
      if (!blocked_->done) {
        blocked_->done = true;
        worker_->server()->blocking().Remove(*blocked_);
      }
    }
    blocked_.reset();  // after the lock: this may free the mutex
  }
  worker_->server()->OnClientClosed(*this);
  if (wal_listed_ || wal_paused_) worker_->ForgetWal(this);
  worker_->RemoveClient(this);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), OnClosed);
}

void Connection::OnClosed(uv_handle_t* h) {
  auto* c = static_cast<Connection*>(h->data);
  if (c->parked_) {  // a read-through job still refers to it
    c->free_after_load_ = true;
    return;
  }
  delete c;
}

void Connection::OnAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(h->data);
  // Reserve room for a large bulk argument in one step when the parser knows its size.
  size_t want = std::max(kReadChunk, c->parser_.BytesStillNeeded());
  c->in_.EnsureWritable(want);
  buf->base = c->in_.WritePtr();
  buf->len = c->in_.WritableBytes();
}

void Connection::OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
  auto* c = static_cast<Connection*>(s->data);
  if (nread < 0) {  // EOF or error: the client is gone
    c->Close();
    return;
  }
  if (nread == 0) return;
  c->in_.Commit(static_cast<size_t>(nread));
  Bump(c->worker_->net_input, static_cast<uint64_t>(nread));
  c->ProcessInput();
  c->Flush();
  c->MaybeFinish();
}

void Connection::ProcessInput() {
  Config& cfg = worker_->server()->config();
  protocol::ParserLimits limits;
  limits.max_bulk_len = cfg.proto_max_bulk_len.load(std::memory_order_relaxed);
  parser_.set_limits(limits);
  parser_limits_max_bulk_ = limits.max_bulk_len;

  // Clocks once per batch; per command only the monotonic clock (see Run).
  batch_ms_ = NowMs();
  batch_us_ = NowUs();
  t0_us_ = batch_us_;
  last_interaction_ms.store(batch_ms_, std::memory_order_relaxed);

  while (in_.ReadableBytes() > 0 && !close_after_reply_ && !closing_ && !blocked_ && !parked_) {
    if (Persistence* p = worker_->server()->persistence(); p != nullptr && p->wal().over_limit()) {
      // The WAL queue is full: stop reading until the writer drains it (Worker::OnWalAsync).
      if (reading_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&handle_));
      reading_ = false;
      if (!wal_paused_) {
        worker_->PauseForWal(this);
        p->backpressure_pauses.fetch_add(1, std::memory_order_relaxed);
      }
      wal_paused_ = true;
      break;
    }
    if (PendingOutput() > kMaxPendingOutput) {
      // Back-pressure: stop reading until the client takes its replies (resumed in OnWrite).
      if (reading_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&handle_));
      reading_ = false;
      paused_ = true;
      break;
    }
    size_t consumed = 0;
    protocol::ParseStatus st = parser_.Parse(in_.ReadPtr(), in_.ReadableBytes(), &consumed);
    if (st == protocol::ParseStatus::kNeedMore) {
      if (in_.ReadableBytes() >
          static_cast<size_t>(cfg.client_query_buffer_limit.load(std::memory_order_relaxed))) {
        Log(LogLevel::kWarning, "Closing client that reached max query buffer length: id=%llu",
            static_cast<unsigned long long>(id));
        Close();
      }
      break;
    }
    if (st == protocol::ParseStatus::kError) {
      writer_.Error(parser_.error());
      Bump(worker_->error_replies);
      Log(LogLevel::kVerbose, "Protocol error (%s) from client: id=%llu addr=%s",
          parser_.error().c_str(), static_cast<unsigned long long>(id), addr.c_str());
      in_.Clear();
      close_after_reply_ = true;
      break;
    }
    if (!parser_.args().empty() && !Execute(parser_.args())) {
      parked_size_ = consumed;  // stays in in_: parsed and run again after the load
      Park();
      break;
    }
    in_.Consume(consumed);
  }
  if (in_.ReadableBytes() == 0) in_.ShrinkIfIdle(64 * 1024);
  qbuf.store(in_.ReadableBytes(), std::memory_order_relaxed);
  if (kill_requested.load(std::memory_order_relaxed)) close_after_reply_ = true;
}

cmd::CommandContext Connection::MakeContext(const std::string_view* argv, size_t argc) {
  Server* srv = worker_->server();
  cmd::CommandContext ctx;
  ctx.argv = argv;
  ctx.argc = argc;
  ctx.out = &writer_;
  ctx.client = &client_;
  ctx.keyspace = &srv->keyspace();
  ctx.server = srv;
  ctx.registry = &srv->registry();
  ctx.conn = this;
  ctx.now_ms = batch_ms_ + (t0_us_ - batch_us_) / 1000;
  ctx.max_string_len = parser_limits_max_bulk_;
  ctx.blocker = this;
  ctx.in_exec = in_exec_;
  return ctx;
}

bool Connection::Execute(const std::vector<std::string_view>& args) {
  Server* srv = worker_->server();
  cmd::CommandContext ctx = MakeContext(args.data(), args.size());
  Bump(worker_->commands_processed);
  cmd::Resolved r = cmd::Resolve(srv->registry(), ctx);
  const cmd::CommandSpec* spec = r.spec;
  const char* refusal = nullptr;
  std::string refusal_text;
  if (r.ok && !client_.authenticated && !(spec->flags & cmd::kNoAuth)) {
    refusal = err::kNoAuth;
  } else if (r.ok && (spec->flags & cmd::kWrite) && srv->persistence() != nullptr &&
             srv->persistence()->wal().write_errno() != 0) {
    refusal_text = srv->persistence()->WriteRefusal();  // the log cannot write: no new writes
    refusal = refusal_text.c_str();
  } else if (r.ok && (spec->flags & cmd::kWrite) && srv->tiering() != nullptr &&
             !(refusal_text = srv->tiering()->Refusal(*spec, ctx)).empty()) {
    refusal = refusal_text.c_str();  // WAL over wal-max-size, or a key the backend can't hold
  } else if (r.ok && client_.subscriptions > 0 && client_.resp == 2 &&
             !(spec->flags & cmd::kPubSubContext)) {
    refusal_text = Format("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                          "PING / QUIT / RESET are allowed in this context",
                          spec->name.c_str());
    refusal = refusal_text.c_str();
  }
  if (!r.ok || refusal != nullptr) {
    if (refusal != nullptr) writer_.Error(refusal);
    Bump(worker_->error_replies);
    if (spec != nullptr) Bump(worker_->cmd_stats[spec->id].rejected);
    if (multi_) multi_error_ = true;  // EXEC will answer EXECABORT
    return true;
  }
  if (multi_ && !(spec->flags & cmd::kNoMulti)) {
    // Redis 7.0 refuses to queue anything while over maxmemory (EXEC then aborts).
    if (srv->config().maxmemory.load(std::memory_order_relaxed) > 0 &&
        srv->CheckMemory() == Server::MemoryVerdict::kOom) {
      RefuseOom(spec);
      multi_error_ = true;
      return true;
    }
    queue_.push_back({spec, std::vector<std::string>(args.begin(), args.end())});
    writer_.SimpleString("QUEUED");
    return true;
  }
  // maxmemory: every command evicts if memory is over (as in Redis); only those that may grow
  // it are refused (or, with a backend, wait for a checkpoint) when nothing can be evicted.
  const bool limited = srv->config().maxmemory.load(std::memory_order_relaxed) > 0;
  int64_t allocated_before = 0;
  // The command a read-through just served runs before anything is evicted: evicting first
  // could drop the very keys it waited for, and it would wait again, forever.
  const bool check_memory = limited && !just_loaded_;
  just_loaded_ = false;
  if (check_memory) {
    bool may_grow = spec->flags & cmd::kDenyOom;
    if (multi_ && spec->name == "exec")  // EXEC is refused if a queued command could grow
      for (const QueuedCommand& q : queue_) may_grow |= (q.spec->flags & cmd::kDenyOom) != 0;
    Server::MemoryVerdict m = srv->CheckMemory();
    if (may_grow && m == Server::MemoryVerdict::kWait) {
      wait_ = Wait::kMemory;
      return false;
    }
    if (may_grow && m != Server::MemoryVerdict::kOk) {
      RefuseOom(spec);
      return true;
    }
    allocated_before = ThreadNetAllocated();
  }
  if (!Run(spec, ctx)) return false;
  // What the command allocated moves the estimate at once (the exact figure is taken every
  // 100 ms): a burst of big writes cannot slip past maxmemory between two refreshes.
  if (check_memory) AdjustUsedMemoryEstimate(ThreadNetAllocated() - allocated_before);
  if (!ready_keys_.empty()) ServeReadyKeys();
  return true;
}

void Connection::RefuseOom(const cmd::CommandSpec* spec) {
  writer_.Error(err::kOom);
  Bump(worker_->error_replies);
  Bump(worker_->cmd_stats[spec->id].rejected);
}

namespace {
// Marks WATCHers of a write command's keys while each shard is still locked (see
// transaction.h), if the command changed anything.
class TouchOnRelease : public storage::ReleaseHook {
 public:
  TouchOnRelease(WatchRegistry* reg, storage::Db* db, size_t db_index,
                 const cmd::CommandContext& ctx, const cmd::CommandSpec& spec,
                 storage::ReleaseHook* next)
      : reg_(reg), db_index_(db_index), dirty_(&ctx.dirty), next_(next) {
    std::vector<size_t> pos;
    cmd::CompatKeyPositions(spec, ctx.argv, ctx.argc, &pos);
    for (size_t p : pos) keys_.push_back(db->Ref(ctx.arg(p)));
  }
  void OnRelease(const storage::Shard* s) override {
    if (*dirty_ != 0)
      for (const storage::KeyRef& k : keys_)
        if (k.shard == s) reg_->Touch(db_index_, k.key);
    if (next_ != nullptr) next_->OnRelease(s);
  }

 private:
  WatchRegistry* reg_;
  size_t db_index_;
  const uint64_t* dirty_;
  storage::ReleaseHook* next_;  // the WAL's ReleaseLogger, if any
  std::vector<storage::KeyRef> keys_;
};
}  // namespace

// The handler, with WATCH marking for writes and `on_release` (the WAL's ReleaseLogger) as
// the thread's release hooks while it runs.
void Connection::Invoke(const cmd::CommandSpec* spec, cmd::CommandContext& ctx,
                        storage::ReleaseHook* on_release) {
  WatchRegistry& watches = worker_->server()->watches();
  storage::ReleaseHook* saved = storage::tl_release_hook;
  if ((spec->flags & cmd::kWrite) && !watches.empty()) {
    TouchOnRelease hook(&watches, &ctx.db(), client_.db_index, ctx, *spec, on_release);
    storage::tl_release_hook = &hook;
    spec->handler(ctx);
  } else if (on_release != nullptr) {
    storage::tl_release_hook = on_release;
    spec->handler(ctx);
  } else {
    spec->handler(ctx);
  }
  storage::tl_release_hook = saved;
}

void Connection::HoldReplyUntil(uint64_t reply_pos, uint64_t lsn) {
  if (lsn == 0) return;
  Persistence* wal = worker_->server()->persistence();
  if (lsn <= wal->wal().release_lsn()) return;
  holds_.push_back({reply_pos, lsn});
}

bool Connection::Run(const cmd::CommandSpec* spec, cmd::CommandContext& ctx) {
  CommandStats& st = worker_->cmd_stats[spec->id];
  size_t reply_at = out_.ReadableBytes();
  last_cmd_id.store(spec->id, std::memory_order_relaxed);
  running_spec_ = spec;

  // Backing tier: lookups that miss a key the backend may hold are collected (Shard::Find); a
  // write checks its keys before it runs (Begin), a read runs and is taken back.
  storage::TierMisses& misses = storage::tl_tier_misses;
  bool tiered = worker_->server()->tiering() != nullptr && !in_exec_;
  wait_ = Wait::kReadThrough;
  // KEYS lists the backend's keys too: fetched first (the connection parks), then KEYS runs
  // with them (storage::tl_backend_keys).
  if (tiered && spec->whole_keyspace && spec->name == "keys") {
    if (have_backend_keys_) {
      storage::tl_backend_keys = &backend_keys_;
    } else if (worker_->server()->tiering()->BackendOnlyKeys(client_.db_index) > 0) {
      wait_ = Wait::kKeyList;
      keys_pattern_.assign(ctx.arg(1));
      return false;
    }
  }
  if (tiered) {
    misses.list.clear();
    misses.collect = true;
  }
  bool ran = true;
  Persistence* wal = worker_->server()->persistence();
  if (wal != nullptr && !in_exec_ && wal->LogsOnRelease(*spec)) {
    Persistence::ReleaseLogger logger(wal, ctx);  // logs when the handler releases its key
    Invoke(spec, ctx, &logger);
  } else if (wal != nullptr && !in_exec_ && wal->Wraps(*spec)) {
    uint64_t reply_pos = out_sent_ + out_.ReadableBytes();
    uint64_t wait = 0;
    {
      Persistence::Scope scope;  // holds the command's shards until it is logged
      ran = wal->Begin(*spec, ctx, &scope, tiered);
      if (ran) {
        Invoke(spec, ctx, nullptr);
        wait = wal->End(*spec, ctx, &scope);
      }
    }
    if (ran && !(tiered && !misses.list.empty())) HoldReplyUntil(reply_pos, wait);
  } else {
    Invoke(spec, ctx, nullptr);
  }
  if (tiered) {
    misses.collect = false;
    if (have_backend_keys_) {  // the KEYS that waited for them is done
      storage::tl_backend_keys = nullptr;
      have_backend_keys_ = false;
      std::vector<std::string>().swap(backend_keys_);
    }
    if (!misses.list.empty()) {
      if (!ran || !(spec->flags & cmd::kWrite)) {
        out_.Truncate(reply_at);  // a read that saw a key as missing: run it again later
        return false;
      }
      misses.list.clear();  // a write's keys were all checked before it ran
    }
  }

  // Clients blocked on a key this command wrote get served once it is done.
  BlockingRegistry& blocking = worker_->server()->blocking();
  if (ctx.dirty > 0 && (spec->flags & cmd::kWrite) && !blocking.empty()) {
    std::vector<size_t> pos;
    cmd::CompatKeyPositions(*spec, ctx.argv, ctx.argc, &pos);
    for (size_t p : pos)
      if (blocking.HasWaiters(client_.db_index, ctx.arg(p)))
        ready_keys_.emplace_back(client_.db_index, std::string(ctx.arg(p)));
  }

  int64_t t1 = NowUs();
  Bump(st.calls);
  Bump(st.usec, static_cast<uint64_t>(t1 - t0_us_));
  t0_us_ = t1;
  // A reply that starts with '-' is an error reply.
  if (out_.ReadableBytes() > reply_at && out_.ReadPtr()[reply_at] == '-') {
    Bump(st.failed);
    Bump(worker_->error_replies);
  }
  db.store(static_cast<int>(client_.db_index), std::memory_order_relaxed);
  resp.store(client_.resp, std::memory_order_relaxed);
  writer_.set_resp3(client_.resp == 3);
  if (client_.close_after_reply) close_after_reply_ = true;
  return true;
}

void Connection::Park() {
  parked_ = true;
  if (reading_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&handle_));
  reading_ = false;
  Tiering* tier = worker_->server()->tiering();
  auto resume = [this](bool ok, const std::string& error) { OnLoaded(ok, error); };
  if (wait_ == Wait::kMemory) {
    tier->WaitForCheckpoint(worker_->loop(), resume);
    return;
  }
  if (wait_ == Wait::kKeyList) {
    tier->ListKeys(worker_->loop(), static_cast<uint32_t>(client_.db_index),
                   std::move(keys_pattern_),
                   [this](bool ok, const std::string& error, std::vector<std::string> keys) {
                     backend_keys_ = std::move(keys);
                     have_backend_keys_ = ok;
                     OnLoaded(ok, error);
                   });
    return;
  }
  std::vector<storage::TierMiss> keys;
  keys.swap(storage::tl_tier_misses.list);
  // Reading ahead for the pipeline helps unless memory is tight: keys loaded ahead would be
  // evicted again before their commands run.
  int64_t max = worker_->server()->config().maxmemory.load(std::memory_order_relaxed);
  if (max == 0 || UsedMemoryEstimate() < static_cast<size_t>(max) / 4 * 3)
    CollectPipelinedMisses(&keys);
  tier->Load(worker_->loop(), std::move(keys), resume);
}

void Connection::CollectPipelinedMisses(std::vector<storage::TierMiss>* misses) {
  constexpr size_t kMaxAhead = 64;  // commands looked at; a lookup takes up to 64 keys at once
  Server* srv = worker_->server();
  protocol::RespParser ahead;
  protocol::ParserLimits limits;
  limits.max_bulk_len = parser_limits_max_bulk_;
  ahead.set_limits(limits);
  storage::Db& db = srv->keyspace().db(client_.db_index);
  int64_t now = NowMs();
  std::vector<size_t> pos;
  size_t off = parked_size_;
  for (size_t n = 0; n < kMaxAhead && misses->size() < backend::kGetBatch; ++n) {
    size_t consumed = 0;
    if (ahead.Parse(in_.ReadPtr() + off, in_.ReadableBytes() - off, &consumed) !=
        protocol::ParseStatus::kOk)
      break;
    off += consumed;
    const std::vector<std::string_view>& args = ahead.args();
    if (args.empty()) continue;
    const cmd::CommandSpec* spec = srv->registry().Find(args[0]);
    // Plain keyed commands only; anything else (SELECT, MULTI, ...) may change what the
    // following keys mean: stop looking there.
    if (spec == nullptr || spec->first_key <= 0 || spec->whole_keyspace || multi_) break;
    if ((spec->arity > 0 && args.size() != static_cast<size_t>(spec->arity)) ||
        (spec->arity < 0 && args.size() < static_cast<size_t>(-spec->arity)))
      continue;
    cmd::CompatKeyPositions(*spec, args.data(), args.size(), &pos);
    for (size_t p : pos) {
      storage::KeyRef k = db.Ref(args[p]);
      storage::ShardLock lock(k);
      if (k.shard->NeedsLoad(k.key, k.hash, now))
        misses->push_back({k.shard, k.hash, std::string(k.key)});
    }
  }
}

void Connection::OnLoaded(bool ok, const std::string& error) {
  parked_ = false;
  if (ok && worker_->server()->config().maxmemory.load(std::memory_order_relaxed) > 0)
    RefreshUsedMemory();  // the installed values were allocated on this thread just now
  if (free_after_load_) {
    delete this;
    return;
  }
  if (closing_) return;
  if (!ok) {  // the backend did not answer: this command fails, the next ones run
    writer_.Error("ERR backend unavailable: " + error);
    Bump(worker_->error_replies);
    in_.Consume(parked_size_);
  } else {
    just_loaded_ = true;
  }
  if (!reading_ && !paused_ && !wal_paused_)
    reading_ = uv_read_start(reinterpret_cast<uv_stream_t*>(&handle_), OnAlloc, OnRead) == 0;
  ProcessInput();
  Flush();
  MaybeFinish();
}

void Connection::UnwatchAll() {
  if (watch_.keys.empty()) return;
  worker_->server()->watches().UnwatchAll(&watch_);
}

void Connection::Discard() {
  multi_ = false;
  multi_error_ = false;
  queue_.clear();
  UnwatchAll();
}

void Connection::Exec() {
  Server* srv = worker_->server();
  storage::Keyspace& ks = srv->keyspace();
  if (multi_error_) {
    writer_.Error("EXECABORT Transaction discarded because of previous errors.");
    Discard();
    return;
  }
  std::vector<QueuedCommand> queue;
  queue.swap(queue_);
  multi_ = false;

  // The shards to hold: every key of every queued command (following SELECTs), and the
  // watched keys, whose TTLs are checked under the same locks.
  storage::HeldShards held;
  storage::MultiShardLock lock;
  size_t db_index = client_.db_index;
  std::vector<size_t> pos;
  std::vector<std::string_view> argv;
  for (const QueuedCommand& q : queue) {
    if (q.spec->whole_keyspace) {
      held.all = true;
      break;
    }
    argv.assign(q.args.begin(), q.args.end());
    cmd::CompatKeyPositions(*q.spec, argv.data(), argv.size(), &pos);
    for (size_t p : pos) lock.Add(db_index, ks.db(db_index).Ref(q.args[p]));
  }
  for (const WatchState::Key& w : watch_.keys) lock.Add(w.db, ks.db(w.db).Ref(w.key));
  if (held.all) {
    for (size_t d = 0; d < ks.num_dbs(); ++d)
      for (size_t i = 0; i < ks.num_shards(); ++i) lock.AddShard(d, i, &ks.db(d).shard(i));
  }
  lock.LockAll();
  // Record what is held so the queued commands' own locks are skipped.
  held.shards.assign(lock.locked().begin(), lock.locked().end());
  std::sort(held.shards.begin(), held.shards.end());

  // Backing tier: every key the transaction writes must be in memory before any command runs.
  // If some are not, EXEC is taken back (Run) and runs again once they are loaded.
  if (Tiering* tier = srv->tiering(); tier != nullptr) {
    const storage::HeldShards* saved = storage::tl_held_shards;
    storage::tl_held_shards = &held;
    bool missing = false;
    for (const QueuedCommand& q : queue) {
      std::vector<std::string_view> argv(q.args.begin(), q.args.end());
      cmd::CommandContext ctx = MakeContext(argv.data(), argv.size());
      missing |= tier->CollectMissing(*q.spec, ctx);
    }
    storage::tl_held_shards = saved;
    if (missing) {
      queue_.swap(queue);
      multi_ = true;
      return;  // the locks go; nothing ran and nothing was replied
    }
  }

  // WATCH: abort if a watched key changed, or has expired since it was watched.
  bool abort = watch_.dirty.load();
  int64_t now = batch_ms_ + (NowUs() - batch_us_) / 1000;
  for (const WatchState::Key& w : watch_.keys) {
    if (abort) break;
    if (w.expire_ms != storage::kNoExpire && w.expire_ms <= now) abort = true;
  }
  UnwatchAll();
  if (abort) {
    writer_.NullArray();
    return;
  }

  Persistence* wal = srv->persistence();
  std::string refusal = wal != nullptr ? wal->WriteRefusal() : std::string();
  if (!refusal.empty()) {
    for (const QueuedCommand& q : queue) {
      if (q.spec->flags & cmd::kWrite) {
        writer_.Error(refusal);
        return;
      }
    }
  }
  uint64_t reply_pos = out_sent_ + out_.ReadableBytes();
  if (wal != nullptr) wal->BeforeExec(lock.locked(), held.all);
  writer_.ArrayHeader(queue.size());
  const storage::HeldShards* saved = storage::tl_held_shards;
  storage::tl_held_shards = &held;
  in_exec_ = true;  // blocking commands do not block inside a transaction
  for (const QueuedCommand& q : queue) {
    argv.assign(q.args.begin(), q.args.end());
    cmd::CommandContext ctx = MakeContext(argv.data(), argv.size());
    Bump(worker_->commands_processed);
    Run(q.spec, ctx);
    if (wal != nullptr) wal->AddExecCommand(*q.spec, ctx);
  }
  in_exec_ = false;
  // Logged as one record while every shard is still held: replay applies it whole.
  if (wal != nullptr) HoldReplyUntil(reply_pos, wal->EndExec());
  storage::tl_held_shards = saved;
}

void Connection::Block(cmd::CommandContext& ctx, const std::vector<std::string_view>& keys,
                       int64_t timeout_ms, cmd::TimeoutReply on_timeout) {
  auto bc = std::make_shared<BlockedClient>();
  bc->worker = worker_;
  bc->client_id = id;
  bc->db = client_.db_index;
  bc->resp = client_.resp;
  bc->spec = running_spec_;
  bc->args.assign(ctx.argv, ctx.argv + ctx.argc);
  bc->keys.assign(keys.begin(), keys.end());
  bc->deadline_ms = timeout_ms > 0 ? ctx.now_ms + timeout_ms : 0;
  bc->on_timeout = on_timeout;
  worker_->server()->blocking().Add(bc);
  blocked_ = bc;
  if (bc->deadline_ms > 0) worker_->AddBlockDeadline(bc->deadline_ms, id);
}

void Connection::Unblock(const std::string& reply, uint64_t wait_lsn) {
  if (!blocked_) return;
  blocked_.reset();
  HoldReplyUntil(out_sent_ + out_.ReadableBytes(), wait_lsn);
  out_.Append(reply);
  Resume();
}

void Connection::BlockTimeout(int64_t deadline_ms) {
  if (!blocked_ || blocked_->deadline_ms != deadline_ms) return;  // an older block's timer
  {
    std::lock_guard<std::mutex> lock(blocked_->mu);
    if (blocked_->done) return;  // being served: its reply is on the way
    blocked_->done = true;
    worker_->server()->blocking().Remove(*blocked_);
  }
  cmd::TimeoutReply kind = blocked_->on_timeout;
  blocked_.reset();
  kind == cmd::TimeoutReply::kNullBulk ? writer_.NullBulk() : writer_.NullArray();
  Resume();
}

void Connection::Resume() {
  if (closing_) return;
  // Clocks for whatever runs next (commands that arrived while blocked).
  ProcessInput();
  Flush();
  MaybeFinish();
}

void Connection::ServeReadyKeys() {
  std::vector<std::pair<size_t, std::string>> keys;
  keys.swap(ready_keys_);
  for (auto& [db_index, key] : keys)
    worker_->server()->blocking().ServeKey(worker_->server(), db_index, key);
}

void Connection::Flush() {
  if (closing_ || writing_ || out_.ReadableBytes() == 0) return;
  // Replies waiting for the WAL (appendfsync always) stay in out_, with all that follows them.
  size_t sendable = out_.ReadableBytes();
  if (!holds_.empty()) {
    uint64_t durable = worker_->server()->persistence()->wal().release_lsn();
    while (!holds_.empty() && holds_.front().lsn <= durable) holds_.pop_front();
    if (!holds_.empty()) {
      sendable = static_cast<size_t>(holds_.front().pos - out_sent_);
      if (!wal_listed_) {
        wal_listed_ = true;
        worker_->WatchDurable(this, holds_.front().lsn);
      }
      if (sendable == 0) return;
    }
  }
  uv_stream_t* s = reinterpret_cast<uv_stream_t*>(&handle_);
  uv_buf_t b = uv_buf_init(const_cast<char*>(out_.ReadPtr()), static_cast<unsigned>(sendable));
  int n = uv_try_write(s, &b, 1);
  if (n < 0 && n != UV_EAGAIN) {
    Close();
    return;
  }
  if (n > 0) {
    Bump(worker_->net_output, static_cast<uint64_t>(n));
    out_.Consume(static_cast<size_t>(n));
    out_sent_ += static_cast<uint64_t>(n);
    sendable -= static_cast<size_t>(n);
  }
  if (out_.ReadableBytes() == 0) {
    out_.ShrinkIfIdle(1024 * 1024);
    omem.store(0, std::memory_order_relaxed);
    return;
  }
  if (sendable == 0) {
    omem.store(PendingOutput(), std::memory_order_relaxed);
    return;
  }
  // The kernel took part of it: hand the rest to libuv, and keep appending new replies to the
  // other buffer so the bytes in flight never move.
  if (sendable == out_.ReadableBytes()) {
    out_.Swap(sending_);
  } else {  // only a prefix may go: copy it out, the held rest stays
    sending_.Append(out_.ReadPtr(), sendable);
    out_.Consume(sendable);
  }
  out_sent_ += sendable;
  b = uv_buf_init(const_cast<char*>(sending_.ReadPtr()),
                  static_cast<unsigned>(sending_.ReadableBytes()));
  if (uv_write(&write_req_, s, &b, 1, OnWrite) != 0) {
    Close();
    return;
  }
  writing_ = true;
  omem.store(PendingOutput(), std::memory_order_relaxed);
}

void Connection::OnDurable() {
  wal_listed_ = false;
  if (closing_) return;
  Flush();
  MaybeFinish();
}

void Connection::ResumeFromWal() {
  wal_paused_ = false;
  if (closing_ || paused_ || blocked_) return;
  if (!reading_)
    reading_ = uv_read_start(reinterpret_cast<uv_stream_t*>(&handle_), OnAlloc, OnRead) == 0;
  ProcessInput();
  Flush();
  MaybeFinish();
}

void Connection::OnWrite(uv_write_t* req, int status) {
  auto* c = static_cast<Connection*>(req->data);
  c->writing_ = false;
  if (status < 0 || c->closing_) {
    c->Close();
    return;
  }
  Bump(c->worker_->net_output, c->sending_.ReadableBytes());
  c->sending_.Clear();
  c->sending_.ShrinkIfIdle(1024 * 1024);
  if (c->paused_ && c->PendingOutput() <= kMaxPendingOutput / 2) {
    c->paused_ = false;
    c->reading_ = uv_read_start(reinterpret_cast<uv_stream_t*>(&c->handle_), OnAlloc, OnRead) == 0;
    c->ProcessInput();  // commands already buffered while paused
  }
  c->Flush();
  c->MaybeFinish();
}

void Connection::MaybeFinish() {
  if (closing_) return;
  if (close_after_reply_ && !writing_ && out_.ReadableBytes() == 0) Close();
}

std::string Connection::Describe(int64_t now_ms) const {
  const auto& reg = worker_->server()->registry();
  uint32_t cmd_id = last_cmd_id.load(std::memory_order_relaxed);
  std::string cmd = "NULL";
  for (const cmd::CommandSpec* s : reg.all()) {
    if (s->id == cmd_id) cmd = s->name;
    for (const auto& sub : s->subcommands)
      if (sub.id == cmd_id) cmd = sub.name;
  }
  size_t q = qbuf.load(std::memory_order_relaxed);
  size_t o = omem.load(std::memory_order_relaxed);
  return Format(
      "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%d psub=%d "
      "ssub=%d multi=-1 qbuf=%zu qbuf-free=0 argv-mem=0 multi-mem=0 rbs=%zu rbp=0 obl=0 oll=0 "
      "omem=%zu tot-mem=%zu events=r cmd=%s user=default redir=-1 resp=%d",
      static_cast<unsigned long long>(id), addr.c_str(), laddr.c_str(), fd, name.c_str(),
      static_cast<long long>((now_ms - created_ms) / 1000),
      static_cast<long long>((now_ms - last_interaction_ms.load()) / 1000),
      sub.load() + psub.load() + ssub.load() > 0 ? "P" : "N", db.load(), sub.load(), psub.load(),
      ssub.load(), q,
      std::max<size_t>(q, kReadChunk), o, q + o + sizeof(Connection), cmd.c_str(), resp.load());
}

}  // namespace strata::server
