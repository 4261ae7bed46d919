// The blocking pops: BLPOP BRPOP BLMPOP BLMOVE BRPOPLPUSH (over list_ops.h) and BZPOPMIN
// BZPOPMAX BZMPOP (over zset_ops.h). The dispatcher holds all of a handler's keys; it pops if
// it can, and otherwise parks the client through ctx.blocker while the locks are still held
// (see server/blocking.h for how it is woken). Run again for a blocked client
// (ctx.serving_blocked), a handler that still finds nothing sets ctx.not_served and replies
// nothing; a key that now holds another type is passed over, as Redis serves a waiter only
// from a key of the type it waits for.
#include <cmath>
#include <climits>

#include "commands/command.h"
#include "commands/list_ops.h"
#include "commands/zset_ops.h"
#include "common/errors.h"
#include "common/strutil.h"

namespace strata::cmd {

namespace {

using storage::KeyRef;

// Redis's getTimeoutFromObjectOrReply for seconds (fractions allowed): ms, 0 = forever.
bool ParseTimeout(CommandContext& ctx, std::string_view arg, int64_t* ms) {
  long double secs;
  if (!ParseLongDouble(arg, &secs)) {
    ctx.out->Error(err::kTimeoutNotFloat);
    return false;
  }
  long double v = secs * 1000.0L;
  if (v > static_cast<long double>(LLONG_MAX)) {
    ctx.out->Error(err::kTimeoutOutOfRange);
    return false;
  }
  int64_t t = static_cast<int64_t>(std::ceil(static_cast<double>(v)));
  if (t < 0) {
    ctx.out->Error(err::kTimeoutNegative);
    return false;
  }
  *ms = t;
  return true;
}

// Nothing to pop: wait (or, where a client cannot wait, answer as a timeout would).
void BlockOrGiveUp(CommandContext& ctx, const std::vector<std::string_view>& keys, int64_t ms) {
  if (ctx.serving_blocked) {
    ctx.not_served = true;
    return;
  }
  if (ctx.nested || ctx.blocker == nullptr) return ctx.out->NullArray();
  ctx.blocker->Block(ctx, keys, ms, TimeoutReply::kNullArray);
}

// A key of another type than the command pops: an error, except for a blocked client being
// served, which waits on (Redis serves a waiter only from a key of the type it waits for).
// True if the handler is done (replied, or not served).
bool WrongTypeDone(CommandContext& ctx) {
  if (ctx.serving_blocked) return false;
  ctx.out->Error(err::kWrongType);
  return true;
}

// BLPOP / BRPOP key [key ...] timeout
void BlockingPop(CommandContext& ctx, list_ops::End end) {
  int64_t ms = 0;
  if (!ctx.serving_blocked && !ParseTimeout(ctx, ctx.arg(ctx.argc - 1), &ms)) return;
  std::vector<std::string_view> keys(ctx.argv + 1, ctx.argv + ctx.argc - 1);
  for (size_t i = 1; i + 1 < ctx.argc; ++i) {
    const KeyRef& k = ctx.KeyAt(i);
    std::vector<std::string> got;
    list_ops::Status st = list_ops::Pop(k, ctx.now_ms, end, 1, &got);
    if (st == list_ops::Status::kWrongType) {
      if (WrongTypeDone(ctx)) return;
      continue;
    }
    if (st == list_ops::Status::kOk) {
      ++ctx.dirty;
      ctx.out->ArrayHeader(2);
      ctx.out->Bulk(k.key);
      return ctx.out->Bulk(got[0]);
    }
  }
  BlockOrGiveUp(ctx, keys, ms);
}

void BLPop(CommandContext& ctx) { BlockingPop(ctx, list_ops::End::kLeft); }
void BRPop(CommandContext& ctx) { BlockingPop(ctx, list_ops::End::kRight); }

bool ParseEnd(std::string_view s, list_ops::End* end) {
  if (EqualsIgnoreCase(s, "LEFT")) *end = list_ops::End::kLeft;
  else if (EqualsIgnoreCase(s, "RIGHT")) *end = list_ops::End::kRight;
  else return false;
  return true;
}

void BlockingMove(CommandContext& ctx, list_ops::End from, list_ops::End to, int64_t ms) {
  const KeyRef& src = ctx.KeyAt(1);
  const KeyRef& dst = ctx.KeyAt(2);
  if (ctx.serving_blocked) {  // a source of another type: wait on
    list_ops::Status src_st;
    if (list_ops::FindList(src, ctx.now_ms, &src_st) == nullptr &&
        src_st == list_ops::Status::kWrongType) {
      ctx.not_served = true;
      return;
    }
  }
  std::string moved;
  list_ops::Status st = list_ops::Move(src, dst, ctx.now_ms, from, to, &moved);
  if (st == list_ops::Status::kWrongType) return ctx.out->Error(err::kWrongType);
  if (st == list_ops::Status::kOk) {
    ctx.dirty += 2;
    return ctx.out->Bulk(moved);
  }
  BlockOrGiveUp(ctx, {src.key}, ms);
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
void BLMove(CommandContext& ctx) {
  list_ops::End from, to;
  if (!ParseEnd(ctx.arg(3), &from) || !ParseEnd(ctx.arg(4), &to))
    return ctx.out->Error(err::kSyntax);
  int64_t ms = 0;
  if (!ctx.serving_blocked && !ParseTimeout(ctx, ctx.arg(5), &ms)) return;
  BlockingMove(ctx, from, to, ms);
}

// BRPOPLPUSH source destination timeout
void BRPopLPush(CommandContext& ctx) {
  int64_t ms = 0;
  if (!ctx.serving_blocked && !ParseTimeout(ctx, ctx.arg(3), &ms)) return;
  BlockingMove(ctx, list_ops::End::kRight, list_ops::End::kLeft, ms);
}

// The "numkeys key [key ...] <where> [COUNT count]" tail of BLMPOP and BZMPOP (Redis's
// order of checks and messages). *where_arg is the LEFT/RIGHT or MIN/MAX argument.
bool ParseMPop(CommandContext& ctx, size_t numkeys_idx, std::vector<std::string_view>* keys,
               std::string_view* where_arg, int64_t* count) {
  int64_t numkeys;
  if (!ParseInt64(ctx.arg(numkeys_idx), &numkeys) || numkeys <= 0) {
    ctx.out->Error(err::kNumkeysPositive);
    return false;
  }
  size_t where_idx = numkeys_idx + static_cast<size_t>(numkeys) + 1;
  if (numkeys > static_cast<int64_t>(ctx.argc) || where_idx >= ctx.argc) {
    ctx.out->Error(err::kSyntax);
    return false;
  }
  keys->assign(ctx.argv + numkeys_idx + 1, ctx.argv + where_idx);
  *where_arg = ctx.arg(where_idx);
  *count = -1;
  for (size_t j = where_idx + 1; j < ctx.argc; ++j) {
    if (*count == -1 && EqualsIgnoreCase(ctx.arg(j), "COUNT") && j + 1 < ctx.argc) {
      if (!ParseInt64(ctx.arg(++j), count) || *count <= 0) {
        ctx.out->Error(err::kCountPositive);
        return false;
      }
    } else {
      ctx.out->Error(err::kSyntax);
      return false;
    }
  }
  if (*count == -1) *count = 1;
  return true;
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
void BLMPop(CommandContext& ctx) {
  int64_t ms = 0;
  if (!ctx.serving_blocked && !ParseTimeout(ctx, ctx.arg(1), &ms)) return;
  std::vector<std::string_view> keys;
  std::string_view where;
  int64_t count;
  if (!ParseMPop(ctx, 2, &keys, &where, &count)) return;
  list_ops::End end;
  if (!ParseEnd(where, &end)) return ctx.out->Error(err::kSyntax);
  for (size_t i = 0; i < keys.size(); ++i) {
    const KeyRef& k = ctx.KeyAt(3 + i);  // BLMPOP timeout numkeys key...
    std::vector<std::string> got;
    list_ops::Status st = list_ops::Pop(k, ctx.now_ms, end, static_cast<size_t>(count), &got);
    if (st == list_ops::Status::kWrongType) {
      if (WrongTypeDone(ctx)) return;
      continue;
    }
    if (st == list_ops::Status::kOk) {
      ctx.dirty += got.size();
      ctx.out->ArrayHeader(2);
      ctx.out->Bulk(k.key);
      ctx.out->ArrayHeader(got.size());
      for (const std::string& e : got) ctx.out->Bulk(e);
      return;
    }
  }
  BlockOrGiveUp(ctx, keys, ms);
}

// BZPOPMIN / BZPOPMAX key [key ...] timeout
void BlockingZPop(CommandContext& ctx, zset_ops::Where where) {
  int64_t ms = 0;
  if (!ctx.serving_blocked && !ParseTimeout(ctx, ctx.arg(ctx.argc - 1), &ms)) return;
  std::vector<std::string_view> keys(ctx.argv + 1, ctx.argv + ctx.argc - 1);
  for (size_t i = 1; i + 1 < ctx.argc; ++i) {
    const KeyRef& k = ctx.KeyAt(i);
    std::vector<std::pair<std::string, double>> got;
    zset_ops::Status st = zset_ops::Pop(k, ctx.now_ms, where, 1, &got);
    if (st == zset_ops::Status::kWrongType) {
      if (WrongTypeDone(ctx)) return;
      continue;
    }
    if (st == zset_ops::Status::kOk) {
      ++ctx.dirty;
      ctx.out->ArrayHeader(3);
      ctx.out->Bulk(k.key);
      ctx.out->Bulk(got[0].first);
      return ctx.out->Double(got[0].second);
    }
  }
  BlockOrGiveUp(ctx, keys, ms);
}

void BZPopMin(CommandContext& ctx) { BlockingZPop(ctx, zset_ops::Where::kMin); }
void BZPopMax(CommandContext& ctx) { BlockingZPop(ctx, zset_ops::Where::kMax); }

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
void BZMPop(CommandContext& ctx) {
  int64_t ms = 0;
  if (!ctx.serving_blocked && !ParseTimeout(ctx, ctx.arg(1), &ms)) return;
  std::vector<std::string_view> keys;
  std::string_view where_arg;
  int64_t count;
  if (!ParseMPop(ctx, 2, &keys, &where_arg, &count)) return;
  zset_ops::Where where;
  if (EqualsIgnoreCase(where_arg, "MIN")) where = zset_ops::Where::kMin;
  else if (EqualsIgnoreCase(where_arg, "MAX")) where = zset_ops::Where::kMax;
  else return ctx.out->Error(err::kSyntax);
  for (size_t i = 0; i < keys.size(); ++i) {
    const KeyRef& k = ctx.KeyAt(3 + i);  // BZMPOP timeout numkeys key...
    std::vector<std::pair<std::string, double>> got;
    zset_ops::Status st = zset_ops::Pop(k, ctx.now_ms, where, static_cast<size_t>(count), &got);
    if (st == zset_ops::Status::kWrongType) {
      if (WrongTypeDone(ctx)) return;
      continue;
    }
    if (st == zset_ops::Status::kOk) {
      ctx.dirty += got.size();
      ctx.out->ArrayHeader(2);
      ctx.out->Bulk(k.key);
      ctx.out->ArrayHeader(got.size());
      for (const auto& [member, score] : got) {
        ctx.out->ArrayHeader(2);
        ctx.out->Bulk(member);
        ctx.out->Double(score);
      }
      return;
    }
  }
  BlockOrGiveUp(ctx, keys, ms);
}

CommandSpec Cmd(const char* name, int arity, std::vector<KeySpec> keys, Handler h,
                const char* group, const char* since, const char* summary, const char* syntax,
                uint32_t flags = kWrite | kBlocking | kNoScript) {
  return MakeSpec(name, arity, flags, std::move(keys), h, group, since, summary, syntax);
}
// Redis 7.0 lets scripts call BLMPOP and BZMPOP (they answer at once there); not the others.
constexpr uint32_t kMPopFlags = kWrite | kBlocking;

// Key flags of Redis 7.0.15's key specs: every blocking command pops from its source keys.
constexpr uint32_t kPops = kKeyRW | kKeyAccess | kKeyDelete, kPushes = kKeyRW | kKeyInsert;

}  // namespace

void RegisterBlockingCommands(CommandRegistry& r) {
  for (CommandSpec& s : std::vector<CommandSpec>{
           Cmd("blpop", -3, {KeyRange(1, -2, 1, kPops)}, BLPop, "list", "2.0.0",
               "Remove and get the first element in a list, or block until one is available",
               "key [key ...] timeout"),
           Cmd("brpop", -3, {KeyRange(1, -2, 1, kPops)}, BRPop, "list", "2.0.0",
               "Remove and get the last element in a list, or block until one is available",
               "key [key ...] timeout"),
           Cmd("brpoplpush", 4, {Key(1, kPops), Key(2, kPushes)}, BRPopLPush, "list", "2.2.0",
               "Pop an element from a list, push it to another list and return it; or block "
               "until one is available",
               "source destination timeout"),
           Cmd("blmove", 6, {Key(1, kPops), Key(2, kPushes)}, BLMove, "list", "6.2.0",
               "Pop an element from a list, push it to another list and return it; or block "
               "until one is available",
               "source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout"),
           Cmd("blmpop", -5, {KeyNum(2, 0, 1, 1, kPops)}, BLMPop, "list", "7.0.0",
               "Pop elements from a list, or block until one is available",
               "timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]", kMPopFlags),
           Cmd("bzpopmin", -3, {KeyRange(1, -2, 1, kPops)}, BZPopMin, "sorted_set", "5.0.0",
               "Remove and return the member with the lowest score from one or more sorted "
               "sets, or block until one is available",
               "key [key ...] timeout"),
           Cmd("bzpopmax", -3, {KeyRange(1, -2, 1, kPops)}, BZPopMax, "sorted_set", "5.0.0",
               "Remove and return the member with the highest score from one or more sorted "
               "sets, or block until one is available",
               "key [key ...] timeout"),
           Cmd("bzmpop", -5, {KeyNum(2, 0, 1, 1, kPops)}, BZMPop, "sorted_set", "7.0.0",
               "Remove and return members with scores in a sorted set or block until one is "
               "available",
               "timeout numkeys key [key ...] MIN | MAX [COUNT count]", kMPopFlags),
       }) {
    r.Register(std::move(s));
  }
}

}  // namespace strata::cmd
