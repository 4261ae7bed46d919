// Stream commands (Redis's t_stream.c): XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID,
// XREAD and XREADGROUP (blocking through the blocking registry, like BLPOP), the consumer
// groups (XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM) and XINFO.
// Replies, error texts and the order in which arguments are checked follow Redis 7.0.15. The
// value is storage::StreamObject. A stream may be empty and still exist (XDEL or XTRIM of its
// last entry keeps the key, as in Redis).
//
// WAL: XADD logs its effect (the ID it chose, the trim it did as an exact MAXLEN), so replay
// never depends on the clock or on node boundaries; the others replay as they are.
#include <cctype>
#include <string>
#include <vector>

#include <absl/container/inlined_vector.h>

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
  // Up to 19 digits and nothing else (IDs as clients send them, zero-padded or not): both
  // grammars give the plain value, and it cannot overflow. One pass, no second parse.
  if (!s.empty() && s.size() <= 19) {
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size(); ++i) {
      const unsigned d = static_cast<unsigned char>(s[i]) - '0';
      if (d > 9) break;
      v = v * 10 + d;
    }
    if (i == s.size()) return *out = v, true;
  }
  int64_t ll;
  if (ParseInt64(s, &ll)) {
    if (ll < 0) return false;
    *out = static_cast<uint64_t>(ll);
    return true;
  }
  // strtoull's grammar, whole and without an allocation (zero-padded IDs come this way: a
  // redis-benchmark __rand_int__): spaces, a sign ('-' negates modulo 2^64), decimal digits.
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i == s.size()) return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;  // ERANGE
    v = v * 10 + d;
  }
  *out = negative ? 0 - v : v;
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

// An entry's pairs as one list (field, value, field, value...), as replies carry them.
std::vector<std::string_view> Flatten(const StreamFields& f) {
  std::vector<std::string_view> flat;
  flat.reserve(2 * f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    flat.push_back(f.fields[i]);
    flat.push_back(f.values[i]);
  }
  return flat;
}

// Entries as views: (ID, flattened pairs).
using Rows = std::vector<std::pair<StreamID, std::vector<std::string_view>>>;

void ReplyRows(CommandContext& ctx, const Rows& rows) {
  ctx.out->ArrayHeader(rows.size());
  for (const auto& [id, flat] : rows) {
    ctx.out->ArrayHeader(2);
    ReplyId(ctx, id);
    if (flat.empty()) {  // a pending entry no longer in the stream (XREADGROUP history)
      ctx.out->NullArray();
      continue;
    }
    ctx.out->ArrayHeader(flat.size());
    for (std::string_view v : flat) ctx.out->Bulk(v);
  }
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
  Rows rows;
  s->Range(start, end, reverse, count < 0 ? 0 : static_cast<size_t>(count),
           [&](StreamID id, const StreamFields& f) {
             rows.emplace_back(id, Flatten(f));
             return true;
           });
  ReplyRows(ctx, rows);
}

void XRange(CommandContext& ctx) { RangeGeneric(ctx, false); }
void XRevRange(CommandContext& ctx) { RangeGeneric(ctx, true); }

void XLen(CommandContext& ctx) {
  bool wrong_type;
  StreamObject* s = LookupStream(ctx, ctx.KeyAt(1), &wrong_type);
  if (wrong_type) return;
  ctx.out->Integer(s == nullptr ? 0 : static_cast<int64_t>(s->length()));
}

// The strict IDs from argument `from` on, all checked before anything changes (XDEL, XACK).
using StreamIds = absl::InlinedVector<StreamID, 8>;  // XACK/XDEL name a few IDs: no malloc
bool ParseIds(CommandContext& ctx, size_t from, StreamIds* ids) {
  ids->resize(ctx.argc - from);
  for (size_t i = from; i < ctx.argc; ++i)
    if (!ParseId(ctx, ctx.arg(i), &(*ids)[i - from], 0, true)) return false;
  return true;
}

// XDEL key id [id ...]
void XDel(CommandContext& ctx) {
  StreamIds ids;
  if (!ParseIds(ctx, 2, &ids)) return;
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

// ---- consumer groups ----

using storage::StreamConsumer;
using storage::StreamConsumers;
using storage::StreamGroup;
using storage::StreamNack;

// XGROUP CREATE|SETID's ENTRIESREAD value: >= 0 or -1 (unknown).
bool ParseEntriesRead(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (!ParseInt64(arg, out)) return ctx.out->Error(err::kNotInteger), false;
  if (*out < -1) return ctx.out->Error(err::kStreamEntriesReadNegative), false;
  return true;
}

// The consumer named so, created (seen now) if missing; *created says whether it was.
StreamConsumers::iterator ConsumerOf(StreamGroup& g, std::string_view name, int64_t now_ms,
                                     bool* created = nullptr) {
  auto it = g.consumers.find(name);  // no allocation for a consumer that exists
  const bool fresh = it == g.consumers.end();
  if (fresh) {
    it = g.consumers.emplace(std::string(name), StreamConsumer{}).first;
    it->second.seen_time = now_ms;
  }
  if (created != nullptr) *created = fresh;
  return it;
}

// Assigns the pending entry id of g to consumer c, taking it from its owner if another
// consumer had it (as Redis's XCLAIM does).
StreamNack& Own(StreamGroup& g, StreamID id, StreamConsumers::iterator c) {
  auto [it, fresh] = g.pel.try_emplace(id);
  StreamNack& n = it->second;
  if (!fresh && n.consumer != c) n.consumer->second.pending.erase(id);
  n.consumer = c;
  c->second.pending.insert(id);
  return n;
}

// Removes a pending entry from its group and its consumer (XACK; XCLAIM and XAUTOCLAIM of an
// entry deleted from the stream).
void DropNack(StreamGroup& g, absl::btree_map<StreamID, StreamNack>::iterator it) {
  it->second.consumer->second.pending.erase(it->first);
  g.pel.erase(it);
}

// The WAL's view of a delivery or claim (Redis propagates the same XCLAIM).
std::vector<std::string> ClaimEffect(std::string_view key, std::string_view group,
                                     const std::string& consumer, StreamID id,
                                     const StreamNack& n, StreamID last_id) {
  return {"XCLAIM",      std::string(key),     std::string(group),
          consumer,      "0",                  id.ToString(),
          "TIME",        std::to_string(n.delivery_time),
          "RETRYCOUNT",  std::to_string(n.delivery_count),
          "FORCE",       "JUSTID",
          "LASTID",      last_id.ToString()};
}

std::vector<std::string> SetIdEffect(std::string_view key, std::string_view group,
                                     const StreamGroup& g) {
  return {"XGROUP", "SETID", std::string(key), std::string(group), g.last_id.ToString(),
          "ENTRIESREAD", std::to_string(g.entries_read)};
}

// The entries of s after `after`, at most count (0: all), as views.
Rows EntriesAfter(const StreamObject& s, StreamID after, size_t count) {
  Rows rows;
  if (!after.Increment()) return rows;
  s.Range(after, StreamID::Max(), false, count, [&](StreamID id, const StreamFields& f) {
    rows.emplace_back(id, Flatten(f));
    return true;
  });
  return rows;
}


// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key ... id ...
// Entries after each ID ("$": the stream's last ID now; ">" with a group: those never delivered
// to it, which join its PEL unless NOACK; another ID with a group: the consumer's own pending
// entries after it). Nothing there and BLOCK: the client waits in the blocking registry, its
// "$"s replaced by the IDs they meant, and a write to one of the keys runs the command again
// for it (server/blocking.h). XREADGROUP logs its effects as XCLAIMs and XGROUP SETID.
void ReadGeneric(CommandContext& ctx, bool xreadgroup) {
  int64_t count = 0, block_ms = -1;
  size_t streams_at = 0;
  std::string_view group_name, consumer_name;
  bool have_group = false, noack = false;
  for (size_t i = 1; i < ctx.argc; ++i) {
    const size_t more = ctx.argc - 1 - i;
    std::string_view o = ctx.arg(i);
    if (EqualsIgnoreCase(o, "BLOCK") && more > 0) {
      if (ctx.in_script)
        return ctx.out->Error(Format(err::kBlockInScript, std::string(ctx.arg(0)).c_str()));
      if (!ParseInt64(ctx.arg(++i), &block_ms)) return ctx.out->Error(err::kTimeoutNotInteger);
      if (block_ms < 0) return ctx.out->Error(err::kTimeoutNegative);
    } else if (EqualsIgnoreCase(o, "COUNT") && more > 0) {
      if (!ParseInt64(ctx.arg(++i), &count)) return ctx.out->Error(err::kNotInteger);
      if (count < 0) count = 0;
    } else if (EqualsIgnoreCase(o, "STREAMS") && more > 0) {
      streams_at = i + 1;
      if ((ctx.argc - streams_at) % 2 != 0)
        return ctx.out->Error(xreadgroup ? err::kStreamUnbalancedGroup : err::kStreamUnbalanced);
      break;
    } else if (xreadgroup && EqualsIgnoreCase(o, "GROUP") && more >= 2) {
      group_name = ctx.arg(i + 1);
      consumer_name = ctx.arg(i + 2);
      have_group = true;
      i += 2;
    } else if (xreadgroup && EqualsIgnoreCase(o, "NOACK")) {
      noack = true;
    } else {
      return ctx.out->Error(err::kSyntax);
    }
  }
  if (streams_at == 0) return ctx.out->Error(err::kSyntax);
  if (xreadgroup && !have_group) return ctx.out->Error(err::kStreamMissingGroup);
  const size_t n = (ctx.argc - streams_at) / 2;
  std::vector<StreamObject*> streams(n);
  std::vector<StreamGroup*> groups(n, nullptr);
  std::vector<StreamID> after(n);
  std::vector<bool> new_only(n, false);  // XREADGROUP ">"
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
    if (xreadgroup) {
      auto g = streams[i] != nullptr ? streams[i]->groups().find(group_name)
                                     : storage::StreamGroups::iterator();
      if (streams[i] == nullptr || g == streams[i]->groups().end()) {
        if (ctx.serving_blocked) return ctx.out->Error(err::kStreamGroupGone);
        return ctx.out->Error(Format(err::kStreamNoKeyOrGroupRead, std::string(k.key).c_str(),
                                     std::string(group_name).c_str()));
      }
      groups[i] = &g->second;
    }
    std::string_view id = ctx.arg(streams_at + n + i);
    if (id == "$") {
      if (xreadgroup) return ctx.out->Error(err::kStreamDollarInGroup);
      after[i] = streams[i] != nullptr ? streams[i]->last_id() : StreamID{};
      dollar = true;
    } else if (id == ">") {
      if (!xreadgroup) return ctx.out->Error(err::kStreamGtOnlyGroup);
      new_only[i] = true;
    } else if (!ParseId(ctx, id, &after[i], 0, true)) {
      return;
    }
  }
  // What can be served now.
  struct Served {
    size_t i;
    Rows rows;
  };
  std::vector<Served> served;
  for (size_t i = 0; i < n; ++i) {
    StreamObject* s = streams[i];
    if (s == nullptr) continue;
    if (!xreadgroup) {
      if (s->length() == 0) continue;
      Rows rows = EntriesAfter(*s, after[i], static_cast<size_t>(count));
      if (!rows.empty()) served.push_back({i, std::move(rows)});
      continue;
    }
    StreamGroup& g = *groups[i];
    if (new_only[i] && (s->length() == 0 || s->last_live_id() <= g.last_id)) continue;
    const std::string key(ctx.arg(streams_at + i));  // for the logged effects
    bool created;
    const auto owner = ConsumerOf(g, consumer_name, ctx.now_ms, &created);
    StreamConsumer& c = owner->second;
    c.seen_time = ctx.now_ms;
    const std::string consumer(consumer_name);
    if (created)
      ctx.log_as.push_back({"XGROUP", "CREATECONSUMER", key, std::string(group_name), consumer});
    Served sv{i, {}};
    if (!new_only[i]) {  // the consumer's own pending entries after the ID (never blocks)
      StreamID from = after[i];
      for (auto it = from.Increment() ? c.pending.lower_bound(from) : c.pending.end();
           it != c.pending.end() && (count == 0 || sv.rows.size() < static_cast<size_t>(count));
           ++it) {
        std::vector<std::string_view> flat;
        const bool live = s->Lookup(*it, [&](const StreamFields& f) { flat = Flatten(f); });
        if (live) {
          StreamNack& nack = g.pel[*it];
          nack.delivery_time = ctx.now_ms;
          ++nack.delivery_count;
          ctx.log_as.push_back(ClaimEffect(key, group_name, consumer, *it, nack, g.last_id));
        }
        sv.rows.emplace_back(*it, std::move(flat));
      }
      served.push_back(std::move(sv));
      continue;
    }
    sv.rows = EntriesAfter(*s, g.last_id, static_cast<size_t>(count));
    for (const auto& row : sv.rows) {
      const StreamID id = row.first;
      if (g.entries_read != -1 && !s->RangeHasTombstones(id, StreamID::Max()))
        ++g.entries_read;  // Redis's rule: counting on only while nothing was deleted ahead
      else if (s->entries_added() != 0)
        g.entries_read = s->EstimateEntriesRead(id);
      g.last_id = id;
      if (noack) continue;
      StreamNack& nack = Own(g, id, owner);
      nack.delivery_time = ctx.now_ms;
      nack.delivery_count = 1;
      ctx.log_as.push_back(ClaimEffect(key, group_name, consumer, id, nack, g.last_id));
    }
    ctx.log_as.push_back(SetIdEffect(key, group_name, g));
    served.push_back(std::move(sv));
  }
  if (xreadgroup && !ctx.log_as.empty()) ++ctx.dirty;
  if (!served.empty()) {
    if (ctx.out->resp3())
      ctx.out->MapHeader(served.size());
    else
      ctx.out->ArrayHeader(served.size());
    for (const Served& sv : served) {
      if (!ctx.out->resp3()) ctx.out->ArrayHeader(2);
      ctx.out->Bulk(ctx.arg(streams_at + sv.i));
      ReplyRows(ctx, sv.rows);
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

void XRead(CommandContext& ctx) { ReadGeneric(ctx, false); }
void XReadGroup(CommandContext& ctx) { ReadGeneric(ctx, true); }

// ---- consumer group commands ----

// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n]
void XGroupCreate(CommandContext& ctx) {
  bool mkstream = false;
  int64_t entries_read = -1;
  for (size_t i = 5; i < ctx.argc;) {
    if (EqualsIgnoreCase(ctx.arg(i), "MKSTREAM")) {
      mkstream = true;
      ++i;
    } else if (EqualsIgnoreCase(ctx.arg(i), "ENTRIESREAD") && i + 1 < ctx.argc) {
      if (!ParseEntriesRead(ctx, ctx.arg(i + 1), &entries_read)) return;
      i += 2;
    } else {
      return ctx.out->Error(Format(err::kUnknownSubcommandOrArity,
                                   static_cast<int>(ctx.arg(1).size()), ctx.arg(1).data(),
                                   "XGROUP"));
    }
  }
  const KeyRef& k = ctx.KeyAt(2);
  bool wrong_type;
  StreamObject* s = LookupStream(ctx, k, &wrong_type);
  if (wrong_type) return;
  if (s == nullptr && !mkstream) return ctx.out->Error(err::kStreamXgroupNoKey);
  StreamID id;
  if (ctx.arg(4) == "$") {
    id = s != nullptr ? s->last_id() : StreamID{};
  } else if (!ParseId(ctx, ctx.arg(4), &id, 0, true)) {
    return;
  }
  if (s == nullptr) {
    s = new StreamObject();
    k.shard->Put(Entry::NewObject(k.key, ObjType::kStream, s, storage::kNoExpire), k.hash);
    ctx.signal_watch = true;  // a new key: WATCH sees it, as Redis's signalModifiedKey here
  }
  auto [it, fresh] = s->groups().try_emplace(std::string(ctx.arg(3)));
  if (!fresh) return ctx.out->Error(err::kStreamBusyGroup);
  it->second.last_id = id;
  it->second.entries_read = entries_read;
  ++ctx.dirty;
  ctx.out->Ok();
}

// The stream and group an XGROUP subcommand names: nullptr after an error reply.
StreamGroup* GroupFor(CommandContext& ctx, StreamObject** stream) {
  bool wrong_type;
  StreamObject* s = LookupStream(ctx, ctx.KeyAt(2), &wrong_type);
  if (wrong_type) return nullptr;
  if (s == nullptr) return ctx.out->Error(err::kStreamXgroupNoKey), nullptr;
  auto it = s->groups().find(ctx.arg(3));
  if (it == s->groups().end()) {
    ctx.out->Error(Format(err::kStreamNoGroup, std::string(ctx.arg(3)).c_str(),
                          std::string(ctx.arg(2)).c_str()));
    return nullptr;
  }
  if (stream != nullptr) *stream = s;
  return &it->second;
}

// XGROUP SETID key group id|$ [ENTRIESREAD n]
void XGroupSetId(CommandContext& ctx) {
  StreamObject* s;
  StreamGroup* g = GroupFor(ctx, &s);
  if (g == nullptr) return;
  if (ctx.argc != 5 && ctx.argc != 7)
    return ctx.out->Error(Format(err::kUnknownSubcommandOrArity,
                                 static_cast<int>(ctx.arg(1).size()), ctx.arg(1).data(),
                                 "XGROUP"));
  StreamID id;
  int64_t entries_read = -1;
  if (ctx.arg(4) == "$") {
    id = s->last_id();
  } else if (!ParseId(ctx, ctx.arg(4), &id, 0, false)) {
    return;
  }
  if (ctx.argc == 7) {
    if (!EqualsIgnoreCase(ctx.arg(5), "ENTRIESREAD"))
      return ctx.out->Error(Format(err::kUnknownSubcommandOrArity,
                                   static_cast<int>(ctx.arg(1).size()), ctx.arg(1).data(),
                                   "XGROUP"));
    if (!ParseEntriesRead(ctx, ctx.arg(6), &entries_read)) return;
  }
  g->last_id = id;
  g->entries_read = entries_read;
  ++ctx.dirty;
  ctx.out->Ok();
}

// XGROUP DESTROY key group
void XGroupDestroy(CommandContext& ctx) {
  bool wrong_type;
  StreamObject* s = LookupStream(ctx, ctx.KeyAt(2), &wrong_type);
  if (wrong_type) return;
  if (s == nullptr) return ctx.out->Error(err::kStreamXgroupNoKey);
  const bool gone = s->groups().erase(std::string(ctx.arg(3))) > 0;
  ctx.dirty += gone;
  ctx.out->Integer(gone ? 1 : 0);
}

// XGROUP CREATECONSUMER key group consumer
void XGroupCreateConsumer(CommandContext& ctx) {
  StreamGroup* g = GroupFor(ctx, nullptr);
  if (g == nullptr) return;
  bool created;
  ConsumerOf(*g, ctx.arg(4), ctx.now_ms, &created);
  ctx.dirty += created;
  ctx.out->Integer(created ? 1 : 0);
}

// XGROUP DELCONSUMER key group consumer: its pending entries go with it.
void XGroupDelConsumer(CommandContext& ctx) {
  StreamGroup* g = GroupFor(ctx, nullptr);
  if (g == nullptr) return;
  auto it = g->consumers.find(ctx.arg(4));
  int64_t pending = 0;
  if (it != g->consumers.end()) {
    pending = static_cast<int64_t>(it->second.pending.size());
    for (StreamID id : it->second.pending) g->pel.erase(id);
    g->consumers.erase(it);
    ++ctx.dirty;
  }
  ctx.out->Integer(pending);
}

void XGroupHelp(CommandContext& ctx) {
  static const char* const kLines[] = {
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
      "HELP",
      "    Prints this help."};
  ctx.out->ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.out->SimpleString(l);
}

// XACK key group id [id ...]
void XAck(CommandContext& ctx) {
  StreamIds ids;
  if (!ParseIds(ctx, 3, &ids)) return;
  bool wrong_type;
  StreamObject* s = LookupStream(ctx, ctx.KeyAt(1), &wrong_type);
  if (wrong_type) return;
  int64_t acked = 0;
  if (s != nullptr) {
    auto g = s->groups().find(ctx.arg(2));
    if (g != s->groups().end()) {
      for (StreamID id : ids) {
        auto it = g->second.pel.find(id);
        if (it == g->second.pel.end()) continue;
        DropNack(g->second, it);
        ++acked;
      }
    }
  }
  ctx.dirty += static_cast<uint64_t>(acked);
  ctx.out->Integer(acked);
}

// The group an XPENDING/XCLAIM/XAUTOCLAIM names: nullptr after an error reply (WRONGTYPE, or
// NOGROUP for a missing key or group).
StreamGroup* GroupOrNoGroup(CommandContext& ctx, StreamObject** stream) {
  bool wrong_type;
  StreamObject* s = LookupStream(ctx, ctx.KeyAt(1), &wrong_type);
  if (wrong_type) return nullptr;
  auto g = s != nullptr ? s->groups().find(ctx.arg(2))
                        : storage::StreamGroups::iterator();
  if (s == nullptr || g == s->groups().end()) {
    ctx.out->Error(Format(err::kStreamNoKeyOrGroup, std::string(ctx.arg(1)).c_str(),
                          std::string(ctx.arg(2)).c_str()));
    return nullptr;
  }
  *stream = s;
  return &g->second;
}

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
void XPending(CommandContext& ctx) {
  const bool summary = ctx.argc == 3;
  if (!summary && (ctx.argc < 6 || ctx.argc > 9)) return ctx.out->Error(err::kSyntax);
  StreamID start, end;
  int64_t count = 0, min_idle = 0;
  std::string_view consumer;
  bool by_consumer = false;
  if (!summary) {
    size_t at = 3;
    if (EqualsIgnoreCase(ctx.arg(3), "IDLE")) {
      if (!ParseInt64(ctx.arg(4), &min_idle)) return ctx.out->Error(err::kNotInteger);
      if (ctx.argc < 8) return ctx.out->Error(err::kSyntax);
      at += 2;
    }
    if (!ParseInt64(ctx.arg(at + 2), &count)) return ctx.out->Error(err::kNotInteger);
    if (count < 0) count = 0;
    bool ex;
    if (!ParseBound(ctx, ctx.arg(at), &start, 0, &ex)) return;
    if (ex && !start.Increment()) return ctx.out->Error(err::kStreamInvalidStart);
    if (!ParseBound(ctx, ctx.arg(at + 1), &end, UINT64_MAX, &ex)) return;
    if (ex && !end.Decrement()) return ctx.out->Error(err::kStreamInvalidEnd);
    if (at + 3 < ctx.argc) {
      consumer = ctx.arg(at + 3);
      by_consumer = true;
    }
  }
  StreamObject* s;
  StreamGroup* g = GroupOrNoGroup(ctx, &s);
  if (g == nullptr) return;
  if (summary) {
    ctx.out->ArrayHeader(4);
    ctx.out->Integer(static_cast<int64_t>(g->pel.size()));
    if (g->pel.empty()) {
      ctx.out->NullBulk();
      ctx.out->NullBulk();
      return ctx.out->NullArray();
    }
    ReplyId(ctx, g->pel.begin()->first);
    ReplyId(ctx, g->pel.rbegin()->first);
    size_t with = 0;
    for (const auto& [name, c] : g->consumers) with += !c.pending.empty();
    ctx.out->ArrayHeader(with);
    for (const auto& [name, c] : g->consumers) {
      if (c.pending.empty()) continue;
      ctx.out->ArrayHeader(2);
      ctx.out->Bulk(name);
      char buf[24];
      ctx.out->Bulk(std::string_view(buf, FormatUint64(c.pending.size(), buf)));
    }
    return;
  }
  const StreamConsumer* only = nullptr;
  if (by_consumer) {
    auto c = g->consumers.find(consumer);
    if (c == g->consumers.end()) return ctx.out->ArrayHeader(0);
    only = &c->second;
  }
  std::vector<std::pair<StreamID, const StreamNack*>> rows;
  auto add = [&](StreamID id) {
    const StreamNack& n = g->pel.at(id);
    if (min_idle != 0 && ctx.now_ms - n.delivery_time < min_idle) return;
    rows.emplace_back(id, &n);
  };
  if (only != nullptr) {
    for (auto it = only->pending.lower_bound(start);
         count > 0 && it != only->pending.end() && *it <= end; ++it) {
      size_t before = rows.size();
      add(*it);
      count -= rows.size() > before;
    }
  } else {
    for (auto it = g->pel.lower_bound(start); count > 0 && it != g->pel.end() && it->first <= end;
         ++it) {
      size_t before = rows.size();
      add(it->first);
      count -= rows.size() > before;
    }
  }
  ctx.out->ArrayHeader(rows.size());
  for (const auto& [id, n] : rows) {
    ctx.out->ArrayHeader(4);
    ReplyId(ctx, id);
    ctx.out->Bulk(n->consumer->first);
    ctx.out->Integer(std::max<int64_t>(0, ctx.now_ms - n->delivery_time));
    ctx.out->Integer(static_cast<int64_t>(n->delivery_count));
  }
}

// XCLAIM's and XAUTOCLAIM's list of what was claimed: the entries, or only their IDs (JUSTID).
void ReplyClaimed(CommandContext& ctx, const Rows& claimed, bool justid) {
  if (!justid) return ReplyRows(ctx, claimed);
  ctx.out->ArrayHeader(claimed.size());
  for (const auto& row : claimed) ReplyId(ctx, row.first);
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE]
//        [JUSTID] [LASTID id]
void XClaim(CommandContext& ctx) {
  StreamObject* s;
  StreamGroup* g = GroupOrNoGroup(ctx, &s);
  if (g == nullptr) return;
  int64_t min_idle;
  if (!ParseInt64(ctx.arg(4), &min_idle)) return ctx.out->Error(err::kXclaimMinIdle);
  if (min_idle < 0) min_idle = 0;
  // The IDs first (all or nothing), then the options that follow them.
  std::vector<StreamID> ids;
  size_t j = 5;
  for (; j < ctx.argc; ++j) {
    StreamID id;
    std::string_view a = ctx.arg(j);
    size_t dash = a.find('-');
    uint64_t ms, seq = 0;
    if (a.size() > 127 || !ParseU64Redis(a.substr(0, dash), &ms) ||
        (dash != std::string_view::npos && !ParseU64Redis(a.substr(dash + 1), &seq)))
      break;
    ids.push_back({ms, seq});
  }
  const int64_t now = ctx.now_ms;
  int64_t delivery_time = -1, retry_count = -1;
  bool force = false, justid = false;
  StreamID last_id;
  for (; j < ctx.argc; ++j) {
    std::string_view opt = ctx.arg(j);
    const bool more = j + 1 < ctx.argc;
    if (EqualsIgnoreCase(opt, "FORCE")) {
      force = true;
    } else if (EqualsIgnoreCase(opt, "JUSTID")) {
      justid = true;
    } else if (EqualsIgnoreCase(opt, "IDLE") && more) {
      if (!ParseInt64(ctx.arg(++j), &delivery_time)) return ctx.out->Error(err::kXclaimIdle);
      delivery_time = now - delivery_time;
    } else if (EqualsIgnoreCase(opt, "TIME") && more) {
      if (!ParseInt64(ctx.arg(++j), &delivery_time)) return ctx.out->Error(err::kXclaimTime);
    } else if (EqualsIgnoreCase(opt, "RETRYCOUNT") && more) {
      if (!ParseInt64(ctx.arg(++j), &retry_count)) return ctx.out->Error(err::kXclaimRetryCount);
    } else if (EqualsIgnoreCase(opt, "LASTID") && more) {
      if (!ParseId(ctx, ctx.arg(++j), &last_id, 0, true)) return;
    } else {
      return ctx.out->Error(Format(err::kXclaimUnknownOption, std::string(opt).c_str()));
    }
  }
  const std::string key(ctx.arg(1)), group(ctx.arg(2)), consumer(ctx.arg(3));
  bool changed = false;
  if (last_id > g->last_id) {
    g->last_id = last_id;
    changed = true;
  }
  if (delivery_time == -1 || delivery_time < 0 || delivery_time > now) delivery_time = now;
  Rows claimed;
  for (StreamID id : ids) {
    auto it = g->pel.find(id);
    std::vector<std::string_view> flat;
    const bool live = s->Lookup(id, [&](const StreamFields& f) { flat = Flatten(f); });
    if (!live) {  // gone from the stream: gone from the PEL too
      if (it != g->pel.end()) {
        ctx.log_as.push_back(
            ClaimEffect(key, group, it->second.consumer->first, id, it->second, g->last_id));
        DropNack(*g, it);
        ++ctx.dirty;
      }
      continue;
    }
    const bool forced = it == g->pel.end();
    if (forced && !force) continue;
    if (!forced && min_idle != 0 && now - it->second.delivery_time < min_idle) continue;
    const auto owner = ConsumerOf(*g, consumer, now);
    owner->second.seen_time = now;
    StreamNack& nack = Own(*g, id, owner);
    nack.delivery_time = delivery_time;
    if (retry_count >= 0)
      nack.delivery_count = static_cast<uint64_t>(retry_count);
    else if (!justid)
      ++nack.delivery_count;
    claimed.emplace_back(id, std::move(flat));
    ctx.log_as.push_back(ClaimEffect(key, group, consumer, id, nack, g->last_id));
    ++ctx.dirty;
  }
  if (changed && ctx.log_as.empty()) {
    ctx.log_as.push_back(SetIdEffect(key, group, *g));
    ++ctx.dirty;
  }
  ReplyClaimed(ctx, claimed, justid);
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
void XAutoClaim(CommandContext& ctx) {
  int64_t min_idle;
  if (!ParseInt64(ctx.arg(4), &min_idle)) return ctx.out->Error(err::kXautoclaimMinIdle);
  if (min_idle < 0) min_idle = 0;
  StreamID start;
  bool ex;
  if (!ParseBound(ctx, ctx.arg(5), &start, 0, &ex)) return;
  if (ex && !start.Increment()) return ctx.out->Error(err::kStreamInvalidStart);
  int64_t count = 100;
  bool justid = false;
  for (size_t j = 6; j < ctx.argc; ++j) {
    if (EqualsIgnoreCase(ctx.arg(j), "COUNT") && j + 1 < ctx.argc) {
      if (!ParseInt64(ctx.arg(j + 1), &count) || count < 1 || count > INT64_MAX / 16)
        return ctx.out->Error(err::kXautoclaimCount);
      ++j;
    } else if (EqualsIgnoreCase(ctx.arg(j), "JUSTID")) {
      justid = true;
    } else {
      return ctx.out->Error(err::kSyntax);
    }
  }
  StreamObject* s;
  StreamGroup* g = GroupOrNoGroup(ctx, &s);
  if (g == nullptr) return;
  const std::string key(ctx.arg(1)), group(ctx.arg(2)), consumer(ctx.arg(3));
  const int64_t now = ctx.now_ms;
  int64_t attempts = count * 10;
  Rows claimed;
  std::vector<StreamID> deleted;
  auto it = g->pel.lower_bound(start);
  while (attempts-- > 0 && count > 0 && it != g->pel.end()) {
    const StreamID id = it->first;
    std::vector<std::string_view> flat;
    const bool live = s->Lookup(id, [&](const StreamFields& f) { flat = Flatten(f); });
    if (!live) {
      ctx.log_as.push_back(
          ClaimEffect(key, group, it->second.consumer->first, id, it->second, g->last_id));
      DropNack(*g, it);  // erasing invalidates the iterator: find the next one again
      it = g->pel.lower_bound(id);
      deleted.push_back(id);
      --count;
      ++ctx.dirty;
      continue;
    }
    if (min_idle != 0 && now - it->second.delivery_time < min_idle) {
      ++it;
      continue;
    }
    const auto owner = ConsumerOf(*g, consumer, now);
    owner->second.seen_time = now;
    StreamNack& nack = Own(*g, id, owner);
    nack.delivery_time = now;
    if (!justid) ++nack.delivery_count;
    claimed.emplace_back(id, std::move(flat));
    ctx.log_as.push_back(ClaimEffect(key, group, consumer, id, nack, g->last_id));
    ++ctx.dirty;
    --count;
    it = g->pel.upper_bound(id);
  }
  const StreamID cursor = it != g->pel.end() ? it->first : StreamID{};
  ctx.out->ArrayHeader(3);
  ReplyId(ctx, cursor);
  ReplyClaimed(ctx, claimed, justid);
  ctx.out->ArrayHeader(deleted.size());
  for (StreamID id : deleted) ReplyId(ctx, id);
}

// ---- XINFO ----

// The stream XINFO names (argument 2), or nullptr after "ERR no such key" / WRONGTYPE.
StreamObject* XInfoStreamOf(CommandContext& ctx) {
  bool wrong_type;
  StreamObject* s = LookupStream(ctx, ctx.KeyAt(2), &wrong_type);
  if (wrong_type) return nullptr;
  if (s == nullptr) ctx.out->Error(err::kNoSuchKey);
  return s;
}

// One entry as XRANGE shows it, or a null when there is none.
void ReplyEdgeEntry(CommandContext& ctx, const StreamObject& s, bool last) {
  Rows rows;
  s.Range(StreamID{}, StreamID::Max(), last, 1, [&](StreamID id, const StreamFields& f) {
    rows.emplace_back(id, Flatten(f));
    return false;
  });
  if (rows.empty()) return ctx.out->NullBulk();
  ctx.out->ArrayHeader(2);
  ReplyId(ctx, rows[0].first);
  ctx.out->ArrayHeader(rows[0].second.size());
  for (std::string_view v : rows[0].second) ctx.out->Bulk(v);
}

// Redis's streamReplyWithCGLag: entries not yet delivered to the group, or null when the
// deletions ahead of it make that unknown.
void ReplyLag(CommandContext& ctx, const StreamObject& s, const StreamGroup& g) {
  if (s.entries_added() == 0) return ctx.out->Integer(0);
  const auto added = static_cast<int64_t>(s.entries_added());
  if (g.entries_read != -1 && !s.RangeHasTombstones(g.last_id, StreamID::Max()))
    return ctx.out->Integer(added - g.entries_read);
  const int64_t read = s.EstimateEntriesRead(g.last_id);
  if (read == -1) return ctx.out->NullBulk();
  ctx.out->Integer(added - read);
}

void ReplyEntriesRead(CommandContext& ctx, const StreamGroup& g) {
  if (g.entries_read == -1) return ctx.out->NullBulk();
  ctx.out->Integer(g.entries_read);
}

// XINFO STREAM key [FULL [COUNT count]]
void XInfoStream(CommandContext& ctx) {
  StreamObject* s = XInfoStreamOf(ctx);
  if (s == nullptr) return;
  bool full = false;
  int64_t count = 10;
  if (ctx.argc > 3) {  // FULL [COUNT count]; anything else: Redis's subcommand error
    if (!EqualsIgnoreCase(ctx.arg(3), "FULL") || (ctx.argc != 4 && ctx.argc != 6) ||
        (ctx.argc == 6 && !EqualsIgnoreCase(ctx.arg(4), "COUNT")))
      return ctx.out->Error(Format(err::kUnknownSubcommandOrArity,
                                   static_cast<int>(ctx.arg(1).size()), ctx.arg(1).data(),
                                   "XINFO"));
    full = true;
    if (ctx.argc == 6) {
      if (!ParseInt64(ctx.arg(5), &count)) return ctx.out->Error(err::kNotInteger);
      if (count < 0) count = 0;
    }
  }
  ctx.out->MapHeader(full ? 9 : 10);
  ctx.out->Bulk("length");
  ctx.out->Integer(static_cast<int64_t>(s->length()));
  // Redis's radix tree holds one key per node of entries, as strata's B-tree does; its count of
  // inner nodes has no equivalent here: keys + 1 is reported (docs/COMMANDS.md).
  ctx.out->Bulk("radix-tree-keys");
  ctx.out->Integer(static_cast<int64_t>(s->num_nodes()));
  ctx.out->Bulk("radix-tree-nodes");
  ctx.out->Integer(static_cast<int64_t>(s->num_nodes()) + 1);
  ctx.out->Bulk("last-generated-id");
  ReplyId(ctx, s->last_id());
  ctx.out->Bulk("max-deleted-entry-id");
  ReplyId(ctx, s->max_deleted_id());
  ctx.out->Bulk("entries-added");
  ctx.out->Integer(static_cast<int64_t>(s->entries_added()));
  ctx.out->Bulk("recorded-first-entry-id");
  ReplyId(ctx, s->first_id());
  if (!full) {
    ctx.out->Bulk("groups");
    ctx.out->Integer(static_cast<int64_t>(s->groups().size()));
    ctx.out->Bulk("first-entry");
    ReplyEdgeEntry(ctx, *s, false);
    ctx.out->Bulk("last-entry");
    ReplyEdgeEntry(ctx, *s, true);
    return;
  }
  const auto limit = static_cast<size_t>(count);  // 0: all
  ctx.out->Bulk("entries");
  Rows rows;
  s->Range(StreamID{}, StreamID::Max(), false, limit, [&](StreamID id, const StreamFields& f) {
    rows.emplace_back(id, Flatten(f));
    return true;
  });
  ReplyRows(ctx, rows);
  ctx.out->Bulk("groups");
  ctx.out->ArrayHeader(s->groups().size());
  for (const auto& [name, g] : s->groups()) {
    ctx.out->MapHeader(7);
    ctx.out->Bulk("name");
    ctx.out->Bulk(name);
    ctx.out->Bulk("last-delivered-id");
    ReplyId(ctx, g.last_id);
    ctx.out->Bulk("entries-read");
    ReplyEntriesRead(ctx, g);
    ctx.out->Bulk("lag");
    ReplyLag(ctx, *s, g);
    ctx.out->Bulk("pel-count");
    ctx.out->Integer(static_cast<int64_t>(g.pel.size()));
    ctx.out->Bulk("pending");
    const size_t shown = limit == 0 ? g.pel.size() : std::min(limit, g.pel.size());
    ctx.out->ArrayHeader(shown);
    size_t n = 0;
    for (auto it = g.pel.begin(); n < shown; ++it, ++n) {
      ctx.out->ArrayHeader(4);
      ReplyId(ctx, it->first);
      ctx.out->Bulk(it->second.consumer->first);
      ctx.out->Integer(it->second.delivery_time);
      ctx.out->Integer(static_cast<int64_t>(it->second.delivery_count));
    }
    ctx.out->Bulk("consumers");
    ctx.out->ArrayHeader(g.consumers.size());
    for (const auto& [cname, c] : g.consumers) {
      ctx.out->MapHeader(4);
      ctx.out->Bulk("name");
      ctx.out->Bulk(cname);
      ctx.out->Bulk("seen-time");
      ctx.out->Integer(c.seen_time);
      ctx.out->Bulk("pel-count");
      ctx.out->Integer(static_cast<int64_t>(c.pending.size()));
      ctx.out->Bulk("pending");
      const size_t cshown = limit == 0 ? c.pending.size() : std::min(limit, c.pending.size());
      ctx.out->ArrayHeader(cshown);
      size_t k = 0;
      for (auto it = c.pending.begin(); k < cshown; ++it, ++k) {
        const StreamNack& nack = g.pel.at(*it);
        ctx.out->ArrayHeader(3);
        ReplyId(ctx, *it);
        ctx.out->Integer(nack.delivery_time);
        ctx.out->Integer(static_cast<int64_t>(nack.delivery_count));
      }
    }
  }
}

// XINFO GROUPS key
void XInfoGroups(CommandContext& ctx) {
  StreamObject* s = XInfoStreamOf(ctx);
  if (s == nullptr) return;
  ctx.out->ArrayHeader(s->groups().size());
  for (const auto& [name, g] : s->groups()) {
    ctx.out->MapHeader(6);
    ctx.out->Bulk("name");
    ctx.out->Bulk(name);
    ctx.out->Bulk("consumers");
    ctx.out->Integer(static_cast<int64_t>(g.consumers.size()));
    ctx.out->Bulk("pending");
    ctx.out->Integer(static_cast<int64_t>(g.pel.size()));
    ctx.out->Bulk("last-delivered-id");
    ReplyId(ctx, g.last_id);
    ctx.out->Bulk("entries-read");
    ReplyEntriesRead(ctx, g);
    ctx.out->Bulk("lag");
    ReplyLag(ctx, *s, g);
  }
}

// XINFO CONSUMERS key group
void XInfoConsumers(CommandContext& ctx) {
  StreamObject* s = XInfoStreamOf(ctx);
  if (s == nullptr) return;
  auto g = s->groups().find(ctx.arg(3));
  if (g == s->groups().end())
    return ctx.out->Error(Format(err::kStreamNoGroup, std::string(ctx.arg(3)).c_str(),
                                 std::string(ctx.arg(2)).c_str()));
  ctx.out->ArrayHeader(g->second.consumers.size());
  for (const auto& [cname, c] : g->second.consumers) {
    ctx.out->MapHeader(3);
    ctx.out->Bulk("name");
    ctx.out->Bulk(cname);
    ctx.out->Bulk("pending");
    ctx.out->Integer(static_cast<int64_t>(c.pending.size()));
    ctx.out->Bulk("idle");
    ctx.out->Integer(std::max<int64_t>(0, ctx.now_ms - c.seen_time));
  }
}

void XInfoHelp(CommandContext& ctx) {
  static const char* const kLines[] = {
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
      "HELP",
      "    Prints this help."};
  ctx.out->ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.out->SimpleString(l);
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
      Cmd("xread", -4, kReadOnly | kBlocking | kServedEach,
          {KeyAfter("STREAMS", 1, -1, 1, 2, kKeyRO | kKeyAccess)}, XRead, "5.0.0",
          "Return never seen elements in multiple streams, with IDs greater than the ones "
          "reported by the caller for each stream. Can block.",
          "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]"),
      Cmd("xreadgroup", -7, kWrite | kBlocking | kServedEach | kNoWatch,
          {KeyAfter("STREAMS", 4, -1, 1, 2, kKeyRO | kKeyAccess)}, XReadGroup, "5.0.0",
          "Return new entries from a stream using a consumer group, or access the history of "
          "the pending entries for a given consumer. Can block.",
          "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] "
          "id [id ...]"),
      Cmd("xack", -4, kWrite | kFast | kNoWatch, {Key(1, kKeyRW | kKeyUpdate)}, XAck, "5.0.0",
          "Marks a pending message as correctly processed, effectively removing it from the "
          "pending entries list of the consumer group. Return value of the command is the number "
          "of messages successfully acknowledged, that is, the IDs we were actually able to "
          "resolve in the PEL.",
          "key group id [id ...]"),
      Cmd("xpending", -3, kReadOnly | kRandom, {Key(1, kKeyRO | kKeyAccess)}, XPending, "5.0.0",
          "Return information and entries from a stream consumer group pending entries list, "
          "that are messages fetched but never acknowledged.",
          "key group [[IDLE min-idle-time] start end count [consumer]]"),
      Cmd("xclaim", -6, kWrite | kFast | kRandom | kNoWatch, {Key(1, kKeyRW | kKeyUpdate)}, XClaim,
          "5.0.0",
          "Changes (or acquires) ownership of a message in a consumer group, as if the message "
          "was delivered to the specified consumer.",
          "key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] "
          "[RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]"),
      Cmd("xautoclaim", -6, kWrite | kFast | kRandom | kNoWatch, {Key(1, kKeyRW | kKeyDelete)}, XAutoClaim,
          "6.2.0",
          "Changes (or acquires) ownership of messages in a consumer group, as if the messages "
          "were delivered to the specified consumer.",
          "key group consumer min-idle-time start [COUNT count] [JUSTID]"),
      Cmd("xsetid", -3, kWrite | kDenyOom | kFast | kNoWatch, {Key(1, kKeyRW | kKeyUpdate)}, XSetId, "5.0.0",
          "An internal command for replicating stream values",
          "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]"),
  };
  for (const CommandSpec& s : specs) r.Register(s);

  CommandSpec xgroup = Cmd("xgroup", -2, 0, {}, nullptr, "5.0.0",
                           "A container for consumer groups commands", "");
  xgroup.subcommands = {
      Cmd("xgroup|create", -5, kWrite | kDenyOom | kNoWatch, {Key(2, kKeyRW | kKeyInsert)}, XGroupCreate,
          "5.0.0", "Create a consumer group.",
          "key group <id | $> [MKSTREAM] [ENTRIESREAD entries-read]"),
      Cmd("xgroup|setid", -5, kWrite | kNoWatch, {Key(2, kKeyRW | kKeyUpdate)}, XGroupSetId, "5.0.0",
          "Set a consumer group to an arbitrary last delivered ID value.",
          "key group <id | $> [ENTRIESREAD entries-read]"),
      Cmd("xgroup|destroy", 4, kWrite | kNoWatch, {Key(2, kKeyRW | kKeyDelete)}, XGroupDestroy, "5.0.0",
          "Destroy a consumer group.", "key group"),
      Cmd("xgroup|createconsumer", 5, kWrite | kDenyOom | kNoWatch, {Key(2, kKeyRW | kKeyInsert)},
          XGroupCreateConsumer, "6.2.0", "Create a consumer in a consumer group.",
          "key group consumer"),
      Cmd("xgroup|delconsumer", 5, kWrite | kNoWatch, {Key(2, kKeyRW | kKeyDelete)}, XGroupDelConsumer,
          "5.0.0", "Delete a consumer from a consumer group.", "key group consumer"),
      Cmd("xgroup|help", 2, kLoading | kStale, {}, XGroupHelp, "5.0.0",
          "Show helpful text about the different subcommands", ""),
  };
  r.Register(std::move(xgroup));

  CommandSpec xinfo = Cmd("xinfo", -2, 0, {}, nullptr, "5.0.0",
                          "A container for stream introspection commands", "");
  xinfo.subcommands = {
      Cmd("xinfo|stream", -3, kReadOnly, {Key(2, kKeyRO | kKeyAccess)}, XInfoStream, "5.0.0",
          "Get information about a stream", "key [FULL [COUNT count]]"),
      Cmd("xinfo|groups", 3, kReadOnly, {Key(2, kKeyRO | kKeyAccess)}, XInfoGroups, "5.0.0",
          "List the consumer groups of a stream", "key"),
      Cmd("xinfo|consumers", 4, kReadOnly | kRandom, {Key(2, kKeyRO | kKeyAccess)},
          XInfoConsumers, "5.0.0", "List the consumers in a consumer group", "key group"),
      Cmd("xinfo|help", 2, kLoading | kStale, {}, XInfoHelp, "5.0.0",
          "Show helpful text about the different subcommands", ""),
  };
  r.Register(std::move(xinfo));
}

}  // namespace strata::cmd
