// RESP request parser: bytes in, one command's arguments out. No sockets, no libuv.
//
// Accepts RESP2 multibulk requests ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and inline commands
// ("GET k\r\n", split like Redis's sdssplitargs, quotes and escapes included), any number
// pipelined back to back.
//
// Contract:
//  - Parse(data, len) looks at the bytes of ONE request starting at data[0]. The caller passes
//    the same request start again, with more bytes appended, after kNeedMore: the parser keeps
//    its position as offsets (never pointers), so the caller may move or grow its buffer in
//    between. After kOk or kError the parser is reset for the next request.
//  - kOk: *consumed = bytes of this request; args() are views into data, valid until the caller
//    changes that memory (inline arguments that needed unquoting point into the parser
//    instead, valid until the next Parse or Reset). An empty request (blank inline line,
//    "*0\r\n", "*-1\r\n") is kOk with no args: the caller skips it. Every Parse call starts by
//    clearing args(); kNeedMore and kError leave it empty and set *consumed to 0.
//  - kError: error() is Redis's message without the "-" and the "\r\n", e.g.
//    "ERR Protocol error: invalid bulk length". The caller replies it and closes the connection.
//  - Limits (Redis's): multibulk count > max_multibulk_len -> "invalid multibulk length"; bulk
//    length > max_bulk_len -> "invalid bulk length"; an inline line longer than 64 KiB, or a
//    "*N"/"$N" header line longer than that without its "\r\n" -> "too big inline request" /
//    "too big mbulk count string" / "too big bulk count string". The inline limit is applied
//    to the line whether or not its "\n" has arrived yet, so the outcome does not depend on
//    how the bytes were split (Redis only checks while the "\n" is missing).
//  - Like Redis: "*0", "*-1" and any other negative count are empty requests; the 2 bytes
//    after a header's '\r' and after a bulk payload are skipped without being checked.
// Thread: one parser per connection, used by that connection's loop only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::protocol {

enum class ParseStatus { kOk, kNeedMore, kError };

struct ParserLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;  // proto-max-bulk-len
  // Redis 7.0 only rejects counts above INT_MAX (6.x used 1024*1024); checked on 7.0.15.
  int64_t max_multibulk_len = 2147483647;
  size_t max_inline_len = 64 * 1024;          // PROTO_INLINE_MAX_SIZE
};

class RespParser {
 public:
  explicit RespParser(ParserLimits limits = {}) : limits_(limits) {}

  ParseStatus Parse(const char* data, size_t len, size_t* consumed);

  const std::vector<std::string_view>& args() const { return args_; }
  const std::string& error() const { return error_; }

  // While waiting for a large bulk argument: how many more bytes this request needs at least
  // (0 if unknown). Lets the connection size its read buffer once instead of growing it
  // step by step.
  size_t BytesStillNeeded() const { return need_hint_; }

  void set_limits(const ParserLimits& l) { limits_ = l; }
  void Reset();

 private:
  ParseStatus ParseMultibulk(const char* data, size_t len, size_t* consumed);
  ParseStatus ParseInline(const char* data, size_t len, size_t* consumed);
  ParseStatus Fail(std::string msg);
  // Splits one inline line like sdssplitargs into args_; false on unbalanced quotes.
  bool SplitInline(const char* line, size_t n);
  // Forgets the request in progress; args_ and error_ stay readable.
  void ResetRequest();

  ParserLimits limits_;
  // Resumable state for a multibulk request: offsets relative to the request start.
  size_t pos_ = 0;                 // next unread byte
  int64_t multibulk_left_ = -1;    // -1: header not read yet
  int64_t bulk_len_ = -1;          // -1: next "$N" not read yet
  std::vector<std::pair<size_t, size_t>> arg_spans_;  // (offset, length) per argument so far
  std::vector<std::string_view> args_;
  std::string error_;
  size_t need_hint_ = 0;
  std::string inline_storage_;     // unescaped inline arguments live here (quotes, \x escapes)
  size_t scanned_ = 0;             // line end searched up to here in vain (header or inline)
};

}  // namespace strata::protocol
