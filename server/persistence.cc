#include "server/persistence.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstring>

#include "common/format.h"
#include "common/log.h"
#include "server/server.h"
#include "server/tiering.h"
#include "storage/hash_object.h"
#include "storage/list_object.h"
#include "storage/set_object.h"
#include "storage/zset_object.h"
#include "wal/crc32c.h"
#include "wal/record.h"

namespace strata::server {

namespace {
// Records up to this size are encoded under the WAL queue lock; larger ones are built and
// checksummed outside it, so a big value does not hold up other threads' appends.
constexpr size_t kInPlaceMax = 4096;
// One reusable payload builder per thread (commands on a loop thread are logged one by one).
thread_local wal::PayloadWriter tl_payload;
// What the active Scope of this thread holds: shards locked (ascending), the state index and
// argument position of each key.
struct ScopeBuffers {
  struct Want {
    size_t db, index;
    storage::Shard* shard;
    bool operator<(const Want& o) const { return db != o.db ? db < o.db : index < o.index; }
    bool operator==(const Want& o) const { return db == o.db && index == o.index; }
  };
  std::vector<Want> want;
  std::vector<size_t> states, key_pos;
  std::vector<uint64_t> hashes;  // of each key
  storage::HeldShards held;
};
thread_local ScopeBuffers tl_scope;
// EXEC's record under construction on this thread.
thread_local wal::PayloadWriter tl_exec_payload;
struct ExecKey {
  size_t state;   // index into Persistence::shards_
  uint64_t hash;  // the key's hash
  bool write;     // written (and logged) by the transaction
};
thread_local std::vector<ExecKey> tl_exec_keys;
thread_local bool tl_exec_whole = false, tl_exec_whole_write = false;
}  // namespace

Persistence::Persistence(Server* server, wal::Options opts)
    : server_(server),
      wal_(std::make_unique<wal::Wal>(std::move(opts))),
      num_shards_(server->keyspace().num_shards()),
      num_dbs_(server->keyspace().num_dbs()),
      shards_(num_shards_ * num_dbs_) {
  tiered_ = server->tiering() != nullptr;
}

Persistence::~Persistence() { Stop(); }

storage::Shard& Persistence::ShardAt(size_t index) {
  return server_->keyspace().db(index / num_shards_).shard(index % num_shards_);
}

// ---- start-up ----

void Persistence::Apply(std::string_view payload) {
  std::vector<wal::DecodedCommand> cmds;
  if (!wal::DecodePayload(payload, &cmds)) {
    ++replay_errors_;
    strata::Log(LogLevel::kWarning, "WAL: a record's payload does not decode; skipped");
    return;
  }
  ++loaded_records_;
  Buffer out;
  protocol::ReplyWriter writer(&out);
  for (const wal::DecodedCommand& c : cmds) {
    ++loaded_commands_;
    cmd::ClientState client;
    client.db_index = c.db < num_dbs_ ? c.db : 0;
    cmd::CommandContext ctx;
    ctx.argv = c.argv.data();
    ctx.argc = c.argv.size();
    ctx.out = &writer;
    ctx.client = &client;
    ctx.keyspace = &server_->keyspace();
    ctx.server = server_;
    ctx.registry = &server_->registry();
    ctx.now_ms = c.time_ms;
    out.Clear();
    cmd::Resolved r = cmd::Resolve(server_->registry(), ctx);
    Tiering* tier = server_->tiering();
    if (r.ok && tier != nullptr) tier->LoadForReplay(*r.spec, client.db_index, ctx.argv, ctx.argc);
    if (r.ok) r.spec->handler(ctx);
    if (r.ok && tier != nullptr && ctx.dirty > 0) tier->MarkWritten(*r.spec, ctx);
    if (!r.ok || (out.ReadableBytes() > 0 && out.ReadPtr()[0] == '-')) {
      if (++replay_errors_ <= 5)
        strata::Log(LogLevel::kWarning, "WAL: replaying '%.*s' replied %.*s",
                    static_cast<int>(c.argv[0].size()), c.argv[0].data(),
                    static_cast<int>(std::min<size_t>(out.ReadableBytes(), 120)), out.ReadPtr());
    }
  }
}

bool Persistence::Load(std::string* error) {
  int64_t t0 = NowMs();
  // With a backend, every record at or below its checkpoint LSN is in it already (each row
  // holds the LSN of the checkpoint that wrote it): replay is idempotent by skipping them.
  uint64_t skip_through = tiered_ ? server_->tiering()->checkpoint_lsn() : 0;
  bool ok = wal_->Recover(
      [this, skip_through](uint64_t lsn, std::string_view payload, bool) {
        if (lsn <= skip_through) {
          ++skipped_records_;
          return;
        }
        Apply(payload);
      },
      error);
  if (ok) wal_->ContinueAfter(skip_through);
  load_ms_ = NowMs() - t0;
  if (!ok) return false;
  strata::Log(LogLevel::kNotice,
              "WAL loaded: %" PRIu64 " records, %" PRIu64 " commands (%" PRIu64
              " records already in the backend skipped), up to LSN %" PRIu64 " in %.3f seconds%s",
              loaded_records_, loaded_commands_, skipped_records_, wal_->last_lsn(),
              load_ms_ / 1000.0,
              replay_errors_ > 0 ? " (some commands replied errors, see above)" : "");
  return true;
}

bool Persistence::Start(std::function<void()> on_progress, std::string* error) {
  wal_->set_on_progress(std::move(on_progress));
  if (!wal_->Start(error)) return false;
  if (wal_->needs_rewrite()) {  // a damaged base was set aside: persist what was loaded
    std::string e;
    if (!StartRewrite(&e)) strata::Log(LogLevel::kWarning, "WAL: %s", e.c_str());
  }
  return true;
}

void Persistence::Stop() {
  if (rewrite_thread_.joinable()) rewrite_thread_.join();
  wal_->Stop();
}

// ---- logging one command ----

Persistence::Scope::~Scope() {
  if (!active_) return;
  ScopeBuffers& b = tl_scope;
  storage::tl_held_shards = saved_;
  storage::tl_key_hash = {};
  // Unlock in reverse order; UnlockShard runs the WATCH release hook while still locked.
  for (auto it = b.want.rbegin(); it != b.want.rend(); ++it) storage::UnlockShard(it->shard);
}

bool Persistence::Begin(const cmd::CommandSpec& spec, const cmd::CommandContext& ctx,
                        Scope* scope, bool check_tier) {
  ScopeBuffers& b = tl_scope;
  b.want.clear();
  b.states.clear();
  b.hashes.clear();
  storage::Keyspace& ks = server_->keyspace();
  size_t db = ctx.client->db_index;
  scope->whole_ = spec.whole_keyspace;
  if (scope->whole_) {
    for (size_t d = 0; d < num_dbs_; ++d)
      for (size_t i = 0; i < num_shards_; ++i) b.want.push_back({d, i, &ks.db(d).shard(i)});
  } else {
    if (spec.first_key > 0 && spec.last_key == spec.first_key &&
        !(spec.flags & cmd::kMovableKeys) && static_cast<size_t>(spec.first_key) < ctx.argc) {
      b.key_pos.assign(1, static_cast<size_t>(spec.first_key));  // one key: most commands
    } else {
      cmd::CompatKeyPositions(spec, ctx.argv, ctx.argc, &b.key_pos);
    }
    storage::Db& d = ks.db(db);
    for (size_t p : b.key_pos) {
      storage::KeyRef k = d.Ref(ctx.arg(p));
      b.want.push_back({db, k.shard_index, k.shard});
      b.states.push_back(StateIndex(db, k.shard_index));
      b.hashes.push_back(k.hash);
    }
    if (b.key_pos.size() == 1)  // the handler's Ref of the same argument reuses the hash
      storage::tl_key_hash = {ctx.arg(b.key_pos[0]).data(), ctx.arg(b.key_pos[0]).size(),
                              b.hashes[0]};
    // The global lock order (database, shard index), each shard once.
    if (b.want.size() > 1) {
      std::sort(b.want.begin(), b.want.end());
      b.want.erase(std::unique(b.want.begin(), b.want.end()), b.want.end());
    }
  }
  for (const ScopeBuffers::Want& w : b.want) storage::LockShard(w.shard);
  b.held.all = scope->whole_;
  b.held.one = nullptr;
  b.held.shards.clear();
  if (b.want.size() == 1) {
    b.held.one = b.want[0].shard;
  } else if (!scope->whole_) {
    for (const ScopeBuffers::Want& w : b.want) b.held.shards.push_back(w.shard);
    std::sort(b.held.shards.begin(), b.held.shards.end());
  }
  scope->saved_ = storage::tl_held_shards;
  storage::tl_held_shards = &b.held;
  scope->active_ = true;
  if (rewriting_.load(std::memory_order_acquire) && (spec.flags & cmd::kWrite)) {
    if (scope->whole_) {
      for (size_t i = 0; i < shards_.size(); ++i) CaptureIfPending(i);
    } else {
      for (size_t i : b.states) CaptureIfPending(i);
    }
  }
  if (check_tier && tiered_ && (spec.flags & cmd::kWrite))
    return !server_->tiering()->CollectMissing(spec, ctx);
  return true;
}

uint64_t Persistence::Log(const std::string_view* argv, size_t argc,
                          const cmd::CommandContext& ctx) {
  uint32_t db = static_cast<uint32_t>(ctx.client->db_index);
  size_t size;
  if (ctx.log_as.empty() && (size = wal::SingleCommandSize(argv, argc)) <= kInPlaceMax) {
    // The common case: encoded and checksummed straight into the WAL queue.
    return wal_->AppendInPlace(size, [&](char* dst) {
      wal::EncodeSingleCommand(dst, db, ctx.now_ms, argv, argc);
    });
  }
  wal::PayloadWriter& pw = tl_payload;
  pw.Clear();
  if (ctx.log_as.empty()) {
    pw.Add(db, ctx.now_ms, argv, argc);
  } else {
    for (const std::vector<std::string>& c : ctx.log_as) pw.Add(db, ctx.now_ms, c);
  }
  std::string_view payload = pw.Finish();
  return wal_->Append(payload, wal::Crc32c(payload.data(), payload.size()));
}

void Persistence::NoteWrite(ShardState& st, uint64_t key_hash, uint64_t lsn) {
  st.max_lsn = lsn;
  if (!always()) return;
  if (!st.recent) st.recent = std::make_unique<uint64_t[]>(kRecentSlots);  // zeroed
  st.recent[Slot(key_hash)] = lsn;
}

uint64_t Persistence::WaitFor(const ShardState& st, uint64_t key_hash) const {
  uint64_t w = st.barrier_lsn;
  if (st.recent) w = std::max(w, st.recent[Slot(key_hash)]);
  return w;
}

uint64_t Persistence::End(const cmd::CommandSpec& spec, const cmd::CommandContext& ctx,
                          Scope* scope) {
  const ScopeBuffers& b = tl_scope;
  uint64_t lsn = 0;
  if ((spec.flags & cmd::kWrite) && ctx.dirty > 0) {
    lsn = Log(ctx.argv, ctx.argc, ctx);
    if (tiered_) server_->tiering()->MarkWritten(spec, ctx);
    if (scope->whole_) {
      for (ShardState& st : shards_) {
        st.max_lsn = lsn;
        st.barrier_lsn = lsn;
      }
    } else {
      for (size_t i = 0; i < b.key_pos.size(); ++i)
        NoteWrite(shards_[b.states[i]], b.hashes[i], lsn);
    }
  }
  uint64_t wait = 0;
  if (always()) {
    wait = lsn;
    if (scope->whole_) {
      wait = std::max(wait, wal_->last_lsn());
    } else {
      for (size_t i = 0; i < b.key_pos.size(); ++i)
        wait = std::max(wait, WaitFor(shards_[b.states[i]], b.hashes[i]));
    }
  }
  return wait;  // the scope's destructor unlocks
}

// ---- logging at the release of the key's shard ----

Persistence::ReleaseLogger::ReleaseLogger(Persistence* p, const cmd::CommandContext& ctx)
    : p_(p), ctx_(ctx), saved_acquire_(storage::tl_acquire_hook) {
  storage::tl_acquire_hook = this;
}

Persistence::ReleaseLogger::~ReleaseLogger() {
  storage::tl_acquire_hook = saved_acquire_;
  if (!logged_ && ctx_.dirty > 0) {
    p_->Log(ctx_.argv, ctx_.argc, ctx_);
    p_->unlocked_logs.fetch_add(1, std::memory_order_relaxed);
  }
}

void Persistence::ReleaseLogger::OnRelease(const storage::Shard* s) {
  if (logged_ || ctx_.dirty == 0) return;
  p_->shards_[s->id].max_lsn = p_->Log(ctx_.argv, ctx_.argc, ctx_);
  logged_ = true;
}

void Persistence::ReleaseLogger::OnAcquire(storage::Shard* s) {
  // Locking the shard orders this with StartRewrite's all-shard instant: if the rewrite's
  // snapshot LSN was fixed before, the shard is marked and captured here, before any change.
  if (p_->rewriting_.load(std::memory_order_relaxed)) p_->CaptureIfPending(s->id);
}

// ---- EXEC ----

void Persistence::BeforeExec(const std::vector<storage::Shard*>& locked, bool all) {
  tl_exec_payload.Clear();
  tl_exec_keys.clear();
  tl_exec_whole = tl_exec_whole_write = false;
  if (!rewriting_.load(std::memory_order_acquire)) return;
  for (size_t i = 0; i < shards_.size(); ++i)
    if (all || std::find(locked.begin(), locked.end(), &ShardAt(i)) != locked.end())
      CaptureIfPending(i);
}

void Persistence::AddExecCommand(const cmd::CommandSpec& spec, const cmd::CommandContext& ctx) {
  bool write = (spec.flags & cmd::kWrite) && ctx.dirty > 0;
  if (write) {
    if (tiered_) server_->tiering()->MarkWritten(spec, ctx);
    uint32_t db = static_cast<uint32_t>(ctx.client->db_index);
    if (ctx.log_as.empty()) {
      tl_exec_payload.Add(db, ctx.now_ms, ctx.argv, ctx.argc);
    } else {
      for (const std::vector<std::string>& c : ctx.log_as) tl_exec_payload.Add(db, ctx.now_ms, c);
    }
  }
  if (spec.whole_keyspace) {  // a barrier (writes) or a wait for everything (reads)
    tl_exec_whole = true;
    tl_exec_whole_write |= write;
    return;
  }
  if (!(spec.flags & (cmd::kWrite | cmd::kReadOnly))) return;
  std::vector<size_t> pos;
  cmd::CompatKeyPositions(spec, ctx.argv, ctx.argc, &pos);
  storage::Db& d = server_->keyspace().db(ctx.client->db_index);
  for (size_t p : pos) {
    storage::KeyRef k = d.Ref(ctx.arg(p));
    tl_exec_keys.push_back({StateIndex(ctx.client->db_index, k.shard_index), k.hash, write});
  }
}

uint64_t Persistence::EndExec() {
  uint64_t lsn = 0;
  if (tl_exec_payload.count() > 0) {
    std::string_view payload = tl_exec_payload.Finish();
    lsn = wal_->Append(payload, wal::Crc32c(payload.data(), payload.size()));
    for (const ExecKey& k : tl_exec_keys)
      if (k.write) NoteWrite(shards_[k.state], k.hash, lsn);
    if (tl_exec_whole_write) {  // FLUSHALL & co in the transaction
      for (ShardState& st : shards_) {
        st.max_lsn = lsn;
        st.barrier_lsn = lsn;
      }
    }
  }
  uint64_t wait = lsn;
  if (always()) {
    // What the transaction read: its keys' last writes (or everything, for KEYS & co).
    if (tl_exec_whole) wait = std::max(wait, wal_->last_lsn());
    for (const ExecKey& k : tl_exec_keys) wait = std::max(wait, WaitFor(shards_[k.state], k.hash));
  }
  tl_exec_payload.Clear();
  tl_exec_keys.clear();
  tl_exec_whole = tl_exec_whole_write = false;
  return always() ? wait : 0;
}

// ---- rewrite ----

bool Persistence::StartRewrite(std::string* error) {
  if (tiered_) {  // checkpoints compact the log: one now does what a rewrite would
    server_->tiering()->Kick();
    return true;
  }
  bool expected = false;
  if (!rewriting_.compare_exchange_strong(expected, true)) {
    *error = "ERR Background append only file rewriting already in progress";
    return false;
  }
  if (rewrite_thread_.joinable()) rewrite_thread_.join();  // the previous one, finished
  storage::Keyspace& ks = server_->keyspace();
  {
    storage::MultiShardLock all;
    for (size_t d = 0; d < num_dbs_; ++d)
      for (size_t i = 0; i < num_shards_; ++i) all.AddShard(d, i, &ks.db(d).shard(i));
    all.LockAll();
    rewrite_lsn_ = wal_->last_lsn();
    rewrite_time_ms_ = NowMs();
    for (ShardState& st : shards_) st.capture_pending = true;
    wal_->RotateAfter(rewrite_lsn_);
  }
  rewrite_started_ms_.store(NowMs());
  strata::Log(LogLevel::kNotice, "Background append only file rewriting started (snapshot at LSN %" PRIu64 ")",
              rewrite_lsn_);
  rewrite_thread_ = std::thread([this, lsn = rewrite_lsn_] { RewriteThread(lsn); });
  return true;
}

void Persistence::CaptureIfPending(size_t index) {
  ShardState& st = shards_[index];
  if (!st.capture_pending) return;
  std::string out;
  Capture(index, &out);
  st.capture_pending = false;
  cow_captures_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(captured_mu_);
  captured_.push_back(std::move(out));
}

namespace {
// Appends the payload built so far to `out` as a base record, and starts a new one.
void FlushCapture(wal::PayloadWriter& pw, uint64_t lsn, std::string* out) {
  if (pw.count() == 0) return;
  std::string_view payload = pw.Finish();
  wal::RecordHeader h;
  h.len = static_cast<uint32_t>(payload.size());
  h.lsn = lsn;
  h.crc = wal::RecordCrc(wal::Crc32c(payload.data(), payload.size()), lsn, h.len);
  char hdr[wal::kRecordHeaderSize];
  wal::EncodeRecordHeader(hdr, h);
  out->append(hdr, sizeof(hdr));
  out->append(payload.data(), payload.size());
  pw.Clear();
}

std::string ScoreString(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}
}  // namespace

// Serializes one shard as commands that rebuild it. Caller holds the shard lock.
void Persistence::Capture(size_t index, std::string* out) {
  constexpr size_t kChunk = 512;          // elements per command
  constexpr size_t kRecordBytes = 256 << 10;
  storage::Shard& shard = ShardAt(index);
  uint32_t db = static_cast<uint32_t>(index / num_shards_);
  int64_t now = rewrite_time_ms_;
  wal::PayloadWriter pw;
  std::vector<std::string> argv;
  auto emit = [&] {
    pw.Add(db, now, argv);
    if (pw.size() >= kRecordBytes) FlushCapture(pw, rewrite_lsn_, out);
  };
  auto start = [&](const char* name, std::string_view key) {
    argv.clear();
    argv.emplace_back(name);
    argv.emplace_back(key);
  };
  // One element's arguments to the command being built (argv[0..1] = name, key); every kChunk
  // elements the command is emitted and the next one started under the same name and key.
  auto element = [&](std::initializer_list<std::string_view> parts) {
    for (std::string_view p : parts) argv.emplace_back(p);
    if ((argv.size() - 2) / parts.size() == kChunk) {
      emit();
      std::string name = std::move(argv[0]), key = std::move(argv[1]);
      start(name.c_str(), key);
    }
  };
  shard.dict().ForEach([&](storage::Entry* e) {
    if (e->IsExpired(now)) return;
    std::string_view key = e->key();
    switch (e->type()) {
      case storage::ObjType::kString:
        start("SET", key);
        argv.emplace_back(e->str());
        if (e->HasExpire()) {
          argv.emplace_back("PXAT");
          argv.emplace_back(std::to_string(e->expire_ms()));
        }
        emit();
        return;  // the TTL went with SET
      case storage::ObjType::kList: {
        start("RPUSH", key);
        auto* l = static_cast<storage::ListObject*>(e->obj());
        for (auto c = l->At(0); c.valid(); c.Next()) element({c.Get()});
        break;
      }
      case storage::ObjType::kHash:
        start("HSET", key);
        static_cast<storage::HashObject*>(e->obj())->ForEach(
            [&](std::string_view f, std::string_view v) { element({f, v}); });
        break;
      case storage::ObjType::kSet:
        start("SADD", key);
        static_cast<storage::SetObject*>(e->obj())->ForEach(
            [&](std::string_view m) { element({m}); });
        break;
      case storage::ObjType::kZSet: {
        start("ZADD", key);
        auto* z = static_cast<storage::ZSetObject*>(e->obj());
        for (auto it = z->Begin(); it.valid(); it.Next()) {
          std::string score = ScoreString(it.score());
          element({score, it.member()});
        }
        break;
      }
    }
    if (argv.size() > 2) emit();  // the last partial chunk
    if (e->HasExpire()) {
      start("PEXPIREAT", key);
      argv.emplace_back(std::to_string(e->expire_ms()));
      emit();
    }
  });
  FlushCapture(pw, rewrite_lsn_, out);
}

void Persistence::RewriteThread(uint64_t lsn) {
  std::string tmp = wal_->BaseTempPath(lsn);
  std::string error;
  bool ok = false;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  auto write_all = [&](const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t w = ::write(fd, s.data() + off, s.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return false;
      off += static_cast<size_t>(w);
    }
    return true;
  };
  auto drain_captured = [&] {
    std::vector<std::string> got;
    {
      std::lock_guard<std::mutex> lock(captured_mu_);
      got.swap(captured_);
    }
    for (const std::string& s : got)
      if (!write_all(s)) return false;
    return true;
  };
  if (fd < 0) {
    error = Format("can't create %s: %s", tmp.c_str(), std::strerror(errno));
  } else {
    char hdr[wal::kFileHeaderSize];
    wal::EncodeFileHeader(hdr, wal::kBaseMagic, lsn);
    bool io_ok = write_all(std::string(hdr, sizeof(hdr)));
    std::string buf;
    for (size_t i = 0; i < shards_.size() && io_ok; ++i) {
      buf.clear();
      {
        storage::ShardLock lock(&ShardAt(i));
        ShardState& st = shards_[i];
        if (st.capture_pending) {
          Capture(i, &buf);
          st.capture_pending = false;
        }
      }
      io_ok = write_all(buf) && drain_captured();
    }
    io_ok = io_ok && drain_captured();
    if (!io_ok || fsync(fd) != 0) {
      error = Format("can't write %s: %s", tmp.c_str(), std::strerror(errno));
      io_ok = false;
    }
    ::close(fd);
    if (io_ok) ok = wal_->InstallBase(tmp, lsn, &error);
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    // Shards not captured stay marked: clear them so writers stop capturing.
    for (size_t i = 0; i < shards_.size(); ++i) {
      storage::ShardLock lock(&ShardAt(i));
      shards_[i].capture_pending = false;
    }
    std::lock_guard<std::mutex> lock(captured_mu_);
    captured_.clear();
    strata::Log(LogLevel::kWarning, "Background append only file rewriting failed: %s", error.c_str());
  } else {
    strata::Log(LogLevel::kNotice, "Background AOF rewrite finished successfully (base at LSN %" PRIu64 ")", lsn);
    rewrites_.fetch_add(1);
  }
  last_rewrite_ok_.store(ok);
  last_rewrite_secs_.store((NowMs() - rewrite_started_ms_.load()) / 1000);
  rewriting_.store(false, std::memory_order_release);
}

void Persistence::Cron(int64_t pct, int64_t min_size) {
  if (pct <= 0 || rewriting()) return;
  wal::Stats s = wal_->GetStats();
  uint64_t base = std::max<uint64_t>(wal_->rewrite_base_size(), 1);
  if (s.current_size < static_cast<uint64_t>(min_size)) return;
  if ((s.current_size - std::min(s.current_size, base)) * 100 / base < static_cast<uint64_t>(pct)) return;
  std::string error;
  strata::Log(LogLevel::kNotice, "Starting automatic rewriting of AOF on %" PRIu64 "%% growth",
              (s.current_size - base) * 100 / base);
  StartRewrite(&error);
}

// ---- INFO ----

std::string Persistence::WriteRefusal() const {
  int err = wal_->write_errno();
  if (err == 0) return {};
  return Format("MISCONF Errors writing to the AOF file: %s", std::strerror(err));
}

std::string Persistence::Info() {
  wal::Stats s = wal_->GetStats();
  std::string o;
  auto line = [&](const std::string& l) {
    o += l;
    o += "\r\n";
  };
  bool rw = rewriting();
  int64_t started = rewrite_started_ms_.load();
  line(Format("aof_enabled:1"));
  line(Format("aof_rewrite_in_progress:%d", rw ? 1 : 0));
  line("aof_rewrite_scheduled:0");
  line(Format("aof_last_rewrite_time_sec:%lld", static_cast<long long>(last_rewrite_secs_.load())));
  line(Format("aof_current_rewrite_time_sec:%lld",
              rw ? static_cast<long long>((NowMs() - started) / 1000) : -1LL));
  line(Format("aof_last_bgrewrite_status:%s", last_rewrite_ok_.load() ? "ok" : "err"));
  line(Format("aof_rewrites:%llu", static_cast<unsigned long long>(rewrites_.load())));
  line(Format("aof_last_write_status:%s", s.write_errno == 0 ? "ok" : "err"));
  line(Format("aof_current_size:%llu", static_cast<unsigned long long>(s.current_size)));
  line(Format("aof_base_size:%llu", static_cast<unsigned long long>(s.base_size)));
  line("aof_pending_rewrite:0");
  line(Format("aof_buffer_length:%llu", static_cast<unsigned long long>(s.pending_bytes)));
  line("aof_pending_bio_fsync:0");
  line("aof_delayed_fsync:0");
  const char* pol = wal_->policy() == wal::FsyncPolicy::kAlways     ? "always"
                    : wal_->policy() == wal::FsyncPolicy::kEverySec ? "everysec"
                                                                     : "no";
  line(Format("wal_fsync_policy:%s", pol));
  line(Format("wal_last_lsn:%llu", static_cast<unsigned long long>(s.last_lsn)));
  line(Format("wal_written_lsn:%llu", static_cast<unsigned long long>(s.written_lsn)));
  line(Format("wal_durable_lsn:%llu", static_cast<unsigned long long>(s.synced_lsn)));
  line(Format("wal_pending_records:%llu", static_cast<unsigned long long>(s.pending_records)));
  line(Format("wal_pending_bytes:%llu", static_cast<unsigned long long>(s.pending_bytes)));
  line(Format("wal_segments:%zu", s.segments));
  line(Format("wal_batches:%llu", static_cast<unsigned long long>(s.batches)));
  line(Format("wal_records_written:%llu", static_cast<unsigned long long>(s.records_written)));
  line(Format("wal_bytes_written:%llu", static_cast<unsigned long long>(s.bytes_written)));
  line(Format("wal_batch_avg:%.2f",
              s.batches ? static_cast<double>(s.records_written) / s.batches : 0.0));
  line(Format("wal_batch_max:%llu", static_cast<unsigned long long>(s.batch_max)));
  line(Format("wal_fsyncs:%llu", static_cast<unsigned long long>(s.fsyncs)));
  line(Format("wal_records_per_fsync:%.2f",
              s.fsyncs ? static_cast<double>(s.records_written) / s.fsyncs : 0.0));
  line(Format("wal_last_fsync_time:%lld", static_cast<long long>(s.last_fsync_unix_ms / 1000)));
  line(Format("wal_fsync_last_usec:%llu", static_cast<unsigned long long>(s.fsync_last_us)));
  line(Format("wal_fsync_avg_usec:%llu",
              static_cast<unsigned long long>(s.fsyncs ? s.fsync_total_us / s.fsyncs : 0)));
  line(Format("wal_fsync_max_usec:%llu", static_cast<unsigned long long>(s.fsync_max_us)));
  line(Format("wal_unlocked_logs:%llu", static_cast<unsigned long long>(unlocked_logs.load())));
  line(Format("wal_backpressure_pauses:%llu",
              static_cast<unsigned long long>(backpressure_pauses.load())));
  line(Format("wal_write_errors:%llu", static_cast<unsigned long long>(s.write_errors)));
  line(Format("wal_last_write_error:%s", s.write_errno ? std::strerror(s.write_errno) : ""));
  line(Format("wal_rewrite_cow_captures:%llu", static_cast<unsigned long long>(cow_captures_.load())));
  line(Format("wal_loaded_records:%llu", static_cast<unsigned long long>(loaded_records_)));
  line(Format("wal_load_errors:%llu", static_cast<unsigned long long>(replay_errors_)));
  return o;
}

}  // namespace strata::server
