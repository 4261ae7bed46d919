// Lists: ListObject against a std::deque model under random edits at every node size, and the
// list commands through CommandRunner (exact RESP bytes as Redis 7.0.15 replies them, dirty
// counts, key deletion when a list empties, lazy expiry, RESP3 nulls).
#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "commands/list_ops.h"
#include "storage/limits.h"
#include "storage/list_object.h"
#include "tests/unit/command_runner.h"

using namespace strata::testing;
using strata::storage::ListObject;

namespace {

const std::string kWrongType =
    Err("WRONGTYPE Operation against a key holding the wrong kind of value");
const std::string kEmptyArray = "*0\r\n";

// Sets list-max-listpack-size for one scope.
class FillScope {
 public:
  explicit FillScope(int64_t fill) : saved_(strata::storage::Limits().list_max_listpack_size) {
    strata::storage::Limits().list_max_listpack_size = fill;
  }
  ~FillScope() { strata::storage::Limits().list_max_listpack_size = saved_; }

 private:
  int64_t saved_;
};

std::vector<std::string> Forward(const ListObject& l) {
  std::vector<std::string> out;
  for (ListObject::Cursor c = l.At(0); c.valid(); c.Next()) out.emplace_back(c.Get());
  return out;
}

std::vector<std::string> Backward(const ListObject& l) {
  std::vector<std::string> out;
  for (ListObject::Cursor c = l.At(-1); c.valid(); c.Prev()) out.emplace_back(c.Get());
  return {out.rbegin(), out.rend()};
}

void CheckSame(const ListObject& l, const std::deque<std::string>& model) {
  std::vector<std::string> want(model.begin(), model.end());
  REQUIRE(l.size() == model.size());
  REQUIRE(Forward(l) == want);
  REQUIRE(Backward(l) == want);
}

std::string RandomValue(std::mt19937& rng) {
  static const char* const kFixed[] = {"", "0", "1", "-1", "127", "128", "4095", "-4096",
                                       "-4097", "32767", "-32769", "8388608", "2147483648",
                                       "9223372036854775807", "-9223372036854775808",
                                       "9223372036854775808", "-0", "01", "+5", "a", "abc"};
  switch (rng() % 6) {
    case 0:
    case 1: return kFixed[rng() % (sizeof(kFixed) / sizeof(kFixed[0]))];
    case 2: return std::to_string(static_cast<int64_t>(rng()) - (1LL << 31));
    case 3: return std::string(rng() % 70, static_cast<char>('a' + rng() % 26));
    case 4: return std::string(60 + rng() % 200, 'm');
    default: return rng() % 20 == 0 ? std::string(4000 + rng() % 6000, 'B') : "v" + std::to_string(rng() % 50);
  }
}

}  // namespace

TEST_CASE("list object matches a deque under random edits at every node size") {
  for (int64_t fill : {-2, -1, -5, 1, 2, 5, 128, 0}) {
    CAPTURE(fill);
    FillScope scope(fill);
    std::mt19937 rng(static_cast<unsigned>(1000 + fill));
    ListObject l;
    std::deque<std::string> model;
    for (int step = 0; step < 4000; ++step) {
      int op = static_cast<int>(rng() % 10);
      std::string v = RandomValue(rng);
      if (op <= 2 || model.size() < 3) {
        if (rng() % 2) {
          l.PushFront(v);
          model.push_front(v);
        } else {
          l.PushBack(v);
          model.push_back(v);
        }
      } else if (op == 3) {
        size_t n = rng() % 4;
        l.EraseFront(n);
        model.erase(model.begin(), model.begin() + std::min(n, model.size()));
      } else if (op == 4) {
        size_t n = rng() % 4;
        l.EraseBack(n);
        model.erase(model.end() - std::min(n, model.size()), model.end());
      } else if (op == 5) {
        int64_t i = static_cast<int64_t>(rng() % model.size());
        if (rng() % 2) i -= static_cast<int64_t>(model.size());
        REQUIRE(l.Set(i, v));
        model[static_cast<size_t>(i < 0 ? i + static_cast<int64_t>(model.size()) : i)] = v;
      } else if (op == 6) {
        std::string pivot = model[rng() % model.size()];
        bool after = rng() % 2;
        REQUIRE(l.InsertAtPivot(ListObject::Needle(pivot), v, after));
        auto it = std::find(model.begin(), model.end(), pivot);
        model.insert(after ? it + 1 : it, v);
      } else if (op == 7) {
        std::string target = rng() % 3 ? model[rng() % model.size()] : v;
        int64_t count = static_cast<int64_t>(rng() % 5) - 2;
        size_t removed = l.Remove(ListObject::Needle(target), count);
        size_t want = 0;
        if (count >= 0) {
          for (auto it = model.begin(); it != model.end();) {
            if (*it == target && (count == 0 || want < static_cast<size_t>(count))) {
              it = model.erase(it);
              ++want;
            } else {
              ++it;
            }
          }
        } else {
          for (size_t i = model.size(); i-- > 0;) {
            if (model[i] == target && want < static_cast<size_t>(-count)) {
              model.erase(model.begin() + static_cast<std::ptrdiff_t>(i));
              ++want;
            }
          }
        }
        REQUIRE(removed == want);
      } else {
        int64_t i = static_cast<int64_t>(rng() % (model.size() + 2)) - 1;
        ListObject::Cursor c = l.At(i);
        if (i < 0) i += static_cast<int64_t>(model.size());
        if (i >= 0 && static_cast<size_t>(i) < model.size()) {
          REQUIRE(c.valid());
          REQUIRE(c.Get() == model[static_cast<size_t>(i)]);
        } else {
          REQUIRE(!c.valid());
        }
      }
      if (step % 97 == 0) CheckSame(l, model);
    }
    CheckSame(l, model);
    std::unique_ptr<ListObject> copy(static_cast<ListObject*>(l.Clone()));
    CheckSame(*copy, model);
    l.EraseBack(l.size());
    CHECK(l.empty());
    CHECK(l.node_count() == 0);
    CheckSame(*copy, model);
  }
}

TEST_CASE("list nodes respect list-max-listpack-size") {
  SUBCASE("entry count per node") {
    FillScope scope(4);
    ListObject l;
    for (int i = 0; i < 100; ++i) l.PushBack("x");
    CHECK(l.node_count() == 25);
  }
  SUBCASE("bytes per node: a full 8 KiB node is one 8 KiB block") {
    FillScope scope(-2);
    ListObject l;
    for (int i = 0; i < 100000; ++i) l.PushBack("element:" + std::to_string(i));
    size_t nodes = l.node_count();
    // ~16 bytes per element: about 510 per 8 KiB node, nodes nearly full.
    CHECK(nodes < 100000 / 480);
    CHECK(l.node_bytes() <= nodes * 8192);
    CHECK(l.node_bytes() < 100000 * 17);
  }
  SUBCASE("an element larger than the node limit gets its own node") {
    FillScope scope(-1);
    ListObject l;
    l.PushBack("a");
    l.PushBack(std::string(10000, 'b'));
    l.PushBack("c");
    CHECK(l.node_count() == 3);
    CHECK(Forward(l)[1].size() == 10000);
  }
  SUBCASE("integers are stored compactly and read back exactly") {
    FillScope scope(-2);
    ListObject l;
    for (int i = 0; i < 10000; ++i) l.PushBack(std::to_string(i));
    CHECK(l.node_bytes() < 10000 * 5);
    CHECK(l.At(9999).Get() == "9999");
    CHECK(l.At(-10000).Get() == "0");
  }
}

TEST_CASE("LPUSH / RPUSH / LPOP / RPOP") {
  CommandRunner r;
  CHECK(r.Run({"LPUSH", "l", "a", "b"}) == Int(2));
  CHECK(r.Run({"RPUSH", "l", "c"}) == Int(3));
  CHECK(r.Run({"LRANGE", "l", "0", "-1"}) == BulkArray({"b", "a", "c"}));
  CHECK(r.Run({"OBJECT", "ENCODING", "l"}) == Bulk("quicklist"));
  CHECK(r.Run({"TYPE", "l"}) == Simple("list"));
  CHECK(r.Run({"LPOP", "l"}) == Bulk("b"));
  CHECK(r.Run({"RPOP", "l"}) == Bulk("c"));
  CHECK(r.Run({"LPOP", "l"}) == Bulk("a"));
  CHECK(r.Run({"EXISTS", "l"}) == Int(0));
  CHECK(r.Run({"LPOP", "l"}) == kNil);
  CHECK(r.Run({"LPOP", "l", "2"}) == "*-1\r\n");
  CHECK(r.Run({"LPUSHX", "l", "a"}) == Int(0));
  CHECK(r.Run({"EXISTS", "l"}) == Int(0));
  CHECK(r.Run({"RPUSH", "l", "1", "2", "3", "4"}) == Int(4));
  CHECK(r.Run({"RPUSHX", "l", "5"}) == Int(5));
  CHECK(r.Run({"LPOP", "l", "0"}) == kEmptyArray);
  CHECK(r.Run({"RPOP", "l", "2"}) == BulkArray({"5", "4"}));
  CHECK(r.Run({"LPOP", "l", "10"}) == BulkArray({"1", "2", "3"}));
  CHECK(r.Run({"EXISTS", "l"}) == Int(0));
  CHECK(r.Run({"LPOP", "l", "-1"}) == Err("ERR value is out of range, must be positive"));
  CHECK(r.Run({"LPOP", "l", "x"}) == Err("ERR value is out of range, must be positive"));
  CHECK(r.Run({"LPOP", "l", "1", "2"}) == Err("ERR wrong number of arguments for 'lpop' command"));
  CHECK(r.Run({"SET", "s", "v"}) == kOk);
  CHECK(r.Run({"LPUSH", "s", "a"}) == kWrongType);
  CHECK(r.Run({"LPOP", "s"}) == kWrongType);
  CHECK(r.Run({"LLEN", "s"}) == kWrongType);
}

TEST_CASE("RESP3 nulls of the list commands") {
  CommandRunner r;
  r.client().resp = 3;
  CHECK(r.Run({"LPOP", "none"}) == "_\r\n");
  CHECK(r.Run({"LPOP", "none", "1"}) == "_\r\n");
  CHECK(r.Run({"LINDEX", "none", "0"}) == "_\r\n");
  CHECK(r.Run({"LMPOP", "1", "none", "LEFT"}) == "_\r\n");
  CHECK(r.Run({"LPOS", "none", "a", "COUNT", "0"}) == kEmptyArray);
}

TEST_CASE("LRANGE / LINDEX / LSET / LLEN") {
  CommandRunner r;
  r.Run({"RPUSH", "l", "a", "b", "c", "d"});
  CHECK(r.Run({"LLEN", "l"}) == Int(4));
  CHECK(r.Run({"LRANGE", "l", "1", "2"}) == BulkArray({"b", "c"}));
  CHECK(r.Run({"LRANGE", "l", "-2", "100"}) == BulkArray({"c", "d"}));
  CHECK(r.Run({"LRANGE", "l", "3", "1"}) == kEmptyArray);
  CHECK(r.Run({"LRANGE", "missing", "0", "-1"}) == kEmptyArray);
  CHECK(r.Run({"LRANGE", "l", "x", "1"}) == Err("ERR value is not an integer or out of range"));
  CHECK(r.Run({"LINDEX", "l", "-1"}) == Bulk("d"));
  CHECK(r.Run({"LINDEX", "l", "4"}) == kNil);
  CHECK(r.Run({"LINDEX", "missing", "x"}) == kNil);  // the key is looked up first
  CHECK(r.Run({"LSET", "l", "1", "B"}) == kOk);
  CHECK(r.Run({"LSET", "l", "9", "B"}) == Err("ERR index out of range"));
  CHECK(r.Run({"LSET", "missing", "0", "B"}) == Err("ERR no such key"));
  CHECK(r.Run({"LRANGE", "l", "0", "-1"}) == BulkArray({"a", "B", "c", "d"}));
}

TEST_CASE("LINSERT / LREM / LTRIM / LPOS") {
  CommandRunner r;
  r.Run({"RPUSH", "l", "a", "b", "a", "c", "a"});
  CHECK(r.Run({"LINSERT", "l", "BEFORE", "c", "x"}) == Int(6));
  CHECK(r.Run({"LINSERT", "l", "AFTER", "zz", "x"}) == Int(-1));
  CHECK(r.Run({"LINSERT", "l", "MIDDLE", "c", "x"}) == Err("ERR syntax error"));
  CHECK(r.Run({"LINSERT", "none", "AFTER", "c", "x"}) == Int(0));
  CHECK(r.Run({"LPOS", "l", "a"}) == Int(0));
  CHECK(r.Run({"LPOS", "l", "a", "RANK", "-1"}) == Int(5));
  CHECK(r.Run({"LPOS", "l", "a", "COUNT", "0"}) == ArrayOf({Int(0), Int(2), Int(5)}));
  CHECK(r.Run({"LPOS", "l", "a", "RANK", "2", "COUNT", "1"}) == ArrayOf({Int(2)}));
  CHECK(r.Run({"LPOS", "l", "a", "MAXLEN", "2"}) == Int(0));
  CHECK(r.Run({"LPOS", "l", "a", "RANK", "-1", "MAXLEN", "1"}) == Int(5));
  CHECK(r.Run({"LPOS", "l", "q"}) == kNil);
  CHECK(r.Run({"LPOS", "l", "a", "RANK", "0"}) ==
        Err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list"));
  CHECK(r.Run({"LREM", "l", "-1", "a"}) == Int(1));
  CHECK(r.Run({"LRANGE", "l", "0", "-1"}) == BulkArray({"a", "b", "a", "x", "c"}));
  CHECK(r.Run({"LREM", "l", "0", "a"}) == Int(2));
  CHECK(r.Run({"LTRIM", "l", "1", "-1"}) == kOk);
  CHECK(r.Run({"LRANGE", "l", "0", "-1"}) == BulkArray({"x", "c"}));
  CHECK(r.Run({"LTRIM", "l", "5", "10"}) == kOk);
  CHECK(r.Run({"EXISTS", "l"}) == Int(0));
}

TEST_CASE("LMOVE / RPOPLPUSH / LMPOP") {
  CommandRunner r;
  r.Run({"RPUSH", "src", "a", "b"});
  CHECK(r.Run({"RPOPLPUSH", "src", "dst"}) == Bulk("b"));
  CHECK(r.Run({"LMOVE", "src", "dst", "LEFT", "RIGHT"}) == Bulk("a"));
  CHECK(r.Run({"EXISTS", "src"}) == Int(0));
  CHECK(r.Run({"LRANGE", "dst", "0", "-1"}) == BulkArray({"b", "a"}));
  CHECK(r.Run({"LMOVE", "dst", "dst", "LEFT", "RIGHT"}) == Bulk("b"));
  CHECK(r.Run({"LRANGE", "dst", "0", "-1"}) == BulkArray({"a", "b"}));
  CHECK(r.Run({"LMOVE", "none", "dst", "LEFT", "RIGHT"}) == kNil);
  CHECK(r.Run({"LMOVE", "dst", "x", "UP", "RIGHT"}) == Err("ERR syntax error"));
  r.Run({"SET", "s", "v"});
  CHECK(r.Run({"LMOVE", "dst", "s", "LEFT", "RIGHT"}) == kWrongType);
  CHECK(r.Run({"LRANGE", "dst", "0", "-1"}) == BulkArray({"a", "b"}));
  CHECK(r.Run({"LMOVE", "none", "s", "LEFT", "RIGHT"}) == kNil);
  CHECK(r.Run({"LMPOP", "2", "none", "dst", "RIGHT", "COUNT", "5"}) ==
        ArrayOf({Bulk("dst"), BulkArray({"b", "a"})}));
  CHECK(r.Run({"EXISTS", "dst"}) == Int(0));
  CHECK(r.Run({"LMPOP", "1", "none", "LEFT"}) == "*-1\r\n");
  CHECK(r.Run({"LMPOP", "2", "s", "none", "LEFT"}) == kWrongType);
  CHECK(r.Run({"LMPOP", "0", "a", "LEFT"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(r.Run({"LMPOP", "2", "a", "LEFT"}) == Err("ERR syntax error"));
  CHECK(r.Run({"LMPOP", "1", "a", "LEFT", "COUNT", "0"}) ==
        Err("ERR count should be greater than 0"));
}

TEST_CASE("list writes report their changes in ctx.dirty") {
  CommandRunner r;
  CHECK(r.RunDirty({"RPUSH", "l", "a", "b", "a"}).dirty == 3);
  CHECK(r.RunDirty({"LPUSHX", "none", "a"}).dirty == 0);
  CHECK(r.RunDirty({"LREM", "l", "0", "zz"}).dirty == 0);
  CHECK(r.RunDirty({"LREM", "l", "0", "a"}).dirty == 2);
  CHECK(r.RunDirty({"LINSERT", "l", "AFTER", "zz", "x"}).dirty == 0);
  CHECK(r.RunDirty({"LINSERT", "l", "AFTER", "b", "x"}).dirty == 1);
  CHECK(r.RunDirty({"LTRIM", "l", "0", "-1"}).dirty == 0);
  CHECK(r.RunDirty({"LSET", "l", "0", "y"}).dirty == 1);
  CHECK(r.RunDirty({"LPOP", "none"}).dirty == 0);
  CHECK(r.RunDirty({"LPOP", "l", "0"}).dirty == 0);
  CHECK(r.RunDirty({"LMOVE", "none", "l", "LEFT", "LEFT"}).dirty == 0);
  CHECK(r.RunDirty({"LMOVE", "l", "m", "LEFT", "LEFT"}).dirty > 0);
  CHECK(r.RunDirty({"LMPOP", "2", "l", "m", "LEFT", "COUNT", "3"}).dirty == 1);
  CHECK(r.RunDirty({"RPOP", "m", "3"}).dirty == 1);
  CHECK(r.RunDirty({"LMPOP", "1", "m", "LEFT"}).dirty == 0);
}

TEST_CASE("lists expire lazily and keep their TTL across edits") {
  CommandRunner r;
  r.Run({"RPUSH", "l", "a", "b"});
  CHECK(r.Run({"PEXPIRE", "l", "100"}) == Int(1));
  CHECK(r.Run({"RPUSH", "l", "c"}) == Int(3));
  CHECK(r.Run({"PTTL", "l"}) == Int(100));
  r.Advance(100);
  CHECK(r.Run({"LLEN", "l"}) == Int(0));
  CHECK(r.Run({"RPUSHX", "l", "x"}) == Int(0));
  CHECK(r.Run({"RPUSH", "l", "x"}) == Int(1));
  CHECK(r.Run({"PTTL", "l"}) == Int(-1));
}

TEST_CASE("list_ops: pop and move for the blocking commands") {
  using namespace strata::cmd::list_ops;
  CommandRunner r;
  r.Run({"RPUSH", "l", "a", "b", "c"});
  r.Run({"SET", "s", "v"});
  auto& db = r.keyspace().db(0);
  strata::storage::KeyRef l = db.Ref("l"), s = db.Ref("s"), none = db.Ref("none");
  std::vector<std::string> got;
  {
    strata::storage::ShardLock lock(l);
    CHECK(Pop(l, r.now_ms, End::kRight, 2, &got) == Status::kOk);
  }
  CHECK(got == std::vector<std::string>{"c", "b"});
  {
    strata::storage::ShardLock lock(s);
    CHECK(Pop(s, r.now_ms, End::kLeft, 1, &got) == Status::kWrongType);
  }
  {
    strata::storage::ShardLock lock(none);
    CHECK(Pop(none, r.now_ms, End::kLeft, 1, &got) == Status::kEmpty);
  }
  std::string moved;
  {
    strata::storage::LockSet lock;
    lock.Add(l.shard);
    lock.Add(s.shard);
    lock.Lock();
    CHECK(Move(l, s, r.now_ms, End::kLeft, End::kLeft, &moved) == Status::kWrongType);
  }
  {
    strata::storage::LockSet lock;
    lock.Add(l.shard);
    lock.Add(none.shard);
    lock.Lock();
    CHECK(Move(l, none, r.now_ms, End::kLeft, End::kRight, &moved) == Status::kOk);
    CHECK(moved == "a");
  }
  CHECK(r.Run({"EXISTS", "l"}) == Int(0));
  CHECK(r.Run({"LRANGE", "none", "0", "-1"}) == BulkArray({"a"}));
}
