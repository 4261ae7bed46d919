// Commands are data: a CommandSpec names the handler, arity, flags and key specs of one command
// (Redis's conventions: arity N = exactly N arguments counting the name, -N = at least N; Redis
// 7's key specs say where the keys are and what the command does to them). Each family file
// (strings, keys, server, ...) registers its commands in one list at the bottom of the file.
//
// A handler parses its arguments, runs the operation on the keys the dispatcher resolved and
// locked for it (ctx.Key / ctx.KeyAt: server/dispatcher.h) and writes one reply through ctx.out.
// It touches no key its key specs do not name, takes no lock of its own (whole-database
// commands run with the database held) and never blocks on I/O. Thread: handlers run on any
// worker thread; everything they touch besides the keyspace (ClientState, the reply buffer)
// belongs to the calling connection.
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
class Dispatcher;  // runs commands (server/dispatcher.h)
struct Effects;    // what one execution accumulates (server/dispatcher.h)
}

namespace strata::cmd {

enum CommandFlag : uint32_t {
  kWrite = 1u << 0,     // may modify the keyspace: the dispatcher logs it to the WAL when it did
  kReadOnly = 1u << 1,
  kAdmin = 1u << 2,
  kFast = 1u << 3,      // O(1) or O(log n)
  kNoAuth = 1u << 4,    // allowed before AUTH (AUTH, HELLO, QUIT)
  kDenyOom = 1u << 5,   // may grow memory: refused (-OOM) when over maxmemory and nothing evicts
  kLoading = 1u << 6,
  kStale = 1u << 7,
  kNoScript = 1u << 8,
  kPubSub = 1u << 9,
  kAllowBusy = 1u << 10,
  kSkipSlowlog = 1u << 11,
  kRandom = 1u << 12,   // nondeterministic output (RANDOMKEY, SCAN): WAL logs effects, not calls
  kPubSubContext = 1u << 13,  // allowed while a RESP2 client is subscribed (SUBSCRIBE, PING...)
  kNoMulti = 1u << 14,  // refused inside MULTI (Redis's no_multi: SHUTDOWN)
  kBlocking = 1u << 15,  // may block the client (BLPOP...); never blocks inside MULTI
  kMovableKeys = 1u << 16,  // derived by the registry from the key specs (Redis's rule)
  // What a command reaches beyond the keys its key specs name (strata's own, not reported):
  kReachDb = 1u << 17,   // every key of the client's database (FLUSHDB, KEYS, DBSIZE, RANDOMKEY,
                         // SCAN): the dispatcher holds all of that database's shards
  kReachAll = 1u << 18,  // every database (FLUSHALL, DEBUG): all shards are held
  kTxControl = 1u << 20,  // runs at once even inside MULTI, never queued (MULTI, EXEC, DISCARD,
                          // WATCH, QUIT, RESET)
  kSwitchesDb = 1u << 19,  // changes the client's database (SELECT, to target_db): EXEC follows
                           // it to find the database of the commands queued after it
  kSkipMonitor = 1u << 21,      // Redis's skip_monitor (EVAL: MONITOR shows its commands)
  kNoMandatoryKeys = 1u << 22,  // Redis's no_mandatory_keys (EVAL may name no keys)
  kMayReplicate = 1u << 23,     // Redis's may_replicate (PUBLISH): refused in read-only scripts
                                // like a write (not reported, as 7.0 does not)
  kServedEach = 1u << 24,  // blocked waiters of a key are served each on its own (XREAD,
                           // XREADGROUP): one that gets nothing does not hold back the next
  kAbortsTxWhenRefused = 1u << 26,  // refused by the dispatcher, it answers -EXECABORT with the
                                    // reason and drops the transaction (EXEC: Redis's
                                    // rejectCommand calls execCommandAbort)
  kNoWatch = 1u << 25,  // changes a stream's groups or IDs without invalidating WATCH, as Redis
                        // 7.0 (XACK, XCLAIM, XAUTOCLAIM, XSETID, XGROUP, XREADGROUP); its keys
                        // count as written for the log and the checkpointer even where the key
                        // spec says read (XREADGROUP's)
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
struct CommandSpec;

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
  // args: the command to run again, when not ctx's own (XREAD's "$" as the ID it meant).
  virtual void Block(CommandContext& ctx, const std::vector<std::string_view>& keys,
                     int64_t timeout_ms /* 0 = forever */, TimeoutReply on_timeout,
                     const std::vector<std::string>* args = nullptr) = 0;
};

// One key of the running command, resolved by the dispatcher before the handler runs: its
// argument position, database and key-spec flags, with its hash and shard computed once.
struct ResolvedKey {
  storage::KeyRef ref;
  uint32_t db;
  uint32_t pos;
  uint32_t flags;  // KeyFlag bits of this invocation
};
// The keys of one command: up to four inline (nearly every command), more on the heap. Hand
// written for the dispatcher's hot path: clear and push_back of a key cost a few instructions.
class ResolvedKeys {
 public:
  ResolvedKeys() = default;
  ResolvedKeys(const ResolvedKeys&) = delete;
  ResolvedKeys& operator=(const ResolvedKeys&) = delete;
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const ResolvedKey& operator[](size_t i) const { return data()[i]; }
  const ResolvedKey* begin() const { return data(); }
  const ResolvedKey* end() const { return data() + size_; }
  void clear() {
    size_ = 0;
    more_.clear();
  }
  void push_back(const ResolvedKey& k) {
    if (size_ < kInline) {
      inline_[size_++] = k;
      return;
    }
    if (size_ == kInline) more_.assign(inline_, inline_ + kInline);
    more_.push_back(k);
    ++size_;
  }

 private:
  static constexpr size_t kInline = 4;
  const ResolvedKey* data() const { return size_ <= kInline ? inline_ : more_.data(); }
  size_t size_ = 0;
  ResolvedKey inline_[kInline];
  std::vector<ResolvedKey> more_;
};

// What a command that lists the keyspace (KEYS, SCAN, RANDOMKEY) needs from a backing tier
// before it can answer. CommandSpec::backend_query derives it from the arguments; the caller
// fetches it before the command runs (the connection waits, its loop does not) and the
// handler finds the answer in ctx.backend.
struct BackendQuery {
  enum class Kind : uint8_t { kNone, kKeys, kPage, kRandom };
  Kind kind = Kind::kNone;
  uint32_t db = 0;
  std::string pattern;  // kKeys: the keys matching it
  uint64_t from = 0;    // kPage: the backend position to start at; kRandom: a random position
  size_t count = 0;     // kPage: about this many keys
};
struct BackendKey {
  std::string key;
  storage::ObjType type;
};
struct BackendAnswer {
  std::vector<BackendKey> keys;
  uint64_t next = 0;  // kPage: the position the next page starts at; 0 = the last page
};
using BackendQueryFn = bool (*)(const CommandContext& ctx, BackendQuery* q);
// What an invocation reaches beyond its key arguments when that depends on the invocation
// (EVAL, EVALSHA: what the script was seen to touch): kReachDb, kReachAll or 0.
using ReachFn = uint32_t (*)(const CommandContext& ctx);

// Everything one command invocation carries through the dispatcher (server/dispatcher.h) and
// its handler. No per-command state lives anywhere else (no thread-locals).
struct CommandContext {
  // The invocation.
  const std::string_view* argv = nullptr;
  size_t argc = 0;
  const CommandSpec* spec = nullptr;  // set once resolved
  protocol::ReplyWriter* out = nullptr;
  ClientState* client = nullptr;
  storage::Keyspace* keyspace = nullptr;
  server::Server* server = nullptr;           // null in unit tests of storage families
  const CommandRegistry* registry = nullptr;  // COMMAND introspection
  server::Connection* conn = nullptr;         // null in unit tests and outside a connection
  server::Dispatcher* dispatcher = nullptr;   // EXEC runs its queued commands through it
  server::Effects* effects = nullptr;         // what the running execution accumulates
  int64_t now_ms = 0;                // wall clock, read once per command
  int64_t max_string_len = 512LL * 1024 * 1024;  // proto-max-bulk-len: APPEND/SETRANGE limit

  // Prepared by the dispatcher before the handler runs.
  ResolvedKeys keys;                       // in key-spec order; their shards are held
  storage::LockSet* held = nullptr;  // every shard held for this command (kReachDb: the whole
                                     // database); lock more through ShardLock(s, held). Only a
                                     // script's run adds to it (server/scripting.h)
  // What spec->backend_query asked the tier for; null until fetched. EXEC gets the answers to
  // its queued commands' queries, in queue order (backend_answers of them).
  const BackendAnswer* backend = nullptr;
  size_t backend_answers = 0;
  // The command runs again after a read-through brought its keys into memory: no eviction
  // before it, which could drop the very keys it waited for.
  bool resumed = false;
  // maxmemory: memory was over the limit with nothing to evict when the command started (a
  // script's denyoom commands are refused then, as Redis's pre_command_oom_state).
  bool over_memory = false;

  // Write handlers add the number of changes they made (Redis's server.dirty): 0 means the
  // command changed nothing. The dispatcher logs the command to the WAL and signals its
  // written keys (WATCH, blocked clients, the backing tier) only when it is not 0.
  uint64_t dirty = 0;
  // WAL: a write is logged as its argv, replayed with the same clock and db. A handler whose
  // call would not replay to the same effect (SPOP's random pick, INCRBYFLOAT's float result)
  // puts here the commands that do; they are logged instead of argv.
  std::vector<std::vector<std::string>> log_as;
  // A kNoWatch command (a stream's group work) that changed the keyspace itself all the same
  // (XGROUP CREATE MKSTREAM made the key): its keys signal WATCH as other writes do.
  bool signal_watch = false;

  // Blocking commands. blocker is null where clients cannot block (unit tests): such a
  // handler replies as on timeout. nested: inside a transaction (or a script) blocking
  // commands never block.
  Blocker* blocker = nullptr;
  bool nested = false;
  bool in_script = false;  // a script's redis.call (XREAD BLOCK is an error there, as Redis)
  // Set when the command runs again for a blocked client. A handler that still finds nothing
  // (or finds a key of another type) sets not_served and writes no reply: the client stays
  // blocked.
  bool serving_blocked = false;
  bool not_served = false;

  std::string_view arg(size_t i) const { return argv[i]; }
  storage::Db& db() const { return keyspace->db(client->db_index); }
  size_t num_keys() const { return keys.size(); }
  // The i-th key in key-spec order.
  const storage::KeyRef& Key(size_t i) const { return keys[i].ref; }
  // The key at argument `pos`, in the client's database (or in database `db`). Asserts that the
  // dispatcher resolved it: a handler touches no key its key specs do not name.
  const storage::KeyRef& KeyAt(size_t pos) const { return KeyAt(pos, client->db_index); }
  const storage::KeyRef& KeyAt(size_t pos, size_t db) const {
    if (!keys.empty() && keys[0].pos == pos && keys[0].db == db) return keys[0].ref;  // most
    return FindKey(pos, db);
  }

 private:
  const storage::KeyRef& FindKey(size_t pos, size_t db) const;
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
  // KEYS, SCAN, RANDOMKEY with a backing tier: what to fetch from the backend before the
  // handler runs (see BackendQuery); null for every other command.
  BackendQueryFn backend_query = nullptr;
  // The dispatcher asks it which shards to hold besides the keys' (see ReachFn); null: the
  // flags say (kReachDb, kReachAll).
  ReachFn reach = nullptr;
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
  // Derived too: the argument of the command's only key when its key specs name exactly one
  // key at a fixed index (GET, SET, HSET...: most commands), else 0. The dispatcher's fast path.
  uint32_t single_key = 0;
};

// The keys of one invocation (argv[0] is the command name), in key-spec order, with their
// flags. False when the arguments do not fit the specs (a keynum that is not a number, keys
// past the end): then no keys are known and the handler rejects the arguments. An inline
// capacity covers the common cases without allocating.
using KeyArgs = absl::InlinedVector<KeyArg, 4>;
bool GetKeys(const CommandSpec& spec, const std::string_view* argv, size_t argc, KeyArgs* out);

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
  static uint64_t NameHash(std::string_view name);  // case-insensitive
  std::vector<const CommandSpec*> table_;  // open addressing by NameHash, a quarter full
  uint32_t next_id_ = 0;
};

// Registration entry points, one per family file.
void RegisterStringFamily(CommandRegistry& r);
void RegisterKeyFamily(CommandRegistry& r);
void RegisterListFamily(CommandRegistry& r);
void RegisterHashFamily(CommandRegistry& r);
void RegisterSetFamily(CommandRegistry& r);
void RegisterStreamFamily(CommandRegistry& r);
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
