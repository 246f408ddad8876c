// Vertical compaction: overlapping blocks merged into one (compact.h SelectOverlappingBlocks,
// chunk_merge.h, DB::CompactBlocks). Each case writes overlapping blocks into a data
// directory, checks that the DB answers the same before and after compacting them, that the
// merged block verifies, has the expected meta, is read by promtool (when installed) and
// that a failed merge leaves the blocks as they were.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fs/fault_injecting_file_system.h"
#include "fs/temp_dir.h"
#include "storage/memory_storage.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/block_verify.h"
#include "tsdb/block/block_writer.h"
#include "tsdb/block/promtool_test_util.h"
#include "tsdb/chunkenc/xor.h"
#include "tsdb/db/chunk_merge.h"
#include "tsdb/db/compact.h"
#include "tsdb/db/db.h"
#include "tsdb/db/db_test_util.h"

namespace vigil::tsdb {
namespace {

using SeriesMap = testing::SampleDump;
using block::testing::SameSample;
using testing::MetaSpan;
using testing::SameDump;
using testing::SpanCase;

TEST(SelectOverlappingBlocks, Table) {
  const std::vector<SpanCase> cases = {
      {"nothing", {}, {}},
      {"one block", {{0, 20}}, {}},
      {"adjacent blocks do not overlap", {{0, 20}, {20, 40}, {40, 60}}, {}},
      {"partial overlap", {{0, 20}, {10, 30}}, {0, 1}},
      {"full containment", {{0, 60}, {20, 40}}, {0, 1}},
      {"same range", {{0, 20}, {0, 20}}, {0, 1}},
      {"a chain is one run", {{0, 20}, {15, 40}, {35, 60}, {60, 80}}, {0, 1, 2}},
      {"a long block reaches over later ones",
       {{0, 100}, {10, 20}, {50, 60}, {100, 120}},
       {0, 1, 2}},
      {"only the first run", {{0, 20}, {10, 30}, {40, 60}, {50, 70}}, {0, 1}},
      {"a run after disjoint blocks", {{0, 20}, {20, 40}, {30, 50}}, {1, 2}},
      {"the newest block counts", {{0, 20}, {20, 40}, {40, 60}, {50, 70}}, {2, 3}},
  };
  for (const SpanCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<block::BlockMeta> metas = c.Metas();
    EXPECT_EQ(SelectOverlappingBlocks(metas), c.want);
    EXPECT_EQ(PlanVerticalCompaction(metas), c.want);
  }
  // A failed compaction keeps a run out of vertical compaction (queries still merge it);
  // leveled planning skips groups that overlap and goes on with the others. Tombstones do
  // not (the merge leaves deleted data out).
  std::vector<block::BlockMeta> metas = {MetaSpan(0, 20),   MetaSpan(10, 30),   MetaSpan(60, 80),
                                         MetaSpan(80, 100), MetaSpan(100, 120), MetaSpan(120, 140)};
  EXPECT_EQ(PlanVerticalCompaction(metas), (std::vector<size_t>{0, 1}));
  metas[1].stats.num_tombstones = 1;
  EXPECT_EQ(PlanVerticalCompaction(metas), (std::vector<size_t>{0, 1}));
  metas[1].stats.num_tombstones = 0;
  metas[0].compaction.failed = true;
  EXPECT_TRUE(PlanVerticalCompaction(metas).empty());
  EXPECT_EQ(PlanCompaction(metas, {20, 60, 180}), (std::vector<size_t>{2, 3, 4}));
}

// A chunk series set over fixed series (label set -> chunks), for the merge tests.
class FixedChunkSet final : public chunks::ChunkSeriesSet {
 public:
  void Add(Labels l, std::vector<std::vector<Sample>> chunk_samples) {
    Entry e{std::move(l), {}, {}};
    for (const auto& samples : chunk_samples) {
      chunkenc::XorChunk c;
      for (const Sample& s : samples) c.Append(s.t, s.v);
      e.bytes.emplace_back(c.Bytes());
    }
    for (size_t i = 0; i < chunk_samples.size(); ++i) {
      e.metas.push_back(chunks::Meta{chunk_samples[i].front().t, chunk_samples[i].back().t,
                                     chunkenc::Encoding::kXor, "", 0});
    }
    entries_.push_back(std::move(e));
  }
  bool Next() override {
    if (pos_ >= entries_.size()) return false;
    Entry& e = entries_[pos_++];
    for (size_t i = 0; i < e.metas.size(); ++i) e.metas[i].data = e.bytes[i];
    cur_ = &e;
    return true;
  }
  const Labels& labels() const override { return cur_->labels; }
  const std::vector<chunks::Meta>& chunks() const override { return cur_->metas; }
  Status Err() const override { return Status::OK(); }

 private:
  struct Entry {
    Labels labels;
    std::vector<std::string> bytes;
    std::vector<chunks::Meta> metas;
  };
  std::vector<Entry> entries_;
  size_t pos_ = 0;
  const Entry* cur_ = nullptr;
};

std::vector<Sample> Range(int64_t from, int64_t to, int64_t step, double base) {
  std::vector<Sample> out;
  for (int64_t t = from; t < to; t += step) out.push_back(Sample{t, base + double(t)});
  return out;
}

// got holds the samples of want (time -> value), in time order.
::testing::AssertionResult SameAsMap(const std::vector<Sample>& got,
                                     const std::map<int64_t, double>& want) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << got.size() << " samples, want " << want.size();
  }
  size_t i = 0;
  for (const auto& [t, v] : want) {
    if (!SameSample(got[i], Sample{t, v})) return ::testing::AssertionFailure() << "at " << t;
    ++i;
  }
  return ::testing::AssertionSuccess();
}

TEST(MergeChunkSeriesSet, PassesDisjointChunksThroughAndMergesOverlapsLaterWins) {
  const Labels a = Labels::FromPairs({{"__name__", "a"}});
  const Labels b = Labels::FromPairs({{"__name__", "b"}});
  const Labels c = Labels::FromPairs({{"__name__", "c"}});
  auto s0 = std::make_unique<FixedChunkSet>();
  auto s1 = std::make_unique<FixedChunkSet>();
  // a: disjoint chunks in both sets (passed through); b: overlapping with equal timestamps
  // (set 1 wins) and 500 samples (re-cut); c: only in set 1.
  s0->Add(a, {Range(0, 100, 10, 0), Range(300, 400, 10, 0)});
  s1->Add(a, {Range(100, 200, 10, 1e6), Range(400, 500, 10, 1e6)});
  s0->Add(b, {Range(0, 3000, 6, 0)});
  s1->Add(b, {Range(1500, 4500, 10, 1e6)});
  s1->Add(c, {Range(0, 50, 5, 7)});
  const std::string first_a_chunk([&] {
    chunkenc::XorChunk x;
    for (const Sample& s : Range(0, 100, 10, 0)) x.Append(s.t, s.v);
    return std::string(x.Bytes());
  }());
  std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets;
  sets.push_back(std::move(s0));
  sets.push_back(std::move(s1));
  auto merged = NewMergeChunkSeriesSet(std::move(sets));

  ASSERT_TRUE(merged->Next());
  EXPECT_EQ(merged->labels(), a);
  ASSERT_EQ(merged->chunks().size(), 4u);  // untouched, interleaved by time
  EXPECT_EQ(merged->chunks()[0].data, first_a_chunk);
  EXPECT_EQ(merged->chunks()[1].mint, 100);
  EXPECT_EQ(merged->chunks()[2].mint, 300);

  ASSERT_TRUE(merged->Next());
  EXPECT_EQ(merged->labels(), b);
  std::map<int64_t, double> want;
  for (const Sample& s : Range(0, 3000, 6, 0)) want[s.t] = s.v;
  for (const Sample& s : Range(1500, 4500, 10, 1e6)) want[s.t] = s.v;  // set 1 wins
  std::vector<Sample> got;
  for (const chunks::Meta& m : merged->chunks()) {
    chunkenc::XorIterator it(m.data);
    uint32_t n = 0;
    while (it.Next()) {
      got.push_back(Sample{it.AtT(), it.AtV()});
      ++n;
    }
    EXPECT_LE(n, kMergedSamplesPerChunk);
  }
  ASSERT_TRUE(SameAsMap(got, want));
  ASSERT_TRUE(merged->Next());
  EXPECT_EQ(merged->labels(), c);
  EXPECT_EQ(merged->chunks().size(), 1u);
  EXPECT_FALSE(merged->Next());
  EXPECT_TRUE(merged->Err().ok());
}

// One long chunk overlapped by many short ones of another set (and by chunks starting at the
// same time): one group, merged with chunks opened as the merge reaches them.
TEST(MergeChunkSeriesSet, LongGroupOfManyChunks) {
  const Labels a = Labels::FromPairs({{"__name__", "a"}});
  auto s0 = std::make_unique<FixedChunkSet>();
  auto s1 = std::make_unique<FixedChunkSet>();
  auto s2 = std::make_unique<FixedChunkSet>();
  s0->Add(a, {Range(0, 20000, 100, 0)});
  std::vector<std::vector<Sample>> shorts;
  for (int64_t k = 0; k < 40; ++k) shorts.push_back(Range(k * 500, k * 500 + 400, 7, 1e6));
  s1->Add(a, shorts);
  s2->Add(a, {Range(0, 700, 50, 2e6), Range(19000, 25000, 100, 2e6)});
  std::map<int64_t, double> want;  // later sets win
  for (const Sample& x : Range(0, 20000, 100, 0)) want[x.t] = x.v;
  for (const auto& c : shorts) {
    for (const Sample& x : c) want[x.t] = x.v;
  }
  for (const Sample& x : Range(0, 700, 50, 2e6)) want[x.t] = x.v;
  for (const Sample& x : Range(19000, 25000, 100, 2e6)) want[x.t] = x.v;
  std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets;
  sets.push_back(std::move(s0));
  sets.push_back(std::move(s1));
  sets.push_back(std::move(s2));
  auto merged = NewMergeChunkSeriesSet(std::move(sets));
  ASSERT_TRUE(merged->Next());
  std::vector<Sample> got;
  int64_t prev_maxt = INT64_MIN;
  for (const chunks::Meta& m : merged->chunks()) {
    EXPECT_GT(m.mint, prev_maxt);
    prev_maxt = m.maxt;
    chunkenc::XorIterator it(m.data);
    uint32_t n = 0;
    while (it.Next()) {
      got.push_back(Sample{it.AtT(), it.AtV()});
      ++n;
    }
    EXPECT_TRUE(it.Err().ok());
    EXPECT_LE(n, kMergedSamplesPerChunk);
    EXPECT_EQ(got.back().t, m.maxt);
  }
  ASSERT_TRUE(SameAsMap(got, want));
  EXPECT_FALSE(merged->Next());
  EXPECT_TRUE(merged->Err().ok());
}

TEST(MergeChunkSeriesSet, DamagedChunkIsAnError) {
  const Labels a = Labels::FromPairs({{"__name__", "a"}});
  auto s0 = std::make_unique<FixedChunkSet>();
  auto s1 = std::make_unique<FixedChunkSet>();
  s0->Add(a, {Range(0, 1000, 10, 0)});
  s1->Add(a, {Range(500, 1500, 10, 0)});
  std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets;
  sets.push_back(std::move(s0));
  // Chunks whose headers promise more samples than their bytes hold.
  sets.push_back(std::make_unique<block::testing::RewrittenChunkSet>(
      std::move(s1), [](std::string_view c) { return std::string(c.substr(0, c.size() / 2)); }));
  auto merged = NewMergeChunkSeriesSet(std::move(sets));
  EXPECT_FALSE(merged->Next());
  EXPECT_EQ(merged->Err().code(), StatusCode::kCorruption) << merged->Err().ToString();
}

// ---- DB-level cases --------------------------------------------------------------------

struct BlockSpec {
  int64_t mint, maxt;   // block range [mint, maxt)
  int64_t phase, step;  // samples at mint + phase + k * step
  int ulid_ms;          // orders blocks with equal mint (ULID time part)
};

struct DBCase {
  const char* name;
  std::vector<BlockSpec> blocks;
  size_t merged_parents;  // blocks in the overlapping run
};

constexpr int64_t kT0 = 1700000000000;  // block times are offsets from here

// Series k of block b: present unless (k + b) % 4 == 0; values differ per block.
std::vector<std::pair<Labels, std::vector<Sample>>> BlockData(const BlockSpec& s, int b) {
  std::vector<std::pair<Labels, std::vector<Sample>>> out;
  for (int k = 0; k < 12; ++k) {
    if ((k + b) % 4 == 0) continue;
    const std::string id = std::to_string(k);
    Labels l =
        Labels::FromPairs({{"__name__", k % 2 ? "requests_total" : "temperature"}, {"series", id}});
    std::vector<Sample> v;
    for (int64_t t = s.mint + s.phase; t < s.maxt; t += s.step) {
      v.push_back(Sample{kT0 + t, double(b) * 1e6 + double(k) * 1e3 + double(t) / 7});
    }
    out.emplace_back(std::move(l), std::move(v));
  }
  return out;
}

// Writes the blocks into `dir` and returns their ULIDs.
std::vector<block::Ulid> WriteBlocks(const std::string& dir, const std::vector<BlockSpec>& specs) {
  std::vector<block::Ulid> ulids;
  for (size_t b = 0; b < specs.size(); ++b) {
    storage::MemoryStorage mem;
    auto app = mem.NewAppender();
    for (const auto& [l, v] : BlockData(specs[b], int(b))) {
      for (const Sample& s : v) EXPECT_TRUE(app->Append(0, l, s.t, s.v).has_value());
    }
    EXPECT_TRUE(app->Commit().ok());
    block::BlockWriterOptions o;
    o.mint = kT0 + specs[b].mint;
    o.maxt = kT0 + specs[b].maxt;
    o.ulid = block::Ulid::FromParts(uint64_t(kT0 + specs[b].ulid_ms), {uint8_t(b)});
    auto q = mem.NewQuerier(INT64_MIN, INT64_MAX);
    auto meta = block::WriteBlockFromQuerier(Context::Background(), dir, q->get(), o);
    EXPECT_TRUE(meta.has_value()) << meta.error().ToString();
    ulids.push_back(meta->ulid);
  }
  return ulids;
}

// Everything the DB answers, over all time.
SeriesMap QueryAll(DB* db) { return testing::QueryAll(db, INT64_MIN, INT64_MAX); }

// The expected merge, computed without the DB: blocks in (mint, ULID) order, later wins.
SeriesMap Expected(const std::vector<BlockSpec>& specs) {
  std::vector<size_t> order(specs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (specs[a].mint != specs[b].mint) return specs[a].mint < specs[b].mint;
    return specs[a].ulid_ms < specs[b].ulid_ms;
  });
  std::map<Labels, std::map<int64_t, double>> m;
  for (size_t b : order) {
    for (const auto& [l, v] : BlockData(specs[b], int(b))) {
      for (const Sample& s : v) m[l][s.t] = s.v;
    }
  }
  SeriesMap out;
  for (const auto& [l, tv] : m) {
    for (const auto& [t, v] : tv) out[l].push_back(Sample{t, v});
  }
  return out;
}

DBOptions Options(const std::string& dir, fs::FileSystem* fs = nullptr) {
  DBOptions o = testing::TestOptions(dir, fs);
  // One range only: no leveled compaction, so every merge seen here is a vertical one.
  o.block_range_ms = 24 * 3600 * 1000;
  o.max_block_duration_ms = o.block_range_ms;
  return o;
}

TEST(VerticalCompaction, MergesOverlappingBlocksAndKeepsAnswers) {
  const std::vector<DBCase> cases = {
      {"partial overlap, then a disjoint block",
       {{0, 100000, 0, 100, 1}, {50000, 150000, 30, 70, 2}, {200000, 300000, 0, 100, 3}},
       2},
      {"full containment, same timestamps (duplicates)",
       {{0, 300000, 0, 90, 1}, {90000, 120000, 0, 90, 2}},
       2},
      {"same range, duplicate timestamps: the newer ULID wins",
       {{0, 100000, 0, 250, 2}, {0, 100000, 0, 250, 1}},
       2},
      {"a chain of three and a long block reaching over them",
       {{0, 400000, 0, 1000, 1},
        {10000, 100000, 5, 50, 2},
        {90000, 200000, 0, 50, 3},
        {190000, 210000, 7, 13, 4}},
       4},
  };
  const std::string promtool = block::testing::PromtoolPath();
  for (const DBCase& c : cases) {
    SCOPED_TRACE(c.name);
    fs::TempDir d;
    const std::vector<block::Ulid> ulids = WriteBlocks(d.path(), c.blocks);
    const SeriesMap want = Expected(c.blocks);
    auto db = DB::Open(Options(d.path()));
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    ASSERT_EQ((*db)->Blocks().size(), c.blocks.size());
    EXPECT_TRUE(SameDump(QueryAll(db->get()), want));  // the merge querier, before

    std::vector<block::BlockMeta> before;
    for (const auto& b : (*db)->Blocks()) before.push_back(b->meta());
    auto n = (*db)->CompactBlocks();
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    EXPECT_EQ(*n, 1);
    auto blocks = (*db)->Blocks();
    ASSERT_EQ(blocks.size(), c.blocks.size() - c.merged_parents + 1);
    for (size_t i = 1; i < blocks.size(); ++i) {
      EXPECT_GE(blocks[i]->meta().min_time, blocks[i - 1]->meta().max_time) << "still overlap";
    }
    // The merged block: the union range, level max+1, sources and parents of the run.
    std::shared_ptr<block::Block> merged;
    for (const auto& b : blocks) {
      if (!b->meta().compaction.parents.empty()) merged = b;
    }
    ASSERT_NE(merged, nullptr);
    const block::BlockMeta& mm = merged->meta();
    const std::vector<size_t> run = SelectOverlappingBlocks(before);
    ASSERT_EQ(run.size(), c.merged_parents);
    int64_t mint = INT64_MAX, maxt = INT64_MIN;
    std::vector<block::Ulid> sources, parents;
    for (size_t i : run) {
      mint = std::min(mint, before[i].min_time);
      maxt = std::max(maxt, before[i].max_time);
      sources.push_back(before[i].ulid);
      parents.push_back(before[i].ulid);
    }
    std::sort(sources.begin(), sources.end());
    EXPECT_EQ(mm.min_time, mint);
    EXPECT_EQ(mm.max_time, maxt);
    EXPECT_EQ(mm.compaction.level, 2);
    EXPECT_EQ(mm.compaction.sources, sources);
    std::vector<block::Ulid> got_parents;
    for (const auto& p : mm.compaction.parents) got_parents.push_back(p.ulid);
    EXPECT_EQ(got_parents, parents);
    auto v = block::VerifyBlock(merged->dir());
    EXPECT_TRUE(v.problems.empty()) << v.problems.front().ToString();
    // The chunks hold exactly the samples meta.json counts.
    auto cs = merged->NewChunkSeriesSet({}, mm.min_time, mm.max_time - 1);
    ASSERT_TRUE(cs.has_value());
    uint64_t samples = 0;
    while ((*cs)->Next()) {
      for (const auto& ch : (*cs)->chunks()) samples += chunkenc::XorIterator(ch.data).NumSamples();
    }
    EXPECT_EQ(samples, mm.stats.num_samples);

    EXPECT_TRUE(SameDump(QueryAll(db->get()), want));  // one block now: the same answers
    blocks.clear();
    merged.reset();
    ASSERT_TRUE((*db)->Close().ok());
    db->reset();

    // Reopened: no overlap left to plan, no leftovers, same answers.
    auto db2 = DB::Open(Options(d.path()));
    ASSERT_TRUE(db2.has_value());
    EXPECT_TRUE(SameDump(QueryAll(db2->get()), want));
    auto again = (*db2)->CompactBlocks();
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, 0);
    auto names = fs::DefaultFileSystem()->ListDir(d.path());
    ASSERT_TRUE(names.has_value());
    for (const auto& nm : *names) EXPECT_EQ(nm.find(".tmp"), std::string::npos) << nm;
    ASSERT_TRUE((*db2)->Close().ok());

    if (promtool.empty()) continue;
    block::testing::SeriesByText dumped;
    ASSERT_NO_FATAL_FAILURE(block::testing::PromtoolDump(promtool, d.path(), d, &dumped));
    ASSERT_EQ(dumped.size(), want.size());
    for (const auto& [l, v] : want) {
      auto it = dumped.find(l.ToString());
      ASSERT_NE(it, dumped.end()) << l.ToString();
      ASSERT_EQ(it->second.size(), v.size()) << l.ToString();
      for (size_t i = 0; i < v.size(); ++i) {
        ASSERT_EQ(it->second[i].t, v[i].t);
        // promtool prints %g-style shortest values: compare as printed and parsed.
        ASSERT_DOUBLE_EQ(it->second[i].v, v[i].v) << l.ToString() << " at " << v[i].t;
      }
    }
  }
  if (promtool.empty()) GTEST_SKIP() << "promtool not installed: its checks were skipped";
}

// Deleted data in overlapping blocks (tombstones) stays deleted: the merged block holds
// none of it and has no tombstones; answers do not change.
TEST(VerticalCompaction, OverlappingBlocksWithTombstones) {
  fs::TempDir d;
  const std::vector<BlockSpec> specs = {{0, 100000, 0, 100, 1}, {50000, 150000, 30, 70, 2}};
  WriteBlocks(d.path(), specs);
  auto db = DB::Open(Options(d.path()));
  ASSERT_TRUE(db.has_value());
  // Series 1 loses [40 s, 60 s) in both blocks; series 2 everything after 120 s.
  auto m1 = Matcher::Make(MatchType::kEqual, "series", "1");
  auto m2 = Matcher::Make(MatchType::kEqual, "series", "2");
  ASSERT_TRUE((*db)->Delete(kT0 + 40000, kT0 + 59999, {*m1}).ok());
  ASSERT_TRUE((*db)->Delete(kT0 + 120000, kT0 + 200000, {*m2}).ok());
  SeriesMap want = Expected(specs);
  for (auto& [l, v] : want) {
    const std::string_view id = l.Get("series");
    std::erase_if(v, [&](const Sample& x) {
      const int64_t t = x.t - kT0;
      return (id == "1" && t >= 40000 && t < 60000) || (id == "2" && t >= 120000);
    });
  }
  EXPECT_TRUE(SameDump(QueryAll(db->get()), want));
  uint64_t tombstones = 0;
  for (const auto& b : (*db)->Blocks()) tombstones += b->meta().stats.num_tombstones;
  ASSERT_GT(tombstones, 0u);
  auto n = (*db)->CompactBlocks();
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  EXPECT_EQ(*n, 1);
  auto blocks = (*db)->Blocks();
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0]->meta().stats.num_tombstones, 0u);
  EXPECT_TRUE(blocks[0]->tombstones().empty());
  auto v = block::VerifyBlock(blocks[0]->dir());
  EXPECT_TRUE(v.problems.empty()) << v.problems.front().ToString();
  blocks.clear();
  EXPECT_TRUE(SameDump(QueryAll(db->get()), want));
}

TEST(VerticalCompaction, FailedMergeLeavesTheBlocks) {
  fs::TempDir d;
  const std::vector<BlockSpec> specs = {{0, 100000, 0, 10, 1}, {50000, 150000, 5, 10, 2}};
  const std::vector<block::Ulid> ulids = WriteBlocks(d.path(), specs);
  const SeriesMap want = Expected(specs);
  fs::FaultInjectingFileSystem ffs(fs::DefaultFileSystem());
  auto db = DB::Open(Options(d.path(), &ffs));
  ASSERT_TRUE(db.has_value());
  ffs.FailWritesAfter(4096);  // the merged block's chunks do not fit
  auto n = (*db)->CompactBlocks();
  EXPECT_FALSE(n.has_value());
  EXPECT_EQ((*db)->Counters().compactions_failed, 1u);
  ffs.ClearFaults();
  auto blocks = (*db)->Blocks();
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0]->meta().ulid, ulids[0]);
  EXPECT_EQ(blocks[1]->meta().ulid, ulids[1]);
  blocks.clear();
  EXPECT_TRUE(SameDump(QueryAll(db->get()), want));
  auto names = fs::DefaultFileSystem()->ListDir(d.path());
  ASSERT_TRUE(names.has_value());
  std::set<std::string> dirs;
  for (const auto& nm : *names) {
    EXPECT_EQ(nm.find(".tmp"), std::string::npos) << nm;
    if (block::Ulid::Parse(nm).has_value()) dirs.insert(nm);
  }
  EXPECT_EQ(dirs, (std::set<std::string>{ulids[0].ToString(), ulids[1].ToString()}));
  // An I/O failure is retried: with room again the merge succeeds.
  auto retry = (*db)->CompactBlocks();
  ASSERT_TRUE(retry.has_value()) << retry.error().ToString();
  EXPECT_EQ(*retry, 1);
  EXPECT_TRUE(SameDump(QueryAll(db->get()), want));
}

}  // namespace
}  // namespace vigil::tsdb

namespace vigil::tsdb {
namespace {

// One series whose single chunk has another encoding (bytes opaque to Vigil).
class OneHistogramChunkSet final : public chunks::ChunkSeriesSet {
 public:
  OneHistogramChunkSet(int64_t mint, int64_t maxt) {
    meta_.push_back(chunks::Meta{mint, maxt, chunkenc::Encoding::kHistogram, bytes_, 0});
  }
  bool Next() override { return !done_ && (done_ = true); }
  const Labels& labels() const override { return labels_; }
  const std::vector<chunks::Meta>& chunks() const override { return meta_; }
  Status Err() const override { return Status(); }

 private:
  Labels labels_{{"__name__", "h"}};
  std::string bytes_{"\x00\x01\x00\x00", 4};  // sample count 1, then opaque bytes
  std::vector<chunks::Meta> meta_;
  bool done_ = false;
};

// Overlapping chunks Vigil cannot merge (native histograms) fail the merge and leave the
// blocks out of later plans, but only in memory: meta.json stays unmarked, so Prometheus
// still compacts them if it opens the directory, and a restarted Vigil tries again.
TEST(VerticalCompaction, UnmergeableChunksAreNotMarkedOnDisk) {
  fs::TempDir d;
  std::vector<std::string> dirs;
  for (int64_t start : {0, 50000}) {
    OneHistogramChunkSet set(kT0 + start, kT0 + start + 99999);
    block::BlockWriterOptions bo;
    bo.mint = kT0 + start;
    bo.maxt = kT0 + start + 100000;
    auto meta = block::WriteBlock(Context(), d.path(), {"__name__", "h"}, &set, bo);
    ASSERT_TRUE(meta.has_value()) << meta.error().ToString();
    dirs.push_back(fs::JoinPath(d.path(), meta->ulid.ToString()));
  }
  for (int restart = 0; restart < 2; ++restart) {
    auto db = DB::Open(Options(d.path()));
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    auto n = (*db)->CompactBlocks();
    ASSERT_FALSE(n.has_value());
    EXPECT_EQ(n.error().code(), StatusCode::kInvalidArgument) << n.error().ToString();
    n = (*db)->CompactBlocks();  // not retried while this DB runs
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    EXPECT_EQ(*n, 0);
    EXPECT_EQ((*db)->Counters().compactions_failed, 1u);
    for (const std::string& dir : dirs) {
      auto meta = block::ReadMeta(fs::DefaultFileSystem(), dir);
      ASSERT_TRUE(meta.has_value()) << meta.error().ToString();
      EXPECT_FALSE(meta->compaction.failed) << dir;
    }
    ASSERT_TRUE((*db)->Close().ok());
  }
}

}  // namespace
}  // namespace vigil::tsdb
