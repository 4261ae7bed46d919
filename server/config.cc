// The directive table and the redis.conf reader.
#include "server/config.h"

#include <unistd.h>

#include <cctype>
#include <fstream>
#include <functional>
#include <sstream>

#include "common/errors.h"
#include "common/format.h"
#include "common/log.h"
#include "common/strutil.h"
#include "storage/limits.h"

namespace strata::server {

struct Config::Row {
  enum Kind { kInt, kMemory, kBool, kString, kEnum };
  std::string name;
  Kind kind;
  bool runtime;                       // CONFIG SET allowed
  std::atomic<int64_t>* num = nullptr;  // kInt / kMemory
  std::atomic<bool>* flag = nullptr;    // kBool
  std::string* str = nullptr;           // kString / kEnum
  int64_t min = 0, max = INT64_MAX;
  std::vector<std::string> choices;     // kEnum
  std::function<bool(const std::string&, std::string*)> check;  // extra validation (strings)
  bool secret = false;                  // never shown by CONFIG GET (mysql-password)

  Row(std::string n, Kind k, bool rt) : name(std::move(n)), kind(k), runtime(rt) {}
};

bool ParseMemory(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  size_t i = 0;
  if (s[0] == '-') i = 1;
  size_t digits_end = i;
  while (digits_end < s.size() && std::isdigit(static_cast<unsigned char>(s[digits_end])))
    ++digits_end;
  if (digits_end == i) return false;
  std::string unit = s.substr(digits_end);
  ToLowerInPlace(unit);
  int64_t mul = 1;
  if (unit.empty() || unit == "b") mul = 1;
  else if (unit == "k") mul = 1000;
  else if (unit == "kb") mul = 1024;
  else if (unit == "m") mul = 1000 * 1000;
  else if (unit == "mb") mul = 1024 * 1024;
  else if (unit == "g") mul = 1000LL * 1000 * 1000;
  else if (unit == "gb") mul = 1024LL * 1024 * 1024;
  else return false;
  int64_t v;
  if (!ParseInt64(s.substr(0, digits_end), &v)) return false;
  if (v != 0 && (v > INT64_MAX / mul || v < INT64_MIN / mul)) return false;
  *out = v * mul;
  return true;
}

bool ParseCpuList(const std::string& s, std::vector<int>* out) {
  out->clear();
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) {
    size_t dash = part.find('-');
    int64_t a, b;
    if (dash == std::string::npos) {
      if (!ParseInt64(part, &a) || a < 0 || a > 4095) return false;
      b = a;
    } else if (!ParseInt64(part.substr(0, dash), &a) || !ParseInt64(part.substr(dash + 1), &b) ||
               a < 0 || b < a || b > 4095) {
      return false;
    }
    for (int64_t c = a; c <= b; ++c) out->push_back(static_cast<int>(c));
  }
  return !out->empty();
}

bool MergeOutputBufferLimits(const std::string& current, std::string* update,
                             std::string* error) {
  // class -> "hard soft seconds", in Redis's order; "replica" is Redis's alias of "slave".
  std::vector<std::pair<std::string, std::vector<int64_t>>> classes = {
      {"normal", {0, 0, 0}}, {"slave", {0, 0, 0}}, {"pubsub", {0, 0, 0}}};
  auto apply = [&](const std::string& text, bool strict) {
    std::istringstream in(text);
    std::vector<std::string> w;
    for (std::string x; in >> x;) w.push_back(x);
    if (w.size() % 4 != 0) return false;
    for (size_t i = 0; i < w.size(); i += 4) {
      std::string cls = w[i];
      ToLowerInPlace(cls);
      if (cls == "replica") cls = "slave";
      int64_t hard, soft, secs;
      if (!ParseMemory(w[i + 1], &hard) || !ParseMemory(w[i + 2], &soft) ||
          !ParseInt64(w[i + 3], &secs) || hard < 0 || soft < 0 || secs < 0)
        return false;
      bool found = false;
      for (auto& [name, v] : classes)
        if (name == cls) v = {hard, soft, secs}, found = true;
      if (!found && strict) return false;
    }
    return true;
  };
  apply(current, false);
  if (!apply(*update, true)) {
    *error = "Wrong number of arguments in buffer limit configuration.";
    return false;
  }
  std::string out;
  for (auto& [name, v] : classes)
    out += Format("%s%s %lld %lld %lld", out.empty() ? "" : " ", name.c_str(),
                  static_cast<long long>(v[0]), static_cast<long long>(v[1]),
                  static_cast<long long>(v[2]));
  *update = out;
  return true;
}

bool SplitConfigLine(const std::string& line, std::vector<std::string>* out) {
  out->clear();
  size_t i = 0, n = line.size();
  while (true) {
    while (i < n && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= n) return true;
    std::string cur;
    char quote = 0;
    if (line[i] == '"' || line[i] == '\'') quote = line[i++];
    for (;; ++i) {
      if (i >= n) {
        if (quote) return false;  // unbalanced quotes
        break;
      }
      char c = line[i];
      if (quote) {
        if (c == '\\' && i + 1 < n && quote == '"') {
          char e = line[++i];
          cur += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
        } else if (c == quote) {
          if (i + 1 < n && !std::isspace(static_cast<unsigned char>(line[i + 1]))) return false;
          ++i;
          break;
        } else {
          cur += c;
        }
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        break;
      } else {
        cur += c;
      }
    }
    out->push_back(std::move(cur));
  }
}

Config::Config() {
  using K = Row::Kind;
  auto num = [&](const char* name, std::atomic<int64_t>* p, bool runtime, int64_t lo, int64_t hi,
                 K kind = K::kInt) {
    Row r{name, kind, runtime};
    r.num = p;
    r.min = lo;
    r.max = hi;
    rows_.push_back(std::move(r));
  };
  auto str = [&](const char* name, std::string* p, bool runtime,
                 std::function<bool(const std::string&, std::string*)> check = nullptr) {
    Row r{name, K::kString, runtime};
    r.str = p;
    r.check = std::move(check);
    rows_.push_back(std::move(r));
  };
  auto enm = [&](const char* name, std::string* p, bool runtime, std::vector<std::string> c) {
    Row r{name, K::kEnum, runtime};
    r.str = p;
    r.choices = std::move(c);
    rows_.push_back(std::move(r));
  };

  num("port", &port, false, 0, 65535);
  str("bind", &bind_, false);
  num("threads", &threads, false, 0, 1024);
  num("shards", &shards, false, 1, 1024);
  num("databases", &databases, false, 1, 100000);
  num("maxclients", &maxclients, true, 1, 1000000);
  num("timeout", &timeout, true, 0, INT32_MAX);
  num("tcp-keepalive", &tcp_keepalive, true, 0, INT32_MAX);
  num("tcp-backlog", &tcp_backlog, false, 0, INT32_MAX);
  num("proto-max-bulk-len", &proto_max_bulk_len, true, 1024 * 1024, INT64_MAX, K::kMemory);
  num("client-query-buffer-limit", &client_query_buffer_limit, true, 1024 * 1024, INT64_MAX,
      K::kMemory);
  num("hz", &hz, true, 1, 500);
  auto yesno = [&](const char* name, std::atomic<bool>* p, bool runtime) {
    Row r{name, K::kBool, runtime};
    r.flag = p;
    rows_.push_back(std::move(r));
  };
  yesno("activerehashing", &activerehashing, true);
  yesno("lazyfree-lazy-eviction", &lazyfree_lazy_eviction, true);
  yesno("lazyfree-lazy-expire", &lazyfree_lazy_expire, true);
  yesno("lazyfree-lazy-server-del", &lazyfree_lazy_server_del, true);
  yesno("lazyfree-lazy-user-del", &lazyfree_lazy_user_del, true);
  yesno("lazyfree-lazy-user-flush", &lazyfree_lazy_user_flush, true);
  num("maxmemory", &maxmemory, true, 0, INT64_MAX, K::kMemory);
  for (const char* n : {"busy-reply-threshold", "lua-time-limit"})  // the old name: an alias
    num(n, &busy_reply_threshold, true, 0, INT64_MAX);
  // Small-collection encodings; the old "ziplist" names are aliases, as in Redis 7.
  storage::EncodingLimits& lim = storage::Limits();
  for (const char* n : {"hash-max-listpack-entries", "hash-max-ziplist-entries"})
    num(n, &lim.hash_max_listpack_entries, true, 0, INT64_MAX);
  for (const char* n : {"hash-max-listpack-value", "hash-max-ziplist-value"})
    num(n, &lim.hash_max_listpack_value, true, 0, INT64_MAX, K::kMemory);
  num("set-max-intset-entries", &lim.set_max_intset_entries, true, 0, INT64_MAX);
  for (const char* n : {"zset-max-listpack-entries", "zset-max-ziplist-entries"})
    num(n, &lim.zset_max_listpack_entries, true, 0, INT64_MAX);
  for (const char* n : {"zset-max-listpack-value", "zset-max-ziplist-value"})
    num(n, &lim.zset_max_listpack_value, true, 0, INT64_MAX, K::kMemory);
  for (const char* n : {"list-max-listpack-size", "list-max-ziplist-size"})
    num(n, &lim.list_max_listpack_size, true, INT32_MIN, INT32_MAX);
  num("list-compress-depth", &lim.list_compress_depth, true, 0, INT32_MAX);
  num("stream-node-max-bytes", &lim.stream_node_max_bytes, true, 0, INT64_MAX, K::kMemory);
  num("stream-node-max-entries", &lim.stream_node_max_entries, true, 0, INT64_MAX);
  str("requirepass", &requirepass_, true);
  str("server-cpus", &server_cpus_, false, [](const std::string& v, std::string* e) {
    std::vector<int> cpus;
    if (v.empty() || ParseCpuList(v, &cpus)) return true;
    *e = "invalid CPU list, expected e.g. 0-3 or 0,2";
    return false;
  });
  enm("maxmemory-policy", &maxmemory_policy_, true,
      {"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
       "volatile-lfu", "volatile-random", "volatile-ttl"});
  str("dir", &dir_, true, [](const std::string& v, std::string* e) {
    if (chdir(v.c_str()) == 0) return true;
    *e = std::string("No such file or directory");
    return false;
  });
  str("logfile", &logfile_, false, [](const std::string& v, std::string* e) {
    if (SetLogFile(v)) return true;
    *e = "Can't open the log file";
    return false;
  });
  enm("loglevel", &loglevel_, true, {"debug", "verbose", "notice", "warning"});
  str("pidfile", &pidfile_, false);
  // Accepted for compatibility. "save" stays empty: there are no RDB snapshots (the WAL and
  // its rewrite are the persistence), and redis-benchmark asks for it at start.
  str("save", &save_, true);
  str("client-output-buffer-limit", &client_output_buffer_limit_, true);
  // The WAL (docs/PERSISTENCE.md). appendonly is chosen at start-up.
  enm("appendonly", &appendonly_, false, {"yes", "no"});
  enm("appendfsync", &appendfsync_, true, {"always", "everysec", "no"});
  str("appenddirname", &appenddirname_, false, [](const std::string& v, std::string* e) {
    if (!v.empty() && v.find('/') == std::string::npos) return true;
    *e = "appenddirname can't be a path, just a directory name";
    return false;
  });
  str("appendfilename", &appendfilename_, false, [](const std::string& v, std::string* e) {
    if (!v.empty() && v.find('/') == std::string::npos) return true;
    *e = "appendfilename can't be a path, just a filename";
    return false;
  });
  enm("aof-load-truncated", &aof_load_truncated_, true, {"yes", "no"});
  enm("wal-load-corrupt", &wal_load_corrupt_, true, {"yes", "no"});
  num("auto-aof-rewrite-percentage", &auto_aof_rewrite_percentage, true, 0, INT32_MAX);
  num("auto-aof-rewrite-min-size", &auto_aof_rewrite_min_size, true, 0, INT64_MAX, K::kMemory);
  num("wal-batch-max", &wal_batch_max, false, 1, 1000000);
  num("wal-batch-max-bytes", &wal_batch_max_bytes, false, 4096, 1LL << 30, K::kMemory);
  num("wal-queue-max", &wal_queue_max, false, 65536, INT64_MAX, K::kMemory);
  num("wal-segment-size", &wal_segment_size, false, 4096, 1LL << 40, K::kMemory);
  num("wal-max-size", &wal_max_size, true, 0, INT64_MAX, K::kMemory);
  // The backing tier (docs/TIERING.md); chosen at start-up.
  enm("backend", &backend_, false, {"none", "sqlite", "mysql"});
  str("sqlite-file", &sqlite_file_, false);
  str("mysql-host", &mysql_host_, false);
  num("mysql-port", &mysql_port, false, 1, 65535);
  str("mysql-socket", &mysql_socket_, false);
  str("mysql-user", &mysql_user_, false);
  str("mysql-password", &mysql_password_, false);
  rows_.back().secret = true;
  str("mysql-database", &mysql_database_, false, [](const std::string& v, std::string* e) {
    for (char c : v)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$')) {
        *e = "mysql-database must be a plain identifier (letters, digits, _ and $)";
        return false;
      }
    if (!v.empty()) return true;
    *e = "mysql-database can't be empty";
    return false;
  });
  num("mysql-pool-size", &mysql_pool_size, false, 1, 1024);
  num("backend-batch-max", &backend_batch_max, false, 1, 10000);
  num("checkpoint-interval", &checkpoint_interval, true, 10, 3600 * 1000);
  num("maxmemory-samples", &maxmemory_samples, true, 1, INT32_MAX);
  num("lfu-log-factor", &lfu_log_factor, true, 0, INT32_MAX);
  num("lfu-decay-time", &lfu_decay_time, true, 0, INT32_MAX);

  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) != nullptr) dir_ = cwd;
}

Config::~Config() = default;

const Config::Row* Config::FindRow(const std::string& name) const {
  for (const Row& r : rows_)
    if (EqualsIgnoreCase(r.name, name)) return &r;
  return nullptr;
}

bool Config::IsKnown(const std::string& name) const { return FindRow(name) != nullptr; }

bool Config::Apply(const Row& row, const std::vector<std::string>& values, bool startup,
                   std::string* error) {
  using K = Row::Kind;
  // "bind" and "save" take several words; everything else exactly one.
  std::string value;
  if (row.name == "bind" || row.name == "save" || row.name == "client-output-buffer-limit") {
    for (size_t i = 0; i < values.size(); ++i) value += (i ? " " : "") + values[i];
  } else if (values.size() != 1) {
    *error = "wrong number of arguments";
    return false;
  } else {
    value = values[0];
  }
  (void)startup;
  switch (row.kind) {
    case K::kInt:
    case K::kMemory: {
      int64_t v;
      bool ok = row.kind == K::kInt ? ParseInt64(value, &v) : ParseMemory(value, &v);
      if (!ok) {
        *error = row.kind == K::kInt ? "argument couldn't be parsed into an integer"
                                     : "argument must be a memory value";
        return false;
      }
      if (v < row.min || v > row.max) {
        *error = Format("argument must be between %lld and %lld inclusive",
                        static_cast<long long>(row.min), static_cast<long long>(row.max));
        return false;
      }
      row.num->store(v);
      if (on_change_) on_change_(row.name);  // maxmemory & co apply at once
      return true;
    }
    case K::kBool: {
      std::string v = value;
      ToLowerInPlace(v);
      if (v != "yes" && v != "no") {
        *error = "argument must be 'yes' or 'no'";
        return false;
      }
      row.flag->store(v == "yes");
      if (on_change_) on_change_(row.name);  // lazyfree-lazy-* reach the keyspace through this
      return true;
    }
    case K::kEnum: {
      std::string v = value;
      ToLowerInPlace(v);
      for (const std::string& c : row.choices) {
        if (c == v) {
          {
            std::lock_guard<std::mutex> lock(mu_);
            *row.str = v;
          }
          if (row.name == "loglevel") {
            LogLevel l;
            if (ParseLogLevel(v, &l)) SetLogLevel(l);
          }
          if (on_change_) on_change_(row.name);  // appendfsync reaches the WAL through this
          return true;
        }
      }
      *error = "argument(s) must be one of the following: ";
      for (size_t i = 0; i < row.choices.size(); ++i) *error += (i ? ", " : "") + row.choices[i];
      return false;
    }
    case K::kString: {
      if (row.check && !row.check(value, error)) return false;
      if (row.name == "client-output-buffer-limit" &&
          !MergeOutputBufferLimits(GetString(row.name), &value, error))
        return false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        *row.str = value;
      }
      if (on_change_) on_change_(row.name);
      return true;
    }
  }
  return false;
}

bool Config::SetAtStartup(const std::string& name, const std::vector<std::string>& values,
                          std::string* error) {
  const Row* row = FindRow(name);
  if (row == nullptr) {
    *error = "Bad directive or wrong number of arguments";
    return false;
  }
  return Apply(*row, values, true, error);
}

bool Config::SetAtRuntime(const std::string& name, const std::string& value, std::string* error) {
  const Row* row = FindRow(name);
  if (row == nullptr) {
    *error = Format(err::kConfigSetUnknown, name.c_str());
    return false;
  }
  std::string why;
  if (!row->runtime) {
    why = "can't set immutable config";
  } else if (Apply(*row, {value}, false, &why)) {
    return true;
  }
  *error = Format(err::kConfigSetFailed, row->name.c_str(), why.c_str());
  return false;
}

std::string Config::Render(const Row& row) const {
  switch (row.kind) {
    case Row::kInt:
    case Row::kMemory:
      return Int64ToString(row.num->load());
    case Row::kBool:
      return row.flag->load() ? "yes" : "no";
    default: {
      std::lock_guard<std::mutex> lock(mu_);
      return *row.str;
    }
  }
}

std::vector<std::pair<std::string, std::string>> Config::Get(const std::string& pattern) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Row& r : rows_) {
    if (r.secret) continue;
    if (GlobMatch(pattern, r.name, true)) out.emplace_back(r.name, Render(r));
  }
  return out;
}

std::string Config::GetString(const std::string& name) const {
  const Row* r = FindRow(name);
  return r ? Render(*r) : std::string();
}

std::string Config::bind() const { std::lock_guard<std::mutex> l(mu_); return bind_; }
std::string Config::requirepass() const { std::lock_guard<std::mutex> l(mu_); return requirepass_; }
std::string Config::server_cpus() const { std::lock_guard<std::mutex> l(mu_); return server_cpus_; }
std::string Config::maxmemory_policy() const {
  std::lock_guard<std::mutex> l(mu_);
  return maxmemory_policy_;
}
std::string Config::dir() const { std::lock_guard<std::mutex> l(mu_); return dir_; }
std::string Config::config_file() const { std::lock_guard<std::mutex> l(mu_); return config_file_; }
void Config::set_config_file(const std::string& f) {
  std::lock_guard<std::mutex> l(mu_);
  config_file_ = f;
}

bool Config::LoadFile(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "Fatal error, can't open config file '" + path + "': No such file or directory";
    return false;
  }
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;  // blank or comment
    std::vector<std::string> words;
    bool ok = SplitConfigLine(line, &words);
    if (ok && words.empty()) continue;
    std::string why = "Unbalanced quotes in configuration line";
    if (ok) {
      std::vector<std::string> values(words.begin() + 1, words.end());
      ok = SetAtStartup(words[0], values, &why);
    }
    if (!ok) {
      *error = Format("*** FATAL CONFIG FILE ERROR ***\nin %s at line %d\n>>> '%s'\n%s",
                      path.c_str(), lineno, line.c_str(), why.c_str());
      return false;
    }
  }
  set_config_file(path);
  return true;
}

bool Config::LoadArgs(const std::vector<std::string>& args, std::string* error) {
  size_t i = 0;
  while (i < args.size()) {
    const std::string& a = args[i];
    if (a.size() < 3 || a.compare(0, 2, "--") != 0) {
      *error = "*** FATAL CONFIG ERROR ***\nexpected --directive, got '" + a + "'";
      return false;
    }
    std::string name = a.substr(2);
    std::vector<std::string> values;
    for (++i; i < args.size() && args[i].compare(0, 2, "--") != 0; ++i) values.push_back(args[i]);
    // "--save ''" style: an empty value list means the empty string.
    if (values.empty()) values.push_back("");
    std::string why;
    if (!SetAtStartup(name, values, &why)) {
      *error = "*** FATAL CONFIG ERROR ***\n>>> '--" + name + "'\n" + why;
      return false;
    }
  }
  return true;
}

}  // namespace strata::server
