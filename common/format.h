// printf-style formatting into a std::string (error messages with user input in them).
#pragma once

#include <string>

namespace strata {

std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace strata
