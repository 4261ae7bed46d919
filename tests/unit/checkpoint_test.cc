// The checkpointer (server/tiering.h) with a real SQLite backend wrapped so that its commit can
// fail, and a real WAL in a temporary directory: a checkpoint that does not commit counts
// nothing as written. Its keys stay dirty (not evictable), the committed epoch and the
// checkpoint LSN stay where they were, and the WAL keeps every record; the next checkpoint
// that commits writes them all.
#include <doctest/doctest.h>

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "server/config.h"
#include "server/tiering.h"
#include "storage/keyspace.h"
#include "storage/tier.h"
#include "wal/wal.h"

using namespace strata;
using server::Config;
using server::Tiering;

namespace {

// Forwards everything to a real backend; CheckpointCommit fails (and rolls back) while `fail`.
class FailingCommit : public backend::Backend {
 public:
  explicit FailingCommit(std::unique_ptr<backend::Backend> real) : real_(std::move(real)) {}
  std::atomic<bool> fail{false};
  std::atomic<int> refused{0};

  const char* name() const override { return real_->name(); }
  size_t max_key_len() const override { return real_->max_key_len(); }
  bool Open(std::string* error) override { return real_->Open(error); }
  void Close() override { real_->Close(); }
  bool LoadCheckpoint(uint64_t* lsn, std::string* error) override {
    return real_->LoadCheckpoint(lsn, error);
  }
  bool ScanKeys(int64_t now_ms, const std::function<void(uint32_t, std::string_view)>& fn,
                std::string* error) override {
    return real_->ScanKeys(now_ms, fn, error);
  }
  bool ScanPage(uint32_t db, uint64_t from, size_t count, int64_t now_ms,
                std::vector<backend::KeyInfo>* out, uint64_t* next, std::string* error) override {
    return real_->ScanPage(db, from, count, now_ms, out, next, error);
  }
  bool KeyAt(uint32_t db, uint64_t point, int64_t now_ms,
             std::optional<backend::KeyInfo>* out, std::string* error) override {
    return real_->KeyAt(db, point, now_ms, out, error);
  }
  bool Get(uint32_t db, const std::vector<std::string>& keys,
           std::vector<std::optional<backend::Row>>* rows, std::string* error) override {
    return real_->Get(db, keys, rows, error);
  }
  bool CheckpointBegin(std::string* error) override { return real_->CheckpointBegin(error); }
  bool CheckpointFlushDb(uint32_t db, std::string* error) override {
    return real_->CheckpointFlushDb(db, error);
  }
  bool CheckpointUpsert(const std::vector<backend::Row>& rows, std::string* error) override {
    return real_->CheckpointUpsert(rows, error);
  }
  bool CheckpointDelete(uint32_t db, const std::vector<std::string>& keys,
                        std::string* error) override {
    return real_->CheckpointDelete(db, keys, error);
  }
  bool CheckpointCommit(uint64_t lsn, std::string* error) override {
    if (fail.load()) {
      ++refused;
      *error = "commit refused by the test";
      return false;  // the caller rolls back
    }
    return real_->CheckpointCommit(lsn, error);
  }
  void CheckpointRollback() override { real_->CheckpointRollback(); }
  bool Ping(std::string* error) override { return real_->Ping(error); }

 private:
  std::unique_ptr<backend::Backend> real_;
};

struct Fixture {
  std::string dir;
  Config config;
  storage::Keyspace ks{2, 4};
  std::unique_ptr<wal::Wal> wal;
  std::unique_ptr<Tiering> tier;
  FailingCommit* backend = nullptr;

  Fixture() {
    char tmpl[] = "/tmp/strata_checkpoint_test_XXXXXX";
    dir = mkdtemp(tmpl);
    std::string error;
    // No timed checkpoints: the test drives every pass itself.
    REQUIRE(config.LoadArgs({"--backend", "sqlite", "--appendonly", "yes",
                             "--checkpoint-interval", "3600000"},
                            &error));
    wal::Options o;
    o.dir = dir + "/wal";
    o.fsync = wal::FsyncPolicy::kNo;
    wal = std::make_unique<wal::Wal>(o);
    REQUIRE(wal->Recover([](uint64_t, std::string_view, bool) {}, &error));
    REQUIRE(wal->Start(&error));
    backend::SqliteOptions so;
    so.path = dir + "/strata.sqlite";
    auto wrapped = std::make_unique<FailingCommit>(backend::MakeSqliteBackend(so));
    backend = wrapped.get();
    tier = std::make_unique<Tiering>(&config, &ks);
    REQUIRE(tier->Open(std::move(wrapped), &error));
    tier->Start(wal.get());
  }
  ~Fixture() {
    tier->Stop();
    wal->Stop();
    std::filesystem::remove_all(dir);
  }

  // A logged write, as the dispatcher does it: change, log, mark, all under the shard lock.
  void Set(const std::string& key, const std::string& value) {
    storage::KeyRef k = ks.db(0).Ref(key);
    storage::ShardLock lock(k);
    k.shard->Put(storage::Entry::NewString(key, value, storage::kNoExpire), k.hash);
    wal->Append("x", 0);  // any record: the checkpoint covers LSNs
    k.shard->MarkWritten(k.key, k.hash);
  }
  bool Clean(const std::string& key) {
    storage::KeyRef k = ks.db(0).Ref(key);
    storage::ShardLock lock(k);
    const storage::Entry* e = k.shard->Find(k.key, k.hash, 0);
    return e != nullptr && tier->Clean(*e);
  }
};

}  // namespace

TEST_CASE("checkpoint: a commit that fails counts nothing as written until a retry commits") {
  Fixture f;
  f.Set("a", "1");
  f.Set("b", "2");
  REQUIRE(f.tier->Checkpoint(/*final=*/true));  // commits
  CHECK(f.Clean("a"));
  const uint64_t lsn_before = f.tier->checkpoint_lsn();
  CHECK(lsn_before >= 2);

  f.Set("a", "new");  // dirty again
  f.Set("c", "3");
  f.backend->fail = true;
  bool committed = false;
  std::thread pass([&] { committed = f.tier->Checkpoint(/*final=*/false); });  // retries
  for (int i = 0; i < 500 && f.backend->refused.load() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(f.backend->refused.load() >= 2);
  // Nothing of the refused pass is clean or covered: eviction may not drop a or c (their new
  // values are only in memory and the WAL), and the WAL keeps their records.
  CHECK_FALSE(f.Clean("a"));
  CHECK_FALSE(f.Clean("c"));
  CHECK(f.Clean("b"));  // written by the first checkpoint, untouched since
  CHECK(f.tier->checkpoint_lsn() == lsn_before);

  f.backend->fail = false;
  pass.join();  // the next retry commits the same rows
  CHECK(committed);
  CHECK(f.Clean("a"));
  CHECK(f.Clean("c"));
  CHECK(f.tier->checkpoint_lsn() > lsn_before);
  std::vector<std::optional<backend::Row>> rows;
  std::string error;
  REQUIRE(f.tier->backend().Get(0, {"a", "b", "c"}, &rows, &error));
  REQUIRE(rows.size() == 3);
  for (const auto& r : rows) REQUIRE(r.has_value());
  CHECK(rows[0]->value == "new");
  CHECK(rows[1]->value == "2");
  CHECK(rows[2]->value == "3");
}
