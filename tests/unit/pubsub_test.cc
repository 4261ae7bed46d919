// Tests for the pure parts of server/pubsub: the subscription registry (who receives a
// message, grouped by worker; PUBSUB CHANNELS / NUMSUB / NUMPAT) and the output buffer limit
// rule (Redis's checkClientOutputBufferLimits).
#include "server/pubsub.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace strata::server {
namespace {

// The registry only compares worker pointers; these never get dereferenced.
Worker* const kW1 = reinterpret_cast<Worker*>(0x1000);
Worker* const kW2 = reinterpret_cast<Worker*>(0x2000);

const Delivery* Find(const std::vector<Delivery>& ds, Worker* w) {
  for (const Delivery& d : ds)
    if (d.worker == w) return &d;
  return nullptr;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_CASE("registry groups a channel's receivers by worker, in subscription order") {
  PubSubRegistry r;
  r.Add(SubKind::kChannel, "news", {kW1, 1});
  r.Add(SubKind::kChannel, "news", {kW2, 2});
  r.Add(SubKind::kChannel, "news", {kW1, 3});
  r.Add(SubKind::kChannel, "other", {kW2, 4});
  std::vector<Delivery> out;
  CHECK(r.Collect(SubKind::kChannel, "news", &out) == 3);
  REQUIRE(out.size() == 2);
  const Delivery* d1 = Find(out, kW1);
  const Delivery* d2 = Find(out, kW2);
  REQUIRE(d1 != nullptr);
  REQUIRE(d2 != nullptr);
  REQUIRE(d1->targets.size() == 2);
  CHECK(d1->targets[0].client_id == 1);
  CHECK(d1->targets[1].client_id == 3);
  CHECK(d1->targets[0].pattern == -1);
  REQUIRE(d2->targets.size() == 1);
  CHECK(d2->targets[0].client_id == 2);
  CHECK(r.Collect(SubKind::kChannel, "nobody", &out) == 0);
  CHECK(out.empty());
}

TEST_CASE("patterns match with glob rules and count once per (pattern, client)") {
  PubSubRegistry r;
  r.Add(SubKind::kChannel, "news.tech", {kW1, 1});
  r.Add(SubKind::kPattern, "news.*", {kW1, 1});
  r.Add(SubKind::kPattern, "n*", {kW1, 1});
  r.Add(SubKind::kPattern, "news.*", {kW2, 2});
  r.Add(SubKind::kPattern, "h[ae]llo", {kW2, 2});
  std::vector<Delivery> out;
  // Client 1: the channel, then both patterns; client 2: one pattern.
  CHECK(r.Collect(SubKind::kChannel, "news.tech", &out) == 4);
  const Delivery* d1 = Find(out, kW1);
  REQUIRE(d1 != nullptr);
  REQUIRE(d1->targets.size() == 3);
  CHECK(d1->targets[0].pattern == -1);  // channel subscribers come first, as in Redis
  std::vector<std::string> pats;
  for (size_t i = 1; i < 3; ++i) {
    REQUIRE(d1->targets[i].pattern >= 0);
    pats.push_back(d1->patterns[static_cast<size_t>(d1->targets[i].pattern)]);
  }
  CHECK(Sorted(pats) == std::vector<std::string>{"n*", "news.*"});
  const Delivery* d2 = Find(out, kW2);
  REQUIRE(d2 != nullptr);
  REQUIRE(d2->targets.size() == 1);
  CHECK(d2->patterns[static_cast<size_t>(d2->targets[0].pattern)] == "news.*");

  CHECK(r.Collect(SubKind::kChannel, "hallo", &out) == 1);
  CHECK(r.Collect(SubKind::kChannel, "hillo", &out) == 0);
  CHECK(r.Count(SubKind::kPattern) == 3);  // distinct patterns (PUBSUB NUMPAT)
}

TEST_CASE("shard channels are a namespace of their own without patterns") {
  PubSubRegistry r;
  r.Add(SubKind::kShard, "s", {kW1, 1});
  r.Add(SubKind::kPattern, "*", {kW2, 2});
  std::vector<Delivery> out;
  CHECK(r.Collect(SubKind::kShard, "s", &out) == 1);
  CHECK(r.Collect(SubKind::kChannel, "s", &out) == 1);  // only the pattern
  REQUIRE(out.size() == 1);
  CHECK(out[0].worker == kW2);
  CHECK(r.Names(SubKind::kShard, "", true) == std::vector<std::string>{"s"});
  CHECK(r.Names(SubKind::kChannel, "", true).empty());
}

TEST_CASE("removal keeps the others and forgets empty channels") {
  PubSubRegistry r;
  r.Add(SubKind::kChannel, "a", {kW1, 1});
  r.Add(SubKind::kChannel, "a", {kW2, 2});
  r.Add(SubKind::kChannel, "b", {kW1, 1});
  r.Add(SubKind::kPattern, "p*", {kW1, 1});
  CHECK(Sorted(r.Names(SubKind::kChannel, "", true)) == std::vector<std::string>{"a", "b"});
  CHECK(r.Names(SubKind::kChannel, "b*", false) == std::vector<std::string>{"b"});
  CHECK(r.NumSubscribers(SubKind::kChannel, "a") == 2);

  r.Remove(SubKind::kChannel, "a", {kW1, 1});
  r.Remove(SubKind::kChannel, "a", {kW1, 99});  // not subscribed: no effect
  CHECK(r.NumSubscribers(SubKind::kChannel, "a") == 1);

  r.RemoveAll({kW1, 1}, {{SubKind::kChannel, "b"}, {SubKind::kPattern, "p*"}});
  CHECK(r.Names(SubKind::kChannel, "", true) == std::vector<std::string>{"a"});
  CHECK(r.NumSubscribers(SubKind::kChannel, "b") == 0);
  CHECK(r.Count(SubKind::kPattern) == 0);
  std::vector<Delivery> out;
  CHECK(r.Collect(SubKind::kChannel, "pa", &out) == 0);
}

TEST_CASE("output limit: hard at once, soft only after it lasted soft_seconds") {
  OutputLimit lim;  // Redis's pubsub defaults: 32mb 8mb 60
  CHECK(lim.hard == 32u << 20);
  CHECK(lim.soft == 8u << 20);
  CHECK(lim.soft_seconds == 60);
  int64_t since = 0;
  CHECK_FALSE(OverOutputLimit(lim, 1000, 1000, &since));
  CHECK(since == 0);
  CHECK(OverOutputLimit(lim, 32u << 20, 1000, &since));  // hard: >= as in Redis

  since = 0;
  CHECK_FALSE(OverOutputLimit(lim, 9u << 20, 10'000, &since));  // the soft clock starts
  CHECK(since == 10'000);
  CHECK_FALSE(OverOutputLimit(lim, 9u << 20, 70'000, &since));  // exactly 60 s: still fine
  CHECK(OverOutputLimit(lim, 9u << 20, 70'001, &since));

  // Dropping under the soft limit resets the clock.
  since = 0;
  CHECK_FALSE(OverOutputLimit(lim, 9u << 20, 10'000, &since));
  CHECK_FALSE(OverOutputLimit(lim, 1u << 20, 50'000, &since));
  CHECK(since == 0);
  CHECK_FALSE(OverOutputLimit(lim, 9u << 20, 80'000, &since));
  CHECK(since == 80'000);

  // Zero disables a limit.
  OutputLimit none{0, 0, 0};
  since = 0;
  CHECK_FALSE(OverOutputLimit(none, size_t{1} << 40, 1, &since));
}

}  // namespace
}  // namespace strata::server
