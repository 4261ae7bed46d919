// One worker thread: a libuv loop with its own SO_REUSEPORT listening sockets (the kernel
// spreads new connections across workers), the connections it accepted (each belongs to this
// loop for its whole life), a cron timer (active expiry of its share of the shards, idle
// timeouts) and an async handle other threads use to wake it (CLIENT KILL, shutdown).
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <queue>
#include <unordered_map>
#include <string>
#include <thread>
#include <vector>

#include "server/dispatcher.h"
#include "server/server.h"

namespace strata::server {

class Worker {
 public:
  Worker(Server* server, int index);
  ~Worker();

  // Main thread, before Start: creates and binds the listening sockets (SO_REUSEPORT).
  // Addresses prefixed with '-' are optional (Redis 7): failing to bind them is not an error.
  // *port is updated when it was 0, so every worker shares the port the first one got.
  bool Bind(const std::vector<std::string>& addrs, int* port, int backlog, std::string* error);
  void Start(int cpu);  // cpu < 0: no pinning
  void Stop();          // any thread: closes everything; the thread ends
  void Join();
  void Wake();          // any thread: check kill flags now
  // Any thread: runs task on this worker's loop thread soon (memcached's inbox + one wake-up;
  // libuv may merge wake-ups, so each wake drains the whole inbox). Tasks posted after Stop()
  // may never run.
  void Post(std::function<void(Worker&)> task);
  // Loop thread only: the timeout of a blocked client (Connection::BlockTimeout at deadline).
  void AddBlockDeadline(int64_t deadline_ms, uint64_t client_id);
  // Loop thread only: the live connection with this client id, or nullptr.
  Connection* FindClient(uint64_t id) const;

  // Loop thread, from inside a busy script of this thread (server/scripting.h, time limit):
  // accepts waiting connections and serves every connection but `running` (the script's) in
  // Mode::kBusy. libuv is not re-entered (uv_run is not reentrant): sockets are accepted and
  // read directly; replies leave as usual.
  void ServeWhileBusy(Connection* running);

  Server* server() { return server_; }
  uv_loop_t* loop() { return &loop_; }
  // This loop's dispatcher: every command run on this thread goes through it (loop thread).
  Dispatcher& dispatcher() { return *dispatcher_; }
  int index() const { return index_; }

  // Connections of this worker. The owning loop adds/removes under clients_mu; other threads
  // read them (CLIENT LIST/KILL) under clients_mu.
  std::mutex clients_mu;
  std::vector<Connection*> clients;
  std::unordered_map<uint64_t, Connection*> clients_by_id;  // same set, by client id

  // Statistics, written by this worker's thread only.
  std::vector<CommandStats> cmd_stats;
  std::atomic<uint64_t> connections_received{0}, commands_processed{0}, net_input{0},
      net_output{0}, rejected_connections{0}, error_replies{0};

  void RemoveClient(Connection* c);

  // WAL (server/persistence.h). Loop thread: a connection whose replies wait for durability, or
  // that stopped reading because the WAL queue is full, until the WAL writer wakes this loop.
  void WatchDurable(Connection* c, uint64_t lsn);
  void PauseForWal(Connection* c);
  void ForgetWal(Connection* c);  // a closing connection
  // WAL writer thread: wakes the loop if any of its connections wait.
  void NotifyWal();

 private:
  static void OnConnection(uv_stream_t* server, int status);
  static void OnWake(uv_async_t* h);
  static void OnCron(uv_timer_t* h);
  static void OnBlockTimer(uv_timer_t* h);
  static void OnWalAsync(uv_async_t* h);
  static void OnLoopCheck(uv_check_t* h);
  void ArmBlockTimer();
  void Admit(Connection* c);  // a connection just accepted: maxclients, listed, started
  void Run(int cpu);
  void ActiveExpire(int64_t now_ms);
  void ActiveRehash();
  void CloseIdleAndKilled(int64_t now_ms);

  Server* server_;
  int index_;
  std::unique_ptr<Dispatcher> dispatcher_;
  uv_loop_t loop_;
  std::vector<int> listen_fds_;
  std::vector<uv_tcp_t*> listeners_;
  uv_async_t wake_;
  uv_timer_t cron_;
  uv_timer_t block_timer_;
  // (deadline ms, client id), earliest first.
  std::priority_queue<std::pair<int64_t, uint64_t>, std::vector<std::pair<int64_t, uint64_t>>,
                      std::greater<>> block_deadlines_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex inbox_mu_;
  std::vector<std::function<void(Worker&)>> inbox_;  // guarded by inbox_mu_
  int64_t last_timeout_check_ms_ = 0;

  uv_async_t wal_async_;
  uv_check_t wal_check_;  // end of each loop iteration: Wal::Kick
  std::mutex wal_mu_;                     // wal_ready_ vs. the writer's uv_async_send
  bool wal_ready_ = false;                // wal_async_ initialised and not closed
  std::atomic<bool> wal_interest_{false};  // some connection below waits
  std::vector<Connection*> wal_waiters_, wal_paused_;  // loop thread only
};

}  // namespace strata::server
