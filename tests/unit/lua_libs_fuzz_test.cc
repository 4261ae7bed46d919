// Fuzzing the Lua libraries that parse bytes a script hands them (cmsgpack.unpack*,
// struct.unpack): random and mutated inputs must give a value or a Lua error, never a crash or
// an out-of-bounds read (the AddressSanitizer build runs this too). Bounded by default;
// STRATA_FUZZ_ITERS=N runs longer. Plus round trips of random values through cmsgpack.
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "server/lua_libs.h"

namespace {

size_t Iterations(size_t dflt) {
  const char* v = std::getenv("STRATA_FUZZ_ITERS");
  return v != nullptr ? std::strtoull(v, nullptr, 10) : dflt;
}

struct State {
  lua_State* L = luaL_newstate();
  State() {
    luaL_openlibs(L);
    lua_pushcfunction(L, strata::server::OpenCmsgpack);
    lua_call(L, 0, 1);
    lua_setglobal(L, "cmsgpack");
    lua_pushcfunction(L, strata::server::OpenStruct);
    lua_call(L, 0, 1);
    lua_setglobal(L, "struct");
  }
  ~State() { lua_close(L); }
  // Calls lib.fn(input, extra...) protected; true if it returned without error.
  bool Call(const char* lib, const char* fn, const std::string& input, int a = -1, int b = -1) {
    lua_getglobal(L, lib);
    lua_getfield(L, -1, fn);
    lua_remove(L, -2);
    lua_pushlstring(L, input.data(), input.size());
    int n = 1;
    if (a >= 0) lua_pushinteger(L, a), ++n;
    if (b >= 0) lua_pushinteger(L, b), ++n;
    bool ok = lua_pcall(L, n, LUA_MULTRET, 0) == 0;
    lua_settop(L, 0);
    return ok;
  }
  std::string Eval(const std::string& chunk) {
    REQUIRE(luaL_loadstring(L, chunk.c_str()) == 0);
    int rc = lua_pcall(L, 0, 1, 0);
    size_t len = 0;
    const char* p = lua_tolstring(L, -1, &len);
    std::string out = p != nullptr ? std::string(p, len) : "";
    lua_settop(L, 0);
    REQUIRE_MESSAGE(rc == 0, out);
    return out;
  }
};

std::string Mutate(std::string s, std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:  // flip bits
      for (int i = 0; i < 3 && !s.empty(); ++i) s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
      break;
    case 1:  // truncate
      s.resize(s.empty() ? 0 : rng() % s.size());
      break;
    case 2:  // random bytes in the middle
      for (int i = 0; i < 4; ++i) s.insert(s.begin() + (s.empty() ? 0 : rng() % s.size()), static_cast<char>(rng()));
      break;
    default:  // a length prefix that claims too much
      s = std::string(1, static_cast<char>(0xdb)) + std::string("\xff\xff\xff\x7f", 4) + s;
  }
  return s;
}

}  // namespace

TEST_CASE("cmsgpack.unpack survives random and mutated input") {
  State st;
  std::mt19937_64 rng(12345);
  // Seeds: real encodings of nested values.
  std::string seed = st.Eval(
      "return cmsgpack.pack({1, -2, 3.5, 'str', {a = {b = {true, false}}}, string.rep('x', 300)},"
      " 2^40, -2^40, '', {})");
  const size_t n = Iterations(20000);
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i) {
    std::string in = (i % 3 == 0) ? std::string(rng() % 40, '\0') : Mutate(seed, rng);
    if (i % 3 == 0)
      for (char& c : in) c = static_cast<char>(rng());
    ok += st.Call("cmsgpack", "unpack", in);
    st.Call("cmsgpack", "unpack_one", in, static_cast<int>(rng() % (in.size() + 2)));
    st.Call("cmsgpack", "unpack_limit", in, static_cast<int>(rng() % 4),
            static_cast<int>(rng() % (in.size() + 2)));
  }
  CHECK(ok > 0);  // some mutations still decode
  CHECK(st.Call("cmsgpack", "unpack", seed));
}

TEST_CASE("struct.unpack survives random formats and data") {
  State st;
  std::mt19937_64 rng(777);
  const char kOpts[] = "<>!bBhHlLTiIfdxsc0123456789 z";
  const size_t n = Iterations(20000);
  for (size_t i = 0; i < n; ++i) {
    std::string fmt;
    for (size_t k = rng() % 8; k > 0; --k) fmt += kOpts[rng() % (sizeof kOpts - 1)];
    std::string data(rng() % 24, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    lua_getglobal(st.L, "struct");
    lua_getfield(st.L, -1, "unpack");
    lua_remove(st.L, -2);
    lua_pushlstring(st.L, fmt.data(), fmt.size());
    lua_pushlstring(st.L, data.data(), data.size());
    lua_pushinteger(st.L, static_cast<lua_Integer>(rng() % 30) - 2);
    lua_pcall(st.L, 3, LUA_MULTRET, 0);
    lua_settop(st.L, 0);
    st.Call("struct", "size", fmt);
  }
  CHECK(st.Eval("return select(2, struct.unpack('>i4', struct.pack('>i4', -7)))") == "5");
}

TEST_CASE("cmsgpack round-trips random nested values") {
  State st;
  // A Lua generator of random tables, strings and numbers: unpack(pack(v)) equals v (deeply; a
  // map's order may differ after the trip, so the bytes are not compared).
  std::string result = st.Eval(R"(
    math.randomseed(42)
    local function gen(depth)
      local r = math.random(6)
      if depth > 4 or r == 1 then return math.random(-100000, 100000) end
      if r == 2 then return math.random() * 1e6 end
      if r == 3 then return string.rep(string.char(math.random(0, 255)), math.random(0, 300)) end
      if r == 4 then return math.random(2) == 1 end
      local t = {}
      if r == 5 then for i = 1, math.random(0, 20) do t[i] = gen(depth + 1) end
      else for i = 1, math.random(0, 5) do t['k' .. i] = gen(depth + 1) end end
      return t
    end
    local function same(a, b)
      if type(a) ~= type(b) then return false end
      if type(a) ~= 'table' then return a == b end
      for k, v in pairs(a) do if not same(v, b[k]) then return false end end
      for k in pairs(b) do if a[k] == nil then return false end end
      return true
    end
    for i = 1, 2000 do
      local v = gen(0)
      if not same(cmsgpack.unpack(cmsgpack.pack(v)), v) then return 'mismatch at ' .. i end
    end
    return 'ok'
  )");
  CHECK(result == "ok");
}

TEST_CASE("regressions found by the fuzz tests") {
  State st;
  // A 5-byte input claiming 2^31 array elements: refused before msgpack-c allocates their room
  // (it asked for 256 GiB), as lua-cmsgpack refuses it (missing bytes).
  CHECK_FALSE(st.Call("cmsgpack", "unpack", std::string("\xdd\x7f\xff\xff\xff", 5)));
  CHECK_FALSE(st.Call("cmsgpack", "unpack", std::string("\xdf\x7f\xff\xff\xff\x01", 6)));
  CHECK(st.Eval("local ok, e = pcall(cmsgpack.unpack, '\\221\\127\\255\\255\\255') return e")
            .find("Missing bytes in input.") != std::string::npos);
  // A zero-byte integer ("i0") unpacks as 0 (the sign extension shifted by -1).
  CHECK(st.Eval("return (struct.unpack('i0', 'x'))") == "0");
}
