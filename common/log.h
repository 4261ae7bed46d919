// Minimal logging in Redis's line format: "pid:role dd Mon yyyy hh:mm:ss.mmm <level> message".
// Thread-safe (one write() per line). Levels as Redis: debug, verbose, notice, warning.
#pragma once

#include <string>

namespace strata {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

void SetLogLevel(LogLevel level);
bool ParseLogLevel(const std::string& name, LogLevel* out);
// Empty path: standard output (Redis's default).
bool SetLogFile(const std::string& path);
void Log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace strata
