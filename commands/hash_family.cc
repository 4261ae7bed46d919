// Hash commands (Redis's t_hash.c): HSET/HSETNX/HMSET, HGET/HMGET, HDEL, HLEN, HEXISTS,
// HSTRLEN, HKEYS/HVALS/HGETALL, HINCRBY/HINCRBYFLOAT, HRANDFIELD and HSCAN. Replies and error
// texts follow Redis 7.0.15 exactly, including the order in which arguments, the key's type and
// options are checked. The value is storage::HashObject; writes go through HashWriter, which
// converts a listpack hash to a hashtable when a field, a value or the field count passes
// storage::Limits(), and deletes a hash that a command left empty.
// Thread: handlers run on any worker; every key is touched under its shard lock.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_set>
#include <vector>

#include "commands/command.h"
#include "common/random.h"
#include "common/errors.h"
#include "common/strutil.h"
#include "storage/hash_object.h"

namespace strata::cmd {

namespace {

using storage::DictHash;
using storage::Entry;
using storage::HashObject;
using storage::KeyRef;
using storage::ListpackHash;
using storage::ObjType;

// HSCAN of a missing key: cursor 0, no elements.
constexpr char kEmptyScan[] = "*2\r\n$1\r\n0\r\n*0\r\n";
// A random reply (HRANDFIELD with a negative count) stops growing past this many bytes and
// the connection is closed after it, like a Redis client hitting its output buffer limit;
// without it `HRANDFIELD key -9223372036854775807` would allocate until the process dies.
constexpr size_t kMaxRandomReplyBytes = size_t{1} << 30;


// ---- lookups ----

// The hash at k for reading in *h (nullptr when the key is missing). A key of another type
// replies WRONGTYPE and returns false (the shape of LookupSet/LookupZSet/LookupList).
bool LookupHash(CommandContext& ctx, const KeyRef& k, HashObject** h) {
  *h = nullptr;
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  if (e == nullptr) return true;
  if (e->type() != ObjType::kHash) {
    ctx.out->Error(err::kWrongType);
    return false;
  }
  *h = static_cast<HashObject*>(e->obj());
  return true;
}

// One command's writes to the hash at one key (caller holds the shard lock):
//  - creates the key on the first Set when it is missing,
//  - converts listpack -> hashtable before a field or value longer than
//    hash-max-listpack-value is stored, and once the field count passes
//    hash-max-listpack-entries (the conversion puts a new Entry in place of the key's),
//  - Finish() deletes the key if it is left empty, or trims the listpack's spare capacity once.
class HashWriter {
 public:
  HashWriter(CommandContext& ctx, const KeyRef& k) : ctx_(ctx), k_(k) {}

  // Looks the key up. False after replying WRONGTYPE; a missing key is fine (hash() == null).
  bool Open() {
    e_ = k_.shard->Find(k_.key, k_.hash, ctx_.now_ms);
    if (e_ == nullptr) return true;
    if (e_->type() != ObjType::kHash) {
      ctx_.out->Error(err::kWrongType);
      return false;
    }
    h_ = static_cast<HashObject*>(e_->obj());
    if (h_->is_listpack()) start_bytes_ = h_->AsListpack()->bytes();
    return true;
  }

  HashObject* hash() const { return h_; }

  // Sets field to value; true if the field is new.
  bool Set(std::string_view field, std::string_view value) {
    if (h_ == nullptr) {
      h_ = new ListpackHash();
      e_ = Entry::NewObject(k_.key, ObjType::kHash, h_, storage::kNoExpire);
      k_.shard->Put(e_, k_.hash);
    }
    if (h_->is_listpack() &&
        (!ListpackHash::Fits(field.size()) || !ListpackHash::Fits(value.size()))) {
      ConvertToDict();
    }
    bool added = h_->Set(field, value);
    if (added && h_->is_listpack() && ListpackHash::ExceedsEntries(h_->size())) ConvertToDict();
    return added;
  }

  bool Delete(std::string_view field) { return h_ != nullptr && h_->Delete(field); }

  void Finish() {
    if (h_ == nullptr) return;
    if (h_->empty()) {
      k_.shard->Erase(k_.key, k_.hash, ctx_.now_ms);
      h_ = nullptr;
      e_ = nullptr;
      return;
    }
    if (h_->is_listpack() && h_->AsListpack()->bytes() != start_bytes_)
      h_->AsListpack()->ShrinkToFit();
  }

 private:
  void ConvertToDict() {
    HashObject* d = h_->AsListpack()->ToDict();
    Entry* e = Entry::NewObject(k_.key, ObjType::kHash, d, e_->expire_ms());
    e->set_access(e_->access());
    k_.shard->Replace(e_, e, k_.hash);  // frees the old entry and its listpack
    e_ = e;
    h_ = d;
  }

  CommandContext& ctx_;
  const KeyRef& k_;
  Entry* e_ = nullptr;
  HashObject* h_ = nullptr;
  size_t start_bytes_ = 0;
};

// ---- writes ----

// HSET key field value [field value ...] (replies the number of new fields) and HMSET (OK).
void HSetGeneric(CommandContext& ctx, bool hmset) {
  if (ctx.argc % 2 == 1) {
    return ctx.out->Error(Format(err::kWrongArity,
                                 hmset ? "hmset" : "hset"));
  }
  const KeyRef& k = ctx.KeyAt(1);
  HashWriter w(ctx, k);
  if (!w.Open()) return;
  int64_t created = 0;
  for (size_t i = 2; i < ctx.argc; i += 2) created += w.Set(ctx.arg(i), ctx.arg(i + 1));
  w.Finish();
  ctx.dirty += (ctx.argc - 2) / 2;  // every pair is a write, as in Redis, even an unchanged one
  hmset ? ctx.out->Ok() : ctx.out->Integer(created);
}

void HSet(CommandContext& ctx) { HSetGeneric(ctx, false); }
void HMSet(CommandContext& ctx) { HSetGeneric(ctx, true); }

void HSetNx(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  HashWriter w(ctx, k);
  if (!w.Open()) return;
  if (w.hash() != nullptr && w.hash()->Contains(ctx.arg(2))) return ctx.out->Integer(0);
  w.Set(ctx.arg(2), ctx.arg(3));
  w.Finish();
  ++ctx.dirty;
  ctx.out->Integer(1);
}

void HDel(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  HashWriter w(ctx, k);
  if (!w.Open()) return;
  int64_t deleted = 0;
  if (w.hash() != nullptr) {
    for (size_t i = 2; i < ctx.argc; ++i) {
      if (w.Delete(ctx.arg(i))) ++deleted;
      if (w.hash()->empty()) break;
    }
    w.Finish();
  }
  ctx.dirty += static_cast<uint64_t>(deleted);
  ctx.out->Integer(deleted);
}

void HIncrBy(CommandContext& ctx) {
  int64_t incr;
  if (!ParseInt64(ctx.arg(3), &incr)) return ctx.out->Error(err::kNotInteger);
  const KeyRef& k = ctx.KeyAt(1);
  HashWriter w(ctx, k);
  if (!w.Open()) return;
  int64_t value = 0;
  std::string_view current;
  if (w.hash() != nullptr && w.hash()->Get(ctx.arg(2), &current) && !ParseInt64(current, &value))
    return ctx.out->Error(err::kHashValueNotInteger);
  if ((incr < 0 && value < 0 && incr < std::numeric_limits<int64_t>::min() - value) ||
      (incr > 0 && value > 0 && incr > std::numeric_limits<int64_t>::max() - value))
    return ctx.out->Error(err::kOverflow);
  value += incr;
  char buf[24];
  size_t n = FormatInt64(value, buf);
  w.Set(ctx.arg(2), std::string_view(buf, n));
  w.Finish();
  ++ctx.dirty;
  ctx.out->Integer(value);
}

void HIncrByFloat(CommandContext& ctx) {
  long double incr;
  if (!ParseLongDouble(ctx.arg(3), &incr)) return ctx.out->Error(err::kNotFloat);
  if (std::isnan(incr) || std::isinf(incr)) return ctx.out->Error(err::kValueNanOrInf);
  const KeyRef& k = ctx.KeyAt(1);
  HashWriter w(ctx, k);
  if (!w.Open()) return;
  long double value = 0;
  std::string_view current;
  if (w.hash() != nullptr && w.hash()->Get(ctx.arg(2), &current) &&
      !ParseLongDouble(current, &value))
    return ctx.out->Error(err::kHashValueNotFloat);
  value += incr;
  std::string text;
  if (std::isnan(value) || std::isinf(value) || !FormatLongDoubleHuman(value, &text))
    return ctx.out->Error(err::kIncrNanOrInf);
  w.Set(ctx.arg(2), text);
  w.Finish();
  ++ctx.dirty;
  ctx.log_as = {{"HSET", std::string(k.key), std::string(ctx.arg(2)), text}};  // the result
  ctx.out->Bulk(text);
}

// ---- reads ----

void HGet(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  HashObject* h;
  if (!LookupHash(ctx, k, &h)) return;
  std::string_view value;
  if (h == nullptr || !h->Get(ctx.arg(2), &value)) return ctx.out->NullBulk();
  ctx.out->Bulk(value);
}

void HMGet(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  HashObject* h;
  if (!LookupHash(ctx, k, &h)) return;
  ctx.out->ArrayHeader(ctx.argc - 2);
  for (size_t i = 2; i < ctx.argc; ++i) {
    std::string_view value;
    if (h != nullptr && h->Get(ctx.arg(i), &value)) {
      ctx.out->Bulk(value);
    } else {
      ctx.out->NullBulk();
    }
  }
}

void HLen(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  HashObject* h;
  if (!LookupHash(ctx, k, &h)) return;
  ctx.out->Integer(h != nullptr ? static_cast<int64_t>(h->size()) : 0);
}

void HExists(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  HashObject* h;
  if (!LookupHash(ctx, k, &h)) return;
  ctx.out->Integer(h != nullptr && h->Contains(ctx.arg(2)) ? 1 : 0);
}

void HStrLen(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  HashObject* h;
  if (!LookupHash(ctx, k, &h)) return;
  std::string_view value;
  bool found = h != nullptr && h->Get(ctx.arg(2), &value);
  ctx.out->Integer(found ? static_cast<int64_t>(value.size()) : 0);
}

enum GetAllWhat : uint32_t { kFields = 1, kValues = 2 };

// HKEYS, HVALS (arrays) and HGETALL (a map in RESP3).
void GetAllGeneric(CommandContext& ctx, uint32_t what) {
  const KeyRef& k = ctx.KeyAt(1);
  HashObject* h;
  if (!LookupHash(ctx, k, &h)) return;
  bool both = what == (kFields | kValues);
  size_t n = h != nullptr ? h->size() : 0;
  both ? ctx.out->MapHeader(n) : ctx.out->ArrayHeader(n);
  if (h == nullptr) return;
  h->ForEach([&](std::string_view field, std::string_view value) {
    if (what & kFields) ctx.out->Bulk(field);
    if (what & kValues) ctx.out->Bulk(value);
  });
}

void HKeys(CommandContext& ctx) { GetAllGeneric(ctx, kFields); }
void HVals(CommandContext& ctx) { GetAllGeneric(ctx, kValues); }
void HGetAll(CommandContext& ctx) { GetAllGeneric(ctx, kFields | kValues); }

// ---- HRANDFIELD ----

// One element of an HRANDFIELD reply: the field, or with values a [field, value] pair (a
// nested array in RESP3, flat in RESP2).
void ReplyRandomPair(CommandContext& ctx, bool with_values, std::string_view field,
                     std::string_view value) {
  if (with_values && ctx.out->resp3()) ctx.out->ArrayHeader(2);
  ctx.out->Bulk(field);
  if (with_values) ctx.out->Bulk(value);
}

// HRANDFIELD key count [WITHVALUES]. Redis's four cases: a negative count samples with
// repetition; count >= size returns the whole hash; otherwise `count` distinct fields.
void HRandFieldWithCount(CommandContext& ctx, int64_t l, bool with_values) {
  const KeyRef& k = ctx.KeyAt(1);
  HashObject* h;
  if (!LookupHash(ctx, k, &h)) return;
  if (h == nullptr) return ctx.out->ArrayHeader(0);
  bool unique = l >= 0;
  uint64_t count = unique ? static_cast<uint64_t>(l) : 0 - static_cast<uint64_t>(l);
  if (count == 0) return ctx.out->ArrayHeader(0);
  const uint64_t size = h->size();
  bool flat_pairs = with_values && !ctx.out->resp3();
  std::string_view field, value;

  if (!unique || count == 1) {
    ctx.out->ArrayHeader(flat_pairs ? count * 2 : count);
    std::vector<size_t> positions;
    if (h->is_listpack()) positions = h->AsListpack()->FieldPositions();
    for (uint64_t i = 0; i < count; ++i) {
      if (h->is_listpack()) {
        h->AsListpack()->PairAtPosition(positions[RandomBelow(size)], &field, &value);
      } else {
        const Entry* e = h->AsDict()->dict().RandomEntry(Random64());
        field = e->key();
        value = e->str();
      }
      ReplyRandomPair(ctx, with_values, field, value);
      if (ctx.out->buffer()->ReadableBytes() > kMaxRandomReplyBytes) {
        ctx.client->close_after_reply = true;  // the reply is cut short: drop the client
        break;
      }
    }
    return;
  }

  uint64_t n = std::min(count, size);
  ctx.out->ArrayHeader(flat_pairs ? n * 2 : n);
  if (count >= size) {
    h->ForEach([&](std::string_view f, std::string_view v) {
      ReplyRandomPair(ctx, with_values, f, v);
    });
    return;
  }
  if (h->is_listpack()) {
    // Choose `count` of the positions (a partial Fisher-Yates shuffle).
    std::vector<size_t> positions = h->AsListpack()->FieldPositions();
    for (uint64_t i = 0; i < count; ++i) {
      std::swap(positions[i], positions[i + RandomBelow(size - i)]);
      h->AsListpack()->PairAtPosition(positions[i], &field, &value);
      ReplyRandomPair(ctx, with_values, field, value);
    }
    return;
  }
  const storage::Dict& dict = h->AsDict()->dict();
  if (count * 3 > size) {
    // Close to the whole hash: shuffle pointers to every entry and take the first `count`.
    std::vector<const Entry*> all;
    all.reserve(size);
    dict.ForEach([&](const Entry* e) { all.push_back(e); });
    for (uint64_t i = 0; i < count; ++i) {
      std::swap(all[i], all[i + RandomBelow(size - i)]);
      ReplyRandomPair(ctx, with_values, all[i]->key(), all[i]->str());
    }
    return;
  }
  // Few out of many: draw random entries until `count` distinct ones were seen.
  std::unordered_set<const Entry*> seen;
  seen.reserve(count);
  while (seen.size() < count) {
    const Entry* e = dict.RandomEntry(Random64());
    if (seen.insert(e).second) ReplyRandomPair(ctx, with_values, e->key(), e->str());
  }
}

// HRANDFIELD key [count [WITHVALUES]]
void HRandField(CommandContext& ctx) {
  if (ctx.argc >= 3) {
    int64_t l;
    if (!ParseInt64(ctx.arg(2), &l)) return ctx.out->Error(err::kNotInteger);
    if (l == std::numeric_limits<int64_t>::min()) return ctx.out->Error(err::kCountOutOfRange);
    bool with_values = false;
    if (ctx.argc > 4 || (ctx.argc == 4 && !EqualsIgnoreCase(ctx.arg(3), "withvalues"))) {
      return ctx.out->Error(err::kSyntax);
    } else if (ctx.argc == 4) {
      with_values = true;
      constexpr int64_t kHalf = std::numeric_limits<int64_t>::max() / 2;
      if (l < -kHalf || l > kHalf) return ctx.out->Error(err::kValueOutOfRange);
    }
    return HRandFieldWithCount(ctx, l, with_values);
  }
  const KeyRef& k = ctx.KeyAt(1);
  HashObject* h;
  if (!LookupHash(ctx, k, &h)) return;
  if (h == nullptr) return ctx.out->NullBulk();
  if (h->is_listpack()) {
    std::string_view field, value;
    h->AsListpack()->PairAt(RandomBelow(h->size()), &field, &value);
    return ctx.out->Bulk(field);
  }
  ctx.out->Bulk(h->AsDict()->dict().RandomEntry(Random64())->key());
}

// ---- HSCAN ----


// HSCAN key cursor [MATCH pattern] [COUNT count]. A listpack hash is returned whole with
// cursor 0, as in Redis. A hashtable is walked with Redis's reverse-binary cursor
// (Dict::ScanStep), which returns every field present for the whole iteration across resizes;
// a call stops once COUNT elements (a field and its value count as two, as in Redis) were
// gathered or 10 * COUNT buckets were visited. MATCH filters afterwards.
void HScan(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.arg(2), &cursor)) return ctx.out->Error(err::kInvalidCursor);
  const KeyRef& k = ctx.KeyAt(1);
  HashObject* h;
  if (!LookupHash(ctx, k, &h)) return;
  if (h == nullptr) return ctx.out->Raw(kEmptyScan);

  ScanOptions opt;
  if (!ParseScanOptions(ctx, 3, false, &opt)) return;

  std::vector<std::pair<std::string_view, std::string_view>> pairs;  // views into the hash
  uint64_t next_cursor = 0;
  if (h->is_listpack()) {
    pairs.reserve(h->size());
    h->ForEach([&](std::string_view f, std::string_view v) { pairs.emplace_back(f, v); });
  } else {
    const storage::Dict& dict = h->AsDict()->dict();
    const uint64_t want = static_cast<uint64_t>(opt.count);
    uint64_t budget = want > UINT64_MAX / 10 ? UINT64_MAX : want * 10;
    do {
      cursor = dict.ScanStep(cursor,
                             [&](const Entry* e) { pairs.emplace_back(e->key(), e->str()); });
    } while (cursor != 0 && budget-- > 0 && pairs.size() * 2 < want);
    next_cursor = cursor;
  }
  if (opt.match) {
    pairs.erase(std::remove_if(pairs.begin(), pairs.end(),
                               [&](const auto& p) { return !opt.Matches(p.first); }),
                pairs.end());
  }
  char buf[24];
  size_t len = FormatUint64(next_cursor, buf);
  ctx.out->ArrayHeader(2);
  ctx.out->Bulk(std::string_view(buf, len));
  ctx.out->ArrayHeader(pairs.size() * 2);
  for (const auto& p : pairs) {
    ctx.out->Bulk(p.first);
    ctx.out->Bulk(p.second);
  }
}

// ---- registration ----

// key_flags: those of the key at argument 1, as Redis 7.0.15's key spec gives them.
CommandSpec Cmd(const char* name, int arity, uint32_t flags, uint32_t key_flags, Handler h,
                const char* since, const char* summary, const char* syntax) {
  return MakeSpec(name, arity, flags, {Key(1, key_flags)}, h, "hash", since, summary, syntax);
}

constexpr uint32_t kRO = kKeyRO, kReads = kKeyRO | kKeyAccess;
constexpr uint32_t kUpdates = kKeyRW | kKeyUpdate, kInserts = kKeyRW | kKeyInsert;
constexpr uint32_t kReadWrites = kKeyRW | kKeyAccess | kKeyUpdate, kRemoves = kKeyRW | kKeyDelete;

}  // namespace

void RegisterHashFamily(CommandRegistry& r) {
  // Arity, flags, key specs and docs as Redis 7.0.15's COMMAND INFO / DOCS report them
  // (every hash command has its key at position 1; what it does to it varies). kRandom marks the
  // nondeterministic_output tip.
  const CommandSpec specs[] = {
      Cmd("hset", -4, kWrite | kDenyOom | kFast, kUpdates, HSet, "2.0.0",
          "Set the string value of a hash field", "key field value [field value ...]"),
      Cmd("hsetnx", 4, kWrite | kDenyOom | kFast, kInserts, HSetNx, "2.0.0",
          "Set the value of a hash field, only if the field does not exist", "key field value"),
      Cmd("hget", 3, kReadOnly | kFast, kReads, HGet, "2.0.0", "Get the value of a hash field",
          "key field"),
      Cmd("hmget", -3, kReadOnly | kFast, kReads, HMGet, "2.0.0",
          "Get the values of all the given hash fields", "key field [field ...]"),
      Cmd("hmset", -4, kWrite | kDenyOom | kFast, kUpdates, HMSet, "2.0.0",
          "Set multiple hash fields to multiple values", "key field value [field value ...]"),
      Cmd("hdel", -3, kWrite | kFast, kRemoves, HDel, "2.0.0", "Delete one or more hash fields",
          "key field [field ...]"),
      Cmd("hlen", 2, kReadOnly | kFast, kRO, HLen, "2.0.0", "Get the number of fields in a hash",
          "key"),
      Cmd("hexists", 3, kReadOnly | kFast, kRO, HExists, "2.0.0",
          "Determine if a hash field exists", "key field"),
      Cmd("hkeys", 2, kReadOnly, kReads, HKeys, "2.0.0", "Get all the fields in a hash", "key"),
      Cmd("hvals", 2, kReadOnly, kReads, HVals, "2.0.0", "Get all the values in a hash", "key"),
      Cmd("hgetall", 2, kReadOnly, kReads, HGetAll, "2.0.0",
          "Get all the fields and values in a hash", "key"),
      Cmd("hincrby", 4, kWrite | kDenyOom | kFast, kReadWrites, HIncrBy, "2.0.0",
          "Increment the integer value of a hash field by the given number", "key field increment"),
      Cmd("hincrbyfloat", 4, kWrite | kDenyOom | kFast, kReadWrites, HIncrByFloat, "2.6.0",
          "Increment the float value of a hash field by the given amount", "key field increment"),
      Cmd("hstrlen", 3, kReadOnly | kFast, kRO, HStrLen, "3.2.0",
          "Get the length of the value of a hash field", "key field"),
      Cmd("hrandfield", -2, kReadOnly | kRandom, kReads, HRandField, "6.2.0",
          "Get one or multiple random fields from a hash", "key [count [WITHVALUES]]"),
      Cmd("hscan", -3, kReadOnly | kRandom, kReads, HScan, "2.8.0",
          "Incrementally iterate hash fields and associated values",
          "key cursor [MATCH pattern] [COUNT count]"),
  };
  for (const CommandSpec& s : specs) r.Register(s);
}

}  // namespace strata::cmd
