// Persistence: the glue between command execution and the WAL (wal/wal.h).
//
// Logging. The dispatcher (server/dispatcher.h) holds a write command's shards while its
// handler runs and, if it changed something (ctx.dirty), appends its record (argv, or the
// handler's ctx.log_as) before releasing them: for every key the log order is the apply order,
// also for commands spanning shards. A transaction's commands go into one WalBatch, appended as
// one record while the transaction still holds its shards, so replay applies it whole.
//
// Durability of replies (`always`). Each (db, shard) remembers, under its lock, the LSN of the
// last logged write of each recently written key (and a barrier LSN for writes of a whole
// database such as FLUSHALL). A reply waits for its own record and for the last write of every
// key it read that is not yet on disk (KeyWait; ShardWait for commands that read a whole
// database). Readers of other keys never wait. The connection holds the reply (and everything
// after it) until Wal::release_lsn() reaches it.
//
// Rewrite (BGREWRITEAOF, auto-aof-rewrite-percentage): a point-in-time snapshot at LSN S taken
// without stopping the loops. With every shard locked for an instant, S is read, every shard is
// marked "not yet captured" and the WAL rotates after S. A background thread then captures
// shards one by one; a write about to change a shard that is not captured yet captures it first
// (BeforeWrite: copy-on-write at shard granularity), so every shard is captured exactly as of
// S. The capture is a series of commands (SET/RPUSH/HSET/SADD/ZADD + PEXPIREAT) in a base file;
// once it is on disk the segments at or below S are deleted.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "commands/command.h"
#include "storage/keyspace.h"
#include "wal/wal.h"

namespace strata::server {

class Server;

// A transaction's record under construction: the commands that changed something, and the
// keys they wrote (their durability slots get the record's LSN when it is appended).
struct WalBatch {
  wal::PayloadWriter payload;
  std::vector<std::pair<const storage::Shard*, uint64_t>> written;  // (shard, key hash)
  bool barrier = false;  // a command in it wrote a whole database (FLUSHDB, FLUSHALL)
  void Clear() {
    payload.Clear();
    written.clear();
    barrier = false;
  }
};

class Persistence {
 public:
  Persistence(Server* server, wal::Options opts);
  ~Persistence();

  // Start-up, before the workers: replays the log into the keyspace. False + error.
  bool Load(std::string* error);
  // Starts the writer; on_progress runs on the writer thread when LSNs advance or writing
  // starts failing.
  bool Start(std::function<void()> on_progress, std::string* error);
  void Stop();  // waits for a rewrite, then flushes and syncs the log

  wal::Wal& wal() { return *wal_; }
  const wal::Wal& wal() const { return *wal_; }
  bool always() const { return wal_->policy() == wal::FsyncPolicy::kAlways; }

  // ---- the dispatcher (the caller holds the shards of the keys and LockSets it passes) ----
  // A write is about to run under `held`: a running rewrite captures those shards first.
  void BeforeWrite(const storage::LockSet& held);
  // Appends ctx's command (argv, or ctx.log_as) as one record; returns its LSN. scratch: the
  // calling thread's reusable buffer for records too big to encode in place.
  uint64_t Log(const cmd::CommandContext& ctx, wal::PayloadWriter* scratch);
  // A transaction: adds ctx's command to the batch; then appends the batch as one record (if
  // it holds anything) and gives its written keys the record's LSN (a barrier: every shard of
  // `held`). Returns the LSN, 0 for an empty batch.
  void Add(WalBatch* batch, const cmd::CommandContext& ctx);
  uint64_t LogBatch(WalBatch* batch, const storage::LockSet& held);
  // Durability slots (caller holds the shard): the key's last write is at lsn; a write of the
  // whole of `held`'s shards (FLUSHALL) at lsn; what a reader of a key, or of a whole shard,
  // must wait for under `always`.
  void NoteWrite(const storage::Shard* s, uint64_t key_hash, uint64_t lsn);
  void NoteBarrier(const storage::LockSet& held, uint64_t lsn);
  uint64_t KeyWait(const storage::Shard* s, uint64_t key_hash) const;
  uint64_t ShardWait(const storage::Shard* s) const;

  // BGREWRITEAOF. False + error if one is running.
  bool StartRewrite(std::string* error);
  bool rewriting() const { return rewriting_.load(std::memory_order_acquire); }
  // Main thread, a few times a second: auto-aof-rewrite-percentage / -min-size.
  void Cron(int64_t pct, int64_t min_size);

  // INFO persistence lines.
  std::string Info();
  // Error reply for a write (or a read of data not yet durable) while the log cannot write, or
  // empty.
  std::string WriteRefusal() const;

 private:
  // Per (db, shard) bookkeeping, indexed by Shard::id, guarded by that shard's lock.
  struct ShardState {
    uint64_t max_lsn = 0;      // the last logged write that touched this shard
    uint64_t barrier_lsn = 0;  // the last write of the whole shard (FLUSHALL...): every read waits
    // always: LSN of the last write of the keys hashing to each slot (allocated on first use).
    // Two keys sharing a slot only make a reader wait for the other key's write too: a table
    // indexed by the key hash costs no allocation per write and needs no pruning.
    std::unique_ptr<uint64_t[]> recent;
    bool capture_pending = false;  // rewrite: not yet captured at the snapshot LSN
  };
  storage::Shard& ShardAt(size_t index);
  void Apply(std::string_view payload, Dispatcher* replay);  // replays one record
  static constexpr size_t kRecentSlots = 1024;
  static size_t Slot(uint64_t key_hash) { return key_hash & (kRecentSlots - 1); }

  // Rewrite.
  void CaptureIfPending(size_t index);  // caller holds the shard lock
  void Capture(size_t index, std::string* out);
  void RewriteThread(uint64_t lsn);

  Server* server_;
  bool tiered_ = false;  // a backing tier: mark writes dirty, replay above its checkpoint only
  std::unique_ptr<wal::Wal> wal_;
  size_t num_shards_, num_dbs_;
  std::vector<ShardState> shards_;

  // Replay statistics.
  uint64_t loaded_records_ = 0, loaded_commands_ = 0, replay_errors_ = 0;
  uint64_t skipped_records_ = 0;  // at or below the backend's checkpoint
  int64_t load_ms_ = 0;

  std::atomic<bool> rewriting_{false};
  std::thread rewrite_thread_;
  uint64_t rewrite_lsn_ = 0;
  int64_t rewrite_time_ms_ = 0;  // wall clock of the snapshot
  std::mutex captured_mu_;
  std::vector<std::string> captured_;  // shard captures made by writers, waiting to be written
  std::atomic<int64_t> rewrite_started_ms_{0};
  std::atomic<int64_t> last_rewrite_secs_{-1};
  std::atomic<bool> last_rewrite_ok_{true};
  std::atomic<uint64_t> rewrites_{0};
  std::atomic<uint64_t> cow_captures_{0};  // shards captured by a writer (not the thread)

 public:
  // Connections that stopped reading because the WAL queue was over wal-queue-max.
  std::atomic<uint64_t> backpressure_pauses{0};
};

}  // namespace strata::server
