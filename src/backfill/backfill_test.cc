#include "backfill/backfill.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <map>
#include <set>

#include "base/clock.h"
#include "fleet/fleet.h"
#include "model/value.h"
#include "remote/write_request.h"
#include "remote/write_request_encoder.h"
#include "textparse/parser.h"

namespace vigil::backfill {
namespace {

// Decodes every request and keeps the samples per series (label string), checking on the
// way that every request is valid and that each series' samples arrive in time order.
class CaptureSink final : public RequestSink {
 public:
  Status Send(std::shared_ptr<const std::string> body, size_t shard) override {
    max_shard = std::max(max_shard, shard);
    std::string msg;
    VIGIL_RETURN_IF_ERROR(remote::SnappyUncompress(*body, 64 << 20, &msg));
    remote::WriteRequestView view;
    VIGIL_RETURN_IF_ERROR(remote::DecodeWriteRequest(msg, &view));
    ++requests;
    max_samples = std::max(max_samples, view.samples.size());
    for (const auto& ts : view.series) {
      std::vector<std::pair<std::string_view, std::string_view>> pairs;
      std::string_view prev_name;
      for (uint32_t i = ts.labels_begin; i < ts.labels_end; ++i) {
        const auto& l = view.labels[i];
        EXPECT_LT(prev_name, l.name) << "labels not sorted";
        prev_name = l.name;
        pairs.emplace_back(l.name, l.value);
      }
      std::string key = Labels::FromPairs(pairs).ToString();
      auto& dst = series[key];
      max_series_samples = std::max(max_series_samples, size_t(ts.samples_end - ts.samples_begin));
      for (uint32_t i = ts.samples_begin; i < ts.samples_end; ++i) {
        const Sample& s = view.samples[i];
        if (!dst.empty() && s.t <= dst.back().t) {
          return Status::OutOfOrder("series " + key + ": " + std::to_string(s.t) + " after " +
                                    std::to_string(dst.back().t));
        }
        dst.push_back(s);
      }
    }
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }

  size_t requests = 0;
  size_t max_samples = 0;
  size_t max_shard = 0;
  size_t max_series_samples = 0;  // most samples in one TimeSeries
  std::map<std::string, std::vector<Sample>> series;
};

fleet::FleetOptions Compliance() {
  fleet::FleetOptions f;
  f.profile = "compliance";
  f.targets = 3;
  f.series_per_target = 0;
  return f;
}

BackfillOptions Window(int64_t start_ms, int64_t minutes, int64_t interval_ms) {
  BackfillOptions o;
  o.start_ms = start_ms;
  o.end_ms = start_ms + minutes * 60000;
  o.interval_ms = interval_ms;
  o.job = "demo";
  o.instance_host = "demo.promlabs.com";
  o.base_port = 10000;
  return o;
}

// 2023-11-14T22:13:20Z: an even minute boundary.
constexpr int64_t kStart = 1700000000000 - 1700000000000 % 120000;

TEST(BackfillTest, ScheduleHasMillisecondOffsetsWithinTheInterval) {
  auto b = Backfiller::Create(Compliance(), Window(kStart, 1, 5000));
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  const auto& sched = (*b)->schedule();
  ASSERT_EQ(sched.size(), 3u);
  std::set<int64_t> offsets;
  for (size_t i = 0; i < sched.size(); ++i) {
    EXPECT_EQ(sched[i].instance, "demo.promlabs.com:" + std::to_string(10000 + i));
    EXPECT_GE(sched[i].offset_ms, 0);
    EXPECT_LT(sched[i].offset_ms, 5000);
    offsets.insert(sched[i].offset_ms);
  }
  EXPECT_EQ(offsets.size(), 3u);
}

TEST(BackfillTest, ComplianceFleetSamplesStalenessAndReportSeries) {
  const int64_t iv = 5000;
  auto b = Backfiller::Create(Compliance(), Window(kStart, 4, iv));
  ASSERT_TRUE(b.has_value());
  CaptureSink sink;
  BackfillStats st;
  ASSERT_TRUE((*b)->Run(&sink, &st).ok());
  EXPECT_EQ(st.requests, sink.requests);
  EXPECT_LE(sink.max_samples, 5000u);

  const auto& sched = (*b)->schedule();
  uint64_t want_scrapes = 0;
  for (size_t i = 0; i < 3; ++i) {
    const std::string inst = sched[i].instance;
    std::vector<int64_t> times;
    for (int64_t t = kStart - kStart % iv + sched[i].offset_ms; t <= kStart + 4 * 60000; t += iv) {
      if (t >= kStart) times.push_back(t);
    }
    want_scrapes += times.size();
    auto get = [&](const std::string& name) {
      std::string key = "{__name__=\"" + name + "\", instance=\"" + inst + "\", job=\"demo\"}";
      auto it = sink.series.find(key);
      EXPECT_NE(it, sink.series.end()) << key;
      return it == sink.series.end() ? std::vector<Sample>{} : it->second;
    };
    // up is 1 at every scrape time.
    auto up = get("up");
    ASSERT_EQ(up.size(), times.size()) << inst;
    for (size_t k = 0; k < times.size(); ++k) {
      EXPECT_EQ(up[k].t, times[k]);
      EXPECT_EQ(up[k].v, 1);
    }
    // demo_intermittent_metric: a value in even minutes, one stale marker at the first
    // scrape of each odd minute, nothing else.
    auto im = get("demo_intermittent_metric");
    std::vector<Sample> want_shape;
    bool present = false;
    for (int64_t t : times) {
      bool even = (t / 60000) % 2 == 0;
      if (even) {
        want_shape.push_back({t, 0});
        present = true;
      } else if (present) {
        want_shape.push_back({t, StaleNaN()});
        present = false;
      }
    }
    ASSERT_EQ(im.size(), want_shape.size()) << inst;
    for (size_t k = 0; k < im.size(); ++k) {
      EXPECT_EQ(im[k].t, want_shape[k].t);
      EXPECT_EQ(IsStaleNaN(im[k].v), IsStaleNaN(want_shape[k].v)) << "at " << im[k].t;
    }
    // scrape_samples_scraped counts the exposition's samples at that time.
    auto scraped = get("scrape_samples_scraped");
    ASSERT_EQ(scraped.size(), times.size());
    for (const Sample& s : scraped) {
      size_t n = 0;
      for (const auto& [key, samples] : sink.series) {
        if (key.find("instance=\"" + inst + "\"") == std::string::npos ||
            key.find("__name__=\"demo_") == std::string::npos) {
          continue;
        }
        for (const Sample& x : samples) n += (x.t == s.t && !IsStaleNaN(x.v));
      }
      EXPECT_EQ(double(n), s.v) << "at " << s.t;
    }
    // The demo histogram's buckets come with job and instance.
    std::string bucket =
        "{__name__=\"demo_api_request_duration_seconds_bucket\", instance=\"" + inst +
        "\", job=\"demo\", le=\"+Inf\", method=\"GET\", path=\"/api/foo\"," + " status=\"200\"}";
    EXPECT_EQ(sink.series.count(bucket), 1u) << bucket;
  }
  EXPECT_EQ(st.scrapes, want_scrapes);
  size_t samples = 0, stale = 0;
  for (const auto& [k, v] : sink.series) {
    samples += v.size();
    for (const Sample& s : v) stale += IsStaleNaN(s.v);
  }
  EXPECT_EQ(st.samples, samples);
  EXPECT_EQ(st.stale_markers, stale);
  EXPECT_EQ(st.series, sink.series.size());
}

TEST(BackfillTest, ValuesEqualWhatTheFleetServesAtTheSameTimes) {
  const int64_t iv = 5000;
  fleet::FleetOptions fo = Compliance();
  auto b = Backfiller::Create(fo, Window(kStart, 2, iv));
  ASSERT_TRUE(b.has_value());
  CaptureSink sink;
  BackfillStats st;
  ASSERT_TRUE((*b)->Run(&sink, &st).ok());

  // A fleet built at the same time, scraped "live" at target 1's scrape times.
  const auto& sched = (*b)->schedule();
  ManualClock clock(kStart - iv);
  fleet::Fleet live(fo, &clock);
  ASSERT_TRUE(live.Build().ok());
  std::map<std::string, std::vector<Sample>> want;
  for (int64_t t = kStart - kStart % iv + sched[1].offset_ms; t <= kStart + 120000; t += iv) {
    if (t < kStart) continue;
    clock.Set(t);
    std::string body;
    live.Scrape(1, fleet::Format::kText, &body);
    textparse::PromParser p(body);
    for (;;) {
      auto e = p.Next();
      ASSERT_TRUE(e.has_value());
      if (*e == textparse::Entry::kEof) break;
      if (*e != textparse::Entry::kSeries) continue;
      LabelsBuilder lb(p.BuildLabels());
      lb.Set("instance", sched[1].instance).Set("job", "demo");
      want[lb.Build().ToString()].push_back({t, p.Value()});
    }
  }
  ASSERT_FALSE(want.empty());
  for (const auto& [key, samples] : want) {
    auto it = sink.series.find(key);
    ASSERT_NE(it, sink.series.end()) << key;
    std::vector<Sample> got;
    for (const Sample& s : it->second) {
      if (!IsStaleNaN(s.v)) got.push_back(s);
    }
    ASSERT_EQ(got.size(), samples.size()) << key;
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k].t, samples[k].t) << key;
      EXPECT_EQ(std::bit_cast<uint64_t>(got[k].v), std::bit_cast<uint64_t>(samples[k].v)) << key;
    }
  }
}

TEST(BackfillTest, RequestSizeDoesNotChangeTheData) {
  size_t most_per_series = 0;
  auto run = [&](size_t max_samples, size_t* requests, size_t shards = 1, int rounds = 0) {
    BackfillOptions o = Window(kStart, 3, 5000);
    o.max_samples_per_request = max_samples;
    o.shards = shards;
    o.rounds_per_send = rounds;
    o.report_series = false;  // scrape_duration_seconds is measured, so not comparable
    auto b = Backfiller::Create(Compliance(), o);
    CaptureSink sink;
    BackfillStats st;
    EXPECT_TRUE(b.has_value() && (*b)->Run(&sink, &st).ok());
    EXPECT_LE(sink.max_samples, max_samples);
    EXPECT_LT(sink.max_shard, shards);
    if (shards > 1) {
      EXPECT_EQ(sink.max_shard, shards - 1);
    }
    *requests = sink.requests;
    most_per_series = sink.max_series_samples;
    return sink.series;
  };
  size_t big_n = 0, small_n = 0, sharded_n = 0, rounds_n = 0;
  auto big = run(100000, &big_n);
  auto small = run(7, &small_n);
  auto sharded = run(50, &sharded_n, 4);
  EXPECT_EQ(big_n, 1u);
  EXPECT_GT(small_n, 100u);
  // Five rounds (25 s of 5 s scrapes) per send: each series' five samples share a TimeSeries.
  auto rounds = run(1000, &rounds_n, 2, 5);
  EXPECT_EQ(most_per_series, 5u);
  for (const auto* other : {&small, &sharded, &rounds}) {
    ASSERT_EQ(big.size(), other->size());
    for (const auto& [k, v] : big) {
      auto it = other->find(k);
      ASSERT_NE(it, other->end()) << k;
      ASSERT_EQ(v.size(), it->second.size()) << k;
      for (size_t i = 0; i < v.size(); ++i) {
        EXPECT_EQ(v[i].t, it->second[i].t);
        EXPECT_EQ(std::bit_cast<uint64_t>(v[i].v), std::bit_cast<uint64_t>(it->second[i].v));
      }
    }
  }
}

// Churned pods: every series that stops before the end of the window ends with a staleness
// marker; the scrape cache is swept (the window is longer than a sweep period) without
// mixing up series.
TEST(BackfillTest, ChurnedSeriesEndWithStaleMarkers) {
  fleet::FleetOptions fo;
  fo.targets = 2;
  fo.series_per_target = 60;
  fo.churn = 0.5;
  fo.churn_interval_ms = 60000;
  BackfillOptions o = Window(kStart, 40, 15000);
  o.job = "fleet";
  o.max_samples_per_request = 500;
  auto b = Backfiller::Create(fo, o);
  ASSERT_TRUE(b.has_value());
  CaptureSink sink;
  BackfillStats st;
  ASSERT_TRUE((*b)->Run(&sink, &st).ok());
  EXPECT_GT(sink.series.size(), 2u * (60 + 5) + 20) << "churn should create new series";
  size_t ended = 0;
  for (const auto& [key, samples] : sink.series) {
    ASSERT_FALSE(samples.empty());
    // Only the last sample of a series may be a stale marker, and a series whose last
    // sample is more than one interval before the end has one.
    for (size_t i = 0; i + 1 < samples.size(); ++i) {
      EXPECT_FALSE(IsStaleNaN(samples[i].v)) << key << " at " << samples[i].t;
    }
    if (samples.back().t < o.end_ms - o.interval_ms) {
      EXPECT_TRUE(IsStaleNaN(samples.back().v)) << key;
      ++ended;
    }
  }
  EXPECT_GT(ended, 20u);
}

TEST(BackfillTest, RejectsBadOptions) {
  BackfillOptions o = Window(kStart, 1, 5000);
  o.end_ms = o.start_ms - 1;
  EXPECT_EQ(Backfiller::Create(Compliance(), o).error().code(), StatusCode::kInvalidArgument);
  o = Window(kStart, 1, 0);
  EXPECT_EQ(Backfiller::Create(Compliance(), o).error().code(), StatusCode::kInvalidArgument);
  o = Window(kStart, 1, 5000);
  o.max_samples_per_request = 0;
  EXPECT_EQ(Backfiller::Create(Compliance(), o).error().code(), StatusCode::kInvalidArgument);
  o = Window(kStart, 1, 5000);
  o.shards = 0;
  EXPECT_EQ(Backfiller::Create(Compliance(), o).error().code(), StatusCode::kInvalidArgument);
  o = Window(kStart, 1, 5000);
  o.rounds_per_send = 65;
  EXPECT_EQ(Backfiller::Create(Compliance(), o).error().code(), StatusCode::kInvalidArgument);
  fleet::FleetOptions bad = Compliance();
  bad.profile = "nope";
  EXPECT_EQ(Backfiller::Create(bad, Window(kStart, 1, 5000)).error().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::backfill
