// PromQL engine micro-benchmark on a synthetic in-memory Queryable (no storage costs beyond
// iterating arrays), with the dataset of the Thanos engine benchmark: http_requests_total for
// 1000 pods x 3 containers = 3000 series, one sample every 30 s for 2 h, queried over the 2 h
// at a 30 s step. Reports ns per input sample (samples in the queried range).
//
//   ./build/bin/promql_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "promql/engine/engine.h"
#include "storage/series.h"

namespace vigil::promql {
namespace {

constexpr int kPods = 1000;
constexpr int kContainers = 3;
constexpr int64_t kScrapeMs = 30'000;
constexpr int64_t kRangeMs = 2 * 3600 * 1000;

// Iterates a shared sample array.
class ArrayIterator final : public storage::SampleIterator {
 public:
  ArrayIterator(const Sample* s, size_t n) : s_(s), n_(n) {}
  bool Next() override { return ++i_ < n_; }
  bool Seek(int64_t t) override {
    if (i_ == size_t(-1)) i_ = 0;
    while (i_ < n_ && s_[i_].t < t) ++i_;
    return i_ < n_;
  }
  int64_t AtT() const override { return s_[i_].t; }
  double AtV() const override { return s_[i_].v; }
  size_t NextBatch(int64_t* ts, double* vs, size_t max) override {
    size_t start = i_ + 1;
    if (start >= n_) {
      i_ = n_;
      return 0;
    }
    size_t n = std::min(max, n_ - start);
    for (size_t k = 0; k < n; ++k) {
      ts[k] = s_[start + k].t;
      vs[k] = s_[start + k].v;
    }
    i_ = n < max ? n_ : start + n - 1;
    return n;
  }

 private:
  const Sample* s_;
  size_t n_;
  size_t i_ = size_t(-1);
};

struct SyntheticSeries final : public storage::Series {
  Labels l;
  std::vector<Sample> samples;
  const Labels& labels() const override { return l; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override {
    return std::make_unique<ArrayIterator>(samples.data(), samples.size());
  }
};

class SyntheticSet final : public storage::SeriesSet {
 public:
  SyntheticSet(const std::vector<std::unique_ptr<SyntheticSeries>>* all,
               const std::vector<Matcher>* ms)
      : all_(all), ms_(ms) {}
  bool Next() override {
    while (++i_ < all_->size()) {
      if (MatchesAll(*ms_, (*all_)[i_]->l)) return true;
    }
    return false;
  }
  const storage::Series& At() const override { return *(*all_)[i_]; }

 private:
  const std::vector<std::unique_ptr<SyntheticSeries>>* all_;
  const std::vector<Matcher>* ms_;
  size_t i_ = size_t(-1);
};

class SyntheticQueryable final : public storage::Queryable {
 public:
  SyntheticQueryable() {
    for (int p = 0; p < kPods; ++p) {
      for (int c = 0; c < kContainers; ++c) {
        auto s = std::make_unique<SyntheticSeries>();
        s->l = Labels{{"__name__", "http_requests_total"},
                      {"pod", fmt::format("p{}", p)},
                      {"container", fmt::format("c{}", c)}};
        double v = 0;
        for (int64_t t = 0; t <= kRangeMs; t += kScrapeMs) {
          v += double((p * 7 + c * 3 + t / kScrapeMs) % 11);
          s->samples.push_back(Sample{t, v});
        }
        series_.push_back(std::move(s));
      }
    }
  }
  Result<std::unique_ptr<storage::Querier>> NewQuerier(int64_t, int64_t) override {
    return std::unique_ptr<storage::Querier>(std::make_unique<Q>(this));
  }
  size_t SamplesIn(int64_t mint, int64_t maxt) const {
    size_t n = 0;
    for (const auto& s : series_) {
      for (const auto& x : s->samples) n += x.t >= mint && x.t <= maxt;
    }
    return n;
  }

 private:
  class Q final : public storage::Querier {
   public:
    explicit Q(SyntheticQueryable* q) : q_(q) {}
    std::unique_ptr<storage::SeriesSet> Select(const Context&, bool, const storage::SelectHints*,
                                               const std::vector<Matcher>& ms) override {
      matchers_ = ms;
      return std::make_unique<SyntheticSet>(&q_->series_, &matchers_);
    }
    Result<std::vector<std::string>> LabelValues(const Context&, std::string_view,
                                                 const std::vector<Matcher>&, size_t) override {
      return std::vector<std::string>{};
    }
    Result<std::vector<std::string>> LabelNames(const Context&, const std::vector<Matcher>&,
                                                size_t) override {
      return std::vector<std::string>{};
    }

   private:
    SyntheticQueryable* q_;
    std::vector<Matcher> matchers_;
  };
  std::vector<std::unique_ptr<SyntheticSeries>> series_;
};

SyntheticQueryable& Data() {
  static auto* q = new SyntheticQueryable();
  return *q;
}

void RunRange(benchmark::State& state, const char* query) {
  SyntheticQueryable& q = Data();
  Engine engine;
  const int64_t start = 0, end = kRangeMs, step = kScrapeMs;
  const double samples = double(q.SamplesIn(start - 60'000, end));
  for (auto _ : state) {
    auto qr = engine.NewRangeQuery(&q, query, start, end, step);
    if (!qr.has_value()) {
      state.SkipWithError(std::string(qr.error().message()).c_str());
      return;
    }
    auto res = (*qr)->Exec(Context::Background());
    if (!res.has_value()) {
      state.SkipWithError(std::string(res.error().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(res->value.matrix.size());
  }
  // Seconds per input sample (printed with an SI prefix, e.g. "20n" = 20 ns).
  state.counters["per_sample"] =
      benchmark::Counter(samples * double(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["samples"] = samples;
}

void BM_SumByPodRate(benchmark::State& state) {
  RunRange(state, "sum by (pod) (rate(http_requests_total[1m]))");
}
void BM_Rate(benchmark::State& state) { RunRange(state, "rate(http_requests_total[1m])"); }
void BM_SumByPod(benchmark::State& state) { RunRange(state, "sum by (pod) (http_requests_total)"); }
void BM_ManyToOne(benchmark::State& state) {
  RunRange(state, "http_requests_total / on (pod) group_left sum by (pod) (http_requests_total)");
}
void BM_Sort(benchmark::State& state) { RunRange(state, "sort_desc(http_requests_total)"); }
void BM_TopK(benchmark::State& state) { RunRange(state, "topk(5, http_requests_total)"); }

BENCHMARK(BM_SumByPodRate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Rate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SumByPod)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ManyToOne)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Sort)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TopK)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vigil::promql

BENCHMARK_MAIN();
