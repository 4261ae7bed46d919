// strata-server [config-file] [--directive value ...]   (like redis-server)
#include <mysql.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/log.h"
#include "server/config.h"
#include "server/server.h"

int main(int argc, char** argv) {
  using namespace strata;
  // The MySQL C API's global state, once, before any thread could open a connection.
  mysql_library_init(0, nullptr, nullptr);
  server::Config config;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-v" || args[0] == "--version")) {
    std::printf("strata-server v=0.1.0 (redis protocol 7.0.15 compatible)\n");
    return 0;
  }
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    std::printf("Usage: strata-server [/path/to/redis.conf] [--directive value ...]\n"
                "Example: strata-server --port 7777 --threads 2\n"
                "Every directive is documented in redis.conf.example.\n");
    return 0;
  }
  std::string error;
  size_t first_flag = 0;
  if (!args.empty() && args[0].compare(0, 2, "--") != 0) {
    if (!config.LoadFile(args[0], &error)) {
      std::fprintf(stderr, "\n%s\n", error.c_str());
      return 1;
    }
    first_flag = 1;
  }
  if (!config.LoadArgs({args.begin() + first_flag, args.end()}, &error)) {
    std::fprintf(stderr, "\n%s\n", error.c_str());
    return 1;
  }
  server::Server srv(&config);
  if (!srv.Start()) return 1;
  std::string pidfile = config.GetString("pidfile");
  if (!pidfile.empty()) {
    if (FILE* f = std::fopen(pidfile.c_str(), "w")) {
      std::fprintf(f, "%d\n", static_cast<int>(getpid()));
      std::fclose(f);
    }
  }
  srv.Run();
  if (!pidfile.empty()) std::remove(pidfile.c_str());
  return 0;
}
