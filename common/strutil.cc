// Number parsing/formatting and glob matching that reproduce Redis 7.0's util.c behaviour
// (string2ll, string2ld, ld2string, stringmatchlen), written from its documented semantics.
#include "common/strutil.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace strata {

namespace {

// Redis rejects numbers of LONG_STR_SIZE (21) bytes or more before looking at them.
constexpr size_t kMaxIntChars = 20;
// MAX_LONG_DOUBLE_CHARS: longer float strings are rejected, shorter ones fit a stack buffer.
constexpr size_t kMaxFloatChars = 5 * 1024;

// Parses the digits of a non-negative number with Redis's no-leading-zero rule.
bool ParseMagnitude(const char* p, size_t n, uint64_t* out) {
  if (n == 0 || p[0] < '1' || p[0] > '9') return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned d = static_cast<unsigned char>(p[i]) - '0';
    if (d > 9) return false;
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool IsCSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// strtod/strtold need a terminated string; the checks are string2ld's: the whole input must
// be consumed, no leading space (strto* would skip it), overflow and underflow to zero are
// errors, nan is an error.
template <typename T, typename Fn>
bool ParseFloating(std::string_view s, T* out, Fn conv, T huge) {
  if (s.empty() || s.size() >= kMaxFloatChars || IsCSpace(s[0])) return false;
  char buf[kMaxFloatChars];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end = nullptr;
  errno = 0;
  T v = conv(buf, &end);
  // An embedded '\0' would stop strto* early; requiring every byte rejects it.
  if (end != buf + s.size()) return false;
  if (errno == ERANGE && (v == huge || v == -huge || std::fpclassify(v) == FP_ZERO)) return false;
  if (errno == EINVAL || std::isnan(v)) return false;
  *out = v;
  return true;
}

bool GlobMatchImpl(const char* pat, size_t plen, const char* str, size_t slen, bool nocase,
                   bool* skip_longer, int nesting) {
  // Bounds the recursion of patterns like "a*a*a*a*...".
  if (nesting > 1000) return false;
  while (plen > 0 && slen > 0) {
    switch (pat[0]) {
      case '*': {
        while (plen > 1 && pat[1] == '*') {
          pat++;
          plen--;
        }
        if (plen == 1) return true;
        while (slen > 0) {
          if (GlobMatchImpl(pat + 1, plen - 1, str, slen, nocase, skip_longer, nesting + 1))
            return true;
          if (*skip_longer) return false;
          str++;
          slen--;
        }
        // The rest of the pattern matches no suffix, so letting an earlier '*' swallow more
        // cannot help either: tell every caller up the stack to give up.
        *skip_longer = true;
        return false;
      }
      case '?':
        str++;
        slen--;
        break;
      case '[': {
        pat++;
        plen--;
        bool negate = plen > 0 && pat[0] == '^';
        if (negate) {
          pat++;
          plen--;
        }
        bool match = false;
        for (;;) {
          if (plen == 0) {
            // Unterminated class: step back so the shared advance below lands on the end.
            pat--;
            plen++;
            break;
          }
          if (pat[0] == '\\' && plen >= 2) {
            pat++;
            plen--;
            if (pat[0] == str[0]) match = true;
          } else if (pat[0] == ']') {
            break;
          } else if (plen >= 3 && pat[1] == '-') {
            // Compared as (signed) char like Redis, so byte ranges behave the same.
            int start = pat[0], end = pat[2], c = str[0];
            if (start > end) std::swap(start, end);
            if (nocase) {
              start = AsciiLower(static_cast<char>(start));
              end = AsciiLower(static_cast<char>(end));
              c = AsciiLower(static_cast<char>(c));
            }
            pat += 2;
            plen -= 2;
            if (c >= start && c <= end) match = true;
          } else if (nocase ? AsciiLower(pat[0]) == AsciiLower(str[0]) : pat[0] == str[0]) {
            match = true;
          }
          pat++;
          plen--;
        }
        if (negate) match = !match;
        if (!match) return false;
        str++;
        slen--;
        break;
      }
      case '\\':
        if (plen >= 2) {
          pat++;
          plen--;
        }
        [[fallthrough]];
      default:
        if (nocase ? AsciiLower(pat[0]) != AsciiLower(str[0]) : pat[0] != str[0]) return false;
        str++;
        slen--;
        break;
    }
    pat++;
    plen--;
    if (slen == 0) {
      while (plen > 0 && pat[0] == '*') {
        pat++;
        plen--;
      }
      break;
    }
  }
  return plen == 0 && slen == 0;
}

}  // namespace

bool ParseInt64(std::string_view s, int64_t* out) {
  size_t n = s.size();
  if (n == 0 || n > kMaxIntChars) return false;
  if (n == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  bool negative = s[0] == '-';
  uint64_t v;
  if (!ParseMagnitude(s.data() + negative, n - negative, &v)) return false;
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

bool ParseUint64(std::string_view s, uint64_t* out) {
  size_t n = s.size();
  if (n == 0 || n > kMaxIntChars) return false;
  if (n == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  return ParseMagnitude(s.data(), n, out);
}

bool ParseLongDouble(std::string_view s, long double* out) {
  return ParseFloating<long double>(s, out, [](const char* b, char** e) { return std::strtold(b, e); },
                                    HUGE_VALL);
}

bool ParseDouble(std::string_view s, double* out) {
  return ParseFloating<double>(s, out, [](const char* b, char** e) { return std::strtod(b, e); },
                               HUGE_VAL);
}

std::string Int64ToString(int64_t v) {
  char buf[24];
  return std::string(buf, FormatInt64(v, buf));
}

bool FormatLongDoubleHuman(long double v, std::string* out) {
  if (std::isinf(v) || std::isnan(v)) return false;
  // The largest long double printed with 17 decimals is under 5000 characters.
  char buf[kMaxFloatChars];
  int n = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n < 0 || static_cast<size_t>(n) >= sizeof(buf)) return false;
  size_t len = static_cast<size_t>(n);
  if (std::memchr(buf, '.', len) != nullptr) {
    while (buf[len - 1] == '0') len--;
    if (buf[len - 1] == '.') len--;
  }
  // A tiny negative value rounds to "-0.000..." which trims to "-0".
  if (len == 2 && buf[0] == '-' && buf[1] == '0') {
    buf[0] = '0';
    len = 1;
  }
  out->assign(buf, len);
  return true;
}

size_t FormatDouble(double d, char* buf) {
  // glibc would print "-nan" for a negative nan; Redis clients expect these exact spellings.
  if (std::isinf(d)) {
    const char* s = d > 0 ? "inf" : "-inf";
    size_t n = std::strlen(s);
    std::memcpy(buf, s, n + 1);
    return n;
  }
  if (std::isnan(d)) {
    std::memcpy(buf, "nan", 4);
    return 3;
  }
  int n = std::snprintf(buf, kDoubleBufSize, "%.17g", d);
  return static_cast<size_t>(n);
}

std::string FormatDouble(double d) {
  char buf[kDoubleBufSize];
  return std::string(buf, FormatDouble(d, buf));
}

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  bool skip_longer = false;
  return GlobMatchImpl(pattern.data(), pattern.size(), str.data(), str.size(), nocase,
                       &skip_longer, 0);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

void ToLowerInPlace(std::string& s) {
  for (char& c : s) c = AsciiLower(c);
}

bool ParseScanCursor(std::string_view s, uint64_t* out) {
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = neg ? (~v + 1) : v;
  return true;
}

}  // namespace strata
