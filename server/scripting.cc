// Lua scripting: the shared script cache, one interpreter per thread with Redis's libraries and
// sandbox, the conversions between Lua values and RESP (Redis 7.0's rules), and a script's run:
// its locks, its commands through the dispatcher, its WAL record.
#include "server/scripting.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include <lua.hpp>
#include <liblzf/lzf.h>
extern "C" {
int luaopen_cjson(lua_State* L);
int luaopen_bit(lua_State* L);
}

#include "common/crc64.h"
#include "common/errors.h"
#include "common/format.h"
#include "common/log.h"
#include "common/random.h"
#include "common/strutil.h"
#include "server/connection.h"
#include "server/dispatcher.h"
#include "server/lua_libs.h"
#include "server/persistence.h"
#include "server/server.h"
#include "server/worker.h"

namespace strata::server {

namespace {
constexpr char kRedisVersion[] = "7.0.15";       // what INFO's redis_version says
constexpr lua_Number kRedisVersionNum = 0x07000f;  // 7.0.15 as Redis encodes it
}  // namespace

// ---- SHA1, shebang, the cache ----

std::string Sha1Hex(std::string_view s) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  static const char kHex[] = "0123456789abcdef";
  std::string out(2 * SHA_DIGEST_LENGTH, '0');
  for (size_t i = 0; i < SHA_DIGEST_LENGTH; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 15];
  }
  return out;
}

namespace {

std::vector<std::string_view> SplitOn(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

}  // namespace

namespace {
constexpr struct {
  const char* name;
  uint32_t flag;
} kScriptFlagNames[] = {{"no-writes", kScriptNoWrites},       {"allow-oom", kScriptAllowOom},
                        {"allow-stale", kScriptAllowStale},   {"no-cluster", kScriptNoCluster},
                        {"allow-cross-slot-keys", kScriptAllowCrossSlot}};

uint32_t ScriptFlagBit(std::string_view name) {
  for (const auto& k : kScriptFlagNames)
    if (name == k.name) return k.flag;
  return 0;
}

bool ValidName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}
}  // namespace

std::vector<std::string> ScriptFlagNames(uint32_t flags) {
  std::vector<std::string> out;
  for (const auto& k : kScriptFlagNames)
    if (flags & k.flag) out.emplace_back(k.name);
  return out;
}

bool ParseLibraryMetadata(std::string_view code, std::string* name, std::string* error) {
  if (code.substr(0, 2) != "#!") {
    *error = err::kLibraryMissingMetadata;
    return false;
  }
  std::string_view line = code.substr(0, code.find('\n'));
  std::vector<std::string_view> parts;
  for (std::string_view p : SplitOn(line, ' '))
    if (!p.empty()) parts.push_back(p);
  std::string_view engine = parts[0].substr(2);
  if (engine != "lua") {
    *error = Format(err::kLibraryEngine, std::string(engine).c_str());
    return false;
  }
  name->clear();
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].substr(0, 5) != "name=") {
      *error = Format(err::kLibraryBadMetadata, std::string(parts[i]).c_str());
      return false;
    }
    name->assign(parts[i].substr(5));
  }
  if (name->empty() && parts.size() == 1) {
    *error = err::kLibraryNoName;
    return false;
  }
  if (!ValidName(*name)) {
    *error = err::kLibraryBadName;
    return false;
  }
  return true;
}

bool ParseShebang(std::string_view body, bool* shebang, uint32_t* flags, std::string* error) {
  *shebang = false;
  *flags = 0;
  if (body.substr(0, 2) != "#!") return true;
  size_t end = body.find('\n');
  if (end == std::string_view::npos) {
    *error = err::kScriptShebangInvalid;
    return false;
  }
  std::vector<std::string_view> parts;
  for (std::string_view p : SplitOn(body.substr(0, end), ' '))
    if (!p.empty()) parts.push_back(p);
  if (parts[0] != "#!lua") {
    *error = Format(err::kScriptUnknownEngine, std::string(parts[0]).c_str());
    return false;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].substr(0, 6) != "flags=") {
      *error = Format(err::kScriptShebangOption, std::string(parts[i]).c_str());
      return false;
    }
    std::string_view list = parts[i].substr(6);
    if (list.empty()) continue;
    for (std::string_view f : SplitOn(list, ',')) {
      uint32_t bit = ScriptFlagBit(f);
      if (bit == 0) {
        *error = Format(err::kScriptUnknownFlag, std::string(f).c_str());
        return false;
      }
      *flags |= bit;
    }
  }
  *shebang = true;
  return true;
}

namespace {
// Hex digits to lowercase; 0 for anything else (EVALSHA's hot path: no branches per digit).
struct HexLower {
  char map[256] = {};
  HexLower() {
    for (int c = '0'; c <= '9'; ++c) map[c] = static_cast<char>(c);
    for (int c = 'a'; c <= 'f'; ++c) map[c] = static_cast<char>(c);
    for (int c = 'A'; c <= 'F'; ++c) map[c] = static_cast<char>(c | 0x20);
  }
};
const HexLower kHexLower;
}  // namespace

bool ScriptCache::MakeKey(std::string_view sha, Key* out) {
  if (sha.size() != 40) return false;
  char all_hex = 1;
  for (size_t i = 0; i < 40; ++i) {
    char c = kHexLower.map[static_cast<unsigned char>(sha[i])];
    out->hex[i] = c;
    all_hex &= static_cast<char>(c != 0);
  }
  return all_hex != 0;
}

void ScriptCache::Use(Slot& s, bool loaded) {
  if (s.loaded) return;
  if (loaded) {
    lru_.erase(s.lru);
    s.loaded = true;
  } else {
    lru_.splice(lru_.end(), lru_, s.lru);
  }
}

std::shared_ptr<Script> ScriptCache::Get(std::string_view sha, bool loaded) {
  Key key;
  if (!MakeKey(sha, &key)) return nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  Use(it->second, loaded);
  return it->second.script;
}

std::shared_ptr<Script> ScriptCache::Insert(std::shared_ptr<Script> script, bool loaded) {
  Key key;
  MakeKey(script->sha, &key);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(key);
  if (it != map_.end()) {
    Use(it->second, loaded);
    return it->second.script;
  }
  Slot slot;
  slot.script = script;
  slot.loaded = loaded;
  if (!loaded) {
    if (lru_.size() >= kMaxEvalScripts) {  // the least recently used EVAL script goes
      auto old = map_.find(lru_.front());
      body_bytes_ -= old->second.script->body.size();
      old->second.script->dropped.store(true, std::memory_order_relaxed);
      map_.erase(old);
      lru_.pop_front();
    }
    slot.lru = lru_.insert(lru_.end(), key);
  }
  body_bytes_ += script->body.size();
  map_.emplace(key, std::move(slot));
  return script;
}

bool ScriptCache::Exists(std::string_view sha) {
  Key key;
  if (!MakeKey(sha, &key)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return map_.count(key) > 0;
}

void ScriptCache::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, slot] : map_) slot.script->dropped.store(true, std::memory_order_relaxed);
  map_.clear();
  lru_.clear();
  body_bytes_ = 0;
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

size_t ScriptCache::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.size();
}

size_t ScriptCache::body_bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return body_bytes_;
}

// ---- one script's run ----

// How long a script that has written polls for the shard of a key it did not declare.
constexpr int kEscalationWaitMs = 20;

// A script's execution: its locks (ctx.held of the EVAL), its client (a copy: a SELECT inside
// the script does not change the caller's database, as in Redis 7), the commands it runs
// through the dispatcher, and what it learns about the keys it touches.
class ScriptRun : public ScriptScope {
 public:
  ScriptRun(cmd::CommandContext& ctx, size_t first_key, size_t numkeys, ScriptCache* cache,
            Buffer& reply, std::vector<std::string>& args, std::vector<std::string_view>& argv)
      : ctx_(ctx), first_key_(first_key), numkeys_(numkeys), cache_(cache),
        client_(*ctx.client), reply_(reply), writer_(&reply), args(args), argv(argv) {
    nested_ = ctx.nested;
  }

  bool Restartable() const override { return !wrote && !nested_; }

  bool Cover(const cmd::CommandContext& c) override {
    // Learn what the script touches beyond its declared keys.
    const uint32_t reach = c.spec->flags & (cmd::kReachDb | cmd::kReachAll);
    const uint32_t own_db = static_cast<uint32_t>(ctx_.client->db_index);
    if (reach & cmd::kReachAll) Touch(ScriptReach::kAll);
    if (reach & cmd::kReachDb) Touch(c.client->db_index == own_db ? ScriptReach::kDb : ScriptReach::kAll);
    for (const cmd::ResolvedKey& k : c.keys)
      if (!Declared(k)) Touch(k.db == own_db ? ScriptReach::kDb : ScriptReach::kAll);
    // The shards it needs that are not held yet.
    std::vector<storage::Shard*> missing;
    storage::LockSet& held = *ctx_.held;
    auto need = [&](storage::Shard* s) {
      if (!held.Holds(s) && std::find(missing.begin(), missing.end(), s) == missing.end())
        missing.push_back(s);
    };
    if (reach & cmd::kReachAll) {
      for (size_t d = 0; d < c.keyspace->num_dbs(); ++d)
        for (size_t i = 0; i < c.keyspace->num_shards(); ++i) need(&c.keyspace->db(d).shard(i));
    } else if (reach & cmd::kReachDb) {
      storage::Db& db = c.keyspace->db(c.client->db_index);
      for (size_t i = 0; i < c.keyspace->num_shards(); ++i) need(&db.shard(i));
    }
    for (const cmd::ResolvedKey& k : c.keys) need(k.ref.shard);
    if (missing.empty()) return Allow(c);
    std::vector<storage::Shard*> taken_later;
    for (storage::Shard* s : missing)
      if (!held.TryAdd(s)) taken_later.push_back(s);
    if (taken_later.empty()) return Took(c);
    if (Restartable()) {  // start again holding what it was seen to need
      restart = true;
      return false;
    }
    // It wrote, so it cannot start again; and it must not wait for a lower shard while it holds
    // higher ones (its holder may be waiting for one of ours, in the global order). It polls a
    // short while, the usual case being a command that finishes within microseconds, then
    // fails: its next run holds the database from the start (reach learned above).
    for (storage::Shard* s : taken_later) {
      if (!held.TryAddFor(s, kEscalationWaitMs)) {
        cover_error = err::kScriptLockConflict;
        return false;
      }
    }
    return Took(c);
  }

  bool Took(const cmd::CommandContext& c) {  // Cover took more shards
    if (busy) MarkShards(BusyMark());
    return Allow(c);
  }
  // The command is covered and runs now. A write while busy first claims kWrote (false: the
  // script was killed just before: it must not write, and unwinds).
  bool Allow(const cmd::CommandContext& c) {
    if (!(c.spec->flags & cmd::kWrite)) return true;
    if (busy && !ClaimWrite()) {
      killed = true;
      return false;
    }
    called_write = true;  // Redis's SCRIPT_WRITE_DIRTY: set before the command, changed or not
    return true;
  }

  // ---- the time limit (busy-reply-threshold; scripting.h) ----
  uint8_t BusyMark() const {
    return function ? storage::Shard::kBusyFunction : storage::Shard::kBusyEval;
  }
  void MarkShards(uint8_t mark) {
    for (storage::Shard* s : ctx_.held->shards()) s->busy.store(mark, std::memory_order_release);
  }
  // Past the threshold: published for SCRIPT KILL and FUNCTION STATS, its shards marked.
  void BecomeBusy(int64_t now_us) {
    busy = true;
    {
      std::lock_guard<std::mutex> lock(watch->mu);
      watch->name.assign(name.data(), name.size());
      watch->command.assign(ctx_.argv, ctx_.argv + ctx_.argc);
      watch->started_us = start_us;
    }
    uint8_t st = ScriptWatch::kBusy;
    if (function) st |= ScriptWatch::kFunction;
    if (called_write) st |= ScriptWatch::kWrote;
    watch->state.store(st, std::memory_order_release);
    MarkShards(BusyMark());
    Log(LogLevel::kWarning,
        "Slow script detected: still in execution after %lld milliseconds. You can try killing "
        "the script using the %s command. Script name is: %s.",
        static_cast<long long>((now_us - start_us) / 1000),
        function ? "FUNCTION KILL" : "SCRIPT KILL", std::string(name).c_str());
  }
  void EndBusy() {
    if (!busy) return;
    MarkShards(storage::Shard::kNotBusy);
    watch->state.store(0, std::memory_order_release);
    busy = false;
  }
  bool ClaimWrite() {
    uint8_t st = watch->state.load(std::memory_order_acquire);
    while (!(st & ScriptWatch::kWrote)) {
      if (st & ScriptWatch::kKilled) return false;
      if (watch->state.compare_exchange_weak(st, st | ScriptWatch::kWrote,
                                             std::memory_order_acq_rel))
        return true;
    }
    return true;
  }
  // This thread's other clients: served (-BUSY, or SCRIPT KILL...) from inside the script.
  void ServeOthers() {
    if (ctx_.conn != nullptr) ctx_.conn->worker()->ServeWhileBusy(ctx_.conn);
  }

  void Touch(ScriptReach r) {
    if (r > touched) touched = r;
  }
  bool Declared(const cmd::ResolvedKey& k) const {
    if (k.db != ctx_.client->db_index) return false;
    for (size_t i = 0; i < numkeys_; ++i)
      if (ctx_.argv[first_key_ + i] == k.ref.key) return true;
    return false;
  }

  cmd::CommandContext& ctx_;
  size_t first_key_, numkeys_;
  ScriptCache* cache_;
  bool nested_ = false;
  cmd::ClientState client_;  // the script's client (its database, its protocol for replies)
  Buffer& reply_;            // one command's reply (the engine's)
  protocol::ReplyWriter writer_;
  int resp = 2;              // redis.setresp
  Effects fx;                // what its commands accumulate
  WalBatch batch;            // its WAL record (unless inside EXEC: the transaction's)
  std::vector<std::string>& args;     // one redis.call's arguments (the engine's, reused)
  std::vector<std::string_view>& argv;
  ScriptReach touched = ScriptReach::kKeys;
  // How the run ended early: start again with more held, park for a read-through, or fail.
  bool restart = false;
  bool park = false;
  std::string cover_error;
  bool aborting = false;  // unwinding for restart/park: every pcall re-raises
  bool called_write = false;  // a write command ran (or was about to)
  // The time limit.
  ScriptWatch* watch = nullptr;  // this thread's (the dispatcher's)
  bool function = false;         // FCALL (else EVAL)
  std::string_view name;         // the sha or the function's name
  int64_t start_us = 0, busy_at_us = 0, next_serve_us = 0;
  bool busy = false;    // past busy-reply-threshold
  bool killed = false;  // SCRIPT KILL / FUNCTION KILL: unwinding, every pcall re-raises
};

// ---- the Lua side ----

namespace {

constexpr char kProtectedKey[] = "strata.protected";  // registry: read-only proxies (weak)
constexpr char kEngineKey[] = "strata.engine";
constexpr char kAbortMsg[] = "strata: script restarting";
constexpr int kHookEvery = 1000;                // instructions between two calls of the hook
constexpr int64_t kServeEveryUs = 10 * 1000;    // a busy script serves other clients this often
constexpr int64_t kLoadTimeoutUs = 500 * 1000;  // a library's code (Redis's LOAD_TIMEOUT_MS)

// Redis's deterministic math.random: the rand48 generator, seeded with 0 before every script.
struct Rand48 {
  uint64_t x = 0;
  void Seed(int32_t seed) { x = (static_cast<uint64_t>(static_cast<uint32_t>(seed)) << 16) | 0x330E; }
  int32_t Next() {
    x = (x * 0x5DEECE66DULL + 0xB) & ((1ULL << 48) - 1);
    return static_cast<int32_t>(x >> 17);
  }
};

LuaEngine* EngineOf(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kEngineKey);
  auto* e = static_cast<LuaEngine*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return e;
}

Rand48* RandomOf(lua_State* L) {
  return static_cast<Rand48*>(lua_touserdata(L, lua_upvalueindex(1)));
}

int MathRandom(lua_State* L) {
  Rand48* r = RandomOf(L);
  constexpr int32_t kMax = INT32_MAX;
  lua_Number v = static_cast<lua_Number>(r->Next() % kMax) / static_cast<lua_Number>(kMax);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, v);
      break;
    case 1: {
      int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, std::floor(v * u) + 1);
      break;
    }
    case 2: {
      int l = luaL_checkint(L, 1);
      int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, std::floor(v * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, err::kScriptRandomArgs);
  }
  return 1;
}

int MathRandomSeed(lua_State* L) {
  RandomOf(L)->Seed(luaL_checkint(L, 1));
  return 0;
}

// Pushes Redis's error table {err = "CODE message"} for a message "-CODE message", "CODE
// message" or "message" (luaPushErrorBuff: a message with no code gets "ERR").
void PushErrorTable(lua_State* L, std::string_view msg) {
  std::string code = "ERR", text(msg);
  if (!msg.empty() && msg[0] == '-') {
    size_t sp = msg.find(' ');
    if (sp == std::string_view::npos) {
      text = std::string(msg.substr(1));
    } else {
      code = std::string(msg.substr(1, sp - 1));
      text = std::string(msg.substr(sp + 1));
    }
  }
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.pop_back();
  std::string final_msg = code + " " + text;
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushlstring(L, final_msg.data(), final_msg.size());
  lua_settable(L, -3);
}

// An error reply as the dispatcher wrote it ("ERR ...", "WRONGTYPE ..."): the same table.
void PushReplyError(lua_State* L, std::string_view line) {
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushlstring(L, line.data(), line.size());
  lua_settable(L, -3);
}

// ---- RESP -> Lua (a command's reply inside the script) ----

class ReplyParser {
 public:
  ReplyParser(lua_State* L, std::string_view s) : L_(L), p_(s.data()), end_(s.data() + s.size()) {}
  // Pushes one value; false if the bytes are not a whole reply (cannot happen: our writer).
  bool Push() {
    if (p_ >= end_ || !lua_checkstack(L_, 4)) return false;
    char t = *p_++;
    std::string_view line;
    if (!Line(&line)) return false;
    switch (t) {
      case '+':
        lua_newtable(L_);
        lua_pushstring(L_, "ok");
        lua_pushlstring(L_, line.data(), line.size());
        lua_settable(L_, -3);
        return true;
      case '-':
        PushReplyError(L_, line);
        return true;
      case ':': {
        int64_t v = 0;
        ParseInt64(line, &v);
        lua_pushnumber(L_, static_cast<lua_Number>(v));
        return true;
      }
      case '$':
      case '=': {
        int64_t n = 0;
        ParseInt64(line, &n);
        if (n < 0) {
          lua_pushboolean(L_, 0);
          return true;
        }
        if (end_ - p_ < n + 2) return false;
        std::string_view body(p_, static_cast<size_t>(n));
        p_ += n + 2;
        if (t == '$') {
          lua_pushlstring(L_, body.data(), body.size());
        } else {  // verbatim: "txt:" + text
          lua_newtable(L_);
          lua_pushstring(L_, "verbatim_string");
          lua_newtable(L_);
          lua_pushstring(L_, "format");
          lua_pushlstring(L_, body.data(), std::min<size_t>(3, body.size()));
          lua_settable(L_, -3);
          lua_pushstring(L_, "string");
          std::string_view text = body.size() > 4 ? body.substr(4) : std::string_view();
          lua_pushlstring(L_, text.data(), text.size());
          lua_settable(L_, -3);
          lua_settable(L_, -3);
        }
        return true;
      }
      case '*':
      case '~':
      case '%':
      case '>': {
        int64_t n = 0;
        ParseInt64(line, &n);
        if (n < 0) {
          lua_pushboolean(L_, 0);
          return true;
        }
        if (t == '%') return Map(n);
        if (t == '~') return Set(n);
        lua_newtable(L_);
        for (int64_t i = 0; i < n; ++i) {
          if (!Push()) return false;
          lua_rawseti(L_, -2, static_cast<int>(i + 1));
        }
        return true;
      }
      case '_':
        lua_pushnil(L_);
        return true;
      case '#':
        lua_pushboolean(L_, line == "t");
        return true;
      case ',': {
        lua_newtable(L_);
        lua_pushstring(L_, "double");
        std::string num(line);
        lua_pushnumber(L_, strtod(num.c_str(), nullptr));
        lua_settable(L_, -3);
        return true;
      }
      case '(':
        lua_newtable(L_);
        lua_pushstring(L_, "big_number");
        lua_pushlstring(L_, line.data(), line.size());
        lua_settable(L_, -3);
        return true;
      default:
        return false;
    }
  }

 private:
  bool Line(std::string_view* out) {
    const char* q = p_;
    while (q + 1 < end_ && !(q[0] == '\r' && q[1] == '\n')) ++q;
    if (q + 1 >= end_) return false;
    *out = std::string_view(p_, static_cast<size_t>(q - p_));
    p_ = q + 2;
    return true;
  }
  bool Map(int64_t n) {  // {map = {k = v, ...}}
    lua_newtable(L_);
    lua_pushstring(L_, "map");
    lua_newtable(L_);
    for (int64_t i = 0; i < n; ++i) {
      if (!Push() || !Push()) return false;
      lua_settable(L_, -3);
    }
    lua_settable(L_, -3);
    return true;
  }
  bool Set(int64_t n) {  // {set = {member = true, ...}}
    lua_newtable(L_);
    lua_pushstring(L_, "set");
    lua_newtable(L_);
    for (int64_t i = 0; i < n; ++i) {
      if (!Push()) return false;
      lua_pushboolean(L_, 1);
      lua_settable(L_, -3);
    }
    lua_settable(L_, -3);
    return true;
  }

  lua_State* L_;
  const char* p_;
  const char* end_;
};

// ---- Lua -> RESP (the script's result to its caller) ----

void LuaToReply(lua_State* L, protocol::ReplyWriter* out, int script_resp, int depth);

std::string FieldString(lua_State* L, const char* name, bool* found) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  *found = lua_type(L, -1) == LUA_TSTRING;
  std::string s;
  if (*found) {
    size_t len;
    const char* p = lua_tolstring(L, -1, &len);
    s.assign(p, len);
  }
  lua_pop(L, 1);
  return s;
}

std::string NoNewlines(std::string s) {
  for (char& c : s)
    if (c == '\r' || c == '\n') c = ' ';
  return s;
}

// The number of fields of the table at the top (pairs()).
size_t TableCount(lua_State* L) {
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    ++n;
    lua_pop(L, 1);
  }
  return n;
}

// The value on top of the stack, popped.
void LuaToReply(lua_State* L, protocol::ReplyWriter* out, int script_resp, int depth) {
  if (depth > 1000 || !lua_checkstack(L, 4)) {
    lua_pop(L, 1);
    out->Error(err::kScriptStackLimitReply);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len;
      const char* p = lua_tolstring(L, -1, &len);
      out->Bulk(std::string_view(p, len));
      break;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, -1))
          out->Integer(1);
        else
          out->NullBulk();
      } else {
        out->Bool(lua_toboolean(L, -1));
      }
      break;
    case LUA_TNUMBER: {
      // Redis casts to long long; out of range (and NaN) that is x86's INT64_MIN.
      double d = lua_tonumber(L, -1);
      int64_t v = d >= -9223372036854775808.0 && d < 9223372036854775808.0
                      ? static_cast<int64_t>(d) : INT64_MIN;
      out->Integer(v);
      break;
    }
    case LUA_TTABLE: {
      bool found;
      std::string s = FieldString(L, "err", &found);
      if (found) {
        out->Error(s);  // as the script wrote it: no code added
        break;
      }
      s = FieldString(L, "ok", &found);
      if (found) {
        out->SimpleString(NoNewlines(std::move(s)));
        break;
      }
      lua_pushstring(L, "double");
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TNUMBER) {
        out->Double(lua_tonumber(L, -1));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      s = FieldString(L, "big_number", &found);
      if (found) {
        out->BigNumber(NoNewlines(std::move(s)));
        break;
      }
      lua_pushstring(L, "verbatim_string");
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TTABLE) {
        bool has_format, has_text;
        std::string format = FieldString(L, "format", &has_format);
        std::string text = FieldString(L, "string", &has_text);
        if (has_format && has_text) {
          out->Verbatim(format, text);
          lua_pop(L, 2);
          return;
        }
      }
      lua_pop(L, 1);
      lua_pushstring(L, "map");
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TTABLE) {
        out->MapHeader(TableCount(L));
        lua_pushnil(L);
        while (lua_next(L, -2) != 0) {
          lua_pushvalue(L, -2);              // the key, converted and popped
          LuaToReply(L, out, script_resp, depth + 1);
          LuaToReply(L, out, script_resp, depth + 1);  // the value
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      lua_pushstring(L, "set");
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TTABLE) {
        out->SetHeader(TableCount(L));
        lua_pushnil(L);
        while (lua_next(L, -2) != 0) {
          lua_pop(L, 1);
          lua_pushvalue(L, -1);
          LuaToReply(L, out, script_resp, depth + 1);
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      // An array: 1, 2, ... up to the first nil.
      size_t n = 0;
      for (;;) {
        lua_rawgeti(L, -1, static_cast<int>(n + 1));
        bool nil = lua_isnil(L, -1);
        lua_pop(L, 1);
        if (nil) break;
        ++n;
      }
      out->ArrayHeader(n);
      for (size_t i = 1; i <= n; ++i) {
        lua_rawgeti(L, -1, static_cast<int>(i));
        LuaToReply(L, out, script_resp, depth + 1);
      }
      break;
    }
    default:
      out->NullBulk();
  }
  lua_pop(L, 1);
}

// ---- the error handler: Redis's __redis__err__handler ----

// Turns whatever was raised into {err=..., source=..., line=...}; a string gets "ERR ".
int ErrorHandler(lua_State* L) {
  LuaEngine* e = EngineOf(L);
  (void)e;
  if (!lua_istable(L, 1)) {
    lua_getglobal(L, "tostring");
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    std::string msg = err::kErrPrefix;
    if (const char* s = lua_tostring(L, -1)) msg += s;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushlstring(L, msg.data(), msg.size());
    lua_settable(L, -3);
    lua_replace(L, 1);
  }
  lua_Debug ar;
  bool have = lua_getstack(L, 1, &ar) && lua_getinfo(L, "nSl", &ar);
  if (have && std::strcmp(ar.what, "C") == 0) have = lua_getstack(L, 2, &ar) && lua_getinfo(L, "nSl", &ar);
  if (have) {
    lua_pushstring(L, "source");
    lua_pushstring(L, ar.source);
    lua_settable(L, 1);
    lua_pushstring(L, "line");
    lua_pushnumber(L, ar.currentline);
    lua_settable(L, 1);
  }
  lua_settop(L, 1);
  return 1;
}

// ---- the sandbox ----

// Read-only tables: a proxy with no fields of its own; reads go to the real table (globals:
// an error for a name that does not exist), writes fail (Redis 7's read-only tables).
int ReadonlyError(lua_State* L) {  // an assignment: the script's position first
  luaL_where(L, 1);
  lua_pushstring(L, err::kScriptReadonlyTable);
  lua_concat(L, 2);
  return lua_error(L);
}

int ReadonlyCallError(lua_State* L) {  // rawset, setmetatable: no position (as Redis)
  lua_pushstring(L, err::kScriptReadonlyTable);
  return lua_error(L);
}

// The real globals' __index: only reached for a name they do not have.
int GlobalMissing(lua_State* L) {
  const char* name = lua_tostring(L, 2);
  luaL_where(L, 1);
  lua_pushfstring(L, err::kScriptGlobalRead, name != nullptr ? name : "?");
  lua_concat(L, 2);
  return lua_error(L);
}

bool IsProtected(lua_State* L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_getfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  bool p = !lua_isnil(L, -1);
  lua_pop(L, 2);
  return p;
}

// rawset, setfenv, loadstring and load, made safe for the proxies.
int SafeRawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (IsProtected(L, 1)) return ReadonlyCallError(L);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

int SafeSetmetatable(lua_State* L) {  // upvalue 1: the original
  if (lua_type(L, 1) == LUA_TTABLE && IsProtected(L, 1)) return ReadonlyCallError(L);
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, 1);
  return 1;
}

// Redis's pcall: an error table caught comes back as its err string. A run that is unwinding
// to start again is not caught.
int RedisPcall(lua_State* L);

// loadstring / load: no precompiled chunks, and the chunk sees the sandbox's globals.
int SafeLoad(lua_State* L) {  // upvalue 1: the original, 2: the proxy
  if (lua_type(L, 1) == LUA_TSTRING) {
    size_t len;
    const char* s = lua_tolstring(L, 1, &len);
    if (len > 0 && s[0] == LUA_SIGNATURE[0]) {
      lua_pushnil(L);
      lua_pushstring(L, "binary chunks are not allowed");
      return 2;
    }
  } else if (lua_type(L, 1) == LUA_TFUNCTION) {  // a reader could produce bytecode
    lua_pushnil(L);
    lua_pushstring(L, "load with a reader function is not allowed");
    return 2;
  }
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  if (lua_type(L, 1) == LUA_TFUNCTION) {
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_setfenv(L, 1);
  }
  return lua_gettop(L);
}

void MarkProtected(lua_State* L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_getfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

// Makes the value at the top a read-only proxy of itself (popped, proxy pushed). globals:
// reads of a missing name fail.
void PushProxy(lua_State* L, bool globals) {
  int real = lua_gettop(L);
  lua_newtable(L);  // the proxy
  lua_newtable(L);  // its metatable
  lua_pushvalue(L, real);  // reads go to the real table (the VM's fast path)
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyError);
  lua_setfield(L, -2, "__newindex");
  // getmetatable() answers a read-only table, never the metatable itself.
  lua_newtable(L);
  lua_newtable(L);
  lua_pushcfunction(L, ReadonlyError);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
  MarkProtected(L, -1);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  MarkProtected(L, -1);
  if (globals) {  // a name the globals do not have is an error, not nil
    lua_newtable(L);
    lua_pushcfunction(L, GlobalMissing);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, real);
  }
  lua_replace(L, real);
}

}  // namespace

// The redis.* functions. Each returns its Lua results or raises; C++ objects with destructors
// are gone before lua_error runs (it longjmps).
struct LuaApi {
  static ScriptRun* Current(lua_State* L) { return EngineOf(L)->current_; }

  // redis.call (raise) and redis.pcall: pushes the reply (or the error table); -1 = raise it.
  static int CallImpl(lua_State* L, bool raise) {
    LuaEngine* engine = EngineOf(L);
    ScriptRun* run = engine->current_;
    if (run == nullptr) {
      PushErrorTable(L, err::kScriptCallOutside);
      return -1;
    }
    if (run->aborting) {
      lua_pushstring(L, kAbortMsg);
      return -1;
    }
    const int argc = lua_gettop(L);
    if (argc == 0) {
      PushReplyError(L, err::kScriptNoArgs);
      return raise ? -1 : 1;
    }
    run->args.resize(static_cast<size_t>(argc));
    for (int i = 1; i <= argc; ++i) {
      std::string& a = run->args[i - 1];
      int t = lua_type(L, i);
      if (t == LUA_TNUMBER) {
        char buf[64];
        int n = snprintf(buf, sizeof buf, "%.17g", static_cast<double>(lua_tonumber(L, i)));
        a.assign(buf, static_cast<size_t>(n));
      } else if (t == LUA_TSTRING) {
        size_t len;
        const char* p = lua_tolstring(L, i, &len);
        a.assign(p, len);
      } else {
        PushReplyError(L, err::kScriptArgType);
        return raise ? -1 : 1;
      }
    }
    run->argv.assign(run->args.begin(), run->args.end());
    const cmd::CommandSpec* spec = Lookup(*run->ctx_.registry, run->argv);
    if (spec == nullptr) {
      PushReplyError(L, err::kScriptUnknownCommand);
      return raise ? -1 : 1;
    }
    if ((spec->arity > 0 && spec->arity != argc) || argc < -spec->arity) {
      PushReplyError(L, err::kScriptArity);
      return raise ? -1 : 1;
    }
    // Through the dispatcher, into the script's reply buffer.
    run->reply_.Clear();
    run->writer_.set_resp3(run->resp == 3);
    cmd::CommandContext c;
    c.argv = run->argv.data();
    c.argc = run->argv.size();
    c.spec = spec;
    c.out = &run->writer_;
    c.client = &run->client_;
    c.keyspace = run->ctx_.keyspace;
    c.server = run->ctx_.server;
    c.registry = run->ctx_.registry;
    c.now_ms = run->ctx_.now_ms;  // one clock for the whole script, as Redis
    c.max_string_len = run->ctx_.max_string_len;
    c.held = run->ctx_.held;
    c.nested = true;  // blocking commands answer as on timeout
    c.in_script = true;
    if (!run->ctx_.dispatcher->Run(c, Mode::kScript, &run->fx)) run->park = true;
    if (run->park || run->restart) {
      run->aborting = true;
      lua_pushstring(L, kAbortMsg);
      return -1;
    }
    if (run->killed) {  // killed just before a write: it unwinds instead
      lua_sethook(L, Hook, LUA_MASKCOUNT, 1);
      PushErrorTable(L, err::kScriptKilled);
      return -1;
    }
    if (!run->cover_error.empty()) {
      std::string e = std::move(run->cover_error);
      run->cover_error.clear();
      PushReplyError(L, e);
      return raise ? -1 : 1;
    }
    std::string_view reply = run->reply_.Readable();
    ReplyParser parser(L, reply);
    if (!parser.Push()) lua_pushboolean(L, 0);
    if (raise && !reply.empty() && reply[0] == '-') return -1;
    return 1;
  }

  // The command (or subcommand) argv names, as Redis's lookupCommand: null if unknown.
  static const cmd::CommandSpec* Lookup(const cmd::CommandRegistry& reg,
                                        const std::vector<std::string_view>& argv) {
    const cmd::CommandSpec* spec = reg.Find(argv[0]);
    if (spec != nullptr && !spec->subcommands.empty() && argv.size() >= 2)
      spec = reg.FindSubcommand(*spec, argv[1]);
    return spec;
  }

  // redis.acl_check_cmd(command, args...): true when the user may run it. There are no ACL
  // users yet (issue 16), so every known command is allowed.
  static int AclCheckImpl(lua_State* L) {
    ScriptRun* run = Current(L);
    const int argc = lua_gettop(L);
    if (run == nullptr || argc == 0) {
      PushReplyError(L, err::kScriptNoArgs);
      return -1;
    }
    std::vector<std::string> args;
    for (int i = 1; i <= argc; ++i) {
      if (!lua_isstring(L, i)) {
        PushReplyError(L, err::kScriptArgType);
        return -1;
      }
      size_t len;
      const char* p = lua_tolstring(L, i, &len);
      args.emplace_back(p, len);
    }
    std::vector<std::string_view> argv(args.begin(), args.end());
    if (Lookup(*run->ctx_.registry, argv) == nullptr) {
      PushReplyError(L, err::kScriptAclCheckCmd);
      return -1;
    }
    lua_pushboolean(L, 1);
    return 1;
  }
  static int AclCheckCmd(lua_State* L) {
    int n = AclCheckImpl(L);
    if (n < 0) return lua_error(L);
    return n;
  }

  static int Call(lua_State* L) {
    int n = CallImpl(L, true);
    if (n < 0) return lua_error(L);
    return n;
  }
  static int PCall(lua_State* L) {
    int n = CallImpl(L, false);
    if (n < 0) return lua_error(L);  // only the restart unwinding
    return n;
  }

  static int Sha1hex(lua_State* L) {
    if (lua_gettop(L) != 1) {
      PushErrorTable(L, err::kScriptApiArgs);
      return lua_error(L);
    }
    size_t len;
    const char* s = lua_tolstring(L, 1, &len);
    char hex[41];
    {
      std::string h = Sha1Hex(std::string_view(s != nullptr ? s : "", s != nullptr ? len : 0));
      std::memcpy(hex, h.data(), 40);
    }
    lua_pushlstring(L, hex, 40);
    return 1;
  }

  // redis.error_reply / redis.status_reply
  static int ErrorReply(lua_State* L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
      PushErrorTable(L, err::kScriptApiArgTypes);  // returned, not raised (Redis)
      return 1;
    }
    size_t len;
    const char* s = lua_tolstring(L, 1, &len);
    std::string_view msg(s, len);
    if (msg.empty() || msg[0] != '-') {
      std::string with = "-" + std::string(msg);
      PushErrorTable(L, with);
    } else {
      PushErrorTable(L, msg);
    }
    return 1;
  }
  static int StatusReply(lua_State* L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
      PushErrorTable(L, err::kScriptApiArgTypes);  // returned, not raised (Redis)
      return 1;
    }
    lua_newtable(L);
    lua_pushstring(L, "ok");
    lua_pushvalue(L, 1);
    lua_settable(L, -3);
    return 1;
  }

  static int LogImpl(lua_State* L) {
    int argc = lua_gettop(L);
    if (argc < 2) {
      PushErrorTable(L, err::kScriptLogArgs);
      return -1;
    }
    if (!lua_isnumber(L, 1)) {
      PushErrorTable(L, err::kScriptLogLevelType);
      return -1;
    }
    int level = static_cast<int>(lua_tonumber(L, 1));
    if (level < 0 || level > 3) {
      PushErrorTable(L, err::kScriptLogLevel);
      return -1;
    }
    std::string line;
    for (int i = 2; i <= argc; ++i) {
      size_t len;
      const char* s = lua_tolstring(L, i, &len);
      if (s == nullptr) continue;
      if (i != 2) line += ' ';
      line.append(s, len);
    }
    Log(static_cast<LogLevel>(level), "%s", line.c_str());
    return 0;
  }
  static int RedisLog(lua_State* L) {
    int n = LogImpl(L);
    if (n < 0) return lua_error(L);
    return n;
  }

  static int SetResp(lua_State* L) {
    ScriptRun* run = Current(L);
    if (lua_gettop(L) != 1) {
      PushErrorTable(L, err::kScriptSetrespArgs);
      return lua_error(L);
    }
    int resp = static_cast<int>(lua_tonumber(L, 1));
    if (resp != 2 && resp != 3) {
      PushReplyError(L, err::kScriptSetresp);
      return lua_error(L);
    }
    if (run != nullptr) run->resp = resp;
    return 0;
  }

  static int SetRepl(lua_State* L) {
    if (lua_gettop(L) != 1) {
      PushErrorTable(L, err::kScriptSetReplArgs);
      return lua_error(L);
    }
    int flags = static_cast<int>(lua_tonumber(L, 1));
    if (flags < 0 || flags > 3) {
      PushErrorTable(L, err::kScriptSetReplFlags);
      return lua_error(L);
    }
    return 0;  // effects are what is logged, always (Redis 7)
  }
  static int ReplicateCommands(lua_State* L) {
    lua_pushboolean(L, 1);
    return 1;
  }
  static int Breakpoint(lua_State* L) {
    lua_pushboolean(L, 0);
    return 1;
  }
  static int Debug(lua_State*) { return 0; }

  // redis.register_function(name, callback) or ({function_name=, callback=, flags=,
  // description=}), only while a library loads: records it in the engine's loading_ list.
  static int RegisterImpl(lua_State* L) {
    LuaEngine* e = EngineOf(L);
    if (e->loading_ == nullptr) {
      PushReplyError(L, err::kRegisterArgs);
      return -1;
    }
    auto info = std::make_shared<FunctionInfo>();
    int callback = 0;  // stack index
    const int argc = lua_gettop(L);
    if (argc == 1) {
      if (!lua_istable(L, 1)) {
        PushReplyError(L, err::kRegisterSingleArg);
        return -1;
      }
      lua_settop(L, 2);  // slot 2: the callback, once found
      lua_pushnil(L);
      while (lua_next(L, 1) != 0) {  // key at -2, value at -1
        if (lua_type(L, -2) != LUA_TSTRING) {
          PushReplyError(L, err::kRegisterUnknownArg);
          return -1;
        }
        std::string_view k = lua_tostring(L, -2);
        if (k == "function_name") {
          if (lua_type(L, -1) != LUA_TSTRING) {
            PushReplyError(L, err::kRegisterNameType);
            return -1;
          }
          info->name = lua_tostring(L, -1);
        } else if (k == "callback") {
          if (!lua_isfunction(L, -1)) {
            PushReplyError(L, err::kRegisterCallbackType);
            return -1;
          }
          lua_pushvalue(L, -1);
          lua_replace(L, 2);
          callback = 2;
        } else if (k == "description") {
          if (lua_type(L, -1) != LUA_TSTRING) {
            PushReplyError(L, err::kRegisterDescriptionType);
            return -1;
          }
          info->description = lua_tostring(L, -1);
          info->has_description = true;
        } else if (k == "flags") {
          if (!lua_istable(L, -1)) {
            PushReplyError(L, err::kRegisterFlagsType);
            return -1;
          }
          for (int i = 1;; ++i) {
            lua_rawgeti(L, -1, i);
            if (lua_isnil(L, -1)) {
              lua_pop(L, 1);
              break;
            }
            uint32_t bit = lua_type(L, -1) == LUA_TSTRING ? ScriptFlagBit(lua_tostring(L, -1)) : 0;
            lua_pop(L, 1);
            if (bit == 0) {
              PushReplyError(L, err::kRegisterUnknownFlag);
              return -1;
            }
            info->flags |= bit;
          }
        } else {
          PushReplyError(L, err::kRegisterUnknownArg);
          return -1;
        }
        lua_pop(L, 1);
      }
      if (info->name.empty()) {
        PushReplyError(L, err::kRegisterNoName);
        return -1;
      }
      if (callback == 0) {
        PushReplyError(L, err::kRegisterNoCallback);
        return -1;
      }
    } else if (argc == 2) {
      if (!lua_isstring(L, 1)) {
        PushReplyError(L, err::kRegisterFirstArg);
        return -1;
      }
      if (!lua_isfunction(L, 2)) {
        PushReplyError(L, err::kRegisterSecondArg);
        return -1;
      }
      info->name = lua_tostring(L, 1);
      callback = 2;
    } else {
      PushReplyError(L, err::kRegisterArgs);
      return -1;
    }
    if (!ValidName(info->name)) {
      PushReplyError(L, err::kLibraryBadName);
      return -1;
    }
    for (const LuaEngine::Registered& r : *e->loading_) {
      if (r.info->name == info->name) {
        PushReplyError(L, err::kRegisterDuplicate);
        return -1;
      }
    }
    lua_pushvalue(L, callback);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    e->loading_->push_back({std::move(info), ref});
    return 0;
  }
  static int RegisterFunction(lua_State* L) {
    int n = RegisterImpl(L);
    if (n < 0) return lua_error(L);
    return n;
  }

  // Every kHookEvery instructions of a script (or of a library while it loads). Unwinds a run
  // that must start again; keeps the time limit: past busy-reply-threshold the script becomes
  // busy and serves this thread's other clients every few milliseconds; a killed script
  // unwinds, the hook then firing at every instruction so that no pcall keeps it going. A
  // library's code gets kLoadTimeoutUs (Redis's FUNCTION LOAD timeout).
  static void Hook(lua_State* L, lua_Debug*) {
    LuaEngine* e = EngineOf(L);
    ScriptRun* run = e->current_;
    if (run == nullptr) {
      if (e->loading_ != nullptr && NowUs() - e->load_start_us_ > kLoadTimeoutUs) {
        lua_sethook(L, Hook, LUA_MASKCOUNT, 1);
        PushErrorTable(L, err::kFunctionLoadTimeout);
        lua_error(L);
      }
      return;
    }
    if (run->aborting) {
      lua_pushstring(L, kAbortMsg);
      lua_error(L);
    }
    if (!run->killed) {
      const int64_t now = NowUs();
      if (!run->busy) {
        if (now < run->busy_at_us) return;
        run->BecomeBusy(now);
      }
      if (run->watch->state.load(std::memory_order_acquire) & ScriptWatch::kKilled) {
        run->killed = true;
      } else {
        if (now >= run->next_serve_us) {
          run->ServeOthers();
          run->next_serve_us = NowUs() + kServeEveryUs;
        }
        return;
      }
    }
    lua_sethook(L, Hook, LUA_MASKCOUNT, 1);
    PushErrorTable(L, err::kScriptKilled);
    lua_error(L);
  }
};

namespace {

int RedisPcall(lua_State* L) {
  luaL_checkany(L, 1);
  int argc = lua_gettop(L);
  lua_pushboolean(L, 1);  // the status, if it succeeds
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    ScriptRun* run = LuaApi::Current(L);
    if (run != nullptr && (run->aborting || run->killed)) return lua_error(L);
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1))
        lua_replace(L, -2);
      else
        lua_pop(L, 1);
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

void SetFunction(lua_State* L, const char* name, lua_CFunction f) {
  lua_pushcfunction(L, f);
  lua_setfield(L, -2, name);
}

void SetNumber(lua_State* L, const char* name, lua_Number v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, name);
}

void OpenLib(lua_State* L, const char* name, lua_CFunction open) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

}  // namespace

// ---- the engine ----

LuaEngine::LuaEngine(Server* server) : server_(server) { Reset(); }

LuaEngine::~LuaEngine() {
  if (L_ != nullptr) lua_close(L_);
  if (server_ != nullptr) server_->scripts().AddLuaBytes(-reported_bytes_);
}

void LuaEngine::ReportMemory() {
  if (server_ == nullptr) return;
  int64_t now = static_cast<int64_t>(memory_bytes());
  server_->scripts().AddLuaBytes(now - reported_bytes_);
  reported_bytes_ = now;
}

size_t LuaEngine::memory_bytes() const {
  return L_ == nullptr ? 0 : static_cast<size_t>(lua_gc(L_, LUA_GCCOUNT, 0)) * 1024 +
                                 static_cast<size_t>(lua_gc(L_, LUA_GCCOUNTB, 0));
}

void LuaEngine::Reset() {
  if (L_ != nullptr) lua_close(L_);
  refs_.clear();
  fn_refs_.clear();
  fn_generation_ = 0;
  L_ = luaL_newstate();
  lua_State* L = L_;
  generation_ = server_ != nullptr ? server_->scripts().generation() : 0;

  lua_pushlightuserdata(L, this);
  lua_setfield(L, LUA_REGISTRYINDEX, kEngineKey);
  lua_newtable(L);  // protected proxies, weak keys
  lua_newtable(L);
  lua_pushstring(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, kProtectedKey);

  // Redis's libraries: base, table, string, math; cjson, bit, cmsgpack, struct. No os, io,
  // package, debug.
  OpenLib(L, "", luaopen_base);
  OpenLib(L, LUA_TABLIBNAME, luaopen_table);
  OpenLib(L, LUA_STRLIBNAME, luaopen_string);
  OpenLib(L, LUA_MATHLIBNAME, luaopen_math);
  lua_pushcfunction(L, luaopen_cjson);
  lua_call(L, 0, 1);
  lua_setglobal(L, "cjson");
  lua_pushcfunction(L, luaopen_bit);
  lua_call(L, 0, 1);
  lua_setglobal(L, "bit");
  lua_pushcfunction(L, OpenCmsgpack);
  lua_call(L, 0, 1);
  lua_setglobal(L, "cmsgpack");
  lua_pushcfunction(L, OpenStruct);
  lua_call(L, 0, 1);
  lua_setglobal(L, "struct");
  lua_pushnil(L);
  lua_setglobal(L, "loadfile");
  lua_pushnil(L);
  lua_setglobal(L, "dofile");

  // math.random / math.randomseed: Redis's deterministic generator.
  lua_getglobal(L, "math");
  auto* rng = static_cast<Rand48*>(lua_newuserdata(L, sizeof(Rand48)));
  new (rng) Rand48();
  rand_ = rng;
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, "strata.rand48");
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, MathRandom, 1);
  lua_setfield(L, -3, "random");
  lua_pushcclosure(L, MathRandomSeed, 1);
  lua_setfield(L, -2, "randomseed");
  lua_pop(L, 1);

  // The redis table.
  lua_newtable(L);
  SetFunction(L, "call", LuaApi::Call);
  SetFunction(L, "pcall", LuaApi::PCall);
  SetFunction(L, "sha1hex", LuaApi::Sha1hex);
  SetFunction(L, "acl_check_cmd", LuaApi::AclCheckCmd);
  SetFunction(L, "error_reply", LuaApi::ErrorReply);
  SetFunction(L, "status_reply", LuaApi::StatusReply);
  SetFunction(L, "log", LuaApi::RedisLog);
  SetFunction(L, "setresp", LuaApi::SetResp);
  SetFunction(L, "set_repl", LuaApi::SetRepl);
  SetFunction(L, "replicate_commands", LuaApi::ReplicateCommands);
  SetFunction(L, "breakpoint", LuaApi::Breakpoint);
  SetFunction(L, "debug", LuaApi::Debug);
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  SetNumber(L, "REPL_NONE", 0);
  SetNumber(L, "REPL_AOF", 1);
  SetNumber(L, "REPL_SLAVE", 2);
  SetNumber(L, "REPL_REPLICA", 2);
  SetNumber(L, "REPL_ALL", 3);
  lua_pushstring(L, kRedisVersion);
  lua_setfield(L, -2, "REDIS_VERSION");
  SetNumber(L, "REDIS_VERSION_NUM", kRedisVersionNum);
  lua_setglobal(L, "redis");

  lua_pushcfunction(L, ErrorHandler);
  errh_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);

  // The `redis` a library sees while it loads: register_function, log and the constants; any
  // other name is an error ("Script attempted to access nonexistent global variable 'call'").
  lua_newtable(L);
  SetFunction(L, "register_function", LuaApi::RegisterFunction);
  SetFunction(L, "log", LuaApi::RedisLog);
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  lua_pushstring(L, kRedisVersion);
  lua_setfield(L, -2, "REDIS_VERSION");
  SetNumber(L, "REDIS_VERSION_NUM", kRedisVersionNum);
  lua_newtable(L);
  lua_pushcfunction(L, GlobalMissing);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyError);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
  load_api_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);

  // The sandbox: every library table and the globals become read-only proxies; scripts run
  // with the globals proxy as their environment.
  static const char* kLibs[] = {"redis", "cjson",  "bit",  "cmsgpack", "struct",
                                "string", "table", "math", "coroutine"};
  for (const char* name : kLibs) {
    lua_getglobal(L, name);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      continue;
    }
    PushProxy(L, false);
    lua_setglobal(L, name);
  }
  // The string metatable's __index is the real string library: hide it behind the proxy.
  lua_pushstring(L, "");
  lua_getmetatable(L, -1);
  lua_newtable(L);
  lua_getglobal(L, "string");
  lua_setfield(L, -2, "__index");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);

  lua_pushvalue(L, LUA_GLOBALSINDEX);
  PushProxy(L, true);  // the globals proxy
  int proxy = lua_gettop(L);
  lua_pushvalue(L, proxy);
  lua_setfield(L, LUA_REGISTRYINDEX, "strata.env");
  lua_pushvalue(L, proxy);
  lua_setglobal(L, "_G");
  lua_pushcfunction(L, SafeRawset);
  lua_setglobal(L, "rawset");
  lua_getglobal(L, "setmetatable");
  lua_pushcclosure(L, SafeSetmetatable, 1);
  lua_setglobal(L, "setmetatable");
  lua_pushcfunction(L, RedisPcall);
  lua_setglobal(L, "pcall");
  // Not in Redis 7's sandbox: reading them is an error there too.
  for (const char* name : {"print", "getfenv", "setfenv", "newproxy"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  for (const char* name : {"loadstring", "load"}) {
    lua_getglobal(L, name);
    lua_pushvalue(L, proxy);
    lua_pushcclosure(L, SafeLoad, 2);
    lua_setglobal(L, name);
  }
  lua_settop(L, 0);
  ReportMemory();
}

std::shared_ptr<Script> LuaEngine::FindSha(std::string_view sha) {
  if (last_sha_ != nullptr && !last_sha_->dropped.load(std::memory_order_relaxed) &&
      sha.size() == 40 &&
      (std::memcmp(sha.data(), last_sha_->sha.data(), 40) == 0 ||
       EqualsIgnoreCase(sha, last_sha_->sha)))
    return last_sha_;
  last_sha_ = server_->scripts().Get(sha);
  return last_sha_;
}

std::shared_ptr<Script> LuaEngine::Prepare(std::string_view body, bool loaded,
                                           std::string* error) {
  ScriptCache& cache = server_->scripts();
  if (cache.generation() != generation_) Reset();  // SCRIPT FLUSH: drop compiled functions
  std::string sha = Sha1Hex(body);
  if (std::shared_ptr<Script> s = cache.Get(sha, loaded)) return s;
  auto script = std::make_shared<Script>();
  if (!ParseShebang(body, &script->shebang, &script->flags, error)) return nullptr;
  script->sha = std::move(sha);
  script->body.assign(body);
  if (!Compile(*script, error)) return nullptr;
  lua_pop(L_, 1);
  return cache.Insert(std::move(script), loaded);
}

bool LuaEngine::Compile(const Script& script, std::string* error) {
  lua_State* L = L_;
  auto it = refs_.find(script.sha);
  if (it != refs_.end()) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, it->second);
    return true;
  }
  // A shebang line is skipped but its newline kept, so line numbers stay the user's.
  size_t skip = 0;
  if (script.shebang) skip = script.body.find('\n');
  if (luaL_loadbuffer(L, script.body.data() + skip, script.body.size() - skip, "@user_script")) {
    *error = Format(err::kScriptCompile, lua_tostring(L, -1));
    lua_pop(L, 1);
    return false;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, "strata.env");
  lua_setfenv(L, -2);
  lua_pushvalue(L, -1);
  refs_.emplace(script.sha, luaL_ref(L, LUA_REGISTRYINDEX));
  return true;
}

namespace {

// Pushes a table (KEYS, ARGV) of argv[from, from+n).
void PushArgTable(lua_State* L, const std::string_view* argv, size_t from, size_t n) {
  lua_createtable(L, static_cast<int>(n), 0);
  for (size_t i = 0; i < n; ++i) {
    lua_pushlstring(L, argv[from + i].data(), argv[from + i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

// The error reply for what a failed run left on the stack.
std::string ErrorReplyOf(lua_State* L, std::string_view name) {
  if (!lua_istable(L, -1)) {
    const char* msg = lua_tostring(L, -1);
    return Format(err::kScriptRun, std::string(name).c_str(),
                  msg != nullptr ? msg : "execution failure");
  }
  bool found;
  std::string msg = FieldString(L, "err", &found);
  lua_pushstring(L, "source");
  lua_rawget(L, -2);
  std::string source = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
  lua_pop(L, 1);
  lua_pushstring(L, "line");
  lua_rawget(L, -2);
  std::string line = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
  lua_pop(L, 1);
  if (!line.empty() && !source.empty())
    msg += " script: " + std::string(name) + ", on " + source + ":" + line + ".";
  return msg;
}

}  // namespace

int LuaEngine::RunOnce(ScriptRun& run, const Callable& what) {
  lua_State* L = L_;
  lua_rawgeti(L, LUA_REGISTRYINDEX, errh_ref_);
  lua_rawgeti(L, LUA_REGISTRYINDEX, what.ref);
  const cmd::CommandContext& ctx = run.ctx_;
  const size_t first_arg = run.first_key_ + run.numkeys_;
  int nargs = 0;
  if (what.function) {  // a function gets its keys and arguments as parameters
    PushArgTable(L, ctx.argv, run.first_key_, run.numkeys_);
    PushArgTable(L, ctx.argv, first_arg, ctx.argc - first_arg);
    nargs = 2;
  } else {  // a script reads the globals KEYS and ARGV
    PushArgTable(L, ctx.argv, run.first_key_, run.numkeys_);
    lua_setfield(L, LUA_GLOBALSINDEX, "KEYS");
    PushArgTable(L, ctx.argv, first_arg, ctx.argc - first_arg);
    lua_setfield(L, LUA_GLOBALSINDEX, "ARGV");
  }
  // Redis 7.0 reseeds from libc's rand() before every script: only math.randomseed makes a
  // sequence repeatable (and then it is redisLrand48's, as here).
  static_cast<Rand48*>(rand_)->Seed(static_cast<int32_t>(Random64()));
  current_ = &run;
  lua_sethook(L, LuaApi::Hook, LUA_MASKCOUNT, kHookEvery);
  int rc = lua_pcall(L, nargs, 1, 1);
  lua_sethook(L, nullptr, 0, 0);
  current_ = nullptr;
  if (run.aborting) {  // restart or park: nothing replied
    lua_settop(L, 0);
    return 0;
  }
  if (rc != 0) {
    run.ctx_.out->Error(ErrorReplyOf(L, what.name));
  } else {
    LuaToReply(L, run.ctx_.out, run.resp, 0);
  }
  lua_settop(L, 0);
  return 0;
}

void LuaEngine::Run(cmd::CommandContext& ctx, const std::shared_ptr<Script>& script,
                    size_t first_key, size_t numkeys, bool read_only) {
  if (server_->scripts().generation() != generation_) Reset();  // SCRIPT FLUSH: a fresh state
  std::string error;
  if (!Compile(*script, &error)) {
    ctx.out->Error(error);
    return;
  }
  lua_settop(L_, 0);
  Callable what{script->sha, &script->reach, script->flags, false, refs_[script->sha]};
  RunCallable(ctx, what, first_key, numkeys, read_only);
}

void LuaEngine::RunFunction(cmd::CommandContext& ctx, const std::shared_ptr<FunctionInfo>& fn,
                            size_t first_key, size_t numkeys, bool read_only) {
  if (server_->scripts().generation() != generation_) Reset();
  SyncFunctions();
  auto it = fn_refs_.find(fn->name);
  if (it == fn_refs_.end()) return ctx.out->Error(err::kFunctionNotFound);  // deleted meanwhile
  Callable what{fn->name, &fn->reach, fn->flags, true, it->second};
  RunCallable(ctx, what, first_key, numkeys, read_only);
}

void LuaEngine::RunCallable(cmd::CommandContext& ctx, const Callable& what, size_t first_key,
                            size_t numkeys, bool read_only) {
  ScriptCache& cache = server_->scripts();
  ScriptRun run(ctx, first_key, numkeys, &cache, reply_, call_args_, call_argv_);
  run.read_only = read_only || (what.flags & kScriptNoWrites);
  run.allow_oom = what.flags & kScriptAllowOom;
  run.over_memory = ctx.over_memory;
  Effects& outer = *ctx.effects;
  Persistence* wal = server_->persistence();
  run.fx.script = &run;
  run.fx.batch = outer.batch != nullptr ? outer.batch : (wal != nullptr ? &run.batch : nullptr);
  run.watch = &ctx.dispatcher->script_watch();
  run.function = what.function;
  run.name = what.name;
  // The dispatcher's clock at this command's start: no clock read of its own.
  run.start_us = ctx.dispatcher->clock_us() != 0 ? ctx.dispatcher->clock_us() : NowUs();
  run.busy_at_us =
      run.start_us + server_->config().busy_reply_threshold.load(std::memory_order_relaxed) * 1000;

  std::atomic<ScriptReach>& reach = *what.reach;
  for (;;) {
    RunOnce(run, what);
    if (!run.restart) break;
    // It needs shards it could not take: start again holding what it was seen to touch.
    ScriptReach r = std::max(run.touched, ScriptReach::kDb);
    ScriptReach old = reach.load();
    while (old < r && !reach.compare_exchange_weak(old, r)) {}
    storage::LockSet& held = *ctx.held;
    if (run.busy) run.MarkShards(storage::Shard::kNotBusy);
    held.Unlock();
    if (r == ScriptReach::kAll)
      held.AddAll(*ctx.keyspace);
    else
      held.AddDb(ctx.keyspace->db(ctx.client->db_index));
    uint8_t why = 0;
    if (!held.LockUnlessBusy(&why)) {  // another thread's busy script holds some of them
      run.EndBusy();
      ctx.out->Error(BusyError(why == storage::Shard::kBusyFunction));
      return;
    }
    if (run.busy) {
      run.MarkShards(run.BusyMark());
      run.watch->state.fetch_and(static_cast<uint8_t>(~ScriptWatch::kWrote));  // runs afresh
    }
    run.restart = run.aborting = run.called_write = false;
    run.touched = ScriptReach::kKeys;
    run.resp = 2;
    run.fx.ready.clear();
  }
  run.EndBusy();
  if (run.park) {  // a key only in the backend: read it through, then EVAL runs again
    outer.park = std::move(run.fx.park);
    return;
  }
  // What it learned for the next run's locks.
  ScriptReach old = reach.load();
  while (old < run.touched && !reach.compare_exchange_weak(old, run.touched)) {}

  if (run.fx.batch == &run.batch && wal != nullptr) {
    uint64_t lsn = wal->LogBatch(&run.batch, *ctx.held);
    outer.wrote |= lsn > 0;
    if (wal->always()) outer.wait_lsn = std::max(outer.wait_lsn, lsn);
  }
  outer.wait_lsn = std::max(outer.wait_lsn, run.fx.wait_lsn);
  for (ReadyKey& k : run.fx.ready) outer.ready.push_back(std::move(k));
  if (++runs_ % 50 == 0) {
    lua_gc(L_, LUA_GCSTEP, 1);
    ReportMemory();
  }
}

// ---- functions (FUNCTION LOAD, FCALL) ----

bool LuaEngine::LoadCode(std::string_view code, std::vector<Registered>* out,
                         std::string* error) {
  lua_State* L = L_;
  // The metadata line is skipped but its newline kept: line numbers stay the user's.
  size_t skip = std::min(code.find('\n'), code.size());
  lua_rawgeti(L, LUA_REGISTRYINDEX, errh_ref_);
  if (luaL_loadbuffer(L, code.data() + skip, code.size() - skip, "@user_function")) {
    *error = Format(err::kLibraryCompile, lua_tostring(L, -1));
    lua_settop(L, 0);
    return false;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, "strata.env");
  lua_setfenv(L, -2);
  // While it loads, the global `redis` is the load API (restored after).
  lua_pushstring(L, "redis");
  lua_rawget(L, LUA_GLOBALSINDEX);
  int saved = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushstring(L, "redis");
  lua_rawgeti(L, LUA_REGISTRYINDEX, load_api_ref_);
  lua_rawset(L, LUA_GLOBALSINDEX);
  loading_ = out;
  load_start_us_ = NowUs();
  lua_sethook(L, LuaApi::Hook, LUA_MASKCOUNT, kHookEvery);
  int rc = lua_pcall(L, 0, 0, 1);
  lua_sethook(L, nullptr, 0, 0);
  loading_ = nullptr;
  lua_pushstring(L, "redis");
  lua_rawgeti(L, LUA_REGISTRYINDEX, saved);
  lua_rawset(L, LUA_GLOBALSINDEX);
  luaL_unref(L, LUA_REGISTRYINDEX, saved);
  bool ok = true;
  if (rc != 0) {
    std::string msg;
    if (lua_istable(L, -1)) {
      bool found;
      msg = FieldString(L, "err", &found);
    } else if (const char* m = lua_tostring(L, -1)) {
      msg = m;
    }
    *error = Format(err::kLibraryRegister, msg.c_str());
    ok = false;
  } else if (out->empty()) {
    *error = err::kLibraryNoFunctions;
    ok = false;
  }
  if (!ok) {
    for (const Registered& r : *out) luaL_unref(L, LUA_REGISTRYINDEX, r.ref);
    out->clear();
  }
  lua_settop(L, 0);
  return ok;
}

std::shared_ptr<Library> LuaEngine::CheckLibrary(std::string_view code, std::string* error) {
  if (server_ != nullptr && server_->scripts().generation() != generation_) Reset();
  auto lib = std::make_shared<Library>();
  if (!ParseLibraryMetadata(code, &lib->name, error)) return nullptr;
  std::vector<Registered> regs;
  if (!LoadCode(code, &regs, error)) return nullptr;
  lib->code.assign(code);
  for (Registered& r : regs) {
    lib->functions.push_back(std::move(r.info));
    luaL_unref(L_, LUA_REGISTRYINDEX, r.ref);  // this state loads it again from the registry
  }
  return lib;
}

void LuaEngine::SyncFunctions() {
  FunctionRegistry& reg = server_->functions();
  const uint64_t g = reg.generation();
  if (g == fn_generation_) return;
  for (const auto& [name, ref] : fn_refs_) luaL_unref(L_, LUA_REGISTRYINDEX, ref);
  fn_refs_.clear();
  for (const std::shared_ptr<Library>& lib : reg.Libraries()) {
    std::vector<Registered> regs;
    std::string error;
    if (!LoadCode(lib->code, &regs, &error)) {  // it loaded on another thread: cannot happen
      Log(LogLevel::kWarning, "Library %s does not load: %s", lib->name.c_str(), error.c_str());
      continue;
    }
    for (Registered& r : regs) fn_refs_[r.info->name] = r.ref;
  }
  fn_generation_ = g;
}

bool FunctionRegistry::Add(std::shared_ptr<Library> lib, bool replace, std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  auto old = libs_.find(lib->name);
  if (old != libs_.end() && !replace) {
    *error = Format(err::kLibraryExists, lib->name.c_str());
    return false;
  }
  for (const auto& fn : lib->functions) {
    auto it = fns_.find(fn->name);
    if (it == fns_.end()) continue;
    bool in_replaced = false;
    if (old != libs_.end())
      for (const auto& f : old->second->functions) in_replaced |= f->name == fn->name;
    if (!in_replaced) {
      *error = Format(err::kFunctionExists, fn->name.c_str());
      return false;
    }
  }
  if (old != libs_.end()) {
    for (const auto& f : old->second->functions) fns_.erase(f->name);
    libs_.erase(old);
  }
  for (const auto& fn : lib->functions) fns_[fn->name] = fn;
  libs_[lib->name] = std::move(lib);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  SaveLocked();
  return true;
}

bool FunctionRegistry::Has(std::string_view library_name) {
  std::lock_guard<std::mutex> lock(mu_);
  return libs_.count(std::string(library_name)) > 0;
}

bool FunctionRegistry::Delete(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = libs_.find(std::string(name));
  if (it == libs_.end()) return false;
  for (const auto& f : it->second->functions) fns_.erase(f->name);
  libs_.erase(it);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  SaveLocked();
  return true;
}

void FunctionRegistry::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  libs_.clear();
  fns_.clear();
  generation_.fetch_add(1, std::memory_order_acq_rel);
  SaveLocked();
}

std::shared_ptr<FunctionInfo> FunctionRegistry::Find(std::string_view function_name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = fns_.find(std::string(function_name));
  return it == fns_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Library>> FunctionRegistry::Libraries() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<Library>> out;
  for (const auto& [name, lib] : libs_) out.push_back(lib);
  return out;
}

size_t FunctionRegistry::num_libraries() {
  std::lock_guard<std::mutex> lock(mu_);
  return libs_.size();
}

size_t FunctionRegistry::code_bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [name, lib] : libs_) n += lib->code.size();
  return n;
}

size_t FunctionRegistry::num_functions() {
  std::lock_guard<std::mutex> lock(mu_);
  return fns_.size();
}

// ---- FUNCTION DUMP / RESTORE payloads ----

namespace {

constexpr unsigned char kOpcodeFunction2 = 245;  // RDB_OPCODE_FUNCTION2
constexpr unsigned char kOpcodeFunctionPreGa = 246;
constexpr uint16_t kRdbVersion = 10;  // Redis 7.0's

void PutRdbLength(std::string* out, uint64_t len) {
  if (len < 64) {
    out->push_back(static_cast<char>(len));
  } else if (len < 16384) {
    out->push_back(static_cast<char>(0x40 | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  }
}

// Reads an RDB length; *encoded set (and the low 6 bits returned) for the special encodings.
bool GetRdbLength(std::string_view in, size_t* pos, uint64_t* len, bool* encoded) {
  if (*pos >= in.size()) return false;
  unsigned char b = static_cast<unsigned char>(in[(*pos)++]);
  *encoded = false;
  switch (b >> 6) {
    case 0:
      *len = b & 0x3f;
      return true;
    case 1:
      if (*pos >= in.size()) return false;
      *len = (static_cast<uint64_t>(b & 0x3f) << 8) | static_cast<unsigned char>(in[(*pos)++]);
      return true;
    case 2: {
      int n = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
      if (n == 0 || in.size() - *pos < static_cast<size_t>(n)) return false;
      uint64_t v = 0;
      for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(in[(*pos)++]);
      *len = v;
      return true;
    }
    default:
      *encoded = true;
      *len = b & 0x3f;
      return true;
  }
}

// An RDB string: plain, an integer, or LZF-compressed.
bool GetRdbString(std::string_view in, size_t* pos, std::string* out) {
  uint64_t len;
  bool encoded;
  if (!GetRdbLength(in, pos, &len, &encoded)) return false;
  if (!encoded) {
    if (in.size() - *pos < len) return false;
    out->assign(in.substr(*pos, len));
    *pos += len;
    return true;
  }
  if (len <= 2) {  // an integer of 1, 2 or 4 bytes, little endian
    size_t n = size_t{1} << len;
    if (in.size() - *pos < n) return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; ++i)
      v |= static_cast<int64_t>(static_cast<unsigned char>(in[*pos + i])) << (8 * i);
    if (n < 8 && (v & (int64_t{1} << (8 * n - 1)))) v -= int64_t{1} << (8 * n);  // sign
    *pos += n;
    *out = std::to_string(v);
    return true;
  }
  if (len != 3) return false;
  uint64_t clen, ulen;
  bool e1, e2;
  if (!GetRdbLength(in, pos, &clen, &e1) || !GetRdbLength(in, pos, &ulen, &e2) || e1 || e2 ||
      in.size() - *pos < clen || ulen > (1u << 30))
    return false;
  out->resize(ulen);
  unsigned int got = lzf_decompress(in.data() + *pos, static_cast<unsigned int>(clen),
                                    out->data(), static_cast<unsigned int>(ulen));
  if (got != ulen) return false;
  *pos += clen;
  return true;
}

}  // namespace

std::string FunctionRegistry::Dump() {
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, lib] : libs_) {
      out.push_back(static_cast<char>(kOpcodeFunction2));
      PutRdbLength(&out, lib->code.size());  // plain (Redis may compress; both load)
      out += lib->code;
    }
  }
  out.push_back(static_cast<char>(kRdbVersion & 0xff));
  out.push_back(static_cast<char>(kRdbVersion >> 8));
  uint64_t crc = Crc64(0, out.data(), out.size());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out;
}

bool ParseFunctionPayload(std::string_view p, std::vector<std::string>* codes,
                          std::string* error) {
  // The footer: RDB version (not newer than ours) and the CRC64 of what precedes the CRC.
  if (p.size() < 10) {
    *error = err::kPayloadWrong;
    return false;
  }
  const size_t body = p.size() - 10;
  uint16_t version = static_cast<uint16_t>(static_cast<unsigned char>(p[body]) |
                                           (static_cast<unsigned char>(p[body + 1]) << 8));
  uint64_t crc = 0;
  for (int i = 7; i >= 0; --i) crc = (crc << 8) | static_cast<unsigned char>(p[body + 2 + i]);
  if (version > kRdbVersion || Crc64(0, p.data(), body + 2) != crc) {
    *error = err::kPayloadWrong;
    return false;
  }
  std::string_view in = p.substr(0, body);
  size_t pos = 0;
  while (pos < in.size()) {
    unsigned char type = static_cast<unsigned char>(in[pos++]);
    if (type == kOpcodeFunctionPreGa) {
      *error = err::kPayloadPreGa;
      return false;
    }
    if (type != kOpcodeFunction2) {
      *error = err::kPayloadNotFunction;
      return false;
    }
    std::string code;
    if (!GetRdbString(in, &pos, &code)) {
      *error = err::kPayloadLibrary;
      return false;
    }
    codes->push_back(std::move(code));
  }
  return true;
}

bool FunctionRegistry::Restore(std::vector<std::shared_ptr<Library>> libs, RestorePolicy policy,
                               std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::shared_ptr<Library>> next;
  if (policy != RestorePolicy::kFlush) next = libs_;
  for (auto& lib : libs) {
    if (next.count(lib->name) && policy == RestorePolicy::kAppend) {
      *error = Format(err::kRestoreLibraryExists, lib->name.c_str());
      return false;
    }
    next[lib->name] = lib;
  }
  // Every function name once across the libraries that would remain.
  std::unordered_map<std::string, std::shared_ptr<FunctionInfo>> fns;
  for (const auto& [name, lib] : next) {
    for (const auto& fn : lib->functions) {
      if (!fns.emplace(fn->name, fn).second) {
        *error = Format(err::kFunctionExists, fn->name.c_str());
        return false;
      }
    }
  }
  libs_ = std::move(next);
  fns_ = std::move(fns);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  SaveLocked();
  return true;
}

// The file: "strata-functions 1\n", then per library "<bytes>\n<code>\n". Written to a
// temporary file, synced, renamed over the old one, and the directory synced: a crash leaves
// the old file or the new one. (FUNCTION LOAD is rare: its reply waits for this.)
void FunctionRegistry::SaveLocked() {
  if (file_.empty()) return;
  std::string data = "strata-functions 1\n";
  for (const auto& [name, lib] : libs_) {
    data += std::to_string(lib->code.size()) + "\n";
    data += lib->code;
    data += "\n";
  }
  std::string tmp = file_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0;
  size_t off = 0;
  while (ok && off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) off += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  ok = ok && ::rename(tmp.c_str(), file_.c_str()) == 0;
  if (ok) {
    std::string dir = file_.substr(0, file_.find_last_of('/') + 1);
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  if (!ok) Log(LogLevel::kWarning, "Could not write %s: %s", file_.c_str(), strerror(errno));
}

bool FunctionRegistry::Load(LuaEngine& engine, std::string* error) {
  if (file_.empty()) return true;
  int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;  // none yet
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const std::string header = "strata-functions 1\n";
  if (data.compare(0, header.size(), header) != 0) {
    *error = file_ + ": not a functions file";
    return false;
  }
  size_t pos = header.size();
  std::vector<std::shared_ptr<Library>> libs;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    int64_t len;
    if (nl == std::string::npos || !ParseInt64(std::string_view(data).substr(pos, nl - pos), &len) ||
        len < 0 || nl + 1 + static_cast<size_t>(len) + 1 > data.size()) {
      *error = Format("%s: damaged at offset %zu", file_.c_str(), pos);
      return false;
    }
    std::string_view code = std::string_view(data).substr(nl + 1, static_cast<size_t>(len));
    std::string lib_error;
    std::shared_ptr<Library> lib = engine.CheckLibrary(code, &lib_error);
    if (lib == nullptr) {
      *error = Format("%s: a library does not load: %s", file_.c_str(), lib_error.c_str());
      return false;
    }
    libs.push_back(std::move(lib));
    pos = nl + 1 + static_cast<size_t>(len) + 1;
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& lib : libs) {
    for (const auto& fn : lib->functions) fns_[fn->name] = fn;
    libs_[lib->name] = std::move(lib);
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

}  // namespace strata::server
