// Sorted set commands (Redis's t_zset.c, without the blocking ones): ZADD/ZINCRBY, removals,
// scores and ranks, the ZRANGE family (by rank, score and lex, forward and reverse, with
// LIMIT and WITHSCORES, into a reply or a key), the ZREMRANGEBY* family, pops, ZRANDMEMBER,
// the multi-key ZUNION/ZINTER/ZDIFF[STORE] and ZINTERCARD, and ZSCAN. Replies and error texts
// follow Redis 7.0.15 exactly, including the order in which arguments and keys are checked.
// The value is storage::ZSetObject; the pop the blocking commands reuse is in zset_ops.h
// (implemented at the top of this file).
// Thread: handlers run on any worker, with the shards of all their keys held by the
// dispatcher, so each command is atomic.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "commands/command.h"
#include "commands/zset_ops.h"
#include "common/random.h"
#include "common/errors.h"
#include "common/strutil.h"
#include "storage/set_object.h"

namespace strata::cmd {

namespace zset_ops {

using storage::Entry;
using storage::KeyRef;
using storage::ObjType;
using storage::ZSetObject;

ZSetObject* FindZSet(const KeyRef& k, int64_t now_ms, Status* status) {
  Entry* e = k.shard->Find(k.key, k.hash, now_ms);
  if (e == nullptr) {
    *status = Status::kEmpty;
    return nullptr;
  }
  if (e->type() != ObjType::kZSet) {
    *status = Status::kWrongType;
    return nullptr;
  }
  *status = Status::kOk;
  return static_cast<ZSetObject*>(e->obj());
}

Status Pop(const KeyRef& k, int64_t now_ms, Where where, size_t count,
           std::vector<std::pair<std::string, double>>* out) {
  Status st;
  ZSetObject* z = FindZSet(k, now_ms, &st);
  if (z == nullptr) return st;
  size_t size = z->size();
  size_t n = std::min(count, size);
  if (where == Where::kMin) {
    ZSetObject::Iter it = z->Begin();
    for (size_t i = 0; i < n; ++i, it.Next()) out->emplace_back(it.member(), it.score());
    z->DeleteRankRange(0, n - 1);
  } else {
    ZSetObject::Iter it = z->AtRank(size - 1);
    for (size_t i = 0; i < n; ++i, it.Prev()) out->emplace_back(it.member(), it.score());
    z->DeleteRankRange(size - n, size - 1);
  }
  if (z->size() == 0) k.shard->Erase(k.key, k.hash, now_ms);
  return Status::kOk;
}

}  // namespace zset_ops

namespace {

using storage::Entry;
using storage::KeyRef;
using storage::ObjType;
using storage::SetObject;
using storage::ZLexBound;
using storage::ZLexRange;
using storage::ZScoreRange;
using storage::ZSetObject;
using Items = std::vector<std::pair<std::string, double>>;

constexpr char kEmptyScan[] = "*2\r\n$1\r\n0\r\n*0\r\n";
// A ZRANDMEMBER reply with a negative count repeats members without bound. Redis stops it when
// the client's output limit closes the connection; the default limit is none, so a count near
// -2^63 would exhaust memory. Past this many reply bytes the reply stops and the connection is
// closed after it (the client sees a cut reply, as with Redis's output limit).
constexpr size_t kMaxRandomReplyBytes = 512u * 1024 * 1024;


// ---- argument parsing ----

// Redis's getLongFromObjectOrReply.
bool IntArg(CommandContext& ctx, size_t i, int64_t* v) {
  if (ParseInt64(ctx.arg(i), v)) return true;
  ctx.out->Error(err::kNotInteger);
  return false;
}

// One end of a score range as Redis's zslParseRange reads it: strtod on the argument as a C
// string (so it ends at an embedded '\0', leading spaces are skipped, "" reads 0 and overflow
// reads +-inf), "(" making the end exclusive; NaN is refused.
bool ParseScoreBound(std::string_view s, double* v, bool* exclusive) {
  *exclusive = !s.empty() && s[0] == '(';
  if (*exclusive) s.remove_prefix(1);
  std::string c(s.substr(0, s.find('\0')));
  char* end = nullptr;
  *v = std::strtod(c.c_str(), &end);
  return *end == '\0' && !std::isnan(*v);
}

bool ParseScoreRange(std::string_view min, std::string_view max, ZScoreRange* r) {
  return ParseScoreBound(min, &r->min, &r->minex) && ParseScoreBound(max, &r->max, &r->maxex);
}

// Redis's zslParseLexRangeItem: "-", "+", "(value" or "[value".
bool ParseLexBound(std::string_view s, ZLexBound* b) {
  if (s.empty()) return false;
  switch (s[0]) {
    case '+':
    case '-':
      if (s.size() > 1 && s[1] != '\0') return false;  // Redis reads the C string
      b->kind = s[0] == '+' ? ZLexBound::kPlusInf : ZLexBound::kMinusInf;
      b->exclusive = true;
      return true;
    case '(':
    case '[':
      b->kind = ZLexBound::kValue;
      b->exclusive = s[0] == '(';
      b->value = s.substr(1);
      return true;
    default:
      return false;
  }
}

bool ParseLexRange(std::string_view min, std::string_view max, ZLexRange* r) {
  return ParseLexBound(min, &r->min) && ParseLexBound(max, &r->max);
}

// ---- lookups ----

// The sorted set at k (nullptr if missing); false, with WRONGTYPE replied, for another type.
bool LookupZSet(CommandContext& ctx, const KeyRef& k, ZSetObject** z) {
  zset_ops::Status st;
  *z = zset_ops::FindZSet(k, ctx.now_ms, &st);
  if (st == zset_ops::Status::kWrongType) {
    ctx.out->Error(err::kWrongType);
    return false;
  }
  return true;
}

void EraseIfEmpty(CommandContext& ctx, const KeyRef& k, const ZSetObject* z) {
  if (z->size() == 0) k.shard->Erase(k.key, k.hash, ctx.now_ms);
}

// Stores items (sorted by score, member; distinct members) at k, replacing any value of any
// type; an empty result deletes the key instead. Returns the changes made (for ctx.dirty).
uint64_t StoreResult(CommandContext& ctx, const KeyRef& k, const Items& items) {
  if (items.empty()) return k.shard->Erase(k.key, k.hash, ctx.now_ms) ? 1 : 0;
  ZSetObject* z = ZSetObject::FromSorted(items);
  k.shard->Put(Entry::NewObject(k.key, ObjType::kZSet, z, storage::kNoExpire), k.hash);
  return 1;
}

bool ItemLess(const std::pair<std::string, double>& a, const std::pair<std::string, double>& b) {
  return a.second < b.second || (a.second == b.second && a.first < b.first);
}

// A [member, score] element of a reply: flat in RESP2, a pair in RESP3 (Redis's zrange result
// emitter and ZRANDMEMBER/ZUNION & co).
void ReplyElement(CommandContext& ctx, std::string_view member, double score, bool withscores) {
  if (withscores && ctx.out->resp3()) ctx.out->ArrayHeader(2);
  ctx.out->Bulk(member);
  if (withscores) ctx.out->Double(score);
}

void ReplyElementsHeader(CommandContext& ctx, size_t n, bool withscores) {
  ctx.out->ArrayHeader(withscores && !ctx.out->resp3() ? n * 2 : n);
}

// ---- ZADD / ZINCRBY ----

// Redis's zaddGenericCommand; ZINCRBY is ZADD with the INCR flag already set.
void ZAddGeneric(CommandContext& ctx, unsigned flags) {
  size_t scoreidx = 2;
  bool ch = false;
  for (; scoreidx < ctx.argc; ++scoreidx) {
    std::string_view opt = ctx.arg(scoreidx);
    if (EqualsIgnoreCase(opt, "nx")) flags |= ZSetObject::kAddNX;
    else if (EqualsIgnoreCase(opt, "xx")) flags |= ZSetObject::kAddXX;
    else if (EqualsIgnoreCase(opt, "ch")) ch = true;
    else if (EqualsIgnoreCase(opt, "incr")) flags |= ZSetObject::kAddIncr;
    else if (EqualsIgnoreCase(opt, "gt")) flags |= ZSetObject::kAddGT;
    else if (EqualsIgnoreCase(opt, "lt")) flags |= ZSetObject::kAddLT;
    else break;
  }
  const bool incr = flags & ZSetObject::kAddIncr, nx = flags & ZSetObject::kAddNX;
  const bool xx = flags & ZSetObject::kAddXX, gt = flags & ZSetObject::kAddGT;
  const bool lt = flags & ZSetObject::kAddLT;
  size_t elements = ctx.argc - scoreidx;
  if (elements % 2 != 0 || elements == 0) return ctx.out->Error(err::kSyntax);
  elements /= 2;
  if (nx && xx)
    return ctx.out->Error(err::kXxNxConflict);
  if ((gt && nx) || (lt && nx) || (gt && lt))
    return ctx.out->Error(err::kGtLtNxConflict);
  if (incr && elements > 1)
    return ctx.out->Error(err::kIncrSinglePair);
  // Every score is checked before anything changes: the command runs fully or not at all.
  std::vector<double> scores(elements);
  for (size_t j = 0; j < elements; ++j)
    if (!ParseDouble(ctx.arg(scoreidx + 2 * j), &scores[j])) return ctx.out->Error(err::kNotFloat);

  const KeyRef& k = ctx.KeyAt(1);
  ZSetObject* z;
  if (!LookupZSet(ctx, k, &z)) return;
  int64_t added = 0, updated = 0, processed = 0;
  double score = 0;
  if (z == nullptr && !xx) {
    z = new ZSetObject();
    k.shard->Put(Entry::NewObject(k.key, ObjType::kZSet, z, storage::kNoExpire), k.hash);
  }
  if (z != nullptr) {
    for (size_t j = 0; j < elements; ++j) {
      unsigned out;
      double newscore = 0;
      if (!z->Add(scores[j], ctx.arg(scoreidx + 2 * j + 1), flags, &out, &newscore)) {
        ctx.dirty += static_cast<uint64_t>(added + updated);
        return ctx.out->Error(err::kNaNScore);
      }
      if (out & ZSetObject::kOutAdded) ++added;
      if (out & ZSetObject::kOutUpdated) ++updated;
      if (!(out & ZSetObject::kOutNop)) {
        ++processed;
        score = newscore;
      }
    }
    ctx.dirty += static_cast<uint64_t>(added + updated);
  }
  if (incr) {
    if (processed > 0) return ctx.out->Double(score);
    return ctx.out->NullBulk();
  }
  ctx.out->Integer(ch ? added + updated : added);
}

void ZAdd(CommandContext& ctx) { ZAddGeneric(ctx, 0); }
void ZIncrBy(CommandContext& ctx) { ZAddGeneric(ctx, ZSetObject::kAddIncr); }

// ---- single-member reads and removal ----

void ZRem(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  ZSetObject* z;
  if (!LookupZSet(ctx, k, &z)) return;
  if (z == nullptr) return ctx.out->Integer(0);
  int64_t deleted = 0;
  for (size_t j = 2; j < ctx.argc; ++j) {
    if (z->Remove(ctx.arg(j))) ++deleted;
    if (z->size() == 0) break;
  }
  EraseIfEmpty(ctx, k, z);
  ctx.dirty += static_cast<uint64_t>(deleted);
  ctx.out->Integer(deleted);
}

void ZScore(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  ZSetObject* z;
  if (!LookupZSet(ctx, k, &z)) return;
  double score;
  if (z == nullptr || !z->Score(ctx.arg(2), &score)) return ctx.out->NullBulk();
  ctx.out->Double(score);
}

void ZMScore(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  ZSetObject* z;
  if (!LookupZSet(ctx, k, &z)) return;
  ctx.out->ArrayHeader(ctx.argc - 2);
  for (size_t j = 2; j < ctx.argc; ++j) {
    double score;
    if (z == nullptr || !z->Score(ctx.arg(j), &score)) {
      ctx.out->NullBulk();
    } else {
      ctx.out->Double(score);
    }
  }
}

void ZCard(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  ZSetObject* z;
  if (!LookupZSet(ctx, k, &z)) return;
  ctx.out->Integer(z == nullptr ? 0 : static_cast<int64_t>(z->size()));
}

void RankGeneric(CommandContext& ctx, bool reverse) {
  const KeyRef& k = ctx.KeyAt(1);
  ZSetObject* z;
  if (!LookupZSet(ctx, k, &z)) return;
  size_t rank;
  if (z == nullptr || !z->Rank(ctx.arg(2), reverse, &rank)) return ctx.out->NullBulk();
  ctx.out->Integer(static_cast<int64_t>(rank));
}

void ZRank(CommandContext& ctx) { RankGeneric(ctx, false); }
void ZRevRank(CommandContext& ctx) { RankGeneric(ctx, true); }

// ---- range selection, shared by ZRANGE & co, ZCOUNT/ZLEXCOUNT and ZREMRANGEBY* ----

enum class RangeType { kAuto, kRank, kScore, kLex };

// A range of a sorted set, given by rank, score or lex bounds.
struct RangeSpec {
  RangeType type = RangeType::kRank;
  int64_t start = 0, end = 0;  // kRank
  ZScoreRange score;           // kScore
  ZLexRange lex;               // kLex
};

// Fills spec's bounds (of spec.type) from argv[min_idx] and argv[max_idx]: ranks, scores or
// lex items. False after writing Redis's error.
bool ParseRangeSpec(CommandContext& ctx, size_t min_idx, size_t max_idx, RangeSpec* spec) {
  switch (spec->type) {
    case RangeType::kScore:
      if (ParseScoreRange(ctx.arg(min_idx), ctx.arg(max_idx), &spec->score)) return true;
      ctx.out->Error(err::kMinMaxNotFloat);
      return false;
    case RangeType::kLex:
      if (ParseLexRange(ctx.arg(min_idx), ctx.arg(max_idx), &spec->lex)) return true;
      ctx.out->Error(err::kMinMaxNotLex);
      return false;
    default:
      return IntArg(ctx, min_idx, &spec->start) && IntArg(ctx, max_idx, &spec->end);
  }
}

// The elements in [first, last] of a contiguous walk: starting at the first element inside the
// range (the last one when reverse), as long as elements stay inside, like Redis's
// genericZrangeby{score,lex}Command. offset/limit as Redis's LIMIT (limit < 0: no limit; a
// negative offset selects nothing). fn(Iter&) per element, in walk order. Returns the count.
template <typename Fn>
size_t WalkRange(const ZSetObject& z, const RangeSpec& spec, bool reverse, int64_t offset,
                 int64_t limit, Fn&& fn) {
  if (spec.type == RangeType::kRank) {
    int64_t llen = static_cast<int64_t>(z.size());
    int64_t start = spec.start, end = spec.end;
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return 0;
    if (end >= llen) end = llen - 1;
    size_t n = static_cast<size_t>(end - start + 1);
    ZSetObject::Iter it = z.AtRank(static_cast<size_t>(reverse ? llen - 1 - start : start));
    for (size_t i = 0; i < n; ++i) {
      fn(it);
      reverse ? it.Prev() : it.Next();
    }
    return n;
  }
  if (offset > 0 && static_cast<uint64_t>(offset) >= z.size()) return 0;
  if (offset < 0) return 0;  // Redis skips past the end
  size_t rank = 0;
  ZSetObject::Iter it;
  bool is_score = spec.type == RangeType::kScore;
  if (is_score) {
    it = reverse ? z.LastInRange(spec.score, &rank) : z.FirstInRange(spec.score, &rank);
  } else {
    it = reverse ? z.LastInLex(spec.lex, &rank) : z.FirstInLex(spec.lex, &rank);
  }
  if (!it.valid()) return 0;
  if (offset > 0) {
    // Jump by rank: O(log n) in a skiplist where Redis 7.0 steps one node at a time.
    uint64_t off = static_cast<uint64_t>(offset);
    if (reverse ? off > rank : off >= z.size() - rank) return 0;
    it = z.AtRank(reverse ? rank - off : rank + off);
  }
  size_t n = 0;
  for (; it.valid() && limit != 0; --limit) {
    bool inside;
    if (is_score) {
      double s = it.score();
      inside = reverse ? spec.score.GteMin(s) : spec.score.LteMax(s);
    } else {
      inside = reverse ? spec.lex.GteMin(it.member()) : spec.lex.LteMax(it.member());
    }
    if (!inside) break;
    fn(it);
    ++n;
    reverse ? it.Prev() : it.Next();
  }
  return n;
}

// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES], and the
// older forms (rangetype/reverse fixed by the command), and ZRANGESTORE (store: argv[1] is the
// destination, the source comes at argc_start). Redis's zrangeGenericCommand.
void ZRangeGeneric(CommandContext& ctx, size_t argc_start, bool store, RangeType type,
                   int direction /* 0 auto, 1 forward, -1 reverse */) {
  size_t minidx = argc_start + 1, maxidx = argc_start + 2;
  bool withscores = false;
  int64_t offset = 0, limit = -1;
  for (size_t j = argc_start + 3; j < ctx.argc; ++j) {
    size_t left = ctx.argc - j - 1;
    std::string_view opt = ctx.arg(j);
    if (!store && EqualsIgnoreCase(opt, "withscores")) {
      withscores = true;
    } else if (EqualsIgnoreCase(opt, "limit") && left >= 2) {
      if (!IntArg(ctx, j + 1, &offset) || !IntArg(ctx, j + 2, &limit)) return;
      j += 2;
    } else if (direction == 0 && EqualsIgnoreCase(opt, "rev")) {
      direction = -1;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(opt, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(opt, "byscore")) {
      type = RangeType::kScore;
    } else {
      return ctx.out->Error(err::kSyntax);
    }
  }
  if (direction == 0) direction = 1;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  // Redis tells LIMIT apart by its value: "LIMIT 0 -1" passes as no LIMIT at all.
  if (limit != -1 && type == RangeType::kRank)
    return ctx.out->Error(
        err::kLimitNeedsByScoreOrLex);
  if (withscores && type == RangeType::kLex)
    return ctx.out->Error(err::kWithScoresByLex);
  bool reverse = direction < 0;
  if (reverse && type != RangeType::kRank) std::swap(minidx, maxidx);  // given as max min

  RangeSpec spec;
  spec.type = type;
  if (!ParseRangeSpec(ctx, minidx, maxidx, &spec)) return;

  if (!store) {
    const KeyRef& k = ctx.KeyAt(argc_start);
    ZSetObject* z;
    if (!LookupZSet(ctx, k, &z)) return;
    if (z == nullptr) return ctx.out->ArrayHeader(0);
    std::vector<ZSetObject::Iter> picked;
    WalkRange(*z, spec, reverse, offset, limit,
              [&](const ZSetObject::Iter& it) { picked.push_back(it); });
    ReplyElementsHeader(ctx, picked.size(), withscores);
    for (const ZSetObject::Iter& it : picked)
      ReplyElement(ctx, it.member(), withscores ? it.score() : 0, withscores);
    return;
  }

  const KeyRef& dst = ctx.KeyAt(1);
  const KeyRef& src = ctx.KeyAt(argc_start);
  ZSetObject* z;
  if (!LookupZSet(ctx, src, &z)) return;
  Items items;
  if (z != nullptr) {
    WalkRange(*z, spec, reverse, offset, limit, [&](const ZSetObject::Iter& it) {
      items.emplace_back(it.member(), it.score());
    });
  }
  if (reverse) std::reverse(items.begin(), items.end());
  ctx.dirty += StoreResult(ctx, dst, items);
  ctx.out->Integer(static_cast<int64_t>(items.size()));
}

void ZRange(CommandContext& ctx) { ZRangeGeneric(ctx, 1, false, RangeType::kAuto, 0); }
void ZRangeStore(CommandContext& ctx) { ZRangeGeneric(ctx, 2, true, RangeType::kAuto, 0); }
void ZRevRange(CommandContext& ctx) { ZRangeGeneric(ctx, 1, false, RangeType::kRank, -1); }
void ZRangeByScore(CommandContext& ctx) { ZRangeGeneric(ctx, 1, false, RangeType::kScore, 1); }
void ZRevRangeByScore(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, false, RangeType::kScore, -1);
}
void ZRangeByLex(CommandContext& ctx) { ZRangeGeneric(ctx, 1, false, RangeType::kLex, 1); }
void ZRevRangeByLex(CommandContext& ctx) { ZRangeGeneric(ctx, 1, false, RangeType::kLex, -1); }

// ZCOUNT / ZLEXCOUNT key min max
void CountGeneric(CommandContext& ctx, RangeType type) {
  RangeSpec spec;
  spec.type = type;
  if (!ParseRangeSpec(ctx, 2, 3, &spec)) return;
  const KeyRef& k = ctx.KeyAt(1);
  ZSetObject* z;
  if (!LookupZSet(ctx, k, &z)) return;
  if (z == nullptr) return ctx.out->Integer(0);
  size_t count = 0;
  if (z->is_listpack()) {
    count = WalkRange(*z, spec, false, 0, -1, [](const ZSetObject::Iter&) {});
  } else {
    // Skiplist: the distance between the ranks of the first and last element in range.
    size_t first, last;
    bool found = type == RangeType::kScore
                     ? z->FirstInRange(spec.score, &first).valid() &&
                           z->LastInRange(spec.score, &last).valid()
                     : z->FirstInLex(spec.lex, &first).valid() &&
                           z->LastInLex(spec.lex, &last).valid();
    if (found && last >= first) count = last - first + 1;
  }
  ctx.out->Integer(static_cast<int64_t>(count));
}

void ZCount(CommandContext& ctx) { CountGeneric(ctx, RangeType::kScore); }
void ZLexCount(CommandContext& ctx) { CountGeneric(ctx, RangeType::kLex); }

// ZREMRANGEBYRANK key start stop / ZREMRANGEBYSCORE key min max / ZREMRANGEBYLEX key min max
void RemRangeGeneric(CommandContext& ctx, RangeType type) {
  RangeSpec spec;
  spec.type = type;
  if (!ParseRangeSpec(ctx, 2, 3, &spec)) return;
  const KeyRef& k = ctx.KeyAt(1);
  ZSetObject* z;
  if (!LookupZSet(ctx, k, &z)) return;
  if (z == nullptr) return ctx.out->Integer(0);
  size_t deleted = 0;
  if (type == RangeType::kRank) {
    int64_t llen = static_cast<int64_t>(z->size());
    int64_t start = spec.start < 0 ? spec.start + llen : spec.start;
    int64_t end = spec.end < 0 ? spec.end + llen : spec.end;
    if (start < 0) start = 0;
    if (start <= end && start < llen)
      deleted = z->DeleteRankRange(static_cast<size_t>(start), static_cast<size_t>(end));
  } else {
    // The removed elements are consecutive: from the first one in range while they stay in it.
    size_t first = 0;
    size_t n = WalkRange(*z, spec, false, 0, -1, [](const ZSetObject::Iter&) {});
    bool found = n > 0 && (type == RangeType::kScore ? z->FirstInRange(spec.score, &first)
                                                     : z->FirstInLex(spec.lex, &first))
                              .valid();
    if (found) deleted = z->DeleteRankRange(first, first + n - 1);
  }
  EraseIfEmpty(ctx, k, z);
  ctx.dirty += deleted;
  ctx.out->Integer(static_cast<int64_t>(deleted));
}

void ZRemRangeByRank(CommandContext& ctx) { RemRangeGeneric(ctx, RangeType::kRank); }
void ZRemRangeByScore(CommandContext& ctx) { RemRangeGeneric(ctx, RangeType::kScore); }
void ZRemRangeByLex(CommandContext& ctx) { RemRangeGeneric(ctx, RangeType::kLex); }

// ---- pops ----

// ZPOPMIN / ZPOPMAX key [count]
void PopMinMax(CommandContext& ctx, zset_ops::Where where) {
  if (ctx.argc > 3) return ctx.out->Error(err::kSyntax);
  int64_t count = -1;  // no count given: one element, flat reply
  // Redis's getPositiveLongFromObjectOrReply: one message for "not a number" and "negative".
  if (ctx.argc == 3 && (!ParseInt64(ctx.arg(2), &count) || count < 0))
    return ctx.out->Error(err::kPositiveCount);
  bool nested = ctx.out->resp3() && count != -1;
  const KeyRef& k = ctx.KeyAt(1);
  ZSetObject* z;
  if (!LookupZSet(ctx, k, &z)) return;
  if (z == nullptr || count == 0) return ctx.out->ArrayHeader(0);
  Items popped;
  zset_ops::Pop(k, ctx.now_ms, where, count == -1 ? 1 : static_cast<size_t>(count), &popped);
  ctx.dirty += popped.size();
  ctx.out->ArrayHeader(nested ? popped.size() : popped.size() * 2);
  for (const auto& [member, score] : popped) {
    if (nested) ctx.out->ArrayHeader(2);
    ctx.out->Bulk(member);
    ctx.out->Double(score);
  }
}

void ZPopMin(CommandContext& ctx) { PopMinMax(ctx, zset_ops::Where::kMin); }
void ZPopMax(CommandContext& ctx) { PopMinMax(ctx, zset_ops::Where::kMax); }

// ZMPOP numkeys key [key ...] <MIN | MAX> [COUNT count]
void ZMPop(CommandContext& ctx) {
  int64_t numkeys;
  if (!ParseInt64(ctx.arg(1), &numkeys) || numkeys < 1) return ctx.out->Error(err::kNumkeysPositive);
  if (static_cast<uint64_t>(numkeys) > ctx.argc - 2) return ctx.out->Error(err::kSyntax);
  size_t where_idx = 2 + static_cast<size_t>(numkeys);
  if (where_idx >= ctx.argc) return ctx.out->Error(err::kSyntax);
  zset_ops::Where where;
  if (EqualsIgnoreCase(ctx.arg(where_idx), "MIN")) {
    where = zset_ops::Where::kMin;
  } else if (EqualsIgnoreCase(ctx.arg(where_idx), "MAX")) {
    where = zset_ops::Where::kMax;
  } else {
    return ctx.out->Error(err::kSyntax);
  }
  int64_t count = -1;
  for (size_t j = where_idx + 1; j < ctx.argc; ++j) {
    if (count == -1 && EqualsIgnoreCase(ctx.arg(j), "COUNT") && j + 1 < ctx.argc) {
      ++j;
      if (!ParseInt64(ctx.arg(j), &count) || count < 1)
        return ctx.out->Error(err::kCountPositive);
    } else {
      return ctx.out->Error(err::kSyntax);
    }
  }
  if (count == -1) count = 1;

  for (size_t i = 2; i < where_idx; ++i) {
    const KeyRef& k = ctx.KeyAt(i);
    Items popped;
    zset_ops::Status st = zset_ops::Pop(k, ctx.now_ms, where, static_cast<size_t>(count), &popped);
    if (st == zset_ops::Status::kEmpty) continue;
    if (st == zset_ops::Status::kWrongType) return ctx.out->Error(err::kWrongType);
    ctx.dirty += popped.size();
    ctx.out->ArrayHeader(2);
    ctx.out->Bulk(k.key);
    ctx.out->ArrayHeader(popped.size());
    for (const auto& [member, score] : popped) {
      ctx.out->ArrayHeader(2);
      ctx.out->Bulk(member);
      ctx.out->Double(score);
    }
    return;
  }
  ctx.out->NullArray();
}

// ---- ZRANDMEMBER ----

// ZRANDMEMBER key count [WITHSCORES]: Redis's cases: a negative count samples with repetition
// (in random order); count >= size returns the whole set (from the highest score down);
// otherwise `count` distinct members in random order.
void ZRandMemberWithCount(CommandContext& ctx, int64_t l, bool withscores) {
  const KeyRef& k = ctx.KeyAt(1);
  ZSetObject* z;
  if (!LookupZSet(ctx, k, &z)) return;
  if (z == nullptr) return ctx.out->ArrayHeader(0);
  bool unique = l >= 0;
  uint64_t count = unique ? static_cast<uint64_t>(l) : 0 - static_cast<uint64_t>(l);
  if (count == 0) return ctx.out->ArrayHeader(0);
  const size_t size = z->size();
  // A listpack is walked once into an array of positions; a skiplist finds ranks in O(log n).
  std::vector<ZSetObject::Iter> lp_items;
  if (z->is_listpack()) {
    lp_items.reserve(size);
    for (ZSetObject::Iter it = z->Begin(); it.valid(); it.Next()) lp_items.push_back(it);
  }
  auto at = [&](size_t rank) { return z->is_listpack() ? lp_items[rank] : z->AtRank(rank); };

  if (!unique || count == 1) {
    ReplyElementsHeader(ctx, count, withscores);
    Buffer* reply = ctx.out->buffer();
    size_t start = reply->ReadableBytes();
    for (uint64_t i = 0; i < count; ++i) {
      ZSetObject::Iter it = at(RandomBelow(size));
      ReplyElement(ctx, it.member(), withscores ? it.score() : 0, withscores);
      if (reply->ReadableBytes() - start > kMaxRandomReplyBytes) {
        ctx.client->close_after_reply = true;  // the reply is cut short: drop the client
        break;
      }
    }
    return;
  }
  if (count >= size) {
    // The whole set, highest score first: Redis's zset iterator walks from the tail.
    ReplyElementsHeader(ctx, size, withscores);
    for (ZSetObject::Iter it = z->AtRank(size - 1); it.valid(); it.Prev())
      ReplyElement(ctx, it.member(), withscores ? it.score() : 0, withscores);
    return;
  }
  ReplyElementsHeader(ctx, count, withscores);
  std::vector<size_t> ranks;
  if (count * 3 > size) {
    // Close to the whole set: a partial Fisher-Yates shuffle of every rank.
    ranks.resize(size);
    for (size_t i = 0; i < size; ++i) ranks[i] = i;
    for (size_t i = 0; i < count; ++i) std::swap(ranks[i], ranks[i + RandomBelow(size - i)]);
    ranks.resize(count);
  } else {
    // Few out of many: draw ranks until `count` distinct ones were seen.
    std::unordered_set<size_t> seen;
    seen.reserve(count);
    while (ranks.size() < count) {
      size_t r = RandomBelow(size);
      if (seen.insert(r).second) ranks.push_back(r);
    }
  }
  for (size_t r : ranks) {
    ZSetObject::Iter it = at(r);
    ReplyElement(ctx, it.member(), withscores ? it.score() : 0, withscores);
  }
}

// ZRANDMEMBER key [count [WITHSCORES]]
void ZRandMember(CommandContext& ctx) {
  if (ctx.argc >= 3) {
    int64_t l;
    if (!IntArg(ctx, 2, &l)) return;
    if (l == std::numeric_limits<int64_t>::min()) return ctx.out->Error(err::kCountOutOfRange);
    bool withscores = false;
    if (ctx.argc > 4 || (ctx.argc == 4 && !EqualsIgnoreCase(ctx.arg(3), "withscores")))
      return ctx.out->Error(err::kSyntax);
    if (ctx.argc == 4) {
      withscores = true;
      constexpr int64_t kHalf = std::numeric_limits<int64_t>::max() / 2;
      if (l < -kHalf || l > kHalf) return ctx.out->Error(err::kValueOutOfRange);
    }
    return ZRandMemberWithCount(ctx, l, withscores);
  }
  const KeyRef& k = ctx.KeyAt(1);
  ZSetObject* z;
  if (!LookupZSet(ctx, k, &z)) return;
  if (z == nullptr) return ctx.out->NullBulk();
  ctx.out->Bulk(z->AtRank(RandomBelow(z->size())).member());
}

// ---- ZUNION / ZINTER / ZDIFF [STORE], ZINTERCARD ----

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input of a set operation: a sorted set, a plain set (every score 1), or a missing key.
struct Source {
  const ZSetObject* z = nullptr;
  const SetObject* s = nullptr;
  double weight = 1.0;

  size_t size() const { return z != nullptr ? z->size() : s != nullptr ? s->size() : 0; }
  bool Find(std::string_view member, double* score) const {
    if (z != nullptr) return z->Score(member, score);
    if (s != nullptr && s->Contains(member)) {
      *score = 1.0;
      return true;
    }
    return false;
  }
  // fn(member, score) for every element (views valid during the call only).
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (z != nullptr) {
      for (ZSetObject::Iter it = z->Begin(); it.valid(); it.Next()) fn(it.member(), it.score());
    } else if (s != nullptr) {
      s->ForEach([&](std::string_view m) { fn(m, 1.0); });
    }
  }
};

// Redis's zunionInterAggregate: a SUM of +inf and -inf is 0, not NaN.
void AggregateInto(double* target, double value, Aggregate agg) {
  switch (agg) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0.0;
      break;
    case Aggregate::kMin:
      *target = std::min(*target, value);
      break;
    case Aggregate::kMax:
      *target = std::max(*target, value);
      break;
  }
}

// Computes the operation over srcs (sorted by cardinality for union/inter, as Redis does, which
// also fixes the order in which floating-point sums happen). Returns the result sorted by
// (score, member); for cardinality_only just counts (stopping at limit > 0).
Items ComputeSetOp(std::vector<Source>& srcs, SetOp op, Aggregate agg, bool cardinality_only,
                   int64_t limit, size_t* cardinality) {
  Items result;
  *cardinality = 0;
  if (op != SetOp::kDiff) {
    std::stable_sort(srcs.begin(), srcs.end(),
                     [](const Source& a, const Source& b) { return a.size() < b.size(); });
  }
  if (op == SetOp::kInter) {
    if (srcs[0].size() == 0) return result;
    bool stop = false;
    srcs[0].ForEach([&](std::string_view member, double s0) {
      if (stop) return;
      double score = srcs[0].weight * s0;
      if (std::isnan(score)) score = 0;
      for (size_t j = 1; j < srcs.size(); ++j) {
        double value;
        if (!srcs[j].Find(member, &value)) return;
        value *= srcs[j].weight;
        AggregateInto(&score, value, agg);
      }
      if (cardinality_only) {
        ++*cardinality;
        if (limit > 0 && *cardinality >= static_cast<uint64_t>(limit)) stop = true;
      } else {
        result.emplace_back(member, score);
      }
    });
  } else if (op == SetOp::kUnion) {
    std::unordered_map<std::string, double> acc;
    acc.reserve(srcs.back().size());
    for (const Source& src : srcs) {
      src.ForEach([&](std::string_view member, double s) {
        double score = src.weight * s;
        if (std::isnan(score)) score = 0;
        auto [it, inserted] = acc.try_emplace(std::string(member), score);
        if (!inserted) AggregateInto(&it->second, score, agg);
      });
    }
    result.reserve(acc.size());
    for (auto& [member, score] : acc) result.emplace_back(member, score);
  } else {
    if (srcs[0].size() == 0) return result;
    srcs[0].ForEach([&](std::string_view member, double s0) {
      double ignored;
      for (size_t j = 1; j < srcs.size(); ++j)
        if (srcs[j].Find(member, &ignored)) return;
      result.emplace_back(member, s0);
    });
  }
  std::sort(result.begin(), result.end(), ItemLess);
  *cardinality = cardinality_only ? *cardinality : result.size();
  return result;
}

// Redis's zunionInterDiffGenericCommand: [dst] numkeys key [key ...] [WEIGHTS w ...]
// [AGGREGATE SUM|MIN|MAX] [WITHSCORES] (per command), and ZINTERCARD's [LIMIT limit].
void SetOpGeneric(CommandContext& ctx, bool store, SetOp op, bool cardinality_only,
                  const char* name) {
  size_t numkeys_idx = store ? 2 : 1;
  int64_t setnum;
  if (!IntArg(ctx, numkeys_idx, &setnum)) return;
  if (setnum < 1)
    return ctx.out->Error(Format(err::kNoInputKey, name));
  if (static_cast<uint64_t>(setnum) > ctx.argc - (numkeys_idx + 1))
    return ctx.out->Error(err::kSyntax);
  size_t n = static_cast<size_t>(setnum);

  std::vector<KeyRef> refs;
  KeyRef dst{};
  if (store) dst = ctx.KeyAt(1);
  for (size_t i = 0; i < n; ++i) refs.push_back(ctx.KeyAt(numkeys_idx + 1 + i));

  // Types are checked before the options are parsed, as Redis does.
  std::vector<Source> srcs(n);
  for (size_t i = 0; i < n; ++i) {
    const KeyRef& k = refs[i];
    Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
    if (e == nullptr) continue;
    if (e->type() == ObjType::kZSet) {
      srcs[i].z = static_cast<const ZSetObject*>(e->obj());
    } else if (e->type() == ObjType::kSet) {
      srcs[i].s = static_cast<const SetObject*>(e->obj());
    } else {
      return ctx.out->Error(err::kWrongType);
    }
  }

  Aggregate agg = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;
  size_t j = numkeys_idx + 1 + n;
  while (j < ctx.argc) {
    size_t remaining = ctx.argc - j;
    std::string_view opt = ctx.arg(j);
    if (op != SetOp::kDiff && !cardinality_only && remaining >= n + 1 &&
        EqualsIgnoreCase(opt, "weights")) {
      ++j;
      for (size_t i = 0; i < n; ++i, ++j) {
        if (!ParseDouble(ctx.arg(j), &srcs[i].weight))
          return ctx.out->Error(err::kWeightNotFloat);
      }
    } else if (op != SetOp::kDiff && !cardinality_only && remaining >= 2 &&
               EqualsIgnoreCase(opt, "aggregate")) {
      std::string_view a = ctx.arg(j + 1);
      if (EqualsIgnoreCase(a, "sum")) agg = Aggregate::kSum;
      else if (EqualsIgnoreCase(a, "min")) agg = Aggregate::kMin;
      else if (EqualsIgnoreCase(a, "max")) agg = Aggregate::kMax;
      else return ctx.out->Error(err::kSyntax);
      j += 2;
    } else if (!store && !cardinality_only && EqualsIgnoreCase(opt, "withscores")) {
      withscores = true;
      ++j;
    } else if (cardinality_only && remaining >= 2 && EqualsIgnoreCase(opt, "limit")) {
      if (!ParseInt64(ctx.arg(j + 1), &limit) || limit < 0)
        return ctx.out->Error(err::kLimitNegative);
      j += 2;
    } else {
      return ctx.out->Error(err::kSyntax);
    }
  }

  size_t cardinality;
  Items result = ComputeSetOp(srcs, op, agg, cardinality_only, limit, &cardinality);
  if (cardinality_only) return ctx.out->Integer(static_cast<int64_t>(cardinality));
  if (store) {
    ctx.dirty += StoreResult(ctx, dst, result);
    return ctx.out->Integer(static_cast<int64_t>(result.size()));
  }
  ReplyElementsHeader(ctx, result.size(), withscores);
  for (const auto& [member, score] : result) ReplyElement(ctx, member, score, withscores);
}

void ZUnionStore(CommandContext& ctx) {
  SetOpGeneric(ctx, true, SetOp::kUnion, false, "zunionstore");
}
void ZInterStore(CommandContext& ctx) {
  SetOpGeneric(ctx, true, SetOp::kInter, false, "zinterstore");
}
void ZDiffStore(CommandContext& ctx) { SetOpGeneric(ctx, true, SetOp::kDiff, false, "zdiffstore"); }
void ZUnion(CommandContext& ctx) { SetOpGeneric(ctx, false, SetOp::kUnion, false, "zunion"); }
void ZInter(CommandContext& ctx) { SetOpGeneric(ctx, false, SetOp::kInter, false, "zinter"); }
void ZDiff(CommandContext& ctx) { SetOpGeneric(ctx, false, SetOp::kDiff, false, "zdiff"); }
void ZInterCard(CommandContext& ctx) {
  SetOpGeneric(ctx, false, SetOp::kInter, true, "zintercard");
}

// ---- ZSCAN ----

// Redis's parseScanCursorOrReply: strtoul rules (optional sign, "-1" wraps), but the whole
// argument must be digits after the sign and fit 64 bits.
bool ParseScanCursor(std::string_view s, uint64_t* out) {
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = neg ? (~v + 1) : v;
  return true;
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]
void ZScan(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.arg(2), &cursor)) return ctx.out->Error(err::kInvalidCursor);
  const KeyRef& k = ctx.KeyAt(1);
  ZSetObject* z;
  if (!LookupZSet(ctx, k, &z)) return;
  if (z == nullptr) return ctx.out->Raw(kEmptyScan);
  ScanOptions opt;
  if (!ParseScanOptions(ctx, 3, false, &opt)) return;
  std::vector<std::pair<std::string_view, double>> found;
  auto visit = [&](std::string_view member, double score) {
    if (opt.Matches(member)) found.emplace_back(member, score);
  };
  uint64_t next = 0;
  if (z->is_listpack()) {
    z->ScanStep(0, visit);
  } else {
    // Like Redis: buckets until COUNT elements were gathered (before filtering), at most
    // 10 * COUNT buckets.
    uint64_t budget = static_cast<uint64_t>(opt.count) > std::numeric_limits<uint64_t>::max() / 10
                          ? std::numeric_limits<uint64_t>::max()
                          : static_cast<uint64_t>(opt.count) * 10;
    uint64_t seen = 0;
    next = cursor;
    do {
      next = z->ScanStep(next, [&](std::string_view member, double score) {
        ++seen;
        visit(member, score);
      });
    } while (next != 0 && --budget > 0 && seen < static_cast<uint64_t>(opt.count));
  }
  ctx.out->ArrayHeader(2);
  ctx.out->Bulk(std::to_string(next));
  ctx.out->ArrayHeader(found.size() * 2);
  char buf[kDoubleBufSize];
  for (const auto& [member, score] : found) {
    ctx.out->Bulk(member);
    ctx.out->Bulk(std::string_view(buf, FormatDouble(score, buf)));
  }
}

// ---- registration ----

CommandSpec Cmd(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys, Handler h,
                const char* since, const char* summary, const char* syntax) {
  return MakeSpec(name, arity, flags, std::move(keys), h, "sorted-set", since, summary, syntax);
}

// Key flags of Redis 7.0.15's key specs.
constexpr uint32_t kRO = kKeyRO, kReads = kKeyRO | kKeyAccess;
constexpr uint32_t kUpdates = kKeyRW | kKeyUpdate, kRemoves = kKeyRW | kKeyDelete;
constexpr uint32_t kReadWrites = kKeyRW | kKeyAccess | kKeyUpdate;
constexpr uint32_t kPops = kKeyRW | kKeyAccess | kKeyDelete, kStores = kKeyOW | kKeyUpdate;

}  // namespace

void RegisterZSetFamily(CommandRegistry& r) {
  // Arity, flags, key specs and docs as Redis 7.0.15's COMMAND INFO / DOCS report them.
  // kRandom marks the nondeterministic_output tip.
  constexpr uint32_t kW = kWrite, kR = kReadOnly, kF = kFast, kD = kDenyOom;
  const CommandSpec specs[] = {
      Cmd("zadd", -4, kW | kD | kF, {Key(1, kUpdates)}, ZAdd, "1.2.0",
          "Add one or more members to a sorted set, or update its score if it already exists",
          "key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]"),
      Cmd("zrem", -3, kW | kF, {Key(1, kRemoves)}, ZRem, "1.2.0",
          "Remove one or more members from a sorted set", "key member [member ...]"),
      Cmd("zscore", 3, kR | kF, {Key(1, kReads)}, ZScore, "1.2.0",
          "Get the score associated with the given member in a sorted set", "key member"),
      Cmd("zmscore", -3, kR | kF, {Key(1, kReads)}, ZMScore, "6.2.0",
          "Get the score associated with the given members in a sorted set",
          "key member [member ...]"),
      Cmd("zincrby", 4, kW | kD | kF, {Key(1, kReadWrites)}, ZIncrBy, "1.2.0",
          "Increment the score of a member in a sorted set", "key increment member"),
      Cmd("zcard", 2, kR | kF, {Key(1, kRO)}, ZCard, "1.2.0",
          "Get the number of members in a sorted set", "key"),
      Cmd("zcount", 4, kR | kF, {Key(1, kReads)}, ZCount, "2.0.0",
          "Count the members in a sorted set with scores within the given values", "key min max"),
      Cmd("zlexcount", 4, kR | kF, {Key(1, kReads)}, ZLexCount, "2.8.9",
          "Count the number of members in a sorted set between a given lexicographical range",
          "key min max"),
      Cmd("zrank", 3, kR | kF, {Key(1, kReads)}, ZRank, "2.0.0",
          "Determine the index of a member in a sorted set", "key member"),
      Cmd("zrevrank", 3, kR | kF, {Key(1, kReads)}, ZRevRank, "2.0.0",
          "Determine the index of a member in a sorted set, with scores ordered from high to "
          "low",
          "key member"),
      Cmd("zrange", -4, kR, {Key(1, kReads)}, ZRange, "1.2.0",
          "Return a range of members in a sorted set",
          "key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"),
      Cmd("zrangestore", -5, kW | kD, {Key(1, kStores), Key(2, kReads)}, ZRangeStore, "6.2.0",
          "Store a range of members from sorted set into another key",
          "dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]"),
      Cmd("zrevrange", -4, kR, {Key(1, kReads)}, ZRevRange, "1.2.0",
          "Return a range of members in a sorted set, by index, with scores ordered from high "
          "to low",
          "key start stop [WITHSCORES]"),
      Cmd("zrangebyscore", -4, kR, {Key(1, kReads)}, ZRangeByScore, "1.0.5",
          "Return a range of members in a sorted set, by score",
          "key min max [WITHSCORES] [LIMIT offset count]"),
      Cmd("zrevrangebyscore", -4, kR, {Key(1, kReads)}, ZRevRangeByScore, "2.2.0",
          "Return a range of members in a sorted set, by score, with scores ordered from high "
          "to low",
          "key max min [WITHSCORES] [LIMIT offset count]"),
      Cmd("zrangebylex", -4, kR, {Key(1, kReads)}, ZRangeByLex, "2.8.9",
          "Return a range of members in a sorted set, by lexicographical range",
          "key min max [LIMIT offset count]"),
      Cmd("zrevrangebylex", -4, kR, {Key(1, kReads)}, ZRevRangeByLex, "2.8.9",
          "Return a range of members in a sorted set, by lexicographical range, ordered from "
          "higher to lower strings.",
          "key max min [LIMIT offset count]"),
      Cmd("zremrangebyrank", 4, kW, {Key(1, kRemoves)}, ZRemRangeByRank, "2.0.0",
          "Remove all members in a sorted set within the given indexes", "key start stop"),
      Cmd("zremrangebyscore", 4, kW, {Key(1, kRemoves)}, ZRemRangeByScore, "1.2.0",
          "Remove all members in a sorted set within the given scores", "key min max"),
      Cmd("zremrangebylex", 4, kW, {Key(1, kRemoves)}, ZRemRangeByLex, "2.8.9",
          "Remove all members in a sorted set between the given lexicographical range",
          "key min max"),
      Cmd("zpopmin", -2, kW | kF, {Key(1, kPops)}, ZPopMin, "5.0.0",
          "Remove and return members with the lowest scores in a sorted set", "key [count]"),
      Cmd("zpopmax", -2, kW | kF, {Key(1, kPops)}, ZPopMax, "5.0.0",
          "Remove and return members with the highest scores in a sorted set", "key [count]"),
      Cmd("zmpop", -4, kW, {KeyNum(1, 0, 1, 1, kPops)}, ZMPop, "7.0.0",
          "Remove and return members with scores in a sorted set",
          "numkeys key [key ...] <MIN | MAX> [COUNT count]"),
      Cmd("zrandmember", -2, kR | kRandom, {Key(1, kReads)}, ZRandMember, "6.2.0",
          "Get one or multiple random elements from a sorted set", "key [count [WITHSCORES]]"),
      Cmd("zunionstore", -4, kW | kD, {Key(1, kStores), KeyNum(2, 0, 1, 1, kReads)}, ZUnionStore,
          "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key",
          "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] "
          "[AGGREGATE <SUM | MIN | MAX>]"),
      Cmd("zinterstore", -4, kW | kD, {Key(1, kStores), KeyNum(2, 0, 1, 1, kReads)}, ZInterStore,
          "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key",
          "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] "
          "[AGGREGATE <SUM | MIN | MAX>]"),
      Cmd("zdiffstore", -4, kW | kD, {Key(1, kStores), KeyNum(2, 0, 1, 1, kReads)}, ZDiffStore,
          "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key",
          "destination numkeys key [key ...]"),
      Cmd("zunion", -3, kR, {KeyNum(1, 0, 1, 1, kReads)}, ZUnion, "6.2.0",
          "Add multiple sorted sets",
          "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] "
          "[WITHSCORES]"),
      Cmd("zinter", -3, kR, {KeyNum(1, 0, 1, 1, kReads)}, ZInter, "6.2.0",
          "Intersect multiple sorted sets",
          "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] "
          "[WITHSCORES]"),
      Cmd("zdiff", -3, kR, {KeyNum(1, 0, 1, 1, kReads)}, ZDiff, "6.2.0",
          "Subtract multiple sorted sets", "numkeys key [key ...] [WITHSCORES]"),
      Cmd("zintercard", -3, kR, {KeyNum(1, 0, 1, 1, kReads)}, ZInterCard, "7.0.0",
          "Intersect multiple sorted sets and return the cardinality of the result",
          "numkeys key [key ...] [LIMIT limit]"),
      Cmd("zscan", -3, kR | kRandom, {Key(1, kReads)}, ZScan, "2.8.0",
          "Incrementally iterate sorted sets elements and associated scores",
          "key cursor [MATCH pattern] [COUNT count]"),
  };
  for (const CommandSpec& s : specs) r.Register(s);
}

}  // namespace strata::cmd
