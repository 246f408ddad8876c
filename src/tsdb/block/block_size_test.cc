// MeasureBlockSize: the parts add up to the chunk files exactly, and on a regular series
// the timestamp and value bits are the ones the XOR format prescribes.
#include "tsdb/block/block_size.h"

#include <gtest/gtest.h>

#include "base/coding.h"
#include "fs/temp_dir.h"
#include "storage/memory_storage.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/block_writer.h"

namespace vigil::tsdb::block {
namespace {

std::shared_ptr<Block> WriteAndOpen(const fs::TempDir& dir,
                                    const std::vector<testing::TestSeries>& data, int64_t mint,
                                    int64_t maxt) {
  storage::MemoryStorage mem;
  testing::Fill(&mem, data);
  auto q = mem.NewQuerier(mint, maxt);
  EXPECT_TRUE(q.has_value());
  BlockWriterOptions opts;
  opts.mint = mint;
  opts.maxt = maxt;
  auto meta = WriteBlockFromQuerier(Context(), dir.path(), q->get(), opts, {}, 2 * 3600000);
  EXPECT_TRUE(meta.has_value()) << meta.error().ToString();
  auto b = Block::Open(fs::JoinPath(dir.path(), meta->ulid.ToString()));
  EXPECT_TRUE(b.has_value()) << b.error().ToString();
  return *b;
}

TEST(BlockSizeTest, PartsAddUpToTheChunkFiles) {
  testing::GenOptions o;
  o.num_series = 300;
  const auto data = testing::GenerateSeries(o);
  uint64_t samples = 0;
  for (const auto& s : data) samples += s.samples.size();
  fs::TempDir dir;
  auto b = WriteAndOpen(dir, data, o.t0, o.t0 + o.span_ms);
  auto s = MeasureBlockSize(*b);
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_EQ(s->series, data.size());
  EXPECT_EQ(s->samples, samples);
  EXPECT_EQ(s->chunks, b->meta().stats.num_chunks);
  ASSERT_EQ((s->timestamp_bits + s->value_bits) % 8, 0u);
  EXPECT_EQ(s->chunk_bytes, s->segment_headers + s->chunk_framing + s->chunk_heads +
                                (s->timestamp_bits + s->value_bits) / 8);
  EXPECT_LT(s->index_bytes + s->chunk_bytes, b->size_bytes());  // + tombstones, meta.json
  // Longer chunks are not always smaller: a chunk keeps its widest XOR window, so noisy
  // values can cost more in one chunk than in several; on this data they stay within 5 %.
  EXPECT_NEAR(double(s->single_chunk_bytes), double(s->chunk_bytes - s->segment_headers),
              0.05 * double(s->chunk_bytes));
  EXPECT_EQ(s->other_encoding_chunks, 0u);
}

TEST(BlockSizeTest, RegularSeriesCostsWhatTheFormatSays) {
  // 4 h at exactly 15 s with a constant value, cut into chunks like Prometheus' head does.
  const int64_t t0 = 1700006400000;  // a multiple of 2 h
  testing::TestSeries s{Labels{{"__name__", "flat"}}, {}};
  for (int i = 0; i < 960; ++i) s.samples.push_back(Sample{t0 + 15000 * i, 42.0});
  fs::TempDir dir;
  auto b = WriteAndOpen(dir, {s}, t0, t0 + 4 * 3600000);
  auto m = MeasureBlockSize(*b);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  ASSERT_EQ(m->samples, 960u);
  const uint64_t chunks = m->chunks;
  ASSERT_GE(chunks, 2u);
  // Per chunk: the second timestamp is a 2-byte uvarint delta (15000), every later one a
  // single 0 bit (delta-of-delta 0); every value after the first is a single 0 bit.
  const uint64_t per_chunk_ts = 16 * chunks + (960 - 2 * chunks);
  EXPECT_EQ(m->timestamp_bits, per_chunk_ts);
  const uint64_t value_bits = 960 - chunks;  // plus at most 7 padding bits per chunk
  EXPECT_GE(m->value_bits, value_bits);
  EXPECT_LT(m->value_bits, value_bits + 8 * chunks);
  // One chunk: 16 + 8 * |varint t0| + 64 + 16 + 958 + 959 bits, plus framing.
  std::string v;
  PutVarint(&v, t0);
  const uint64_t bits = 16 + 8 * v.size() + 64 + 16 + 958 + 959;
  const uint64_t bytes = (bits + 7) / 8;
  EXPECT_EQ(m->single_chunk_bytes, bytes + 2 + 1 + 4);
}

}  // namespace
}  // namespace vigil::tsdb::block
