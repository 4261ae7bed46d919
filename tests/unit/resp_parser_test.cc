// Tests for protocol/resp_parser: every request fed at every split point from a buffer that
// moves between calls, pipelining, inline quoting, and each protocol error in Redis's words.
#include "protocol/resp_parser.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace strata::protocol {
namespace {

using Args = std::vector<std::string>;

Args Copy(const std::vector<std::string_view>& v) { return Args(v.begin(), v.end()); }

// Calls Parse on a fresh heap copy of input, and scribbles over that copy afterwards on
// kNeedMore, so a parser that kept a pointer instead of an offset would read garbage later.
ParseStatus ParseMoved(RespParser& p, const std::string& input, size_t* consumed, Args* args) {
  auto copy = std::make_unique<char[]>(input.size() + 1);
  std::copy(input.begin(), input.end(), copy.get());
  ParseStatus st = p.Parse(copy.get(), input.size(), consumed);
  if (st == ParseStatus::kOk) *args = Copy(p.args());
  std::fill(copy.get(), copy.get() + input.size(), '#');
  return st;
}

// Feeds every strict prefix of req (all must be kNeedMore), then the whole request, which
// must parse to want using all its bytes.
void CheckEveryPrefix(const std::string& req, const Args& want, ParserLimits limits = {}) {
  CAPTURE(req);
  RespParser p(limits);
  size_t consumed = 99;
  Args args;
  for (size_t k = 0; k < req.size(); k++) {
    CAPTURE(k);
    REQUIRE(ParseMoved(p, req.substr(0, k), &consumed, &args) == ParseStatus::kNeedMore);
  }
  REQUIRE(ParseMoved(p, req, &consumed, &args) == ParseStatus::kOk);
  CHECK(consumed == req.size());
  CHECK(args == want);
  // A fresh parser given everything at once agrees.
  RespParser q(limits);
  REQUIRE(q.Parse(req.data(), req.size(), &consumed) == ParseStatus::kOk);
  CHECK(consumed == req.size());
  CHECK(Copy(q.args()) == want);
}

// Feeds input one more byte at a time until the parser stops asking for more; returns the
// error text (empty if it parsed instead). Checks that the error appears at error_at bytes
// when given.
std::string FirstError(const std::string& input, ParserLimits limits = {},
                       size_t error_at = std::string::npos) {
  CAPTURE(input.substr(0, 64));
  RespParser p(limits);
  size_t consumed = 0;
  Args args;
  for (size_t k = 0; k <= input.size(); k++) {
    ParseStatus st = ParseMoved(p, input.substr(0, k), &consumed, &args);
    if (st == ParseStatus::kNeedMore) continue;
    if (error_at != std::string::npos) CHECK(k == error_at);
    return st == ParseStatus::kError ? p.error() : std::string();
  }
  return "(need more)";
}

std::string Multibulk(const Args& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

TEST_CASE("multibulk requests at every split point") {
  CheckEveryPrefix("*1\r\n$4\r\nPING\r\n", {"PING"});
  CheckEveryPrefix("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", {"SET", "key", "value"});
  CheckEveryPrefix("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", {"SET", "k", ""});
  // Binary payloads: CRLF and NUL inside a bulk are data.
  std::string bin("a\r\n\0b\r\n", 7);
  CheckEveryPrefix(Multibulk({"SET", bin, std::string(1, '\0')}), {"SET", bin, std::string(1, '\0')});
  // Counts above 9 and lengths above 99.
  Args many;
  for (int i = 0; i < 12; i++) many.push_back(std::string(static_cast<size_t>(i * 11), 'a' + i));
  CheckEveryPrefix(Multibulk(many), many);
}

TEST_CASE("empty requests") {
  for (const char* req : {"*0\r\n", "*-1\r\n", "*-5\r\n", "\r\n", "\n", "   \r\n", " \t \n"}) {
    CheckEveryPrefix(req, {});
  }
}

TEST_CASE("like Redis, the two bytes after '\\r' and after a payload are not checked") {
  CheckEveryPrefix("*1\rx$4\ryPINGzz", {"PING"});
}

TEST_CASE("inline commands at every split point") {
  CheckEveryPrefix("PING\r\n", {"PING"});
  CheckEveryPrefix("PING\n", {"PING"});
  CheckEveryPrefix("set k v\r\n", {"set", "k", "v"});
  CheckEveryPrefix("  set \t k   v  \r\n", {"set", "k", "v"});
  CheckEveryPrefix("set k \"a b\"\r\n", {"set", "k", "a b"});
  CheckEveryPrefix("set k 'a b'\r\n", {"set", "k", "a b"});
  CheckEveryPrefix("echo \"\\x41\\x4a\\x4\"\r\n", {"echo", "AJx4"});
  CheckEveryPrefix("echo '\\x41'\r\n", {"echo", "\\x41"});
  CheckEveryPrefix("echo \"\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n", {"echo", "\n\r\t\b\a\\\"q"});
  CheckEveryPrefix("echo 'a\\'b' 'c\\\\d'\r\n", {"echo", "a'b", "c\\\\d"});
  CheckEveryPrefix("echo \"\" ''\r\n", {"echo", "", ""});
  CheckEveryPrefix("echo ab\"c d\"\r\n", {"echo", "abc d"});
  CheckEveryPrefix("echo \"a\"\t'b'\r\n", {"echo", "a", "b"});
  CheckEveryPrefix("echo \"x\\x00y\"\r\n", {"echo", std::string("x\0y", 3)});
  // A bare CR inside the line separates arguments; \v does not end a bare word.
  CheckEveryPrefix("a\rb\r\n", {"a", "b"});
  CheckEveryPrefix("a\vb\r\n", {"a\vb"});
  // sdssplitargs stops at a NUL byte.
  CheckEveryPrefix(std::string("ECHO a\0b c\r\n", 12), {"ECHO", "a"});
}

TEST_CASE("many quoted inline arguments keep valid views") {
  std::string line = "cmd";
  Args want{"cmd"};
  for (int i = 0; i < 200; i++) {
    std::string a = "v" + std::to_string(i) + " x";
    line += " \"" + a + "\" plain" + std::to_string(i);
    want.push_back(a);
    want.push_back("plain" + std::to_string(i));
  }
  line += "\r\n";
  RespParser p;
  size_t consumed = 0;
  REQUIRE(p.Parse(line.data(), line.size(), &consumed) == ParseStatus::kOk);
  CHECK(consumed == line.size());
  CHECK(Copy(p.args()) == want);
}

TEST_CASE("unbalanced quotes") {
  const std::string kErr = "ERR Protocol error: unbalanced quotes in request";
  for (const char* req : {"set k \"a\r\n", "set k \"a\"b\r\n", "set k 'a'b\r\n", "set k 'abc\r\n",
                          "echo \"a\\\"\r\n", "echo \"a\\\r\n"}) {
    CAPTURE(req);
    CHECK(FirstError(req) == kErr);
  }
  // A NUL inside quotes ends the line early, leaving the quote open.
  CHECK(FirstError(std::string("echo \"a\0\"\r\n", 11)) == kErr);
}

TEST_CASE("pipelined requests in one buffer") {
  std::string buf;
  std::vector<Args> want;
  for (int i = 0; i < 300; i++) {
    Args a{"SET", "key:" + std::to_string(i), std::string(static_cast<size_t>(i % 37), 'v')};
    if (i % 5 == 0) {
      buf += "GET key:" + std::to_string(i) + "\r\n";
      want.push_back({"GET", "key:" + std::to_string(i)});
    } else if (i % 7 == 0) {
      buf += "*0\r\n";
      want.push_back({});
    } else {
      buf += Multibulk(a);
      want.push_back(a);
    }
  }
  RespParser p;
  size_t off = 0;
  for (const auto& w : want) {
    size_t consumed = 0;
    REQUIRE(p.Parse(buf.data() + off, buf.size() - off, &consumed) == ParseStatus::kOk);
    CHECK(Copy(p.args()) == w);
    off += consumed;
  }
  CHECK(off == buf.size());
  size_t consumed = 7;
  CHECK(p.Parse(buf.data() + off, 0, &consumed) == ParseStatus::kNeedMore);
  CHECK(consumed == 0);
}

TEST_CASE("pipelined requests arriving in odd-sized chunks") {
  std::string stream;
  std::vector<Args> want;
  for (int i = 0; i < 50; i++) {
    Args a{"LPUSH", "l", std::string(static_cast<size_t>(i * 13), 'x'), "y"};
    stream += Multibulk(a);
    want.push_back(a);
    stream += "PING\r\n";
    want.push_back({"PING"});
  }
  for (size_t chunk : {1, 3, 7, 64, 1000}) {
    CAPTURE(chunk);
    RespParser p;
    std::string in;  // the connection's read buffer
    std::vector<Args> got;
    for (size_t sent = 0; sent < stream.size();) {
      size_t n = std::min(chunk, stream.size() - sent);
      in.append(stream, sent, n);
      sent += n;
      for (;;) {
        size_t consumed = 0;
        Args args;
        ParseStatus st = ParseMoved(p, in, &consumed, &args);
        REQUIRE(st != ParseStatus::kError);
        if (st == ParseStatus::kNeedMore) break;
        got.push_back(args);
        in.erase(0, consumed);
      }
    }
    CHECK(in.empty());
    CHECK(got == want);
  }
}

TEST_CASE("multibulk errors use Redis's wording") {
  const std::string kMbulk = "ERR Protocol error: invalid multibulk length";
  const std::string kBulk = "ERR Protocol error: invalid bulk length";
  CHECK(FirstError("*abc\r\n") == kMbulk);
  CHECK(FirstError("*\r\n") == kMbulk);
  CHECK(FirstError("*01\r\n") == kMbulk);
  CHECK(FirstError("*+1\r\n") == kMbulk);
  CHECK(FirstError("*-0\r\n") == kMbulk);
  CHECK(FirstError("*1 \r\n") == kMbulk);
  CHECK(FirstError("*2147483648\r\n") == kMbulk);  // above INT_MAX
  CHECK(FirstError("*99999999999999999999999\r\n") == kMbulk);
  ParserLimits small;
  small.max_multibulk_len = 1024 * 1024;
  CHECK(FirstError("*1048577\r\n", small) == kMbulk);
  CHECK(FirstError("*1048576\r\n", small) == "(need more)");

  CHECK(FirstError("*1\r\nx\r\n") == "ERR Protocol error: expected '$', got 'x'");
  CHECK(FirstError("*2\r\n$1\r\na\r\n:1\r\n") == "ERR Protocol error: expected '$', got ':'");
  CHECK(FirstError("*1\r\n\r\n") == "ERR Protocol error: expected '$', got ' '");
  CHECK(FirstError("*1\r\n$-1\r\n") == kBulk);
  CHECK(FirstError("*1\r\n$\r\n") == kBulk);
  CHECK(FirstError("*1\r\n$04\r\nPING\r\n") == kBulk);
  CHECK(FirstError("*1\r\n$+4\r\nPING\r\n") == kBulk);
  CHECK(FirstError("*1\r\n$ 4\r\n") == kBulk);
  CHECK(FirstError("*1\r\n$536870913\r\n") == kBulk);  // proto-max-bulk-len + 1
  CHECK(FirstError("*1\r\n$536870912\r\n") == "(need more)");
  ParserLimits tiny;
  tiny.max_bulk_len = 10;
  CHECK(FirstError("*1\r\n$11\r\n", tiny) == kBulk);
  CHECK(FirstError(Multibulk({"0123456789"}), tiny).empty());
}

TEST_CASE("header and inline length limits") {
  const size_t kMax = 64 * 1024;
  // Errors as soon as more than 64 KiB sit there without a line end, not before.
  CHECK(FirstError("*" + std::string(kMax + 10, '1'), {}, kMax + 1) ==
        "ERR Protocol error: too big mbulk count string");
  CHECK(FirstError("*1\r\n$" + std::string(kMax + 10, '1'), {}, 4 + kMax + 1) ==
        "ERR Protocol error: too big bulk count string");
  CHECK(FirstError(std::string(kMax + 10, 'a'), {}, kMax + 1) ==
        "ERR Protocol error: too big inline request");
  // Decided by the line's length alone, however the bytes arrive.
  RespParser p;
  size_t consumed = 0;
  std::string longline = std::string(kMax + 1, 'a') + "\n";
  CHECK(p.Parse(longline.data(), longline.size(), &consumed) == ParseStatus::kError);
  CHECK(p.error() == "ERR Protocol error: too big inline request");
  std::string maxline = "echo " + std::string(kMax - 5, 'a') + "\n";
  CHECK(p.Parse(maxline.data(), maxline.size(), &consumed) == ParseStatus::kOk);
  CHECK(consumed == maxline.size());
  CHECK(p.args().size() == 2);
  // Smaller configured limits apply to all three.
  ParserLimits small;
  small.max_inline_len = 8;
  CHECK(FirstError("abcdefghi", small) == "ERR Protocol error: too big inline request");
  CHECK(FirstError("abcdefgh", small) == "(need more)");
  CHECK(FirstError("*123456789", small) == "ERR Protocol error: too big mbulk count string");
}

TEST_CASE("the parser starts clean after kOk, kError and Reset") {
  RespParser p;
  size_t consumed = 0;
  std::string bad = "*1\r\nx\r\n";
  REQUIRE(p.Parse(bad.data(), bad.size(), &consumed) == ParseStatus::kError);
  CHECK(p.args().empty());
  std::string good = "*1\r\n$4\r\nPING\r\n";
  REQUIRE(p.Parse(good.data(), good.size(), &consumed) == ParseStatus::kOk);
  CHECK(Copy(p.args()) == Args{"PING"});

  // Abandon a half-read request.
  std::string half = "*2\r\n$3\r\nGET\r\n$3\r\nk";
  REQUIRE(p.Parse(half.data(), half.size(), &consumed) == ParseStatus::kNeedMore);
  p.Reset();
  CHECK(p.BytesStillNeeded() == 0);
  REQUIRE(p.Parse(good.data(), good.size(), &consumed) == ParseStatus::kOk);
  CHECK(consumed == good.size());
  CHECK(Copy(p.args()) == Args{"PING"});

  std::string quoted = "echo \"a b\"\r\n";
  REQUIRE(p.Parse(quoted.data(), quoted.size(), &consumed) == ParseStatus::kOk);
  CHECK(Copy(p.args()) == Args{"echo", "a b"});
}

TEST_CASE("a 1 MB bulk argument arriving in 4 KiB pieces") {
  std::string big(1 << 20, 'z');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>(i & 0xff);
  std::string req = Multibulk({"SET", "k", big});
  const size_t kPiece = 4096;
  RespParser p;
  std::string in;
  size_t consumed = 0;
  Args args;
  size_t header_end = req.size() - big.size() - 2;  // where the payload starts
  int calls = 0;
  for (size_t sent = 0;;) {
    size_t n = std::min(kPiece, req.size() - sent);
    in.append(req, sent, n);
    sent += n;
    calls++;
    ParseStatus st = ParseMoved(p, in, &consumed, &args);
    if (sent < req.size()) {
      REQUIRE(st == ParseStatus::kNeedMore);
      // Once the "$1048576" header has been read the parser knows exactly what is missing.
      if (in.size() > header_end) CHECK(p.BytesStillNeeded() == req.size() - in.size());
      continue;
    }
    REQUIRE(st == ParseStatus::kOk);
    CHECK(p.BytesStillNeeded() == 0);
    break;
  }
  CHECK(calls == static_cast<int>((req.size() + kPiece - 1) / kPiece));
  CHECK(consumed == req.size());
  REQUIRE(args.size() == 3);
  CHECK(args[0] == "SET");
  CHECK(args[1] == "k");
  CHECK(args[2] == big);

  // With the big argument first, the hint covers only that argument and its CRLF.
  std::string req2 = Multibulk({big, "tail"});
  RespParser q;
  std::string first = req2.substr(0, 100);
  REQUIRE(q.Parse(first.data(), first.size(), &consumed) == ParseStatus::kNeedMore);
  size_t payload_start = req2.find("\r\n", 4) + 2;
  CHECK(q.BytesStillNeeded() == payload_start + big.size() + 2 - first.size());
}

}  // namespace
}  // namespace strata::protocol

namespace strata::protocol {
namespace {

// The outcome of parsing input given at once: the args, or "error: ...", or "(need more)".
std::string WholeOutcome(const std::string& input, ParserLimits limits = {}) {
  RespParser p(limits);
  size_t consumed = 0;
  ParseStatus st = p.Parse(input.data(), input.size(), &consumed);
  if (st == ParseStatus::kError) return "error: " + p.error();
  if (st == ParseStatus::kNeedMore) return "(need more)";
  std::string out = "ok " + std::to_string(consumed) + ":";
  for (std::string_view a : p.args()) out += " [" + std::string(a) + "]";
  return out;
}

}  // namespace

TEST_CASE("count and length headers parse the same whole as byte by byte") {
  // A complete header is parsed in one pass (digits up to the '\r'); a partial one, and any
  // unusual form, by the general path. Both must follow Redis's rules alike.
  ParserLimits tiny;
  tiny.max_bulk_len = 100;
  tiny.max_multibulk_len = 1000;
  const char* counts[] = {"0", "1", "2", "9", "10", "01", "00", "-0", "-1", "+1", " 1", "1 ",
                          "999", "1000", "1001", "123456789012345678", "1234567890123456789",
                          "", "x", "1x"};
  const char* lengths[] = {"0", "1", "3", "00", "03", "-0", "-1", "+3", " 3", "3 ", "100", "101",
                           "123456789012345678", "12345678901234567890", "", "x", "3x"};
  for (const char* c : counts) {
    for (const char* l : lengths) {
      std::string payload = std::string(l) == "3" || std::string(l) == "03" ? "abc" : "";
      std::string req = std::string("*") + c + "\r\n$" + l + "\r\n" + payload + "\r\n";
      CAPTURE(req);
      std::string byte_by_byte = FirstError(req, tiny);
      std::string whole = WholeOutcome(req, tiny);
      if (whole.rfind("error: ", 0) == 0) {
        CHECK(byte_by_byte == whole.substr(7));
      } else {
        CHECK(byte_by_byte.rfind("ERR", 0) != 0);  // no error byte by byte either
      }
    }
  }
  CHECK(WholeOutcome("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") == "ok 20: [GET] [k]");
  CHECK(WholeOutcome("*1\r\n$0\r\n\r\n") == "ok 10: []");
  CHECK(WholeOutcome("*1\r\n$101\r\n", tiny) == "error: ERR Protocol error: invalid bulk length");
  CHECK(WholeOutcome("*1001\r\n", tiny) == "error: ERR Protocol error: invalid multibulk length");
  CHECK(WholeOutcome("*1\r\n$03\r\nabc\r\n") == "error: ERR Protocol error: invalid bulk length");
}

}  // namespace strata::protocol
