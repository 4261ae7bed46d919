// LockSet: shards taken sorted and once, and never waited for while another is held (std::lock's
// algorithm), which is what lets a script take one more shard while it holds others.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "storage/keyspace.h"

using namespace strata::storage;

namespace {

void WaitUntil(const std::atomic<bool>& flag) {
  while (!flag.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace

TEST_CASE("LockSet holds each shard once, sorted, and releases them") {
  Keyspace ks(2, 4);
  Shard* a = &ks.db(1).shard(2);
  Shard* b = &ks.db(0).shard(3);
  LockSet set;
  set.Add(a);
  set.Add(b);
  set.Add(a);
  set.Lock();
  REQUIRE(set.shards().size() == 2);
  CHECK(set.shards()[0] == b);  // database 0 first
  CHECK(set.Holds(a));
  CHECK(set.Holds(b));
  CHECK_FALSE(set.Holds(&ks.db(0).shard(0)));
  CHECK_FALSE(a->mu.try_lock());
  set.Unlock();
  CHECK(a->mu.try_lock());
  a->mu.unlock();
}

TEST_CASE("LockSet::Lock does not hold a shard while it waits for another") {
  Keyspace ks(1, 8);
  Shard* low = &ks.db(0).shard(3);
  Shard* high = &ks.db(0).shard(5);
  // Another thread holds `high`.
  LockSet other;
  other.Add(high);
  other.Lock();
  std::atomic<bool> started{false}, done{false};
  std::thread waiter([&] {
    LockSet set;
    set.Add(low);
    set.Add(high);
    started = true;
    set.Lock();  // waits for `high`
    done = true;
  });
  WaitUntil(started);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(done.load());
  // The waiter must not be sitting on `low`: the holder of `high` can take it (a script's
  // escalation; with ordered waiting this is a deadlock).
  bool took_low = low->mu.try_lock();
  CHECK(took_low);
  if (took_low) low->mu.unlock();
  other.Unlock();
  waiter.join();
  CHECK(done.load());
}

TEST_CASE("LockSet::TryAdd and AddWaiting add a shard to a held set") {
  Keyspace ks(1, 8);
  LockSet set;
  set.Add(&ks.db(0).shard(4));
  set.Lock();
  CHECK(set.TryAdd(&ks.db(0).shard(1)));
  CHECK(set.Holds(&ks.db(0).shard(1)));
  CHECK(set.Holds(&ks.db(0).shard(4)));
  // Busy elsewhere: TryAdd fails without waiting; AddWaiting waits until it is free.
  Shard* busy = &ks.db(0).shard(6);
  busy->mu.lock();
  CHECK_FALSE(set.TryAdd(busy));
  CHECK_FALSE(set.Holds(busy));
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    busy->mu.unlock();
  });
  set.AddWaiting(busy);
  releaser.join();
  CHECK(set.Holds(busy));
  REQUIRE(set.shards().size() == 3);
  CHECK(set.shards()[0]->id < set.shards()[1]->id);
  CHECK(set.shards()[1]->id < set.shards()[2]->id);
  set.Unlock();
  CHECK(busy->mu.try_lock());
  busy->mu.unlock();
}

TEST_CASE("LockSets of many overlapping shards never deadlock") {
  Keyspace ks(1, 6);
  std::atomic<int> rounds{0};
  auto worker = [&](int seed) {
    for (int i = 0; i < 2000; ++i) {
      LockSet set;
      for (int k = 0; k < 3; ++k) set.Add(&ks.db(0).shard((seed * 7 + i * (k + 1)) % 6));
      set.Lock();
      rounds.fetch_add(1);
    }
  };
  std::thread t1(worker, 1), t2(worker, 2), t3(worker, 3);
  t1.join();
  t2.join();
  t3.join();
  CHECK(rounds.load() == 6000);
}
