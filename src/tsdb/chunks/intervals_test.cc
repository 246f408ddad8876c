#include "tsdb/chunks/intervals.h"

#include <gtest/gtest.h>

#include <random>

#include "tsdb/chunkenc/xor.h"

namespace vigil::tsdb::chunks {
namespace {

struct AddCase {
  const char* name;
  Intervals start;
  Interval add;
  Intervals want;
};

TEST(IntervalsTest, AddMergesOverlappingAndAdjacent) {
  const AddCase cases[] = {
      {"into empty", {}, {1, 2}, {{1, 2}}},
      {"disjoint before", {{10, 20}}, {1, 5}, {{1, 5}, {10, 20}}},
      {"disjoint after", {{10, 20}}, {30, 40}, {{10, 20}, {30, 40}}},
      {"adjacent before", {{10, 20}}, {1, 9}, {{1, 20}}},
      {"adjacent after", {{10, 20}}, {21, 25}, {{10, 25}}},
      {"inside", {{10, 20}}, {12, 13}, {{10, 20}}},
      {"bridges two", {{1, 5}, {10, 20}, {30, 40}}, {4, 31}, {{1, 40}}},
      {"bridges by adjacency", {{1, 5}, {7, 9}}, {6, 6}, {{1, 9}}},
      {"same mint", {{10, 20}}, {10, 30}, {{10, 30}}},
      {"extremes", {{INT64_MIN, 0}}, {1, INT64_MAX}, {{INT64_MIN, INT64_MAX}}},
      {"max does not wrap", {{5, INT64_MAX}}, {INT64_MIN, -1}, {{INT64_MIN, -1}, {5, INT64_MAX}}},
  };
  for (const AddCase& c : cases) {
    Intervals ivs = c.start;
    AddInterval(&ivs, c.add);
    EXPECT_EQ(ivs, c.want) << c.name;
  }
}

TEST(IntervalsTest, AddMatchesABitmapModel) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    Intervals ivs;
    std::vector<bool> model(100, false);
    for (int k = 0; k < 6; ++k) {
      int64_t a = rng() % 100, b = rng() % 100;
      if (a > b) std::swap(a, b);
      AddInterval(&ivs, {a, b});
      for (int64_t t = a; t <= b; ++t) model[size_t(t)] = true;
    }
    for (int64_t t = 0; t < 100; ++t) ASSERT_EQ(IsDeleted(ivs, t), model[size_t(t)]) << t;
    for (size_t i = 1; i < ivs.size(); ++i) {
      ASSERT_GT(ivs[i].mint, ivs[i - 1].maxt + 1) << "not merged";
    }
  }
}

TEST(IntervalsTest, CoversAndOverlaps) {
  const Intervals ivs = {{10, 20}, {30, 40}};
  EXPECT_TRUE(CoversRange(ivs, 10, 20));
  EXPECT_TRUE(CoversRange(ivs, 31, 39));
  EXPECT_FALSE(CoversRange(ivs, 15, 35));
  EXPECT_TRUE(Overlaps(ivs, 0, 10));
  EXPECT_TRUE(Overlaps(ivs, 40, 50));
  EXPECT_FALSE(Overlaps(ivs, 21, 29));
}

// A chunk holding t = first, first + step, ... (count samples), value = t.
std::string Chunk(int64_t first, int64_t step, int count) {
  chunkenc::XorChunk c;
  for (int i = 0; i < count; ++i) EXPECT_TRUE(c.Append(first + i * step, double(first + i * step)));
  return std::string(c.Bytes());
}

std::vector<int64_t> Times(const std::vector<Meta>& metas) {
  std::vector<int64_t> out;
  for (const Meta& m : metas) {
    chunkenc::XorIterator it(m.data);
    int64_t first = INT64_MIN, last = INT64_MIN;
    while (it.Next()) {
      EXPECT_EQ(it.AtV(), double(it.AtT()));
      if (first == INT64_MIN) first = it.AtT();
      last = it.AtT();
      out.push_back(it.AtT());
    }
    EXPECT_EQ(m.mint, first);
    EXPECT_EQ(m.maxt, last);
  }
  return out;
}

TEST(ChunkRewriterTest, DropsDeletedSamplesAndKeepsUntouchedChunks) {
  const std::string a = Chunk(0, 10, 10);    // 0..90
  const std::string b = Chunk(100, 10, 10);  // 100..190
  const std::string c = Chunk(200, 10, 10);  // 200..290
  std::vector<Meta> metas = {{0, 90, chunkenc::Encoding::kXor, a, 1},
                             {100, 190, chunkenc::Encoding::kXor, b, 2},
                             {200, 290, chunkenc::Encoding::kXor, c, 3}};
  ChunkRewriter rw;
  // Chunk a: untouched; b: 100 and 150..170 deleted; c: wholly deleted.
  ASSERT_TRUE(rw.Apply({{95, 100}, {150, 170}, {195, 300}}, &metas).ok());
  ASSERT_EQ(metas.size(), 2u);
  EXPECT_EQ(metas[0].data.data(), a.data()) << "untouched chunk is not copied";
  EXPECT_EQ(metas[0].ref, 1u);
  EXPECT_EQ(metas[1].ref, 0u);
  EXPECT_EQ(Times(metas), (std::vector<int64_t>{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 110, 120,
                                                130, 140, 180, 190}));
}

TEST(ChunkRewriterTest, NoIntervalsChangesNothingAndAllDeletedLeavesNothing) {
  const std::string a = Chunk(0, 1, 3);
  std::vector<Meta> metas = {{0, 2, chunkenc::Encoding::kXor, a, 9}};
  ChunkRewriter rw;
  ASSERT_TRUE(rw.Apply({}, &metas).ok());
  ASSERT_EQ(metas.size(), 1u);
  // Samples 0 and 2 deleted, the chunk's range is not covered: it is re-encoded to {1}.
  ASSERT_TRUE(rw.Apply({{0, 0}, {2, 2}}, &metas).ok());
  ASSERT_EQ(metas.size(), 1u);
  EXPECT_EQ(Times(metas), std::vector<int64_t>{1});
  // Re-encoding down to nothing drops the chunk.
  std::vector<Meta> again = {{0, 2, chunkenc::Encoding::kXor, a, 9}};
  ASSERT_TRUE(rw.Apply({{0, 1}, {2, 2}}, &again).ok());
  EXPECT_TRUE(again.empty());
}

TEST(ChunkRewriterTest, ViewsSurviveManySmallChunks) {
  // Many one-sample chunks (short strings): every rewritten view must stay valid.
  std::vector<std::string> src;
  for (int i = 0; i < 200; ++i) src.push_back(Chunk(i * 10, 1, 2));
  std::vector<Meta> metas;
  for (int i = 0; i < 200; ++i) {
    metas.push_back({i * 10, i * 10 + 1, chunkenc::Encoding::kXor, src[size_t(i)], 0});
  }
  Intervals del;
  for (int i = 0; i < 200; ++i) AddInterval(&del, {i * 10 + 1, i * 10 + 1});
  ChunkRewriter rw;
  ASSERT_TRUE(rw.Apply(del, &metas).ok());
  std::vector<int64_t> want;
  for (int i = 0; i < 200; ++i) want.push_back(i * 10);
  EXPECT_EQ(Times(metas), want);
}

TEST(ChunkRewriterTest, RejectsPartlyDeletedNonXorChunk) {
  const std::string a = Chunk(0, 1, 3);
  std::vector<Meta> metas = {{0, 2, chunkenc::Encoding::kHistogram, a, 0}};
  ChunkRewriter rw;
  Status s = rw.Apply({{1, 1}}, &metas);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
}

}  // namespace
}  // namespace vigil::tsdb::chunks
