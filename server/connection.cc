// Connection I/O and the per-command path: parse, resolve, check, run, account.
#include "server/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "common/errors.h"
#include "common/format.h"
#include "common/log.h"
#include "server/worker.h"

namespace strata::server {

namespace {
std::string FormatAddr(const sockaddr_storage& ss) {
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
    port = ntohs(a->sin6_port);
  }
  return Format("%s:%d", ip, port);
}
}  // namespace

Connection::Connection(Worker* worker, uint64_t id_) : id(id_), worker_(worker) {
  client_.id = id_;
  handle_.data = this;
  write_req_.data = this;
}

void Connection::Start() {
  sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getpeername(&handle_, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    addr = FormatAddr(ss);
  len = sizeof(ss);
  if (uv_tcp_getsockname(&handle_, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    laddr = FormatAddr(ss);
  uv_os_fd_t os_fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&handle_), &os_fd) == 0) fd = os_fd;
  created_ms = NowMs();
  last_interaction_ms = created_ms;

  Config& cfg = worker_->server()->config();
  client_.authenticated = cfg.requirepass().empty();
  uv_tcp_nodelay(&handle_, 1);
  if (int64_t ka = cfg.tcp_keepalive.load(); ka > 0)
    uv_tcp_keepalive(&handle_, 1, static_cast<unsigned>(ka));
  reading_ = uv_read_start(reinterpret_cast<uv_stream_t*>(&handle_), OnAlloc, OnRead) == 0;
  if (!reading_) Close();
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  worker_->server()->OnClientClosed(*this);
  worker_->RemoveClient(this);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), OnClosed);
}

void Connection::OnClosed(uv_handle_t* h) { delete static_cast<Connection*>(h->data); }

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

void Connection::ProcessInput() {
  Config& cfg = worker_->server()->config();
  protocol::ParserLimits limits;
  limits.max_bulk_len = cfg.proto_max_bulk_len.load(std::memory_order_relaxed);
  parser_.set_limits(limits);
  parser_limits_max_bulk_ = limits.max_bulk_len;

  // Clocks once per batch; per command only the monotonic clock (see Execute).
  int64_t base_ms = NowMs();
  int64_t base_us = NowUs();
  int64_t t0_us = base_us;
  last_interaction_ms.store(base_ms, std::memory_order_relaxed);

  while (in_.ReadableBytes() > 0 && !close_after_reply_ && !closing_) {
    if (PendingOutput() > kMaxPendingOutput) {
      // Back-pressure: stop reading until the client takes its replies (resumed in OnWrite).
      if (reading_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&handle_));
      reading_ = false;
      paused_ = true;
      break;
    }
    size_t consumed = 0;
    protocol::ParseStatus st = parser_.Parse(in_.ReadPtr(), in_.ReadableBytes(), &consumed);
    if (st == protocol::ParseStatus::kNeedMore) {
      if (in_.ReadableBytes() >
          static_cast<size_t>(cfg.client_query_buffer_limit.load(std::memory_order_relaxed))) {
        Log(LogLevel::kWarning, "Closing client that reached max query buffer length: id=%llu",
            static_cast<unsigned long long>(id));
        Close();
      }
      break;
    }
    if (st == protocol::ParseStatus::kError) {
      writer_.Error(parser_.error());
      Bump(worker_->error_replies);
      Log(LogLevel::kVerbose, "Protocol error (%s) from client: id=%llu addr=%s",
          parser_.error().c_str(), static_cast<unsigned long long>(id), addr.c_str());
      in_.Clear();
      close_after_reply_ = true;
      break;
    }
    if (!parser_.args().empty()) Execute(parser_.args(), base_ms, base_us, &t0_us);
    in_.Consume(consumed);
  }
  if (in_.ReadableBytes() == 0) in_.ShrinkIfIdle(64 * 1024);
  qbuf.store(in_.ReadableBytes(), std::memory_order_relaxed);
  if (kill_requested.load(std::memory_order_relaxed)) close_after_reply_ = true;
}

void Connection::Execute(const std::vector<std::string_view>& args, int64_t base_ms,
                         int64_t base_us, int64_t* t0_us) {
  Server* srv = worker_->server();
  cmd::CommandContext ctx;
  ctx.argv = args.data();
  ctx.argc = args.size();
  ctx.out = &writer_;
  ctx.client = &client_;
  ctx.keyspace = &srv->keyspace();
  ctx.server = srv;
  ctx.registry = &srv->registry();
  ctx.conn = this;
  ctx.now_ms = base_ms + (*t0_us - base_us) / 1000;
  ctx.max_string_len = parser_limits_max_bulk_;

  Bump(worker_->commands_processed);
  cmd::Resolved r = cmd::Resolve(srv->registry(), ctx);
  if (!r.ok) {
    Bump(worker_->error_replies);
    if (r.spec) Bump(worker_->cmd_stats[r.spec->id].rejected);
    return;
  }
  const cmd::CommandSpec* spec = r.spec;
  CommandStats& st = worker_->cmd_stats[spec->id];
  if (!client_.authenticated && !(spec->flags & cmd::kNoAuth)) {
    writer_.Error(err::kNoAuth);
    Bump(worker_->error_replies);
    Bump(st.rejected);
    return;
  }
  if (client_.subscriptions > 0 && client_.resp == 2 && !(spec->flags & cmd::kPubSubContext)) {
    writer_.Error(Format("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                         "QUIT / RESET are allowed in this context",
                         spec->name.c_str()));
    Bump(worker_->error_replies);
    Bump(st.rejected);
    return;
  }
  size_t reply_at = out_.ReadableBytes();
  last_cmd_id.store(spec->id, std::memory_order_relaxed);
  spec->handler(ctx);

  int64_t t1 = NowUs();
  Bump(st.calls);
  Bump(st.usec, static_cast<uint64_t>(t1 - *t0_us));
  *t0_us = t1;
  // A reply that starts with '-' is an error reply.
  if (out_.ReadableBytes() > reply_at && out_.ReadPtr()[reply_at] == '-') {
    Bump(st.failed);
    Bump(worker_->error_replies);
  }
  db.store(static_cast<int>(client_.db_index), std::memory_order_relaxed);
  resp.store(client_.resp, std::memory_order_relaxed);
  writer_.set_resp3(client_.resp == 3);
  if (client_.close_after_reply) close_after_reply_ = true;
}

void Connection::Flush() {
  if (closing_ || writing_ || out_.ReadableBytes() == 0) return;
  uv_stream_t* s = reinterpret_cast<uv_stream_t*>(&handle_);
  uv_buf_t b = uv_buf_init(const_cast<char*>(out_.ReadPtr()),
                           static_cast<unsigned>(out_.ReadableBytes()));
  int n = uv_try_write(s, &b, 1);
  if (n < 0 && n != UV_EAGAIN) {
    Close();
    return;
  }
  if (n > 0) {
    Bump(worker_->net_output, static_cast<uint64_t>(n));
    out_.Consume(static_cast<size_t>(n));
  }
  if (out_.ReadableBytes() == 0) {
    out_.ShrinkIfIdle(1024 * 1024);
    omem.store(0, std::memory_order_relaxed);
    return;
  }
  // The kernel took part of it: hand the rest to libuv, and keep appending new replies to the
  // other buffer so the bytes in flight never move.
  out_.Swap(sending_);
  b = uv_buf_init(const_cast<char*>(sending_.ReadPtr()),
                  static_cast<unsigned>(sending_.ReadableBytes()));
  if (uv_write(&write_req_, s, &b, 1, OnWrite) != 0) {
    Close();
    return;
  }
  writing_ = true;
  omem.store(PendingOutput(), std::memory_order_relaxed);
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
    c->reading_ = uv_read_start(reinterpret_cast<uv_stream_t*>(&c->handle_), OnAlloc, OnRead) == 0;
    c->ProcessInput();  // commands already buffered while paused
  }
  c->Flush();
  c->MaybeFinish();
}

void Connection::MaybeFinish() {
  if (closing_) return;
  if (close_after_reply_ && !writing_ && out_.ReadableBytes() == 0) Close();
}

std::string Connection::Describe(int64_t now_ms) const {
  const auto& reg = worker_->server()->registry();
  uint32_t cmd_id = last_cmd_id.load(std::memory_order_relaxed);
  std::string cmd = "NULL";
  for (const cmd::CommandSpec* s : reg.all()) {
    if (s->id == cmd_id) cmd = s->name;
    for (const auto& sub : s->subcommands)
      if (sub.id == cmd_id) cmd = sub.name;
  }
  size_t q = qbuf.load(std::memory_order_relaxed);
  size_t o = omem.load(std::memory_order_relaxed);
  return Format(
      "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=N db=%d sub=0 psub=0 "
      "ssub=0 multi=-1 qbuf=%zu qbuf-free=0 argv-mem=0 multi-mem=0 rbs=%zu rbp=0 obl=0 oll=0 "
      "omem=%zu tot-mem=%zu events=r cmd=%s user=default redir=-1 resp=%d",
      static_cast<unsigned long long>(id), addr.c_str(), laddr.c_str(), fd, name.c_str(),
      static_cast<long long>((now_ms - created_ms) / 1000),
      static_cast<long long>((now_ms - last_interaction_ms.load()) / 1000), db.load(), q,
      std::max<size_t>(q, kReadChunk), o, q + o + sizeof(Connection), cmd.c_str(), resp.load());
}

}  // namespace strata::server
