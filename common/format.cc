// printf into std::string: one vsnprintf into a stack buffer, a second only for long results.
#include "common/format.h"

#include <cstdarg>
#include <cstdio>

namespace strata {

std::string Format(const char* fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if (n < 0) return {};
  if (static_cast<size_t>(n) < sizeof(small)) return std::string(small, n);
  std::string big(n, '\0');
  va_start(ap, fmt);
  vsnprintf(big.data(), n + 1, fmt, ap);
  va_end(ap);
  return big;
}

}  // namespace strata
