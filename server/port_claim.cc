// Refusing a busy port: the start-up lock and the probe bind (see port_claim.h).
#include "server/port_claim.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "common/format.h"

namespace strata::server {

namespace {

struct Address {
  sockaddr_storage ss{};
  socklen_t len = 0;
  std::string name;  // canonical text (inet_ntop), the lock's key
};

// Parses host as MakeListener does (server/worker.cc): IPv6 if it has a ':'.
bool ParseAddress(const std::string& host, int port, Address* a) {
  char text[INET6_ADDRSTRLEN] = {};
  if (host.find(':') != std::string::npos) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&a->ss);
    if (uv_ip6_addr(host.c_str(), port, s6) != 0) return false;
    a->len = sizeof(*s6);
    uv_ip6_name(s6, text, sizeof(text));
    a->name = text;
    if (s6->sin6_scope_id != 0) a->name += "%" + std::to_string(s6->sin6_scope_id);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&a->ss);
    if (uv_ip4_addr(host.c_str(), port, s4) != 0) return false;
    a->len = sizeof(*s4);
    uv_ip4_name(s4, text, sizeof(text));
    a->name = text;
  }
  return true;
}

// Binds an abstract unix socket named after the address and port: the kernel lets one process
// at a time hold the name and drops it when the process exits, however it exits. The fd, -1
// with errno set on failure (EADDRINUSE: another strata-server holds it).
int TakeLock(const Address& a, int port) {
  std::string name = Format("strata-server listening on %s port %d", a.name.c_str(), port);
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  if (name.size() + 1 > sizeof(un.sun_path)) name.resize(sizeof(un.sun_path) - 1);
  std::memcpy(un.sun_path + 1, name.data(), name.size());  // sun_path[0] == 0: abstract
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (bind(fd, reinterpret_cast<sockaddr*>(&un), len) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// Binds a plain socket (no SO_REUSEPORT) to the address and closes it: 0, or the errno of the
// failure. EADDRINUSE while any socket listens there (SO_REUSEADDR lets TIME_WAIT pass; a
// listening socket refuses even so), whatever options the listener has.
int Probe(const Address& a) {
  int fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (a.ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  int err = bind(fd, reinterpret_cast<const sockaddr*>(&a.ss), a.len) == 0 ? 0 : errno;
  close(fd);
  return err;
}

}  // namespace

PortClaim::~PortClaim() {
  for (int fd : locks_) close(fd);
}

bool PortClaim::Claim(const std::vector<std::string>& bind, int port, std::string* error) {
  if (port == 0) return true;  // a port of the kernel's choosing is nobody else's
  for (std::string host : bind) {
    bool optional = !host.empty() && host[0] == '-';
    if (optional) host = host.substr(1);
    Address a;
    if (!ParseAddress(host, port, &a)) continue;  // the workers' bind reports it
    auto busy = [&](const char* who) {
      *error = Format("Could not create server TCP listening socket %s:%d: bind: %s%s",
                      host.c_str(), port, strerror(EADDRINUSE), who);
      return false;
    };
    int lock = TakeLock(a, port);
    if (lock >= 0) {
      locks_.push_back(lock);
    } else if (errno == EADDRINUSE) {
      return busy(" (another strata-server is listening or starting there)");
    }  // else no unix sockets: go on with the probe alone
    int err = Probe(a);
    if (err == EADDRINUSE) return busy("");
    if (err != 0 && !optional) {
      *error = Format("Could not create server TCP listening socket %s:%d: bind: %s",
                      host.c_str(), port, strerror(err));
      return false;
    }
  }
  return true;
}

}  // namespace strata::server
