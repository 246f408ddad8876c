// Writing blocks and reading them back: WriteBlock/WriteBlockFromQuerier, Block + its
// Querier compared with MemoryStorage on the same data, atomic creation under injected
// faults, trimming, multiple segments, and blocks cut from the head.
#include <gtest/gtest.h>

#include <map>

#include "base/failpoint.h"
#include "fs/fault_injecting_file_system.h"
#include "fs/temp_dir.h"
#include "storage/memory_storage.h"
#include "storage/series.h"
#include "tsdb/block/block.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/block_verify.h"
#include "tsdb/block/block_writer.h"
#include "tsdb/block/chunk_cutter.h"
#include "tsdb/block/tombstones.h"
#include "tsdb/chunkenc/xor.h"
#include "tsdb/head/head.h"

namespace vigil::tsdb::block {
namespace {

using testing::GenerateSeries;
using testing::GenOptions;
using testing::SameSample;
using testing::TestSeries;

std::vector<TestSeries> Collect(storage::SeriesSet* set) {
  std::vector<TestSeries> out;
  while (set->Next()) {
    TestSeries s{set->At().labels(), {}};
    auto it = set->At().Iterator();
    while (it->Next()) s.samples.push_back(Sample{it->AtT(), it->AtV()});
    EXPECT_TRUE(it->Err().ok()) << it->Err().ToString();
    out.push_back(std::move(s));
  }
  EXPECT_TRUE(set->Err().ok()) << set->Err().ToString();
  return out;
}

void ExpectSame(const std::vector<TestSeries>& got, const std::vector<TestSeries>& want,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].labels, want[i].labels) << what;
    ASSERT_EQ(got[i].samples.size(), want[i].samples.size())
        << what << " " << got[i].labels.ToString();
    for (size_t k = 0; k < got[i].samples.size(); ++k) {
      ASSERT_TRUE(SameSample(got[i].samples[k], want[i].samples[k]))
          << what << " " << got[i].labels.ToString() << " sample " << k;
    }
  }
}

std::vector<Matcher> Ms(std::initializer_list<std::tuple<MatchType, const char*, const char*>> l) {
  std::vector<Matcher> out;
  for (const auto& [t, n, v] : l) out.push_back(*Matcher::Make(t, n, v));
  return out;
}

class BlockRWTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GenOptions o;
    o.num_series = 600;
    data_ = GenerateSeries(o);
    testing::Fill(&mem_, data_);
    mint_ = o.t0;
    maxt_ = o.t0 + o.span_ms;
    for (const auto& s : data_) samples_ += s.samples.size();
  }

  // Writer options for a block over all of data_.
  BlockWriterOptions WholeRange() const {
    BlockWriterOptions opts;
    opts.mint = mint_;
    opts.maxt = maxt_;
    return opts;
  }

  std::shared_ptr<Block> WriteAndOpen(BlockWriterOptions opts) {
    auto q = mem_.NewQuerier(INT64_MIN, INT64_MAX);
    EXPECT_TRUE(q.has_value());
    auto meta = WriteBlockFromQuerier(Context(), dir_.path(), q->get(), opts);
    EXPECT_TRUE(meta.has_value()) << meta.error().ToString();
    if (!meta.has_value()) return nullptr;
    auto b = Block::Open(fs::JoinPath(dir_.path(), meta->ulid.ToString()));
    EXPECT_TRUE(b.has_value()) << b.error().ToString();
    return b.value_or(nullptr);
  }

  fs::TempDir dir_;
  storage::MemoryStorage mem_;
  std::vector<TestSeries> data_;
  int64_t mint_ = 0, maxt_ = 0;
  uint64_t samples_ = 0;
};

TEST_F(BlockRWTest, QuerierAgreesWithMemoryStorage) {
  auto b = WriteAndOpen(WholeRange());
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->meta().min_time, mint_);
  EXPECT_EQ(b->meta().max_time, maxt_);
  EXPECT_EQ(b->meta().stats.num_series, data_.size());
  EXPECT_EQ(b->meta().stats.num_samples, samples_);
  EXPECT_GT(b->meta().stats.num_chunks, data_.size());  // several chunks per series
  EXPECT_EQ(b->meta().compaction.level, 1);
  EXPECT_EQ(b->meta().compaction.sources, std::vector<Ulid>{b->meta().ulid});

  const std::vector<std::vector<Matcher>> selectors = {
      Ms({{MatchType::kRegexMatch, "__name__", ".+"}}),
      Ms({{MatchType::kEqual, "__name__", "up"}}),
      Ms({{MatchType::kEqual, "job", "東京"}, {MatchType::kNotEqual, "code", "200"}}),
      Ms({{MatchType::kRegexMatch, "job", "Zür.*|api"}, {MatchType::kEqual, "le", ""}}),
      Ms({{MatchType::kRegexNoMatch, "__name__", "up|queue_.*"},
          {MatchType::kRegexMatch, "instance", "10\\.0\\.[0-3]\\..*"}}),
      Ms({{MatchType::kRegexMatch, "ω", ".+"}}),
      Ms({{MatchType::kEqual, "__name__", "no_such_metric"}}),
  };
  struct Range {
    int64_t start, end;
  };
  const std::vector<Range> ranges = {{INT64_MIN, INT64_MAX},
                                     {mint_ + 1234567, mint_ + 2345678},
                                     {maxt_ - 60000, maxt_ + 60000},
                                     {mint_ - 100, mint_ + 100}};
  auto bq = b->NewQuerier(INT64_MIN, INT64_MAX);
  auto mq = mem_.NewQuerier(INT64_MIN, INT64_MAX);
  ASSERT_TRUE(bq.has_value() && mq.has_value());
  for (const auto& ms : selectors) {
    for (const Range& r : ranges) {
      storage::SelectHints h;
      h.start = r.start;
      h.end = r.end;
      auto got = Collect((*bq)->Select(Context(), true, &h, ms).get());
      auto want = Collect((*mq)->Select(Context(), true, &h, ms).get());
      ExpectSame(got, want, ms[0].ToString() + " [" + std::to_string(r.start) + "]");
    }
    auto names = (*bq)->LabelNames(Context(), ms, 0);
    ASSERT_TRUE(names.has_value());
    EXPECT_EQ(*names, *(*mq)->LabelNames(Context(), ms, 0)) << ms[0].ToString();
    for (const char* n : {"__name__", "job", "code", "ω", "nope"}) {
      EXPECT_EQ(*(*bq)->LabelValues(Context(), n, ms, 0), *(*mq)->LabelValues(Context(), n, ms, 0))
          << n << " " << ms[0].ToString();
    }
  }
  EXPECT_EQ(*(*bq)->LabelNames(Context(), {}, 0), *(*mq)->LabelNames(Context(), {}, 0));
  EXPECT_EQ(*(*bq)->LabelValues(Context(), "job", {}, 0),
            *(*mq)->LabelValues(Context(), "job", {}, 0));
  EXPECT_EQ((*bq)->LabelValues(Context(), "job", {}, 2)->size(), 2u);

  // A querier outside the block's range sees nothing.
  auto outside = b->NewQuerier(maxt_, maxt_ + 1000);
  EXPECT_FALSE(outside.value()->Select(Context(), true, nullptr, selectors[0])->Next());
  EXPECT_TRUE(outside.value()->LabelNames(Context(), {}, 0)->empty());

  // Seek across chunks agrees with a linear scan.
  auto set = (*bq)->Select(Context(), true, nullptr, selectors[0]);
  for (size_t i = 0; set->Next(); ++i) {
    const auto& want = data_[i].samples;
    auto it = set->At().Iterator();
    for (size_t k = 0; k < want.size(); k += 37) {
      ASSERT_TRUE(it->Seek(want[k].t - 1));
      EXPECT_EQ(it->AtT(), want[k].t);
    }
    EXPECT_FALSE(it->Seek(want.back().t + 1));
  }

  auto v = VerifyBlock(b->dir());
  EXPECT_TRUE(v.problems.empty()) << v.problems[0].ToString();
  EXPECT_EQ(v.samples, samples_);
}

// The test data minus the samples of series matching `ms` inside [mint, maxt].
std::vector<TestSeries> WithoutDeleted(const std::vector<TestSeries>& data,
                                       const std::vector<Matcher>& ms, int64_t mint, int64_t maxt) {
  std::vector<TestSeries> out;
  for (const TestSeries& s : data) {
    bool match = true;
    for (const Matcher& m : ms) match = match && m.Matches(s.labels.Get(m.name()));
    TestSeries k{s.labels, {}};
    for (const Sample& x : s.samples) {
      if (!match || x.t < mint || x.t > maxt) k.samples.push_back(x);
    }
    if (!k.samples.empty()) out.push_back(std::move(k));
  }
  return out;
}

std::vector<TestSeries> All(const std::shared_ptr<Block>& b) {
  auto q = b->NewQuerier(INT64_MIN, INT64_MAX);
  EXPECT_TRUE(q.has_value());
  return Collect(
      (*q)->Select(Context(), true, nullptr, Ms({{MatchType::kRegexMatch, "__name__", ".+"}}))
          .get());
}

// The samples of a block's chunk series set (what compaction reads).
std::vector<TestSeries> AllChunks(const std::shared_ptr<Block>& b) {
  auto cs = b->NewChunkSeriesSet({}, INT64_MIN, INT64_MAX);
  EXPECT_TRUE(cs.has_value());
  std::vector<TestSeries> out;
  while ((*cs)->Next()) {
    TestSeries s{(*cs)->labels(), {}};
    for (const chunks::Meta& m : (*cs)->chunks()) {
      chunkenc::XorIterator it(m.data);
      while (it.Next()) s.samples.push_back(Sample{it.AtT(), it.AtV()});
    }
    out.push_back(std::move(s));
  }
  EXPECT_TRUE((*cs)->Err().ok()) << (*cs)->Err().ToString();
  return out;
}

TEST_F(BlockRWTest, DeleteWritesTombstonesAndHidesTheSamples) {
  auto b = WriteAndOpen(WholeRange());
  ASSERT_NE(b, nullptr);
  const std::string before =
      *fs::ReadFileToString(fs::DefaultFileSystem(), fs::JoinPath(b->dir(), kTombstonesFilename));

  // No matching series: nothing is written.
  auto none = b->Delete(INT64_MIN, INT64_MAX, Ms({{MatchType::kEqual, "job", "nope"}}));
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(*none, nullptr);

  const auto api = Ms({{MatchType::kEqual, "job", "api"}});
  const int64_t a0 = mint_ + 1800000, a1 = mint_ + 5400000;
  auto b1 = b->Delete(a0, a1, api);
  ASSERT_TRUE(b1.has_value()) << b1.error().ToString();
  ASSERT_NE(*b1, nullptr);
  std::vector<TestSeries> want = WithoutDeleted(data_, api, a0, a1);
  ExpectSame(All(*b1), want, "after delete");
  ExpectSame(AllChunks(*b1), want, "chunk series after delete");
  ExpectSame(All(b), data_, "the old object is unchanged");

  // A second deletion merges with the first; everything of one metric goes.
  const auto up = Ms({{MatchType::kEqual, "__name__", "up"}});
  auto b2 = (*b1)->Delete(INT64_MIN, INT64_MAX, up);
  ASSERT_TRUE(b2.has_value() && *b2 != nullptr);
  want = WithoutDeleted(want, up, INT64_MIN, INT64_MAX);
  ExpectSame(All(*b2), want, "after two deletes");
  ExpectSame(AllChunks(*b2), want, "chunk series after two deletes");

  // On disk: the tombstones file and meta.json's numTombstones, as a fresh open sees them.
  auto reopened = Block::Open(b->dir());
  ASSERT_TRUE(reopened.has_value()) << reopened.error().ToString();
  ExpectSame(All(*reopened), want, "reopened");
  const Tombstones& ts = (*reopened)->tombstones();
  EXPECT_EQ(ts.all(), (*b2)->tombstones().all());
  EXPECT_GT(ts.NumIntervals(), 0u);
  EXPECT_EQ((*reopened)->meta().stats.num_tombstones, ts.NumIntervals());
  EXPECT_EQ((*reopened)->meta().stats.num_series, b->meta().stats.num_series);
  EXPECT_EQ((*reopened)->meta().ulid, b->meta().ulid);
  const std::string after =
      *fs::ReadFileToString(fs::DefaultFileSystem(), fs::JoinPath(b->dir(), kTombstonesFilename));
  EXPECT_EQ(after, EncodeTombstones(ts));
  EXPECT_NE(after, before);
  EXPECT_FALSE(fs::DefaultFileSystem()->Exists(
      fs::JoinPath(b->dir(), std::string(kTombstonesFilename) + ".tmp")));
  // Intervals are clamped to each series' data (Prometheus: "not beyond").
  for (const auto& [ref, ivs] : ts.all()) {
    for (const Interval& iv : ivs) {
      EXPECT_GE(iv.mint, mint_);
      EXPECT_LT(iv.maxt, maxt_);
    }
  }
  auto v = VerifyBlock(b->dir());
  EXPECT_TRUE(v.problems.empty()) << v.problems[0].ToString();
}

TEST_F(BlockRWTest, SmallSegmentsAndCancellation) {
  BlockWriterOptions opts = WholeRange();
  opts.segment_size = 64 << 10;
  auto b = WriteAndOpen(opts);
  ASSERT_NE(b, nullptr);
  EXPECT_GT(b->chunk_reader().num_segments(), 3u);
  auto q = b->NewQuerier(INT64_MIN, INT64_MAX);
  auto got = Collect(
      q.value()
          ->Select(Context(), true, nullptr, Ms({{MatchType::kRegexMatch, "__name__", ".+"}}))
          .get());
  ExpectSame(got, data_, "small segments");
  EXPECT_TRUE(VerifyBlock(b->dir()).problems.empty());

  std::stop_source stop;
  stop.request_stop();
  auto mq = mem_.NewQuerier(INT64_MIN, INT64_MAX);
  fs::TempDir other;
  auto meta = WriteBlockFromQuerier(Context(0, stop.get_token()), other.path(), mq->get(), opts);
  EXPECT_FALSE(meta.has_value());
  EXPECT_TRUE(fs::DefaultFileSystem()->ListDir(other.path())->empty());
}

TEST_F(BlockRWTest, CreationIsAtomicUnderFaults) {
  BlockWriterOptions opts = WholeRange();
  for (uint64_t budget : {0ull, 100ull, 5000ull, 40000ull, 200000ull}) {
    fs::TempDir dir;
    fs::FaultInjectingFileSystem ffs(fs::DefaultFileSystem());
    ffs.FailWritesAfter(budget);
    opts.fs = &ffs;
    auto q = mem_.NewQuerier(INT64_MIN, INT64_MAX);
    auto meta = WriteBlockFromQuerier(Context(), dir.path(), q->get(), opts);
    ASSERT_FALSE(meta.has_value()) << budget;
    EXPECT_TRUE(meta.error().IsIOError()) << meta.error().ToString();
    EXPECT_TRUE(fs::DefaultFileSystem()->ListDir(dir.path())->empty()) << budget;
  }
  fs::TempDir dir;
  fs::FaultInjectingFileSystem ffs(fs::DefaultFileSystem());
  ffs.FailSyncs();
  opts.fs = &ffs;
  auto q = mem_.NewQuerier(INT64_MIN, INT64_MAX);
  EXPECT_FALSE(WriteBlockFromQuerier(Context(), dir.path(), q->get(), opts).has_value());
  EXPECT_TRUE(fs::DefaultFileSystem()->ListDir(dir.path())->empty());

  // Success leaves exactly <ULID> with the four entries.
  opts.fs = nullptr;
  auto meta = WriteBlockFromQuerier(Context(), dir.path(), q->get(), opts);
  ASSERT_TRUE(meta.has_value());
  EXPECT_EQ(*fs::DefaultFileSystem()->ListDir(dir.path()),
            std::vector<std::string>{meta->ulid.ToString()});
  auto entries = *fs::DefaultFileSystem()->ListDir(dir.Sub(meta->ulid.ToString()));
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, (std::vector<std::string>{"chunks", "index", "meta.json", "tombstones"}));
}

// Regression: a failed fsync of the parent after the rename left the renamed block behind,
// unlisted; the caller's retry then wrote a second block for the same range.
TEST_F(BlockRWTest, FailedParentSyncAfterRenameLeavesNoBlock) {
  fs::TempDir dir;
  ASSERT_TRUE(failpoint::Configure("fs.syncdir[" + dir.path() + "$]=eio").ok());
  BlockWriterOptions opts = WholeRange();
  auto q = mem_.NewQuerier(INT64_MIN, INT64_MAX);
  auto meta = WriteBlockFromQuerier(Context(), dir.path(), q->get(), opts);
  ASSERT_TRUE(failpoint::Configure("").ok());
  ASSERT_FALSE(meta.has_value());
  EXPECT_EQ(meta.error().message(), "fsync " + dir.path() + ": Input/output error");
  EXPECT_TRUE(fs::DefaultFileSystem()->ListDir(dir.path())->empty());
  meta = WriteBlockFromQuerier(Context(), dir.path(), q->get(), opts);  // the retry
  ASSERT_TRUE(meta.has_value());
  EXPECT_EQ(*fs::DefaultFileSystem()->ListDir(dir.path()),
            std::vector<std::string>{meta->ulid.ToString()});
}

// A ChunkSeriesSet over fixed data.
class ListChunkSeriesSet final : public chunks::ChunkSeriesSet {
 public:
  struct Entry {
    Labels labels;
    std::vector<CutChunk> chunks;
  };
  explicit ListChunkSeriesSet(std::vector<Entry> e) : e_(std::move(e)) {}
  bool Next() override {
    if (++i_ >= e_.size()) return false;
    metas_.clear();
    for (const CutChunk& c : e_[i_].chunks) {
      metas_.push_back(chunks::Meta{c.mint, c.maxt, chunkenc::Encoding::kXor, c.data, 0});
    }
    return true;
  }
  const Labels& labels() const override { return e_[i_].labels; }
  const std::vector<chunks::Meta>& chunks() const override { return metas_; }
  Status Err() const override { return Status::OK(); }

 private:
  std::vector<Entry> e_;
  size_t i_ = size_t(-1);
  std::vector<chunks::Meta> metas_;
};

TEST(BlockWriterTest, TrimsStraddlingChunksAndCopiesTheRest) {
  // One series, 1000 samples at 10 s: chunks cut with a 1 h range.
  ChunkCutter cut(3600000);
  for (int64_t t = 0; t < 10000 * 1000; t += 10000) cut.Append(t, double(t) / 7);
  std::vector<CutChunk> chunks = cut.Finish();
  ASSERT_GT(chunks.size(), 4u);
  const int64_t mint = chunks[1].mint + 55000, maxt = chunks[3].maxt + 1;  // [mint, maxt)
  ListChunkSeriesSet set({{Labels{{"__name__", "x"}}, chunks},
                          {Labels{{"__name__", "y"}}, {chunks[0]}}});  // y: all outside
  fs::TempDir dir;
  BlockWriterOptions opts;
  opts.mint = mint;
  opts.maxt = maxt;
  auto meta = WriteBlock(Context(), dir.path(), {"__name__", "x", "y"}, &set, opts);
  ASSERT_TRUE(meta.has_value()) << meta.error().ToString();
  EXPECT_EQ(meta->stats.num_series, 1u);
  EXPECT_EQ(meta->stats.num_chunks, 3u);
  const int64_t first = (mint + 9999) / 10000 * 10000;  // first sample >= mint
  EXPECT_EQ(meta->stats.num_samples, uint64_t((maxt - 1 - first) / 10000 + 1));
  auto b = Block::Open(dir.Sub(meta->ulid.ToString()));
  ASSERT_TRUE(b.has_value());
  auto cs = (*b)->NewChunkSeriesSet({}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(cs.has_value());
  ASSERT_TRUE((*cs)->Next());
  const auto& got = (*cs)->chunks();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].mint, first);  // re-encoded from chunk 1
  EXPECT_EQ(got[0].maxt, chunks[1].maxt);
  EXPECT_EQ(got[1].data, chunks[2].data);  // copied byte for byte
  EXPECT_EQ(got[2].data, chunks[3].data);
  EXPECT_FALSE((*cs)->Next());
  EXPECT_TRUE(VerifyBlock((*b)->dir()).problems.empty());
}

TEST(BlockWriterTest, RejectsBadInputAndWritesNothingForNoData) {
  fs::TempDir dir;
  ChunkCutter cut(3600000);
  cut.Append(1000, 1);
  const std::vector<CutChunk> c = cut.Finish();
  BlockWriterOptions opts;
  opts.mint = 0;
  opts.maxt = 3600000;
  {
    ListChunkSeriesSet set({{Labels{{"__name__", "b"}}, c}, {Labels{{"__name__", "a"}}, c}});
    auto m = WriteBlock(Context(), dir.path(), {"__name__", "a", "b"}, &set, opts);
    EXPECT_TRUE(m.error().IsInvalidArgument()) << m.error().ToString();
  }
  {
    ListChunkSeriesSet set({{Labels{{"__name__", "a"}}, {c[0], c[0]}}});  // overlapping
    auto m = WriteBlock(Context(), dir.path(), {"__name__", "a"}, &set, opts);
    EXPECT_TRUE(m.error().IsInvalidArgument()) << m.error().ToString();
  }
  {
    ListChunkSeriesSet set({{Labels{{"__name__", "a"}}, c}});  // symbol "a" missing
    auto m = WriteBlock(Context(), dir.path(), {"__name__"}, &set, opts);
    EXPECT_TRUE(m.error().IsInvalidArgument()) << m.error().ToString();
  }
  {
    opts.mint = 5000;  // the only sample is outside
    ListChunkSeriesSet set({{Labels{{"__name__", "a"}}, c}});
    auto m = WriteBlock(Context(), dir.path(), {"__name__", "a"}, &set, opts);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->stats.num_series, 0u);
  }
  EXPECT_TRUE(fs::DefaultFileSystem()->ListDir(dir.path())->empty());
}

// Blocks cut from the head hold exactly the head's samples of the range, with the head's
// full chunks copied as they are.
TEST(BlockFromHeadTest, WritesTheHeadsDataForARange) {
  for (bool on_disk : {false, true}) {
    fs::TempDir dir;
    HeadOptions ho;
    if (on_disk) ho.dir = dir.Sub("data");
    auto head = Head::Open(ho);
    ASSERT_TRUE(head.has_value()) << head.error().ToString();
    GenOptions o;
    o.num_series = 400;
    o.t0 = 1700000000000 - 1700000000000 % 7200000;  // aligned to the 2 h chunk range
    o.span_ms = 4 * 3600000;
    auto data = GenerateSeries(o);
    // Append in an order that is not label order: ids then differ from the block's order.
    {
      auto app = (*head)->NewAppender();
      for (size_t i = data.size(); i-- > 0;) {
        for (const Sample& s : data[i].samples) {
          ASSERT_TRUE(app->Append(0, data[i].labels, s.t, s.v).has_value());
        }
      }
      ASSERT_TRUE(app->Commit().ok());
    }
    // Two blocks: the first 2 h range and a range cutting through chunks.
    for (auto [mint, maxt] :
         {std::pair{o.t0, o.t0 + 7200000}, std::pair{o.t0 + 5000000, o.t0 + 9000000}}) {
      auto set = (*head)->NewChunkSeriesSet(Context(), mint, maxt - 1);
      BlockWriterOptions opts;
      opts.mint = mint;
      opts.maxt = maxt;
      auto meta = WriteBlock(Context(), dir.path(), (*head)->BlockSymbols(), set.get(), opts);
      ASSERT_TRUE(meta.has_value()) << meta.error().ToString();
      auto b = Block::Open(dir.Sub(meta->ulid.ToString()));
      ASSERT_TRUE(b.has_value()) << b.error().ToString();
      const auto all = Ms({{MatchType::kRegexMatch, "__name__", ".+"}});
      auto hq = (*head)->NewQuerier(mint, maxt - 1);
      auto bq = (*b)->NewQuerier(mint, maxt - 1);
      auto want = Collect((*hq)->Select(Context(), true, nullptr, all).get());
      auto got = Collect((*bq)->Select(Context(), true, nullptr, all).get());
      ASSERT_GT(want.size(), 200u);
      ExpectSame(got, want, on_disk ? "on disk" : "in memory");
      auto v = VerifyBlock((*b)->dir());
      EXPECT_TRUE(v.problems.empty()) << v.problems[0].ToString();
    }
  }
}

}  // namespace
}  // namespace vigil::tsdb::block
