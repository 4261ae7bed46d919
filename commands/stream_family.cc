// Stream commands (Redis's t_stream.c): XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID,
// XREAD (blocking through the blocking registry, like BLPOP).
// Replies, error texts and the order in which arguments are checked follow Redis 7.0.15. The
// value is storage::StreamObject. A stream may be empty and still exist (XDEL or XTRIM of its
// last entry keeps the key, as in Redis).
//
// WAL: XADD logs its effect (the ID it chose, the trim it did as an exact MAXLEN), so replay
// never depends on the clock or on node boundaries; the others replay as they are.
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "commands/command.h"
#include "common/errors.h"
#include "common/format.h"
#include "common/strutil.h"
#include "storage/limits.h"
#include "storage/stream_object.h"

namespace strata::cmd {

namespace {

using storage::Entry;
using storage::KeyRef;
using storage::ObjType;
using storage::StreamFields;
using storage::StreamID;
using storage::StreamObject;

// ---- IDs as arguments ----

// Redis's string2ull: a strict decimal (string2ll) that is not negative, else whatever
// strtoull takes whole (leading zeros, '+', spaces before).
bool ParseU64Redis(std::string_view s, uint64_t* out) {
  int64_t ll;
  if (ParseInt64(s, &ll)) {
    if (ll < 0) return false;
    *out = static_cast<uint64_t>(ll);
    return true;
  }
  if (s.empty() || s.size() > 127) return false;
  std::string z(s);
  errno = 0;
  char* end = nullptr;
  unsigned long long v = strtoull(z.c_str(), &end, 10);
  if (errno == EINVAL || errno == ERANGE || *end != '\0') return false;
  *out = v;
  return true;
}

// Redis's streamGenericParseIDOrReply: "ms-seq", "ms" (seq = missing_seq), and unless strict
// "-" and "+". seq_auto non-null accepts "ms-*" (XADD) and says whether it was given so.
bool ParseId(CommandContext& ctx, std::string_view s, StreamID* id, uint64_t missing_seq,
             bool strict, bool* seq_auto = nullptr) {
  if (seq_auto != nullptr) *seq_auto = false;
  if (s.size() > 127) return ctx.out->Error(err::kStreamInvalidId), false;
  if (!strict && s == "-") return *id = StreamID{}, true;
  if (!strict && s == "+") return *id = StreamID::Max(), true;
  size_t dash = s.find('-');
  uint64_t ms, seq = missing_seq;
  if (!ParseU64Redis(s.substr(0, dash), &ms)) return ctx.out->Error(err::kStreamInvalidId), false;
  if (dash != std::string_view::npos) {
    std::string_view rest = s.substr(dash + 1);
    if (seq_auto != nullptr && rest == "*") {
      *seq_auto = true;
      seq = 0;
    } else if (!ParseU64Redis(rest, &seq)) {
      return ctx.out->Error(err::kStreamInvalidId), false;
    }
  }
  *id = {ms, seq};
  return true;
}

// XRANGE's bounds: an ID, "-", "+", or "(" and an ID (exclusive).
bool ParseBound(CommandContext& ctx, std::string_view s, StreamID* id, uint64_t missing_seq,
                bool* exclusive) {
  *exclusive = s.size() > 1 && s[0] == '(';
  if (*exclusive) return ParseId(ctx, s.substr(1), id, missing_seq, true);
  return ParseId(ctx, s, id, missing_seq, false);
}

void ReplyId(CommandContext& ctx, StreamID id) {
  char buf[StreamID::kBufSize];
  ctx.out->Bulk(std::string_view(buf, id.Format(buf)));
}

// ---- lookups (caller holds the key's shard lock) ----

// The stream at k, or nullptr (missing, or another type: *wrong_type, replied).
StreamObject* LookupStream(CommandContext& ctx, const KeyRef& k, bool* wrong_type) {
  Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
  *wrong_type = e != nullptr && e->type() != ObjType::kStream;
  if (*wrong_type) ctx.out->Error(err::kWrongType);
  if (e == nullptr || *wrong_type) return nullptr;
  return static_cast<StreamObject*>(e->obj());
}

// ---- trimming arguments (Redis's streamParseAddOrTrimArgsOrReply) ----

struct TrimArgs {
  enum Strategy { kNone, kMaxLen, kMinId } strategy = kNone;
  bool approx = false;
  int64_t maxlen = 0;
  StreamID minid;
  int64_t limit = 0;
  bool no_mkstream = false;  // XADD
  bool id_given = false;     // XADD: else "*"
  bool seq_auto = false;     // XADD "ms-*"
  StreamID id;
};

// Parses from argument 2; returns the index of XADD's ID (or argc for XTRIM), or 0 after an
// error reply.
size_t ParseTrimArgs(CommandContext& ctx, bool xadd, TrimArgs* a) {
  size_t i = 2;
  bool limit_given = false;
  for (; i < ctx.argc; ++i) {
    const size_t more = ctx.argc - 1 - i;
    std::string_view opt = ctx.arg(i);
    if (xadd && opt == "*") break;
    const bool maxlen = EqualsIgnoreCase(opt, "MAXLEN"), minid = EqualsIgnoreCase(opt, "MINID");
    if ((maxlen || minid) && more > 0) {
      if (a->strategy != TrimArgs::kNone) return ctx.out->Error(err::kStreamMaxlenAndMinid), 0;
      a->approx = false;
      std::string_view next = ctx.arg(i + 1);
      if (more >= 2 && (next == "~" || next == "=")) {
        a->approx = next == "~";
        ++i;
      }
      if (maxlen) {
        if (!ParseInt64(ctx.arg(i + 1), &a->maxlen)) return ctx.out->Error(err::kNotInteger), 0;
        if (a->maxlen < 0) return ctx.out->Error(err::kStreamMaxlenNegative), 0;
        a->strategy = TrimArgs::kMaxLen;
      } else {
        if (!ParseId(ctx, ctx.arg(i + 1), &a->minid, 0, true)) return 0;
        a->strategy = TrimArgs::kMinId;
      }
      ++i;
    } else if (EqualsIgnoreCase(opt, "LIMIT") && more > 0) {
      if (!ParseInt64(ctx.arg(i + 1), &a->limit)) return ctx.out->Error(err::kNotInteger), 0;
      if (a->limit < 0) return ctx.out->Error(err::kStreamLimitNegative), 0;
      limit_given = true;
      ++i;
    } else if (xadd && EqualsIgnoreCase(opt, "NOMKSTREAM")) {
      a->no_mkstream = true;
    } else if (xadd) {  // the ID, or an error
      if (!ParseId(ctx, opt, &a->id, 0, true, &a->seq_auto)) return 0;
      a->id_given = true;
      break;
    } else {
      return ctx.out->Error(err::kSyntax), 0;
    }
  }
  if (a->limit != 0 && a->strategy == TrimArgs::kNone)
    return ctx.out->Error(err::kStreamLimitWithoutStrategy), 0;
  if (!xadd && a->strategy == TrimArgs::kNone)
    return ctx.out->Error(err::kStreamXtrimWithoutStrategy), 0;
  if (limit_given) {
    if (!a->approx) return ctx.out->Error(err::kStreamLimitWithoutApprox), 0;
  } else if (a->approx) {  // Redis's default bound on an approximate trim's work
    a->limit = 100 * storage::Limits().stream_node_max_entries.load();
    if (a->limit <= 0 || a->limit > 10000) a->limit = 10000;
  } else {
    a->limit = 0;
  }
  return i;
}

uint64_t Trim(StreamObject* s, const TrimArgs& a) {
  const auto limit = static_cast<uint64_t>(a.limit);
  if (a.strategy == TrimArgs::kMaxLen)
    return s->TrimMaxLen(static_cast<uint64_t>(a.maxlen), a.approx, limit);
  if (a.strategy == TrimArgs::kMinId) return s->TrimMinId(a.minid, a.approx, limit);
  return 0;
}

// What a trim did, for the WAL: an exact MAXLEN to the length it left.
std::vector<std::string> TrimEffect(const KeyRef& k, const StreamObject& s) {
  return {"XTRIM", std::string(k.key), "MAXLEN", "=", std::to_string(s.length())};
}

// ---- commands ----

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...
void XAdd(CommandContext& ctx) {
  TrimArgs a;
  const size_t id_pos = ParseTrimArgs(ctx, true, &a);
  if (id_pos == 0) return;
  const size_t first = id_pos + 1;
  if (ctx.argc < first + 2 || (ctx.argc - first) % 2 != 0)
    return ctx.out->Error(Format(err::kWrongArity, "xadd"));
  if (a.id_given && !a.seq_auto && a.id.IsZero()) return ctx.out->Error(err::kStreamIdZero);
  const KeyRef& k = ctx.KeyAt(1);
  bool wrong_type;
  StreamObject* s = LookupStream(ctx, k, &wrong_type);
  if (wrong_type) return;
  if (s == nullptr && a.no_mkstream) return ctx.out->NullBulk();
  uint64_t total = 0;
  for (size_t i = first; i < ctx.argc; ++i) total += ctx.arg(i).size();
  if (total > (1u << 30)) return ctx.out->Error(err::kStreamTooLarge);
  if (s == nullptr) {  // nothing below can fail for a new stream: it gets its entry
    s = new StreamObject();
    k.shard->Put(Entry::NewObject(k.key, ObjType::kStream, s, storage::kNoExpire), k.hash);
  }
  const StreamID last = s->last_id();
  if (last.IsMax()) return ctx.out->Error(err::kStreamExhausted);
  StreamID id;
  if (!a.id_given) {  // "*": now, or the last ID's next when the clock is behind
    const auto now = static_cast<uint64_t>(ctx.now_ms);
    id = now > last.ms ? StreamID{now, 0} : StreamID{last.ms, last.seq + 1};
  } else if (a.seq_auto) {
    if (a.id.ms == last.ms) {
      if (last.seq == UINT64_MAX) return ctx.out->Error(err::kStreamIdTooSmall);
      id = {last.ms, last.seq + 1};
    } else {
      id = a.id;
    }
  } else {
    id = a.id;
  }
  if (id <= last) return ctx.out->Error(err::kStreamIdTooSmall);
  s->Append(id, ctx.argv + first, ctx.argc - first);
  ++ctx.dirty;
  std::vector<std::string> effect = {"XADD", std::string(k.key), id.ToString()};
  for (size_t i = first; i < ctx.argc; ++i) effect.emplace_back(ctx.arg(i));
  ctx.log_as = {std::move(effect)};
  if (a.strategy != TrimArgs::kNone && Trim(s, a) > 0) ctx.log_as.push_back(TrimEffect(k, *s));
  ReplyId(ctx, id);
}

// XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n]
void RangeGeneric(CommandContext& ctx, bool reverse) {
  StreamID start, end;
  bool start_ex, end_ex;
  if (!ParseBound(ctx, ctx.arg(reverse ? 3 : 2), &start, 0, &start_ex)) return;
  if (start_ex && !start.Increment()) return ctx.out->Error(err::kStreamInvalidStart);
  if (!ParseBound(ctx, ctx.arg(reverse ? 2 : 3), &end, UINT64_MAX, &end_ex)) return;
  if (end_ex && !end.Decrement()) return ctx.out->Error(err::kStreamInvalidEnd);
  int64_t count = -1;
  for (size_t j = 4; j < ctx.argc; ++j) {
    if (EqualsIgnoreCase(ctx.arg(j), "COUNT") && j + 1 < ctx.argc) {
      if (!ParseInt64(ctx.arg(j + 1), &count)) return ctx.out->Error(err::kNotInteger);
      if (count < 0) count = 0;
      ++j;
    } else {
      return ctx.out->Error(err::kSyntax);
    }
  }
  bool wrong_type;
  StreamObject* s = LookupStream(ctx, ctx.KeyAt(1), &wrong_type);
  if (wrong_type) return;
  if (s == nullptr) return ctx.out->ArrayHeader(0);
  if (count == 0) return ctx.out->NullArray();  // Redis 7.0's answer to COUNT 0
  std::vector<std::pair<StreamID, std::vector<std::string_view>>> rows;
  s->Range(start, end, reverse, count < 0 ? 0 : static_cast<size_t>(count),
           [&](StreamID id, const StreamFields& f) {
             std::vector<std::string_view> flat;
             flat.reserve(2 * f.size());
             for (size_t i = 0; i < f.size(); ++i) {
               flat.push_back(f.fields[i]);
               flat.push_back(f.values[i]);
             }
             rows.emplace_back(id, std::move(flat));
             return true;
           });
  ctx.out->ArrayHeader(rows.size());
  for (const auto& [id, flat] : rows) {
    ctx.out->ArrayHeader(2);
    ReplyId(ctx, id);
    ctx.out->ArrayHeader(flat.size());
    for (std::string_view v : flat) ctx.out->Bulk(v);
  }
}

void XRange(CommandContext& ctx) { RangeGeneric(ctx, false); }
void XRevRange(CommandContext& ctx) { RangeGeneric(ctx, true); }

void XLen(CommandContext& ctx) {
  bool wrong_type;
  StreamObject* s = LookupStream(ctx, ctx.KeyAt(1), &wrong_type);
  if (wrong_type) return;
  ctx.out->Integer(s == nullptr ? 0 : static_cast<int64_t>(s->length()));
}

// XDEL key id [id ...]: every ID is checked before anything is deleted.
void XDel(CommandContext& ctx) {
  std::vector<StreamID> ids(ctx.argc - 2);
  for (size_t i = 2; i < ctx.argc; ++i)
    if (!ParseId(ctx, ctx.arg(i), &ids[i - 2], 0, true)) return;
  bool wrong_type;
  StreamObject* s = LookupStream(ctx, ctx.KeyAt(1), &wrong_type);
  if (wrong_type) return;
  int64_t deleted = 0;
  if (s != nullptr) {
    for (const StreamID& id : ids) {
      if (!s->Delete(id)) continue;
      if (id > s->max_deleted_id()) s->SetMaxDeletedId(id);
      ++deleted;
    }
  }
  ctx.dirty += static_cast<uint64_t>(deleted);
  ctx.out->Integer(deleted);
}

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
void XTrim(CommandContext& ctx) {
  TrimArgs a;
  if (ParseTrimArgs(ctx, false, &a) == 0) return;
  const KeyRef& k = ctx.KeyAt(1);
  bool wrong_type;
  StreamObject* s = LookupStream(ctx, k, &wrong_type);
  if (wrong_type) return;
  uint64_t removed = s == nullptr ? 0 : Trim(s, a);
  if (removed > 0) {
    ctx.dirty += removed;
    ctx.log_as = {TrimEffect(k, *s)};
  }
  ctx.out->Integer(static_cast<int64_t>(removed));
}

// XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]
void XSetId(CommandContext& ctx) {
  StreamID id, max_deleted;
  int64_t entries_added = -1;
  if (!ParseId(ctx, ctx.arg(2), &id, 0, true)) return;
  for (size_t i = 3; i < ctx.argc; i += 2) {
    std::string_view opt = ctx.arg(i);
    const bool more = i + 1 < ctx.argc;
    if (EqualsIgnoreCase(opt, "ENTRIESADDED") && more) {
      if (!ParseInt64(ctx.arg(i + 1), &entries_added)) return ctx.out->Error(err::kNotInteger);
      if (entries_added < 0) return ctx.out->Error(err::kStreamEntriesAddedNegative);
    } else if (EqualsIgnoreCase(opt, "MAXDELETEDID") && more) {
      if (!ParseId(ctx, ctx.arg(i + 1), &max_deleted, 0, true)) return;
      if (id < max_deleted) return ctx.out->Error(err::kStreamSetIdBelowGivenMaxDeleted);
    } else {
      return ctx.out->Error(err::kSyntax);
    }
  }
  bool wrong_type;
  StreamObject* s = LookupStream(ctx, ctx.KeyAt(1), &wrong_type);
  if (wrong_type) return;
  if (s == nullptr) return ctx.out->Error(err::kNoSuchKey);
  if (s->length() > 0) {
    StreamID top;
    s->Range(StreamID{}, StreamID::Max(), true, 1, [&](StreamID e, const StreamFields&) {
      top = e;
      return false;
    });
    if (id < top) return ctx.out->Error(err::kStreamSetIdTooSmall);
    if (entries_added != -1 && s->length() > static_cast<uint64_t>(entries_added))
      return ctx.out->Error(err::kStreamEntriesAddedTooSmall);
  }
  s->SetLastId(id);
  if (entries_added != -1) s->SetEntriesAdded(static_cast<uint64_t>(entries_added));
  if (!max_deleted.IsZero()) s->SetMaxDeletedId(max_deleted);
  ++ctx.dirty;
  ctx.out->Ok();
}

// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
// Entries after each ID ("$": the stream's last ID now). Nothing there and BLOCK: the client
// waits in the blocking registry, its "$"s replaced by the IDs they meant, and an XADD to one
// of the keys runs the command again for it (server/blocking.h).
void XRead(CommandContext& ctx) {
  int64_t count = 0, block_ms = -1;
  size_t streams_at = 0;
  for (size_t i = 1; i < ctx.argc; ++i) {
    const bool more = i + 1 < ctx.argc;
    std::string_view o = ctx.arg(i);
    if (EqualsIgnoreCase(o, "BLOCK") && more) {
      if (ctx.in_script)
        return ctx.out->Error(Format(err::kBlockInScript, std::string(ctx.arg(0)).c_str()));
      if (!ParseInt64(ctx.arg(++i), &block_ms)) return ctx.out->Error(err::kTimeoutNotInteger);
      if (block_ms < 0) return ctx.out->Error(err::kTimeoutNegative);
    } else if (EqualsIgnoreCase(o, "COUNT") && more) {
      if (!ParseInt64(ctx.arg(++i), &count)) return ctx.out->Error(err::kNotInteger);
      if (count < 0) count = 0;
    } else if (EqualsIgnoreCase(o, "STREAMS") && more) {
      streams_at = i + 1;
      if ((ctx.argc - streams_at) % 2 != 0) return ctx.out->Error(err::kStreamUnbalanced);
      break;
    } else {
      return ctx.out->Error(err::kSyntax);
    }
  }
  if (streams_at == 0) return ctx.out->Error(err::kSyntax);
  const size_t n = (ctx.argc - streams_at) / 2;
  std::vector<StreamObject*> streams(n);
  std::vector<StreamID> after(n);
  bool dollar = false;
  for (size_t i = 0; i < n; ++i) {
    const KeyRef& k = ctx.KeyAt(streams_at + i);
    Entry* e = k.shard->Find(k.key, k.hash, ctx.now_ms);
    if (e != nullptr && e->type() != ObjType::kStream) {
      // A waiter is served only from a stream (Redis passes over a key of another type).
      if (!ctx.serving_blocked) return ctx.out->Error(err::kWrongType);
      e = nullptr;
    }
    streams[i] = e != nullptr ? static_cast<StreamObject*>(e->obj()) : nullptr;
    std::string_view id = ctx.arg(streams_at + n + i);
    if (id == "$") {
      after[i] = streams[i] != nullptr ? streams[i]->last_id() : StreamID{};
      dollar = true;
    } else if (id == ">") {
      return ctx.out->Error(err::kStreamGtOnlyGroup);
    } else if (!ParseId(ctx, id, &after[i], 0, true)) {
      return;
    }
  }
  // What can be served now: each stream's entries after its ID.
  struct Served {
    size_t i;
    std::vector<std::pair<StreamID, std::vector<std::string_view>>> rows;
  };
  std::vector<Served> served;
  for (size_t i = 0; i < n; ++i) {
    StreamObject* s = streams[i];
    StreamID start = after[i];
    if (s == nullptr || s->length() == 0 || !start.Increment()) continue;
    Served sv{i, {}};
    s->Range(start, StreamID::Max(), false, static_cast<size_t>(count),
             [&](StreamID id, const StreamFields& f) {
               std::vector<std::string_view> flat;
               for (size_t j = 0; j < f.size(); ++j) {
                 flat.push_back(f.fields[j]);
                 flat.push_back(f.values[j]);
               }
               sv.rows.emplace_back(id, std::move(flat));
               return true;
             });
    if (!sv.rows.empty()) served.push_back(std::move(sv));
  }
  if (!served.empty()) {
    if (ctx.out->resp3())
      ctx.out->MapHeader(served.size());
    else
      ctx.out->ArrayHeader(served.size());
    for (const Served& sv : served) {
      if (!ctx.out->resp3()) ctx.out->ArrayHeader(2);
      ctx.out->Bulk(ctx.arg(streams_at + sv.i));
      ctx.out->ArrayHeader(sv.rows.size());
      for (const auto& [id, flat] : sv.rows) {
        ctx.out->ArrayHeader(2);
        ReplyId(ctx, id);
        ctx.out->ArrayHeader(flat.size());
        for (std::string_view v : flat) ctx.out->Bulk(v);
      }
    }
    return;
  }
  if (ctx.serving_blocked) {
    ctx.not_served = true;
    return;
  }
  if (block_ms < 0 || ctx.nested || ctx.blocker == nullptr) return ctx.out->NullArray();
  std::vector<std::string_view> keys(ctx.argv + streams_at, ctx.argv + streams_at + n);
  if (!dollar) return ctx.blocker->Block(ctx, keys, block_ms, TimeoutReply::kNullArray);
  std::vector<std::string> again(ctx.argv, ctx.argv + ctx.argc);  // "$" as the ID it meant
  for (size_t i = 0; i < n; ++i)
    if (again[streams_at + n + i] == "$") again[streams_at + n + i] = after[i].ToString();
  ctx.blocker->Block(ctx, keys, block_ms, TimeoutReply::kNullArray, &again);
}

// ---- registration ----

CommandSpec Cmd(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys, Handler h,
                const char* since, const char* summary, const char* syntax) {
  return MakeSpec(name, arity, flags, std::move(keys), h, "stream", since, summary, syntax);
}

}  // namespace

void RegisterStreamFamily(CommandRegistry& r) {
  // Arity, flags and key specs as Redis 7.0.15's COMMAND INFO reports them (kRandom: Redis's
  // nondeterministic_output tip).
  const CommandSpec specs[] = {
      Cmd("xadd", -5, kWrite | kDenyOom | kFast | kRandom,
          {Noted(Key(1, kKeyRW | kKeyUpdate),
                 "UPDATE instead of INSERT because of the optional trimming feature")},
          XAdd, "5.0.0", "Appends a new entry to a stream",
          "key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field "
          "value [field value ...]"),
      Cmd("xrange", -4, kReadOnly, {Key(1, kKeyRO | kKeyAccess)}, XRange, "5.0.0",
          "Return a range of elements in a stream, with IDs matching the specified IDs interval",
          "key start end [COUNT count]"),
      Cmd("xrevrange", -4, kReadOnly, {Key(1, kKeyRO | kKeyAccess)}, XRevRange, "5.0.0",
          "Return a range of elements in a stream, with IDs matching the specified IDs interval, "
          "in reverse order (from greater to smaller IDs) compared to XRANGE",
          "key end start [COUNT count]"),
      Cmd("xlen", 2, kReadOnly | kFast, {Key(1, kKeyRO)}, XLen, "5.0.0",
          "Return the number of entries in a stream", "key"),
      Cmd("xdel", -3, kWrite | kFast, {Key(1, kKeyRW | kKeyDelete)}, XDel, "5.0.0",
          "Removes the specified entries from the stream. Returns the number of items actually "
          "deleted, that may be different from the number of IDs passed in case certain IDs do "
          "not exist.",
          "key id [id ...]"),
      Cmd("xtrim", -4, kWrite | kRandom, {Key(1, kKeyRW | kKeyDelete)}, XTrim, "5.0.0",
          "Trims the stream to (approximately if '~' is passed) a certain size",
          "key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]"),
      Cmd("xread", -4, kReadOnly | kBlocking,
          {KeyAfter("STREAMS", 1, -1, 1, 2, kKeyRO | kKeyAccess)}, XRead, "5.0.0",
          "Return never seen elements in multiple streams, with IDs greater than the ones "
          "reported by the caller for each stream. Can block.",
          "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]"),
      Cmd("xsetid", -3, kWrite | kDenyOom | kFast, {Key(1, kKeyRW | kKeyUpdate)}, XSetId, "5.0.0",
          "An internal command for replicating stream values",
          "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]"),
  };
  for (const CommandSpec& s : specs) r.Register(s);
}

}  // namespace strata::cmd
