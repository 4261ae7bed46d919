// The dispatcher: the one path every command takes, whoever runs it (docs/ARCHITECTURE.md, "The
// command pipeline"). A caller fills a cmd::CommandContext (argv, reply writer, client, clock)
// and calls Run in its mode; the dispatcher owns the sequence:
//
//   resolve  the command and its arity (or take the spec the caller resolved: a queued or a
//            blocked command)
//   refuse   (client) NOAUTH, the pub/sub context, commands refused inside MULTI, MISCONF, the
//            tier's refusals; maxmemory: evict, refuse with -OOM, or wait for a checkpoint
//   queue    (client inside MULTI) a copy of the command joins the transaction: QUEUED
//   keys     every key once, from the key specs (and CommandSpec::target_db): argument,
//            database, flags, hash, shard
//   lock     the keys' shards in the global order (kReachDb: the database, kReachAll: all);
//            a nested command runs under its execution's locks instead
//   tier     keys only in the backend are read through before the command runs: the caller
//            waits and runs it again (a blind write needs no read); KEYS/SCAN/RANDOMKEY get
//            their backend query answered first; a read of data the WAL cannot make durable
//            is refused instead of waiting forever
//   run      the handler
//   log      a write that changed something: its WAL record, or its part of the enclosing
//            transaction's record, while its shards are held
//   mark     its written keys: durability slots, dirty for the checkpointer, WATCHers, keys
//            with blocked clients (served by the caller once the locks are gone)
//   release  unlock; the LSN the reply must wait for under appendfsync always
//   account  per-command calls, time, rejections and errors
//
// The modes (who calls):
//   kClient        Connection: a client's command. Every check; may be queued (MULTI) or
//                  parked (read-through, backend query, memory); its reply may wait for fsync.
//   kNested        EXEC for each queued command: the execution holds the shards, checked
//                  memory and the tier for all its commands first, and logs them as one
//                  record (Effects::batch).
//   kScript        a script's redis.call / redis.pcall (server/scripting.h): like kNested, and
//                  the script's own checks (commands refused in scripts, writes from read-only
//                  scripts, -OOM when the script started over maxmemory); a key whose shard the
//                  script does not hold is covered by Effects::script first (take the shard,
//                  or run the script again with more held); a key only in the backend parks
//                  the script while it has written nothing, else it is read synchronously.
//   kReplay        Persistence at start-up: no checks and nothing logged; keys only in the
//                  backend are read synchronously (start-up may wait for the backend).
//   kServeBlocked  BlockingRegistry: a blocked client's command run again on the thread of the
//                  write that made it runnable; its reply goes to the client's own worker.
//   kTest          the in-process test runner: like kClient without a connection.
//   kBusy          Connection, while a script of this thread is busy (past busy-reply-threshold):
//                  the script's hook serves the thread's other clients (server/scripting.h,
//                  "Time limit"). Only allow-busy commands that name no key run (SCRIPT KILL,
//                  FUNCTION KILL, SHUTDOWN NOSAVE, AUTH, MULTI...), locking nothing; the rest
//                  get -BUSY.
//
// A client's command (kClient, kTest, EXEC) that waits for a shard held by a busy script of
// another thread gives up and gets -BUSY (LockSet::LockUnlessBusy); one that needs nothing the
// script holds runs as usual.
//
// Thread: one Dispatcher per thread (each worker's loop, the main thread for replay, a test):
// it keeps scratch space that is reused by every command, so it is never shared. Everything it
// reaches is shared and thread-safe (the keyspace through shard locks, the WAL, registries).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "commands/command.h"
#include "storage/keyspace.h"
#include "storage/tier.h"
#include "wal/record.h"

namespace strata::server {

class Server;
class Persistence;
class Tiering;
class WatchRegistry;
class BlockingRegistry;
struct CommandStats;
struct WalBatch;

enum class Mode : uint8_t { kClient, kNested, kReplay, kServeBlocked, kTest, kScript, kBusy };

// Why a command did not run yet. The caller waits without blocking its loop (the connection
// parks), has the tier do what it says, and runs the same command again.
struct Park {
  enum class Reason : uint8_t { kNone, kLoad, kQuery, kMemory };
  Reason reason = Reason::kNone;
  std::vector<storage::TierMiss> misses;   // kLoad: read these keys through
  std::vector<cmd::BackendQuery> queries;  // kQuery: answer these (in order)
};

// A written key with clients blocked on it: served once the writer's locks are released.
struct ReadyKey {
  size_t db;
  std::string key;
};

// A running script, as the dispatcher sees its commands (server/scripting.cc implements it).
class ScriptScope {
 public:
  virtual ~ScriptScope() = default;
  // Makes the shards of ctx's keys held (ctx.held is the script's LockSet). False: the command
  // must not run; the scope recorded why (the script starts again with more shards held, or
  // fails with an error).
  virtual bool Cover(const cmd::CommandContext& ctx) = 0;
  // The script may still start again from scratch (it has written nothing, and it is not
  // inside a transaction that ran commands before it).
  virtual bool Restartable() const = 0;
  bool read_only = false;    // EVAL_RO, EVALSHA_RO, a no-writes script
  bool allow_oom = false;    // the allow-oom shebang flag
  bool over_memory = false;  // over maxmemory when the script started
  bool wrote = false;        // a command of the script changed something
};

// The script running on a dispatcher's thread, as other threads see it once it is busy (past
// busy-reply-threshold): SCRIPT KILL, FUNCTION KILL, FUNCTION STATS and SHUTDOWN NOSAVE act on
// it. The script's thread publishes kBusy when it crosses the threshold and clears the state
// when it ends; a killer sets kKilled only while kWrote is not set, and the script sets kWrote
// (before a write command runs) only while kKilled is not: one compare-and-swap each, so a
// script is never killed after it wrote.
struct ScriptWatch {
  enum : uint8_t { kBusy = 1, kFunction = 2, kWrote = 4, kKilled = 8, kShutdown = 16 };
  std::atomic<uint8_t> state{0};
  // FUNCTION STATS' running_script, written when the script became busy (under mu).
  std::mutex mu;
  std::string name;
  std::vector<std::string> command;
  int64_t started_us = 0;  // monotonic (NowUs)
};

// The -BUSY error for a busy script of that kind (an EVAL or a function).
const char* BusyError(bool function);

// What one execution (a client's command, a transaction, a blocked client's command)
// accumulates across the commands it runs, for its caller once the locks are gone.
struct Effects {
  uint64_t wait_lsn = 0;        // appendfsync always: the reply waits until this is durable
  bool wrote = false;           // a record was logged (the reply is a write's, not a read's)
  std::vector<ReadyKey> ready;  // written keys with blocked clients
  Park park;                    // the command did not run: why
  // Set by an execution that logs its commands as one record (EXEC): nested commands add to
  // it instead of logging their own.
  WalBatch* batch = nullptr;
  // Set by a script for the commands it runs (kScript).
  ScriptScope* script = nullptr;
  void Clear() {
    wait_lsn = 0;
    wrote = false;
    ready.clear();
    park.reason = Park::Reason::kNone;
    batch = nullptr;
    script = nullptr;
  }
};

// The parts of the server a dispatcher reaches. Only keyspace and registry are required: a unit
// test runs commands with none of the others.
struct DispatchParts {
  storage::Keyspace* keyspace = nullptr;
  const cmd::CommandRegistry* registry = nullptr;
  Server* server = nullptr;
  Persistence* wal = nullptr;       // appendonly yes
  Tiering* tier = nullptr;          // a backend
  WatchRegistry* watches = nullptr;
  BlockingRegistry* blocking = nullptr;
};

// Counters one thread's dispatcher writes (a worker's: INFO sums them). Written by that thread
// only, read by any.
struct DispatchStats {
  std::vector<CommandStats>* per_command = nullptr;  // by CommandSpec::id
  std::atomic<uint64_t>* commands = nullptr;         // commands processed
  std::atomic<uint64_t>* errors = nullptr;           // error replies
};

class LuaEngine;

class Dispatcher {
 public:
  explicit Dispatcher(const DispatchParts& parts, DispatchStats stats = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Runs the command in ctx (argv, out, client, now_ms, and for kClient the connection). Sets
  // ctx.spec, keys, held, dispatcher and effects itself. Returns false when it did not run
  // (fx->park says why; nothing was replied or changed); true when it ran or was answered
  // (replied, refused or queued). fx collects what the caller acts on after the locks are gone.
  bool Run(cmd::CommandContext& ctx, Mode mode, Effects* fx);

  // The keys of ctx's command that a backend must supply before it can run (read-ahead of a
  // pipeline: the connection looks at the commands queued behind a parked one). Locks each
  // key's shard briefly; adds to *misses.
  void CollectMisses(cmd::CommandContext& ctx, std::vector<storage::TierMiss>* misses);

  // Resolves ctx's keys (ctx.spec set): positions from the key specs, the target database
  // (MOVE, COPY ... DB), hash and shard. EXEC uses it to compute its transaction's locks.
  void ResolveKeys(cmd::CommandContext& ctx) const;
  // Adds to locks the shards ctx's command must hold (its keys, or a whole database or
  // keyspace for kReachDb / kReachAll).
  void AddLocks(const cmd::CommandContext& ctx, storage::LockSet* locks) const;
  // Misses of ctx's keys under its held shards: keys only in the backend that the command
  // reads (every key but blind writes). Caller holds the shards; a tier is configured.
  bool FindMisses(const cmd::CommandContext& ctx, std::vector<storage::TierMiss>* misses) const;

  // The database ctx's command names through CommandSpec::target_db (MOVE's, COPY ... DB's,
  // SELECT's), or SIZE_MAX if none or not a valid index.
  static size_t TargetDbIndex(const cmd::CommandContext& ctx);

  // The backend query of a KEYS/SCAN/RANDOMKEY invocation, if a tier is configured and the
  // command needs one (false otherwise).
  bool BackendQueryFor(const cmd::CommandContext& ctx, cmd::BackendQuery* q) const;

  const DispatchParts& parts() const { return parts_; }
  // This thread's Lua interpreter (created at its first script; needs parts().server).
  LuaEngine& lua();
  // The caller's monotonic clock at the start of a batch of commands (a connection's read):
  // each command's time runs from the previous one's end, one clock read per command.
  void StartBatch(int64_t now_us) { clock_us_ = now_us; }
  int64_t clock_us() const { return clock_us_; }
  // The script running on this thread, for other threads (SCRIPT KILL...).
  ScriptWatch& script_watch() { return script_watch_; }

 private:
  bool RunClientChecks(cmd::CommandContext& ctx, Mode mode, Effects* fx);
  // kScript: the script's refusals and the cover of its keys. False when it must not run
  // (answered with an error, or the scope says why).
  bool RunScriptChecks(cmd::CommandContext& ctx, Effects* fx);
  void Reject(cmd::CommandContext& ctx, std::string_view error);
  bool RefuseWrite(cmd::CommandContext& ctx);  // true: refused (replied)
  // After a write that changed something, under its locks: log, mark its written keys.
  void AfterWrite(cmd::CommandContext& ctx, Mode mode, Effects* fx);
  uint64_t ReadWait(const cmd::CommandContext& ctx, const storage::LockSet& held) const;
  bool Queue(cmd::CommandContext& ctx);  // MULTI: true if queued (or refused while queueing)

  DispatchParts parts_;
  DispatchStats stats_;
  storage::LockSet locks_;  // the running top-level command's shards (reused)
  storage::LockSet no_locks_;  // Mode::kBusy's (always empty)
  int64_t clock_us_ = 0;
  wal::PayloadWriter scratch_;  // records too big to encode in place (Persistence::Log)
  std::unique_ptr<LuaEngine> lua_;
  ScriptWatch script_watch_;
};

}  // namespace strata::server
