#include "tsdb/wal/checkpoint.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "fs/temp_dir.h"
#include "tsdb/wal/reader.h"
#include "tsdb/wal/records.h"
#include "tsdb/wal/writer.h"

namespace vigil::tsdb::wal {
namespace {

fs::FileSystem* Posix() { return fs::DefaultFileSystem(); }

struct Contents {
  std::map<uint64_t, Labels> series;
  std::vector<RefSample> samples;
  std::vector<RefTombstone> stones;
  std::map<uint64_t, RefMetadata> metadata;
  int records = 0;
};

Contents ReadContents(const std::vector<SegmentRange>& ranges) {
  Contents c;
  auto r = Reader::Open(Posix(), ranges);
  EXPECT_TRUE(r.has_value());
  while ((*r)->Next()) {
    ++c.records;
    const std::string_view rec = (*r)->Record();
    switch (RecordTypeOf(rec)) {
      case RecordType::kSeries: {
        std::vector<RefSeries> v;
        EXPECT_TRUE(DecodeSeries(rec, &v).ok());
        for (auto& s : v) c.series[s.ref] = s.labels;
        break;
      }
      case RecordType::kSamples:
        EXPECT_TRUE(DecodeSamples(rec, &c.samples).ok());
        break;
      case RecordType::kTombstones:
        EXPECT_TRUE(DecodeTombstones(rec, &c.stones).ok());
        break;
      case RecordType::kMetadata: {
        std::vector<RefMetadata> v;
        EXPECT_TRUE(DecodeMetadata(rec, &v).ok());
        for (auto& m : v) c.metadata[m.ref] = m;
        break;
      }
      default:
        ADD_FAILURE() << "unexpected record type " << int(rec[0]);
    }
  }
  EXPECT_TRUE((*r)->Err().ok()) << (*r)->Err().ToString();
  return c;
}

// Segment i holds series 10i..10i+9, samples at t = 100i .. 100i+9 for each, tombstones
// for series 10i and 10i+1, and metadata for series 10i (rewritten in later segments).
void WriteSegments(Writer* w, int first, int last) {
  for (int seg = first; seg <= last; ++seg) {
    std::vector<RefSeries> series;
    std::vector<RefSample> samples;
    for (uint64_t s = uint64_t(seg) * 10; s < uint64_t(seg) * 10 + 10; ++s) {
      series.push_back({s, Labels{{"__name__", "m"}, {"id", std::to_string(s)}}});
      for (int k = 0; k < 10; ++k) samples.push_back({s, seg * 100 + k, double(k)});
    }
    std::string a, b, c, d, e;
    EncodeSeries(series, &a);
    EncodeSamples(samples, &b);
    EncodeTombstones(std::vector<RefTombstone>{{uint64_t(seg) * 10, seg * 100, seg * 100 + 1},
                                               {uint64_t(seg) * 10 + 1, seg * 100, seg * 100 + 1}},
                     &c);
    EncodeMetadata(
        std::vector<RefMetadata>{{uint64_t(seg) * 10, 1, "u", "seg" + std::to_string(seg)},
                                 {0, 2, "", "rewritten in " + std::to_string(seg)}},
        &d);
    std::string_view recs[] = {a, b, c, d};
    ASSERT_TRUE(w->Log(recs).ok());
    ASSERT_TRUE(w->NextSegment().has_value());
  }
}

TEST(CheckpointTest, KeepsWhatTheHeadNeedsAndDeletesTheRest) {
  fs::TempDir d;
  auto w = Writer::Open(d.path(), {});
  ASSERT_TRUE(w.has_value());
  WriteSegments(w->get(), 0, 5);  // segments 0..5, writer now on 6

  auto keep_even = [](uint64_t ref) { return ref % 2 == 0; };
  auto st = Checkpoint(d.path(), 0, 3, keep_even, /*mint=*/205);
  ASSERT_TRUE(st.has_value()) << st.error().ToString();
  EXPECT_EQ(st->index, 3);
  EXPECT_EQ(st->total_series, 40u);
  EXPECT_EQ(st->dropped_series, 20u);
  EXPECT_EQ(st->total_samples, 400u);
  EXPECT_EQ(st->dropped_samples, 250u);  // t < 205: segments 0, 1 and half of segment 2
  EXPECT_EQ(*ListSegments(Posix(), d.path()), (std::vector<int>{4, 5, 6}));
  EXPECT_TRUE(Posix()->IsDirectory(d.Sub("checkpoint.00000003")));

  Contents c = ReadContents({{d.Sub("checkpoint.00000003")}});
  EXPECT_EQ(c.series.size(), 20u);
  for (auto& [ref, l] : c.series) {
    EXPECT_EQ(ref % 2, 0u);
    EXPECT_EQ(l.Get("id"), std::to_string(ref));
  }
  EXPECT_EQ(c.samples.size(), 150u);  // samples are filtered by time only, as in Prometheus
  for (const RefSample& s : c.samples) EXPECT_GE(s.t, 205);
  // maxt >= 205 and the series kept: only segment 3's of ref 30 (ref 31 is not kept).
  ASSERT_EQ(c.stones.size(), 1u);
  EXPECT_EQ(c.stones[0].ref, 30u);
  EXPECT_EQ(st->total_tombstones, 8u);
  EXPECT_EQ(st->dropped_tombstones, 7u);
  // Latest metadata only, for kept series.
  EXPECT_EQ(c.metadata.size(), 4u);  // refs 0, 10, 20, 30
  EXPECT_EQ(c.metadata[0].help, "rewritten in 3");
  EXPECT_EQ(c.metadata[20].help, "seg2");

  // The next checkpoint includes the previous one and replaces it.
  auto st2 = Checkpoint(d.path(), 4, 5, keep_even, /*mint=*/0);
  ASSERT_TRUE(st2.has_value()) << st2.error().ToString();
  EXPECT_FALSE(Posix()->Exists(d.Sub("checkpoint.00000003")));
  EXPECT_EQ(*ListSegments(Posix(), d.path()), (std::vector<int>{6}));
  Contents c2 = ReadContents({{d.Sub("checkpoint.00000005")}});
  EXPECT_EQ(c2.series.size(), 30u);
  EXPECT_EQ(c2.samples.size(), 150u + 200u);
  EXPECT_EQ(c2.metadata[0].help, "rewritten in 5");

  // Replay = checkpoint + following segments; the writer keeps going.
  ASSERT_TRUE((*w)->Log("\x02").ok());
  ASSERT_TRUE((*w)->Close().ok());
  Contents all = ReadContents({{d.Sub("checkpoint.00000005")}, {d.path(), 6, -1}});
  EXPECT_EQ(all.samples.size(), c2.samples.size());
}

TEST(CheckpointTest, RemovesStaleTempDirAndRefusesGaps) {
  fs::TempDir d;
  {
    auto w = Writer::Open(d.path(), {});
    ASSERT_TRUE(w.has_value());
    WriteSegments(w->get(), 0, 3);
  }
  ASSERT_TRUE(Posix()->CreateDirs(d.Sub("checkpoint.00000009.tmp")).ok());
  auto keep_all = [](uint64_t) { return true; };
  ASSERT_TRUE(Checkpoint(d.path(), 0, 1, keep_all, 0).has_value());
  EXPECT_FALSE(Posix()->Exists(d.Sub("checkpoint.00000009.tmp")));
  auto gap = Checkpoint(d.path(), 3, 3, keep_all, 0);
  EXPECT_TRUE(gap.error().IsInvalidArgument()) << gap.error().ToString();
  EXPECT_TRUE(Checkpoint(d.path(), 3, 2, keep_all, 0).error().IsInvalidArgument());
  auto last = LastCheckpoint(Posix(), d.path());
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->index, 1);
}

TEST(CheckpointTest, DamagedInputFailsAndLeavesNothingBehind) {
  fs::TempDir d;
  {
    auto w = Writer::Open(d.path(), {});
    ASSERT_TRUE(w.has_value());
    WriteSegments(w->get(), 0, 2);
  }
  std::string seg = *fs::ReadFileToString(Posix(), d.Sub("00000001"));
  seg[20] ^= 0x40;
  ASSERT_TRUE(fs::WriteFileAtomic(Posix(), d.Sub("00000001"), seg).ok());
  auto st = Checkpoint(
      d.path(), 0, 2, [](uint64_t) { return true; }, 0);
  ASSERT_FALSE(st.has_value());
  EXPECT_TRUE(st.error().IsCorruption()) << st.error().ToString();
  EXPECT_FALSE(Posix()->Exists(d.Sub("checkpoint.00000002")));
  EXPECT_FALSE(Posix()->Exists(d.Sub("checkpoint.00000002.tmp")));
  EXPECT_EQ(*ListSegments(Posix(), d.path()), (std::vector<int>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace vigil::tsdb::wal
