// Streams: nodes of delta-encoded entries in a B-tree (layout in stream_object.h).
#include "storage/stream_object.h"

#include <cstring>

#include "common/strutil.h"
#include "storage/limits.h"

namespace strata::storage {

// ---- IDs ----

bool StreamID::Increment() {
  if (seq != UINT64_MAX) {
    ++seq;
    return true;
  }
  if (ms == UINT64_MAX) return false;
  ++ms;
  seq = 0;
  return true;
}

bool StreamID::Decrement() {
  if (seq != 0) {
    --seq;
    return true;
  }
  if (ms == 0) return false;
  --ms;
  seq = UINT64_MAX;
  return true;
}

size_t StreamID::Format(char* buf) const {
  size_t n = FormatUint64(ms, buf);
  buf[n++] = '-';
  return n + FormatUint64(seq, buf + n);
}

std::string StreamID::ToString() const {
  char buf[kBufSize];
  return std::string(buf, Format(buf));
}

// ---- Redis's listpack sizes (for node boundaries identical to redis-server's) ----

namespace {

size_t BacklenBytes(size_t entry) {
  if (entry < 128) return 1;
  if (entry < 16384) return 2;
  if (entry < 2097152) return 3;
  if (entry < 268435456) return 4;
  return 5;
}

constexpr size_t kListpackOverhead = 7;  // total bytes (4), element count (2), end marker (1)

}  // namespace

size_t RedisListpackIntBytes(int64_t v) {
  size_t enc;
  if (v >= 0 && v <= 127) enc = 1;
  else if (v >= -4096 && v <= 4095) enc = 2;
  else if (v >= INT16_MIN && v <= INT16_MAX) enc = 3;
  else if (v >= -8388608 && v <= 8388607) enc = 4;
  else if (v >= INT32_MIN && v <= INT32_MAX) enc = 5;
  else enc = 9;
  return enc + BacklenBytes(enc);
}

size_t RedisListpackStringBytes(std::string_view s) {
  int64_t v;
  if (!s.empty() && s.size() <= 20 && ParseInt64(s, &v)) return RedisListpackIntBytes(v);
  size_t enc = s.size() < 64 ? 1 : s.size() < 4096 ? 2 : 5;
  return enc + s.size() + BacklenBytes(enc + s.size());
}

// ---- varints ----

namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

uint64_t GetVarint(const std::string& s, size_t* pos) {
  uint64_t v = 0;
  int shift = 0;
  for (;;) {
    auto b = static_cast<uint8_t>(s[(*pos)++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
    shift += 7;
  }
}

void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s.data(), s.size());
}

std::string_view GetString(const std::string& s, size_t* pos) {
  size_t len = GetVarint(s, pos);
  std::string_view v(s.data() + *pos, len);
  *pos += len;
  return v;
}

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

// ---- nodes ----

void StreamObject::MasterFields(const Node& node, std::vector<std::string_view>* out) {
  out->clear();
  size_t pos = 0;
  size_t n = GetVarint(node.data, &pos);
  for (size_t i = 0; i < n; ++i) out->push_back(GetString(node.data, &pos));
}

void StreamObject::Decode(const Node& node, StreamID master,
                          const std::vector<std::string_view>& mf, Cursor* c, StreamFields* f) {
  size_t pos = c->offset;
  c->flags = static_cast<uint8_t>(node.data[pos++]);
  c->id.ms = master.ms + GetVarint(node.data, &pos);
  c->id.seq = master.seq + static_cast<uint64_t>(UnZigZag(GetVarint(node.data, &pos)));
  size_t n = mf.size();
  const bool same = c->flags & kSameFields;
  if (f != nullptr) {
    f->fields.clear();
    f->values.clear();
  }
  if (!same) {
    n = GetVarint(node.data, &pos);
    for (size_t i = 0; i < n; ++i) {
      std::string_view field = GetString(node.data, &pos);
      if (f != nullptr) f->fields.push_back(field);
    }
  } else if (f != nullptr) {
    f->fields = mf;
  }
  for (size_t i = 0; i < n; ++i) {
    std::string_view value = GetString(node.data, &pos);
    if (f != nullptr) f->values.push_back(value);
  }
  c->next = pos;
}

uint64_t StreamObject::NodeLpBytes(const Node& n) {
  return n.lp_rest + RedisListpackIntBytes(n.live) + RedisListpackIntBytes(n.deleted);
}

void StreamObject::Append(StreamID id, const std::string_view* pairs, size_t n) {
  const size_t nfields = n / 2;
  Node* node = nullptr;
  StreamID master;
  if (!nodes_.empty()) {  // Redis's rule for opening a new node (t_stream.c, streamAppendItem)
    auto last = std::prev(nodes_.end());
    uint64_t total = 0;
    for (size_t i = 0; i < n; ++i) total += pairs[i].size();
    const EncodingLimits& lim = Limits();
    uint64_t max_bytes = static_cast<uint64_t>(lim.stream_node_max_bytes.load());
    if (max_bytes == 0 || max_bytes > (1u << 30)) max_bytes = 1u << 30;
    const int64_t max_entries = lim.stream_node_max_entries.load();
    const Node& t = last->second;
    const bool full = NodeLpBytes(t) + total >= max_bytes ||
                      (max_entries > 0 && t.live + t.deleted >= static_cast<uint64_t>(max_entries));
    if (!full) {
      node = &last->second;
      master = last->first;
    } else {
      // The node is complete: give back what its buffer's growth reserved (up to half).
      last->second.data.shrink_to_fit();
    }
  }
  uint8_t flags = 0;
  if (node == nullptr) {  // a new node: this entry's fields become the master fields
    master = id;
    node = &nodes_[id];
    PutVarint(&node->data, nfields);
    node->lp_rest = kListpackOverhead + RedisListpackIntBytes(static_cast<int64_t>(nfields)) +
                    RedisListpackIntBytes(0);  // the master entry's terminator
    for (size_t i = 0; i < nfields; ++i) {
      PutString(&node->data, pairs[2 * i]);
      node->lp_rest += RedisListpackStringBytes(pairs[2 * i]);
    }
    node->master_end = static_cast<uint32_t>(node->data.size());
    flags = kSameFields;
  } else {
    std::vector<std::string_view> mf;
    MasterFields(*node, &mf);
    if (mf.size() == nfields) {
      size_t i = 0;
      while (i < nfields && mf[i] == pairs[2 * i]) ++i;
      if (i == nfields) flags = kSameFields;
    }
  }
  const uint64_t ms_delta = id.ms - master.ms;
  const auto seq_delta = static_cast<int64_t>(id.seq - master.seq);
  node->data.push_back(static_cast<char>(flags));
  PutVarint(&node->data, ms_delta);
  PutVarint(&node->data, ZigZag(seq_delta));
  uint64_t lp = RedisListpackIntBytes(flags) + RedisListpackIntBytes(static_cast<int64_t>(ms_delta)) +
                RedisListpackIntBytes(seq_delta);
  int64_t lp_count = 3 + static_cast<int64_t>(nfields);
  if (!(flags & kSameFields)) {
    PutVarint(&node->data, nfields);
    lp += RedisListpackIntBytes(static_cast<int64_t>(nfields));
    lp_count += static_cast<int64_t>(nfields) + 1;
    for (size_t i = 0; i < nfields; ++i) {
      PutString(&node->data, pairs[2 * i]);
      lp += RedisListpackStringBytes(pairs[2 * i]);
    }
  }
  for (size_t i = 0; i < nfields; ++i) {
    PutString(&node->data, pairs[2 * i + 1]);
    lp += RedisListpackStringBytes(pairs[2 * i + 1]);
  }
  node->lp_rest += lp + RedisListpackIntBytes(lp_count);
  ++node->live;
  ++length_;
  ++entries_added_;
  last_id_ = id;
}

void StreamObject::MarkDeleted(Node& node, const Cursor& c) {
  node.data[c.offset] = static_cast<char>(c.flags | kDeleted);
  --node.live;
  ++node.deleted;
  --length_;
}

bool StreamObject::Delete(StreamID id) {
  auto it = nodes_.upper_bound(id);
  if (it == nodes_.begin()) return false;
  --it;
  Node& node = it->second;
  std::vector<std::string_view> mf;
  MasterFields(node, &mf);
  Cursor c;
  c.offset = node.master_end;
  while (c.offset < node.data.size()) {
    Decode(node, it->first, mf, &c, nullptr);
    if (c.id > id) return false;
    if (c.id == id) {
      if (c.flags & kDeleted) return false;
      MarkDeleted(node, c);
      if (node.live == 0) nodes_.erase(it);  // its last live entry: the node goes (as Redis)
      return true;
    }
    c.offset = c.next;
  }
  return false;
}

StreamID StreamObject::EdgeId(bool last) const {
  StreamID edge;
  Range(StreamID{}, StreamID::Max(), last, 1, [&](StreamID id, const StreamFields&) {
    edge = id;
    return false;
  });
  return edge;
}

// Redis's streamTrim: whole nodes from the front while whole(node, last_id) says they go (and
// the limit allows; last_id() decodes the node's last ID), then, unless approx, entries of the
// next node marked deleted until done(entry ID).
template <typename Whole, typename Done>
uint64_t StreamObject::TrimFront(bool approx, uint64_t limit, Whole&& whole, Done&& done) {
  uint64_t removed = 0;
  std::vector<std::string_view> mf;
  while (!nodes_.empty()) {
    auto it = nodes_.begin();
    Node& node = it->second;
    if (done(StreamID{}) || (limit != 0 && removed + node.live > limit)) break;
    MasterFields(node, &mf);
    Cursor c;
    auto last_id = [&] {  // the node's last entry, deleted or not (decoded only if asked)
      Cursor l;
      for (l.offset = node.master_end; l.offset < node.data.size(); l.offset = l.next)
        Decode(node, it->first, mf, &l, nullptr);
      return l.id;
    };
    if (whole(node, last_id)) {
      length_ -= node.live;
      removed += node.live;
      nodes_.erase(it);
      continue;
    }
    if (approx) break;
    for (c.offset = node.master_end; c.offset < node.data.size(); c.offset = c.next) {
      Decode(node, it->first, mf, &c, nullptr);
      if (done(c.id)) break;
      if (!(c.flags & kDeleted)) {
        MarkDeleted(node, c);
        ++removed;
      }
    }
    break;
  }
  return removed;
}

uint64_t StreamObject::TrimMaxLen(uint64_t maxlen, bool approx, uint64_t limit) {
  return TrimFront(
      approx, limit, [&](const Node& n, auto&&) { return length_ - n.live >= maxlen; },
      [&](StreamID) { return length_ <= maxlen; });
}

uint64_t StreamObject::TrimMinId(StreamID minid, bool approx, uint64_t limit) {
  return TrimFront(
      approx, limit, [&](const Node&, auto&& last_id) { return last_id() < minid; },
      [&](StreamID id) { return !id.IsZero() && id >= minid; });
}

int64_t StreamObject::EstimateEntriesRead(StreamID id) const {
  if (entries_added_ == 0) return 0;  // a stream never written to
  if (length_ == 0 && id <= last_id_) return static_cast<int64_t>(entries_added_);
  if (id == last_id_) return static_cast<int64_t>(entries_added_);
  if (id > last_id_) return -1;  // a future ID
  const StreamID first = first_id();
  if (max_deleted_id_.IsZero() || max_deleted_id_ < first) {  // no deletion ahead of it
    if (id < first) return static_cast<int64_t>(entries_added_ - length_);
    if (id == first) return static_cast<int64_t>(entries_added_ - length_ + 1);
  }
  return -1;
}

bool StreamObject::RangeHasTombstones(StreamID start, StreamID end) const {
  if (length_ == 0 || max_deleted_id_.IsZero()) return false;
  if (first_id() > max_deleted_id_) return false;  // the last deletion is before the first entry
  return start <= max_deleted_id_ && max_deleted_id_ <= end;
}

StreamGroup::StreamGroup(const StreamGroup& other)
    : last_id(other.last_id),
      entries_read(other.entries_read),
      pel(other.pel),
      consumers(other.consumers) {
  for (auto c = consumers.begin(); c != consumers.end(); ++c)
    for (StreamID id : c->second.pending) pel.find(id)->second.consumer = c;
}

StreamGroup& StreamGroup::operator=(const StreamGroup& other) {
  if (this != &other) *this = StreamGroup(other);
  return *this;
}

Object* StreamObject::Clone() const { return new StreamObject(*this); }

size_t StreamObject::ApproxBytes() const {
  size_t b = sizeof(*this);
  for (const auto& [id, node] : nodes_) b += sizeof(id) + sizeof(node) + node.data.capacity();
  return b;
}

}  // namespace strata::storage
