#include "scrape/scrape_cache.h"

#include <gtest/gtest.h>

#include <set>

namespace vigil::scrape {
namespace {

// Runs one scrape of `lines` through the cache the way ScrapeLoop does; every miss gets the
// label set {__name__=<line>} unless the line starts with "drop". Returns the stale lines.
std::set<std::string> Scrape(ScrapeCache* c, const std::vector<std::string>& lines,
                             int* misses = nullptr) {
  c->Begin();
  for (const auto& l : lines) {
    SeriesKey key;
    uint32_t i = c->Find(l, &key);
    if (i == ScrapeCache::kNone) {
      if (misses) ++*misses;
      if (l.rfind("drop", 0) == 0) {
        c->AddDropped(key);
        continue;
      }
      // "x_alias" relabels to the same set as "x".
      std::string name = l.substr(0, l.find("_alias"));
      Labels lset{{"__name__", name}};
      i = c->AddSeries(key, lset, lset.Hash());
    } else if (c->at(i).dropped) {
      continue;
    }
    c->Track(i);
  }
  std::set<std::string> stale;
  c->ForEachStale([&](const ScrapeCache::Entry&, const Labels& l) {
    stale.insert(std::string(l.MetricName()));
  });
  c->End(true);
  return stale;
}

TEST(ScrapeCacheTest, SteadyScrapeHitsEverything) {
  ScrapeCache c;
  int misses = 0;
  Scrape(&c, {"a", "b", "c"}, &misses);
  EXPECT_EQ(misses, 3);
  misses = 0;
  EXPECT_TRUE(Scrape(&c, {"a", "b", "c"}, &misses).empty());
  EXPECT_EQ(misses, 0);
  // Reordered: found through the map.
  EXPECT_TRUE(Scrape(&c, {"c", "a", "b"}, &misses).empty());
  EXPECT_EQ(misses, 0);
  EXPECT_EQ(c.size(), 3u);
}

TEST(ScrapeCacheTest, DisappearedSeriesAreStaleOnce) {
  ScrapeCache c;
  Scrape(&c, {"a", "b", "c"});
  EXPECT_EQ(Scrape(&c, {"a", "c"}), (std::set<std::string>{"b"}));
  EXPECT_TRUE(Scrape(&c, {"a", "c"}).empty());
  EXPECT_EQ(c.size(), 2u);  // b evicted
  EXPECT_TRUE(Scrape(&c, {"a", "b", "c"}).empty());
}

TEST(ScrapeCacheTest, DroppedLinesAreRemembered) {
  ScrapeCache c;
  int misses = 0;
  Scrape(&c, {"a", "drop_me"}, &misses);
  EXPECT_EQ(misses, 2);
  misses = 0;
  EXPECT_TRUE(Scrape(&c, {"a", "drop_me"}, &misses).empty());
  EXPECT_EQ(misses, 0);
}

TEST(ScrapeCacheTest, TwoLinesOneSeriesShareStaleness) {
  ScrapeCache c;
  Scrape(&c, {"x"});
  // The same series written differently: not stale.
  EXPECT_TRUE(Scrape(&c, {"x_alias"}).empty());
  EXPECT_EQ(Scrape(&c, {"y"}), (std::set<std::string>{"x"}));
}

TEST(ScrapeCacheTest, FailedScrapeKeepsPreviousForMarkers) {
  ScrapeCache c;
  Scrape(&c, {"a", "b"});
  // A failed append: some lines seen, then abandoned.
  c.Begin();
  SeriesKey k;
  uint32_t i = c.Find("a", &k);
  ASSERT_NE(i, ScrapeCache::kNone);
  c.Track(i);
  c.Abort();
  // The empty scrape that follows marks everything of the last good scrape stale.
  c.Begin();
  std::set<std::string> stale;
  c.ForEachStale([&](const ScrapeCache::Entry&, const Labels& l) {
    stale.insert(std::string(l.MetricName()));
  });
  c.End(false);
  EXPECT_EQ(stale, (std::set<std::string>{"a", "b"}));
  EXPECT_TRUE(Scrape(&c, {}).empty());
}

TEST(ScrapeCacheTest, InvalidateKeysKeepsStaleness) {
  ScrapeCache c;
  Scrape(&c, {"a", "b"});
  c.InvalidateKeys();
  int misses = 0;
  EXPECT_EQ(Scrape(&c, {"a"}, &misses), (std::set<std::string>{"b"}));
  EXPECT_EQ(misses, 1);
}

TEST(ScrapeCacheTest, ChurnStaysBounded) {
  ScrapeCache c;
  for (int round = 0; round < 50; ++round) {
    std::vector<std::string> lines;
    for (int i = 0; i < 100; ++i) lines.push_back("s" + std::to_string(round * 100 + i));
    auto stale = Scrape(&c, lines);
    if (round > 0) {
      EXPECT_EQ(stale.size(), 100u);
    }
  }
  EXPECT_EQ(c.size(), 100u);
}

TEST(ScrapeCacheTest, HashIsOfTheRawBytes) {
  EXPECT_EQ(HashSeriesBytes("a{b=\"c\"}"), HashSeriesBytes("a{b=\"c\"}"));
  EXPECT_FALSE(HashSeriesBytes("a{b=\"c\"}") == HashSeriesBytes("a{b=\"d\"}"));
  EXPECT_FALSE(HashSeriesBytes("a{b=\"c\"}") == HashSeriesBytes("a{ b=\"c\"}"));
}

}  // namespace
}  // namespace vigil::scrape
