// DB::Delete over blocks and head, CleanTombstones, and deleted data dropped by head and
// block compaction (Prometheus' delete_series / clean_tombstones semantics).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "fs/temp_dir.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/block_verify.h"
#include "tsdb/db/db.h"
#include "tsdb/db/db_test_util.h"

namespace vigil::tsdb {
namespace {

using block::testing::GenerateSeries;
using block::testing::GenOptions;
using block::testing::TestSeries;

constexpr int64_t kHour = 3600 * 1000;
using Dump = testing::SampleDump;
using testing::AppendSeries;
using testing::Gen;
using testing::SameDump;
using testing::TestOptions;

Matcher Mk(MatchType t, std::string_view n, std::string_view v) { return *Matcher::Make(t, n, v); }

// Every series with samples left, over all time.
Dump Query(DB* db) { return testing::QueryAll(db, INT64_MIN, INT64_MAX, /*keep_empty=*/false); }

struct Deletion {
  std::vector<Matcher> ms;
  int64_t mint, maxt;
};

// The series' samples minus the deletions.
Dump Expected(const std::vector<TestSeries>& series, const std::vector<Deletion>& dels) {
  Dump out;
  for (const auto& s : series) {
    std::vector<Sample> v;
    for (const Sample& x : s.samples) {
      bool gone = false;
      for (const Deletion& d : dels) {
        gone = gone || (MatchesAll(d.ms, s.labels) && x.t >= d.mint && x.t <= d.maxt);
      }
      if (!gone) v.push_back(x);
    }
    if (!v.empty()) out[s.labels] = std::move(v);
  }
  return out;
}

uint64_t Samples(const Dump& d) {
  uint64_t n = 0;
  for (const auto& [l, v] : d) n += v.size();
  return n;
}

std::set<std::string> BlockDirs(const std::string& dir) {
  std::set<std::string> out;
  const auto names = fs::DefaultFileSystem()->ListDir(dir);
  EXPECT_TRUE(names.has_value());
  for (const auto& n : names.value_or(std::vector<std::string>{})) {
    if (block::Ulid::Parse(n).has_value()) out.insert(n);
  }
  return out;
}

TEST(DBDelete, DeleteSpansBlocksAndHeadAndSurvivesRestartAndCleanTombstones) {
  fs::TempDir d;
  const GenOptions g = Gen(9 * kHour, 60);
  const auto series = GenerateSeries(g);
  const int64_t t0 = g.t0;
  // Across a block boundary and into the head, and one metric entirely.
  const std::vector<Deletion> dels = {
      {{Mk(MatchType::kEqual, "job", "api")}, t0 + 3 * kHour, t0 + 8 * kHour},
      {{Mk(MatchType::kEqual, "__name__", "up")}, INT64_MIN, INT64_MAX}};
  const Dump want = Expected(series, dels);
  ASSERT_LT(Samples(want), Samples(Expected(series, {})));
  std::map<std::string, int> levels;  // block range -> level, before cleaning
  {
    auto db = DB::Open(TestOptions(d.path()));
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    AppendSeries(db->get(), series);
    ASSERT_TRUE((*db)->CompactHead().has_value());
    ASSERT_GE((*db)->Blocks().size(), 3u);
    auto before = (*db)->NewQuerier(INT64_MIN, INT64_MAX);  // keeps the old blocks alive
    for (const Deletion& del : dels) ASSERT_TRUE((*db)->Delete(del.mint, del.maxt, del.ms).ok());
    EXPECT_TRUE(SameDump(Query(db->get()), want));
    EXPECT_GT((*db)->head()->NumTombstones(), 0u);
    size_t with_tombstones = 0;
    for (const auto& b : (*db)->Blocks()) {
      const uint64_t n = b->tombstones().NumIntervals();
      with_tombstones += n > 0;
      auto m = block::ReadMeta(fs::DefaultFileSystem(), b->dir());
      ASSERT_TRUE(m.has_value());
      EXPECT_EQ(m->stats.num_tombstones, n);
    }
    EXPECT_EQ(with_tombstones, (*db)->Blocks().size());  // `up` is in every block
    before->reset();
    ASSERT_TRUE((*db)->Close().ok());
  }
  // Restart: block tombstones from the files, head tombstones from the WAL.
  {
    auto db = DB::Open(TestOptions(d.path()));
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    EXPECT_TRUE(SameDump(Query(db->get()), want));
    const auto old_dirs = BlockDirs(d.path());
    std::vector<block::BlockMeta> old_metas;
    for (const auto& b : (*db)->Blocks()) old_metas.push_back(b->meta());
    // A querier holding the old blocks while they are rewritten.
    auto held = (*db)->NewQuerier(INT64_MIN, INT64_MAX);
    ASSERT_TRUE(held.has_value());
    auto n = (*db)->CleanTombstones();
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    EXPECT_EQ(size_t(*n), old_metas.size());
    auto blocks = (*db)->Blocks();
    ASSERT_EQ(blocks.size(), old_metas.size());
    for (size_t i = 0; i < blocks.size(); ++i) {
      const auto& m = blocks[i]->meta();
      EXPECT_TRUE(blocks[i]->tombstones().empty());
      EXPECT_EQ(m.stats.num_tombstones, 0u);
      EXPECT_NE(m.ulid, old_metas[i].ulid);
      EXPECT_EQ(m.min_time, old_metas[i].min_time);
      EXPECT_EQ(m.max_time, old_metas[i].max_time);
      EXPECT_EQ(m.compaction.level, old_metas[i].compaction.level);
      EXPECT_EQ(m.compaction.sources, old_metas[i].compaction.sources);
      ASSERT_EQ(m.compaction.parents.size(), 1u);
      EXPECT_EQ(m.compaction.parents[0].ulid, old_metas[i].ulid);
      EXPECT_LT(m.stats.num_samples, old_metas[i].stats.num_samples);
      auto v = block::VerifyBlock(blocks[i]->dir());
      EXPECT_TRUE(v.problems.empty()) << v.problems.front().ToString();
      EXPECT_EQ(v.samples, m.stats.num_samples);
    }
    EXPECT_TRUE(SameDump(Query(db->get()), want));
    // The old blocks wait for the querier holding them, then go.
    const auto while_held = BlockDirs(d.path());
    EXPECT_EQ(while_held.size(), blocks.size());  // the old ones are renamed .tmp-for-deletion
    held->reset();
    const auto after = BlockDirs(d.path());
    for (const auto& o : old_dirs) EXPECT_EQ(after.count(o), 0u) << o;
    const auto names = fs::DefaultFileSystem()->ListDir(d.path());
    ASSERT_TRUE(names.has_value());
    for (const auto& name : *names) {
      EXPECT_EQ(name.find(kTmpForDeletionSuffix), std::string::npos) << name;
    }
    // Nothing left to clean.
    EXPECT_EQ(*(*db)->CleanTombstones(), 0);
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = DB::Open(TestOptions(d.path()));
  ASSERT_TRUE(db.has_value());
  EXPECT_TRUE(SameDump(Query(db->get()), want));
}

TEST(DBDelete, HeadAndBlockCompactionDropDeletedData) {
  fs::TempDir d;
  const GenOptions g = Gen(12 * kHour, 40);
  const auto series = GenerateSeries(g);
  const int64_t t0 = g.t0;
  DBOptions o = TestOptions(d.path());
  o.block_range_ms = kHour;
  o.max_block_duration_ms = kHour;  // no merging at first
  std::vector<Deletion> dels = {
      {{Mk(MatchType::kRegexMatch, "job", "api|node")}, t0 + kHour / 2, t0 + 5 * kHour}};
  {
    auto db = DB::Open(o);
    ASSERT_TRUE(db.has_value());
    AppendSeries(db->get(), series);
    // Deleted in the head before any block is cut: the blocks never hold that data.
    ASSERT_TRUE((*db)->Delete(dels[0].mint, dels[0].maxt, dels[0].ms).ok());
    ASSERT_TRUE((*db)->CompactHead().has_value());
    uint64_t in_blocks = 0;
    int64_t blocks_end = INT64_MIN;
    for (const auto& b : (*db)->Blocks()) {
      EXPECT_TRUE(b->tombstones().empty());
      in_blocks += b->meta().stats.num_samples;
      blocks_end = std::max(blocks_end, b->meta().max_time);
    }
    EXPECT_EQ(in_blocks, Samples(Expected(series, {{{}, blocks_end, INT64_MAX}, dels[0]})));
    EXPECT_TRUE(SameDump(Query(db->get()), Expected(series, dels)));
    // Now in blocks: another deletion, then merging applies it.
    dels.push_back({{Mk(MatchType::kRegexMatch, "__name__", "up|temp.*")}, t0, t0 + 7 * kHour});
    ASSERT_TRUE((*db)->Delete(dels[1].mint, dels[1].maxt, dels[1].ms).ok());
    ASSERT_TRUE((*db)->Close().ok());
  }
  o.max_block_duration_ms = 9 * kHour;
  auto db = DB::Open(o);
  ASSERT_TRUE(db.has_value());
  const Dump want = Expected(series, dels);
  EXPECT_TRUE(SameDump(Query(db->get()), want));
  auto merged = (*db)->CompactBlocks();
  ASSERT_TRUE(merged.has_value()) << merged.error().ToString();
  EXPECT_GE(*merged, 2);
  EXPECT_TRUE(SameDump(Query(db->get()), want));
  // Merged blocks carry no tombstones and hold exactly the surviving samples of their range.
  int merged_blocks = 0;
  for (const auto& b : (*db)->Blocks()) {
    const block::BlockMeta& m = b->meta();
    if (m.compaction.level == 1) continue;
    ++merged_blocks;
    EXPECT_TRUE(b->tombstones().empty());
    std::vector<Deletion> outside = dels;
    outside.push_back({{}, INT64_MIN, m.min_time - 1});
    outside.push_back({{}, m.max_time, INT64_MAX});
    EXPECT_EQ(m.stats.num_samples, Samples(Expected(series, outside)));
    auto v = block::VerifyBlock(b->dir());
    EXPECT_TRUE(v.problems.empty()) << v.problems.front().ToString();
  }
  EXPECT_GE(merged_blocks, 1);
}

TEST(DBDelete, PlannerRewritesABlockWhoseEverySeriesHasATombstone) {
  fs::TempDir d;
  const GenOptions g = Gen(8 * kHour, 20);
  const auto series = GenerateSeries(g);
  auto db = DB::Open(TestOptions(d.path()));  // 2 h blocks, no merging (one range)
  ASSERT_TRUE(db.has_value());
  AppendSeries(db->get(), series);
  ASSERT_TRUE((*db)->CompactHead().has_value());
  auto blocks = (*db)->Blocks();
  ASSERT_GE(blocks.size(), 3u);
  // Everything in the range of the newest block the planner looks at (the newest one
  // waits): every series there gets a tombstone.
  const size_t victim = blocks.size() - 2;
  const block::BlockMeta meta = blocks[victim]->meta();
  const std::vector<Deletion> dels = {
      {{Mk(MatchType::kRegexMatch, "__name__", ".+")}, meta.min_time, meta.max_time - 1}};
  ASSERT_TRUE((*db)->Delete(dels[0].mint, dels[0].maxt, dels[0].ms).ok());
  EXPECT_EQ((*db)->Blocks()[victim]->meta().stats.num_tombstones, meta.stats.num_series);
  auto n = (*db)->CompactBlocks();
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  EXPECT_EQ(*n, 1);
  // Nothing was left in it: the block is gone, the others are untouched.
  auto now = (*db)->Blocks();
  ASSERT_EQ(now.size(), blocks.size() - 1);
  for (const auto& b : now) EXPECT_NE(b->meta().ulid, meta.ulid);
  EXPECT_EQ(now.front()->meta().ulid, blocks.front()->meta().ulid);
  EXPECT_TRUE(SameDump(Query(db->get()), Expected(series, dels)));
  blocks.clear();
  EXPECT_EQ(BlockDirs(d.path()).count(meta.ulid.ToString()), 0u);
  EXPECT_EQ(*(*db)->CompactBlocks(), 0);  // nothing more to do
}

}  // namespace
}  // namespace vigil::tsdb
