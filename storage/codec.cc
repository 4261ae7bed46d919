// The backing tier's value codec (layout in codec.h).
#include "storage/codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_set.h>

#include "storage/hash_object.h"
#include "storage/list_object.h"
#include "storage/set_object.h"
#include "storage/stream_object.h"
#include "storage/zset_object.h"

namespace strata::storage {

namespace {

constexpr size_t kHeaderSize = 5;  // version + count
constexpr size_t kLenSize = 4;
constexpr size_t kScoreSize = 8;

// ---- encoding ----

inline void PutU32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out->append(b, 4);
}

inline void PutBytes(std::string* out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s.data(), s.size());
}

inline void PutScore(std::string* out, double d) {
  uint64_t v;
  std::memcpy(&v, &d, sizeof v);
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 8);
}

inline void PutU64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 8);
}

inline void PutHeader(std::string* out, size_t n, size_t estimate) {
  out->clear();
  out->reserve(kHeaderSize + estimate);
  out->push_back(static_cast<char>(kCodecVersion));
  PutU32(out, static_cast<uint32_t>(n));
}

// ---- decoding ----

inline uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(u[0]) | static_cast<uint32_t>(u[1]) << 8 |
         static_cast<uint32_t>(u[2]) << 16 | static_cast<uint32_t>(u[3]) << 24;
}

inline uint64_t GetU64(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | u[i];
  return v;
}

inline double GetScore(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | u[i];
  double d;
  std::memcpy(&d, &v, sizeof d);
  return d;
}

// Reads items of a value that Validate() accepted: no bounds checks left to do.
class Reader {
 public:
  explicit Reader(std::string_view items) : p_(items.data()) {}
  std::string_view Bytes() {
    uint32_t len = GetU32(p_);
    std::string_view s(p_ + kLenSize, len);
    p_ += kLenSize + len;
    return s;
  }
  double Score() {
    double d = GetScore(p_);
    p_ += kScoreSize;
    return d;
  }

 private:
  const char* p_;
};

// Checks the structure of the items after the header: n items of `strings` byte strings each
// (plus a score for a zset) exactly filling `items`, no score NaN, no string over max_len.
// *longest gets the longest string's length.
bool Validate(std::string_view items, uint32_t n, int strings, bool score, size_t max_len,
              size_t* longest, std::string* error) {
  const char* p = items.data();
  const char* end = p + items.size();
  size_t longest_len = 0;
  for (uint32_t i = 0; i < n; ++i) {
    for (int s = 0; s < strings; ++s) {
      if (static_cast<size_t>(end - p) < kLenSize) {
        *error = "truncated value (item " + std::to_string(i) + ")";
        return false;
      }
      size_t len = GetU32(p);
      p += kLenSize;
      if (static_cast<size_t>(end - p) < len) {
        *error = "truncated value (item " + std::to_string(i) + ")";
        return false;
      }
      if (len > max_len) {
        *error = "element too long (" + std::to_string(len) + " bytes)";
        return false;
      }
      if (len > longest_len) longest_len = len;
      p += len;
    }
    if (score) {
      if (static_cast<size_t>(end - p) < kScoreSize) {
        *error = "truncated value (item " + std::to_string(i) + ")";
        return false;
      }
      if (std::isnan(GetScore(p))) {
        *error = "NaN score (item " + std::to_string(i) + ")";
        return false;
      }
      p += kScoreSize;
    }
  }
  if (p != end) {
    *error = std::to_string(end - p) + " trailing bytes after the last item";
    return false;
  }
  *longest = longest_len;
  return true;
}

Object* BuildList(Reader r, uint32_t n) {
  auto* l = new ListObject();
  for (uint32_t i = 0; i < n; ++i) l->PushBack(r.Bytes());  // RPUSH
  return l;
}

// HSET on a new key converts listpack -> hashtable as soon as a field or value passes
// hash-max-listpack-value or the field count passes hash-max-listpack-entries; with distinct
// fields that is exactly "the final hash passes a limit", so the encoding is chosen up front.
Object* BuildHash(Reader r, uint32_t n, size_t longest, std::string* error) {
  std::unique_ptr<HashObject> h;
  bool listpack = !ListpackHash::ExceedsEntries(n) && ListpackHash::Fits(longest);
  if (listpack) {
    h.reset(new ListpackHash());
  } else {
    h.reset(new DictHash());
  }
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view f = r.Bytes(), v = r.Bytes();
    if (!h->Set(f, v)) {
      *error = "duplicate hash field (item " + std::to_string(i) + ")";
      return nullptr;
    }
  }
  if (listpack) h->AsListpack()->ShrinkToFit();  // as HSET's Finish
  return h.release();
}

Object* BuildSet(Reader r, uint32_t n, std::string* error) {
  std::unique_ptr<SetObject> s(new SetObject());  // SADD: an intset until a member rules it out
  for (uint32_t i = 0; i < n; ++i) {
    if (!s->Add(r.Bytes())) {
      *error = "duplicate set member (item " + std::to_string(i) + ")";
      return nullptr;
    }
  }
  return s.release();
}

// Redis's member order: memcmp, then the shorter first.
bool MemberLess(std::string_view a, std::string_view b) {
  int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  return c < 0 || (c == 0 && a.size() < b.size());
}

Object* BuildZSet(Reader r, uint32_t n, std::string* error) {
  // The order EncodeValue writes (ascending score, then member) with distinct members is exactly
  // FromSorted's precondition; it picks the encoding ZADD would end with (listpack iff within
  // both limits) and builds a skiplist in O(n) instead of n O(log n) inserts.
  std::vector<std::pair<std::string, double>> items;
  items.reserve(n);
  bool sorted = true;
  {
    Reader s = r;
    for (uint32_t i = 0; i < n && sorted; ++i) {
      std::string_view member = s.Bytes();
      double score = s.Score();
      if (i > 0) {
        const auto& [pm, ps] = items.back();
        sorted = ps < score || (ps == score && MemberLess(pm, member));
      }
      items.emplace_back(member, score);
    }
  }
  if (sorted) {
    absl::flat_hash_set<std::string_view> seen;
    seen.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      if (!seen.insert(items[i].first).second) {
        *error = "duplicate zset member (item " + std::to_string(i) + ")";
        return nullptr;
      }
    }
    return ZSetObject::FromSorted(items);
  }
  // Any other order (another tool wrote it): ZADD member by member.
  items = {};
  std::unique_ptr<ZSetObject> z(new ZSetObject());
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view member = r.Bytes();
    double score = r.Score();
    unsigned out = 0;
    if (!z->Add(score, member, 0, &out, nullptr) || !(out & ZSetObject::kOutAdded)) {
      *error = "duplicate zset member (item " + std::to_string(i) + ")";
      return nullptr;
    }
  }
  return z.release();
}

constexpr size_t kStreamHeaderSize = kHeaderSize + 5 * 8;  // + last, max deleted, added
constexpr size_t kStreamMinEntry = 2 * 8 + kLenSize + 2 * kLenSize;  // id, count, one pair

// A stream value (codec.h): validated whole, then built by appending its entries in order.
Entry* DecodeStream(std::string_view key, std::string_view value, int64_t expire_ms,
                    std::string* error) {
  if (value.size() < kStreamHeaderSize) {
    *error = "truncated stream header";
    return nullptr;
  }
  const char* p = value.data() + kHeaderSize;
  const uint32_t n = GetU32(value.data() + 1);
  const StreamID last{GetU64(p), GetU64(p + 8)};
  const StreamID max_deleted{GetU64(p + 16), GetU64(p + 24)};
  const uint64_t added = GetU64(p + 32);
  p = value.data() + kStreamHeaderSize;
  const char* end = value.data() + value.size();
  if (n > static_cast<size_t>(end - p) / kStreamMinEntry) {
    *error = "entry count " + std::to_string(n) + " does not fit";
    return nullptr;
  }
  if (added < n) {
    *error = "entries-added below the entry count";
    return nullptr;
  }
  // Validate: IDs ascending and not above the last ID, each entry's pairs within the value.
  StreamID prev;
  std::vector<std::pair<StreamID, std::vector<std::string_view>>> entries(n);
  for (uint32_t i = 0; i < n; ++i) {
    const std::string item = "(entry " + std::to_string(i) + ")";
    if (static_cast<size_t>(end - p) < 2 * 8 + kLenSize) {
      *error = "truncated stream " + item;
      return nullptr;
    }
    StreamID id{GetU64(p), GetU64(p + 8)};
    const uint32_t pairs = GetU32(p + 16);
    p += 2 * 8 + kLenSize;
    if (id.IsZero() || (i > 0 && id <= prev) || id > last) {
      *error = "stream IDs out of order " + item;
      return nullptr;
    }
    if (pairs == 0 || pairs > static_cast<size_t>(end - p) / (2 * kLenSize)) {
      *error = "bad field count " + item;
      return nullptr;
    }
    std::vector<std::string_view>& flat = entries[i].second;
    flat.reserve(2 * pairs);
    for (uint32_t j = 0; j < 2 * pairs; ++j) {
      if (static_cast<size_t>(end - p) < kLenSize) {
        *error = "truncated stream " + item;
        return nullptr;
      }
      const size_t len = GetU32(p);
      p += kLenSize;
      if (static_cast<size_t>(end - p) < len || len > kMaxStringLen) {
        *error = "truncated stream " + item;
        return nullptr;
      }
      flat.emplace_back(p, len);
      p += len;
    }
    entries[i].first = prev = id;
  }
  // Consumer groups.
  StreamGroups groups;
  auto need = [&](size_t n) { return static_cast<size_t>(end - p) >= n; };
  auto bytes = [&](std::string* out) {
    if (!need(kLenSize)) return false;
    const size_t len = GetU32(p);
    p += kLenSize;
    if (!need(len)) return false;
    out->assign(p, len);
    p += len;
    return true;
  };
  {
    const std::string bad = "malformed consumer groups";
    if (!need(kLenSize)) return *error = "truncated stream (no group count)", nullptr;
    const uint32_t ngroups = GetU32(p);
    p += kLenSize;
    for (uint32_t gi = 0; gi < ngroups; ++gi) {
      std::string name;
      if (!bytes(&name) || !need(3 * 8 + kLenSize)) return *error = bad, nullptr;
      StreamGroup& g = groups[name];
      g.last_id = {GetU64(p), GetU64(p + 8)};
      g.entries_read = static_cast<int64_t>(GetU64(p + 16));
      const uint32_t nconsumers = GetU32(p + 24);
      p += 3 * 8 + kLenSize;
      for (uint32_t ci = 0; ci < nconsumers; ++ci) {
        std::string cname;
        if (!bytes(&cname) || !need(8)) return *error = bad, nullptr;
        g.consumers[cname].seen_time = static_cast<int64_t>(GetU64(p));
        p += 8;
      }
      if (!need(kLenSize)) return *error = bad, nullptr;
      const uint32_t npending = GetU32(p);
      p += kLenSize;
      for (uint32_t ni = 0; ni < npending; ++ni) {
        if (!need(4 * 8)) return *error = bad, nullptr;
        StreamID id{GetU64(p), GetU64(p + 8)};
        StreamNack n;
        n.delivery_time = static_cast<int64_t>(GetU64(p + 16));
        n.delivery_count = GetU64(p + 24);
        p += 4 * 8;
        std::string cname;
        if (!bytes(&cname)) return *error = bad, nullptr;
        n.consumer = g.consumers.find(cname);
        if (n.consumer == g.consumers.end())
          return *error = "a pending entry of an unknown consumer", nullptr;
        if (!g.pel.emplace(id, n).second) return *error = "a pending entry twice", nullptr;
        n.consumer->second.pending.insert(id);
      }
    }
    if (groups.size() != ngroups) return *error = "duplicate consumer group", nullptr;
  }
  if (p != end) {
    *error = std::to_string(end - p) + " trailing bytes after the last entry";
    return nullptr;
  }
  auto* s = new StreamObject();
  for (const auto& [id, flat] : entries) s->Append(id, flat.data(), flat.size());
  s->SetLastId(last);
  s->SetMaxDeletedId(max_deleted);
  s->SetEntriesAdded(added);
  s->groups() = std::move(groups);
  return Entry::NewObject(key, ObjType::kStream, s, expire_ms);
}

}  // namespace

void EncodeValue(const Entry& e, std::string* out) {
  switch (e.type()) {
    case ObjType::kString: {
      std::string_view s = e.str();
      out->assign(s.data(), s.size());
      return;
    }
    case ObjType::kList: {
      const auto* l = static_cast<const ListObject*>(e.obj());
      // The nodes' bytes are close to the elements' bytes: each item adds a 4-byte length where
      // a node spends 2+ bytes (header, backlen), and an integer grows back into its digits.
      PutHeader(out, l->size(), l->node_bytes() + 5 * l->size());
      for (ListObject::Cursor c = l->At(0); c.valid(); c.Next()) PutBytes(out, c.Get());
      return;
    }
    case ObjType::kHash: {
      const auto* h = static_cast<const HashObject*>(e.obj());
      size_t estimate = h->is_listpack() ? h->AsListpack()->bytes() + 6 * h->size()
                                         : 40 * h->size();
      PutHeader(out, h->size(), estimate);
      h->ForEach([&](std::string_view f, std::string_view v) {
        PutBytes(out, f);
        PutBytes(out, v);
      });
      return;
    }
    case ObjType::kSet: {
      const auto* s = static_cast<const SetObject*>(e.obj());
      PutHeader(out, s->size(), (s->is_intset() ? 12 : 20) * s->size());
      s->ForEach([&](std::string_view m) { PutBytes(out, m); });
      return;
    }
    case ObjType::kZSet: {
      const auto* z = static_cast<const ZSetObject*>(e.obj());
      size_t n = z->size();
      size_t estimate = z->is_listpack() ? z->ApproxBytes() + 12 * n : 28 * n;
      PutHeader(out, n, estimate);
      for (ZSetObject::Iter it = z->Begin(); it.valid(); it.Next()) {
        PutBytes(out, it.member());
        PutScore(out, it.score());
      }
      return;
    }
    case ObjType::kStream: {
      const auto* st = static_cast<const StreamObject*>(e.obj());
      PutHeader(out, st->length(), 40 + st->ApproxBytes() + 24 * st->length());
      PutU64(out, st->last_id().ms);
      PutU64(out, st->last_id().seq);
      PutU64(out, st->max_deleted_id().ms);
      PutU64(out, st->max_deleted_id().seq);
      PutU64(out, st->entries_added());
      st->Range(StreamID{}, StreamID::Max(), false, 0, [&](StreamID id, const StreamFields& f) {
        PutU64(out, id.ms);
        PutU64(out, id.seq);
        PutU32(out, static_cast<uint32_t>(f.size()));
        for (size_t i = 0; i < f.size(); ++i) {
          PutBytes(out, f.fields[i]);
          PutBytes(out, f.values[i]);
        }
        return true;
      });
      PutU32(out, static_cast<uint32_t>(st->groups().size()));
      for (const auto& [name, g] : st->groups()) {
        PutBytes(out, name);
        PutU64(out, g.last_id.ms);
        PutU64(out, g.last_id.seq);
        PutU64(out, static_cast<uint64_t>(g.entries_read));
        PutU32(out, static_cast<uint32_t>(g.consumers.size()));
        for (const auto& [cname, c] : g.consumers) {
          PutBytes(out, cname);
          PutU64(out, static_cast<uint64_t>(c.seen_time));
        }
        PutU32(out, static_cast<uint32_t>(g.pel.size()));
        for (const auto& [id, n] : g.pel) {
          PutU64(out, id.ms);
          PutU64(out, id.seq);
          PutU64(out, static_cast<uint64_t>(n.delivery_time));
          PutU64(out, n.delivery_count);
          PutBytes(out, n.consumer->first);
        }
      }
      return;
    }
  }
}

Entry* DecodeEntry(std::string_view key, ObjType type, std::string_view value, int64_t expire_ms,
                   std::string* error) {
  if (key.size() > kMaxStringLen) {
    *error = "key too long";
    return nullptr;
  }
  int strings = 1;
  bool score = false;
  size_t max_len = kMaxStringLen;
  switch (type) {
    case ObjType::kString:
      if (value.size() > kMaxStringLen) {
        *error = "string value too long";
        return nullptr;
      }
      return Entry::NewString(key, value, expire_ms);
    case ObjType::kList:
      max_len = kMaxStringLen - 64;  // ListObject's element bound
      break;
    case ObjType::kHash:
      strings = 2;
      break;
    case ObjType::kSet:
      break;
    case ObjType::kZSet:
      score = true;
      break;
    case ObjType::kStream:
      if (value.empty() || static_cast<uint8_t>(value[0]) != kCodecVersion) {
        *error = "unknown encoding version";
        return nullptr;
      }
      return DecodeStream(key, value, expire_ms, error);
    default:
      *error = "unknown type " + std::to_string(static_cast<unsigned>(type));
      return nullptr;
  }
  if (value.size() < kHeaderSize) {
    *error = "truncated value (" + std::to_string(value.size()) + "-byte header)";
    return nullptr;
  }
  if (static_cast<uint8_t>(value[0]) != kCodecVersion) {
    *error = "unknown encoding version " + std::to_string(static_cast<uint8_t>(value[0]));
    return nullptr;
  }
  uint32_t n = GetU32(value.data() + 1);
  std::string_view items = value.substr(kHeaderSize);
  if (n == 0) {
    *error = "empty collection";
    return nullptr;
  }
  // Cheap rejection of a bogus count before walking anything: each item has a minimum size.
  size_t min_item = strings * kLenSize + (score ? kScoreSize : 0);
  if (n > items.size() / min_item) {
    *error = "item count " + std::to_string(n) + " does not fit in " +
             std::to_string(items.size()) + " bytes";
    return nullptr;
  }
  size_t longest = 0;
  if (!Validate(items, n, strings, score, max_len, &longest, error)) return nullptr;

  Reader r(items);
  Object* obj = nullptr;
  switch (type) {
    case ObjType::kList:
      obj = BuildList(r, n);
      break;
    case ObjType::kHash:
      obj = BuildHash(r, n, longest, error);
      break;
    case ObjType::kSet:
      obj = BuildSet(r, n, error);
      break;
    case ObjType::kZSet:
      obj = BuildZSet(r, n, error);
      break;
    case ObjType::kString:
    case ObjType::kStream:
      break;
  }
  if (obj == nullptr) return nullptr;
  return Entry::NewObject(key, type, obj, expire_ms);
}

}  // namespace strata::storage
