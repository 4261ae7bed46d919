// Key specs as data: GetKeys over each begin_search / find_keys kind (with made-up specs where no
// registered command uses one yet), SET's variable flags and kKeyBlind, the legacy (first, last,
// step) triple and movablekeys the registry derives, and the reach flags.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/command.h"
#include "tests/unit/command_runner.h"

using namespace strata;
using namespace strata::cmd;

namespace {

CommandSpec WithKeys(std::vector<KeySpec> keys, uint32_t flags = kWrite) {
  return MakeSpec("x", -1, flags, std::move(keys), nullptr, "generic", "1.0.0", "", "");
}

// (position, flags) of each key GetKeys finds; {{-1, 0}} when it returns false.
std::vector<std::pair<int, uint32_t>> Keys(const CommandSpec& spec, std::vector<std::string> args) {
  std::vector<std::string_view> argv(args.begin(), args.end());
  KeyArgs out;
  out.push_back({99, 99});  // GetKeys starts from an empty list
  if (!GetKeys(spec, argv.data(), argv.size(), &out)) {
    CHECK(out.empty());
    return {{-1, 0}};
  }
  std::vector<std::pair<int, uint32_t>> got;
  for (const KeyArg& k : out) got.emplace_back(static_cast<int>(k.pos), k.flags);
  return got;
}

std::vector<int> Positions(const CommandSpec& spec, std::vector<std::string> args) {
  std::vector<int> pos;
  for (const auto& [p, f] : Keys(spec, std::move(args))) pos.push_back(p);
  return pos;
}

using Pos = std::vector<int>;
const Pos kNoFit = {-1};

constexpr uint32_t kR = kKeyRO | kKeyAccess, kW = kKeyOW | kKeyUpdate;

// A spec registered the way the family files do, to see what the registry derives.
const CommandSpec& Registered(CommandRegistry& r, std::vector<KeySpec> keys,
                              uint32_t flags = kWrite) {
  CommandSpec s = WithKeys(std::move(keys), flags);
  s.name = "cmd" + std::to_string(r.num_ids());
  r.Register(std::move(s));
  return *r.all().back();
}

struct Triple {
  int first, last, step;
  bool movable;
  bool operator==(const Triple& o) const {
    return first == o.first && last == o.last && step == o.step && movable == o.movable;
  }
};
Triple TripleOf(const CommandSpec& s) {
  return {s.first_key, s.last_key, s.key_step, (s.flags & kMovableKeys) != 0};
}
doctest::String toString(const Triple& t) {
  return (std::to_string(t.first) + "," + std::to_string(t.last) + "," + std::to_string(t.step) +
          (t.movable ? " movable" : ""))
      .c_str();
}

}  // namespace

TEST_CASE("GetKeys: index begin_search with a range") {
  // One key.
  CommandSpec get = WithKeys({Key(1, kR)});
  CHECK(Keys(get, {"GET", "a"}) == std::vector<std::pair<int, uint32_t>>{{1, kR}});
  CHECK(Positions(get, {"GET"}) == kNoFit);  // the key would be past the end
  // Every second argument up to the last (MSET); an odd count still names the keys it has.
  CommandSpec mset = WithKeys({KeyRange(1, -1, 2, kW)});
  CHECK(Positions(mset, {"MSET", "a", "1", "b", "2", "c", "3"}) == Pos{1, 3, 5});
  CHECK(Positions(mset, {"MSET", "a", "1", "b"}) == Pos{1, 3});
  // Up to the one before the last (BLPOP key... timeout).
  CommandSpec blpop = WithKeys({KeyRange(1, -2, 1, kR)});
  CHECK(Positions(blpop, {"BLPOP", "a", "b", "c", "0"}) == Pos{1, 2, 3});
  CHECK(Positions(blpop, {"BLPOP", "a", "0"}) == Pos{1});
  CHECK(Positions(blpop, {"BLPOP", "0"}) == kNoFit);  // ends before it begins
  // A fixed count after the first, every second one.
  CommandSpec fixed = WithKeys({KeyRange(2, 2, 2, kR)});
  CHECK(Positions(fixed, {"X", "y", "a", "v", "b"}) == Pos{2, 4});
  CHECK(Positions(fixed, {"X", "y", "a", "v"}) == kNoFit);  // runs past argc
  // A limit: keys are the first 1/limit of what follows (XREAD's keys then ids).
  CommandSpec half = WithKeys({KeyRange(1, -1, 1, kR)});
  half.key_specs[0].limit = 2;
  CHECK(Positions(half, {"X", "a", "b", "c", "1", "2", "3"}) == Pos{1, 2, 3});
  // Several specs: keys in spec order, each with its spec's flags (LMOVE).
  CommandSpec lmove =
      WithKeys({Key(1, kKeyRW | kKeyAccess | kKeyDelete), Key(2, kKeyRW | kKeyInsert)});
  CHECK(Keys(lmove, {"LMOVE", "a", "b", "LEFT", "RIGHT"}) ==
        std::vector<std::pair<int, uint32_t>>{{1, kKeyRW | kKeyAccess | kKeyDelete},
                                              {2, kKeyRW | kKeyInsert}});
  // No specs: no keys, and that fits.
  CHECK(Positions(WithKeys({}), {"PING", "a"}).empty());
}

TEST_CASE("GetKeys: keynum") {
  // ZUNIONSTORE destination numkeys key... [WEIGHTS ...]
  CommandSpec zus = WithKeys({Key(1, kW), KeyNum(2, 0, 1, 1, kR)});
  CHECK(Keys(zus, {"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}) ==
        std::vector<std::pair<int, uint32_t>>{{1, kW}, {3, kR}, {4, kR}});
  CHECK(Positions(zus, {"ZUNIONSTORE", "d", "1", "a"}) == Pos{1, 3});
  // The count must be a non-negative integer naming at least one key, all within argc.
  CHECK(Positions(zus, {"ZUNIONSTORE", "d", "0", "a"}) == kNoFit);
  CHECK(Positions(zus, {"ZUNIONSTORE", "d", "-1", "a"}) == kNoFit);
  CHECK(Positions(zus, {"ZUNIONSTORE", "d", "abc", "a"}) == kNoFit);
  CHECK(Positions(zus, {"ZUNIONSTORE", "d", "2x", "a", "b"}) == kNoFit);
  CHECK(Positions(zus, {"ZUNIONSTORE", "d", "", "a"}) == kNoFit);
  CHECK(Positions(zus, {"ZUNIONSTORE", "d", "3", "a", "b"}) == kNoFit);
  CHECK(Positions(zus, {"ZUNIONSTORE", "d", "9223372036854775807", "a"}) == kNoFit);
  CHECK(Positions(zus, {"ZUNIONSTORE", "d"}) == kNoFit);  // no count at all
  // BLMPOP timeout numkeys key...: the count right at the begin index.
  CommandSpec blmpop = WithKeys({KeyNum(2, 0, 1, 1, kR)});
  CHECK(Positions(blmpop, {"BLMPOP", "0", "2", "a", "b", "LEFT"}) == Pos{3, 4});
  // A count after a gap, keys every second argument (made up).
  CommandSpec pairs = WithKeys({KeyNum(1, 1, 2, 2, kR)});
  CHECK(Positions(pairs, {"X", "y", "2", "a", "v", "b", "v"}) == Pos{3, 5});
  CHECK(Positions(pairs, {"X", "y", "2", "a", "v"}) == kNoFit);
}

TEST_CASE("GetKeys: keyword begin_search, forwards and backwards (made-up specs)") {
  // Forwards from argument 1: XREAD [COUNT n] STREAMS key... id...
  CommandSpec xread = WithKeys({KeyAfter("STREAMS", 1, -1, 1, 2, kR)});
  CHECK(Positions(xread, {"XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"}) == Pos{4, 5});
  CHECK(Positions(xread, {"XREAD", "streams", "a", "0"}) == Pos{2});  // any case
  // No keyword: the spec names no key, which is not an error.
  CHECK(Positions(xread, {"XREAD", "COUNT", "2"}).empty());
  // A keyword in the last argument has nothing after it: not taken when searching forwards.
  CHECK(Positions(xread, {"XREAD", "x", "STREAMS"}).empty());
  // The search starts at startfrom: an earlier STREAMS is not seen.
  CommandSpec from3 = WithKeys({KeyAfter("K", 3, 0, 1, 0, kR)});
  CHECK(Positions(from3, {"X", "K", "a", "K", "b"}) == Pos{4});
  // Backwards from the second to last argument: GEORADIUS ... [STORE key] (the last STORE wins).
  CommandSpec store = WithKeys({Key(1, kR), KeyAfter("STORE", -2, 0, 1, 0, kW)});
  CHECK(Keys(store, {"G", "src", "STORE", "x", "store", "dst"}) ==
        std::vector<std::pair<int, uint32_t>>{{1, kR}, {5, kW}});
  CHECK(Positions(store, {"G", "src", "m", "1"}) == Pos{1});
  // Backwards from the last argument: a keyword there has no key after it.
  CommandSpec last = WithKeys({KeyAfter("K", -1, 0, 1, 0, kR)});
  CHECK(Positions(last, {"X", "a", "K"}) == kNoFit);
  CHECK(Positions(last, {"X", "K", "a"}) == Pos{2});
  // Keyword then keynum (made up).
  CommandSpec kn = WithKeys({KeyAfter("KEYS", 1, 0, 1, 0, kR)});
  kn.key_specs[0].find = KeySpec::Find::kKeynum;
  kn.key_specs[0].keynumidx = 0;
  kn.key_specs[0].firstkey = 1;
  CHECK(Positions(kn, {"X", "KEYS", "2", "a", "b", "z"}) == Pos{3, 4});
}

TEST_CASE("GetKeys: an incomplete spec cannot say which keys an invocation has") {
  CommandSpec s = WithKeys({Key(1, kR), Key(2, kR | kKeyIncomplete)});
  CHECK(Positions(s, {"X", "a", "b"}) == kNoFit);
}

TEST_CASE("GetKeys: SET's variable flags and kKeyBlind") {
  testing::CommandRunner r;
  const CommandSpec* set = r.registry().Find("set");
  REQUIRE(set != nullptr);
  REQUIRE(set->key_specs.size() == 1);
  // COMMAND INFO's flags for the spec, as Redis 7.0.15 reports them.
  CHECK(set->key_specs[0].flags == (kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags));
  CHECK(set->key_specs[0].notes != nullptr);
  using KF = std::vector<std::pair<int, uint32_t>>;
  const uint32_t kOverwrite = kKeyOW | kKeyUpdate, kGet = kKeyRW | kKeyAccess | kKeyUpdate;
  CHECK(Keys(*set, {"SET", "k", "v"}) == KF{{1, kOverwrite | kKeyBlind}});
  CHECK(Keys(*set, {"SET", "k", "v", "EX", "10"}) == KF{{1, kOverwrite | kKeyBlind}});
  CHECK(Keys(*set, {"SET", "k", "v", "PXAT", "1"}) == KF{{1, kOverwrite | kKeyBlind}});
  CHECK(Keys(*set, {"SET", "k", "v", "GET"}) == KF{{1, kGet}});
  CHECK(Keys(*set, {"SET", "k", "v", "EX", "10", "get"}) == KF{{1, kGet}});
  CHECK(Keys(*set, {"SET", "k", "v", "NX"}) == KF{{1, kOverwrite}});
  CHECK(Keys(*set, {"SET", "k", "v", "xx"}) == KF{{1, kOverwrite}});
  CHECK(Keys(*set, {"SET", "k", "v", "KEEPTTL"}) == KF{{1, kOverwrite}});
  // The value is argument 2, never an option.
  CHECK(Keys(*set, {"SET", "k", "get"}) == KF{{1, kOverwrite | kKeyBlind}});

  // Blind writes are exactly MSET, SETEX, PSETEX (and SET as above).
  for (const char* name : {"mset", "setex", "psetex"}) {
    const CommandSpec* s = r.registry().Find(name);
    REQUIRE(s != nullptr);
    CHECK_MESSAGE((s->key_specs[0].flags & kKeyBlind) != 0, name);
  }
  for (const CommandSpec* s : r.registry().all()) {
    if (s->name == "mset" || s->name == "setex" || s->name == "psetex") continue;
    for (const KeySpec& k : s->key_specs) CHECK_MESSAGE((k.flags & kKeyBlind) == 0, s->name);
    for (const CommandSpec& sub : s->subcommands)
      for (const KeySpec& k : sub.key_specs) CHECK_MESSAGE((k.flags & kKeyBlind) == 0, sub.name);
  }
}

TEST_CASE("registry derives Redis's legacy first/last/step triple and movablekeys") {
  CommandRegistry r;
  // One index + range spec: the triple is that spec, its step included.
  CHECK(TripleOf(Registered(r, {Key(1, kR)})) == Triple{1, 1, 1, false});
  CHECK(TripleOf(Registered(r, {KeyRange(1, -1, 2, kW)})) == Triple{1, -1, 2, false});
  CHECK(TripleOf(Registered(r, {KeyRange(1, -2, 1, kW)})) == Triple{1, -2, 1, false});
  CHECK(TripleOf(Registered(r, {Key(2, kKeyRO)})) == Triple{2, 2, 1, false});
  CHECK(TripleOf(Registered(r, {KeyRange(2, 3, 1, kR)})) == Triple{2, 5, 1, false});
  // Consecutive specs join (LMOVE, SINTERSTORE).
  CHECK(TripleOf(Registered(r, {Key(1, kR), Key(2, kW)})) == Triple{1, 2, 1, false});
  CHECK(TripleOf(Registered(r, {Key(1, kW), KeyRange(2, -1, 1, kR)})) == Triple{1, -1, 1, false});
  CHECK(TripleOf(Registered(r, {Key(1, kW), Key(2, kR), Key(3, kR)})) == Triple{1, 3, 1, false});
  // A keynum spec cannot be in the triple (ZUNIONSTORE, LMPOP, BLMPOP).
  CHECK(TripleOf(Registered(r, {Key(1, kW), KeyNum(2, 0, 1, 1, kR)})) == Triple{1, 1, 1, true});
  CHECK(TripleOf(Registered(r, {KeyNum(1, 0, 1, 1, kR)})) == Triple{0, 0, 0, true});
  CHECK(TripleOf(Registered(r, {KeyNum(2, 0, 1, 1, kR)})) == Triple{0, 0, 0, true});
  // Not consecutive: the later spec is left out.
  CHECK(TripleOf(Registered(r, {Key(1, kR), Key(3, kW)})) == Triple{1, 1, 1, true});
  // A spec counted from the end ends the joining.
  CHECK(TripleOf(Registered(r, {KeyRange(1, -2, 1, kR), Key(2, kW)})) == Triple{1, -2, 1, true});
  // A step other than 1 cannot be joined.
  CHECK(TripleOf(Registered(r, {KeyRange(1, -1, 2, kW), Key(3, kR)})) == Triple{3, 3, 1, true});
  CHECK(TripleOf(Registered(r, {Key(1, kR), KeyRange(2, -1, 2, kW)})) == Triple{1, 1, 1, true});
  // Keyword specs are never in the triple.
  CHECK(TripleOf(Registered(r, {KeyAfter("STREAMS", 1, -1, 1, 2, kR)})) == Triple{0, 0, 0, true});
  CHECK(TripleOf(Registered(r, {Key(1, kR), KeyAfter("STORE", -2, 0, 1, 0, kW)})) ==
        Triple{1, 1, 1, true});
  // Incomplete: used, but movable.
  CHECK(TripleOf(Registered(r, {Key(1, kR | kKeyIncomplete)})) == Triple{1, 1, 1, true});
  CHECK(TripleOf(Registered(r, {Key(1, kR), Key(2, kR | kKeyIncomplete)})) ==
        Triple{1, 2, 1, true});
  // No specs: no keys, not movable; a kMovableKeys given by hand is not trusted.
  CHECK(TripleOf(Registered(r, {})) == Triple{0, 0, 0, false});
  CHECK(TripleOf(Registered(r, {Key(1, kR)}, kWrite | kMovableKeys)) == Triple{1, 1, 1, false});

  // Subcommands are derived too.
  CommandSpec container = WithKeys({}, 0);
  container.name = "box";
  CommandSpec sub = WithKeys({Key(2, kKeyRO)}, kReadOnly);
  sub.name = "box|sub";
  CommandSpec sub2 = WithKeys({KeyNum(2, 0, 1, 1, kR)}, kReadOnly);
  sub2.name = "box|sub2";
  container.subcommands = {sub, sub2};
  r.Register(container);
  const CommandSpec* box = r.Find("box");
  REQUIRE(box != nullptr);
  CHECK(TripleOf(box->subcommands[0]) == Triple{2, 2, 1, false});
  CHECK(TripleOf(box->subcommands[1]) == Triple{0, 0, 0, true});
}

TEST_CASE("registered commands: triples as Redis 7.0.15 reports them, reach flags") {
  testing::CommandRunner r;
  auto triple = [&](const char* name) {
    const CommandSpec* s = r.registry().Find(name);
    REQUIRE_MESSAGE(s != nullptr, name);
    return TripleOf(*s);
  };
  CHECK(triple("lmove") == Triple{1, 2, 1, false});
  CHECK(triple("copy") == Triple{1, 2, 1, false});
  CHECK(triple("zunionstore") == Triple{1, 1, 1, true});
  CHECK(triple("zunion") == Triple{0, 0, 0, true});
  CHECK(triple("lmpop") == Triple{0, 0, 0, true});
  CHECK(triple("blmpop") == Triple{0, 0, 0, true});
  CHECK(triple("sinterstore") == Triple{1, -1, 1, false});
  CHECK(triple("mset") == Triple{1, -1, 2, false});
  CHECK(triple("blpop") == Triple{1, -2, 1, false});
  CHECK(triple("keys") == Triple{0, 0, 0, false});

  // What the dispatcher holds beyond the keys: the reach flags; numkeys commands name their
  // exact keys.
  for (const char* name : {"keys", "scan", "randomkey", "dbsize"})
    CHECK_MESSAGE((r.registry().Find(name)->flags & kReachDb) != 0, name);
  for (const char* name : {"get", "zunionstore", "lmpop", "blmpop", "zunion", "sintercard", "copy"})
    CHECK_MESSAGE((r.registry().Find(name)->flags & (kReachDb | kReachAll)) == 0, name);
  const CommandSpec* move = r.registry().Find("move");
  CHECK(move->target_db.db_arg == 2);
  CHECK(move->target_db.key_arg == 1);
  CHECK(move->target_db.also_client_db);
  const CommandSpec* copy = r.registry().Find("copy");
  CHECK(std::string(copy->target_db.keyword) == "DB");
  CHECK(copy->target_db.key_arg == 2);
  CHECK(!copy->target_db.also_client_db);

  // GetKeys is exact for numkeys forms.
  std::vector<std::string> args = {"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"};
  std::vector<std::string_view> argv(args.begin(), args.end());
  KeyArgs keys;
  REQUIRE(GetKeys(*r.registry().Find("zunionstore"), argv.data(), argv.size(), &keys));
  REQUIRE(keys.size() == 3);
  CHECK(keys[0].pos == 1);
  CHECK(keys[1].pos == 3);
  CHECK(keys[2].pos == 4);
  args = {"ZUNIONSTORE", "d", "x", "a"};
  argv.assign(args.begin(), args.end());
  CHECK_FALSE(GetKeys(*r.registry().Find("zunionstore"), argv.data(), argv.size(), &keys));
}
