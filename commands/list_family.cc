// List commands (Redis's t_list.c, without the blocking ones): pushes and pops at both ends,
// LLEN/LRANGE/LINDEX, edits in the middle (LSET, LINSERT, LREM, LTRIM), LPOS, LMOVE/RPOPLPUSH
// and LMPOP. Replies and error texts follow Redis 7.0.15 exactly, including the order in which
// arguments and the key are checked. The value is storage::ListObject; the operations the
// blocking commands reuse live in list_ops.h (implemented at the top of this file).
// Thread: handlers run on any worker; every key is touched under its shard lock.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/list_ops.h"
#include "common/errors.h"
#include "common/strutil.h"

namespace strata::cmd {

namespace list_ops {

using storage::Entry;
using storage::KeyRef;
using storage::ListObject;
using storage::ObjType;

ListObject* FindList(const KeyRef& k, int64_t now_ms, Status* status) {
  Entry* e = k.shard->Find(k.key, k.hash, now_ms);
  if (e == nullptr) {
    *status = Status::kEmpty;
    return nullptr;
  }
  if (e->type() != ObjType::kList) {
    *status = Status::kWrongType;
    return nullptr;
  }
  *status = Status::kOk;
  return static_cast<ListObject*>(e->obj());
}

ListObject* FindOrCreateList(const KeyRef& k, int64_t now_ms, Status* status) {
  ListObject* list = FindList(k, now_ms, status);
  if (list != nullptr || *status == Status::kWrongType) return list;
  list = new ListObject();
  k.shard->Put(Entry::NewObject(k.key, ObjType::kList, list, storage::kNoExpire), k.hash);
  *status = Status::kOk;
  return list;
}

void EraseIfEmpty(const KeyRef& k, ListObject* list, int64_t now_ms) {
  if (list->empty()) k.shard->Erase(k.key, k.hash, now_ms);
}

Status Pop(const KeyRef& k, int64_t now_ms, End end, size_t count, std::vector<std::string>* out) {
  Status st;
  ListObject* list = FindList(k, now_ms, &st);
  if (list == nullptr) return st;
  size_t n = std::min(count, list->size());
  ListObject::Cursor c = list->At(end == End::kLeft ? 0 : -1);
  for (size_t i = 0; i < n; ++i) {
    out->emplace_back(c.Get());
    end == End::kLeft ? c.Next() : c.Prev();
  }
  end == End::kLeft ? list->EraseFront(n) : list->EraseBack(n);
  EraseIfEmpty(k, list, now_ms);
  return Status::kOk;
}

Status Move(const KeyRef& src, const KeyRef& dst, int64_t now_ms, End from, End to,
            std::string* moved) {
  Status st;
  ListObject* s = FindList(src, now_ms, &st);
  if (s == nullptr) return st;
  ListObject* d = s;
  bool same = src.shard == dst.shard && src.key == dst.key;
  if (!same) {
    d = FindOrCreateList(dst, now_ms, &st);
    if (d == nullptr) return st;
  }
  ListObject::Cursor c = s->At(from == End::kLeft ? 0 : -1);
  moved->assign(c.Get());
  from == End::kLeft ? s->EraseFront(1) : s->EraseBack(1);
  to == End::kLeft ? d->PushFront(*moved) : d->PushBack(*moved);
  if (!same) EraseIfEmpty(src, s, now_ms);
  return Status::kOk;
}

}  // namespace list_ops

namespace {

using list_ops::End;
using list_ops::Status;
using storage::KeyRef;
using storage::ListObject;


// Writes the WRONGTYPE error for st == kWrongType; true if it did.
bool WrongType(CommandContext& ctx, Status st) {
  if (st != Status::kWrongType) return false;
  ctx.out->Error(err::kWrongType);
  return true;
}

// The list at k (nullptr if absent); false after replying WRONGTYPE. Caller holds k's lock.
bool LookupList(CommandContext& ctx, const KeyRef& k, ListObject** list) {
  Status st;
  *list = list_ops::FindList(k, ctx.now_ms, &st);
  return !WrongType(ctx, st);
}

// Redis's getLongFromObjectOrReply.
bool IntArg(CommandContext& ctx, size_t i, int64_t* v) {
  if (ParseInt64(ctx.arg(i), v)) return true;
  ctx.out->Error(err::kNotInteger);
  return false;
}

// Redis's getRangeLongFromObjectOrReply with a custom message for both "not an integer" and
// "below min".
bool IntArgAtLeast(CommandContext& ctx, size_t i, int64_t min, const char* msg, int64_t* v) {
  if (ParseInt64(ctx.arg(i), v) && *v >= min) return true;
  ctx.out->Error(msg);
  return false;
}

// LEFT / RIGHT (any case); otherwise a syntax error.
bool EndArg(CommandContext& ctx, size_t i, End* end) {
  std::string_view s = ctx.arg(i);
  if (EqualsIgnoreCase(s, "left")) {
    *end = End::kLeft;
  } else if (EqualsIgnoreCase(s, "right")) {
    *end = End::kRight;
  } else {
    ctx.out->Error(err::kSyntax);
    return false;
  }
  return true;
}

// Replies with the n elements at `end` (RPOP order for kRight) as an array, then removes them.
void ReplyAndPop(CommandContext& ctx, ListObject* list, End end, size_t n) {
  ctx.out->ArrayHeader(n);
  ListObject::Cursor c = list->At(end == End::kLeft ? 0 : -1);
  for (size_t i = 0; i < n; ++i) {
    ctx.out->Bulk(c.Get());
    end == End::kLeft ? c.Next() : c.Prev();
  }
  end == End::kLeft ? list->EraseFront(n) : list->EraseBack(n);
}

// ---- pushes ----

// LPUSH, RPUSH, LPUSHX, RPUSHX.
void PushGeneric(CommandContext& ctx, End end, bool only_existing) {
  const KeyRef& k = ctx.KeyAt(1);
  ListObject* list;
  if (!LookupList(ctx, k, &list)) return;
  if (list == nullptr) {
    if (only_existing) return ctx.out->Integer(0);
    Status st;
    list = list_ops::FindOrCreateList(k, ctx.now_ms, &st);  // absent: creates it
  }
  for (size_t i = 2; i < ctx.argc; ++i) {
    end == End::kLeft ? list->PushFront(ctx.arg(i)) : list->PushBack(ctx.arg(i));
  }
  ctx.dirty += ctx.argc - 2;
  ctx.out->Integer(static_cast<int64_t>(list->size()));
}

void LPush(CommandContext& ctx) { PushGeneric(ctx, End::kLeft, false); }
void RPush(CommandContext& ctx) { PushGeneric(ctx, End::kRight, false); }
void LPushX(CommandContext& ctx) { PushGeneric(ctx, End::kLeft, true); }
void RPushX(CommandContext& ctx) { PushGeneric(ctx, End::kRight, true); }

// ---- pops ----

// LPOP / RPOP key [count]: without count one bulk (null if missing); with count an array
// (null array if missing, empty array for count 0).
void PopGeneric(CommandContext& ctx, End end, const char* name) {
  if (ctx.argc > 3) {
    return ctx.out->Error(Format(err::kWrongArity, name));
  }
  bool has_count = ctx.argc == 3;
  int64_t count = 0;
  if (has_count && !IntArgAtLeast(ctx, 2, 0, err::kPositiveCount, &count)) return;
  const KeyRef& k = ctx.KeyAt(1);
  ListObject* list;
  if (!LookupList(ctx, k, &list)) return;
  if (list == nullptr) return has_count ? ctx.out->NullArray() : ctx.out->NullBulk();
  if (!has_count) {
    ListObject::Cursor c = list->At(end == End::kLeft ? 0 : -1);
    ctx.out->Bulk(c.Get());
    end == End::kLeft ? list->EraseFront(1) : list->EraseBack(1);
    ctx.dirty += 1;
  } else {
    size_t n = std::min<size_t>(static_cast<uint64_t>(count), list->size());
    ReplyAndPop(ctx, list, end, n);
    ctx.dirty += n;
  }
  list_ops::EraseIfEmpty(k, list, ctx.now_ms);
}

void LPop(CommandContext& ctx) { PopGeneric(ctx, End::kLeft, "lpop"); }
void RPop(CommandContext& ctx) { PopGeneric(ctx, End::kRight, "rpop"); }

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
void LMPop(CommandContext& ctx) {
  int64_t numkeys;
  if (!IntArgAtLeast(ctx, 1, 1, err::kNumkeysPositive, &numkeys)) return;
  // The direction follows the keys.
  if (numkeys >= static_cast<int64_t>(ctx.argc) - 2) return ctx.out->Error(err::kSyntax);
  size_t where_idx = 2 + static_cast<size_t>(numkeys);
  End end;
  if (!EndArg(ctx, where_idx, &end)) return;
  int64_t count = -1;
  for (size_t j = where_idx + 1; j < ctx.argc; ++j) {
    if (count == -1 && EqualsIgnoreCase(ctx.arg(j), "count") && j + 1 < ctx.argc) {
      if (!IntArgAtLeast(ctx, ++j, 1, err::kCountPositive, &count)) return;
    } else {
      return ctx.out->Error(err::kSyntax);
    }
  }
  if (count == -1) count = 1;

  for (size_t i = 2; i < where_idx; ++i) {
    const KeyRef& k = ctx.KeyAt(i);
    ListObject* list;
    if (!LookupList(ctx, k, &list)) return;
    if (list == nullptr) continue;
    size_t n = std::min<size_t>(static_cast<uint64_t>(count), list->size());
    ctx.out->ArrayHeader(2);
    ctx.out->Bulk(k.key);
    ReplyAndPop(ctx, list, end, n);
    ctx.dirty += n;
    list_ops::EraseIfEmpty(k, list, ctx.now_ms);
    return;
  }
  ctx.out->NullArray();
}

// ---- reads ----

void LLen(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  ListObject* list;
  if (!LookupList(ctx, k, &list)) return;
  ctx.out->Integer(list != nullptr ? static_cast<int64_t>(list->size()) : 0);
}

// Clamps [start, end] (negative = from the tail) to a list of len elements, Redis's way.
// Returns false for an empty range.
bool ClampRange(int64_t len, int64_t* start, int64_t* end) {
  if (*start < 0) *start += len;
  if (*end < 0) *end += len;
  if (*start < 0) *start = 0;
  if (*start > *end || *start >= len) return false;
  if (*end >= len) *end = len - 1;
  return true;
}

void LRange(CommandContext& ctx) {
  int64_t start, end;
  if (!IntArg(ctx, 2, &start) || !IntArg(ctx, 3, &end)) return;
  const KeyRef& k = ctx.KeyAt(1);
  ListObject* list;
  if (!LookupList(ctx, k, &list)) return;
  if (list == nullptr || !ClampRange(static_cast<int64_t>(list->size()), &start, &end)) {
    return ctx.out->ArrayHeader(0);
  }
  size_t n = static_cast<size_t>(end - start + 1);
  ctx.out->ArrayHeader(n);
  ListObject::Cursor c = list->At(start);
  for (size_t i = 0; i < n; ++i, c.Next()) ctx.out->Bulk(c.Get());
}

void LIndex(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  ListObject* list;
  if (!LookupList(ctx, k, &list)) return;
  if (list == nullptr) return ctx.out->NullBulk();
  int64_t index;
  if (!IntArg(ctx, 2, &index)) return;
  ListObject::Cursor c = list->At(index);
  if (!c.valid()) return ctx.out->NullBulk();
  ctx.out->Bulk(c.Get());
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void LPos(CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t j = 3; j < ctx.argc; ++j) {
    std::string_view opt = ctx.arg(j);
    bool more = j + 1 < ctx.argc;
    if (more && EqualsIgnoreCase(opt, "rank")) {
      if (!IntArg(ctx, ++j, &rank)) return;
      if (rank == 0) return ctx.out->Error(err::kRankZero);
    } else if (more && EqualsIgnoreCase(opt, "count")) {
      if (!IntArgAtLeast(ctx, ++j, 0, err::kCountNegative, &count)) return;
    } else if (more && EqualsIgnoreCase(opt, "maxlen")) {
      if (!IntArgAtLeast(ctx, ++j, 0, err::kMaxlenNegative, &maxlen)) return;
    } else {
      return ctx.out->Error(err::kSyntax);
    }
  }
  const KeyRef& k = ctx.KeyAt(1);
  ListObject* list;
  if (!LookupList(ctx, k, &list)) return;
  if (list == nullptr) return count != -1 ? ctx.out->ArrayHeader(0) : ctx.out->NullBulk();

  bool from_tail = rank < 0;
  // Skip |rank| - 1 matches. Redis negates rank in a long: RANK -2^63 stays negative there and
  // so reports every match from the tail, whatever COUNT says; keep that.
  bool unbounded = rank == INT64_MIN;
  uint64_t skip = unbounded ? 0 : (from_tail ? 0 - static_cast<uint64_t>(rank) : rank) - 1;
  uint64_t want = (count <= 0 || unbounded) ? UINT64_MAX : static_cast<uint64_t>(count);
  if (count == -1) want = 1;
  uint64_t limit = maxlen == 0 ? UINT64_MAX : static_cast<uint64_t>(maxlen);
  int64_t len = static_cast<int64_t>(list->size());

  ListObject::Needle needle(ctx.arg(2));
  std::vector<int64_t> found;
  ListObject::Cursor c = list->At(from_tail ? -1 : 0);
  for (uint64_t i = 0; c.valid() && i < limit; ++i, from_tail ? c.Prev() : c.Next()) {
    if (!c.Matches(needle)) continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    found.push_back(from_tail ? len - 1 - static_cast<int64_t>(i) : static_cast<int64_t>(i));
    if (found.size() >= want) break;
  }
  if (count == -1) {
    return found.empty() ? ctx.out->NullBulk() : ctx.out->Integer(found[0]);
  }
  ctx.out->ArrayHeader(found.size());
  for (int64_t idx : found) ctx.out->Integer(idx);
}

// ---- edits ----

void LSet(CommandContext& ctx) {
  const KeyRef& k = ctx.KeyAt(1);
  ListObject* list;
  if (!LookupList(ctx, k, &list)) return;
  if (list == nullptr) return ctx.out->Error(err::kNoSuchKey);
  int64_t index;
  if (!IntArg(ctx, 2, &index)) return;
  if (!list->Set(index, ctx.arg(3))) return ctx.out->Error(err::kIndexOutOfRange);
  ctx.dirty += 1;
  ctx.out->Ok();
}

// LINSERT key BEFORE|AFTER pivot element
void LInsert(CommandContext& ctx) {
  bool after;
  if (EqualsIgnoreCase(ctx.arg(2), "after")) {
    after = true;
  } else if (EqualsIgnoreCase(ctx.arg(2), "before")) {
    after = false;
  } else {
    return ctx.out->Error(err::kSyntax);
  }
  const KeyRef& k = ctx.KeyAt(1);
  ListObject* list;
  if (!LookupList(ctx, k, &list)) return;
  if (list == nullptr) return ctx.out->Integer(0);
  if (!list->InsertAtPivot(ListObject::Needle(ctx.arg(3)), ctx.arg(4), after)) {
    return ctx.out->Integer(-1);
  }
  ctx.dirty += 1;
  ctx.out->Integer(static_cast<int64_t>(list->size()));
}

// LREM key count element
void LRem(CommandContext& ctx) {
  int64_t count;
  if (!IntArg(ctx, 2, &count)) return;
  const KeyRef& k = ctx.KeyAt(1);
  ListObject* list;
  if (!LookupList(ctx, k, &list)) return;
  if (list == nullptr) return ctx.out->Integer(0);
  size_t removed = list->Remove(ListObject::Needle(ctx.arg(3)), count);
  if (removed > 0) list_ops::EraseIfEmpty(k, list, ctx.now_ms);
  ctx.dirty += removed;
  ctx.out->Integer(static_cast<int64_t>(removed));
}

// LTRIM key start stop
void LTrim(CommandContext& ctx) {
  int64_t start, end;
  if (!IntArg(ctx, 2, &start) || !IntArg(ctx, 3, &end)) return;
  const KeyRef& k = ctx.KeyAt(1);
  ListObject* list;
  if (!LookupList(ctx, k, &list)) return;
  if (list == nullptr) return ctx.out->Ok();
  int64_t len = static_cast<int64_t>(list->size());
  size_t ltrim, rtrim;
  if (ClampRange(len, &start, &end)) {
    ltrim = static_cast<size_t>(start);
    rtrim = static_cast<size_t>(len - end - 1);
  } else {
    ltrim = static_cast<size_t>(len);
    rtrim = 0;
  }
  list->EraseFront(ltrim);
  list->EraseBack(rtrim);
  ctx.dirty += ltrim + rtrim;
  list_ops::EraseIfEmpty(k, list, ctx.now_ms);
  ctx.out->Ok();
}

// ---- moves ----

void MoveGeneric(CommandContext& ctx, End from, End to) {
  const KeyRef& src = ctx.KeyAt(1);
  const KeyRef& dst = ctx.KeyAt(2);
  std::string moved;
  Status st = list_ops::Move(src, dst, ctx.now_ms, from, to, &moved);
  if (WrongType(ctx, st)) return;
  if (st == Status::kEmpty) return ctx.out->NullBulk();
  ctx.dirty += 1;
  ctx.out->Bulk(moved);
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
void LMove(CommandContext& ctx) {
  End from, to;
  if (!EndArg(ctx, 3, &from) || !EndArg(ctx, 4, &to)) return;
  MoveGeneric(ctx, from, to);
}

void RPopLPush(CommandContext& ctx) { MoveGeneric(ctx, End::kRight, End::kLeft); }

// ---- registration ----

CommandSpec Cmd(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys, Handler h,
                const char* since, const char* summary, const char* syntax) {
  return MakeSpec(name, arity, flags, std::move(keys), h, "list", since, summary, syntax);
}

// Key flags of Redis 7.0.15's key specs.
constexpr uint32_t kRO = kKeyRO, kReads = kKeyRO | kKeyAccess;
constexpr uint32_t kPushes = kKeyRW | kKeyInsert, kPops = kKeyRW | kKeyAccess | kKeyDelete;
constexpr uint32_t kUpdates = kKeyRW | kKeyUpdate, kRemoves = kKeyRW | kKeyDelete;

}  // namespace

void RegisterListFamily(CommandRegistry& r) {
  // Arity, flags, key specs and docs as Redis 7.0.15's COMMAND INFO / DOCS report them.
  const CommandSpec specs[] = {
      Cmd("lpush", -3, kWrite | kDenyOom | kFast, {Key(1, kPushes)}, LPush, "1.0.0",
          "Prepend one or multiple elements to a list", "key element [element ...]"),
      Cmd("rpush", -3, kWrite | kDenyOom | kFast, {Key(1, kPushes)}, RPush, "1.0.0",
          "Append one or multiple elements to a list", "key element [element ...]"),
      Cmd("lpushx", -3, kWrite | kDenyOom | kFast, {Key(1, kPushes)}, LPushX, "2.2.0",
          "Prepend an element to a list, only if the list exists", "key element [element ...]"),
      Cmd("rpushx", -3, kWrite | kDenyOom | kFast, {Key(1, kPushes)}, RPushX, "2.2.0",
          "Append an element to a list, only if the list exists", "key element [element ...]"),
      Cmd("lpop", -2, kWrite | kFast, {Key(1, kPops)}, LPop, "1.0.0",
          "Remove and get the first elements in a list", "key [count]"),
      Cmd("rpop", -2, kWrite | kFast, {Key(1, kPops)}, RPop, "1.0.0",
          "Remove and get the last elements in a list", "key [count]"),
      Cmd("llen", 2, kReadOnly | kFast, {Key(1, kRO)}, LLen, "1.0.0", "Get the length of a list",
          "key"),
      Cmd("lrange", 4, kReadOnly, {Key(1, kReads)}, LRange, "1.0.0",
          "Get a range of elements from a list", "key start stop"),
      Cmd("lindex", 3, kReadOnly, {Key(1, kReads)}, LIndex, "1.0.0",
          "Get an element from a list by its index", "key index"),
      Cmd("lset", 4, kWrite | kDenyOom, {Key(1, kUpdates)}, LSet, "1.0.0",
          "Set the value of an element in a list by its index", "key index element"),
      Cmd("linsert", 5, kWrite | kDenyOom, {Key(1, kPushes)}, LInsert, "2.2.0",
          "Insert an element before or after another element in a list",
          "key <BEFORE | AFTER> pivot element"),
      Cmd("lrem", 4, kWrite, {Key(1, kRemoves)}, LRem, "1.0.0", "Remove elements from a list",
          "key count element"),
      Cmd("ltrim", 4, kWrite, {Key(1, kRemoves)}, LTrim, "1.0.0",
          "Trim a list to the specified range", "key start stop"),
      Cmd("lpos", -3, kReadOnly, {Key(1, kReads)}, LPos, "6.0.6",
          "Return the index of matching elements on a list",
          "key element [RANK rank] [COUNT num-matches] [MAXLEN len]"),
      Cmd("lmove", 5, kWrite | kDenyOom, {Key(1, kPops), Key(2, kPushes)}, LMove, "6.2.0",
          "Pop an element from a list, push it to another list and return it",
          "source destination <LEFT | RIGHT> <LEFT | RIGHT>"),
      Cmd("rpoplpush", 3, kWrite | kDenyOom, {Key(1, kPops), Key(2, kPushes)}, RPopLPush, "1.2.0",
          "Remove the last element in a list, prepend it to another list and return it",
          "source destination"),
      Cmd("lmpop", -4, kWrite, {KeyNum(1, 0, 1, 1, kPops)}, LMPop, "7.0.0",
          "Pop elements from a list", "numkeys key [key ...] <LEFT | RIGHT> [COUNT count]"),
  };
  for (const CommandSpec& s : specs) r.Register(s);
}

}  // namespace strata::cmd
