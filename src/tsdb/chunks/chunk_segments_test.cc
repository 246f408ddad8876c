#include "tsdb/chunks/chunk_segments.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "base/coding.h"
#include "fs/temp_dir.h"

namespace vigil::tsdb::chunks {
namespace {

using chunkenc::Encoding;

fs::FileSystem* Posix() { return fs::DefaultFileSystem(); }

std::string SourceDir() {
  const char* d = std::getenv("VIGIL_SOURCE_DIR");
  return d != nullptr ? d : ".";
}

struct Record {
  uint64_t offset;
  Encoding enc;
  std::string data;
};

// Walks a segment file the slow, obvious way.
std::vector<Record> Walk(const std::string& file) {
  std::vector<Record> out;
  std::string_view in(file);
  in.remove_prefix(kSegmentHeaderSize);
  while (!in.empty()) {
    const uint64_t off = file.size() - in.size();
    uint64_t len;
    EXPECT_TRUE(GetUvarint(&in, &len));
    out.push_back({off, Encoding(uint8_t(in[0])), std::string(in.substr(1, len))});
    in.remove_prefix(1 + len + 4);
  }
  return out;
}

// The block written by promtool 2.42 (testdata/tsdb/xor_golden): our reader reads every
// chunk, and our writer produces the very same file from them.
TEST(ChunkSegmentsTest, PrometheusFileReadsAndRewritesByteIdentical) {
  auto golden =
      fs::ReadFileToString(Posix(), SourceDir() + "/testdata/tsdb/xor_golden/chunks_000001");
  ASSERT_TRUE(golden.has_value()) << golden.error().ToString();
  fs::TempDir d;
  ASSERT_TRUE(Posix()->CreateDirs(d.Sub("in")).ok());
  ASSERT_TRUE(fs::WriteFileAtomic(Posix(), d.Sub("in/000001"), *golden).ok());
  auto r = ChunkSegmentReader::Open(d.Sub("in"));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ((*r)->num_segments(), 1u);

  const std::vector<Record> recs = Walk(*golden);
  ASSERT_EQ(recs.size(), 9u);
  auto w = ChunkSegmentWriter::Create(d.Sub("out"));
  ASSERT_TRUE(w.has_value());
  for (const Record& rec : recs) {
    auto c = (*r)->Chunk(MakeBlockChunkRef(0, uint32_t(rec.offset)));
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    EXPECT_EQ(c->encoding, Encoding::kXor);
    EXPECT_EQ(c->data, rec.data);
    auto ref = (*w)->Write(c->encoding, c->data);
    ASSERT_TRUE(ref.has_value());
    EXPECT_EQ(*ref, MakeBlockChunkRef(0, uint32_t(rec.offset)));
  }
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ((*w)->bytes_written(), golden->size());
  EXPECT_EQ(*fs::ReadFileToString(Posix(), d.Sub("out/000001")), *golden);
}

TEST(ChunkSegmentsTest, CutsSegmentsAndRefsName0BasedIndices) {
  fs::TempDir d;
  ChunkSegmentWriterOptions o;
  o.segment_size = 1000;
  std::mt19937_64 rng(3);
  std::vector<std::pair<BlockChunkRef, std::string>> written;
  {
    auto w = ChunkSegmentWriter::Create(d.path(), o);
    ASSERT_TRUE(w.has_value());
    for (int i = 0; i < 50; ++i) {
      std::string data(size_t(rng() % 300), '\0');
      for (char& c : data) c = char(rng());
      if (i == 10) data.assign(2000, 'x');  // bigger than a segment: gets one of its own
      auto ref = (*w)->Write(Encoding::kXor, data);
      ASSERT_TRUE(ref.has_value());
      written.emplace_back(*ref, data);
    }
    EXPECT_GT((*w)->num_segments(), 5);
    ASSERT_TRUE((*w)->Close().ok());
  }
  auto names = Posix()->ListDir(d.path());
  ASSERT_TRUE(names.has_value());
  EXPECT_TRUE(Posix()->Exists(d.Sub("000001")));
  auto r = ChunkSegmentReader::Open(d.path());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)->num_segments(), names->size());
  for (const auto& [ref, data] : written) {
    auto c = (*r)->Chunk(ref);
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    EXPECT_EQ(c->data, data);
    // Only the oversized chunk may push a file past the segment size.
    const uint64_t size = *Posix()->FileSize(d.Sub(ChunkFileName(BlockChunkSegment(ref) + 1)));
    if (data.size() < 900) {
      EXPECT_LE(size, o.segment_size);
    }
  }
  EXPECT_EQ(BlockChunkSegment(written.front().first), 0u);
  EXPECT_EQ(BlockChunkOffset(written.front().first), kSegmentHeaderSize);
}

TEST(ChunkSegmentsTest, DamageAndBadRefs) {
  fs::TempDir d;
  BlockChunkRef a, b;
  {
    auto w = ChunkSegmentWriter::Create(d.path());
    ASSERT_TRUE(w.has_value());
    a = *(*w)->Write(Encoding::kXor, "hello chunk");
    b = *(*w)->Write(Encoding::kXor, "second");
  }
  EXPECT_TRUE(ChunkSegmentWriter::Create(d.path()).error().code() == StatusCode::kAlreadyExists);
  std::string f = *fs::ReadFileToString(Posix(), d.Sub("000001"));
  f[BlockChunkOffset(a) + 4] ^= 1;  // inside the first chunk's data
  ASSERT_TRUE(fs::WriteFileAtomic(Posix(), d.Sub("000001"), f).ok());
  auto r = ChunkSegmentReader::Open(d.path());
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE((*r)->Chunk(a).error().IsCorruption());
  EXPECT_TRUE((*r)->Chunk(b).has_value());
  EXPECT_TRUE((*r)->Chunk(MakeBlockChunkRef(1, 8)).error().IsNotFound());
  EXPECT_TRUE((*r)->Chunk(MakeBlockChunkRef(0, 3)).error().IsNotFound());
  EXPECT_TRUE((*r)->Chunk(MakeBlockChunkRef(0, 1 << 20)).error().IsNotFound());
  // A ref into the middle of a record reads garbage lengths: never out of bounds.
  for (uint32_t off = 8; off < f.size(); ++off) {
    auto c = (*r)->Chunk(MakeBlockChunkRef(0, off));
    if (c.has_value()) {
      EXPECT_LE(c->data.size(), f.size());
    }
  }
  // Truncated file: the last chunk runs past the end.
  ASSERT_TRUE(Posix()->TruncateFile(d.Sub("000001"), f.size() - 2).ok());
  auto r2 = ChunkSegmentReader::Open(d.path());
  ASSERT_TRUE(r2.has_value());
  EXPECT_TRUE((*r2)->Chunk(b).error().IsCorruption());
  // Bad magic.
  f[0] = 0;
  ASSERT_TRUE(fs::WriteFileAtomic(Posix(), d.Sub("000001"), f).ok());
  EXPECT_TRUE(ChunkSegmentReader::Open(d.path()).error().IsCorruption());
}

TEST(ChunkSegmentsTest, GapInFileNamesIsCorruption) {
  fs::TempDir d;
  {
    ChunkSegmentWriterOptions o;
    o.segment_size = 100;
    auto w = ChunkSegmentWriter::Create(d.path(), o);
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE((*w)->Write(Encoding::kXor, std::string(80, 'a')).has_value());
  }
  ASSERT_TRUE(Posix()->RemoveFile(d.Sub("000002")).ok());
  EXPECT_TRUE(ChunkSegmentReader::Open(d.path()).error().IsCorruption());
}

}  // namespace
}  // namespace vigil::tsdb::chunks
