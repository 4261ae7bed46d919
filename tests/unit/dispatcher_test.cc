// The dispatcher (server/dispatcher.h) without a server: key resolution from the key specs, the
// locks a handler runs under, WATCH marks of written keys only, and the registry's flush rule.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/dispatcher.h"
#include "server/transaction.h"
#include "tests/unit/command_runner.h"

using namespace strata;
using strata::testing::CommandRunner;
using strata::testing::Int;
using strata::testing::kOk;

namespace {

// What a probe command saw while its handler ran.
struct Seen {
  std::vector<cmd::ResolvedKey> keys;
  bool held_all_db_shards = false;
  bool held_other_db_shard = false;
  bool keys_held = false;
};
Seen g_seen;

void Probe(cmd::CommandContext& ctx) {
  g_seen = Seen();
  g_seen.keys.assign(ctx.keys.begin(), ctx.keys.end());
  g_seen.keys_held = true;
  for (const cmd::ResolvedKey& k : ctx.keys) g_seen.keys_held &= ctx.held->Holds(k.ref.shard);
  storage::Db& db = ctx.db();
  g_seen.held_all_db_shards = true;
  for (size_t i = 0; i < db.num_shards(); ++i)
    g_seen.held_all_db_shards &= ctx.held->Holds(&db.shard(i));
  g_seen.held_other_db_shard = ctx.held->Holds(&ctx.keyspace->db(1).shard(0));
  ctx.out->Ok();
}

void RegisterProbes(cmd::CommandRegistry& r) {
  using namespace cmd;
  r.Register(MakeSpec("probe.keys", -2, kReadOnly,
                      {Key(1, kKeyRW | kKeyAccess | kKeyDelete), KeyNum(2, 0, 1, 1, kKeyRO)},
                      Probe, "generic", "1.0.0", "test", ""));
  r.Register(MakeSpec("probe.db", 1, kReadOnly | kReachDb, {}, Probe, "generic", "1.0.0", "test",
                      ""));
  CommandSpec move = MakeSpec("probe.move", 3, kWrite, {Key(1, kKeyRW | kKeyAccess | kKeyUpdate)},
                              Probe, "generic", "1.0.0", "test", "");
  move.target_db = TargetDb{2, nullptr, 1, true};
  r.Register(std::move(move));
  CommandSpec copy = MakeSpec("probe.copy", -3, kWrite,
                              {Key(1, kKeyRO | kKeyAccess), Key(2, kKeyOW | kKeyUpdate)}, Probe,
                              "generic", "1.0.0", "test", "");
  copy.target_db = TargetDb{0, "DB", 2, false};
  r.Register(std::move(copy));
}

}  // namespace

TEST_CASE("dispatcher: keys come from the key specs, resolved once, their shards held") {
  CommandRunner r;
  RegisterProbes(r.registry());
  CHECK(r.Run({"PROBE.KEYS", "dst", "2", "a", "b", "tail"}) == kOk);
  REQUIRE(g_seen.keys.size() == 3);
  CHECK(g_seen.keys[0].pos == 1);
  CHECK(g_seen.keys[0].flags == (cmd::kKeyRW | cmd::kKeyAccess | cmd::kKeyDelete));
  CHECK(g_seen.keys[1].pos == 3);
  CHECK(g_seen.keys[2].pos == 4);
  CHECK(g_seen.keys[2].flags == cmd::kKeyRO);
  CHECK(g_seen.keys[1].ref.hash == storage::HashKey("a"));
  CHECK(g_seen.keys_held);
  CHECK_FALSE(g_seen.held_all_db_shards);
  // A numkeys that does not fit: no keys, the handler rejects the arguments itself.
  CHECK(r.Run({"PROBE.KEYS", "dst", "9", "a"}) == kOk);
  CHECK(g_seen.keys.empty());
}

TEST_CASE("dispatcher: kReachDb holds every shard of the client's database, nothing else") {
  CommandRunner r;
  RegisterProbes(r.registry());
  CHECK(r.Run({"PROBE.DB"}) == kOk);
  CHECK(g_seen.held_all_db_shards);
  CHECK_FALSE(g_seen.held_other_db_shard);
}

TEST_CASE("dispatcher: target_db puts MOVE's and COPY ... DB's key in the other database") {
  CommandRunner r;
  RegisterProbes(r.registry());
  CHECK(r.Run({"PROBE.MOVE", "k", "1"}) == kOk);
  REQUIRE(g_seen.keys.size() == 2);  // in db 0 and in db 1
  CHECK(g_seen.keys[0].db == 0);
  CHECK(g_seen.keys[1].db == 1);
  CHECK(g_seen.keys[1].ref.shard == r.keyspace().db(1).Ref("k").shard);
  CHECK(g_seen.keys_held);
  CHECK(r.Run({"PROBE.MOVE", "k", "99"}) == kOk);  // not a database: only the client's
  CHECK(g_seen.keys.size() == 1);
  CHECK(r.Run({"PROBE.COPY", "a", "b", "REPLACE", "db", "1"}) == kOk);
  REQUIRE(g_seen.keys.size() == 2);
  CHECK(g_seen.keys[0].db == 0);
  CHECK(g_seen.keys[1].db == 1);
  CHECK(r.Run({"PROBE.COPY", "a", "b"}) == kOk);
  REQUIRE(g_seen.keys.size() == 2);
  CHECK(g_seen.keys[1].db == 0);
}

TEST_CASE("dispatcher: a write marks the WATCHers of the keys it wrote, only when it changed "
          "something, never of keys it only read") {
  CommandRunner r;
  server::WatchState w;
  auto watch = [&](const char* key) {
    r.watches().UnwatchAll(&w);
    w.keys.push_back({0, key, storage::kNoExpire});
    r.watches().Watch(0, key, &w);
  };
  watch("k");
  CHECK(r.Run({"GET", "k"}) == "$-1\r\n");
  CHECK_FALSE(w.dirty.load());
  CHECK(r.Run({"DEL", "k"}) == Int(0));  // nothing changed
  CHECK_FALSE(w.dirty.load());
  CHECK(r.Run({"SET", "other", "v"}) == kOk);
  CHECK_FALSE(w.dirty.load());
  CHECK(r.Run({"SET", "k", "v"}) == kOk);
  CHECK(w.dirty.load());

  watch("src");  // ZUNIONSTORE reads its sources: only the destination is marked
  CHECK(r.Run({"ZADD", "src", "1", "a"}) == Int(1));
  w.dirty = false;
  CHECK(r.Run({"ZUNIONSTORE", "dst", "1", "src"}) == Int(1));
  CHECK_FALSE(w.dirty.load());
  watch("dst");
  CHECK(r.Run({"ZUNIONSTORE", "dst", "1", "src"}) == Int(1));
  CHECK(w.dirty.load());

  watch("to");  // LMOVE writes both keys
  CHECK(r.Run({"RPUSH", "from", "x"}) == Int(1));
  CHECK(r.Run({"LMOVE", "from", "to", "LEFT", "LEFT"}) == "$1\r\nx\r\n");
  CHECK(w.dirty.load());
  r.watches().UnwatchAll(&w);
}

TEST_CASE("watch registry: a flush marks the watchers of keys that existed, not of missing ones") {
  server::WatchRegistry reg;
  server::WatchState a, b, c;
  a.keys.push_back({0, "there", storage::kNoExpire});
  reg.Watch(0, "there", &a);
  b.keys.push_back({0, "missing", storage::kNoExpire});
  reg.Watch(0, "missing", &b);
  c.keys.push_back({1, "there", storage::kNoExpire});
  reg.Watch(1, "there", &c);
  auto existed = [](size_t, std::string_view key) { return key == "there"; };
  reg.TouchFlushed(0, existed);  // FLUSHDB of db 0
  CHECK(a.dirty.load());
  CHECK_FALSE(b.dirty.load());
  CHECK_FALSE(c.dirty.load());
  reg.TouchFlushed(SIZE_MAX, existed);  // FLUSHALL
  CHECK(c.dirty.load());
  CHECK_FALSE(b.dirty.load());
  for (server::WatchState* w : {&a, &b, &c}) reg.UnwatchAll(w);
  CHECK(reg.empty());
}
