// Connection and server commands: PING ECHO QUIT HELLO SELECT AUTH CLIENT INFO CONFIG TIME
// FLUSHDB FLUSHALL SHUTDOWN DEBUG. They need the running Server (clients, config, stats), which
// is why they live here and not in commands/.
#include <sys/time.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "common/errors.h"
#include "common/log.h"
#include "common/strutil.h"
#include "server/connection.h"
#include "server/persistence.h"
#include "server/server.h"
#include "server/worker.h"

namespace strata::server {

using cmd::CommandContext;
using cmd::CommandSpec;

namespace {

void Ping(CommandContext& ctx) {
  if (ctx.argc > 2) {
    ctx.out->Error(Format(err::kWrongArity, "ping"));
  } else if (ctx.client->subscriptions > 0 && ctx.client->resp == 2) {
    // In the RESP2 subscribed context a reply must look like a message: ["pong", arg].
    ctx.out->ArrayHeader(2);
    ctx.out->Bulk("pong");
    ctx.out->Bulk(ctx.argc == 2 ? ctx.arg(1) : "");
  } else if (ctx.argc == 2) {
    ctx.out->Bulk(ctx.arg(1));
  } else {
    ctx.out->SimpleString("PONG");
  }
}

void Echo(CommandContext& ctx) { ctx.out->Bulk(ctx.arg(1)); }

void Quit(CommandContext& ctx) {
  ctx.out->Ok();
  ctx.client->close_after_reply = true;
}

void Select(CommandContext& ctx) {
  int64_t idx;
  if (!ParseInt64(ctx.arg(1), &idx)) return ctx.out->Error(err::kNotInteger);
  if (idx < 0 || static_cast<uint64_t>(idx) >= ctx.keyspace->num_dbs())
    return ctx.out->Error(err::kDbIndexOutOfRange);
  ctx.client->db_index = static_cast<size_t>(idx);
  ctx.out->Ok();
}

// The default user's password is requirepass; with none set the user has "nopass".
bool CheckPassword(CommandContext& ctx, std::string_view user, std::string_view pass) {
  if (user != "default") return false;
  std::string required = ctx.server->config().requirepass();
  return required.empty() || pass == required;
}

void Auth(CommandContext& ctx) {
  if (ctx.argc > 3) return ctx.out->Error(err::kSyntax);
  if (ctx.argc == 2 && ctx.server->config().requirepass().empty())
    return ctx.out->Error(err::kAuthNotConfigured);
  std::string_view user = ctx.argc == 3 ? ctx.arg(1) : "default";
  if (!CheckPassword(ctx, user, ctx.arg(ctx.argc - 1))) return ctx.out->Error(err::kWrongPass);
  ctx.client->authenticated = true;
  ctx.out->Ok();
}

bool ValidClientName(std::string_view name) {
  for (char c : name)
    if (c < '!' || c > '~') return false;
  return true;
}

void SetName(CommandContext& ctx, std::string_view name) {
  ctx.client->name.assign(name);
  std::lock_guard<std::mutex> lock(ctx.conn->worker()->clients_mu);
  ctx.conn->name.assign(name);
}

void Hello(CommandContext& ctx) {
  int64_t ver = ctx.client->resp;
  size_t i = 1;
  if (ctx.argc >= 2) {
    if (!ParseInt64(ctx.arg(1), &ver))
      return ctx.out->Error(err::kHelloProtoNotInteger);
    if (ver < 2 || ver > 3) return ctx.out->Error(err::kNoProto);
    i = 2;
  }
  std::string_view user, pass, name;
  bool has_auth = false, has_name = false;
  for (; i < ctx.argc; ++i) {
    size_t more = ctx.argc - 1 - i;
    if (EqualsIgnoreCase(ctx.arg(i), "AUTH") && more >= 2) {
      user = ctx.arg(i + 1);
      pass = ctx.arg(i + 2);
      has_auth = true;
      i += 2;
    } else if (EqualsIgnoreCase(ctx.arg(i), "SETNAME") && more >= 1) {
      name = ctx.arg(++i);
      has_name = true;
    } else {
      return ctx.out->Error(Format(err::kHelloSyntax,
                                   static_cast<int>(ctx.arg(i).size()), ctx.arg(i).data()));
    }
  }
  if (has_auth) {
    if (!CheckPassword(ctx, user, pass)) return ctx.out->Error(err::kWrongPass);
    ctx.client->authenticated = true;
  }
  if (!ctx.client->authenticated)
    return ctx.out->Error(err::kHelloNoAuth);
  if (has_name) {
    if (!ValidClientName(name))
      return ctx.out->Error(err::kClientNameInvalid);
    SetName(ctx, name);
  }
  ctx.client->resp = static_cast<int>(ver);
  ctx.out->set_resp3(ver == 3);  // the HELLO reply itself uses the new protocol
  ctx.out->MapHeader(7);
  ctx.out->Bulk("server");
  ctx.out->Bulk("redis");
  ctx.out->Bulk("version");
  ctx.out->Bulk("7.0.15");
  ctx.out->Bulk("proto");
  ctx.out->Integer(ver);
  ctx.out->Bulk("id");
  ctx.out->Integer(static_cast<int64_t>(ctx.client->id));
  ctx.out->Bulk("mode");
  ctx.out->Bulk("standalone");
  ctx.out->Bulk("role");
  ctx.out->Bulk("master");
  ctx.out->Bulk("modules");
  ctx.out->ArrayHeader(0);
}

// ---- CLIENT ----

void ClientId(CommandContext& ctx) { ctx.out->Integer(static_cast<int64_t>(ctx.client->id)); }

void ClientSetName(CommandContext& ctx) {
  if (!ValidClientName(ctx.arg(2)))
    return ctx.out->Error(err::kClientNameInvalid);
  SetName(ctx, ctx.arg(2));
  ctx.out->Ok();
}

void ClientGetName(CommandContext& ctx) {
  if (ctx.client->name.empty()) return ctx.out->NullBulk();
  ctx.out->Bulk(ctx.client->name);
}

void ClientList(CommandContext& ctx) {
  std::string type;
  std::vector<uint64_t> ids;
  for (size_t i = 2; i < ctx.argc; ++i) {
    if (EqualsIgnoreCase(ctx.arg(i), "TYPE") && i + 1 < ctx.argc) {
      type.assign(ctx.arg(++i));
      if (!EqualsIgnoreCase(type, "normal") && !EqualsIgnoreCase(type, "master") &&
          !EqualsIgnoreCase(type, "replica") && !EqualsIgnoreCase(type, "slave") &&
          !EqualsIgnoreCase(type, "pubsub"))
        return ctx.out->Error(Format(err::kUnknownClientType, static_cast<int>(type.size()), type.data()));
    } else if (EqualsIgnoreCase(ctx.arg(i), "ID") && i + 1 < ctx.argc) {
      for (++i; i < ctx.argc; ++i) {
        int64_t id;
        if (!ParseInt64(ctx.arg(i), &id) || id <= 0)
          return ctx.out->Error(err::kInvalidClientId);
        ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      return ctx.out->Error(err::kSyntax);
    }
  }
  std::string text;
  if (ids.empty()) {
    text = ctx.server->ClientList(0, type);
  } else {
    for (uint64_t id : ids) text += ctx.server->ClientList(id, type);
  }
  ctx.out->Verbatim("txt", text);
}

void ClientInfo(CommandContext& ctx) {
  ctx.out->Verbatim("txt", ctx.server->ClientList(ctx.client->id, ""));
}

void ClientKill(CommandContext& ctx) {
  Server::KillFilter f;
  if (ctx.argc == 3) {  // CLIENT KILL addr:port
    f.addr.assign(ctx.arg(2));
    f.any = true;
    if (ctx.server->KillClients(f) == 0) return ctx.out->Error(err::kNoSuchClient);
    return ctx.out->Ok();
  }
  bool skipme = true;
  for (size_t i = 2; i < ctx.argc; i += 2) {
    if (i + 1 >= ctx.argc) return ctx.out->Error(err::kSyntax);
    std::string_view opt = ctx.arg(i), val = ctx.arg(i + 1);
    if (EqualsIgnoreCase(opt, "ID")) {
      int64_t id;
      if (!ParseInt64(val, &id) || id <= 0)
        return ctx.out->Error(err::kClientIdPositive);
      f.id = static_cast<uint64_t>(id);
    } else if (EqualsIgnoreCase(opt, "ADDR")) {
      f.addr.assign(val);
    } else if (EqualsIgnoreCase(opt, "LADDR")) {
      f.laddr.assign(val);
    } else if (EqualsIgnoreCase(opt, "TYPE")) {
      if (!EqualsIgnoreCase(val, "normal")) {
        if (EqualsIgnoreCase(val, "master") || EqualsIgnoreCase(val, "replica") ||
            EqualsIgnoreCase(val, "slave") || EqualsIgnoreCase(val, "pubsub"))
          return ctx.out->Integer(0);  // no such clients exist here
        return ctx.out->Error(Format(err::kUnknownClientType,
                                     static_cast<int>(val.size()), val.data()));
      }
    } else if (EqualsIgnoreCase(opt, "USER")) {
      if (val != "default")
        return ctx.out->Error(Format(err::kNoSuchUser, static_cast<int>(val.size()),
                                     val.data()));
    } else if (EqualsIgnoreCase(opt, "SKIPME")) {
      if (EqualsIgnoreCase(val, "yes")) skipme = true;
      else if (EqualsIgnoreCase(val, "no")) skipme = false;
      else return ctx.out->Error(err::kSyntax);
    } else {
      return ctx.out->Error(err::kSyntax);
    }
    f.any = true;
  }
  if (skipme) f.skip_id = ctx.client->id;
  ctx.out->Integer(ctx.server->KillClients(f));
}

void ClientNoEvict(CommandContext& ctx) {
  if (!EqualsIgnoreCase(ctx.arg(2), "on") && !EqualsIgnoreCase(ctx.arg(2), "off"))
    return ctx.out->Error(err::kSyntax);
  ctx.out->Ok();
}

void HelpLines(CommandContext& ctx, const std::vector<const char*>& lines) {
  ctx.out->ArrayHeader(lines.size());
  for (const char* l : lines) ctx.out->SimpleString(l);
}

void ClientHelp(CommandContext& ctx) {
  HelpLines(ctx, {"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                  "GETNAME", "    Return the name of the current connection.",
                  "ID", "    Return the ID of the current connection.",
                  "INFO", "    Return information about the current client connection.",
                  "KILL <ip:port>", "    Kill connection made from <ip:port>.",
                  "KILL <option> <value> [<option> <value> [...]]",
                  "    Kill connections. Options are: ID, ADDR, LADDR, TYPE, USER, SKIPME.",
                  "LIST [TYPE <type>] [ID <id> [<id> ...]]",
                  "    Return information about client connections.",
                  "SETNAME <name>", "    Assign the name <name> to the current connection.",
                  "NO-EVICT (ON|OFF)", "    Accepted for compatibility.",
                  "HELP", "    Print this help."});
}

// ---- INFO, CONFIG ----

void Info(CommandContext& ctx) {
  std::string text;
  if (ctx.argc == 1) {
    text = ctx.server->Info("", ctx.held);
  } else {
    for (size_t i = 1; i < ctx.argc; ++i) {
      std::string part = ctx.server->Info(std::string(ctx.arg(i)), ctx.held);
      if (!part.empty() && !text.empty()) text += "\r\n";
      text += part;
    }
  }
  ctx.out->Verbatim("txt", text);
}

void ConfigGet(CommandContext& ctx) {
  std::vector<std::pair<std::string, std::string>> found;
  std::set<std::string> seen;
  for (size_t i = 2; i < ctx.argc; ++i) {
    std::string pattern(ctx.arg(i));
    bool glob = pattern.find_first_of("*?[") != std::string::npos;
    for (auto& kv : ctx.server->config().Get(pattern)) {
      if (!glob) kv.first = pattern;  // Redis echoes an exact name as it was asked for
      if (seen.insert(kv.first).second) found.push_back(std::move(kv));
    }
  }
  ctx.out->MapHeader(found.size());
  for (auto& [k, v] : found) {
    ctx.out->Bulk(k);
    ctx.out->Bulk(v);
  }
}

void ConfigSet(CommandContext& ctx) {
  if ((ctx.argc - 2) % 2 != 0)
    return ctx.out->Error(Format(err::kWrongArity, "config|set"));
  Config& cfg = ctx.server->config();
  // All or nothing, like Redis 7: restore what was applied when a later pair fails.
  std::vector<std::pair<std::string, std::string>> applied;
  for (size_t i = 2; i < ctx.argc; i += 2) {
    std::string name(ctx.arg(i)), value(ctx.arg(i + 1));
    std::string old = cfg.GetString(name), error;
    if (!cfg.SetAtRuntime(name, value, &error)) {
      for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
        std::string ignored;
        (void)cfg.SetAtRuntime(it->first, it->second, &ignored);
      }
      return ctx.out->Error(error);
    }
    applied.emplace_back(name, old);
  }
  ctx.out->Ok();
}

void ConfigResetStat(CommandContext& ctx) {
  ctx.server->ResetStats();
  ctx.out->Ok();
}

void ConfigHelp(CommandContext& ctx) {
  HelpLines(ctx, {"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                  "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
                  "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
                  "RESETSTAT", "    Reset statistics reported by the INFO command.",
                  "HELP", "    Print this help."});
}

// ---- misc ----

void Time(CommandContext& ctx) {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  ctx.out->ArrayHeader(2);
  ctx.out->Bulk(Int64ToString(tv.tv_sec));
  ctx.out->Bulk(Int64ToString(tv.tv_usec));
}

// FLUSHDB / FLUSHALL [ASYNC | SYNC]: both free synchronously for now.
// FLUSHDB/FLUSHALL [ASYNC|SYNC]: *async says whether the keys are freed on the freeing thread
// (without either word: lazyfree-lazy-user-flush).
bool FlushModeOk(CommandContext& ctx, bool* async) {
  *async = ctx.server->config().lazyfree_lazy_user_flush.load(std::memory_order_relaxed);
  if (ctx.argc == 2 && EqualsIgnoreCase(ctx.arg(1), "ASYNC")) {
    *async = true;
  } else if (ctx.argc == 2 && EqualsIgnoreCase(ctx.arg(1), "SYNC")) {
    *async = false;
  } else if (ctx.argc != 1) {
    ctx.out->Error(err::kSyntax);
    return false;
  }
  return true;
}

// Whether a watched key existed before a flush (in memory, or only in the backend): a flush
// marks only those watchers, as Redis does. The dispatcher holds the flushed databases.
bool Existed(CommandContext& ctx, size_t db, std::string_view key) {
  storage::KeyRef k = ctx.keyspace->db(db).Ref(key);
  return k.shard->Find(k.key, k.hash, ctx.now_ms, storage::Shard::Lookup::kNoTouch) != nullptr ||
         k.shard->OnlyInBackend(k.key, k.hash);
}

void FlushDb(CommandContext& ctx) {
  bool async;
  if (!FlushModeOk(ctx, &async)) return;
  ctx.server->watches().TouchFlushed(
      ctx.client->db_index, [&](size_t db, std::string_view key) { return Existed(ctx, db, key); });
  ctx.db().Flush(ctx.held, async);
  ++ctx.dirty;
  ctx.out->Ok();
}

void FlushAll(CommandContext& ctx) {
  bool async;
  if (!FlushModeOk(ctx, &async)) return;
  ctx.server->watches().TouchFlushed(
      SIZE_MAX, [&](size_t db, std::string_view key) { return Existed(ctx, db, key); });
  ctx.keyspace->FlushAll(ctx.held, async);
  ++ctx.dirty;
  ctx.out->Ok();
}

void Shutdown(CommandContext& ctx) {
  for (size_t i = 1; i < ctx.argc; ++i) {
    std::string_view a = ctx.arg(i);
    if (EqualsIgnoreCase(a, "ABORT")) return ctx.out->Error(err::kNoShutdownInProgress);
    if (!EqualsIgnoreCase(a, "NOSAVE") && !EqualsIgnoreCase(a, "SAVE") &&
        !EqualsIgnoreCase(a, "NOW") && !EqualsIgnoreCase(a, "FORCE"))
      return ctx.out->Error(err::kSyntax);
  }
  // A busy script (past busy-reply-threshold) must be given up: only NOSAVE may, as in Redis.
  // One that has not written is killed and the server stops as usual; one that has cannot be
  // stopped half-way (Server::ExitNow).
  bool nosave = false;
  for (size_t i = 1; i < ctx.argc; ++i) nosave |= EqualsIgnoreCase(ctx.arg(i), "NOSAVE");
  if (const uint8_t busy = ctx.server->BusyScript(); busy != 0) {
    if (!nosave) return ctx.out->Error(BusyError(busy & ScriptWatch::kFunction));
    const char* refusal;
    ctx.server->KillBusyScripts(true, true, &refusal);
    if (refusal == err::kUnkillable) ctx.server->ExitNow();
  }
  // Like Redis: no reply on success; the connection closes when the server stops.
  ctx.server->RequestShutdown();
}

// DEBUG SLEEP <seconds> blocks this worker like Redis blocks its only thread (for tests);
// DEBUG SET-ACTIVE-EXPIRE <0|1> switches the active expiry cycle.
void Debug(CommandContext& ctx) {
  std::string_view sub = ctx.arg(1);
  if (EqualsIgnoreCase(sub, "SLEEP") && ctx.argc == 3) {
    double secs;
    if (!ParseDouble(ctx.arg(2), &secs) || secs < 0) return ctx.out->Error(err::kNotFloat);
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(secs * 1e6)));
    return ctx.out->Ok();
  }
  if (EqualsIgnoreCase(sub, "SET-ACTIVE-EXPIRE") && ctx.argc == 3) {
    ctx.server->config().active_expire = ctx.arg(2) != "0";
    return ctx.out->Ok();
  }
  // DEBUG WAL-FAIL <errno-name|OFF>: every WAL write and fsync fails with that error until OFF
  // (tests of the refuse-writes-then-recover path where no small file system can be mounted).
  if (EqualsIgnoreCase(sub, "WAL-FAIL") && ctx.argc == 3) {
    if (ctx.server->persistence() == nullptr) return ctx.out->Error(err::kAppendOnlyNo);
    static const std::pair<const char*, int> kErrnos[] = {{"OFF", 0}, {"ENOSPC", ENOSPC}, {"EIO", EIO}, {"EDQUOT", EDQUOT}};
    for (auto [name, e] : kErrnos) {
      if (EqualsIgnoreCase(ctx.arg(2), name)) {
        ctx.server->persistence()->wal().InjectWriteError(e);
        return ctx.out->Ok();
      }
    }
    return ctx.out->Error(err::kDebugWalFail);
  }
  // DEBUG WAL-DELAY <ms>: the WAL writer sleeps before each write (tests of back-pressure).
  if (EqualsIgnoreCase(sub, "WAL-DELAY") && ctx.argc == 3) {
    if (ctx.server->persistence() == nullptr) return ctx.out->Error(err::kAppendOnlyNo);
    int64_t ms;
    if (!ParseInt64(ctx.arg(2), &ms) || ms < 0) return ctx.out->Error(err::kNotInteger);
    ctx.server->persistence()->wal().InjectWriteDelay(ms);
    return ctx.out->Ok();
  }
  // DEBUG WAL-SYNC-DELAY <ms>: the WAL writer sleeps between write() and fdatasync() (tests of
  // replies that must wait for the fsync, not only for the write).
  if (EqualsIgnoreCase(sub, "WAL-SYNC-DELAY") && ctx.argc == 3) {
    if (ctx.server->persistence() == nullptr) return ctx.out->Error(err::kAppendOnlyNo);
    int64_t ms;
    if (!ParseInt64(ctx.arg(2), &ms) || ms < 0) return ctx.out->Error(err::kNotInteger);
    ctx.server->persistence()->wal().InjectSyncDelay(ms);
    return ctx.out->Ok();
  }
  // DEBUG TIER-EVICT <key>: drops the key from memory if the backend holds its value (as
  // eviction would): 1 if it went, 0 if it is not in memory or not clean. Every shard is held.
  if (EqualsIgnoreCase(sub, "TIER-EVICT") && ctx.argc == 3) {
    storage::KeyRef k = ctx.db().Ref(ctx.arg(2));
    storage::Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms, storage::Shard::Lookup::kNoTouch);
    if (e == nullptr || !k.shard->Clean(e)) return ctx.out->Integer(0);
    k.shard->Evict(e);
    return ctx.out->Integer(1);
  }
  if (EqualsIgnoreCase(sub, "HELP")) {
    return HelpLines(ctx, {"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                           "SLEEP <seconds>", "    Stop the server for <seconds>.",
                           "SET-ACTIVE-EXPIRE <0|1>",
                           "    Setting it to 0 disables expiring keys in background.",
                           "WAL-FAIL <OFF|ENOSPC|EIO|EDQUOT>",
                           "    Make every WAL write fail with that error (testing).",
                           "WAL-DELAY <ms>",
                           "    The WAL writer sleeps <ms> before each write (testing).",
                           "WAL-SYNC-DELAY <ms>",
                           "    The WAL writer sleeps <ms> before each fdatasync (testing).",
                           "TIER-EVICT <key>",
                           "    Drop a key the backend holds from memory (testing)."});
  }
  ctx.out->Error(Format(err::kUnknownSubcommand, static_cast<int>(sub.size()), sub.data(),
                        "DEBUG"));
}

void BgRewriteAof(CommandContext& ctx) {
  Persistence* p = ctx.server->persistence();
  if (p == nullptr)
    return ctx.out->Error(err::kRewriteNeedsAof);
  std::string error;
  if (!p->StartRewrite(&error)) return ctx.out->Error(error);
  ctx.out->SimpleString("Background append only file rewriting started");
}

CommandSpec Spec(const char* name, int arity, uint32_t flags, cmd::Handler h, const char* group,
                 const char* since, const char* summary, const char* syntax) {
  return cmd::MakeSpec(name, arity, flags, {}, h, group, since, summary, syntax);
}

CommandSpec Container(const char* name, const char* group, const char* since, const char* summary,
                      std::vector<CommandSpec> subs) {
  CommandSpec s = Spec(name, -2, 0, nullptr, group, since, summary, "");
  s.subcommands = std::move(subs);
  return s;
}

}  // namespace

void RegisterServerFamily(cmd::CommandRegistry& r) {
  using namespace cmd;
  const uint32_t kConnFlags = kFast | kLoading | kStale;
  const uint32_t kClientFlags = kNoScript | kLoading | kStale;  // CLIENT's subcommands
  r.Register(Spec("ping", -1, kFast | kPubSubContext, Ping, "connection", "1.0.0", "Ping the server", "[message]"));
  r.Register(Spec("echo", 2, kConnFlags, Echo, "connection", "1.0.0", "Echo the given string", "message"));
  r.Register(Spec("quit", -1, kNoAuth | kConnFlags | kAllowBusy | kNoScript | kPubSubContext | kTxControl, Quit, "connection",
                  "1.0.0", "Close the connection", ""));
  r.Register(Spec("hello", -1, kNoAuth | kConnFlags | kNoScript | kAllowBusy, Hello, "connection",
                  "6.0.0", "Handshake with Redis",
                  "[protover [AUTH username password] [SETNAME clientname]]"));
  CommandSpec select = Spec("select", 2, kConnFlags | kSwitchesDb, Select, "connection", "1.0.0",
                            "Change the selected database for the current connection", "index");
  select.target_db.db_arg = 1;  // the database it switches to (EXEC follows queued SELECTs)
  r.Register(std::move(select));
  r.Register(Spec("auth", -2, kNoAuth | kConnFlags | kNoScript | kAllowBusy, Auth, "connection",
                  "1.0.0", "Authenticate to the server", "[username] password"));
  r.Register(Container(
      "client", "connection", "2.4.0", "A container for client connection commands",
      {Spec("client|id", 2, kClientFlags, ClientId, "connection", "5.0.0",
            "Returns the client ID for the current connection", ""),
       Spec("client|setname", 3, kClientFlags, ClientSetName, "connection", "2.6.9",
            "Set the current connection name", "connection-name"),
       Spec("client|getname", 2, kClientFlags, ClientGetName, "connection", "2.6.9",
            "Get the current connection name", ""),
       Spec("client|list", -2, kAdmin | kClientFlags, ClientList, "connection", "2.4.0",
            "Get the list of client connections",
            "[TYPE NORMAL | MASTER | REPLICA | PUBSUB] [ID client-id [client-id ...]]"),
       Spec("client|info", 2, kClientFlags, ClientInfo, "connection", "6.2.0",
            "Returns information about the current client connection.", ""),
       Spec("client|kill", -3, kAdmin | kClientFlags, ClientKill, "connection", "2.4.0",
            "Kill the connection of a client",
            "ip:port | [ID client-id] [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] "
            "[USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME YES | NO]"),
       Spec("client|no-evict", 3, kAdmin | kClientFlags, ClientNoEvict, "connection", "7.0.0",
            "Set client eviction mode for the current connection", "ON | OFF"),
       Spec("client|help", 2, kLoading | kStale, ClientHelp, "connection", "5.0.0",
            "Show helpful text about the different subcommands", "")}));
  r.Register(Spec("info", -1, kLoading | kStale, Info, "server", "1.0.0",
                  "Get information and statistics about the server", "[section [section ...]]"));
  r.Register(Container(
      "config", "server", "2.0.0", "A container for server configuration commands",
      {Spec("config|get", -3, kAdmin | kNoScript | kLoading | kStale, ConfigGet, "server",
            "2.0.0", "Get the values of configuration parameters", "parameter [parameter ...]"),
       Spec("config|set", -4, kAdmin | kNoScript | kLoading | kStale, ConfigSet, "server",
            "2.0.0", "Set configuration parameters to the given values",
            "parameter value [parameter value ...]"),
       Spec("config|resetstat", 2, kAdmin | kNoScript | kLoading | kStale, ConfigResetStat,
            "server", "2.0.0", "Reset the stats returned by INFO", ""),
       Spec("config|help", 2, kLoading | kStale, ConfigHelp, "server", "5.0.0",
            "Show helpful text about the different subcommands", "")}));
  r.Register(Spec("time", 1, kFast | kLoading | kStale | kRandom, Time, "server", "2.6.0",
                  "Return the current server time", ""));
  r.Register(Spec("flushdb", -1, kWrite | kReachDb, FlushDb, "server", "1.0.0",
                  "Remove all keys from the current database", "[ASYNC | SYNC]"));
  r.Register(Spec("flushall", -1, kWrite | kReachAll, FlushAll, "server", "1.0.0",
                  "Remove all keys from all databases", "[ASYNC | SYNC]"));
  r.Register(Spec("shutdown", -1, kAdmin | kNoScript | kLoading | kStale | kNoMulti | kAllowBusy, Shutdown,
                  "server", "1.0.0", "Synchronously save the dataset to disk and then shut down the server",
                  "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"));
  r.Register(Spec("bgrewriteaof", 1, kAdmin | kNoScript, BgRewriteAof, "server", "1.0.0",
                  "Asynchronously rewrite the append-only file", ""));
  r.Register(Spec("debug", -2, kAdmin | kNoScript | kLoading | kStale | kReachAll, Debug, "server",
                  "1.0.0", "A container for debugging commands", "subcommand [argument ...]"));
}

}  // namespace strata::server
