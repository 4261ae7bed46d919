// Server configuration: redis.conf syntax, --directive overrides, CONFIG GET/SET.
//
// Every directive is one row in a table (config.cc): name, kind, default, whether CONFIG SET may
// change it at runtime. Values that hot paths read (limits, timeouts) are atomics, so worker
// threads read them without a lock while CONFIG SET runs on another thread; strings are guarded
// by mu_. Names follow Redis wherever Redis has the concept.
#pragma once

#include <atomic>
#include <functional>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace strata::server {

class Config {
 public:
  Config();
  ~Config();

  // Loads a redis.conf-style file. On error returns false with a message naming file and line.
  bool LoadFile(const std::string& path, std::string* error);
  // Applies "--name value [value...]" arguments (after the optional config file).
  bool LoadArgs(const std::vector<std::string>& args, std::string* error);
  // Applies one directive at start-up (immutable ones allowed). Error text without "ERR ".
  bool SetAtStartup(const std::string& name, const std::vector<std::string>& values,
                    std::string* error);

  // CONFIG SET: runtime-mutable directives only; errors in Redis 7.0's words (whole line).
  bool SetAtRuntime(const std::string& name, const std::string& value, std::string* error);
  // CONFIG GET pattern: (name, value) pairs whose name matches the glob (case-insensitive).
  std::vector<std::pair<std::string, std::string>> Get(const std::string& pattern) const;
  bool IsKnown(const std::string& name) const;
  std::string GetString(const std::string& name) const;

  // Hot values.
  std::atomic<int64_t> port{6379};
  std::atomic<int64_t> threads{0};  // 0: number of cores, resolved at start-up
  std::atomic<int64_t> shards{16};
  std::atomic<int64_t> databases{16};
  std::atomic<int64_t> maxclients{10000};
  std::atomic<int64_t> timeout{0};         // idle client timeout, seconds; 0 = never
  std::atomic<int64_t> tcp_keepalive{300};  // seconds; 0 = off
  std::atomic<int64_t> tcp_backlog{511};
  std::atomic<int64_t> proto_max_bulk_len{512LL * 1024 * 1024};
  std::atomic<int64_t> client_query_buffer_limit{1024LL * 1024 * 1024};
  std::atomic<int64_t> hz{10};
  std::atomic<int64_t> maxmemory{0};
  std::atomic<bool> active_expire{true};  // DEBUG SET-ACTIVE-EXPIRE
  std::atomic<bool> activerehashing{true};  // the cron advances the shards' resizes
  // storage/lazyfree.h: which deletions free a big value on the freeing thread.
  std::atomic<bool> lazyfree_lazy_eviction{false};
  std::atomic<bool> lazyfree_lazy_expire{false};
  std::atomic<bool> lazyfree_lazy_server_del{false};
  std::atomic<bool> lazyfree_lazy_user_del{false};
  std::atomic<bool> lazyfree_lazy_user_flush{false};
  // A script running longer is busy: -BUSY for what it holds, SCRIPT KILL (milliseconds).
  std::atomic<int64_t> busy_reply_threshold{5000};
  // WAL (server/persistence.h); the wal-* ones are read at start-up.
  std::atomic<int64_t> auto_aof_rewrite_percentage{100};
  std::atomic<int64_t> auto_aof_rewrite_min_size{64LL << 20};
  std::atomic<int64_t> wal_batch_max{100};
  std::atomic<int64_t> wal_batch_max_bytes{4LL << 20};
  std::atomic<int64_t> wal_queue_max{64LL << 20};
  std::atomic<int64_t> wal_segment_size{64LL << 20};
  std::atomic<int64_t> wal_max_size{1LL << 30};  // with a backend: refuse writes beyond it
  // Backing tier (server/tiering.h) and eviction.
  std::atomic<int64_t> mysql_port{3306};
  std::atomic<int64_t> mysql_pool_size{20};
  std::atomic<int64_t> backend_batch_max{1000};
  std::atomic<int64_t> checkpoint_interval{1000};  // milliseconds
  std::atomic<int64_t> maxmemory_samples{5};
  std::atomic<int64_t> lfu_log_factor{10};
  std::atomic<int64_t> lfu_decay_time{1};

  // Strings (read with Copy*, under mu_).
  std::string bind() const;
  std::string requirepass() const;
  std::string server_cpus() const;
  std::string maxmemory_policy() const;
  std::string dir() const;
  std::string config_file() const;
  // Called (on the setting thread) after a string directive changed; Server uses it to apply
  // client-output-buffer-limit to pub/sub.
  void set_on_change(std::function<void(const std::string&)> fn) { on_change_ = std::move(fn); }
  void set_config_file(const std::string& f);

 private:
  struct Row;
  const Row* FindRow(const std::string& name) const;
  bool Apply(const Row& row, const std::vector<std::string>& values, bool startup,
             std::string* error);
  std::string Render(const Row& row) const;

  mutable std::mutex mu_;
  std::string bind_ = "127.0.0.1 -::1";
  std::string requirepass_;
  std::string server_cpus_;
  std::string maxmemory_policy_ = "noeviction";
  std::string dir_;
  std::string logfile_;
  std::string loglevel_ = "notice";
  std::string save_;
  std::string appendonly_ = "no";
  std::string appendfsync_ = "everysec";
  std::string appenddirname_ = "appendonlydir";
  std::string appendfilename_ = "appendonly.aof";
  std::string aof_load_truncated_ = "yes";
  std::string wal_load_corrupt_ = "no";
  std::string pidfile_;
  std::string config_file_;
  std::string backend_ = "none";
  std::string sqlite_file_ = "strata.sqlite";
  std::string mysql_host_ = "127.0.0.1";
  std::string mysql_socket_;
  std::string mysql_user_ = "root";
  std::string mysql_password_;
  std::string mysql_database_ = "strata";
  std::string client_output_buffer_limit_ =
      "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
  std::function<void(const std::string&)> on_change_;
  std::vector<Row> rows_;
};

// Parses Redis memory units: "1gb" (1024^3), "1g" (1000^3), "100mb", "10k", plain bytes.
bool ParseMemory(const std::string& s, int64_t* out);
// "0-3,6" -> {0,1,2,3,6}. False on bad syntax.
bool ParseCpuList(const std::string& s, std::vector<int>* out);
// client-output-buffer-limit: applies "class hard soft seconds ..." over `current` and writes
// the full normalized value (all classes, bytes) to *update. False on bad input.
bool MergeOutputBufferLimits(const std::string& current, std::string* update, std::string* error);
// Splits a config line like Redis's sdssplitargs (quotes allowed). False on unbalanced quotes.
bool SplitConfigLine(const std::string& line, std::vector<std::string>* out);

}  // namespace strata::server
