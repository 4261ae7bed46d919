// Listpack: a compact sequence of byte strings in one contiguous buffer, the small-collection
// encoding shared by lists, hashes, sets and sorted sets (Redis's listpack idea, own format).
//
// Element layout: varint(len) | bytes | backlen, where backlen is the size of varint(len)+bytes
// written as a varint read backwards (most significant group at the lowest address, the byte
// at the highest address has no continuation bit). So an element of up to 127 bytes costs 2
// bytes of overhead, and the sequence can be walked both ways.
//
// Positions are byte offsets: a position is valid until the next insert or erase (each returns
// the position to continue from). O(n) inserts and erases: callers convert to a real data
// structure past a size threshold (hash-max-listpack-entries and friends).
// Thread: none; guarded by the shard lock of the key that owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::storage {

class Listpack {
 public:
  static constexpr size_t kEnd = SIZE_MAX;

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t bytes() const { return buf_.size(); }

  // Walking: First()/Last() return kEnd when empty; Next()/Prev() return kEnd past the ends.
  size_t First() const { return count_ ? 0 : kEnd; }
  size_t Last() const;
  size_t Next(size_t pos) const;
  size_t Prev(size_t pos) const;
  std::string_view Get(size_t pos) const;
  // Position of the i-th element (negative i counts from the end); kEnd if out of range.
  size_t Seek(int64_t index) const;

  void PushBack(std::string_view s) { Insert(buf_.size(), s); }
  void PushFront(std::string_view s) { Insert(0, s); }
  // Inserts before the element at pos (pos == bytes(): at the end). Returns the new element's
  // position.
  size_t Insert(size_t pos, std::string_view s);
  // Erases the element at pos; returns the position of the element that followed (or kEnd).
  size_t Erase(size_t pos);
  // Replaces the element at pos; returns its (same) position.
  size_t Replace(size_t pos, std::string_view s);
  void Clear() {
    buf_.clear();
    count_ = 0;
  }

 private:
  std::string buf_;
  size_t count_ = 0;
};

}  // namespace strata::storage
