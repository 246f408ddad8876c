// Scrape processing cost (parse + cache + relabel/limits + append + staleness + report) for
// fleet bodies, with a storage that only counts. Run: ./build/bin/scrape_bench
#include <benchmark/benchmark.h>

#include "base/context.h"
#include "fleet/fleet.h"
#include "scrape/scrape_loop.h"

namespace vigil::scrape {
namespace {

class CountingAppender final : public storage::Appender {
 public:
  explicit CountingAppender(uint64_t* n) : n_(n) {}
  Result<storage::SeriesRef> Append(storage::SeriesRef ref, const Labels&, int64_t,
                                    double) override {
    ++*n_;
    return ref != 0 ? ref : storage::SeriesRef(++next_);
  }
  Status Commit() override { return Status::OK(); }
  Status Rollback() override { return Status::OK(); }

 private:
  uint64_t* n_;
  uint64_t next_ = 0;
};

class CountingStorage final : public storage::Appendable {
 public:
  std::unique_ptr<storage::Appender> NewAppender() override {
    return std::make_unique<CountingAppender>(&n);
  }
  uint64_t n = 0;
};

std::string FleetBody(int series, fleet::Format format) {
  fleet::FleetOptions o;
  o.services = 4;
  o.versions = 2;
  o.instances = 1;
  o.series_per_target = series;
  ManualClock clock(1700000000000);
  fleet::Fleet f(o, &clock);
  if (!f.Build().ok()) return "";
  std::string body;
  f.Scrape(1, format, &body);
  return body;
}

std::shared_ptr<Target> BenchTarget() {
  TargetDefaults d;
  d.job_name = "fleet";
  PopulateResult r = PopulateLabels(Labels{{"__address__", "127.0.0.1:10001"}}, Labels{}, d, {});
  return std::make_shared<Target>(r.labels, r.discovered, d.params);
}

void BM_SteadyScrape(benchmark::State& state) {
  bool om = state.range(1) != 0;
  std::string body =
      FleetBody(int(state.range(0)), om ? fleet::Format::kOpenMetrics : fleet::Format::kText);
  CountingStorage storage;
  ScrapeStats stats;
  auto opts = std::make_shared<LoopOptions>();
  opts->cache_labels = false;
  ScrapeLoop loop(BenchTarget(), opts, &storage, &stats);
  FetchResult f;
  f.body = body;
  f.content_type = om ? "application/openmetrics-text; version=1.0.0" : "text/plain; version=0.0.4";
  int64_t t = 1700000000000;
  if (!loop.Process(f, t, Context::NowNs()).ok()) state.SkipWithError("scrape failed");
  for (auto _ : state) {
    t += 15000;
    benchmark::DoNotOptimize(loop.Process(f, t, Context::NowNs()));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * int64_t(body.size()));
  state.counters["misses"] = double(stats.cache_misses.load());
}
BENCHMARK(BM_SteadyScrape)->Args({2000, 0})->Args({2000, 1})->Args({10000, 0});

void BM_FirstScrape(benchmark::State& state) {
  std::string body = FleetBody(int(state.range(0)), fleet::Format::kText);
  CountingStorage storage;
  ScrapeStats stats;
  auto opts = std::make_shared<LoopOptions>();
  int64_t t = 1700000000000;
  for (auto _ : state) {
    ScrapeLoop loop(BenchTarget(), opts, &storage, &stats);
    FetchResult f;
    f.body = body;
    f.content_type = "text/plain; version=0.0.4";
    benchmark::DoNotOptimize(loop.Process(f, t, Context::NowNs()));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FirstScrape)->Arg(2000);

}  // namespace
}  // namespace vigil::scrape

BENCHMARK_MAIN();
