// RESP request parser, following Redis 7.0's processMultibulkBuffer / processInlineBuffer rules
// (limits, error wording, sdssplitargs quoting) while keeping all progress as offsets so the
// caller's buffer may move between calls.
#include "protocol/resp_parser.h"

#include <algorithm>
#include <cstring>

#include "common/errors.h"
#include "common/format.h"
#include "common/strutil.h"

namespace strata::protocol {

namespace {

// C isspace in the "C" locale: what sdssplitargs skips between arguments.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// What ends an unquoted argument in sdssplitargs (note: not '\v' or '\f').
bool EndsBareWord(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// Redis reserves this many argv slots up front at most, whatever count the client announces.
constexpr size_t kMaxReserve = 1024;

}  // namespace

void RespParser::Reset() {
  ResetRequest();
  args_.clear();
  error_.clear();
  inline_storage_.clear();
}

void RespParser::ResetRequest() {
  pos_ = 0;
  multibulk_left_ = -1;
  bulk_len_ = -1;
  arg_spans_.clear();
  need_hint_ = 0;
  scanned_ = 0;
}

ParseStatus RespParser::Fail(std::string msg) {
  error_ = std::move(msg);
  ResetRequest();
  return ParseStatus::kError;
}

ParseStatus RespParser::Parse(const char* data, size_t len, size_t* consumed) {
  // Views handed out by the previous kOk may point into memory the caller has since reused.
  args_.clear();
  *consumed = 0;
  need_hint_ = 0;
  if (len == 0) return ParseStatus::kNeedMore;
  if (data[0] == '*') return ParseMultibulk(data, len, consumed);
  return ParseInline(data, len, consumed);
}

namespace {

// The usual header after '*' or '$': "0", or 1 to 18 digits without a leading zero, then "\r"
// and one more byte (the '\n'), all arrived. Parsed in the same pass that finds the line's
// end; anything else (a sign, a leading zero, junk, a line not complete yet) returns false and
// takes the general way: memchr for the '\r', then ParseInt64 with Redis's rules. Hand-rolled
// because the general way was ~80 instructions per header, 5 headers per SET (callgrind).
bool FastHeader(const char* p, size_t n, int64_t* value, size_t* digits) {
  if (n == 0) return false;
  int64_t v = 0;
  size_t i = 0;
  if (p[0] == '0') {
    i = 1;
  } else {
    for (; i < n && i < 18; ++i) {
      const unsigned d = static_cast<unsigned char>(p[i]) - '0';
      if (d > 9) break;
      v = v * 10 + static_cast<int64_t>(d);
    }
    if (i == 0) return false;
  }
  if (i + 1 >= n || p[i] != '\r') return false;
  *value = v;
  *digits = i;
  return true;
}

}  // namespace

ParseStatus RespParser::ParseMultibulk(const char* data, size_t len, size_t* consumed) {
  const size_t max_line = limits_.max_inline_len;

  // Finds the '\r' ending the header line that starts at pos_. Returns false with *err set
  // when the line is too long, false without it when more bytes are needed.
  auto find_header_end = [&](size_t* cr, const char* too_big, bool* err) {
    size_t from = std::max(scanned_, pos_);
    // Redis errors once more than max_line bytes sit there without a '\r'.
    size_t window_end = std::min(len, pos_ + max_line + 1);
    const void* hit =
        from < window_end ? std::memchr(data + from, '\r', window_end - from) : nullptr;
    if (hit == nullptr) {
      scanned_ = std::max(from, window_end);
      if (len - pos_ > max_line) {
        *err = true;
        error_ = too_big;
      }
      return false;
    }
    *cr = static_cast<size_t>(static_cast<const char*>(hit) - data);
    scanned_ = *cr;
    // The byte after '\r' (taken to be '\n') must have arrived too.
    return *cr + 1 < len;
  };

  if (multibulk_left_ < 0) {
    size_t cr = 0, digits;
    int64_t count;
    if (FastHeader(data + 1, len - 1, &count, &digits)) {
      cr = 1 + digits;
      scanned_ = cr;
    } else {
      bool err = false;
      if (!find_header_end(&cr, err::kProtoBigMbulkCount, &err)) {
        if (err) return Fail(std::move(error_));
        return ParseStatus::kNeedMore;
      }
      if (!ParseInt64(std::string_view(data + 1, cr - 1), &count))
        return Fail(err::kProtoMultibulkLength);
    }
    if (count > limits_.max_multibulk_len) return Fail(err::kProtoMultibulkLength);
    if (count <= 0) {
      *consumed = cr + 2;
      ResetRequest();
      return ParseStatus::kOk;
    }
    pos_ = cr + 2;
    multibulk_left_ = count;
    arg_spans_.reserve(std::min(static_cast<size_t>(count), kMaxReserve));
  }

  while (multibulk_left_ > 0) {
    if (bulk_len_ < 0) {
      size_t cr = 0, digits;
      int64_t blen;
      if (pos_ + 1 < len && data[pos_] == '$' &&
          FastHeader(data + pos_ + 1, len - pos_ - 1, &blen, &digits)) {
        cr = pos_ + 1 + digits;
        scanned_ = cr;
      } else {
        bool err = false;
        if (!find_header_end(&cr, err::kProtoBigBulkCount, &err)) {
          if (err) return Fail(std::move(error_));
          return ParseStatus::kNeedMore;
        }
        char tag = data[pos_];
        if (tag != '$') {
          // Redis strips CR/LF from error text; "*1\r\n\r\n" reads "got ' '".
          if (tag == '\r' || tag == '\n') tag = ' ';
          const char got[2] = {tag, '\0'};
          return Fail(Format(err::kProtoExpectedDollar, got));
        }
        if (!ParseInt64(std::string_view(data + pos_ + 1, cr - pos_ - 1), &blen) || blen < 0)
          return Fail(err::kProtoBulkLength);
      }
      if (blen > limits_.max_bulk_len) return Fail(err::kProtoBulkLength);
      pos_ = cr + 2;
      bulk_len_ = blen;
    }
    // Payload plus its trailing CRLF.
    size_t end = pos_ + static_cast<size_t>(bulk_len_) + 2;
    if (len < end) {
      need_hint_ = end - len;
      return ParseStatus::kNeedMore;
    }
    arg_spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ = end;
    bulk_len_ = -1;
    multibulk_left_--;
  }

  args_.reserve(arg_spans_.size());
  for (const auto& [off, n] : arg_spans_) args_.emplace_back(data + off, n);
  *consumed = pos_;
  ResetRequest();
  return ParseStatus::kOk;
}

ParseStatus RespParser::ParseInline(const char* data, size_t len, size_t* consumed) {
  const size_t max_line = limits_.max_inline_len;
  // A line of max_line bytes has its '\n' at index max_line; looking further is pointless.
  size_t window_end = std::min(len, max_line + 1);
  const void* hit = scanned_ < window_end
                        ? std::memchr(data + scanned_, '\n', window_end - scanned_)
                        : nullptr;
  if (hit == nullptr) {
    scanned_ = std::max(scanned_, window_end);
    if (len > max_line) return Fail(err::kProtoBigInline);
    return ParseStatus::kNeedMore;
  }
  size_t nl = static_cast<size_t>(static_cast<const char*>(hit) - data);
  size_t line_len = (nl > 0 && data[nl - 1] == '\r') ? nl - 1 : nl;
  if (!SplitInline(data, line_len)) {
    args_.clear();
    return Fail(err::kProtoUnbalancedQuotes);
  }
  *consumed = nl + 1;
  ResetRequest();
  return ParseStatus::kOk;
}

bool RespParser::SplitInline(const char* line, size_t n) {
  // sdssplitargs works on a C string: everything from an embedded '\0' on is ignored.
  if (const void* nul = std::memchr(line, '\0', n)) {
    n = static_cast<size_t>(static_cast<const char*>(nul) - line);
  }
  inline_storage_.clear();
  bool reserved = false;
  size_t i = 0;
  for (;;) {
    while (i < n && IsSpace(line[i])) i++;
    if (i >= n) return true;

    size_t start = i;
    while (i < n && !EndsBareWord(line[i]) && line[i] != '"' && line[i] != '\'') i++;
    if (i >= n || EndsBareWord(line[i])) {
      // The common case: an unquoted word is a view straight into the caller's bytes.
      args_.emplace_back(line + start, i - start);
      if (i < n) i++;
      continue;
    }

    // A quote, possibly after a bare prefix (ab"cd" is one argument "abcd"). Unescaped text
    // never outgrows the line, so one reserve keeps the views already taken valid.
    if (!reserved) {
      inline_storage_.reserve(n);
      reserved = true;
    }
    size_t arg_start = inline_storage_.size();
    inline_storage_.append(line + start, i - start);
    const char quote = line[i++];
    for (;;) {
      if (i >= n) return false;  // unterminated quotes
      char c = line[i];
      if (quote == '"') {
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && IsHexDigit(line[i + 2]) &&
            IsHexDigit(line[i + 3])) {
          inline_storage_ += static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3]));
          i += 4;
          continue;
        }
        if (c == '\\' && i + 1 < n) {
          char e = line[i + 1];
          switch (e) {
            case 'n': e = '\n'; break;
            case 'r': e = '\r'; break;
            case 't': e = '\t'; break;
            case 'b': e = '\b'; break;
            case 'a': e = '\a'; break;
            default: break;  // \\, \" and any other char stand for themselves
          }
          inline_storage_ += e;
          i += 2;
          continue;
        }
      } else if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
        inline_storage_ += '\'';
        i += 2;
        continue;
      }
      if (c == quote) {
        // The closing quote must end the argument.
        if (i + 1 < n && !IsSpace(line[i + 1])) return false;
        i++;
        break;
      }
      inline_storage_ += c;
      i++;
    }
    args_.emplace_back(inline_storage_.data() + arg_start, inline_storage_.size() - arg_start);
  }
}

}  // namespace strata::protocol
