// Every error reply string in one place, in Redis's exact wording (without '-' and CRLF).
#pragma once

namespace strata::err {

inline constexpr char kSyntax[] = "ERR syntax error";
inline constexpr char kWrongType[] =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr char kNotInteger[] = "ERR value is not an integer or out of range";
inline constexpr char kNotFloat[] = "ERR value is not a valid float";
inline constexpr char kOverflow[] = "ERR increment or decrement would overflow";
inline constexpr char kIncrNanOrInf[] = "ERR increment would produce NaN or Infinity";
inline constexpr char kNoSuchKey[] = "ERR no such key";
inline constexpr char kInvalidExpire[] = "ERR invalid expire time in '%s' command";  // printf
inline constexpr char kStringTooLong[] = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr char kOffsetOutOfRange[] = "ERR offset is out of range";
inline constexpr char kDbIndexOutOfRange[] = "ERR DB index is out of range";
inline constexpr char kInvalidDbIndex[] = "ERR invalid DB index";  // unused by Redis 7; kept for clarity
inline constexpr char kSameObject[] = "ERR source and destination objects are the same";
inline constexpr char kNoAuth[] = "NOAUTH Authentication required.";
inline constexpr char kWrongPass[] =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr char kAuthNotConfigured[] =
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?";
inline constexpr char kNoProto[] = "NOPROTO unsupported protocol version";
inline constexpr char kPositiveCount[] = "ERR value is out of range, must be positive";
inline constexpr char kTimeoutNotFloat[] = "ERR timeout is not a float or out of range";

inline constexpr char kDecrOverflow[] = "ERR decrement would overflow";  // DECRBY LLONG_MIN
inline constexpr char kIntOutOfRange[] =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
inline constexpr char kInvalidCursor[] = "ERR invalid cursor";
inline constexpr char kExpireNxConflict[] =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr char kExpireGtLtConflict[] =
    "ERR GT and LT options at the same time are not compatible";
inline constexpr char kLfuNotSelected[] =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time to "
    "adjust.";
inline constexpr char kOom[] = "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr const char kLfuIdleTime[] =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";

}  // namespace strata::err
