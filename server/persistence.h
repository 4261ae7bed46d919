// Persistence: the glue between command execution and the WAL (wal/wal.h).
//
// Logging a command. With appendonly yes, the dispatcher wraps every write command (and, under
// `appendfsync always`, every command that reads keys) in Begin()/End():
//   Begin  locks every shard the command can touch (its keys' shards, or all of them for
//          FLUSHALL, KEYS, numkeys forms...) and marks them held, so the handler's own locks
//          are skipped (as inside EXEC);
//   ...    the handler runs;
//   End    if the command changed something (ctx.dirty), appends its record (argv, or the
//          handler's ctx.log_as) while those shards are still held, then unlocks.
// So for every key the log order is the apply order, also for commands spanning shards.
//
// Durability of replies (`always`). Each (db, shard) remembers, under its lock, the LSN of the
// last logged write of each recently written key (and a barrier LSN for keyless writes such as
// FLUSHALL). End() returns the LSN a reply must wait for: its own record, or the last write of
// any key it read that is not yet on disk. Readers of other keys get 0 and never wait.
// The connection holds the reply (and everything after it) until Wal::release_lsn() reaches it.
//
// Rewrite (BGREWRITEAOF, auto-aof-rewrite-percentage): a point-in-time snapshot at LSN S taken
// without stopping the loops. With every shard locked for an instant, S is read, every shard is
// marked "not yet captured" and the WAL rotates after S. A background thread then captures
// shards one by one; a write about to change a shard that is not captured yet captures it first
// (copy-on-write at shard granularity), so every shard is captured exactly as of S. The capture
// is a series of commands (SET/RPUSH/HSET/SADD/ZADD + PEXPIREAT) in a base file; once it is on
// disk the segments at or below S are deleted.
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

class Persistence {
 public:
  Persistence(Server* server, wal::Options opts);
  ~Persistence();

  // Start-up, before the workers: replays the log into the keyspace. False + error.
  bool Load(std::string* error);
  // Starts the writer; on_progress runs on the writer thread when LSNs advance.
  bool Start(std::function<void()> on_progress, std::string* error);
  void Stop();  // waits for a rewrite, then flushes and syncs the log

  wal::Wal& wal() { return *wal_; }
  bool always() const { return wal_->policy() == wal::FsyncPolicy::kAlways; }
  // Does this command go through Begin/End?
  bool Wraps(const cmd::CommandSpec& spec) const {
    return (spec.flags & cmd::kWrite) ||
           (always() &&
            (!spec.key_specs.empty() || (spec.whole_keyspace && (spec.flags & cmd::kReadOnly))));
  }

  // The cheaper way for one-key writes under everysec/no: no locking ahead of the handler. A
  // ReleaseLogger is installed as the thread's release hook while the handler runs; when the
  // handler releases its key's shard (still locked) after changing something, the record is
  // appended there, so the order is still the apply order. Its acquire hook captures a shard
  // for a running rewrite before the handler can change it. Under `always` Begin/End are used
  // (the reply's wait needs the key's slot).
  // With a backing tier every write takes Begin/End: its keys must be checked (read through)
  // and marked dirty under the locks it runs under.
  bool LogsOnRelease(const cmd::CommandSpec& spec) const {
    return (spec.flags & cmd::kWrite) && !spec.whole_keyspace && spec.first_key > 0 &&
           spec.last_key == spec.first_key && !(spec.flags & cmd::kMovableKeys) && !always() &&
           !tiered_;
  }
  class ReleaseLogger : public storage::ReleaseHook, public storage::AcquireHook {
   public:
    ReleaseLogger(Persistence* p, const cmd::CommandContext& ctx);
    // A handler that changed something without releasing a shard afterwards is logged here
    // (counted in INFO wal_unlocked_logs; no command is known to do it).
    ~ReleaseLogger() override;
    ReleaseLogger(const ReleaseLogger&) = delete;
    ReleaseLogger& operator=(const ReleaseLogger&) = delete;
    void OnRelease(const storage::Shard* s) override;
    void OnAcquire(storage::Shard* s) override;

   private:
    Persistence* p_;
    const cmd::CommandContext& ctx_;
    storage::AcquireHook* saved_acquire_;
    bool logged_ = false;
  };

  // One command's hold on its shards, from Begin to End (destruction unlocks). The lists it
  // needs live in thread-local buffers reused by every command (no allocation per command);
  // scopes never nest on a thread.
  class Scope {
   public:
    Scope() = default;
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope();

   private:
    friend class Persistence;
    const storage::HeldShards* saved_ = nullptr;
    bool whole_ = false;
    bool active_ = false;
  };
  // With check_tier (the dispatcher), a write whose keys must first be read through from the
  // backend is not to run: false, with the keys in storage::tl_tier_misses (the scope still
  // unlocks).
  bool Begin(const cmd::CommandSpec& spec, const cmd::CommandContext& ctx, Scope* scope,
             bool check_tier = false);
  // Logs the command if it changed something; returns the LSN its reply must wait for under
  // `always` (0: none). Unlocks.
  uint64_t End(const cmd::CommandSpec& spec, const cmd::CommandContext& ctx, Scope* scope);

  // EXEC: the caller holds `locked` (all shards when `all`). Captures them for a rewrite.
  void BeforeExec(const std::vector<storage::Shard*>& locked, bool all);
  // After each command of the transaction: adds it to the record if it changed something, and
  // notes its keys (what EXEC's reply must wait for).
  void AddExecCommand(const cmd::CommandSpec& spec, const cmd::CommandContext& ctx);
  // Appends the transaction's record, if any; returns the LSN EXEC's reply waits for under
  // `always` (its own record, and the last writes of the keys it read).
  uint64_t EndExec();

  // BGREWRITEAOF. False + error if one is running.
  bool StartRewrite(std::string* error);
  bool rewriting() const { return rewriting_.load(std::memory_order_acquire); }
  // Main thread, a few times a second: auto-aof-rewrite-percentage / -min-size.
  void Cron(int64_t pct, int64_t min_size);

  // INFO persistence lines.
  std::string Info();
  // Error reply for a write while the log cannot write, or empty.
  std::string WriteRefusal() const;

 private:
  // Per (db, shard) bookkeeping, guarded by that shard's lock.
  struct ShardState {
    uint64_t max_lsn = 0;      // the last logged write that touched this shard
    uint64_t barrier_lsn = 0;  // the last keyless write (FLUSHALL...): every read waits for it
    // always: LSN of the last write of the keys hashing to each slot (allocated on first use).
    // Two keys sharing a slot only make a reader wait for the other key's write too: a table
    // indexed by the key hash costs no allocation per write and needs no pruning.
    std::unique_ptr<uint64_t[]> recent;
    bool capture_pending = false;  // rewrite: not yet captured at the snapshot LSN
  };
  size_t StateIndex(size_t db, size_t shard) const { return db * num_shards_ + shard; }
  storage::Shard& ShardAt(size_t index);
  void Apply(std::string_view payload);  // replays one record
  uint64_t Log(const std::string_view* argv, size_t argc, const cmd::CommandContext& ctx);
  static constexpr size_t kRecentSlots = 1024;
  static size_t Slot(uint64_t key_hash) { return key_hash & (kRecentSlots - 1); }
  void NoteWrite(ShardState& st, uint64_t key_hash, uint64_t lsn);
  uint64_t WaitFor(const ShardState& st, uint64_t key_hash) const;

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
  // Records a ReleaseLogger had to append after the handler returned (should stay 0).
  std::atomic<uint64_t> unlocked_logs{0};
};

}  // namespace strata::server
