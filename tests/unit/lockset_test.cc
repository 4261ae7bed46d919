// LockSet: shards taken sorted and once; a script's extra shard taken without waiting (TryAdd)
// or by polling until a deadline (TryAddFor), never by blocking out of the global order.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "storage/keyspace.h"

using namespace strata::storage;

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

TEST_CASE("LockSet::TryAdd and TryAddFor add a shard to a held set") {
  Keyspace ks(1, 8);
  LockSet set;
  set.Add(&ks.db(0).shard(4));
  set.Lock();
  CHECK(set.TryAdd(&ks.db(0).shard(1)));
  CHECK(set.Holds(&ks.db(0).shard(1)));
  CHECK(set.Holds(&ks.db(0).shard(4)));
  // Busy elsewhere: TryAdd fails without waiting; TryAddFor gives up at its deadline, and takes
  // the shard when it is freed before.
  Shard* busy = &ks.db(0).shard(6);
  busy->mu.lock();
  CHECK_FALSE(set.TryAdd(busy));
  CHECK_FALSE(set.Holds(busy));
  auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(set.TryAddFor(busy, 30));
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(30));
  CHECK_FALSE(set.Holds(busy));
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    busy->mu.unlock();
  });
  CHECK(set.TryAddFor(busy, 5000));
  releaser.join();
  CHECK(set.Holds(busy));
  REQUIRE(set.shards().size() == 3);
  CHECK(set.shards()[0]->id < set.shards()[1]->id);
  CHECK(set.shards()[1]->id < set.shards()[2]->id);
  set.Unlock();
  CHECK(busy->mu.try_lock());
  busy->mu.unlock();
}

TEST_CASE("LockSet::LockUnlessBusy waits for a holder, gives up on a busy script's shard") {
  Keyspace ks(1, 8);
  Shard* low = &ks.db(0).shard(1);
  Shard* held = &ks.db(0).shard(5);
  // Held, not busy: it waits (in slices) until the holder lets go.
  std::atomic<bool> locked{false};
  std::thread holder([&] {
    held->mu.lock();
    locked = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    held->mu.unlock();
  });
  while (!locked) std::this_thread::yield();
  LockSet set;
  set.Add(held);
  set.Add(low);
  uint8_t why = Shard::kNotBusy;
  CHECK(set.LockUnlessBusy(&why));
  holder.join();
  CHECK(set.Holds(held));
  CHECK(set.Holds(low));
  set.Unlock();
  // Held by a script that becomes busy while this set waits: it gives up, holding nothing.
  locked = false;
  std::atomic<bool> release{false};
  std::thread script([&] {
    held->mu.lock();
    locked = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    held->busy = Shard::kBusyFunction;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    held->busy = Shard::kNotBusy;
    held->mu.unlock();
  });
  while (!locked) std::this_thread::yield();
  CHECK_FALSE(set.LockUnlessBusy(&why));
  CHECK(why == Shard::kBusyFunction);
  CHECK_FALSE(set.locked());
  CHECK(low->mu.try_lock());  // the lower shard taken first was given back
  low->mu.unlock();
  release = true;
  script.join();
  CHECK(set.LockUnlessBusy(&why));  // free again
  set.Unlock();
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
