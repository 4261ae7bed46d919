// The Lua libraries Redis embeds that Debian does not package: `cmsgpack` (server/lua_cmsgpack.cc,
// on msgpack-c) and `struct` (server/lua_struct.cc). Each opener pushes the library's table.
#pragma once

#include <lua.hpp>

namespace strata::server {

int OpenCmsgpack(lua_State* L);
int OpenStruct(lua_State* L);

}  // namespace strata::server
