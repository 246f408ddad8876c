#include "remote/write_request_encoder.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "remote/testproto/remote_write.pb.h"
#include "remote/write_handler.h"
#include "remote/write_request.h"
#include "storage/memory_storage.h"

namespace vigil::remote {
namespace {

struct TestSeries {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<Sample> samples;
};

// Random series: any bytes in names and values (names non-empty), lengths across the one-
// and two-byte varint boundary, timestamps over the whole int64 range and values with any
// bit pattern, including +0, -0, NaNs and the stale marker.
std::vector<TestSeries> RandomSeries(std::mt19937_64& rng) {
  auto pick = [&](uint64_t n) { return rng() % n; };
  auto str = [&](size_t min_len) {
    size_t len = min_len + (pick(4) == 0 ? 100 + pick(300) : pick(12));
    std::string s(len, 'x');
    for (char& c : s) c = char(pick(256));
    return s;
  };
  static const double kSpecial[] = {0.0,
                                    -0.0,
                                    1.0,
                                    std::numeric_limits<double>::infinity(),
                                    std::numeric_limits<double>::quiet_NaN(),
                                    StaleNaN()};
  static const int64_t kTimes[] = {0, 1, -1, 127, 128, INT64_MIN, INT64_MAX, 1700000000123};
  std::vector<TestSeries> out(pick(6));
  for (auto& ts : out) {
    size_t nl = pick(5);
    for (size_t j = 0; j < nl; ++j) {
      ts.labels.emplace_back(str(1), pick(5) == 0 ? std::string() : str(0));
    }
    size_t ns = pick(5);
    for (size_t j = 0; j < ns; ++j) {
      Sample s;
      s.t = pick(2) == 0 ? kTimes[pick(8)] : int64_t(rng());
      s.v = pick(2) == 0 ? kSpecial[pick(6)] : std::bit_cast<double>(rng());
      ts.samples.push_back(s);
    }
  }
  return out;
}

std::string Encode(const std::vector<TestSeries>& series) {
  WriteRequestEncoder enc;
  for (const auto& ts : series) {
    std::string labels;
    for (const auto& [n, v] : ts.labels) WriteRequestEncoder::EncodeLabel(n, v, &labels);
    enc.AddSeriesEncoded(labels, ts.samples);
  }
  return std::string(enc.bytes());
}

std::string EncodeWithLibprotobuf(const std::vector<TestSeries>& series) {
  prometheus::WriteRequest req;
  for (const auto& ts : series) {
    auto* pts = req.add_timeseries();
    for (const auto& [n, v] : ts.labels) {
      auto* l = pts->add_labels();
      l->set_name(n);
      l->set_value(v);
    }
    for (const Sample& s : ts.samples) {
      auto* ps = pts->add_samples();
      ps->set_timestamp(s.t);
      ps->set_value(s.v);
    }
  }
  return req.SerializeAsString();
}

TEST(WriteRequestEncoderTest, BytesEqualLibprotobufSerialization) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 3000; ++i) {
    auto series = RandomSeries(rng);
    ASSERT_EQ(Encode(series), EncodeWithLibprotobuf(series)) << "case " << i;
  }
}

TEST(WriteRequestEncoderTest, RoundTripsThroughTheDecoder) {
  std::mt19937_64 rng(7);
  WriteRequestView view;
  for (int i = 0; i < 3000; ++i) {
    auto series = RandomSeries(rng);
    std::string bytes = Encode(series);
    ASSERT_TRUE(DecodeWriteRequest(bytes, &view).ok()) << "case " << i;
    ASSERT_EQ(view.series.size(), series.size());
    for (size_t s = 0; s < series.size(); ++s) {
      const TimeSeriesRef& ref = view.series[s];
      ASSERT_EQ(ref.labels_end - ref.labels_begin, series[s].labels.size());
      for (size_t j = 0; j < series[s].labels.size(); ++j) {
        EXPECT_EQ(view.labels[ref.labels_begin + j].name, series[s].labels[j].first);
        EXPECT_EQ(view.labels[ref.labels_begin + j].value, series[s].labels[j].second);
      }
      ASSERT_EQ(ref.samples_end - ref.samples_begin, series[s].samples.size());
      for (size_t j = 0; j < series[s].samples.size(); ++j) {
        const Sample& got = view.samples[ref.samples_begin + j];
        EXPECT_EQ(got.t, series[s].samples[j].t);
        EXPECT_EQ(std::bit_cast<uint64_t>(got.v), std::bit_cast<uint64_t>(series[s].samples[j].v));
      }
    }
    // And libprotobuf parses what we wrote.
    prometheus::WriteRequest parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    EXPECT_EQ(parsed.timeseries_size(), int(series.size()));
  }
}

TEST(WriteRequestEncoderTest, EncodedLabelsEqualAddSeriesAndCountsAreKept) {
  Labels l{{"__name__", "up"}, {"instance", "a:1"}, {"job", "demo"}};
  std::vector<Sample> samples = {{1000, 1}, {2000, StaleNaN()}};
  WriteRequestEncoder a, b;
  a.AddSeries(l, samples);
  a.AddSeries(l, {});
  std::string enc;
  WriteRequestEncoder::EncodeLabels(l, &enc);
  b.AddSeriesEncoded(enc, samples);
  b.AddSeriesEncoded(enc, {});
  EXPECT_EQ(a.bytes(), b.bytes());
  EXPECT_EQ(a.num_series(), 2u);
  EXPECT_EQ(a.num_samples(), 2u);
  a.Clear();
  EXPECT_TRUE(a.bytes().empty());
  EXPECT_EQ(a.num_series(), 0u);
  EXPECT_EQ(a.num_samples(), 0u);
}

TEST(WriteRequestEncoderTest, AReceiverStoresWhatWasEncoded) {
  WriteRequestEncoder enc;
  Labels a{{"__name__", "demo_intermittent_metric"}, {"instance", "h:1"}, {"job", "demo"}};
  Labels b{{"__name__", "up"}, {"instance", "h:1"}, {"job", "demo"}};
  enc.AddSeries(a, std::vector<Sample>{{1000, 0.5}, {6000, StaleNaN()}});
  enc.AddSeries(b, std::vector<Sample>{{1000, 1}, {6000, 1}});
  std::string body;
  SnappyCompress(enc.bytes(), &body);

  storage::MemoryStorage mem;
  WriteHandler handler(&mem, RealClock::Default());
  WriteStats stats;
  ASSERT_TRUE(handler.Write(body, &stats).ok());
  EXPECT_EQ(stats.appended, 4u);
  auto q = mem.NewQuerier(INT64_MIN, INT64_MAX);
  ASSERT_TRUE(q.has_value());
  auto set = (*q)->Select(Context::Background(), true, nullptr,
                          {*Matcher::Make(MatchType::kEqual, "job", "demo")});
  std::vector<std::pair<Labels, std::vector<Sample>>> got;
  while (set->Next()) {
    got.emplace_back(set->At().labels(), std::vector<Sample>{});
    auto it = set->At().Iterator();
    while (it->Next()) got.back().second.push_back({it->AtT(), it->AtV()});
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, a);
  ASSERT_EQ(got[0].second.size(), 2u);
  EXPECT_EQ(got[0].second[0].v, 0.5);
  EXPECT_TRUE(IsStaleNaN(got[0].second[1].v));
  EXPECT_EQ(got[1].first, b);
  EXPECT_EQ(got[1].second[1].t, 6000);
}

TEST(WriteRequestEncoderTest, SnappyRoundTripAndErrors) {
  std::string msg(100000, 'a');
  for (size_t i = 0; i < msg.size(); i += 7) msg[i] = char(i);
  std::string compressed, back;
  SnappyCompress(msg, &compressed);
  EXPECT_LT(compressed.size(), msg.size());
  ASSERT_TRUE(SnappyUncompress(compressed, msg.size(), &back).ok());
  EXPECT_EQ(back, msg);
  EXPECT_EQ(SnappyUncompress(compressed, msg.size() - 1, &back).code(),
            StatusCode::kResourceExhausted);
  std::string corrupt = compressed;
  corrupt.resize(corrupt.size() / 2);
  EXPECT_EQ(SnappyUncompress(corrupt, msg.size(), &back).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SnappyUncompress("\xff\xff\xff\xff\xff\xff", 100, &back).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::remote
