// Commands are data: a CommandSpec names the handler, arity, flags and key positions of one
// command (Redis's conventions: arity N = exactly N arguments counting the name, -N = at least N;
// first/last/step key positions, last -1 = the last argument). Each family file (strings, keys,
// server, ...) registers its commands in one list at the bottom of the file.
//
// A handler parses its arguments, runs the operation under the shard lock(s) and writes one reply
// through ctx.out. It never blocks on I/O. Thread: handlers run on any worker thread; everything
// they touch besides the keyspace (ClientState, the reply buffer) belongs to the calling
// connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/format.h"
#include "protocol/reply_writer.h"
#include "storage/keyspace.h"

namespace strata::server {
class Server;      // the running server: clients, config, stats (server/ only)
class Connection;  // the calling connection (server/ only)
}

namespace strata::cmd {

enum CommandFlag : uint32_t {
  kWrite = 1u << 0,     // modifies the keyspace (later: logged to the WAL)
  kReadOnly = 1u << 1,
  kAdmin = 1u << 2,
  kFast = 1u << 3,      // O(1) or O(log n)
  kNoAuth = 1u << 4,    // allowed before AUTH (AUTH, HELLO, QUIT)
  kDenyOom = 1u << 5,   // may grow memory (refused at maxmemory with noeviction, later)
  kLoading = 1u << 6,
  kStale = 1u << 7,
  kNoScript = 1u << 8,
  kPubSub = 1u << 9,
  kAllowBusy = 1u << 10,
  kSkipSlowlog = 1u << 11,
  kRandom = 1u << 12,   // nondeterministic output (RANDOMKEY, SCAN): WAL logs effects, not calls
  kPubSubContext = 1u << 13,  // allowed while a RESP2 client is subscribed (SUBSCRIBE, PING...)
  kNoMulti = 1u << 14,  // not queued by MULTI (MULTI, EXEC, DISCARD, WATCH...): runs at once
  kBlocking = 1u << 15,  // may block the client (BLPOP...); never blocks inside MULTI
  kMovableKeys = 1u << 16,  // keys found by parsing (numkeys forms), not by first/last/step
};

// Per-connection state commands may read or change. Owned by the connection's loop thread.
struct ClientState {
  uint64_t id = 0;
  size_t db_index = 0;
  int resp = 2;
  bool authenticated = true;
  bool close_after_reply = false;  // QUIT
  std::string name;
  std::string lib_name, lib_ver;
  size_t subscriptions = 0;  // channels + patterns (pub/sub)
};

class CommandRegistry;
struct CommandContext;

// What a blocked command replies when its timeout passes.
enum class TimeoutReply { kNullArray, kNullBulk };

// How a blocking command (BLPOP, BZPOPMIN, ...) parks its client. Implemented by server/.
// A handler that found nothing to pop calls Block() while it still holds the shard locks of
// its keys, so a push cannot slip in between "empty" and "waiting". The client stops executing
// further commands; later, a write to one of the keys re-runs the same command for it (with
// ctx.serving_blocked set) on the writer's thread, or the timeout replies `on_timeout`.
class Blocker {
 public:
  virtual ~Blocker() = default;
  virtual void Block(CommandContext& ctx, const std::vector<std::string_view>& keys,
                     int64_t timeout_ms /* 0 = forever */, TimeoutReply on_timeout) = 0;
};

struct CommandContext {
  const std::string_view* argv = nullptr;
  size_t argc = 0;
  protocol::ReplyWriter* out = nullptr;
  ClientState* client = nullptr;
  storage::Keyspace* keyspace = nullptr;
  server::Server* server = nullptr;  // null in unit tests of storage families
  const CommandRegistry* registry = nullptr;  // COMMAND introspection
  server::Connection* conn = nullptr;         // null in unit tests
  int64_t now_ms = 0;                // wall clock, read once per command
  int64_t max_string_len = 512LL * 1024 * 1024;  // proto-max-bulk-len: APPEND/SETRANGE limit
  // Write handlers add the number of changes they made (Redis's server.dirty): 0 means the
  // command changed nothing. The dispatcher uses it to signal the command's keys as modified
  // (WATCH, blocked clients) and, later, to decide what the WAL logs.
  uint64_t dirty = 0;

  // Blocking commands. blocker is null where clients cannot block (unit tests): such a
  // handler replies as on timeout. in_exec: inside MULTI/EXEC blocking commands never block.
  Blocker* blocker = nullptr;
  bool in_exec = false;
  // Set when the command runs again for a blocked client. A handler that still finds nothing
  // sets not_served and writes no reply: the client stays blocked.
  bool serving_blocked = false;
  bool not_served = false;

  // WAL: a write is logged as its argv, replayed with the same clock and db. A handler whose
  // call would not replay to the same effect (SPOP's random pick, INCRBYFLOAT's float result)
  // puts here the commands that do; they are logged instead of argv.
  std::vector<std::vector<std::string>> log_as;

  std::string_view arg(size_t i) const { return argv[i]; }
  storage::Db& db() const { return keyspace->db(client->db_index); }
};

using Handler = void (*)(CommandContext& ctx);

struct CommandSpec {
  std::string name;  // lowercase; subcommands "config|get"
  int arity = 0;
  uint32_t flags = 0;
  int first_key = 0, last_key = 0, key_step = 0;
  Handler handler = nullptr;
  // Documentation, served by COMMAND DOCS (redis-cli builds its hints from it).
  std::string group;    // "string", "generic", "connection", "server", ...
  std::string since;    // "1.0.0"
  std::string summary;
  std::string syntax;   // arguments after the name, as Redis's docs write them:
                        // "key value [NX | XX] [GET] [EX seconds | PX milliseconds | KEEPTTL]"
  std::vector<CommandSpec> subcommands;
  uint32_t id = 0;      // dense index, assigned by the registry (per-command stats)
  // Touches the keyspace beyond the keys in its arguments, or keys that first/last/step do not
  // name (FLUSHALL, KEYS, MOVE, numkeys forms...): whoever must hold its shards holds them all.
  // Set by the registry.
  bool whole_keyspace = false;
};

// The options of SCAN, HSCAN, SSCAN, ZSCAN from argv[first]: [MATCH pattern] [COUNT count]
// and, for SCAN only (allow_type), [TYPE type]. False after writing Redis's error.
struct ScanOptions {
  int64_t count = 10;
  std::string_view pattern;   // used when match is set
  std::string_view type;      // used when by_type is set
  bool match = false;         // MATCH given and not "*"
  bool by_type = false;
  bool Matches(std::string_view s) const;  // MATCH only; TYPE is the caller's to check
};
bool ParseScanOptions(CommandContext& ctx, size_t first, bool allow_type, ScanOptions* out);

// Argument positions of a command's keys. Commands whose keys the legacy (first, last, step)
// triple cannot describe (numkeys forms) report every argument: callers only over-approximate.
void KeyPositions(const CommandSpec& spec, size_t argc, std::vector<size_t>* out);

// The usual way to fill a CommandSpec in a family's registration list.
CommandSpec MakeSpec(const char* name, int arity, uint32_t flags, int first_key, int last_key,
                     int key_step, Handler handler, const char* group, const char* since,
                     const char* summary, const char* syntax);

class CommandRegistry {
 public:
  void Register(CommandSpec spec);
  // Case-insensitive; nullptr if unknown.
  const CommandSpec* Find(std::string_view name) const;
  const CommandSpec* FindSubcommand(const CommandSpec& parent, std::string_view sub) const;
  const std::vector<const CommandSpec*>& all() const { return ordered_; }  // top-level commands
  size_t num_ids() const { return next_id_; }

 private:
  std::vector<std::unique_ptr<CommandSpec>> owned_;
  std::vector<const CommandSpec*> ordered_;
  std::vector<std::pair<std::string, const CommandSpec*>> index_;  // sorted by name
  uint32_t next_id_ = 0;
};

// Registration entry points, one per family file.
void RegisterStringFamily(CommandRegistry& r);
void RegisterKeyFamily(CommandRegistry& r);
void RegisterListFamily(CommandRegistry& r);
void RegisterHashFamily(CommandRegistry& r);
void RegisterSetFamily(CommandRegistry& r);
void RegisterZSetFamily(CommandRegistry& r);
void RegisterBlockingCommands(CommandRegistry& r);  // BLPOP, BZPOPMIN & co (blocking_family.cc)
void RegisterIntrospection(CommandRegistry& r);  // COMMAND and its subcommands
// Every family in commands/ (the server adds its own server/connection family).
void RegisterDataFamilies(CommandRegistry& r);

// The outcome of resolving argv against the registry.
struct Resolved {
  const CommandSpec* spec = nullptr;  // the command, or its subcommand
  bool ok = false;                    // false: an error reply was written
};

// Looks up argv[0] (and argv[1] for container commands like CONFIG), checks arity, and writes
// Redis's error for an unknown command, unknown subcommand or wrong number of arguments.
Resolved Resolve(const CommandRegistry& r, CommandContext& ctx);

}  // namespace strata::cmd
