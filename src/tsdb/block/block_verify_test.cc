// VerifyBlock on damaged copies of a good block: each case names the file, section and
// offset that must be reported.
#include "tsdb/block/block_verify.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "base/coding.h"
#include "fs/temp_dir.h"
#include "storage/memory_storage.h"
#include "tsdb/block/block.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/block_writer.h"

namespace vigil::tsdb::block {
namespace {

std::string ReadAll(const std::string& path) {
  return fs::ReadFileToString(fs::DefaultFileSystem(), path).value_or("");
}
void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}
void FlipByte(const std::string& path, uint64_t off) {
  std::string d = ReadAll(path);
  ASSERT_LT(off, d.size()) << path;
  d[off] = char(d[off] ^ 0x20);
  WriteAll(path, d);
}

class BlockVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::GenOptions o;
    o.num_series = 60;
    auto data = testing::GenerateSeries(o);
    storage::MemoryStorage mem;
    testing::Fill(&mem, data);
    BlockWriterOptions opts;
    opts.mint = o.t0;
    opts.maxt = o.t0 + o.span_ms;
    opts.segment_size = 16 << 10;  // several chunk files
    auto q = mem.NewQuerier(INT64_MIN, INT64_MAX);
    auto meta = WriteBlockFromQuerier(Context(), good_.path(), q->get(), opts);
    ASSERT_TRUE(meta.has_value()) << meta.error().ToString();
    ulid_ = meta->ulid.ToString();
    good_dir_ = good_.Sub(ulid_);
    auto b = Block::Open(good_dir_);
    ASSERT_TRUE(b.has_value());
    block_ = *b;
    ASSERT_TRUE(VerifyBlock(good_dir_).problems.empty());
  }

  // A fresh copy of the good block; returns its directory (named like the original).
  std::string Copy() {
    const std::string dst = fs::JoinPath(scratch_.Sub(std::to_string(copies_++)), ulid_);
    std::filesystem::create_directories(dst);
    std::filesystem::copy(good_dir_, dst, std::filesystem::copy_options::recursive);
    return dst;
  }

  fs::TempDir good_, scratch_;
  std::string ulid_, good_dir_;
  std::shared_ptr<Block> block_;
  int copies_ = 0;
};

TEST_F(BlockVerifyTest, ReportsFileSectionAndOffset) {
  const index::IndexReader& ir = block_->index();
  auto all = ir.AllPostings();
  ASSERT_TRUE(all.has_value() && all->size() > 3);
  const uint64_t second_series = uint64_t((*all)[1]) * 16;
  uint64_t job_postings = 0;
  ASSERT_TRUE(ir.ForEachLabelValue("job", [&](std::string_view, uint64_t off) {
                  job_postings = off;
                  return false;
                }).ok());
  Labels l;
  std::vector<chunks::Meta> chks;
  ASSERT_TRUE(ir.Series((*all)[2], &l, &chks).ok());
  ASSERT_FALSE(chks.empty());
  const chunks::Meta& c = chks.back();
  const std::string chunk_file =
      "chunks/" + chunks::ChunkFileName(chunks::BlockChunkSegment(c.ref) + 1);
  const uint64_t chunk_off = chunks::BlockChunkOffset(c.ref);

  struct Case {
    const char* name;
    std::function<void(const std::string& dir)> damage;
    std::string file, section;
    int64_t offset;     // -2: any
    std::string words;  // must appear in the problem text
  };
  const std::vector<Case> cases = {
      {"series entry", [&](const std::string& d) { FlipByte(d + "/index", second_series + 2); },
       "index", "series", int64_t(second_series), "checksum mismatch"},
      {"postings list", [&](const std::string& d) { FlipByte(d + "/index", job_postings + 9); },
       "index", "postings", int64_t(job_postings), "checksum mismatch"},
      {"symbol table", [&](const std::string& d) { FlipByte(d + "/index", ir.toc().symbols + 12); },
       "index", "", -1, "symbol table at offset"},
      {"TOC", [&](const std::string& d) { FlipByte(d + "/index", ir.size_bytes() - 20); }, "index",
       "", -1, "TOC at offset"},
      {"chunk data", [&](const std::string& d) { FlipByte(d + "/" + chunk_file, chunk_off + 4); },
       chunk_file, "chunk", int64_t(chunk_off), "checksum mismatch"},
      {"chunk file magic", [&](const std::string& d) { FlipByte(d + "/chunks/000001", 1); },
       "chunks/000001", "header", 0, "magic"},
      {"missing chunk file",
       [&](const std::string& d) {
         std::filesystem::remove(
             d + "/chunks/" +
             chunks::ChunkFileName(uint32_t(block_->chunk_reader().num_segments())));
       },
       "index", "series", -2, "names segment"},
      {"tombstones", [&](const std::string& d) { FlipByte(d + "/tombstones", 2); }, "tombstones",
       "", -1, "magic"},
      {"meta.json not JSON",
       [&](const std::string& d) { WriteAll(d + "/meta.json", "{\"ulid\":"); }, "meta.json", "", -1,
       "meta.json"},
      {"meta.json version",
       [&](const std::string& d) {
         std::string m = ReadAll(d + "/meta.json");
         m.replace(m.find("\"version\": 1"), 12, "\"version\": 7");
         WriteAll(d + "/meta.json", m);
       },
       "meta.json", "", -1, "unexpected meta file version 7"},
      {"meta.json stats",
       [&](const std::string& d) {
         std::string m = ReadAll(d + "/meta.json");
         m.replace(m.find("\"numSamples\": "), 14, "\"numSamples\": 1");
         WriteAll(d + "/meta.json", m);
       },
       "meta.json", "stats", -1, "numSamples is 1"},
      {"meta.json ULID",
       [&](const std::string& d) {
         BlockMeta m = block_->meta();
         m.ulid = Ulid::New(1);
         WriteAll(d + "/meta.json", SerializeMeta(m));
       },
       "meta.json", "ulid", -1, "differs from the directory name"},
  };
  for (const Case& k : cases) {
    const std::string dir = Copy();
    k.damage(dir);
    BlockVerifyResult r = VerifyBlock(dir);
    ASSERT_FALSE(r.problems.empty()) << k.name;
    bool found = false;
    std::string all_text;
    for (const BlockProblem& p : r.problems) {
      all_text += p.ToString() + "\n";
      if (p.file == k.file && p.section == k.section && (k.offset == -2 || p.offset == k.offset) &&
          p.ToString().find(k.words) != std::string::npos) {
        found = true;
      }
    }
    EXPECT_TRUE(found) << k.name << ": got\n" << all_text;
  }
}

TEST_F(BlockVerifyTest, EveryDamagedChunkByteIsFound) {
  const std::string dir = Copy();
  const std::string path = dir + "/chunks/000001";
  const std::string good = ReadAll(path);
  for (size_t off = 0; off < good.size(); off += 41) {
    std::string bad = good;
    bad[off] = char(bad[off] ^ 0x01);
    WriteAll(path, bad);
    EXPECT_FALSE(VerifyBlock(dir).problems.empty()) << "byte " << off;
  }
}

}  // namespace
}  // namespace vigil::tsdb::block
