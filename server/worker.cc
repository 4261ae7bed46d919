// Worker threads: listening, accepting, and the per-loop cron.
#include "server/worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/errors.h"
#include "common/format.h"
#include "common/log.h"
#include "server/connection.h"
#include "server/persistence.h"

namespace strata::server {

Worker::Worker(Server* server, int index)
    : cmd_stats(server->registry().num_ids()), server_(server), index_(index) {
  DispatchParts parts;
  parts.keyspace = &server->keyspace();
  parts.registry = &server->registry();
  parts.server = server;
  parts.wal = server->persistence();
  parts.tier = server->tiering();
  parts.watches = &server->watches();
  parts.blocking = &server->blocking();
  DispatchStats stats;
  stats.per_command = &cmd_stats;
  stats.commands = &commands_processed;
  stats.errors = &error_replies;
  dispatcher_ = std::make_unique<Dispatcher>(parts, stats);
  uv_loop_init(&loop_);
}

Worker::~Worker() {
  for (int fd : listen_fds_) close(fd);
  for (uv_tcp_t* t : listeners_) delete t;
  uv_loop_close(&loop_);
}

namespace {
// A listening socket with SO_REUSEPORT, made by hand: libuv 1.44 has no flag for it.
int MakeListener(const std::string& host, int* port, int backlog, std::string* error) {
  sockaddr_storage ss{};
  socklen_t len;
  bool v6 = host.find(':') != std::string::npos;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    if (uv_ip6_addr(host.c_str(), *port, a) != 0) {
      *error = "invalid address " + host;
      return -1;
    }
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    if (uv_ip4_addr(host.c_str(), *port, a) != 0) {
      *error = "invalid address " + host;
      return -1;
    }
    len = sizeof(*a);
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = Format("socket(): %s", strerror(errno));
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, backlog) != 0) {
    *error = Format("Could not create server TCP listening socket %s:%d: %s", host.c_str(), *port,
                    strerror(errno));
    close(fd);
    return -1;
  }
  if (*port == 0) {
    sockaddr_storage got{};
    socklen_t gl = sizeof(got);
    getsockname(fd, reinterpret_cast<sockaddr*>(&got), &gl);
    *port = ntohs(got.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&got)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&got)->sin_port);
  }
  return fd;
}
}  // namespace

bool Worker::Bind(const std::vector<std::string>& addrs, int* port, int backlog,
                  std::string* error) {
  for (std::string host : addrs) {
    bool optional = !host.empty() && host[0] == '-';
    if (optional) host = host.substr(1);
    std::string why;
    int fd = MakeListener(host, port, backlog, &why);
    if (fd >= 0) {
      listen_fds_.push_back(fd);
    } else if (optional) {
      if (index_ == 0) Log(LogLevel::kWarning, "%s (optional address, skipped)", why.c_str());
    } else {
      *error = why;
      return false;
    }
  }
  if (listen_fds_.empty()) {
    *error = "no address to listen on";
    return false;
  }
  return true;
}

void Worker::Start(int cpu) {
  thread_ = std::thread([this, cpu] { Run(cpu); });
}

void Worker::Run(int cpu) {
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
      Log(LogLevel::kWarning, "worker %d: could not pin to cpu %d", index_, cpu);
  }
  char name[16];
  snprintf(name, sizeof(name), "strata-w%d", index_);
  pthread_setname_np(pthread_self(), name);

  for (int fd : listen_fds_) {
    auto* t = new uv_tcp_t;
    uv_tcp_init(&loop_, t);
    t->data = this;
    uv_tcp_open(t, fd);
    uv_listen(reinterpret_cast<uv_stream_t*>(t), static_cast<int>(server_->config().tcp_backlog),
              OnConnection);
    listeners_.push_back(t);
  }
  listen_fds_.clear();  // owned by the uv handles now
  uv_async_init(&loop_, &wake_, OnWake);
  wake_.data = this;
  uv_async_init(&loop_, &wal_async_, OnWalAsync);
  wal_async_.data = this;
  uv_check_init(&loop_, &wal_check_);
  wal_check_.data = this;
  if (server_->persistence() != nullptr) uv_check_start(&wal_check_, OnLoopCheck);
  {
    std::lock_guard<std::mutex> lock(wal_mu_);
    wal_ready_ = true;
  }
  uv_timer_init(&loop_, &cron_);
  cron_.data = this;
  int64_t period = 1000 / std::max<int64_t>(1, server_->config().hz.load());
  uv_timer_start(&cron_, OnCron, period, period);
  uv_timer_init(&loop_, &block_timer_);
  block_timer_.data = this;
  // A stop requested before the loop started must not be lost.
  if (stopping_) uv_async_send(&wake_);
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void Worker::Stop() {
  stopping_ = true;
  Wake();
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::Wake() { uv_async_send(&wake_); }

void Worker::Post(std::function<void(Worker&)> task) {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    inbox_.push_back(std::move(task));
  }
  Wake();
}

void Worker::AddBlockDeadline(int64_t deadline_ms, uint64_t client_id) {
  block_deadlines_.emplace(deadline_ms, client_id);
  ArmBlockTimer();
}

void Worker::ArmBlockTimer() {
  if (block_deadlines_.empty()) {
    uv_timer_stop(&block_timer_);
    return;
  }
  int64_t wait = block_deadlines_.top().first - NowMs();
  uv_timer_start(&block_timer_, OnBlockTimer, static_cast<uint64_t>(std::max<int64_t>(wait, 0)), 0);
}

void Worker::OnBlockTimer(uv_timer_t* h) {
  auto* w = static_cast<Worker*>(h->data);
  int64_t now = NowMs();
  while (!w->block_deadlines_.empty() && w->block_deadlines_.top().first <= now) {
    auto [deadline, id] = w->block_deadlines_.top();
    w->block_deadlines_.pop();
    if (Connection* c = w->FindClient(id)) c->BlockTimeout(deadline);
  }
  w->ArmBlockTimer();
}

void Worker::WatchDurable(Connection* c, uint64_t lsn) {
  wal_waiters_.push_back(c);
  wal_interest_.store(true);  // seq_cst: pairs with the writer's LSN store (see NotifyWal)
  // The writer may have advanced before it could see our interest: look once more.
  if (server_->persistence()->wal().release_lsn() >= lsn) uv_async_send(&wal_async_);
}

void Worker::PauseForWal(Connection* c) {
  wal_paused_.push_back(c);
  wal_interest_.store(true);
  if (Persistence* p = server_->persistence(); p != nullptr && !p->wal().over_limit())
    uv_async_send(&wal_async_);
}

void Worker::ForgetWal(Connection* c) {
  for (auto* v : {&wal_waiters_, &wal_paused_}) v->erase(std::remove(v->begin(), v->end(), c), v->end());
}

void Worker::NotifyWal() {
  if (!wal_interest_.load()) return;
  std::lock_guard<std::mutex> lock(wal_mu_);
  if (wal_ready_) uv_async_send(&wal_async_);
}

// After the loop ran this iteration's callbacks: hand what they logged to the WAL writer.
void Worker::OnLoopCheck(uv_check_t* h) {
  static_cast<Worker*>(h->data)->server_->persistence()->wal().Kick();
}

void Worker::OnWalAsync(uv_async_t* h) {
  auto* w = static_cast<Worker*>(h->data);
  std::vector<Connection*> waiters, paused;
  waiters.swap(w->wal_waiters_);
  for (Connection* c : waiters) c->OnDurable();  // re-lists itself if it still waits
  Persistence* p = w->server_->persistence();
  if (p != nullptr && !p->wal().over_limit()) {
    paused.swap(w->wal_paused_);
    for (Connection* c : paused) c->ResumeFromWal();  // may pause (and re-list) again
  }
  w->wal_interest_.store(!w->wal_waiters_.empty() || !w->wal_paused_.empty());
}

Connection* Worker::FindClient(uint64_t id) const {
  auto it = clients_by_id.find(id);
  return it == clients_by_id.end() ? nullptr : it->second;
}

void Worker::OnWake(uv_async_t* h) {
  auto* w = static_cast<Worker*>(h->data);
  if (!w->stopping_) {
    std::vector<std::function<void(Worker&)>> tasks;
    {
      std::lock_guard<std::mutex> lock(w->inbox_mu_);
      tasks.swap(w->inbox_);
    }
    for (auto& t : tasks) t(*w);
    w->CloseIdleAndKilled(NowMs());
    return;
  }
  // Shutdown: close every handle; the loop ends when the last close callback ran.
  std::vector<Connection*> conns;
  {
    std::lock_guard<std::mutex> lock(w->clients_mu);
    conns = w->clients;
  }
  for (Connection* c : conns) c->Close();
  for (uv_tcp_t* t : w->listeners_) uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->wake_), nullptr);
  {
    std::lock_guard<std::mutex> lock(w->wal_mu_);
    w->wal_ready_ = false;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&w->wal_async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->wal_check_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->cron_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->block_timer_), nullptr);
}

void Worker::OnConnection(uv_stream_t* listener, int status) {
  auto* w = static_cast<Worker*>(listener->data);
  if (status < 0) return;
  Server* srv = w->server_;
  auto* c = new Connection(w, srv->NextClientId());
  uv_tcp_init(&w->loop_, c->handle());
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(c->handle())) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(c->handle()),
             [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    return;
  }
  w->Admit(c);
}

void Worker::Admit(Connection* c) {
  Worker* w = this;
  Server* srv = server_;
  // maxclients: answer like Redis, then hang up.
  if (srv->connected_clients().load() >= srv->config().maxclients.load()) {
    static const std::string kMsg = std::string("-") + err::kMaxClients + "\r\n";
    uv_buf_t b = uv_buf_init(const_cast<char*>(kMsg.data()), static_cast<unsigned>(kMsg.size()));
    uv_try_write(reinterpret_cast<uv_stream_t*>(c->handle()), &b, 1);
    Bump(w->rejected_connections);
    uv_close(reinterpret_cast<uv_handle_t*>(c->handle()),
             [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    return;
  }
  Bump(w->connections_received);
  srv->connected_clients().fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(w->clients_mu);
    w->clients.push_back(c);
    w->clients_by_id[c->id] = c;
  }
  c->Start();
}

void Worker::ServeWhileBusy(Connection* running) {
  for (uv_tcp_t* t : listeners_) {
    uv_os_fd_t lfd;
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(t), &lfd) != 0) continue;
    for (int n = 0; n < 64; ++n) {  // libuv's own accept then finds the queue emptied: fine
      int fd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) break;
      auto* c = new Connection(this, server_->NextClientId());
      uv_tcp_init(&loop_, c->handle());
      if (uv_tcp_open(c->handle(), fd) != 0) {
        close(fd);
        uv_close(reinterpret_cast<uv_handle_t*>(c->handle()),
                 [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
        continue;
      }
      Admit(c);
    }
  }
  std::vector<Connection*> conns;
  {
    std::lock_guard<std::mutex> lock(clients_mu);
    conns = clients;
  }
  for (Connection* c : conns)
    if (c != running) c->ServeWhileBusy();  // closing ones leave the list, not memory, here
}

void Worker::RemoveClient(Connection* c) {
  std::lock_guard<std::mutex> lock(clients_mu);
  auto it = std::find(clients.begin(), clients.end(), c);
  if (it != clients.end()) {
    *it = clients.back();
    clients.pop_back();
    clients_by_id.erase(c->id);
    server_->connected_clients().fetch_sub(1);
  }
}

void Worker::OnCron(uv_timer_t* h) {
  auto* w = static_cast<Worker*>(h->data);
  int64_t now = NowMs();
  if (w->server_->config().active_expire.load(std::memory_order_relaxed)) w->ActiveExpire(now);
  if (w->server_->config().activerehashing.load(std::memory_order_relaxed)) w->ActiveRehash();
  if (now - w->last_timeout_check_ms_ >= 1000) {
    w->last_timeout_check_ms_ = now;
    w->CloseIdleAndKilled(now);
  }
}

namespace {

// The cron's sweep: each worker takes its share of the (database, shard) pairs (every
// nworkers-th) and calls step(shard) under the shard's lock, again while it returns true, until
// budget_us has passed. A shard in use (a long script's, say) is skipped this tick: the loop
// never waits. The lock is released between steps.
template <typename Step>
void SweepShards(storage::Keyspace& ks, size_t nworkers, size_t index, int64_t budget_us,
                 Step&& step) {
  const int64_t deadline_us = NowUs() + budget_us;
  size_t pair = 0;
  for (size_t d = 0; d < ks.num_dbs(); ++d) {
    storage::Db& db = ks.db(d);
    for (size_t s = 0; s < db.num_shards(); ++s, ++pair) {
      if (pair % nworkers != index) continue;
      storage::Shard& shard = db.shard(s);
      for (bool more = true; more;) {
        if (!storage::TryLockShard(&shard)) break;
        more = step(shard);
        storage::UnlockShard(&shard);
        if (NowUs() > deadline_us) return;
      }
    }
  }
}

}  // namespace

// Like Redis's active expiry cycle: look at ~20 keys with a TTL, repeat while more than a
// quarter of them had expired; up to 5 ms per tick.
void Worker::ActiveExpire(int64_t now_ms) {
  SweepShards(server_->keyspace(), server_->workers().size(), static_cast<size_t>(index_), 5000,
              [now_ms](storage::Shard& shard) {
                std::pair<size_t, size_t> r = shard.ExpireStep(now_ms, 20, 1024);
                return r.first != 0 && r.second * 4 > r.first;
              });
}

// Redis's activerehashing: a shard's table resize in progress advances here as well as with each
// write, so it finishes even when the writes stop (lookups search both tables meanwhile), and a
// table left sparse by deletions starts to shrink. 100 buckets per lock hold, up to 1 ms per tick.
void Worker::ActiveRehash() {
  SweepShards(server_->keyspace(), server_->workers().size(), static_cast<size_t>(index_), 1000,
              [](storage::Shard& shard) { return shard.Rehash(100); });
}

void Worker::CloseIdleAndKilled(int64_t now_ms) {
  int64_t timeout_ms = server_->config().timeout.load() * 1000;
  std::vector<Connection*> doomed;
  {
    std::lock_guard<std::mutex> lock(clients_mu);
    for (Connection* c : clients) {
      // Blocked clients wait for their own timeout, not the idle one (as in Redis).
      bool idle = timeout_ms > 0 && !c->blocked() &&
                  now_ms - c->last_interaction_ms.load() > timeout_ms;
      if (idle || c->kill_requested.load()) doomed.push_back(c);
    }
  }
  for (Connection* c : doomed) c->Close();
}

}  // namespace strata::server
