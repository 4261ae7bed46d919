// Generic key commands (Redis's db.c / expire.c / object.c): DEL, EXISTS, the EXPIRE and TTL
// families, TYPE, KEYS, SCAN, RENAME, COPY, MOVE, RANDOMKEY, OBJECT, DBSIZE. Replies and error
// texts follow Redis 7.0.15 exactly.
// Locking: the dispatcher holds the shards of a command's keys while its handler runs, so each
// command is atomic; KEYS, SCAN, RANDOMKEY and DBSIZE run with the whole database held.
// Thread: handlers run on any worker.
#include <iterator>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "commands/command.h"
#include "common/random.h"
#include "common/errors.h"
#include "common/strutil.h"
#include "storage/eviction.h"
#include "storage/tier.h"

namespace strata::cmd {

namespace {

using storage::Db;
using storage::Entry;
using storage::KeyRef;
using storage::kNoExpire;
using storage::ObjType;
using storage::Shard;
constexpr storage::Shard::Lookup kNoTouch = storage::Shard::Lookup::kNoTouch;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// Redis's getIntFromObjectOrReply: an int64 that must also fit a C int.
bool ParseIntOrReply(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (!ParseInt64(arg, out)) {
    ctx.out->Error(err::kNotInteger);
    return false;
  }
  if (*out < std::numeric_limits<int32_t>::min() || *out > std::numeric_limits<int32_t>::max()) {
    ctx.out->Error(err::kIntOutOfRange);
    return false;
  }
  return true;
}

// A database index argument (COPY ... DB, MOVE): an int naming an existing database.
bool ParseDbIndexOrReply(CommandContext& ctx, std::string_view arg, size_t* out) {
  int64_t v;
  if (!ParseIntOrReply(ctx, arg, &v)) return false;
  if (v < 0 || static_cast<uint64_t>(v) >= ctx.keyspace->num_dbs()) {
    ctx.out->Error(err::kDbIndexOutOfRange);
    return false;
  }
  *out = static_cast<size_t>(v);
  return true;
}

// ---- DEL / UNLINK / EXISTS / TOUCH ----

// UNLINK frees a big value on the freeing thread; DEL too with lazyfree-lazy-user-del.
void DelGeneric(CommandContext& ctx, storage::LazyFree::Reason why) {
  int64_t deleted = 0;
  for (size_t i = 0; i < ctx.num_keys(); ++i) {
    const KeyRef& k = ctx.Key(i);
    if (k.shard->Erase(k.key, k.hash, ctx.now_ms, why)) ++deleted;
  }
  ctx.dirty += static_cast<uint64_t>(deleted);
  ctx.out->Integer(deleted);
}
void Del(CommandContext& ctx) { DelGeneric(ctx, storage::LazyFree::kUserDel); }
void Unlink(CommandContext& ctx) { DelGeneric(ctx, storage::LazyFree::kUnlink); }

// EXISTS and TOUCH: how many of the arguments name a live key (repeats count again).
void Exists(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 0; i < ctx.num_keys(); ++i) {
    const KeyRef& k = ctx.Key(i);
    if (k.shard->Find(k.key, k.hash, ctx.now_ms, kNoTouch) != nullptr) ++n;  // not an access
  }
  ctx.out->Integer(n);
}

// ---- expiry ----

enum ExpireFlag : uint32_t { kNX = 1, kXX = 2, kGT = 4, kLT = 8 };

// Redis's expireGenericCommand. `relative`: the argument counts from now (EXPIRE, PEXPIRE)
// rather than from the epoch; `seconds`: its unit.
void ExpireGeneric(CommandContext& ctx, bool relative, bool seconds, const char* command) {
  uint32_t flags = 0;
  for (size_t j = 3; j < ctx.argc; ++j) {
    std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "NX")) flags |= kNX;
    else if (EqualsIgnoreCase(opt, "XX")) flags |= kXX;
    else if (EqualsIgnoreCase(opt, "GT")) flags |= kGT;
    else if (EqualsIgnoreCase(opt, "LT")) flags |= kLT;
    else
      return ctx.out->Error(
          Format(err::kUnsupportedOption, static_cast<int>(opt.size()), opt.data()));
  }
  if ((flags & kNX) && (flags & (kXX | kGT | kLT))) return ctx.out->Error(err::kExpireNxConflict);
  if ((flags & kGT) && (flags & kLT)) return ctx.out->Error(err::kExpireGtLtConflict);

  int64_t when;
  if (!ParseInt64(ctx.arg(2), &when)) return ctx.out->Error(err::kNotInteger);
  if (seconds) {
    if (when > kInt64Max / 1000 || when < kInt64Min / 1000)
      return ctx.out->Error(Format(err::kInvalidExpire, command));
    when *= 1000;
  }
  int64_t base = relative ? ctx.now_ms : 0;
  if (when > kInt64Max - base) return ctx.out->Error(Format(err::kInvalidExpire, command));
  when += base;

  const KeyRef& k = ctx.KeyAt(1);
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (e == nullptr) return ctx.out->Integer(0);
  if (flags != 0) {
    int64_t current = e->expire_ms();  // kNoExpire (-1): no TTL, which counts as infinite
    if ((flags & kNX) && current != kNoExpire) return ctx.out->Integer(0);
    if ((flags & kXX) && current == kNoExpire) return ctx.out->Integer(0);
    if ((flags & kGT) && (current == kNoExpire || when <= current)) return ctx.out->Integer(0);
    if ((flags & kLT) && current != kNoExpire && when >= current) return ctx.out->Integer(0);
  }
  if (when <= ctx.now_ms) {
    k.shard->Erase(k.key, k.hash, ctx.now_ms);  // a time in the past deletes the key
  } else {
    k.shard->SetExpire(e, when);
  }
  ++ctx.dirty;
  ctx.out->Integer(1);
}

void Expire(CommandContext& ctx) { ExpireGeneric(ctx, true, true, "expire"); }
void PExpire(CommandContext& ctx) { ExpireGeneric(ctx, true, false, "pexpire"); }
void ExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, false, true, "expireat"); }
void PExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, false, false, "pexpireat"); }

// TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 no key, -1 no TTL; seconds are rounded to nearest.
void TtlGeneric(CommandContext& ctx, bool ms, bool absolute) {
  const KeyRef& k = ctx.KeyAt(1);
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms, kNoTouch);
  if (e == nullptr) return ctx.out->Integer(-2);
  if (!e->HasExpire()) return ctx.out->Integer(-1);
  int64_t t = absolute ? e->expire_ms() : e->expire_ms() - ctx.now_ms;
  if (t < 0) t = 0;
  ctx.out->Integer(ms ? t : (t + 500) / 1000);
}

void Ttl(CommandContext& ctx) { TtlGeneric(ctx, false, false); }
void PTtl(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
void ExpireTime(CommandContext& ctx) { TtlGeneric(ctx, false, true); }
void PExpireTime(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

void Persist(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (e == nullptr || !e->HasExpire()) return ctx.out->Integer(0);
  k.shard->SetExpire(e, kNoExpire);
  ++ctx.dirty;
  ctx.out->Integer(1);
}

void Type(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms, kNoTouch);
  ctx.out->SimpleString(e == nullptr ? "none" : storage::TypeName(e->type()));
}

// ---- whole-database commands ----

// KEYS pattern. The dispatcher holds every shard of the database. With a backing tier the
// keys only in the backend come from a backend query answered before the handler runs.
void Keys(CommandContext& ctx) {
  std::string_view pattern = ctx.arg(1);
  bool all = pattern == "*";
  Db& db = ctx.db();
  std::vector<std::string_view> keys;
  for (size_t i = 0; i < db.num_shards(); ++i) {
    db.shard(i).dict().ForEach([&](Entry* e) {
      if (e->IsExpired(ctx.now_ms)) return;  // left for lazy/active expiry
      if (all || GlobMatch(pattern, e->key())) keys.push_back(e->key());
    });
  }
  // The matching keys the backend holds that are not in memory and not deleted since (still
  // in the key index).
  if (ctx.backend != nullptr) {
    for (const BackendKey& k : ctx.backend->keys) {
      KeyRef r = db.Ref(k.key);
      if (r.shard->OnlyInBackend(r.key, r.hash)) keys.push_back(k.key);
    }
  }
  ctx.out->ArrayHeader(keys.size());
  for (std::string_view k : keys) ctx.out->Bulk(k);  // views stay valid: shards still locked
}

// With a backing tier, KEYS first lists the backend's keys matching its pattern, when the
// database has keys that are only there.
bool KeysBackendQuery(const CommandContext& ctx, BackendQuery* q) {
  if (ctx.db().BackendOnly() == 0) return false;
  q->kind = BackendQuery::Kind::kKeys;
  q->db = static_cast<uint32_t>(ctx.client->db_index);
  q->pattern.assign(ctx.arg(1));
  return true;
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
// Phase 1, memory: the cursor is bucket_cursor * shards + shard: shards are walked in order,
// each with Redis's reverse-binary bucket cursor, which guarantees every key present for the
// whole iteration is returned across table resizes. A call walks buckets until COUNT keys were
// gathered or 10 * COUNT buckets were visited, moving on to the next shard when one is done.
// Phase 2, with a backing tier: the backend's keys in its stable order (backend::KeyPosition),
// a page per call, fetched before the handler runs; the cursor is kBackendPhase | position.
// Phase 1 skips the entries whose value the backend holds as it is (clean): phase 2 returns
// them, with the keys only in the backend. So a key present for the whole scan is returned:
// in phase 1 if it was dirty when its bucket was visited, else in phase 2 (a clean or
// backend-only key has its row committed, and rows of existing keys are never removed). Keys
// written since the last checkpoint that also have an older row may come twice, which
// Redis's SCAN allows; a quiet database (everything checkpointed) returns each key once.
constexpr uint64_t kBackendPhase = uint64_t{1} << 63;

bool MatchesScan(const ScanOptions& opt, std::string_view key, storage::ObjType type) {
  if (!opt.Matches(key)) return false;
  return !opt.by_type || EqualsIgnoreCase(opt.type, storage::TypeName(type));
}

// Phase 2: the page the backend answered, minus keys deleted since; a key in memory is
// filtered by its current type.
void ScanBackendPage(CommandContext& ctx, const ScanOptions& opt) {
  Db& db = ctx.db();
  std::vector<std::string_view> keys;
  uint64_t next = 0;
  if (ctx.backend != nullptr) {
    for (const BackendKey& k : ctx.backend->keys) {
      KeyRef r = db.Ref(k.key);
      storage::ObjType type = k.type;
      if (const Entry* e = r.shard->Find(r.key, r.hash, ctx.now_ms, kNoTouch)) {
        type = e->type();
      } else if (!r.shard->OnlyInBackend(r.key, r.hash)) {
        continue;  // deleted (or expired) since the backend wrote its row
      }
      if (MatchesScan(opt, k.key, type)) keys.push_back(k.key);
    }
    next = ctx.backend->next == 0 ? 0 : kBackendPhase | ctx.backend->next;
  }
  std::string cursor_text = std::to_string(next);
  ctx.out->ArrayHeader(2);
  ctx.out->Bulk(cursor_text);
  ctx.out->ArrayHeader(keys.size());
  for (std::string_view k : keys) ctx.out->Bulk(k);
}

void Scan(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.arg(1), &cursor)) return ctx.out->Error(err::kInvalidCursor);
  ScanOptions opt;
  if (!ParseScanOptions(ctx, 2, true, &opt)) return;
  if (cursor & kBackendPhase) return ScanBackendPage(ctx, opt);

  Db& db = ctx.db();
  const bool tiered = ctx.keyspace->tiered();
  const uint64_t num_shards = db.num_shards();
  uint64_t shard_index = cursor % num_shards;
  uint64_t bucket = cursor / num_shards;
  const uint64_t want = static_cast<uint64_t>(opt.count);
  uint64_t budget = want > kInt64Max / 10 ? static_cast<uint64_t>(kInt64Max) : want * 10;
  uint64_t visited = 0;  // keys seen in the walk, filtered or not: what COUNT bounds
  std::vector<std::string> keys;
  std::vector<std::string> expired;
  uint64_t next_cursor = 0;
  for (;;) {
    Shard& shard = db.shard(shard_index);  // held by the dispatcher, as the whole database
    for (;;) {
      bucket = shard.dict().ScanStep(bucket, [&](Entry* e) {
        ++visited;
        if (e->IsExpired(ctx.now_ms)) {
          expired.emplace_back(e->key());
          return;
        }
        if (tiered && shard.Clean(e)) return;  // phase 2 returns it
        if (MatchesScan(opt, e->key(), e->type())) keys.emplace_back(e->key());
      });
      --budget;
      if (bucket == 0 || budget == 0 || visited >= want) break;
    }
    // Expired keys are deleted on the way, as Redis's SCAN does (never inside ScanStep).
    for (const std::string& k : expired) shard.Find(k, storage::HashKey(k), ctx.now_ms);
    expired.clear();
    if (bucket != 0) {
      next_cursor = bucket * num_shards + shard_index;
      break;
    }
    if (++shard_index == num_shards) {  // the last shard is done
      next_cursor = tiered ? kBackendPhase : 0;
      break;
    }
    if (budget == 0 || visited >= want) {
      next_cursor = shard_index;  // bucket cursor 0 of the next shard
      break;
    }
  }

  std::string cursor_text = std::to_string(next_cursor);
  ctx.out->ArrayHeader(2);
  ctx.out->Bulk(cursor_text);
  ctx.out->ArrayHeader(keys.size());
  for (const std::string& k : keys) ctx.out->Bulk(k);
}

// SCAN's phase 2 asks the backend for the page at the cursor's position.
bool ScanBackendQuery(const CommandContext& ctx, BackendQuery* q) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.arg(1), &cursor) || !(cursor & kBackendPhase)) return false;
  int64_t count = 10;
  for (size_t i = 2; i + 1 < ctx.argc; i += 2)  // COUNT, if valid (else the handler's error)
    if (EqualsIgnoreCase(ctx.arg(i), "COUNT") && ParseInt64(ctx.arg(i + 1), &count) && count < 1)
      return false;
  q->kind = BackendQuery::Kind::kPage;
  q->db = static_cast<uint32_t>(ctx.client->db_index);
  q->from = cursor & ~kBackendPhase;
  q->count = static_cast<size_t>(std::min<int64_t>(count, 100000));
  return true;
}

// RANDOMKEY: a shard weighted by its size, then an entry in it. With keys only in the backend,
// one of them in proportion to their number: the key at a random position of the backend's
// order, fetched before the handler runs.
void RandomKey(CommandContext& ctx) {
  Db& db = ctx.db();
  for (;;) {
    size_t total = 0, backend_only = 0;
    for (size_t i = 0; i < db.num_shards(); ++i) {
      total += db.shard(i).size();
      backend_only += db.shard(i).BackendOnly();
    }
    if (ctx.backend != nullptr && !ctx.backend->keys.empty() && backend_only > 0 &&
        Random64() % (total + backend_only) >= total) {
      const std::string& key = ctx.backend->keys[0].key;
      KeyRef r = db.Ref(key);
      if (r.shard->OnlyInBackend(r.key, r.hash)) return ctx.out->Bulk(key);
    }
    if (total == 0) return ctx.out->NullBulk();
    size_t pick = static_cast<size_t>(Random64() % total);
    size_t i = 0;
    while (pick >= db.shard(i).size()) pick -= db.shard(i++).size();
    Shard& shard = db.shard(i);
    Entry* e = shard.dict().RandomEntry(Random64());
    if (!e->IsExpired(ctx.now_ms)) return ctx.out->Bulk(e->key());
    std::string key(e->key());
    shard.Find(key, storage::HashKey(key), ctx.now_ms);  // deletes it; try another
  }
}

bool RandomKeyBackendQuery(const CommandContext& ctx, BackendQuery* q) {
  if (ctx.db().BackendOnly() == 0) return false;
  q->kind = BackendQuery::Kind::kRandom;
  q->db = static_cast<uint32_t>(ctx.client->db_index);
  q->from = Random64() >> 2;  // a position in the backend's 62-bit key order
  return true;
}

void DbSize(CommandContext& ctx) {
  ctx.out->Integer(static_cast<int64_t>(ctx.db().Size(ctx.held)));  // the database is held
}

// ---- RENAME / COPY / MOVE ----

void RenameGeneric(CommandContext& ctx, bool nx) {
  std::string_view src = ctx.arg(1), dst = ctx.arg(2);
  const KeyRef& ks = ctx.KeyAt(1);
  const KeyRef& kd = ctx.KeyAt(2);
  Entry* e = ks.shard->Find(src, ks.hash, ctx.now_ms);
  if (e == nullptr) return ctx.out->Error(err::kNoSuchKey);
  if (src == dst) return nx ? ctx.out->Integer(0) : ctx.out->Ok();
  if (nx && kd.shard->Find(dst, kd.hash, ctx.now_ms) != nullptr) return ctx.out->Integer(0);
  // The key is part of the entry's block: the block is rebuilt under the new name (a
  // collection's object moves over, it is not copied).
  Entry* renamed = Entry::Rekey(ks.shard->Take(src, ks.hash, ctx.now_ms), dst);
  kd.shard->Put(renamed, kd.hash);  // replaces (and frees) any old destination
  ctx.dirty += 2;
  nx ? ctx.out->Integer(1) : ctx.out->Ok();
}

void Rename(CommandContext& ctx) { RenameGeneric(ctx, false); }
void RenameNx(CommandContext& ctx) { RenameGeneric(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]
void Copy(CommandContext& ctx) {
  size_t src_db = ctx.client->db_index, dst_db = src_db;
  bool replace = false;
  for (size_t j = 3; j < ctx.argc; ++j) {
    std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "REPLACE")) {
      replace = true;
    } else if (EqualsIgnoreCase(opt, "DB") && j + 1 < ctx.argc) {
      if (!ParseDbIndexOrReply(ctx, ctx.arg(++j), &dst_db)) return;
    } else {
      return ctx.out->Error(err::kSyntax);
    }
  }
  std::string_view src = ctx.arg(1), dst = ctx.arg(2);
  if (src_db == dst_db && src == dst) return ctx.out->Error(err::kSameObject);

  const KeyRef& ks = ctx.KeyAt(1, src_db);
  const KeyRef& kd = ctx.KeyAt(2, dst_db);
  Entry* e = ks.shard->Find(src, ks.hash, ctx.now_ms);
  if (e == nullptr) return ctx.out->Integer(0);
  if (!replace && kd.shard->Find(dst, kd.hash, ctx.now_ms) != nullptr)
    return ctx.out->Integer(0);
  kd.shard->Put(Entry::CloneWithKey(e, dst), kd.hash);  // value and TTL
  ++ctx.dirty;
  ctx.out->Integer(1);
}

// MOVE key db
void Move(CommandContext& ctx) {
  size_t src_db = ctx.client->db_index, dst_db;
  if (!ParseDbIndexOrReply(ctx, ctx.arg(2), &dst_db)) return;
  if (src_db == dst_db) return ctx.out->Error(err::kSameObject);
  std::string_view key = ctx.arg(1);
  const KeyRef& ks = ctx.KeyAt(1, src_db);
  const KeyRef& kd = ctx.KeyAt(1, dst_db);
  if (ks.shard->Find(key, ks.hash, ctx.now_ms) == nullptr) return ctx.out->Integer(0);
  if (kd.shard->Find(key, kd.hash, ctx.now_ms) != nullptr) return ctx.out->Integer(0);
  // Same key, so the entry itself moves (with its TTL); no copy.
  kd.shard->Put(ks.shard->Take(key, ks.hash, ctx.now_ms), kd.hash);
  ctx.dirty += 2;
  ctx.out->Integer(1);
}

// ---- OBJECT ----

// Whether a string value would be int-encoded by Redis (at most 20 chars, a strict int64).
bool IntEncoded(std::string_view s, int64_t* v) { return s.size() <= 20 && ParseInt64(s, v); }

// OBJECT subcommands share the lookup: the key is argv[2]; a missing key replies null. It is
// not an access (OBJECT IDLETIME would always read 0).
Entry* ObjectLookup(CommandContext& ctx, const KeyRef& k) {
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms, kNoTouch);
  if (e == nullptr) ctx.out->NullBulk();
  return e;
}

void ObjectEncoding(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(2);
  Entry* e = ObjectLookup(ctx, k);
  if (e == nullptr) return;
  if (e->type() != ObjType::kString) return ctx.out->Bulk(e->obj()->EncodingName());
  int64_t v;
  std::string_view s = e->str();
  if (e->raw_encoding()) return ctx.out->Bulk("raw");
  if (IntEncoded(s, &v)) return ctx.out->Bulk("int");
  ctx.out->Bulk(s.size() <= 44 ? "embstr" : "raw");
}

void ObjectRefCount(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(2);
  Entry* e = ObjectLookup(ctx, k);
  if (e == nullptr) return;
  // Redis shares the objects of the integers 0..9999: their refcount reads INT_MAX.
  int64_t v;
  if (e->type() == ObjType::kString && IntEncoded(e->str(), &v) && v >= 0 && v < 10000)
    return ctx.out->Integer(std::numeric_limits<int32_t>::max());
  ctx.out->Integer(1);
}

void ObjectIdleTime(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(2);
  Entry* e = ObjectLookup(ctx, k);
  if (e == nullptr) return;
  // Redis checks the key first, then the policy (object.c).
  if (storage::LfuMode()) {
    return ctx.out->Error(err::kLfuIdleTime);
  }
  ctx.out->Integer(static_cast<int64_t>(storage::IdleSeconds(*e)));
}

void ObjectFreq(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(2);
  Entry* e = ObjectLookup(ctx, k);
  if (e == nullptr) return;
  if (!storage::LfuMode()) return ctx.out->Error(err::kLfuNotSelected);
  ctx.out->Integer(storage::LfuCounter(*e));
}

void ObjectHelp(CommandContext& ctx) {
  static const char* const kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help.",
  };
  ctx.out->ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.out->SimpleString(l);
}

// ---- registration ----

CommandSpec Cmd(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys, Handler h,
                const char* since, const char* summary, const char* syntax) {
  return MakeSpec(name, arity, flags, std::move(keys), h, "generic", since, summary, syntax);
}

// Key flags of Redis 7.0.15's key specs.
constexpr uint32_t kRO = kKeyRO, kReads = kKeyRO | kKeyAccess, kUpdates = kKeyRW | kKeyUpdate;
constexpr uint32_t kTakes = kKeyRW | kKeyAccess | kKeyDelete;  // the source of RENAME
constexpr uint32_t kRemoves = kKeyRM | kKeyDelete;

// KEYS, SCAN and RANDOMKEY list keys only a backing tier has: what they need from it first.
CommandSpec WithBackendQuery(CommandSpec s, BackendQueryFn q) {
  s.backend_query = q;
  return s;
}

}  // namespace

void RegisterKeyFamily(CommandRegistry& r) {
  // Arity, flags, key specs and docs as Redis 7.0.15's COMMAND INFO / DOCS report them;
  // kRandom marks Redis's "nondeterministic_output" tip.
  CommandSpec object = Cmd("object", -2, 0, {}, nullptr, "2.2.3",
                           "A container for object introspection commands", "");
  object.subcommands = {
      Cmd("object|encoding", 3, kReadOnly | kRandom, {Key(2, kRO)}, ObjectEncoding, "2.2.3",
          "Inspect the internal encoding of a Redis object", "key"),
      Cmd("object|freq", 3, kReadOnly | kRandom, {Key(2, kRO)}, ObjectFreq, "4.0.0",
          "Get the logarithmic access frequency counter of a Redis object", "key"),
      Cmd("object|help", 2, kLoading | kStale, {}, ObjectHelp, "6.2.0",
          "Show helpful text about the different subcommands", ""),
      Cmd("object|idletime", 3, kReadOnly | kRandom, {Key(2, kRO)}, ObjectIdleTime, "2.2.3",
          "Get the time since a Redis object was last accessed", "key"),
      Cmd("object|refcount", 3, kReadOnly | kRandom, {Key(2, kRO)}, ObjectRefCount, "2.2.3",
          "Get the number of references to the value of the key", "key"),
  };
  CommandSpec dbsize = Cmd("dbsize", 1, kReadOnly | kFast | kReachDb, {}, DbSize, "1.0.0",
                           "Return the number of keys in the selected database", "");
  dbsize.group = "server";

  // COPY src dst DB n writes its destination in database n; MOVE key n takes the key from the
  // client's database to database n.
  CommandSpec copy =
      Cmd("copy", -3, kWrite | kDenyOom, {Key(1, kReads), Key(2, kKeyOW | kKeyUpdate)}, Copy,
          "6.2.0", "Copy a key", "source destination [DB destination-db] [REPLACE]");
  copy.target_db = {/*db_arg=*/0, /*keyword=*/"DB", /*key_arg=*/2, /*also_client_db=*/false};
  CommandSpec move = Cmd("move", 3, kWrite | kFast, {Key(1, kKeyRW | kKeyAccess | kKeyUpdate)},
                         Move, "1.0.0", "Move a key to another database", "key db");
  move.target_db = {/*db_arg=*/2, /*keyword=*/nullptr, /*key_arg=*/1, /*also_client_db=*/true};

  std::vector<CommandSpec> specs = {
      Cmd("del", -2, kWrite, {KeyRange(1, -1, 1, kRemoves)}, Del, "1.0.0", "Delete a key",
          "key [key ...]"),
      Cmd("unlink", -2, kWrite | kFast, {KeyRange(1, -1, 1, kRemoves)}, Unlink, "4.0.0",
          "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non "
          "blocking.",
          "key [key ...]"),
      Cmd("exists", -2, kReadOnly | kFast, {KeyRange(1, -1, 1, kRO)}, Exists, "1.0.0",
          "Determine if a key exists", "key [key ...]"),
      Cmd("touch", -2, kReadOnly | kFast, {KeyRange(1, -1, 1, kRO)}, Exists, "3.2.1",
          "Alters the last access time of a key(s). Returns the number of existing keys "
          "specified.",
          "key [key ...]"),
      Cmd("expire", -3, kWrite | kFast, {Key(1, kUpdates)}, Expire, "1.0.0",
          "Set a key's time to live in seconds", "key seconds [NX | XX | GT | LT]"),
      Cmd("pexpire", -3, kWrite | kFast, {Key(1, kUpdates)}, PExpire, "2.6.0",
          "Set a key's time to live in milliseconds", "key milliseconds [NX | XX | GT | LT]"),
      Cmd("expireat", -3, kWrite | kFast, {Key(1, kUpdates)}, ExpireAt, "1.2.0",
          "Set the expiration for a key as a UNIX timestamp",
          "key unix-time-seconds [NX | XX | GT | LT]"),
      Cmd("pexpireat", -3, kWrite | kFast, {Key(1, kUpdates)}, PExpireAt, "2.6.0",
          "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
          "key unix-time-milliseconds [NX | XX | GT | LT]"),
      Cmd("ttl", 2, kReadOnly | kFast | kRandom, {Key(1, kReads)}, Ttl, "1.0.0",
          "Get the time to live for a key in seconds", "key"),
      Cmd("pttl", 2, kReadOnly | kFast | kRandom, {Key(1, kReads)}, PTtl, "2.6.0",
          "Get the time to live for a key in milliseconds", "key"),
      Cmd("expiretime", 2, kReadOnly | kFast, {Key(1, kReads)}, ExpireTime, "7.0.0",
          "Get the expiration Unix timestamp for a key", "key"),
      Cmd("pexpiretime", 2, kReadOnly | kFast, {Key(1, kReads)}, PExpireTime, "7.0.0",
          "Get the expiration Unix timestamp for a key in milliseconds", "key"),
      Cmd("persist", 2, kWrite | kFast, {Key(1, kUpdates)}, Persist, "2.2.0",
          "Remove the expiration from a key", "key"),
      Cmd("type", 2, kReadOnly | kFast, {Key(1, kRO)}, Type, "1.0.0",
          "Determine the type stored at key", "key"),
      WithBackendQuery(Cmd("keys", 2, kReadOnly | kReachDb, {}, Keys, "1.0.0",
                           "Find all keys matching the given pattern", "pattern"),
                       KeysBackendQuery),
      WithBackendQuery(Cmd("scan", -2, kReadOnly | kRandom | kReachDb, {}, Scan, "2.8.0",
                           "Incrementally iterate the keys space",
                           "cursor [MATCH pattern] [COUNT count] [TYPE type]"),
                       ScanBackendQuery),
      Cmd("rename", 3, kWrite, {Key(1, kTakes), Key(2, kKeyOW | kKeyUpdate)}, Rename, "1.0.0",
          "Rename a key", "key newkey"),
      Cmd("renamenx", 3, kWrite | kFast, {Key(1, kTakes), Key(2, kKeyOW | kKeyInsert)}, RenameNx,
          "1.0.0", "Rename a key, only if the new key does not exist", "key newkey"),
      WithBackendQuery(Cmd("randomkey", 1, kReadOnly | kRandom | kReachDb, {}, RandomKey,
                           "1.0.0", "Return a random key from the keyspace", ""),
                       RandomKeyBackendQuery),
      std::move(copy),
      std::move(move),
      std::move(object),
      std::move(dbsize),
  };
  for (CommandSpec& s : specs) r.Register(std::move(s));
}

}  // namespace strata::cmd
