// printf-style formatting into a std::string (error messages with user input in them).
#pragma once

#include <string>

struct sockaddr_storage;

namespace strata {

std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// "ip:port" of an IPv4 or IPv6 socket address ("?:0" for anything else): CLIENT LIST's addr.
std::string FormatSockaddr(const sockaddr_storage& ss);

}  // namespace strata
