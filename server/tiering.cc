#include "server/tiering.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdlib>
#include <map>
#include <memory>

#include "common/errors.h"
#include "common/format.h"
#include "common/log.h"
#include "common/strutil.h"
#include "server/persistence.h"
#include "server/server.h"
#include "storage/codec.h"

namespace strata::server {

struct Tiering::Pass {
  uint64_t lsn = 0;
  uint32_t epoch = 0;
  std::vector<uint32_t> flush_dbs;
  std::vector<backend::Row> rows;
  std::map<uint32_t, std::vector<std::string>> deletes;  // by database
};

Tiering::Tiering(Config* config, storage::Keyspace* keyspace)
    : config_(config), keyspace_(keyspace) {}

Tiering::~Tiering() { Stop(); }

bool Tiering::Open(std::string* error) {
  Config& cfg = *config_;
  std::string kind = cfg.GetString("backend");
  size_t batch = static_cast<size_t>(cfg.backend_batch_max.load());
  size_t pool = static_cast<size_t>(cfg.mysql_pool_size.load());
  if (kind == "sqlite") {
    backend::SqliteOptions o;
    std::string file = cfg.GetString("sqlite-file");
    o.path = !file.empty() && file[0] == '/' ? file : cfg.dir() + "/" + file;
    o.readers = std::min<size_t>(pool, 8);  // local reads: a few connections are plenty
    o.batch_max = batch;
    backend_ = backend::MakeSqliteBackend(o);
  } else {
    backend::MysqlOptions o;
    o.host = cfg.GetString("mysql-host");
    o.port = static_cast<int>(cfg.mysql_port.load());
    o.socket = cfg.GetString("mysql-socket");
    o.user = cfg.GetString("mysql-user");
    o.password = cfg.GetString("mysql-password");
    o.database = cfg.GetString("mysql-database");
    o.pool_size = pool;
    o.batch_max = std::min<size_t>(batch, 65535 / 6);  // placeholders per statement
    backend_ = backend::MakeMysqlBackend(o);
  }
  return Open(std::move(backend_), error);
}

bool Tiering::Open(std::unique_ptr<backend::Backend> backend, std::string* error) {
  backend_ = std::move(backend);
  if (!backend_->Open(error)) return false;
  uint64_t lsn = 0;
  if (!backend_->LoadCheckpoint(&lsn, error)) return false;
  checkpoint_lsn_.store(lsn);

  storage::Keyspace& ks = *keyspace_;
  ks.EnableTier(&shared_);
  int64_t t0 = NowMs();
  uint64_t n = 0;
  bool ok = backend_->ScanKeys(NowMs(), [&](uint32_t db, std::string_view key) {
    if (db >= ks.num_dbs()) return;
    storage::KeyRef k = ks.db(db).Ref(key);
    if (k.shard->tier->index.insert(k.hash).second) ++k.shard->tier->evicted;
    ++n;
  }, error);
  if (!ok) return false;
  index_loaded_.store(n);
  Log(LogLevel::kNotice,
      "Backend %s: checkpoint LSN %" PRIu64 ", %" PRIu64 " keys indexed in %.3f seconds",
      backend_->name(), lsn, n, (NowMs() - t0) / 1000.0);
  return true;
}

std::string Tiering::Refusal(const cmd::CommandContext& ctx) const {
  int64_t cap = config_->wal_max_size.load(std::memory_order_relaxed);
  if (cap > 0) {
    // The WAL only shrinks when a checkpoint commits: over the cap, the backend is behind.
    uint64_t size = wal_size_.load(std::memory_order_relaxed);
    if (size > static_cast<uint64_t>(cap))
      return Format(err::kWalMaxSize, size, backend_->name());
  }
  size_t max_key = backend_->max_key_len();
  if (max_key > 0)
    for (const cmd::ResolvedKey& k : ctx.keys)
      if (k.ref.key.size() > max_key) return Format(err::kKeyTooLongForBackend, backend_->name(), max_key);
  return std::string();
}

// ---- read-through ----

bool Tiering::GetWithRetry(uint32_t db, const std::vector<std::string>& keys,
                           std::vector<std::optional<backend::Row>>* rows, std::string* error) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50 << attempt));
    if (backend_->Get(db, keys, rows, error)) return true;
  }
  return false;
}

namespace {
// One job on the libuv threadpool: work() runs there, then after() on the loop's thread.
struct PoolJob {
  uv_work_t req;
  std::function<void()> work, after;
};

void RunOnPool(uv_loop_t* loop, std::function<void()> work, std::function<void()> after) {
  auto* job = new PoolJob{{}, std::move(work), std::move(after)};
  job->req.data = job;
  uv_queue_work(
      loop, &job->req, [](uv_work_t* req) { static_cast<PoolJob*>(req->data)->work(); },
      [](uv_work_t* req, int) {
        auto* j = static_cast<PoolJob*>(req->data);
        j->after();
        delete j;
      });
}
}  // namespace

void Tiering::Load(uv_loop_t* loop, std::vector<storage::TierMiss> misses, LoadDone done) {
  struct State {
    std::vector<storage::TierMiss> misses;
    std::vector<std::optional<backend::Row>> rows;  // aligned with misses
    bool ok = true;
    std::string error;
  };
  auto st = std::make_shared<State>();
  st->misses = std::move(misses);
  loads_.fetch_add(1, std::memory_order_relaxed);
  load_keys_.fetch_add(st->misses.size(), std::memory_order_relaxed);
  load_in_flight_.fetch_add(1, std::memory_order_relaxed);
  auto work = [this, st] {
    // One query per database with the distinct keys; the answers fan back out to misses.
    std::map<uint32_t, std::vector<size_t>> by_db;
    for (size_t i = 0; i < st->misses.size(); ++i)
      by_db[st->misses[i].shard->tier->db].push_back(i);
    st->rows.resize(st->misses.size());
    for (auto& [db, idx] : by_db) {
      std::vector<std::string> keys;
      for (size_t i : idx) keys.push_back(st->misses[i].key);
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      std::vector<std::optional<backend::Row>> rows;
      if (!GetWithRetry(db, keys, &rows, &st->error)) {
        st->ok = false;
        return;
      }
      for (size_t i : idx) {
        size_t at = std::lower_bound(keys.begin(), keys.end(), st->misses[i].key) - keys.begin();
        st->rows[i] = rows[at];
      }
    }
  };
  auto after = [this, st, done = std::move(done)] {
    load_in_flight_.fetch_sub(1, std::memory_order_relaxed);
    if (st->ok) {
      Install(st->misses, st->rows);
    } else {
      load_errors_.fetch_add(1, std::memory_order_relaxed);
    }
    done(st->ok, st->error);
  };
  RunOnPool(loop, std::move(work), std::move(after));
}

bool Tiering::Answer(const cmd::BackendQuery& q, cmd::BackendAnswer* a, std::string* error) {
  using Kind = cmd::BackendQuery::Kind;
  const int64_t now = NowMs();
  switch (q.kind) {
    case Kind::kKeys: {
      bool all = q.pattern == "*";
      return backend_->ScanKeys(
          now,
          [&](uint32_t db, std::string_view key) {
            if (db == q.db && (all || GlobMatch(q.pattern, key)))
              a->keys.push_back({std::string(key), storage::ObjType::kString});
          },
          error);
    }
    case Kind::kPage: {
      std::vector<backend::KeyInfo> page;
      if (!backend_->ScanPage(q.db, q.from, q.count, now, &page, &a->next, error)) return false;
      for (backend::KeyInfo& k : page)
        a->keys.push_back({std::move(k.key), static_cast<storage::ObjType>(k.type)});
      return true;
    }
    case Kind::kRandom: {
      std::optional<backend::KeyInfo> k;
      if (!backend_->KeyAt(q.db, q.from, now, &k, error)) return false;
      if (k) a->keys.push_back({std::move(k->key), static_cast<storage::ObjType>(k->type)});
      return true;
    }
    case Kind::kNone:
      return true;
  }
  return true;
}

void Tiering::Query(uv_loop_t* loop, std::vector<cmd::BackendQuery> queries, QueryDone done) {
  struct State {
    std::vector<cmd::BackendQuery> queries;
    std::vector<cmd::BackendAnswer> answers;
    bool ok = true;
    std::string error;
  };
  auto st = std::make_shared<State>();
  st->queries = std::move(queries);
  auto work = [this, st] {
    st->answers.resize(st->queries.size());
    for (size_t i = 0; i < st->queries.size() && st->ok; ++i)
      st->ok = Answer(st->queries[i], &st->answers[i], &st->error);
  };
  auto after = [st, done = std::move(done)] { done(st->ok, st->error, std::move(st->answers)); };
  RunOnPool(loop, std::move(work), std::move(after));
}

void Tiering::WaitForCheckpoint(uv_loop_t* loop, LoadDone done) {
  memory_waits_.fetch_add(1, std::memory_order_relaxed);
  auto work = [this, seen = checkpoints_.load()] {
    std::unique_lock<std::mutex> lock(mu_);
    committed_cv_.wait_for(lock, std::chrono::milliseconds(100),
                           [&] { return checkpoints_.load() != seen || stop_; });
  };
  auto after = [done = std::move(done)] { done(true, std::string()); };
  RunOnPool(loop, std::move(work), std::move(after));
}

void Tiering::Install(const std::vector<storage::TierMiss>& misses,
                      const std::vector<std::optional<backend::Row>>& rows,
                      const storage::LockSet* held) {
  int64_t now = NowMs();
  for (size_t i = 0; i < misses.size(); ++i) {
    const storage::TierMiss& m = misses[i];
    const std::optional<backend::Row>& row = rows[i];
    bool expired = row && row->expire_ms >= 0 && row->expire_ms <= now;
    storage::Entry* e = nullptr;
    if (row && !expired) {  // decoded before locking: a big collection takes milliseconds
      std::string error;
      e = storage::DecodeEntry(m.key, static_cast<storage::ObjType>(row->type), row->value,
                               row->expire_ms, &error);
      if (e == nullptr)
        Log(LogLevel::kWarning, "Backend row for a key of db %u does not decode (%s): ignored",
            row->db, error.c_str());
    }
    storage::ShardLock lock(m.shard, held);
    if (e == nullptr) {  // no row, expired, or undecodable: the key does not exist
      m.shard->ForgetLoaded(m.hash);
      if (expired) m.shard->tier->dirty.push_back(m.key);  // the next checkpoint deletes it
      continue;
    }
    if (m.shard->InstallLoaded(e, m.hash)) load_found_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Tiering::LoadNow(const std::vector<storage::TierMiss>& misses,
                      const storage::LockSet* held) {
  std::vector<std::optional<backend::Row>> rows(misses.size());
  for (size_t i = 0; i < misses.size(); ++i) {
    std::vector<std::optional<backend::Row>> one;
    std::string error;
    // Start-up may wait for the backend: it must not replay onto a value it could not read.
    while (!GetWithRetry(misses[i].shard->tier->db, {misses[i].key}, &one, &error)) {
      Log(LogLevel::kWarning, "Backend read failed during WAL replay (%s); retrying",
          error.c_str());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    rows[i] = one[0];
  }
  Install(misses, rows, held);
}

// ---- checkpoints ----

void Tiering::Start(wal::Wal* wal) {
  wal_ = wal;
  thread_ = std::thread([this] { CheckpointLoop(); });
}

void Tiering::Stop() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      cv_.notify_all();
    }
    thread_.join();
    Checkpoint(/*final=*/true);  // what the last interval wrote
  }
  if (backend_) backend_->Close();
}

void Tiering::Cron() {
  if (wal_ != nullptr) wal_size_.store(wal_->GetStats().current_size);
}

void Tiering::Kick() {
  std::lock_guard<std::mutex> lock(mu_);
  kicked_ = true;
  cv_.notify_all();
}

void Tiering::CheckpointLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    auto interval = std::chrono::milliseconds(config_->checkpoint_interval.load());
    cv_.wait_for(lock, interval, [&] { return stop_ || kicked_; });
    if (stop_) break;
    kicked_ = false;
    lock.unlock();
    Checkpoint(/*final=*/false);
    lock.lock();
  }
}

bool Tiering::Instant(Pass* pass) {
  storage::LockSet all;
  all.AddAll(*keyspace_);
  all.Lock();
  bool any = false;
  size_t keys = 0;
  for (storage::Shard* s : all.shards()) {
    storage::ShardTier& t = *s->tier;
    t.capture_keys.swap(t.dirty);
    t.capture_flushed = t.flushed;
    t.flushed = false;
    t.capture_pending = !t.capture_keys.empty();
    keys += t.capture_keys.size();
    if (t.capture_flushed &&
        std::find(pass->flush_dbs.begin(), pass->flush_dbs.end(), t.db) == pass->flush_dbs.end())
      pass->flush_dbs.push_back(t.db);
    any |= t.capture_pending || t.capture_flushed;
  }
  if (!any) return false;
  pass->lsn = wal_->last_lsn();
  pass->epoch = shared_.epoch.load();
  shared_.capture_lsn = pass->lsn;
  shared_.capture_ms = NowMs();
  shared_.epoch.store(pass->epoch + 1);
  wal_->RotateAfter(pass->lsn);
  backlog_keys_.store(keys);
  return true;
}

void Tiering::Collect(Pass* pass) {
  storage::Keyspace& ks = *keyspace_;
  for (size_t d = 0; d < ks.num_dbs(); ++d) {
    for (size_t i = 0; i < ks.num_shards(); ++i) {
      storage::Shard* s = &ks.db(d).shard(i);
      storage::ShardLock lock(s);  // captures the shard if no writer did (LockShard)
      storage::ShardTier& t = *s->tier;
      for (backend::Row& r : t.rows) pass->rows.push_back(std::move(r));
      if (!t.deletes.empty()) {
        std::vector<std::string>& del = pass->deletes[t.db];
        for (std::string& k : t.deletes) del.push_back(std::move(k));
      }
      // Give the buffers back: a burst of writes must not pin their high-water mark.
      std::vector<backend::Row>().swap(t.rows);
      std::vector<std::string>().swap(t.deletes);
      std::vector<std::string>().swap(t.capture_keys);
    }
  }
}

bool Tiering::Write(const Pass& pass, std::string* error) {
  backend::Backend& b = *backend_;
  if (!b.CheckpointBegin(error)) return false;
  bool ok = true;
  for (uint32_t db : pass.flush_dbs) ok = ok && b.CheckpointFlushDb(db, error);
  for (const auto& [db, keys] : pass.deletes) ok = ok && b.CheckpointDelete(db, keys, error);
  ok = ok && (pass.rows.empty() || b.CheckpointUpsert(pass.rows, error));
  ok = ok && b.CheckpointCommit(pass.lsn, error);
  if (!ok) b.CheckpointRollback();
  return ok;
}

bool Tiering::Checkpoint(bool final) {
  // A pass holds copies of the values it writes until it returns (after checkpoint_lsn moved):
  // while it runs, a write over maxmemory with nothing evictable waits rather than gets -OOM
  // (Server::CheckMemory). Declared before `pass`, so cleared after its memory is freed.
  struct Running {
    std::atomic<bool>* flag;
    ~Running() { flag->store(false, std::memory_order_release); }
  } running{&pass_running_};
  Pass pass;
  pass_running_.store(true, std::memory_order_release);
  if (!Instant(&pass)) {
    // Nothing to write: the health check, so INFO shows an outage before writes need it.
    std::string error;
    bool ok = final || backend_->Ping(&error);
    if (!ok) {
      std::lock_guard<std::mutex> lock(mu_);
      last_error_ = error;
    }
    if (healthy_.exchange(ok) != ok)
      Log(ok ? LogLevel::kNotice : LogLevel::kWarning, "Backend %s %s%s", backend_->name(),
          ok ? "reachable again" : "unreachable: ", error.c_str());
    return true;
  }
  Collect(&pass);
  int64_t t0 = NowMs();
  int64_t backoff_ms = 100;
  for (int attempt = 1;; ++attempt) {
    std::string error;
    if (Write(pass, &error)) break;
    checkpoint_failures_.fetch_add(1, std::memory_order_relaxed);
    if (healthy_.exchange(false) || attempt == 1)
      Log(LogLevel::kWarning, "Checkpoint to the %s backend failed (%s); retrying in %" PRId64 " ms",
          backend_->name(), error.c_str(), backoff_ms);
    {
      std::unique_lock<std::mutex> lock(mu_);
      last_error_ = error;
      if (final && attempt >= 3) {
        Log(LogLevel::kWarning, "Giving up the last checkpoint: the WAL keeps its records");
        return false;
      }
      if (!final) cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [&] { return stop_; });
      if (stop_ && !final) final = true;  // shutting down: a few more tries at most
    }
    if (final) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    backoff_ms = std::min<int64_t>(backoff_ms * 2, 5000);
  }
  if (!healthy_.exchange(true))
    Log(LogLevel::kNotice, "Backend %s reachable again: checkpoint written", backend_->name());
  shared_.committed.store(pass.epoch, std::memory_order_release);
  checkpoint_lsn_.store(pass.lsn, std::memory_order_release);
  wal_->DropThrough(pass.lsn);
  size_t deletes = 0;
  for (const auto& kv : pass.deletes) deletes += kv.second.size();
  checkpoints_.fetch_add(1, std::memory_order_relaxed);
  checkpoint_rows_.fetch_add(pass.rows.size(), std::memory_order_relaxed);
  checkpoint_deletes_.fetch_add(deletes, std::memory_order_relaxed);
  last_checkpoint_ms_.store(static_cast<uint64_t>(NowMs() - t0));
  last_checkpoint_unix_ms_.store(static_cast<uint64_t>(NowMs()));
  backlog_keys_.store(0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    committed_cv_.notify_all();  // writers waiting for memory (WaitForCheckpoint)
  }
  return true;
}

// ---- INFO ----

std::string Tiering::Info(const storage::LockSet* held) {
  std::string s;
  auto line = [&](const std::string& l) { s += l + "\r\n"; };
  storage::Keyspace& ks = *keyspace_;
  uint64_t dirty = 0, evicted = 0, indexed = 0;
  for (size_t d = 0; d < ks.num_dbs(); ++d) {
    for (size_t i = 0; i < ks.num_shards(); ++i) {
      storage::Shard* sh = &ks.db(d).shard(i);
      storage::ShardLock lock(sh, held);
      dirty += sh->tier->dirty.size();
      evicted += sh->tier->evicted;
      indexed += sh->tier->index.size();
    }
  }
  uint64_t last_lsn = wal_ != nullptr ? wal_->last_lsn() : 0;
  std::string error;
  {
    std::lock_guard<std::mutex> lock(mu_);
    error = last_error_;
  }
  backend::Stats& bs = backend_->stats();
  line(Format("backend:%s", backend_->name()));
  line(Format("backend_state:%s", healthy_.load() ? "ok" : "down"));
  line("backend_last_error:" + (healthy_.load() ? std::string() : error));
  line(Format("checkpoint_lsn:%" PRIu64, checkpoint_lsn()));
  line(Format("checkpoint_backlog_lsns:%" PRIu64, last_lsn - std::min(last_lsn, checkpoint_lsn())));
  line(Format("checkpoint_backlog_keys:%" PRIu64, dirty + backlog_keys_.load()));
  line(Format("checkpoints:%" PRIu64, checkpoints_.load()));
  line(Format("checkpoint_failures:%" PRIu64, checkpoint_failures_.load()));
  line(Format("checkpoint_rows:%" PRIu64, checkpoint_rows_.load()));
  line(Format("checkpoint_deletes:%" PRIu64, checkpoint_deletes_.load()));
  line(Format("checkpoint_last_ms:%" PRIu64, last_checkpoint_ms_.load()));
  line(Format("checkpoint_last_unix_ms:%" PRIu64, last_checkpoint_unix_ms_.load()));
  line(Format("index_keys:%" PRIu64, indexed));
  line(Format("index_loaded_keys:%" PRIu64, index_loaded_.load()));
  line(Format("backend_only_keys:%" PRIu64, evicted));
  line(Format("readthrough_loads:%" PRIu64, loads_.load()));
  line(Format("readthrough_keys:%" PRIu64, load_keys_.load()));
  line(Format("readthrough_found:%" PRIu64, load_found_.load()));
  line(Format("readthrough_errors:%" PRIu64, load_errors_.load()));
  line(Format("readthrough_in_flight:%" PRIu64, load_in_flight_.load()));
  line(Format("memory_waits:%" PRIu64, memory_waits_.load()));
  line(Format("backend_reconnects:%" PRIu64, bs.reconnects.load()));
  line(Format("backend_write_errors:%" PRIu64, bs.write_errors.load()));
  return s;
}

}  // namespace strata::server
