#include "scrape/index_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

namespace vigil::scrape {
namespace {

// Random inserts and erases with many colliding hashes, checked against a std::multimap
// model after every step: every stored index is found, no erased one is.
TEST(IndexTable, MatchesModelUnderCollisionsAndErases) {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> hash_of(4096);
  for (auto& h : hash_of) h = rng() % 64;  // few distinct hashes: long probe runs
  auto hof = [&](uint32_t i) { return hash_of[i]; };
  IndexTable t;
  std::multimap<uint64_t, uint32_t> model;
  std::vector<bool> in(hash_of.size());
  for (int step = 0; step < 20000; ++step) {
    uint32_t i = uint32_t(rng() % hash_of.size());
    if (!in[i]) {
      t.Insert(hash_of[i], i, hof);
      model.emplace(hash_of[i], i);
      in[i] = true;
    } else {
      ASSERT_TRUE(t.Erase(hash_of[i], i, hof));
      in[i] = false;
      for (auto it = model.lower_bound(hash_of[i]); it != model.end(); ++it) {
        if (it->second == i) {
          model.erase(it);
          break;
        }
      }
    }
    if (step % 97 == 0) {
      ASSERT_EQ(t.size(), model.size());
      for (uint32_t j = 0; j < hash_of.size(); ++j) {
        uint32_t found = t.Find(hash_of[j], [&](uint32_t k) { return k == j; });
        ASSERT_EQ(found != IndexTable::kNone, bool(in[j])) << "index " << j << " step " << step;
      }
    }
  }
  EXPECT_LE(t.bytes(), 4 * 4 * hash_of.size());  // load factor >= 1/4 of the peak size
}

TEST(IndexTable, EraseOfAbsentIndexIsFalse) {
  auto hof = [](uint32_t i) { return uint64_t(i); };
  IndexTable t;
  EXPECT_FALSE(t.Erase(3, 3, hof));
  t.Insert(3, 3, hof);
  EXPECT_FALSE(t.Erase(3, 4, hof));
  EXPECT_TRUE(t.Erase(3, 3, hof));
  EXPECT_EQ(t.Find(3, [](uint32_t) { return true; }), IndexTable::kNone);
}

}  // namespace
}  // namespace vigil::scrape
