// Set commands (Redis's t_set.c): SADD/SREM/SMOVE, membership and cardinality, random members
// (SPOP, SRANDMEMBER), the algebra (SINTER/SUNION/SDIFF, their STORE forms, SINTERCARD) and
// SSCAN. Replies, error texts and the order in which arguments and keys are checked follow
// Redis 7.0.15, including which encoding a stored result gets (a result set is built as a
// fresh intset and converts on the way, like Redis's). The value is storage::SetObject.
// Locking: the dispatcher holds the shards of every key a command names (destination included)
// while its handler runs, so each is atomic.
#include <algorithm>
#include <deque>
#include <limits>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "commands/command.h"
#include "common/random.h"
#include "common/errors.h"
#include "common/strutil.h"
#include "storage/set_object.h"

namespace strata::cmd {

namespace {

using storage::Entry;
using storage::KeyRef;
using storage::ObjType;
using storage::SetObject;


// SRANDMEMBER with a negative count repeats members, so its reply is not bounded by the set.
// Redis stops such a reply when the client's output limit closes the connection; the default
// limit is none, so a count near -2^63 would exhaust memory. Past this many reply bytes the
// reply stops and the connection closes after it (the client sees a cut reply, as with Redis's
// output limit).
constexpr size_t kMaxRandomReplyBytes = 512u * 1024 * 1024;

// ---- lookups (caller holds the key's shard lock) ----

// The set stored at k; nullptr if the key is missing or (with *wrong_type) holds another type.
SetObject* FindSet(CommandContext& ctx, const KeyRef& k, bool* wrong_type) {
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  *wrong_type = e != nullptr && e->type() != ObjType::kSet;
  if (e == nullptr || *wrong_type) return nullptr;
  return static_cast<SetObject*>(e->obj());
}

// FindSet that answers WRONGTYPE itself: false when it did.
bool LookupSet(CommandContext& ctx, const KeyRef& k, SetObject** set) {
  bool wrong_type;
  *set = FindSet(ctx, k, &wrong_type);
  if (wrong_type) ctx.out->Error(err::kWrongType);
  return !wrong_type;
}

// Stores set as the value of k, replacing (and freeing) whatever was there, TTL included.
void StoreSet(const KeyRef& k, SetObject* set) {
  k.shard->Put(Entry::NewObject(k.key, ObjType::kSet, set, storage::kNoExpire), k.hash);
}

// Refs of the keys argv[first..last] (inclusive), then of argv[extra] when extra != 0 (their
// shards are held by the dispatcher).
void KeyRefs(CommandContext& ctx, size_t first, size_t last, size_t extra,
             std::vector<KeyRef>* refs) {
  refs->reserve(last - first + 2);
  for (size_t i = first; i <= last; ++i) refs->push_back(ctx.KeyAt(i));
  if (extra != 0) refs->push_back(ctx.KeyAt(extra));
}

// The sets named by refs (nullptr for a missing key). False, with WRONGTYPE written, when any
// key holds another type; Redis looks at every key before answering.
bool LookupSets(CommandContext& ctx, const std::vector<KeyRef>& refs,
                std::vector<SetObject*>* sets) {
  sets->reserve(refs.size());
  for (const KeyRef& k : refs) {
    SetObject* s;
    if (!LookupSet(ctx, k, &s)) return false;
    sets->push_back(s);
  }
  return true;
}

// Members gathered for a reply whose length is known only at the end. Views into a hashtable
// stay valid while the shard locks are held; formatted intset members are copied here.
class MemberList {
 public:
  void Add(std::string_view m, bool copy) {
    if (copy) {
      owned_.emplace_back(m);
      views_.push_back(owned_.back());
    } else {
      views_.push_back(m);
    }
  }
  size_t size() const { return views_.size(); }
  const std::vector<std::string_view>& views() const { return views_; }

 private:
  std::vector<std::string_view> views_;
  std::deque<std::string> owned_;  // deque: growing it never moves earlier strings
};

void ReplyMembers(CommandContext& ctx, const SetObject& set) {
  ctx.out->SetHeader(set.size());
  set.ForEach([&](std::string_view m) { ctx.out->Bulk(m); });
}

// ---- pure operations over already-looked-up sets (Dragonfly's OpX split) ----

// Redis's sinterGenericCommand over the sets (none missing): the members of the smallest set
// found in all the others. With `result` set, matches are added to it; otherwise they are
// collected into `out` (nullptr: only counted, stopping at `limit` when it is not 0).
size_t OpInter(std::vector<SetObject*> sets, SetObject* result, MemberList* out, size_t limit) {
  std::stable_sort(sets.begin(), sets.end(),
                   [](const SetObject* a, const SetObject* b) { return a->size() < b->size(); });
  SetObject* first = sets[0];
  bool copy = first->is_intset();
  size_t matches = 0;
  bool done = false;
  first->ForEach([&](std::string_view m) {
    if (done) return;
    for (size_t j = 1; j < sets.size(); ++j) {
      if (sets[j] != first && !sets[j]->Contains(m)) return;
    }
    ++matches;
    if (result != nullptr) {
      result->Add(m);
    } else if (out != nullptr) {
      out->Add(m, copy);
    } else if (limit != 0 && matches >= limit) {
      done = true;
    }
  });
  return matches;
}

enum class SetOp { kUnion, kDiff };

// Redis's sunionDiffGenericCommand: the union, or the members of sets[0] in none of the others,
// built into a fresh set (which is what decides its encoding). Missing keys are nullptr. The
// choice between the two difference algorithms follows Redis's, since it decides whether a
// large intermediate result has already left the intset encoding.
SetObject* OpUnionDiff(std::vector<SetObject*> sets, SetOp op) {
  auto* result = new SetObject();
  if (op == SetOp::kUnion) {
    for (SetObject* s : sets) {
      if (s != nullptr) s->ForEach([&](std::string_view m) { result->Add(m); });
    }
    return result;
  }
  SetObject* first = sets[0];
  if (first == nullptr) return result;
  for (size_t j = 1; j < sets.size(); ++j) {
    if (sets[j] == first) return result;  // the first set minus itself
  }
  // Algorithm 1: test every member of the first set against the others, O(N*M). Algorithm 2:
  // copy the first set and remove every member of the others, O(total). Redis halves the first
  // estimate for its better constants.
  size_t work1 = 0, work2 = 0;
  for (SetObject* s : sets) {
    if (s == nullptr) continue;
    work1 += first->size();
    work2 += s->size();
  }
  if (work1 / 2 <= work2) {
    // Largest first, so a member already present is found sooner.
    std::stable_sort(sets.begin() + 1, sets.end(), [](const SetObject* a, const SetObject* b) {
      return (a ? a->size() : 0) > (b ? b->size() : 0);
    });
    first->ForEach([&](std::string_view m) {
      for (size_t j = 1; j < sets.size(); ++j) {
        if (sets[j] != nullptr && sets[j]->Contains(m)) return;
      }
      result->Add(m);
    });
    return result;
  }
  for (size_t j = 0; j < sets.size(); ++j) {
    if (sets[j] == nullptr) continue;
    if (j == 0) {
      first->ForEach([&](std::string_view m) { result->Add(m); });
    } else {
      sets[j]->ForEach([&](std::string_view m) { result->Remove(m); });
    }
    if (result->empty()) break;
  }
  return result;
}

// The tail of every STORE form: a non-empty result replaces the destination (any type, any
// TTL); an empty one deletes it. Takes ownership of result.
void StoreResult(CommandContext& ctx, const KeyRef& dst, SetObject* result) {
  if (!result->empty()) {
    size_t n = result->size();
    StoreSet(dst, result);
    ++ctx.dirty;
    return ctx.out->Integer(static_cast<int64_t>(n));
  }
  delete result;
  if (dst.shard->Erase(dst.key, dst.hash, ctx.now_ms)) ++ctx.dirty;
  ctx.out->Integer(0);
}

// ---- single-key writes ----

void SAdd(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  SetObject* set;
  if (!LookupSet(ctx, k, &set)) return;
  if (set == nullptr) {
    set = new SetObject();
    StoreSet(k, set);
  }
  int64_t added = 0;
  for (size_t i = 2; i < ctx.argc; ++i) {
    if (set->Add(ctx.arg(i))) ++added;
  }
  ctx.dirty += static_cast<uint64_t>(added);
  ctx.out->Integer(added);
}

void SRem(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  SetObject* set;
  if (!LookupSet(ctx, k, &set)) return;
  if (set == nullptr) return ctx.out->Integer(0);
  int64_t removed = 0;
  for (size_t i = 2; i < ctx.argc; ++i) {
    if (!set->Remove(ctx.arg(i))) continue;
    ++removed;
    if (set->empty()) {
      k.shard->Erase(k.key, k.hash, ctx.now_ms);
      break;
    }
  }
  ctx.dirty += static_cast<uint64_t>(removed);
  ctx.out->Integer(removed);
}

// SMOVE source destination member
void SMove(CommandContext& ctx) {
  std::vector<KeyRef> refs;
  KeyRefs(ctx, 1, 2, 0, &refs);
  const KeyRef &src = refs[0], &dst = refs[1];
  std::string_view member = ctx.arg(3);
  bool src_wrong, dst_wrong;
  SetObject* from = FindSet(ctx, src, &src_wrong);
  SetObject* to = FindSet(ctx, dst, &dst_wrong);
  // A missing source answers 0 before the destination's type is looked at, as in Redis.
  if (from == nullptr && !src_wrong) return ctx.out->Integer(0);
  if (src_wrong || dst_wrong) return ctx.out->Error(err::kWrongType);
  if (from == to) return ctx.out->Integer(from->Contains(member) ? 1 : 0);
  if (!from->Remove(member)) return ctx.out->Integer(0);
  ++ctx.dirty;
  if (from->empty()) src.shard->Erase(src.key, src.hash, ctx.now_ms);
  if (to == nullptr) {
    to = new SetObject();
    StoreSet(dst, to);
  }
  if (to->Add(member)) ++ctx.dirty;
  ctx.out->Integer(1);
}

// ---- single-key reads ----

// SMEMBERS (Redis 7.0 serves it with SINTER's code: a missing key is an empty set).
void SMembers(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  SetObject* set;
  if (!LookupSet(ctx, k, &set)) return;
  if (set == nullptr) return ctx.out->SetHeader(0);
  ReplyMembers(ctx, *set);
}

void SIsMember(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  SetObject* set;
  if (!LookupSet(ctx, k, &set)) return;
  ctx.out->Integer(set != nullptr && set->Contains(ctx.arg(2)) ? 1 : 0);
}

void SMIsMember(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  SetObject* set;
  if (!LookupSet(ctx, k, &set)) return;
  ctx.out->ArrayHeader(ctx.argc - 2);
  for (size_t i = 2; i < ctx.argc; ++i)
    ctx.out->Integer(set != nullptr && set->Contains(ctx.arg(i)) ? 1 : 0);
}

void SCard(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  SetObject* set;
  if (!LookupSet(ctx, k, &set)) return;
  ctx.out->Integer(set == nullptr ? 0 : static_cast<int64_t>(set->size()));
}

// ---- random members ----

// SPOP key count: `count` distinct members, removed. Redis's three cases: the whole set (sent
// the way SUNION would send it, then the key deleted); few members (pick and remove one at a
// time); most members (pick the survivors into a new set, send the rest, keep the new set).
void SPopWithCount(CommandContext& ctx) {
  int64_t count;
  if (!ParseInt64(ctx.arg(2), &count) || count < 0) return ctx.out->Error(err::kPositiveCount);
  const KeyRef& k = ctx.KeyAt(1);
  SetObject* set;
  if (!LookupSet(ctx, k, &set)) return;
  if (set == nullptr || count == 0) return ctx.out->SetHeader(0);
  size_t size = set->size();
  size_t n = static_cast<uint64_t>(count) >= size ? size : static_cast<size_t>(count);
  ctx.dirty += n;
  if (n == size) {
    SetObject* all = OpUnionDiff({set}, SetOp::kUnion);
    ReplyMembers(ctx, *all);
    delete all;
    k.shard->Erase(k.key, k.hash, ctx.now_ms);
    ctx.log_as = {{"DEL", std::string(k.key)}};  // the WAL logs the effect, not the dice
    return;
  }
  ctx.out->SetHeader(n);
  char buf[SetObject::kIntBufSize];
  size_t remaining = size - n;
  ctx.log_as.assign(1, {"SREM", std::string(k.key)});
  std::vector<std::string>& popped = ctx.log_as[0];
  if (remaining * 5 > n) {
    for (size_t i = 0; i < n; ++i) {
      std::string_view m = set->RandomMember(Random64(), buf);
      ctx.out->Bulk(m);
      popped.emplace_back(m);
      set->Remove(m);  // m may point into the member's own node: Remove reads it first
    }
    return;
  }
  auto* survivors = new SetObject();
  std::string m;
  for (size_t i = 0; i < remaining; ++i) {
    m.assign(set->RandomMember(Random64(), buf));
    survivors->Add(m);
    set->Remove(m);
  }
  set->ForEach([&](std::string_view m) {  // the header went out above
    ctx.out->Bulk(m);
    popped.emplace_back(m);
  });
  set->Swap(*survivors);    // the key keeps its entry (and TTL) with the survivors
  delete survivors;
}

void SPop(CommandContext& ctx) {
  if (ctx.argc == 3) return SPopWithCount(ctx);
  if (ctx.argc > 3) return ctx.out->Error(err::kSyntax);
  const KeyRef& k = ctx.KeyAt(1);
  SetObject* set;
  if (!LookupSet(ctx, k, &set)) return;
  if (set == nullptr) return ctx.out->NullBulk();
  char buf[SetObject::kIntBufSize];
  std::string_view m = set->RandomMember(Random64(), buf);
  ctx.out->Bulk(m);
  ctx.log_as = {{"SREM", std::string(k.key), std::string(m)}};  // the effect, not the dice
  set->Remove(m);
  if (set->empty()) k.shard->Erase(k.key, k.hash, ctx.now_ms);
  ++ctx.dirty;
}

// SRANDMEMBER key count: a positive count gives distinct members (all of them when count >=
// size), a negative one |count| independent picks. Always an array, also in RESP3.
void SRandMemberWithCount(CommandContext& ctx) {
  int64_t l;
  if (!ParseInt64(ctx.arg(2), &l)) return ctx.out->Error(err::kNotInteger);
  if (l == std::numeric_limits<int64_t>::min()) return ctx.out->Error(err::kCountOutOfRange);
  bool distinct = l >= 0;
  uint64_t count = distinct ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  const KeyRef& k = ctx.KeyAt(1);
  SetObject* set;
  if (!LookupSet(ctx, k, &set)) return;
  if (set == nullptr || count == 0) return ctx.out->ArrayHeader(0);
  size_t size = set->size();
  char buf[SetObject::kIntBufSize];

  if (!distinct || count == 1) {
    ctx.out->ArrayHeader(count);
    Buffer* reply = ctx.out->buffer();
    size_t start = reply->ReadableBytes();
    for (uint64_t i = 0; i < count; ++i) {
      ctx.out->Bulk(set->RandomMember(Random64(), buf));
      if (reply->ReadableBytes() - start > kMaxRandomReplyBytes) {
        ctx.client->close_after_reply = true;
        break;
      }
    }
    return;
  }
  if (count >= size) {
    ctx.out->ArrayHeader(size);
    set->ForEach([&](std::string_view m) { ctx.out->Bulk(m); });
    return;
  }
  size_t n = static_cast<size_t>(count);
  if (n * 3 > size) {
    // Most of the set: shuffle a copy of it and keep the first n (Redis copies the set and
    // deletes random members until n are left).
    MemberList all;
    bool copy = set->is_intset();
    set->ForEach([&](std::string_view m) { all.Add(m, copy); });
    std::vector<std::string_view> v = all.views();
    for (size_t i = 0; i < n; ++i) {
      size_t j = i + static_cast<size_t>(Random64() % (v.size() - i));
      std::swap(v[i], v[j]);
    }
    ctx.out->ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) ctx.out->Bulk(v[i]);
    return;
  }
  // A small part of a big set: random picks until n distinct ones were seen.
  std::unordered_set<std::string> picked;
  picked.reserve(n);
  while (picked.size() < n) picked.emplace(set->RandomMember(Random64(), buf));
  ctx.out->ArrayHeader(n);
  for (const std::string& m : picked) ctx.out->Bulk(m);
}

void SRandMember(CommandContext& ctx) {
  if (ctx.argc == 3) return SRandMemberWithCount(ctx);
  if (ctx.argc > 3) return ctx.out->Error(err::kSyntax);
  const KeyRef& k = ctx.KeyAt(1);
  SetObject* set;
  if (!LookupSet(ctx, k, &set)) return;
  if (set == nullptr) return ctx.out->NullBulk();
  char buf[SetObject::kIntBufSize];
  ctx.out->Bulk(set->RandomMember(Random64(), buf));
}

// ---- the algebra ----

// SINTER key [key ...], SINTERSTORE destination key [key ...], SINTERCARD's body.
// refs: the source keys, then (store) the destination last.
enum class InterMode { kReply, kStore, kCard };

void InterGeneric(CommandContext& ctx, const std::vector<KeyRef>& refs, InterMode mode,
                  size_t limit) {
  size_t nsrc = mode == InterMode::kStore ? refs.size() - 1 : refs.size();
  std::vector<KeyRef> sources(refs.begin(), refs.begin() + static_cast<ptrdiff_t>(nsrc));
  std::vector<SetObject*> sets;
  if (!LookupSets(ctx, sources, &sets)) return;
  bool any_missing = std::find(sets.begin(), sets.end(), nullptr) != sets.end();
  switch (mode) {
    case InterMode::kStore: {
      auto* result = new SetObject();
      if (!any_missing) OpInter(sets, result, nullptr, 0);
      return StoreResult(ctx, refs.back(), result);
    }
    case InterMode::kCard:
      return ctx.out->Integer(
          any_missing ? 0 : static_cast<int64_t>(OpInter(sets, nullptr, nullptr, limit)));
    case InterMode::kReply: {
      if (any_missing) return ctx.out->SetHeader(0);
      MemberList out;
      OpInter(sets, nullptr, &out, 0);
      ctx.out->SetHeader(out.size());
      for (std::string_view m : out.views()) ctx.out->Bulk(m);
      return;
    }
  }
}

void SInter(CommandContext& ctx) {
  std::vector<KeyRef> refs;
  KeyRefs(ctx, 1, ctx.argc - 1, 0, &refs);
  InterGeneric(ctx, refs, InterMode::kReply, 0);
}

void SInterStore(CommandContext& ctx) {
  std::vector<KeyRef> refs;
  KeyRefs(ctx, 2, ctx.argc - 1, 1, &refs);
  InterGeneric(ctx, refs, InterMode::kStore, 0);
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void SInterCard(CommandContext& ctx) {
  int64_t numkeys;
  if (!ParseInt64(ctx.arg(1), &numkeys) || numkeys < 1) return ctx.out->Error(err::kNumkeysPositive);
  if (numkeys > static_cast<int64_t>(ctx.argc) - 2) return ctx.out->Error(err::kTooManyKeys);
  size_t last_key = 1 + static_cast<size_t>(numkeys);
  int64_t limit = 0;
  for (size_t j = last_key + 1; j < ctx.argc; ++j) {
    if (EqualsIgnoreCase(ctx.arg(j), "LIMIT") && j + 1 < ctx.argc) {
      if (!ParseInt64(ctx.arg(++j), &limit) || limit < 0) return ctx.out->Error(err::kLimitNegative);
    } else {
      return ctx.out->Error(err::kSyntax);
    }
  }
  std::vector<KeyRef> refs;
  KeyRefs(ctx, 2, last_key, 0, &refs);
  InterGeneric(ctx, refs, InterMode::kCard, static_cast<size_t>(limit));
}

// SUNION/SDIFF key [key ...] and their STORE forms (destination = argv[1]).
void UnionDiffGeneric(CommandContext& ctx, SetOp op, bool store) {
  std::vector<KeyRef> refs;
  KeyRefs(ctx, store ? 2 : 1, ctx.argc - 1, store ? 1 : 0, &refs);
  std::vector<KeyRef> sources(refs.begin(), store ? refs.end() - 1 : refs.end());
  std::vector<SetObject*> sets;
  if (!LookupSets(ctx, sources, &sets)) return;
  SetObject* result = OpUnionDiff(std::move(sets), op);
  if (store) return StoreResult(ctx, refs.back(), result);
  ReplyMembers(ctx, *result);
  delete result;
}

void SUnion(CommandContext& ctx) { UnionDiffGeneric(ctx, SetOp::kUnion, false); }
void SUnionStore(CommandContext& ctx) { UnionDiffGeneric(ctx, SetOp::kUnion, true); }
void SDiff(CommandContext& ctx) { UnionDiffGeneric(ctx, SetOp::kDiff, false); }
void SDiffStore(CommandContext& ctx) { UnionDiffGeneric(ctx, SetOp::kDiff, true); }

// ---- SSCAN ----


// SSCAN key cursor [MATCH pattern] [COUNT count]. An intset is returned whole with cursor 0;
// a hashtable is walked with Redis's reverse-binary cursor, COUNT members (before MATCH
// filtering) or 10 * COUNT buckets per call, which returns every member present for the whole
// iteration at least once, across table resizes.
void SScan(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.arg(2), &cursor)) return ctx.out->Error(err::kInvalidCursor);
  const KeyRef& k = ctx.KeyAt(1);
  SetObject* set;
  if (!LookupSet(ctx, k, &set)) return;
  if (set == nullptr) return ctx.out->Raw("*2\r\n$1\r\n0\r\n*0\r\n");
  ScanOptions opt;
  if (!ParseScanOptions(ctx, 3, false, &opt)) return;

  MemberList found;
  bool copy = set->is_intset();
  auto collect = [&](std::string_view m) {
    if (opt.Matches(m)) found.Add(m, copy);
  };
  if (set->is_intset()) {
    set->ForEach(collect);
    cursor = 0;
  } else {
    // Redis counts members before filtering them, and allows 10 * COUNT (+1) bucket steps.
    const uint64_t want = static_cast<uint64_t>(opt.count);
    uint64_t max_steps = want > std::numeric_limits<uint64_t>::max() / 10 - 1
                             ? std::numeric_limits<uint64_t>::max()
                             : want * 10 + 1;
    uint64_t seen = 0;
    do {
      cursor = set->ScanStep(cursor, [&](std::string_view m) {
        ++seen;
        collect(m);
      });
    } while (cursor != 0 && --max_steps != 0 && seen < want);
  }
  char buf[24];
  size_t len = FormatUint64(cursor, buf);
  ctx.out->ArrayHeader(2);
  ctx.out->Bulk(std::string_view(buf, len));
  ctx.out->ArrayHeader(found.size());
  for (std::string_view m : found.views()) ctx.out->Bulk(m);
}

// ---- registration ----

CommandSpec Cmd(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys, Handler h,
                const char* since, const char* summary, const char* syntax) {
  return MakeSpec(name, arity, flags, std::move(keys), h, "set", since, summary, syntax);
}

// Key flags of Redis 7.0.15's key specs.
constexpr uint32_t kRO = kKeyRO, kReads = kKeyRO | kKeyAccess;
constexpr uint32_t kAdds = kKeyRW | kKeyInsert, kRemoves = kKeyRW | kKeyDelete;
constexpr uint32_t kPops = kKeyRW | kKeyAccess | kKeyDelete;

}  // namespace

void RegisterSetFamily(CommandRegistry& r) {
  // Arity, flags, key specs and docs as Redis 7.0.15's COMMAND INFO / DOCS report them;
  // kRandom marks Redis's "nondeterministic_output" tip (SMEMBERS & co carry Redis's
  // "nondeterministic_output_order" instead, which strata does not describe).
  const CommandSpec specs[] = {
      Cmd("sadd", -3, kWrite | kDenyOom | kFast, {Key(1, kAdds)}, SAdd, "1.0.0",
          "Add one or more members to a set", "key member [member ...]"),
      Cmd("srem", -3, kWrite | kFast, {Key(1, kRemoves)}, SRem, "1.0.0",
          "Remove one or more members from a set", "key member [member ...]"),
      Cmd("smembers", 2, kReadOnly, {Key(1, kReads)}, SMembers, "1.0.0",
          "Get all the members in a set", "key"),
      Cmd("sismember", 3, kReadOnly | kFast, {Key(1, kRO)}, SIsMember, "1.0.0",
          "Determine if a given value is a member of a set", "key member"),
      Cmd("smismember", -3, kReadOnly | kFast, {Key(1, kReads)}, SMIsMember, "6.2.0",
          "Returns the membership associated with the given elements for a set",
          "key member [member ...]"),
      Cmd("scard", 2, kReadOnly | kFast, {Key(1, kRO)}, SCard, "1.0.0",
          "Get the number of members in a set", "key"),
      Cmd("spop", -2, kWrite | kFast | kRandom, {Key(1, kPops)}, SPop, "1.0.0",
          "Remove and return one or multiple random members from a set", "key [count]"),
      Cmd("srandmember", -2, kReadOnly | kRandom, {Key(1, kReads)}, SRandMember, "1.0.0",
          "Get one or multiple random members from a set", "key [count]"),
      Cmd("smove", 4, kWrite | kFast, {Key(1, kPops), Key(2, kAdds)}, SMove, "1.0.0",
          "Move a member from one set to another", "source destination member"),
      Cmd("sinter", -2, kReadOnly, {KeyRange(1, -1, 1, kReads)}, SInter, "1.0.0",
          "Intersect multiple sets", "key [key ...]"),
      Cmd("sintercard", -3, kReadOnly, {KeyNum(1, 0, 1, 1, kReads)}, SInterCard, "7.0.0",
          "Intersect multiple sets and return the cardinality of the result",
          "numkeys key [key ...] [LIMIT limit]"),
      Cmd("sinterstore", -3, kWrite | kDenyOom,
          {Key(1, kKeyRW | kKeyUpdate), KeyRange(2, -1, 1, kReads)}, SInterStore, "1.0.0",
          "Intersect multiple sets and store the resulting set in a key",
          "destination key [key ...]"),
      Cmd("sunion", -2, kReadOnly, {KeyRange(1, -1, 1, kReads)}, SUnion, "1.0.0",
          "Add multiple sets", "key [key ...]"),
      Cmd("sunionstore", -3, kWrite | kDenyOom,
          {Key(1, kKeyOW | kKeyUpdate), KeyRange(2, -1, 1, kReads)}, SUnionStore, "1.0.0",
          "Add multiple sets and store the resulting set in a key", "destination key [key ...]"),
      Cmd("sdiff", -2, kReadOnly, {KeyRange(1, -1, 1, kReads)}, SDiff, "1.0.0",
          "Subtract multiple sets", "key [key ...]"),
      Cmd("sdiffstore", -3, kWrite | kDenyOom,
          {Key(1, kKeyOW | kKeyUpdate), KeyRange(2, -1, 1, kReads)}, SDiffStore, "1.0.0",
          "Subtract multiple sets and store the resulting set in a key",
          "destination key [key ...]"),
      Cmd("sscan", -3, kReadOnly | kRandom, {Key(1, kReads)}, SScan, "2.8.0",
          "Incrementally iterate Set elements", "key cursor [MATCH pattern] [COUNT count]"),
  };
  for (const CommandSpec& s : specs) r.Register(s);
}

}  // namespace strata::cmd
