// Test data for block tests: varied series (unicode values, differing label sets, several
// metric names) with irregular sample timestamps and values of every kind (counters, gauges,
// constants, NaN, infinities), sorted by labels; and a chunk series set that rewrites the
// chunks of another (damaged or differently encoded chunks). Test-only.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "model/value.h"
#include "storage/memory_storage.h"
#include "tsdb/chunks/chunk_series.h"

namespace vigil::tsdb::block::testing {

struct TestSeries {
  Labels labels;
  std::vector<Sample> samples;
};

struct GenOptions {
  size_t num_series = 100;
  int64_t t0 = 1700000000000;     // first sample, ms
  int64_t span_ms = 3 * 3600000;  // samples cover [t0, t0 + span)
  int64_t interval_ms = 15000;    // mean scrape interval
  uint32_t seed = 1;
  // Only names valid in the exposition formats ([a-zA-Z_][a-zA-Z0-9_]*); values stay unicode.
  bool ascii_names = false;
};

inline std::vector<TestSeries> GenerateSeries(const GenOptions& o) {
  std::mt19937_64 rng(o.seed);
  const std::vector<std::string> metrics = {"http_requests_total",
                                            "node_cpu_seconds_total",
                                            "up",
                                            "process_resident_memory_bytes",
                                            o.ascii_names ? "queue_length" : "queue_länge",
                                            "temperature_celsius"};
  const std::vector<std::string> jobs = {
      "api", "node", "Zürich-db", "東京", "a \"quoted\" job", "line\\break"};
  std::set<Labels> seen;
  std::vector<TestSeries> out;
  while (out.size() < o.num_series) {
    LabelsBuilder b;
    b.Set("__name__", metrics[rng() % metrics.size()]);
    b.Set("instance",
          "10.0." + std::to_string(rng() % 8) + "." + std::to_string(rng() % 250) + ":9100");
    b.Set("job", jobs[rng() % jobs.size()]);
    if (rng() % 2) b.Set("code", std::to_string(200 + 100 * (rng() % 4)));
    if (rng() % 3 == 0) b.Set("le", rng() % 2 ? "+Inf" : "0.25");
    if (rng() % 7 == 0) b.Set(o.ascii_names ? "greek" : "ω", "πρ" + std::to_string(rng() % 3));
    Labels l = b.Build();
    if (!seen.insert(l).second) continue;
    TestSeries s{l, {}};
    const int kind = int(rng() % 4);
    // Series start and stop at different times; intervals jitter by up to +-2 s.
    int64_t t = o.t0 + int64_t(rng() % uint64_t(o.span_ms / 4));
    const int64_t end = o.t0 + o.span_ms - int64_t(rng() % uint64_t(o.span_ms / 4));
    double v = double(rng() % 1000);
    while (t < end) {
      switch (kind) {
        case 0:  // counter
          v += double(rng() % 100);
          break;
        case 1:  // gauge
          v = double(int64_t(rng() % 2000000) - 1000000) / 1024.0;
          break;
        case 2:  // constant
          break;
        default:  // rare specials
          v = rng() % 50 == 0   ? std::numeric_limits<double>::infinity()
              : rng() % 50 == 0 ? -std::numeric_limits<double>::infinity()
              : rng() % 50 == 0 ? std::bit_cast<double>(kNormalNaNBits)
                                : std::ldexp(double(rng() % 100000), -int(rng() % 40));
      }
      s.samples.push_back(Sample{t, v});
      t += o.interval_ms + int64_t(rng() % 4001) - 2000;
    }
    if (!s.samples.empty()) out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const TestSeries& a, const TestSeries& b) { return a.labels < b.labels; });
  return out;
}

inline void Fill(storage::MemoryStorage* st, const std::vector<TestSeries>& series) {
  auto app = st->NewAppender();
  for (const auto& s : series) {
    for (const Sample& x : s.samples) app->Append(0, s.labels, x.t, x.v).IgnoreError();
  }
  app->Commit().IgnoreError();
}

// Bit-exact sample equality (NaN payloads included).
inline bool SameSample(const Sample& a, const Sample& b) {
  return a.t == b.t && std::bit_cast<uint64_t>(a.v) == std::bit_cast<uint64_t>(b.v);
}

// The series of `in` with every chunk's bytes replaced by rewrite(bytes); the new bytes live
// until the next Next(). Not thread-safe.
class RewrittenChunkSet final : public chunks::ChunkSeriesSet {
 public:
  using Rewrite = std::function<std::string(std::string_view chunk)>;
  RewrittenChunkSet(std::unique_ptr<chunks::ChunkSeriesSet> in, Rewrite rewrite)
      : in_(std::move(in)), rewrite_(std::move(rewrite)) {}
  bool Next() override {
    if (!in_->Next()) return false;
    metas_ = in_->chunks();
    bytes_.clear();
    bytes_.reserve(metas_.size());  // no reallocation: metas_ point into bytes_
    for (auto& m : metas_) {
      bytes_.push_back(rewrite_(m.data));
      m.data = bytes_.back();
    }
    return true;
  }
  const Labels& labels() const override { return in_->labels(); }
  const std::vector<chunks::Meta>& chunks() const override { return metas_; }
  Status Err() const override { return in_->Err(); }

 private:
  std::unique_ptr<chunks::ChunkSeriesSet> in_;
  Rewrite rewrite_;
  std::vector<chunks::Meta> metas_;
  std::vector<std::string> bytes_;
};

}  // namespace vigil::tsdb::block::testing
