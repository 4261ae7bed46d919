// One client connection: bytes in -> parser -> the dispatcher -> reply bytes out, in order.
//
// Replies of a read batch accumulate in out_ and leave in one write (uv_try_write first, a
// queued uv_write for what the kernel did not take), so pipelining costs one syscall per batch,
// not per reply. Replies are always in request order: commands run one after another, and a
// reply that waits for durability (appendfsync always) holds back everything after it.
// Back-pressure: while more than kMaxPendingOutput bytes wait to be sent, or the WAL queue is
// over wal-queue-max, the connection stops reading and parsing.
// Parking: a command that needs the backend first (read-through, a backend query) or memory (a
// checkpoint) stays unconsumed in the input; the connection stops reading, the tier works on
// the threadpool, and the command runs again when it is done. Blocking (BLPOP...): the client
// stops executing until a writer serves it or its timeout passes.
// Commands themselves run in the dispatcher (server/dispatcher.h); MULTI state is a
// Transaction (server/transaction.h).
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
#include "server/dispatcher.h"
#include "server/transaction.h"

namespace strata::server {

class Worker;

class Connection : public cmd::Blocker {
 public:
  Connection(Worker* worker, uint64_t id);
  // Takes the accepted socket; starts reading.
  void Start();
  // Closes now (pending output is dropped). Safe to call twice.
  void Close();

  uv_tcp_t* handle() { return &handle_; }
  // For replies produced outside a read batch (pub/sub messages): write through writer(), then
  // call FlushReplies(). Loop thread only.
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
  Transaction& transaction() { return tx_; }

  // Blocking commands (server/blocking.h). Loop thread only.
  void Block(cmd::CommandContext& ctx, const std::vector<std::string_view>& keys,
             int64_t timeout_ms, cmd::TimeoutReply on_timeout,
             const std::vector<std::string>* args) override;
  // Served by another command: send (once wait_lsn is durable, under appendfsync always), resume.
  void Unblock(const std::string& reply, uint64_t wait_lsn);
  void BlockTimeout(int64_t deadline_ms);  // from the worker's timer
  bool blocked() const { return blocked_ != nullptr; }

  // Loop thread, from inside a busy script of this thread (Worker::ServeWhileBusy): reads what
  // the socket holds and runs the complete requests in Mode::kBusy (-BUSY unless allowed).
  void ServeWhileBusy();

  // WAL (server/persistence.h). Loop thread only, called by the worker when the WAL wrote,
  // synced or started failing.
  void OnDurable();      // held replies may be sendable now
  void ResumeFromWal();  // the WAL queue drained: read again

  // Visible to other threads (CLIENT LIST lines: Server::ClientList).
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
  static constexpr size_t kReadChunk = 16 * 1024;  // the least a read asks libuv for

 private:
  static constexpr size_t kMaxPendingOutput = 64 * 1024 * 1024;

  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnClosed(uv_handle_t* h);

  void ProcessInput();
  // Runs one parsed request (its `size` bytes at the front of in_) through the dispatcher.
  // False: it must wait (ParkFor) and stays in the input, to run again afterwards.
  bool Execute(const std::vector<std::string_view>& args, size_t size);
  // The invocation part of a command's context (arguments, reply writer, client, server).
  void FillContext(const std::vector<std::string_view>& args, protocol::ReplyWriter* out,
                   cmd::ClientState* client, cmd::CommandContext* ctx);
  void ParkFor(Park&& park);
  void OnParkDone(bool ok, const std::string& error);
  // Read-through of a pipelined batch: the keys of the commands queued behind the parked one
  // that are only in the backend too, so one lookup serves them all.
  void CollectPipelinedMisses(std::vector<storage::TierMiss>* misses);
  void ServeReadyKeys(std::vector<ReadyKey>* ready);
  void Resume();  // after a block or a park ends: run what was buffered meanwhile
  void StartReading();
  void StopReading();

  // Under appendfsync always: the reply at [pos, end) of the output stream (and all after it)
  // waits until the WAL is durable up to lsn. `read`: the command logged nothing itself, so
  // while the WAL cannot write its reply is replaced by the error (it may never be durable).
  void HoldReply(uint64_t pos, uint64_t end, uint64_t lsn, bool read);
  bool AnswerStuckReads();  // the WAL is failing: held reads get the error; true if any did
  void Flush();
  void MaybeFinish();
  size_t PendingOutput() const { return out_.ReadableBytes() + sending_.ReadableBytes(); }
  uint64_t OutPos() const { return out_sent_ + out_.ReadableBytes(); }

  uv_tcp_t handle_;
  uv_write_t write_req_;
  Worker* worker_;
  cmd::ClientState client_;
  Transaction tx_;
  protocol::RespParser parser_;
  Buffer in_, out_, sending_;
  protocol::ReplyWriter writer_{&out_};
  int64_t parser_limits_max_bulk_ = 0;  // proto-max-bulk-len as of this read batch
  // Wall clock (ms) and monotonic clock (us) at the start of the current read batch.
  int64_t batch_ms_ = 0, batch_us_ = 0;
  const cmd::CommandSpec* running_spec_ = nullptr;
  std::shared_ptr<BlockedClient> blocked_;
  struct Hold {
    uint64_t pos, end;  // the held reply's bytes in the output stream
    uint64_t lsn;
    bool read;
  };
  std::deque<Hold> holds_;  // in order
  uint64_t out_sent_ = 0;   // bytes that left out_ (to the socket or to sending_) so far
  bool wal_listed_ = false;    // in the worker's list of connections waiting for the WAL
  bool wal_paused_ = false;    // stopped reading because the WAL queue is full
  bool writing_ = false;
  bool reading_ = false;
  // Parked: the command at the front of in_ waits for the tier or memory.
  bool parked_ = false;
  bool parked_for_load_ = false;  // ... for a read-through
  bool resumed_ = false;         // the next command is the parked one, its keys just loaded
  size_t parked_size_ = 0;       // its bytes in in_, dropped if the tier fails
  std::vector<cmd::BackendAnswer> answers_;  // what a backend query fetched for it
  bool free_after_park_ = false;  // closed while parked: the tier's callback frees this
  bool paused_ = false;  // stopped reading because of output back-pressure
  bool closing_ = false;
  bool close_after_reply_ = false;
  bool serving_busy_ = false;  // inside ServeWhileBusy: commands run in Mode::kBusy
};

}  // namespace strata::server
