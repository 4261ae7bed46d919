// Number parsing/formatting and glob matching with Redis's exact rules.
// Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata {

// Redis's string2ll: optional '-', digits, no '+', no spaces, no leading zeros (except "0"),
// must fit int64. Empty -> false.
bool ParseInt64(std::string_view s, int64_t* out);
// Like ParseInt64 for uint64 (no sign allowed).
bool ParseUint64(std::string_view s, uint64_t* out);
// Redis's string2ld / strtod checks: whole string must parse, no leading/trailing space,
// nan rejected; "inf", "+inf", "-inf" accepted. Used for INCRBYFLOAT and friends.
bool ParseLongDouble(std::string_view s, long double* out);
bool ParseDouble(std::string_view s, double* out);

// A SCAN-family cursor, by Redis's parseScanCursorOrReply rules: strtoul-like (optional sign,
// "-1" wraps around, "" is 0) but no spaces, no trailing bytes, no overflow.
bool ParseScanCursor(std::string_view s, uint64_t* out);

// Writes the decimal form of v into buf (at least 21 bytes) followed by a '\0' that is not
// counted; returns its length. Inline because the reply writer calls it per reply.
inline size_t FormatUint64(uint64_t v, char* buf);
inline size_t FormatInt64(int64_t v, char* buf);
std::string Int64ToString(int64_t v);
// Redis's ld2string(LD_STR_HUMAN) as used by INCRBYFLOAT: "%.17Lf" then trailing zeros (and a
// trailing '.') removed; "-0" becomes "0". Returns false for inf/nan (caller errors).
bool FormatLongDoubleHuman(long double v, std::string* out);
// "%.17g" with Redis's inf/-inf/nan spelling: how RESP3 doubles and RESP2 double bulks look.
std::string FormatDouble(double d);
// The same into buf (at least kDoubleBufSize bytes, '\0'-terminated); returns the length.
inline constexpr size_t kDoubleBufSize = 32;
size_t FormatDouble(double d, char* buf);

// Redis's stringmatchlen: glob with * ? [abc] [^a-z] and \ escapes.
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

// ASCII case-insensitive equality (command names, option keywords).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
void ToLowerInPlace(std::string& s);

// ---- inline definitions ----

namespace internal {
// "00" "01" ... "99": two digits per division halves the number of divisions.
inline constexpr char kDigitPairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

inline size_t CountDigits(uint64_t v) {
  size_t n = 1;
  for (;;) {
    if (v < 10) return n;
    if (v < 100) return n + 1;
    if (v < 1000) return n + 2;
    if (v < 10000) return n + 3;
    v /= 10000;
    n += 4;
  }
}
}  // namespace internal

inline size_t FormatUint64(uint64_t v, char* buf) {
  size_t len = internal::CountDigits(v);
  char* p = buf + len;
  *p = '\0';
  while (v >= 100) {
    size_t i = static_cast<size_t>(v % 100) * 2;
    v /= 100;
    *--p = internal::kDigitPairs[i + 1];
    *--p = internal::kDigitPairs[i];
  }
  if (v >= 10) {
    size_t i = static_cast<size_t>(v) * 2;
    *--p = internal::kDigitPairs[i + 1];
    *--p = internal::kDigitPairs[i];
  } else {
    *--p = static_cast<char>('0' + v);
  }
  return len;
}

inline size_t FormatInt64(int64_t v, char* buf) {
  if (v >= 0) return FormatUint64(static_cast<uint64_t>(v), buf);
  buf[0] = '-';
  // Negate in unsigned arithmetic so INT64_MIN does not overflow.
  return 1 + FormatUint64(0 - static_cast<uint64_t>(v), buf + 1);
}

}  // namespace strata
