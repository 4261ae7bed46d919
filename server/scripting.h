// Lua scripting (EVAL, EVALSHA, SCRIPT): the script cache every thread shares, and the Lua
// interpreter each thread owns. docs/ARCHITECTURE.md, "Scripts", has the picture.
//
// A script runs on the thread that read its EVAL, inside the EVAL handler, under the shards the
// dispatcher locked for it: the shards of its declared keys (KEYS), or of its whole database
// when the script was seen touching keys it did not declare (Script::reach, learned; every
// script's first run holds the database). Its redis.call / redis.pcall run through the same
// dispatcher in Mode::kScript. A key whose shard it does not hold is taken on the spot if no
// other thread holds it; otherwise a script that has written nothing starts again holding the
// database, and one that has written polls for the shard a few milliseconds and then fails
// (it never waits out of the global lock order, so no cycle of waiters can form). The writes of
// a script are logged as one WAL record, like a transaction's: replay never runs Lua.
//
// Time limit: a script running longer than busy-reply-threshold is busy (its count hook sees
// it). It marks the shards it holds, so that clients of other threads that need them get -BUSY
// instead of waiting (LockSet::LockUnlessBusy), publishes itself in its dispatcher's
// ScriptWatch for SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE, and every few milliseconds
// serves its own thread's other connections from the hook (Worker::ServeWhileBusy, Mode::kBusy).
// Killed, it unwinds with Redis's error; after a write it cannot be killed (docs/ARCHITECTURE.md,
// "Scripts").
//
// Thread: ScriptCache is shared (its own mutex); a LuaEngine belongs to one thread (one per
// dispatcher), as does the lua_State in it.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/command.h"
#include "common/buffer.h"

struct lua_State;

namespace strata::server {

class Server;

// Shebang flags (#!lua flags=...), Redis's names.
enum ScriptFlag : uint32_t {
  kScriptNoWrites = 1u << 0,
  kScriptAllowOom = 1u << 1,
  kScriptAllowStale = 1u << 2,
  kScriptNoCluster = 1u << 3,
  kScriptAllowCrossSlot = 1u << 4,
};

// What a script's runs were seen to touch, learned for the next run's locks.
enum class ScriptReach : uint8_t {
  kUnknown,  // never ran to the end: its database is held
  kKeys,     // only its declared keys: their shards are held
  kDb,       // other keys of its database: the database is held
  kAll,      // keys of other databases (SELECT): every shard is held
};

struct Script {
  std::string sha;   // 40 lowercase hex digits
  std::string body;  // the source as given
  bool shebang = false;
  uint32_t flags = 0;  // ScriptFlag bits (with a shebang)
  std::atomic<ScriptReach> reach{ScriptReach::kUnknown};
  std::atomic<bool> dropped{false};  // no longer in the cache (flushed or least recently used)
};

// SHA1 of s as 40 lowercase hex digits (libcrypto).
std::string Sha1Hex(std::string_view s);

class ScriptCache {
 public:
  // By SHA1 (either case); null if absent. Counts as a use of an EVAL script; loaded (SCRIPT
  // LOAD) makes it permanent.
  std::shared_ptr<Script> Get(std::string_view sha, bool loaded = false);
  // Adds a compiled script (LuaEngine::Prepare); returns the cached one if another thread added
  // it first. EVAL's scripts are bounded: beyond kMaxEvalScripts the least recently used goes
  // (as Redis 7.4); SCRIPT LOAD's stay until FLUSH.
  std::shared_ptr<Script> Insert(std::shared_ptr<Script> script, bool loaded);
  bool Exists(std::string_view sha);
  void Flush();
  // Bumped by Flush: each thread's engine drops its compiled functions when it changes.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  size_t size();
  size_t body_bytes();
  // Bytes every thread's Lua interpreter uses (each engine reports its change after a run).
  void AddLuaBytes(int64_t delta) { lua_bytes_.fetch_add(delta, std::memory_order_relaxed); }
  int64_t lua_bytes() const { return lua_bytes_.load(std::memory_order_relaxed); }

  static constexpr size_t kMaxEvalScripts = 500;

 private:
  // A SHA1 in lowercase hex as a fixed-size key: lookups allocate nothing.
  struct Key {
    char hex[40];
    bool operator==(const Key& o) const { return std::memcmp(hex, o.hex, 40) == 0; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return std::hash<std::string_view>()({k.hex, 40}); }
  };
  static bool MakeKey(std::string_view sha, Key* out);  // false unless 40 hex digits
  struct Slot {
    std::shared_ptr<Script> script;
    bool loaded = false;
    std::list<Key>::iterator lru;  // EVAL-only scripts: position in lru_
  };
  void Use(Slot& s, bool loaded);  // mu_ held


  std::mutex mu_;
  std::unordered_map<Key, Slot, KeyHash> map_;  // sha -> script
  std::list<Key> lru_;                         // EVAL-only shas, most recent at the back
  size_t body_bytes_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> lua_bytes_{0};
};

// A function a library registered (FUNCTION LOAD), as FCALL and FUNCTION LIST see it. Shared:
// the registry and running FCALLs hold it.
struct FunctionInfo {
  std::string name;
  std::string description;
  bool has_description = false;
  uint32_t flags = 0;  // ScriptFlag bits
  std::atomic<ScriptReach> reach{ScriptReach::kUnknown};
};

struct Library {
  std::string name;
  std::string code;  // as loaded, with its "#!lua name=..." line
  std::vector<std::shared_ptr<FunctionInfo>> functions;  // in registration order
};

// The libraries of FUNCTION LOAD, shared by every thread; each thread's engine loads them into
// its own Lua state when the generation changes. Kept in <dir>/functions.lua (written whole,
// atomically, on every change), so they survive a restart or a crash whatever the WAL and the
// backend do.
class FunctionRegistry {
 public:
  // Installs a library the caller's engine validated. replace: an existing library of that
  // name goes. False + *error (Redis's words) on a name clash.
  bool Add(std::shared_ptr<Library> lib, bool replace, std::string* error);
  bool Delete(std::string_view name);
  bool Has(std::string_view library_name);
  void Flush();
  std::shared_ptr<FunctionInfo> Find(std::string_view function_name);
  std::vector<std::shared_ptr<Library>> Libraries();  // by name
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  size_t num_libraries();
  size_t num_functions();
  size_t code_bytes();

  // FUNCTION DUMP: Redis's payload (each library's code as an RDB string after the FUNCTION2
  // opcode, then the RDB version and a CRC64), which redis-server's FUNCTION RESTORE accepts.
  std::string Dump();
  // FUNCTION RESTORE of validated libraries. kFlush: they become the only ones; kAppend: a name
  // clash fails (nothing changes); kReplace: same-named libraries are replaced.
  enum class RestorePolicy { kFlush, kAppend, kReplace };
  bool Restore(std::vector<std::shared_ptr<Library>> libs, RestorePolicy policy,
               std::string* error);

  // The file (empty: not kept, as in unit tests). Load reads it at start-up through engine.
  void SetFile(std::string path) { file_ = std::move(path); }
  bool Load(class LuaEngine& engine, std::string* error);

 private:
  void SaveLocked();  // mu_ held

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Library>> libs_;            // by library name
  std::unordered_map<std::string, std::shared_ptr<FunctionInfo>> fns_;  // by function name
  std::atomic<uint64_t> generation_{1};
  std::string file_;
};

// Parses a script's shebang ("#!lua" [flags=a,b]) into *flags. False + *error when invalid.
// A body without "#!" has no shebang (*shebang = false).
bool ParseShebang(std::string_view body, bool* shebang, uint32_t* flags, std::string* error);

class ScriptRun;

// One thread's Lua interpreter: Redis's libraries and sandbox, the compiled functions of the
// scripts this thread ran, and the script running now (at most one per thread).
class LuaEngine {
 public:
  explicit LuaEngine(Server* server);
  ~LuaEngine();
  LuaEngine(const LuaEngine&) = delete;
  LuaEngine& operator=(const LuaEngine&) = delete;

  // The script for body from the cache, or compiled here and added to it (SCRIPT LOAD: loaded).
  // Null + *error (Redis's reply) when its shebang is bad or it does not compile: such a script
  // is not cached.
  std::shared_ptr<Script> Prepare(std::string_view body, bool loaded, std::string* error);
  // FUNCTION LOAD: compiles code ("#!lua name=lib" first) and runs it with redis.register_function
  // to learn its functions. Null + *error (Redis's reply) if it is not a valid library.
  std::shared_ptr<Library> CheckLibrary(std::string_view code, std::string* error);
  // FCALL / FCALL_RO of fn (keys from argument first_key, numkeys of them).
  void RunFunction(cmd::CommandContext& ctx, const std::shared_ptr<FunctionInfo>& fn,
                   size_t first_key, size_t numkeys, bool read_only);
  // The cached script of an EVALSHA: the dispatcher asks (for its locks) just before the
  // handler does (to run it), so the last answer is remembered (one cache lookup per call).
  // A remembered hit does not refresh the script's place in the EVAL LRU: a script only
  // EVALSHA'd from one thread can be dropped after 500 newer EVALs; clients then get NOSCRIPT
  // and send EVAL again, as they do after SCRIPT FLUSH.
  std::shared_ptr<Script> FindSha(std::string_view sha);
  // Runs script for the EVAL-family command in ctx (its keys start at argument first_key,
  // numkeys of them; the arguments follow). Replies through ctx.out. read_only: EVAL_RO,
  // EVALSHA_RO.
  void Run(cmd::CommandContext& ctx, const std::shared_ptr<Script>& script, size_t first_key,
           size_t numkeys, bool read_only);
  // Bytes the interpreter uses (INFO's used_memory_lua).
  size_t memory_bytes() const;

 private:
  friend class ScriptRun;
  // What a run calls: a script's compiled chunk or a function's callback.
  struct Callable {
    std::string_view name;  // the sha or the function's name (error messages)
    std::atomic<ScriptReach>* reach;
    uint32_t flags;
    bool function;
    int ref;  // registry reference of the Lua function
  };
  // A function a library registers while it loads.
  struct Registered {
    std::shared_ptr<FunctionInfo> info;
    int ref;
  };
  void Reset();            // a fresh state (start, SCRIPT FLUSH)
  bool Compile(const Script& script, std::string* error);  // pushes the function
  void RunCallable(cmd::CommandContext& ctx, const Callable& what, size_t first_key,
                   size_t numkeys, bool read_only);
  int RunOnce(ScriptRun& run, const Callable& what);  // one attempt; see scripting.cc
  // Runs a library's code (metadata line already checked) registering into *out.
  bool LoadCode(std::string_view code, std::vector<Registered>* out, std::string* error);
  void SyncFunctions();  // loads the registry's libraries when its generation changed
  void ReportMemory();   // this state's size change to ScriptCache::AddLuaBytes

  Server* server_;
  lua_State* L_ = nullptr;
  uint64_t generation_ = 0;
  ScriptRun* current_ = nullptr;  // the running script (redis.call reaches it)
  uint64_t runs_ = 0;             // a GC step every 50 runs, as Redis
  int64_t reported_bytes_ = 0;    // what ReportMemory last added
  // This state's compiled scripts: SHA1 -> registry reference of the function.
  std::unordered_map<std::string, int> refs_;
  int errh_ref_ = 0;              // the error handler, in the registry
  void* rand_ = nullptr;          // math.random's generator (a userdata the registry anchors)
  Buffer reply_;                  // one redis.call's reply (reused)
  std::vector<std::string> call_args_;        // one redis.call's arguments (reused)
  std::vector<std::string_view> call_argv_;
  std::shared_ptr<Script> last_sha_;  // FindSha's last answer
  std::vector<Registered>* loading_ = nullptr;  // FUNCTION LOAD in progress: its registrations
  int64_t load_start_us_ = 0;     // ... since when (the load timeout)
  int load_api_ref_ = 0;          // the `redis` table a library sees while it loads
  uint64_t fn_generation_ = 0;    // the registry generation loaded into this state
  std::unordered_map<std::string, int> fn_refs_;  // function name -> callback reference
  friend struct LuaApi;
};

// EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT FUNCTION FCALL FCALL_RO (server/script_family.cc).
void RegisterScriptFamily(cmd::CommandRegistry& r);

// The shebang / register_function flag names of a ScriptFlag set, in Redis's order.
std::vector<std::string> ScriptFlagNames(uint32_t flags);

// The libraries' code in a FUNCTION DUMP payload (from this server or redis-server 7.0: plain
// or LZF-compressed RDB strings). False + *error (Redis's words) when it is not one.
bool ParseFunctionPayload(std::string_view payload, std::vector<std::string>* codes,
                          std::string* error);

// Parses a library's first line ("#!lua name=<lib>"): its name, or false + *error.
bool ParseLibraryMetadata(std::string_view code, std::string* name, std::string* error);

}  // namespace strata::server
