// Connection I/O: bytes in, parsing, the dispatcher, ordered replies out; parking and blocking.
#include "server/connection.h"

#include <sys/socket.h>

#include <algorithm>

#include "common/errors.h"
#include "common/format.h"
#include "common/log.h"
#include "common/memory.h"
#include "server/persistence.h"
#include "server/tiering.h"
#include "server/worker.h"

namespace strata::server {

Connection::Connection(Worker* worker, uint64_t id_) : id(id_), worker_(worker) {
  client_.id = id_;
  handle_.data = this;
  write_req_.data = this;
}

void Connection::Start() {
  sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getpeername(&handle_, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    addr = FormatSockaddr(ss);
  len = sizeof(ss);
  if (uv_tcp_getsockname(&handle_, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    laddr = FormatSockaddr(ss);
  uv_os_fd_t os_fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&handle_), &os_fd) == 0) fd = os_fd;
  created_ms = NowMs();
  last_interaction_ms = created_ms;

  Config& cfg = worker_->server()->config();
  client_.authenticated = cfg.requirepass().empty();
  uv_tcp_nodelay(&handle_, 1);
  if (int64_t ka = cfg.tcp_keepalive.load(); ka > 0)
    uv_tcp_keepalive(&handle_, 1, static_cast<unsigned>(ka));
  StartReading();
  if (!reading_) Close();
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  if (!tx_.watch.keys.empty()) worker_->server()->watches().UnwatchAll(&tx_.watch);
  if (blocked_) {
    {
      std::lock_guard<std::mutex> lock(blocked_->mu);
      if (!blocked_->done) {
        blocked_->done = true;
        worker_->server()->blocking().Remove(*blocked_);
      }
    }
    blocked_.reset();  // after the lock: this may free the mutex
  }
  worker_->server()->OnClientClosed(*this);
  if (wal_listed_ || wal_paused_) worker_->ForgetWal(this);
  worker_->RemoveClient(this);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), OnClosed);
}

void Connection::OnClosed(uv_handle_t* h) {
  auto* c = static_cast<Connection*>(h->data);
  if (c->parked_) {  // a tier job still refers to it
    c->free_after_park_ = true;
    return;
  }
  delete c;
}

void Connection::OnAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(h->data);
  // Reserve room for a large bulk argument in one step when the parser knows its size.
  size_t want = std::max(kReadChunk, c->parser_.BytesStillNeeded());
  c->in_.EnsureWritable(want);
  buf->base = c->in_.WritePtr();
  buf->len = c->in_.WritableBytes();
}

void Connection::OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
  auto* c = static_cast<Connection*>(s->data);
  if (nread < 0) {  // EOF or error: the client is gone
    c->Close();
    return;
  }
  if (nread == 0) return;
  c->in_.Commit(static_cast<size_t>(nread));
  Bump(c->worker_->net_input, static_cast<uint64_t>(nread));
  c->ProcessInput();
  c->Flush();
  c->MaybeFinish();
}

void Connection::ServeWhileBusy() {
  if (!reading_ || closing_ || blocked_ || close_after_reply_) return;
  for (;;) {  // what the socket holds now (end of file and errors: the loop sees them later)
    in_.EnsureWritable(kReadChunk);
    const size_t room = in_.WritableBytes();
    ssize_t n = recv(fd, in_.WritePtr(), room, MSG_DONTWAIT);
    if (n <= 0) break;
    in_.Commit(static_cast<size_t>(n));
    Bump(worker_->net_input, static_cast<uint64_t>(n));
    if (static_cast<size_t>(n) < room) break;
  }
  if (in_.ReadableBytes() == 0) return;
  serving_busy_ = true;
  ProcessInput();
  serving_busy_ = false;
  Flush();
  MaybeFinish();
}

void Connection::StartReading() {
  if (!reading_ && !paused_ && !wal_paused_ && !parked_ && !closing_)
    reading_ = uv_read_start(reinterpret_cast<uv_stream_t*>(&handle_), OnAlloc, OnRead) == 0;
}

void Connection::StopReading() {
  if (reading_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&handle_));
  reading_ = false;
}

void Connection::ProcessInput() {
  Config& cfg = worker_->server()->config();
  protocol::ParserLimits limits;
  limits.max_bulk_len = cfg.proto_max_bulk_len.load(std::memory_order_relaxed);
  parser_.set_limits(limits);
  parser_limits_max_bulk_ = limits.max_bulk_len;

  // Clocks once per batch; per command only the monotonic clock (the dispatcher's).
  batch_ms_ = NowMs();
  batch_us_ = NowUs();
  worker_->dispatcher().StartBatch(batch_us_);
  last_interaction_ms.store(batch_ms_, std::memory_order_relaxed);

  while (in_.ReadableBytes() > 0 && !close_after_reply_ && !closing_ && !blocked_ && !parked_) {
    if (Persistence* p = worker_->server()->persistence(); p != nullptr && p->wal().over_limit()) {
      // The WAL queue is full: stop reading until the writer drains it (Worker::OnWalAsync).
      StopReading();
      if (!wal_paused_) {
        worker_->PauseForWal(this);
        p->backpressure_pauses.fetch_add(1, std::memory_order_relaxed);
      }
      wal_paused_ = true;
      break;
    }
    if (PendingOutput() > kMaxPendingOutput) {
      // Back-pressure: stop reading until the client takes its replies (resumed in OnWrite).
      StopReading();
      paused_ = true;
      break;
    }
    size_t consumed = 0;
    protocol::ParseStatus st = parser_.Parse(in_.ReadPtr(), in_.ReadableBytes(), &consumed);
    // client-query-buffer-limit: an unfinished request holding more than the limit, or a whole
    // request larger than it (one read can bring all of it: Redis, reading 16 KiB at a time,
    // would have buffered past the limit first) closes the connection; it never runs.
    const size_t limit =
        static_cast<size_t>(cfg.client_query_buffer_limit.load(std::memory_order_relaxed));
    if ((st == protocol::ParseStatus::kNeedMore && in_.ReadableBytes() > limit) ||
        (st == protocol::ParseStatus::kOk && consumed > limit)) {
      Log(LogLevel::kWarning, "Closing client that reached max query buffer length: id=%llu",
          static_cast<unsigned long long>(id));
      Close();
      break;
    }
    if (st == protocol::ParseStatus::kNeedMore) break;
    if (st == protocol::ParseStatus::kError) {
      writer_.Error(parser_.error());
      Bump(worker_->error_replies);
      Log(LogLevel::kVerbose, "Protocol error (%s) from client: id=%llu addr=%s",
          parser_.error().c_str(), static_cast<unsigned long long>(id), addr.c_str());
      in_.Clear();
      close_after_reply_ = true;
      break;
    }
    if (!parser_.args().empty() && !Execute(parser_.args(), consumed)) break;
    in_.Consume(consumed);
  }
  if (in_.ReadableBytes() == 0) in_.ShrinkIfIdle(64 * 1024);
  qbuf.store(in_.ReadableBytes(), std::memory_order_relaxed);
  if (kill_requested.load(std::memory_order_relaxed)) close_after_reply_ = true;
}

void Connection::FillContext(const std::vector<std::string_view>& args,
                             protocol::ReplyWriter* out, cmd::ClientState* client,
                             cmd::CommandContext* ctx) {
  Server* srv = worker_->server();
  ctx->argv = args.data();
  ctx->argc = args.size();
  ctx->out = out;
  ctx->client = client;
  ctx->keyspace = &srv->keyspace();
  ctx->server = srv;
  ctx->registry = &srv->registry();
  ctx->conn = this;
}

bool Connection::Execute(const std::vector<std::string_view>& args, size_t size) {
  Dispatcher& dispatcher = worker_->dispatcher();
  cmd::CommandContext ctx;
  FillContext(args, &writer_, &client_, &ctx);
  ctx.now_ms = batch_ms_ + (dispatcher.clock_us() - batch_us_) / 1000;
  ctx.max_string_len = parser_limits_max_bulk_;
  ctx.blocker = this;
  ctx.resumed = resumed_;
  resumed_ = false;
  if (!answers_.empty()) {
    ctx.backend = answers_.data();
    ctx.backend_answers = answers_.size();
  }
  Effects fx;
  const uint64_t reply_pos = OutPos();
  if (!dispatcher.Run(ctx, serving_busy_ ? Mode::kBusy : Mode::kClient, &fx)) {
    parked_size_ = size;  // stays in in_: parsed and run again afterwards
    ParkFor(std::move(fx.park));
    return false;
  }
  answers_.clear();
  if (fx.wait_lsn != 0) HoldReply(reply_pos, OutPos(), fx.wait_lsn, !fx.wrote);
  if (!fx.ready.empty()) ServeReadyKeys(&fx.ready);
  db.store(static_cast<int>(client_.db_index), std::memory_order_relaxed);
  resp.store(client_.resp, std::memory_order_relaxed);
  writer_.set_resp3(client_.resp == 3);
  if (client_.close_after_reply) close_after_reply_ = true;
  return true;
}

// ---- parking ----

void Connection::ParkFor(Park&& park) {
  parked_ = true;
  parked_for_load_ = park.reason == Park::Reason::kLoad;
  StopReading();
  Tiering* tier = worker_->server()->tiering();
  uv_loop_t* loop = worker_->loop();
  auto done = [this](bool ok, const std::string& error) { OnParkDone(ok, error); };
  switch (park.reason) {
    case Park::Reason::kMemory:
      tier->WaitForCheckpoint(loop, done);
      return;
    case Park::Reason::kQuery:
      tier->Query(loop, std::move(park.queries),
                  [this](bool ok, const std::string& error, std::vector<cmd::BackendAnswer> a) {
                    answers_ = std::move(a);
                    OnParkDone(ok, error);
                  });
      return;
    case Park::Reason::kLoad:
    case Park::Reason::kNone: {
      // Reading ahead for the pipeline helps unless memory is tight: keys loaded ahead would
      // be evicted again before their commands run.
      int64_t max = worker_->server()->config().maxmemory.load(std::memory_order_relaxed);
      if (max == 0 || UsedMemoryEstimate() < static_cast<size_t>(max) / 4 * 3)
        CollectPipelinedMisses(&park.misses);
      tier->Load(loop, std::move(park.misses), done);
      return;
    }
  }
}

void Connection::CollectPipelinedMisses(std::vector<storage::TierMiss>* misses) {
  constexpr size_t kMaxAhead = 64;  // commands looked at; a lookup takes up to 64 keys at once
  Server* srv = worker_->server();
  protocol::RespParser ahead;
  protocol::ParserLimits limits;
  limits.max_bulk_len = parser_limits_max_bulk_;
  ahead.set_limits(limits);
  Buffer scratch;  // Resolve's error replies, if any, are dropped
  protocol::ReplyWriter scratch_writer(&scratch);
  cmd::ClientState client = client_;
  size_t off = parked_size_;
  for (size_t n = 0; n < kMaxAhead && misses->size() < backend::kGetBatch; ++n) {
    size_t consumed = 0;
    if (ahead.Parse(in_.ReadPtr() + off, in_.ReadableBytes() - off, &consumed) !=
        protocol::ParseStatus::kOk)
      break;
    off += consumed;
    const std::vector<std::string_view>& args = ahead.args();
    if (args.empty()) continue;
    cmd::CommandContext ctx;
    FillContext(args, &scratch_writer, &client, &ctx);
    ctx.now_ms = NowMs();
    cmd::Resolved r = cmd::Resolve(srv->registry(), ctx);
    if (!r.ok) continue;
    // Plain keyed commands only; anything else (SELECT, MULTI, ...) may change what the
    // following keys mean: stop looking there.
    if (r.spec->key_specs.empty() || tx_.active) break;
    ctx.spec = r.spec;
    worker_->dispatcher().CollectMisses(ctx, misses);
  }
}

void Connection::OnParkDone(bool ok, const std::string& error) {
  parked_ = false;
  if (ok && worker_->server()->config().maxmemory.load(std::memory_order_relaxed) > 0)
    RefreshUsedMemory();  // what was installed was allocated on this thread just now
  if (free_after_park_) {
    delete this;
    return;
  }
  if (closing_) return;
  if (!ok) {  // the backend did not answer: this command fails, the next ones run
    writer_.Error(Format(err::kBackendUnavailable, error.c_str()));
    Bump(worker_->error_replies);
    in_.Consume(parked_size_);
    answers_.clear();
  } else {
    // Keys it waited for are in memory now: no eviction before it runs (it could drop them,
    // and the command would wait again, forever). After a wait for memory it checks again.
    resumed_ = parked_for_load_;
  }
  StartReading();
  Resume();
}

// ---- blocking ----

void Connection::Block(cmd::CommandContext& ctx, const std::vector<std::string_view>& keys,
                       int64_t timeout_ms, cmd::TimeoutReply on_timeout,
                       const std::vector<std::string>* args) {
  auto bc = std::make_shared<BlockedClient>();
  bc->worker = worker_;
  bc->client_id = id;
  bc->db = client_.db_index;
  bc->resp = client_.resp;
  bc->spec = ctx.spec;
  if (args != nullptr)
    bc->args = *args;
  else
    bc->args.assign(ctx.argv, ctx.argv + ctx.argc);
  bc->keys.assign(keys.begin(), keys.end());
  bc->deadline_ms = timeout_ms > 0 ? ctx.now_ms + timeout_ms : 0;
  bc->on_timeout = on_timeout;
  worker_->server()->blocking().Add(bc);
  blocked_ = bc;
  if (bc->deadline_ms > 0) worker_->AddBlockDeadline(bc->deadline_ms, id);
}

void Connection::Unblock(const std::string& reply, uint64_t wait_lsn) {
  if (!blocked_) return;
  blocked_.reset();
  uint64_t pos = OutPos();
  out_.Append(reply);
  HoldReply(pos, OutPos(), wait_lsn, false);
  Resume();
}

void Connection::BlockTimeout(int64_t deadline_ms) {
  if (!blocked_ || blocked_->deadline_ms != deadline_ms) return;  // an older block's timer
  {
    std::lock_guard<std::mutex> lock(blocked_->mu);
    if (blocked_->done) return;  // being served: its reply is on the way
    blocked_->done = true;
    worker_->server()->blocking().Remove(*blocked_);
  }
  cmd::TimeoutReply kind = blocked_->on_timeout;
  blocked_.reset();
  kind == cmd::TimeoutReply::kNullBulk ? writer_.NullBulk() : writer_.NullArray();
  Resume();
}

void Connection::Resume() {
  if (closing_) return;
  ProcessInput();  // commands that arrived while blocked or parked
  Flush();
  MaybeFinish();
}

void Connection::ServeReadyKeys(std::vector<ReadyKey>* ready) {
  Server* srv = worker_->server();
  for (ReadyKey& k : *ready) srv->blocking().ServeKey(&worker_->dispatcher(), k.db, k.key);
}

// ---- output ----

void Connection::HoldReply(uint64_t pos, uint64_t end, uint64_t lsn, bool read) {
  if (lsn == 0 || (read && end == pos)) return;  // nothing replied (a client that blocked)
  Persistence* wal = worker_->server()->persistence();
  if (lsn <= wal->wal().release_lsn()) return;
  holds_.push_back({pos, end, lsn, read});
}

bool Connection::AnswerStuckReads() {
  Persistence* wal = worker_->server()->persistence();
  std::string error = wal->WriteRefusal();
  if (error.empty()) return false;
  std::string reply = "-" + error + "\r\n";
  bool any = false;
  // Only the front of the queue may be rewritten: a held write keeps everything after it in
  // order behind it (it gets its reply once the disk takes it).
  while (!holds_.empty() && holds_.front().read) {
    Hold h = holds_.front();
    holds_.pop_front();
    size_t off = static_cast<size_t>(h.pos - out_sent_);
    out_.Replace(off, static_cast<size_t>(h.end - h.pos), reply);
    int64_t delta = static_cast<int64_t>(reply.size()) - static_cast<int64_t>(h.end - h.pos);
    for (Hold& later : holds_) {
      later.pos += delta;
      later.end += delta;
    }
    Bump(worker_->error_replies);
    any = true;
    uint64_t durable = wal->wal().release_lsn();
    while (!holds_.empty() && holds_.front().lsn <= durable) holds_.pop_front();
  }
  return any;
}

void Connection::Flush() {
  if (closing_ || writing_ || out_.ReadableBytes() == 0) return;
  // Replies waiting for the WAL (appendfsync always) stay in out_, with all that follows them.
  size_t sendable = out_.ReadableBytes();
  if (!holds_.empty()) {
    Persistence* wal = worker_->server()->persistence();
    uint64_t durable = wal->wal().release_lsn();
    while (!holds_.empty() && holds_.front().lsn <= durable) holds_.pop_front();
    // The WAL cannot write: reads that wait for a record it may never make durable are
    // answered with the error now instead of waiting without bound.
    if (!holds_.empty() && wal->wal().write_errno() != 0) AnswerStuckReads();
    sendable = out_.ReadableBytes();
    if (!holds_.empty()) {
      sendable = static_cast<size_t>(holds_.front().pos - out_sent_);
      if (!wal_listed_) {
        wal_listed_ = true;
        worker_->WatchDurable(this, holds_.front().lsn);
      }
      if (sendable == 0) return;
    }
  }
  uv_stream_t* s = reinterpret_cast<uv_stream_t*>(&handle_);
  uv_buf_t b = uv_buf_init(const_cast<char*>(out_.ReadPtr()), static_cast<unsigned>(sendable));
  int n = uv_try_write(s, &b, 1);
  if (n < 0 && n != UV_EAGAIN) {
    Close();
    return;
  }
  if (n > 0) {
    Bump(worker_->net_output, static_cast<uint64_t>(n));
    out_.Consume(static_cast<size_t>(n));
    out_sent_ += static_cast<uint64_t>(n);
    sendable -= static_cast<size_t>(n);
  }
  if (out_.ReadableBytes() == 0) {
    out_.ShrinkIfIdle(1024 * 1024);
    omem.store(0, std::memory_order_relaxed);
    return;
  }
  if (sendable == 0) {
    omem.store(PendingOutput(), std::memory_order_relaxed);
    return;
  }
  // The kernel took part of it: hand the rest to libuv, and keep appending new replies to the
  // other buffer so the bytes in flight never move.
  if (sendable == out_.ReadableBytes()) {
    out_.Swap(sending_);
  } else {  // only a prefix may go: copy it out, the held rest stays
    sending_.Append(out_.ReadPtr(), sendable);
    out_.Consume(sendable);
  }
  out_sent_ += sendable;
  b = uv_buf_init(const_cast<char*>(sending_.ReadPtr()),
                  static_cast<unsigned>(sending_.ReadableBytes()));
  if (uv_write(&write_req_, s, &b, 1, OnWrite) != 0) {
    Close();
    return;
  }
  writing_ = true;
  omem.store(PendingOutput(), std::memory_order_relaxed);
}

void Connection::OnDurable() {
  wal_listed_ = false;
  if (closing_) return;
  Flush();
  MaybeFinish();
}

void Connection::ResumeFromWal() {
  wal_paused_ = false;
  if (closing_ || paused_ || blocked_) return;
  StartReading();
  ProcessInput();
  Flush();
  MaybeFinish();
}

void Connection::OnWrite(uv_write_t* req, int status) {
  auto* c = static_cast<Connection*>(req->data);
  c->writing_ = false;
  if (status < 0 || c->closing_) {
    c->Close();
    return;
  }
  Bump(c->worker_->net_output, c->sending_.ReadableBytes());
  c->sending_.Clear();
  c->sending_.ShrinkIfIdle(1024 * 1024);
  if (c->paused_ && c->PendingOutput() <= kMaxPendingOutput / 2) {
    c->paused_ = false;
    c->StartReading();
    c->ProcessInput();  // commands already buffered while paused
  }
  c->Flush();
  c->MaybeFinish();
}

void Connection::MaybeFinish() {
  if (closing_) return;
  if (close_after_reply_ && !writing_ && out_.ReadableBytes() == 0) Close();
}


}  // namespace strata::server
