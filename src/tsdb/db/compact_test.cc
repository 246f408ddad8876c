#include "tsdb/db/compact.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fs/temp_dir.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/block_verify.h"
#include "tsdb/db/db.h"
#include "tsdb/db/db_test_util.h"

namespace vigil::tsdb {
namespace {

using testing::MetaSpan;
using testing::SpanCase;

TEST(CompactionRanges, Exponential) {
  EXPECT_EQ(CompactionRanges(2, 36), (std::vector<int64_t>{2, 6, 18}));
  EXPECT_EQ(CompactionRanges(2, 2), (std::vector<int64_t>{2}));
  EXPECT_EQ(CompactionRanges(2, 1), (std::vector<int64_t>{2}));
  EXPECT_EQ(CompactionRanges(1, 1000000).size(), 10u);
}

TEST(PlanCompaction, Table) {
  const std::vector<int64_t> ranges = {20, 60, 180};
  const std::vector<SpanCase> cases = {
      {"nothing", {}, {}},
      {"one block", {{0, 20}}, {}},
      {"the newest block waits", {{0, 20}, {20, 40}}, {}},
      {"a full 60 window", {{0, 20}, {20, 40}, {40, 60}, {60, 80}}, {0, 1, 2}},
      {"not full yet, but blocks after it", {{0, 20}, {20, 40}, {60, 80}, {80, 100}}, {0, 1}},
      {"not full and the newest in the window", {{0, 20}, {20, 40}, {40, 60}}, {}},
      {"gap inside a full window", {{0, 20}, {40, 60}, {60, 80}}, {0, 1}},
      {"already compacted 60s merge into 180",
       {{0, 60}, {60, 120}, {120, 180}, {180, 200}},
       {0, 1, 2}},
      {"misaligned block crosses windows", {{10, 70}, {70, 80}, {80, 100}}, {}},
      {"overlapping blocks are left alone", {{0, 20}, {10, 40}, {60, 80}, {80, 100}}, {}},
      {"unaligned first head block: not full, waits for a later block",
       {{7, 20}, {20, 40}, {40, 60}, {60, 80}},
       {}},
      {"unaligned first head block, later blocks exist",
       {{7, 20}, {20, 40}, {40, 60}, {60, 80}, {80, 100}},
       {0, 1, 2}},
  };
  for (const SpanCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(PlanCompaction(c.Metas(), ranges), c.want);
  }
  // A failed compaction keeps a group out; tombstones do not (they are dropped on merge).
  std::vector<block::BlockMeta> metas = {MetaSpan(0, 20), MetaSpan(20, 40), MetaSpan(40, 60),
                                         MetaSpan(60, 80)};
  metas[1].stats.num_tombstones = 1;
  EXPECT_EQ(PlanCompaction(metas, ranges), (std::vector<size_t>{0, 1, 2}));
  metas[2].compaction.failed = true;
  EXPECT_TRUE(PlanCompaction(metas, ranges).empty());
}

// Prometheus' rule for blocks with many tombstones: nothing to merge, then a block is
// rewritten alone.
TEST(PlanCompaction, BlocksWithManyTombstonesAreRewrittenAlone) {
  const std::vector<int64_t> ranges = {20, 60, 180};
  auto meta = [](int64_t mint, int64_t maxt, uint64_t series, uint64_t tombstones) {
    block::BlockMeta m = MetaSpan(mint, maxt);
    m.stats.num_series = series;
    m.stats.num_tombstones = tombstones;
    return m;
  };
  struct Case {
    const char* name;
    std::vector<block::BlockMeta> metas;
    std::vector<int64_t> ranges;
    std::vector<size_t> want;
  };
  const std::vector<Case> cases = {
      {"a long block with > 5% deleted",
       {meta(0, 60, 10, 1), meta(60, 120, 10, 0), meta(120, 140, 10, 0)},
       ranges,
       {0}},
      {"5% or less is left alone",
       {meta(0, 60, 19, 1), meta(60, 120, 10, 0), meta(120, 140, 10, 0)},
       ranges,
       {}},
      {"the newest block is never rewritten",
       {meta(0, 60, 10, 0), meta(60, 120, 10, 9)},
       ranges,
       {}},
      {"a short block with a tombstone per series",
       {meta(0, 20, 3, 0), meta(20, 40, 3, 3), meta(40, 60, 3, 0)},
       ranges,
       {1}},
      {"a short block with fewer tombstones than series",
       {meta(0, 20, 3, 0), meta(20, 40, 3, 2), meta(40, 60, 3, 0)},
       ranges,
       {}},
      {"the scan stops at the newest short block",
       {meta(0, 60, 10, 5), meta(60, 80, 10, 0), meta(80, 100, 10, 0)},
       ranges,
       {}},
      {"with a single range too", {meta(0, 20, 2, 2), meta(20, 40, 2, 0)}, {20}, {0}},
      {"merging comes first",
       {meta(0, 20, 2, 2), meta(20, 40, 2, 0), meta(40, 60, 2, 0), meta(60, 80, 2, 0)},
       ranges,
       {0, 1, 2}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(PlanCompaction(c.metas, c.ranges), c.want);
  }
}

TEST(DBCompaction, MergesBlocksAndKeepsAnswers) {
  constexpr int64_t kHour = 3600 * 1000;
  fs::TempDir d;
  block::testing::GenOptions g;
  g.num_series = 40;
  g.span_ms = 20 * kHour;
  g.interval_ms = 120000;
  const auto series = block::testing::GenerateSeries(g);
  const int64_t t0 = g.t0, end = t0 + g.span_ms;
  DBOptions o;
  o.dir = d.path();
  o.compact_interval_ms = 0;
  o.retention_ms = 0;
  o.block_range_ms = kHour;
  o.max_block_duration_ms = 9 * kHour;
  auto db = DB::Open(o);
  ASSERT_TRUE(db.has_value());
  {
    auto app = (*db)->NewAppender();
    for (const auto& s : series) {
      for (const Sample& x : s.samples) ASSERT_TRUE(app->Append(0, s.labels, x.t, x.v).has_value());
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  auto count = [&](DB* db) {
    auto q = db->NewQuerier(t0, end);
    EXPECT_TRUE(q.has_value());
    auto m = Matcher::Make(MatchType::kRegexMatch, "__name__", ".+");
    auto set = (*q)->Select(Context::Background(), true, nullptr, {*m});
    std::map<Labels, std::vector<Sample>> out;
    while (set->Next()) {
      auto it = set->At().Iterator();
      auto& v = out[set->At().labels()];
      while (it->Next()) v.push_back(Sample{it->AtT(), it->AtV()});
    }
    EXPECT_TRUE(set->Err().ok());
    return out;
  };
  std::map<Labels, std::vector<Sample>> want;
  for (const auto& s : series) want[s.labels] = s.samples;
  ASSERT_TRUE((*db)->CompactHead().has_value());
  auto blocks = (*db)->Blocks();
  int max_level = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto& m = blocks[i]->meta();
    max_level = std::max(max_level, m.compaction.level);
    EXPECT_LE(m.max_time - m.min_time, o.max_block_duration_ms);
    if (i > 0) {
      EXPECT_GE(m.min_time, blocks[i - 1]->meta().max_time) << "overlapping blocks";
    }
    auto v = block::VerifyBlock(blocks[i]->dir());
    EXPECT_TRUE(v.problems.empty()) << v.problems.front().ToString();
  }
  EXPECT_GE(max_level, 3);  // 1h -> 3h -> 9h
  EXPECT_LT(blocks.size(), 10u);
  auto got = count(db->get());
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [l, v] : want) {
    ASSERT_EQ(got[l].size(), v.size()) << l.ToString();
    for (size_t i = 0; i < v.size(); ++i) {
      ASSERT_TRUE(block::testing::SameSample(got[l][i], v[i])) << l.ToString();
    }
  }
  // Only the listed blocks are on disk (parents deleted once unreferenced).
  size_t dirs = 0;
  auto names = fs::DefaultFileSystem()->ListDir(d.path());
  ASSERT_TRUE(names.has_value());
  for (const auto& n : *names) {
    if (block::Ulid::Parse(n).has_value()) ++dirs;
    EXPECT_EQ(n.find(".tmp"), std::string::npos) << n;
  }
  EXPECT_EQ(dirs, blocks.size());
  ASSERT_TRUE((*db)->Close().ok());
  db->reset();

  // A crash between a merge and the deletion of its parents leaves both on disk: the next
  // open deletes the parent. Simulated with a copy of a merged block renamed to one of its
  // parents' ULIDs.
  std::shared_ptr<block::Block> merged;
  for (const auto& b : blocks) {
    if (!b->meta().compaction.parents.empty()) merged = b;
  }
  ASSERT_NE(merged, nullptr);
  const block::Ulid parent = merged->meta().compaction.parents.front().ulid;
  const std::string parent_dir = fs::JoinPath(d.path(), parent.ToString());
  std::filesystem::copy(merged->dir(), parent_dir, std::filesystem::copy_options::recursive);
  auto pm = block::ReadMeta(fs::DefaultFileSystem(), parent_dir);
  ASSERT_TRUE(pm.has_value());
  pm->ulid = parent;
  pm->compaction.parents.clear();
  ASSERT_TRUE(block::WriteMeta(fs::DefaultFileSystem(), parent_dir, *pm).ok());
  const size_t n_blocks = blocks.size();
  blocks.clear();
  merged.reset();
  auto db2 = DB::Open(o);
  ASSERT_TRUE(db2.has_value());
  EXPECT_EQ((*db2)->Blocks().size(), n_blocks);
  EXPECT_FALSE(fs::DefaultFileSystem()->Exists(parent_dir));
  EXPECT_EQ(count(db2->get()).size(), want.size());
}

}  // namespace
}  // namespace vigil::tsdb
