// ReadAhead gives the records, segments and end state of a plain Reader: across batch
// boundaries and segments, with records bigger than a batch, at damage, and when the
// consumer stops early.
#include "tsdb/wal/read_ahead.h"

#include <gtest/gtest.h>

#include <random>

#include "fs/temp_dir.h"
#include "tsdb/wal/writer.h"

namespace vigil::tsdb::wal {
namespace {

fs::FileSystem* Posix() { return fs::DefaultFileSystem(); }

struct Seen {
  std::vector<std::pair<std::string, int>> records;  // bytes, segment
  Status err;
  std::optional<CorruptionInfo> corruption;
};

Seen ReadPlain(const std::string& dir) {
  Seen s;
  auto r = Reader::Open(Posix(), dir);
  EXPECT_TRUE(r.has_value());
  while ((*r)->Next()) s.records.emplace_back(std::string((*r)->Record()), (*r)->Segment());
  s.err = (*r)->Err();
  if ((*r)->corruption() != nullptr) s.corruption = *(*r)->corruption();
  return s;
}

Seen ReadAheadAll(const std::string& dir) {
  Seen s;
  auto r = Reader::Open(Posix(), dir);
  EXPECT_TRUE(r.has_value());
  ReadAhead ra(std::move(r).value());
  while (ra.Next()) s.records.emplace_back(std::string(ra.Record()), ra.Segment());
  EXPECT_FALSE(ra.Next());  // stays at the end
  s.err = ra.Err();
  if (ra.corruption() != nullptr) s.corruption = *ra.corruption();
  return s;
}

// About 9 MiB of records over several segments: small ones, and some bigger than a batch.
std::vector<std::string> WriteWal(const std::string& dir) {
  WriterOptions o;
  o.segment_size = 4 << 20;
  auto w = Writer::Open(dir, o);
  EXPECT_TRUE(w.has_value());
  std::mt19937_64 rng(5);
  std::vector<std::string> recs;
  for (int i = 0; i < 3000; ++i) {
    size_t n = 1 + rng() % 3000;
    if (i % 1000 == 999) n = ReadAhead::kBatchBytes + 12345;
    std::string r(n, '\0');
    for (char& c : r) c = char('a' + rng() % 7);
    EXPECT_TRUE((*w)->Log(r).ok());
    recs.push_back(std::move(r));
  }
  return recs;
}

TEST(ReadAheadTest, SameRecordsAndSegmentsAsTheReader) {
  fs::TempDir d;
  const std::vector<std::string> recs = WriteWal(d.path());
  const Seen plain = ReadPlain(d.path());
  ASSERT_TRUE(plain.err.ok());
  ASSERT_EQ(plain.records.size(), recs.size());
  ASSERT_GT(plain.records.back().second, plain.records.front().second);  // several segments
  const Seen ahead = ReadAheadAll(d.path());
  EXPECT_TRUE(ahead.err.ok()) << ahead.err.ToString();
  EXPECT_EQ(ahead.records, plain.records);
}

TEST(ReadAheadTest, StopsAtDamageLikeTheReader) {
  fs::TempDir d;
  WriteWal(d.path());
  const std::string path = d.Sub("00000001");
  std::string seg = *fs::ReadFileToString(Posix(), path);
  seg[100] ^= 0x20;  // inside the first record of the segment
  ASSERT_TRUE(fs::WriteFileAtomic(Posix(), path, seg).ok());
  const Seen plain = ReadPlain(d.path());
  ASSERT_TRUE(plain.err.IsCorruption());
  const Seen ahead = ReadAheadAll(d.path());
  EXPECT_EQ(ahead.err.ToString(), plain.err.ToString());
  ASSERT_TRUE(ahead.corruption.has_value());
  EXPECT_EQ(ahead.corruption->segment, plain.corruption->segment);
  EXPECT_EQ(ahead.corruption->record_offset, plain.corruption->record_offset);
  EXPECT_EQ(ahead.records, plain.records);
}

TEST(ReadAheadTest, ConsumerMayStopEarly) {
  fs::TempDir d;
  const std::vector<std::string> recs = WriteWal(d.path());
  for (int stop_after : {0, 1, 500}) {
    auto r = Reader::Open(Posix(), d.path());
    ASSERT_TRUE(r.has_value());
    ReadAhead ra(std::move(r).value());
    for (int i = 0; i < stop_after; ++i) {
      ASSERT_TRUE(ra.Next());
      EXPECT_EQ(ra.Record(), recs[size_t(i)]);
    }
  }  // the destructor stops the reading thread while it waits for room
}

}  // namespace
}  // namespace vigil::tsdb::wal
