#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "base/coding.h"
#include "base/logging.h"
#include "fs/fault_injecting_file_system.h"
#include "fs/temp_dir.h"
#include "tsdb/wal/format.h"
#include "tsdb/wal/reader.h"
#include "tsdb/wal/writer.h"

namespace vigil::tsdb::wal {
namespace {

fs::FileSystem* Posix() { return fs::DefaultFileSystem(); }

std::string RandomBytes(std::mt19937_64* rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = char((*rng)() & 0xff);
  return s;
}

// Compressible: repeated text with a counter.
std::string TextRecord(size_t n, int seed) {
  std::string s;
  while (s.size() < n) s += "series_" + std::to_string(seed) + "_value ";
  s.resize(n);
  return s;
}

struct ReadResult {
  std::vector<std::string> records;
  Status err;
  std::optional<CorruptionInfo> corruption;
};

ReadResult ReadAll(fs::FileSystem* fs, const std::string& dir) {
  ReadResult out;
  auto r = Reader::Open(fs, dir);
  if (!r.has_value()) {
    out.err = r.error();
    return out;
  }
  while ((*r)->Next()) out.records.emplace_back((*r)->Record());
  out.err = (*r)->Err();
  if ((*r)->corruption() != nullptr) out.corruption = *(*r)->corruption();
  return out;
}

// Reads segment bytes held in memory (one segment, index 0).
ReadResult ReadBytes(const std::string& bytes) {
  ReadResult out;
  Reader r({{"mem", 0}},
           [&bytes](const Reader::SegmentRef&) -> Result<std::unique_ptr<fs::SequentialFile>> {
             return fs::NewStringSequentialFile(bytes);
           });
  while (r.Next()) out.records.emplace_back(r.Record());
  out.err = r.Err();
  if (r.corruption() != nullptr) out.corruption = *r.corruption();
  return out;
}

std::unique_ptr<Writer> MustOpen(const std::string& dir, WriterOptions o = {}) {
  auto w = Writer::Open(dir, o);
  EXPECT_TRUE(w.has_value()) << w.error().ToString();
  return w.has_value() ? std::move(w).value() : nullptr;
}

TEST(WalFormatTest, Names) {
  EXPECT_EQ(SegmentName(42), "00000042");
  EXPECT_EQ(CheckpointName(7), "checkpoint.00000007");
  EXPECT_EQ(ParseSegmentName("00000042"), 42);
  EXPECT_EQ(ParseSegmentName("000001"), 1);  // Prometheus parses any digits
  EXPECT_FALSE(ParseSegmentName("0000004x").has_value());
  EXPECT_FALSE(ParseSegmentName("").has_value());
  EXPECT_EQ(ParseCheckpointName("checkpoint.00000012"), 12);
  EXPECT_FALSE(ParseCheckpointName("checkpoint.00000012.tmp").has_value());
}

TEST(WalFormatTest, NonSequentialSegmentsAreRejected) {
  fs::TempDir d;
  ASSERT_TRUE(fs::WriteFileAtomic(Posix(), d.Sub("00000001"), "").ok());
  ASSERT_TRUE(fs::WriteFileAtomic(Posix(), d.Sub("00000003"), "").ok());
  EXPECT_TRUE(ListSegments(Posix(), d.path()).error().IsCorruption());
}

// The exact bytes of a one-record segment: header, payload, zero padding on Close.
TEST(WalWriterTest, ByteLayoutOfAFullFragment) {
  fs::TempDir d;
  WriterOptions o;
  o.compression = Compression::kNone;
  {
    auto w = MustOpen(d.path(), o);
    ASSERT_TRUE(w->Log("abc").ok());
    EXPECT_EQ(w->offset(), 10u);
    ASSERT_TRUE(w->Close().ok());
  }
  std::string seg = *fs::ReadFileToString(Posix(), d.Sub("00000000"));
  ASSERT_EQ(seg.size(), kPageSize);
  std::string want("\x01\x00\x03", 3);
  PutBE32(&want, Crc32cOf("abc"));
  want += "abc";
  EXPECT_EQ(seg.substr(0, 10), want);
  EXPECT_EQ(seg.find_first_not_of('\0', 10), std::string::npos);
}

TEST(WalWriterTest, FragmentsNeverCrossPages) {
  fs::TempDir d;
  WriterOptions o;
  o.compression = Compression::kNone;
  std::mt19937_64 rng(1);
  const std::string big = RandomBytes(&rng, 70000);
  {
    auto w = MustOpen(d.path(), o);
    ASSERT_TRUE(w->Log("x").ok());
    ASSERT_TRUE(w->Log(big).ok());
  }
  const std::string seg = *fs::ReadFileToString(Posix(), d.Sub("00000000"));
  // Page 0: full "x" (8 bytes), then first fragment filling the page.
  EXPECT_EQ(uint8_t(seg[0]), 1);
  EXPECT_EQ(uint8_t(seg[8]), 2);
  EXPECT_EQ(DecodeBE16(seg.data() + 9), kPageSize - 8 - kFragmentHeaderSize);
  // Page 1 is a middle fragment of a full page, page 2 the last one.
  EXPECT_EQ(uint8_t(seg[kPageSize]), 3);
  EXPECT_EQ(DecodeBE16(seg.data() + kPageSize + 1), kMaxFragmentPayload);
  EXPECT_EQ(uint8_t(seg[2 * kPageSize]), 4);
  ReadResult r = ReadAll(Posix(), d.path());
  ASSERT_TRUE(r.err.ok()) << r.err.ToString();
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1], big);
}

TEST(WalWriterTest, SnappyFlagOnlyWhenItShrinks) {
  fs::TempDir d;
  {
    auto w = MustOpen(d.path());
    ASSERT_TRUE(w->Log("ab").ok());                 // too small to gain
    ASSERT_TRUE(w->Log(TextRecord(5000, 1)).ok());  // compresses well
  }
  const std::string seg = *fs::ReadFileToString(Posix(), d.Sub("00000000"));
  EXPECT_EQ(uint8_t(seg[0]), 0x01);
  EXPECT_EQ(uint8_t(seg[9]), 0x01 | kSnappyFlag);
  EXPECT_LT(DecodeBE16(seg.data() + 10), 1000);
  ReadResult r = ReadAll(Posix(), d.path());
  ASSERT_TRUE(r.err.ok());
  EXPECT_EQ(r.records, (std::vector<std::string>{"ab", TextRecord(5000, 1)}));
}

// Records of many sizes, each compression, small segments: everything comes back, each
// segment stays within its size, and new Writers start new segments.
TEST(WalWriterTest, RoundTripAcrossSegmentsAndReopens) {
  for (Compression c : {Compression::kNone, Compression::kSnappy, Compression::kZstd}) {
    fs::TempDir d;
    WriterOptions o;
    o.compression = c;
    o.segment_size = 4 * kPageSize;
    std::mt19937_64 rng(int(c) + 10);
    std::vector<std::string> want;
    for (int round = 0; round < 3; ++round) {
      auto w = MustOpen(d.path(), o);
      EXPECT_EQ(w->segment(), round == 0 ? 0 : w->segment());
      for (int i = 0; i < 60; ++i) {
        size_t n = size_t(rng() % 3 == 0 ? 1 + rng() % 40000 : 1 + rng() % 300);
        if (i == 7) n = 1;
        if (i == 8) n = kMaxFragmentPayload;
        if (i == 9) n = kMaxFragmentPayload + 1;
        want.push_back(i % 2 ? RandomBytes(&rng, n) : TextRecord(n, i));
      }
      // Half as single Logs, half as one batch.
      for (int i = 0; i < 30; ++i) ASSERT_TRUE(w->Log(want[want.size() - 60 + size_t(i)]).ok());
      std::vector<std::string_view> batch(want.end() - 30, want.end());
      ASSERT_TRUE(w->Log(batch).ok());
      ASSERT_TRUE(w->Close().ok());
    }
    ReadResult r = ReadAll(Posix(), d.path());
    ASSERT_TRUE(r.err.ok()) << r.err.ToString();
    ASSERT_EQ(r.records.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(r.records[i], want[i]) << i;
    auto segs = ListSegments(Posix(), d.path());
    ASSERT_TRUE(segs.has_value());
    EXPECT_GT(segs->size(), 3u);  // cut by size, not only by the reopens
    for (int s : *segs) {
      EXPECT_LE(*Posix()->FileSize(SegmentPath(d.path(), s)), o.segment_size) << s;
    }
  }
}

TEST(WalWriterTest, RecordLargerThanASegmentGetsItsOwn) {
  fs::TempDir d;
  WriterOptions o;
  o.compression = Compression::kNone;
  o.segment_size = 2 * kPageSize;
  std::mt19937_64 rng(3);
  const std::string huge = RandomBytes(&rng, 5 * kPageSize);
  {
    auto w = MustOpen(d.path(), o);
    ASSERT_TRUE(w->Log("before").ok());
    ASSERT_TRUE(w->Log(huge).ok());
    EXPECT_EQ(w->segment(), 1);
    ASSERT_TRUE(w->Log("after").ok());
    EXPECT_EQ(w->segment(), 2);
  }
  ReadResult r = ReadAll(Posix(), d.path());
  ASSERT_TRUE(r.err.ok());
  EXPECT_EQ(r.records, (std::vector<std::string>{"before", huge, "after"}));
  EXPECT_GT(*Posix()->FileSize(SegmentPath(d.path(), 1)), o.segment_size);
}

TEST(WalWriterTest, RejectsEmptyRecords) {
  fs::TempDir d;
  auto w = MustOpen(d.path());
  EXPECT_TRUE(w->Log("").IsInvalidArgument());
  std::string_view batch[] = {"ok", ""};
  EXPECT_TRUE(w->Log(batch).IsInvalidArgument());
  ASSERT_TRUE(w->Log("fine").ok());
  w.reset();
  EXPECT_EQ(ReadAll(Posix(), d.path()).records, std::vector<std::string>{"fine"});
}

TEST(WalWriterTest, RejectsBadSegmentSize) {
  fs::TempDir d;
  WriterOptions o;
  o.segment_size = kPageSize + 1;
  EXPECT_TRUE(Writer::Open(d.path(), o).error().IsInvalidArgument());
}

TEST(WalWriterTest, TruncateDeletesOldSegments) {
  fs::TempDir d;
  auto w = MustOpen(d.path());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(w->Log("r" + std::to_string(i)).ok());
    ASSERT_TRUE(w->NextSegment().has_value());
  }
  ASSERT_TRUE(w->Truncate(3).ok());
  EXPECT_EQ(*ListSegments(Posix(), d.path()), (std::vector<int>{3, 4}));
  ASSERT_TRUE(w->Truncate(100).ok());  // never the current segment
  EXPECT_EQ(*ListSegments(Posix(), d.path()), (std::vector<int>{4}));
}

// ---------------------------------------------------------------------------------------
// Torn tails and corruption

struct Written {
  std::string segment;            // bytes of segment 0
  std::vector<std::string> recs;  // records in order
  std::vector<uint64_t> starts;   // segment offset of each record's first fragment
  std::vector<uint64_t> ends;     // segment offset just after each record's last fragment
};

// A page and a bit of small and medium records (some span pages), no compression, written
// one by one.
Written WriteSample(const std::string& dir) {
  Written out;
  WriterOptions o;
  o.compression = Compression::kNone;
  uint64_t size = 0;
  {
    auto w = MustOpen(dir, o);
    std::mt19937_64 rng(5);
    while (w->offset() < kPageSize + 6000) {
      const size_t n = rng() % 10 == 0 ? 3000 + rng() % 9000 : 1 + rng() % 200;
      out.recs.push_back(RandomBytes(&rng, n));
      EXPECT_TRUE(w->Log(out.recs.back()).ok());
      EXPECT_TRUE(w->Sync().ok());
    }
    size = w->offset();
  }
  out.segment = *fs::ReadFileToString(Posix(), fs::JoinPath(dir, "00000000"));
  out.segment.resize(size);  // leave the last page unpadded, as a crash would
  // Where each record starts and ends, from the fragment headers.
  uint64_t pos = 0;
  while (pos < size) {
    const uint8_t type = uint8_t(out.segment[pos]);
    if (type == 0) {
      pos = (pos / kPageSize + 1) * kPageSize;
      continue;
    }
    if (type == 1 || type == 2) out.starts.push_back(pos);
    pos += kFragmentHeaderSize + DecodeBE16(out.segment.data() + pos + 1);
    if (type == 1 || type == 4) out.ends.push_back(pos);
  }
  EXPECT_EQ(out.ends.size(), out.recs.size());
  return out;
}

size_t RecordsEndingBy(const Written& w, uint64_t cut) {
  size_t n = 0;
  while (n < w.ends.size() && w.ends[n] <= cut) ++n;
  return n;
}

// True if the cut leaves part of a record behind (the reader must see a torn tail).
bool CutsARecord(const Written& w, uint64_t cut) {
  const size_t n = RecordsEndingBy(w, cut);
  return n < w.starts.size() && w.starts[n] < cut;
}

// A crash can cut the file anywhere in the last page: the reader must call it a torn
// tail at every offset and return exactly the records that ended before the cut.
TEST(WalTornTailTest, TruncatedAtEveryOffsetOfTheLastPage) {
  fs::TempDir d;
  const Written w = WriteSample(d.path());
  const uint64_t size = w.segment.size();
  const uint64_t last_page = (size - 1) / kPageSize * kPageSize;
  for (uint64_t cut = last_page; cut <= size; ++cut) {
    ReadResult r = ReadBytes(w.segment.substr(0, cut));
    const size_t want = RecordsEndingBy(w, cut);
    ASSERT_EQ(r.records.size(), want) << "cut " << cut;
    if (!CutsARecord(w, cut)) {
      ASSERT_TRUE(r.err.ok()) << "cut " << cut << ": " << r.err.ToString();
    } else {
      ASSERT_TRUE(r.err.IsCorruption()) << "cut " << cut;
      ASSERT_TRUE(r.corruption->torn_tail) << "cut " << cut << ": " << r.err.ToString();
      ASSERT_EQ(r.corruption->record_offset, w.starts[want]) << "cut " << cut;
    }
  }
}

// The same with the lost part overwritten by garbage or zeros instead of cut off.
TEST(WalTornTailTest, GarbageOrZerosAfterEveryOffsetOfTheLastPage) {
  fs::TempDir d;
  const Written w = WriteSample(d.path());
  const uint64_t size = w.segment.size();
  const uint64_t last_page = (size - 1) / kPageSize * kPageSize;
  std::mt19937_64 rng(9);
  for (uint64_t cut = last_page; cut < size; cut += 1) {
    for (int fill = 0; fill < 2; ++fill) {
      std::string bytes = w.segment;
      for (uint64_t i = cut; i < size; ++i) bytes[i] = fill == 0 ? '\0' : char(rng() | 1);
      // Where the bytes really start to differ (zeros over zeros change nothing).
      uint64_t changed = cut;
      while (changed < size && bytes[changed] == w.segment[changed]) ++changed;
      ReadResult r = ReadBytes(bytes);
      const size_t want = RecordsEndingBy(w, changed);
      ASSERT_EQ(r.records.size(), want) << "cut " << cut << " fill " << fill;
      if (!r.err.ok()) {
        ASSERT_TRUE(r.corruption.has_value());
        ASSERT_TRUE(r.corruption->torn_tail) << "cut " << cut << ": " << r.err.ToString();
      } else {
        // Zeros right at a record boundary are just page padding.
        ASSERT_TRUE(fill == 0 || changed == size) << "cut " << cut;
      }
    }
  }
}

// Writer::Open repairs a torn tail: the records before it survive, new records follow.
TEST(WalTornTailTest, WriterOpenRepairsAndContinues) {
  SetLogLevel(LogLevel::kError);  // one warning per repaired segment otherwise
  fs::TempDir src;
  const Written w = WriteSample(src.path());
  const uint64_t size = w.segment.size();
  const uint64_t last_page = (size - 1) / kPageSize * kPageSize;
  for (uint64_t cut = last_page; cut <= size; cut += 331) {
    fs::TempDir d;
    ASSERT_TRUE(fs::WriteFileAtomic(Posix(), d.Sub("00000000"), w.segment.substr(0, cut)).ok());
    {
      auto wr = MustOpen(d.path());
      ASSERT_NE(wr, nullptr) << "cut " << cut;
      EXPECT_EQ(wr->segment(), 1);
      EXPECT_EQ(wr->open_report().repaired, CutsARecord(w, cut)) << "cut " << cut;
      ASSERT_TRUE(wr->Log("after repair").ok());
    }
    ReadResult r = ReadAll(Posix(), d.path());
    ASSERT_TRUE(r.err.ok()) << "cut " << cut << ": " << r.err.ToString();
    const size_t want = RecordsEndingBy(w, cut);
    ASSERT_EQ(r.records.size(), want + 1);
    for (size_t i = 0; i < want; ++i) ASSERT_EQ(r.records[i], w.recs[i]);
    EXPECT_EQ(r.records.back(), "after repair");
    EXPECT_EQ(*Posix()->FileSize(d.Sub("00000000")) % kPageSize, 0u);
  }
}

TEST(WalCorruptionTest, FlippedByteInAnOlderSegmentIsReportedWithLocation) {
  fs::TempDir d;
  WriterOptions o;
  o.segment_size = 2 * kPageSize;
  o.compression = Compression::kNone;
  std::vector<std::string> recs;
  {
    auto w = MustOpen(d.path(), o);
    for (int i = 0; i < 500; ++i) {
      recs.push_back(TextRecord(400, i));
      ASSERT_TRUE(w->Log(recs.back()).ok());
    }
    ASSERT_GE(w->segment(), 2);
  }
  // Flip a payload byte of the 5th record of segment 1.
  const std::string path = d.Sub("00000001");
  std::string seg = *fs::ReadFileToString(Posix(), path);
  const uint64_t rec_off = 4 * (kFragmentHeaderSize + 400);
  seg[rec_off + kFragmentHeaderSize + 17] ^= 0x20;
  ASSERT_TRUE(fs::WriteFileAtomic(Posix(), path, seg).ok());

  ReadResult r = ReadAll(Posix(), d.path());
  ASSERT_TRUE(r.err.IsCorruption());
  ASSERT_TRUE(r.corruption.has_value());
  EXPECT_EQ(r.corruption->segment, 1);
  EXPECT_EQ(r.corruption->record_offset, rec_off);
  EXPECT_FALSE(r.corruption->torn_tail);
  EXPECT_NE(r.err.message().find("00000001"), std::string_view::npos) << r.err.ToString();
  EXPECT_NE(r.err.message().find("checksum"), std::string_view::npos) << r.err.ToString();
  const size_t per_segment = (2 * kPageSize) / (kFragmentHeaderSize + 400);  // approx
  EXPECT_GT(r.records.size(), per_segment - 5);

  // Repair keeps everything before the damaged record and drops the rest.
  ASSERT_TRUE(Repair(Posix(), d.path(), *r.corruption).ok());
  ReadResult after = ReadAll(Posix(), d.path());
  ASSERT_TRUE(after.err.ok()) << after.err.ToString();
  EXPECT_EQ(after.records, r.records);
  EXPECT_EQ(*ListSegments(Posix(), d.path()), (std::vector<int>{0, 1}));
  EXPECT_TRUE(Writer::Open(d.path(), o).has_value());
}

TEST(WalCorruptionTest, DamageInTheLastSegmentFollowedByIntactPagesIsNotATornTail) {
  fs::TempDir d;
  WriterOptions o;
  o.compression = Compression::kNone;
  {
    auto w = MustOpen(d.path(), o);
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(w->Log(TextRecord(400, i)).ok());
  }
  const std::string path = d.Sub("00000000");
  std::string seg = *fs::ReadFileToString(Posix(), path);
  seg[100] ^= 0x01;
  ASSERT_TRUE(fs::WriteFileAtomic(Posix(), path, seg).ok());
  ReadResult r = ReadAll(Posix(), d.path());
  ASSERT_TRUE(r.err.IsCorruption());
  EXPECT_FALSE(r.corruption->torn_tail);
  EXPECT_EQ(r.records.size(), 0u);
  auto w = Writer::Open(d.path(), o);
  ASSERT_FALSE(w.has_value());
  EXPECT_TRUE(w.error().IsCorruption()) << w.error().ToString();
  // A checkpoint directory cannot be repaired.
  CorruptionInfo other = *r.corruption;
  other.dir = d.Sub("checkpoint.00000001");
  EXPECT_TRUE(Repair(Posix(), d.path(), other).IsInvalidArgument());
}

TEST(WalCorruptionTest, FragmentSequenceErrors) {
  auto frag = [](uint8_t type, std::string_view payload) {
    std::string s(1, char(type));
    PutBE16(&s, uint16_t(payload.size()));
    PutBE32(&s, Crc32cOf(payload));
    s += payload;
    return s;
  };
  struct Case {
    std::string name;
    std::string bytes;
    std::string reason;
  };
  std::string full_page = frag(1, "a");
  full_page += std::string(kPageSize - full_page.size(), '\0');
  const Case cases[] = {
      {"middle without first", full_page + frag(3, "x") + frag(1, "y"), "continuation"},
      {"last without first", full_page + frag(4, "x") + frag(1, "y"), "continuation"},
      {"first after first", full_page + frag(2, "x") + frag(2, "y") + frag(1, "z"), "before the"},
      {"unknown type", full_page + frag(6, "x") + frag(1, "y"), "unknown fragment type"},
      {"both compressions", full_page + frag(1 | 0x18, "x") + frag(1, "y"), "both"},
      {"bad snappy", full_page + frag(1 | 0x08, "\xff\xff\xff\xff\xff") + frag(1, "y"), "snappy"},
      {"bad zstd", full_page + frag(1 | 0x10, "nonsense") + frag(1, "y"), "zstd"},
      {"padding not zero", full_page.substr(0, 100) + "\x01" + full_page.substr(101) + frag(1, "y"),
       "padded page"},
  };
  for (const Case& c : cases) {
    ReadResult r = ReadBytes(c.bytes);
    EXPECT_EQ(r.records.size(), 1u) << c.name;
    ASSERT_TRUE(r.err.IsCorruption()) << c.name;
    EXPECT_NE(r.err.message().find(c.reason), std::string_view::npos)
        << c.name << ": " << r.err.ToString();
  }
  // Reserved high bits of the type byte are ignored, as Prometheus does.
  ReadResult r = ReadBytes(frag(1 | 0xE0, "ok"));
  EXPECT_TRUE(r.err.ok());
  EXPECT_EQ(r.records, std::vector<std::string>{"ok"});
}

// ---------------------------------------------------------------------------------------
// Fault injection

TEST(WalFaultTest, EnospcLeavesNoPartialRecordAndWriterRecovers) {
  for (uint64_t budget : {uint64_t(0), uint64_t(5), uint64_t(3000), uint64_t(40000)}) {
    fs::TempDir d;
    fs::FaultInjectingFileSystem ffs(Posix());
    WriterOptions o;
    o.fs = &ffs;
    o.compression = Compression::kNone;
    auto w = MustOpen(d.path(), o);
    std::vector<std::string> want;
    for (int i = 0; i < 20; ++i) {
      want.push_back(TextRecord(300, i));
      ASSERT_TRUE(w->Log(want.back()).ok());
    }
    ffs.FailWritesAfter(budget);
    std::vector<std::string> failed;
    for (int i = 0; i < 50; ++i) failed.push_back(TextRecord(1000, 100 + i));
    std::vector<std::string_view> batch(failed.begin(), failed.end());
    Status s = w->Log(batch);
    ASSERT_TRUE(s.IsIOError()) << budget;
    EXPECT_NE(s.message().find("No space left"), std::string_view::npos) << s.ToString();
    // Still out of space: still a clean error.
    EXPECT_TRUE(w->Log("x").IsIOError());
    ffs.ClearFaults();
    for (int i = 0; i < 5; ++i) {
      want.push_back(TextRecord(200, 500 + i));
      ASSERT_TRUE(w->Log(want.back()).ok()) << budget;
    }
    ASSERT_TRUE(w->Close().ok());
    ReadResult r = ReadAll(Posix(), d.path());
    ASSERT_TRUE(r.err.ok()) << budget << ": " << r.err.ToString();
    EXPECT_EQ(r.records, want) << budget;
  }
}

TEST(WalFaultTest, FailedFsyncBreaksTheWriter) {
  fs::TempDir d;
  fs::FaultInjectingFileSystem ffs(Posix());
  WriterOptions o;
  o.fs = &ffs;
  auto w = MustOpen(d.path(), o);
  ASSERT_TRUE(w->Log("a").ok());
  ffs.FailSyncs();
  EXPECT_TRUE(w->Sync().IsIOError());
  ffs.ClearFaults();
  EXPECT_TRUE(w->Log("b").IsIOError());  // sticky
  EXPECT_TRUE(w->Sync().IsIOError());
}

// Crash with unsynced data: after reopening, the records are exactly a prefix of what was
// written, and every synced record is in it.
TEST(WalFaultTest, CrashKeepsEverySyncedRecord) {
  std::mt19937_64 rng(77);
  for (int trial = 0; trial < 20; ++trial) {
    fs::TempDir d;
    fs::FaultInjectingFileSystem ffs(Posix());
    WriterOptions o;
    o.fs = &ffs;
    o.segment_size = 3 * kPageSize;
    std::vector<std::string> written;
    size_t synced = 0;
    {
      auto w = MustOpen(d.path(), o);
      const int n = 20 + int(rng() % 200);
      for (int i = 0; i < n; ++i) {
        written.push_back(RandomBytes(&rng, 1 + rng() % 3000));
        ASSERT_TRUE(w->Log(written.back()).ok());
        if (rng() % 7 == 0) {
          ASSERT_TRUE(w->Sync().ok());
          synced = written.size();
        }
      }
      ASSERT_TRUE(ffs.DropUnsyncedData().ok());
      // The process dies here: the writer is destroyed without Close on the cut files.
      ffs.FailWritesAfter(0);
    }
    ffs.ClearFaults();
    auto w = MustOpen(d.path(), o);
    ASSERT_NE(w, nullptr);
    w.reset();
    ReadResult r = ReadAll(Posix(), d.path());
    ASSERT_TRUE(r.err.ok()) << "trial " << trial << ": " << r.err.ToString();
    ASSERT_GE(r.records.size(), synced) << "trial " << trial;
    ASSERT_LE(r.records.size(), written.size());
    for (size_t i = 0; i < r.records.size(); ++i) ASSERT_EQ(r.records[i], written[i]);
  }
}

}  // namespace
}  // namespace vigil::tsdb::wal
