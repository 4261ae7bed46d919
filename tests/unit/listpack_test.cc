// Listpack: walking both ways, seeking, inserts and erases anywhere, element sizes that need
// multi-byte lengths.
#include <doctest/doctest.h>

#include <deque>
#include <random>
#include <string>

#include "storage/listpack.h"

using strata::storage::Listpack;

namespace {
std::deque<std::string> Forward(const Listpack& lp) {
  std::deque<std::string> out;
  for (size_t p = lp.First(); p != Listpack::kEnd; p = lp.Next(p)) out.emplace_back(lp.Get(p));
  return out;
}
std::deque<std::string> Backward(const Listpack& lp) {
  std::deque<std::string> out;
  for (size_t p = lp.Last(); p != Listpack::kEnd; p = lp.Prev(p)) out.emplace_front(lp.Get(p));
  return out;
}
}  // namespace

TEST_CASE("listpack matches a deque under random edits, walked both ways") {
  std::mt19937 rng(42);
  Listpack lp;
  std::deque<std::string> model;
  // Lengths around the 1- and 2-byte varint boundaries (127/128, 16383/16384).
  const size_t lens[] = {0, 1, 5, 125, 126, 127, 128, 200, 16380, 16382, 16383, 16384, 20000};
  for (int step = 0; step < 3000; ++step) {
    int op = rng() % 4;
    std::string s(lens[rng() % 13], static_cast<char>('a' + rng() % 26));
    if (op < 2 || model.empty()) {
      size_t i = model.empty() ? 0 : rng() % (model.size() + 1);
      size_t pos = i == model.size() ? lp.bytes() : lp.Seek(static_cast<int64_t>(i));
      lp.Insert(pos, s);
      model.insert(model.begin() + i, s);
    } else if (op == 2) {
      size_t i = rng() % model.size();
      lp.Erase(lp.Seek(static_cast<int64_t>(i)));
      model.erase(model.begin() + i);
    } else {
      size_t i = rng() % model.size();
      lp.Replace(lp.Seek(-static_cast<int64_t>(model.size() - i)), s);
      model[i] = s;
    }
    if (step % 100 == 0 || model.size() < 5) {
      REQUIRE(lp.size() == model.size());
      REQUIRE(Forward(lp) == model);
      REQUIRE(Backward(lp) == model);
    }
    if (model.size() > 60) {  // keep it small so the O(n) checks stay quick
      lp.Clear();
      model.clear();
    }
  }
}

TEST_CASE("listpack seek and ends") {
  Listpack lp;
  CHECK(lp.First() == Listpack::kEnd);
  CHECK(lp.Last() == Listpack::kEnd);
  CHECK(lp.Seek(0) == Listpack::kEnd);
  lp.PushBack("b");
  lp.PushFront("a");
  lp.PushBack("c");
  CHECK(lp.Get(lp.Seek(0)) == "a");
  CHECK(lp.Get(lp.Seek(-1)) == "c");
  CHECK(lp.Get(lp.Seek(-3)) == "a");
  CHECK(lp.Seek(3) == Listpack::kEnd);
  CHECK(lp.Seek(-4) == Listpack::kEnd);
  CHECK(lp.Next(lp.Last()) == Listpack::kEnd);
  CHECK(lp.Prev(lp.First()) == Listpack::kEnd);
  CHECK(lp.Erase(lp.Last()) == Listpack::kEnd);
  CHECK(lp.size() == 2);
  CHECK(lp.bytes() == 6);  // two 1-byte elements: 1 + 1 + 1 bytes each
}
