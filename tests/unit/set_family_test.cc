// storage::SetObject (both encodings, the conversions, random members, SSCAN's cursor) and the
// set commands through CommandRunner: exact RESP bytes as Redis 7.0.15 replies them, encodings
// as OBJECT ENCODING reports them, and the dirty counts the dispatcher relies on.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage/limits.h"
#include "storage/set_object.h"
#include "tests/unit/command_runner.h"

using namespace strata::testing;
using strata::storage::SetObject;

namespace {

const std::string kWrongType =
    Err("WRONGTYPE Operation against a key holding the wrong kind of value");
const std::string kSyntaxErr = Err("ERR syntax error");
const std::string kNotInt = Err("ERR value is not an integer or out of range");
const std::string kEmptySet2 = "*0\r\n";

std::vector<std::string> Members(const SetObject& s) {
  std::vector<std::string> out;
  s.ForEach([&](std::string_view m) { out.emplace_back(m); });
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The members of an array reply, sorted.
std::vector<std::string> SortedReply(const std::string& reply) {
  std::vector<std::string> v;
  REQUIRE(ParseBulkArray(reply, &v));
  return Sorted(v);
}

// Restores set-max-intset-entries when a test that changed it ends.
struct IntsetLimit {
  explicit IntsetLimit(int64_t v) { strata::storage::Limits().set_max_intset_entries = v; }
  ~IntsetLimit() { strata::storage::Limits().set_max_intset_entries = 512; }
};

std::vector<std::string> Range(int from, int to, const std::string& prefix = "") {
  std::vector<std::string> v;
  for (int i = from; i < to; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}

std::vector<std::string> Cmd(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

}  // namespace

// ---- SetObject ----

TEST_CASE("set object: intset keeps integers sorted and widens 16 -> 32 -> 64 bits") {
  SetObject s;
  CHECK(s.is_intset());
  CHECK(std::string(s.EncodingName()) == "intset");
  CHECK(s.empty());
  CHECK(s.Add("5"));
  CHECK(s.Add("-3"));
  CHECK_FALSE(s.Add("5"));
  CHECK(s.Add("70000"));          // 32-bit, appended
  CHECK(s.Add("-5000000000"));    // 64-bit, prepended
  CHECK(s.Add("0"));
  CHECK(s.Add("9223372036854775807"));
  CHECK(s.Add("-9223372036854775808"));
  CHECK(s.is_intset());
  CHECK(Members(s) == std::vector<std::string>{"-9223372036854775808", "-5000000000", "-3", "0",
                                              "5", "70000", "9223372036854775807"});
  CHECK(s.Contains("70000"));
  CHECK(s.Contains("-9223372036854775808"));
  CHECK_FALSE(s.Contains("1"));
  CHECK_FALSE(s.Contains("05"));  // not canonical: never an intset member
  CHECK_FALSE(s.Contains("+5"));
  CHECK_FALSE(s.Contains("abc"));
  CHECK_FALSE(s.Remove("05"));
  CHECK(s.Remove("70000"));
  CHECK_FALSE(s.Remove("70000"));
  CHECK(s.Remove("-9223372036854775808"));
  CHECK(s.size() == 5);
  CHECK(Members(s) == std::vector<std::string>{"-5000000000", "-3", "0", "5",
                                              "9223372036854775807"});
}

TEST_CASE("set object: a 16-bit intset never holds values of a wider width") {
  SetObject s;
  for (int i = -100; i <= 100; ++i) CHECK(s.Add(std::to_string(i * 300)));
  CHECK(s.size() == 201);
  CHECK_FALSE(s.Contains("70000"));   // wider than the array: found by width, not by search
  CHECK_FALSE(s.Remove("-70000"));
  CHECK(s.Contains("-30000"));
  CHECK(s.Contains("30000"));
  CHECK(s.AllocatedBytes() >= 8 + 201 * 2);
  CHECK(s.AllocatedBytes() < 8 + 201 * 4);  // still two bytes per member
}

TEST_CASE("set object: a non-integer member or passing set-max-intset-entries converts") {
  {
    SetObject s;
    s.Add("1");
    s.Add("2");
    CHECK(s.Add("x"));
    CHECK_FALSE(s.is_intset());
    CHECK(std::string(s.EncodingName()) == "hashtable");
    CHECK(Sorted(Members(s)) == std::vector<std::string>{"1", "2", "x"});
    CHECK(s.Remove("x"));
    CHECK_FALSE(s.is_intset());  // never converts back
    CHECK(s.Contains("1"));
    CHECK_FALSE(s.Contains("01"));
  }
  {
    IntsetLimit limit(4);
    SetObject s;
    for (int i = 0; i < 4; ++i) s.Add(std::to_string(i));
    CHECK(s.is_intset());
    CHECK_FALSE(s.Add("3"));  // no change, no conversion
    CHECK(s.is_intset());
    CHECK(s.Add("4"));
    CHECK_FALSE(s.is_intset());
    CHECK(s.size() == 5);
    CHECK(Sorted(Members(s)) == std::vector<std::string>{"0", "1", "2", "3", "4"});
  }
  {
    IntsetLimit limit(0);
    SetObject s;
    s.Add("7");
    CHECK_FALSE(s.is_intset());
  }
  {
    SetObject s;
    CHECK(s.Add(""));
    CHECK_FALSE(s.is_intset());
    CHECK(s.Contains(""));
  }
}

TEST_CASE("set object: clone keeps the members and the encoding; swap exchanges contents") {
  SetObject a;
  a.Add("1");
  a.Add("x");
  a.Remove("x");
  std::unique_ptr<SetObject> b(static_cast<SetObject*>(a.Clone()));
  CHECK_FALSE(b->is_intset());  // a hashtable of integers stays a hashtable (setTypeDup)
  CHECK(Members(*b) == std::vector<std::string>{"1"});
  b->Add("2");
  CHECK(a.size() == 1);

  SetObject c;
  c.Add("3");
  c.Add("1");
  std::unique_ptr<SetObject> d(static_cast<SetObject*>(c.Clone()));
  CHECK(d->is_intset());
  CHECK(Members(*d) == std::vector<std::string>{"1", "3"});

  c.Swap(a);
  CHECK(Members(a) == std::vector<std::string>{"1", "3"});
  CHECK(Members(c) == std::vector<std::string>{"1"});
  CHECK_FALSE(c.is_intset());
}

TEST_CASE("set object: random members reach every member of both encodings") {
  std::mt19937_64 rng(1);
  for (bool ints : {true, false}) {
    CAPTURE(ints);
    SetObject s;
    for (int i = 0; i < 50; ++i) s.Add(ints ? std::to_string(i) : "m" + std::to_string(i));
    CHECK(s.is_intset() == ints);
    std::map<std::string, int> hits;
    char buf[SetObject::kIntBufSize];
    for (int i = 0; i < 20000; ++i) ++hits[std::string(s.RandomMember(rng(), buf))];
    CHECK(hits.size() == 50);
    for (const auto& [m, n] : hits) {
      CHECK(s.Contains(m));
      CHECK(n > 100);  // 400 expected each
    }
  }
}

TEST_CASE("set object: matches std::set under random adds and removes") {
  std::mt19937_64 rng(7);
  for (int64_t limit : {512, 3, 64}) {
    IntsetLimit l(limit);
    SetObject s;
    std::set<std::string> model;
    for (int step = 0; step < 20000; ++step) {
      std::string v;
      switch (rng() % 4) {
        case 0: v = std::to_string(static_cast<int64_t>(rng() % 200) - 100); break;
        case 1: v = std::to_string(static_cast<int64_t>(rng())); break;
        case 2: v = std::to_string(static_cast<int32_t>(rng())); break;
        default: v = rng() % 50 == 0 ? "s" + std::to_string(rng() % 100) : std::to_string(rng() % 1000);
      }
      if (rng() % 3 == 0) {
        CHECK(s.Remove(v) == (model.erase(v) == 1));
      } else {
        CHECK(s.Add(v) == model.insert(v).second);
      }
      CHECK(s.size() == model.size());
      if (step % 500 == 0) {
        CHECK(Sorted(Members(s)) == std::vector<std::string>(model.begin(), model.end()));
        for (const std::string& m : model) CHECK(s.Contains(m));
      }
      if (model.empty() && rng() % 10 == 0) {
        s.Swap(*std::make_unique<SetObject>());  // start over as an intset
      }
    }
  }
}

TEST_CASE("set object: a hashtable scan visits every member exactly once without changes") {
  SetObject s;
  for (int i = 0; i < 1000; ++i) s.Add("m" + std::to_string(i));
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = s.ScanStep(cursor, [&](std::string_view m) { seen.emplace(m); });
  } while (cursor != 0);
  CHECK(seen.size() == 1000);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 1000);
}

// ---- commands ----

TEST_CASE("set SADD / SREM / SCARD / SISMEMBER / SMISMEMBER / SMEMBERS") {
  CommandRunner r;
  CHECK(r.Run({"SADD", "s", "3", "1", "2", "1"}) == Int(3));
  CHECK(r.Run({"SADD", "s", "2"}) == Int(0));
  CHECK(r.Run({"SMEMBERS", "s"}) == BulkArray({"1", "2", "3"}));  // intset: ascending
  CHECK(r.Run({"OBJECT", "ENCODING", "s"}) == Bulk("intset"));
  CHECK(r.Run({"SCARD", "s"}) == Int(3));
  CHECK(r.Run({"SCARD", "missing"}) == Int(0));
  CHECK(r.Run({"SISMEMBER", "s", "2"}) == Int(1));
  CHECK(r.Run({"SISMEMBER", "s", "02"}) == Int(0));
  CHECK(r.Run({"SISMEMBER", "missing", "2"}) == Int(0));
  CHECK(r.Run({"SMISMEMBER", "s", "1", "x", "3"}) == "*3\r\n:1\r\n:0\r\n:1\r\n");
  CHECK(r.Run({"SMISMEMBER", "missing", "1"}) == "*1\r\n:0\r\n");
  CHECK(r.Run({"SMEMBERS", "missing"}) == kEmptySet2);
  CHECK(r.Run({"SADD", "s", "x"}) == Int(1));
  CHECK(r.Run({"OBJECT", "ENCODING", "s"}) == Bulk("hashtable"));
  CHECK(SortedReply(r.Run({"SMEMBERS", "s"})) == std::vector<std::string>{"1", "2", "3", "x"});
  CHECK(r.Run({"SREM", "s", "1", "nope", "x"}) == Int(2));
  CHECK(r.Run({"SREM", "missing", "1"}) == Int(0));
  CHECK(r.Run({"SREM", "s", "2", "3", "4"}) == Int(2));
  CHECK(r.Run({"EXISTS", "s"}) == Int(0));  // an emptied set is deleted
  CHECK(r.Run({"TYPE", "s"}) == Simple("none"));
  CHECK(r.Run({"SADD", "t", "a"}) == Int(1));
  CHECK(r.Run({"TYPE", "t"}) == Simple("set"));
  CHECK(r.Run({"SADD", "t"}) == Err("ERR wrong number of arguments for 'sadd' command"));
  CHECK(r.Run({"SISMEMBER", "t", "a", "b"}) ==
        Err("ERR wrong number of arguments for 'sismember' command"));
}

TEST_CASE("set commands answer WRONGTYPE on other types") {
  CommandRunner r;
  r.Run({"SET", "str", "v"});
  r.Run({"SADD", "s", "a"});
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"SADD", "str", "a"},
           {"SREM", "str", "a"},
           {"SMEMBERS", "str"},
           {"SISMEMBER", "str", "a"},
           {"SMISMEMBER", "str", "a"},
           {"SCARD", "str"},
           {"SPOP", "str"},
           {"SPOP", "str", "2"},
           {"SRANDMEMBER", "str"},
           {"SRANDMEMBER", "str", "-2"},
           {"SSCAN", "str", "0"},
           {"SINTER", "missing", "str"},
           {"SINTERCARD", "2", "missing", "str"},
           {"SINTERSTORE", "d", "s", "str"},
           {"SUNION", "s", "str"},
           {"SDIFF", "missing", "str"},
           {"SDIFFSTORE", "d", "str"},
           {"SMOVE", "str", "s", "a"},
           {"SMOVE", "s", "str", "a"},
       }) {
    CAPTURE(args[0]);
    CHECK(r.Run(args) == kWrongType);
  }
  CHECK(r.Run({"SMOVE", "missing", "str", "a"}) == Int(0));  // a missing source answers first
  CHECK(r.Run({"GET", "str"}) == Bulk("v"));
  CHECK(r.Run({"SMEMBERS", "s"}) == BulkArray({"a"}));
}

TEST_CASE("set SMOVE") {
  CommandRunner r;
  r.Run({"SADD", "a", "1", "x"});
  r.Run({"SADD", "b", "2"});
  CHECK(r.RunDirty({"SMOVE", "a", "b", "1"}).dirty == 2);
  CHECK(r.Run({"SMEMBERS", "b"}) == BulkArray({"1", "2"}));
  CHECK(r.Run({"SMEMBERS", "a"}) == BulkArray({"x"}));
  CHECK(r.Run({"SMOVE", "a", "b", "nope"}) == Int(0));
  r.Run({"SADD", "b", "x"});
  auto d = r.RunDirty({"SMOVE", "a", "b", "x"});  // already in b: only a changes
  CHECK(d.reply == Int(1));
  CHECK(d.dirty == 1);
  CHECK(r.Run({"EXISTS", "a"}) == Int(0));
  CHECK(r.Run({"SMOVE", "b", "b", "x"}) == Int(1));
  CHECK(r.Run({"SMOVE", "b", "b", "zz"}) == Int(0));
  CHECK(r.Run({"SMOVE", "b", "fresh", "2"}) == Int(1));
  CHECK(r.Run({"OBJECT", "ENCODING", "fresh"}) == Bulk("intset"));
  CHECK(r.Run({"SMOVE", "b", "fresh2", "x"}) == Int(1));
  CHECK(r.Run({"OBJECT", "ENCODING", "fresh2"}) == Bulk("hashtable"));
  CHECK(r.Run({"SMOVE", "missing", "b", "x"}) == Int(0));
}

TEST_CASE("set SPOP") {
  CommandRunner r;
  CHECK(r.Run({"SPOP", "missing"}) == kNil);
  CHECK(r.Run({"SPOP", "missing", "3"}) == kEmptySet2);
  CHECK(r.Run({"SPOP", "s", "-1"}) == Err("ERR value is out of range, must be positive"));
  CHECK(r.Run({"SPOP", "s", "abc"}) == Err("ERR value is out of range, must be positive"));
  CHECK(r.Run({"SPOP", "s", "1", "2"}) == kSyntaxErr);
  r.Run(Cmd({"SADD", "s"}, Range(0, 100)));
  CHECK(r.RunDirty({"SPOP", "s", "0"}).dirty == 0);
  std::set<std::string> popped;
  // Few members (one at a time), most members (survivors rebuilt), then all of them.
  for (int n : {3, 80, 1}) {
    auto d = r.RunDirty({"SPOP", "s", std::to_string(n)});
    CHECK(d.dirty == static_cast<uint64_t>(n));
    std::vector<std::string> got;
    REQUIRE(ParseBulkArray(d.reply, &got));
    CHECK(got.size() == static_cast<size_t>(n));
    for (const std::string& m : got) CHECK(popped.insert(m).second);
  }
  CHECK(r.Run({"SCARD", "s"}) == Int(16));
  std::vector<std::string> rest;
  REQUIRE(ParseBulkArray(r.Run({"SMEMBERS", "s"}), &rest));
  for (const std::string& m : rest) CHECK(popped.insert(m).second);
  CHECK(popped.size() == 100);
  auto all = r.RunDirty({"SPOP", "s", "1000"});
  CHECK(all.dirty == 16);
  CHECK(SortedReply(all.reply) == Sorted(rest));
  CHECK(r.Run({"EXISTS", "s"}) == Int(0));

  r.Run({"SADD", "one", "v"});
  CHECK(r.RunDirty({"SPOP", "one"}).reply == Bulk("v"));
  CHECK(r.Run({"EXISTS", "one"}) == Int(0));

  // A hashtable whose survivors are all integers is rebuilt as an intset (Redis's case 3),
  // keeping its TTL.
  r.Run({"SADD", "m", "a", "b", "c", "d", "e", "f", "1"});
  r.Run({"EXPIRE", "m", "100"});
  for (int i = 0; i < 50; ++i) {
    r.Run({"SADD", "m", "a", "b", "c", "d", "e", "f", "1"});
    std::string reply = r.Run({"SPOP", "m", "6"});
    if (r.Run({"SMEMBERS", "m"}) == BulkArray({"1"})) {
      CHECK(r.Run({"OBJECT", "ENCODING", "m"}) == Bulk("intset"));
      break;
    }
  }
  CHECK(r.Run({"TTL", "m"}) == Int(100));
}

TEST_CASE("set SPOP and SMEMBERS reply sets in RESP3") {
  CommandRunner r;
  r.client().resp = 3;
  r.Run({"SADD", "s", "1", "2"});
  CHECK(r.Run({"SMEMBERS", "s"}) == "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  CHECK(r.Run({"SPOP", "missing"}) == "_\r\n");
  CHECK(r.Run({"SPOP", "missing", "1"}) == "~0\r\n");
  CHECK(r.Run({"SRANDMEMBER", "s", "5"}) == "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");  // an array
  CHECK(r.Run({"SRANDMEMBER", "missing", "5"}) == "*0\r\n");
  CHECK(r.Run({"SINTER", "s", "missing"}) == "~0\r\n");
  CHECK(r.Run({"SUNION", "s"}) == "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  CHECK(r.Run({"SPOP", "s", "2"}) == "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
}

TEST_CASE("set SRANDMEMBER") {
  CommandRunner r;
  CHECK(r.Run({"SRANDMEMBER", "missing"}) == kNil);
  CHECK(r.Run({"SRANDMEMBER", "missing", "-3"}) == "*0\r\n");
  CHECK(r.Run({"SRANDMEMBER", "s", "x"}) == kNotInt);
  CHECK(r.Run({"SRANDMEMBER", "s", "-9223372036854775808"}) ==
        Err("ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807"));
  CHECK(r.Run({"SRANDMEMBER", "s", "1", "2"}) == kSyntaxErr);
  for (bool ints : {true, false}) {
    CAPTURE(ints);
    r.Run({"DEL", "s"});
    std::vector<std::string> all = Range(0, 60, ints ? "" : "m");
    r.Run(Cmd({"SADD", "s"}, all));
    std::set<std::string> universe(all.begin(), all.end());
    CHECK(r.Run({"SRANDMEMBER", "s", "0"}) == "*0\r\n");
    for (int n : {1, 5, 30, 59, 60, 61, 1000}) {
      std::vector<std::string> got;
      REQUIRE(ParseBulkArray(r.Run({"SRANDMEMBER", "s", std::to_string(n)}), &got));
      CHECK(got.size() == std::min<size_t>(n, 60));
      CHECK(std::set<std::string>(got.begin(), got.end()).size() == got.size());
      for (const std::string& m : got) CHECK(universe.count(m) == 1);
    }
    std::vector<std::string> got;
    REQUIRE(ParseBulkArray(r.Run({"SRANDMEMBER", "s", "-500"}), &got));
    CHECK(got.size() == 500);
    CHECK(std::set<std::string>(got.begin(), got.end()).size() < 500);  // repeats allowed
    for (const std::string& m : got) CHECK(universe.count(m) == 1);
    CHECK(r.Run({"SCARD", "s"}) == Int(60));  // nothing removed
  }
  // An intset answers "whole set" requests in ascending order, like Redis.
  r.Run({"SADD", "i", "3", "1", "2"});
  CHECK(r.Run({"SRANDMEMBER", "i", "3"}) == BulkArray({"1", "2", "3"}));
}

TEST_CASE("set SRANDMEMBER with a huge negative count stops at the reply cap") {
  CommandRunner r;
  r.Run({"SADD", "s", "a"});
  // Inspected in place: a copy of the 512 MiB reply would double the test's footprint.
  std::vector<std::string> args = {"SRANDMEMBER", "s", "-9223372036854775807"};
  std::vector<std::string_view> argv(args.begin(), args.end());
  strata::Buffer buf;
  strata::protocol::ReplyWriter writer(&buf);
  strata::cmd::CommandContext ctx;
  ctx.argv = argv.data();
  ctx.argc = argv.size();
  ctx.out = &writer;
  ctx.client = &r.client();
  ctx.keyspace = &r.keyspace();
  ctx.registry = &r.registry();
  r.Dispatch(ctx);
  std::string_view reply = buf.Readable();
  CHECK(reply.size() > 512u * 1024 * 1024);
  CHECK(reply.size() < 513u * 1024 * 1024);
  CHECK(reply.substr(0, 22) == "*9223372036854775807\r\n");
  CHECK(r.client().close_after_reply);
}

TEST_CASE("set SINTER / SINTERSTORE / SINTERCARD") {
  CommandRunner r;
  r.Run({"SADD", "a", "1", "2", "3", "4"});
  r.Run({"SADD", "b", "4", "3", "9"});
  r.Run({"SADD", "c", "3", "4", "x"});
  CHECK(r.Run({"SINTER", "a", "b"}) == BulkArray({"3", "4"}));
  CHECK(r.Run({"SINTER", "a"}) == BulkArray({"1", "2", "3", "4"}));
  CHECK(r.Run({"SINTER", "a", "a"}) == BulkArray({"1", "2", "3", "4"}));
  CHECK(r.Run({"SINTER", "a", "missing"}) == kEmptySet2);
  CHECK(SortedReply(r.Run({"SINTER", "c", "a", "b"})) == std::vector<std::string>{"3", "4"});

  CHECK(r.RunDirty({"SINTERSTORE", "d", "a", "c"}).reply == Int(2));
  CHECK(r.Run({"OBJECT", "ENCODING", "d"}) == Bulk("intset"));  // the result is built afresh
  CHECK(r.Run({"SMEMBERS", "d"}) == BulkArray({"3", "4"}));
  auto del = r.RunDirty({"SINTERSTORE", "d", "a", "missing"});
  CHECK(del.reply == Int(0));
  CHECK(del.dirty == 1);
  CHECK(r.Run({"EXISTS", "d"}) == Int(0));
  CHECK(r.RunDirty({"SINTERSTORE", "d", "a", "missing"}).dirty == 0);
  r.Run({"SET", "str", "v"});
  r.Run({"EXPIRE", "str", "100"});
  CHECK(r.Run({"SINTERSTORE", "str", "a", "b"}) == Int(2));  // any type is overwritten
  CHECK(r.Run({"TYPE", "str"}) == Simple("set"));
  CHECK(r.Run({"TTL", "str"}) == Int(-1));
  CHECK(r.Run({"SINTERSTORE", "a", "a", "b"}) == Int(2));  // destination among the sources
  CHECK(r.Run({"SMEMBERS", "a"}) == BulkArray({"3", "4"}));

  r.Run({"SADD", "p", "1", "2", "3", "4", "5"});
  r.Run({"SADD", "q", "2", "3", "4", "5", "6"});
  CHECK(r.Run({"SINTERCARD", "2", "p", "q"}) == Int(4));
  CHECK(r.Run({"SINTERCARD", "2", "p", "q", "LIMIT", "2"}) == Int(2));
  CHECK(r.Run({"SINTERCARD", "2", "p", "q", "LIMIT", "0"}) == Int(4));
  CHECK(r.Run({"SINTERCARD", "2", "p", "missing"}) == Int(0));
  CHECK(r.Run({"SINTERCARD", "0", "p"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(r.Run({"SINTERCARD", "x", "p"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(r.Run({"SINTERCARD", "3", "p", "q"}) ==
        Err("ERR Number of keys can't be greater than number of args"));
  CHECK(r.Run({"SINTERCARD", "1", "p", "LIMIT", "-1"}) == Err("ERR LIMIT can't be negative"));
  CHECK(r.Run({"SINTERCARD", "1", "p", "LIMIT"}) == kSyntaxErr);
  CHECK(r.Run({"SINTERCARD", "1", "p", "q"}) == kSyntaxErr);
}

TEST_CASE("set SUNION / SDIFF and their STORE forms") {
  CommandRunner r;
  r.Run({"SADD", "a", "1", "2", "3"});
  r.Run({"SADD", "b", "3", "4"});
  r.Run({"SADD", "c", "x", "4"});
  CHECK(r.Run({"SUNION", "a", "b", "missing"}) == BulkArray({"1", "2", "3", "4"}));
  CHECK(r.Run({"SUNION", "missing"}) == kEmptySet2);
  CHECK(r.Run({"SDIFF", "a", "b"}) == BulkArray({"1", "2"}));
  CHECK(r.Run({"SDIFF", "a", "missing", "b"}) == BulkArray({"1", "2"}));
  CHECK(r.Run({"SDIFF", "missing", "a"}) == kEmptySet2);
  CHECK(r.Run({"SDIFF", "a", "a"}) == kEmptySet2);
  CHECK(r.Run({"SDIFF", "c", "b"}) == BulkArray({"x"}));
  CHECK(r.Run({"SUNIONSTORE", "u", "a", "c"}) == Int(5));
  CHECK(r.Run({"OBJECT", "ENCODING", "u"}) == Bulk("hashtable"));
  CHECK(r.Run({"SDIFFSTORE", "d", "u", "c"}) == Int(3));
  CHECK(r.Run({"OBJECT", "ENCODING", "d"}) == Bulk("intset"));
  CHECK(r.Run({"SMEMBERS", "d"}) == BulkArray({"1", "2", "3"}));
  CHECK(r.RunDirty({"SDIFFSTORE", "d", "a", "a"}).dirty == 1);
  CHECK(r.Run({"EXISTS", "d"}) == Int(0));
  CHECK(r.Run({"SUNIONSTORE", "b", "b", "a"}) == Int(4));
  CHECK(r.Run({"SMEMBERS", "b"}) == BulkArray({"1", "2", "3", "4"}));

  // Redis's two difference algorithms and what they leave: copying a 700-int set first (many
  // small sets to subtract) leaves a hashtable even when only 500 members remain; testing
  // members one by one (few, big sets to subtract) builds an intset.
  r.Run(Cmd({"SADD", "big"}, Range(0, 700)));
  r.Run(Cmd({"SADD", "most"}, Range(0, 650)));
  r.Run(Cmd({"SADD", "few"}, Range(0, 10)));
  for (int q = 0; q < 4; ++q) r.Run(Cmd({"SADD", "q" + std::to_string(q)}, Range(q * 50, q * 50 + 50)));
  CHECK(r.Run({"SDIFFSTORE", "r1", "big", "most"}) == Int(50));
  CHECK(r.Run({"OBJECT", "ENCODING", "r1"}) == Bulk("intset"));
  CHECK(r.Run({"SDIFFSTORE", "r2", "big", "q0", "q1", "q2", "q3"}) == Int(500));
  CHECK(r.Run({"OBJECT", "ENCODING", "r2"}) == Bulk("hashtable"));
  CHECK(r.Run({"SDIFFSTORE", "r3", "few", "big"}) == Int(0));
}

TEST_CASE("set SSCAN") {
  CommandRunner r;
  r.Run({"SADD", "i", "10", "2", "-3"});
  CHECK(r.Run({"SSCAN", "i", "0"}) == "*2\r\n$1\r\n0\r\n" + BulkArray({"-3", "2", "10"}));
  CHECK(r.Run({"SSCAN", "i", "77", "COUNT", "1"}) ==
        "*2\r\n$1\r\n0\r\n" + BulkArray({"-3", "2", "10"}));
  CHECK(r.Run({"SSCAN", "i", "0", "MATCH", "*0"}) == "*2\r\n$1\r\n0\r\n" + BulkArray({"10"}));
  CHECK(r.Run({"SSCAN", "missing", "0"}) == "*2\r\n$1\r\n0\r\n*0\r\n");
  CHECK(r.Run({"SSCAN", "missing", "0", "COUNT", "0"}) == "*2\r\n$1\r\n0\r\n*0\r\n");
  CHECK(r.Run({"SSCAN", "i", "x"}) == Err("ERR invalid cursor"));
  CHECK(r.Run({"SSCAN", "missing", "x"}) == Err("ERR invalid cursor"));
  CHECK(r.Run({"SSCAN", "i", "0", "COUNT", "0"}) == kSyntaxErr);
  CHECK(r.Run({"SSCAN", "i", "0", "COUNT", "y"}) == kNotInt);
  CHECK(r.Run({"SSCAN", "i", "0", "TYPE", "set"}) == kSyntaxErr);
  CHECK(r.Run({"SSCAN", "i", "0", "MATCH"}) == kSyntaxErr);

  r.Run(Cmd({"SADD", "h"}, Range(0, 500, "m")));
  for (int count : {1, 10, 97, 10000}) {
    CAPTURE(count);
    std::multiset<std::string> seen;
    std::string cursor = "0";
    int calls = 0;
    do {
      std::string reply = r.Run({"SSCAN", "h", cursor, "COUNT", std::to_string(count)});
      // *2 $<n> cursor *<k> members...
      size_t len_end = reply.find("\r\n", 4);
      size_t clen = std::stoul(reply.substr(5, len_end - 5));
      cursor = reply.substr(len_end + 2, clen);
      std::vector<std::string> batch;
      REQUIRE(ParseBulkArray(std::string_view(reply).substr(len_end + 4 + clen), &batch));
      seen.insert(batch.begin(), batch.end());
      ++calls;
    } while (cursor != "0" && calls < 10000);
    CHECK(seen.size() == 500);
    CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 500);
    if (count == 10000) CHECK(calls == 1);
  }
}

TEST_CASE("set writes report their changes in ctx.dirty") {
  CommandRunner r;
  CHECK(r.RunDirty({"SADD", "s", "a", "b", "a"}).dirty == 2);
  CHECK(r.RunDirty({"SADD", "s", "a"}).dirty == 0);
  CHECK(r.RunDirty({"SREM", "s", "zz"}).dirty == 0);
  CHECK(r.RunDirty({"SREM", "s", "a", "zz"}).dirty == 1);
  CHECK(r.RunDirty({"SMOVE", "s", "t", "zz"}).dirty == 0);
  CHECK(r.RunDirty({"SPOP", "missing"}).dirty == 0);
  CHECK(r.RunDirty({"SPOP", "s"}).dirty == 1);
  CHECK(r.RunDirty({"SUNIONSTORE", "u", "missing"}).dirty == 0);
  r.Run({"SADD", "s", "1"});
  CHECK(r.RunDirty({"SUNIONSTORE", "u", "s"}).dirty == 1);
  CHECK(r.RunDirty({"SINTER", "s", "u"}).dirty == 0);
}

TEST_CASE("set commands are registered with Redis 7.0's arity, flags and key positions") {
  CommandRunner r;
  struct Want {
    const char* name;
    int arity, first, last, step;
    uint32_t flags;
  };
  using namespace strata::cmd;
  const Want wants[] = {
      {"sadd", -3, 1, 1, 1, kWrite | kDenyOom | kFast},
      {"srem", -3, 1, 1, 1, kWrite | kFast},
      {"smembers", 2, 1, 1, 1, kReadOnly},
      {"sismember", 3, 1, 1, 1, kReadOnly | kFast},
      {"smismember", -3, 1, 1, 1, kReadOnly | kFast},
      {"scard", 2, 1, 1, 1, kReadOnly | kFast},
      {"spop", -2, 1, 1, 1, kWrite | kFast | kRandom},
      {"srandmember", -2, 1, 1, 1, kReadOnly | kRandom},
      {"smove", 4, 1, 2, 1, kWrite | kFast},
      {"sinter", -2, 1, -1, 1, kReadOnly},
      {"sintercard", -3, 0, 0, 0, kReadOnly | kMovableKeys},
      {"sinterstore", -3, 1, -1, 1, kWrite | kDenyOom},
      {"sunion", -2, 1, -1, 1, kReadOnly},
      {"sunionstore", -3, 1, -1, 1, kWrite | kDenyOom},
      {"sdiff", -2, 1, -1, 1, kReadOnly},
      {"sdiffstore", -3, 1, -1, 1, kWrite | kDenyOom},
      {"sscan", -3, 1, 1, 1, kReadOnly | kRandom},
  };
  for (const Want& w : wants) {
    CAPTURE(w.name);
    const CommandSpec* s = r.registry().Find(w.name);
    REQUIRE(s != nullptr);
    CHECK(s->arity == w.arity);
    CHECK(s->first_key == w.first);
    CHECK(s->last_key == w.last);
    CHECK(s->key_step == w.step);
    CHECK(s->flags == w.flags);
    CHECK(s->group == "set");
  }
}
