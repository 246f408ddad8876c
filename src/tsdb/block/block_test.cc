// Unit tests of the small block pieces: ULIDs, meta.json, tombstones, the chunk cutter.
#include <gtest/gtest.h>

#include <random>

#include "base/coding.h"
#include "fs/temp_dir.h"
#include "tsdb/block/chunk_cutter.h"
#include "tsdb/block/meta.h"
#include "tsdb/block/tombstones.h"
#include "tsdb/block/ulid.h"
#include "tsdb/chunkenc/xor.h"

namespace vigil::tsdb::block {
namespace {

TEST(UlidTest, TextRoundTripAndOrder) {
  std::mt19937_64 rng(7);
  Ulid prev;
  for (int i = 0; i < 1000; ++i) {
    const int64_t ms = int64_t(rng() % (uint64_t(1) << 48));
    Ulid u = Ulid::New(ms);
    EXPECT_EQ(u.TimeMs(), uint64_t(ms));
    const std::string s = u.ToString();
    ASSERT_EQ(s.size(), 26u);
    auto back = Ulid::Parse(s);
    ASSERT_TRUE(back.has_value()) << s;
    EXPECT_EQ(*back, u);
    // Lower case parses to the same value.
    std::string lower = s;
    for (char& c : lower) c = char(std::tolower(c));
    EXPECT_EQ(Ulid::Parse(lower).value_or(Ulid()), u);
    // Text order is value order.
    EXPECT_EQ(prev.ToString() < s, prev < u);
    prev = u;
  }
  // Two ULIDs of the same millisecond differ (80 random bits).
  EXPECT_NE(Ulid::New(5), Ulid::New(5));
}

TEST(UlidTest, Bounds) {
  EXPECT_EQ(Ulid().ToString(), std::string(26, '0'));
  std::array<uint8_t, 10> ones;
  ones.fill(0xFF);
  const Ulid max = Ulid::FromParts((uint64_t(1) << 48) - 1, ones);
  EXPECT_EQ(max.ToString(), "7" + std::string(25, 'Z'));
  const std::vector<std::string> bad = {
      "",
      std::string(25, '0'),
      std::string(27, '0'),
      "8" + std::string(25, '0'),    // above 2^128 - 1
      "0000000000000000000000000I",  // not in Crockford's alphabet
      "0000000000000000000000000U",
      "000000000000000000000000-0",
  };
  for (const std::string& s : bad) {
    EXPECT_TRUE(Ulid::Parse(s).error().IsInvalidArgument()) << s;
  }
}

TEST(MetaTest, RoundTripKeepsUnknownFields) {
  BlockMeta m;
  m.ulid = Ulid::New(1700000000000);
  m.min_time = 1700000000000;
  m.max_time = 1700007200000;
  m.stats.num_samples = 123456;
  m.stats.num_series = 42;
  m.stats.num_chunks = 99;
  m.compaction.level = 2;
  m.compaction.sources = {Ulid::New(1), Ulid::New(2)};
  m.compaction.parents = {BlockDesc{Ulid::New(3), 10, 20}};
  m.compaction.hints = {"from-out-of-order"};
  m.extra = {{"thanos", R"({"labels":{"replica":"a"},"downsample":{"resolution":0}})"}};
  const std::string text = SerializeMeta(m);
  auto back = ParseMeta(text);
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->ulid, m.ulid);
  EXPECT_EQ(back->min_time, m.min_time);
  EXPECT_EQ(back->max_time, m.max_time);
  EXPECT_EQ(back->stats.num_samples, m.stats.num_samples);
  EXPECT_EQ(back->stats.num_series, m.stats.num_series);
  EXPECT_EQ(back->stats.num_chunks, m.stats.num_chunks);
  EXPECT_EQ(back->compaction.level, 2);
  EXPECT_EQ(back->compaction.sources, m.compaction.sources);
  ASSERT_EQ(back->compaction.parents.size(), 1u);
  EXPECT_EQ(back->compaction.parents[0].ulid, m.compaction.parents[0].ulid);
  EXPECT_EQ(back->compaction.hints, m.compaction.hints);
  ASSERT_EQ(back->extra.size(), 1u);
  EXPECT_EQ(back->extra[0].first, "thanos");
  EXPECT_EQ(SerializeMeta(*back), text);
  // Prometheus' field order and tab indentation; zero statistics left out.
  EXPECT_EQ(text.find("{\n\t\"ulid\": "), 0u) << text;
  EXPECT_LT(text.find("\"minTime\""), text.find("\"maxTime\""));
  EXPECT_LT(text.find("\"stats\""), text.find("\"compaction\""));
  EXPECT_LT(text.find("\"compaction\""), text.find("\"version\": 1"));
  EXPECT_EQ(text.find("numTombstones"), std::string::npos);
}

TEST(MetaTest, BadFilesAreCorruption) {
  const std::string u = Ulid::New(1).ToString();
  const std::vector<std::string> bad = {
      "",
      "not json",
      "[]",
      R"({"minTime":0,"maxTime":1,"version":1})",
      R"({"ulid":"x","minTime":0,"maxTime":1,"version":1})",
      R"({"ulid":")" + u + R"(","minTime":0,"maxTime":1,"version":2})",
      R"({"ulid":")" + u + R"(","minTime":0,"maxTime":1})",
      R"({"ulid":")" + u + R"(","minTime":"0","maxTime":1,"version":1})",
      R"({"ulid":")" + u + R"(","minTime":0,"maxTime":1,"version":1,"stats":[]})",
      R"({"ulid":")" + u +
          R"(","minTime":0,"maxTime":1,"version":1,"compaction":{"sources":["?"]}})",
  };
  for (const std::string& s : bad) {
    auto m = ParseMeta(s);
    ASSERT_FALSE(m.has_value()) << s;
    EXPECT_TRUE(m.error().IsCorruption()) << s << ": " << m.error().ToString();
  }
}

TEST(TombstonesTest, EmptyFileIsNineBytes) {
  const std::string f = EncodeTombstones(Tombstones());
  ASSERT_EQ(f.size(), 9u);
  EXPECT_EQ(DecodeBE32(f.data()), kTombstonesMagic);
  EXPECT_EQ(uint8_t(f[4]), 1);
  EXPECT_EQ(DecodeBE32(f.data() + 5), Crc32c("", 0));
  auto t = DecodeTombstones(f);
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(t->empty());
}

TEST(TombstonesTest, RoundTripAndDamage) {
  Tombstones t;
  t.Add(16, Interval{100, 200});
  t.Add(16, Interval{150, 300});  // merges
  t.Add(16, Interval{1000, 1100});
  t.Add(5, Interval{-50, 7});
  ASSERT_EQ(t.Get(16).size(), 2u);
  EXPECT_EQ(t.Get(16)[0], (Interval{100, 300}));
  EXPECT_EQ(t.NumIntervals(), 3u);
  const std::string f = EncodeTombstones(t);
  auto back = DecodeTombstones(f);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->all(), t.all());
  // The CRC covers the entries but not the version byte; every other byte is checked.
  for (size_t i = 0; i < f.size(); ++i) {
    std::string bad = f;
    bad[i] ^= 0x04;
    EXPECT_FALSE(DecodeTombstones(bad).has_value()) << "byte " << i;
  }
  EXPECT_FALSE(DecodeTombstones(f.substr(0, 8)).has_value());
}

// The exact bytes of a tombstones file (Prometheus' tsdb/docs/format/tombstones.md): the
// entries are uvarint ref, varint mint, varint maxt (zig-zag), in ref then mint order.
TEST(TombstonesTest, ByteFormat) {
  Tombstones t;
  t.Add(300, Interval{-1, 64});
  t.Add(2, Interval{0, 10});
  t.Add(2, Interval{20, 30});
  const std::string entries = std::string("\x02\x00\x14", 3) +         // ref 2: [0, 10]
                              std::string("\x02\x28\x3c", 3) +         // ref 2: [20, 30]
                              std::string("\xac\x02\x01\x80\x01", 5);  // ref 300: [-1, 64]
  std::string want = std::string("\x01\x30\xba\x30\x01", 5) + entries;
  PutBE32(&want, Crc32c(entries.data(), entries.size()));
  EXPECT_EQ(EncodeTombstones(t), want);
  auto back = DecodeTombstones(want);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->Get(300), (std::vector<Interval>{{-1, 64}}));
}

TEST(TombstonesTest, WriteIsAtomicAndReadBack) {
  fs::TempDir dir;
  Tombstones t;
  t.Add(7, Interval{1, 2});
  ASSERT_TRUE(WriteTombstones(nullptr, dir.path(), t).ok());
  auto back = ReadTombstones(nullptr, dir.path());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->all(), t.all());
  t.Add(7, Interval{3, 9});  // adjacent: merged into [1, 9]
  ASSERT_TRUE(WriteTombstones(nullptr, dir.path(), t).ok());
  back = ReadTombstones(nullptr, dir.path());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->Get(7), (std::vector<Interval>{{1, 9}}));
  EXPECT_EQ(*fs::DefaultFileSystem()->ListDir(dir.path()), std::vector<std::string>{"tombstones"});
}

std::vector<CutChunk> Cut(const std::vector<std::pair<int64_t, double>>& samples, int64_t range) {
  ChunkCutter c(range);
  for (const auto& [t, v] : samples) c.Append(t, v);
  return c.Finish();
}

TEST(ChunkCutterTest, RegularScrapesMake120SampleChunks) {
  // 15 s over two aligned 2 h ranges: 480 samples per range, cut into 4 chunks of 120.
  std::vector<std::pair<int64_t, double>> s;
  const int64_t range = 2 * 3600 * 1000;
  for (int64_t t = 0; t < 2 * range; t += 15000) s.emplace_back(t, double(t));
  auto chunks = Cut(s, range);
  ASSERT_EQ(chunks.size(), 8u);
  for (const CutChunk& c : chunks) {
    chunkenc::XorIterator it(c.data);
    EXPECT_EQ(it.NumSamples(), 120);
    EXPECT_EQ(c.maxt - c.mint, 119 * 15000);
  }
}

TEST(ChunkCutterTest, ChunksNeverCrossTheRangeAndKeepEverySample) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 50; ++round) {
    const int64_t range = int64_t(1 + rng() % 4) * 3600 * 1000;
    std::vector<std::pair<int64_t, double>> s;
    int64_t t = int64_t(rng() % 10000000);
    const int64_t step = int64_t(1 + rng() % 60000);
    for (int i = 0, n = int(rng() % 3000); i < n; ++i) {
      s.emplace_back(t, double(rng() % 100));
      t += 1 + int64_t(rng() % uint64_t(2 * step));
    }
    auto chunks = Cut(s, range);
    size_t i = 0;
    for (const CutChunk& c : chunks) {
      EXPECT_EQ(c.mint / range, c.maxt / range) << "chunk crosses a range boundary";
      chunkenc::XorIterator it(c.data);
      EXPECT_LE(it.NumSamples(), 240);
      const size_t first = i;
      while (it.Next()) {
        ASSERT_LT(i, s.size());
        EXPECT_EQ(it.AtT(), s[i].first);
        EXPECT_EQ(it.AtV(), s[i].second);
        ++i;
      }
      ASSERT_GT(i, first);
      EXPECT_EQ(c.mint, s[first].first);
      EXPECT_EQ(c.maxt, s[i - 1].first);
    }
    EXPECT_EQ(i, s.size());
  }
}

TEST(ChunkCutterTest, OutOfOrderSamplesAreDropped) {
  ChunkCutter c(3600000);
  EXPECT_TRUE(c.Append(10, 1));
  EXPECT_FALSE(c.Append(10, 2));
  EXPECT_FALSE(c.Append(5, 3));
  EXPECT_TRUE(c.Append(11, 4));
  auto& chunks = c.Finish();
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunkenc::XorIterator(chunks[0].data).NumSamples(), 2);
}

TEST(ChunkCutterTest, PrometheusFormulas) {
  // Go's truncating division: a negative time's range ends at the next multiple toward 0.
  EXPECT_EQ(ChunkCutter::RangeEnd(7199999, 7200000), 7200000);
  EXPECT_EQ(ChunkCutter::RangeEnd(7200000, 7200000), 14400000);
  EXPECT_EQ(ChunkCutter::RangeEnd(-1, 7200000), 7200000);
  // A quarter full after 435 s of a 7200 s range: 4 equal chunks.
  EXPECT_EQ(ChunkCutter::ComputeChunkEndTime(0, 435000, 7200000), 1800000);
  // Nearly the whole range already used: keep the range end.
  EXPECT_EQ(ChunkCutter::ComputeChunkEndTime(0, 3000000, 7200000), 7200000);
}

}  // namespace
}  // namespace vigil::tsdb::block
