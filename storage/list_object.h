// A Redis list value: a quicklist-like chain of compact nodes (OBJECT ENCODING "quicklist", as
// every list in Redis 7.0).
//
// Each node is one malloc block: a 32-byte header (links, counts) followed by a byte area that
// holds the node's elements back to back. The elements sit in [begin, begin + bytes) of that
// area, with free room possibly on both sides, so pushing or popping at either end of a node
// moves no other element (Redis's listpack memmoves the whole node on every LPUSH/LPOP).
//
// Element encoding (the listpack idea, own format): header | payload | backlen.
//   0xxxxxxx                 integer 0..127, no payload
//   10llllll                 string of 0..63 bytes
//   110vvvvv v               13-bit signed integer (-4096..4095)
//   1110llll l               string of 64..4095 bytes (12-bit length)
//   11110000 l l l l         string, 32-bit little-endian length
//   11110001 / 2 / 3 / 4     16 / 24 / 32 / 64-bit little-endian signed integer
// backlen = size of header + payload as a varint read backwards (the byte nearest the end holds
// the low 7 bits; 0x80 means another byte precedes), so nodes can be walked both ways.
// A string is stored as an integer exactly when ParseInt64 accepts it (Redis's string2ll:
// canonical decimal, no '+', no leading zeros, not "-0"), so the conversion is lossless and
// "equal bytes" == "equal encodings". "xxx" costs 5 bytes, "12345" costs 4.
//
// Node size: storage::Limits().list_max_listpack_size, read when a node grows. Negative -1..-5:
// a node (header included) stays within 4/8/16/32/64 KiB, which makes a full node exactly one
// jemalloc size class; positive N: at most N elements and 8 KiB. An element bigger than the
// limit gets a node of its own.
//
// Thread: none; a ListObject is guarded by the shard lock of the key that owns it. Elements are
// limited to 4 GiB - 64 bytes (Entry strings share that bound).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/entry.h"

namespace strata::storage {

struct ListNode;

class ListObject final : public Object {
 public:
  ListObject() = default;
  ~ListObject() override;
  ListObject(const ListObject&) = delete;
  ListObject& operator=(const ListObject&) = delete;

  const char* EncodingName() const override { return "quicklist"; }
  Object* Clone() const override;

  size_t size() const { return count_; }
  // Elements, not nodes (counting nodes walks them): a bound on the allocations.
  size_t FreeEffort() const override { return count_; }
  bool empty() const { return count_ == 0; }
  size_t node_count() const;  // O(nodes); for tests and DEBUG-style introspection
  // Heap bytes held by the nodes (usable sizes, headers included); O(nodes).
  size_t node_bytes() const;

  void PushFront(std::string_view s);
  void PushBack(std::string_view s);
  // Remove the first / last n elements (n is clamped to size()). O(n / node size + 1).
  void EraseFront(size_t n);
  void EraseBack(size_t n);

  // A comparison target, encoded once (LREM, LPOS, LINSERT compare it with many elements).
  class Needle {
   public:
    explicit Needle(std::string_view s);

   private:
    friend class ListObject;
    std::string_view str_;
    int64_t int_ = 0;
    bool is_int_ = false;
  };

  // A read position. Valid until the list is modified; Get()'s view until the next Get/Next/
  // Prev on the same cursor (integers are formatted into the cursor).
  class Cursor {
   public:
    bool valid() const { return node_ != nullptr; }
    std::string_view Get();
    bool Matches(const Needle& n) const;
    void Next();
    void Prev();

   private:
    friend class ListObject;
    const ListNode* node_ = nullptr;
    size_t off_ = 0;  // relative to the node's first element
    char scratch_[24];
  };

  // Cursor at element `index` (negative: from the end); invalid when out of range. Walks from
  // the nearer end, node by node.
  Cursor At(int64_t index) const;

  // LSET: replaces element `index` (negative from the end). False if out of range.
  bool Set(int64_t index, std::string_view s);
  // LINSERT: inserts s before/after the first element equal to pivot. False if none is equal.
  bool InsertAtPivot(const Needle& pivot, std::string_view s, bool after);
  // LREM: removes elements equal to n; count > 0: the first count from the head, count < 0:
  // the first |count| from the tail, 0: all. Returns how many were removed.
  size_t Remove(const Needle& n, int64_t count);

 private:
  struct Pos {
    ListNode* node;
    size_t off;
  };
  Pos Locate(int64_t index) const;
  // Inserts encoded bytes before the element at p (p.off == node bytes: after the node's last).
  void InsertAt(Pos p, std::string_view s);
  ListNode* NewNodeAfter(ListNode* prev, size_t need);
  void Unlink(ListNode* n);
  void Relink(ListNode* n);
  ListNode* Grow(ListNode* n, size_t need, bool room_at_front);
  ListNode* MaybeShrink(ListNode* n);
  void SplitAt(ListNode* n, size_t off);

  ListNode* head_ = nullptr;
  ListNode* tail_ = nullptr;
  size_t count_ = 0;
};

}  // namespace strata::storage
