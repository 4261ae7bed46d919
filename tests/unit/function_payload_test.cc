// FUNCTION RESTORE's payload parser (server/scripting.cc, ParseFunctionPayload): the footer
// (RDB version, CRC64) is checked, every single-bit flip is refused, and random bodies with a
// valid footer (the parser's own paths: opcodes, RDB lengths, integer and LZF strings) give an
// answer without reading out of bounds. STRATA_FUZZ_ITERS=N runs longer.
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "common/crc64.h"
#include "server/scripting.h"

using strata::server::ParseFunctionPayload;

namespace {

std::string Frame(std::string body) {
  body += std::string("\x0a\x00", 2);
  uint64_t crc = strata::Crc64(0, body.data(), body.size());
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return body;
}

std::string Library(const std::string& code) {
  std::string s = "\xf5";
  if (code.size() < 64) {
    s.push_back(static_cast<char>(code.size()));
  } else {
    s.push_back(static_cast<char>(0x40 | (code.size() >> 8)));
    s.push_back(static_cast<char>(code.size() & 0xff));
  }
  return s + code;
}

size_t Iterations(size_t dflt) {
  const char* v = std::getenv("STRATA_FUZZ_ITERS");
  return v != nullptr ? std::strtoull(v, nullptr, 10) : dflt;
}

}  // namespace

TEST_CASE("function payloads: libraries out, footer checked") {
  const std::string a = "#!lua name=a\nredis.register_function('f', function() return 1 end)";
  const std::string b(100, 'x');
  std::vector<std::string> codes;
  std::string error;
  REQUIRE(ParseFunctionPayload(Frame(Library(a) + Library(b)), &codes, &error));
  REQUIRE(codes.size() == 2);
  CHECK(codes[0] == a);
  CHECK(codes[1] == b);
  codes.clear();
  CHECK(ParseFunctionPayload(Frame(""), &codes, &error));
  CHECK(codes.empty());
  // An integer-encoded string (0xc0: 8-bit) reads as its decimal text.
  CHECK(ParseFunctionPayload(Frame("\xf5\xc0\xfe"), &codes, &error));
  REQUIRE(codes.size() == 1);
  CHECK(codes[0] == "-2");
  // Too short, a newer RDB version, a wrong checksum.
  CHECK_FALSE(ParseFunctionPayload("short", &codes, &error));
  CHECK(error == "ERR DUMP payload version or checksum are wrong");
  std::string newer = Library(a) + std::string("\x0b\x00", 2);
  uint64_t crc = strata::Crc64(0, newer.data(), newer.size());
  for (int i = 0; i < 8; ++i) newer.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  CHECK_FALSE(ParseFunctionPayload(newer, &codes, &error));
  // Every single-bit flip is refused (CRC64 catches them all).
  const std::string good = Frame(Library(a));
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[i] ^= static_cast<char>(1 << bit);
      std::vector<std::string> out;
      CHECK_FALSE(ParseFunctionPayload(bad, &out, &error));
    }
  }
}

TEST_CASE("function payloads: random bodies with a valid footer never read out of bounds") {
  std::mt19937_64 rng(4242);
  const std::string seed = Library(std::string(70, 'q')) + "\xf5\xc3\x05\x10" + "abcde";
  const size_t n = Iterations(50000);
  size_t parsed = 0;
  for (size_t i = 0; i < n; ++i) {
    std::string body;
    if (i % 2 == 0) {
      body = seed;
      for (int k = 0; k < 3; ++k) body[rng() % body.size()] = static_cast<char>(rng());
      body.resize(rng() % (body.size() + 1));
    } else {
      body.resize(rng() % 32);
      for (char& c : body) c = static_cast<char>(rng());
      if (!body.empty()) body[0] = static_cast<char>(0xf5);
    }
    std::vector<std::string> codes;
    std::string error;
    parsed += ParseFunctionPayload(Frame(body), &codes, &error);
  }
  CHECK(parsed > 0);
}
