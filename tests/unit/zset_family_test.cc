// storage::ZSetObject (both encodings, the listpack score codec, conversions, the skiplist's
// spans and hash index under random edits, ZSCAN's cursor across incremental resizes) and the
// sorted-set commands through CommandRunner: exact RESP bytes as Redis 7.0.15 replies them,
// RESP3 doubles, encodings as OBJECT ENCODING reports them, the dirty counts the dispatcher
// relies on, and zset_ops::Pop (the blocking commands' building block).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "commands/zset_ops.h"
#include "storage/limits.h"
#include "storage/zset_object.h"
#include "tests/unit/command_runner.h"

using namespace strata::testing;
using strata::storage::ZLexBound;
using strata::storage::ZLexRange;
using strata::storage::ZScoreRange;
using strata::storage::ZSetObject;

namespace {

const std::string kWrongType =
    Err("WRONGTYPE Operation against a key holding the wrong kind of value");
const std::string kSyntaxErr = Err("ERR syntax error");
const std::string kNotInt = Err("ERR value is not an integer or out of range");
const std::string kNotFloat = Err("ERR value is not a valid float");

// Sets the zset listpack limits for one test and restores Redis's defaults after it.
struct ZSetLimits {
  ZSetLimits(int64_t entries, int64_t value) {
    strata::storage::Limits().zset_max_listpack_entries = entries;
    strata::storage::Limits().zset_max_listpack_value = value;
  }
  ~ZSetLimits() {
    strata::storage::Limits().zset_max_listpack_entries = 128;
    strata::storage::Limits().zset_max_listpack_value = 64;
  }
};

// The reference model: (score, member) in order, plus member -> score.
struct Model {
  std::set<std::pair<double, std::string>> order;
  std::map<std::string, double> scores;

  void Put(const std::string& m, double s) {
    auto it = scores.find(m);
    if (it != scores.end()) order.erase({it->second, m});
    scores[m] = s;
    order.insert({s, m});
  }
  void Erase(const std::string& m) {
    auto it = scores.find(m);
    if (it == scores.end()) return;
    order.erase({it->second, m});
    scores.erase(it);
  }
  std::vector<std::pair<double, std::string>> Vec() const { return {order.begin(), order.end()}; }
};

std::vector<std::pair<double, std::string>> Contents(const ZSetObject& z) {
  std::vector<std::pair<double, std::string>> out;
  for (ZSetObject::Iter it = z.Begin(); it.valid(); it.Next())
    out.emplace_back(it.score(), std::string(it.member()));
  return out;
}

// Adds (score, member) without flags; returns the kOut* bits.
unsigned Add(ZSetObject& z, double score, const std::string& m) {
  unsigned out;
  double ns;
  REQUIRE(z.Add(score, m, 0, &out, &ns));
  return out;
}

ZSetObject* FindZ(CommandRunner& r, const std::string& key) {
  strata::storage::KeyRef k = r.keyspace().db(0).Ref(key);
  strata::storage::ShardLock lock(k);
  strata::storage::Entry* e = k.shard->Find(k.key, k.hash, r.now_ms);
  if (e == nullptr || e->type() != strata::storage::ObjType::kZSet) return nullptr;
  return static_cast<ZSetObject*>(e->obj());
}

}  // namespace

// ---- ZSetObject ----

TEST_CASE("zset object: listpack scores round-trip in every width of the codec") {
  ZSetLimits limits(1000, 64);
  const double values[] = {0, 1, 118, 119, 255, 256, 32767, 32768, -1, -128, -129, 65535,
                           -32768, -32769, 8388607, -8388608, 2147483648.0, -2147483649.0,
                           36028797018963967.0, -36028797018963968.0, 36028797018963968.0,
                           -36028797018963969.0, 1.5, -0.25, 1e-310, 1e308, -1e308,
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(), 0.1, 9007199254740993.0};
  ZSetObject z;
  int i = 0;
  for (double v : values) Add(z, v, "m" + std::to_string(i++));
  CHECK(z.is_listpack());
  CHECK(std::string(z.EncodingName()) == "listpack");
  CHECK(z.Verify());
  i = 0;
  for (double v : values) {
    double got;
    REQUIRE(z.Score("m" + std::to_string(i++), &got));
    CHECK(got == v);
  }
}

TEST_CASE("zset object: -0 reads back as 0 from a listpack and as -0 from a skiplist") {
  ZSetObject lp;
  Add(lp, -0.0, "a");
  double s;
  REQUIRE(lp.Score("a", &s));
  CHECK(s == 0);
  CHECK(!std::signbit(s));
  ZSetLimits limits(0, 64);
  ZSetObject sl;
  Add(sl, -0.0, "a");
  CHECK(!sl.is_listpack());
  REQUIRE(sl.Score("a", &s));
  CHECK(std::signbit(s));
}

TEST_CASE("zset object: converts to a skiplist past either limit, never back") {
  ZSetLimits limits(4, 8);
  ZSetObject z;
  for (int i = 0; i < 4; ++i) Add(z, i, "m" + std::to_string(i));
  CHECK(z.is_listpack());
  Add(z, 1, "m0");  // an update, not a new member
  CHECK(z.is_listpack());
  Add(z, 9, "m9");
  CHECK(!z.is_listpack());
  CHECK(std::string(z.EncodingName()) == "skiplist");
  CHECK(z.Verify());
  for (int i = 0; i < 5; ++i) z.DeleteRankRange(0, 0);
  CHECK(z.size() == 0);
  CHECK(!z.is_listpack());

  ZSetObject w;
  Add(w, 1, "12345678");
  CHECK(w.is_listpack());
  Add(w, 1, "123456789");
  CHECK(!w.is_listpack());
  CHECK(Contents(w) == std::vector<std::pair<double, std::string>>{{1, "12345678"},
                                                                    {1, "123456789"}});
}

TEST_CASE("zset object: ZADD flags and the NaN refusal") {
  for (int entries : {128, 0}) {
    CAPTURE(entries);
    ZSetLimits limits(entries, 64);
    ZSetObject z;
    unsigned out;
    double ns = -1;
    CHECK(z.Add(1, "a", 0, &out, &ns));
    CHECK(out == ZSetObject::kOutAdded);
    CHECK(z.Add(5, "a", ZSetObject::kAddNX, &out, &ns));
    CHECK(out == ZSetObject::kOutNop);
    CHECK(z.Add(5, "b", ZSetObject::kAddXX, &out, &ns));
    CHECK(out == ZSetObject::kOutNop);
    CHECK(z.Add(0, "a", ZSetObject::kAddGT, &out, &ns));
    CHECK(out == ZSetObject::kOutNop);
    CHECK(z.Add(3, "a", ZSetObject::kAddGT, &out, &ns));
    CHECK(out == ZSetObject::kOutUpdated);
    CHECK(ns == 3);
    CHECK(z.Add(2, "a", ZSetObject::kAddIncr, &out, &ns));
    CHECK(ns == 5);
    CHECK(z.Add(0, "a", ZSetObject::kAddIncr, &out, &ns));  // same score: neither nop nor update
    CHECK(out == 0);
    CHECK(ns == 5);
    CHECK(z.Add(std::numeric_limits<double>::infinity(), "a", 0, &out, &ns));
    CHECK(!z.Add(-std::numeric_limits<double>::infinity(), "a", ZSetObject::kAddIncr, &out, &ns));
    CHECK(!z.Add(std::nan(""), "c", 0, &out, &ns));
    CHECK(z.size() == 1);
    CHECK(z.Verify());
  }
}

TEST_CASE("zset object: matches a model under random edits in both encodings") {
  for (int entries : {128, 8, 0}) {
    CAPTURE(entries);
    ZSetLimits limits(entries, 64);
    std::mt19937_64 rng(entries + 1);
    ZSetObject z;
    Model m;
    auto member = [&] { return "m" + std::to_string(rng() % 300); };
    auto score = [&] { return static_cast<double>(static_cast<int64_t>(rng() % 41) - 20) / 4; };
    for (int step = 0; step < 6000; ++step) {
      int op = static_cast<int>(rng() % 10);
      if (op < 5) {
        std::string mm = member();
        double s = score();
        Add(z, s, mm);
        m.Put(mm, s);
      } else if (op == 5) {
        std::string mm = member();
        CHECK(z.Remove(mm) == (m.scores.count(mm) == 1));
        m.Erase(mm);
      } else if (op == 6 && z.size() > 0) {
        size_t a = rng() % z.size(), b = a + rng() % 5;
        auto v = m.Vec();
        for (size_t i = a; i <= b && i < v.size(); ++i) m.Erase(v[i].second);
        z.DeleteRankRange(a, b);
      } else if (op == 7) {
        std::string mm = member();
        size_t rank;
        bool found = z.Rank(mm, false, &rank);
        REQUIRE(found == (m.scores.count(mm) == 1));
        if (found) {
          auto v = m.Vec();
          CHECK(v[rank].second == mm);
          size_t rev;
          REQUIRE(z.Rank(mm, true, &rev));
          CHECK(rev == v.size() - 1 - rank);
        }
      } else if (op == 8 && z.size() > 0) {
        size_t r = rng() % z.size();
        ZSetObject::Iter it = z.AtRank(r);
        REQUIRE(it.valid());
        auto v = m.Vec();
        CHECK(it.member() == v[r].second);
        CHECK(it.score() == v[r].first);
      } else {
        ZScoreRange range;
        range.min = score();
        range.max = score();
        range.minex = rng() % 2;
        range.maxex = rng() % 2;
        size_t first = 0, last = 0;
        bool f = z.FirstInRange(range, &first).valid();
        bool l = z.LastInRange(range, &last).valid();
        auto v = m.Vec();
        size_t lo = SIZE_MAX, hi = SIZE_MAX;
        for (size_t i = 0; i < v.size(); ++i) {
          if (range.GteMin(v[i].first) && range.LteMax(v[i].first)) {
            if (lo == SIZE_MAX) lo = i;
            hi = i;
          }
        }
        CHECK(f == (lo != SIZE_MAX));
        CHECK(l == (lo != SIZE_MAX));
        if (f) CHECK(first == lo);
        if (l) CHECK(last == hi);
      }
      if (step % 97 == 0) {
        REQUIRE(z.Verify());
        REQUIRE(Contents(z) == m.Vec());
      }
    }
    CHECK(z.Verify());
    CHECK(Contents(z) == m.Vec());
    std::unique_ptr<ZSetObject> copy(static_cast<ZSetObject*>(z.Clone()));
    CHECK(copy->is_listpack() == z.is_listpack());
    CHECK(copy->Verify());
    CHECK(Contents(*copy) == m.Vec());
    Add(*copy, 1000, "only-in-copy");
    CHECK(Contents(z) == m.Vec());
  }
}

TEST_CASE("zset object: lex ranges") {
  for (int entries : {128, 0}) {
    CAPTURE(entries);
    ZSetLimits limits(entries, 64);
    ZSetObject z;
    for (const char* m : {"a", "b", "c", "d", "e"}) Add(z, 0, m);
    auto range = [](ZLexBound::Kind k1, const char* v1, bool ex1, ZLexBound::Kind k2,
                    const char* v2, bool ex2) {
      ZLexRange r;
      r.min = {k1, ex1, v1};
      r.max = {k2, ex2, v2};
      return r;
    };
    using K = ZLexBound;
    size_t first = 99, last = 99;
    ZLexRange r = range(K::kValue, "b", false, K::kValue, "d", true);
    CHECK(z.FirstInLex(r, &first).member() == "b");
    CHECK(z.LastInLex(r, &last).member() == "c");
    CHECK(first == 1);
    CHECK(last == 2);
    r = range(K::kMinusInf, "", true, K::kPlusInf, "", true);
    CHECK(z.FirstInLex(r, &first).member() == "a");
    CHECK(z.LastInLex(r, &last).member() == "e");
    CHECK(!z.FirstInLex(range(K::kPlusInf, "", true, K::kPlusInf, "", true), &first).valid());
    CHECK(!z.FirstInLex(range(K::kMinusInf, "", true, K::kMinusInf, "", true), &first).valid());
    CHECK(!z.FirstInLex(range(K::kValue, "d", false, K::kValue, "b", false), &first).valid());
    CHECK(!z.FirstInLex(range(K::kValue, "c", true, K::kValue, "c", false), &first).valid());
    CHECK(z.FirstInLex(range(K::kValue, "c", false, K::kValue, "c", false), &first).member() == "c");
    CHECK(!z.FirstInLex(range(K::kValue, "f", false, K::kPlusInf, "", true), &first).valid());
  }
}

TEST_CASE("zset object: a skiplist scan returns every member across incremental resizes") {
  ZSetLimits limits(0, 64);
  for (int count : {1, 3, 20}) {
    CAPTURE(count);
    ZSetObject z;
    for (int i = 0; i < 100; ++i) Add(z, i, "keep" + std::to_string(i));
    std::set<std::string> seen;
    uint64_t cursor = 0;
    int steps = 0, next_extra = 0;
    bool growing = true;
    do {
      for (int c = 0; c < count && (c == 0 || cursor != 0); ++c)
        cursor = z.ScanStep(cursor, [&](std::string_view m, double) { seen.emplace(m); });
      // Grow to thousands and shrink back to ~100 members, over and over, so the scan runs
      // during growing and shrinking rehashes; the "keep" members stay throughout.
      for (int i = 0; i < 150; ++i) {
        if (growing) {
          Add(z, 1000 + next_extra, "extra" + std::to_string(next_extra));
          ++next_extra;
        } else if (z.size() > 100) {
          ZSetObject::Iter it = z.AtRank(z.size() - 1);
          z.Remove(std::string(it.member()));
        }
      }
      if (growing && z.size() > 3000) growing = false;
      if (!growing && z.size() <= 100) growing = true;
      REQUIRE(++steps < 200000);
    } while (cursor != 0);
    for (int i = 0; i < 100; ++i) CHECK(seen.count("keep" + std::to_string(i)) == 1);
    CHECK(z.Verify());
  }
}

TEST_CASE("zset object: FromSorted picks the encoding the result fits in") {
  ZSetLimits limits(3, 8);
  std::vector<std::pair<std::string, double>> items = {{"a", 1}, {"b", 2}, {"c", 2.5}};
  std::unique_ptr<ZSetObject> small(ZSetObject::FromSorted(items));
  CHECK(small->is_listpack());
  CHECK(small->Verify());
  items.emplace_back("d", 9);
  std::unique_ptr<ZSetObject> big(ZSetObject::FromSorted(items));
  CHECK(!big->is_listpack());
  CHECK(big->Verify());
  CHECK(Contents(*big) == std::vector<std::pair<double, std::string>>{
                              {1, "a"}, {2, "b"}, {2.5, "c"}, {9, "d"}});
  std::unique_ptr<ZSetObject> long_member(ZSetObject::FromSorted({{"123456789", 1}}));
  CHECK(!long_member->is_listpack());
}

TEST_CASE("zset object: skiplist memory per member stays near one 64-byte node") {
  ZSetLimits limits(0, 64);
  ZSetObject z;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    char m[21];
    std::snprintf(m, sizeof(m), "element:%012d", i);  // redis-benchmark's 20-byte members
    Add(z, i * 0.5, m);
  }
  double per_member = static_cast<double>(z.ApproxBytes()) / n;
  CAPTURE(per_member);
  CHECK(per_member < 90);  // Redis 7.0: about 125 bytes for the same members
}

// ---- commands ----

TEST_CASE("zset ZADD / ZSCORE / ZCARD / ZREM basics") {
  CommandRunner r;
  CHECK(r.Run({"ZADD", "z", "1", "a", "2", "b"}) == Int(2));
  CHECK(r.Run({"ZADD", "z", "1", "a"}) == Int(0));
  CHECK(r.Run({"ZADD", "z", "CH", "5", "a", "2", "b", "3", "c"}) == Int(2));
  CHECK(r.Run({"ZSCORE", "z", "a"}) == Bulk("5"));
  CHECK(r.Run({"ZSCORE", "z", "nope"}) == kNil);
  CHECK(r.Run({"ZCARD", "z"}) == Int(3));
  CHECK(r.Run({"ZINCRBY", "z", "0.5", "a"}) == Bulk("5.5"));
  CHECK(r.Run({"ZADD", "z", "XX", "INCR", "1", "zz"}) == kNil);
  CHECK(r.Run({"ZADD", "z", "INCR", "1", "a", "2", "b"}) ==
        Err("ERR INCR option supports a single increment-element pair"));
  CHECK(r.Run({"ZADD", "z", "NX", "XX", "1", "a"}) ==
        Err("ERR XX and NX options at the same time are not compatible"));
  CHECK(r.Run({"ZADD", "z", "GT", "LT", "1", "a"}) ==
        Err("ERR GT, LT, and/or NX options at the same time are not compatible"));
  CHECK(r.Run({"ZADD", "z", "1", "a", "x", "b"}) == kNotFloat);
  CHECK(r.Run({"ZADD", "z", "1", "a", "2"}) == kSyntaxErr);
  CHECK(r.Run({"ZADD", "z", "inf", "a"}) == Int(0));
  CHECK(r.Run({"ZINCRBY", "z", "-inf", "a"}) == Err("ERR resulting score is not a number (NaN)"));
  CHECK(r.Run({"ZREM", "z", "a", "b", "x"}) == Int(2));
  CHECK(r.Run({"ZREM", "z", "c"}) == Int(1));
  CHECK(r.Run({"EXISTS", "z"}) == Int(0));
  CHECK(r.Run({"ZADD", "nokey", "XX", "1", "a"}) == Int(0));
  CHECK(r.Run({"EXISTS", "nokey"}) == Int(0));
}

TEST_CASE("zset scores are doubles in RESP3") {
  CommandRunner r;
  r.client().resp = 3;
  r.Run({"ZADD", "z", "1.5", "a", "inf", "b", "2", "c"});
  CHECK(r.Run({"ZSCORE", "z", "a"}) == ",1.5\r\n");
  CHECK(r.Run({"ZSCORE", "z", "b"}) == ",inf\r\n");
  CHECK(r.Run({"ZSCORE", "z", "x"}) == "_\r\n");
  CHECK(r.Run({"ZMSCORE", "z", "c", "x"}) == "*2\r\n,2\r\n_\r\n");
  CHECK(r.Run({"ZRANGE", "z", "0", "1", "WITHSCORES"}) ==
        "*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nc\r\n,2\r\n");
  CHECK(r.Run({"ZPOPMIN", "z"}) == "*2\r\n$1\r\na\r\n,1.5\r\n");
  CHECK(r.Run({"ZPOPMIN", "z", "1"}) == "*1\r\n*2\r\n$1\r\nc\r\n,2\r\n");
  CHECK(r.Run({"ZMPOP", "1", "z", "MAX"}) == "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n,inf\r\n");
  CHECK(r.Run({"ZMPOP", "1", "z", "MAX"}) == "_\r\n");
}

TEST_CASE("zset ZRANGE family replies") {
  CommandRunner r;
  r.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"});
  CHECK(r.Run({"ZRANGE", "z", "0", "-1"}) == BulkArray({"a", "b", "c", "d"}));
  CHECK(r.Run({"ZRANGE", "z", "0", "0", "WITHSCORES"}) == BulkArray({"a", "1"}));
  CHECK(r.Run({"ZRANGE", "z", "0", "1", "REV"}) == BulkArray({"d", "c"}));
  CHECK(r.Run({"ZREVRANGE", "z", "-2", "-1"}) == BulkArray({"b", "a"}));
  CHECK(r.Run({"ZRANGEBYSCORE", "z", "(1", "3"}) == BulkArray({"b", "c"}));
  CHECK(r.Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2"}) ==
        BulkArray({"b", "c"}));
  CHECK(r.Run({"ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2"}) ==
        BulkArray({"c", "b"}));
  CHECK(r.Run({"ZRANGE", "z", "(1", "3", "BYSCORE", "REV"}) == "*0\r\n");
  CHECK(r.Run({"ZRANGE", "z", "3", "(1", "BYSCORE", "REV"}) == BulkArray({"c", "b"}));
  CHECK(r.Run({"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"}) ==
        Err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
            "BYLEX"));
  CHECK(r.Run({"ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"}) ==
        Err("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
  CHECK(r.Run({"ZRANGEBYSCORE", "z", "x", "1"}) == Err("ERR min or max is not a float"));
  CHECK(r.Run({"ZRANGEBYLEX", "z", "x", "+"}) ==
        Err("ERR min or max not valid string range item"));
  CHECK(r.Run({"ZRANGE", "z", "a", "1"}) == kNotInt);
  CHECK(r.Run({"ZREVRANGE", "z", "0", "1", "REV"}) == kSyntaxErr);
  CHECK(r.Run({"ZRANGE", "missing", "0", "-1"}) == "*0\r\n");
  CHECK(r.Run({"ZCOUNT", "z", "2", "(4"}) == Int(2));
  CHECK(r.Run({"ZRANK", "z", "c"}) == Int(2));
  CHECK(r.Run({"ZREVRANK", "z", "c"}) == Int(1));
  CHECK(r.Run({"ZRANGESTORE", "dst", "z", "1", "2"}) == Int(2));
  CHECK(r.Run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}) == BulkArray({"b", "2", "c", "3"}));
  CHECK(r.Run({"ZRANGESTORE", "dst", "z", "5", "6"}) == Int(0));
  CHECK(r.Run({"EXISTS", "dst"}) == Int(0));
}

TEST_CASE("zset commands answer WRONGTYPE on other types") {
  CommandRunner r;
  r.Run({"SET", "s", "v"});
  for (std::vector<std::string> cmd : std::vector<std::vector<std::string>>{
           {"ZADD", "s", "1", "a"}, {"ZINCRBY", "s", "1", "a"}, {"ZREM", "s", "a"},
           {"ZSCORE", "s", "a"}, {"ZMSCORE", "s", "a"}, {"ZCARD", "s"}, {"ZCOUNT", "s", "0", "1"},
           {"ZLEXCOUNT", "s", "-", "+"}, {"ZRANK", "s", "a"}, {"ZRANGE", "s", "0", "1"},
           {"ZRANGEBYSCORE", "s", "0", "1"}, {"ZREMRANGEBYRANK", "s", "0", "1"},
           {"ZPOPMIN", "s"}, {"ZMPOP", "1", "s", "MIN"}, {"ZRANDMEMBER", "s"},
           {"ZRANDMEMBER", "s", "2"}, {"ZUNION", "1", "s"}, {"ZUNIONSTORE", "d", "1", "s"},
           {"ZSCAN", "s", "0"}, {"ZRANGESTORE", "d", "s", "0", "1"}}) {
    CAPTURE(cmd[0]);
    CHECK(r.Run(cmd) == kWrongType);
  }
  CHECK(r.Run({"GET", "s"}) == Bulk("v"));
  CHECK(r.Run({"EXISTS", "d"}) == Int(0));
}

TEST_CASE("zset set operations accept plain sets as sources") {
  CommandRunner r;
  r.Run({"ZADD", "z", "1", "a", "2", "b"});
  r.Run({"SADD", "s", "b", "c"});
  CHECK(r.Run({"ZUNION", "2", "z", "s", "WITHSCORES"}) ==
        BulkArray({"a", "1", "c", "1", "b", "3"}));
  CHECK(r.Run({"ZINTERSTORE", "d", "2", "z", "s", "WEIGHTS", "2", "10"}) == Int(1));
  CHECK(r.Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}) == BulkArray({"b", "14"}));
  CHECK(r.Run({"ZDIFF", "2", "z", "s"}) == BulkArray({"a"}));
  CHECK(r.Run({"ZINTERCARD", "2", "z", "s"}) == Int(1));
  CHECK(r.Run({"ZUNION", "0", "z"}) ==
        Err("ERR at least 1 input key is needed for 'zunion' command"));
}

TEST_CASE("zset ZSCAN of a listpack returns everything with cursor 0") {
  CommandRunner r;
  r.Run({"ZADD", "z", "1", "a", "2.5", "b"});
  CHECK(r.Run({"ZSCAN", "z", "0"}) == "*2\r\n$1\r\n0\r\n" + BulkArray({"a", "1", "b", "2.5"}));
  CHECK(r.Run({"ZSCAN", "z", "0", "MATCH", "b*"}) ==
        "*2\r\n$1\r\n0\r\n" + BulkArray({"b", "2.5"}));
  CHECK(r.Run({"ZSCAN", "missing", "0", "BOGUS"}) == "*2\r\n$1\r\n0\r\n*0\r\n");
  CHECK(r.Run({"ZSCAN", "z", "x"}) == Err("ERR invalid cursor"));
  CHECK(r.Run({"ZSCAN", "z", "0", "TYPE", "zset"}) == kSyntaxErr);
}

TEST_CASE("zset encodings follow the limits") {
  CommandRunner r;
  ZSetLimits limits(2, 64);
  r.Run({"ZADD", "z", "1", "a", "2", "b"});
  CHECK(r.Run({"OBJECT", "ENCODING", "z"}) == Bulk("listpack"));
  r.Run({"ZADD", "z", "3", "c"});
  CHECK(r.Run({"OBJECT", "ENCODING", "z"}) == Bulk("skiplist"));
  r.Run({"ZREM", "z", "c"});
  CHECK(r.Run({"OBJECT", "ENCODING", "z"}) == Bulk("skiplist"));
  r.Run({"ZUNIONSTORE", "u", "1", "z"});
  CHECK(r.Run({"OBJECT", "ENCODING", "u"}) == Bulk("listpack"));
  r.Run({"COPY", "z", "c"});
  CHECK(r.Run({"OBJECT", "ENCODING", "c"}) == Bulk("skiplist"));
  CHECK(r.Run({"ZRANGE", "c", "0", "-1", "WITHSCORES"}) == BulkArray({"a", "1", "b", "2"}));
}

TEST_CASE("zset ZRANDMEMBER with a huge negative count stops at the reply cap") {
  CommandRunner r;
  r.Run({"ZADD", "z", "1", std::string(1000, 'x')});
  std::string reply = r.Run({"ZRANDMEMBER", "z", "-9223372036854775807"});
  CHECK(reply.size() > 512u * 1024 * 1024);
  CHECK(reply.size() < 513u * 1024 * 1024);
  CHECK(r.client().close_after_reply);
}

TEST_CASE("zset writes report their changes in ctx.dirty") {
  CommandRunner r;
  CHECK(r.RunDirty({"ZADD", "z", "1", "a", "2", "b"}).dirty == 2);
  CHECK(r.RunDirty({"ZADD", "z", "1", "a"}).dirty == 0);
  CHECK(r.RunDirty({"ZADD", "z", "CH", "1", "a", "3", "b"}).dirty == 1);
  CHECK(r.RunDirty({"ZINCRBY", "z", "0", "a"}).dirty == 0);
  CHECK(r.RunDirty({"ZADD", "z", "NX", "5", "a"}).dirty == 0);
  CHECK(r.RunDirty({"ZREM", "z", "zz"}).dirty == 0);
  CHECK(r.RunDirty({"ZREMRANGEBYSCORE", "z", "10", "20"}).dirty == 0);
  CHECK(r.RunDirty({"ZPOPMIN", "z", "0"}).dirty == 0);
  CHECK(r.RunDirty({"ZPOPMIN", "missing"}).dirty == 0);
  CHECK(r.RunDirty({"ZUNIONSTORE", "u", "1", "missing"}).dirty == 0);
  CHECK(r.RunDirty({"ZUNIONSTORE", "u", "1", "z"}).dirty == 1);
  CHECK(r.RunDirty({"ZUNIONSTORE", "u", "1", "missing"}).dirty == 1);  // deletes u
  CHECK(r.RunDirty({"ZUNION", "1", "z"}).dirty == 0);
  CHECK(r.RunDirty({"ZRANGESTORE", "u", "z", "0", "0"}).dirty == 1);
  CHECK(r.RunDirty({"ZPOPMAX", "z", "5"}).dirty == 2);
  CHECK(r.RunDirty({"ZMPOP", "1", "u", "MIN"}).dirty == 1);
}

TEST_CASE("zset_ops::Pop pops from either end and deletes the emptied key") {
  CommandRunner r;
  r.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  r.Run({"SET", "s", "v"});
  using strata::cmd::zset_ops::Status;
  using strata::cmd::zset_ops::Where;
  auto& db = r.keyspace().db(0);
  std::vector<std::pair<std::string, double>> out;
  {
    strata::storage::KeyRef k = db.Ref("z");
    strata::storage::ShardLock lock(k);
    CHECK(strata::cmd::zset_ops::Pop(k, r.now_ms, Where::kMax, 2, &out) == Status::kOk);
    CHECK(out == std::vector<std::pair<std::string, double>>{{"c", 3}, {"b", 2}});
    out.clear();
    CHECK(strata::cmd::zset_ops::Pop(k, r.now_ms, Where::kMin, 5, &out) == Status::kOk);
    CHECK(out == std::vector<std::pair<std::string, double>>{{"a", 1}});
    CHECK(strata::cmd::zset_ops::Pop(k, r.now_ms, Where::kMin, 1, &out) == Status::kEmpty);
  }
  {
    strata::storage::KeyRef k = db.Ref("s");
    strata::storage::ShardLock lock(k);
    CHECK(strata::cmd::zset_ops::Pop(k, r.now_ms, Where::kMin, 1, &out) == Status::kWrongType);
  }
  CHECK(r.Run({"EXISTS", "z"}) == Int(0));
  CHECK(FindZ(r, "z") == nullptr);
}

TEST_CASE("zset commands are registered with Redis 7.0's arity, flags and key positions") {
  CommandRunner r;
  struct Want {
    const char* name;
    int arity, first, last, step;
    uint32_t flags;
  };
  using namespace strata::cmd;
  const Want wants[] = {
      {"zadd", -4, 1, 1, 1, kWrite | kDenyOom | kFast},
      {"zrem", -3, 1, 1, 1, kWrite | kFast},
      {"zscore", 3, 1, 1, 1, kReadOnly | kFast},
      {"zmscore", -3, 1, 1, 1, kReadOnly | kFast},
      {"zincrby", 4, 1, 1, 1, kWrite | kDenyOom | kFast},
      {"zcard", 2, 1, 1, 1, kReadOnly | kFast},
      {"zcount", 4, 1, 1, 1, kReadOnly | kFast},
      {"zlexcount", 4, 1, 1, 1, kReadOnly | kFast},
      {"zrank", 3, 1, 1, 1, kReadOnly | kFast},
      {"zrevrank", 3, 1, 1, 1, kReadOnly | kFast},
      {"zrange", -4, 1, 1, 1, kReadOnly},
      {"zrangestore", -5, 1, 2, 1, kWrite | kDenyOom},
      {"zrevrange", -4, 1, 1, 1, kReadOnly},
      {"zrangebyscore", -4, 1, 1, 1, kReadOnly},
      {"zrevrangebyscore", -4, 1, 1, 1, kReadOnly},
      {"zrangebylex", -4, 1, 1, 1, kReadOnly},
      {"zrevrangebylex", -4, 1, 1, 1, kReadOnly},
      {"zremrangebyrank", 4, 1, 1, 1, kWrite},
      {"zremrangebyscore", 4, 1, 1, 1, kWrite},
      {"zremrangebylex", 4, 1, 1, 1, kWrite},
      {"zpopmin", -2, 1, 1, 1, kWrite | kFast},
      {"zpopmax", -2, 1, 1, 1, kWrite | kFast},
      {"zmpop", -4, 0, 0, 0, kWrite | kMovableKeys},
      {"zrandmember", -2, 1, 1, 1, kReadOnly | kRandom},
      {"zunionstore", -4, 1, 1, 1, kWrite | kDenyOom | kMovableKeys},
      {"zinterstore", -4, 1, 1, 1, kWrite | kDenyOom | kMovableKeys},
      {"zdiffstore", -4, 1, 1, 1, kWrite | kDenyOom | kMovableKeys},
      {"zunion", -3, 0, 0, 0, kReadOnly | kMovableKeys},
      {"zinter", -3, 0, 0, 0, kReadOnly | kMovableKeys},
      {"zdiff", -3, 0, 0, 0, kReadOnly | kMovableKeys},
      {"zintercard", -3, 0, 0, 0, kReadOnly | kMovableKeys},
      {"zscan", -3, 1, 1, 1, kReadOnly | kRandom},
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
    CHECK(s->group == "sorted-set");
  }
}
