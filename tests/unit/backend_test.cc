// The backing tier's conformance cases, run against SQLite (a file in a temporary directory)
// and, when STRATA_TEST_MYSQL_SOCKET, STRATA_TEST_MYSQL_USER and STRATA_TEST_MYSQL_PASSWORD are
// set, against MySQL too (a fresh database per case, strata_test_<pid>_<n>, dropped at its end).
// Plus MySQL's reconnect contract: connections the server killed are replaced on the next call,
// the key-order walks (ScanPage, KeyAt) and the schema version 1 -> 2 migration, also killed
// half-way.
#include <doctest/doctest.h>
#include <mysql.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <functional>
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
#include "backend/sql_common.h"

using namespace strata::backend;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using SqlRows = std::vector<std::vector<std::string>>;  // NULL reads as "NULL"

// A fresh, empty store of one kind, backends on it, and raw SQL on a side connection.
class Target {
 public:
  virtual ~Target() = default;
  virtual const char* kind() const = 0;  // "sqlite" | "mysql"
  virtual std::unique_ptr<Backend> Make(size_t batch_max = 1000) = 0;
  virtual void Sql(const std::string& sql) = 0;  // REQUIREs success
  virtual SqlRows Query(const std::string& sql) = 0;  // REQUIREs success

  // Applied by Make: the migration's batch size (0: the default) and its progress hook.
  size_t migrate_batch = 0;
  std::function<void(uint64_t)> migrate_progress;
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
  const char* kind() const override { return "sqlite"; }
  std::unique_ptr<Backend> Make(size_t batch_max) override {
    SqliteOptions o;
    o.path = path_;
    o.readers = 2;
    o.batch_max = batch_max;
    if (migrate_batch > 0) o.migrate_batch = migrate_batch;
    o.migrate_progress = migrate_progress;
    return MakeSqliteBackend(o);
  }
  void Sql(const std::string& sql) override { Query(sql); }
  SqlRows Query(const std::string& sql) override {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path_.c_str(), &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* msg = nullptr;
    SqlRows rows;
    auto collect = [](void* out, int n, char** values, char**) {
      auto* r = static_cast<SqlRows*>(out);
      r->emplace_back();
      for (int i = 0; i < n; ++i) r->back().emplace_back(values[i] ? values[i] : "NULL");
      return 0;
    };
    int rc = sqlite3_exec(db, sql.c_str(), collect, &rows, &msg);
    INFO(sql, ": ", (msg ? msg : ""));
    sqlite3_free(msg);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
    return rows;
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
  const char* kind() const override { return "mysql"; }
  std::unique_ptr<Backend> Make(size_t batch_max) override {
    MysqlOptions o = opts_;
    o.batch_max = batch_max;
    if (migrate_batch > 0) o.migrate_batch = migrate_batch;
    o.migrate_progress = migrate_progress;
    return MakeMysqlBackend(o);
  }
  void Sql(const std::string& sql) override { Query(sql); }
  // Creates the database first if no backend has yet (a fixture built before any Open).
  SqlRows Query(const std::string& sql) override {
    std::string create = "CREATE DATABASE IF NOT EXISTS `" + opts_.database + "`";
    bool ok = mysql_query(side_, create.c_str()) == 0 &&
              mysql_select_db(side_, opts_.database.c_str()) == 0 &&
              mysql_real_query(side_, sql.data(), sql.size()) == 0;
    INFO(sql, ": ", mysql_error(side_));
    REQUIRE(ok);
    SqlRows rows;
    if (MYSQL_RES* res = mysql_store_result(side_)) {
      unsigned n = mysql_num_fields(res);
      while (MYSQL_ROW row = mysql_fetch_row(res)) {
        unsigned long* len = mysql_fetch_lengths(res);
        rows.emplace_back();
        for (unsigned i = 0; i < n; ++i) {
          rows.back().push_back(row[i] ? std::string(row[i], len[i]) : "NULL");
        }
      }
      mysql_free_result(res);
    }
    return rows;
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

std::string Hex(const std::string& s) {
  static const char kDigits[] = "0123456789ABCDEF";
  std::string h;
  for (unsigned char c : s) {
    h += kDigits[c >> 4];
    h += kDigits[c & 15];
  }
  return h;
}

uint64_t ToU64(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 10); }

// Walks database db with ScanPage from position 0 to the end in pages of `count`, checking each
// page's contract (positions from `from` up to below `next`, in order, about count keys; stored
// positions are the keys' own unless `forced`). between(page) runs after each page but the last.
std::vector<KeyInfo> Walk(Backend& b, uint32_t db, size_t count, int64_t now_ms,
                          const std::function<void(uint64_t next)>& between = nullptr,
                          bool forced = false) {
  std::vector<KeyInfo> all;
  uint64_t from = 0;
  for (size_t page = 0;; ++page) {
    REQUIRE(page < 100000);
    std::vector<KeyInfo> out(3);  // ScanPage clears it
    uint64_t next = 12345;
    std::string error;
    bool ok = b.ScanPage(db, from, count, now_ms, &out, &next, &error);
    INFO(error, " page ", page, " from ", from);
    REQUIRE(ok);
    if (!forced) CHECK(out.size() <= std::max<size_t>(count, 1));  // no equal positions here
    for (size_t i = 0; i < out.size(); ++i) {
      CHECK(out[i].pos >= from);
      if (next != 0) CHECK(out[i].pos < next);
      if (i > 0) CHECK(out[i - 1].pos <= out[i].pos);
      if (!forced) CHECK(out[i].pos == Backend::KeyPosition(out[i].key));
    }
    all.insert(all.end(), out.begin(), out.end());
    if (next == 0) break;
    CHECK(next > from);
    from = next;
    if (between) between(next);
  }
  return all;
}

// The keys of a walk, REQUIRing each at most once.
std::set<std::string> KeySet(const std::vector<KeyInfo>& keys) {
  std::set<std::string> set;
  for (const KeyInfo& k : keys) {
    INFO("key ", k.key);
    CHECK(set.insert(k.key).second);
  }
  return set;
}

std::optional<KeyInfo> At(Backend& b, uint32_t db, uint64_t point, int64_t now_ms) {
  std::optional<KeyInfo> out;
  std::string error;
  bool ok = b.KeyAt(db, point, now_ms, &out, &error);
  INFO(error);
  REQUIRE(ok);
  return out;
}

// Version 1's schema, as that version created it (the migration's starting point).
std::vector<std::string> V1Schema(const Target& t) {
  if (std::string(t.kind()) == "sqlite") {
    return {
        "PRAGMA journal_mode=WAL",
        "CREATE TABLE IF NOT EXISTS strata_kv ("
        "db INT NOT NULL, k BLOB NOT NULL, type SMALLINT NOT NULL, v BLOB NOT NULL, "
        "expire_ms BIGINT, lsn BIGINT NOT NULL, PRIMARY KEY (db, k))",
        "CREATE TABLE IF NOT EXISTS strata_meta (name VARCHAR(64) PRIMARY KEY, value BIGINT)",
        "INSERT OR IGNORE INTO strata_meta (name, value) VALUES ('schema_version', 1)",
        "INSERT OR IGNORE INTO strata_meta (name, value) VALUES ('checkpoint_lsn', 0)",
    };
  }
  return {
      "CREATE TABLE IF NOT EXISTS strata_kv ("
      "db INT NOT NULL, k VARBINARY(3000) NOT NULL, type SMALLINT NOT NULL, v LONGBLOB NOT NULL, "
      "expire_ms BIGINT NULL, lsn BIGINT UNSIGNED NOT NULL, PRIMARY KEY (db, k)) ENGINE=InnoDB",
      "CREATE TABLE IF NOT EXISTS strata_meta ("
      "name VARCHAR(64) NOT NULL PRIMARY KEY, value BIGINT NOT NULL) ENGINE=InnoDB",
      "INSERT INTO strata_meta (name, value) VALUES ('schema_version', 1), ('checkpoint_lsn', 0) "
      "ON DUPLICATE KEY UPDATE name = name",
  };
}

// Rows as a version 1 server wrote them: no kh (the column's default fills it, if any).
void InsertV1Rows(Target& t, const std::vector<Row>& rows) {
  for (size_t begin = 0; begin < rows.size(); begin += 200) {
    std::string sql = "INSERT INTO strata_kv (db, k, type, v, expire_ms, lsn) VALUES ";
    for (size_t i = begin; i < std::min(rows.size(), begin + 200); ++i) {
      const Row& r = rows[i];
      sql += (i > begin ? ",(" : "(") + std::to_string(r.db) + ", X'" + Hex(r.key) + "', " +
             std::to_string(r.type) + ", X'" + Hex(r.value) + "', " +
             (r.expire_ms < 0 ? std::string("NULL") : std::to_string(r.expire_ms)) + ", " +
             std::to_string(r.lsn) + ")";
    }
    t.Sql(sql);
  }
}

// A version 1 store holding `rows` at checkpoint 77.
void MakeV1Store(Target& t, const std::vector<Row>& rows) {
  for (const std::string& sql : V1Schema(t)) t.Sql(sql);
  t.Sql("UPDATE strata_meta SET value = 77 WHERE name = 'checkpoint_lsn'");
  InsertV1Rows(t, rows);
}

// n rows in databases 0 and 2: binary and empty keys, values of every type, some expired.
std::vector<Row> MigrationRows(size_t n, int64_t now) {
  std::vector<Row> rows;
  for (size_t i = 0; i < n; ++i) {
    std::string key = i % 10 == 3 ? Bytes(1 + i % 40, static_cast<uint32_t>(i))
                                  : "mig:" + std::to_string(i);
    if (i == 0) key.clear();
    int64_t expire = i % 7 == 0 ? now - 1000 : i % 7 == 1 ? now + 3600000 : -1;
    rows.push_back(MakeRow(static_cast<uint32_t>(i % 3 == 0 ? 2 : 0), key,
                           "value " + std::to_string(i) + Bytes(i % 5, 9), expire, 10 + i % 50,
                           static_cast<uint8_t>(i % 5)));
  }
  return rows;
}

std::string SchemaVersion(Target& t) {
  SqlRows r = t.Query("SELECT value FROM strata_meta WHERE name = 'schema_version'");
  REQUIRE(r.size() == 1);
  return r[0][0];
}

// Checks a store migrated from `rows`: every row has its key's position, version 2, the index,
// and the rows read back whole through Get, ScanKeys and ScanPage.
void CheckMigrated(Target& t, Backend& b, const std::vector<Row>& rows, int64_t now) {
  std::map<std::pair<uint32_t, std::string>, uint64_t> want_pos;
  for (const Row& r : rows) want_pos[{r.db, Hex(r.key)}] = Backend::KeyPosition(r.key);
  SqlRows got = t.Query("SELECT db, HEX(k), kh FROM strata_kv");
  REQUIRE(got.size() == want_pos.size());
  for (const auto& g : got) {
    INFO("db ", g[0], " key ", g[1]);
    auto it = want_pos.find({static_cast<uint32_t>(ToU64(g[0])), g[1]});
    REQUIRE(it != want_pos.end());
    CHECK(ToU64(g[2]) == it->second);
  }
  CHECK(SchemaVersion(t) == "2");
  if (std::string(t.kind()) == "sqlite") {
    CHECK(t.Query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND "
                  "name = 'strata_kv_kh'")[0][0] == "1");
  } else {
    CHECK(t.Query("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                  "DATABASE() AND TABLE_NAME = 'strata_kv' AND INDEX_NAME = 'strata_kv_kh'")[0][0]
          == "2");  // one row per column
    // Like a new table: no default, so a write that forgets kh fails.
    CHECK(t.Query("SELECT COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                  "DATABASE() AND TABLE_NAME = 'strata_kv' AND COLUMN_NAME = 'kh'")[0][0] ==
          "NULL");
  }
  CHECK(Checkpointed(b) == 77);
  std::set<std::pair<uint32_t, std::string>> live;
  std::map<uint32_t, std::set<std::string>> live_by_db;
  for (const Row& r : rows) {
    CheckRow(GetOne(b, r.db, r.key), r);
    if (r.expire_ms < 0 || r.expire_ms > now) {
      live.emplace(r.db, r.key);
      live_by_db[r.db].insert(r.key);
    }
  }
  CHECK(Scan(b, now) == live);
  for (uint32_t db : {0u, 2u}) CHECK(KeySet(Walk(b, db, 100, now)) == live_by_db[db]);
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

TEST_CASE("backend: KeyPosition is XXH3_64bits >> 2, the same everywhere") {
  // Known values: a change of hash, seed or shift would move every stored row's position.
  CHECK(Backend::KeyPosition("") == 811105335370900784ull);  // XXH3 of "" is 0x2D06800538D394C2
  CHECK(Backend::KeyPosition("foo") == 3088228927787736930ull);
  CHECK(Backend::KeyPosition("user:1000") == 4528950433491911463ull);
  for (uint32_t i = 0; i < 1000; ++i) {
    std::string k = Bytes(i % 64, i);
    CHECK(Backend::KeyPosition(k) == XXH3_64bits(k.data(), k.size()) >> 2);
    CHECK(Backend::KeyPosition(k) <= kMaxKeyPosition);
  }
}

TEST_CASE("backend: CutPage ends a page only between two different positions") {
  auto fetched = [](std::vector<uint64_t> positions) {
    std::vector<KeyInfo> v;
    for (uint64_t p : positions) v.push_back(KeyInfo{"k" + std::to_string(p), 0, p});
    return v;
  };
  PageCut c = CutPage(fetched({}), 3);  // empty database
  CHECK((c.keep == 0 && c.next == 0 && !c.whole_run));
  c = CutPage(fetched({1, 2, 3}), 3);  // fewer than count + 1: the end
  CHECK((c.keep == 3 && c.next == 0 && !c.whole_run));
  c = CutPage(fetched({1, 2, 3, 4}), 3);
  CHECK((c.keep == 3 && c.next == 4 && !c.whole_run));
  c = CutPage(fetched({1, 2, 4, 4}), 3);  // the run at 4 goes to the next page whole
  CHECK((c.keep == 2 && c.next == 4 && !c.whole_run));
  c = CutPage(fetched({1, 4, 4, 4}), 3);
  CHECK((c.keep == 1 && c.next == 4 && !c.whole_run));
  c = CutPage(fetched({4, 4, 4, 4}), 3);  // a run longer than the page: all of it, then past it
  CHECK((c.keep == 0 && c.whole_run && c.run_pos == 4 && c.next == 5));
  c = CutPage(fetched({7, 7}), 1);
  CHECK((c.keep == 0 && c.whole_run && c.run_pos == 7 && c.next == 8));
  c = CutPage(fetched({kMaxKeyPosition, kMaxKeyPosition}), 1);  // nothing after the last
  CHECK((c.keep == 0 && c.whole_run && c.run_pos == kMaxKeyPosition && c.next == 0));
  c = CutPage(fetched({5, kMaxKeyPosition}), 1);
  CHECK((c.keep == 1 && c.next == kMaxKeyPosition && !c.whole_run));
}

TEST_CASE("backend: ScanPage pages cover every live key once, for any page size") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);
    int64_t now = NowMs();
    std::vector<Row> rows;
    std::map<uint32_t, std::map<std::string, uint8_t>> live;  // db -> key -> type
    for (int i = 0; i < 4200; ++i) {
      uint32_t db = i % 4 == 0 ? 3 : 0;
      std::string key = i % 9 == 0 ? Bytes(1 + i % 30, i) : "scan:" + std::to_string(i);
      int64_t expire = i % 20 == 0 ? now - 5 : i % 20 == 1 ? now + 600000 : -1;
      uint8_t type = static_cast<uint8_t>(i % 5);
      if (i % 20 == 2) expire = now;  // expires at now: gone
      rows.push_back(MakeRow(db, key, "v", expire, 1, type));
      if (expire < 0 || expire > now) live[db][key] = type;
    }
    Checkpoint(*b, rows, 1);
    REQUIRE(live[0].size() > 2000);
    REQUIRE(live[3].size() > 800);
    for (size_t count : {1, 2, 7, 100, 5000}) {
      for (uint32_t db : {0u, 3u}) {
        INFO("count ", count, " db ", db);
        std::vector<KeyInfo> got = Walk(*b, db, count, now);
        CHECK(got.size() == live[db].size());
        std::set<std::string> keys = KeySet(got);
        for (const KeyInfo& k : got) {
          auto it = live[db].find(k.key);
          REQUIRE(it != live[db].end());
          CHECK(k.type == it->second);
        }
        if (count == 5000) {  // one page holds everything
          std::vector<KeyInfo> out;
          uint64_t next = 1;
          std::string error;
          REQUIRE(b->ScanPage(db, 0, count, now, &out, &next, &error));
          CHECK(out.size() == live[db].size());
          CHECK(next == 0);
        }
      }
    }
    // count 0 is taken as 1; a huge count as kMaxPageCount.
    for (size_t count : {size_t{0}, ~size_t{0}}) {
      std::vector<KeyInfo> out;
      uint64_t next = 1;
      std::string error;
      REQUIRE(b->ScanPage(0, 0, count, now, &out, &next, &error));
      CHECK(out.size() == (count == 0 ? 1 : live[0].size()));
      CHECK((next == 0) == (count != 0));
    }
    // The expired rows are there at an earlier now.
    CHECK(Walk(*b, 0, 100, now - 10).size() > live[0].size());
    // An empty database, a start in the middle, a start past the end.
    CHECK(Walk(*b, 1, 7, now).empty());
    std::vector<KeyInfo> all = Walk(*b, 0, 5000, now);
    uint64_t middle = all[all.size() / 2].pos;
    std::vector<KeyInfo> out;
    uint64_t next = 0;
    std::string error;
    REQUIRE(b->ScanPage(0, middle, 10, now, &out, &next, &error));
    REQUIRE(out.size() == 10);
    CHECK(out[0].key == all[all.size() / 2].key);
    CHECK(next == all[all.size() / 2 + 10].pos);
    for (uint64_t past : {kMaxKeyPosition + 1, ~uint64_t{0}}) {
      next = 99;
      REQUIRE(b->ScanPage(0, past, 10, now, &out, &next, &error));
      CHECK(out.empty());
      CHECK(next == 0);
    }
    b->Close();
    CHECK_FALSE(b->ScanPage(0, 0, 10, now, &out, &next, &error));
    CHECK(out.empty());
  });
}

TEST_CASE("backend: ScanPage with writes between pages misses no key present throughout") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);
    int64_t now = NowMs();
    std::vector<Row> rows;
    std::vector<std::string> original;
    for (int i = 0; i < 2000; ++i) {
      original.push_back("d:" + std::to_string(i));
      rows.push_back(MakeRow(0, original.back(), "v"));
    }
    Checkpoint(*b, rows, 1);
    std::mt19937 rng(42);
    std::set<std::string> deleted, added;
    std::set<std::string> deleted_ahead;  // deleted before the walk reached their position
    uint64_t lsn = 1;
    int added_n = 0;
    std::vector<KeyInfo> got = Walk(*b, 0, 7, now, [&](uint64_t next) {
      std::vector<std::string> dels;
      for (int j = 0; j < 3; ++j) {
        const std::string& k = original[rng() % original.size()];
        if (deleted.insert(k).second) {
          dels.push_back(k);
          if (Backend::KeyPosition(k) >= next) deleted_ahead.insert(k);
        }
      }
      std::vector<Row> adds;
      for (int j = 0; j < 2; ++j) {
        adds.push_back(MakeRow(0, "new:" + std::to_string(added_n++), "v"));
        added.insert(adds.back().key);
      }
      Checkpoint(*b, adds, ++lsn, dels, 0);
    });
    REQUIRE(deleted_ahead.size() > 100);
    std::set<std::string> keys = KeySet(got);  // none twice
    for (const std::string& k : original) {
      INFO("key ", k);
      if (deleted.count(k) == 0) CHECK(keys.count(k) == 1);  // present throughout
      if (deleted_ahead.count(k) != 0) CHECK(keys.count(k) == 0);
    }
    for (const std::string& k : keys) {
      CHECK((added.count(k) != 0 || std::find(original.begin(), original.end(), k) !=
                                        original.end()));
    }
  });
}

TEST_CASE("backend: ScanPage never splits a run of equal positions") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);
    int64_t now = NowMs();
    // Positions forced through SQL (62-bit hashes do not collide in a test): one key at 500,
    // five at 1000 (plus an expired one there), two at 2000, three at the last position.
    std::vector<Row> rows = {MakeRow(0, "solo", "v"), MakeRow(0, "x0", "v", now - 1)};
    for (const char* k : {"r0", "r1", "r2", "r3", "r4", "p0", "p1", "m0", "m1", "m2"}) {
      rows.push_back(MakeRow(0, k, "v"));
    }
    Checkpoint(*b, rows, 1);
    auto force = [&](uint64_t pos, std::vector<std::string> keys) {
      std::string in;
      for (const std::string& k : keys) in += (in.empty() ? "X'" : ", X'") + Hex(k) + "'";
      t.Sql("UPDATE strata_kv SET kh = " + std::to_string(pos) + " WHERE db = 0 AND k IN (" +
            in + ")");
    };
    force(500, {"solo"});
    force(1000, {"r0", "r1", "r2", "r3", "r4", "x0"});
    force(2000, {"p0", "p1"});
    force(kMaxKeyPosition, {"m0", "m1", "m2"});
    struct Page {
      uint64_t from;
      std::set<std::string> keys;
      uint64_t next;
    };
    std::vector<Page> want = {
        {0, {"solo"}, 1000},                              // [500, 1000, 1000]: cut before 1000
        {1000, {"r0", "r1", "r2", "r3", "r4"}, 1001},     // all of 1000, more than count
        {1001, {"p0", "p1"}, kMaxKeyPosition},            // [2000, 2000, last]
        {kMaxKeyPosition, {"m0", "m1", "m2"}, 0},         // the last run: the end
    };
    for (const Page& p : want) {
      INFO("from ", p.from);
      std::vector<KeyInfo> out;
      uint64_t next = 1;
      std::string error;
      REQUIRE(b->ScanPage(0, p.from, 2, now, &out, &next, &error));
      CHECK(KeySet(out) == p.keys);
      CHECK(next == p.next);
    }
    for (size_t count : {1, 2, 3, 4, 5, 6, 100}) {
      INFO("count ", count);
      CHECK(KeySet(Walk(*b, 0, count, now, nullptr, /*forced=*/true)).size() == 11);
    }
  });
}

TEST_CASE("backend: KeyAt finds the key at or after a point, wrapping around") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);
    int64_t now = NowMs();
    CHECK_FALSE(At(*b, 2, 0, now).has_value());  // an empty database
    CHECK_FALSE(At(*b, 2, kMaxKeyPosition, now).has_value());
    Checkpoint(*b, {MakeRow(2, "only-expired", "v", now - 1)}, 1);
    CHECK_FALSE(At(*b, 2, 0, now).has_value());
    CHECK(At(*b, 2, 0, now - 10).has_value());

    std::vector<Row> rows;
    std::map<uint64_t, std::string> live;  // position -> key
    for (int i = 0; i < 60; ++i) {
      std::string k = "at:" + std::to_string(i);
      rows.push_back(MakeRow(2, k, "v", i % 6 == 0 ? now - 1 : -1, 1, 3));
      if (i % 6 != 0) live[Backend::KeyPosition(k)] = k;
    }
    Checkpoint(*b, rows, 2);
    std::vector<uint64_t> points = {0, 1, kMaxKeyPosition, kMaxKeyPosition + 1, ~uint64_t{0}};
    for (const auto& [pos, key] : live) {
      points.push_back(pos);
      points.push_back(pos + 1);
      points.push_back(pos - 1);
    }
    std::mt19937_64 rng(7);
    for (int i = 0; i < 200; ++i) points.push_back(rng() >> 2);
    for (uint64_t point : points) {
      INFO("point ", point);
      auto it = live.lower_bound(point);
      if (it == live.end()) it = live.begin();
      std::optional<KeyInfo> got = At(*b, 2, point, now);
      REQUIRE(got.has_value());
      CHECK(got->key == it->second);
      CHECK(got->pos == it->first);
      CHECK(got->type == 3);
    }
    // One key left: every point finds it.
    std::vector<std::string> all;
    for (const Row& r : rows) all.push_back(r.key);
    all.erase(std::find(all.begin(), all.end(), "at:7"));
    Checkpoint(*b, {}, 3, all, 2);
    for (uint64_t point : {uint64_t{0}, Backend::KeyPosition("at:7") + 1, kMaxKeyPosition}) {
      std::optional<KeyInfo> got = At(*b, 2, point, now);
      REQUIRE(got.has_value());
      CHECK(got->key == "at:7");
    }
    CHECK_FALSE(At(*b, 0, 0, now).has_value());  // another database
  });
}

TEST_CASE("backend: new stores are version 2; upserts store the key's position") {
  ForEachTarget([](Target& t) {
    auto b = Opened(t);
    CHECK(SchemaVersion(t) == "2");
    std::string bin("\0\xff", 2);
    Checkpoint(*b, {MakeRow(0, "a", "1"), MakeRow(1, bin, "2")}, 1);
    Checkpoint(*b, {MakeRow(0, "a", "changed")}, 2);  // an update keeps the right position
    SqlRows got = t.Query("SELECT HEX(k), kh FROM strata_kv ORDER BY db");
    REQUIRE(got.size() == 2);
    CHECK(got[0][0] == Hex("a"));
    CHECK(ToU64(got[0][1]) == Backend::KeyPosition("a"));
    CHECK(got[1][0] == Hex(bin));
    CHECK(ToU64(got[1][1]) == Backend::KeyPosition(bin));
  });
}

TEST_CASE("backend: a version 1 store is migrated to version 2 at Open") {
  ForEachTarget([](Target& t) {
    int64_t now = NowMs();
    std::vector<Row> rows = MigrationRows(2500, now);
    MakeV1Store(t, rows);
    CHECK(SchemaVersion(t) == "1");
    t.migrate_batch = 64;  // many batches, a short last one
    std::vector<uint64_t> progress;
    t.migrate_progress = [&](uint64_t done) { progress.push_back(done); };
    auto b = Opened(t);
    // Batches of at most 64 (MySQL also ends one at each database's last key).
    REQUIRE(progress.size() >= (2500 + 63) / 64);
    CHECK(progress.front() == 64);
    for (size_t i = 1; i < progress.size(); ++i) {
      CHECK(progress[i] > progress[i - 1]);
      CHECK(progress[i] - progress[i - 1] <= 64);
    }
    CHECK(progress.back() == 2500);
    CheckMigrated(t, *b, rows, now);
    // Writes, reopening (nothing left to migrate), and the new rows are in the walk.
    Checkpoint(*b, {MakeRow(0, "after", "x")}, 78);
    b->Close();
    progress.clear();
    b = Opened(t);
    CHECK(progress.empty());
    CHECK(GetOne(*b, 0, "after").has_value());
    CHECK(KeySet(Walk(*b, 0, 100, now)).count("after") == 1);
  });
}

TEST_CASE("backend: a migration killed half-way is finished by the next Open") {
  ForEachTarget([](Target& t) {
    int64_t now = NowMs();
    std::vector<Row> rows = MigrationRows(1000, now);
    MakeV1Store(t, rows);
    // A child process migrates and dies (no Close, no destructors) after its third batch.
    t.migrate_batch = 100;
    t.migrate_progress = [](uint64_t done) {
      if (done >= 300) ::_exit(0);
    };
    std::fflush(nullptr);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      std::string error;
      t.Make()->Open(&error);
      ::_exit(3);  // the hook never fired
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    CHECK(SchemaVersion(t) == "1");
    CHECK(t.Query("SELECT COUNT(*) FROM strata_kv WHERE kh <> -1")[0][0] == "300");
    CHECK(t.Query("SELECT COUNT(*) FROM strata_kv WHERE kh = -1")[0][0] == "700");
    // A version 1 server started on the half-migrated store still writes (kh defaults to -1).
    std::vector<Row> late = {MakeRow(0, "written-by-v1", "x", -1, 77),
                             MakeRow(2, "also-v1", "y", -1, 77)};
    InsertV1Rows(t, late);
    rows.insert(rows.end(), late.begin(), late.end());
    // The next Open finishes: the filled rows are skipped, the rest (and the late rows) filled.
    std::vector<uint64_t> progress;
    t.migrate_progress = [&](uint64_t done) { progress.push_back(done); };
    auto b = Opened(t);
    REQUIRE_FALSE(progress.empty());
    CHECK(progress.back() == 702);
    CheckMigrated(t, *b, rows, now);
  });
}

TEST_CASE("backend: a sqlite migration stopped after adding the column resumes") {
  // As if the process died right after the ALTER TABLE (and a version 1 server then ran):
  // kh is there, partly filled, no index, schema_version 1.
  SqliteTarget t;
  int64_t now = NowMs();
  std::vector<Row> rows = MigrationRows(500, now);
  MakeV1Store(t, rows);
  t.Sql("ALTER TABLE strata_kv ADD COLUMN kh BIGINT NOT NULL DEFAULT -1");
  std::string fill = "BEGIN;";
  for (size_t i = 0; i < rows.size(); i += 3) {
    fill += "UPDATE strata_kv SET kh = " + std::to_string(Backend::KeyPosition(rows[i].key)) +
            " WHERE db = " + std::to_string(rows[i].db) + " AND k = X'" + Hex(rows[i].key) +
            "';";
  }
  t.Sql(fill + "COMMIT;");
  auto b = Opened(t);
  CheckMigrated(t, *b, rows, now);
}

}  // TEST_SUITE
