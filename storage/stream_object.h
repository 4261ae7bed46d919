// A Redis stream value (OBJECT ENCODING "stream"): entries with 128-bit IDs (ms-seq), ascending,
// each a list of field-value pairs.
//
// Layout: like Redis's, entries are grouped into nodes of up to stream-node-max-entries entries
// (or stream-node-max-bytes), kept in a B-tree (abseil's btree_map) by the node's master ID,
// the ID of the entry that opened it. A node is one byte string:
//
//   master fields:  count (varint) | field ... (each: length varint | bytes)
//   entries:        flags (1 byte) | ms - master.ms (varint) | seq - master.seq (zigzag varint)
//                   | [count (varint) | field ...]  unless kSameFields (the master's fields)
//                   | value ...
//
// flags: kDeleted (XDEL, or an exact trim inside the node: the bytes stay until the whole
// node goes, as in Redis) and kSameFields. A lookup is a B-tree search and a walk of at most
// one node; trimming drops whole nodes from the front, so neither is O(length).
//
// Node boundaries follow Redis's rule exactly (a new node when the entries, live and deleted,
// reach stream-node-max-entries, or when Redis's listpack for the node would reach
// stream-node-max-bytes with the new entry: RedisListpackBytes below), so approximate
// trimming (MAXLEN ~, MINID ~) removes the same entries as redis-server.
//
// Thread: none; guarded by the shard lock of the key that owns it. Views handed to callbacks
// are valid until the stream changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/btree_map.h>
#include <absl/container/btree_set.h>

#include "storage/entry.h"

namespace strata::storage {

struct StreamID {
  uint64_t ms = 0, seq = 0;

  static constexpr StreamID Max() { return {UINT64_MAX, UINT64_MAX}; }
  bool IsZero() const { return ms == 0 && seq == 0; }
  bool IsMax() const { return ms == UINT64_MAX && seq == UINT64_MAX; }
  // The next (previous) ID; false at the end (start) of the ID space.
  bool Increment();
  bool Decrement();
  static constexpr size_t kBufSize = 42;  // "18446744073709551615-18446744073709551615"
  size_t Format(char* buf) const;
  std::string ToString() const;

  friend bool operator<(const StreamID& a, const StreamID& b) {
    return a.ms < b.ms || (a.ms == b.ms && a.seq < b.seq);
  }
  friend bool operator==(const StreamID& a, const StreamID& b) {
    return a.ms == b.ms && a.seq == b.seq;
  }
  friend bool operator!=(const StreamID& a, const StreamID& b) { return !(a == b); }
  friend bool operator<=(const StreamID& a, const StreamID& b) { return !(b < a); }
  friend bool operator>(const StreamID& a, const StreamID& b) { return b < a; }
  friend bool operator>=(const StreamID& a, const StreamID& b) { return !(a < b); }
};

// One entry's field-value pairs, as views (fields()[i] goes with values()[i]).
struct StreamFields {
  std::vector<std::string_view> fields, values;
  size_t size() const { return values.size(); }
};

// Consumer groups (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM): what a group has
// delivered, and the deliveries waiting for XACK (its pending entries list, PEL), each owned by
// one consumer.
struct StreamConsumer {
  int64_t seen_time = 0;              // ms: its last read or claim
  absl::btree_set<StreamID> pending;  // its part of the group's PEL
};
// By name, as Redis lists them; std::less<> so a lookup by string_view allocates nothing.
using StreamConsumers = std::map<std::string, StreamConsumer, std::less<>>;

struct StreamNack {
  int64_t delivery_time = 0;  // ms, the last delivery
  uint64_t delivery_count = 0;
  // Its owner: ->first the name, ->second the consumer. A std::map iterator stays valid until
  // that consumer is erased, and a consumer's pending entries are erased before it is. 8 bytes
  // where the name was 32: a PEL B-tree node holds twice as many entries, so XACK's lookup
  // walks fewer levels.
  StreamConsumers::iterator consumer;
};

struct StreamGroup {
  StreamID last_id;           // the last entry delivered
  int64_t entries_read = -1;  // Redis 7's logical read counter; -1: unknown
  absl::btree_map<StreamID, StreamNack> pel;
  StreamConsumers consumers;

  StreamGroup() = default;
  // A copy re-points its pending entries at its own consumers.
  StreamGroup(const StreamGroup& other);
  StreamGroup& operator=(const StreamGroup& other);
  // A move keeps std::map's nodes, so the iterators stay valid.
  StreamGroup(StreamGroup&&) = default;
  StreamGroup& operator=(StreamGroup&&) = default;
};
// By name; std::less<> so a lookup by string_view allocates nothing.
using StreamGroups = std::map<std::string, StreamGroup, std::less<>>;

class StreamObject final : public Object {
 public:
  StreamObject() = default;
  const char* EncodingName() const override { return "stream"; }
  Object* Clone() const override;

  uint64_t length() const { return length_; }
  StreamID last_id() const { return last_id_; }
  StreamID max_deleted_id() const { return max_deleted_id_; }
  uint64_t entries_added() const { return entries_added_; }
  // The first live entry's ID (0-0 when empty): XINFO's recorded-first-entry-id.
  StreamID first_id() const { return EdgeId(false); }
  size_t num_nodes() const { return nodes_.size(); }
  // Nodes and pending entries (each group's PEL is O(its size) to free).
  size_t FreeEffort() const override {
    size_t n = nodes_.size();
    for (const auto& [name, g] : groups_) n += g.pel.size() + g.consumers.size();
    return n;
  }

  // Appends an entry; id must be above last_id() (the caller checks). pairs: field, value,
  // field, value... (an even count, at least 2).
  void Append(StreamID id, const std::string_view* pairs, size_t n);
  // XDEL of one ID: true if a live entry was deleted.
  bool Delete(StreamID id);
  // Redis's streamTrim: MAXLEN keeps at most maxlen entries, MINID drops entries below minid.
  // approx: only whole nodes go; limit (0: none) bounds the entries removed. Returns them.
  uint64_t TrimMaxLen(uint64_t maxlen, bool approx, uint64_t limit);
  uint64_t TrimMinId(StreamID minid, bool approx, uint64_t limit);
  // XSETID.
  void SetLastId(StreamID id) { last_id_ = id; }
  void SetEntriesAdded(uint64_t n) { entries_added_ = n; }
  void SetMaxDeletedId(StreamID id) { max_deleted_id_ = id; }

  // Calls fn(StreamID, const StreamFields&) for the live entries with start <= id <= end,
  // ascending, or descending when reverse, at most count of them (0: all). fn returns false to
  // stop. Returns the number of entries passed to fn.
  template <typename Fn>
  size_t Range(StreamID start, StreamID end, bool reverse, size_t count, Fn&& fn) const;

  // Heap bytes held (node buffers by length): tests and bytes-per-entry figures.
  size_t ApproxBytes() const;

  StreamGroups& groups() { return groups_; }
  const StreamGroups& groups() const { return groups_; }
  // Redis's streamEstimateDistanceFromFirstEverEntry: the logical read counter of id, or -1
  // when it cannot be known (deletions ahead of it).
  int64_t EstimateEntriesRead(StreamID id) const;
  // Redis's streamRangeHasTombstones: a deleted entry may lie within [start, end].
  bool RangeHasTombstones(StreamID start, StreamID end) const;
  // The last live entry's ID (0-0 when empty).
  StreamID last_live_id() const { return EdgeId(true); }
  // The entry with this ID, if live: fn(const StreamFields&) is called. False if none.
  template <typename Fn>
  bool Lookup(StreamID id, Fn&& fn) const {
    return Range(id, id, false, 1, [&](StreamID, const StreamFields& f) {
             fn(f);
             return false;
           }) == 1;
  }

 private:
  enum : uint8_t { kDeleted = 1, kSameFields = 2 };
  struct Node {
    std::string data;
    uint32_t master_end = 0;  // where the first entry starts
    uint32_t live = 0, deleted = 0;
    // Redis's listpack bytes for this node, less its live/deleted integers (they change).
    uint64_t lp_rest = 0;
  };
  // One decoded entry of a node.
  struct Cursor {
    size_t offset = 0;  // of the flags byte
    size_t next = 0;    // of the next entry
    uint8_t flags = 0;
    StreamID id;
  };
  using Nodes = absl::btree_map<StreamID, Node>;

  static void MasterFields(const Node& node, std::vector<std::string_view>* out);
  // Decodes the entry at c->offset (fields/values into *f unless f is null).
  static void Decode(const Node& node, StreamID master, const std::vector<std::string_view>& mf,
                     Cursor* c, StreamFields* f);
  static uint64_t NodeLpBytes(const Node& n);
  StreamID EdgeId(bool last) const;  // the first (last) live entry's ID, 0-0 if none
  // Marks the entry at c deleted (it is live).
  void MarkDeleted(Node& node, const Cursor& c);
  template <typename Whole, typename Done>
  uint64_t TrimFront(bool approx, uint64_t limit, Whole&& whole, Done&& done);

  Nodes nodes_;
  StreamGroups groups_;
  uint64_t length_ = 0;
  StreamID last_id_, max_deleted_id_;
  uint64_t entries_added_ = 0;
};

// The bytes Redis's listpack spends on one element: an integer (v), or a string (which it
// stores as an integer when it is one, as lpAppend does).
size_t RedisListpackIntBytes(int64_t v);
size_t RedisListpackStringBytes(std::string_view s);

// ---- inline definitions ----

template <typename Fn>
size_t StreamObject::Range(StreamID start, StreamID end, bool reverse, size_t count,
                           Fn&& fn) const {
  if (start > end || nodes_.empty()) return 0;
  size_t sent = 0;
  std::vector<std::string_view> mf;
  StreamFields fields;
  std::vector<Cursor> cursors;  // one node's entries, for a reverse walk
  auto visit = [&](const StreamID& master, const Node& node) -> bool {  // false: stop
    MasterFields(node, &mf);
    Cursor c;
    c.offset = node.master_end;
    if (!reverse) {
      while (c.offset < node.data.size()) {
        Decode(node, master, mf, &c, nullptr);
        if (c.id > end) return false;
        if (!(c.flags & kDeleted) && c.id >= start) {
          Decode(node, master, mf, &c, &fields);
          ++sent;
          if (!fn(c.id, static_cast<const StreamFields&>(fields))) return false;
          if (count != 0 && sent == count) return false;
        }
        c.offset = c.next;
      }
      return true;
    }
    cursors.clear();
    while (c.offset < node.data.size()) {
      Decode(node, master, mf, &c, nullptr);
      if (c.id > end) break;
      cursors.push_back(c);
      c.offset = c.next;
    }
    for (auto it = cursors.rbegin(); it != cursors.rend(); ++it) {
      Cursor e = *it;
      if (e.id < start) return false;
      if (e.flags & kDeleted) continue;
      Decode(node, master, mf, &e, &fields);
      ++sent;
      if (!fn(e.id, static_cast<const StreamFields&>(fields))) return false;
      if (count != 0 && sent == count) return false;
    }
    return true;
  };
  if (!reverse) {
    auto it = nodes_.upper_bound(start);  // the node holding start is the one before
    if (it != nodes_.begin()) --it;
    for (; it != nodes_.end() && it->first <= end; ++it)
      if (!visit(it->first, it->second)) break;
  } else {
    auto it = nodes_.upper_bound(end);
    while (it != nodes_.begin()) {
      --it;
      if (!visit(it->first, it->second)) break;
    }
  }
  return sent;
}

}  // namespace strata::storage
