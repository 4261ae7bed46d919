// A Redis sorted set value: members ordered by (score, member bytes), with O(1) member -> score.
//
// Two encodings, as Redis 7.0 (OBJECT ENCODING names):
//  - "listpack": one storage::Listpack element per member, sorted by score then member, used
//    while the set has at most zset-max-listpack-entries members none longer than
//    zset-max-listpack-value bytes. An element is a tag byte, the score in as few bytes as it
//    needs (none for a whole number 0..118, one more for 0..32767, 1-7 for other whole numbers
//    below 2^55, 8 raw bytes otherwise), then the member (codec in zset_object.cc). Redis keeps
//    member and score as two elements; one element per pair is a byte or two smaller and
//    halves the walk. Scores round-trip exactly except -0, which reads back as 0 exactly as in
//    Redis (its listpack holds the score as text and 7.0 writes -0 as "0"; its skiplist keeps
//    -0, and so does ours). The buffer is reallocated to its exact size after every change,
//    as Redis reallocs its listpacks.
//  - "skiplist": a skiplist with spans (Redis's zskiplist: rank queries and rank ranges in
//    O(log n)) whose nodes are at the same time the entries of a chained hash table indexing
//    members. See ZNode for why this beats a storage::Dict of Entry nodes plus separate skiplist
//    nodes.
// A set converts listpack -> skiplist when an add would pass either limit; it never converts
// back on its own (as Redis), except where a command builds a whole new value (FromSorted:
// ZUNIONSTORE & co, ZRANGESTORE), which picks the encoding the result fits in.
//
// Members are binary strings compared with memcmp then length (Redis's sdscmp). Scores are
// never NaN. A set holds at most 2^32 - 1 members (spans are 32-bit; such a set would need
// hundreds of GB).
// Thread: none; a ZSetObject is guarded by the shard lock of the key that owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/dict.h"  // HashKey, ReverseBits
#include "storage/entry.h"
#include "storage/listpack.h"

namespace strata::storage {

// A score interval (ZRANGEBYSCORE min max): "(" makes an end exclusive.
struct ZScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;

  bool GteMin(double v) const { return minex ? v > min : v >= min; }
  bool LteMax(double v) const { return maxex ? v < max : v <= max; }
  // True when no score can be inside (min > max, or min == max with an exclusive end).
  bool Empty() const { return min > max || (min == max && (minex || maxex)); }
};

// One end of a lexicographic interval: "-" (below everything), "+" (above everything), or a
// string, inclusive "[x" or exclusive "(x". value views the command argument.
struct ZLexBound {
  enum Kind : uint8_t { kValue, kMinusInf, kPlusInf };
  Kind kind = kValue;
  bool exclusive = false;
  std::string_view value;
};

struct ZLexRange {
  ZLexBound min, max;

  bool GteMin(std::string_view v) const;
  bool LteMax(std::string_view v) const;
  bool Empty() const;
};

// A skiplist node, which is also the member's hash table entry: one malloc block of
//   hnext | backward | score | len | level | forward[level] | span[level] (uint32) | member
// With a 32-byte header and 12 bytes per level, a node of level 1 (3/4 of all nodes) with a
// 20-byte member is exactly one 64-byte jemalloc block. The alternative the design suggested,
// a storage::Dict of Entry nodes (32-byte Entry header + member + 8-byte score) next to
// separate skiplist nodes (score, backward, member pointer, 16 bytes per level), costs two
// blocks per member: 64 + 48 bytes for the same member, about 40% more, and a second cache
// miss on every ZSCORE-then-rank path.
struct ZNode {
  ZNode* hnext;     // hash bucket chain
  ZNode* backward;  // level-0 predecessor (nullptr for the first node)
  double score;
  uint32_t len;     // member bytes
  uint8_t level;    // 1..kMaxLevel
  uint8_t pad[3];

  ZNode** forward() { return reinterpret_cast<ZNode**>(this + 1); }
  ZNode* const* forward() const { return reinterpret_cast<ZNode* const*>(this + 1); }
  uint32_t* span() { return reinterpret_cast<uint32_t*>(forward() + level); }
  const uint32_t* span() const { return reinterpret_cast<const uint32_t*>(forward() + level); }
  char* member_data() { return reinterpret_cast<char*>(span() + level); }
  std::string_view member() const {
    return {reinterpret_cast<const char*>(span() + level), len};
  }
  ZNode* next() const { return forward()[0]; }
};
static_assert(sizeof(ZNode) == 32, "ZNode header must stay 32 bytes");

struct ZSkipList;  // zset_object.cc

class ZSetObject final : public Object {
 public:
  static constexpr int kMaxLevel = 32;

  ZSetObject() = default;  // empty, listpack-encoded
  ~ZSetObject() override;
  ZSetObject(const ZSetObject&) = delete;
  ZSetObject& operator=(const ZSetObject&) = delete;

  const char* EncodingName() const override {
    return is_listpack() ? "listpack" : "skiplist";
  }
  Object* Clone() const override;

  // A skiplist set keeps its ZSkipList* inside lp_ (see sl()), marked by an empty first
  // element, which no listpack set has (each of its elements starts with a tag byte).
  bool is_listpack() const { return lp_.empty() || !lp_.Get(0).empty(); }
  size_t size() const;
  size_t FreeEffort() const override { return is_listpack() ? 1 : size(); }

  // A new set holding items, which must be sorted by (score, member) with distinct members;
  // listpack-encoded when it fits the current limits (Redis's zsetConvertToListpackIfNeeded).
  static ZSetObject* FromSorted(const std::vector<std::pair<std::string, double>>& items);

  // Redis's zsetAdd. flags: kAdd* bits; *out gets kOut* bits, *newscore the resulting score
  // (when the member was added or its score updated/kept). Returns false, changing nothing,
  // when the score (or score + increment) is NaN.
  enum AddFlag : unsigned { kAddNX = 1, kAddXX = 2, kAddGT = 4, kAddLT = 8, kAddIncr = 16 };
  enum AddOut : unsigned { kOutAdded = 1, kOutUpdated = 2, kOutNop = 4 };
  bool Add(double score, std::string_view member, unsigned flags, unsigned* out,
           double* newscore);

  bool Score(std::string_view member, double* score) const;
  bool Remove(std::string_view member);
  // 0-based position of member counted from the lowest score (reverse: from the highest).
  bool Rank(std::string_view member, bool reverse, size_t* rank) const;

  // A read position. Valid until the set is modified.
  class Iter {
   public:
    bool valid() const { return lp_ != nullptr ? pos_ != Listpack::kEnd : node_ != nullptr; }
    std::string_view member() const;
    double score() const;
    void Next();  // towards higher scores
    void Prev();

   private:
    friend class ZSetObject;
    const Listpack* lp_ = nullptr;
    size_t pos_ = Listpack::kEnd;  // the pair's element
    const ZNode* node_ = nullptr;
  };

  // Element at 0-based rank (ascending); invalid when rank >= size(). O(log n) for skiplists.
  Iter AtRank(size_t rank) const;
  Iter Begin() const { return AtRank(0); }
  // The lowest / highest element inside the range and its 0-based rank; invalid if none.
  Iter FirstInRange(const ZScoreRange& r, size_t* rank) const;
  Iter LastInRange(const ZScoreRange& r, size_t* rank) const;
  Iter FirstInLex(const ZLexRange& r, size_t* rank) const;
  Iter LastInLex(const ZLexRange& r, size_t* rank) const;

  // Removes the elements of 0-based ranks [start, end] (clamped to the set); returns how many.
  size_t DeleteRankRange(size_t start, size_t end);

  // ZSCAN: visits the members of one hash bucket of a skiplist set (and, mid-resize, the
  // buckets of the other table it maps to) and returns the next cursor (Redis's
  // reverse-binary cursor, complete across resizes); for a listpack set visits everything and
  // returns 0. fn(member, score).
  template <typename Fn>
  uint64_t ScanStep(uint64_t cursor, Fn&& fn) const;

  // Heap bytes of the value (approximate: listpack bytes, or nodes + buckets); for tests.
  size_t ApproxBytes() const;
  // Checks every invariant (order, spans, backward links, hash index); for tests.
  bool Verify() const;

 private:
  // The skiplist of a skiplist set. It lives in lp_ as two elements, "" and the pointer's 8
  // bytes (12 bytes in std::string's inline buffer, no allocation), so the object is just
  // vtable + Listpack: 48 bytes, one jemalloc size class below a separate pointer field.
  ZSkipList* sl() const;
  void SetSkipList(ZSkipList* sl);  // switches to the skiplist encoding
  void ConvertToSkiplist();
  void Compact();  // reallocates the listpack to exactly its size
  void ListpackErase(size_t pos, size_t n);  // erases n elements from pos, then Compact()
  template <typename GteMin, typename LteMax>
  Iter FindIn(bool empty, GteMin gte, LteMax lte, bool last, size_t* rank) const;
  size_t ListpackFind(std::string_view member, double* score) const;
  void ListpackInsert(double score, std::string_view member);
  // The nodes of the hash bucket(s) one ZSCAN step visits; returns the next cursor.
  uint64_t ScanNodes(uint64_t cursor, std::vector<const ZNode*>* out) const;

  Listpack lp_;  // the listpack encoding, or the skiplist's pointer (see sl())
};

template <typename Fn>
uint64_t ZSetObject::ScanStep(uint64_t cursor, Fn&& fn) const {
  if (is_listpack()) {
    for (Iter it = Begin(); it.valid(); it.Next()) fn(it.member(), it.score());
    return 0;
  }
  std::vector<const ZNode*> nodes;
  cursor = ScanNodes(cursor, &nodes);
  for (const ZNode* e : nodes) fn(e->member(), e->score);
  return cursor;
}

}  // namespace strata::storage
