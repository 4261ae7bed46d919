// The backing tier's interface: a SQL table that holds every key, written behind by the
// checkpointer and read through on misses (server/tiering.h drives it).
//
// Schema (version 2; created if missing; `strata_meta` records the version, and a version 1 table
// is migrated in place at Open; docs/TIERING.md "The table"):
//   strata_kv(db INT, k <binary key>, type SMALLINT, v <blob>, expire_ms BIGINT NULL, lsn BIGINT,
//             kh BIGINT NOT NULL, PRIMARY KEY (db, k), INDEX strata_kv_kh (db, kh))
//   strata_meta(name VARCHAR(64) PRIMARY KEY, value BIGINT)   rows: schema_version, checkpoint_lsn
// `type` is storage::ObjType (0 string, 1 list, 2 hash, 3 set, 4 zset). A string's `v` is its raw
// bytes, so any SQL tool can read it; collections use storage/codec.h's documented encoding.
// `expire_ms` is absolute Unix time in milliseconds, NULL for no TTL. `lsn` is the checkpoint LSN
// that wrote the row: every WAL record above it is replayed at start-up, none at or below.
// `kh` is the key's position, Backend::KeyPosition(k): the backends compute it on every upsert
// (callers never pass it). ScanPage and KeyAt walk a database in kh order through the index.
//
// Threads: Open/Close/LoadCheckpoint/ScanKeys on the main thread at start-up and shutdown; Get,
// ScanPage and KeyAt from any thread (the libuv threadpool), each call checking a connection out
// of the pool for its duration; the Checkpoint* calls from the checkpointer thread only, on a
// dedicated writer connection. KeyPosition is a pure function (any thread). Errors never throw:
// false + a message, and the implementation reconnects (and re-prepares its statements) on the
// next call.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/stored_row.h"

namespace strata::backend {

constexpr int kSchemaVersion = 2;
// The oldest schema version Open still accepts (and migrates to kSchemaVersion).
constexpr int kOldestMigratableVersion = 1;

// Positions (kh) lie in [0, kMaxKeyPosition]: 62 bits, so they fit a signed BIGINT with room.
constexpr uint64_t kMaxKeyPosition = (uint64_t{1} << 62) - 1;
// ScanPage's count is capped to this many keys (a page is held in memory whole).
constexpr size_t kMaxPageCount = size_t{1} << 20;

// A key's row (common/stored_row.h, shared with the in-memory store's checkpoint capture).
using Row = StoredRow;

// One key of a ScanPage or KeyAt answer.
struct KeyInfo {
  std::string key;
  uint8_t type = 0;  // storage::ObjType
  uint64_t pos = 0;  // KeyPosition(key), the row's kh
};

// Counters for INFO; any thread.
struct Stats {
  std::atomic<uint64_t> get_calls{0}, get_keys{0}, get_found{0}, get_errors{0};
  std::atomic<uint64_t> rows_upserted{0}, rows_deleted{0}, commits{0}, write_errors{0};
  std::atomic<uint64_t> reconnects{0};
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;  // "sqlite" | "mysql"
  // Longest key the table can hold (MySQL: the primary key's VARBINARY length); the server
  // refuses longer keys in writes rather than failing a checkpoint later. 0 = no limit.
  virtual size_t max_key_len() const = 0;

  // Connects (all pool connections and the writer), creates the tables if missing, checks the
  // schema version and migrates an older table in place (version 1: adds and fills kh; this
  // reads every key once, in batches, and may take a while on a big table; an interrupted
  // migration is finished by the next Open). False + error (start-up fails with it).
  virtual bool Open(std::string* error) = 0;
  // Closes every connection. Idempotent.
  virtual void Close() = 0;

  // The checkpoint LSN stored by the last committed checkpoint (0 for a fresh table).
  virtual bool LoadCheckpoint(uint64_t* lsn, std::string* error) = 0;
  // Streams the key of every row whose expiry is NULL or after now_ms (start-up: the key index).
  virtual bool ScanKeys(int64_t now_ms,
                        const std::function<void(uint32_t db, std::string_view key)>& fn,
                        std::string* error) = 0;

  // The position of a key in ScanPage/KeyAt order: XXH3_64bits(key) >> 2 (unseeded, so the same
  // on every start and machine; stored as the kh column). Never above kMaxKeyPosition.
  static uint64_t KeyPosition(std::string_view key);

  // One page of database db's unexpired keys (expire_ms NULL or after now_ms) with
  // pos >= from, in pos order: about `count` keys (count taken as at least 1 and at most
  // kMaxPageCount; fewer or more when a run of keys with equal positions would otherwise be
  // split between two pages, since a page ends only between two different positions). *next
  // is where the following page starts, or 0 when this page reached the end. Over calls from 0 to 0, every key present in the table for the
  // whole walk is returned, and none twice (a key's position never changes, and pages move
  // forward). A `from` above kMaxKeyPosition is past the end: no keys, *next = 0. On false,
  // *out is empty and *next unchanged.
  virtual bool ScanPage(uint32_t db, uint64_t from, size_t count, int64_t now_ms,
                        std::vector<KeyInfo>* out, uint64_t* next, std::string* error) = 0;
  // The first unexpired key of database db at or after `point` in pos order, wrapping around to
  // the smallest when none is at or after it; nullopt when db has no unexpired key (RANDOMKEY
  // with a random point).
  virtual bool KeyAt(uint32_t db, uint64_t point, int64_t now_ms, std::optional<KeyInfo>* out,
                     std::string* error) = 0;

  // Read-through: the rows of `keys` in database db. out->size() == keys.size() afterwards;
  // (*out)[i] is empty when key i has no row. One query per up-to-kGetBatch keys.
  virtual bool Get(uint32_t db, const std::vector<std::string>& keys,
                   std::vector<std::optional<Row>>* out, std::string* error) = 0;

  // Checkpoint: Begin, then any number of Flush/Upsert/Delete calls (each batched into
  // multi-row statements of at most batch_max rows), then Commit, which also stores
  // checkpoint_lsn in strata_meta, all in one transaction. On any false: call Rollback.
  virtual bool CheckpointBegin(std::string* error) = 0;
  virtual bool CheckpointFlushDb(uint32_t db, std::string* error) = 0;  // DELETE every row of db
  virtual bool CheckpointUpsert(const std::vector<Row>& rows, std::string* error) = 0;
  virtual bool CheckpointDelete(uint32_t db, const std::vector<std::string>& keys,
                                std::string* error) = 0;
  virtual bool CheckpointCommit(uint64_t checkpoint_lsn, std::string* error) = 0;
  virtual void CheckpointRollback() = 0;

  // A cheap round trip on the writer connection (reconnecting if needed).
  virtual bool Ping(std::string* error) = 0;

  Stats& stats() { return stats_; }

 protected:
  Stats stats_;
};

struct SqliteOptions {
  std::string path;          // the database file (created if missing)
  size_t readers = 4;        // read connections in the pool (WAL journal mode: concurrent reads)
  size_t batch_max = 1000;   // backend-batch-max
  size_t migrate_batch = 10000;  // rows per transaction when Open migrates a version 1 table
  // Tests: called after each committed migration batch with the rows filled so far (a test
  // stops the process there to interrupt a migration). Empty: nothing.
  std::function<void(uint64_t rows_done)> migrate_progress;
};
std::unique_ptr<Backend> MakeSqliteBackend(const SqliteOptions& opts);

struct MysqlOptions {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string socket;        // used instead of host/port when set
  std::string user = "root";
  std::string password;
  std::string database = "strata";  // created if missing (CREATE DATABASE IF NOT EXISTS)
  size_t pool_size = 20;     // read connections, opened at Open; the writer is one more
  size_t batch_max = 1000;   // rows per multi-row statement (<= 65535 / 7 placeholders)
  int connect_timeout_s = 2;
  size_t migrate_batch = 1000;  // rows per statement and transaction when Open migrates v1
  std::function<void(uint64_t rows_done)> migrate_progress;  // as SqliteOptions's
};
std::unique_ptr<Backend> MakeMysqlBackend(const MysqlOptions& opts);

// Keys per SELECT in Get (bigger requests are split).
constexpr size_t kGetBatch = 64;

}  // namespace strata::backend
