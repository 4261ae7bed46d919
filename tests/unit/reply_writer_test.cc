// Tests for protocol/reply_writer: exact RESP2 and RESP3 bytes, including RESP2 downgrades.
#include "protocol/reply_writer.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace strata::protocol {
namespace {

// Runs fn against a fresh writer in the given mode and returns what it wrote.
template <typename Fn>
std::string Out(bool resp3, Fn fn) {
  Buffer buf;
  ReplyWriter w(&buf);
  w.set_resp3(resp3);
  fn(w);
  return std::string(buf.Readable());
}

TEST_CASE("mode independent replies") {
  for (bool r3 : {false, true}) {
    CAPTURE(r3);
    CHECK(Out(r3, [](ReplyWriter& w) { w.SimpleString("PONG"); }) == "+PONG\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.SimpleString(""); }) == "+\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Ok(); }) == "+OK\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Error("ERR syntax error"); }) == "-ERR syntax error\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Error("-ERR x"); }) == "-ERR x\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Error("ERR unknown 'a\r\nb'"); }) ==
          "-ERR unknown 'a  b'\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Integer(0); }) == ":0\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Integer(42); }) == ":42\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Integer(-7); }) == ":-7\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Integer(INT64_MAX); }) == ":9223372036854775807\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Integer(INT64_MIN); }) == ":-9223372036854775808\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Bulk("hello"); }) == "$5\r\nhello\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Bulk(""); }) == "$0\r\n\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Bulk(std::string_view()); }) == "$0\r\n\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Bulk(std::string_view("a\0\r\n", 4)); }) ==
          std::string("$4\r\na\0\r\n\r\n", 10));
    CHECK(Out(r3, [](ReplyWriter& w) { w.ArrayHeader(0); }) == "*0\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.ArrayHeader(12); }) == "*12\r\n");
    CHECK(Out(r3, [](ReplyWriter& w) { w.Raw("+QUEUED\r\n"); }) == "+QUEUED\r\n");
  }
}

TEST_CASE("large bulk and many replies grow the buffer correctly") {
  std::string big(100000, 'x');
  big[500] = '\0';
  CHECK(Out(false, [&](ReplyWriter& w) { w.Bulk(big); }) == "$100000\r\n" + big + "\r\n");
  std::string want;
  for (int i = 0; i < 10000; i++) want += ":" + std::to_string(i * 37 - 5000) + "\r\n";
  CHECK(Out(false, [](ReplyWriter& w) {
          for (int i = 0; i < 10000; i++) w.Integer(i * 37 - 5000);
        }) == want);
}

TEST_CASE("RESP2 downgrades") {
  CHECK(Out(false, [](ReplyWriter& w) { w.NullBulk(); }) == "$-1\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.NullArray(); }) == "*-1\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.MapHeader(2); }) == "*4\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.MapHeader(0); }) == "*0\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.SetHeader(3); }) == "*3\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.PushHeader(3); }) == "*3\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.Double(1.5); }) == "$3\r\n1.5\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.Double(0.1); }) == "$19\r\n0.10000000000000001\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.Double(3); }) == "$1\r\n3\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.Double(std::numeric_limits<double>::infinity()); }) ==
        "$3\r\ninf\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.Double(-std::numeric_limits<double>::infinity()); }) ==
        "$4\r\n-inf\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.Bool(true); }) == ":1\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.Bool(false); }) == ":0\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.Verbatim("txt", "some text"); }) ==
        "$9\r\nsome text\r\n");
  CHECK(Out(false, [](ReplyWriter& w) { w.BigNumber("1234567890123456789012345"); }) ==
        "$25\r\n1234567890123456789012345\r\n");
}

TEST_CASE("RESP3 types") {
  CHECK(Out(true, [](ReplyWriter& w) { w.NullBulk(); }) == "_\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.NullArray(); }) == "_\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.MapHeader(2); }) == "%2\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.SetHeader(3); }) == "~3\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.PushHeader(3); }) == ">3\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.Double(1.5); }) == ",1.5\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.Double(-0.25); }) == ",-0.25\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.Double(1e300); }) == ",1.0000000000000001e+300\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.Double(std::numeric_limits<double>::infinity()); }) ==
        ",inf\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.Double(-std::numeric_limits<double>::infinity()); }) ==
        ",-inf\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.Double(std::numeric_limits<double>::quiet_NaN()); }) ==
        ",nan\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.Bool(true); }) == "#t\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.Bool(false); }) == "#f\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.Verbatim("txt", "some text"); }) ==
        "=13\r\ntxt:some text\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.Verbatim("mkd", ""); }) == "=4\r\nmkd:\r\n");
  CHECK(Out(true, [](ReplyWriter& w) { w.BigNumber("-123"); }) == "(-123\r\n");
}

TEST_CASE("a composed reply and switching modes on one buffer") {
  Buffer buf;
  ReplyWriter w(&buf);
  CHECK_FALSE(w.resp3());
  CHECK(w.buffer() == &buf);
  w.MapHeader(1);
  w.Bulk("k");
  w.Double(2.5);
  w.set_resp3(true);
  CHECK(w.resp3());
  w.MapHeader(1);
  w.Bulk("k");
  w.Double(2.5);
  CHECK(buf.Readable() == "*2\r\n$1\r\nk\r\n$3\r\n2.5\r\n%1\r\n$1\r\nk\r\n,2.5\r\n");
  // Writing after a partial consume appends after the unread bytes.
  buf.Consume(4);
  w.Integer(1);
  CHECK(buf.Readable() == "$1\r\nk\r\n$3\r\n2.5\r\n%1\r\n$1\r\nk\r\n,2.5\r\n:1\r\n");
}

}  // namespace
}  // namespace strata::protocol
