// Persistence: logging commands to the WAL for the dispatcher, durability slots, replay at
// start-up, and the rewrite (BGREWRITEAOF). See persistence.h and docs/PERSISTENCE.md.
#include "server/persistence.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstring>

#include "common/errors.h"
#include "common/format.h"
#include "common/log.h"
#include "server/dispatcher.h"
#include "server/server.h"
#include "server/tiering.h"
#include "storage/hash_object.h"
#include "storage/list_object.h"
#include "storage/set_object.h"
#include "storage/stream_object.h"
#include "storage/zset_object.h"
#include "wal/crc32c.h"
#include "wal/record.h"

namespace strata::server {

namespace {
// Records up to this size are encoded under the WAL queue lock; larger ones are built and
// checksummed outside it, so a big value does not hold up other threads' appends.
constexpr size_t kInPlaceMax = 4096;
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

void Persistence::Apply(std::string_view payload, Dispatcher* replay) {
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
    Effects fx;
    replay->Run(ctx, Mode::kReplay, &fx);
    if (out.ReadableBytes() > 0 && out.ReadPtr()[0] == '-') {
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
  DispatchParts parts;  // replay: no WAL (nothing is logged again), the tier to read through
  parts.keyspace = &server_->keyspace();
  parts.registry = &server_->registry();
  parts.server = server_;
  parts.tier = server_->tiering();
  Dispatcher replay(parts);
  bool ok = wal_->Recover(
      [this, skip_through, &replay](uint64_t lsn, std::string_view payload, bool) {
        if (lsn <= skip_through) {
          ++skipped_records_;
          return;
        }
        Apply(payload, &replay);
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

// ---- logging (the dispatcher; the caller holds the shards) ----

void Persistence::BeforeWrite(const storage::LockSet& held) {
  if (!rewriting_.load(std::memory_order_acquire)) return;
  for (const storage::Shard* sh : held.shards()) CaptureIfPending(sh->id);
}

uint64_t Persistence::Log(const cmd::CommandContext& ctx, wal::PayloadWriter* scratch) {
  uint32_t db = static_cast<uint32_t>(ctx.client->db_index);
  size_t size;
  if (ctx.log_as.empty() && (size = wal::SingleCommandSize(ctx.argv, ctx.argc)) <= kInPlaceMax) {
    // The common case: encoded and checksummed straight into the WAL queue.
    return wal_->AppendInPlace(size, [&](char* dst) {
      wal::EncodeSingleCommand(dst, db, ctx.now_ms, ctx.argv, ctx.argc);
    });
  }
  scratch->Clear();
  if (ctx.log_as.empty()) {
    scratch->Add(db, ctx.now_ms, ctx.argv, ctx.argc);
  } else {
    for (const std::vector<std::string>& c : ctx.log_as) scratch->Add(db, ctx.now_ms, c);
  }
  std::string_view payload = scratch->Finish();
  return wal_->Append(payload, wal::Crc32c(payload.data(), payload.size()));
}

void Persistence::Add(WalBatch* batch, const cmd::CommandContext& ctx) {
  uint32_t db = static_cast<uint32_t>(ctx.client->db_index);
  if (ctx.log_as.empty()) {
    batch->payload.Add(db, ctx.now_ms, ctx.argv, ctx.argc);
  } else {
    for (const std::vector<std::string>& c : ctx.log_as) batch->payload.Add(db, ctx.now_ms, c);
  }
}

uint64_t Persistence::LogBatch(WalBatch* batch, const storage::LockSet& held) {
  if (batch->payload.count() == 0) return 0;
  std::string_view payload = batch->payload.Finish();
  uint64_t lsn = wal_->Append(payload, wal::Crc32c(payload.data(), payload.size()));
  for (const auto& [shard, hash] : batch->written) NoteWrite(shard, hash, lsn);
  if (batch->barrier) NoteBarrier(held, lsn);
  return lsn;
}

void Persistence::NoteWrite(const storage::Shard* s, uint64_t key_hash, uint64_t lsn) {
  ShardState& st = shards_[s->id];
  st.max_lsn = lsn;
  if (!always()) return;
  if (!st.recent) st.recent = std::make_unique<uint64_t[]>(kRecentSlots);  // zeroed
  st.recent[Slot(key_hash)] = lsn;
}

void Persistence::NoteBarrier(const storage::LockSet& held, uint64_t lsn) {
  for (const storage::Shard* s : held.shards()) {
    ShardState& st = shards_[s->id];
    st.max_lsn = lsn;
    st.barrier_lsn = lsn;
  }
}

uint64_t Persistence::KeyWait(const storage::Shard* s, uint64_t key_hash) const {
  const ShardState& st = shards_[s->id];
  uint64_t w = st.barrier_lsn;
  if (st.recent) w = std::max(w, st.recent[Slot(key_hash)]);
  return w;
}

uint64_t Persistence::ShardWait(const storage::Shard* s) const {
  return shards_[s->id].max_lsn;
}

// ---- rewrite ----

bool Persistence::StartRewrite(std::string* error) {
  if (tiered_) {  // checkpoints compact the log: one now does what a rewrite would
    server_->tiering()->Kick();
    return true;
  }
  bool expected = false;
  if (!rewriting_.compare_exchange_strong(expected, true)) {
    *error = err::kRewriteInProgress;
    return false;
  }
  if (rewrite_thread_.joinable()) rewrite_thread_.join();  // the previous one, finished
  storage::Keyspace& ks = server_->keyspace();
  {
    storage::LockSet all;
    all.AddAll(ks);
    all.Lock();
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
      case storage::ObjType::kStream: {
        // One XADD per entry with its ID, then XSETID for what entries do not say (an empty
        // stream is made by an XADD that trims itself away, as Redis's AOF rewrite does).
        auto* st = static_cast<storage::StreamObject*>(e->obj());
        st->Range({}, storage::StreamID::Max(), false, 0,
                  [&](storage::StreamID id, const storage::StreamFields& f) {
                    start("XADD", key);
                    argv.emplace_back(id.ToString());
                    for (size_t i = 0; i < f.size(); ++i) {
                      argv.emplace_back(f.fields[i]);
                      argv.emplace_back(f.values[i]);
                    }
                    emit();
                    return true;
                  });
        if (st->length() == 0) {
          storage::StreamID id = st->last_id().IsZero() ? storage::StreamID{0, 1} : st->last_id();
          start("XADD", key);
          for (const char* a : {"MAXLEN", "0"}) argv.emplace_back(a);
          argv.emplace_back(id.ToString());
          for (const char* a : {"x", "y"}) argv.emplace_back(a);
          emit();
        }
        start("XSETID", key);
        argv.emplace_back(st->last_id().ToString());
        argv.emplace_back("ENTRIESADDED");
        argv.emplace_back(std::to_string(st->entries_added()));
        argv.emplace_back("MAXDELETEDID");
        argv.emplace_back(st->max_deleted_id().ToString());
        emit();
        // Consumer groups: the group, its consumers, its pending entries as forced claims.
        for (const auto& [name, g] : st->groups()) {
          argv = {"XGROUP", "CREATE", std::string(key), name, g.last_id.ToString(), "ENTRIESREAD",
                  std::to_string(g.entries_read)};
          emit();
          for (const auto& [cname, c] : g.consumers) {
            argv = {"XGROUP", "CREATECONSUMER", std::string(key), name, cname};
            emit();
          }
          for (const auto& [id, n] : g.pel) {
            argv = {"XCLAIM", std::string(key), name, n.consumer->first, "0", id.ToString(), "TIME",
                    std::to_string(n.delivery_time), "RETRYCOUNT",
                    std::to_string(n.delivery_count), "FORCE", "JUSTID"};
            emit();
          }
        }
        argv.clear();
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
  return Format(err::kAofWriteFailed, std::strerror(err));
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
