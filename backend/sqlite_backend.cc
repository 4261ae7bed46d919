// The SQLite backend: one database file in WAL journal mode, a writer connection for the
// checkpoint transactions and a small pool of reader connections for Get (WAL lets them read
// while a checkpoint writes).
//
// Statement shapes. SQLite runs in-process, so there is no round trip to save: Get looks each
// key up with one prepared point SELECT inside one read transaction (a consistent snapshot for a
// multi-key request), and the checkpoint steps one prepared single-row upsert or delete per row
// inside its transaction; batch_max does not change anything here. Every statement is prepared
// once per connection, at Open.
//
// Durability: the writer uses synchronous=FULL, so a checkpoint's COMMIT is synced to the
// SQLite WAL before CheckpointCommit returns (strata's own WAL is truncated after that, so the
// commit must survive a power cut). Readers never write, so their setting does not matter.
//
// Schema version 1 -> 2 (Open, on the writer, before anything is prepared), each step safe to
// redo, schema_version moved to 2 only by the last one, so a crash anywhere leaves a version 1
// table that the next Open takes up where it stopped:
//   1. ALTER TABLE ADD COLUMN kh BIGINT NOT NULL DEFAULT -1, unless kh exists (-1 = not filled;
//      a version 1 server started on the half-migrated file still works: its rows get -1)
//   2. fill: SELECT rowid, k ... WHERE rowid > cursor AND kh = -1 ORDER BY rowid LIMIT batch,
//      then UPDATE ... SET kh = ? WHERE rowid = ? for each, one transaction per batch
//   3. one transaction: CREATE INDEX IF NOT EXISTS strata_kv_kh, schema_version = 2
// The migrated table keeps its DEFAULT -1 (SQLite cannot drop a default without copying the
// table); nothing uses it, since every upsert writes kh.
#include <sqlite3.h>

#include <algorithm>
#include <cinttypes>
#include <climits>
#include <memory>
#include <mutex>
#include <utility>

#include "backend/sql_common.h"
#include "common/format.h"
#include "common/log.h"

namespace strata::backend {
namespace {

constexpr int kBusyTimeoutMs = 5000;

// A new file: the version 2 schema. (The column order is the one a migrated table ends up with.)
const char* const kSchemaNew[] = {
    "CREATE TABLE strata_kv ("
    "db INT NOT NULL, k BLOB NOT NULL, type SMALLINT NOT NULL, v BLOB NOT NULL, "
    "expire_ms BIGINT, lsn BIGINT NOT NULL, kh BIGINT NOT NULL, PRIMARY KEY (db, k))",
    "CREATE INDEX strata_kv_kh ON strata_kv (db, kh)",
    "CREATE TABLE IF NOT EXISTS strata_meta (name VARCHAR(64) PRIMARY KEY, value BIGINT)",
    "INSERT OR IGNORE INTO strata_meta (name, value) VALUES ('schema_version', 2)",
    "INSERT OR IGNORE INTO strata_meta (name, value) VALUES ('checkpoint_lsn', 0)",
};
// strata_kv exists: a table without a schema_version row can only have been made by version 1.
const char* const kSchemaExisting[] = {
    "CREATE TABLE IF NOT EXISTS strata_meta (name VARCHAR(64) PRIMARY KEY, value BIGINT)",
    "INSERT OR IGNORE INTO strata_meta (name, value) VALUES ('schema_version', 1)",
    "INSERT OR IGNORE INTO strata_meta (name, value) VALUES ('checkpoint_lsn', 0)",
};

// The prepared statements; a connection prepares those of its role.
enum StmtId {
  kGet,
  kScan,
  kScanPage,
  kScanRun,
  kGetMeta,
  kBeginRead,
  kCommit,
  kRollback,
  kBeginWrite,
  kUpsert,
  kDelete,
  kFlush,
  kSetMeta,
  kPing,
  kNumStmts
};
constexpr int kFirstWriterStmt = kBeginWrite;  // readers prepare [0, kFirstWriterStmt)

const char* const kStmtSql[kNumStmts] = {
    "SELECT type, v, expire_ms, lsn FROM strata_kv WHERE db = ?1 AND k = ?2",
    "SELECT db, k FROM strata_kv WHERE expire_ms IS NULL OR expire_ms > ?1",
    "SELECT k, type, kh FROM strata_kv WHERE db = ?1 AND kh >= ?2 "
    "AND (expire_ms IS NULL OR expire_ms > ?3) ORDER BY kh LIMIT ?4",
    "SELECT k, type, kh FROM strata_kv WHERE db = ?1 AND kh = ?2 "
    "AND (expire_ms IS NULL OR expire_ms > ?3)",
    "SELECT value FROM strata_meta WHERE name = ?1",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "BEGIN IMMEDIATE",
    // kh is a function of k: an existing row's is already right (and not rewriting it spares
    // the index an update).
    "INSERT INTO strata_kv (db, k, type, v, expire_ms, lsn, kh) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (db, k) DO UPDATE SET type = excluded.type, v = excluded.v, "
    "expire_ms = excluded.expire_ms, lsn = excluded.lsn",
    "DELETE FROM strata_kv WHERE db = ?1 AND k = ?2",
    "DELETE FROM strata_kv WHERE db = ?1",
    "INSERT INTO strata_meta (name, value) VALUES (?1, ?2) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    "SELECT 1",
};

// One connection and its prepared statements. Used by one thread at a time (a pool checkout
// or the writer's mutex), so it is opened with SQLITE_OPEN_NOMUTEX.
class SqliteConn {
 public:
  SqliteConn() = default;
  SqliteConn(const SqliteConn&) = delete;
  SqliteConn& operator=(const SqliteConn&) = delete;
  ~SqliteConn() {
    for (sqlite3_stmt* s : stmts_) sqlite3_finalize(s);
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }

  // The writer creates the file and switches it to WAL mode (the backend then sets up the schema
  // and calls Prepare); readers open the existing file read-only in effect (query_only) and
  // prepare their statements.
  bool Open(const std::string& path, bool writer, std::string* error) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      *error = Error("can't open " + path);
      return false;
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    if (writer) {
      std::string mode;
      if (!PragmaText("PRAGMA journal_mode=WAL", &mode, error)) return false;
      if (mode != "wal") {
        *error = Format("sqlite: %s can't use WAL journal mode (got %s)", path.c_str(),
                        mode.c_str());
        return false;
      }
      return Exec("PRAGMA synchronous=FULL", error);
    }
    return Exec("PRAGMA query_only=1", error) &&
           // Point reads need little cache (the OS caches the file); SQLite's default 2 MB
           // per reader would count against maxmemory several times over.
           Exec("PRAGMA cache_size=-256", error) && Prepare(/*writer=*/false, error);
  }

  // Prepares the statements of the role (the writer's once the schema is version 2).
  bool Prepare(bool writer, std::string* error) {
    int n = writer ? kNumStmts : kFirstWriterStmt;
    for (int i = 0; i < n; ++i) {
      if (sqlite3_prepare_v3(db_, kStmtSql[i], -1, SQLITE_PREPARE_PERSISTENT, &stmts_[i],
                             nullptr) != SQLITE_OK) {
        *error = Error("prepare");
        return false;
      }
    }
    return true;
  }

  sqlite3* handle() const { return db_; }
  sqlite3_stmt* stmt(StmtId id) const { return stmts_[id]; }
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
  int changes() const { return sqlite3_changes(db_); }

  std::string Error(const std::string& what) const {
    return Format("sqlite %s: %s", what.c_str(), db_ ? sqlite3_errmsg(db_) : "out of memory");
  }

  // Steps a statement that returns no rows (its parameters already bound), then resets it.
  bool Run(StmtId id, const char* what, std::string* error) {
    sqlite3_stmt* s = stmts_[id];
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) rc = SQLITE_DONE;  // SELECT 1 (ping)
    if (rc != SQLITE_DONE) *error = Error(what);
    Reset(s);
    return rc == SQLITE_DONE;
  }

  // Ends a failed statement's use without losing its error message.
  static void Reset(sqlite3_stmt* s) {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }

  bool Exec(const char* sql, std::string* error) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
    *error = Format("sqlite: %s: %s", sql, msg ? msg : sqlite3_errmsg(db_));
    sqlite3_free(msg);
    return false;
  }

  // The first column of the first row of a parameterless query; *found false when no row.
  bool QueryInt(const char* sql, int64_t* v, bool* found, std::string* error) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
      *error = Error(sql);
      return false;
    }
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    if (*found) *v = sqlite3_column_int64(s, 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) *error = Error(sql);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE;
  }

 private:
  bool PragmaText(const char* sql, std::string* out, std::string* error) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
      *error = Error(sql);
      return false;
    }
    bool ok = sqlite3_step(s) == SQLITE_ROW;
    if (ok) {
      const unsigned char* t = sqlite3_column_text(s, 0);
      *out = t ? reinterpret_cast<const char*>(t) : "";
    } else {
      *error = Error(sql);
    }
    sqlite3_finalize(s);
    return ok;
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmts_[kNumStmts] = {};
};

// Binding helpers. Keys and values are BLOBs (never TEXT: a BLOB never equals a TEXT value).
// std::string::data() is never null, so an empty string binds as an empty blob, not NULL.
void BindBlob(sqlite3_stmt* s, int i, const std::string& b) {
  sqlite3_bind_blob(s, i, b.data(), static_cast<int>(b.size()), SQLITE_STATIC);
}

std::string ColumnBlob(sqlite3_stmt* s, int i) {
  const void* p = sqlite3_column_blob(s, i);
  int n = sqlite3_column_bytes(s, i);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

// Steps a kScanPage/kScanRun statement (k, type, kh; parameters bound) to its end, appending
// its rows to *out, and resets it.
bool FetchKeys(SqliteConn& c, StmtId id, std::vector<KeyInfo>* out, std::string* error) {
  sqlite3_stmt* s = c.stmt(id);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    KeyInfo info;
    info.key = ColumnBlob(s, 0);
    info.type = static_cast<uint8_t>(sqlite3_column_int(s, 1));
    info.pos = static_cast<uint64_t>(sqlite3_column_int64(s, 2));
    out->push_back(std::move(info));
  }
  if (rc != SQLITE_DONE) *error = c.Error("scanning a page");
  SqliteConn::Reset(s);
  return rc == SQLITE_DONE;
}

// Binds kScanPage's parameters.
void BindPage(sqlite3_stmt* s, uint32_t db, uint64_t from, int64_t now_ms, size_t limit) {
  sqlite3_bind_int64(s, 1, db);
  sqlite3_bind_int64(s, 2, static_cast<int64_t>(from));  // <= kMaxKeyPosition: no sign flip
  sqlite3_bind_int64(s, 3, now_ms);
  sqlite3_bind_int64(s, 4, static_cast<int64_t>(limit));
}

// A statement prepared for one use (schema set-up, migration), finalized with its scope.
class OneOff {
 public:
  OneOff(SqliteConn& c, const char* sql, std::string* error) {
    if (sqlite3_prepare_v2(c.handle(), sql, -1, &s_, nullptr) != SQLITE_OK) {
      *error = c.Error(sql);
    }
  }
  ~OneOff() { sqlite3_finalize(s_); }
  OneOff(const OneOff&) = delete;
  OneOff& operator=(const OneOff&) = delete;
  bool ok() const { return s_ != nullptr; }
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

class SqliteBackend final : public Backend {
 public:
  explicit SqliteBackend(const SqliteOptions& opts) : opts_(opts) {}
  ~SqliteBackend() override { Close(); }

  const char* name() const override { return "sqlite"; }
  size_t max_key_len() const override { return 0; }

  bool Open(std::string* error) override;
  void Close() override;
  bool LoadCheckpoint(uint64_t* lsn, std::string* error) override;
  bool ScanKeys(int64_t now_ms, const std::function<void(uint32_t, std::string_view)>& fn,
                std::string* error) override;
  bool ScanPage(uint32_t db, uint64_t from, size_t count, int64_t now_ms,
                std::vector<KeyInfo>* out, uint64_t* next, std::string* error) override;
  bool KeyAt(uint32_t db, uint64_t point, int64_t now_ms, std::optional<KeyInfo>* out,
             std::string* error) override;
  bool Get(uint32_t db, const std::vector<std::string>& keys,
           std::vector<std::optional<Row>>* out, std::string* error) override;
  bool CheckpointBegin(std::string* error) override;
  bool CheckpointFlushDb(uint32_t db, std::string* error) override;
  bool CheckpointUpsert(const std::vector<Row>& rows, std::string* error) override;
  bool CheckpointDelete(uint32_t db, const std::vector<std::string>& keys,
                        std::string* error) override;
  bool CheckpointCommit(uint64_t checkpoint_lsn, std::string* error) override;
  void CheckpointRollback() override;
  bool Ping(std::string* error) override;

 private:
  // Creates the schema of a new file, or reads the version of an existing one and migrates it.
  bool SetUpSchema(SqliteConn& w, std::string* error);
  bool MigrateToV2(SqliteConn& w, std::string* error);
  bool FillPositions(SqliteConn& w, std::string* error);
  bool GetLocked(SqliteConn& c, uint32_t db, const std::vector<std::string>& keys,
                 std::vector<std::optional<Row>>* out, std::string* error);
  // The writer, or false + error when the backend is not open. Caller holds writer_mu_.
  bool Writer(std::string* error) {
    if (writer_) return true;
    *error = "sqlite backend is not open";
    return false;
  }
  // The writer inside an intact checkpoint transaction. Caller holds writer_mu_.
  bool InTxn(std::string* error) {
    if (!Writer(error)) return false;
    if (txn_ && writer_->in_transaction()) return true;
    *error = "sqlite: no checkpoint transaction (CheckpointBegin failed or was not called, or "
             "a statement in it failed: roll back and begin again)";
    return false;
  }
  bool WriteFailed() {
    stats_.write_errors.fetch_add(1, std::memory_order_relaxed);
    txn_ = false;  // a failed statement spoils the transaction: only Rollback may follow
    return false;
  }

  const SqliteOptions opts_;
  ConnPool<SqliteConn> readers_;
  std::mutex writer_mu_;                // the writer connection is used under it
  std::unique_ptr<SqliteConn> writer_;  // guarded by writer_mu_
  // Rows written by the open checkpoint transaction, added to stats_ at commit.
  uint64_t pending_upserted_ = 0, pending_deleted_ = 0;  // guarded by writer_mu_
  bool txn_ = false;  // a checkpoint transaction is open and intact; guarded by writer_mu_
};

bool SqliteBackend::Open(std::string* error) {
  Close();
  {
    std::lock_guard<std::mutex> lock(writer_mu_);
    auto w = std::make_unique<SqliteConn>();
    if (!w->Open(opts_.path, /*writer=*/true, error) || !SetUpSchema(*w, error) ||
        !w->Prepare(/*writer=*/true, error)) {
      return false;
    }
    writer_ = std::move(w);
  }
  bool ok = readers_.Fill(opts_.readers, [&](std::string* e) {
    auto r = std::make_unique<SqliteConn>();
    return r->Open(opts_.path, /*writer=*/false, e) ? std::move(r) : nullptr;
  }, error);
  if (!ok) Close();
  return ok;
}

bool SqliteBackend::SetUpSchema(SqliteConn& w, std::string* error) {
  int64_t exists = 0;
  bool found = false;
  // One transaction: a new file gets all of version 2 or nothing.
  if (!w.Exec("BEGIN IMMEDIATE", error)) return false;
  bool ok = w.QueryInt("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'strata_kv'",
                       &exists, &found, error);
  if (ok && found) {
    for (const char* sql : kSchemaExisting) ok = ok && w.Exec(sql, error);
  } else if (ok) {
    for (const char* sql : kSchemaNew) ok = ok && w.Exec(sql, error);
  }
  if (!ok || !w.Exec("COMMIT", error)) {
    std::string ignored;
    if (w.in_transaction()) (void)w.Exec("ROLLBACK", &ignored);
    return false;
  }
  int64_t version = 0;
  if (!w.QueryInt("SELECT value FROM strata_meta WHERE name = 'schema_version'", &version,
                  &found, error) ||
      !CheckSchemaVersion(found ? version : 0, error)) {
    return false;
  }
  return version == kSchemaVersion || MigrateToV2(w, error);
}

bool SqliteBackend::MigrateToV2(SqliteConn& w, std::string* error) {
  int64_t has_kh = 0;
  bool found = false;
  if (!w.QueryInt("SELECT COUNT(*) FROM pragma_table_info('strata_kv') WHERE name = 'kh'",
                  &has_kh, &found, error)) {
    return false;
  }
  Log(LogLevel::kNotice, "SQLite backend: migrating %s from schema version 1 to 2 (%s)",
      opts_.path.c_str(), has_kh ? "resuming" : "adding the key position column kh");
  if (has_kh == 0 &&
      !w.Exec("ALTER TABLE strata_kv ADD COLUMN kh BIGINT NOT NULL DEFAULT -1", error)) {
    return false;
  }
  if (!FillPositions(w, error)) return false;
  bool ok = w.Exec("BEGIN IMMEDIATE", error) &&
            w.Exec("CREATE INDEX IF NOT EXISTS strata_kv_kh ON strata_kv (db, kh)", error) &&
            w.Exec("UPDATE strata_meta SET value = 2 WHERE name = 'schema_version'", error) &&
            w.Exec("COMMIT", error);
  if (!ok) {
    std::string ignored;
    if (w.in_transaction()) (void)w.Exec("ROLLBACK", &ignored);
    return false;
  }
  Log(LogLevel::kNotice, "SQLite backend: %s is at schema version 2", opts_.path.c_str());
  return true;
}

// Step 2 of the migration: every row still at kh = -1 gets its position, in batches of
// migrate_batch rows, each read and written in one write transaction. Rows are walked in rowid
// order (updating kh moves no row), so a batch costs a seek, and a resumed migration skips the
// filled rows without holding them all.
bool SqliteBackend::FillPositions(SqliteConn& w, std::string* error) {
  OneOff select(w,
                "SELECT rowid, k FROM strata_kv WHERE rowid > ?1 AND kh = -1 "
                "ORDER BY rowid LIMIT ?2",
                error);
  OneOff update(w, "UPDATE strata_kv SET kh = ?1 WHERE rowid = ?2", error);
  if (!select.ok() || !update.ok()) return false;
  const size_t batch_max = std::max<size_t>(opts_.migrate_batch, 1);
  std::vector<std::pair<int64_t, int64_t>> batch;  // rowid, kh
  batch.reserve(batch_max);
  int64_t cursor = INT64_MIN;
  uint64_t done = 0;
  for (;;) {
    batch.clear();
    if (!w.Exec("BEGIN IMMEDIATE", error)) return false;
    sqlite3_stmt* s = select.get();
    sqlite3_bind_int64(s, 1, cursor);
    sqlite3_bind_int64(s, 2, static_cast<int64_t>(batch_max));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      const char* k = static_cast<const char*>(sqlite3_column_blob(s, 1));
      size_t n = static_cast<size_t>(sqlite3_column_bytes(s, 1));
      batch.emplace_back(sqlite3_column_int64(s, 0), static_cast<int64_t>(KeyPosition(
                                                         std::string_view(k ? k : "", n))));
    }
    bool ok = rc == SQLITE_DONE;
    if (!ok) *error = w.Error("migration: reading keys");
    SqliteConn::Reset(s);
    sqlite3_stmt* u = update.get();
    for (size_t i = 0; ok && i < batch.size(); ++i) {
      sqlite3_bind_int64(u, 1, batch[i].second);
      sqlite3_bind_int64(u, 2, batch[i].first);
      ok = sqlite3_step(u) == SQLITE_DONE;
      if (!ok) *error = w.Error("migration: storing kh");
      SqliteConn::Reset(u);
    }
    if (!ok || !w.Exec("COMMIT", error)) {
      std::string ignored;
      if (w.in_transaction()) (void)w.Exec("ROLLBACK", &ignored);
      return false;
    }
    if (batch.empty()) return true;
    cursor = batch.back().first;
    done += batch.size();
    if (opts_.migrate_progress) opts_.migrate_progress(done);
    if (done / 1000000 != (done - batch.size()) / 1000000) {
      Log(LogLevel::kNotice, "SQLite backend: migration: %" PRIu64 " rows filled", done);
    }
  }
}

void SqliteBackend::Close() {
  readers_.Close();
  std::lock_guard<std::mutex> lock(writer_mu_);
  writer_.reset();
}

bool SqliteBackend::LoadCheckpoint(uint64_t* lsn, std::string* error) {
  Borrowed<SqliteConn> c(&readers_);
  if (!c.ok()) {
    *error = "sqlite backend is not open";
    return false;
  }
  sqlite3_stmt* s = c->stmt(kGetMeta);
  sqlite3_bind_text(s, 1, kMetaCheckpointLsn, -1, SQLITE_STATIC);
  int rc = sqlite3_step(s);
  *lsn = rc == SQLITE_ROW ? static_cast<uint64_t>(sqlite3_column_int64(s, 0)) : 0;
  bool ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
  if (!ok) *error = c->Error("reading checkpoint_lsn");
  SqliteConn::Reset(s);
  return ok;
}

bool SqliteBackend::ScanKeys(int64_t now_ms,
                             const std::function<void(uint32_t, std::string_view)>& fn,
                             std::string* error) {
  Borrowed<SqliteConn> c(&readers_);
  if (!c.ok()) {
    *error = "sqlite backend is not open";
    return false;
  }
  sqlite3_stmt* s = c->stmt(kScan);
  sqlite3_bind_int64(s, 1, now_ms);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const char* k = static_cast<const char*>(sqlite3_column_blob(s, 1));
    size_t n = static_cast<size_t>(sqlite3_column_bytes(s, 1));
    fn(static_cast<uint32_t>(sqlite3_column_int64(s, 0)), std::string_view(k ? k : "", n));
  }
  if (rc != SQLITE_DONE) *error = c->Error("scanning keys");
  SqliteConn::Reset(s);
  return rc == SQLITE_DONE;
}

bool SqliteBackend::ScanPage(uint32_t db, uint64_t from, size_t count, int64_t now_ms,
                             std::vector<KeyInfo>* out, uint64_t* next, std::string* error) {
  out->clear();
  if (from > kMaxKeyPosition) {
    *next = 0;
    return true;
  }
  count = std::clamp<size_t>(count, 1, kMaxPageCount);
  Borrowed<SqliteConn> c(&readers_);
  if (!c.ok()) {
    *error = "sqlite backend is not open";
    return false;
  }
  // Both statements in one read transaction: the run is read from the same snapshot.
  if (!c->Run(kBeginRead, "begin", error)) return false;
  BindPage(c->stmt(kScanPage), db, from, now_ms, count + 1);
  bool ok = FetchKeys(*c, kScanPage, out, error);
  PageCut cut;
  if (ok) {
    cut = CutPage(*out, count);
    out->resize(cut.keep);
  }
  if (ok && cut.whole_run) {
    sqlite3_stmt* s = c->stmt(kScanRun);
    sqlite3_bind_int64(s, 1, db);
    sqlite3_bind_int64(s, 2, static_cast<int64_t>(cut.run_pos));
    sqlite3_bind_int64(s, 3, now_ms);
    ok = FetchKeys(*c, kScanRun, out, error);
  }
  if (ok) ok = c->Run(kCommit, "end of read", error);
  if (!ok) {
    out->clear();
    std::string ignored;
    if (c->in_transaction()) (void)c->Run(kRollback, "rollback", &ignored);
    return false;
  }
  *next = cut.next;
  return true;
}

bool SqliteBackend::KeyAt(uint32_t db, uint64_t point, int64_t now_ms,
                          std::optional<KeyInfo>* out, std::string* error) {
  out->reset();
  Borrowed<SqliteConn> c(&readers_);
  if (!c.ok()) {
    *error = "sqlite backend is not open";
    return false;
  }
  std::vector<KeyInfo> found;
  // At or after the point, else wrap to the first; two statements, one snapshot.
  if (!c->Run(kBeginRead, "begin", error)) return false;
  bool ok = true;
  for (uint64_t from : {point, uint64_t{0}}) {
    if (from > kMaxKeyPosition) continue;
    BindPage(c->stmt(kScanPage), db, from, now_ms, 1);
    ok = FetchKeys(*c, kScanPage, &found, error);
    if (!ok || !found.empty() || from == 0) break;
  }
  if (ok) ok = c->Run(kCommit, "end of read", error);
  if (!ok) {
    std::string ignored;
    if (c->in_transaction()) (void)c->Run(kRollback, "rollback", &ignored);
    return false;
  }
  if (!found.empty()) *out = std::move(found.front());
  return true;
}

bool SqliteBackend::Get(uint32_t db, const std::vector<std::string>& keys,
                        std::vector<std::optional<Row>>* out, std::string* error) {
  out->assign(keys.size(), std::nullopt);
  stats_.get_calls.fetch_add(1, std::memory_order_relaxed);
  stats_.get_keys.fetch_add(keys.size(), std::memory_order_relaxed);
  bool ok = false;
  {
    Borrowed<SqliteConn> c(&readers_);
    if (!c.ok()) {
      *error = "sqlite backend is not open";
    } else {
      ok = GetLocked(*c, db, keys, out, error);
    }
  }
  if (!ok) {
    stats_.get_errors.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  stats_.get_found.fetch_add(CountFound(*out), std::memory_order_relaxed);
  return true;
}

bool SqliteBackend::GetLocked(SqliteConn& c, uint32_t db, const std::vector<std::string>& keys,
                              std::vector<std::optional<Row>>* out, std::string* error) {
  // Several keys: one read transaction, so they all come from the same checkpoint.
  bool txn = keys.size() > 1;
  if (txn && !c.Run(kBeginRead, "begin", error)) return false;
  sqlite3_stmt* s = c.stmt(kGet);
  for (size_t i = 0; i < keys.size(); ++i) {
    sqlite3_bind_int64(s, 1, db);
    BindBlob(s, 2, keys[i]);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      Row row;
      row.db = db;
      row.key = keys[i];
      row.type = static_cast<uint8_t>(sqlite3_column_int(s, 0));
      row.value = ColumnBlob(s, 1);
      row.expire_ms =
          sqlite3_column_type(s, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 2);
      row.lsn = static_cast<uint64_t>(sqlite3_column_int64(s, 3));
      (*out)[i] = std::move(row);
    } else if (rc != SQLITE_DONE) {
      *error = c.Error("get");
      SqliteConn::Reset(s);
      if (c.in_transaction()) (void)c.Run(kRollback, "rollback", error);
      return false;
    }
    SqliteConn::Reset(s);
  }
  return !txn || c.Run(kCommit, "end of read", error);
}

bool SqliteBackend::CheckpointBegin(std::string* error) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  if (!Writer(error)) return WriteFailed();
  // A transaction left open by a caller that skipped Rollback would nest: end it first.
  if (writer_->in_transaction()) (void)writer_->Run(kRollback, "rollback", error);
  pending_upserted_ = pending_deleted_ = 0;
  if (!writer_->Run(kBeginWrite, "begin", error)) return WriteFailed();
  txn_ = true;
  return true;
}

bool SqliteBackend::CheckpointFlushDb(uint32_t db, std::string* error) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  if (!InTxn(error)) return WriteFailed();
  sqlite3_bind_int64(writer_->stmt(kFlush), 1, db);
  if (!writer_->Run(kFlush, "flush", error)) return WriteFailed();
  pending_deleted_ += static_cast<uint64_t>(writer_->changes());
  return true;
}

bool SqliteBackend::CheckpointUpsert(const std::vector<Row>& rows, std::string* error) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  if (!InTxn(error)) return WriteFailed();
  sqlite3_stmt* s = writer_->stmt(kUpsert);
  for (const Row& r : rows) {
    sqlite3_bind_int64(s, 1, r.db);
    BindBlob(s, 2, r.key);
    sqlite3_bind_int(s, 3, r.type);
    BindBlob(s, 4, r.value);
    if (r.expire_ms < 0) {
      sqlite3_bind_null(s, 5);
    } else {
      sqlite3_bind_int64(s, 5, r.expire_ms);
    }
    sqlite3_bind_int64(s, 6, static_cast<int64_t>(r.lsn));
    sqlite3_bind_int64(s, 7, static_cast<int64_t>(KeyPosition(r.key)));
    if (!writer_->Run(kUpsert, "upsert", error)) return WriteFailed();
  }
  pending_upserted_ += rows.size();
  return true;
}

bool SqliteBackend::CheckpointDelete(uint32_t db, const std::vector<std::string>& keys,
                                     std::string* error) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  if (!InTxn(error)) return WriteFailed();
  sqlite3_stmt* s = writer_->stmt(kDelete);
  for (const std::string& k : keys) {
    sqlite3_bind_int64(s, 1, db);
    BindBlob(s, 2, k);
    if (!writer_->Run(kDelete, "delete", error)) return WriteFailed();
    pending_deleted_ += static_cast<uint64_t>(writer_->changes());
  }
  return true;
}

bool SqliteBackend::CheckpointCommit(uint64_t checkpoint_lsn, std::string* error) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  if (!InTxn(error)) return WriteFailed();
  sqlite3_stmt* s = writer_->stmt(kSetMeta);
  sqlite3_bind_text(s, 1, kMetaCheckpointLsn, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, static_cast<int64_t>(checkpoint_lsn));
  if (!writer_->Run(kSetMeta, "storing checkpoint_lsn", error) ||
      !writer_->Run(kCommit, "commit", error)) {
    return WriteFailed();
  }
  stats_.rows_upserted.fetch_add(pending_upserted_, std::memory_order_relaxed);
  stats_.rows_deleted.fetch_add(pending_deleted_, std::memory_order_relaxed);
  stats_.commits.fetch_add(1, std::memory_order_relaxed);
  pending_upserted_ = pending_deleted_ = 0;
  txn_ = false;
  return true;
}

void SqliteBackend::CheckpointRollback() {
  std::lock_guard<std::mutex> lock(writer_mu_);
  pending_upserted_ = pending_deleted_ = 0;
  txn_ = false;
  std::string ignored;
  // SQLite may already have rolled back on its own (SQLITE_FULL, SQLITE_IOERR, ...).
  if (writer_ && writer_->in_transaction()) (void)writer_->Run(kRollback, "rollback", &ignored);
}

bool SqliteBackend::Ping(std::string* error) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  return Writer(error) && writer_->Run(kPing, "ping", error);
}

}  // namespace

std::unique_ptr<Backend> MakeSqliteBackend(const SqliteOptions& opts) {
  return std::make_unique<SqliteBackend>(opts);
}

}  // namespace strata::backend
