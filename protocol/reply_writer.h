// RESP reply encoder into a Buffer, RESP2 or RESP3 per connection.
//
// Commands describe their reply in RESP3 terms (maps, sets, doubles, booleans, nulls, verbatim
// strings, pushes); in RESP2 mode the writer downgrades them the way Redis does:
//   map of n pairs -> array of 2n; set / push -> array; double -> bulk string ("%.17g", "inf",
//   "-inf"); boolean -> integer 1/0; null -> "$-1" (NullBulk) or "*-1" (NullArray);
//   verbatim -> bulk string of the text; big number -> bulk string.
// The per-reply hot paths (SimpleString, Ok, Integer, Bulk, ArrayHeader) are inline: each
// reserves its worst case once and writes straight into the buffer, no temporaries.
// Thread: owned by one connection.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/buffer.h"
#include "common/strutil.h"

namespace strata::protocol {

class ReplyWriter {
 public:
  explicit ReplyWriter(Buffer* out) : out_(out) {}

  void set_resp3(bool on) { resp3_ = on; }
  bool resp3() const { return resp3_; }
  Buffer* buffer() { return out_; }

  void SimpleString(std::string_view s);  // "+s\r\n"
  void Ok() { out_->Append("+OK\r\n", 5); }
  // msg is the whole error line without '-' and CRLF, e.g. "ERR syntax error" or
  // "WRONGTYPE Operation against a key holding the wrong kind of value". CR and LF inside msg
  // become spaces (as Redis does) so user input echoed in an error cannot break the stream.
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void NullBulk();
  void NullArray();
  void ArrayHeader(size_t n) { Header('*', n); }
  void MapHeader(size_t pairs);
  void SetHeader(size_t n);
  void PushHeader(size_t n);
  void Double(double d);
  void Bool(bool b);
  void Verbatim(std::string_view format3, std::string_view text);  // format3 e.g. "txt"
  void BigNumber(std::string_view digits);
  // Appends bytes that are already RESP (e.g. a shared constant reply).
  void Raw(std::string_view bytes) { out_->Append(bytes); }

 private:
  // Room for a type byte, 20 digits, the '\0' FormatUint64 leaves behind, and CRLF.
  static constexpr size_t kHeaderRoom = 24;

  // "<tag><n>\r\n" written at p; returns the bytes written.
  static size_t WriteHeader(char* p, char tag, uint64_t n) {
    p[0] = tag;
    size_t k = 1 + FormatUint64(n, p + 1);
    p[k] = '\r';
    p[k + 1] = '\n';
    return k + 2;
  }
  void Header(char tag, uint64_t n) {
    out_->EnsureWritable(kHeaderRoom);
    out_->Commit(WriteHeader(out_->WritePtr(), tag, n));
  }
  // A line reply "<tag><s>\r\n".
  void Line(char tag, std::string_view s) {
    out_->EnsureWritable(s.size() + 3);
    char* p = out_->WritePtr();
    p[0] = tag;
    if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());  // data() may be null when empty
    p[s.size() + 1] = '\r';
    p[s.size() + 2] = '\n';
    out_->Commit(s.size() + 3);
  }

  Buffer* out_;
  bool resp3_ = false;
};

inline void ReplyWriter::SimpleString(std::string_view s) { Line('+', s); }

inline void ReplyWriter::Integer(int64_t v) {
  out_->EnsureWritable(kHeaderRoom);
  char* p = out_->WritePtr();
  p[0] = ':';
  size_t k = 1 + FormatInt64(v, p + 1);
  p[k] = '\r';
  p[k + 1] = '\n';
  out_->Commit(k + 2);
}

inline void ReplyWriter::Bulk(std::string_view s) {
  out_->EnsureWritable(kHeaderRoom + s.size() + 2);
  char* p = out_->WritePtr();
  size_t k = WriteHeader(p, '$', s.size());
  if (!s.empty()) std::memcpy(p + k, s.data(), s.size());  // data() may be null when empty
  k += s.size();
  p[k] = '\r';
  p[k + 1] = '\n';
  out_->Commit(k + 2);
}

}  // namespace strata::protocol
