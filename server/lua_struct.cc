// `struct` for scripts: Roberto Ierusalimschy's struct library as Redis embeds it (pack, unpack,
// size), written afresh from its documented format: a format string of options
//   >  <  big / little endian        ![n]  maximum alignment n (default: the machine's, 8)
//   b B  signed / unsigned char       h H   short            l L  long (8 bytes)
//   T    size_t                       i I[n] int of n bytes (default 4, at most 32)
//   f d  float / double               x     one zero byte of padding
//   s    zero-terminated string       c[n]  n bytes (c0: the whole string when packing, the
//                                            previous number's value when unpacking)
// Spaces are ignored. Integers are stored as 64-bit values cut to their size. No C++ object
// with a destructor lives in these functions: Lua errors leave them by longjmp.
#include "common/errors.h"
#include "server/lua_libs.h"

#include <cctype>
#include <climits>
#include <cstdint>
#include <cstring>
#include <utility>

namespace strata::server {

namespace {

constexpr int kMaxIntSize = 32;
constexpr int kMaxAlign = 8;

struct Header {
  bool little = true;  // x86-64 is little endian
  int align = 1;
};

// A size after an option ("i4", "!8", "c10"), or dflt when no digits follow.
int ReadNumber(lua_State* L, const char** fmt, int dflt) {
  if (!std::isdigit(static_cast<unsigned char>(**fmt))) return dflt;
  int a = 0;
  do {
    int d = *((*fmt)++) - '0';
    if (a > (INT_MAX - d) / 10) luaL_error(L, err::kStructSizeOverflow);
    a = a * 10 + d;
  } while (std::isdigit(static_cast<unsigned char>(**fmt)));
  return a;
}

size_t OptionSize(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'b': case 'B': return 1;
    case 'h': case 'H': return sizeof(short);
    case 'l': case 'L': return sizeof(long);
    case 'T': return sizeof(size_t);
    case 'f': return sizeof(float);
    case 'd': return sizeof(double);
    case 'x': return 1;
    case 'c': return static_cast<size_t>(ReadNumber(L, fmt, 1));
    case 'i': case 'I': {
      int n = ReadNumber(L, fmt, sizeof(int));
      if (n > kMaxIntSize)
        luaL_error(L, err::kStructSizeLimit, n, kMaxIntSize);
      return static_cast<size_t>(n);
    }
    default: return 0;  // control options take no room
  }
}

// Padding before an item of `size` at offset `len`.
size_t Padding(size_t len, const Header& h, char opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  if (size > static_cast<size_t>(h.align)) size = static_cast<size_t>(h.align);
  return (size - (len & (size - 1))) & (size - 1);
}

void ControlOption(lua_State* L, char opt, const char** fmt, Header* h) {
  switch (opt) {
    case ' ': return;
    case '>': h->little = false; return;
    case '<': h->little = true; return;
    case '!': {
      int a = ReadNumber(L, fmt, kMaxAlign);
      if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, err::kStructAlignment, a);
      h->align = a;
      return;
    }
    default:
      luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  }
}

void PutInteger(lua_State* L, luaL_Buffer* b, int arg, bool little, size_t size) {
  lua_Number n = luaL_checknumber(L, arg);
  uint64_t v = n < 0 ? static_cast<uint64_t>(static_cast<int64_t>(n)) : static_cast<uint64_t>(n);
  char bytes[kMaxIntSize];
  for (size_t i = 0; i < size; ++i) {
    bytes[little ? i : size - 1 - i] = static_cast<char>(i < 8 ? (v >> (8 * i)) & 0xff : 0);
  }
  luaL_addlstring(b, bytes, size);
}

// A float or double in the wanted byte order (the machine's is little endian).
void Orient(char* p, size_t size, bool little) {
  if (little) return;
  for (size_t i = 0; i < size / 2; ++i) std::swap(p[i], p[size - 1 - i]);
}

int Pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  int arg = 2;
  size_t total = 0;
  lua_pushnil(L);  // separates the arguments from the buffer's stack use
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    size_t pad = Padding(total, h, opt, size);
    total += pad;
    while (pad-- > 0) luaL_addchar(&b, '\0');
    switch (opt) {
      case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
        PutInteger(L, &b, arg++, h.little, size);
        break;
      case 'x':
        luaL_addchar(&b, '\0');
        break;
      case 'f': {
        float f = static_cast<float>(luaL_checknumber(L, arg++));
        char p[sizeof f];
        std::memcpy(p, &f, sizeof f);
        Orient(p, sizeof f, h.little);
        luaL_addlstring(&b, p, sizeof f);
        break;
      }
      case 'd': {
        double d = luaL_checknumber(L, arg++);
        char p[sizeof d];
        std::memcpy(p, &d, sizeof d);
        Orient(p, sizeof d, h.little);
        luaL_addlstring(&b, p, sizeof d);
        break;
      }
      case 'c': case 's': {
        size_t l;
        const char* s = luaL_checklstring(L, arg++, &l);
        if (size == 0) size = l;
        luaL_argcheck(L, l >= size, arg, "string too short");
        luaL_addlstring(&b, s, size);
        if (opt == 's') {
          luaL_addchar(&b, '\0');
          ++size;
        }
        break;
      }
      default:
        ControlOption(L, opt, &fmt, &h);
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

lua_Number GetInteger(const char* p, bool little, bool is_signed, size_t size) {
  if (size == 0) return 0;  // "i0": no bytes (the fuzz test found the sign shift of -1)
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i) {
    unsigned char c = static_cast<unsigned char>(p[little ? size - 1 - i : i]);
    v = (v << 8) | c;
  }
  if (!is_signed) return static_cast<lua_Number>(v);
  if (size < 8) {
    uint64_t sign = uint64_t{1} << (size * 8 - 1);
    if (v & sign) v |= ~uint64_t{0} << (size * 8 - 1);  // extend the sign
  }
  return static_cast<lua_Number>(static_cast<int64_t>(v));
}

int Unpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t ld;
  const char* data = luaL_checklstring(L, 2, &ld);
  lua_Integer start = luaL_optinteger(L, 3, 1);
  luaL_argcheck(L, start > 0, 3, "offset must be 1 or greater");
  size_t pos = static_cast<size_t>(start) - 1;
  Header h;
  int n = 0;
  while (*fmt != '\0') {
    char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    pos += Padding(pos, h, opt, size);
    luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    switch (opt) {
      case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
        lua_pushnumber(L, GetInteger(data + pos, h.little, std::islower(opt), size));
        ++n;
        break;
      case 'x':
        break;
      case 'f': {
        char p[sizeof(float)];
        std::memcpy(p, data + pos, sizeof p);
        Orient(p, sizeof p, h.little);
        float f;
        std::memcpy(&f, p, sizeof f);
        lua_pushnumber(L, f);
        ++n;
        break;
      }
      case 'd': {
        char p[sizeof(double)];
        std::memcpy(p, data + pos, sizeof p);
        Orient(p, sizeof p, h.little);
        double d;
        std::memcpy(&d, p, sizeof d);
        lua_pushnumber(L, d);
        ++n;
        break;
      }
      case 'c': {
        if (size == 0) {
          if (n == 0 || !lua_isnumber(L, -1)) luaL_error(L, err::kStructC0NeedsSize);
          size = static_cast<size_t>(lua_tonumber(L, -1));
          lua_pop(L, 1);
          --n;
          luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
        }
        lua_pushlstring(L, data + pos, size);
        ++n;
        break;
      }
      case 's': {
        const char* e = static_cast<const char*>(std::memchr(data + pos, '\0', ld - pos));
        if (e == nullptr) luaL_error(L, err::kStructUnfinishedString);
        size = static_cast<size_t>(e - (data + pos)) + 1;
        lua_pushlstring(L, data + pos, size - 1);
        ++n;
        break;
      }
      default:
        ControlOption(L, opt, &fmt, &h);
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos) + 1);  // where the next item would start
  return n + 1;
}

int Size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  size_t pos = 0;
  while (*fmt != '\0') {
    char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    pos += Padding(pos, h, opt, size);
    if (opt == 's')
      luaL_argerror(L, 1, "option 's' has no fixed size");
    else if (opt == 'c' && size == 0)
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    if (!std::isalnum(static_cast<unsigned char>(opt))) ControlOption(L, opt, &fmt, &h);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

int OpenStruct(lua_State* L) {
  static const luaL_Reg kFunctions[] = {
      {"pack", Pack}, {"unpack", Unpack}, {"size", Size}, {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, kFunctions);
  return 1;
}

}  // namespace strata::server
