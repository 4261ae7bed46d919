// A growable byte buffer with a read position: the connection's input and output buffers.
// Not thread-safe; owned by one connection (one event loop thread).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

namespace strata {

class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { std::free(data_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // Bytes written and not yet consumed: [read_pos, size).
  const char* ReadPtr() const { return data_ + read_pos_; }
  size_t ReadableBytes() const { return size_ - read_pos_; }
  std::string_view Readable() const { return {ReadPtr(), ReadableBytes()}; }
  void Consume(size_t n) {
    read_pos_ += n;
    if (read_pos_ == size_) read_pos_ = size_ = 0;
  }
  // Drops written bytes after the first n readable ones (a reply taken back).
  void Truncate(size_t n) {
    if (n < ReadableBytes()) size_ = read_pos_ + n;
  }
  // Puts `with` in place of the readable bytes [off, off + len) (a held reply answered by an
  // error instead); the bytes after them move.
  void Replace(size_t off, size_t len, std::string_view with) {
    size_t tail = ReadableBytes() - off - len;
    if (with.size() > len) EnsureWritable(with.size() - len);
    char* at = data_ + read_pos_ + off;
    std::memmove(at + with.size(), at + len, tail);
    std::memcpy(at, with.data(), with.size());
    size_ = size_ - len + with.size();
  }

  // Free space after the written bytes. EnsureWritable may move the data (views into it die).
  char* WritePtr() { return data_ + size_; }
  size_t WritableBytes() const { return capacity_ - size_; }
  void EnsureWritable(size_t n) {
    if (capacity_ - size_ >= n) return;
    // Reclaim the consumed prefix first when that is enough and cheap.
    if (read_pos_ > 0 && capacity_ - ReadableBytes() >= n) {
      std::memmove(data_, data_ + read_pos_, ReadableBytes());
      size_ -= read_pos_;
      read_pos_ = 0;
      return;
    }
    size_t want = size_ + n;
    size_t cap = capacity_ ? capacity_ : 256;
    while (cap < want) cap *= 2;
    Grow(cap);
  }
  void Commit(size_t n) { size_ += n; }

  void Append(const char* p, size_t n) {
    EnsureWritable(n);
    std::memcpy(data_ + size_, p, n);
    size_ += n;
  }
  void Append(std::string_view s) { Append(s.data(), s.size()); }
  void Append(char c) {
    EnsureWritable(1);
    data_[size_++] = c;
  }

  void Clear() { read_pos_ = size_ = 0; }
  void Swap(Buffer& o) {
    std::swap(data_, o.data_);
    std::swap(read_pos_, o.read_pos_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }
  size_t capacity() const { return capacity_; }
  // Gives memory back when a burst left a large, now empty buffer behind.
  void ShrinkIfIdle(size_t keep) {
    if (ReadableBytes() == 0 && capacity_ > keep) {
      std::free(data_);
      data_ = nullptr;
      capacity_ = size_ = read_pos_ = 0;
    }
  }

 private:
  void Grow(size_t cap) {
    char* p = static_cast<char*>(std::realloc(data_, cap));
    if (p == nullptr) std::abort();  // out of memory: nothing sensible left to do
    data_ = p;
    capacity_ = cap;
  }

  char* data_ = nullptr;
  size_t read_pos_ = 0;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace strata
