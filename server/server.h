// The running server: configuration, keyspace, command table, worker threads and the
// cross-thread views of clients and statistics that INFO, CLIENT and CONFIG need.
//
// Threads: main() owns the Server and runs its own small loop for signals and shutdown;
// each Worker runs one libuv loop (server/worker.h). Members below say who may touch them.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "commands/command.h"
#include "server/blocking.h"
#include "server/config.h"
#include "server/port_claim.h"
#include "server/scripting.h"
#include "server/transaction.h"
#include "storage/eviction.h"
#include "storage/keyspace.h"

namespace strata::server {

class Worker;
class Connection;
class PubSub;
class Persistence;
class Tiering;

// Adds n to a counter that only the calling thread writes (no locked instruction needed).
inline void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// Counters of one command on one worker; written by that worker only, read by any.
struct CommandStats {
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> usec{0};
  std::atomic<uint64_t> rejected{0};  // refused before running (arity, auth)
  std::atomic<uint64_t> failed{0};    // ran and replied an error
};

// A sum over workers; CONFIG RESETSTAT records a baseline instead of racing the writers.
struct StatsSnapshot {
  uint64_t connections_received = 0, commands_processed = 0, net_input = 0, net_output = 0;
  uint64_t rejected_connections = 0, error_replies = 0, keyspace_hits = 0, keyspace_misses = 0;
  std::vector<uint64_t> calls, usec, rejected, failed;  // per command id
};

class Server {
 public:
  Server(Config* config);
  ~Server();

  // Claims the port (refused while another process listens on it: server/port_claim.h),
  // binds listeners, starts the workers. False (with a logged reason) if any of it failed.
  bool Start();
  // Part of Start: loads the WAL (appendonly yes). False with a logged reason.
  bool StartPersistence();
  // Blocks until shutdown is requested (signal or SHUTDOWN), then stops every worker.
  void Run();
  // Thread-safe: asks the main loop to stop the server.
  void RequestShutdown();

  // Scripts past busy-reply-threshold, one per worker at most (server/scripting.h, "Time
  // limit"). Any thread. The state (ScriptWatch bits) of the first busy one, 0 if none.
  uint8_t BusyScript() const;
  // Kills every busy script of an allowed kind that has not written; returns how many. When
  // none was: *refusal is why the first busy one could not be (Redis's error), or null.
  int KillBusyScripts(bool evals, bool functions, const char** refusal);
  // SHUTDOWN NOSAVE while a busy script that wrote runs: the script cannot be stopped half-way
  // nor finished, so the process ends now, after the WAL synced what it holds (the script's
  // writes are not in it: a script is logged when it ends). Nothing is checkpointed.
  [[noreturn]] void ExitNow();

  Config& config() { return *config_; }
  storage::Keyspace& keyspace() { return *keyspace_; }
  const cmd::CommandRegistry& registry() const { return registry_; }
  const std::vector<std::unique_ptr<Worker>>& workers() const { return workers_; }
  PubSub& pubsub() { return *pubsub_; }
  WatchRegistry& watches() { return watches_; }
  BlockingRegistry& blocking() { return blocking_; }
  ScriptCache& scripts() { return scripts_; }
  FunctionRegistry& functions() { return functions_; }
  // The WAL glue; nullptr with appendonly no.
  Persistence* persistence() { return persistence_.get(); }
  // The backing tier (server/tiering.h); nullptr with backend none.
  Tiering* tiering() { return tiering_.get(); }
  // maxmemory, before a command that may grow memory (kDenyOom): evicts by maxmemory-policy
  // if over the limit. kWait: a backing tier holds only dirty keys in memory; the caller waits
  // for a checkpoint (Tiering::WaitForCheckpoint) and tries again.
  enum class MemoryVerdict { kOk, kOom, kWait };
  MemoryVerdict CheckMemory();
  uint64_t evicted_keys() const;
  // The access clock, maxmemory-policy and lfu-* as the storage layer reads them, and the exact
  // used-memory figure. At start-up and every 100 ms (the stats timer).
  void RefreshEviction(int64_t now_ms);

  // Loop thread of c, from Connection::Close: drops the client's subscriptions and waits.
  void OnClientClosed(Connection& c);

  uint64_t NextClientId() { return next_client_id_.fetch_add(1) + 1; }
  std::atomic<int64_t>& connected_clients() { return connected_clients_; }

  StatsSnapshot CollectStats() const;  // minus the RESETSTAT baseline
  void ResetStats();
  // INFO reply text. held: the shards the caller holds (INFO inside EXEC or a script).
  std::string Info(const std::string& section, const storage::LockSet* held = nullptr);
  int64_t start_time_ms() const { return start_ms_; }
  int64_t instantaneous_ops() const { return inst_ops_.load(std::memory_order_relaxed); }

  // CLIENT LIST/INFO lines; filter by id (0 = all).
  std::string ClientList(uint64_t only_id, const std::string& type_filter);
  // Marks matching clients for closing; returns how many. A filter field left empty matches all.
  struct KillFilter {
    uint64_t id = 0;
    std::string addr, laddr;
    uint64_t skip_id = 0;  // SKIPME yes: the caller
    bool any = false;      // at least one filter given
  };
  int KillClients(const KillFilter& f);

 private:
  static void OnSignal(uv_signal_t* h, int signum);
  static void OnShutdownAsync(uv_async_t* h);
  static void OnStatsTimer(uv_timer_t* h);
  StatsSnapshot RawStats() const;

  Config* config_;
  PortClaim port_claim_;  // our claim on port on each bind address, for the process's life
  std::unique_ptr<storage::Keyspace> keyspace_;
  cmd::CommandRegistry registry_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<PubSub> pubsub_;
  std::unique_ptr<storage::Evictor> evictor_;
  std::atomic<int> policy_{0};  // storage::EvictionPolicy, refreshed by the stats timer
  std::atomic<uint64_t> evicted_baseline_{0};  // evicted keys at the last CONFIG RESETSTAT
  std::unique_ptr<Tiering> tiering_;       // destroyed after persistence_ (declared first)
  std::unique_ptr<Persistence> persistence_;
  WatchRegistry watches_;
  BlockingRegistry blocking_;
  ScriptCache scripts_;
  FunctionRegistry functions_;
  std::atomic<uint64_t> next_client_id_{0};
  std::atomic<int64_t> connected_clients_{0};
  int64_t start_ms_ = 0;

  // Main thread only.
  uv_loop_t loop_;
  uv_signal_t sigterm_, sigint_;
  uv_async_t shutdown_async_;
  uv_timer_t stats_timer_;
  uint64_t last_ops_ = 0;
  int64_t last_ops_ms_ = 0;
  std::atomic<int64_t> inst_ops_{0};

  mutable std::mutex stats_mu_;  // guards baseline_
  StatsSnapshot baseline_;
};

// Registers PING, ECHO, QUIT, HELLO, SELECT, AUTH, CLIENT, INFO, CONFIG, TIME, FLUSHDB,
// FLUSHALL, SHUTDOWN, DEBUG (server/server_family.cc).
void RegisterServerFamily(cmd::CommandRegistry& r);

int64_t NowMs();  // wall clock
int64_t NowUs();  // monotonic

}  // namespace strata::server
