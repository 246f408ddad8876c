#include "tsdb/chunks/head_chunk_files.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "base/coding.h"
#include "base/logging.h"
#include "fs/fault_injecting_file_system.h"
#include "fs/temp_dir.h"
#include "tsdb/chunkenc/xor.h"

namespace vigil::tsdb::chunks {
namespace {

using chunkenc::Encoding;

fs::FileSystem* Posix() { return fs::DefaultFileSystem(); }

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

struct Written {
  uint64_t series;
  int64_t mint, maxt;
  std::string data;
  HeadChunkRef ref;
  bool ooo = false;
};

std::string ChunkData(int64_t mint, int n, double v0) {
  chunkenc::XorChunk c;
  for (int i = 0; i < n; ++i) c.Append(mint + i * 15000, v0 + i);
  return std::string(c.Bytes());
}

std::vector<HeadChunkMeta> ScanAll(HeadChunkFiles* h, HeadChunkScanReport* rep = nullptr,
                                   Status* st = nullptr) {
  std::vector<HeadChunkMeta> out;
  Status s = h->Scan(
      [&](const HeadChunkMeta& m) {
        out.push_back(m);
        return Status::OK();
      },
      rep);
  if (st != nullptr) {
    *st = s;
  } else {
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return out;
}

// The exact bytes of a file holding one chunk, worked out from the format.
TEST(HeadChunkFilesTest, ByteLayout) {
  fs::TempDir d;
  {
    auto h = HeadChunkFiles::Open(d.path());
    ASSERT_TRUE(h.has_value());
    auto ref = (*h)->WriteChunk(7, 1000, 2000, Encoding::kXor, std::string_view("\x00\x01\xAB", 3));
    ASSERT_TRUE(ref.has_value());
    EXPECT_EQ(*ref, MakeHeadChunkRef(1, 8));
    auto ooo = (*h)->WriteChunk(9, 5, 6, Encoding::kXor, "z", /*out_of_order=*/true);
    ASSERT_TRUE(ooo.has_value());
  }
  const std::string f = *fs::ReadFileToString(Posix(), d.Sub("000001"));
  std::string rec1 = std::string("\x00\x00\x00\x00\x00\x00\x00\x07", 8) +
                     std::string("\x00\x00\x00\x00\x00\x00\x03\xe8", 8) +
                     std::string("\x00\x00\x00\x00\x00\x00\x07\xd0", 8) + "\x01" + "\x03" +
                     std::string("\x00\x01\xAB", 3);
  PutBE32(&rec1, Crc32cOf(rec1));
  const std::string want = std::string("\x01\x30\xBC\x91\x01\x00\x00\x00", 8) + rec1;
  EXPECT_EQ(Hex(f.substr(0, want.size())), Hex(want));
  EXPECT_EQ(uint8_t(f[want.size() + 24]), 0x81);  // out-of-order bit on the encoding
}

TEST(HeadChunkFilesTest, WriteReadReopenScan) {
  fs::TempDir d;
  HeadChunkFilesOptions o;
  o.max_file_size = 2048;  // many files
  o.write_buffer_size = 700;
  std::vector<Written> w;
  std::mt19937_64 rng(1);
  {
    auto h = HeadChunkFiles::Open(d.path(), o);
    ASSERT_TRUE(h.has_value());
    ASSERT_TRUE(ScanAll(h->get()).empty());
    for (int i = 0; i < 200; ++i) {
      Written x{uint64_t(1 + rng() % 50),
                i * 100000,
                i * 100000 + 99999,
                ChunkData(i * 100000, 1 + int(rng() % 30), double(i)),
                0,
                i % 17 == 0};
      auto ref = (*h)->WriteChunk(x.series, x.mint, x.maxt, Encoding::kXor, x.data, x.ooo);
      ASSERT_TRUE(ref.has_value()) << ref.error().ToString();
      x.ref = *ref;
      w.push_back(x);
      // Read back at once (from the write buffer) and an older one (from the mapping).
      auto c = (*h)->Chunk(x.ref);
      ASSERT_TRUE(c.has_value()) << c.error().ToString();
      EXPECT_EQ(c->view.data, x.data);
      EXPECT_EQ(c->out_of_order, x.ooo);
      auto old = (*h)->Chunk(w[size_t(i) / 2].ref);
      ASSERT_TRUE(old.has_value());
      EXPECT_EQ(old->view.data, w[size_t(i) / 2].data);
    }
    EXPECT_GT((*h)->Files().size(), 5u);
    ASSERT_TRUE((*h)->Close().ok());
  }
  auto h = HeadChunkFiles::Open(d.path(), o);
  ASSERT_TRUE(h.has_value());
  const auto files_before = (*h)->Files();
  HeadChunkScanReport rep;
  std::vector<HeadChunkMeta> got = ScanAll(h->get(), &rep);
  EXPECT_FALSE(rep.repaired);
  ASSERT_EQ(got.size(), w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    EXPECT_EQ(got[i].series_ref, w[i].series);
    EXPECT_EQ(got[i].mint, w[i].mint);
    EXPECT_EQ(got[i].maxt, w[i].maxt);
    EXPECT_EQ(got[i].ref, w[i].ref);
    EXPECT_EQ(got[i].out_of_order, w[i].ooo);
    EXPECT_EQ(got[i].encoding, Encoding::kXor);
    EXPECT_EQ(got[i].num_samples, DecodeBE16(w[i].data.data()));
    auto c = (*h)->Chunk(got[i].ref);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->view.data, w[i].data);
  }
  // New writes go to a new file after the existing ones.
  auto ref = (*h)->WriteChunk(1, 0, 1, Encoding::kXor, "abc");
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(HeadChunkFile(*ref), files_before.back() + 1);
}

// Every cut inside the last records of the last file: Scan keeps the chunks before the cut,
// truncates the file where the damaged record starts, and later writes work.
TEST(HeadChunkFilesTest, TornTailAtEveryOffsetIsTruncated) {
  SetLogLevel(LogLevel::kError);  // one warning per repaired file otherwise
  fs::TempDir src;
  std::vector<Written> w;
  {
    auto h = HeadChunkFiles::Open(src.path());
    ASSERT_TRUE(h.has_value());
    for (int i = 0; i < 6; ++i) {
      Written x{uint64_t(i + 1), i * 10, i * 10 + 9, ChunkData(i * 10, 5 + i, 1.5), 0};
      x.ref = *(*h)->WriteChunk(x.series, x.mint, x.maxt, Encoding::kXor, x.data);
      w.push_back(x);
    }
  }
  const std::string file = *fs::ReadFileToString(Posix(), src.Sub("000001"));
  const uint64_t first_cut = HeadChunkOffset(w[3].ref);
  for (int fill = 0; fill < 2; ++fill) {
    for (uint64_t cut = first_cut; cut <= file.size(); ++cut) {
      fs::TempDir d;
      std::string bytes = file.substr(0, cut);
      if (fill == 1) bytes.resize(file.size(), '\x5a');  // garbage instead of a cut
      {
        auto f = Posix()->NewWritableFile(d.Sub("000001"));  // no fsync: keeps the test fast
        ASSERT_TRUE(f.has_value());
        ASSERT_TRUE((*f)->Append(bytes).ok());
      }
      auto h = HeadChunkFiles::Open(d.path());
      ASSERT_TRUE(h.has_value());
      HeadChunkScanReport rep;
      std::vector<HeadChunkMeta> got = ScanAll(h->get(), &rep);
      size_t want = 0;
      while (want < w.size() &&
             (want + 1 == w.size() ? file.size() : HeadChunkOffset(w[want + 1].ref)) <= cut) {
        ++want;
      }
      ASSERT_EQ(got.size(), want) << "cut " << cut << " fill " << fill;
      // Clean: nothing of the next record is left, or only zeros (the start of a series
      // ref), which read as the zero tail Prometheus preallocates.
      bool clean = cut == file.size();
      if (fill == 0 && want < w.size()) {
        const uint64_t start = HeadChunkOffset(w[want].ref);
        clean = std::all_of(file.begin() + long(start), file.begin() + long(cut),
                            [](char c) { return c == 0; });
      }
      EXPECT_EQ(rep.repaired, !clean) << "cut " << cut << " fill " << fill;
      if (!clean) {
        EXPECT_EQ(rep.truncated_at, HeadChunkOffset(w[want].ref));
        EXPECT_EQ(*Posix()->FileSize(d.Sub("000001")), rep.truncated_at);
      }
      if (cut % 37 == 0) {  // (fsyncs are slow) now and then: writing continues after repair
        ASSERT_TRUE((*h)->WriteChunk(99, 0, 1, Encoding::kXor, "ok").has_value());
      }
    }
  }
}

TEST(HeadChunkFilesTest, PreallocatedZeroTailEndsTheFile) {
  fs::TempDir d;
  std::string data = ChunkData(0, 10, 1);
  {
    auto h = HeadChunkFiles::Open(d.path());
    ASSERT_TRUE((*h)->WriteChunk(3, 0, 135000, Encoding::kXor, data).has_value());
  }
  // Prometheus preallocates 128 KiB: zeros after the last record are no damage.
  std::string f = *fs::ReadFileToString(Posix(), d.Sub("000001"));
  f.resize(128 * 1024, '\0');
  ASSERT_TRUE(fs::WriteFileAtomic(Posix(), d.Sub("000001"), f).ok());
  auto h = HeadChunkFiles::Open(d.path());
  HeadChunkScanReport rep;
  std::vector<HeadChunkMeta> got = ScanAll(h->get(), &rep);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].num_samples, 10);
  EXPECT_FALSE(rep.repaired);
}

TEST(HeadChunkFilesTest, DamageInAnOlderFileIsCorruptionThenDeleteFrom) {
  fs::TempDir d;
  HeadChunkFilesOptions o;
  o.max_file_size = 512;
  {
    auto h = HeadChunkFiles::Open(d.path(), o);
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(
          (*h)->WriteChunk(uint64_t(i + 1), i, i, Encoding::kXor, ChunkData(i, 8, 0)).has_value());
    }
  }
  std::string f = *fs::ReadFileToString(Posix(), d.Sub("000002"));
  f[40] ^= 0x10;
  ASSERT_TRUE(fs::WriteFileAtomic(Posix(), d.Sub("000002"), f).ok());
  auto h = HeadChunkFiles::Open(d.path(), o);
  ASSERT_TRUE(h.has_value());
  Status st;
  HeadChunkScanReport rep;
  ScanAll(h->get(), &rep, &st);
  ASSERT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_NE(st.message().find("000002"), std::string_view::npos) << st.ToString();
  EXPECT_EQ(rep.file, 2u);  // the report names the damaged file for DeleteFrom
  EXPECT_FALSE(rep.repaired);
  ASSERT_TRUE((*h)->DeleteFrom(2).ok());
  EXPECT_EQ((*h)->Files(), std::vector<uint32_t>{1});
  auto ref = (*h)->WriteChunk(1, 0, 0, Encoding::kXor, "x");
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(HeadChunkFile(*ref), 2u);  // names stay consecutive
  ASSERT_TRUE((*h)->Close().ok());
  EXPECT_TRUE(HeadChunkFiles::Open(d.path(), o).has_value());
}

TEST(HeadChunkFilesTest, TruncateDeletesFilesEndingBeforeMint) {
  fs::TempDir d;
  HeadChunkFilesOptions o;
  o.max_file_size = 512;
  std::vector<HeadChunkRef> refs;
  auto h = HeadChunkFiles::Open(d.path(), o);
  ASSERT_TRUE(ScanAll(h->get()).empty());
  for (int i = 0; i < 30; ++i) {
    refs.push_back(
        *(*h)->WriteChunk(1, i * 1000, i * 1000 + 999, Encoding::kXor, ChunkData(i, 8, 0)));
  }
  const auto before = (*h)->Files();
  ASSERT_GT(before.size(), 3u);
  // Keep a chunk of the first file readable across its deletion.
  auto kept = (*h)->Chunk(refs[0]);
  ASSERT_TRUE(kept.has_value());
  const std::string kept_copy(kept->view.data);
  ASSERT_TRUE((*h)->Truncate(15000).ok());
  const auto after = (*h)->Files();
  EXPECT_LT(after.size(), before.size());
  EXPECT_FALSE(Posix()->Exists(d.Sub("000001")));
  EXPECT_TRUE((*h)->Chunk(refs[0]).error().IsNotFound());
  EXPECT_EQ(kept->view.data, kept_copy);  // the mapping outlives the file
  EXPECT_TRUE((*h)->Chunk(refs[20]).has_value());
  // The first remaining file holds a chunk ending at or after mint.
  EXPECT_LE(after.front(), HeadChunkFile(refs[15]));
  auto fresh = HeadChunkFiles::Open(d.path(), o);
  EXPECT_TRUE((*fresh)->Truncate(0).code() == StatusCode::kInternal);  // no Scan yet
}

TEST(HeadChunkFilesTest, WriteFailureKeepsChunksBufferedReadableAndConsistent) {
  fs::TempDir d;
  fs::FaultInjectingFileSystem ffs(Posix());
  HeadChunkFilesOptions o;
  o.fs = &ffs;
  o.write_buffer_size = 200;
  std::vector<std::pair<HeadChunkRef, std::string>> ok;
  {
    auto h = HeadChunkFiles::Open(d.path(), o);
    ASSERT_TRUE(h.has_value());
    for (int i = 0; i < 5; ++i) {
      std::string data = ChunkData(i, 10, 0);
      ok.emplace_back(*(*h)->WriteChunk(1, i, i, Encoding::kXor, data), data);
    }
    ffs.FailWritesAfter(10);
    // The disk refuses the flushes: every chunk is still taken (buffered) and readable.
    for (int i = 5; i < 15; ++i) {
      std::string data = ChunkData(i, 10, 0);
      auto ref = (*h)->WriteChunk(1, i, i, Encoding::kXor, data);
      ASSERT_TRUE(ref.has_value()) << ref.error().ToString();
      ok.emplace_back(*ref, data);
    }
    EXPECT_FALSE((*h)->Flush().ok());
    for (const auto& [ref, data] : ok) {
      auto c = (*h)->Chunk(ref);
      ASSERT_TRUE(c.has_value()) << c.error().ToString();
      EXPECT_EQ(c->view.data, data);
      EXPECT_EQ(c->mint, c->maxt);
    }
    ffs.ClearFaults();
    ASSERT_TRUE((*h)->Sync().ok());
    for (const auto& [ref, data] : ok) {
      auto c = (*h)->Chunk(ref);
      ASSERT_TRUE(c.has_value()) << c.error().ToString();
      EXPECT_EQ(c->view.data, data);
    }
  }
  auto h = HeadChunkFiles::Open(d.path(), o);
  HeadChunkScanReport rep;
  EXPECT_EQ(ScanAll(h->get(), &rep).size(), ok.size());
  EXPECT_FALSE(rep.repaired);
}

TEST(HeadChunkFilesTest, ConcurrentReadersWhileWriting) {
  fs::TempDir d;
  HeadChunkFilesOptions o;
  o.max_file_size = 8192;
  o.write_buffer_size = 1024;
  auto h = HeadChunkFiles::Open(d.path(), o);
  ASSERT_TRUE(h.has_value());
  std::vector<std::atomic<HeadChunkRef>> refs(400);
  std::atomic<int> written{0};
  std::atomic<int> errors{0};
  std::thread reader([&] {
    std::mt19937 rng(5);
    while (written.load() < int(refs.size())) {
      const int n = written.load();
      if (n == 0) continue;
      const int i = int(rng() % unsigned(n));
      auto c = (*h)->Chunk(refs[size_t(i)].load());
      if (!c.has_value() || c->view.data != ChunkData(i, 3, i)) errors.fetch_add(1);
    }
  });
  for (int i = 0; i < int(refs.size()); ++i) {
    auto ref = (*h)->WriteChunk(uint64_t(i + 1), i, i, Encoding::kXor, ChunkData(i, 3, i));
    ASSERT_TRUE(ref.has_value());
    refs[size_t(i)].store(*ref);
    written.fetch_add(1);
  }
  reader.join();
  EXPECT_EQ(errors.load(), 0);
}

}  // namespace
}  // namespace vigil::tsdb::chunks
