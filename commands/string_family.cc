// String commands (Redis's t_string.c): GET/SET and their variants, MGET/MSET, counters, APPEND,
// STRLEN, GETRANGE/SETRANGE. Replies and error texts follow Redis 7.0.15 exactly.
// Strings live inline in their Entry; writes reuse the entry's spare room when the new value
// fits, so overwriting or growing a value usually allocates nothing.
// Thread: handlers run on any worker; every key is touched under its shard lock.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "commands/command.h"
#include "common/errors.h"
#include "common/strutil.h"

namespace strata::cmd {

namespace {

using storage::Entry;
using storage::KeyRef;
using storage::kNoExpire;
using storage::ObjType;
using storage::Shard;

bool IsString(const Entry* e) { return e->type() == ObjType::kString; }

void ReplyInvalidExpire(CommandContext& ctx, const char* command) {
  ctx.out->Error(Format(err::kInvalidExpire, command));
}

// Redis's checkStringLength: may a string of `size` bytes grow by `append` bytes without
// passing proto-max-bulk-len?
bool StringLengthOk(CommandContext& ctx, uint64_t size, uint64_t append) {
  uint64_t max = static_cast<uint64_t>(ctx.max_string_len);
  if (size > max || append > max - size) {
    ctx.out->Error(err::kStringTooLong);
    return false;
  }
  return true;
}

// Makes key hold the string `value` with expiry `expire_ms`, replacing `old` (the live entry of
// the key, any type, or nullptr). Rewrites old in place when the value fits without wasting
// much of the block. Caller holds the shard lock.
void StoreString(CommandContext& ctx, const KeyRef& k, Entry* old, std::string_view value,
                 int64_t expire_ms) {
  ++ctx.dirty;
  Shard& shard = *k.shard;
  if (old != nullptr && IsString(old)) {
    size_t cap = old->str_capacity();
    if (value.size() <= cap && cap - value.size() <= std::max<size_t>(value.size(), 64)) {
      if (!value.empty()) std::memmove(old->mutable_str(), value.data(), value.size());
      old->set_str_len(value.size());
      old->set_raw_encoding(false);  // a fresh value, as if newly created
      if (old->expire_ms() != expire_ms) shard.SetExpire(old, expire_ms);
      return;
    }
  }
  Entry* e = Entry::NewString(k.key, value, expire_ms);
  if (old != nullptr) {
    shard.Replace(old, e, k.hash);
  } else {
    shard.Put(e, k.hash);
  }
}

// Returns a string entry for the key (e itself, or a bigger copy put in its place) whose value
// can grow to new_len bytes in place. Grows greedily like Redis's sds: double up to 1 MiB, then
// 1 MiB more, so repeated APPENDs are amortized O(1).
Entry* ReserveString(const KeyRef& k, Entry* e, size_t new_len) {
  if (new_len <= e->str_capacity()) return e;
  size_t slack = std::min<size_t>(new_len, 1024 * 1024);
  Entry* bigger = Entry::NewString(k.key, e->str(), e->expire_ms(), new_len - e->str().size() + slack);
  bigger->set_access(e->access());
  k.shard->Replace(e, bigger, k.hash);
  return bigger;
}

// ---- SET and its relatives ----

// Options of SET and GETEX (Redis's parseExtendedStringArgumentsOrReply).
enum SetFlag : uint32_t {
  kNX = 1u << 0,
  kXX = 1u << 1,
  kGet = 1u << 2,
  kKeepTtl = 1u << 3,
  kPersist = 1u << 4,
  kEX = 1u << 5,
  kPX = 1u << 6,
  kEXAT = 1u << 7,
  kPXAT = 1u << 8,
};
constexpr uint32_t kAnyExpire = kEX | kPX | kEXAT | kPXAT;

// Parses options from argv[start]. An option conflicting with an earlier one, one that does not
// belong to the command, or a missing value is a syntax error; repeating an option is allowed
// (the last expiry wins), as in Redis.
bool ParseSetOptions(CommandContext& ctx, size_t start, bool is_set, uint32_t* flags,
                     std::string_view* expire) {
  uint32_t f = 0;
  for (size_t j = start; j < ctx.argc; ++j) {
    std::string_view opt = ctx.arg(j);
    bool has_next = j + 1 < ctx.argc;
    uint32_t expire_flag = 0;
    if (opt.size() == 2 || opt.size() == 4) {
      if (EqualsIgnoreCase(opt, "EX")) expire_flag = kEX;
      else if (EqualsIgnoreCase(opt, "PX")) expire_flag = kPX;
      else if (EqualsIgnoreCase(opt, "EXAT")) expire_flag = kEXAT;
      else if (EqualsIgnoreCase(opt, "PXAT")) expire_flag = kPXAT;
    }
    if (is_set && EqualsIgnoreCase(opt, "NX") && !(f & kXX)) {
      f |= kNX;
    } else if (is_set && EqualsIgnoreCase(opt, "XX") && !(f & kNX)) {
      f |= kXX;
    } else if (is_set && EqualsIgnoreCase(opt, "GET")) {
      f |= kGet;
    } else if (is_set && EqualsIgnoreCase(opt, "KEEPTTL") && !(f & (kPersist | kAnyExpire))) {
      f |= kKeepTtl;
    } else if (!is_set && EqualsIgnoreCase(opt, "PERSIST") && !(f & (kKeepTtl | kAnyExpire))) {
      f |= kPersist;
    } else if (expire_flag != 0 && has_next &&
               !(f & (kKeepTtl | kPersist | (kAnyExpire & ~expire_flag)))) {
      f |= expire_flag;
      *expire = ctx.arg(++j);
    } else {
      ctx.out->Error(err::kSyntax);
      return false;
    }
  }
  *flags = f;
  return true;
}

// Redis's getExpireMillisecondsOrReply: the absolute expiry in ms of an EX/PX/EXAT/PXAT value.
// Zero, negative and overflowing values are "invalid expire time".
bool ExpireAtOrReply(CommandContext& ctx, std::string_view arg, uint32_t flags,
                     const char* command, int64_t* out) {
  int64_t v;
  if (!ParseInt64(arg, &v)) {
    ctx.out->Error(err::kNotInteger);
    return false;
  }
  bool seconds = (flags & (kEX | kEXAT)) != 0;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (v <= 0 || (seconds && v > kMax / 1000)) {
    ReplyInvalidExpire(ctx, command);
    return false;
  }
  if (seconds) v *= 1000;
  if (flags & (kEX | kPX)) {
    if (v > kMax - ctx.now_ms) {
      ReplyInvalidExpire(ctx, command);
      return false;
    }
    v += ctx.now_ms;
  }
  if (v <= 0) {
    ReplyInvalidExpire(ctx, command);
    return false;
  }
  *out = v;
  return true;
}

enum class SetReply { kOkOrNull, kOneOrZero };

// Redis's setGenericCommand, serving SET, SETNX, SETEX and PSETEX.
void SetGeneric(CommandContext& ctx, std::string_view value, uint32_t flags,
                std::string_view expire_arg, const char* command, SetReply reply) {
  int64_t when = kNoExpire;
  if ((flags & kAnyExpire) && !ExpireAtOrReply(ctx, expire_arg, flags, command, &when)) return;

  const KeyRef& k = ctx.KeyAt(1);
  Entry* old = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (flags & kGet) {
    if (old == nullptr) {
      ctx.out->NullBulk();
    } else if (!IsString(old)) {
      return ctx.out->Error(err::kWrongType);
    } else {
      ctx.out->Bulk(old->str());  // copied out before the value may be overwritten below
    }
  }
  bool found = old != nullptr;
  if (((flags & kNX) && found) || ((flags & kXX) && !found)) {
    if (flags & kGet) return;
    return reply == SetReply::kOneOrZero ? ctx.out->Integer(0) : ctx.out->NullBulk();
  }
  if ((flags & kKeepTtl) && old != nullptr) when = old->expire_ms();
  StoreString(ctx, k, old, value, when);
  if (flags & kGet) return;
  reply == SetReply::kOneOrZero ? ctx.out->Integer(1) : ctx.out->Ok();
}

void Set(CommandContext& ctx) {
  uint32_t flags = 0;
  std::string_view expire;
  if (ctx.argc > 3 && !ParseSetOptions(ctx, 3, true, &flags, &expire)) return;
  SetGeneric(ctx, ctx.arg(2), flags, expire, "set", SetReply::kOkOrNull);
}

void SetNx(CommandContext& ctx) {
  SetGeneric(ctx, ctx.arg(2), kNX, {}, "setnx", SetReply::kOneOrZero);
}

void SetEx(CommandContext& ctx) {
  SetGeneric(ctx, ctx.arg(3), kEX, ctx.arg(2), "setex", SetReply::kOkOrNull);
}

void PSetEx(CommandContext& ctx) {
  SetGeneric(ctx, ctx.arg(3), kPX, ctx.arg(2), "psetex", SetReply::kOkOrNull);
}

// ---- reads ----

void Get(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (e == nullptr) return ctx.out->NullBulk();
  if (!IsString(e)) return ctx.out->Error(err::kWrongType);
  ctx.out->Bulk(e->str());
}

void GetSet(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  Entry* old = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (old == nullptr) {
    ctx.out->NullBulk();
  } else if (!IsString(old)) {
    return ctx.out->Error(err::kWrongType);
  } else {
    ctx.out->Bulk(old->str());
  }
  StoreString(ctx, k, old, ctx.arg(2), kNoExpire);  // like SET, drops any TTL
}

void GetDel(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (e == nullptr) return ctx.out->NullBulk();
  if (!IsString(e)) return ctx.out->Error(err::kWrongType);
  ctx.out->Bulk(e->str());
  k.shard->Erase(k.key, k.hash, ctx.now_ms);
  ++ctx.dirty;
}

void GetEx(CommandContext& ctx) {
  uint32_t flags = 0;
  std::string_view expire;
  if (ctx.argc > 2 && !ParseSetOptions(ctx, 2, false, &flags, &expire)) return;

  const KeyRef& k = ctx.KeyAt(1);
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (e == nullptr) return ctx.out->NullBulk();
  if (!IsString(e)) return ctx.out->Error(err::kWrongType);
  // Redis validates the expiry only once it knows the key is a string.
  int64_t when = kNoExpire;
  if ((flags & kAnyExpire) && !ExpireAtOrReply(ctx, expire, flags, "getex", &when)) return;
  ctx.out->Bulk(e->str());
  if ((flags & (kEXAT | kPXAT)) && when <= ctx.now_ms) {
    k.shard->Erase(k.key, k.hash, ctx.now_ms);
    ++ctx.dirty;
  } else if (flags & kAnyExpire) {
    k.shard->SetExpire(e, when);
    ++ctx.dirty;
  } else if ((flags & kPersist) && e->HasExpire()) {
    k.shard->SetExpire(e, kNoExpire);
    ++ctx.dirty;
  }
}

void StrLen(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (e == nullptr) return ctx.out->Integer(0);
  if (!IsString(e)) return ctx.out->Error(err::kWrongType);
  ctx.out->Integer(static_cast<int64_t>(e->str().size()));
}

// GETRANGE and SUBSTR: inclusive range, negative indexes count from the end, clamped.
void GetRange(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseInt64(ctx.arg(2), &start) || !ParseInt64(ctx.arg(3), &end))
    return ctx.out->Error(err::kNotInteger);
  const KeyRef& k = ctx.KeyAt(1);
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (e == nullptr) return ctx.out->Bulk("");
  if (!IsString(e)) return ctx.out->Error(err::kWrongType);
  std::string_view s = e->str();
  int64_t len = static_cast<int64_t>(s.size());
  if (start < 0 && end < 0 && start > end) return ctx.out->Bulk("");
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return ctx.out->Bulk("");
  ctx.out->Bulk(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

// ---- multi-key ----

void MGet(CommandContext& ctx) {
  ctx.out->ArrayHeader(ctx.num_keys());
  for (size_t i = 0; i < ctx.num_keys(); ++i) {
    const KeyRef& k = ctx.Key(i);
    Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
    if (e == nullptr || !IsString(e)) {
      ctx.out->NullBulk();
    } else {
      ctx.out->Bulk(e->str());
    }
  }
}

// MSET (nx = false) and MSETNX (nx = true): all keys are set, or (MSETNX) none when any exists.
void MSetGeneric(CommandContext& ctx, bool nx) {
  if (ctx.argc % 2 == 0)
    return ctx.out->Error(
        Format(err::kWrongArity, nx ? "msetnx" : "mset"));
  if (nx) {
    for (size_t i = 0; i < ctx.num_keys(); ++i) {
      const KeyRef& k = ctx.Key(i);
      if (k.shard->Find(k.key, k.hash, ctx.now_ms) != nullptr) return ctx.out->Integer(0);
    }
  }
  for (size_t i = 0; i < ctx.num_keys(); ++i) {
    const KeyRef& k = ctx.Key(i);
    Entry* old = k.shard->Find(k.key, k.hash, ctx.now_ms);
    StoreString(ctx, k, old, ctx.arg(2 + 2 * i), kNoExpire);
  }
  nx ? ctx.out->Integer(1) : ctx.out->Ok();
}

void MSet(CommandContext& ctx) { MSetGeneric(ctx, false); }
void MSetNx(CommandContext& ctx) { MSetGeneric(ctx, true); }

// ---- counters ----

void IncrDecr(CommandContext& ctx, int64_t incr) {
  const KeyRef& k = ctx.KeyAt(1);
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  int64_t value = 0;
  if (e != nullptr) {
    if (!IsString(e)) return ctx.out->Error(err::kWrongType);
    if (!ParseInt64(e->str(), &value)) return ctx.out->Error(err::kNotInteger);
  }
  if ((incr < 0 && value < 0 && incr < std::numeric_limits<int64_t>::min() - value) ||
      (incr > 0 && value > 0 && incr > std::numeric_limits<int64_t>::max() - value))
    return ctx.out->Error(err::kOverflow);
  value += incr;
  char buf[24];
  size_t n = FormatInt64(value, buf);
  StoreString(ctx, k, e, std::string_view(buf, n), e != nullptr ? e->expire_ms() : kNoExpire);
  ctx.out->Integer(value);
}

void Incr(CommandContext& ctx) { IncrDecr(ctx, 1); }
void Decr(CommandContext& ctx) { IncrDecr(ctx, -1); }

void IncrBy(CommandContext& ctx) {
  int64_t incr;
  if (!ParseInt64(ctx.arg(2), &incr)) return ctx.out->Error(err::kNotInteger);
  IncrDecr(ctx, incr);
}

void DecrBy(CommandContext& ctx) {
  int64_t decr;
  if (!ParseInt64(ctx.arg(2), &decr)) return ctx.out->Error(err::kNotInteger);
  if (decr == std::numeric_limits<int64_t>::min())
    return ctx.out->Error(err::kDecrOverflow);
  IncrDecr(ctx, -decr);
}

void IncrByFloat(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  long double value = 0, incr;
  if (e != nullptr) {
    if (!IsString(e)) return ctx.out->Error(err::kWrongType);
    if (!ParseLongDouble(e->str(), &value)) return ctx.out->Error(err::kNotFloat);
  }
  if (!ParseLongDouble(ctx.arg(2), &incr)) return ctx.out->Error(err::kNotFloat);
  value += incr;
  std::string text;
  if (std::isnan(value) || std::isinf(value) || !FormatLongDoubleHuman(value, &text))
    return ctx.out->Error(err::kIncrNanOrInf);
  StoreString(ctx, k, e, text, e != nullptr ? e->expire_ms() : kNoExpire);  // keeps the TTL
  // Logged as its result, so replay does not depend on long double arithmetic.
  ctx.log_as = {{"SET", std::string(k.key), text, "KEEPTTL"}};
  ctx.out->Bulk(text);
}

// ---- in-place edits ----

void Append(CommandContext& ctx) {
  std::string_view tail = ctx.arg(2);
  const KeyRef& k = ctx.KeyAt(1);
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (e == nullptr) {
    k.shard->Put(Entry::NewString(k.key, tail, kNoExpire), k.hash);
    ++ctx.dirty;
    return ctx.out->Integer(static_cast<int64_t>(tail.size()));
  }
  if (!IsString(e)) return ctx.out->Error(err::kWrongType);
  size_t old_len = e->str().size();
  if (!StringLengthOk(ctx, old_len, tail.size())) return;
  e = ReserveString(k, e, old_len + tail.size());
  if (!tail.empty()) std::memcpy(e->mutable_str() + old_len, tail.data(), tail.size());
  e->set_str_len(old_len + tail.size());
  e->set_raw_encoding(true);
  ++ctx.dirty;
  ctx.out->Integer(static_cast<int64_t>(old_len + tail.size()));
}

void SetRange(CommandContext& ctx) {
  int64_t offset;
  if (!ParseInt64(ctx.arg(2), &offset)) return ctx.out->Error(err::kNotInteger);
  if (offset < 0) return ctx.out->Error(err::kOffsetOutOfRange);
  std::string_view value = ctx.arg(3);
  size_t off = static_cast<size_t>(offset);

  const KeyRef& k = ctx.KeyAt(1);
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (e == nullptr) {
    if (value.empty()) return ctx.out->Integer(0);  // nothing to set: no key is created
    if (!StringLengthOk(ctx, off, value.size())) return;
    size_t len = off + value.size();
    e = Entry::NewString(k.key, {}, kNoExpire, len);
    std::memset(e->mutable_str(), 0, off);
    std::memcpy(e->mutable_str() + off, value.data(), value.size());
    e->set_str_len(len);
    e->set_raw_encoding(true);
    k.shard->Put(e, k.hash);
    ++ctx.dirty;
    return ctx.out->Integer(static_cast<int64_t>(len));
  }
  if (!IsString(e)) return ctx.out->Error(err::kWrongType);
  size_t old_len = e->str().size();
  if (value.empty()) return ctx.out->Integer(static_cast<int64_t>(old_len));
  if (!StringLengthOk(ctx, off, value.size())) return;
  size_t len = std::max(old_len, off + value.size());
  e = ReserveString(k, e, len);
  if (off > old_len) std::memset(e->mutable_str() + old_len, 0, off - old_len);  // zero padding
  std::memcpy(e->mutable_str() + off, value.data(), value.size());
  e->set_str_len(len);
  e->set_raw_encoding(true);
  ++ctx.dirty;
  ctx.out->Integer(static_cast<int64_t>(len));
}

// ---- registration ----

// SET's key flags in one invocation: Redis 7.0 reports RW+access+update when GET is among the
// options, OW+update otherwise. Without NX, XX, GET and KEEPTTL the SET replaces whatever the key
// held, whether it existed or not: kKeyBlind.
uint32_t SetKeyFlags(const std::string_view* argv, size_t argc, size_t /*pos*/,
                     uint32_t /*spec_flags*/) {
  bool get = false, blind = true;
  for (size_t i = 3; i < argc; ++i) {
    std::string_view a = argv[i];
    if (EqualsIgnoreCase(a, "get")) get = true;
    if (EqualsIgnoreCase(a, "get") || EqualsIgnoreCase(a, "nx") || EqualsIgnoreCase(a, "xx") ||
        EqualsIgnoreCase(a, "keepttl"))
      blind = false;
  }
  uint32_t flags = get ? kKeyRW | kKeyAccess | kKeyUpdate : kKeyOW | kKeyUpdate;
  return blind ? flags | kKeyBlind : flags;
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys, Handler h,
                const char* since, const char* summary, const char* syntax,
                KeyFlagsFn key_flags = nullptr) {
  CommandSpec s =
      MakeSpec(name, arity, flags, std::move(keys), h, "string", since, summary, syntax);
  s.key_flags = key_flags;
  return s;
}

// Key flags of Redis 7.0.15's key specs.
constexpr uint32_t kRO = kKeyRO, kReads = kKeyRO | kKeyAccess;
constexpr uint32_t kReadWrites = kKeyRW | kKeyAccess | kKeyUpdate;
constexpr uint32_t kUpdates = kKeyRW | kKeyUpdate, kAppends = kKeyRW | kKeyInsert;
constexpr uint32_t kOverwrites = kKeyOW | kKeyUpdate, kCreates = kKeyOW | kKeyInsert;

}  // namespace

void RegisterStringFamily(CommandRegistry& r) {
  // Arity, flags, key specs and docs as Redis 7.0.15's COMMAND INFO / DOCS report them.
  const CommandSpec specs[] = {
      Cmd("get", 2, kReadOnly | kFast, {Key(1, kReads)}, Get, "1.0.0", "Get the value of a key",
          "key"),
      Cmd("set", -3, kWrite | kDenyOom,
          {Noted(Key(1, kReadWrites | kKeyVariableFlags),
                 "RW and ACCESS due to the optional `GET` argument")},
          Set, "1.0.0", "Set the string value of a key",
          "key value [NX | XX] [GET] [EX seconds | PX milliseconds | "
          "EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
          SetKeyFlags),
      Cmd("setnx", 3, kWrite | kDenyOom | kFast, {Key(1, kCreates)}, SetNx, "1.0.0",
          "Set the value of a key, only if the key does not exist", "key value"),
      Cmd("setex", 4, kWrite | kDenyOom, {Key(1, kOverwrites | kKeyBlind)}, SetEx, "2.0.0",
          "Set the value and expiration of a key", "key seconds value"),
      Cmd("psetex", 4, kWrite | kDenyOom, {Key(1, kOverwrites | kKeyBlind)}, PSetEx, "2.6.0",
          "Set the value and expiration in milliseconds of a key", "key milliseconds value"),
      Cmd("getset", 3, kWrite | kDenyOom | kFast, {Key(1, kReadWrites)}, GetSet, "1.0.0",
          "Set the string value of a key and return its old value", "key value"),
      Cmd("getdel", 2, kWrite | kFast, {Key(1, kKeyRW | kKeyAccess | kKeyDelete)}, GetDel, "6.2.0",
          "Get the value of a key and delete the key", "key"),
      Cmd("getex", -2, kWrite | kFast,
          {Noted(Key(1, kReadWrites), "RW and UPDATE because it changes the TTL")}, GetEx, "6.2.0",
          "Get the value of a key and optionally set its expiration",
          "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | "
          "PXAT unix-time-milliseconds | PERSIST]"),
      Cmd("mget", -2, kReadOnly | kFast, {KeyRange(1, -1, 1, kReads)}, MGet, "1.0.0",
          "Get the values of all the given keys", "key [key ...]"),
      Cmd("mset", -3, kWrite | kDenyOom, {KeyRange(1, -1, 2, kOverwrites | kKeyBlind)}, MSet,
          "1.0.1", "Set multiple keys to multiple values", "key value [key value ...]"),
      Cmd("msetnx", -3, kWrite | kDenyOom, {KeyRange(1, -1, 2, kCreates)}, MSetNx, "1.0.1",
          "Set multiple keys to multiple values, only if none of the keys exist",
          "key value [key value ...]"),
      Cmd("incr", 2, kWrite | kDenyOom | kFast, {Key(1, kReadWrites)}, Incr, "1.0.0",
          "Increment the integer value of a key by one", "key"),
      Cmd("decr", 2, kWrite | kDenyOom | kFast, {Key(1, kReadWrites)}, Decr, "1.0.0",
          "Decrement the integer value of a key by one", "key"),
      Cmd("incrby", 3, kWrite | kDenyOom | kFast, {Key(1, kReadWrites)}, IncrBy, "1.0.0",
          "Increment the integer value of a key by the given amount", "key increment"),
      Cmd("decrby", 3, kWrite | kDenyOom | kFast, {Key(1, kReadWrites)}, DecrBy, "1.0.0",
          "Decrement the integer value of a key by the given number", "key decrement"),
      Cmd("incrbyfloat", 3, kWrite | kDenyOom | kFast, {Key(1, kReadWrites)}, IncrByFloat, "2.6.0",
          "Increment the float value of a key by the given amount", "key increment"),
      Cmd("append", 3, kWrite | kDenyOom | kFast, {Key(1, kAppends)}, Append, "2.0.0",
          "Append a value to a key", "key value"),
      Cmd("strlen", 2, kReadOnly | kFast, {Key(1, kRO)}, StrLen, "2.2.0",
          "Get the length of the value stored in a key", "key"),
      Cmd("getrange", 4, kReadOnly, {Key(1, kReads)}, GetRange, "2.4.0",
          "Get a substring of the string stored at a key", "key start end"),
      Cmd("setrange", 4, kWrite | kDenyOom, {Key(1, kUpdates)}, SetRange, "2.2.0",
          "Overwrite part of a string at key starting at the specified offset", "key offset value"),
      Cmd("substr", 4, kReadOnly, {Key(1, kReads)}, GetRange, "1.0.0",
          "Get a substring of the string stored at a key", "key start end"),
  };
  for (const CommandSpec& s : specs) r.Register(s);
}

}  // namespace strata::cmd
