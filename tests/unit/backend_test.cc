// The backing tier's conformance cases, run against SQLite (a file in a temporary directory)
// and, when STRATA_TEST_MYSQL_SOCKET, STRATA_TEST_MYSQL_USER and STRATA_TEST_MYSQL_PASSWORD are
// set, against MySQL too (a fresh database per case, strata_test_<pid>_<n>, dropped at its end).
// Plus MySQL's reconnect contract: connections the server killed are replaced on the next call.
#include <doctest/doctest.h>
#include <mysql.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "backend/backend.h"

using namespace strata::backend;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A fresh, empty store of one kind, backends on it, and raw SQL on a side connection.
class Target {
 public:
  virtual ~Target() = default;
  virtual std::unique_ptr<Backend> Make(size_t batch_max = 1000) = 0;
  virtual void Sql(const std::string& sql) = 0;  // REQUIREs success
};

class SqliteTarget final : public Target {
 public:
  SqliteTarget() {
    char tmpl[] = "/tmp/strata_backend_test_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/strata.db";
  }
  ~SqliteTarget() override {
    for (const char* ext : {"", "-wal", "-shm", "-journal"}) ::unlink((path_ + ext).c_str());
    ::rmdir(dir_.c_str());
  }
  std::unique_ptr<Backend> Make(size_t batch_max) override {
    SqliteOptions o;
    o.path = path_;
    o.readers = 2;
    o.batch_max = batch_max;
    return MakeSqliteBackend(o);
  }
  void Sql(const std::string& sql) override {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path_.c_str(), &db) == SQLITE_OK);
    char* msg = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
    INFO(sql, ": ", (msg ? msg : ""));
    sqlite3_free(msg);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
  }

 private:
  std::string dir_, path_;
};

bool MysqlConfigured() {
  return std::getenv("STRATA_TEST_MYSQL_SOCKET") && std::getenv("STRATA_TEST_MYSQL_USER") &&
         std::getenv("STRATA_TEST_MYSQL_PASSWORD");
}

class MysqlTarget final : public Target {
 public:
  MysqlTarget() {
    static int counter = 0;
    opts_.socket = std::getenv("STRATA_TEST_MYSQL_SOCKET");
    opts_.user = std::getenv("STRATA_TEST_MYSQL_USER");
    opts_.password = std::getenv("STRATA_TEST_MYSQL_PASSWORD");
    opts_.database = "strata_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    opts_.pool_size = 2;
    MakeMysqlBackend(opts_);  // runs mysql_library_init once
    side_ = mysql_init(nullptr);
    REQUIRE(side_ != nullptr);
    bool connected = mysql_real_connect(side_, nullptr, opts_.user.c_str(),
                                        opts_.password.c_str(), nullptr, 0,
                                        opts_.socket.c_str(), 0) != nullptr;
    INFO(mysql_error(side_));
    REQUIRE(connected);
  }
  ~MysqlTarget() override {
    std::string drop = "DROP DATABASE IF EXISTS `" + opts_.database + "`";
    mysql_query(side_, drop.c_str());
    mysql_close(side_);
  }
  std::unique_ptr<Backend> Make(size_t batch_max) override {
    MysqlOptions o = opts_;
    o.batch_max = batch_max;
    return MakeMysqlBackend(o);
  }
  void Sql(const std::string& sql) override {
    bool ok = mysql_select_db(side_, opts_.database.c_str()) == 0 &&
              mysql_query(side_, sql.c_str()) == 0;
    INFO(sql, ": ", mysql_error(side_));
    REQUIRE(ok);
    if (MYSQL_RES* res = mysql_store_result(side_)) mysql_free_result(res);
  }
  // Kills every server connection that uses this database (the backend's), but not our own.
  int KillBackendConnections() {
    std::string q = "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '" +
                    opts_.database + "' AND ID <> CONNECTION_ID()";
    REQUIRE(mysql_query(side_, q.c_str()) == 0);
    MYSQL_RES* res = mysql_store_result(side_);
    REQUIRE(res != nullptr);
    std::vector<std::string> ids;
    while (MYSQL_ROW row = mysql_fetch_row(res)) ids.emplace_back(row[0]);
    mysql_free_result(res);
    for (const std::string& id : ids) mysql_query(side_, ("KILL " + id).c_str());
    return static_cast<int>(ids.size());
  }
  const MysqlOptions& options() const { return opts_; }

 private:
  MysqlOptions opts_;
  MYSQL* side_ = nullptr;
};

// Runs f once per configured backend kind, each in its own doctest subcase.
template <typename F>
void ForEachTarget(const F& f) {
  SUBCASE("sqlite") {
    SqliteTarget t;
    f(t);
  }
  if (MysqlConfigured()) {
    SUBCASE("mysql") {
      MysqlTarget t;
      f(t);
    }
  }
}

std::unique_ptr<Backend> Opened(Target& t, size_t batch_max = 1000) {
  std::unique_ptr<Backend> b = t.Make(batch_max);
  std::string error;
  bool ok = b->Open(&error);
  INFO(error);
  REQUIRE(ok);
  return b;
}

Row MakeRow(uint32_t db, std::string key, std::string value, int64_t expire_ms = -1,
            uint64_t lsn = 1, uint8_t type = 0) {
  Row r;
  r.db = db;
  r.key = std::move(key);
  r.value = std::move(value);
  r.expire_ms = expire_ms;
  r.lsn = lsn;
  r.type = type;
  return r;
}

// One whole checkpoint: upserts, deletes (in db), commit at lsn.
void Checkpoint(Backend& b, const std::vector<Row>& rows, uint64_t lsn,
                const std::vector<std::string>& deletes = {}, uint32_t delete_db = 0) {
  std::string error;
  bool ok = b.CheckpointBegin(&error) &&
            (deletes.empty() || b.CheckpointDelete(delete_db, deletes, &error)) &&
            (rows.empty() || b.CheckpointUpsert(rows, &error)) && b.CheckpointCommit(lsn, &error);
  INFO(error);
  REQUIRE(ok);
}

std::vector<std::optional<Row>> Get(Backend& b, uint32_t db, const std::vector<std::string>& keys) {
  std::vector<std::optional<Row>> out;
  std::string error;
  bool ok = b.Get(db, keys, &out, &error);
  INFO(error);
  REQUIRE(ok);
  REQUIRE(out.size() == keys.size());
  return out;
}

std::optional<Row> GetOne(Backend& b, uint32_t db, const std::string& key) {
  return Get(b, db, {key})[0];
}

void CheckRow(const std::optional<Row>& got, const Row& want) {
  REQUIRE(got.has_value());
  CHECK(got->db == want.db);
  CHECK(got->key == want.key);
  CHECK(got->type == want.type);
  CHECK(got->value.size() == want.value.size());
  CHECK(got->value == want.value);
  CHECK(got->expire_ms == want.expire_ms);
  CHECK(got->lsn == want.lsn);
}

uint64_t Checkpointed(Backend& b) {
  uint64_t lsn = 12345;
  std::string error;
  bool ok = b.LoadCheckpoint(&lsn, &error);
  INFO(error);
  REQUIRE(ok);
  return lsn;
}

std::set<std::pair<uint32_t, std::string>> Scan(Backend& b, int64_t now_ms) {
  std::set<std::pair<uint32_t, std::string>> keys;
  std::string error;
  bool ok = b.ScanKeys(now_ms, [&](uint32_t db, std::string_view k) {
    keys.emplace(db, std::string(k));
  }, &error);
  INFO(error);
  REQUIRE(ok);
  return keys;
}

std::string Bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

}  // namespace

TEST_SUITE("backend") {

TEST_CASE("backend: open creates the schema; a fresh store is at checkpoint 0") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);
    CHECK(Checkpointed(*b) == 0);
    CHECK(Scan(*b, NowMs()).empty());
    CHECK_FALSE(GetOne(*b, 0, "missing").has_value());
    std::string error;
    CHECK(b->Ping(&error));
    CHECK(b->max_key_len() == (std::string(b->name()) == "mysql" ? 3000u : 0u));
    auto again = Opened(t);  // tables exist now: opens without recreating anything
    CHECK(Checkpointed(*again) == 0);
    b->Close();
    b->Close();  // idempotent
    std::vector<std::optional<Row>> out;
    CHECK_FALSE(b->Get(0, {"k"}, &out, &error));
    CHECK(out.size() == 1);
  });
}

TEST_CASE("backend: upsert and get round trip") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);
    std::string all_bytes;
    for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
    std::vector<Row> rows = {
        MakeRow(0, std::string("a\0b", 3), std::string("v\0\0w", 4)),
        MakeRow(0, "empty-value", ""),
        MakeRow(0, "", "empty key"),
        MakeRow(0, "big", Bytes(1 << 20, 7), -1, 5, 2),
        MakeRow(0, all_bytes, all_bytes, 1893456000123, (1ull << 40) + 3, 4),
        MakeRow(3, "other-db", "x", NowMs() + 60000, 9, 1),
    };
    Checkpoint(*b, rows, 10);
    for (const Row& r : rows) CheckRow(GetOne(*b, r.db, r.key), r);
    std::vector<std::string> keys;
    for (size_t i = 0; i + 1 < rows.size(); ++i) keys.push_back(rows[i].key);
    auto out = Get(*b, 0, keys);
    for (size_t i = 0; i < keys.size(); ++i) CheckRow(out[i], rows[i]);
    CHECK_FALSE(GetOne(*b, 0, "other-db").has_value());  // db 3's key is not in db 0
    CHECK(b->stats().rows_upserted == rows.size());
    CHECK(b->stats().commits == 1);
    CHECK(b->stats().get_keys == rows.size() + 1 + keys.size());
    CHECK(b->stats().get_found == rows.size() + keys.size());
    CHECK(b->stats().get_errors == 0);
  });
}

TEST_CASE("backend: upsert of an existing key replaces the row") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);
    Checkpoint(*b, {MakeRow(1, "k", "first", NowMs() + 5000, 1, 0)}, 1);
    Row second = MakeRow(1, "k", "second value", -1, 2, 3);
    Checkpoint(*b, {second}, 2);
    CheckRow(GetOne(*b, 1, "k"), second);
    // The same key twice in one batch: the later row wins.
    Row third = MakeRow(1, "k", "third", 77, 3, 1);
    Checkpoint(*b, {MakeRow(1, "k", "ignored"), third}, 3);
    CheckRow(GetOne(*b, 1, "k"), third);
  });
}

TEST_CASE("backend: delete") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);
    Checkpoint(*b, {MakeRow(0, "a", "1"), MakeRow(0, "b", "2"), MakeRow(0, "c", "3"),
                    MakeRow(1, "a", "other db")}, 1);
    Checkpoint(*b, {}, 2, {"a", "c", "never-there"}, 0);
    auto out = Get(*b, 0, {"a", "b", "c"});
    CHECK_FALSE(out[0].has_value());
    CHECK(out[1].has_value());
    CHECK_FALSE(out[2].has_value());
    CHECK(GetOne(*b, 1, "a").has_value());
    CHECK(b->stats().rows_deleted == 2);
  });
}

TEST_CASE("backend: flushing a database affects only that database") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);
    Checkpoint(*b, {MakeRow(0, "a", "0a"), MakeRow(1, "a", "1a"), MakeRow(1, "b", "1b")}, 1);
    std::string error;
    bool ok = b->CheckpointBegin(&error) && b->CheckpointFlushDb(1, &error) &&
              b->CheckpointUpsert({MakeRow(1, "c", "after flush")}, &error) &&
              b->CheckpointCommit(2, &error);
    INFO(error);
    REQUIRE(ok);
    CHECK(GetOne(*b, 0, "a").has_value());
    auto out = Get(*b, 1, {"a", "b", "c"});
    CHECK_FALSE(out[0].has_value());
    CHECK_FALSE(out[1].has_value());
    CHECK(out[2].has_value());
    CHECK(b->stats().rows_deleted == 2);
  });
}

TEST_CASE("backend: batches larger than batch_max") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t, /*batch_max=*/7);
    std::vector<Row> rows;
    std::vector<std::string> keys;
    for (int i = 0; i < 100; ++i) {
      keys.push_back("key:" + std::to_string(i));
      rows.push_back(MakeRow(2, keys.back(), "value:" + std::to_string(i), -1, 1, 0));
    }
    Checkpoint(*b, rows, 1);
    auto out = Get(*b, 2, keys);
    for (size_t i = 0; i < keys.size(); ++i) CheckRow(out[i], rows[i]);
    std::vector<std::string> odd;
    for (size_t i = 1; i < keys.size(); i += 2) odd.push_back(keys[i]);
    Checkpoint(*b, {}, 2, odd, 2);
    out = Get(*b, 2, keys);
    for (size_t i = 0; i < keys.size(); ++i) CHECK(out[i].has_value() == (i % 2 == 0));
    CHECK(b->stats().rows_upserted == 100);
    CHECK(b->stats().rows_deleted == 50);
    // A second round with another last-batch size (MySQL re-prepares it).
    rows.resize(12);
    Checkpoint(*b, rows, 3);
    CHECK(Scan(*b, NowMs()).size() == 50 + 6);
  });
}

TEST_CASE("backend: get with many, missing and repeated keys keeps request order") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);
    std::vector<Row> rows;
    for (int i = 0; i < 100; ++i) {
      rows.push_back(MakeRow(0, "k" + std::to_string(i), "v" + std::to_string(i)));
    }
    Checkpoint(*b, rows, 1);
    std::vector<std::string> keys;
    std::vector<int> want;  // index into rows, -1 = missing
    for (int i = 0; i < 150; ++i) {
      int pick = (i * 37) % 130;  // 100..129 do not exist
      if (i % 50 == 0) pick = 5;  // the same key at 0, 50 and 100 (three different batches)
      if (i == 64 || i == 65) pick = 9;  // twice in a row, across a kGetBatch boundary
      keys.push_back("k" + std::to_string(pick));
      want.push_back(pick < 100 ? pick : -1);
    }
    auto out = Get(*b, 0, keys);
    for (size_t i = 0; i < keys.size(); ++i) {
      INFO("position ", i, " key ", keys[i]);
      if (want[i] < 0) {
        CHECK_FALSE(out[i].has_value());
      } else {
        CheckRow(out[i], rows[want[i]]);
      }
    }
    CHECK(Get(*b, 0, {}).empty());
    auto dup = Get(*b, 0, {"k1", "k1"});
    CHECK((dup[0].has_value() && dup[1].has_value()));
  });
}

TEST_CASE("backend: rollback leaves nothing") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);
    Checkpoint(*b, {MakeRow(0, "kept", "1")}, 4);
    std::string error;
    REQUIRE(b->CheckpointBegin(&error));
    REQUIRE(b->CheckpointUpsert({MakeRow(0, "new", "x"), MakeRow(0, "kept", "changed")}, &error));
    REQUIRE(b->CheckpointDelete(0, {"kept"}, &error));
    REQUIRE(b->CheckpointFlushDb(0, &error));
    b->CheckpointRollback();
    CHECK(Checkpointed(*b) == 4);
    CHECK_FALSE(GetOne(*b, 0, "new").has_value());
    auto kept = GetOne(*b, 0, "kept");
    REQUIRE(kept.has_value());
    CHECK(kept->value == "1");
    CHECK(b->stats().commits == 1);
    CHECK(b->stats().rows_upserted == 1);  // the rolled-back rows are not counted
    // Nothing but Begin may follow a rollback.
    CHECK_FALSE(b->CheckpointUpsert({MakeRow(0, "late", "x")}, &error));
    CHECK_FALSE(b->CheckpointCommit(5, &error));
    b->CheckpointRollback();
    CHECK(Checkpointed(*b) == 4);
    Checkpoint(*b, {MakeRow(0, "after", "y")}, 6);
    CHECK(GetOne(*b, 0, "after").has_value());
  });
}

TEST_CASE("backend: commit stores the checkpoint LSN and a reopen reads it") {
  ForEachTarget([](Target& t) {
    {
      auto b = Opened(t);
      Checkpoint(*b, {MakeRow(0, "k", "v", -1, 42)}, 42);
      CHECK(Checkpointed(*b) == 42);
      Checkpoint(*b, {}, (1ull << 50) + 1);  // an empty checkpoint still moves the LSN
      CHECK(Checkpointed(*b) == (1ull << 50) + 1);
    }
    auto b = Opened(t);
    CHECK(Checkpointed(*b) == (1ull << 50) + 1);
    CheckRow(GetOne(*b, 0, "k"), MakeRow(0, "k", "v", -1, 42));
  });
}

TEST_CASE("backend: ScanKeys streams live keys and skips expired rows") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);
    int64_t now = NowMs();
    std::string bin("\0\xff\n", 3);
    Checkpoint(*b, {MakeRow(0, "forever", "v"), MakeRow(0, "expired", "v", now - 1000),
                    MakeRow(0, "at-now", "v", now), MakeRow(5, bin, "v", now + 100000),
                    MakeRow(5, "forever", "v")}, 1);
    std::set<std::pair<uint32_t, std::string>> want = {{0, "forever"}, {5, bin}, {5, "forever"}};
    CHECK(Scan(*b, now) == want);
    CHECK(Scan(*b, now - 2000).size() == 5);
  });
}

TEST_CASE("backend: a newer schema version refuses to open") {
  ForEachTarget([](Target& t) {
    Opened(t)->Close();
    t.Sql("UPDATE strata_meta SET value = " + std::to_string(kSchemaVersion + 1) +
          " WHERE name = 'schema_version'");
    auto b = t.Make();
    std::string error;
    CHECK_FALSE(b->Open(&error));
    CHECK(error.find("newer") != std::string::npos);
    t.Sql("UPDATE strata_meta SET value = 1 WHERE name = 'schema_version'");
    Opened(t);
  });
}

TEST_CASE("backend: concurrent gets share the pool") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);  // 2 read connections for 6 threads: callers wait their turn
    std::vector<Row> rows;
    for (int i = 0; i < 20; ++i) {
      rows.push_back(MakeRow(0, "k" + std::to_string(i), std::to_string(i)));
    }
    Checkpoint(*b, rows, 1);
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int th = 0; th < 6; ++th) {
      threads.emplace_back([&, th] {
        for (int i = 0; i < 30; ++i) {
          std::vector<std::optional<Row>> out;
          std::string error;
          int k = (th * 7 + i) % 25;
          bool ok = b->Get(0, {"k" + std::to_string(k)}, &out, &error);
          if (!ok || out[0].has_value() != (k < 20)) ++bad;
          if (ok && k < 20 && out[0]->value != std::to_string(k)) ++bad;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(bad == 0);
    CHECK(b->stats().get_calls == 180);
  });
}

TEST_CASE("backend: mysql reconnects after the server closes its connections") {
  if (!MysqlConfigured()) return;
  MysqlTarget t;
  auto b = Opened(t, /*batch_max=*/5);
  std::string error;
  Checkpoint(*b, {MakeRow(0, "k", "v")}, 1);
  REQUIRE(GetOne(*b, 0, "k").has_value());

  // Get, Ping and CheckpointBegin retry once on a stale connection: they just work.
  CHECK(t.KillBackendConnections() >= 3);  // writer + 2 readers
  CHECK(GetOne(*b, 0, "k").has_value());
  CHECK(GetOne(*b, 0, "k").has_value());  // the other reader (LIFO pool: same one) is fine too
  CHECK(b->Ping(&error));
  CHECK(b->stats().reconnects >= 2);
  uint64_t lsn = 0;
  CHECK(b->LoadCheckpoint(&lsn, &error));
  CHECK(lsn == 1);
  t.KillBackendConnections();
  Checkpoint(*b, {MakeRow(0, "k2", "v2")}, 2);
  CHECK(GetOne(*b, 0, "k2").has_value());

  // Inside a transaction the call that hits the dead connection fails; Rollback, then the next
  // Begin reconnects.
  REQUIRE(b->CheckpointBegin(&error));
  REQUIRE(b->CheckpointUpsert({MakeRow(0, "lost", "x")}, &error));
  t.KillBackendConnections();
  uint64_t errors = b->stats().write_errors;
  CHECK_FALSE(b->CheckpointUpsert({MakeRow(0, "lost2", "x")}, &error));
  CHECK(b->stats().write_errors == errors + 1);
  CHECK_FALSE(b->CheckpointCommit(3, &error));  // never commits half a checkpoint
  b->CheckpointRollback();
  Checkpoint(*b, {MakeRow(0, "k3", "v3")}, 3);
  auto out = Get(*b, 0, {"lost", "lost2", "k3"});
  CHECK_FALSE(out[0].has_value());
  CHECK_FALSE(out[1].has_value());
  CHECK(out[2].has_value());
  CHECK(Checkpointed(*b) == 3);
}

TEST_CASE("backend: mysql refuses keys longer than max_key_len and fails the transaction") {
  if (!MysqlConfigured()) return;
  MysqlTarget t;
  auto b = Opened(t);
  std::string error;
  REQUIRE(b->CheckpointBegin(&error));
  CHECK(b->CheckpointUpsert({MakeRow(0, std::string(3000, 'k'), "fits")}, &error));
  CHECK_FALSE(b->CheckpointUpsert({MakeRow(0, std::string(3001, 'k'), "too long")}, &error));
  CHECK(error.find("3001") != std::string::npos);
  CHECK_FALSE(b->CheckpointCommit(1, &error));
  b->CheckpointRollback();
  CHECK(Checkpointed(*b) == 0);
  CHECK_FALSE(GetOne(*b, 0, std::string(3000, 'k')).has_value());
}

TEST_CASE("backend: mysql Open fails cleanly on a bad password or database name") {
  if (!MysqlConfigured()) return;
  MysqlTarget t;
  MysqlOptions o = t.options();
  o.password = "wrong-password-xyz";
  std::string error;
  CHECK_FALSE(MakeMysqlBackend(o)->Open(&error));
  CHECK(error.find("wrong-password-xyz") == std::string::npos);
  o = t.options();
  o.database = "bad`name";
  CHECK_FALSE(MakeMysqlBackend(o)->Open(&error));
}

}  // TEST_SUITE
