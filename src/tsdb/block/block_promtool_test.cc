// Interop with Prometheus' own tools (Debian's promtool 2.42 at /usr/bin/promtool, or
// $VIGIL_PROMTOOL_BIN), in both directions:
//  * a block Vigil writes is listed, analyzed and dumped by `promtool tsdb`, which must print
//    exactly the series and samples Vigil wrote;
//  * blocks promtool writes (`tsdb create-blocks-from openmetrics`) are read by Vigil's
//    Block/Querier and pass VerifyBlock, and Vigil writing the same samples produces the same
//    index and chunk files byte for byte.
// Skipped (with a message) when promtool is not installed.
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "fs/temp_dir.h"
#include "storage/memory_storage.h"
#include "tsdb/block/block.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/block_verify.h"
#include "tsdb/block/block_writer.h"
#include "tsdb/block/promtool_test_util.h"
#include "tsdb/chunkenc/xor.h"

namespace vigil::tsdb::block {
namespace {

using testing::GenerateSeries;
using testing::GenOptions;
using testing::TestSeries;
using Cmd = testing::ShellResult;
using testing::PromtoolDump;
using testing::RunShell;
using testing::SameSeriesByText;
using testing::SeriesByText;

std::string Slurp(const std::string& path) {
  return fs::ReadFileToString(fs::DefaultFileSystem(), path).value_or("");
}

std::vector<std::string> Fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> f;
  for (std::string w; in >> w;) f.push_back(w);
  return f;
}

// The value of "Key: value" lines.
std::string After(const std::string& text, const std::string& key) {
  const size_t p = text.find(key);
  if (p == std::string::npos) return "";
  const size_t e = text.find('\n', p);
  return text.substr(p + key.size(), e - p - key.size());
}

// Writes `data` (spanning [o.t0, o.t0 + o.span_ms)) as one block into `dir`; *meta gets its
// meta.json.
void WriteOneBlock(const std::vector<TestSeries>& data, const GenOptions& o, const std::string& dir,
                   BlockMeta* meta) {
  storage::MemoryStorage mem;
  testing::Fill(&mem, data);
  BlockWriterOptions opts;
  opts.mint = o.t0;
  opts.maxt = o.t0 + o.span_ms;
  auto q = mem.NewQuerier(INT64_MIN, INT64_MAX);
  auto m = WriteBlockFromQuerier(Context(), dir, q->get(), opts);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  *meta = *m;
}

// Skips the test when promtool is not installed.
class PromtoolInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (promtool_.empty()) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  }

  const std::string promtool_ = testing::PromtoolPath();
};

// `n` generated series over two hours.
GenOptions TwoHours(size_t n) {
  GenOptions o;
  o.num_series = n;
  o.span_ms = 2 * 3600 * 1000;
  return o;
}

TEST_F(PromtoolInteropTest, PromtoolListsAnalyzesAndDumpsAVigilBlock) {
  const GenOptions o = TwoHours(2000);
  const std::vector<TestSeries> data = GenerateSeries(o);
  uint64_t samples = 0;
  for (const auto& s : data) samples += s.samples.size();

  fs::TempDir tmp;
  const std::string db = tmp.Sub("data");
  ASSERT_TRUE(fs::DefaultFileSystem()->CreateDirs(db).ok());
  BlockMeta meta;
  ASSERT_NO_FATAL_FAILURE(WriteOneBlock(data, o, db, &meta));
  auto block = Block::Open(fs::JoinPath(db, meta.ulid.ToString()));
  ASSERT_TRUE(block.has_value());
  EXPECT_GT(meta.stats.num_chunks, 2 * data.size());  // several chunks per series

  // list: one row with our numbers.
  Cmd list = RunShell(promtool_ + " tsdb list " + db, tmp);
  ASSERT_EQ(list.code, 0) << list.err;
  std::vector<std::string> row;
  std::string line;
  for (std::istringstream in(list.out); std::getline(in, line);) {
    if (line.rfind(meta.ulid.ToString(), 0) == 0) row = Fields(line);
  }
  ASSERT_EQ(row.size(), 8u) << list.out;
  EXPECT_EQ(row[1], std::to_string(o.t0));
  EXPECT_EQ(row[2], std::to_string(o.t0 + o.span_ms));
  EXPECT_EQ(row[3], "2h0m0s");
  EXPECT_EQ(row[4], std::to_string(samples));
  EXPECT_EQ(row[5], std::to_string(meta.stats.num_chunks));
  EXPECT_EQ(row[6], std::to_string(data.size()));
  EXPECT_EQ(row[7], std::to_string((*block)->size_bytes()));

  // analyze: cardinality from the index.
  Cmd an = RunShell(promtool_ + " tsdb analyze " + db, tmp);
  ASSERT_EQ(an.code, 0) << an.err;
  std::map<std::string, uint64_t> names, pairs, metrics;
  uint64_t entries = 0;
  for (const auto& s : data) {
    for (const auto& l : s.labels) {
      ++names[std::string(l.name)];
      ++pairs[std::string(l.name) + "=" + std::string(l.value)];
      ++entries;
    }
    ++metrics[std::string(s.labels.MetricName())];
  }
  EXPECT_EQ(After(an.out, "Block ID: "), meta.ulid.ToString());
  EXPECT_EQ(After(an.out, "Series: "), std::to_string(data.size()));
  EXPECT_EQ(After(an.out, "Label names: "), std::to_string(names.size()));
  EXPECT_EQ(After(an.out, "Postings (unique label pairs): "), std::to_string(pairs.size()));
  EXPECT_EQ(After(an.out, "Postings entries (total label pairs): "), std::to_string(entries));
  const size_t sec = an.out.find("Highest cardinality metric names:\n");
  ASSERT_NE(sec, std::string::npos) << an.out;
  std::istringstream mlines(an.out.substr(sec));
  std::getline(mlines, line);
  size_t seen = 0;
  while (std::getline(mlines, line) && !line.empty()) {
    auto f = Fields(line);
    ASSERT_EQ(f.size(), 2u) << line;
    EXPECT_EQ(f[0], std::to_string(metrics[f[1]])) << f[1];
    ++seen;
  }
  EXPECT_EQ(seen, metrics.size());

  // dump: every sample, as Prometheus reads it. promtool 2.42's dump also replays the head
  // and fails without a wal/ directory (a real data directory always has one).
  ASSERT_TRUE(fs::DefaultFileSystem()->CreateDirs(fs::JoinPath(db, "wal")).ok());
  SeriesByText got;
  uint64_t lines = 0;
  ASSERT_NO_FATAL_FAILURE(PromtoolDump(promtool_, db, tmp, &got, &lines));
  EXPECT_EQ(lines, samples);
  ASSERT_TRUE(SameSeriesByText(got, testing::ByText(data)));
}

// A tombstones file written by Vigil (Block::Delete, the delete_series API) is read by
// Prometheus: promtool's dump leaves out exactly the deleted samples.
TEST_F(PromtoolInteropTest, PromtoolHonoursVigilTombstones) {
  const GenOptions o = TwoHours(300);
  const std::vector<TestSeries> data = GenerateSeries(o);
  fs::TempDir tmp;
  const std::string db = tmp.Sub("data");
  ASSERT_TRUE(fs::DefaultFileSystem()->CreateDirs(fs::JoinPath(db, "wal")).ok());
  BlockMeta meta;
  ASSERT_NO_FATAL_FAILURE(WriteOneBlock(data, o, db, &meta));
  auto block = Block::Open(fs::JoinPath(db, meta.ulid.ToString()));
  ASSERT_TRUE(block.has_value());
  // Two deletions of overlapping series sets (their intervals merge per series).
  const std::vector<Matcher> api = {*Matcher::Make(MatchType::kEqual, "job", "api")};
  const std::vector<Matcher> up = {*Matcher::Make(MatchType::kRegexMatch, "__name__", "up|temp.*")};
  const int64_t a0 = o.t0 + 1000000, a1 = o.t0 + 4000000;
  const int64_t b0 = o.t0 + 3000000, b1 = o.t0 + 5000000;
  auto d1 = (*block)->Delete(a0, a1, api);
  ASSERT_TRUE(d1.has_value() && *d1 != nullptr);
  auto d2 = (*d1)->Delete(b0, b1, up);
  ASSERT_TRUE(d2.has_value() && *d2 != nullptr);
  ASSERT_GT((*d2)->tombstones().NumIntervals(), 10u);
  SeriesByText want;
  uint64_t kept = 0;
  for (const auto& s : data) {
    const bool in_api = MatchesAll(api, s.labels), in_up = MatchesAll(up, s.labels);
    for (const Sample& x : s.samples) {
      if (in_api && x.t >= a0 && x.t <= a1) continue;
      if (in_up && x.t >= b0 && x.t <= b1) continue;
      want[s.labels.ToString()].push_back(x);
      ++kept;
    }
  }
  SeriesByText got;
  uint64_t lines = 0;
  ASSERT_NO_FATAL_FAILURE(PromtoolDump(promtool_, db, tmp, &got, &lines));
  EXPECT_EQ(lines, kept);
  ASSERT_TRUE(SameSeriesByText(got, want));
}

// OpenMetrics text of `data`; timestamps are seconds with a fraction, which promtool turns
// into int64(seconds * 1000): sample times that would not survive that are moved up a ms.
std::string ToOpenMetrics(std::vector<TestSeries>* data) {
  std::string out;
  char buf[64];
  for (TestSeries& s : *data) {
    std::string series(s.labels.MetricName());
    series += '{';
    bool first = true;
    for (const auto& l : s.labels) {
      if (l.name == kMetricName) continue;
      if (!first) series += ',';
      first = false;
      series.append(l.name);
      series += "=\"";
      for (char c : l.value) {
        if (c == '\\' || c == '"') series += '\\';
        if (c == '\n') {
          series += "\\n";
          continue;
        }
        series += c;
      }
      series += '"';
    }
    series += "} ";
    int64_t prev = INT64_MIN;
    for (Sample& x : s.samples) {
      if (x.t <= prev) x.t = prev + 1;
      std::string ts;
      while (true) {
        ts = std::to_string(x.t / 1000) + "." + std::to_string(1000 + x.t % 1000).substr(1);
        if (int64_t(std::strtod(ts.c_str(), nullptr) * 1000) == x.t) break;
        ++x.t;
      }
      prev = x.t;
      std::string v;
      if (std::isnan(x.v)) {
        v = "NaN";
      } else if (std::isinf(x.v)) {
        v = x.v > 0 ? "+Inf" : "-Inf";
      } else {
        auto r = std::to_chars(buf, buf + sizeof(buf), x.v);
        v.assign(buf, r.ptr);
      }
      out += series + v + " " + ts + "\n";
    }
  }
  out += "# EOF\n";
  return out;
}

// Prometheus 2.x's bit stream (before prometheus/prometheus#14854, in 3.0) wrote whole bytes
// leaving an empty byte behind when they ended on a byte boundary, so an XOR chunk is one zero
// byte longer when its last value was written as a multiple of 8 bits ending aligned: the
// first sample's 64 bits, or a changed value whose XOR window is a multiple of 8 bits wide.
// Readers ignore the byte. This adds it to a chunk, to compare against promtool 2.42's files.
std::string Prometheus2Bytes(std::string_view chunk) {
  chunkenc::XorIterator it(chunk);
  uint64_t prev = 0, last = 0;
  while (it.Next()) {
    prev = last;
    last = it.AtVBits();
  }
  const chunkenc::XorState st = it.State();
  const int bits = st.num_samples == 1 ? 64 : prev == last ? 0 : 64 - st.leading - st.trailing;
  std::string out(chunk);
  if (st.bit_len % 8 == 0 && bits > 0 && bits % 8 == 0) out += '\0';
  return out;
}

std::string FirstDifference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return "sizes " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) +
         ", first difference at byte " + std::to_string(i);
}

TEST_F(PromtoolInteropTest, VigilReadsPromtoolBlocksAndWritesTheSameBytes) {
  GenOptions o;
  o.num_series = 1500;
  o.t0 = 1700000001234;
  o.span_ms = 5 * 3600 * 1000;
  o.ascii_names = true;
  std::vector<TestSeries> data = GenerateSeries(o);
  fs::TempDir tmp;
  {
    std::ofstream f(tmp.Sub("input.om"), std::ios::binary);
    f << ToOpenMetrics(&data);  // may move timestamps: do it before anything else reads data
  }
  storage::MemoryStorage mem;
  testing::Fill(&mem, data);

  const std::string out = tmp.Sub("prom");
  Cmd c = RunShell(
      promtool_ + " tsdb create-blocks-from openmetrics " + tmp.Sub("input.om") + " " + out, tmp);
  ASSERT_EQ(c.code, 0) << c.out << c.err;
  auto blocks = OpenBlocks(out);
  ASSERT_TRUE(blocks.has_value()) << blocks.error().ToString();
  ASSERT_GE(blocks->size(), 3u);

  // Every series and sample, read through Vigil's querier over all blocks.
  SeriesByText got;
  const auto all = *Matcher::Make(MatchType::kRegexMatch, "__name__", ".+");
  for (const auto& b : *blocks) {
    auto q = b->NewQuerier(INT64_MIN, INT64_MAX);
    ASSERT_TRUE(q.has_value());
    auto set = (*q)->Select(Context(), true, nullptr, {all});
    while (set->Next()) {
      auto it = set->At().Iterator();
      auto& v = got[set->At().labels().ToString()];
      while (it->Next()) v.push_back(Sample{it->AtT(), it->AtV()});
      ASSERT_TRUE(it->Err().ok()) << it->Err().ToString();
    }
    ASSERT_TRUE(set->Err().ok()) << set->Err().ToString();
    auto v = VerifyBlock(b->dir());
    EXPECT_TRUE(v.problems.empty()) << b->dir() << ": " << v.problems[0].ToString();
  }
  ASSERT_TRUE(SameSeriesByText(got, testing::ByText(data)));

  // The same samples written by Vigil: identical index and chunk files. promtool's head cuts
  // chunks on twice its 2 h block duration; its block spans first to last sample + 1 ms.
  // Prometheus 2.x's XOR chunks carry one stray zero byte in some cases (see
  // Prometheus2Bytes); Vigil writes the tight encoding of Prometheus 3, so the source adds
  // that byte back to compare everything else byte for byte.
  const int64_t kChunkRange = 4 * 3600 * 1000;
  for (const auto& b : *blocks) {
    fs::TempDir vdir;
    BlockWriterOptions opts;
    opts.mint = b->meta().min_time;
    opts.maxt = b->meta().max_time;
    auto q = mem.NewQuerier(opts.mint, opts.maxt - 1);
    storage::SelectHints hints;
    hints.start = opts.mint;
    hints.end = opts.maxt - 1;
    testing::RewrittenChunkSet set(
        NewSampleChunkSeriesSet((*q)->Select(Context(), true, &hints, {all}), kChunkRange),
        Prometheus2Bytes);
    // The symbols as WriteBlockFromQuerier derives them: names and values of the series with
    // samples in the range, and "".
    std::vector<std::string> symbols = {""};
    const std::vector<std::string> names = *(*q)->LabelNames(Context(), {all}, 0);
    for (const std::string& n : names) {
      symbols.push_back(n);
      const std::vector<std::string> values = *(*q)->LabelValues(Context(), n, {all}, 0);
      symbols.insert(symbols.end(), values.begin(), values.end());
    }
    std::sort(symbols.begin(), symbols.end());
    symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
    EXPECT_EQ(symbols, *b->Symbols());
    auto meta = WriteBlock(Context(), vdir.path(), symbols, &set, opts);
    ASSERT_TRUE(meta.has_value()) << meta.error().ToString();
    EXPECT_EQ(meta->stats.num_series, b->meta().stats.num_series);
    EXPECT_EQ(meta->stats.num_chunks, b->meta().stats.num_chunks);
    EXPECT_EQ(meta->stats.num_samples, b->meta().stats.num_samples);
    const std::string mine = vdir.Sub(meta->ulid.ToString());
    for (const char* f : {"index", "chunks/000001", "tombstones"}) {
      const std::string a = Slurp(fs::JoinPath(mine, f)), p = Slurp(fs::JoinPath(b->dir(), f));
      EXPECT_TRUE(a == p) << f << " of " << b->dir() << ": " << FirstDifference(a, p);
    }
  }
}

}  // namespace
}  // namespace vigil::tsdb::block
