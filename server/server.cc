// Server start-up, shutdown, and the cross-worker views (stats, INFO, CLIENT LIST/KILL).
#include "server/server.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/errors.h"
#include "common/format.h"
#include "common/log.h"
#include "common/memory.h"
#include "common/strutil.h"
#include "server/connection.h"
#include "server/persistence.h"
#include "server/tiering.h"
#include "server/pubsub.h"
#include "server/scripting.h"
#include "server/worker.h"

namespace strata::server {

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

Server::Server(Config* config) : config_(config) {
  keyspace_ = std::make_unique<storage::Keyspace>(config->databases.load(), config->shards.load());
  cmd::RegisterDataFamilies(registry_);
  RegisterServerFamily(registry_);
  RegisterPubSubFamily(registry_);
  RegisterTransactionFamily(registry_);
  RegisterScriptFamily(registry_);
  pubsub_ = std::make_unique<PubSub>(this);
  evictor_ = std::make_unique<storage::Evictor>(*keyspace_);
  auto apply_limits = [this](const std::string& name) {
    if (name != "client-output-buffer-limit") return;
    std::istringstream in(config_->GetString(name));
    std::string cls, hard, soft, secs;
    while (in >> cls >> hard >> soft >> secs) {
      if (cls != "pubsub") continue;
      OutputLimit l;
      l.hard = std::stoull(hard);
      l.soft = std::stoull(soft);
      l.soft_seconds = std::stoll(secs);
      pubsub_->SetOutputLimit(l);
    }
  };
  apply_limits("client-output-buffer-limit");
  auto apply_lazyfree = [this] {
    storage::LazyFree& lf = keyspace_->lazyfree();
    lf.set_lazy(storage::LazyFree::kEviction, config_->lazyfree_lazy_eviction.load());
    lf.set_lazy(storage::LazyFree::kExpire, config_->lazyfree_lazy_expire.load());
    lf.set_lazy(storage::LazyFree::kServerDel, config_->lazyfree_lazy_server_del.load());
    lf.set_lazy(storage::LazyFree::kUserDel, config_->lazyfree_lazy_user_del.load());
  };
  apply_lazyfree();
  config_->set_on_change([this, apply_limits, apply_lazyfree](const std::string& name) {
    apply_limits(name);
    if (name.compare(0, 9, "lazyfree-") == 0) apply_lazyfree();
    wal::FsyncPolicy pol;
    if (name == "appendfsync" && persistence_ &&
        wal::ParseFsyncPolicy(config_->GetString(name), &pol))
      persistence_->wal().set_policy(pol);
    // CONFIG SET maxmemory, maxmemory-policy, lfu-*: the next command already sees them.
    if (name.compare(0, 9, "maxmemory") == 0 || name.compare(0, 4, "lfu-") == 0)
      RefreshEviction(NowMs());
  });
  baseline_.calls.assign(registry_.num_ids(), 0);
  baseline_.usec = baseline_.rejected = baseline_.failed = baseline_.calls;
}

Server::~Server() = default;

bool Server::StartPersistence() {
  std::string error;
  if (config_->GetString("backend") != "none") {
    // The backing tier needs the WAL: it is what makes a write durable before its checkpoint.
    if (config_->GetString("appendonly") != "yes") {
      Log(LogLevel::kNotice, "backend %s needs the write-ahead log: appendonly yes",
          config_->GetString("backend").c_str());
      config_->LoadArgs({"--appendonly", "yes"}, &error);
    }
    // Read-through jobs run on libuv's threadpool, one pooled connection each; the pool is
    // sized before its first use.
    setenv("UV_THREADPOOL_SIZE", std::to_string(config_->mysql_pool_size.load()).c_str(), 1);
    tiering_ = std::make_unique<Tiering>(config_, keyspace_.get());
    if (!tiering_->Open(&error)) {
      Log(LogLevel::kWarning, "Can't open the %s backend: %s",
          config_->GetString("backend").c_str(), error.c_str());
      return false;
    }
  }
  if (config_->GetString("appendonly") != "yes") return true;
  wal::Options o;
  o.dir = config_->dir() + "/" + config_->GetString("appenddirname");
  o.prefix = config_->GetString("appendfilename");
  wal::ParseFsyncPolicy(config_->GetString("appendfsync"), &o.fsync);
  o.batch_max_records = static_cast<size_t>(config_->wal_batch_max.load());
  o.batch_max_bytes = static_cast<size_t>(config_->wal_batch_max_bytes.load());
  o.queue_max_bytes = static_cast<size_t>(config_->wal_queue_max.load());
  o.segment_size = static_cast<uint64_t>(config_->wal_segment_size.load());
  o.load_truncated = config_->GetString("aof-load-truncated") == "yes";
  o.load_corrupt = config_->GetString("wal-load-corrupt") == "yes";
  persistence_ = std::make_unique<Persistence>(this, o);
  if (!persistence_->Load(&error)) {
    Log(LogLevel::kWarning, "Can't load the append only file: %s", error.c_str());
    return false;
  }
  return true;
}

void Server::OnClientClosed(Connection& c) {
  if (c.client().subscriptions > 0) pubsub_->OnClientClosed(c);
}

bool Server::Start() {
  start_ms_ = NowMs();
  int64_t nthreads = config_->threads.load();
  if (nthreads <= 0) nthreads = std::max(1u, std::thread::hardware_concurrency());
  config_->threads = nthreads;

  std::vector<std::string> addrs;
  std::istringstream words(config_->bind());
  for (std::string w; words >> w;) addrs.push_back(w);
  std::vector<int> cpus;
  if (!config_->server_cpus().empty()) ParseCpuList(config_->server_cpus(), &cpus);

  // Refuse a port another process listens on before anything else, the WAL included (a second
  // server started by mistake on the same directory must not touch it).
  int port = static_cast<int>(config_->port.load());
  std::string claim_error;
  if (!port_claim_.Claim(addrs, port, &claim_error)) {
    Log(LogLevel::kWarning, "Warning: %s", claim_error.c_str());
    Log(LogLevel::kWarning, "Failed listening on port %d (TCP), aborting.", port);
    return false;
  }

  RefreshEviction(NowMs());  // the policy, clocks and memory figure before the first command
  // FUNCTION LOAD's libraries, before the WAL replays (nothing in it needs them; clients will).
  functions_.SetFile("functions.lua");  // in `dir`, the working directory (as Redis)
  {
    LuaEngine engine(this);
    std::string error;
    if (!functions_.Load(engine, &error)) {
      Log(LogLevel::kWarning, "Functions: %s", error.c_str());
      return false;
    }
    if (functions_.num_libraries() > 0)
      Log(LogLevel::kNotice, "Functions: %zu libraries loaded", functions_.num_libraries());
  }
  if (!StartPersistence()) return false;
  RefreshUsedMemory();

  for (int i = 0; i < nthreads; ++i) {
    auto w = std::make_unique<Worker>(this, i);
    std::string error;
    if (!w->Bind(addrs, &port, static_cast<int>(config_->tcp_backlog.load()), &error)) {
      Log(LogLevel::kWarning, "%s", error.c_str());
      Log(LogLevel::kWarning, "Failed listening on port %d (TCP), aborting.", port);
      return false;
    }
    workers_.push_back(std::move(w));
  }
  config_->port = port;
  if (persistence_) {
    std::string error;
    auto wake = [this] {
      for (auto& w : workers_) w->NotifyWal();
    };
    persistence_->wal().set_loop_kicks(true);
    if (!persistence_->Start(wake, &error)) {
      Log(LogLevel::kWarning, "Can't open the append only file: %s", error.c_str());
      return false;
    }
    if (tiering_) tiering_->Start(&persistence_->wal());
  }

  uv_loop_init(&loop_);
  uv_signal_init(&loop_, &sigterm_);
  uv_signal_init(&loop_, &sigint_);
  sigterm_.data = sigint_.data = this;
  uv_signal_start(&sigterm_, OnSignal, SIGTERM);
  uv_signal_start(&sigint_, OnSignal, SIGINT);
  signal(SIGPIPE, SIG_IGN);
  uv_async_init(&loop_, &shutdown_async_, OnShutdownAsync);
  shutdown_async_.data = this;
  uv_timer_init(&loop_, &stats_timer_);
  stats_timer_.data = this;
  uv_timer_start(&stats_timer_, OnStatsTimer, 100, 100);

  for (size_t i = 0; i < workers_.size(); ++i)
    workers_[i]->Start(cpus.empty() ? -1 : cpus[i % cpus.size()]);
  Log(LogLevel::kNotice, "strata started: port %d, %lld worker thread(s), %lld shards, %lld databases",
      port, static_cast<long long>(nthreads), static_cast<long long>(config_->shards.load()),
      static_cast<long long>(config_->databases.load()));
  Log(LogLevel::kNotice, "Ready to accept connections");
  return true;
}

void Server::Run() {
  uv_run(&loop_, UV_RUN_DEFAULT);
  for (auto& w : workers_) w->Join();
  if (tiering_) tiering_->Stop();  // a last checkpoint
  if (persistence_) persistence_->Stop();  // writes and syncs what is queued
  uv_loop_close(&loop_);
  Log(LogLevel::kNotice, "strata is now ready to exit, bye bye...");
}

Server::MemoryVerdict Server::CheckMemory() {
  const int64_t max = config_->maxmemory.load(std::memory_order_relaxed);
  if (max <= 0) return MemoryVerdict::kOk;
  size_t used = UsedMemoryEstimate();
  if (used <= static_cast<size_t>(max)) return MemoryVerdict::kOk;
  // Over by the estimate: take the exact figure (microseconds; only when over).
  used = RefreshUsedMemory();
  if (used <= static_cast<size_t>(max)) return MemoryVerdict::kOk;
  auto policy = static_cast<storage::EvictionPolicy>(policy_.load(std::memory_order_relaxed));
  size_t over = used - static_cast<size_t>(max);
  size_t freed = 0;
  if (policy != storage::EvictionPolicy::kNoEviction) {
    storage::EvictFilter clean;
    if (tiering_) {  // only keys whose value the backend has
      Tiering* t = tiering_.get();
      clean = [t](const storage::Entry& e) { return t->Clean(e); };
    }
    // At most ~1,000 keys (a few ms) per command, like Redis's eviction time limit: the next
    // command goes on where this one stopped.
    freed = evictor_->EvictBytes(over, 1024, policy,
                                 static_cast<size_t>(config_->maxmemory_samples.load()), clean,
                                 nullptr);
  }
  if (freed > 0) return MemoryVerdict::kOk;  // under the limit, or on the way there
  // Nothing evictable. With a backend and writes not yet checkpointed, a checkpoint will make
  // keys clean: wait for it. Otherwise refuse, as Redis does.
  // A running pass counts too: its copies are memory that goes when it returns (it has already
  // moved checkpoint_lsn then), so -OOM there would refuse a write for a few milliseconds.
  if (tiering_ && policy != storage::EvictionPolicy::kNoEviction &&
      ((persistence_ != nullptr &&
        persistence_->wal().last_lsn() > tiering_->checkpoint_lsn()) ||
       tiering_->pass_running())) {
    tiering_->Kick();
    return MemoryVerdict::kWait;
  }
  return MemoryVerdict::kOom;
}

void Server::RefreshEviction(int64_t now_ms) {
  storage::SetAccessClock(now_ms);
  storage::EvictionPolicy pol = storage::EvictionPolicy::kNoEviction;
  storage::ParseEvictionPolicy(config_->maxmemory_policy(), &pol);
  policy_.store(static_cast<int>(pol), std::memory_order_relaxed);
  storage::SetLfuMode(storage::IsLfuPolicy(pol));
  storage::SetLfuParams(static_cast<int>(config_->lfu_log_factor.load()),
                        static_cast<int>(config_->lfu_decay_time.load()));
  if (config_->maxmemory.load() > 0) RefreshUsedMemory();
}

uint64_t Server::evicted_keys() const {
  return evictor_->evicted_keys() - evicted_baseline_.load();  // since CONFIG RESETSTAT
}

void Server::RequestShutdown() { uv_async_send(&shutdown_async_); }

uint8_t Server::BusyScript() const {
  for (const auto& w : workers_) {
    uint8_t st = w->dispatcher().script_watch().state.load(std::memory_order_acquire);
    if (st & ScriptWatch::kBusy) return st;
  }
  return 0;
}

int Server::KillBusyScripts(bool evals, bool functions, const char** refusal) {
  int killed = 0;
  *refusal = nullptr;
  for (const auto& w : workers_) {
    std::atomic<uint8_t>& state = w->dispatcher().script_watch().state;
    uint8_t st = state.load(std::memory_order_acquire);
    while ((st & ScriptWatch::kBusy) && !(st & ScriptWatch::kKilled)) {
      const bool function = st & ScriptWatch::kFunction;
      const char* why = nullptr;
      if (st & ScriptWatch::kWrote)
        why = err::kUnkillable;
      else if (function ? !functions : !evals)
        why = BusyError(function);  // FUNCTION KILL of an EVAL, SCRIPT KILL of a function
      if (why != nullptr) {
        if (*refusal == nullptr) *refusal = why;
        break;
      }
      if (state.compare_exchange_weak(st, st | ScriptWatch::kKilled, std::memory_order_acq_rel)) {
        ++killed;
        break;
      }
    }
  }
  return killed;
}

void Server::ExitNow() {
  Log(LogLevel::kWarning,
      "SHUTDOWN NOSAVE while a script that wrote runs: exiting now without its writes");
  if (persistence_) persistence_->wal().Stop();  // what is queued: written and synced
  Log(LogLevel::kNotice, "strata is now ready to exit, bye bye...");
  _exit(0);
}

void Server::OnSignal(uv_signal_t* h, int signum) {
  Log(LogLevel::kWarning, "Received %s scheduling shutdown...",
      signum == SIGINT ? "SIGINT" : "SIGTERM");
  static_cast<Server*>(h->data)->RequestShutdown();
}

void Server::OnShutdownAsync(uv_async_t* h) {
  auto* s = static_cast<Server*>(h->data);
  Log(LogLevel::kWarning, "User requested shutdown...");
  for (auto& w : s->workers_) w->Stop();
  uv_close(reinterpret_cast<uv_handle_t*>(&s->sigterm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&s->sigint_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&s->shutdown_async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&s->stats_timer_), nullptr);
}

// instantaneous_ops_per_sec: like Redis, ops over the last sample period.
void Server::OnStatsTimer(uv_timer_t* h) {
  auto* s = static_cast<Server*>(h->data);
  uint64_t ops = 0;
  for (auto& w : s->workers_) ops += w->commands_processed.load(std::memory_order_relaxed);
  int64_t now = NowMs();
  if (s->last_ops_ms_ > 0 && now > s->last_ops_ms_)
    s->inst_ops_ = static_cast<int64_t>((ops - s->last_ops_) * 1000 / (now - s->last_ops_ms_));
  s->last_ops_ = ops;
  s->last_ops_ms_ = now;
  s->RefreshEviction(now);
  if (s->tiering_) s->tiering_->Cron();
  if (s->persistence_ && !s->tiering_)  // with a backend, checkpoints keep the log short
    s->persistence_->Cron(s->config_->auto_aof_rewrite_percentage.load(),
                          s->config_->auto_aof_rewrite_min_size.load());
}

StatsSnapshot Server::RawStats() const {
  StatsSnapshot s;
  size_t n = registry_.num_ids();
  s.calls.assign(n, 0);
  s.usec = s.rejected = s.failed = s.calls;
  for (auto& w : workers_) {
    s.connections_received += w->connections_received.load();
    s.commands_processed += w->commands_processed.load();
    s.net_input += w->net_input.load();
    s.net_output += w->net_output.load();
    s.rejected_connections += w->rejected_connections.load();
    s.error_replies += w->error_replies.load();
    for (size_t i = 0; i < n; ++i) {
      s.calls[i] += w->cmd_stats[i].calls.load();
      s.usec[i] += w->cmd_stats[i].usec.load();
      s.rejected[i] += w->cmd_stats[i].rejected.load();
      s.failed[i] += w->cmd_stats[i].failed.load();
    }
  }
  return s;
}

StatsSnapshot Server::CollectStats() const {
  StatsSnapshot s = RawStats();
  std::lock_guard<std::mutex> lock(stats_mu_);
  const StatsSnapshot& b = baseline_;
  s.connections_received -= b.connections_received;
  s.commands_processed -= b.commands_processed;
  s.net_input -= b.net_input;
  s.net_output -= b.net_output;
  s.rejected_connections -= b.rejected_connections;
  s.error_replies -= b.error_replies;
  for (size_t i = 0; i < s.calls.size(); ++i) {
    s.calls[i] -= b.calls[i];
    s.usec[i] -= b.usec[i];
    s.rejected[i] -= b.rejected[i];
    s.failed[i] -= b.failed[i];
  }
  return s;
}

void Server::ResetStats() {
  StatsSnapshot now = RawStats();
  std::lock_guard<std::mutex> lock(stats_mu_);
  baseline_ = std::move(now);
  evicted_baseline_.store(evictor_->evicted_keys());
}

namespace {
// One CLIENT LIST line (without the trailing newline). Caller holds the connection's worker's
// clients_mu (name); the other fields are atomics the owning loop writes.
std::string DescribeClient(const Connection& c, const cmd::CommandRegistry& reg, int64_t now_ms) {
  uint32_t cmd_id = c.last_cmd_id.load(std::memory_order_relaxed);
  std::string cmd = "NULL";
  for (const cmd::CommandSpec* s : reg.all()) {
    if (s->id == cmd_id) cmd = s->name;
    for (const auto& sub : s->subcommands)
      if (sub.id == cmd_id) cmd = sub.name;
  }
  size_t q = c.qbuf.load(std::memory_order_relaxed);
  size_t o = c.omem.load(std::memory_order_relaxed);
  int sub = c.sub.load(), psub = c.psub.load(), ssub = c.ssub.load();
  return Format(
      "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%d psub=%d "
      "ssub=%d multi=-1 qbuf=%zu qbuf-free=0 argv-mem=0 multi-mem=0 rbs=%zu rbp=0 obl=0 oll=0 "
      "omem=%zu tot-mem=%zu events=r cmd=%s user=default redir=-1 resp=%d",
      static_cast<unsigned long long>(c.id), c.addr.c_str(), c.laddr.c_str(), c.fd,
      c.name.c_str(), static_cast<long long>((now_ms - c.created_ms) / 1000),
      static_cast<long long>((now_ms - c.last_interaction_ms.load()) / 1000),
      sub + psub + ssub > 0 ? "P" : "N", c.db.load(), sub, psub, ssub, q,
      std::max<size_t>(q, Connection::kReadChunk), o, q + o + sizeof(Connection), cmd.c_str(),
      c.resp.load());
}
}  // namespace

std::string Server::ClientList(uint64_t only_id, const std::string& type_filter) {
  // Only "normal" clients exist so far; other types list nothing.
  if (!type_filter.empty() && !EqualsIgnoreCase(type_filter, "normal")) return "";
  std::string out;
  int64_t now = NowMs();
  for (auto& w : workers_) {
    std::lock_guard<std::mutex> lock(w->clients_mu);
    for (Connection* c : w->clients) {
      if (only_id != 0 && c->id != only_id) continue;
      out += DescribeClient(*c, registry_, now);
      out += '\n';
    }
  }
  return out;
}

int Server::KillClients(const KillFilter& f) {
  int killed = 0;
  for (auto& w : workers_) {
    bool any = false;
    {
      std::lock_guard<std::mutex> lock(w->clients_mu);
      for (Connection* c : w->clients) {
        if (f.id != 0 && c->id != f.id) continue;
        if (!f.addr.empty() && c->addr != f.addr) continue;
        if (!f.laddr.empty() && c->laddr != f.laddr) continue;
        if (f.skip_id != 0 && c->id == f.skip_id) continue;
        c->kill_requested = true;
        ++killed;
        any = true;
      }
    }
    if (any) w->Wake();
  }
  return killed;
}

namespace {
std::string HumanBytes(uint64_t n) {
  const char* units[] = {"B", "K", "M", "G", "T"};
  double d = static_cast<double>(n);
  int u = 0;
  while (d >= 1024 && u < 4) {
    d /= 1024;
    ++u;
  }
  return u == 0 ? Format("%lluB", static_cast<unsigned long long>(n)) : Format("%.2f%s", d, units[u]);
}

}  // namespace

std::string Server::Info(const std::string& section_in, const storage::LockSet* held) {
  std::string section = section_in;
  ToLowerInPlace(section);
  bool all = section == "all" || section == "everything";
  bool dflt = section.empty() || section == "default";
  auto want = [&](const char* name, bool in_default = true) {
    return all || (dflt && in_default) || section == name;
  };
  std::string out;
  auto line = [&](const std::string& s) { out += s + "\r\n"; };
  int64_t now = NowMs();
  StatsSnapshot st = CollectStats();

  if (want("server")) {
    struct utsname u;
    uname(&u);
    int64_t up = (now - start_ms_) / 1000;
    line("# Server");
    line("redis_version:7.0.15");
    line("strata_version:0.1.0");
    line("redis_mode:standalone");
    line(Format("os:%s %s %s", u.sysname, u.release, u.machine));
    line("arch_bits:64");
    line("multiplexing_api:epoll");
    line(Format("process_id:%d", static_cast<int>(getpid())));
    line(Format("tcp_port:%lld", static_cast<long long>(config_->port.load())));
    line(Format("server_time_usec:%lld", static_cast<long long>(now) * 1000));
    line(Format("uptime_in_seconds:%lld", static_cast<long long>(up)));
    line(Format("uptime_in_days:%lld", static_cast<long long>(up / 86400)));
    line(Format("hz:%lld", static_cast<long long>(config_->hz.load())));
    line(Format("worker_threads:%zu", workers_.size()));
    line(Format("shards:%zu", keyspace_->num_shards()));
    line(Format("config_file:%s", config_->config_file().c_str()));
    out += "\r\n";
  }
  if (want("clients")) {
    line("# Clients");
    line(Format("connected_clients:%lld", static_cast<long long>(connected_clients_.load())));
    line(Format("maxclients:%lld", static_cast<long long>(config_->maxclients.load())));
    line(Format("blocked_clients:%zu", blocking_.blocked_clients()));
    out += "\r\n";
  }
  if (want("memory")) {
    MemoryStats ms = ReadMemoryStats();
    uint64_t used = ms.allocated, rss = RssBytes();
    line("# Memory");
    line(Format("used_memory:%llu", static_cast<unsigned long long>(used)));
    line("used_memory_human:" + HumanBytes(used));
    line(Format("used_memory_rss:%llu", static_cast<unsigned long long>(rss)));
    line("used_memory_rss_human:" + HumanBytes(rss));
    line(Format("maxmemory:%lld", static_cast<long long>(config_->maxmemory.load())));
    line("maxmemory_human:" + HumanBytes(static_cast<uint64_t>(config_->maxmemory.load())));
    line("maxmemory_policy:" + config_->maxmemory_policy());
    line(Format("allocator_allocated:%zu", ms.allocated));
    line(Format("allocator_active:%zu", ms.active));
    line(Format("allocator_resident:%zu", ms.resident));
    line(Format("mem_fragmentation_ratio:%.2f", used > 0 ? static_cast<double>(rss) / used : 0.0));
    line("mem_allocator:" + AllocatorVersion());
    line(Format("lazyfree_pending_objects:%llu",
                static_cast<unsigned long long>(keyspace_->lazyfree().pending())));
    line(Format("lazyfreed_objects:%llu",  // (in Memory, as Redis 7.0 has it)
                static_cast<unsigned long long>(keyspace_->lazyfree().freed())));
    // Scripting: one Lua interpreter per thread serves EVAL and FCALL alike, so the "eval" VM
    // figure is all of it and the "functions" VM figure 0 (Redis keeps two VMs).
    const uint64_t vm = static_cast<uint64_t>(std::max<int64_t>(0, scripts_.lua_bytes()));
    const uint64_t eval_bytes = scripts_.body_bytes(), fn_bytes = functions_.code_bytes();
    line(Format("used_memory_lua:%llu", static_cast<unsigned long long>(vm)));
    line(Format("used_memory_vm_eval:%llu", static_cast<unsigned long long>(vm)));
    line("used_memory_lua_human:" + HumanBytes(vm));
    line(Format("used_memory_scripts_eval:%llu", static_cast<unsigned long long>(eval_bytes)));
    line(Format("number_of_cached_scripts:%zu", scripts_.size()));
    line(Format("number_of_functions:%zu", functions_.num_functions()));
    line(Format("number_of_libraries:%zu", functions_.num_libraries()));
    line("used_memory_vm_functions:0");
    line(Format("used_memory_vm_total:%llu", static_cast<unsigned long long>(vm)));
    line("used_memory_vm_total_human:" + HumanBytes(vm));
    line(Format("used_memory_functions:%llu", static_cast<unsigned long long>(fn_bytes)));
    line(Format("used_memory_scripts:%llu",
                static_cast<unsigned long long>(eval_bytes + fn_bytes)));
    line("used_memory_scripts_human:" + HumanBytes(eval_bytes + fn_bytes));
    out += "\r\n";
  }
  if (want("persistence")) {
    line("# Persistence");
    line("loading:0");
    line("async_loading:0");
    line("rdb_bgsave_in_progress:0");
    line("rdb_changes_since_last_save:0");
    line("rdb_last_bgsave_status:ok");
    if (persistence_) {
      out += persistence_->Info();
    } else {
      line("aof_enabled:0");
      line("aof_rewrite_in_progress:0");
      line("aof_last_write_status:ok");
    }
    out += "\r\n";
  }
  if (tiering_ && want("backend")) {
    line("# Backend");
    out += tiering_->Info(held);
    out += "\r\n";
  }
  if (want("stats")) {
    line("# Stats");
    line(Format("total_connections_received:%llu",
                static_cast<unsigned long long>(st.connections_received)));
    line(Format("total_commands_processed:%llu",
                static_cast<unsigned long long>(st.commands_processed)));
    line(Format("instantaneous_ops_per_sec:%lld", static_cast<long long>(inst_ops_.load())));
    line(Format("total_net_input_bytes:%llu", static_cast<unsigned long long>(st.net_input)));
    line(Format("total_net_output_bytes:%llu", static_cast<unsigned long long>(st.net_output)));
    line(Format("rejected_connections:%llu",
                static_cast<unsigned long long>(st.rejected_connections)));
    line(Format("expired_keys:%llu", static_cast<unsigned long long>(keyspace_->ExpiredKeys(held))));
    line(Format("evicted_keys:%llu", static_cast<unsigned long long>(evicted_keys())));
    line(Format("total_error_replies:%llu", static_cast<unsigned long long>(st.error_replies)));
    line(Format("pubsub_channels:%zu", pubsub_->registry().Count(SubKind::kChannel)));
    line(Format("pubsub_patterns:%zu", pubsub_->registry().Count(SubKind::kPattern)));
    out += "\r\n";
  }
  if (want("cpu")) {
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
    line("# CPU");
    line(Format("used_cpu_sys:%.6f", secs(self.ru_stime)));
    line(Format("used_cpu_user:%.6f", secs(self.ru_utime)));
    out += "\r\n";
  }
  if (want("commandstats", false)) {
    line("# Commandstats");
    auto emit = [&](const cmd::CommandSpec& s) {
      uint64_t calls = st.calls[s.id], usec = st.usec[s.id];
      if (calls == 0 && st.rejected[s.id] == 0 && st.failed[s.id] == 0) return;
      line(Format("cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
                  "failed_calls=%llu",
                  s.name.c_str(), static_cast<unsigned long long>(calls),
                  static_cast<unsigned long long>(usec),
                  calls ? static_cast<double>(usec) / calls : 0.0,
                  static_cast<unsigned long long>(st.rejected[s.id]),
                  static_cast<unsigned long long>(st.failed[s.id])));
    };
    for (const cmd::CommandSpec* s : registry_.all()) {
      emit(*s);
      for (const auto& sub : s->subcommands) emit(sub);
    }
    out += "\r\n";
  }
  if (want("keyspace")) {
    line("# Keyspace");
    for (size_t d = 0; d < keyspace_->num_dbs(); ++d) {
      size_t keys = keyspace_->db(d).Size(held);
      if (keys == 0) continue;
      line(Format("db%zu:keys=%zu,expires=%zu,avg_ttl=0", d, keys, keyspace_->db(d).VolatileSize(held)));
    }
    out += "\r\n";
  }
  // Redis ends the text without the blank line of the last section.
  while (out.size() >= 2 && out.compare(out.size() - 2, 2, "\r\n") == 0 &&
         out.size() >= 4 && out.compare(out.size() - 4, 4, "\r\n\r\n") == 0)
    out.resize(out.size() - 2);
  return out;
}

}  // namespace strata::server
