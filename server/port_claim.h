// Refusing a busy port, as redis-server does. Every worker listens on its own SO_REUSEPORT socket
// (server/worker.cc), and a second strata-server binding the same way would silently join the
// port group: the kernel would split the clients between two independent datasets. So before
// the workers bind (and before the WAL is opened), the server claims each address:port:
//   1. a lock that dies with the process: an abstract unix socket named after the address and
//      port, bound for the life of the PortClaim. Two servers starting at once cannot both
//      pass, even before either listens.
//   2. a probe: a plain TCP socket bound to the address and port without SO_REUSEPORT (with
//      SO_REUSEADDR, so TIME_WAIT connections of a previous run do not count), closed at once.
//      Linux refuses it while any process listens there (strata, redis-server or other).
// The lock is per address as written (canonicalised): 0.0.0.0 and 127.0.0.1 take different
// locks, so two servers starting at the very same moment on overlapping but different
// addresses could both pass; once either listens, the probe refuses the other.
// Thread: main thread, at start-up.
#pragma once

#include <string>
#include <vector>

namespace strata::server {

class PortClaim {
 public:
  PortClaim() = default;
  ~PortClaim();
  PortClaim(const PortClaim&) = delete;
  PortClaim& operator=(const PortClaim&) = delete;

  // Claims `port` on every address of `bind` (the bind directive's words; a leading '-' marks
  // an optional address, skipped when it cannot be bound, but refused when in use, as in
  // Redis). Port 0 (the kernel picks a free one) claims nothing. False with Redis's wording in
  // *error ("Could not create server TCP listening socket ADDR:PORT: bind: Address already in
  // use") when another process has the port.
  bool Claim(const std::vector<std::string>& bind, int port, std::string* error);

 private:
  std::vector<int> locks_;  // the abstract sockets, held until destruction (or exit)
};

}  // namespace strata::server
