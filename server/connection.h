// One client connection: read buffer -> parser -> dispatch -> reply buffer -> socket.
//
// Replies of a read batch accumulate in out_ and leave in one write (uv_try_write first, a
// queued uv_write for what the kernel did not take), so pipelining costs one syscall per batch,
// not per reply. Replies are always in request order: commands run one after another.
// Back-pressure: while more than kMaxPendingOutput bytes wait to be sent, the connection stops
// reading and parsing, so a client that never reads cannot grow the server's memory.
// Thread: owned by its worker's loop; the fields under "visible to other threads" are atomics
// or guarded by Worker::clients_mu, for CLIENT LIST / CLIENT KILL.
#pragma once

#include <uv.h>

#include <atomic>
#include <deque>
#include <string>

#include "commands/command.h"
#include "common/buffer.h"
#include "protocol/reply_writer.h"
#include "protocol/resp_parser.h"
#include "server/blocking.h"
#include "server/transaction.h"
#include "storage/tier.h"

namespace strata::server {

class Worker;

class Connection : public cmd::Blocker {
 public:
  Connection(Worker* worker, uint64_t id);
  // Takes the accepted socket; starts reading.
  void Start();
  // Closes now (pending output is dropped). Safe to call twice.
  void Close();
  // Replies then closes (QUIT, protocol errors, CLIENT KILL of oneself).
  void CloseAfterReply() { close_after_reply_ = true; }

  uv_tcp_t* handle() { return &handle_; }
  // For replies produced outside a read batch (pub/sub messages, a blocked command served by
  // another thread): write through writer(), then call FlushReplies(). Loop thread only.
  protocol::ReplyWriter& writer() { return writer_; }
  void FlushReplies() {
    Flush();
    MaybeFinish();
  }
  bool closing() const { return closing_; }
  // Reply bytes not yet taken by the kernel (pub/sub output buffer limit). Loop thread only.
  size_t pending_output() const { return PendingOutput(); }
  cmd::ClientState& client() { return client_; }
  Worker* worker() { return worker_; }

  // Transactions (server/transaction.cc calls these from the command handlers).
  bool in_multi() const { return multi_; }
  void BeginMulti() { multi_ = true; }
  void Discard();  // drops the queue and every WATCH
  void Exec();     // runs the queue atomically, writing EXEC's reply
  WatchState& watch_state() { return watch_; }
  void UnwatchAll();

  // Blocking commands (server/blocking.h). Loop thread only.
  void Block(cmd::CommandContext& ctx, const std::vector<std::string_view>& keys,
             int64_t timeout_ms, cmd::TimeoutReply on_timeout) override;
  // Served by another command: send (once wait_lsn is durable, under appendfsync always), resume.
  void Unblock(const std::string& reply, uint64_t wait_lsn);
  void BlockTimeout(int64_t deadline_ms);  // from the worker's timer
  bool blocked() const { return blocked_ != nullptr; }

  // WAL (server/persistence.h). Loop thread only, called by the worker when the WAL wrote.
  void OnDurable();      // held replies may be sendable now
  void ResumeFromWal();  // the WAL queue drained: read again

  // One CLIENT LIST line (without the trailing newline). Caller holds Worker::clients_mu.
  std::string Describe(int64_t now_ms) const;

  // Visible to other threads.
  const uint64_t id;
  std::string addr, laddr;       // set once at Start, before the connection is listed
  int fd = -1;
  int64_t created_ms = 0;
  std::atomic<int64_t> last_interaction_ms{0};
  std::atomic<uint32_t> last_cmd_id{UINT32_MAX};
  std::atomic<int> db{0};
  std::atomic<int> resp{2};
  std::atomic<bool> kill_requested{false};
  std::atomic<size_t> qbuf{0}, omem{0};
  std::atomic<int> sub{0}, psub{0}, ssub{0};  // pub/sub channels, patterns, shard channels
  std::string name;               // guarded by Worker::clients_mu

 private:
  static constexpr size_t kReadChunk = 16 * 1024;
  static constexpr size_t kMaxPendingOutput = 64 * 1024 * 1024;

  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnClosed(uv_handle_t* h);

  void ProcessInput();
  // Resolves and checks one request; queues it inside MULTI, otherwise runs it. False: the
  // command did not run because keys must be read through first; it stays in the input and
  // runs again once they are loaded (Park).
  bool Execute(const std::vector<std::string_view>& args);
  cmd::CommandContext MakeContext(const std::string_view* argv, size_t argc);
  bool Run(const cmd::CommandSpec* spec, cmd::CommandContext& ctx);  // false: parked
  // Backing tier: waits (without blocking the loop) for the keys in storage::tl_tier_misses to
  // be read through, then processes the input again, from the parked command on.
  void Park();
  void RefuseOom(const cmd::CommandSpec* spec);  // Redis's -OOM reply, counted as rejected
  void OnLoaded(bool ok, const std::string& error);
  // Read-through of a pipelined batch: the keys of the commands queued behind the parked one
  // that are only in the backend too, so one lookup serves them all.
  void CollectPipelinedMisses(std::vector<storage::TierMiss>* misses);
  void Invoke(const cmd::CommandSpec* spec, cmd::CommandContext& ctx,
              storage::ReleaseHook* on_release);
  // Under appendfsync always: the reply starting at reply_pos (and all after it) waits until
  // the WAL is durable up to lsn. No-op for 0 or an LSN already durable.
  void HoldReplyUntil(uint64_t reply_pos, uint64_t lsn);
  void Flush();
  void MaybeFinish();
  size_t PendingOutput() const { return out_.ReadableBytes() + sending_.ReadableBytes(); }

  uv_tcp_t handle_;
  uv_write_t write_req_;
  Worker* worker_;
  cmd::ClientState client_;
  protocol::RespParser parser_;
  Buffer in_, out_, sending_;
  protocol::ReplyWriter writer_{&out_};
  int64_t parser_limits_max_bulk_ = 0;  // proto-max-bulk-len as of this read batch
  // Clocks of the current read batch: wall ms and monotonic us at its start, and the monotonic
  // time the running command started (each command's end is the next one's start).
  int64_t batch_ms_ = 0, batch_us_ = 0, t0_us_ = 0;
  bool multi_ = false;
  bool multi_error_ = false;  // a command was refused while queueing: EXEC aborts
  std::vector<QueuedCommand> queue_;
  WatchState watch_;
  bool in_exec_ = false;
  const cmd::CommandSpec* running_spec_ = nullptr;
  std::shared_ptr<BlockedClient> blocked_;
  std::vector<std::pair<size_t, std::string>> ready_keys_;  // written keys with blocked waiters
  void ServeReadyKeys();
  void Resume();  // after a block ends: run what was buffered meanwhile
  // Replies waiting for durability: (absolute position in the output stream, LSN), in order.
  struct Hold {
    uint64_t pos;
    uint64_t lsn;
  };
  std::deque<Hold> holds_;
  uint64_t out_sent_ = 0;      // bytes that left out_ (to the socket or to sending_) so far
  bool wal_listed_ = false;    // in the worker's list of connections waiting for the WAL
  bool wal_paused_ = false;    // stopped reading because the WAL queue is full
  bool writing_ = false;
  bool reading_ = false;
  // Backing tier: why the parked command waits (it stays unconsumed in in_).
  enum class Wait { kReadThrough, kMemory, kKeyList };
  Wait wait_ = Wait::kReadThrough;  // tl_tier_misses, a checkpoint, or KEYS's backend list
  bool parked_ = false;
  bool just_loaded_ = false;     // the next command is the one a read-through just served
  std::string keys_pattern_;     // KEYS: the pattern whose backend keys are being listed
  bool have_backend_keys_ = false;
  std::vector<std::string> backend_keys_;  // that list, for the KEYS command that parked
  size_t parked_size_ = 0;       // its bytes in in_, dropped if the read fails
  bool free_after_load_ = false;  // closed while parked: the load's callback frees this
  bool paused_ = false;  // stopped reading because of output back-pressure
  bool closing_ = false;
  bool close_after_reply_ = false;
};

}  // namespace strata::server
