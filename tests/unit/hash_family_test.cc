// Hashes: storage::HashObject in both encodings against a std::map model, and the hash
// commands through CommandRunner (exact RESP bytes as Redis 7.0.15 replies them, encodings and
// their conversion at the storage::Limits() thresholds, dirty counts).
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage/hash_object.h"
#include "tests/unit/command_runner.h"

using namespace strata::testing;
using strata::storage::DictHash;
using strata::storage::HashObject;
using strata::storage::ListpackHash;

namespace {

const std::string kWrongType =
    Err("WRONGTYPE Operation against a key holding the wrong kind of value");

// Sets hash-max-listpack-entries / -value for one test.
class HashLimitsScope {
 public:
  HashLimitsScope(int64_t entries, int64_t value)
      : entries_(strata::storage::Limits().hash_max_listpack_entries),
        value_(strata::storage::Limits().hash_max_listpack_value) {
    strata::storage::Limits().hash_max_listpack_entries = entries;
    strata::storage::Limits().hash_max_listpack_value = value;
  }
  ~HashLimitsScope() {
    strata::storage::Limits().hash_max_listpack_entries = entries_;
    strata::storage::Limits().hash_max_listpack_value = value_;
  }

 private:
  int64_t entries_, value_;
};

std::map<std::string, std::string> Contents(const HashObject& h) {
  std::map<std::string, std::string> out;
  h.ForEach([&](std::string_view f, std::string_view v) {
    CHECK(out.emplace(std::string(f), std::string(v)).second);  // no field twice
  });
  return out;
}

std::vector<std::string> HSetArgs(const std::string& key, int n, const std::string& prefix = "f") {
  std::vector<std::string> args = {"HSET", key};
  for (int i = 0; i < n; ++i) {
    args.push_back(prefix + std::to_string(i));
    args.push_back("v" + std::to_string(i));
  }
  return args;
}

// Decodes the flat array of an HSCAN reply's second element; returns the cursor.
std::string ParseScanReply(const std::string& reply, std::vector<std::string>* items) {
  // *2\r\n$<n>\r\n<cursor>\r\n*<m>\r\n...
  size_t p = reply.find("\r\n") + 2;  // past *2
  size_t len_end = reply.find("\r\n", p);
  size_t n = std::stoul(reply.substr(p + 1, len_end - p - 1));
  std::string cursor = reply.substr(len_end + 2, n);
  size_t rest = len_end + 2 + n + 2;
  REQUIRE(ParseBulkArray(std::string_view(reply).substr(rest), items));
  return cursor;
}

}  // namespace

TEST_CASE("hash objects in both encodings match a map under random edits") {
  std::mt19937_64 rng(11);
  for (int enc = 0; enc < 2; ++enc) {
    std::unique_ptr<HashObject> h(enc == 0 ? static_cast<HashObject*>(new ListpackHash())
                                           : new DictHash());
    std::map<std::string, std::string> model;
    for (int step = 0; step < 4000; ++step) {
      std::string f = "f" + std::to_string(rng() % 60);
      std::string v(rng() % 40, static_cast<char>('a' + rng() % 26));
      switch (rng() % 4) {
        case 0:
        case 1:
          CHECK(h->Set(f, v) == (model.count(f) == 0));
          model[f] = v;
          break;
        case 2:
          CHECK(h->Delete(f) == (model.erase(f) == 1));
          break;
        default: {
          std::string_view got;
          bool found = h->Get(f, &got);
          REQUIRE(found == (model.count(f) == 1));
          if (found) CHECK(got == model[f]);
        }
      }
      if (step % 97 == 0 && h->is_listpack()) h->AsListpack()->ShrinkToFit();
      REQUIRE(h->size() == model.size());
    }
    CHECK(Contents(*h) == model);
    std::unique_ptr<HashObject> copy(static_cast<HashObject*>(h->Clone()));
    CHECK(std::string(copy->EncodingName()) == h->EncodingName());
    CHECK(Contents(*copy) == model);
    copy->Set("only-in-copy", "1");
    CHECK(!h->Contains("only-in-copy"));
    if (h->is_listpack()) {
      std::unique_ptr<DictHash> d(h->AsListpack()->ToDict());
      CHECK(std::string(d->EncodingName()) == "hashtable");
      CHECK(Contents(*d) == model);
      std::vector<size_t> positions = h->AsListpack()->FieldPositions();
      REQUIRE(positions.size() == model.size());
      for (size_t i = 0; i < positions.size(); ++i) {
        std::string_view f1, v1, f2, v2;
        h->AsListpack()->PairAtPosition(positions[i], &f1, &v1);
        h->AsListpack()->PairAt(i, &f2, &v2);
        CHECK(f1 == f2);
        CHECK(v1 == v2);
        CHECK(model[std::string(f1)] == v1);
      }
    }
  }
}

TEST_CASE("a listpack hash keeps insertion order; updates stay in place") {
  ListpackHash h;
  h.Set("b", "1");
  h.Set("a", "2");
  h.Set("c", "3");
  h.Set("a", "a much longer value than before");
  h.Delete("b");
  h.Set("b", "4");
  std::vector<std::string> order;
  h.ForEach([&](std::string_view f, std::string_view) { order.emplace_back(f); });
  CHECK(order == std::vector<std::string>{"a", "c", "b"});
}

TEST_CASE("HSET / HGET / HMGET / HDEL / HLEN / HEXISTS / HSTRLEN") {
  CommandRunner r;
  CHECK(r.Run({"HSET", "h", "a", "1", "b", "2"}) == Int(2));
  CHECK(r.Run({"HSET", "h", "a", "x", "c", "3"}) == Int(1));
  CHECK(r.Run({"HGET", "h", "a"}) == Bulk("x"));
  CHECK(r.Run({"HGET", "h", "zz"}) == kNil);
  CHECK(r.Run({"HGET", "missing", "a"}) == kNil);
  CHECK(r.Run({"HMGET", "h", "a", "zz", "c"}) == "*3\r\n$1\r\nx\r\n$-1\r\n$1\r\n3\r\n");
  CHECK(r.Run({"HMGET", "missing", "a"}) == "*1\r\n$-1\r\n");
  CHECK(r.Run({"HLEN", "h"}) == Int(3));
  CHECK(r.Run({"HLEN", "missing"}) == Int(0));
  CHECK(r.Run({"HEXISTS", "h", "b"}) == Int(1));
  CHECK(r.Run({"HEXISTS", "h", "zz"}) == Int(0));
  CHECK(r.Run({"HSTRLEN", "h", "a"}) == Int(1));
  CHECK(r.Run({"HSTRLEN", "h", "zz"}) == Int(0));
  CHECK(r.Run({"HGETALL", "h"}) == BulkArray({"a", "x", "b", "2", "c", "3"}));
  CHECK(r.Run({"HKEYS", "h"}) == BulkArray({"a", "b", "c"}));
  CHECK(r.Run({"HVALS", "h"}) == BulkArray({"x", "2", "3"}));
  CHECK(r.Run({"HGETALL", "missing"}) == "*0\r\n");
  CHECK(r.Run({"TYPE", "h"}) == Simple("hash"));
  CHECK(r.Run({"OBJECT", "ENCODING", "h"}) == Bulk("listpack"));
  CHECK(r.Run({"HDEL", "h", "a", "a", "zz"}) == Int(1));
  CHECK(r.Run({"HDEL", "h", "b", "c", "d"}) == Int(2));
  CHECK(r.Run({"EXISTS", "h"}) == Int(0));  // emptied hashes are deleted
  CHECK(r.Run({"HDEL", "missing", "a"}) == Int(0));
  CHECK(r.Run({"HSET", "h", "a"}) == Err("ERR wrong number of arguments for 'hset' command"));
  CHECK(r.Run({"HSET", "h", "a", "1", "b"}) ==
        Err("ERR wrong number of arguments for 'hset' command"));
  CHECK(r.Run({"HMSET", "h", "a", "1", "b"}) ==
        Err("ERR wrong number of arguments for 'hmset' command"));
  CHECK(r.Run({"EXISTS", "h"}) == Int(0));
  CHECK(r.Run({"HMSET", "h", "a", "1"}) == kOk);
  CHECK(r.Run({"HSETNX", "h", "a", "2"}) == Int(0));
  CHECK(r.Run({"HSETNX", "h", "b", "2"}) == Int(1));
  CHECK(r.Run({"HGETALL", "h"}) == BulkArray({"a", "1", "b", "2"}));
}

TEST_CASE("hash commands on other types reply WRONGTYPE") {
  CommandRunner r;
  r.Run({"SET", "s", "v"});
  for (const std::vector<std::string>& c : std::vector<std::vector<std::string>>{
           {"HSET", "s", "a", "1"}, {"HSETNX", "s", "a", "1"}, {"HMSET", "s", "a", "1"},
           {"HGET", "s", "a"}, {"HMGET", "s", "a"}, {"HDEL", "s", "a"}, {"HLEN", "s"},
           {"HEXISTS", "s", "a"}, {"HSTRLEN", "s", "a"}, {"HKEYS", "s"}, {"HVALS", "s"},
           {"HGETALL", "s"}, {"HINCRBY", "s", "a", "1"}, {"HINCRBYFLOAT", "s", "a", "1"},
           {"HRANDFIELD", "s"}, {"HRANDFIELD", "s", "2"}, {"HSCAN", "s", "0"}}) {
    CAPTURE(c[0]);
    CHECK(r.Run(c) == kWrongType);
  }
  CHECK(r.Run({"GET", "s"}) == Bulk("v"));
  r.Run({"HSET", "h", "a", "1"});
  CHECK(r.Run({"GET", "h"}) == kWrongType);
  CHECK(r.Run({"LPUSH", "h", "x"}) == kWrongType);
}

TEST_CASE("HINCRBY and HINCRBYFLOAT") {
  CommandRunner r;
  CHECK(r.Run({"HINCRBY", "h", "n", "5"}) == Int(5));
  CHECK(r.Run({"HINCRBY", "h", "n", "-7"}) == Int(-2));
  CHECK(r.Run({"HINCRBY", "h", "n", "x"}) == Err("ERR value is not an integer or out of range"));
  r.Run({"HSET", "h", "s", "abc", "big", "9223372036854775807"});
  CHECK(r.Run({"HINCRBY", "h", "s", "1"}) == Err("ERR hash value is not an integer"));
  CHECK(r.Run({"HINCRBY", "h", "big", "1"}) == Err("ERR increment or decrement would overflow"));
  CHECK(r.Run({"HINCRBYFLOAT", "h", "f", "0.1"}) == Bulk("0.1"));
  CHECK(r.Run({"HINCRBYFLOAT", "h", "f", "0.2"}) == Bulk("0.3"));
  CHECK(r.Run({"HINCRBYFLOAT", "h", "f", "-0.3"}) == Bulk("0"));
  CHECK(r.Run({"HINCRBYFLOAT", "h", "f", "5.0e3"}) == Bulk("5000"));
  CHECK(r.Run({"HINCRBYFLOAT", "h", "n", "1.5"}) == Bulk("-0.5"));
  CHECK(r.Run({"HINCRBYFLOAT", "h", "f", "inf"}) == Err("ERR value is NaN or Infinity"));
  CHECK(r.Run({"HINCRBYFLOAT", "h", "f", "nan"}) == Err("ERR value is not a valid float"));
  CHECK(r.Run({"HINCRBYFLOAT", "h", "f", "x"}) == Err("ERR value is not a valid float"));
  CHECK(r.Run({"HINCRBYFLOAT", "h", "s", "1"}) == Err("ERR hash value is not a float"));
  CHECK(r.Run({"HGET", "h", "n"}) == Bulk("-0.5"));
  CHECK(r.Run({"EXISTS", "missing"}) == Int(0));
  CHECK(r.Run({"HINCRBY", "missing", "f", "x"}) ==
        Err("ERR value is not an integer or out of range"));
  CHECK(r.Run({"EXISTS", "missing"}) == Int(0));
}

TEST_CASE("listpack converts to hashtable at the configured limits, keeping TTL and contents") {
  CommandRunner r;
  {
    HashLimitsScope limits(4, 8);
    r.Run(HSetArgs("h", 4));
    CHECK(r.Run({"OBJECT", "ENCODING", "h"}) == Bulk("listpack"));
    CHECK(r.Run({"EXPIRE", "h", "100"}) == Int(1));
    CHECK(r.Run({"HSET", "h", "f0", "again"}) == Int(0));  // an update does not convert
    CHECK(r.Run({"OBJECT", "ENCODING", "h"}) == Bulk("listpack"));
    CHECK(r.Run({"HSET", "h", "f4", "v4"}) == Int(1));
    CHECK(r.Run({"OBJECT", "ENCODING", "h"}) == Bulk("hashtable"));
    CHECK(r.Run({"TTL", "h"}) == Int(100));
    CHECK(r.Run({"HLEN", "h"}) == Int(5));
    CHECK(r.Run({"HGET", "h", "f0"}) == Bulk("again"));
    CHECK(r.Run({"HDEL", "h", "f0", "f1", "f2", "f3"}) == Int(4));
    CHECK(r.Run({"OBJECT", "ENCODING", "h"}) == Bulk("hashtable"));  // one way

    // Field or value longer than hash-max-listpack-value.
    r.Run({"HSET", "v", "a", "12345678"});
    CHECK(r.Run({"OBJECT", "ENCODING", "v"}) == Bulk("listpack"));
    r.Run({"HSET", "v", "a", "123456789"});
    CHECK(r.Run({"OBJECT", "ENCODING", "v"}) == Bulk("hashtable"));
    r.Run({"HSET", "w", "123456789", "a"});
    CHECK(r.Run({"OBJECT", "ENCODING", "w"}) == Bulk("hashtable"));
    r.Run({"HSET", "x", "n", "1"});
    r.Run({"HINCRBYFLOAT", "x", "n", "0.123456789"});  // a long result converts too
    CHECK(r.Run({"OBJECT", "ENCODING", "x"}) == Bulk("hashtable"));
    // HSETNX of an existing field sets nothing, so nothing converts.
    r.Run({"HSET", "y", "n", "1"});
    CHECK(r.Run({"HSETNX", "y", "n", "123456789"}) == Int(0));
    CHECK(r.Run({"OBJECT", "ENCODING", "y"}) == Bulk("listpack"));
  }
  // One HSET far past the limit converts once and holds everything.
  r.Run(HSetArgs("big", 5000));
  CHECK(r.Run({"OBJECT", "ENCODING", "big"}) == Bulk("hashtable"));
  CHECK(r.Run({"HLEN", "big"}) == Int(5000));
  CHECK(r.Run({"HGET", "big", "f4999"}) == Bulk("v4999"));
  // COPY clones either encoding.
  CHECK(r.Run({"COPY", "big", "big2"}) == Int(1));
  CHECK(r.Run({"HDEL", "big2", "f1"}) == Int(1));
  CHECK(r.Run({"HLEN", "big"}) == Int(5000));
  CHECK(r.Run({"OBJECT", "ENCODING", "big2"}) == Bulk("hashtable"));
  r.Run({"HSET", "small", "a", "1"});
  CHECK(r.Run({"COPY", "small", "small2"}) == Int(1));
  CHECK(r.Run({"OBJECT", "ENCODING", "small2"}) == Bulk("listpack"));
  CHECK(r.Run({"HGETALL", "small2"}) == BulkArray({"a", "1"}));
}

TEST_CASE("HRANDFIELD") {
  CommandRunner r;
  CHECK(r.Run({"HRANDFIELD", "missing"}) == kNil);
  CHECK(r.Run({"HRANDFIELD", "missing", "3"}) == "*0\r\n");
  CHECK(r.Run({"HRANDFIELD", "missing", "x"}) ==
        Err("ERR value is not an integer or out of range"));
  CHECK(r.Run({"HRANDFIELD", "missing", "-9223372036854775808"}) ==
        Err("ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807"));
  CHECK(r.Run({"HRANDFIELD", "missing", "4611686018427387904", "WITHVALUES"}) ==
        Err("ERR value is out of range"));
  CHECK(r.Run({"HRANDFIELD", "missing", "1", "WITHVALUE"}) == Err("ERR syntax error"));
  r.Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  CHECK(r.Run({"HRANDFIELD", "h", "0"}) == "*0\r\n");
  CHECK(r.Run({"HRANDFIELD", "h", "3"}) == BulkArray({"a", "b", "c"}));  // whole hash
  CHECK(r.Run({"HRANDFIELD", "h", "9", "WITHVALUES"}) ==
        BulkArray({"a", "1", "b", "2", "c", "3"}));
  for (const char* key : {"h", "big"}) {
    if (std::string(key) == "big") r.Run(HSetArgs("big", 300));
    std::vector<std::string> items;
    REQUIRE(ParseBulkArray(r.Run({"HRANDFIELD", key, "2"}), &items));
    CHECK(items.size() == 2);
    CHECK(items[0] != items[1]);
    REQUIRE(ParseBulkArray(r.Run({"HRANDFIELD", key, "-50", "WITHVALUES"}), &items));
    CHECK(items.size() == 100);
    for (size_t i = 0; i < items.size(); i += 2) {
      CHECK(r.Run({"HGET", key, items[i]}) == Bulk(items[i + 1]));
    }
  }
  // Distinct fields whichever strategy serves the count.
  for (const char* count : {"5", "150", "299"}) {
    std::vector<std::string> items;
    REQUIRE(ParseBulkArray(r.Run({"HRANDFIELD", "big", count}), &items));
    CHECK(items.size() == std::stoul(count));
    CHECK(std::set<std::string>(items.begin(), items.end()).size() == items.size());
  }
  r.client().resp = 3;
  CHECK(r.Run({"HRANDFIELD", "h", "5", "WITHVALUES"}) ==
        "*3\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
        "*2\r\n$1\r\nc\r\n$1\r\n3\r\n");
  CHECK(r.Run({"HRANDFIELD", "missing"}) == "_\r\n");
  CHECK(r.Run({"HGETALL", "h"}) ==
        "%3\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n");
  CHECK(r.Run({"HGETALL", "missing"}) == "%0\r\n");
  CHECK(r.Run({"HMGET", "h", "zz"}) == "*1\r\n_\r\n");
}

TEST_CASE("HSCAN") {
  CommandRunner r;
  CHECK(r.Run({"HSCAN", "missing", "0", "FOO"}) == "*2\r\n$1\r\n0\r\n*0\r\n");
  CHECK(r.Run({"HSCAN", "missing", "x"}) == Err("ERR invalid cursor"));
  r.Run({"HSET", "h", "a", "1", "b", "2", "ab", "3"});
  CHECK(r.Run({"HSCAN", "h", "0"}) ==
        "*2\r\n$1\r\n0\r\n" + BulkArray({"a", "1", "b", "2", "ab", "3"}));
  CHECK(r.Run({"HSCAN", "h", "7", "MATCH", "a*", "COUNT", "1"}) ==
        "*2\r\n$1\r\n0\r\n" + BulkArray({"a", "1", "ab", "3"}));
  CHECK(r.Run({"HSCAN", "h", "0", "COUNT", "0"}) == Err("ERR syntax error"));
  CHECK(r.Run({"HSCAN", "h", "0", "COUNT", "x"}) ==
        Err("ERR value is not an integer or out of range"));
  CHECK(r.Run({"HSCAN", "h", "0", "TYPE", "hash"}) == Err("ERR syntax error"));
  CHECK(r.Run({"HSCAN", "h", "0", "MATCH"}) == Err("ERR syntax error"));

  r.Run(HSetArgs("big", 1000));
  for (const char* count : {"1", "10", "100000"}) {
    std::set<std::string> seen;
    std::string cursor = "0";
    int calls = 0;
    do {
      std::vector<std::string> items;
      cursor = ParseScanReply(r.Run({"HSCAN", "big", cursor, "COUNT", count}), &items);
      REQUIRE(items.size() % 2 == 0);
      for (size_t i = 0; i < items.size(); i += 2) {
        CHECK(items[i + 1] == "v" + items[i].substr(1));
        seen.insert(items[i]);
      }
      REQUIRE(++calls < 5000);
    } while (cursor != "0");
    CHECK(seen.size() == 1000);
  }
}

TEST_CASE("hash writes report their changes in ctx.dirty") {
  CommandRunner r;
  CHECK(r.RunDirty({"HSET", "h", "a", "1", "b", "2"}).dirty == 2);
  CHECK(r.RunDirty({"HSET", "h", "a", "1"}).dirty == 1);  // Redis counts every pair
  CHECK(r.RunDirty({"HSETNX", "h", "a", "1"}).dirty == 0);
  CHECK(r.RunDirty({"HSETNX", "h", "c", "1"}).dirty == 1);
  CHECK(r.RunDirty({"HDEL", "h", "zz"}).dirty == 0);
  CHECK(r.RunDirty({"HDEL", "h", "a", "b", "zz"}).dirty == 2);
  CHECK(r.RunDirty({"HDEL", "missing", "a"}).dirty == 0);
  CHECK(r.RunDirty({"HINCRBY", "h", "n", "1"}).dirty == 1);
  CHECK(r.RunDirty({"HINCRBY", "h", "n", "x"}).dirty == 0);
  CHECK(r.RunDirty({"HINCRBYFLOAT", "h", "n", "1.5"}).dirty == 1);
  CHECK(r.RunDirty({"HSET", "h", "a"}).dirty == 0);
  CHECK(r.RunDirty({"HGETALL", "h"}).dirty == 0);
}

TEST_CASE("hashes expire lazily") {
  CommandRunner r;
  r.Run({"HSET", "h", "a", "1"});
  r.Run({"PEXPIRE", "h", "10"});
  r.Advance(11);
  CHECK(r.Run({"HGET", "h", "a"}) == kNil);
  CHECK(r.Run({"HSETNX", "h", "a", "2"}) == Int(1));
  CHECK(r.Run({"TTL", "h"}) == Int(-1));
}
