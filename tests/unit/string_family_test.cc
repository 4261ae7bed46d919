// String commands through CommandRunner: exact RESP bytes as Redis 7.0.15 replies them.
#include <doctest/doctest.h>

#include <string>

#include "tests/unit/command_runner.h"

using namespace strata::testing;

namespace {
const std::string kWrongType =
    Err("WRONGTYPE Operation against a key holding the wrong kind of value");
const std::string kSyntaxErr = Err("ERR syntax error");
const std::string kNotInt = Err("ERR value is not an integer or out of range");

// Two keys that live in different shards of database 0.
std::pair<std::string, std::string> KeysInTwoShards(CommandRunner& r) {
  auto& db = r.keyspace().db(0);
  std::string a = "key:0";
  for (int i = 1;; ++i) {
    std::string b = "key:" + std::to_string(i);
    if (db.Ref(b).shard_index != db.Ref(a).shard_index) return {a, b};
  }
}
}  // namespace

TEST_CASE("GET and SET basics") {
  CommandRunner r;
  CHECK(r.Run({"GET", "k"}) == kNil);
  CHECK(r.Run({"SET", "k", "v"}) == kOk);
  CHECK(r.Run({"GET", "k"}) == Bulk("v"));
  CHECK(r.Run({"set", "k", "longer value"}) == kOk);
  CHECK(r.Run({"get", "k"}) == Bulk("longer value"));
  CHECK(r.Run({"SET", "k", ""}) == kOk);
  CHECK(r.Run({"GET", "k"}) == "$0\r\n\r\n");
  std::string bin("a\0b\r\n\xff", 6);
  CHECK(r.Run({"SET", bin, bin}) == kOk);
  CHECK(r.Run({"GET", bin}) == Bulk(bin));
  std::string big(100000, 'x');
  CHECK(r.Run({"SET", "big", big}) == kOk);
  CHECK(r.Run({"GET", "big"}) == Bulk(big));
  CHECK(r.Run({"SET", "big", "small"}) == kOk);
  CHECK(r.Run({"GET", "big"}) == Bulk("small"));
}

TEST_CASE("arity errors") {
  CommandRunner r;
  CHECK(r.Run({"GET"}) == Err("ERR wrong number of arguments for 'get' command"));
  CHECK(r.Run({"GET", "a", "b"}) == Err("ERR wrong number of arguments for 'get' command"));
  CHECK(r.Run({"SET", "k"}) == Err("ERR wrong number of arguments for 'set' command"));
  CHECK(r.Run({"MGET"}) == Err("ERR wrong number of arguments for 'mget' command"));
  CHECK(r.Run({"GETRANGE", "k", "1"}) ==
        Err("ERR wrong number of arguments for 'getrange' command"));
  CHECK(r.Run({"MSET", "a"}) == Err("ERR wrong number of arguments for 'mset' command"));
  CHECK(r.Run({"MSET", "a", "b", "c"}) == Err("ERR wrong number of arguments for 'mset' command"));
  CHECK(r.Run({"MSETNX", "a", "b", "c"}) ==
        Err("ERR wrong number of arguments for 'msetnx' command"));
}

TEST_CASE("SET NX / XX / GET") {
  CommandRunner r;
  CHECK(r.Run({"SET", "k", "v", "NX"}) == kOk);
  CHECK(r.Run({"SET", "k", "w", "NX"}) == kNil);
  CHECK(r.Run({"GET", "k"}) == Bulk("v"));
  CHECK(r.Run({"SET", "k", "w", "XX"}) == kOk);
  CHECK(r.Run({"GET", "k"}) == Bulk("w"));
  CHECK(r.Run({"SET", "nokey", "v", "XX"}) == kNil);
  CHECK(r.Run({"EXISTS", "nokey"}) == Int(0));
  // GET returns the old value whether or not the write happens.
  CHECK(r.Run({"SET", "k", "x", "GET"}) == Bulk("w"));
  CHECK(r.Run({"SET", "k", "y", "NX", "GET"}) == Bulk("x"));
  CHECK(r.Run({"GET", "k"}) == Bulk("x"));
  CHECK(r.Run({"SET", "nokey", "v", "XX", "GET"}) == kNil);
  CHECK(r.Run({"SET", "new", "v", "GET"}) == kNil);
  CHECK(r.Run({"GET", "new"}) == Bulk("v"));
  CHECK(r.Run({"SET", "k", "v", "nx", "nx"}) == kNil);  // repeating an option is allowed
  CHECK(r.Run({"SET", "k", "z", "get", "get"}) == Bulk("x"));
}

TEST_CASE("SET option conflicts are syntax errors") {
  CommandRunner r;
  CHECK(r.Run({"SET", "k", "v", "NX", "XX"}) == kSyntaxErr);
  CHECK(r.Run({"SET", "k", "v", "XX", "NX"}) == kSyntaxErr);
  CHECK(r.Run({"SET", "k", "v", "EX", "10", "PX", "10"}) == kSyntaxErr);
  CHECK(r.Run({"SET", "k", "v", "PX", "10", "KEEPTTL"}) == kSyntaxErr);
  CHECK(r.Run({"SET", "k", "v", "KEEPTTL", "EXAT", "10"}) == kSyntaxErr);
  CHECK(r.Run({"SET", "k", "v", "EX"}) == kSyntaxErr);
  CHECK(r.Run({"SET", "k", "v", "PERSIST"}) == kSyntaxErr);
  CHECK(r.Run({"SET", "k", "v", "foo"}) == kSyntaxErr);
  CHECK(r.Run({"EXISTS", "k"}) == Int(0));
  CHECK(r.Run({"SET", "k", "v", "EX", "10", "EX", "20"}) == kOk);  // same option: last wins
  CHECK(r.Run({"TTL", "k"}) == Int(20));
}

TEST_CASE("SET expiry options and their validation") {
  CommandRunner r;
  const std::string invalid = Err("ERR invalid expire time in 'set' command");
  CHECK(r.Run({"SET", "k", "v", "EX", "0"}) == invalid);
  CHECK(r.Run({"SET", "k", "v", "EX", "-1"}) == invalid);
  CHECK(r.Run({"SET", "k", "v", "PX", "0"}) == invalid);
  CHECK(r.Run({"SET", "k", "v", "EXAT", "0"}) == invalid);
  CHECK(r.Run({"SET", "k", "v", "PXAT", "-5"}) == invalid);
  CHECK(r.Run({"SET", "k", "v", "EX", "abc"}) == kNotInt);
  CHECK(r.Run({"SET", "k", "v", "EX", "1.5"}) == kNotInt);
  CHECK(r.Run({"SET", "k", "v", "EX", "9223372036854775"}) == invalid);  // overflows with now
  CHECK(r.Run({"SET", "k", "v", "EXAT", "9223372036854775807"}) == invalid);
  CHECK(r.Run({"SET", "k", "v", "PX", "9223372036854775807"}) == invalid);
  CHECK(r.Run({"EXISTS", "k"}) == Int(0));

  CHECK(r.Run({"SET", "k", "v", "EX", "100"}) == kOk);
  CHECK(r.Run({"TTL", "k"}) == Int(100));
  CHECK(r.Run({"PTTL", "k"}) == Int(100000));
  CHECK(r.Run({"SET", "k", "v", "px", "1500"}) == kOk);
  CHECK(r.Run({"PTTL", "k"}) == Int(1500));
  int64_t now = r.now_ms;
  CHECK(r.Run({"SET", "k", "v", "PXAT", std::to_string(now + 5000)}) == kOk);
  CHECK(r.Run({"PEXPIRETIME", "k"}) == Int(now + 5000));
  CHECK(r.Run({"SET", "k", "v", "EXAT", std::to_string(now / 1000 + 60)}) == kOk);
  CHECK(r.Run({"EXPIRETIME", "k"}) == Int(now / 1000 + 60));
  // KEEPTTL keeps it; a plain SET drops it.
  CHECK(r.Run({"SET", "k", "v2", "KEEPTTL"}) == kOk);
  CHECK(r.Run({"EXPIRETIME", "k"}) == Int(now / 1000 + 60));
  CHECK(r.Run({"GET", "k"}) == Bulk("v2"));
  CHECK(r.Run({"SET", "k", "v3"}) == kOk);
  CHECK(r.Run({"TTL", "k"}) == Int(-1));
  CHECK(r.Run({"SET", "fresh", "v", "KEEPTTL"}) == kOk);
  CHECK(r.Run({"TTL", "fresh"}) == Int(-1));
  // An absolute time in the past is accepted; the key is simply gone.
  CHECK(r.Run({"SET", "k", "v", "PXAT", "1"}) == kOk);
  CHECK(r.Run({"GET", "k"}) == kNil);
  CHECK(r.Run({"EXISTS", "k"}) == Int(0));
  // The key expires when the clock passes its time.
  CHECK(r.Run({"SET", "t", "v", "PX", "100"}) == kOk);
  r.Advance(99);
  CHECK(r.Run({"GET", "t"}) == Bulk("v"));
  r.Advance(1);
  CHECK(r.Run({"GET", "t"}) == kNil);
}

TEST_CASE("SET on a key of another type") {
  CommandRunner r;
  PutFakeCollection(r, "l");
  CHECK(r.Run({"GET", "l"}) == kWrongType);
  CHECK(r.Run({"SET", "l", "v", "GET"}) == kWrongType);
  CHECK(r.Run({"TYPE", "l"}) == Simple("list"));
  CHECK(r.Run({"SET", "l", "v"}) == kOk);  // plain SET overwrites any type
  CHECK(r.Run({"GET", "l"}) == Bulk("v"));
  CHECK(r.Run({"TYPE", "l"}) == Simple("string"));
}

TEST_CASE("SETNX, SETEX, PSETEX") {
  CommandRunner r;
  CHECK(r.Run({"SETNX", "k", "a"}) == Int(1));
  CHECK(r.Run({"SETNX", "k", "b"}) == Int(0));
  CHECK(r.Run({"GET", "k"}) == Bulk("a"));

  CHECK(r.Run({"SETEX", "e", "100", "v"}) == kOk);
  CHECK(r.Run({"TTL", "e"}) == Int(100));
  CHECK(r.Run({"GET", "e"}) == Bulk("v"));
  CHECK(r.Run({"SETEX", "e", "0", "v"}) == Err("ERR invalid expire time in 'setex' command"));
  CHECK(r.Run({"SETEX", "e", "-5", "v"}) == Err("ERR invalid expire time in 'setex' command"));
  CHECK(r.Run({"SETEX", "e", "abc", "v"}) == kNotInt);
  CHECK(r.Run({"SETEX", "e", "10"}) == Err("ERR wrong number of arguments for 'setex' command"));

  CHECK(r.Run({"PSETEX", "p", "100000", "v"}) == kOk);
  CHECK(r.Run({"PTTL", "p"}) == Int(100000));
  CHECK(r.Run({"PSETEX", "p", "0", "v"}) == Err("ERR invalid expire time in 'psetex' command"));
  CHECK(r.Run({"PSETEX", "p", "-1", "v"}) == Err("ERR invalid expire time in 'psetex' command"));
}

TEST_CASE("GETSET and GETDEL") {
  CommandRunner r;
  CHECK(r.Run({"GETSET", "k", "a"}) == kNil);
  CHECK(r.Run({"GETSET", "k", "b"}) == Bulk("a"));
  CHECK(r.Run({"GET", "k"}) == Bulk("b"));
  CHECK(r.Run({"EXPIRE", "k", "100"}) == Int(1));
  CHECK(r.Run({"GETSET", "k", "c"}) == Bulk("b"));
  CHECK(r.Run({"TTL", "k"}) == Int(-1));  // GETSET drops the TTL like SET
  CHECK(r.Run({"GETDEL", "k"}) == Bulk("c"));
  CHECK(r.Run({"GETDEL", "k"}) == kNil);
  CHECK(r.Run({"EXISTS", "k"}) == Int(0));
  PutFakeCollection(r, "l");
  CHECK(r.Run({"GETSET", "l", "x"}) == kWrongType);
  CHECK(r.Run({"GETDEL", "l"}) == kWrongType);
  CHECK(r.Run({"TYPE", "l"}) == Simple("list"));
}

TEST_CASE("GETEX") {
  CommandRunner r;
  CHECK(r.Run({"GETEX", "nokey"}) == kNil);
  CHECK(r.Run({"GETEX", "nokey", "EX", "0"}) == kNil);  // the expiry is checked only on a hit
  CHECK(r.Run({"SET", "k", "v"}) == kOk);
  CHECK(r.Run({"GETEX", "k"}) == Bulk("v"));
  CHECK(r.Run({"GETEX", "k", "EX", "0"}) == Err("ERR invalid expire time in 'getex' command"));
  CHECK(r.Run({"GETEX", "k", "PX", "-1"}) == Err("ERR invalid expire time in 'getex' command"));
  CHECK(r.Run({"GETEX", "k", "EX", "x"}) == kNotInt);
  CHECK(r.Run({"GETEX", "k", "PERSIST", "EX", "10"}) == kSyntaxErr);
  CHECK(r.Run({"GETEX", "k", "EX", "10", "PERSIST"}) == kSyntaxErr);
  CHECK(r.Run({"GETEX", "k", "KEEPTTL"}) == kSyntaxErr);
  CHECK(r.Run({"GETEX", "k", "NX"}) == kSyntaxErr);
  CHECK(r.Run({"GETEX", "k", "GET"}) == kSyntaxErr);
  CHECK(r.Run({"GETEX", "k", "EX"}) == kSyntaxErr);
  CHECK(r.Run({"TTL", "k"}) == Int(-1));

  CHECK(r.Run({"GETEX", "k", "EX", "100"}) == Bulk("v"));
  CHECK(r.Run({"TTL", "k"}) == Int(100));
  CHECK(r.Run({"GETEX", "k", "PX", "5000"}) == Bulk("v"));
  CHECK(r.Run({"PTTL", "k"}) == Int(5000));
  CHECK(r.Run({"GETEX", "k", "PXAT", std::to_string(r.now_ms + 7000)}) == Bulk("v"));
  CHECK(r.Run({"PTTL", "k"}) == Int(7000));
  CHECK(r.Run({"GETEX", "k", "EXAT", std::to_string(r.now_ms / 1000 + 30)}) == Bulk("v"));
  CHECK(r.Run({"EXPIRETIME", "k"}) == Int(r.now_ms / 1000 + 30));
  CHECK(r.Run({"GETEX", "k", "PERSIST"}) == Bulk("v"));
  CHECK(r.Run({"TTL", "k"}) == Int(-1));
  CHECK(r.Run({"GETEX", "k", "persist"}) == Bulk("v"));  // no TTL: nothing to do
  // A past absolute time returns the value and deletes the key.
  CHECK(r.Run({"GETEX", "k", "EXAT", "1"}) == Bulk("v"));
  CHECK(r.Run({"EXISTS", "k"}) == Int(0));

  PutFakeCollection(r, "l");
  CHECK(r.Run({"GETEX", "l"}) == kWrongType);
  CHECK(r.Run({"GETEX", "l", "EX", "0"}) == kWrongType);
}

TEST_CASE("MGET, MSET, MSETNX") {
  CommandRunner r;
  CHECK(r.Run({"MSET", "a", "1", "b", "2", "c", "3"}) == kOk);
  CHECK(r.Run({"MGET", "a", "b", "nokey", "c"}) ==
        ArrayOf({Bulk("1"), Bulk("2"), kNil, Bulk("3")}));
  PutFakeCollection(r, "l");
  CHECK(r.Run({"MGET", "l", "a"}) == ArrayOf({kNil, Bulk("1")}));  // wrong type reads as nil
  CHECK(r.Run({"MSET", "a", "x", "a", "y"}) == kOk);  // the last value wins
  CHECK(r.Run({"GET", "a"}) == Bulk("y"));
  CHECK(r.Run({"EXPIRE", "a", "100"}) == Int(1));
  CHECK(r.Run({"MSET", "a", "z"}) == kOk);
  CHECK(r.Run({"TTL", "a"}) == Int(-1));  // MSET drops TTLs
  CHECK(r.Run({"MSET", "l", "s"}) == kOk);
  CHECK(r.Run({"TYPE", "l"}) == Simple("string"));

  CHECK(r.Run({"MSETNX", "a", "5", "new", "6"}) == Int(0));
  CHECK(r.Run({"EXISTS", "new"}) == Int(0));
  CHECK(r.Run({"MSETNX", "new", "5", "new2", "6"}) == Int(1));
  CHECK(r.Run({"MGET", "new", "new2"}) == BulkArray({"5", "6"}));
  CHECK(r.Run({"MSETNX", "new"}) == Err("ERR wrong number of arguments for 'msetnx' command"));
}

TEST_CASE("MSET and MGET across shards") {
  CommandRunner r;
  auto [a, b] = KeysInTwoShards(r);
  CHECK(r.Run({"MSET", a, "va", b, "vb"}) == kOk);
  CHECK(r.Run({"MGET", b, a}) == BulkArray({"vb", "va"}));
  // Many keys: all shards at once.
  std::vector<std::string> args = {"MSET"};
  std::vector<std::string> get = {"MGET"};
  std::vector<std::string> expect;
  for (int i = 0; i < 200; ++i) {
    args.push_back("m" + std::to_string(i));
    args.push_back("v" + std::to_string(i));
    get.push_back("m" + std::to_string(i));
    expect.push_back(Bulk("v" + std::to_string(i)));
  }
  CHECK(r.Run(args) == kOk);
  CHECK(r.Run(get) == ArrayOf(expect));
  CHECK(r.Run({"DBSIZE"}) == Int(202));
  CHECK(r.Run({"MSETNX", a, "x", "m199", "y", "fresh", "z"}) == Int(0));
  CHECK(r.Run({"EXISTS", "fresh"}) == Int(0));
}

TEST_CASE("INCR, DECR, INCRBY, DECRBY") {
  CommandRunner r;
  CHECK(r.Run({"INCR", "n"}) == Int(1));
  CHECK(r.Run({"INCR", "n"}) == Int(2));
  CHECK(r.Run({"DECR", "n"}) == Int(1));
  CHECK(r.Run({"INCRBY", "n", "10"}) == Int(11));
  CHECK(r.Run({"INCRBY", "n", "-20"}) == Int(-9));
  CHECK(r.Run({"DECRBY", "n", "5"}) == Int(-14));
  CHECK(r.Run({"DECRBY", "n", "-14"}) == Int(0));
  CHECK(r.Run({"GET", "n"}) == Bulk("0"));
  CHECK(r.Run({"DECR", "fresh"}) == Int(-1));
  CHECK(r.Run({"INCRBY", "n", "abc"}) == kNotInt);
  CHECK(r.Run({"INCRBY", "n", "1.5"}) == kNotInt);
  CHECK(r.Run({"DECRBY", "n", "9223372036854775808"}) == kNotInt);
  CHECK(r.Run({"DECRBY", "n", "-9223372036854775808"}) == Err("ERR decrement would overflow"));

  CHECK(r.Run({"SET", "n", "9223372036854775806"}) == kOk);
  CHECK(r.Run({"INCR", "n"}) == Int(9223372036854775807));
  CHECK(r.Run({"INCR", "n"}) == Err("ERR increment or decrement would overflow"));
  CHECK(r.Run({"SET", "n", "-9223372036854775807"}) == kOk);
  CHECK(r.Run({"DECR", "n"}) == ":-9223372036854775808\r\n");
  CHECK(r.Run({"DECR", "n"}) == Err("ERR increment or decrement would overflow"));
  CHECK(r.Run({"INCRBY", "n", "-1"}) == Err("ERR increment or decrement would overflow"));

  // Only strict integers: no spaces, '+', leading zeros or decimals.
  for (const char* bad : {" 1", "1 ", "+1", "01", "1.0", "", "abc", "99999999999999999999"}) {
    CHECK(r.Run({"SET", "s", bad}) == kOk);
    CHECK(r.Run({"INCR", "s"}) == kNotInt);
  }
  CHECK(r.Run({"SET", "s", "-0"}) == kOk);
  CHECK(r.Run({"INCR", "s"}) == kNotInt);

  // The TTL survives.
  CHECK(r.Run({"SET", "t", "10", "EX", "100"}) == kOk);
  CHECK(r.Run({"INCR", "t"}) == Int(11));
  CHECK(r.Run({"TTL", "t"}) == Int(100));
  // A long value that happens to be a number grows and shrinks correctly.
  CHECK(r.Run({"SET", "g", "9"}) == kOk);
  CHECK(r.Run({"INCRBY", "g", "999999999999"}) == Int(1000000000008));
  CHECK(r.Run({"GET", "g"}) == Bulk("1000000000008"));
  CHECK(r.Run({"DECRBY", "g", "1000000000000"}) == Int(8));
  CHECK(r.Run({"GET", "g"}) == Bulk("8"));

  PutFakeCollection(r, "l");
  CHECK(r.Run({"INCR", "l"}) == kWrongType);
  CHECK(r.Run({"DECRBY", "l", "1"}) == kWrongType);
}

TEST_CASE("INCRBYFLOAT") {
  CommandRunner r;
  const std::string not_float = Err("ERR value is not a valid float");
  const std::string nan_inf = Err("ERR increment would produce NaN or Infinity");
  CHECK(r.Run({"INCRBYFLOAT", "f", "1.5"}) == Bulk("1.5"));
  CHECK(r.Run({"INCRBYFLOAT", "f", "0.1"}) == Bulk("1.6"));
  CHECK(r.Run({"INCRBYFLOAT", "f", "-1.6"}) == Bulk("0"));
  CHECK(r.Run({"SET", "f", "10.5"}) == kOk);
  CHECK(r.Run({"INCRBYFLOAT", "f", "0.1"}) == Bulk("10.6"));
  CHECK(r.Run({"INCRBYFLOAT", "f", "-5e3"}) == Bulk("-4989.39999999999999991"));
  CHECK(r.Run({"SET", "f", "3.0e3"}) == kOk);
  CHECK(r.Run({"INCRBYFLOAT", "f", "0"}) == Bulk("3000"));
  CHECK(r.Run({"SET", "f", "1"}) == kOk);
  CHECK(r.Run({"INCRBYFLOAT", "f", "1.0"}) == Bulk("2"));
  CHECK(r.Run({"GET", "f"}) == Bulk("2"));
  CHECK(r.Run({"INCRBYFLOAT", "f", "abc"}) == not_float);
  CHECK(r.Run({"INCRBYFLOAT", "f", " 1"}) == not_float);
  CHECK(r.Run({"INCRBYFLOAT", "f", "nan"}) == not_float);
  CHECK(r.Run({"INCRBYFLOAT", "f", "inf"}) == nan_inf);
  CHECK(r.Run({"SET", "f", "inf"}) == kOk);
  CHECK(r.Run({"INCRBYFLOAT", "f", "1"}) == nan_inf);
  CHECK(r.Run({"SET", "f", " 1"}) == kOk);
  CHECK(r.Run({"INCRBYFLOAT", "f", "1"}) == not_float);
  CHECK(r.Run({"INCRBYFLOAT", "nf", "inf"}) == nan_inf);
  CHECK(r.Run({"EXISTS", "nf"}) == Int(0));
  CHECK(r.Run({"SET", "f", "5", "EX", "100"}) == kOk);
  CHECK(r.Run({"INCRBYFLOAT", "f", "1"}) == Bulk("6"));
  CHECK(r.Run({"TTL", "f"}) == Int(100));
  PutFakeCollection(r, "l");
  CHECK(r.Run({"INCRBYFLOAT", "l", "1"}) == kWrongType);
}

TEST_CASE("APPEND and STRLEN") {
  CommandRunner r;
  CHECK(r.Run({"STRLEN", "a"}) == Int(0));
  CHECK(r.Run({"APPEND", "a", "hello"}) == Int(5));
  CHECK(r.Run({"APPEND", "a", " world"}) == Int(11));
  CHECK(r.Run({"APPEND", "a", ""}) == Int(11));
  CHECK(r.Run({"GET", "a"}) == Bulk("hello world"));
  CHECK(r.Run({"STRLEN", "a"}) == Int(11));
  CHECK(r.Run({"APPEND", "e", ""}) == Int(0));
  CHECK(r.Run({"EXISTS", "e"}) == Int(1));  // APPEND creates the key even when empty

  // Many appends: the value grows in place or moves, and stays right either way.
  CHECK(r.Run({"SET", "g", "x", "EX", "100"}) == kOk);
  std::string expect = "x";
  for (int i = 0; i < 2000; ++i) {
    std::string piece = std::to_string(i) + ",";
    expect += piece;
    REQUIRE(r.Run({"APPEND", "g", piece}) == Int(static_cast<int64_t>(expect.size())));
  }
  CHECK(r.Run({"GET", "g"}) == Bulk(expect));
  CHECK(r.Run({"TTL", "g"}) == Int(100));
  CHECK(r.Run({"STRLEN", "g"}) == Int(static_cast<int64_t>(expect.size())));

  PutFakeCollection(r, "l");
  CHECK(r.Run({"APPEND", "l", "x"}) == kWrongType);
  CHECK(r.Run({"STRLEN", "l"}) == kWrongType);
}

TEST_CASE("GETRANGE and SUBSTR") {
  CommandRunner r;
  const std::string empty = "$0\r\n\r\n";
  CHECK(r.Run({"GETRANGE", "nokey", "0", "1"}) == empty);
  CHECK(r.Run({"SET", "s", "hello world"}) == kOk);
  CHECK(r.Run({"GETRANGE", "s", "0", "4"}) == Bulk("hello"));
  CHECK(r.Run({"GETRANGE", "s", "-5", "-1"}) == Bulk("world"));
  CHECK(r.Run({"GETRANGE", "s", "0", "-1"}) == Bulk("hello world"));
  CHECK(r.Run({"GETRANGE", "s", "-1", "-5"}) == empty);
  CHECK(r.Run({"GETRANGE", "s", "5", "3"}) == empty);
  CHECK(r.Run({"GETRANGE", "s", "100", "200"}) == empty);
  CHECK(r.Run({"GETRANGE", "s", "-100", "2"}) == Bulk("hel"));
  CHECK(r.Run({"GETRANGE", "s", "0", "100"}) == Bulk("hello world"));
  CHECK(r.Run({"GETRANGE", "s", "-9223372036854775808", "9223372036854775807"}) ==
        Bulk("hello world"));
  CHECK(r.Run({"GETRANGE", "s", "x", "1"}) == kNotInt);
  CHECK(r.Run({"GETRANGE", "nokey", "0", "x"}) == kNotInt);  // arguments are checked first
  CHECK(r.Run({"SUBSTR", "s", "6", "-1"}) == Bulk("world"));
  CHECK(r.Run({"SET", "e", ""}) == kOk);
  CHECK(r.Run({"GETRANGE", "e", "0", "-1"}) == empty);
  CHECK(r.Run({"GETRANGE", "e", "0", "0"}) == empty);
  PutFakeCollection(r, "l");
  CHECK(r.Run({"GETRANGE", "l", "0", "1"}) == kWrongType);
}

TEST_CASE("SETRANGE") {
  CommandRunner r;
  CHECK(r.Run({"SETRANGE", "s", "5", "hi"}) == Int(7));
  CHECK(r.Run({"GET", "s"}) == Bulk(std::string("\0\0\0\0\0hi", 7)));  // zero padding
  CHECK(r.Run({"SETRANGE", "s", "0", "HELLO"}) == Int(7));
  CHECK(r.Run({"GET", "s"}) == Bulk("HELLOhi"));
  CHECK(r.Run({"SETRANGE", "s", "1", ""}) == Int(7));
  CHECK(r.Run({"SETRANGE", "s", "10", "!"}) == Int(11));
  CHECK(r.Run({"GET", "s"}) == Bulk(std::string("HELLOhi\0\0\0!", 11)));
  CHECK(r.Run({"SETRANGE", "s", "2", "ll"}) == Int(11));
  CHECK(r.Run({"GETRANGE", "s", "0", "4"}) == Bulk("HEllO"));
  // Setting nothing on a missing key creates nothing.
  CHECK(r.Run({"SETRANGE", "none", "10", ""}) == Int(0));
  CHECK(r.Run({"EXISTS", "none"}) == Int(0));
  CHECK(r.Run({"SETRANGE", "none", "536870912", ""}) == Int(0));

  const std::string too_big =
      Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  CHECK(r.Run({"SETRANGE", "s", "-1", "x"}) == Err("ERR offset is out of range"));
  CHECK(r.Run({"SETRANGE", "s", "abc", "x"}) == kNotInt);
  CHECK(r.Run({"SETRANGE", "s", "536870911", "xx"}) == too_big);
  CHECK(r.Run({"SETRANGE", "new", "536870912", "x"}) == too_big);
  CHECK(r.Run({"SETRANGE", "s", "9223372036854775807", "x"}) == too_big);
  CHECK(r.Run({"SETRANGE", "s", "9223372036854775807", ""}) == Int(11));  // no size check
  CHECK(r.Run({"EXISTS", "new"}) == Int(0));

  CHECK(r.Run({"SET", "t", "abc", "EX", "100"}) == kOk);
  CHECK(r.Run({"SETRANGE", "t", "1000", "z"}) == Int(1001));
  CHECK(r.Run({"TTL", "t"}) == Int(100));
  CHECK(r.Run({"GETRANGE", "t", "0", "3"}) == Bulk(std::string("abc\0", 4)));
  CHECK(r.Run({"GETRANGE", "t", "-1", "-1"}) == Bulk("z"));

  PutFakeCollection(r, "l");
  CHECK(r.Run({"SETRANGE", "l", "0", "x"}) == kWrongType);
  CHECK(r.Run({"SETRANGE", "l", "0", ""}) == kWrongType);
}

TEST_CASE("string commands are registered with Redis's arity, flags and keys") {
  CommandRunner r;
  using namespace strata::cmd;
  const CommandSpec* set = r.registry().Find("SET");
  REQUIRE(set != nullptr);
  CHECK(set->arity == -3);
  CHECK(set->flags == (kWrite | kDenyOom));
  CHECK(set->first_key == 1);
  CHECK(set->last_key == 1);
  CHECK(set->key_step == 1);
  CHECK(set->group == "string");
  CHECK(set->since == "1.0.0");
  CHECK(set->syntax.find("PXAT unix-time-milliseconds | KEEPTTL]") != std::string::npos);
  const CommandSpec* mset = r.registry().Find("mset");
  REQUIRE(mset != nullptr);
  CHECK(mset->arity == -3);
  CHECK(mset->last_key == -1);
  CHECK(mset->key_step == 2);
  const CommandSpec* mget = r.registry().Find("mget");
  REQUIRE(mget != nullptr);
  CHECK(mget->flags == (kReadOnly | kFast));
  for (const char* name : {"get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex",
                           "mget", "mset", "msetnx", "incr", "decr", "incrby", "decrby",
                           "incrbyfloat", "append", "strlen", "getrange", "setrange", "substr"}) {
    const CommandSpec* s = r.registry().Find(name);
    REQUIRE_MESSAGE(s != nullptr, name);
    CHECK_MESSAGE(!s->summary.empty(), name);
    CHECK_MESSAGE((s->handler != nullptr), name);
  }
}
