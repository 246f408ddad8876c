#include "tsdb/wal/records.h"

#include <gtest/gtest.h>

#include <bit>
#include <limits>

#include "base/coding.h"
#include "model/value.h"

namespace vigil::tsdb::wal {
namespace {

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

TEST(RecordsTest, TypeOf) {
  EXPECT_EQ(RecordTypeOf(""), RecordType::kUnknown);
  EXPECT_EQ(RecordTypeOf("\x01"), RecordType::kSeries);
  EXPECT_EQ(RecordTypeOf("\x02rest"), RecordType::kSamples);
  EXPECT_EQ(RecordTypeOf("\x07"), RecordType::kHistogramSamples);
  EXPECT_EQ(RecordTypeOf(std::string_view("\x00", 1)), RecordType::kUnknown);
  EXPECT_EQ(RecordTypeOf("\x63"), RecordType::kUnknown);
}

// Bytes worked out from the format (docs/format/wal.md): signed varint deltas, and the
// first sample encoded as a zero delta too.
TEST(RecordsTest, SamplesBytesByHand) {
  std::vector<RefSample> in = {{10, 1000, 1.0}, {9, 999, 2.0}, {12, 1064, -0.0}};
  std::string rec;
  EncodeSamples(in, &rec);
  const std::string want =
      "02"                // type
      "000000000000000a"  // base ref 10
      "00000000000003e8"  // base t 1000
      "00"
      "00"
      "3ff0000000000000"  // +0 ref, +0 t, 1.0
      "01"
      "01"
      "4000000000000000"  // -1 ref (zigzag 1), -1 t, 2.0
      "04"
      "8001"
      "8000000000000000";  // +2 ref, +64 t, -0.0
  EXPECT_EQ(Hex(rec), want);
  std::vector<RefSample> out;
  ASSERT_TRUE(DecodeSamples(rec, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref);
    EXPECT_EQ(out[i].t, in[i].t);
    EXPECT_EQ(std::bit_cast<uint64_t>(out[i].v), std::bit_cast<uint64_t>(in[i].v));
  }
}

TEST(RecordsTest, EmptySamplesRecordIsJustTheType) {
  std::string rec;
  EncodeSamples({}, &rec);
  EXPECT_EQ(rec, "\x02");
  std::vector<RefSample> out;
  EXPECT_TRUE(DecodeSamples(rec, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(RecordsTest, SeriesBytesByHand) {
  std::vector<RefSeries> in = {{1, Labels{{"__name__", "up"}, {"job", "x"}}}};
  std::string rec;
  EncodeSeries(in, &rec);
  EXPECT_EQ(Hex(rec),
            "01"
            "0000000000000001"
            "02"
            "085f5f6e616d655f5f"
            "027570"  // __name__ up
            "036a6f62"
            "0178");  // job x
  std::vector<RefSeries> out;
  ASSERT_TRUE(DecodeSeries(rec, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ref, 1u);
  EXPECT_EQ(out[0].labels, in[0].labels);
}

TEST(RecordsTest, RoundTripsWithExtremes) {
  const int64_t mn = std::numeric_limits<int64_t>::min();
  const int64_t mx = std::numeric_limits<int64_t>::max();
  std::vector<RefSample> samples = {{~uint64_t(0), mx, 1},
                                    {0, mn, std::bit_cast<double>(kStaleNaNBits)},
                                    {1ull << 63, 0, -1e300},
                                    {5, -1, std::numeric_limits<double>::infinity()}};
  std::string rec;
  EncodeSamples(samples, &rec);
  std::vector<RefSample> got;
  ASSERT_TRUE(DecodeSamples(rec, &got).ok());
  ASSERT_EQ(got.size(), samples.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].ref, samples[i].ref);
    EXPECT_EQ(got[i].t, samples[i].t);
    EXPECT_EQ(std::bit_cast<uint64_t>(got[i].v), std::bit_cast<uint64_t>(samples[i].v));
  }

  std::vector<RefTombstone> stones = {{7, mn, mx}, {8, -5, 5}};
  rec.clear();
  EncodeTombstones(stones, &rec);
  std::vector<RefTombstone> got_stones;
  ASSERT_TRUE(DecodeTombstones(rec, &got_stones).ok());
  ASSERT_EQ(got_stones.size(), 2u);
  EXPECT_EQ(got_stones[0].mint, mn);
  EXPECT_EQ(got_stones[0].maxt, mx);
  EXPECT_EQ(got_stones[1].ref, 8u);

  std::vector<RefMetadata> md = {{3, uint8_t(MetricType::kCounter), "seconds", "Total time."},
                                 {1ull << 40, uint8_t(MetricType::kGauge), "", ""}};
  rec.clear();
  EncodeMetadata(md, &rec);
  std::vector<RefMetadata> got_md;
  ASSERT_TRUE(DecodeMetadata(rec, &got_md).ok());
  ASSERT_EQ(got_md.size(), 2u);
  EXPECT_EQ(got_md[0].unit, "seconds");
  EXPECT_EQ(got_md[0].help, "Total time.");
  EXPECT_EQ(got_md[0].type, 1);
  EXPECT_EQ(got_md[1].ref, 1ull << 40);

  std::vector<RefExemplar> ex = {{4, 100, 0.5, Labels{{"trace_id", "abc"}}}, {2, 90, 1, Labels{}}};
  rec.clear();
  EncodeExemplars(ex, &rec);
  std::vector<RefExemplar> got_ex;
  ASSERT_TRUE(DecodeExemplars(rec, &got_ex).ok());
  ASSERT_EQ(got_ex.size(), 2u);
  EXPECT_EQ(got_ex[0].labels, ex[0].labels);
  EXPECT_EQ(got_ex[1].ref, 2u);
  EXPECT_EQ(got_ex[1].t, 90);
}

TEST(RecordsTest, MetadataSkipsUnknownFields) {
  std::string rec = "\x06";
  PutUvarint(&rec, 9);
  rec += '\x02';
  PutUvarint(&rec, 3);
  for (std::string_view f : {"HELP", "h", "FUTURE", "zzz", "UNIT", "u"}) {
    PutUvarint(&rec, f.size());
    rec += f;
  }
  std::vector<RefMetadata> md;
  ASSERT_TRUE(DecodeMetadata(rec, &md).ok());
  ASSERT_EQ(md.size(), 1u);
  EXPECT_EQ(md[0].help, "h");
  EXPECT_EQ(md[0].unit, "u");
}

TEST(RecordsTest, SeriesLabelsAreNormalised) {
  // Unsorted, with an empty value: decoded as a valid Labels.
  std::string rec = "\x01";
  PutBE64(&rec, 5);
  PutUvarint(&rec, 3);
  for (std::string_view f : {"b", "2", "a", "1", "c", ""}) {
    PutUvarint(&rec, f.size());
    rec += f;
  }
  std::vector<RefSeries> out;
  ASSERT_TRUE(DecodeSeries(rec, &out).ok());
  EXPECT_EQ(out[0].labels, (Labels{{"a", "1"}, {"b", "2"}}));
}

// Every truncation and a trailing extra byte must be Corruption, never a crash.
TEST(RecordsTest, DamagedRecordsAreCorruption) {
  std::vector<std::string> recs(5);
  EncodeSeries(std::vector<RefSeries>{{1, Labels{{"a", "b"}}}, {2, Labels{{"c", "d"}}}}, &recs[0]);
  EncodeSamples(std::vector<RefSample>{{1, 2, 3}, {4, 5, 6}}, &recs[1]);
  EncodeTombstones(std::vector<RefTombstone>{{1, 2, 3}}, &recs[2]);
  EncodeMetadata(std::vector<RefMetadata>{{1, 1, "u", "h"}}, &recs[3]);
  EncodeExemplars(std::vector<RefExemplar>{{1, 2, 3, Labels{{"x", "y"}}}}, &recs[4]);
  auto decode = [](size_t kind, std::string_view r) -> Status {
    std::vector<RefSeries> a;
    std::vector<RefSample> b;
    std::vector<RefTombstone> c;
    std::vector<RefMetadata> d;
    std::vector<RefExemplar> e;
    switch (kind) {
      case 0:
        return DecodeSeries(r, &a);
      case 1:
        return DecodeSamples(r, &b);
      case 2:
        return DecodeTombstones(r, &c);
      case 3:
        return DecodeMetadata(r, &d);
      default:
        return DecodeExemplars(r, &e);
    }
  };
  for (size_t k = 0; k < recs.size(); ++k) {
    ASSERT_TRUE(decode(k, recs[k]).ok()) << k;
    for (size_t len = 0; len < recs[k].size(); ++len) {
      const std::string cut = recs[k].substr(0, len);
      // Cutting at an entry boundary leaves a valid record with fewer entries; a cut
      // type byte or a mid-entry cut must be Corruption.
      Status s = decode(k, cut);
      if (!s.ok()) {
        EXPECT_TRUE(s.IsCorruption()) << k << " len " << len << " " << s.ToString();
      }
      if (len == 0) {
        EXPECT_TRUE(s.IsCorruption()) << k;
      }
    }
    EXPECT_TRUE(decode(k, recs[k].substr(0, recs[k].size() - 1)).IsCorruption()) << k;
    EXPECT_TRUE(decode(k, recs[k] + "\x01").IsCorruption()) << k;
    // A record of another type is refused.
    EXPECT_TRUE(decode(k, recs[(k + 1) % recs.size()]).IsCorruption()) << k;
  }
  // A label count far larger than the record is rejected before any allocation.
  std::string huge = "\x01";
  PutBE64(&huge, 1);
  PutUvarint(&huge, uint64_t(1) << 60);
  std::vector<RefSeries> out;
  EXPECT_TRUE(DecodeSeries(huge, &out).IsCorruption());
}

}  // namespace
}  // namespace vigil::tsdb::wal
