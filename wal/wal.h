// The write-ahead log: a bounded in-memory queue of framed records (wal/record.h), drained by one
// writer thread that write()s batches to segment files, fdatasync()s them as the fsync policy
// says, and publishes how far the log is written and synced.
//
// Files, all in one directory (`dir`/`appenddirname`), named by the LSN they start at:
//   <prefix>.<20-digit first LSN>.log    segments; the one with the highest LSN is being written
//   <prefix>.<20-digit LSN>.base         a snapshot of the keyspace as of that LSN (rewrite)
//   *.tmp                                a rewrite in progress; removed at start-up
// Recovery loads the newest base, then every record above its LSN from the segments, in order.
//
// Threads: Append/over_limit/the LSN getters from any thread; Recover and Start/Stop from the
// main thread; the writer thread does all file I/O on segments. A rewrite's own thread writes the
// base file and calls InstallBase.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/buffer.h"
#include "wal/record.h"

namespace strata::wal {

enum class FsyncPolicy { kAlways, kEverySec, kNo };
bool ParseFsyncPolicy(std::string_view s, FsyncPolicy* out);

struct Options {
  std::string dir;                           // created if missing
  std::string prefix = "appendonly.aof";     // appendfilename
  FsyncPolicy fsync = FsyncPolicy::kEverySec;
  size_t batch_max_records = 100;            // wal-batch-max: records per write()
  size_t batch_max_bytes = 4 << 20;          // wal-batch-max-bytes: per write() and per fdatasync
  size_t queue_max_bytes = 64 << 20;         // wal-queue-max: producers pause above it
  uint64_t segment_size = 64 << 20;          // wal-segment-size
  bool load_truncated = true;                // aof-load-truncated: cut a torn tail, go on
  bool load_corrupt = false;                 // wal-load-corrupt: load up to damage, set it aside
};

// Figures for INFO persistence; a snapshot taken under the lock.
struct Stats {
  uint64_t last_lsn = 0, written_lsn = 0, synced_lsn = 0;
  uint64_t pending_records = 0, pending_bytes = 0;
  uint64_t fsyncs = 0, batches = 0, bytes_written = 0, records_written = 0, batch_max = 0;
  uint64_t fsync_last_us = 0, fsync_max_us = 0, fsync_total_us = 0;
  int64_t last_fsync_unix_ms = 0;
  uint64_t current_size = 0;   // every file: base + segments
  uint64_t base_size = 0;      // the newest base, or 0
  size_t segments = 0;
  int write_errno = 0;         // the last write/fsync error, 0 once a retry succeeded
  uint64_t write_errors = 0;
};

class Wal {
 public:
  // Called for each record during recovery: its LSN, payload, and whether it came from a base.
  using ReplayFn = std::function<void(uint64_t lsn, std::string_view payload, bool base)>;

  explicit Wal(Options opts);
  ~Wal();

  // Replays the directory's base and segments through fn. Cuts a torn tail of the last segment
  // (logged). Damage anywhere else: false with a message naming the file and offset, unless
  // load_corrupt, which loads up to the damage and renames the damaged files to *.corrupt.
  bool Recover(const ReplayFn& fn, std::string* error);
  // Opens a fresh segment after the recovered records and starts the writer thread.
  bool Start(std::string* error);
  // Writes and syncs everything queued, then stops the writer. Idempotent.
  void Stop();

  // Queues one record; returns its LSN. LSNs are assigned in queue order, so the log's order is
  // the order of these calls. Never blocks on I/O: callers pause themselves on over_limit().
  // payload_crc = Crc32c(payload), computed by the caller outside the lock.
  uint64_t Append(std::string_view payload, uint32_t payload_crc);
  // The same for a payload of `size` bytes that fill(char* dst) writes straight into the
  // queue (and whose CRC is computed there): no intermediate copy. For small payloads only,
  // as both run under the queue lock.
  template <typename Fill>
  uint64_t AppendInPlace(size_t size, Fill&& fill);
  // Event loops call this once per loop iteration (libuv check phase): wakes the writer if
  // records wait. While set_loop_kicks(true), Append leaves waking to Kick.
  void Kick();
  void set_loop_kicks(bool on) { loop_kicks_.store(on); }
  bool over_limit() const { return queued_bytes_.load(std::memory_order_relaxed) > opts_.queue_max_bytes; }

  uint64_t last_lsn() const { return last_lsn_.load(std::memory_order_acquire); }
  uint64_t written_lsn() const { return written_lsn_.load(std::memory_order_acquire); }
  uint64_t synced_lsn() const { return synced_lsn_.load(std::memory_order_acquire); }
  // What a reply waiting for durability may be released at: synced under `always`, written
  // otherwise (the policy can change while replies wait).
  uint64_t release_lsn() const {
    return policy() == FsyncPolicy::kAlways ? synced_lsn() : written_lsn();
  }
  // errno of the failing write or fsync while the log cannot write; 0 when healthy.
  int write_errno() const { return write_errno_.load(std::memory_order_acquire); }

  FsyncPolicy policy() const { return policy_.load(std::memory_order_relaxed); }
  void set_policy(FsyncPolicy p);
  // Called on the writer thread whenever written/synced LSNs advanced, the queue drained below
  // half of its limit, or writing started failing (wake the loops).
  void set_on_progress(std::function<void()> fn) { on_progress_ = std::move(fn); }

  Stats GetStats() const;

  // ---- rewrite (compaction) ----
  // Records after `lsn` go to a new segment. Call with every shard locked, lsn = last_lsn().
  void RotateAfter(uint64_t lsn);
  // Where to write the base for `lsn` (a .tmp name in the directory).
  std::string BaseTempPath(uint64_t lsn) const;
  // After the rewriter fsynced the .tmp file: waits for the rotation, renames the base into
  // place, syncs the directory, deletes the segments and bases it replaces. False + error.
  bool InstallBase(const std::string& tmp_path, uint64_t lsn, std::string* error);
  // Recovery loaded a damaged base (wal-load-corrupt) and set the files aside: the loaded state
  // must be written as a new base (Persistence starts a rewrite at once).
  bool needs_rewrite() const { return needs_rewrite_; }
  // Size of the log when the last rewrite finished (or at start): auto-aof-rewrite's reference.
  uint64_t rewrite_base_size() const { return rewrite_base_size_.load(); }

  // ---- backing tier (server/tiering.h) ----
  // Start-up, after Recover and before Start: the backend's checkpoint covers LSNs up to lsn, so
  // new records must number after it even when no segment is left to say so.
  void ContinueAfter(uint64_t lsn);
  // Everything at or below lsn is in the backend: deletes the closed segments (and a base) that
  // hold nothing above it. The segment being written is never deleted: the checkpointer calls
  // RotateAfter(lsn) at its instant so the records after lsn start a new one.
  void DropThrough(uint64_t lsn);

  // Testing: make every write fail with this errno until cleared with 0 (DEBUG WAL-FAIL).
  void InjectWriteError(int err) { inject_errno_.store(err); }
  // Testing: the writer sleeps this long before each write() (DEBUG WAL-DELAY), so the queue
  // fills and back-pressure shows.
  void InjectWriteDelay(int64_t ms) { inject_delay_ms_.store(ms); }
  // Testing: the writer sleeps this long between a write() and the fdatasync() that follows
  // (DEBUG WAL-SYNC-DELAY): records are written but not yet durable for that long, so a reply
  // released on the written LSN instead of the synced one shows at once.
  void InjectSyncDelay(int64_t ms) { inject_sync_delay_ms_.store(ms); }

  const Options& options() const { return opts_; }

 private:
  char* ReserveLocked(size_t size);                  // caller holds mu_
  uint64_t CommitLocked(char* rec, size_t size, uint32_t payload_crc, bool was_empty);
  // The same, checksumming payload and tail in one pass (12 spare bytes after the payload).
  uint64_t CommitInPlaceLocked(char* rec, size_t size, bool was_empty);
  uint64_t PublishLocked(char* rec, const RecordHeader& h, bool was_empty);
  void WakeWriterLocked();
  void SetAside(const std::vector<uint64_t>& segments, size_t from) const;
  struct Segment {
    uint64_t first_lsn;
    std::string path;
    uint64_t size;
  };

  void WriterLoop();
  // Takes the next batch off the queue into batch_ (caller holds mu_). Stops at the rotation
  // point so a batch never straddles it.
  void TakeBatchLocked();
  bool WriteBatch();              // false: I/O error (state recorded, batch kept for a retry)
  bool Sync();                    // fdatasync the current segment, with stats
  bool OpenSegment(uint64_t first_lsn, std::string* error);
  void CloseSegment(bool sync);
  void Fail(int err, const char* what);
  std::string SegmentPath(uint64_t first_lsn) const;
  std::string BasePath(uint64_t lsn) const;
  bool SyncDir(std::string* error) const;
  void RecomputeSizesLocked();

  Options opts_;
  std::atomic<FsyncPolicy> policy_;
  std::function<void()> on_progress_;

  // Queue: framed records waiting for the writer. Guarded by mu_.
  mutable std::mutex mu_;
  std::condition_variable cv_;      // the writer waits on it
  std::condition_variable done_cv_; // rotation / stop progress
  Buffer queue_;
  uint64_t queued_records_ = 0;
  std::atomic<uint64_t> queued_bytes_{0};
  bool writer_waiting_ = false;
  std::atomic<bool> loop_kicks_{false};  // loops call Kick(): Append need not wake the writer
  bool stop_ = false;
  uint64_t rotate_after_ = 0;   // 0: none requested

  std::atomic<uint64_t> last_lsn_{0}, written_lsn_{0}, synced_lsn_{0};
  std::atomic<int> write_errno_{0};
  std::atomic<int> inject_errno_{0};
  std::atomic<int64_t> inject_delay_ms_{0};
  std::atomic<int64_t> inject_sync_delay_ms_{0};

  // Writer thread state (read by GetStats under mu_ where noted).
  Buffer batch_;                 // taken from the queue, not yet written
  uint64_t batch_records_ = 0, batch_last_lsn_ = 0;
  int fd_ = -1;
  uint64_t file_size_ = 0;       // bytes of the current segment known written
  uint64_t current_first_ = 0;   // under mu_
  int64_t last_sync_us_ = 0;
  bool unsynced_ = false;
  uint64_t unsynced_bytes_ = 0;  // written since the last fdatasync
  uint64_t round_target_ = 0;    // always: the last LSN the current fdatasync round covers
  std::thread thread_;
  bool started_ = false;

  // Files and statistics, under mu_.
  std::vector<Segment> closed_;  // older segments, ascending
  uint64_t base_lsn_ = 0, base_size_ = 0;
  Stats stats_;
  std::atomic<uint64_t> rewrite_base_size_{0};
  bool needs_rewrite_ = false;
};

template <typename Fill>
uint64_t Wal::AppendInPlace(size_t size, Fill&& fill) {
  std::lock_guard<std::mutex> lock(mu_);
  bool was_empty = queue_.ReadableBytes() == 0;
  char* rec = ReserveLocked(size + 12);  // + room for the CRC's LSN/length tail
  fill(rec + kRecordHeaderSize);
  return CommitInPlaceLocked(rec, size, was_empty);
}

}  // namespace strata::wal
