// Lua scripting (EVAL, EVALSHA, SCRIPT): the script cache every thread shares, and the Lua
// interpreter each thread owns. docs/ARCHITECTURE.md, "Scripts", has the picture.
//
// A script runs on the thread that read its EVAL, inside the EVAL handler, under the shards the
// dispatcher locked for it: the shards of its declared keys (KEYS), or of its whole database
// when the script was seen touching keys it did not declare (Script::reach, learned; every
// script's first run holds the database). Its redis.call / redis.pcall run through the same
// dispatcher in Mode::kScript. A key whose shard it does not hold is taken on the spot if no
// other thread holds it; otherwise a script that has written nothing starts again holding the
// database, and one that has written waits for the shard under the cache's escalation mutex
// (only one thread waits while holding shards at any time, so no cycle can form). The writes of
// a script are logged as one WAL record, like a transaction's: replay never runs Lua.
//
// Thread: ScriptCache is shared (its own mutex); a LuaEngine belongs to one thread (one per
// dispatcher), as does the lua_State in it.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <random>
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

  // Taken (try_lock) by a script that must wait for a shard while it holds others.
  std::mutex escalation;

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
  // Runs script for the EVAL-family command in ctx (its keys start at argument first_key,
  // numkeys of them; the arguments follow). Replies through ctx.out. read_only: EVAL_RO,
  // EVALSHA_RO.
  void Run(cmd::CommandContext& ctx, const std::shared_ptr<Script>& script, size_t first_key,
           size_t numkeys, bool read_only);
  // Bytes the interpreter uses (INFO's used_memory_lua).
  size_t memory_bytes() const;

 private:
  friend class ScriptRun;
  void Reset();            // a fresh state (start, SCRIPT FLUSH)
  bool Compile(const Script& script, std::string* error);  // pushes the function
  int RunOnce(ScriptRun& run);  // one attempt; see scripting.cc

  Server* server_;
  lua_State* L_ = nullptr;
  uint64_t generation_ = 0;
  ScriptRun* current_ = nullptr;  // the running script (redis.call reaches it)
  uint64_t runs_ = 0;             // a GC step every 50 runs, as Redis
  // This state's compiled scripts: SHA1 -> registry reference of the function.
  std::unordered_map<std::string, int> refs_;
  int errh_ref_ = 0;              // the error handler, in the registry
  void* rand_ = nullptr;          // math.random's generator (a userdata the registry anchors)
  Buffer reply_;                  // one redis.call's reply (reused)
  std::mt19937 seed_rng_{std::random_device{}()};  // math.random's seed per run
  friend struct LuaApi;
};

// EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT (server/script_family.cc).
void RegisterScriptFamily(cmd::CommandRegistry& r);

}  // namespace strata::server
