// Generic key commands through CommandRunner: exact RESP bytes as Redis 7.0.15 replies them,
// TTLs on the runner's clock, SCAN's guarantee across table growth and shrinking.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/unit/command_runner.h"

using namespace strata::testing;

namespace {
const std::string kSyntaxErr = Err("ERR syntax error");
const std::string kNotInt = Err("ERR value is not an integer or out of range");

std::vector<std::string> BulkList(const std::string& reply) {
  std::vector<std::string> out;
  REQUIRE(ParseBulkArray(reply, &out));
  return out;
}

std::set<std::string> BulkSet(const std::string& reply) {
  std::vector<std::string> v = BulkList(reply);
  return std::set<std::string>(v.begin(), v.end());
}

// Splits a SCAN reply into the next cursor and the keys.
std::string ParseScan(const std::string& reply, std::vector<std::string>* keys) {
  const std::string head = "*2\r\n";
  REQUIRE(reply.compare(0, head.size(), head) == 0);
  size_t p = head.size();
  REQUIRE(reply[p] == '$');
  size_t eol = reply.find("\r\n", p);
  size_t len = std::stoul(reply.substr(p + 1, eol - p - 1));
  std::string cursor = reply.substr(eol + 2, len);
  size_t consumed = 0;
  REQUIRE(ParseBulkArray(std::string_view(reply).substr(eol + 2 + len + 2), keys, &consumed));
  CHECK(eol + 2 + len + 2 + consumed == reply.size());
  return cursor;
}

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

TEST_CASE("DEL, UNLINK, EXISTS, TOUCH") {
  CommandRunner r;
  CHECK(r.Run({"MSET", "a", "1", "b", "2", "c", "3", "d", "4"}) == kOk);
  CHECK(r.Run({"EXISTS", "a", "b", "nokey", "a"}) == Int(3));  // repeats count again
  CHECK(r.Run({"TOUCH", "a", "nokey", "a"}) == Int(2));
  CHECK(r.Run({"DEL", "a", "b", "nokey", "a"}) == Int(2));
  CHECK(r.Run({"DEL", "a"}) == Int(0));
  CHECK(r.Run({"EXISTS", "a"}) == Int(0));
  CHECK(r.Run({"UNLINK", "c", "d"}) == Int(2));
  CHECK(r.Run({"DBSIZE"}) == Int(0));
  CHECK(r.Run({"DEL"}) == Err("ERR wrong number of arguments for 'del' command"));
  CHECK(r.Run({"EXISTS"}) == Err("ERR wrong number of arguments for 'exists' command"));
  // Expired keys neither exist nor count as deleted.
  CHECK(r.Run({"SET", "t", "v", "PX", "10"}) == kOk);
  r.Advance(10);
  CHECK(r.Run({"EXISTS", "t"}) == Int(0));
  CHECK(r.Run({"SET", "t", "v", "PX", "10"}) == kOk);
  r.Advance(10);
  CHECK(r.Run({"DEL", "t"}) == Int(0));
}

TEST_CASE("DEL across shards") {
  CommandRunner r;
  auto [a, b] = KeysInTwoShards(r);
  CHECK(r.Run({"MSET", a, "1", b, "2"}) == kOk);
  CHECK(r.Run({"DEL", a, b}) == Int(2));
  CHECK(r.Run({"EXISTS", a, b}) == Int(0));
  std::vector<std::string> set = {"MSET"}, del = {"DEL"};
  for (int i = 0; i < 300; ++i) {
    set.push_back("k" + std::to_string(i));
    set.push_back("v");
    if (i % 2 == 0) del.push_back("k" + std::to_string(i));
  }
  CHECK(r.Run(set) == kOk);
  CHECK(r.Run(del) == Int(150));
  CHECK(r.Run({"DBSIZE"}) == Int(150));
  CHECK(r.Run({"EXISTS", "k0", "k1", "k298", "k299"}) == Int(2));
}

TEST_CASE("EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT") {
  CommandRunner r;
  CHECK(r.Run({"EXPIRE", "nokey", "10"}) == Int(0));
  CHECK(r.Run({"SET", "k", "v"}) == kOk);
  CHECK(r.Run({"EXPIRE", "k", "100"}) == Int(1));
  CHECK(r.Run({"TTL", "k"}) == Int(100));
  CHECK(r.Run({"PTTL", "k"}) == Int(100000));
  CHECK(r.Run({"PEXPIRE", "k", "1234"}) == Int(1));
  CHECK(r.Run({"PTTL", "k"}) == Int(1234));
  int64_t at = r.now_ms / 1000 + 50;
  CHECK(r.Run({"EXPIREAT", "k", std::to_string(at)}) == Int(1));
  CHECK(r.Run({"EXPIRETIME", "k"}) == Int(at));
  CHECK(r.Run({"PEXPIRETIME", "k"}) == Int(at * 1000));
  CHECK(r.Run({"PEXPIREAT", "k", std::to_string(r.now_ms + 777)}) == Int(1));
  CHECK(r.Run({"PTTL", "k"}) == Int(777));
  CHECK(r.Run({"PEXPIRETIME", "k"}) == Int(r.now_ms + 777));
  r.Advance(776);
  CHECK(r.Run({"GET", "k"}) == Bulk("v"));
  r.Advance(1);
  CHECK(r.Run({"GET", "k"}) == kNil);
  CHECK(r.Run({"TTL", "k"}) == Int(-2));
}

TEST_CASE("EXPIRE with a time in the past deletes the key") {
  CommandRunner r;
  for (std::vector<std::string> cmd : {std::vector<std::string>{"EXPIRE", "k", "0"},
                                       {"EXPIRE", "k", "-1"},
                                       {"PEXPIRE", "k", "-100"},
                                       {"EXPIREAT", "k", "1"},
                                       {"PEXPIREAT", "k", "0"},
                                       {"EXPIRE", "k", "-9223372036854775"}}) {
    CHECK(r.Run({"SET", "k", "v"}) == kOk);
    CHECK(r.Run(cmd) == Int(1));
    CHECK(r.Run({"EXISTS", "k"}) == Int(0));
  }
}

TEST_CASE("EXPIRE options NX XX GT LT") {
  CommandRunner r;
  CHECK(r.Run({"SET", "k", "v"}) == kOk);
  CHECK(r.Run({"EXPIRE", "k", "100", "XX"}) == Int(0));  // no TTL yet
  CHECK(r.Run({"EXPIRE", "k", "100", "GT"}) == Int(0));  // no TTL counts as infinite
  CHECK(r.Run({"TTL", "k"}) == Int(-1));
  CHECK(r.Run({"EXPIRE", "k", "100", "NX"}) == Int(1));
  CHECK(r.Run({"EXPIRE", "k", "200", "NX"}) == Int(0));
  CHECK(r.Run({"EXPIRE", "k", "200", "XX"}) == Int(1));
  CHECK(r.Run({"TTL", "k"}) == Int(200));
  CHECK(r.Run({"EXPIRE", "k", "100", "GT"}) == Int(0));
  CHECK(r.Run({"EXPIRE", "k", "200", "GT"}) == Int(0));  // equal is not greater
  CHECK(r.Run({"EXPIRE", "k", "300", "gt"}) == Int(1));
  CHECK(r.Run({"EXPIRE", "k", "400", "LT"}) == Int(0));
  CHECK(r.Run({"EXPIRE", "k", "50", "lt"}) == Int(1));
  CHECK(r.Run({"TTL", "k"}) == Int(50));
  CHECK(r.Run({"EXPIRE", "k", "60", "XX", "GT"}) == Int(1));
  CHECK(r.Run({"TTL", "k"}) == Int(60));
  CHECK(r.Run({"PERSIST", "k"}) == Int(1));
  CHECK(r.Run({"EXPIRE", "k", "10", "LT"}) == Int(1));  // LT on no TTL succeeds
  CHECK(r.Run({"TTL", "k"}) == Int(10));

  const std::string nx_err =
      Err("ERR NX and XX, GT or LT options at the same time are not compatible");
  CHECK(r.Run({"EXPIRE", "k", "10", "NX", "XX"}) == nx_err);
  CHECK(r.Run({"EXPIRE", "k", "10", "NX", "GT"}) == nx_err);
  CHECK(r.Run({"EXPIRE", "k", "10", "LT", "NX"}) == nx_err);
  CHECK(r.Run({"EXPIRE", "nokey", "10", "NX", "XX"}) == nx_err);  // options before the key
  CHECK(r.Run({"EXPIRE", "k", "10", "GT", "LT"}) ==
        Err("ERR GT and LT options at the same time are not compatible"));
  CHECK(r.Run({"EXPIRE", "k", "10", "foo"}) == Err("ERR Unsupported option foo"));
  CHECK(r.Run({"PEXPIRE", "k", "10", "NX", "bar"}) == Err("ERR Unsupported option bar"));
  CHECK(r.Run({"EXPIRE", "k", "abc"}) == kNotInt);
  CHECK(r.Run({"EXPIRE", "k"}) == Err("ERR wrong number of arguments for 'expire' command"));
}

TEST_CASE("EXPIRE overflow is an invalid expire time") {
  CommandRunner r;
  CHECK(r.Run({"SET", "k", "v"}) == kOk);
  CHECK(r.Run({"EXPIRE", "k", "9223372036854775807"}) ==
        Err("ERR invalid expire time in 'expire' command"));
  CHECK(r.Run({"EXPIRE", "k", "-9223372036854775808"}) ==
        Err("ERR invalid expire time in 'expire' command"));
  CHECK(r.Run({"EXPIRE", "k", "9223372036854775"}) ==
        Err("ERR invalid expire time in 'expire' command"));  // fits ms, not ms + now
  CHECK(r.Run({"PEXPIRE", "k", "9223372036854775807"}) ==
        Err("ERR invalid expire time in 'pexpire' command"));
  CHECK(r.Run({"EXPIREAT", "k", "9223372036854775807"}) ==
        Err("ERR invalid expire time in 'expireat' command"));
  CHECK(r.Run({"TTL", "k"}) == Int(-1));
  CHECK(r.Run({"PEXPIREAT", "k", "9223372036854775807"}) == Int(1));  // no base to add
  CHECK(r.Run({"PEXPIRETIME", "k"}) == Int(9223372036854775807));
  CHECK(r.Run({"EXPIREAT", "k", "9223372036854775"}) == Int(1));
  CHECK(r.Run({"EXPIRETIME", "k"}) == Int(9223372036854775));
}

TEST_CASE("TTL rounding and the -1 / -2 replies") {
  CommandRunner r;
  CHECK(r.Run({"TTL", "nokey"}) == Int(-2));
  CHECK(r.Run({"PTTL", "nokey"}) == Int(-2));
  CHECK(r.Run({"EXPIRETIME", "nokey"}) == Int(-2));
  CHECK(r.Run({"PEXPIRETIME", "nokey"}) == Int(-2));
  CHECK(r.Run({"SET", "k", "v"}) == kOk);
  CHECK(r.Run({"TTL", "k"}) == Int(-1));
  CHECK(r.Run({"PTTL", "k"}) == Int(-1));
  CHECK(r.Run({"EXPIRETIME", "k"}) == Int(-1));
  CHECK(r.Run({"PEXPIRETIME", "k"}) == Int(-1));
  CHECK(r.Run({"PEXPIRE", "k", "1500"}) == Int(1));
  CHECK(r.Run({"TTL", "k"}) == Int(2));  // (1500 + 500) / 1000
  r.Advance(1);
  CHECK(r.Run({"TTL", "k"}) == Int(1));  // 1499 ms
  r.Advance(1000);
  CHECK(r.Run({"TTL", "k"}) == Int(0));  // 499 ms
  CHECK(r.Run({"PTTL", "k"}) == Int(499));
  // EXPIRETIME rounds the absolute time to the nearest second too.
  CHECK(r.Run({"PEXPIREAT", "k", "1700000010499"}) == Int(1));
  CHECK(r.Run({"EXPIRETIME", "k"}) == Int(1700000010));
  CHECK(r.Run({"PEXPIREAT", "k", "1700000010500"}) == Int(1));
  CHECK(r.Run({"EXPIRETIME", "k"}) == Int(1700000011));
}

TEST_CASE("PERSIST and TYPE") {
  CommandRunner r;
  CHECK(r.Run({"PERSIST", "nokey"}) == Int(0));
  CHECK(r.Run({"SET", "k", "v", "EX", "10"}) == kOk);
  CHECK(r.Run({"PERSIST", "k"}) == Int(1));
  CHECK(r.Run({"PERSIST", "k"}) == Int(0));
  CHECK(r.Run({"TTL", "k"}) == Int(-1));
  r.Advance(20000);
  CHECK(r.Run({"GET", "k"}) == Bulk("v"));
  CHECK(r.Run({"TYPE", "k"}) == Simple("string"));
  CHECK(r.Run({"TYPE", "nokey"}) == Simple("none"));
  PutFakeCollection(r, "h", strata::storage::ObjType::kHash);
  CHECK(r.Run({"TYPE", "h"}) == Simple("hash"));
}

TEST_CASE("KEYS") {
  CommandRunner r;
  CHECK(r.Run({"KEYS", "*"}) == "*0\r\n");
  CHECK(r.Run({"MSET", "one", "1", "two", "2", "three", "3", "four", "4"}) == kOk);
  CHECK(BulkSet(r.Run({"KEYS", "*"})) == std::set<std::string>{"one", "two", "three", "four"});
  CHECK(BulkSet(r.Run({"KEYS", "t*"})) == std::set<std::string>{"two", "three"});
  CHECK(BulkSet(r.Run({"KEYS", "?o*"})) == std::set<std::string>{"four"});
  CHECK(BulkSet(r.Run({"KEYS", "[ot]*e"})) == std::set<std::string>{"one", "three"});
  CHECK(r.Run({"KEYS", "nomatch*"}) == "*0\r\n");
  CHECK(r.Run({"PEXPIRE", "two", "5"}) == Int(1));
  r.Advance(5);
  CHECK(BulkSet(r.Run({"KEYS", "t*"})) == std::set<std::string>{"three"});
  // Other databases are separate.
  r.client().db_index = 3;
  CHECK(r.Run({"KEYS", "*"}) == "*0\r\n");
}

TEST_CASE("SCAN returns every key, small and large databases") {
  CommandRunner r;
  CHECK(r.Run({"SCAN", "0"}) == "*2\r\n$1\r\n0\r\n*0\r\n");
  CHECK(r.Run({"MSET", "a", "1", "b", "2", "c", "3"}) == kOk);
  std::vector<std::string> keys;
  CHECK(ParseScan(r.Run({"SCAN", "0", "COUNT", "1000"}), &keys) == "0");
  CHECK(std::set<std::string>(keys.begin(), keys.end()) == std::set<std::string>{"a", "b", "c"});

  for (int i = 0; i < 1000; ++i) r.Run({"SET", "k" + std::to_string(i), "v"});
  std::multiset<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    cursor = ParseScan(r.Run({"SCAN", cursor, "COUNT", "20"}), &keys);
    CHECK(keys.size() < 200);  // roughly COUNT, never the whole table
    seen.insert(keys.begin(), keys.end());
    ++calls;
  } while (cursor != "0" && calls < 10000);
  CHECK(cursor == "0");
  CHECK(calls > 10);
  std::set<std::string> unique(seen.begin(), seen.end());
  CHECK(unique.size() == 1003);
  CHECK(seen.size() == 1003);  // no table change during the scan: no duplicates
}

TEST_CASE("SCAN never misses a key present for the whole scan, across growth and shrinking") {
  CommandRunner r;
  std::set<std::string> stable;
  for (int i = 0; i < 500; ++i) {
    std::string k = "stable:" + std::to_string(i);
    stable.insert(k);
    r.Run({"SET", k, "v"});
  }
  for (int i = 0; i < 3000; ++i) r.Run({"SET", "doomed:" + std::to_string(i), "v"});
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0, added = 0, removed = 0;
  do {
    std::vector<std::string> keys;
    cursor = ParseScan(r.Run({"SCAN", cursor, "COUNT", "10"}), &keys);
    seen.insert(keys.begin(), keys.end());
    ++calls;
    // Between calls the tables grow (new keys) and, later, shrink (doomed keys go).
    for (int j = 0; j < 40; ++j) r.Run({"SET", "new:" + std::to_string(added++), "v"});
    if (calls > 50) {
      for (int j = 0; j < 60 && removed < 3000; ++j)
        r.Run({"DEL", "doomed:" + std::to_string(removed++)});
    }
  } while (cursor != "0" && calls < 100000);
  CHECK(cursor == "0");
  CHECK(removed > 1000);
  for (const std::string& k : stable) CHECK_MESSAGE(seen.count(k) == 1, k);
  // Nothing that never existed shows up.
  for (const std::string& k : seen) {
    bool known = k.rfind("stable:", 0) == 0 || k.rfind("new:", 0) == 0 ||
                 k.rfind("doomed:", 0) == 0;
    CHECK_MESSAGE(known, k);
  }
}

TEST_CASE("SCAN MATCH, TYPE and expired keys") {
  CommandRunner r;
  for (int i = 0; i < 100; ++i) r.Run({"SET", "user:" + std::to_string(i), "v"});
  for (int i = 0; i < 100; ++i) r.Run({"SET", "item:" + std::to_string(i), "v"});
  PutFakeCollection(r, "user:list");
  auto scan_all = [&](std::vector<std::string> extra) {
    std::set<std::string> seen;
    std::string cursor = "0";
    do {
      std::vector<std::string> args = {"SCAN", cursor};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<std::string> keys;
      cursor = ParseScan(r.Run(args), &keys);
      seen.insert(keys.begin(), keys.end());
    } while (cursor != "0");
    return seen;
  };
  std::set<std::string> users = scan_all({"MATCH", "user:*"});
  CHECK(users.size() == 101);
  for (const std::string& k : users) CHECK(k.rfind("user:", 0) == 0);
  CHECK(scan_all({"MATCH", "user:*", "TYPE", "list"}) == std::set<std::string>{"user:list"});
  CHECK(scan_all({"TYPE", "STRING", "COUNT", "7"}).size() == 200);
  CHECK(scan_all({"TYPE", "nosuchtype"}).empty());
  CHECK(scan_all({"MATCH", "*"}).size() == 201);

  for (int i = 0; i < 50; ++i) r.Run({"PEXPIRE", "item:" + std::to_string(i), "10"});
  r.Advance(10);
  std::set<std::string> items = scan_all({"MATCH", "item:*", "COUNT", "1000"});
  CHECK(items.size() == 50);
  CHECK(r.Run({"DBSIZE"}) == Int(151));  // SCAN deleted the expired keys it met
}

TEST_CASE("SCAN argument errors") {
  CommandRunner r;
  CHECK(r.Run({"SCAN", "abc"}) == Err("ERR invalid cursor"));
  CHECK(r.Run({"SCAN", " 5"}) == Err("ERR invalid cursor"));
  CHECK(r.Run({"SCAN", "5x"}) == Err("ERR invalid cursor"));
  CHECK(r.Run({"SCAN", "18446744073709551616"}) == Err("ERR invalid cursor"));
  CHECK(r.Run({"SCAN", "abc", "COUNT", "0"}) == Err("ERR invalid cursor"));  // cursor first
  CHECK(r.Run({"SCAN", "0", "COUNT", "0"}) == kSyntaxErr);
  CHECK(r.Run({"SCAN", "0", "COUNT", "-1"}) == kSyntaxErr);
  CHECK(r.Run({"SCAN", "0", "COUNT", "x"}) == kNotInt);
  CHECK(r.Run({"SCAN", "0", "MATCH"}) == kSyntaxErr);
  CHECK(r.Run({"SCAN", "0", "TYPE"}) == kSyntaxErr);
  CHECK(r.Run({"SCAN", "0", "foo", "bar"}) == kSyntaxErr);
  CHECK(r.Run({"SCAN"}) == Err("ERR wrong number of arguments for 'scan' command"));
  // strtoul's leniency, as Redis: a sign, the empty string, a wrapping -1.
  CHECK(r.Run({"SET", "a", "1"}) == kOk);
  CHECK(r.Run({"SCAN", "", "COUNT", "100"}) == "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
  CHECK(r.Run({"SCAN", "+0", "COUNT", "100"}) == "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
  std::vector<std::string> keys;
  CHECK(ParseScan(r.Run({"SCAN", "-1"}), &keys) == "0");
  CHECK(ParseScan(r.Run({"SCAN", "18446744073709551615"}), &keys) == "0");
}

TEST_CASE("RENAME and RENAMENX") {
  CommandRunner r;
  CHECK(r.Run({"RENAME", "nokey", "x"}) == Err("ERR no such key"));
  CHECK(r.Run({"RENAMENX", "nokey", "x"}) == Err("ERR no such key"));
  CHECK(r.Run({"RENAME", "nokey", "nokey"}) == Err("ERR no such key"));
  CHECK(r.Run({"SET", "k", "v"}) == kOk);
  CHECK(r.Run({"RENAME", "k", "k"}) == kOk);
  CHECK(r.Run({"RENAMENX", "k", "k"}) == Int(0));
  CHECK(r.Run({"RENAME", "k", "k2"}) == kOk);
  CHECK(r.Run({"EXISTS", "k"}) == Int(0));
  CHECK(r.Run({"GET", "k2"}) == Bulk("v"));
  CHECK(r.Run({"SET", "k3", "v3"}) == kOk);
  CHECK(r.Run({"RENAMENX", "k2", "k3"}) == Int(0));
  CHECK(r.Run({"GET", "k2"}) == Bulk("v"));
  CHECK(r.Run({"RENAMENX", "k2", "k4"}) == Int(1));
  CHECK(r.Run({"GET", "k4"}) == Bulk("v"));
  // The TTL moves with the value; an overwritten destination loses its own.
  CHECK(r.Run({"EXPIRE", "k4", "100"}) == Int(1));
  CHECK(r.Run({"RENAME", "k4", "k3"}) == kOk);
  CHECK(r.Run({"GET", "k3"}) == Bulk("v"));
  CHECK(r.Run({"TTL", "k3"}) == Int(100));
  CHECK(r.Run({"SET", "p", "x", "EX", "50"}) == kOk);
  CHECK(r.Run({"SET", "q", "y"}) == kOk);
  CHECK(r.Run({"RENAME", "q", "p"}) == kOk);
  CHECK(r.Run({"TTL", "p"}) == Int(-1));
  CHECK(r.Run({"DBSIZE"}) == Int(2));
  // Other types move too.
  PutFakeCollection(r, "l");
  CHECK(r.Run({"RENAME", "l", "l2"}) == kOk);
  CHECK(r.Run({"TYPE", "l2"}) == Simple("list"));
  CHECK(r.Run({"OBJECT", "ENCODING", "l2"}) == Bulk("fakeenc"));
  // Expired sources are gone.
  CHECK(r.Run({"SET", "e", "v", "PX", "5"}) == kOk);
  r.Advance(5);
  CHECK(r.Run({"RENAME", "e", "f"}) == Err("ERR no such key"));
}

TEST_CASE("RENAME across shards") {
  CommandRunner r;
  auto [a, b] = KeysInTwoShards(r);
  CHECK(r.Run({"SET", a, "va", "PX", "9000"}) == kOk);
  CHECK(r.Run({"SET", b, "vb"}) == kOk);
  CHECK(r.Run({"RENAME", a, b}) == kOk);
  CHECK(r.Run({"GET", b}) == Bulk("va"));
  CHECK(r.Run({"PTTL", b}) == Int(9000));
  CHECK(r.Run({"EXISTS", a}) == Int(0));
  CHECK(r.Run({"RENAMENX", b, a}) == Int(1));
  CHECK(r.Run({"GET", a}) == Bulk("va"));
  CHECK(r.Run({"DBSIZE"}) == Int(1));
  // A chain of renames through many shards keeps exactly one key.
  std::string cur = a;
  for (int i = 0; i < 100; ++i) {
    std::string next = "chain:" + std::to_string(i);
    REQUIRE(r.Run({"RENAME", cur, next}) == kOk);
    cur = next;
  }
  CHECK(r.Run({"GET", cur}) == Bulk("va"));
  CHECK(r.Run({"DBSIZE"}) == Int(1));
}

TEST_CASE("COPY") {
  CommandRunner r;
  CHECK(r.Run({"COPY", "nokey", "x"}) == Int(0));
  CHECK(r.Run({"SET", "s", "v", "EX", "100"}) == kOk);
  CHECK(r.Run({"COPY", "s", "d"}) == Int(1));
  CHECK(r.Run({"GET", "d"}) == Bulk("v"));
  CHECK(r.Run({"TTL", "d"}) == Int(100));
  CHECK(r.Run({"GET", "s"}) == Bulk("v"));
  CHECK(r.Run({"SET", "s", "w"}) == kOk);
  CHECK(r.Run({"COPY", "s", "d"}) == Int(0));
  CHECK(r.Run({"GET", "d"}) == Bulk("v"));
  CHECK(r.Run({"COPY", "s", "d", "REPLACE"}) == Int(1));
  CHECK(r.Run({"GET", "d"}) == Bulk("w"));
  CHECK(r.Run({"TTL", "d"}) == Int(-1));
  CHECK(r.Run({"COPY", "s", "s"}) == Err("ERR source and destination objects are the same"));
  CHECK(r.Run({"COPY", "s", "s", "DB", "0"}) ==
        Err("ERR source and destination objects are the same"));
  CHECK(r.Run({"COPY", "s", "s", "DB", "1"}) == Int(1));
  CHECK(r.Run({"COPY", "s", "s", "db", "1"}) == Int(0));
  CHECK(r.Run({"COPY", "s", "s", "DB", "1", "REPLACE"}) == Int(1));
  CHECK(r.Run({"COPY", "s", "x", "DB", "16"}) == Err("ERR DB index is out of range"));
  CHECK(r.Run({"COPY", "s", "x", "DB", "-1"}) == Err("ERR DB index is out of range"));
  CHECK(r.Run({"COPY", "s", "x", "DB", "x"}) == kNotInt);
  CHECK(r.Run({"COPY", "s", "x", "DB", "9999999999"}) ==
        Err("ERR value is out of range, value must between -2147483648 and 2147483647"));
  CHECK(r.Run({"COPY", "s", "x", "DB"}) == kSyntaxErr);
  CHECK(r.Run({"COPY", "s", "x", "foo"}) == kSyntaxErr);
  CHECK(r.Run({"COPY", "s"}) == Err("ERR wrong number of arguments for 'copy' command"));
  r.client().db_index = 1;
  CHECK(r.Run({"GET", "s"}) == Bulk("w"));
  r.client().db_index = 0;
  // Collections are cloned.
  PutFakeCollection(r, "l", strata::storage::ObjType::kSet);
  CHECK(r.Run({"COPY", "l", "l2", "DB", "2"}) == Int(1));
  r.client().db_index = 2;
  CHECK(r.Run({"TYPE", "l2"}) == Simple("set"));
  r.client().db_index = 0;
  CHECK(r.Run({"TYPE", "l"}) == Simple("set"));
}

TEST_CASE("MOVE") {
  CommandRunner r;
  CHECK(r.Run({"SET", "k", "v", "EX", "100"}) == kOk);
  CHECK(r.Run({"MOVE", "k", "0"}) == Err("ERR source and destination objects are the same"));
  CHECK(r.Run({"MOVE", "k", "16"}) == Err("ERR DB index is out of range"));
  CHECK(r.Run({"MOVE", "k", "-1"}) == Err("ERR DB index is out of range"));
  CHECK(r.Run({"MOVE", "k", "x"}) == kNotInt);
  CHECK(r.Run({"MOVE", "k", "9999999999"}) ==
        Err("ERR value is out of range, value must between -2147483648 and 2147483647"));
  CHECK(r.Run({"MOVE", "nokey", "1"}) == Int(0));
  CHECK(r.Run({"MOVE", "k", "1"}) == Int(1));
  CHECK(r.Run({"EXISTS", "k"}) == Int(0));
  CHECK(r.Run({"SET", "k", "local"}) == kOk);
  CHECK(r.Run({"MOVE", "k", "1"}) == Int(0));  // already there
  CHECK(r.Run({"GET", "k"}) == Bulk("local"));
  r.client().db_index = 1;
  CHECK(r.Run({"GET", "k"}) == Bulk("v"));
  CHECK(r.Run({"TTL", "k"}) == Int(100));
  CHECK(r.Run({"DBSIZE"}) == Int(1));
}

TEST_CASE("RANDOMKEY and DBSIZE") {
  CommandRunner r;
  CHECK(r.Run({"RANDOMKEY"}) == kNil);
  CHECK(r.Run({"DBSIZE"}) == Int(0));
  CHECK(r.Run({"SET", "only", "v"}) == kOk);
  CHECK(r.Run({"RANDOMKEY"}) == Bulk("only"));
  std::set<std::string> all;
  for (int i = 0; i < 50; ++i) {
    std::string k = "r" + std::to_string(i);
    all.insert(k);
    r.Run({"SET", k, "v"});
  }
  all.insert("only");
  CHECK(r.Run({"DBSIZE"}) == Int(51));
  std::set<std::string> picked;
  for (int i = 0; i < 2000; ++i) {
    std::string reply = r.Run({"RANDOMKEY"});
    std::string key = reply.substr(reply.find("\r\n") + 2);
    key.resize(key.size() - 2);
    REQUIRE(all.count(key) == 1);
    picked.insert(key);
  }
  CHECK(picked.size() > 40);  // spread over the shards, not stuck on one
  // Expired keys are never returned (and are deleted on the way).
  for (int i = 0; i < 50; ++i) r.Run({"PEXPIRE", "r" + std::to_string(i), "1"});
  r.Advance(1);
  for (int i = 0; i < 20; ++i) CHECK(r.Run({"RANDOMKEY"}) == Bulk("only"));
  r.Run({"DEL", "only"});
  CHECK(r.Run({"RANDOMKEY"}) == kNil);
  CHECK(r.Run({"DBSIZE"}) == Int(0));
  CHECK(r.Run({"DBSIZE", "x"}) == Err("ERR wrong number of arguments for 'dbsize' command"));
}

TEST_CASE("OBJECT subcommands") {
  CommandRunner r;
  auto enc = [&](const std::string& v) {
    r.Run({"SET", "k", v});
    return r.Run({"OBJECT", "ENCODING", "k"});
  };
  CHECK(enc("123") == Bulk("int"));
  CHECK(enc("-123") == Bulk("int"));
  CHECK(enc("9223372036854775807") == Bulk("int"));
  CHECK(enc("12345678901234567890") == Bulk("embstr"));  // 20 chars, not an int64
  CHECK(enc("01") == Bulk("embstr"));
  CHECK(enc("+1") == Bulk("embstr"));
  CHECK(enc("hello") == Bulk("embstr"));
  CHECK(enc(std::string(44, 'x')) == Bulk("embstr"));
  CHECK(enc(std::string(45, 'x')) == Bulk("raw"));
  CHECK(r.Run({"OBJECT", "ENCODING", "nokey"}) == kNil);
  CHECK(r.Run({"object", "encoding", "k"}) == Bulk("raw"));

  auto refcount = [&](const std::string& v) {
    r.Run({"SET", "k", v});
    return r.Run({"OBJECT", "REFCOUNT", "k"});
  };
  CHECK(refcount("100") == Int(2147483647));  // Redis's shared integers 0..9999
  CHECK(refcount("0") == Int(2147483647));
  CHECK(refcount("9999") == Int(2147483647));
  CHECK(refcount("10000") == Int(1));
  CHECK(refcount("-1") == Int(1));
  CHECK(refcount("abc") == Int(1));
  CHECK(r.Run({"OBJECT", "REFCOUNT", "nokey"}) == kNil);

  CHECK(r.Run({"OBJECT", "IDLETIME", "k"}) == Int(0));
  CHECK(r.Run({"OBJECT", "IDLETIME", "nokey"}) == kNil);
  CHECK(r.Run({"OBJECT", "FREQ", "nokey"}) == kNil);
  CHECK(r.Run({"OBJECT", "FREQ", "k"}) ==
        Err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
            "note that when switching between policies at runtime LRU and LFU data will take "
            "some time to adjust."));

  std::string help = r.Run({"OBJECT", "HELP"});
  CHECK(help.rfind("*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n",
                   0) == 0);
  CHECK(help.find("+    Prints this help.\r\n") != std::string::npos);

  CHECK(r.Run({"OBJECT"}) == Err("ERR wrong number of arguments for 'object' command"));
  CHECK(r.Run({"OBJECT", "foo"}) == Err("ERR unknown subcommand 'foo'. Try OBJECT HELP."));
  CHECK(r.Run({"OBJECT", "ENCODING"}) ==
        Err("ERR wrong number of arguments for 'object|encoding' command"));
  CHECK(r.Run({"OBJECT", "ENCODING", "a", "b"}) ==
        Err("ERR wrong number of arguments for 'object|encoding' command"));
  CHECK(r.Run({"OBJECT", "HELP", "x"}) ==
        Err("ERR wrong number of arguments for 'object|help' command"));
}

TEST_CASE("key commands are registered with Redis's arity, flags and keys") {
  CommandRunner r;
  using namespace strata::cmd;
  struct Want {
    const char* name;
    int arity, first, last, step;
    uint32_t flags;
  };
  const Want wants[] = {
      {"del", -2, 1, -1, 1, kWrite},
      {"unlink", -2, 1, -1, 1, kWrite | kFast},
      {"exists", -2, 1, -1, 1, kReadOnly | kFast},
      {"expire", -3, 1, 1, 1, kWrite | kFast},
      {"ttl", 2, 1, 1, 1, kReadOnly | kFast | kRandom},
      {"keys", 2, 0, 0, 0, kReadOnly | kReachDb},
      {"scan", -2, 0, 0, 0, kReadOnly | kRandom | kReachDb},
      {"rename", 3, 1, 2, 1, kWrite},
      {"renamenx", 3, 1, 2, 1, kWrite | kFast},
      {"copy", -3, 1, 2, 1, kWrite | kDenyOom},
      {"move", 3, 1, 1, 1, kWrite | kFast},
      {"randomkey", 1, 0, 0, 0, kReadOnly | kRandom | kReachDb},
      {"dbsize", 1, 0, 0, 0, kReadOnly | kFast | kReachDb},
  };
  for (const Want& w : wants) {
    const CommandSpec* s = r.registry().Find(w.name);
    REQUIRE_MESSAGE(s != nullptr, w.name);
    CHECK_MESSAGE(s->arity == w.arity, w.name);
    CHECK_MESSAGE(s->first_key == w.first, w.name);
    CHECK_MESSAGE(s->last_key == w.last, w.name);
    CHECK_MESSAGE(s->key_step == w.step, w.name);
    CHECK_MESSAGE(s->flags == w.flags, w.name);
    CHECK_MESSAGE(!s->summary.empty(), w.name);
  }
  const CommandSpec* object = r.registry().Find("object");
  REQUIRE(object != nullptr);
  CHECK(object->arity == -2);
  CHECK(object->subcommands.size() == 5);
  const CommandSpec* enc = r.registry().FindSubcommand(*object, "ENCODING");
  REQUIRE(enc != nullptr);
  CHECK(enc->name == "object|encoding");
  CHECK(enc->arity == 3);
  CHECK(enc->first_key == 2);
}
