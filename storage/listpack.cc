// Listpack element encoding and walking (see listpack.h for the layout).
#include "storage/listpack.h"

#include <cstring>

namespace strata::storage {

namespace {
size_t VarintSize(size_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void PutVarint(char* out, size_t v) {
  while (v >= 0x80) {
    *out++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *out = static_cast<char>(v);
}

// Reads varint(len) at p; returns len and sets *hdr to the varint's size.
size_t GetVarint(const char* p, size_t* hdr) {
  size_t v = 0, i = 0;
  while (true) {
    uint8_t b = static_cast<uint8_t>(p[i]);
    v |= static_cast<size_t>(b & 0x7f) << (7 * i);
    ++i;
    if (!(b & 0x80)) break;
  }
  *hdr = i;
  return v;
}

// backlen: 7-bit groups, least significant at the highest address; every byte except the one
// at the lowest address has 0x80 set, so a backwards reader knows when to stop.
void PutBacklen(char* out, size_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    uint8_t g = static_cast<uint8_t>(v & 0x7f);
    v >>= 7;
    out[n - 1 - i] = static_cast<char>(i + 1 < n ? (g | 0x80) : g);
  }
}

// Reads the backlen ending just before `end`; sets *size to its byte count.
size_t GetBacklen(const char* end, size_t* size) {
  size_t v = 0, i = 0;
  while (true) {
    uint8_t b = static_cast<uint8_t>(*(end - 1 - i));
    v |= static_cast<size_t>(b & 0x7f) << (7 * i);
    ++i;
    if (!(b & 0x80)) break;
  }
  *size = i;
  return v;
}

// Bytes of the whole element starting at pos.
size_t ElementSize(const std::string& buf, size_t pos) {
  size_t hdr;
  size_t len = GetVarint(buf.data() + pos, &hdr);
  return hdr + len + VarintSize(hdr + len);
}
}  // namespace

size_t Listpack::Last() const {
  if (count_ == 0) return kEnd;
  size_t blen;
  size_t body = GetBacklen(buf_.data() + buf_.size(), &blen);
  return buf_.size() - blen - body;
}

size_t Listpack::Next(size_t pos) const {
  size_t next = pos + ElementSize(buf_, pos);
  return next >= buf_.size() ? kEnd : next;
}

size_t Listpack::Prev(size_t pos) const {
  if (pos == 0) return kEnd;
  size_t blen;
  size_t body = GetBacklen(buf_.data() + pos, &blen);
  return pos - blen - body;
}

std::string_view Listpack::Get(size_t pos) const {
  size_t hdr;
  size_t len = GetVarint(buf_.data() + pos, &hdr);
  return {buf_.data() + pos + hdr, len};
}

size_t Listpack::Seek(int64_t index) const {
  int64_t n = static_cast<int64_t>(count_);
  if (index < 0) index += n;
  if (index < 0 || index >= n) return kEnd;
  if (index < n / 2) {
    size_t pos = First();
    while (index-- > 0) pos = Next(pos);
    return pos;
  }
  size_t pos = Last();
  for (int64_t i = n - 1; i > index; --i) pos = Prev(pos);
  return pos;
}

size_t Listpack::Insert(size_t pos, std::string_view s) {
  size_t hdr = VarintSize(s.size());
  size_t body = hdr + s.size();
  size_t blen = VarintSize(body);
  buf_.insert(pos, body + blen, '\0');
  char* p = buf_.data() + pos;
  PutVarint(p, s.size());
  if (!s.empty()) std::memcpy(p + hdr, s.data(), s.size());
  PutBacklen(p + body, body, blen);
  ++count_;
  return pos;
}

size_t Listpack::Erase(size_t pos) {
  buf_.erase(pos, ElementSize(buf_, pos));
  --count_;
  return pos >= buf_.size() ? kEnd : pos;
}

size_t Listpack::Replace(size_t pos, std::string_view s) {
  buf_.erase(pos, ElementSize(buf_, pos));
  --count_;
  return Insert(pos, s);
}

}  // namespace strata::storage
