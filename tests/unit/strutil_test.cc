// Tests for common/strutil: Redis's string2ll / string2ld / ld2string / stringmatchlen rules.
#include "common/strutil.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace strata {
namespace {

bool Int(std::string_view s, int64_t want) {
  int64_t v = 12345;
  return ParseInt64(s, &v) && v == want;
}
bool IntRejected(std::string_view s) {
  int64_t v = 12345;
  return !ParseInt64(s, &v) && v == 12345;
}

TEST_CASE("ParseInt64 follows string2ll") {
  CHECK(Int("0", 0));
  CHECK(Int("-1", -1));
  CHECK(Int("1", 1));
  CHECK(Int("123456789", 123456789));
  CHECK(Int("9223372036854775807", INT64_MAX));
  CHECK(Int("-9223372036854775808", INT64_MIN));
  CHECK(IntRejected("9223372036854775808"));
  CHECK(IntRejected("-9223372036854775809"));
  CHECK(IntRejected("18446744073709551616"));
  CHECK(IntRejected("99999999999999999999"));
  CHECK(IntRejected("100000000000000000000"));
  CHECK(IntRejected("-0"));
  CHECK(IntRejected("01"));
  CHECK(IntRejected("00"));
  CHECK(IntRejected("-01"));
  CHECK(IntRejected("+1"));
  CHECK(IntRejected(" 1"));
  CHECK(IntRejected("1 "));
  CHECK(IntRejected(""));
  CHECK(IntRejected("-"));
  CHECK(IntRejected("1a"));
  CHECK(IntRejected("1.0"));
  CHECK(IntRejected(std::string_view("1\0", 2)));
  // Only the view's bytes count, not what follows in memory.
  CHECK(Int(std::string_view("123456", 3), 123));
}

TEST_CASE("ParseUint64") {
  uint64_t v = 7;
  CHECK((ParseUint64("0", &v) && v == 0));
  CHECK((ParseUint64("18446744073709551615", &v) && v == UINT64_MAX));
  CHECK_FALSE(ParseUint64("18446744073709551616", &v));
  CHECK_FALSE(ParseUint64("-1", &v));
  CHECK_FALSE(ParseUint64("+1", &v));
  CHECK_FALSE(ParseUint64("01", &v));
  CHECK_FALSE(ParseUint64("", &v));
  CHECK_FALSE(ParseUint64(" 1", &v));
}

TEST_CASE("ParseLongDouble and ParseDouble follow string2ld") {
  long double v = 0;
  CHECK((ParseLongDouble("1.5", &v) && v == 1.5L));
  CHECK((ParseLongDouble("-1.5", &v) && v == -1.5L));
  CHECK((ParseLongDouble("1e5", &v) && v == 100000.0L));
  CHECK((ParseLongDouble("10", &v) && v == 10.0L));
  CHECK((ParseLongDouble(".5", &v) && v == 0.5L));
  CHECK((ParseLongDouble("inf", &v) && std::isinf(v) && v > 0));
  CHECK((ParseLongDouble("+inf", &v) && std::isinf(v) && v > 0));
  CHECK((ParseLongDouble("-inf", &v) && std::isinf(v) && v < 0));
  CHECK_FALSE(ParseLongDouble("nan", &v));
  CHECK_FALSE(ParseLongDouble("-nan", &v));
  CHECK_FALSE(ParseLongDouble("", &v));
  CHECK_FALSE(ParseLongDouble(" 1", &v));
  CHECK_FALSE(ParseLongDouble("1 ", &v));
  CHECK_FALSE(ParseLongDouble("1.5x", &v));
  CHECK_FALSE(ParseLongDouble("abc", &v));
  CHECK_FALSE(ParseLongDouble("1e999999", &v));   // overflow
  CHECK_FALSE(ParseLongDouble("1e-999999", &v));  // underflow to zero
  CHECK_FALSE(ParseLongDouble(std::string_view("1\0", 2), &v));
  CHECK_FALSE(ParseLongDouble(std::string(6000, '1'), &v));
  CHECK((ParseLongDouble(std::string_view("2.5xyz", 3), &v) && v == 2.5L));

  double d = 0;
  CHECK((ParseDouble("1.5", &d) && d == 1.5));
  CHECK((ParseDouble("-inf", &d) && std::isinf(d) && d < 0));
  CHECK_FALSE(ParseDouble("nan", &d));
  CHECK_FALSE(ParseDouble("", &d));
  CHECK_FALSE(ParseDouble(" 1", &d));
  CHECK_FALSE(ParseDouble("1e400", &d));
}

TEST_CASE("FormatInt64 and Int64ToString") {
  char buf[21];
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{9}, int64_t{10}, int64_t{99},
                    int64_t{100}, int64_t{-100}, int64_t{12345}, int64_t{1000000007},
                    INT64_MAX, INT64_MIN}) {
    size_t n = FormatInt64(v, buf);
    CHECK(std::string(buf, n) == std::to_string(v));
    CHECK(buf[n] == '\0');
    CHECK(Int64ToString(v) == std::to_string(v));
  }
  // Every digit count boundary.
  uint64_t p = 1;
  for (int i = 0; i < 19; i++, p *= 10) {
    CHECK(Int64ToString(static_cast<int64_t>(p)) == std::to_string(p));
    CHECK(Int64ToString(static_cast<int64_t>(p - 1)) == std::to_string(p - 1));
  }
  char ubuf[21];
  CHECK(std::string(ubuf, FormatUint64(UINT64_MAX, ubuf)) == "18446744073709551615");
}

std::string Human(long double v) {
  std::string s;
  REQUIRE(FormatLongDoubleHuman(v, &s));
  return s;
}

TEST_CASE("FormatLongDoubleHuman matches INCRBYFLOAT output") {
  // Expected strings are what redis-server 7.0.15 INCRBYFLOAT replied.
  CHECK(Human(10.5L + 0.1L) == "10.6");
  CHECK(Human(3.0e3L) == "3000");
  CHECK(Human(5.0e3L) == "5000");
  CHECK(Human(0.0L + 1.2e-5L) == "0.000012");
  CHECK(Human(-1.2e-5L) == "-0.000012");
  CHECK(Human(1.0L - 1.0L) == "0");
  CHECK(Human(0.1L) == "0.1");
  CHECK(Human(0.1L + 0.2L) == "0.3");
  CHECK(Human(1.5L) == "1.5");
  CHECK(Human(1e-20L) == "0");
  CHECK(Human(-1e-20L) == "0");  // "-0" becomes "0"
  CHECK(Human(-0.0L) == "0");
  CHECK(Human(1e17L + 1) == "100000000000000001");
  CHECK(Human(123456789.123456789L) == "123456789.12345678899873747");
  CHECK(Human(-2.5L) == "-2.5");
  std::string s;
  CHECK_FALSE(FormatLongDoubleHuman(std::numeric_limits<long double>::infinity(), &s));
  CHECK_FALSE(FormatLongDoubleHuman(-std::numeric_limits<long double>::infinity(), &s));
  CHECK_FALSE(FormatLongDoubleHuman(std::numeric_limits<long double>::quiet_NaN(), &s));
  // The largest value still fits.
  CHECK(FormatLongDoubleHuman(std::numeric_limits<long double>::max(), &s));
  CHECK(s.size() > 4900);
}

TEST_CASE("FormatDouble is %.17g with Redis's inf/nan spelling") {
  CHECK(FormatDouble(1.5) == "1.5");
  CHECK(FormatDouble(0.1) == "0.10000000000000001");
  CHECK(FormatDouble(3.0) == "3");
  CHECK(FormatDouble(-0.0) == "-0");
  CHECK(FormatDouble(1e300) == "1.0000000000000001e+300");
  CHECK(FormatDouble(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(FormatDouble(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(FormatDouble(std::numeric_limits<double>::quiet_NaN()) == "nan");
  CHECK(FormatDouble(-std::numeric_limits<double>::quiet_NaN()) == "nan");
  char buf[kDoubleBufSize];
  size_t n = FormatDouble(-2.2250738585072014e-308, buf);
  CHECK(std::string(buf, n) == "-2.2250738585072014e-308");
  CHECK(n == std::strlen(buf));
}

TEST_CASE("GlobMatch follows stringmatchlen") {
  CHECK(GlobMatch("*", "anything"));
  CHECK(GlobMatch("h?llo", "hello"));
  CHECK_FALSE(GlobMatch("h?llo", "hllo"));
  CHECK(GlobMatch("h*llo", "hllo"));
  CHECK(GlobMatch("h*llo", "heeeello"));
  CHECK(GlobMatch("h[ae]llo", "hallo"));
  CHECK_FALSE(GlobMatch("h[ae]llo", "hillo"));
  CHECK(GlobMatch("h[^e]llo", "hallo"));
  CHECK_FALSE(GlobMatch("h[^e]llo", "hello"));
  CHECK(GlobMatch("h[a-b]llo", "hbllo"));
  CHECK(GlobMatch("h[b-a]llo", "hbllo"));  // reversed range
  CHECK_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  CHECK(GlobMatch("h\\*llo", "h*llo"));
  CHECK_FALSE(GlobMatch("h\\*llo", "hello"));
  CHECK(GlobMatch("[\\]]", "]"));
  CHECK(GlobMatch("a\\", "a\\"));  // trailing backslash is literal
  // Redis quirks checked against redis-server 7.0.15 KEYS:
  CHECK_FALSE(GlobMatch("a[", "a["));  // unterminated class never matches
  CHECK(GlobMatch("[a-]", "]"));       // "a-]" is the range ']'..'a'
  CHECK_FALSE(GlobMatch("[a-]", "-"));
  CHECK(GlobMatch("a**", "a"));
  CHECK(GlobMatch("a*", "a"));
  CHECK(GlobMatch("*a", "a"));
  CHECK(GlobMatch("", ""));
  CHECK_FALSE(GlobMatch("?", ""));
  CHECK_FALSE(GlobMatch("*", ""));  // stringmatchlen needs a non-empty string to enter its loop
  CHECK_FALSE(GlobMatch("abc", "ab"));
  CHECK_FALSE(GlobMatch("ab", "abc"));
  CHECK(GlobMatch(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  // nocase
  CHECK_FALSE(GlobMatch("HELLO", "hello"));
  CHECK(GlobMatch("HELLO", "hello", true));
  CHECK(GlobMatch("H[A-C]*", "hbx", true));
  CHECK(GlobMatch("[^A]", "b", true));
  CHECK_FALSE(GlobMatch("[^A]", "a", true));
  // Pathological backtracking finishes quickly.
  std::string s(100, 'a');
  CHECK_FALSE(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", s));
  // Nesting deeper than 1000 stars gives up like Redis.
  std::string deep;
  for (int i = 0; i < 1100; i++) deep += "a*";
  CHECK_FALSE(GlobMatch(deep, std::string(1200, 'a')));
}

TEST_CASE("EqualsIgnoreCase and ToLowerInPlace") {
  CHECK(EqualsIgnoreCase("GET", "get"));
  CHECK(EqualsIgnoreCase("", ""));
  CHECK_FALSE(EqualsIgnoreCase("GET", "GETX"));
  CHECK_FALSE(EqualsIgnoreCase("GET", "GEX"));
  CHECK_FALSE(EqualsIgnoreCase("@", "`"));  // not a letter pair
  std::string s = "HeLLo-123\xC3";
  ToLowerInPlace(s);
  CHECK(s == "hello-123\xC3");
}

}  // namespace
}  // namespace strata

TEST_CASE("scan cursors follow Redis's strtoul rules") {
  uint64_t c;
  CHECK(strata::ParseScanCursor("0", &c));
  CHECK(c == 0);
  CHECK(strata::ParseScanCursor("", &c));
  CHECK(c == 0);
  CHECK(strata::ParseScanCursor("+5", &c));
  CHECK(c == 5);
  CHECK(strata::ParseScanCursor("-1", &c));
  CHECK(c == UINT64_MAX);
  CHECK(strata::ParseScanCursor("18446744073709551615", &c));
  CHECK_FALSE(strata::ParseScanCursor("18446744073709551616", &c));
  CHECK_FALSE(strata::ParseScanCursor(" 1", &c));
  CHECK_FALSE(strata::ParseScanCursor("1x", &c));
}
