// Runs the built `vigil tool tsdb ...` (VIGIL_BIN) on blocks written with tsdb/block: list
// and analyze numbers, the exact dump text, and verify on intact and damaged blocks.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cmd/run_vigil.h"
#include "fs/temp_dir.h"
#include "storage/memory_storage.h"
#include "textparse/float.h"
#include "tsdb/block/block.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/block_writer.h"

namespace vigil {
namespace {

using tsdb::block::testing::TestSeries;

using testing::RunResult;

std::string Slurp(const std::string& path) {
  return fs::ReadFileToString(fs::DefaultFileSystem(), path).value_or("");
}

RunResult Vigil(const std::string& args, const fs::TempDir&) {
  return testing::RunVigil(args, "vigil_tool_tsdb_test");
}

class ToolTsdbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tsdb::block::testing::GenOptions o;
    o.num_series = 80;
    o.span_ms = 4 * 3600 * 1000;
    data_ = tsdb::block::testing::GenerateSeries(o);
    tsdb::block::testing::Fill(&mem_, data_);
    db_ = tmp_.Sub("data");
    ASSERT_TRUE(fs::DefaultFileSystem()->CreateDirs(db_).ok());
    // Two blocks: series spanning both are printed once by dump.
    for (int i = 0; i < 2; ++i) {
      tsdb::block::BlockWriterOptions opts;
      opts.mint = o.t0 + i * o.span_ms / 2;
      opts.maxt = opts.mint + o.span_ms / 2;
      auto q = mem_.NewQuerier(INT64_MIN, INT64_MAX);
      auto m = tsdb::block::WriteBlockFromQuerier(Context(), db_, q->get(), opts);
      ASSERT_TRUE(m.has_value()) << m.error().ToString();
      metas_.push_back(*m);
    }
  }

  std::string BlockDir(int i) const { return db_ + "/" + metas_[i].ulid.ToString(); }

  fs::TempDir tmp_;
  std::string db_;
  std::vector<TestSeries> data_;
  storage::MemoryStorage mem_;
  std::vector<tsdb::block::BlockMeta> metas_;
};

TEST_F(ToolTsdbTest, ListShowsEveryBlock) {
  RunResult r = Vigil("tool tsdb list " + db_, tmp_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("BLOCK ULID", 0), 0u) << r.out;
  for (const auto& m : metas_) {
    std::vector<std::string> row;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(m.ulid.ToString(), 0) != 0) continue;
      std::istringstream f(line);
      for (std::string w; f >> w;) row.push_back(w);
    }
    ASSERT_EQ(row.size(), 8u) << r.out;
    EXPECT_EQ(row[1], std::to_string(m.min_time));
    EXPECT_EQ(row[2], std::to_string(m.max_time));
    EXPECT_EQ(row[3], "2h0m0s");
    EXPECT_EQ(row[4], std::to_string(m.stats.num_samples));
    EXPECT_EQ(row[5], std::to_string(m.stats.num_chunks));
    EXPECT_EQ(row[6], std::to_string(m.stats.num_series));
  }
}

TEST_F(ToolTsdbTest, DumpPrintsEverySampleOnceInPromtoolsFormat) {
  std::string want;
  for (const TestSeries& s : data_) {
    for (const Sample& x : s.samples) {
      want += s.labels.ToString() + " " + textparse::FormatFloat(x.v) + " " + std::to_string(x.t) +
              "\n";
    }
  }
  RunResult r = Vigil("tool tsdb dump " + db_, tmp_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out == want) << "dump differs; got " << r.out.size() << " bytes, want "
                             << want.size();

  // --match and --min-time narrow it down (to the series carrying all labels of one).
  const TestSeries& s = data_[7];
  const int64_t from = s.samples[s.samples.size() / 2].t;
  std::string sel = "{";
  std::vector<Matcher> ms;
  for (const auto& l : s.labels) {
    sel += (ms.empty() ? "" : ",") + std::string(l.name) + "=" + QuoteString(l.value);
    ms.push_back(*Matcher::Make(MatchType::kEqual, l.name, l.value));
  }
  sel += "}";
  std::string one;
  for (const TestSeries& o : data_) {
    if (!MatchesAll(ms, o.labels)) continue;
    for (const Sample& x : o.samples) {
      if (x.t >= from) {
        one += o.labels.ToString() + " " + textparse::FormatFloat(x.v) + " " + std::to_string(x.t) +
               "\n";
      }
    }
  }
  ASSERT_FALSE(one.empty());
  std::ofstream(tmp_.Sub("sel")) << sel;
  r = Vigil("tool tsdb dump --min-time " + std::to_string(from) + " --match \"$(cat " +
                tmp_.Sub("sel") + ")\" " + db_,
            tmp_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, one);
}

TEST_F(ToolTsdbTest, AnalyzeCountsTheNewestBlock) {
  RunResult r = Vigil("tool tsdb analyze " + db_, tmp_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Block ID: " + metas_[1].ulid.ToString() + "\n"), std::string::npos);
  EXPECT_NE(r.out.find("Duration: 2h0m0s\n"), std::string::npos);
  EXPECT_NE(r.out.find("Series: " + std::to_string(metas_[1].stats.num_series) + "\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Highest cardinality metric names:\n"), std::string::npos);
  r = Vigil("tool tsdb analyze " + db_ + " " + metas_[0].ulid.ToString(), tmp_);
  EXPECT_NE(r.out.find("Block ID: " + metas_[0].ulid.ToString() + "\n"), std::string::npos);
  EXPECT_EQ(r.out.find("Compaction analysis:"), std::string::npos);
}

TEST_F(ToolTsdbTest, AnalyzeExtendedSplitsTheBytesPerSample) {
  RunResult r = Vigil("tool tsdb analyze --extended " + db_, tmp_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t at = r.out.find("\nCompaction analysis:\n");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string tail = r.out.substr(at);
  EXPECT_NE(tail.find("Samples: " + std::to_string(metas_[1].stats.num_samples) +
                      ", chunks: " + std::to_string(metas_[1].stats.num_chunks)),
            std::string::npos)
      << tail;
  // The four parts add up to the chunks figure (each printed to 3 decimals).
  double total = 0, index = 0, chunks = 0, parts = 0;
  ASSERT_EQ(std::sscanf(tail.c_str() + tail.find("Bytes per sample:"),
                        "Bytes per sample: %lf (index %lf, chunks %lf)", &total, &index, &chunks),
            3)
      << tail;
  for (const char* key :
       {"segment headers: ", "first value): ", "after the first: ", "values after the first: "}) {
    const size_t k = tail.find(key);
    ASSERT_NE(k, std::string::npos) << key;
    parts += std::atof(tail.c_str() + k + std::strlen(key));
  }
  EXPECT_NEAR(parts, chunks, 0.003);
  EXPECT_NEAR(index + chunks, total, 0.002);
  EXPECT_GT(index, 0);
  EXPECT_NE(tail.find("Chunks if every series were one XOR chunk: "), std::string::npos);
}

void Flip(const std::string& path, uint64_t off) {
  std::string d = Slurp(path);
  ASSERT_LT(off, d.size());
  d[off] ^= 0x40;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << d;
}

TEST_F(ToolTsdbTest, VerifyNamesTheDamage) {
  RunResult r = Vigil("tool tsdb verify " + db_, tmp_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("OK " + BlockDir(0)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OK " + BlockDir(1)), std::string::npos) << r.out;

  auto b = tsdb::block::Block::Open(BlockDir(0));
  ASSERT_TRUE(b.has_value());
  auto all = (*b)->index().AllPostings();
  const uint64_t series_off = uint64_t((*all)[3]) * 16;
  Labels l;
  std::vector<tsdb::chunks::Meta> chks;
  ASSERT_TRUE((*b)->index().Series((*all)[5], &l, &chks).ok());
  const uint32_t chunk_off = tsdb::chunks::BlockChunkOffset(chks[0].ref);
  b->reset();

  Flip(BlockDir(0) + "/index", series_off + 3);
  Flip(BlockDir(0) + "/chunks/000001", chunk_off + 5);
  r = Vigil("tool tsdb verify " + BlockDir(0), tmp_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("DAMAGED " + BlockDir(0)), std::string::npos) << r.out;
  EXPECT_NE(
      r.out.find("index: series at offset " + std::to_string(series_off) + ": checksum mismatch"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("chunks/000001: chunk at offset " + std::to_string(chunk_off) +
                       ": checksum mismatch"),
            std::string::npos)
      << r.out;

  std::ofstream(BlockDir(1) + "/meta.json", std::ios::trunc) << "{\"ulid\": 5}";
  r = Vigil("tool tsdb verify " + db_, tmp_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("DAMAGED " + BlockDir(1)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("meta.json: "), std::string::npos) << r.out;

  r = Vigil("tool tsdb verify " + tmp_.Sub("nothing-here"), tmp_);
  EXPECT_EQ(r.exit_code, 1);
}

}  // namespace
}  // namespace vigil
