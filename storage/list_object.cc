// The list value: node layout, element encoding and the list operations (see list_object.h).
#include "storage/list_object.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "common/strutil.h"
#include "storage/limits.h"

namespace strata::storage {

struct ListNode {
  ListNode* prev;
  ListNode* next;
  uint32_t begin;  // offset of the first element in the area
  uint32_t bytes;  // bytes of elements, [begin, begin + bytes)
  uint32_t cap;    // size of the area
  uint32_t count;  // elements; a node in a list is never empty

  uint8_t* area() { return reinterpret_cast<uint8_t*>(this + 1); }
  const uint8_t* area() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  uint8_t* data() { return area() + begin; }
  const uint8_t* data() const { return area() + begin; }
};

namespace {

constexpr size_t kHdr = sizeof(ListNode);
static_assert(kHdr == 32, "node header is meant to be 32 bytes");
constexpr size_t kSafetyLimit = 8192;  // node bytes for a count-based fill (Redis's rule)
constexpr size_t kMaxArea = std::numeric_limits<uint32_t>::max();

// ---- element encoding ----

enum : uint8_t {
  kStr32 = 0xF0,
  kInt16 = 0xF1,
  kInt24 = 0xF2,
  kInt32 = 0xF3,
  kInt64 = 0xF4,
};

size_t BacklenSize(size_t body) {
  size_t n = 1;
  while (body >= 0x80) {
    body >>= 7;
    ++n;
  }
  return n;
}

// Bytes of header + payload of the element at p.
inline size_t BodySize(const uint8_t* p) {
  uint8_t b = p[0];
  if (b < 0x80) return 1;
  if (b < 0xC0) return 1 + (b & 0x3f);
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 2 + ((static_cast<size_t>(b & 0x0f) << 8) | p[1]);
  switch (b) {
    case kStr32: {
      uint32_t len;
      std::memcpy(&len, p + 1, 4);
      return 5 + static_cast<size_t>(len);
    }
    case kInt16: return 3;
    case kInt24: return 4;
    case kInt32: return 5;
    default: return 9;
  }
}

inline size_t EntrySize(const uint8_t* p) {
  size_t body = BodySize(p);
  return body + BacklenSize(body);
}

// Offset of the element that ends at `end` (an element boundary > 0) within data.
inline size_t PrevOffset(const uint8_t* data, size_t end) {
  size_t body = 0;
  size_t i = 0;
  while (true) {
    uint8_t b = data[end - 1 - i];
    body |= static_cast<size_t>(b & 0x7f) << (7 * i);
    ++i;
    if (!(b & 0x80)) break;
  }
  return end - i - body;
}

inline bool IsIntEntry(uint8_t b) { return b < 0x80 || (b >= 0xC0 && b < 0xE0) || b >= kInt16; }

int64_t LoadSigned(const uint8_t* p, size_t n) {
  uint64_t u = 0;
  for (size_t i = 0; i < n; ++i) u |= static_cast<uint64_t>(p[i]) << (8 * i);
  unsigned shift = static_cast<unsigned>(64 - 8 * n);
  return static_cast<int64_t>(u << shift) >> shift;  // sign-extend
}

// The integer of an integer element.
int64_t IntValue(const uint8_t* p) {
  uint8_t b = p[0];
  if (b < 0x80) return b;
  if (b < 0xE0) {
    int64_t raw = (static_cast<int64_t>(b & 0x1f) << 8) | p[1];
    return raw >= 4096 ? raw - 8192 : raw;
  }
  switch (b) {
    case kInt16: return LoadSigned(p + 1, 2);
    case kInt24: return LoadSigned(p + 1, 3);
    case kInt32: return LoadSigned(p + 1, 4);
    default: return LoadSigned(p + 1, 8);
  }
}

// The bytes of a string element.
std::string_view StrValue(const uint8_t* p) {
  uint8_t b = p[0];
  const char* c = reinterpret_cast<const char*>(p);
  if (b < 0xC0) return {c + 1, static_cast<size_t>(b & 0x3f)};
  if (b < 0xF0) return {c + 2, (static_cast<size_t>(b & 0x0f) << 8) | p[1]};
  uint32_t len;
  std::memcpy(&len, p + 1, 4);
  return {c + 5, len};
}

// An element ready to be written: header (and integer payload), then string bytes, then
// backlen.
struct Encoded {
  uint8_t head[9];
  uint8_t head_len = 0;
  std::string_view str;
  size_t body = 0;
  size_t total = 0;
};

void StoreLE(uint8_t* p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

Encoded Encode(std::string_view s) {
  Encoded e;
  int64_t v;
  if (ParseInt64(s, &v)) {
    uint64_t u = static_cast<uint64_t>(v);
    if (v >= 0 && v <= 127) {
      e.head[0] = static_cast<uint8_t>(v);
      e.head_len = 1;
    } else if (v >= -4096 && v <= 4095) {
      uint64_t raw = u & 0x1fff;
      e.head[0] = static_cast<uint8_t>(0xC0 | (raw >> 8));
      e.head[1] = static_cast<uint8_t>(raw & 0xff);
      e.head_len = 2;
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      e.head[0] = kInt16;
      StoreLE(e.head + 1, u, 2);
      e.head_len = 3;
    } else if (v >= -(1 << 23) && v < (1 << 23)) {
      e.head[0] = kInt24;
      StoreLE(e.head + 1, u, 3);
      e.head_len = 4;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      e.head[0] = kInt32;
      StoreLE(e.head + 1, u, 4);
      e.head_len = 5;
    } else {
      e.head[0] = kInt64;
      StoreLE(e.head + 1, u, 8);
      e.head_len = 9;
    }
  } else {
    size_t len = s.size();
    if (len < 64) {
      e.head[0] = static_cast<uint8_t>(0x80 | len);
      e.head_len = 1;
    } else if (len < 4096) {
      e.head[0] = static_cast<uint8_t>(0xE0 | (len >> 8));
      e.head[1] = static_cast<uint8_t>(len & 0xff);
      e.head_len = 2;
    } else {
      e.head[0] = kStr32;
      StoreLE(e.head + 1, len, 4);
      e.head_len = 5;
    }
    e.str = s;
  }
  e.body = e.head_len + e.str.size();
  e.total = e.body + BacklenSize(e.body);
  return e;
}

void Write(uint8_t* p, const Encoded& e) {
  std::memcpy(p, e.head, e.head_len);
  if (!e.str.empty()) std::memcpy(p + e.head_len, e.str.data(), e.str.size());
  size_t n = e.total - e.body;
  uint8_t* end = p + e.total;
  size_t v = e.body;
  for (size_t i = 0; i < n; ++i) {
    uint8_t g = static_cast<uint8_t>(v & 0x7f);
    v >>= 7;
    end[-1 - static_cast<ptrdiff_t>(i)] = static_cast<uint8_t>(i + 1 < n ? (g | 0x80) : g);
  }
}

bool Matches(const uint8_t* p, std::string_view str, int64_t iv, bool is_int) {
  if (IsIntEntry(p[0])) return is_int && IntValue(p) == iv;
  return !is_int && StrValue(p) == str;
}

// ---- node sizing ----

// The most bytes (header included) a node may grow to by appending small elements.
size_t NodeByteLimit(int64_t fill) {
  if (fill >= 0) return kSafetyLimit;
  int64_t level = std::min<int64_t>(-fill, 5) - 1;
  return size_t{4096} << level;
}

// May node n take `add` more bytes as one more element?
bool Fits(const ListNode* n, size_t add) {
  int64_t fill = Limits().list_max_listpack_size.load(std::memory_order_relaxed);
  size_t total = kHdr + n->bytes + add;
  if (fill < 0) return total <= NodeByteLimit(fill);
  return static_cast<int64_t>(n->count) < fill && total <= kSafetyLimit;
}

ListNode* AllocNode(size_t area) {
  void* mem = std::malloc(kHdr + area);
  if (mem == nullptr) std::abort();  // out of memory
  ListNode* n = static_cast<ListNode*>(mem);
  n->cap = static_cast<uint32_t>(std::min(malloc_usable_size(mem) - kHdr, kMaxArea));
  return n;
}

// Moves n's elements within its area so that they start at new_begin.
void Place(ListNode* n, size_t new_begin) {
  if (new_begin != n->begin) std::memmove(n->area() + new_begin, n->data(), n->bytes);
  n->begin = static_cast<uint32_t>(new_begin);
}

// Opens a gap of sz bytes at offset off of n's elements (capacity must suffice) and returns
// where the gap starts. Moves whichever side of the gap is cheaper; an insert at either end
// gathers the free room on that side, so a run of pushes moves the elements once.
uint8_t* OpenGap(ListNode* n, size_t off, size_t sz) {
  size_t front = n->begin;
  size_t back = n->cap - n->begin - n->bytes;
  if (off == 0) {
    if (front < sz) Place(n, n->cap - n->bytes);
    n->begin -= static_cast<uint32_t>(sz);
  } else if (off == n->bytes) {
    if (back < sz) Place(n, 0);
  } else if (front >= sz && (back < sz || off <= n->bytes - off)) {
    std::memmove(n->data() - sz, n->data(), off);
    n->begin -= static_cast<uint32_t>(sz);
  } else {
    if (back < sz) Place(n, 0);
    std::memmove(n->data() + off + sz, n->data() + off, n->bytes - off);
  }
  n->bytes += static_cast<uint32_t>(sz);
  return n->data() + off;
}

// Removes sz bytes at offset off of n's elements, moving the cheaper side.
void CloseGap(ListNode* n, size_t off, size_t sz) {
  size_t after = n->bytes - off - sz;
  if (off < after) {
    std::memmove(n->data() + sz, n->data(), off);
    n->begin += static_cast<uint32_t>(sz);
  } else {
    std::memmove(n->data() + off, n->data() + off + sz, after);
  }
  n->bytes -= static_cast<uint32_t>(sz);
}

// Offset just past the first k elements of n.
size_t SkipForward(const ListNode* n, size_t k) {
  const uint8_t* d = n->data();
  size_t off = 0;
  while (k-- > 0) off += EntrySize(d + off);
  return off;
}

// Offset of the k-th element counted back from the end of n (k >= 1), or bytes for k == 0.
size_t SkipBackward(const ListNode* n, size_t k) {
  const uint8_t* d = n->data();
  size_t off = n->bytes;
  while (k-- > 0) off = PrevOffset(d, off);
  return off;
}

}  // namespace

// ---- node list plumbing ----

ListObject::~ListObject() {
  for (ListNode* n = head_; n != nullptr;) {
    ListNode* next = n->next;
    std::free(n);
    n = next;
  }
}

Object* ListObject::Clone() const {
  auto* copy = new ListObject();
  ListNode* last = nullptr;
  for (const ListNode* n = head_; n != nullptr; n = n->next) {
    ListNode* c = AllocNode(n->bytes);
    c->begin = 0;
    c->bytes = n->bytes;
    c->count = n->count;
    std::memcpy(c->area(), n->data(), n->bytes);
    c->prev = last;
    c->next = nullptr;
    if (last != nullptr) {
      last->next = c;
    } else {
      copy->head_ = c;
    }
    last = c;
  }
  copy->tail_ = last;
  copy->count_ = count_;
  return copy;
}

size_t ListObject::node_count() const {
  size_t k = 0;
  for (const ListNode* n = head_; n != nullptr; n = n->next) ++k;
  return k;
}

size_t ListObject::node_bytes() const {
  size_t total = 0;
  for (const ListNode* n = head_; n != nullptr; n = n->next)
    total += malloc_usable_size(const_cast<ListNode*>(n));
  return total;
}

// A new empty node with an area of at least `need` bytes, linked after `after` (nullptr: as the
// new head). The caller fills it before the lock is released: nodes in a list are never empty.
ListNode* ListObject::NewNodeAfter(ListNode* after, size_t need) {
  ListNode* n = AllocNode(need);
  n->begin = 0;
  n->bytes = 0;
  n->count = 0;
  n->prev = after;
  n->next = after != nullptr ? after->next : head_;
  if (n->next != nullptr) {
    n->next->prev = n;
  } else {
    tail_ = n;
  }
  if (after != nullptr) {
    after->next = n;
  } else {
    head_ = n;
  }
  return n;
}

void ListObject::Unlink(ListNode* n) {
  if (n->prev != nullptr) {
    n->prev->next = n->next;
  } else {
    head_ = n->next;
  }
  if (n->next != nullptr) {
    n->next->prev = n->prev;
  } else {
    tail_ = n->prev;
  }
}

// n's block moved: point its neighbours (and head/tail) at its new address.
void ListObject::Relink(ListNode* n) {
  if (n->prev != nullptr) {
    n->prev->next = n;
  } else {
    head_ = n;
  }
  if (n->next != nullptr) {
    n->next->prev = n;
  } else {
    tail_ = n;
  }
}

// Gives n an area of at least `need` bytes (growing by half, up to the node limit, so a run of
// pushes reallocates O(log) times per node); the free room goes to the front or the back.
ListNode* ListObject::Grow(ListNode* n, size_t need, bool room_at_front) {
  int64_t fill = Limits().list_max_listpack_size.load(std::memory_order_relaxed);
  size_t bound = NodeByteLimit(fill) - kHdr;
  size_t want = std::min<size_t>(n->cap + n->cap / 2, bound);
  want = std::max(want, need);
  ListNode* g = AllocNode(want);
  g->prev = n->prev;
  g->next = n->next;
  g->bytes = n->bytes;
  g->count = n->count;
  g->begin = room_at_front ? g->cap - n->bytes : 0;
  std::memcpy(g->data(), n->data(), n->bytes);
  std::free(n);
  Relink(g);
  return g;
}

// Gives back memory a node no longer needs (after pops or removals).
ListNode* ListObject::MaybeShrink(ListNode* n) {
  if (n->cap < 256 || n->bytes >= n->cap / 4) return n;
  size_t want = n->bytes + n->bytes / 2;
  ListNode* s = AllocNode(want);
  s->prev = n->prev;
  s->next = n->next;
  s->bytes = n->bytes;
  s->count = n->count;
  s->begin = (s->cap - n->bytes) / 2;
  std::memcpy(s->data(), n->data(), n->bytes);
  std::free(n);
  Relink(s);
  return s;
}

// Splits n before the element at off (0 < off < bytes): the elements from off on move to a new
// node after n.
void ListObject::SplitAt(ListNode* n, size_t off) {
  size_t tail_bytes = n->bytes - off;
  // Count the moving elements, walking whichever part is shorter.
  size_t moved = 0;
  const uint8_t* d = n->data();
  if (tail_bytes <= off) {
    for (size_t o = off; o < n->bytes; o += EntrySize(d + o)) ++moved;
  } else {
    size_t kept = 0;
    for (size_t o = 0; o < off; o += EntrySize(d + o)) ++kept;
    moved = n->count - kept;
  }
  ListNode* m = NewNodeAfter(n, tail_bytes);
  std::memcpy(m->data(), n->data() + off, tail_bytes);
  m->bytes = static_cast<uint32_t>(tail_bytes);
  m->count = static_cast<uint32_t>(moved);
  n->bytes = static_cast<uint32_t>(off);
  n->count -= static_cast<uint32_t>(moved);
}

void ListObject::InsertAt(Pos p, std::string_view s) {
  Encoded e = Encode(s);
  ListNode* n = p.node;
  size_t off = p.off;
  if (n == nullptr) {
    n = NewNodeAfter(nullptr, e.total);
    off = 0;
  } else if (!Fits(n, e.total) && n->count > 0) {
    if (off == 0 && n->prev != nullptr && Fits(n->prev, e.total)) {
      n = n->prev;
      off = n->bytes;
    } else if (off == n->bytes && n->next != nullptr && Fits(n->next, e.total)) {
      n = n->next;
      off = 0;
    } else if (off == 0) {
      n = NewNodeAfter(n->prev, e.total);
    } else if (off == n->bytes) {
      n = NewNodeAfter(n, e.total);
      off = 0;
    } else {
      SplitAt(n, off);
      if (Fits(n, e.total)) {
        off = n->bytes;
      } else if (Fits(n->next, e.total)) {
        n = n->next;
        off = 0;
      } else {
        n = NewNodeAfter(n, e.total);
        off = 0;
      }
    }
  }
  if (n->bytes + e.total > n->cap) n = Grow(n, n->bytes + e.total, off == 0 && n->bytes > 0);
  Write(OpenGap(n, off, e.total), e);
  ++n->count;
  ++count_;
}

void ListObject::PushFront(std::string_view s) { InsertAt({head_, 0}, s); }

void ListObject::PushBack(std::string_view s) {
  InsertAt({tail_, tail_ != nullptr ? tail_->bytes : 0}, s);
}

void ListObject::EraseFront(size_t k) {
  while (k > 0 && head_ != nullptr) {
    ListNode* n = head_;
    if (n->count <= k) {
      k -= n->count;
      count_ -= n->count;
      Unlink(n);
      std::free(n);
      continue;
    }
    size_t off = SkipForward(n, k);
    n->begin += static_cast<uint32_t>(off);
    n->bytes -= static_cast<uint32_t>(off);
    n->count -= static_cast<uint32_t>(k);
    count_ -= k;
    MaybeShrink(n);
    break;
  }
}

void ListObject::EraseBack(size_t k) {
  while (k > 0 && tail_ != nullptr) {
    ListNode* n = tail_;
    if (n->count <= k) {
      k -= n->count;
      count_ -= n->count;
      Unlink(n);
      std::free(n);
      continue;
    }
    n->bytes = static_cast<uint32_t>(SkipBackward(n, k));
    n->count -= static_cast<uint32_t>(k);
    count_ -= k;
    MaybeShrink(n);
    break;
  }
}

// ---- positions and cursors ----

ListObject::Pos ListObject::Locate(int64_t index) const {
  int64_t total = static_cast<int64_t>(count_);
  if (index < 0) index += total;
  if (index < 0 || index >= total) return {nullptr, 0};
  size_t i = static_cast<size_t>(index);
  ListNode* n;
  if (i < count_ / 2) {
    n = head_;
    while (i >= n->count) {
      i -= n->count;
      n = n->next;
    }
  } else {
    size_t r = count_ - 1 - i;  // position counted from the tail
    n = tail_;
    while (r >= n->count) {
      r -= n->count;
      n = n->prev;
    }
    i = n->count - 1 - r;
  }
  size_t off = i < n->count / 2 ? SkipForward(n, i) : SkipBackward(n, n->count - i);
  return {n, off};
}

ListObject::Cursor ListObject::At(int64_t index) const {
  Cursor c;
  Pos p = Locate(index);
  c.node_ = p.node;
  c.off_ = p.off;
  return c;
}

std::string_view ListObject::Cursor::Get() {
  const uint8_t* p = node_->data() + off_;
  if (!IsIntEntry(p[0])) return StrValue(p);
  size_t len = FormatInt64(IntValue(p), scratch_);
  return {scratch_, len};
}

bool ListObject::Cursor::Matches(const Needle& n) const {
  return strata::storage::Matches(node_->data() + off_, n.str_, n.int_, n.is_int_);
}

void ListObject::Cursor::Next() {
  off_ += EntrySize(node_->data() + off_);
  if (off_ >= node_->bytes) {
    node_ = node_->next;
    off_ = 0;
  }
}

void ListObject::Cursor::Prev() {
  if (off_ == 0) {
    node_ = node_->prev;
    if (node_ != nullptr) off_ = PrevOffset(node_->data(), node_->bytes);
  } else {
    off_ = PrevOffset(node_->data(), off_);
  }
}

ListObject::Needle::Needle(std::string_view s) : str_(s) { is_int_ = ParseInt64(s, &int_); }

// ---- edits in the middle ----

bool ListObject::Set(int64_t index, std::string_view s) {
  Pos p = Locate(index);
  if (p.node == nullptr) return false;
  ListNode* n = p.node;
  size_t old = EntrySize(n->data() + p.off);
  Encoded e = Encode(s);
  if (e.total == old) {
    Write(n->data() + p.off, e);
    return true;
  }
  if (n->count == 1 || e.total < old || Fits(n, e.total - old)) {
    // Replace within the node.
    CloseGap(n, p.off, old);
    if (n->bytes + e.total > n->cap) n = Grow(n, n->bytes + e.total, false);
    Write(OpenGap(n, p.off, e.total), e);
    return true;
  }
  // The node is full: drop the old element (the node keeps others) and insert where it was.
  CloseGap(n, p.off, old);
  --n->count;
  --count_;
  InsertAt({n, p.off}, s);
  return true;
}

bool ListObject::InsertAtPivot(const Needle& pivot, std::string_view s, bool after) {
  for (ListNode* n = head_; n != nullptr; n = n->next) {
    const uint8_t* d = n->data();
    for (size_t off = 0; off < n->bytes;) {
      size_t sz = EntrySize(d + off);
      if (strata::storage::Matches(d + off, pivot.str_, pivot.int_, pivot.is_int_)) {
        InsertAt({n, after ? off + sz : off}, s);
        return true;
      }
      off += sz;
    }
  }
  return false;
}

size_t ListObject::Remove(const Needle& needle, int64_t count) {
  const bool from_tail = count < 0;
  const uint64_t limit = count == 0 ? UINT64_MAX
                         : from_tail ? 0 - static_cast<uint64_t>(count)
                                     : static_cast<uint64_t>(count);
  uint64_t removed = 0;
  std::vector<size_t> hits;  // offsets to drop in the current node, ascending
  ListNode* n = from_tail ? tail_ : head_;
  while (n != nullptr && removed < limit) {
    ListNode* following = from_tail ? n->prev : n->next;
    const uint8_t* d = n->data();
    hits.clear();
    if (from_tail) {
      for (size_t off = n->bytes; off > 0 && removed + hits.size() < limit;) {
        off = PrevOffset(d, off);
        if (strata::storage::Matches(d + off, needle.str_, needle.int_, needle.is_int_))
          hits.push_back(off);
      }
      std::reverse(hits.begin(), hits.end());
    } else {
      for (size_t off = 0; off < n->bytes && removed + hits.size() < limit;) {
        if (strata::storage::Matches(d + off, needle.str_, needle.int_, needle.is_int_))
          hits.push_back(off);
        off += EntrySize(d + off);
      }
    }
    if (!hits.empty()) {
      removed += hits.size();
      if (hits.size() == n->count) {
        count_ -= n->count;
        Unlink(n);
        std::free(n);
      } else if (hits.size() == 1) {
        CloseGap(n, hits[0], EntrySize(d + hits[0]));
        --n->count;
        --count_;
        MaybeShrink(n);
      } else {
        // Compact the survivors towards the front in one pass.
        uint8_t* w = n->data();
        size_t write = 0, read = 0, h = 0;
        while (read < n->bytes) {
          size_t sz = EntrySize(w + read);
          if (h < hits.size() && hits[h] == read) {
            ++h;
          } else {
            if (write != read) std::memmove(w + write, w + read, sz);
            write += sz;
          }
          read += sz;
        }
        n->bytes = static_cast<uint32_t>(write);
        n->count -= static_cast<uint32_t>(hits.size());
        count_ -= hits.size();
        MaybeShrink(n);
      }
    }
    n = following;
  }
  return static_cast<size_t>(removed);
}

}  // namespace strata::storage
