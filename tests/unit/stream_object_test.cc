// StreamObject: node splits at Redis's boundaries, deletions, trimming across nodes, ranges in
// both directions, and the ends of the ID space; checked against a plain std::map model.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "storage/limits.h"
#include "storage/stream_object.h"

using namespace strata::storage;

namespace {

using Model = std::map<std::pair<uint64_t, uint64_t>, std::vector<std::string>>;

void Add(StreamObject& s, Model& m, StreamID id, std::vector<std::string> pairs) {
  std::vector<std::string_view> v(pairs.begin(), pairs.end());
  s.Append(id, v.data(), v.size());
  m[{id.ms, id.seq}] = std::move(pairs);
}

// The stream's entries in [start, end] (reverse: descending), as the model's shape.
Model Contents(const StreamObject& s, StreamID start = {}, StreamID end = StreamID::Max()) {
  Model out;
  s.Range(start, end, false, 0, [&](StreamID id, const StreamFields& f) {
    std::vector<std::string>& pairs = out[{id.ms, id.seq}];
    for (size_t i = 0; i < f.size(); ++i) {
      pairs.emplace_back(f.fields[i]);
      pairs.emplace_back(f.values[i]);
    }
    return true;
  });
  return out;
}

struct NodeLimits {  // restores the node limits after a test
  int64_t bytes = Limits().stream_node_max_bytes, entries = Limits().stream_node_max_entries;
  ~NodeLimits() {
    Limits().stream_node_max_bytes = bytes;
    Limits().stream_node_max_entries = entries;
  }
};

}  // namespace

TEST_CASE("stream IDs: order, formatting, the ends of the ID space") {
  StreamID a{1, 2}, b{1, 3}, c{2, 0};
  CHECK(a < b);
  CHECK(b < c);
  CHECK(StreamID{}.IsZero());
  CHECK(StreamID::Max().IsMax());
  CHECK(StreamID::Max().ToString() == "18446744073709551615-18446744073709551615");
  StreamID m = StreamID::Max();
  CHECK_FALSE(m.Increment());
  StreamID z;
  CHECK_FALSE(z.Decrement());
  StreamID x{5, UINT64_MAX};
  REQUIRE(x.Increment());
  CHECK(x == StreamID{6, 0});
  REQUIRE(x.Decrement());
  CHECK(x == StreamID{5, UINT64_MAX});
}

TEST_CASE("stream nodes split where Redis's listpacks do") {
  NodeLimits restore;
  StreamObject s;
  Model m;
  for (uint64_t i = 1; i <= 250; ++i) Add(s, m, {i, 0}, {"f", "v"});
  CHECK(s.num_nodes() == 3);  // 100 + 100 + 50 (stream-node-max-entries)
  // 100-byte values: the 4096-byte listpack bound cuts at 36 entries, as redis-server does.
  StreamObject big;
  Model mb;
  for (uint64_t i = 1; i <= 60; ++i) Add(big, mb, {i, 0}, {"f", std::string(100, 'x')});
  CHECK(big.TrimMaxLen(1, true, 0) == 36);
  Limits().stream_node_max_entries = 10;
  StreamObject small;
  for (uint64_t i = 1; i <= 45; ++i) Add(small, m, {i, 0}, {"f", "v"});
  CHECK(small.num_nodes() == 5);
}

TEST_CASE("stream ranges, deletions and trims agree with a model") {
  NodeLimits restore;
  Limits().stream_node_max_entries = 7;
  std::mt19937_64 rng(42);
  StreamObject s;
  Model m;
  uint64_t ms = 1;
  for (int step = 0; step < 3000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 5) {
      ms += rng() % 3;
      StreamID id{ms, rng() % 4};
      if (id <= s.last_id()) id = {s.last_id().ms, s.last_id().seq + 1};
      std::vector<std::string> pairs = {rng() % 2 ? "f" : "g", std::to_string(rng() % 100)};
      if (rng() % 3 == 0) pairs.insert(pairs.end(), {"h", ""});
      Add(s, m, id, pairs);
    } else if (op < 7 && !m.empty()) {
      auto it = m.begin();
      std::advance(it, rng() % m.size());
      StreamID id{it->first.first, it->first.second};
      CHECK(s.Delete(id));
      CHECK_FALSE(s.Delete(id));
      m.erase(it);
    } else if (op == 7) {
      const uint64_t maxlen = rng() % 40;
      const bool approx = rng() % 2;
      uint64_t removed = s.TrimMaxLen(maxlen, approx, 0);
      for (uint64_t i = 0; i < removed; ++i) m.erase(m.begin());
      if (!approx) CHECK(s.length() == std::min<uint64_t>(maxlen, m.size() + 0));
    } else if (op == 8) {
      StreamID minid{ms > 20 ? ms - rng() % 20 : 0, 0};
      const bool approx = rng() % 2;
      uint64_t removed = s.TrimMinId(minid, approx, 0);
      for (uint64_t i = 0; i < removed; ++i) m.erase(m.begin());
      if (!approx && !m.empty()) CHECK(StreamID{m.begin()->first.first, m.begin()->first.second} >= minid);
    } else {  // a range in both directions
      StreamID lo{ms > 10 ? ms - rng() % 10 : 0, rng() % 4}, hi{lo.ms + rng() % 6, rng() % 4};
      Model want;
      for (const auto& [k, v] : m)
        if (StreamID{k.first, k.second} >= lo && StreamID{k.first, k.second} <= hi) want[k] = v;
      CHECK(Contents(s, lo, hi) == want);
      std::vector<StreamID> rev;
      s.Range(lo, hi, true, 3, [&](StreamID id, const StreamFields&) {
        rev.push_back(id);
        return true;
      });
      size_t n = 0;
      for (auto it = want.rbegin(); it != want.rend() && n < 3; ++it, ++n)
        CHECK(rev[n] == StreamID{it->first.first, it->first.second});
      CHECK(rev.size() == std::min<size_t>(3, want.size()));
    }
    REQUIRE(s.length() == m.size());
  }
  CHECK(Contents(s) == m);
  // A clone is independent.
  std::unique_ptr<StreamObject> copy(static_cast<StreamObject*>(s.Clone()));
  CHECK(Contents(*copy) == m);
  if (!m.empty()) {
    StreamID first{m.begin()->first.first, m.begin()->first.second};
    CHECK(s.first_id() == first);
    CHECK(copy->Delete(first));
    CHECK(Contents(s) == m);
  }
}

TEST_CASE("a cloned stream's pending entries belong to the clone's consumers") {
  // A pending entry points at its consumer (a std::map iterator): a copy must re-point them, or
  // they would reach into the original, freed below (AddressSanitizer would report the use).
  auto s = std::make_unique<StreamObject>();
  const std::string_view pair[] = {"f", "v"};
  for (uint64_t ms = 1; ms <= 50; ++ms) s->Append({ms, 0}, pair, 2);
  StreamGroup& g = s->groups()["g"];
  for (const char* name : {"alice", "bob", "carol"}) g.consumers[name].seen_time = 7;
  for (uint64_t ms = 1; ms <= 50; ++ms) {
    auto c = g.consumers.find(ms % 3 == 0 ? "alice" : ms % 3 == 1 ? "bob" : "carol");
    StreamNack& n = g.pel[{ms, 0}];
    n.consumer = c;
    n.delivery_count = ms;
    c->second.pending.insert({ms, 0});
  }
  std::unique_ptr<StreamObject> copy(static_cast<StreamObject*>(s->Clone()));
  StreamGroup assigned;
  assigned = g;  // copy assignment re-points as well
  s.reset();
  const StreamGroup* const copies[] = {&copy->groups().at("g"), &assigned};
  for (const StreamGroup* cg : copies) {
    REQUIRE(cg->pel.size() == 50);
    for (const auto& [id, n] : cg->pel) {
      const char* want = id.ms % 3 == 0 ? "alice" : id.ms % 3 == 1 ? "bob" : "carol";
      CHECK(n.consumer->first == want);
      CHECK(&*n.consumer == &*cg->consumers.find(want));  // the clone's own consumer
      CHECK(n.consumer->second.pending.count(id) == 1);
      CHECK(n.delivery_count == id.ms);
    }
  }
}
