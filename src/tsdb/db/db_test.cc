#include "tsdb/db/db.h"

#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fs/fault_injecting_file_system.h"
#include "fs/temp_dir.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/block_verify.h"
#include "tsdb/block/block_writer.h"
#include "tsdb/db/db_test_util.h"

namespace vigil::tsdb {
namespace {

using block::testing::GenerateSeries;
using block::testing::GenOptions;
using block::testing::TestSeries;
using testing::AppendSeries;
using testing::Gen;
using testing::HasEntryWithSuffix;
using testing::QueryAll;
using testing::SameDump;
using testing::TestOptions;
using Dump = testing::SampleDump;

constexpr int64_t kHour = 3600 * 1000;

// What the generated series hold in [mint, maxt].
Dump Expected(const std::vector<TestSeries>& series, int64_t mint, int64_t maxt) {
  Dump out;
  for (const auto& s : series) {
    std::vector<Sample> v;
    for (const Sample& x : s.samples) {
      if (x.t >= mint && x.t <= maxt) v.push_back(x);
    }
    if (!v.empty()) out[s.labels] = std::move(v);
  }
  return out;
}

TEST(DB, CompactionKeepsQueryResults) {
  fs::TempDir d;
  const auto series = GenerateSeries(Gen(9 * kHour, 60));
  const int64_t t0 = 1700000000000, end = t0 + 9 * kHour;
  {
    auto db = DB::Open(TestOptions(d.path()));
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    AppendSeries(db->get(), series, 0, INT64_MAX);
    const Dump before = QueryAll(db->get(), t0, end);
    ASSERT_TRUE(SameDump(before, Expected(series, t0, end)));
    auto n = (*db)->CompactHead();
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    EXPECT_GE(*n, 3);
    auto blocks = (*db)->Blocks();
    ASSERT_EQ(blocks.size(), size_t(*n));
    for (size_t i = 0; i < blocks.size(); ++i) {
      const auto& m = blocks[i]->meta();
      EXPECT_EQ(m.max_time % (2 * kHour), 0);  // aligned ends
      if (i > 0) {
        EXPECT_GE(m.min_time, blocks[i - 1]->meta().max_time);
      }
      auto v = block::VerifyBlock(blocks[i]->dir());
      EXPECT_TRUE(v.problems.empty()) << v.problems.front().ToString();
    }
    // The head spans at most 1.5 ranges now and starts where the last block ends.
    EXPECT_LE((*db)->head()->MaxTime() - (*db)->head()->MinTime(), 3 * kHour);
    EXPECT_GE((*db)->head()->MinTime(), blocks.back()->meta().max_time);
    EXPECT_EQ((*db)->Counters().compactions, uint64_t(*n));
    EXPECT_EQ((*db)->Counters().blocks_loaded, blocks.size());
    // Same answers, for the whole range and for windows across block boundaries.
    EXPECT_TRUE(SameDump(QueryAll(db->get(), t0, end), before));
    for (int64_t a = t0; a < end; a += 97 * 60000) {
      const int64_t b = a + 150 * 60000;
      EXPECT_TRUE(SameDump(QueryAll(db->get(), a, b), Expected(series, a, b)));
    }
    // Data below the newest block is refused.
    auto app = (*db)->NewAppender();
    EXPECT_FALSE(app->Append(0, series[0].labels, t0, 1).has_value());
    ASSERT_TRUE(app->Rollback().ok());
    // Label names/values merge blocks and head.
    auto q = (*db)->NewQuerier(t0, end);
    ASSERT_TRUE(q.has_value());
    auto names = (*q)->LabelValues(Context::Background(), "__name__", {}, 0);
    ASSERT_TRUE(names.has_value());
    std::set<std::string> want;
    for (const auto& s : series) want.insert(std::string(s.labels.MetricName()));
    EXPECT_EQ(std::set<std::string>(names->begin(), names->end()), want);
  }
  // After a restart: blocks load, the head replays only what is newer.
  auto db = DB::Open(TestOptions(d.path()));
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  EXPECT_GE((*db)->Blocks().size(), 3u);
  EXPECT_TRUE(SameDump(QueryAll(db->get(), t0, end), Expected(series, t0, end)));
}

TEST(DB, CompactionInSteps) {
  // Appends hour by hour and compacts after each: blocks are cut as the head grows.
  fs::TempDir d;
  const auto series = GenerateSeries(Gen(10 * kHour, 30));
  const int64_t t0 = 1700000000000, end = t0 + 10 * kHour;
  auto db = DB::Open(TestOptions(d.path()));
  ASSERT_TRUE(db.has_value());
  for (int64_t t = t0; t < end; t += kHour) {
    AppendSeries(db->get(), series, t, t + kHour);
    ASSERT_TRUE((*db)->CompactHead().has_value());
    EXPECT_TRUE(SameDump(QueryAll(db->get(), t0, end), Expected(series, t0, t + kHour - 1)));
  }
  EXPECT_GE((*db)->Blocks().size(), 3u);
}

TEST(DB, FailedBlockWriteKeepsTheHead) {
  fs::TempDir d;
  fs::FaultInjectingFileSystem ffs(fs::DefaultFileSystem());
  const auto series = GenerateSeries(Gen(6 * kHour, 20));
  const int64_t t0 = 1700000000000, end = t0 + 6 * kHour;
  DBOptions o = TestOptions(d.path());
  o.fs = &ffs;
  auto db = DB::Open(o);
  ASSERT_TRUE(db.has_value());
  AppendSeries(db->get(), series, 0, INT64_MAX);
  ffs.FailSyncs();
  auto n = (*db)->CompactHead();
  EXPECT_FALSE(n.has_value());
  EXPECT_EQ((*db)->Counters().compactions_failed, 1u);
  EXPECT_TRUE((*db)->Blocks().empty());
  EXPECT_FALSE(HasEntryWithSuffix(d.path(), block::kTmpForCreationSuffix));
  EXPECT_TRUE(SameDump(QueryAll(db->get(), t0, end), Expected(series, t0, end)));
  ffs.ClearFaults();
  n = (*db)->CompactHead();
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  EXPECT_GE(*n, 1);
  EXPECT_TRUE(SameDump(QueryAll(db->get(), t0, end), Expected(series, t0, end)));
}

TEST(DB, TimeRetentionWaitsForQueriers) {
  fs::TempDir d;
  const auto series = GenerateSeries(Gen(12 * kHour, 20));
  const int64_t t0 = 1700000000000, end = t0 + 12 * kHour;
  DBOptions o = TestOptions(d.path());
  o.block_range_ms = kHour;
  o.retention_ms = 3 * kHour;
  o.head_truncate_wait_ms = 50;
  auto db = DB::Open(o);
  ASSERT_TRUE(db.has_value());
  AppendSeries(db->get(), series, 0, t0 + 5 * kHour);
  ASSERT_TRUE((*db)->CompactHead().has_value());
  auto first = (*db)->Blocks();
  ASSERT_FALSE(first.empty());
  const std::string oldest_dir = first.front()->dir();
  const int64_t oldest_maxt = first.front()->meta().max_time;
  first.clear();
  // A querier opened now reads the oldest block while retention removes it.
  auto q = (*db)->NewQuerier(t0, oldest_maxt - 1);
  ASSERT_TRUE(q.has_value());
  AppendSeries(db->get(), series, t0 + 5 * kHour, INT64_MAX);
  ASSERT_TRUE((*db)->CompactHead().has_value());
  auto blocks = (*db)->Blocks();
  const int64_t newest = blocks.back()->meta().max_time;
  for (const auto& b : blocks) EXPECT_LE(newest - b->meta().max_time, o.retention_ms);
  EXPECT_GE((*db)->Counters().time_retentions, 1u);
  EXPECT_LE(blocks.size(), 4u);
  EXPECT_FALSE(fs::DefaultFileSystem()->Exists(oldest_dir));
  EXPECT_TRUE(fs::DefaultFileSystem()->Exists(oldest_dir + kTmpForDeletionSuffix));
  {
    auto m = Matcher::Make(MatchType::kRegexMatch, "__name__", ".+");
    auto set = (*q)->Select(Context::Background(), true, nullptr, {*m});
    size_t samples = 0;
    while (set->Next()) {
      auto it = set->At().Iterator();
      while (it->Next()) ++samples;
    }
    EXPECT_TRUE(set->Err().ok());
    size_t want = 0;
    for (const auto& [l, v] : Expected(series, t0, oldest_maxt - 1)) want += v.size();
    EXPECT_EQ(samples, want);
    EXPECT_GT(samples, 0u);
  }
  q->reset();
  EXPECT_FALSE(HasEntryWithSuffix(d.path(), kTmpForDeletionSuffix));
  // What is left answers like the source data.
  const int64_t lo = blocks.front()->meta().min_time;
  EXPECT_TRUE(SameDump(QueryAll(db->get(), lo, end), Expected(series, lo, end)));
}

TEST(DB, SizeRetentionDeletesOldestFirst) {
  fs::TempDir d;
  const auto series = GenerateSeries(Gen(10 * kHour, 40));
  std::vector<std::pair<int64_t, uint64_t>> sizes;  // maxt, bytes, oldest first
  {
    DBOptions o = TestOptions(d.path());
    o.block_range_ms = kHour;
    auto db = DB::Open(o);
    ASSERT_TRUE(db.has_value());
    AppendSeries(db->get(), series, 0, INT64_MAX);
    ASSERT_TRUE((*db)->CompactHead().has_value());
    for (const auto& b : (*db)->Blocks()) sizes.emplace_back(b->meta().max_time, b->size_bytes());
    ASSERT_GE(sizes.size(), 5u);
  }
  uint64_t half = 0;
  for (const auto& [t, s] : sizes) half += s;
  half /= 2;
  DBOptions o = TestOptions(d.path());
  o.block_range_ms = kHour;
  o.retention_bytes = half;  // the head's files come on top: fewer than half the blocks stay
  auto db = DB::Open(o);     // retention runs at open
  ASSERT_TRUE(db.has_value());
  auto blocks = (*db)->Blocks();
  EXPECT_LT(blocks.size(), sizes.size());
  EXPECT_EQ((*db)->Counters().size_retentions, 1u);
  uint64_t kept = 0;
  for (const auto& b : blocks) kept += b->size_bytes();
  EXPECT_LE(kept, half);
  // The newest ones stay.
  for (size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_EQ(blocks[blocks.size() - 1 - i]->meta().max_time, sizes[sizes.size() - 1 - i].first);
  }
  EXPECT_FALSE(HasEntryWithSuffix(d.path(), kTmpForDeletionSuffix));
}

TEST(DB, BrokenBlocksAreSkippedAndLeftoversRemoved) {
  fs::TempDir d;
  const auto series = GenerateSeries(Gen(6 * kHour, 20));
  const int64_t t0 = 1700000000000, end = t0 + 6 * kHour;
  size_t good = 0;
  {
    auto db = DB::Open(TestOptions(d.path()));
    ASSERT_TRUE(db.has_value());
    AppendSeries(db->get(), series, 0, INT64_MAX);
    ASSERT_TRUE((*db)->CompactHead().has_value());
    good = (*db)->Blocks().size();
    ASSERT_GE(good, 1u);
  }
  auto* f = fs::DefaultFileSystem();
  const std::string bad_meta = fs::JoinPath(d.path(), "01ARZ3NDEKTSV4RRFFQ69G5FAV");
  ASSERT_TRUE(f->CreateDirs(bad_meta).ok());
  ASSERT_TRUE(fs::WriteFileAtomic(f, fs::JoinPath(bad_meta, "meta.json"), "{not json").ok());
  const std::string no_index = fs::JoinPath(d.path(), "01BX5ZZKBKACTAV9WEVGEMMVRZ");
  ASSERT_TRUE(f->CreateDirs(no_index).ok());
  const std::string tmp1 = fs::JoinPath(d.path(), "01BX5ZZKBKACTAV9WEVGEMMVS0.tmp-for-creation");
  const std::string tmp2 = fs::JoinPath(d.path(), "01BX5ZZKBKACTAV9WEVGEMMVS1.tmp-for-deletion");
  ASSERT_TRUE(f->CreateDirs(fs::JoinPath(tmp1, "chunks")).ok());
  ASSERT_TRUE(
      fs::WriteFileAtomic(f, fs::JoinPath(tmp2, "index"), "x").ok() ||
      (f->CreateDirs(tmp2).ok() && fs::WriteFileAtomic(f, fs::JoinPath(tmp2, "index"), "x").ok()));
  auto db = DB::Open(TestOptions(d.path()));
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  EXPECT_EQ((*db)->Blocks().size(), good);
  EXPECT_EQ((*db)->Counters().block_load_failures, 2u);
  EXPECT_FALSE(f->Exists(tmp1));
  EXPECT_FALSE(f->Exists(tmp2));
  EXPECT_TRUE(f->Exists(bad_meta));  // left for an operator to look at
  EXPECT_TRUE(SameDump(QueryAll(db->get(), t0, end), Expected(series, t0, end)));
}

TEST(DB, SnapshotHoldsBlocksAndHead) {
  fs::TempDir d, snap;
  const auto series = GenerateSeries(Gen(7 * kHour, 30));
  const int64_t t0 = 1700000000000, end = t0 + 7 * kHour;
  auto db = DB::Open(TestOptions(d.path()));
  ASSERT_TRUE(db.has_value());
  AppendSeries(db->get(), series, 0, INT64_MAX);
  ASSERT_TRUE((*db)->CompactHead().has_value());
  const size_t n = (*db)->Blocks().size();
  ASSERT_GE(n, 1u);
  for (bool with_head : {false, true}) {
    SCOPED_TRACE(with_head);
    const std::string dir = fs::JoinPath(snap.path(), with_head ? "with" : "without");
    ASSERT_TRUE((*db)->Snapshot(dir, with_head).ok());
    auto blocks = block::OpenBlocks(dir);
    ASSERT_TRUE(blocks.has_value()) << blocks.error().ToString();
    EXPECT_EQ(blocks->size(), n + (with_head ? 1 : 0));
    for (const auto& b : *blocks) {
      auto v = block::VerifyBlock(b->dir());
      EXPECT_TRUE(v.problems.empty()) << v.problems.front().ToString();
    }
    // Opened as a data directory, the snapshot answers like the DB.
    auto copy = DB::Open(TestOptions(dir));
    ASSERT_TRUE(copy.has_value()) << copy.error().ToString();
    const int64_t until = with_head ? end : (*db)->Blocks().back()->meta().max_time - 1;
    EXPECT_TRUE(SameDump(QueryAll(copy->get(), t0, end), Expected(series, t0, until)));
  }
}

TEST(DB, QueriesStayCompleteWhileCompacting) {
  // A writer appends minute by minute, a compactor cuts blocks and applies retention, and a
  // reader checks that every query over the written range sees every sample: samples move
  // from the head into blocks without a query ever missing them.
  fs::TempDir d;
  DBOptions o = TestOptions(d.path());
  o.block_range_ms = kHour;
  constexpr int kSeries = 40, kMinutes = 8 * 60;
  const int64_t t0 = 1700000000000 - 1700000000000 % kHour;
  auto db = DB::Open(o);
  ASSERT_TRUE(db.has_value());
  std::vector<Labels> labels;
  for (int i = 0; i < kSeries; ++i) {
    labels.push_back(Labels{{"__name__", "m"}, {"i", std::to_string(i)}});
  }
  std::atomic<int64_t> written{INT64_MIN};
  std::atomic<bool> done{false};
  std::atomic<int> queries{0}, bad{0};
  std::thread writer([&] {
    for (int m = 0; m < kMinutes; ++m) {
      const int64_t t = t0 + int64_t(m) * 60000;
      auto app = (*db)->NewAppender();
      for (int i = 0; i < kSeries; ++i) app->Append(0, labels[i], t, double(m)).IgnoreError();
      if (!app->Commit().ok()) bad.fetch_add(1);
      written.store(t);
      if (m % 10 == 9) {  // lets the reader query every 10 minutes of data
        const int seen = queries.load();
        while (queries.load() < seen + 1 && bad.load() == 0) std::this_thread::yield();
      }
    }
    done.store(true);
  });
  std::thread compactor([&] {
    while (!done.load()) {
      if (!(*db)->CompactHead().has_value()) bad.fetch_add(1);
      std::this_thread::yield();
    }
  });
  std::thread reader([&] {
    while (!done.load()) {
      const int64_t w = written.load();
      if (w == INT64_MIN) continue;
      auto q = (*db)->NewQuerier(t0, w);
      if (!q.has_value()) {
        bad.fetch_add(1);
        continue;
      }
      // Widens the window in which compaction may move samples out of the head between the
      // querier's creation and its Select (correctness does not depend on the timing).
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      auto m = Matcher::Make(MatchType::kEqual, "__name__", "m");
      auto set = (*q)->Select(Context::Background(), false, nullptr, {*m});
      int64_t n = 0;
      while (set->Next()) {
        auto it = set->At().Iterator();
        while (it->Next()) ++n;
      }
      const int64_t want = int64_t(kSeries) * ((w - t0) / 60000 + 1);
      if (n != want || !set->Err().ok()) {
        ADD_FAILURE() << "query up to " << w << " saw " << n << " samples, want " << want;
        bad.fetch_add(1);
      }
      queries.fetch_add(1);
    }
  });
  writer.join();
  compactor.join();
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GE(queries.load(), kMinutes / 10);
  ASSERT_TRUE((*db)->CompactHead().has_value());
  EXPECT_GE((*db)->Blocks().size(), 5u);
  const int64_t want = int64_t(kSeries) * kMinutes;
  int64_t n = 0;
  for (const auto& [l, v] : QueryAll(db->get(), t0, t0 + kMinutes * 60000)) n += int64_t(v.size());
  EXPECT_EQ(n, want);
}

// A commit that leaves the head compactable wakes the loop at once (a backfill through
// remote write), long before the next interval; a commit that does not leaves it asleep.
TEST(DB, CommitThatMakesTheHeadCompactableTriggersCompaction) {
  fs::TempDir d;
  const auto series = GenerateSeries(Gen(6 * kHour, 20));
  DBOptions o = TestOptions(d.path());
  o.compact_interval_ms = 3600 * 1000;  // the interval never comes in this test
  auto db = DB::Open(o);
  ASSERT_TRUE(db.has_value());
  const int64_t t0 = 1700000000000;
  AppendSeries(db->get(), series, t0, t0 + kHour);  // spans < 1.5 ranges: no compaction
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ((*db)->Counters().compactions, 0u);
  AppendSeries(db->get(), series, t0 + kHour, t0 + 6 * kHour);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((*db)->Blocks().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE((*db)->Blocks().empty()) << "no block cut within 30 s of the commit";
  EXPECT_TRUE(
      SameDump(QueryAll(db->get(), t0, t0 + 6 * kHour), Expected(series, t0, t0 + 6 * kHour)));
  ASSERT_TRUE((*db)->Close().ok());
}

}  // namespace
}  // namespace vigil::tsdb
