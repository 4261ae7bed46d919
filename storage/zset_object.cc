// Sorted set encodings: the sorted listpack and the skiplist whose nodes double as hash entries
// (see zset_object.h for both layouts).
#include "common/random.h"
#include "storage/zset_object.h"

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "storage/limits.h"

namespace strata::storage {

// ---------------------------------------------------------------------------------------------
// Lex ranges

bool ZLexRange::GteMin(std::string_view v) const {
  switch (min.kind) {
    case ZLexBound::kMinusInf: return true;
    case ZLexBound::kPlusInf: return false;
    default: break;
  }
  int c = v.compare(min.value);
  return min.exclusive ? c > 0 : c >= 0;
}

bool ZLexRange::LteMax(std::string_view v) const {
  switch (max.kind) {
    case ZLexBound::kPlusInf: return true;
    case ZLexBound::kMinusInf: return false;
    default: break;
  }
  int c = v.compare(max.value);
  return max.exclusive ? c < 0 : c <= 0;
}

bool ZLexRange::Empty() const {
  int c;
  if (min.kind != ZLexBound::kValue && min.kind == max.kind) {
    c = 0;  // "- -" or "+ +": both ends exclusive, so empty
  } else if (min.kind == ZLexBound::kMinusInf || max.kind == ZLexBound::kPlusInf) {
    c = -1;
  } else if (min.kind == ZLexBound::kPlusInf || max.kind == ZLexBound::kMinusInf) {
    c = 1;
  } else {
    c = min.value.compare(max.value);
  }
  return c > 0 || (c == 0 && (min.exclusive || max.exclusive));
}

namespace {

// ---------------------------------------------------------------------------------------------
// Listpack pair codec: one element per member, tag | score payload | member bytes.
//   tag 0x80..0xff   integer score 0..32767: (tag & 0x7f) << 8 | the one payload byte
//   tag 0x09..0x7f   integer score tag - 9 (0..118), no payload
//   tag 0x08         the 8 raw bytes of the double follow
//   tag 0x01..0x07   an integer of that many bytes follows (little-endian, signed)
// A score takes the shortest form that holds it exactly; -0 is stored as 0 (see the header).
// The tag is never absent, so no element is empty (what is_listpack() relies on).

constexpr uint8_t kTagDouble = 0x08;
constexpr uint8_t kTagTiny = 0x09;
constexpr uint8_t kTagShort = 0x80;
constexpr int64_t kTinyMax = kTagShort - 1 - kTagTiny;  // 118
constexpr int64_t kShortMax = 0x7fff;
constexpr double kIntScoreLimit = 36028797018963968.0;  // 2^55: fits 7 bytes signed
constexpr size_t kListpackSafeBytes = 1u << 30;          // Redis's lpSafeToAdd bound
constexpr size_t kMaxPairHeader = 9;                     // tag + 8 payload bytes

// Writes the tag and score payload into buf (kMaxPairHeader bytes); returns their length.
size_t EncodeScore(double d, char* buf) {
  if (d >= -kIntScoreLimit && d < kIntScoreLimit && d == std::trunc(d)) {
    int64_t v = static_cast<int64_t>(d);
    if (v >= 0 && v <= kTinyMax) {
      buf[0] = static_cast<char>(kTagTiny + v);
      return 1;
    }
    if (v >= 0 && v <= kShortMax) {
      buf[0] = static_cast<char>(kTagShort | (v >> 8));
      buf[1] = static_cast<char>(v & 0xff);
      return 2;
    }
    size_t n = 1;
    while (n < 7 && !(v >= -(int64_t{1} << (8 * n - 1)) && v < (int64_t{1} << (8 * n - 1)))) ++n;
    uint64_t u = static_cast<uint64_t>(v);
    buf[0] = static_cast<char>(n);
    for (size_t i = 0; i < n; ++i) buf[1 + i] = static_cast<char>(u >> (8 * i));
    return 1 + n;
  }
  buf[0] = static_cast<char>(kTagDouble);
  std::memcpy(buf + 1, &d, 8);
  return 9;
}

// Bytes before the member in an element whose first byte is tag.
inline size_t HeaderSize(uint8_t tag) {
  return tag >= kTagShort ? 2 : tag >= kTagTiny ? 1 : 1 + tag;
}

inline std::string_view PairMember(std::string_view e) {
  return e.substr(HeaderSize(static_cast<uint8_t>(e[0])));
}

double PairScore(std::string_view e) {
  uint8_t tag = static_cast<uint8_t>(e[0]);
  if (tag >= kTagShort) return static_cast<double>(((tag & 0x7f) << 8) | static_cast<uint8_t>(e[1]));
  if (tag >= kTagTiny) return static_cast<double>(tag - kTagTiny);
  if (tag == kTagDouble) {
    double d;
    std::memcpy(&d, e.data() + 1, 8);
    return d;
  }
  uint64_t u = 0;
  for (size_t i = 0; i < tag; ++i)
    u |= static_cast<uint64_t>(static_cast<uint8_t>(e[1 + i])) << (8 * i);
  if (static_cast<uint8_t>(e[tag]) & 0x80) u |= ~uint64_t{0} << (8 * tag);
  return static_cast<double>(static_cast<int64_t>(u));
}

// A per-thread buffer for building elements (no allocation per insert once it has grown).
std::string& Scratch() {
  thread_local std::string s;
  return s;
}

// Gives back a scratch buffer that a huge member grew (zset-max-listpack-value may be large).
void TrimScratch() {
  if (Scratch().capacity() > 65536) std::string().swap(Scratch());
}

// The element for (score, member), built in *scratch.
std::string_view EncodePair(double score, std::string_view member, std::string* scratch) {
  char head[kMaxPairHeader];
  size_t n = EncodeScore(score, head);
  scratch->assign(head, n);
  scratch->append(member.data(), member.size());
  return *scratch;
}

// ---------------------------------------------------------------------------------------------
// Skiplist primitives

void* AllocOrDie(size_t n) {
  void* p = std::malloc(n);
  if (p == nullptr) std::abort();
  return p;
}

ZNode* NewNode(int level, double score, std::string_view member) {
  size_t bytes = sizeof(ZNode) + static_cast<size_t>(level) * (sizeof(ZNode*) + sizeof(uint32_t)) +
                 member.size();
  ZNode* n = static_cast<ZNode*>(AllocOrDie(bytes));
  n->hnext = nullptr;
  n->backward = nullptr;
  n->score = score;
  n->len = static_cast<uint32_t>(member.size());
  n->level = static_cast<uint8_t>(level);
  for (int i = 0; i < level; ++i) {
    n->forward()[i] = nullptr;
    n->span()[i] = 0;
  }
  if (!member.empty()) std::memcpy(n->member_data(), member.data(), member.size());
  return n;
}

// Level of a new node: 1 + the number of leading "heads" with p = 1/4 (Redis's
// ZSKIPLIST_P), at most kMaxLevel.
int RandomLevel() {
  uint64_t r = Random64() | (uint64_t{1} << 62);
  return 1 + __builtin_ctzll(r) / 2;
}

// (a.score, a.member) < (score, member)
inline bool Less(const ZNode* a, double score, std::string_view member) {
  return a->score < score || (a->score == score && a->member().compare(member) < 0);
}

}  // namespace

// The member -> node hash index: chains through ZNode::hnext, bucket = hash & mask. It grows
// when it holds more members than buckets and shrinks below 1/8 full, like storage::Dict, but
// incrementally, like Redis's dict: a resize allocates the new table and every later insert or
// removal moves one more bucket, so no command stalls on rehashing a large set (a whole-table
// rehash of 1M members held the shard lock for about a quarter of a second).
class ZIndex {
 public:
  ZIndex() = default;
  ~ZIndex() {
    std::free(t_[0]);
    std::free(t_[1]);
  }
  ZIndex(const ZIndex&) = delete;
  ZIndex& operator=(const ZIndex&) = delete;

  ZNode* Find(std::string_view member) const {
    if (n_[0] == 0) return nullptr;
    uint64_t h = HashKey(member);
    for (int t = 0; t <= (rehashing() ? 1 : 0); ++t) {
      for (ZNode* n = t_[t][h & (n_[t] - 1)]; n != nullptr; n = n->hnext) {
        if (n->len == member.size() &&
            (member.empty() || std::memcmp(n->member().data(), member.data(), member.size()) == 0))
          return n;
      }
    }
    return nullptr;
  }

  // Adds a node whose member is not indexed yet; size is the member count including it.
  void Insert(ZNode* node, size_t size) {
    if (n_[0] == 0) Allocate(0, 4);
    if (rehashing()) Step(1);
    int t = rehashing() ? 1 : 0;
    ZNode*& head = t_[t][HashKey(node->member()) & (n_[t] - 1)];
    node->hnext = head;
    head = node;
    if (!rehashing() && size > n_[0]) Resize(n_[0] * 2);
  }

  // Removes an indexed node; size is the member count without it.
  void Remove(ZNode* node, size_t size) {
    if (rehashing()) Step(1);
    uint64_t h = HashKey(node->member());
    for (int t = 0; t <= (rehashing() ? 1 : 0); ++t) {
      for (ZNode** link = &t_[t][h & (n_[t] - 1)]; *link != nullptr; link = &(*link)->hnext) {
        if (*link == node) {
          *link = node->hnext;
          node->hnext = nullptr;
          t = 2;  // done
          break;
        }
      }
    }
    if (!rehashing() && n_[0] > 4 && size < n_[0] / 8) {
      size_t m = n_[0];
      while (m > 4 && size < m / 2) m /= 2;
      Resize(m);
    }
  }

  // An empty index sized for n members up front (bulk builds).
  void Reserve(size_t n) {
    if (n_[0] != 0) return;
    size_t want = 4;
    while (want < n) want *= 2;
    Allocate(0, want);
  }

  // One step of Redis's reverse-binary cursor (dictScan): visits the bucket at cursor, and
  // while rehashing every bucket of the larger table that it expands to, so each member
  // present for a whole scan is returned at least once across any resizes. fn(const ZNode*).
  template <typename Fn>
  uint64_t ScanStep(uint64_t v, Fn&& fn) const {
    if (n_[0] == 0) return 0;
    if (!rehashing()) {
      uint64_t m0 = n_[0] - 1;
      for (const ZNode* e = t_[0][v & m0]; e != nullptr; e = e->hnext) fn(e);
      v |= ~m0;
      return ReverseBits(ReverseBits(v) + 1);
    }
    int small = n_[0] <= n_[1] ? 0 : 1, large = 1 - small;
    uint64_t m0 = n_[small] - 1, m1 = n_[large] - 1;
    for (const ZNode* e = t_[small][v & m0]; e != nullptr; e = e->hnext) fn(e);
    do {
      for (const ZNode* e = t_[large][v & m1]; e != nullptr; e = e->hnext) fn(e);
      v |= ~m1;
      v = ReverseBits(ReverseBits(v) + 1);
    } while (v & (m0 ^ m1));
    return v;
  }

  // Bucket pointers held (both tables while rehashing).
  size_t bucket_count() const { return n_[0] + n_[1]; }

  template <typename Fn>
  void ForEachNode(Fn&& fn) const {
    for (int t = 0; t < 2; ++t)
      for (size_t b = 0; b < n_[t]; ++b)
        for (const ZNode* e = t_[t][b]; e != nullptr; e = e->hnext) fn(e);
  }

 private:
  bool rehashing() const { return t_[1] != nullptr; }

  void Allocate(int t, size_t n) {
    t_[t] = static_cast<ZNode**>(std::calloc(n, sizeof(ZNode*)));
    if (t_[t] == nullptr) std::abort();
    n_[t] = n;
  }

  void Resize(size_t n) {
    Allocate(1, n);
    next_ = 0;
  }

  // Moves up to `buckets` non-empty buckets of the old table (visiting at most ten times as
  // many empty ones); swaps the tables when the old one is empty.
  void Step(size_t buckets) {
    size_t empty_visits = buckets * 10;
    uint64_t mask = n_[1] - 1;
    while (buckets > 0 && next_ < n_[0]) {
      ZNode* e = t_[0][next_];
      if (e == nullptr) {
        ++next_;
        if (--empty_visits == 0) break;
        continue;
      }
      while (e != nullptr) {
        ZNode* next = e->hnext;
        ZNode*& head = t_[1][HashKey(e->member()) & mask];
        e->hnext = head;
        head = e;
        e = next;
      }
      t_[0][next_++] = nullptr;
      --buckets;
    }
    if (next_ == n_[0]) {
      std::free(t_[0]);
      t_[0] = t_[1];
      n_[0] = n_[1];
      t_[1] = nullptr;
      n_[1] = 0;
    }
  }

  ZNode** t_[2] = {nullptr, nullptr};  // t_[1] only while rehashing from t_[0]
  size_t n_[2] = {0, 0};               // bucket counts, powers of two
  size_t next_ = 0;                    // first t_[0] bucket not yet moved
};

struct ZSkipList {
  ZNode* header = nullptr;
  ZNode* tail = nullptr;
  size_t length = 0;
  int level = 1;
  ZIndex index;  // member -> node

  ZSkipList() { header = NewNode(ZSetObject::kMaxLevel, 0, {}); }
  ~ZSkipList() {
    ZNode* x = header->next();
    while (x != nullptr) {
      ZNode* next = x->next();
      std::free(x);
      x = next;
    }
    std::free(header);
  }
  ZSkipList(const ZSkipList&) = delete;
  ZSkipList& operator=(const ZSkipList&) = delete;

  ZNode* Find(std::string_view member) const { return index.Find(member); }
  void Index(ZNode* n) { index.Insert(n, length); }      // after length counts n
  void Unindex(ZNode* n) { index.Remove(n, length); }    // after length no longer counts n
  void Reserve(size_t n) { index.Reserve(n); }

  // ---- skiplist ----
  // Fills update[i] with the last node at level i ordered before (score, member); rank[i]
  // (if given) with its 1-based rank (header = 0).
  void FindUpdate(double score, std::string_view member, ZNode** update, size_t* rank) const {
    ZNode* x = header;
    size_t r = 0;
    for (int i = level - 1; i >= 0; --i) {
      while (x->forward()[i] != nullptr && Less(x->forward()[i], score, member)) {
        r += x->span()[i];
        x = x->forward()[i];
      }
      update[i] = x;
      if (rank != nullptr) rank[i] = r;
    }
  }

  // Links node (level, score and member set) in order; the member must not be present.
  void Link(ZNode* node) {
    ZNode* update[ZSetObject::kMaxLevel];
    size_t rank[ZSetObject::kMaxLevel];
    FindUpdate(node->score, node->member(), update, rank);
    int lvl = node->level;
    if (lvl > level) {
      for (int i = level; i < lvl; ++i) {
        rank[i] = 0;
        update[i] = header;
        header->span()[i] = static_cast<uint32_t>(length);
      }
      level = lvl;
    }
    for (int i = 0; i < lvl; ++i) {
      node->forward()[i] = update[i]->forward()[i];
      update[i]->forward()[i] = node;
      node->span()[i] = static_cast<uint32_t>(update[i]->span()[i] - (rank[0] - rank[i]));
      update[i]->span()[i] = static_cast<uint32_t>(rank[0] - rank[i] + 1);
    }
    for (int i = lvl; i < level; ++i) update[i]->span()[i]++;
    node->backward = update[0] == header ? nullptr : update[0];
    if (node->next() != nullptr) {
      node->next()->backward = node;
    } else {
      tail = node;
    }
    ++length;
  }

  // Unlinks x given the update vector of its position.
  void Unlink(ZNode* x, ZNode** update) {
    for (int i = 0; i < level; ++i) {
      if (update[i]->forward()[i] == x) {
        update[i]->span()[i] += x->span()[i] - 1;
        update[i]->forward()[i] = x->forward()[i];
      } else {
        update[i]->span()[i] -= 1;
      }
    }
    if (x->next() != nullptr) {
      x->next()->backward = x->backward;
    } else {
      tail = x->backward;
    }
    while (level > 1 && header->forward()[level - 1] == nullptr) --level;
    --length;
  }

  ZNode* Insert(double score, std::string_view member) {
    ZNode* node = NewNode(RandomLevel(), score, member);
    Link(node);
    Index(node);
    return node;
  }

  void Delete(ZNode* x) {
    ZNode* update[ZSetObject::kMaxLevel];
    FindUpdate(x->score, x->member(), update, nullptr);
    Unlink(x, update);
    Unindex(x);
    std::free(x);
  }

  void UpdateScore(ZNode* x, double score) {
    // Same place in the order: just rewrite the score (Redis's zslUpdateScore fast path).
    if ((x->backward == nullptr || x->backward->score < score) &&
        (x->next() == nullptr || x->next()->score > score)) {
      x->score = score;
      return;
    }
    ZNode* update[ZSetObject::kMaxLevel];
    FindUpdate(x->score, x->member(), update, nullptr);
    Unlink(x, update);
    x->score = score;
    Link(x);  // the node keeps its level, its address and so its hash chain
  }

  // 1-based rank of x.
  size_t RankOf(const ZNode* x) const {
    const ZNode* n = header;
    size_t r = 0;
    for (int i = level - 1; i >= 0; --i) {
      while (n->forward()[i] != nullptr &&
             (n->forward()[i] == x || Less(n->forward()[i], x->score, x->member()))) {
        r += n->span()[i];
        n = n->forward()[i];
      }
      if (n == x) return r;
    }
    return r;
  }

  // Node of 1-based rank r, or nullptr.
  ZNode* ByRank(size_t r) const {
    ZNode* x = header;
    size_t traversed = 0;
    for (int i = level - 1; i >= 0; --i) {
      while (x->forward()[i] != nullptr && traversed + x->span()[i] <= r) {
        traversed += x->span()[i];
        x = x->forward()[i];
      }
      if (traversed == r) return x == header ? nullptr : x;
    }
    return nullptr;
  }

  // Deletes 1-based ranks [start, end]; returns how many.
  size_t DeleteRanks(size_t start, size_t end) {
    ZNode* update[ZSetObject::kMaxLevel];
    ZNode* x = header;
    size_t traversed = 0;
    for (int i = level - 1; i >= 0; --i) {
      while (x->forward()[i] != nullptr && traversed + x->span()[i] < start) {
        traversed += x->span()[i];
        x = x->forward()[i];
      }
      update[i] = x;
    }
    ++traversed;
    x = x->next();
    size_t removed = 0;
    while (x != nullptr && traversed <= end) {
      ZNode* next = x->next();
      Unlink(x, update);
      Unindex(x);
      std::free(x);
      ++removed;
      ++traversed;
      x = next;
    }
    return removed;
  }

  // Appends nodes in ascending order (building a list from sorted input in O(n)).
  class Appender {
   public:
    explicit Appender(ZSkipList* sl) : sl_(sl) {
      for (int i = 0; i < ZSetObject::kMaxLevel; ++i) {
        last_[i] = sl->header;
        rank_[i] = 0;
      }
    }
    void Add(double score, std::string_view member) {
      ZNode* node = NewNode(RandomLevel(), score, member);
      size_t r = sl_->length + 1;
      int lvl = node->level;
      if (lvl > sl_->level) sl_->level = lvl;
      for (int i = 0; i < lvl; ++i) {
        last_[i]->forward()[i] = node;
        last_[i]->span()[i] = static_cast<uint32_t>(r - rank_[i]);
        last_[i] = node;
        rank_[i] = r;
      }
      node->backward = sl_->tail;
      sl_->tail = node;
      sl_->length = r;
      sl_->Index(node);
    }
    // Spans of the last node at each level count the nodes after it (what Link maintains).
    void Finish() {
      for (int i = 0; i < sl_->level; ++i)
        last_[i]->span()[i] = static_cast<uint32_t>(sl_->length - rank_[i]);
    }

   private:
    ZSkipList* sl_;
    ZNode* last_[ZSetObject::kMaxLevel];
    size_t rank_[ZSetObject::kMaxLevel];
  };
};

// ---------------------------------------------------------------------------------------------
// ZSetObject

ZSkipList* ZSetObject::sl() const {
  ZSkipList* p;
  std::memcpy(&p, lp_.Get(lp_.Next(0)).data(), sizeof(p));
  return p;
}

void ZSetObject::SetSkipList(ZSkipList* p) {
  lp_ = Listpack();  // frees any listpack buffer; what follows fits the inline buffer
  lp_.PushBack({});
  lp_.PushBack(std::string_view(reinterpret_cast<const char*>(&p), sizeof(p)));
}

ZSetObject::~ZSetObject() {
  if (!is_listpack()) delete sl();
}

size_t ZSetObject::size() const { return is_listpack() ? lp_.size() : sl()->length; }

Object* ZSetObject::Clone() const {
  ZSetObject* z = new ZSetObject();
  if (is_listpack()) {
    z->lp_ = lp_;
    z->Compact();
    return z;
  }
  const ZSkipList* src = sl();
  ZSkipList* dst = new ZSkipList();
  dst->Reserve(src->length);
  ZSkipList::Appender app(dst);
  for (const ZNode* x = src->header->next(); x != nullptr; x = x->next())
    app.Add(x->score, x->member());
  app.Finish();
  z->SetSkipList(dst);
  return z;
}

ZSetObject* ZSetObject::FromSorted(const std::vector<std::pair<std::string, double>>& items) {
  size_t maxlen = 0, total = 0;
  for (const auto& it : items) {
    maxlen = std::max(maxlen, it.first.size());
    total += it.first.size();
  }
  const EncodingLimits& lim = Limits();
  ZSetObject* z = new ZSetObject();
  if (static_cast<int64_t>(items.size()) <= lim.zset_max_listpack_entries.load(std::memory_order_relaxed) &&
      static_cast<int64_t>(maxlen) <= lim.zset_max_listpack_value.load(std::memory_order_relaxed) &&
      total < kListpackSafeBytes) {
    std::string& scratch = Scratch();
    for (const auto& it : items) z->lp_.PushBack(EncodePair(it.second, it.first, &scratch));
    TrimScratch();
    z->Compact();
    return z;
  }
  ZSkipList* sl = new ZSkipList();
  sl->Reserve(items.size());
  ZSkipList::Appender app(sl);
  for (const auto& it : items) app.Add(it.second, it.first);
  app.Finish();
  z->SetSkipList(sl);
  return z;
}

void ZSetObject::ConvertToSkiplist() {
  ZSkipList* sl = new ZSkipList();
  sl->Reserve(size() + 1);
  ZSkipList::Appender app(sl);
  for (size_t p = lp_.First(); p != Listpack::kEnd; p = lp_.Next(p)) {
    std::string_view e = lp_.Get(p);
    app.Add(PairScore(e), PairMember(e));
  }
  app.Finish();
  SetSkipList(sl);
}

size_t ZSetObject::ListpackFind(std::string_view member, double* score) const {
  for (size_t p = lp_.First(); p != Listpack::kEnd; p = lp_.Next(p)) {
    std::string_view e = lp_.Get(p);
    if (PairMember(e) == member) {
      if (score != nullptr) *score = PairScore(e);
      return p;
    }
  }
  return Listpack::kEnd;
}

void ZSetObject::ListpackInsert(double score, std::string_view member) {
  size_t pos = lp_.bytes();
  for (size_t p = lp_.First(); p != Listpack::kEnd; p = lp_.Next(p)) {
    std::string_view e = lp_.Get(p);
    double cur = PairScore(e);
    if (cur > score || (cur == score && PairMember(e).compare(member) > 0)) {
      pos = p;
      break;
    }
  }
  lp_.Insert(pos, EncodePair(score, member, &Scratch()));
  TrimScratch();
  Compact();
}

// Listpack grows its buffer by doubling (std::string), and never shrinks it; Redis reallocs its
// listpacks to the byte on every change. A copy is allocated to exactly size() bytes (inline up
// to std::string's small-string capacity), so every change ends with one.
void ZSetObject::Compact() {
  Listpack exact(lp_);
  lp_ = std::move(exact);
}

void ZSetObject::ListpackErase(size_t pos, size_t n) {
  for (size_t i = 0; i < n; ++i) pos = lp_.Erase(pos);
  Compact();
}

bool ZSetObject::Add(double score, std::string_view member, unsigned flags, unsigned* out,
                     double* newscore) {
  const bool incr = flags & kAddIncr, nx = flags & kAddNX, xx = flags & kAddXX;
  const bool gt = flags & kAddGT, lt = flags & kAddLT;
  *out = 0;
  if (std::isnan(score)) return false;

  if (is_listpack()) {
    double cur;
    size_t pos = ListpackFind(member, &cur);
    if (pos != Listpack::kEnd) {
      if (nx) {
        *out |= kOutNop;
        return true;
      }
      if (incr) {
        score += cur;
        if (std::isnan(score)) return false;
      }
      if ((lt && score >= cur) || (gt && score <= cur)) {
        *out |= kOutNop;
        return true;
      }
      if (newscore != nullptr) *newscore = score;
      if (score != cur) {
        lp_.Erase(pos);
        ListpackInsert(score, member);
        *out |= kOutUpdated;
      }
      return true;
    }
    if (xx) {
      *out |= kOutNop;
      return true;
    }
    const EncodingLimits& lim = Limits();
    if (static_cast<int64_t>(size() + 1) >
            lim.zset_max_listpack_entries.load(std::memory_order_relaxed) ||
        static_cast<int64_t>(member.size()) >
            lim.zset_max_listpack_value.load(std::memory_order_relaxed) ||
        lp_.bytes() + member.size() + 32 > kListpackSafeBytes) {
      ConvertToSkiplist();
    } else {
      ListpackInsert(score, member);
      if (newscore != nullptr) *newscore = score;
      *out |= kOutAdded;
      return true;
    }
  }

  ZSkipList* list = sl();
  ZNode* node = list->Find(member);
  if (node != nullptr) {
    if (nx) {
      *out |= kOutNop;
      return true;
    }
    double cur = node->score;
    if (incr) {
      score += cur;
      if (std::isnan(score)) return false;
    }
    if ((lt && score >= cur) || (gt && score <= cur)) {
      *out |= kOutNop;
      return true;
    }
    if (newscore != nullptr) *newscore = score;
    if (score != cur) {
      list->UpdateScore(node, score);
      *out |= kOutUpdated;
    }
    return true;
  }
  if (xx) {
    *out |= kOutNop;
    return true;
  }
  list->Insert(score, member);
  if (newscore != nullptr) *newscore = score;
  *out |= kOutAdded;
  return true;
}

bool ZSetObject::Score(std::string_view member, double* score) const {
  if (is_listpack()) return ListpackFind(member, score) != Listpack::kEnd;
  const ZNode* n = sl()->Find(member);
  if (n == nullptr) return false;
  *score = n->score;
  return true;
}

bool ZSetObject::Remove(std::string_view member) {
  if (is_listpack()) {
    size_t pos = ListpackFind(member, nullptr);
    if (pos == Listpack::kEnd) return false;
    ListpackErase(pos, 1);
    return true;
  }
  ZSkipList* list = sl();
  ZNode* n = list->Find(member);
  if (n == nullptr) return false;
  list->Delete(n);
  return true;
}

bool ZSetObject::Rank(std::string_view member, bool reverse, size_t* rank) const {
  size_t r;
  if (is_listpack()) {
    r = 0;
    size_t p = lp_.First();
    for (; p != Listpack::kEnd; p = lp_.Next(p), ++r)
      if (PairMember(lp_.Get(p)) == member) break;
    if (p == Listpack::kEnd) return false;
  } else {
    const ZSkipList* list = sl();
    const ZNode* n = list->Find(member);
    if (n == nullptr) return false;
    r = list->RankOf(n) - 1;
  }
  *rank = reverse ? size() - 1 - r : r;
  return true;
}

std::string_view ZSetObject::Iter::member() const {
  return lp_ != nullptr ? PairMember(lp_->Get(pos_)) : node_->member();
}

double ZSetObject::Iter::score() const {
  return lp_ != nullptr ? PairScore(lp_->Get(pos_)) : node_->score;
}

void ZSetObject::Iter::Next() {
  if (lp_ != nullptr) {
    pos_ = lp_->Next(pos_);
  } else {
    node_ = node_->next();
  }
}

void ZSetObject::Iter::Prev() {
  if (lp_ != nullptr) {
    pos_ = lp_->Prev(pos_);
  } else {
    node_ = node_->backward;
  }
}

ZSetObject::Iter ZSetObject::AtRank(size_t rank) const {
  Iter it;
  if (is_listpack()) {
    it.lp_ = &lp_;
    it.pos_ = rank < lp_.size() ? lp_.Seek(static_cast<int64_t>(rank)) : Listpack::kEnd;
  } else {
    const ZSkipList* list = sl();
    it.node_ = rank < list->length ? list->ByRank(rank + 1) : nullptr;
  }
  return it;
}

namespace {
// Listpack walks for the first / last element inside a range (Redis's zzlFirstInRange & co).
// gte(score, member): at or above the lower end; lte: at or below the upper end. The caller
// has checked that the last element is above the lower end and the first below the upper.
template <typename GteMin, typename LteMax>
ZSetObject::Iter FirstIn(const ZSetObject& z, size_t* rank, GteMin gte, LteMax lte) {
  ZSetObject::Iter it = z.Begin();
  size_t r = 0;
  for (; it.valid(); it.Next(), ++r) {
    double s = it.score();
    if (gte(s, it.member())) {
      if (!lte(s, it.member())) break;
      *rank = r;
      return it;
    }
  }
  return z.AtRank(z.size());  // invalid
}

template <typename GteMin, typename LteMax>
ZSetObject::Iter LastIn(const ZSetObject& z, size_t* rank, GteMin gte, LteMax lte) {
  size_t n = z.size();
  if (n == 0) return z.AtRank(0);
  ZSetObject::Iter it = z.AtRank(n - 1);
  size_t r = n - 1;
  for (; it.valid(); it.Prev(), --r) {
    double s = it.score();
    if (lte(s, it.member())) {
      if (!gte(s, it.member())) break;
      *rank = r;
      return it;
    }
  }
  return z.AtRank(n);
}

// Skiplist versions: descend while the next node is below the range (first) or not above it
// (last), counting spans.
template <typename Pred>
const ZNode* SkipDescend(const ZSkipList* sl, Pred advance, size_t* rank) {
  const ZNode* x = sl->header;
  size_t r = 0;
  for (int i = sl->level - 1; i >= 0; --i) {
    while (x->forward()[i] != nullptr && advance(x->forward()[i])) {
      r += x->span()[i];
      x = x->forward()[i];
    }
  }
  *rank = r;
  return x;
}
}  // namespace

// Redis's zslIsInRange / zzlIsInRange pre-check, then the walk (listpack) or the descent
// (skiplist), shared by score and lex ranges.
template <typename GteMin, typename LteMax>
ZSetObject::Iter ZSetObject::FindIn(bool empty, GteMin gte, LteMax lte, bool last,
                                    size_t* rank) const {
  size_t n = size();
  Iter none = AtRank(n);
  if (empty || n == 0) return none;
  Iter lo = AtRank(0), hi = AtRank(n - 1);
  if (!gte(hi.score(), hi.member()) || !lte(lo.score(), lo.member())) return none;
  if (is_listpack()) return last ? LastIn(*this, rank, gte, lte) : FirstIn(*this, rank, gte, lte);
  const ZSkipList* list = sl();
  size_t r;
  const ZNode* x;
  if (!last) {
    x = SkipDescend(list, [&](const ZNode* e) { return !gte(e->score, e->member()); }, &r);
    x = x->next();  // at 1-based rank r + 1
    if (x == nullptr || !lte(x->score, x->member())) return none;
    *rank = r;
  } else {
    x = SkipDescend(list, [&](const ZNode* e) { return lte(e->score, e->member()); }, &r);
    if (x == list->header || !gte(x->score, x->member())) return none;
    *rank = r - 1;
  }
  Iter it;
  it.node_ = x;
  return it;
}

ZSetObject::Iter ZSetObject::FirstInRange(const ZScoreRange& range, size_t* rank) const {
  return FindIn(
      range.Empty(), [&](double s, std::string_view) { return range.GteMin(s); },
      [&](double s, std::string_view) { return range.LteMax(s); }, false, rank);
}

ZSetObject::Iter ZSetObject::LastInRange(const ZScoreRange& range, size_t* rank) const {
  return FindIn(
      range.Empty(), [&](double s, std::string_view) { return range.GteMin(s); },
      [&](double s, std::string_view) { return range.LteMax(s); }, true, rank);
}

ZSetObject::Iter ZSetObject::FirstInLex(const ZLexRange& range, size_t* rank) const {
  return FindIn(
      range.Empty(), [&](double, std::string_view m) { return range.GteMin(m); },
      [&](double, std::string_view m) { return range.LteMax(m); }, false, rank);
}

ZSetObject::Iter ZSetObject::LastInLex(const ZLexRange& range, size_t* rank) const {
  return FindIn(
      range.Empty(), [&](double, std::string_view m) { return range.GteMin(m); },
      [&](double, std::string_view m) { return range.LteMax(m); }, true, rank);
}

size_t ZSetObject::DeleteRankRange(size_t start, size_t end) {
  size_t n = size();
  if (n == 0 || start >= n || start > end) return 0;
  if (end >= n) end = n - 1;
  if (!is_listpack()) return sl()->DeleteRanks(start + 1, end + 1);
  ListpackErase(lp_.Seek(static_cast<int64_t>(start)), end - start + 1);
  return end - start + 1;
}

uint64_t ZSetObject::ScanNodes(uint64_t cursor, std::vector<const ZNode*>* out) const {
  return sl()->index.ScanStep(cursor, [&](const ZNode* e) { out->push_back(e); });
}

size_t ZSetObject::ApproxBytes() const {
  if (is_listpack()) return lp_.bytes();
  const ZSkipList* sl_ = sl();
  size_t total = malloc_usable_size(sl_->header) + sl_->index.bucket_count() * sizeof(ZNode*);
  for (const ZNode* x = sl_->header->next(); x != nullptr; x = x->next())
    total += malloc_usable_size(const_cast<ZNode*>(x));
  return total;
}

bool ZSetObject::Verify() const {
  if (is_listpack()) {
    bool first = true;
    double prev_s = 0;
    std::string prev_m;
    for (Iter it = Begin(); it.valid(); it.Next()) {
      double s = it.score();
      if (std::isnan(s)) return false;
      if (!first && (s < prev_s || (s == prev_s && it.member().compare(prev_m) <= 0)))
        return false;
      first = false;
      prev_s = s;
      prev_m = std::string(it.member());
    }
    return true;
  }
  const ZSkipList* sl_ = sl();
  // Level 0: order, backward links, ranks.
  std::vector<const ZNode*> order;
  const ZNode* prev = nullptr;
  for (const ZNode* x = sl_->header->next(); x != nullptr; x = x->next()) {
    if (x->backward != prev) return false;
    if (prev != nullptr && !Less(prev, x->score, x->member())) return false;
    if (x->level < 1 || x->level > kMaxLevel) return false;
    order.push_back(x);
    prev = x;
  }
  if (order.size() != sl_->length || sl_->tail != prev) return false;
  auto rank_of = [&](const ZNode* x) -> size_t {
    if (x == sl_->header) return 0;
    size_t lo = 0, hi = order.size();  // binary search by order
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (order[mid] == x) return mid + 1;
      if (Less(order[mid], x->score, x->member())) lo = mid + 1; else hi = mid;
    }
    return lo < order.size() && order[lo] == x ? lo + 1 : SIZE_MAX;
  };
  // Every level: forward links skip forward, spans equal rank distances, the last span of a
  // level counts the nodes after it.
  for (int i = 0; i < sl_->level; ++i) {
    const ZNode* x = sl_->header;
    for (;;) {
      size_t rx = rank_of(x);
      const ZNode* f = x->forward()[i];
      if (f == nullptr) {
        if (x->span()[i] != sl_->length - rx) return false;
        break;
      }
      if (f->level <= i) return false;
      size_t rf = rank_of(f);
      if (rf == SIZE_MAX || rf <= rx || x->span()[i] != rf - rx) return false;
      x = f;
    }
  }
  for (int i = sl_->level; i < kMaxLevel; ++i)
    if (sl_->header->forward()[i] != nullptr) return false;
  if (sl_->level > 1 && sl_->header->forward()[sl_->level - 1] == nullptr) return false;
  // Hash index: every node findable, nothing else in it.
  size_t indexed = 0;
  sl_->index.ForEachNode([&](const ZNode*) { ++indexed; });
  if (indexed != sl_->length) return false;
  for (const ZNode* x : order)
    if (sl_->Find(x->member()) != x) return false;
  return true;
}

}  // namespace strata::storage
static_assert(sizeof(strata::storage::ZSetObject) == 48, "vtable + Listpack");
