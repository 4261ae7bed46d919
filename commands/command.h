// Commands are data: a CommandSpec names the handler, arity, flags and key specs of one command
// (Redis's conventions: arity N = exactly N arguments counting the name, -N = at least N; Redis
// 7's key specs say where the keys are and what the command does to them). Each family file
// (strings, keys, server, ...) registers its commands in one list at the bottom of the file.
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

#include <absl/container/inlined_vector.h>

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
  kMovableKeys = 1u << 16,  // derived by the registry from the key specs (Redis's rule)
  // What a command reaches beyond the keys its key specs name (strata's own, not reported):
  kReachDb = 1u << 17,   // every key of the client's database (FLUSHDB, KEYS, DBSIZE, RANDOMKEY,
                         // SCAN): the dispatcher holds all of that database's shards
  kReachAll = 1u << 18,  // every database (FLUSHALL, DEBUG): all shards are held
  kSwitchesDb = 1u << 19,  // changes the client's database (SELECT): a transaction that
                           // queues it holds every shard, as later keys are in another database
};

// Redis 7 key-spec flags (COMMAND INFO and COMMAND GETKEYSANDFLAGS report them by these names:
// RO RW OW RM access update insert delete not_key incomplete variable_flags).
enum KeyFlag : uint32_t {
  kKeyRO = 1u << 0,         // reads the value
  kKeyRW = 1u << 1,         // reads and modifies it
  kKeyOW = 1u << 2,         // overwrites it without reading it
  kKeyRM = 1u << 3,         // deletes the key
  kKeyAccess = 1u << 4,     // returns (part of) the value to the user
  kKeyUpdate = 1u << 5,     // updates data in the value
  kKeyInsert = 1u << 6,     // only adds data to the value
  kKeyDelete = 1u << 7,     // removes data from the value
  kKeyNotKey = 1u << 8,     // not a key, only hashed like one (cluster)
  kKeyIncomplete = 1u << 9,    // the spec may miss keys
  kKeyVariableFlags = 1u << 10,  // the flags depend on the arguments (CommandSpec::key_flags)
  // strata's own, never reported:
  kKeyBlind = 1u << 16,     // the command replaces whatever the key held (value, type, TTL) and
                            // does not depend on whether it existed (SET without NX/XX/GET/
                            // KEEPTTL, MSET, SETEX): a backing tier need not read a key that is
                            // only in the backend before it runs
};

// One Redis 7 key specification: where the first key is (begin_search) and how the keys after
// it are found (find_keys). Positions count the command name as argument 0.
struct KeySpec {
  uint32_t flags = 0;  // KeyFlag bits
  // begin_search: "index" (argument `index`) or, when `keyword` is set, "keyword" (the
  // argument after the first `keyword` found from argument `startfrom`; a negative startfrom
  // searches backwards from the end; no such keyword: the spec names no key).
  int index = 0;
  const char* keyword = nullptr;
  int startfrom = 0;
  // find_keys: "range" (keys from the first up to `lastkey`, relative to it; -1 = the last
  // argument, -2 the one before..., every `keystep`-th, at most argc/`limit` of them when limit
  // > 1) or "keynum" (the count is at begin + `keynumidx`, the keys start at begin +
  // `firstkey`, every `keystep`-th).
  enum class Find : uint8_t { kRange, kKeynum };
  Find find = Find::kRange;
  int lastkey = 0, keystep = 1, limit = 0;
  int keynumidx = 0, firstkey = 1;
  // Redis's optional free-text remark on the spec (COMMAND INFO shows it first: SET, GETEX).
  const char* notes = nullptr;
};

// Builders for registration lines.
// One key at argument `index`: Key(1, kKeyRW | kKeyAccess | kKeyDelete).
KeySpec Key(int index, uint32_t flags);
// Keys from argument `index` to `lastkey` (relative to index; -1 = the last argument), every
// `keystep`-th: MSET is KeyRange(1, -1, 2, kKeyOW | kKeyUpdate | kKeyBlind).
KeySpec KeyRange(int index, int lastkey, int keystep, uint32_t flags);
// A count then the keys: ZUNION numkeys key... is KeyNum(1, 0, 1, 1, kKeyRO | kKeyAccess).
KeySpec KeyNum(int index, int keynumidx, int firstkey, int keystep, uint32_t flags);
// After a keyword, searched from `startfrom`: XREAD ... STREAMS key... id... would be
// KeyAfter("STREAMS", 1, ...) with a range find.
KeySpec KeyAfter(const char* keyword, int startfrom, int lastkey, int keystep, int limit,
                 uint32_t flags);
// The same spec with Redis's notes: Noted(Key(1, ...), "RW and UPDATE because it changes the TTL").
KeySpec Noted(KeySpec spec, const char* notes);

// A key of one command invocation: its argument position and its flags.
struct KeyArg {
  uint32_t pos;
  uint32_t flags;
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
// For key specs flagged kKeyVariableFlags: the flags of the key at argument `pos` of this
// invocation (SET: OW+update, or RW+access+update with GET; plus kKeyBlind without NX/XX/GET/
// KEEPTTL).
using KeyFlagsFn = uint32_t (*)(const std::string_view* argv, size_t argc, size_t pos,
                                uint32_t spec_flags);

// A key argument that names a key of another database than the client's (MOVE key db,
// COPY src dst DB db). The database is argument `db_arg`, or the argument after `keyword`
// (searched from argument 3); the key at argument `key_arg` is resolved in it. With
// `also_client_db` the key is in both databases (MOVE's key leaves one for the other);
// otherwise only in the target (COPY's destination). An invalid database leaves the key in the
// client's database (the handler replies the error).
struct TargetDb {
  int db_arg = 0;
  const char* keyword = nullptr;
  int key_arg = 0;
  bool also_client_db = false;
};

struct CommandSpec {
  std::string name;  // lowercase; subcommands "config|get"
  int arity = 0;
  uint32_t flags = 0;
  std::vector<KeySpec> key_specs;  // Redis 7 key specs, in Redis's order
  KeyFlagsFn key_flags = nullptr;  // for kKeyVariableFlags specs
  TargetDb target_db;              // MOVE, COPY ... DB
  Handler handler = nullptr;
  // Documentation, served by COMMAND DOCS (redis-cli builds its hints from it).
  std::string group;    // "string", "generic", "connection", "server", ...
  std::string since;    // "1.0.0"
  std::string summary;
  std::string syntax;   // arguments after the name, as Redis's docs write them:
                        // "key value [NX | XX] [GET] [EX seconds | PX milliseconds | KEEPTTL]"
  std::vector<CommandSpec> subcommands;
  uint32_t id = 0;      // dense index, assigned by the registry (per-command stats)
  // Redis's legacy (first key, last key, step) triple, derived from key_specs by the registry
  // as Redis does (COMMAND INFO fields 4-6); kMovableKeys is set when it cannot name every key.
  int first_key = 0, last_key = 0, key_step = 0;
  // Temporary, for server/ until the dispatcher reads the reach flags and target_db itself:
  // set by the registry when the command reaches beyond the keys of its key specs (kReachDb,
  // kReachAll, kSwitchesDb, or a key in another database through target_db); whoever must
  // hold its shards holds them all.
  bool whole_keyspace = false;
};

// The keys of one invocation (argv[0] is the command name), in key-spec order, with their
// flags. False when the arguments do not fit the specs (a keynum that is not a number, keys
// past the end): then no keys are known and the handler rejects the arguments. An inline
// capacity covers the common cases without allocating.
using KeyArgs = absl::InlinedVector<KeyArg, 4>;
bool GetKeys(const CommandSpec& spec, const std::string_view* argv, size_t argc, KeyArgs* out);
// Temporary, for server/: the argument positions GetKeys finds (none when it returns false).
void CompatKeyPositions(const CommandSpec& spec, const std::string_view* argv, size_t argc,
                        std::vector<size_t>* out);

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

// The usual way to fill a CommandSpec in a family's registration list:
//   MakeSpec("lmove", 5, kWrite | kDenyOom,
//            {Key(1, kKeyRW | kKeyAccess | kKeyDelete), Key(2, kKeyRW | kKeyInsert)}, LMove,
//            "list", "6.2.0", "Pop an element from a list, push it to another list ...", "...")
CommandSpec MakeSpec(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys,
                     Handler handler, const char* group, const char* since, const char* summary,
                     const char* syntax);

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
