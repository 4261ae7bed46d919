// The backing tier at run time: the key index and start-up, write-behind checkpoints, and
// read-through. docs/TIERING.md tells the whole story; storage/tier.h has the per-shard half.
//
// Start-up (main thread): Open connects the backend, reads its checkpoint LSN C and streams its
// keys into the per-shard key index. The WAL then replays only records above C (everything at
// or below is in the backend), each after LoadForReplay made the keys it writes resident.
//
// Checkpoints (one thread): every checkpoint-interval ms, or sooner when kicked, an instant with
// every shard locked turns the shards' dirty lists into capture lists, fixes the checkpoint LSN
// (the WAL's last LSN) and rotates the WAL after it; the shards are captured (copy-on-write, see
// storage/tier.h), and the rows go to the backend in one transaction with the LSN. After the
// commit the captured entries count as clean and the WAL segments at or below the LSN are
// deleted. A failed transaction is retried with backoff (100 ms doubling to 5 s) with the same
// rows; meanwhile the server serves from memory and the WAL, which grows until wal-max-size,
// beyond which writes are refused (Refusal).
//
// Read-through (loop threads): a command that missed a key the index says the backend may hold
// parks its connection (server/connection.cc), Load runs the lookup on the libuv threadpool (its
// size = mysql-pool-size, one pooled backend connection per job) and installs the rows on the
// loop thread, unless the key was written or deleted meanwhile; then the command runs again.
#pragma once

#include <uv.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backend/backend.h"
#include "commands/command.h"
#include "storage/tier.h"
#include "wal/wal.h"

namespace strata::server {

class Config;

class Tiering {
 public:
  // config and keyspace outlive it (the Server's).
  Tiering(Config* config, storage::Keyspace* keyspace);
  ~Tiering();

  // ---- start-up and shutdown (main thread) ----
  bool Open(std::string* error);  // the backend the config names, its schema, the key index
  // The same with a given backend (tests wrap a real one to make it fail).
  bool Open(std::unique_ptr<backend::Backend> backend, std::string* error);
  uint64_t checkpoint_lsn() const { return checkpoint_lsn_.load(std::memory_order_acquire); }
  // A checkpoint pass is running: its copies of the values it writes are still allocated.
  bool pass_running() const { return pass_running_.load(std::memory_order_acquire); }
  // Reads these keys through synchronously: replay (start-up may wait for the backend), and a
  // script that has written and then reads a key only in the backend (it cannot start again).
  // held: shards the caller holds already.
  void LoadNow(const std::vector<storage::TierMiss>& misses,
               const storage::LockSet* held = nullptr);
  void Start(wal::Wal* wal);  // the checkpointer thread (the WAL outlives it)
  void Stop();  // a last checkpoint (a few tries), then stops the thread and the backend

  // ---- the dispatcher ----
  // Error reply for a write the tier cannot take (key too long for the backend, WAL over
  // wal-max-size while the backend is behind), or empty. ctx's keys are resolved.
  std::string Refusal(const cmd::CommandContext& ctx) const;

  // ---- read-through (loop threads) ----
  // Looks the missed keys up on the threadpool of `loop`, installs what it found, then calls
  // done on the loop thread (ok false + message when the backend could not answer).
  using LoadDone = std::function<void(bool ok, const std::string& error)>;
  void Load(uv_loop_t* loop, std::vector<storage::TierMiss> misses, LoadDone done);

  // KEYS, SCAN, RANDOMKEY: answers the backend queries on the threadpool of `loop` (one
  // answer per query, in order), then calls done on the loop thread.
  using QueryDone = std::function<void(bool ok, const std::string& error,
                                       std::vector<cmd::BackendAnswer> answers)>;
  void Query(uv_loop_t* loop, std::vector<cmd::BackendQuery> queries, QueryDone done);

  // Memory is full of dirty keys: calls done on the loop thread after the next checkpoint
  // committed, or after at most 100 ms (a threadpool job waits for it; the loop does not).
  void WaitForCheckpoint(uv_loop_t* loop, LoadDone done);

  // Any thread: checkpoint now (memory is full of dirty keys, BGREWRITEAOF).
  void Kick();
  // Main thread, every 100 ms: samples the WAL's size for Refusal (no lock per write).
  void Cron();
  // One checkpoint pass on the calling thread: the instant, the capture, the backend
  // transaction (retried with backoff), then the captured entries count as clean and the WAL
  // segments it covers go. The checkpointer thread runs it every checkpoint-interval; Stop runs
  // a final one, which gives up after a few failed tries: false then, and nothing of the pass
  // counts as written (its keys stay dirty, the WAL keeps its records).
  bool Checkpoint(bool final);
  // Eviction: may this entry be dropped from memory? (its value is in the backend)
  bool Clean(const storage::Entry& e) const {
    return e.epoch() <= shared_.committed.load(std::memory_order_acquire);
  }

  // INFO backend section lines. held: the shards the caller holds (INFO in EXEC or a script).
  std::string Info(const storage::LockSet* held = nullptr);
  backend::Backend& backend() { return *backend_; }

 private:
  struct Pass;
  void CheckpointLoop();

  bool Answer(const cmd::BackendQuery& q, cmd::BackendAnswer* a, std::string* error);
  bool Instant(Pass* pass);     // false: nothing to write
  void Collect(Pass* pass);
  bool Write(const Pass& pass, std::string* error);
  bool GetWithRetry(uint32_t db, const std::vector<std::string>& keys,
                    std::vector<std::optional<backend::Row>>* rows, std::string* error);
  void Install(const std::vector<storage::TierMiss>& misses,
               const std::vector<std::optional<backend::Row>>& rows,
               const storage::LockSet* held = nullptr);

  Config* config_;
  storage::Keyspace* keyspace_;
  wal::Wal* wal_ = nullptr;
  std::unique_ptr<backend::Backend> backend_;
  storage::TierShared shared_;
  std::atomic<uint64_t> checkpoint_lsn_{0};

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable committed_cv_;  // a checkpoint committed
  bool stop_ = false;
  bool kicked_ = false;

  // INFO.
  std::atomic<bool> healthy_{true};
  std::string last_error_;  // under mu_
  std::atomic<uint64_t> checkpoints_{0}, checkpoint_failures_{0}, checkpoint_rows_{0},
      checkpoint_deletes_{0}, last_checkpoint_ms_{0}, last_checkpoint_unix_ms_{0};
  std::atomic<uint64_t> loads_{0}, load_keys_{0}, load_found_{0}, load_errors_{0},
      load_in_flight_{0};
  std::atomic<uint64_t> index_loaded_{0};
  std::atomic<uint64_t> memory_waits_{0};  // writes that waited for a checkpoint (maxmemory)
  std::atomic<uint64_t> backlog_keys_{0};  // keys in the running pass
  std::atomic<bool> pass_running_{false};   // a checkpoint pass (and its copies) is alive
  std::atomic<uint64_t> wal_size_{0};      // sampled by Cron
};

}  // namespace strata::server
