#include "scrape/scraper.h"

#include <gtest/gtest.h>

#include <set>

namespace vigil::scrape {
namespace {

TEST(ScraperTest, FirstScrapeDelayIsWithinTheIntervalAndPinnedToAbsoluteTime) {
  const int64_t interval = 15'000'000'000;  // 15 s
  std::set<int64_t> phases;
  for (uint64_t h = 1; h <= 200; ++h) {
    uint64_t hash = h * 0x9e3779b97f4a7c15ull;
    int64_t now = 1'700'000'000'123'456'789;
    int64_t d = Scraper::FirstScrapeDelayNs(hash, 42, interval, now);
    EXPECT_GE(d, 0);
    EXPECT_LE(d, interval);
    // The phase (absolute time of the first scrape modulo the interval) does not depend on
    // when the loop starts: a restarted server scrapes each target at the same phase.
    int64_t later = now + 7'777'777'777;
    int64_t d2 = Scraper::FirstScrapeDelayNs(hash, 42, interval, later);
    EXPECT_EQ((now + d) % interval, (later + d2) % interval);
    phases.insert((now + d) % interval / 1'000'000'000);
  }
  EXPECT_GE(phases.size(), 12u);  // spread over the interval
  // Another seed (server) gives other phases.
  EXPECT_NE(Scraper::FirstScrapeDelayNs(12345, 1, interval, 0),
            Scraper::FirstScrapeDelayNs(12345, 2, interval, 0));
}

TEST(ScraperTest, HttpStatusText) {
  EXPECT_EQ(HttpStatusText(404), "404 Not Found");
  EXPECT_EQ(HttpStatusText(503), "503 Service Unavailable");
  EXPECT_EQ(HttpStatusText(599), "599");
}

}  // namespace
}  // namespace vigil::scrape
