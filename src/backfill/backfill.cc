#include "backfill/backfill.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <unordered_map>

#include "base/clock.h"
#include "fleet/fleet.h"
#include "fleet/rng.h"
#include "model/labels.h"
#include "model/value.h"
#include "remote/write_request_encoder.h"
#include "textparse/parser.h"

namespace vigil::backfill {
namespace {

// A cache entry not refreshed for this many scrapes of its target is evicted.
constexpr uint64_t kEvictAfterScrapes = 16;
// Evictions run after a flush, every this many rounds.
constexpr int64_t kSweepEveryRounds = 64;
constexpr uint32_t kNoSeries = UINT32_MAX;

const char* const kReportNames[] = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                    "scrape_samples_post_metric_relabeling", "scrape_series_added"};
constexpr int kNumReport = 5;

}  // namespace

Status BackfillOptions::Validate() const {
  if (interval_ms <= 0) return Status::InvalidArgument("scrape interval must be > 0");
  if (end_ms < start_ms) return Status::InvalidArgument("backfill end is before its start");
  if (job.empty()) return Status::InvalidArgument("job must not be empty");
  if (max_samples_per_request == 0) {
    return Status::InvalidArgument("max samples per request must be > 0");
  }
  if (shards == 0 || shards > 1024) return Status::InvalidArgument("shards must be 1..1024");
  if (rounds_per_send < 0 || rounds_per_send > kSweepEveryRounds) {
    return Status::InvalidArgument("rounds per send must be 0..64");
  }
  return Status::OK();
}

class Backfiller::Impl {
 public:
  Impl(const fleet::FleetOptions& fo, const BackfillOptions& o)
      : options_(o), clock_(o.start_ms - o.interval_ms), fleet_(fo, &clock_) {}

  Status Init() {
    VIGIL_RETURN_IF_ERROR(options_.Validate());
    VIGIL_RETURN_IF_ERROR(fleet_.Build());
    int n = fleet_.num_targets();
    targets_.resize(size_t(n));
    schedule_.resize(size_t(n));
    for (int i = 0; i < n; ++i) {
      Target& t = targets_[size_t(i)];
      t.instance = options_.instance_host + ":" + std::to_string(options_.base_port + i);
      t.offset_ms = int64_t(fleet::MixSeed(fleet_.options().seed, uint64_t(i), 0x0ff5e7) %
                            uint64_t(options_.interval_ms));
      std::fill(std::begin(t.report), std::end(t.report), kNoSeries);
      schedule_[size_t(i)] = TargetSchedule{t.instance, t.offset_ms};
    }
    // Within a round, targets are scraped in offset order: the stream is in time order.
    order_.resize(size_t(n));
    std::iota(order_.begin(), order_.end(), 0);
    std::stable_sort(order_.begin(), order_.end(),
                     [&](int a, int b) { return targets_[a].offset_ms < targets_[b].offset_ms; });
    return Status::OK();
  }

  const std::vector<TargetSchedule>& schedule() const { return schedule_; }

  Status Run(RequestSink* sink, BackfillStats* stats) {
    auto t0 = std::chrono::steady_clock::now();
    sink_ = sink;
    stats_ = stats;
    const int64_t iv = options_.interval_ms;
    // The first round whose latest scrape can lie in the window.
    int64_t round = FloorDiv(options_.start_ms, iv) - 1;
    Status st;
    for (int64_t r = 0; st.ok(); ++round, ++r) {
      int64_t base = round * iv;
      if (base > options_.end_ms) break;
      for (int i : order_) {
        int64_t t = base + targets_[size_t(i)].offset_ms;
        if (t < options_.start_ms || t > options_.end_ms) continue;
        st = ScrapeOne(i, t);
        if (!st.ok()) break;
      }
      const bool sweep = r % kSweepEveryRounds == kSweepEveryRounds - 1;
      const int k = options_.rounds_per_send;
      if (st.ok() && (sweep || (k > 0 && r % k == k - 1))) st = FlushBatch();
      if (st.ok() && sweep) Sweep();
    }
    if (st.ok()) st = FlushBatch();
    Status fs = sink_->Flush();
    if (st.ok()) st = fs;
    stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return st;
  }

 private:
  struct Target {
    std::string instance;
    int64_t offset_ms = 0;
    uint64_t scrapes = 0;
    std::unordered_map<uint64_t, uint32_t> cache;  // xxh3 of the exposition line -> series
    std::vector<uint32_t> prev, cur;               // series of the previous / current scrape
    uint32_t report[kNumReport];
  };
  struct Pending {
    uint32_t series;
    Sample s;
  };

  static int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && (a < 0)); }

  uint32_t NewSeries(const Labels& labels, uint64_t scrape) {
    uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
      labels_[id].clear();
    } else {
      id = uint32_t(labels_.size());
      labels_.emplace_back();
      last_seen_.push_back(0);
    }
    remote::WriteRequestEncoder::EncodeLabels(labels, &labels_[id]);
    last_seen_[id] = scrape;
    stats_->series++;
    return id;
  }

  // The labels the scrape loop stores for an exposition series: target labels win, clashing
  // exposed labels are kept as exported_<name>.
  Labels TargetLabels(const Labels& exposed, const Target& t) {
    builder_.Reset(exposed);
    for (const char* name : {"instance", "job"}) {
      std::string_view v = exposed.Get(name);
      if (v.empty()) continue;
      std::string key = std::string("exported_") + name;
      while (!builder_.Get(key).empty()) key = "exported_" + key;
      builder_.Set(key, v);
    }
    builder_.Set("instance", t.instance);
    builder_.Set("job", options_.job);
    return builder_.Build();
  }

  void Emit(uint32_t series, int64_t t, double v) {
    batch_.push_back(Pending{series, Sample{t, v}});
    stats_->samples++;
  }

  Status ScrapeOne(int i, int64_t t) {
    Target& tg = targets_[size_t(i)];
    const uint64_t scrape = ++tg.scrapes;
    auto start = std::chrono::steady_clock::now();
    clock_.Set(t);
    body_.clear();
    fleet_.Scrape(i, fleet::Format::kText, &body_);
    textparse::ParserOptions po;
    po.lazy_labels = true;
    textparse::PromParser p(body_, po);
    uint64_t scraped = 0, added = 0;
    tg.cur.clear();
    for (;;) {
      auto e = p.Next();
      if (!e.has_value()) {
        return Status::Internal(
            "fleet target " + tg.instance +
            " served an exposition the parser rejects: " + std::string(e.error().message()));
      }
      if (*e == textparse::Entry::kEof) break;
      if (*e != textparse::Entry::kSeries) continue;
      ++scraped;
      std::string_view line = p.Series();
      uint64_t h = XXH3_64bits(line.data(), line.size());
      auto [it, inserted] = tg.cache.try_emplace(h, kNoSeries);
      if (inserted) {
        VIGIL_RETURN_IF_ERROR(p.LoadLabels());
        it->second = NewSeries(TargetLabels(p.BuildLabels(), tg), scrape);
        ++added;
      } else if (last_seen_[it->second] == scrape) {
        continue;  // the same series twice in one scrape: Prometheus drops the second
      }
      uint32_t id = it->second;
      last_seen_[id] = scrape;
      tg.cur.push_back(id);
      auto ts = p.Timestamp();
      Emit(id, ts.has_value() ? *ts : t, p.Value());
    }
    // Series of the previous scrape that are gone get a staleness marker.
    for (uint32_t id : tg.prev) {
      if (last_seen_[id] != scrape) {
        Emit(id, t, StaleNaN());
        stats_->stale_markers++;
      }
    }
    std::swap(tg.prev, tg.cur);
    stats_->scrapes++;
    if (options_.report_series) {
      double duration =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double values[kNumReport] = {1, duration, double(scraped), double(scraped),
                                         double(added)};
      for (int k = 0; k < kNumReport; ++k) {
        if (tg.report[k] == kNoSeries) {
          tg.report[k] = NewSeries(
              Labels{
                  {kMetricName, kReportNames[k]}, {"instance", tg.instance}, {"job", options_.job}},
              scrape);
        }
        Emit(tg.report[k], t, values[k]);
      }
    }
    if (options_.rounds_per_send == 0 &&
        batch_.size() >= options_.max_samples_per_request * options_.shards) {
      return FlushBatch();
    }
    return Status::OK();
  }

  // Sends the buffered samples: per shard, requests of up to max_samples_per_request with
  // each series' samples grouped in one TimeSeries, in time order. The grouping is a stable
  // counting sort by (shard, series): linear in the batch, which spans many rounds.
  Status FlushBatch() {
    const uint32_t shards = uint32_t(options_.shards);
    const size_t n_series = labels_.size();
    slot_.assign(n_series, 0);
    for (const Pending& p : batch_) slot_[p.series]++;
    size_t pos = 0;
    for (uint32_t shard = 0; shard < shards; ++shard) {
      for (size_t id = shard; id < n_series; id += shards) {
        const size_t count = slot_[id];
        slot_[id] = uint32_t(pos);
        pos += count;
      }
    }
    sorted_.resize(batch_.size());
    for (const Pending& p : batch_) sorted_[slot_[p.series]++] = p;
    batch_.swap(sorted_);
    size_t i = 0;
    while (i < batch_.size()) {
      const uint32_t shard = batch_[i].series % shards;
      const size_t limit = std::min(batch_.size(), i + options_.max_samples_per_request);
      enc_.Clear();
      while (i < limit && batch_[i].series % shards == shard) {
        size_t j = i;
        samples_.clear();
        while (j < limit && batch_[j].series == batch_[i].series) samples_.push_back(batch_[j++].s);
        enc_.AddSeriesEncoded(labels_[batch_[i].series], samples_);
        i = j;
      }
      auto body = std::make_shared<std::string>();
      remote::SnappyCompress(enc_.bytes(), body.get());
      stats_->requests++;
      stats_->request_bytes += body->size();
      VIGIL_RETURN_IF_ERROR(sink_->Send(std::move(body), shard));
    }
    batch_.clear();
    return Status::OK();
  }

  // Forgets series not seen for a while (the batch is empty, so ids can be reused).
  void Sweep() {
    for (Target& tg : targets_) {
      for (auto it = tg.cache.begin(); it != tg.cache.end();) {
        if (tg.scrapes - last_seen_[it->second] > kEvictAfterScrapes) {
          free_.push_back(it->second);
          it = tg.cache.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  BackfillOptions options_;
  ManualClock clock_;
  fleet::Fleet fleet_;
  std::vector<Target> targets_;
  std::vector<TargetSchedule> schedule_;
  std::vector<int> order_;

  // Series table: encoded remote-write labels and the scrape (of its target) that last saw
  // it, by series id.
  std::vector<std::string> labels_;
  std::vector<uint64_t> last_seen_;
  std::vector<uint32_t> free_;

  std::string body_;
  LabelsBuilder builder_;
  std::vector<Pending> batch_;
  std::vector<Pending> sorted_;  // FlushBatch's output, kept for its capacity
  std::vector<uint32_t> slot_;   // FlushBatch's per-series write positions
  std::vector<Sample> samples_;
  remote::WriteRequestEncoder enc_;
  RequestSink* sink_ = nullptr;
  BackfillStats* stats_ = nullptr;
};

Result<std::unique_ptr<Backfiller>> Backfiller::Create(const fleet::FleetOptions& fleet,
                                                       const BackfillOptions& options) {
  auto impl = std::make_unique<Impl>(fleet, options);
  VIGIL_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Backfiller>(new Backfiller(std::move(impl)));
}

Backfiller::Backfiller(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Backfiller::~Backfiller() = default;

const std::vector<TargetSchedule>& Backfiller::schedule() const { return impl_->schedule(); }

Status Backfiller::Run(RequestSink* sink, BackfillStats* stats) {
  *stats = BackfillStats{};
  return impl_->Run(sink, stats);
}

}  // namespace vigil::backfill
