// Log lines, formatted once and written with a single write() so threads do not interleave.
#include "common/log.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace strata {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kNotice)};
std::atomic<int> g_fd{STDOUT_FILENO};
}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }

bool ParseLogLevel(const std::string& name, LogLevel* out) {
  if (name == "debug") *out = LogLevel::kDebug;
  else if (name == "verbose") *out = LogLevel::kVerbose;
  else if (name == "notice") *out = LogLevel::kNotice;
  else if (name == "warning") *out = LogLevel::kWarning;
  else return false;
  return true;
}

bool SetLogFile(const std::string& path) {
  if (path.empty()) {
    g_fd = STDOUT_FILENO;
    return true;
  }
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  g_fd = fd;
  return true;
}

void Log(LogLevel level, const char* fmt, ...) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  char line[1024];
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  int n = snprintf(line, sizeof(line), "%d:M ", static_cast<int>(getpid()));
  n += static_cast<int>(strftime(line + n, sizeof(line) - n, "%d %b %Y %H:%M:%S", &tm));
  static const char kMarks[] = ".-*#";
  n += snprintf(line + n, sizeof(line) - n, ".%03d %c ", static_cast<int>(tv.tv_usec / 1000),
                kMarks[static_cast<int>(level)]);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
  va_end(ap);
  n = (m < 0) ? n : std::min<int>(n + m, sizeof(line) - 2);
  line[n++] = '\n';
  ssize_t ignored = write(g_fd.load(std::memory_order_relaxed), line, n);
  (void)ignored;
}

}  // namespace strata
