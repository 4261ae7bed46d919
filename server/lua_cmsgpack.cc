// `cmsgpack` for scripts: the API of the lua-cmsgpack Redis embeds (pack, unpack, unpack_one,
// unpack_limit) on Debian's msgpack-c, with Redis's encoding choices: the smallest integer
// encoding, float32 when the number survives the round trip, str8 for short strings, a table
// whose keys are exactly 1..n as an array (else a map), nil beyond 16 levels of nesting.
#include "common/errors.h"
#include "server/lua_libs.h"

#include <msgpack.h>

#include <climits>
#include <cmath>
#include <cstdint>

namespace strata::server {

namespace {

constexpr int kMaxNesting = 16;  // lua-cmsgpack's LUACMSGPACK_MAX_NESTING

bool IsInt64(lua_Number n) {
  return !std::isinf(n) && !std::isnan(n) && n >= -9223372036854775808.0 &&
         n < 9223372036854775808.0 && static_cast<lua_Number>(static_cast<int64_t>(n)) == n;
}

// The table at the top: its keys are exactly 1..n (lua-cmsgpack's table_is_an_array).
bool IsArray(lua_State* L) {
  int top = lua_gettop(L);
  lua_Number max = 0;
  size_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_settop(L, top);
      return false;
    }
    lua_Number n = lua_tonumber(L, -1);
    if (n <= 0 || !IsInt64(n)) {
      lua_settop(L, top);
      return false;
    }
    if (n > max) max = n;
    ++count;
  }
  lua_settop(L, top);
  return max == static_cast<lua_Number>(count);
}

void Encode(lua_State* L, msgpack_packer* pk, int level);

void EncodeTable(lua_State* L, msgpack_packer* pk, int level) {
  if (IsArray(L)) {
    size_t n = lua_objlen(L, -1);
    msgpack_pack_array(pk, n);
    for (size_t i = 1; i <= n; ++i) {
      lua_rawgeti(L, -1, static_cast<int>(i));
      Encode(L, pk, level + 1);
      lua_pop(L, 1);
    }
    return;
  }
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    ++n;
  }
  msgpack_pack_map(pk, n);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pushvalue(L, -2);  // key
    Encode(L, pk, level + 1);
    lua_pop(L, 1);
    Encode(L, pk, level + 1);  // value
    lua_pop(L, 1);
  }
}

// Encodes the value at the top of the stack (left there).
void Encode(lua_State* L, msgpack_packer* pk, int level) {
  luaL_checkstack(L, 4, "in cmsgpack");
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      msgpack_pack_str(pk, len);
      msgpack_pack_str_body(pk, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, -1))
        msgpack_pack_true(pk);
      else
        msgpack_pack_false(pk);
      break;
    case LUA_TNUMBER: {
      lua_Number n = lua_tonumber(L, -1);
      if (IsInt64(n)) {
        msgpack_pack_int64(pk, static_cast<int64_t>(n));
      } else {
        float f = static_cast<float>(n);
        if (static_cast<double>(f) == n)
          msgpack_pack_float(pk, f);
        else
          msgpack_pack_double(pk, n);
      }
      break;
    }
    case LUA_TTABLE:
      if (level == kMaxNesting)
        msgpack_pack_nil(pk);
      else
        EncodeTable(L, pk, level);
      break;
    default:
      msgpack_pack_nil(pk);
  }
}

int Pack(lua_State* L) {
  int n = lua_gettop(L);
  if (n == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  msgpack_sbuffer buf;
  msgpack_sbuffer_init(&buf);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
  for (int i = 1; i <= n; ++i) {
    lua_pushvalue(L, i);
    Encode(L, &pk, 0);
    lua_pop(L, 1);
  }
  lua_pushlstring(L, buf.data, buf.size);
  msgpack_sbuffer_destroy(&buf);
  return 1;
}

// Pushes a decoded object.
void Push(lua_State* L, const msgpack_object& o) {
  luaL_checkstack(L, 4, "in cmsgpack");
  switch (o.type) {
    case MSGPACK_OBJECT_NIL:
      lua_pushnil(L);
      break;
    case MSGPACK_OBJECT_BOOLEAN:
      lua_pushboolean(L, o.via.boolean);
      break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
      lua_pushnumber(L, static_cast<lua_Number>(o.via.u64));
      break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
      lua_pushnumber(L, static_cast<lua_Number>(o.via.i64));
      break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
      lua_pushnumber(L, o.via.f64);
      break;
    case MSGPACK_OBJECT_STR:
      lua_pushlstring(L, o.via.str.ptr, o.via.str.size);
      break;
    case MSGPACK_OBJECT_BIN:
      lua_pushlstring(L, o.via.bin.ptr, o.via.bin.size);
      break;
    case MSGPACK_OBJECT_ARRAY:
      lua_createtable(L, static_cast<int>(o.via.array.size), 0);
      for (uint32_t i = 0; i < o.via.array.size; ++i) {
        Push(L, o.via.array.ptr[i]);
        lua_rawseti(L, -2, static_cast<int>(i + 1));
      }
      break;
    case MSGPACK_OBJECT_MAP:
      lua_createtable(L, 0, static_cast<int>(o.via.map.size));
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        Push(L, o.via.map.ptr[i].key);
        Push(L, o.via.map.ptr[i].val);
        if (lua_isnil(L, -2))
          lua_pop(L, 2);  // a nil key cannot be stored
        else
          lua_settable(L, -3);
      }
      break;
    default:  // ext types: not in lua-cmsgpack
      lua_pushnil(L);
  }
}

// Where the object starting at `pos` ends, without decoding it: 0 (and *end), 1 when the input
// ends first ("Missing bytes"), 2 for a byte that starts no MessagePack object. Every container
// count is checked against the bytes left (each element takes at least one), so a 5-byte input
// that claims 2^31 elements is refused here: msgpack-c would allocate the elements' room first
// (found by the fuzz test: 256 GiB asked for by a mutated input).
int Scan(const unsigned char* p, size_t len, size_t pos, size_t* end) {
  uint64_t pending = 1;  // objects still to read
  auto need = [&](size_t n) { return n <= len - pos; };
  auto be = [&](size_t n) {  // a big-endian length of n bytes (need(n) checked)
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | p[pos + i];
    pos += n;
    return v;
  };
  while (pending > 0) {
    if (pos >= len) return 1;
    const unsigned char b = p[pos++];
    --pending;
    uint64_t skip = 0, add = 0;
    if (b <= 0x7f || b >= 0xe0) {
      // fixint
    } else if (b <= 0x8f) {
      add = 2 * uint64_t{b & 0x0fu};
    } else if (b <= 0x9f) {
      add = b & 0x0fu;
    } else if (b <= 0xbf) {
      skip = b & 0x1fu;
    } else {
      // Fixed sizes after the type byte; lengths of 1, 2 or 4 bytes; counts of 2 or 4 bytes.
      static const struct {
        uint8_t fixed, len_bytes, count_bytes, per_count;
      } kTypes[32] = {
          {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0},  // c0 nil, c1, c2, c3
          {0, 1, 0, 0}, {0, 2, 0, 0}, {0, 4, 0, 0},                // c4-c6 bin
          {1, 1, 0, 0}, {1, 2, 0, 0}, {1, 4, 0, 0},                // c7-c9 ext (type byte)
          {4, 0, 0, 0}, {8, 0, 0, 0},                              // ca cb float double
          {1, 0, 0, 0}, {2, 0, 0, 0}, {4, 0, 0, 0}, {8, 0, 0, 0},  // cc-cf uint
          {1, 0, 0, 0}, {2, 0, 0, 0}, {4, 0, 0, 0}, {8, 0, 0, 0},  // d0-d3 int
          {2, 0, 0, 0}, {3, 0, 0, 0}, {5, 0, 0, 0}, {9, 0, 0, 0}, {17, 0, 0, 0},  // d4-d8 fixext
          {0, 1, 0, 0}, {0, 2, 0, 0}, {0, 4, 0, 0},                // d9-db str
          {0, 0, 2, 1}, {0, 0, 4, 1}, {0, 0, 2, 2}, {0, 0, 4, 2},  // dc dd array, de df map
      };
      if (b == 0xc1) return 2;
      const auto& t = kTypes[b - 0xc0];
      skip = t.fixed;
      if (t.len_bytes > 0) {
        if (!need(t.len_bytes)) return 1;
        skip += be(t.len_bytes);
      }
      if (t.count_bytes > 0) {
        if (!need(t.count_bytes)) return 1;
        add = be(t.count_bytes) * t.per_count;
      }
    }
    if (skip > len - pos) return 1;
    pos += static_cast<size_t>(skip);
    pending += add;
    if (pending > len - pos) return 1;  // each pending object needs a byte at least
  }
  *end = pos;
  return 0;
}

// lua-cmsgpack's mp_unpack_full: decode_all (unpack) returns every value; otherwise the next
// offset (-1 at the end) and at most `limit` values from `offset`.
int UnpackFull(lua_State* L, lua_Integer limit, lua_Integer offset) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  const bool decode_all = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0)
    return luaL_error(L, err::kCmsgpackBadRange,
                      static_cast<int>(offset), static_cast<int>(len));
  if (static_cast<size_t>(offset) > len)
    return luaL_error(L, err::kCmsgpackOffsetPastEnd,
                      static_cast<int>(offset), static_cast<int>(len));
  if (decode_all) limit = INT_MAX;
  msgpack_unpacked result;
  msgpack_unpacked_init(&result);
  size_t off = static_cast<size_t>(offset);
  int count = 0;
  int failure = 0;  // 1: missing bytes, 2: bad format
  while (off < len && count < limit) {
    size_t end = 0;
    int scan = Scan(reinterpret_cast<const unsigned char*>(s), len, off, &end);
    if (scan != 0) {
      failure = scan;
      break;
    }
    msgpack_unpack_return r = msgpack_unpack_next(&result, s, end, &off);
    if (r == MSGPACK_UNPACK_CONTINUE) {
      failure = 1;
      break;
    }
    if (r != MSGPACK_UNPACK_SUCCESS && r != MSGPACK_UNPACK_EXTRA_BYTES) {
      failure = 2;
      break;
    }
    Push(L, result.data);
    ++count;
  }
  msgpack_unpacked_destroy(&result);
  if (failure == 1) return luaL_error(L, err::kCmsgpackMissingBytes);
  if (failure == 2) return luaL_error(L, err::kCmsgpackBadFormat);
  if (!decode_all) {
    lua_pushinteger(L, off >= len ? -1 : static_cast<lua_Integer>(off));
    lua_insert(L, 2);  // after the argument(s): the first result
    ++count;
  }
  return count;
}

int Unpack(lua_State* L) { return UnpackFull(L, 0, 0); }

int UnpackOne(lua_State* L) {
  lua_Integer offset = luaL_optinteger(L, 2, 0);
  lua_settop(L, 1);  // results start right after the input string
  return UnpackFull(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  lua_Integer limit = luaL_checkinteger(L, 2);
  lua_Integer offset = luaL_optinteger(L, 3, 0);
  lua_settop(L, 1);
  return UnpackFull(L, limit, offset);
}

}  // namespace

int OpenCmsgpack(lua_State* L) {
  static const luaL_Reg kFunctions[] = {{"pack", Pack},
                                        {"unpack", Unpack},
                                        {"unpack_one", UnpackOne},
                                        {"unpack_limit", UnpackLimit},
                                        {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, kFunctions);
  lua_pushliteral(L, "lua-cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushliteral(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  lua_pushliteral(L, "Copyright (C) 2012, Salvatore Sanfilippo");
  lua_setfield(L, -2, "_COPYRIGHT");
  lua_pushliteral(L, "MessagePack C implementation.");
  lua_setfield(L, -2, "_DESCRIPTION");
  return 1;
}

}  // namespace strata::server
