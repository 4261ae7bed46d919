// The MySQL/MariaDB backend over the MySQL C API (libmariadb): a pool of read connections for
// Get and one writer connection (autocommit off) for the checkpoint transactions.
//
// Statement shapes, each prepared once per connection (again after a reconnect):
//   readers: SELECT k,type,v,expire_ms,lsn ... WHERE db=? AND k IN (?, x kGetBatch), unused
//            placeholders padded by repeating the last key; plus a `k = ?` form for one key.
//   writer:  a multi-row INSERT ... ON DUPLICATE KEY UPDATE of batch_max rows and a
//            DELETE ... WHERE db=? AND k IN (?, x batch_max); a shorter last batch uses a
//            statement prepared for its size, kept until a different size is needed (padding
//            would resend a row's value, possibly megabytes, up to batch_max times).
//   Upsert batches are also cut so one statement stays under half of max_allowed_packet.
//   ScanPage/KeyAt: SELECT k,type,kh ... WHERE db=? AND kh>=? AND <unexpired> ORDER BY kh
//            LIMIT ? (the (db, kh) index), and the same with kh=? for a run of equal positions.
// Only standard MySQL SQL (VALUES(col) in ON DUPLICATE KEY UPDATE works on MySQL 8 and MariaDB).
//
// Schema version 1 -> 2 (Setup, before the writer and readers prepare anything). MySQL's DDL
// commits on its own, so each step is safe to redo, and schema_version becomes 2 only at the
// end: a crash anywhere leaves a version 1 table that the next Open takes up where it stopped.
//   1. ALTER TABLE ADD COLUMN kh BIGINT NOT NULL DEFAULT -1, unless information_schema.COLUMNS
//      shows kh (instant on MySQL 8 and MariaDB 10.3+; -1 = not filled; a version 1 server
//      started on the half-migrated table still works: its rows get -1)
//   2. fill, in primary key order from a (db, k) cursor: SELECT db, k ... WHERE (db > ? OR
//      (db = ? AND k > ?)) AND kh = -1 ORDER BY db, k LIMIT batch, then for the batch's keys
//      of one database one UPDATE ... SET kh = CASE k WHEN ? THEN ? ... ELSE kh END WHERE
//      db = ? AND k BETWEEN first AND last AND kh = -1 (autocommit: one transaction each)
//   3. ALTER TABLE ADD INDEX strata_kv_kh (db, kh), unless information_schema.STATISTICS has it
//   4. ALTER TABLE ALTER COLUMN kh DROP DEFAULT (as a new table: a write without kh fails)
//   5. schema_version = 2
// A version 1 server started after step 4 of an interrupted migration fails its checkpoints
// (no default for kh) until a version 2 server finishes the migration; nothing is lost (the
// WAL keeps the writes).
//
// Reconnects: a connection whose last call failed with a connection error (client errors
// 2000-2999 such as 2006 gone away and 2013 lost connection, 1243 unknown prepared statement,
// 1927 killed, 4031 idle timeout, 1053 shutdown) or failed to connect is closed and reconnected,
// with its statements re-prepared, at the start of its next call (Stats::reconnects counts the
// reconnects that succeeded). Calls with nothing to lose retry once at once when the failure
// came from a connection that had been working (a stale connection): Get, LoadCheckpoint,
// CheckpointBegin and Ping. A call inside a checkpoint transaction does not retry (the
// transaction is gone): it returns false, the caller rolls back, and its next CheckpointBegin
// reconnects. ScanKeys does not retry either (it may have delivered keys already).
//
// The password is only handed to mysql_real_connect; nothing here logs it.
#include <mysql.h>

#include <algorithm>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>

#include "backend/sql_common.h"
#include "common/format.h"
#include "common/log.h"

namespace strata::backend {
namespace {

constexpr size_t kMaxKeyLen = 3000;           // k VARBINARY(3000): (db, k) fits InnoDB's 3072
constexpr unsigned kReaderIoTimeoutS = 10;    // per network read/write of a Get
constexpr unsigned kWriterIoTimeoutS = 60;    // a checkpoint statement may take long to run
constexpr size_t kMaxPlaceholders = 65535;
constexpr size_t kDefaultPacket = 16u << 20;  // max_allowed_packet when it can't be read

// libmariadb's my_bool is char, MySQL 8's libmysqlclient uses bool.
using MyBool = std::remove_pointer_t<decltype(MYSQL_BIND::is_null)>;

bool IsConnectionError(unsigned err) {
  return (err >= 2000 && err < 3000) || err == 1243 || err == 1927 || err == 4031 ||
         err == 1053;
}

// A new database: the version 2 table (the column order is the one a migrated table ends up
// with). The meta rows come after, so a crash between the two leaves a table without a
// schema_version row, which kSchemaExisting takes for version 1: the migration then finds
// nothing to do.
const char kCreateTable[] =
    "CREATE TABLE IF NOT EXISTS strata_kv ("
    "db INT NOT NULL, k VARBINARY(3000) NOT NULL, type SMALLINT NOT NULL, v LONGBLOB NOT NULL, "
    "expire_ms BIGINT NULL, lsn BIGINT UNSIGNED NOT NULL, kh BIGINT NOT NULL, "
    "PRIMARY KEY (db, k), KEY strata_kv_kh (db, kh)) ENGINE=InnoDB";
const char* const kSchemaMeta[] = {
    "CREATE TABLE IF NOT EXISTS strata_meta ("
    "name VARCHAR(64) NOT NULL PRIMARY KEY, value BIGINT NOT NULL) ENGINE=InnoDB",
    "INSERT INTO strata_meta (name, value) VALUES ('checkpoint_lsn', 0) "
    "ON DUPLICATE KEY UPDATE name = name",
};
const char kSchemaVersionNew[] =
    "INSERT INTO strata_meta (name, value) VALUES ('schema_version', 2) "
    "ON DUPLICATE KEY UPDATE name = name";
// strata_kv existed already: a table without a schema_version row is version 1's.
const char kSchemaVersionExisting[] =
    "INSERT INTO strata_meta (name, value) VALUES ('schema_version', 1) "
    "ON DUPLICATE KEY UPDATE name = name";

// FORCE INDEX: a page starting low in a big database covers most of its rows, and a cost-based
// optimizer could then prefer the primary key and sort them all; the kh index is always the
// plan (it gives the order, and LIMIT stops the range early).
const char kScanPageSql[] =
    "SELECT k, type, kh FROM strata_kv FORCE INDEX (strata_kv_kh) WHERE db = ? AND kh >= ? "
    "AND (expire_ms IS NULL OR expire_ms > ?) ORDER BY kh LIMIT ?";
const char kScanRunSql[] =
    "SELECT k, type, kh FROM strata_kv FORCE INDEX (strata_kv_kh) WHERE db = ? AND kh = ? "
    "AND (expire_ms IS NULL OR expire_ms > ?)";

// "(?,?),(?,?)"-style lists.
std::string Placeholders(size_t groups, const char* group) {
  std::string s;
  for (size_t i = 0; i < groups; ++i) {
    if (i > 0) s += ',';
    s += group;
  }
  return s;
}

std::string GetSql(size_t n) {
  std::string sql = "SELECT k, type, v, expire_ms, lsn FROM strata_kv WHERE db = ? AND k ";
  return sql + (n == 1 ? "= ?" : "IN (" + Placeholders(n, "?") + ")");
}

// kh is a function of k: an existing row keeps its own (already right).
std::string UpsertSql(size_t n) {
  return "INSERT INTO strata_kv (db, k, type, v, expire_ms, lsn, kh) VALUES " +
         Placeholders(n, "(?,?,?,?,?,?,?)") +
         " ON DUPLICATE KEY UPDATE type = VALUES(type), v = VALUES(v), "
         "expire_ms = VALUES(expire_ms), lsn = VALUES(lsn)";
}
constexpr size_t kUpsertParams = 7;

// The migration's fill: the next batch of unfilled keys after a (db, k) cursor, in primary key
// order, and the positions of n keys of one database written by one UPDATE over their primary
// key range (a CASE maps each key to its position; a row of the range that is not in the batch
// keeps its kh). Measured on MariaDB, 1000 rows: 14 ms, where a JOIN with a derived table of
// 1000 UNION ALL SELECTs took 52 ms (mostly optimizing the union) and a plain UPDATE of the
// same range 9 ms.
const char kFillSelectSql[] =
    "SELECT db, k FROM strata_kv WHERE (db > ? OR (db = ? AND k > ?)) AND kh = -1 "
    "ORDER BY db, k LIMIT ?";
std::string FillSql(size_t n) {
  std::string sql = "UPDATE strata_kv SET kh = CASE k";
  for (size_t i = 0; i < n; ++i) sql += " WHEN ? THEN ?";
  return sql + " ELSE kh END WHERE db = ? AND k >= ? AND k <= ? AND kh = -1";
}

std::string DeleteSql(size_t n) {
  return "DELETE FROM strata_kv WHERE db = ? AND k IN (" + Placeholders(n, "?") + ")";
}

// Database names are spliced into CREATE DATABASE: letters, digits, '_' and '$' only.
bool ValidDatabaseName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '$';
    if (!ok) return false;
  }
  return true;
}

void BindBlob(MYSQL_BIND* b, const std::string& s) {
  b->buffer_type = MYSQL_TYPE_BLOB;
  b->buffer = const_cast<char*>(s.data());  // input buffers are only read
  b->buffer_length = s.size();
}

template <typename T>
void BindInt(MYSQL_BIND* b, enum_field_types type, const T* v) {
  b->buffer_type = type;
  b->buffer = const_cast<T*>(v);
  b->is_unsigned = std::is_unsigned<T>::value;
}

enum class Role { kSetup, kReader, kWriter };

// A statement prepared for n rows (or keys).
struct SizedStmt {
  MYSQL_STMT* stmt = nullptr;
  size_t n = 0;
};

// One server connection and its prepared statements. Used by one thread at a time (a pool
// checkout or the writer's mutex). Failures mark it broken; Ensure reconnects it.
class MysqlConn {
 public:
  MysqlConn(const MysqlOptions& opts, Role role, size_t batch_max)
      : opts_(opts), role_(role), batch_max_(batch_max) {}
  ~MysqlConn() { Disconnect(); }
  MysqlConn(const MysqlConn&) = delete;
  MysqlConn& operator=(const MysqlConn&) = delete;

  // True when the last call left the connection usable (a retry would reuse it).
  bool healthy() const { return my_ != nullptr && !broken_; }

  // Connected, statements prepared: reconnects first when the connection is down.
  bool Ensure(Stats* stats, std::string* error) {
    if (healthy()) return true;
    Disconnect();
    if (!Connect(error)) return false;
    if (connected_before_) {
      stats->reconnects.fetch_add(1, std::memory_order_relaxed);
      Log(LogLevel::kNotice, "MySQL backend: %s connection re-established",
          role_ == Role::kWriter ? "writer" : "reader");
    }
    connected_before_ = true;
    return true;
  }

  void Disconnect() {
    for (SizedStmt* s : {&get1_, &getn_, &scan_page_, &scan_run_, &upsert_full_, &upsert_part_,
                         &delete_full_, &delete_part_}) {
      if (s->stmt != nullptr) mysql_stmt_close(s->stmt);
      *s = SizedStmt();
    }
    if (my_ != nullptr) mysql_close(my_);
    my_ = nullptr;
    broken_ = false;
    txn_ = false;
  }

  // Error helpers: "mysql <what>: <message> (<errno>)"; a connection error marks it broken.
  bool Fail(const char* what, std::string* error) {
    return FailWith(mysql_errno(my_), mysql_error(my_), what, error);
  }
  bool FailStmt(MYSQL_STMT* s, const char* what, std::string* error) {
    return FailWith(mysql_stmt_errno(s), mysql_stmt_error(s), what, error);
  }

  // A text-protocol statement whose result (if any) is discarded.
  bool Query(const std::string& sql, const char* what, std::string* error) {
    if (mysql_real_query(my_, sql.data(), sql.size()) != 0) return Fail(what, error);
    MYSQL_RES* res = mysql_store_result(my_);
    if (res != nullptr) mysql_free_result(res);
    return mysql_errno(my_) == 0 || Fail(what, error);
  }

  // A one-value text query; *found false (and true returned) when it gave no row or NULL.
  bool QueryInt(const std::string& sql, const char* what, int64_t* v, bool* found,
                std::string* error) {
    if (mysql_real_query(my_, sql.data(), sql.size()) != 0) return Fail(what, error);
    MYSQL_RES* res = mysql_store_result(my_);
    if (res == nullptr) return Fail(what, error);
    MYSQL_ROW row = mysql_fetch_row(res);
    *found = row != nullptr && row[0] != nullptr;
    if (*found) *v = std::strtoll(row[0], nullptr, 10);
    mysql_free_result(res);
    return true;
  }

  MYSQL* my() const { return my_; }
  bool txn() const { return txn_; }
  void set_txn(bool on) { txn_ = on; }
  size_t max_statement_bytes() const { return max_statement_bytes_; }

  bool GetBatch(uint32_t db, const std::vector<std::string>& keys, size_t begin, size_t end,
                std::vector<std::optional<Row>>* out, std::string* error);
  // Readers: the unexpired keys of db with kh >= from, in kh order, at most limit of them
  // (appended to *out).
  bool KeysFrom(uint32_t db, uint64_t from, int64_t now_ms, size_t limit,
                std::vector<KeyInfo>* out, std::string* error);
  // Readers: the unexpired keys of db with kh == pos (appended to *out).
  bool KeysAt(uint32_t db, uint64_t pos, int64_t now_ms, std::vector<KeyInfo>* out,
              std::string* error);
  bool UpsertBatch(const Row* rows, size_t n, std::string* error);
  // Setup: step 2 of the version 1 -> 2 migration (autocommit on): every row at kh = -1 gets
  // its position, `batch` rows per UPDATE; progress (if set) after each with the rows so far.
  bool FillPositions(size_t batch, const std::function<void(uint64_t)>& progress,
                     std::string* error);
  bool DeleteBatch(uint32_t db, const std::string* keys, size_t n, uint64_t* deleted,
                   std::string* error);

 private:
  bool FailWith(unsigned err, const char* msg, const char* what, std::string* error) {
    *error = Format("mysql %s: %s (%u)", what, msg, err);
    if (IsConnectionError(err)) broken_ = true;
    return false;
  }
  bool Connect(std::string* error);
  bool Prepare(SizedStmt* s, const std::string& sql, size_t n, std::string* error) {
    s->stmt = mysql_stmt_init(my_);
    if (s->stmt == nullptr) return Fail("statement init", error);
    if (mysql_stmt_prepare(s->stmt, sql.data(), sql.size()) != 0) {
      FailStmt(s->stmt, "prepare", error);
      mysql_stmt_close(s->stmt);
      *s = SizedStmt();
      return false;
    }
    s->n = n;
    return true;
  }
  // The statement for n rows: the full-batch one or the last-batch one, re-prepared on a new n.
  MYSQL_STMT* Sized(SizedStmt* full, SizedStmt* part, size_t n, std::string (*sql)(size_t),
                    std::string* error) {
    if (n == full->n) return full->stmt;
    if (n == part->n) return part->stmt;
    if (part->stmt != nullptr) mysql_stmt_close(part->stmt);
    *part = SizedStmt();
    return Prepare(part, sql(n), n, error) ? part->stmt : nullptr;
  }
  bool FetchRows(MYSQL_STMT* s, uint32_t db, const std::vector<std::string>& keys, size_t begin,
                 size_t end, std::vector<std::optional<Row>>* out, std::string* error);
  bool FetchKeys(MYSQL_STMT* s, MYSQL_BIND* params, std::vector<KeyInfo>* out,
                 std::string* error);

  const MysqlOptions& opts_;
  const Role role_;
  const size_t batch_max_;
  MYSQL* my_ = nullptr;
  bool broken_ = false;            // a connection error: reconnect before the next use
  bool connected_before_ = false;  // the next successful Connect is a reconnect
  bool txn_ = false;               // writer: a checkpoint transaction is open and intact
  size_t max_statement_bytes_ = kDefaultPacket / 2;
  SizedStmt get1_, getn_, scan_page_, scan_run_;                      // readers
  SizedStmt upsert_full_, upsert_part_, delete_full_, delete_part_;  // writer
  std::vector<MYSQL_BIND> binds_;                                     // writer's scratch
  std::vector<int64_t> positions_;                                    // writer's scratch (kh)
};

bool MysqlConn::Connect(std::string* error) {
  my_ = mysql_init(nullptr);
  if (my_ == nullptr) {
    *error = "mysql: out of memory";
    return false;
  }
  unsigned connect_s = static_cast<unsigned>(std::max(1, opts_.connect_timeout_s));
  unsigned io_s = role_ == Role::kWriter ? kWriterIoTimeoutS : kReaderIoTimeoutS;
  MyBool no = 0;
  mysql_options(my_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
  mysql_options(my_, MYSQL_OPT_READ_TIMEOUT, &io_s);
  mysql_options(my_, MYSQL_OPT_WRITE_TIMEOUT, &io_s);
  mysql_options(my_, MYSQL_OPT_RECONNECT, &no);  // we reconnect ourselves, re-preparing
  // Strict: an over-long key or value is an error, never silently truncated.
  mysql_options(my_, MYSQL_INIT_COMMAND,
                "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'");
  bool unix_socket = !opts_.socket.empty();
  const char* db = role_ == Role::kSetup ? nullptr : opts_.database.c_str();
  if (mysql_real_connect(my_, unix_socket ? nullptr : opts_.host.c_str(), opts_.user.c_str(),
                         opts_.password.c_str(), db, unix_socket ? 0 : opts_.port,
                         unix_socket ? opts_.socket.c_str() : nullptr, 0) == nullptr) {
    std::string where = unix_socket ? opts_.socket : Format("%s:%d", opts_.host.c_str(),
                                                            opts_.port);
    *error = Format("mysql connect to %s as %s: %s (%u)", where.c_str(), opts_.user.c_str(),
                    mysql_error(my_), mysql_errno(my_));
    mysql_close(my_);
    my_ = nullptr;
    return false;
  }
  bool ok = true;
  if (role_ == Role::kReader) {
    ok = Prepare(&get1_, GetSql(1), 1, error) &&
         Prepare(&getn_, GetSql(kGetBatch), kGetBatch, error) &&
         Prepare(&scan_page_, kScanPageSql, 1, error) &&
         Prepare(&scan_run_, kScanRunSql, 1, error);
  } else if (role_ == Role::kWriter) {
    int64_t packet = 0;
    bool found = false;
    ok = mysql_autocommit(my_, 0) == 0 || Fail("autocommit off", error);
    ok = ok && QueryInt("SELECT @@max_allowed_packet", "max_allowed_packet", &packet, &found,
                        error);
    if (ok && found && packet > 0) max_statement_bytes_ = static_cast<size_t>(packet) / 2;
    ok = ok && Prepare(&upsert_full_, UpsertSql(batch_max_), batch_max_, error) &&
         Prepare(&delete_full_, DeleteSql(batch_max_), batch_max_, error);
  }
  if (!ok) Disconnect();  // leaves my_ null: the next Ensure connects again
  return ok;
}

bool MysqlConn::GetBatch(uint32_t db, const std::vector<std::string>& keys, size_t begin,
                         size_t end, std::vector<std::optional<Row>>* out, std::string* error) {
  size_t n = end - begin;
  MYSQL_STMT* s = n == 1 ? get1_.stmt : getn_.stmt;
  size_t slots = n == 1 ? 1 : kGetBatch;
  MYSQL_BIND params[1 + kGetBatch];
  std::memset(params, 0, sizeof(params));
  BindInt(&params[0], MYSQL_TYPE_LONG, &db);
  for (size_t j = 0; j < slots; ++j) BindBlob(&params[1 + j], keys[begin + std::min(j, n - 1)]);
  if (mysql_stmt_bind_param(s, params) != 0 || mysql_stmt_execute(s) != 0) {
    return FailStmt(s, "get", error);
  }
  bool ok = FetchRows(s, db, keys, begin, end, out, error);
  mysql_stmt_free_result(s);
  return ok;
}

// Streams the result rows (no client-side copy of the whole result): fetch learns each blob's
// length, fetch_column copies it straight into the Row's string.
bool MysqlConn::FetchRows(MYSQL_STMT* s, uint32_t db, const std::vector<std::string>& keys,
                          size_t begin, size_t end, std::vector<std::optional<Row>>* out,
                          std::string* error) {
  unsigned long key_len = 0, value_len = 0;
  int16_t type = 0;
  int64_t expire_ms = 0;
  uint64_t lsn = 0;
  MyBool expire_null = 0;
  MYSQL_BIND res[5];
  std::memset(res, 0, sizeof(res));
  res[0].buffer_type = MYSQL_TYPE_BLOB;
  res[0].length = &key_len;
  BindInt(&res[1], MYSQL_TYPE_SHORT, &type);
  res[2].buffer_type = MYSQL_TYPE_BLOB;
  res[2].length = &value_len;
  BindInt(&res[3], MYSQL_TYPE_LONGLONG, &expire_ms);
  res[3].is_null = &expire_null;
  BindInt(&res[4], MYSQL_TYPE_LONGLONG, &lsn);
  if (mysql_stmt_bind_result(s, res) != 0) return FailStmt(s, "get bind", error);
  for (;;) {
    int rc = mysql_stmt_fetch(s);
    if (rc == MYSQL_NO_DATA) return true;
    if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) return FailStmt(s, "get fetch", error);
    Row row;
    row.db = db;
    row.type = static_cast<uint8_t>(type);
    row.expire_ms = expire_null ? -1 : expire_ms;
    row.lsn = lsn;
    row.key.resize(key_len);
    row.value.resize(value_len);
    unsigned column = 0;
    for (std::string* dst : {&row.key, &row.value}) {
      if (!dst->empty()) {
        unsigned long got = 0;
        MYSQL_BIND b;
        std::memset(&b, 0, sizeof(b));
        b.buffer_type = MYSQL_TYPE_BLOB;
        b.buffer = dst->data();
        b.buffer_length = dst->size();
        b.length = &got;
        if (mysql_stmt_fetch_column(s, &b, column, 0) != 0) {
          return FailStmt(s, "get fetch column", error);
        }
      }
      column += 2;  // k is column 0, v column 2
    }
    PlaceRow(keys, begin, end, std::move(row), out);
  }
}

bool MysqlConn::KeysFrom(uint32_t db, uint64_t from, int64_t now_ms, size_t limit,
                         std::vector<KeyInfo>* out, std::string* error) {
  int64_t pos = static_cast<int64_t>(from);  // <= kMaxKeyPosition: no sign flip
  int64_t rows = static_cast<int64_t>(limit);
  MYSQL_BIND params[4];
  std::memset(params, 0, sizeof(params));
  BindInt(&params[0], MYSQL_TYPE_LONG, &db);
  BindInt(&params[1], MYSQL_TYPE_LONGLONG, &pos);
  BindInt(&params[2], MYSQL_TYPE_LONGLONG, &now_ms);
  BindInt(&params[3], MYSQL_TYPE_LONGLONG, &rows);
  return FetchKeys(scan_page_.stmt, params, out, error);
}

bool MysqlConn::KeysAt(uint32_t db, uint64_t pos, int64_t now_ms, std::vector<KeyInfo>* out,
                       std::string* error) {
  int64_t at = static_cast<int64_t>(pos);
  MYSQL_BIND params[3];
  std::memset(params, 0, sizeof(params));
  BindInt(&params[0], MYSQL_TYPE_LONG, &db);
  BindInt(&params[1], MYSQL_TYPE_LONGLONG, &at);
  BindInt(&params[2], MYSQL_TYPE_LONGLONG, &now_ms);
  return FetchKeys(scan_run_.stmt, params, out, error);
}

// Runs a k, type, kh query. Keys are at most kMaxKeyLen bytes (the column's length), so one
// buffer of that size takes each whole.
bool MysqlConn::FetchKeys(MYSQL_STMT* s, MYSQL_BIND* params, std::vector<KeyInfo>* out,
                          std::string* error) {
  if (mysql_stmt_bind_param(s, params) != 0 || mysql_stmt_execute(s) != 0) {
    return FailStmt(s, "scan page", error);
  }
  char key[kMaxKeyLen];
  unsigned long key_len = 0;
  int16_t type = 0;
  int64_t pos = 0;
  MYSQL_BIND res[3];
  std::memset(res, 0, sizeof(res));
  res[0].buffer_type = MYSQL_TYPE_BLOB;
  res[0].buffer = key;
  res[0].buffer_length = sizeof(key);
  res[0].length = &key_len;
  BindInt(&res[1], MYSQL_TYPE_SHORT, &type);
  BindInt(&res[2], MYSQL_TYPE_LONGLONG, &pos);
  bool ok = mysql_stmt_bind_result(s, res) == 0 || FailStmt(s, "scan page bind", error);
  while (ok) {
    int rc = mysql_stmt_fetch(s);
    if (rc == MYSQL_NO_DATA) break;
    if (rc == MYSQL_DATA_TRUNCATED) {  // only if the column outgrew kMaxKeyLen
      *error = Format("mysql scan page: a key of %lu bytes is longer than %zu", key_len,
                      kMaxKeyLen);
      ok = false;
      break;
    }
    if (rc != 0) {
      ok = FailStmt(s, "scan page fetch", error);
      break;
    }
    KeyInfo info;
    info.key.assign(key, key_len);
    info.type = static_cast<uint8_t>(type);
    info.pos = static_cast<uint64_t>(pos);
    out->push_back(std::move(info));
  }
  mysql_stmt_free_result(s);
  return ok;
}

bool MysqlConn::FillPositions(size_t batch, const std::function<void(uint64_t)>& progress,
                              std::string* error) {
  SizedStmt select, fill_full, fill_part;
  struct Closer {
    SizedStmt* s[3];
    ~Closer() {
      for (SizedStmt* x : s) {
        if (x->stmt != nullptr) mysql_stmt_close(x->stmt);
      }
    }
  } closer{{&select, &fill_full, &fill_part}};
  batch = std::clamp<size_t>(batch, 1, (kMaxPlaceholders - 3) / 2);
  if (!Prepare(&select, kFillSelectSql, 1, error) ||
      !Prepare(&fill_full, FillSql(batch), batch, error)) {
    return false;
  }
  struct Key {
    int32_t db;
    std::string k;
    int64_t pos;
  };
  std::vector<Key> keys;
  keys.reserve(batch);
  int32_t cursor_db = -1;  // before every row (db >= 0)
  std::string cursor_key;
  int64_t limit = static_cast<int64_t>(batch);
  uint64_t done = 0;
  for (;;) {
    MYSQL_BIND params[4];
    std::memset(params, 0, sizeof(params));
    BindInt(&params[0], MYSQL_TYPE_LONG, &cursor_db);
    BindInt(&params[1], MYSQL_TYPE_LONG, &cursor_db);
    BindBlob(&params[2], cursor_key);
    BindInt(&params[3], MYSQL_TYPE_LONGLONG, &limit);
    MYSQL_STMT* s = select.stmt;
    if (mysql_stmt_bind_param(s, params) != 0 || mysql_stmt_execute(s) != 0) {
      return FailStmt(s, "migration: reading keys", error);
    }
    int32_t db = 0;
    char key[kMaxKeyLen];
    unsigned long key_len = 0;
    MYSQL_BIND res[2];
    std::memset(res, 0, sizeof(res));
    BindInt(&res[0], MYSQL_TYPE_LONG, &db);
    res[1].buffer_type = MYSQL_TYPE_BLOB;
    res[1].buffer = key;
    res[1].buffer_length = sizeof(key);
    res[1].length = &key_len;
    keys.clear();
    bool ok = mysql_stmt_bind_result(s, res) == 0 || FailStmt(s, "migration: bind", error);
    while (ok) {
      int rc = mysql_stmt_fetch(s);
      if (rc == MYSQL_NO_DATA) break;
      if (rc != 0) {  // MYSQL_DATA_TRUNCATED too: k is VARBINARY(kMaxKeyLen)
        ok = FailStmt(s, "migration: reading keys", error);
        break;
      }
      std::string k(key, key_len);
      int64_t pos = static_cast<int64_t>(Backend::KeyPosition(k));
      keys.push_back(Key{db, std::move(k), pos});
    }
    mysql_stmt_free_result(s);
    if (!ok) return false;
    if (keys.empty()) return true;
    // One database per UPDATE: the rest of the batch is read again by the next SELECT.
    size_t n = 1;
    while (n < keys.size() && keys[n].db == keys[0].db) ++n;
    keys.resize(n);
    MYSQL_STMT* u = Sized(&fill_full, &fill_part, n, FillSql, error);
    if (u == nullptr) return false;
    binds_.assign(n * 2 + 3, MYSQL_BIND{});
    for (size_t i = 0; i < n; ++i) {
      BindBlob(&binds_[i * 2], keys[i].k);
      BindInt(&binds_[i * 2 + 1], MYSQL_TYPE_LONGLONG, &keys[i].pos);
    }
    BindInt(&binds_[n * 2], MYSQL_TYPE_LONG, &keys[0].db);
    BindBlob(&binds_[n * 2 + 1], keys.front().k);
    BindBlob(&binds_[n * 2 + 2], keys.back().k);
    if (mysql_stmt_bind_param(u, binds_.data()) != 0 || mysql_stmt_execute(u) != 0) {
      return FailStmt(u, "migration: storing kh", error);
    }
    cursor_db = keys.back().db;
    cursor_key = std::move(keys.back().k);
    done += keys.size();
    if (progress) progress(done);
    if (done / 1000000 != (done - keys.size()) / 1000000) {
      Log(LogLevel::kNotice, "MySQL backend: migration: %" PRIu64 " rows filled", done);
    }
  }
}

bool MysqlConn::UpsertBatch(const Row* rows, size_t n, std::string* error) {
  MYSQL_STMT* s = Sized(&upsert_full_, &upsert_part_, n, UpsertSql, error);
  if (s == nullptr) return false;
  binds_.assign(n * kUpsertParams, MYSQL_BIND{});
  positions_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const Row& r = rows[i];
    positions_[i] = static_cast<int64_t>(Backend::KeyPosition(r.key));
    MYSQL_BIND* b = &binds_[i * kUpsertParams];
    BindInt(&b[0], MYSQL_TYPE_LONG, &r.db);
    BindBlob(&b[1], r.key);
    BindInt(&b[2], MYSQL_TYPE_TINY, &r.type);
    BindBlob(&b[3], r.value);
    if (r.expire_ms < 0) {
      b[4].buffer_type = MYSQL_TYPE_NULL;
    } else {
      BindInt(&b[4], MYSQL_TYPE_LONGLONG, &r.expire_ms);
    }
    BindInt(&b[5], MYSQL_TYPE_LONGLONG, &r.lsn);
    BindInt(&b[6], MYSQL_TYPE_LONGLONG, &positions_[i]);
  }
  if (mysql_stmt_bind_param(s, binds_.data()) != 0 || mysql_stmt_execute(s) != 0) {
    return FailStmt(s, "upsert", error);
  }
  return true;
}

bool MysqlConn::DeleteBatch(uint32_t db, const std::string* keys, size_t n, uint64_t* deleted,
                            std::string* error) {
  MYSQL_STMT* s = Sized(&delete_full_, &delete_part_, n, DeleteSql, error);
  if (s == nullptr) return false;
  binds_.assign(n + 1, MYSQL_BIND{});
  BindInt(&binds_[0], MYSQL_TYPE_LONG, &db);
  for (size_t i = 0; i < n; ++i) BindBlob(&binds_[1 + i], keys[i]);
  if (mysql_stmt_bind_param(s, binds_.data()) != 0 || mysql_stmt_execute(s) != 0) {
    return FailStmt(s, "delete", error);
  }
  *deleted += mysql_stmt_affected_rows(s);
  return true;
}

class MysqlBackend final : public Backend {
 public:
  explicit MysqlBackend(const MysqlOptions& opts)
      : opts_(opts),
        batch_max_(std::clamp<size_t>(opts.batch_max, 1, kMaxPlaceholders / kUpsertParams)) {}
  ~MysqlBackend() override { Close(); }

  const char* name() const override { return "mysql"; }
  size_t max_key_len() const override { return kMaxKeyLen; }

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
  bool Setup(std::string* error);
  bool MigrateToV2(MysqlConn& c, std::string* error);
  // Runs op on c (connected first); once more on a fresh connection when it failed because a
  // connection that had been working was stale.
  template <typename Op>
  bool WithRetry(MysqlConn& c, std::string* error, const Op& op) {
    for (int attempt = 0;; ++attempt) {
      bool was_healthy = c.healthy();
      if (c.Ensure(&stats_, error) && op()) return true;
      if (attempt > 0 || !was_healthy || c.healthy()) return false;
    }
  }
  // The writer inside an intact checkpoint transaction. Caller holds writer_mu_.
  bool InTxn(std::string* error) {
    if (writer_ && writer_->txn()) return true;
    *error = "mysql: no checkpoint transaction (CheckpointBegin failed or was not called, or a "
             "statement in it failed: roll back and begin again)";
    return false;
  }
  bool WriteFailed() {
    stats_.write_errors.fetch_add(1, std::memory_order_relaxed);
    if (writer_) writer_->set_txn(false);
    return false;
  }

  const MysqlOptions opts_;
  const size_t batch_max_;
  ConnPool<MysqlConn> readers_;
  std::mutex writer_mu_;               // the writer connection is used under it
  std::unique_ptr<MysqlConn> writer_;  // guarded by writer_mu_
  // Rows written by the open checkpoint transaction, added to stats_ at commit.
  uint64_t pending_upserted_ = 0, pending_deleted_ = 0;  // guarded by writer_mu_
};

// Creates the database and the tables if missing and checks the schema version, on a
// connection of its own.
bool MysqlBackend::Setup(std::string* error) {
  if (!ValidDatabaseName(opts_.database)) {
    *error = Format("mysql: database name '%s' is not allowed (use letters, digits, _ and $)",
                    opts_.database.c_str());
    return false;
  }
  MysqlConn c(opts_, Role::kSetup, batch_max_);
  if (!c.Ensure(&stats_, error)) return false;
  if (!c.Query("CREATE DATABASE IF NOT EXISTS `" + opts_.database + "`", "create database",
               error)) {
    return false;
  }
  if (mysql_select_db(c.my(), opts_.database.c_str()) != 0) return c.Fail("use", error);
  int64_t tables = 0;
  bool found = false;
  if (!c.QueryInt("SELECT COUNT(*) FROM information_schema.TABLES "
                  "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'strata_kv'",
                  "create schema", &tables, &found, error)) {
    return false;
  }
  bool existed = tables > 0;
  if (!existed && !c.Query(kCreateTable, "create schema", error)) return false;
  for (const char* sql : kSchemaMeta) {
    if (!c.Query(sql, "create schema", error)) return false;
  }
  if (!c.Query(existed ? kSchemaVersionExisting : kSchemaVersionNew, "create schema", error)) {
    return false;
  }
  int64_t version = 0;
  if (!c.QueryInt("SELECT value FROM strata_meta WHERE name = 'schema_version'",
                  "schema_version", &version, &found, error) ||
      !CheckSchemaVersion(found ? version : 0, error)) {
    return false;
  }
  return version == kSchemaVersion || MigrateToV2(c, error);
}

bool MysqlBackend::MigrateToV2(MysqlConn& c, std::string* error) {
  int64_t n = 0;
  bool found = false;
  if (!c.QueryInt("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                  "DATABASE() AND TABLE_NAME = 'strata_kv' AND COLUMN_NAME = 'kh'",
                  "migration", &n, &found, error)) {
    return false;
  }
  Log(LogLevel::kNotice, "MySQL backend: migrating %s.strata_kv from schema version 1 to 2 (%s)",
      opts_.database.c_str(), n > 0 ? "resuming" : "adding the key position column kh");
  if (n == 0 && !c.Query("ALTER TABLE strata_kv ADD COLUMN kh BIGINT NOT NULL DEFAULT -1",
                         "migration: adding kh", error)) {
    return false;
  }
  if (!c.FillPositions(opts_.migrate_batch, opts_.migrate_progress, error)) return false;
  if (!c.QueryInt("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                  "DATABASE() AND TABLE_NAME = 'strata_kv' AND INDEX_NAME = 'strata_kv_kh'",
                  "migration", &n, &found, error)) {
    return false;
  }
  if (n == 0 && !c.Query("ALTER TABLE strata_kv ADD INDEX strata_kv_kh (db, kh)",
                         "migration: indexing kh", error)) {
    return false;
  }
  if (!c.Query("ALTER TABLE strata_kv ALTER COLUMN kh DROP DEFAULT", "migration", error) ||
      !c.Query("UPDATE strata_meta SET value = 2 WHERE name = 'schema_version'", "migration",
               error)) {
    return false;
  }
  Log(LogLevel::kNotice, "MySQL backend: %s.strata_kv is at schema version 2",
      opts_.database.c_str());
  return true;
}

bool MysqlBackend::Open(std::string* error) {
  Close();
  if (!Setup(error)) return false;
  {
    std::lock_guard<std::mutex> lock(writer_mu_);
    writer_ = std::make_unique<MysqlConn>(opts_, Role::kWriter, batch_max_);
    if (!writer_->Ensure(&stats_, error)) {
      writer_.reset();
      return false;
    }
  }
  bool ok = readers_.Fill(opts_.pool_size, [&](std::string* e) {
    auto c = std::make_unique<MysqlConn>(opts_, Role::kReader, batch_max_);
    return c->Ensure(&stats_, e) ? std::move(c) : nullptr;
  }, error);
  if (!ok) Close();
  return ok;
}

void MysqlBackend::Close() {
  readers_.Close();
  std::lock_guard<std::mutex> lock(writer_mu_);
  writer_.reset();
}

bool MysqlBackend::LoadCheckpoint(uint64_t* lsn, std::string* error) {
  Borrowed<MysqlConn> c(&readers_);
  if (!c.ok()) {
    *error = "mysql backend is not open";
    return false;
  }
  int64_t v = 0;
  bool found = false;
  bool ok = WithRetry(*c, error, [&] {
    return c->QueryInt("SELECT value FROM strata_meta WHERE name = 'checkpoint_lsn'",
                       "checkpoint_lsn", &v, &found, error);
  });
  *lsn = ok && found ? static_cast<uint64_t>(v) : 0;
  return ok;
}

bool MysqlBackend::ScanKeys(int64_t now_ms,
                            const std::function<void(uint32_t, std::string_view)>& fn,
                            std::string* error) {
  Borrowed<MysqlConn> c(&readers_);
  if (!c.ok()) {
    *error = "mysql backend is not open";
    return false;
  }
  if (!c->Ensure(&stats_, error)) return false;
  std::string sql = Format(
      "SELECT db, k FROM strata_kv WHERE expire_ms IS NULL OR expire_ms > %" PRId64, now_ms);
  MYSQL* my = c->my();
  if (mysql_real_query(my, sql.data(), sql.size()) != 0) return c->Fail("scan", error);
  MYSQL_RES* res = mysql_use_result(my);  // rows stream from the server, one at a time
  if (res == nullptr) return c->Fail("scan", error);
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    unsigned long* len = mysql_fetch_lengths(res);
    fn(static_cast<uint32_t>(std::strtoul(row[0], nullptr, 10)),
       std::string_view(row[1], len[1]));
  }
  bool ok = mysql_errno(my) == 0 || c->Fail("scan", error);
  mysql_free_result(res);
  return ok;
}

bool MysqlBackend::ScanPage(uint32_t db, uint64_t from, size_t count, int64_t now_ms,
                            std::vector<KeyInfo>* out, uint64_t* next, std::string* error) {
  out->clear();
  if (from > kMaxKeyPosition) {
    *next = 0;
    return true;
  }
  count = std::clamp<size_t>(count, 1, kMaxPageCount);
  Borrowed<MysqlConn> c(&readers_);
  if (!c.ok()) {
    *error = "mysql backend is not open";
    return false;
  }
  PageCut cut;
  bool ok = WithRetry(*c, error, [&] {
    out->clear();  // a retry starts over
    if (!c->KeysFrom(db, from, now_ms, count + 1, out, error)) return false;
    cut = CutPage(*out, count);
    out->resize(cut.keep);
    return !cut.whole_run || c->KeysAt(db, cut.run_pos, now_ms, out, error);
  });
  if (!ok) {
    out->clear();
    return false;
  }
  *next = cut.next;
  return true;
}

bool MysqlBackend::KeyAt(uint32_t db, uint64_t point, int64_t now_ms,
                         std::optional<KeyInfo>* out, std::string* error) {
  out->reset();
  Borrowed<MysqlConn> c(&readers_);
  if (!c.ok()) {
    *error = "mysql backend is not open";
    return false;
  }
  std::vector<KeyInfo> found;
  bool ok = WithRetry(*c, error, [&] {
    found.clear();
    // At or after the point, else wrap around to the first.
    if (point <= kMaxKeyPosition && !c->KeysFrom(db, point, now_ms, 1, &found, error)) {
      return false;
    }
    return !found.empty() || c->KeysFrom(db, 0, now_ms, 1, &found, error);
  });
  if (!ok) return false;
  if (!found.empty()) *out = std::move(found.front());
  return true;
}

bool MysqlBackend::Get(uint32_t db, const std::vector<std::string>& keys,
                       std::vector<std::optional<Row>>* out, std::string* error) {
  out->assign(keys.size(), std::nullopt);
  stats_.get_calls.fetch_add(1, std::memory_order_relaxed);
  stats_.get_keys.fetch_add(keys.size(), std::memory_order_relaxed);
  bool ok = false;
  {
    Borrowed<MysqlConn> c(&readers_);
    if (!c.ok()) {
      *error = "mysql backend is not open";
    } else {
      ok = WithRetry(*c, error, [&] {
        out->assign(keys.size(), std::nullopt);  // a retry starts over
        for (size_t begin = 0; begin < keys.size(); begin += kGetBatch) {
          size_t end = std::min(keys.size(), begin + kGetBatch);
          if (!c->GetBatch(db, keys, begin, end, out, error)) return false;
        }
        return true;
      });
    }
  }
  if (!ok) {
    stats_.get_errors.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  stats_.get_found.fetch_add(CountFound(*out), std::memory_order_relaxed);
  return true;
}

bool MysqlBackend::CheckpointBegin(std::string* error) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  if (!writer_) {
    *error = "mysql backend is not open";
    return WriteFailed();
  }
  pending_upserted_ = pending_deleted_ = 0;
  writer_->set_txn(false);
  // With autocommit off a transaction starts with the next statement; ROLLBACK first ends
  // anything a caller left open (START TRANSACTION would commit it) and, as a round trip,
  // finds a writer that went stale while idle, which then reconnects here.
  bool ok = WithRetry(*writer_, error, [&] {
    return mysql_rollback(writer_->my()) == 0 || writer_->Fail("begin", error);
  });
  if (!ok) return WriteFailed();
  writer_->set_txn(true);
  return true;
}

bool MysqlBackend::CheckpointFlushDb(uint32_t db, std::string* error) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  if (!InTxn(error)) return WriteFailed();
  if (!writer_->Query(Format("DELETE FROM strata_kv WHERE db = %" PRIu32, db), "flush", error)) {
    return WriteFailed();
  }
  pending_deleted_ += mysql_affected_rows(writer_->my());
  return true;
}

bool MysqlBackend::CheckpointUpsert(const std::vector<Row>& rows, std::string* error) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  if (!InTxn(error)) return WriteFailed();
  for (const Row& r : rows) {
    if (r.key.size() > kMaxKeyLen) {
      *error = Format("mysql upsert: key of %zu bytes is longer than %zu", r.key.size(),
                      kMaxKeyLen);
      return WriteFailed();
    }
  }
  // Batches of at most batch_max rows, cut earlier so a statement stays under the packet limit.
  const size_t limit = writer_->max_statement_bytes();
  size_t begin = 0;
  while (begin < rows.size()) {
    size_t end = begin, bytes = 0;
    while (end < rows.size() && end - begin < batch_max_) {
      size_t row_bytes = rows[end].key.size() + rows[end].value.size() + 64;
      if (end > begin && bytes + row_bytes > limit) break;
      bytes += row_bytes;
      ++end;
    }
    if (!writer_->UpsertBatch(&rows[begin], end - begin, error)) return WriteFailed();
    begin = end;
  }
  pending_upserted_ += rows.size();
  return true;
}

bool MysqlBackend::CheckpointDelete(uint32_t db, const std::vector<std::string>& keys,
                                    std::string* error) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  if (!InTxn(error)) return WriteFailed();
  for (size_t begin = 0; begin < keys.size(); begin += batch_max_) {
    size_t n = std::min(batch_max_, keys.size() - begin);
    if (!writer_->DeleteBatch(db, &keys[begin], n, &pending_deleted_, error)) {
      return WriteFailed();
    }
  }
  return true;
}

bool MysqlBackend::CheckpointCommit(uint64_t checkpoint_lsn, std::string* error) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  if (!InTxn(error)) return WriteFailed();
  std::string sql = Format(
      "INSERT INTO strata_meta (name, value) VALUES ('%s', %" PRIu64
      ") ON DUPLICATE KEY UPDATE value = VALUES(value)",
      kMetaCheckpointLsn, checkpoint_lsn);
  if (!writer_->Query(sql, "storing checkpoint_lsn", error)) return WriteFailed();
  if (mysql_commit(writer_->my()) != 0) {
    writer_->Fail("commit", error);
    return WriteFailed();
  }
  writer_->set_txn(false);
  stats_.rows_upserted.fetch_add(pending_upserted_, std::memory_order_relaxed);
  stats_.rows_deleted.fetch_add(pending_deleted_, std::memory_order_relaxed);
  stats_.commits.fetch_add(1, std::memory_order_relaxed);
  pending_upserted_ = pending_deleted_ = 0;
  return true;
}

void MysqlBackend::CheckpointRollback() {
  std::lock_guard<std::mutex> lock(writer_mu_);
  pending_upserted_ = pending_deleted_ = 0;
  if (!writer_) return;
  writer_->set_txn(false);
  // A broken connection's transaction died with it; the next Begin reconnects.
  std::string ignored;
  if (writer_->healthy() && mysql_rollback(writer_->my()) != 0) {
    writer_->Fail("rollback", &ignored);
  }
}

bool MysqlBackend::Ping(std::string* error) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  if (!writer_) {
    *error = "mysql backend is not open";
    return false;
  }
  // A reconnect would end an open checkpoint transaction: only ping then, never retry.
  if (writer_->txn()) {
    if (mysql_ping(writer_->my()) == 0) return true;
    writer_->Fail("ping", error);
    if (!writer_->healthy()) writer_->set_txn(false);  // the transaction died with it
    return false;
  }
  return WithRetry(*writer_, error, [&] {
    return mysql_ping(writer_->my()) == 0 || writer_->Fail("ping", error);
  });
}

}  // namespace

// mysql_library_init is not thread-safe and mysql_init would run it implicitly, racing when
// pool connections are opened from several threads: run it once here (main() also calls it;
// a second call is a no-op).
std::unique_ptr<Backend> MakeMysqlBackend(const MysqlOptions& opts) {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
  return std::make_unique<MysqlBackend>(opts);
}

}  // namespace strata::backend
