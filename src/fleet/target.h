// Target: one simulated scrape target (one pod) of `vigil fleet`, and TargetBuilder, which
// lays out its series once so that a scrape only advances numbers and formats them.
//
// Layout (struct of arrays, built once): every series is three shared text pieces (the
// metric name with '{', its own labels, and a tail with `le` and the pod-wide labels) held
// in one arena with duplicates stored once, a value, and an updater that moves the value by
// the time elapsed since the previous scrape. Histograms are updated as one group so that
// buckets stay cumulative and `+Inf` equals `_count`. A fraction of the series can "churn":
// their `pod` label changes every churn interval and their counters restart from zero.
//
// Thread-safety: a Target is not thread-safe; Fleet serialises Render() per target.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fleet/rng.h"

namespace vigil::fleet {

// How a value moves between scrapes. p0..p2 are the kind's parameters.
enum class Kind : uint8_t {
  kConst,          // never changes
  kCounter,        // integer counter: += Poisson(p0 * dt)              (p0: events/s)
  kCounterFloat,   // float counter: += p0 * dt * U(0.6, 1.4)           (CPU seconds, ...)
  kCounterBytes,   // bursty integer counter: 80% of scrapes += p0*dt*U(0.2,1.8)
  kGaugeWalk,      // float gauge, mean-reverting walk around p0 with step p1, >= 0
  kGaugeIntWalk,   // integer gauge, mean-reverting walk around p0 with step p1, >= 0
  kGaugeSaw,       // integer saw-tooth: grows by p2/s from p0 up to p1, then drops
  kGaugeStep,      // small integer in [p0, p1] that moves by +-1 with probability p2
  kHistogram,      // a histogram group (buckets, +Inf, _sum, _count); p0 rate, p1 mean
  kBatchSuccess,   // demo: Unix time of the last successful minutely batch (p0 failure ratio)
  kBatchRun,       // demo: Unix time of the last minutely batch run
  kBatchDuration,  // demo: duration of the last batch run (seconds)
};

enum class FamilyType : uint8_t { kCounter, kGauge, kHistogram, kSummary, kUnknown };

enum class Format : uint8_t { kText, kOpenMetrics };

inline constexpr double kNoIncident = std::numeric_limits<double>::quiet_NaN();

// One plain series as the metric mix describes it.
struct SeriesDef {
  std::string name;    // sample name, e.g. "istio_requests_total"
  std::string labels;  // rendered `a="x",b="y"` (no braces), may be empty
  Kind kind = Kind::kConst;
  double p0 = 0, p1 = 0, p2 = 0;
  double init = 0;
  // While the incident is on, p0 takes this value (NaN: the incident does not touch it).
  double incident_p0 = kNoIncident;
  // The family the sample belongs to ("" = name) and its type (default from kind).
  std::string family;
  FamilyType family_type = FamilyType::kUnknown;
  bool family_type_set = false;
  bool pod_labels = true;     // append the pod-wide labels (namespace, dc, pod)
  bool intermittent = false;  // only exposed during even minutes (demo_intermittent_metric)
};

// One histogram (le buckets + _sum + _count) as the metric mix describes it.
struct HistDef {
  std::string name;                               // base name; samples are name_bucket/_sum/_count
  std::string labels;                             // rendered, without `le`
  const std::vector<std::string>* les = nullptr;  // finite upper bounds as text, ascending
  std::vector<float> cdf;                         // cumulative fraction per finite bucket
  double rate = 0;                                // observations per second
  double mean = 0;                                // mean observed value (for _sum)
  double count0 = 0;                              // observations before the first scrape
  double incident_rate = kNoIncident;
  bool pod_labels = true;
};

class Target;

// Collects the series of one target (grouped by family, in order of first appearance)
// and lays them out. Not thread-safe. Build() may be called once.
class TargetBuilder {
 public:
  // pod_labels: the rendered pod-wide labels without the pod itself, e.g.
  // `namespace="shop",dc="dc1"`; stable_pod: the pod name; churn_pod_prefix: the pod name
  // without its random suffix (churned series get prefix + a per-generation suffix).
  TargetBuilder(std::string pod_labels, std::string stable_pod, std::string churn_pod_prefix,
                uint64_t seed);

  void AddSeries(SeriesDef def, bool churn);
  void AddHistogram(HistDef def, bool churn);
  size_t num_series() const { return num_series_; }

  // churn_interval_ms 0 disables churn.
  std::unique_ptr<Target> Build(int64_t churn_interval_ms, int64_t now_ms);

 private:
  struct Item {
    bool hist;
    bool churn;
    SeriesDef s;
    HistDef h;
  };
  struct Family {
    std::string name;
    FamilyType type;
    std::vector<Item> items;
  };
  Family& FamilyFor(const std::string& name, FamilyType type);

  std::string pod_labels_, stable_pod_, churn_pod_prefix_;
  uint64_t seed_;
  std::vector<Family> families_;
  std::unordered_map<std::string, size_t> family_index_;
  size_t num_series_ = 0;
};

// The runtime form of a target. Created by TargetBuilder.
class Target {
 public:
  // Advances the values by the time since the previous Render (at most 300 s; not at all
  // under 1 s, so two scrapers close together read the same values) and appends the
  // exposition in `format` to *out. `incident` switches the incident parameters on.
  // Returns the number of samples written.
  size_t Render(int64_t now_ms, Format format, bool incident, std::string* out);

  size_t num_series() const { return text_.size(); }
  // Bytes of the last rendered exposition (a good reserve() for the next one).
  size_t last_body_bytes() const { return last_body_bytes_; }
  // The pod label value the series at `i` currently carries.
  std::string_view PodOf(size_t i) const;

 private:
  friend class TargetBuilder;
  Target() = default;

  struct SeriesText {
    uint32_t name, labels, tail;  // piece ids
    uint8_t flags;
  };
  static constexpr uint8_t kPod = 1, kChurn = 2, kCounterLike = 4, kIntermittent = 8;
  struct FamilyText {
    uint32_t first_series;
    uint32_t text_header, om_header;  // piece ids
  };
  struct Update {
    Kind kind;
    uint8_t incident;  // 1: alt replaces p0 while the incident is on
    uint16_t buckets;  // histograms: finite buckets
    uint32_t index;    // first series
    uint32_t cdf;      // histograms: offset into cdfs_
    double p0, p1, p2, alt;
  };
  std::string_view Piece(uint32_t id) const {
    const auto& [off, len] = pieces_[id];
    return std::string_view(arena_.data() + off, len);
  }
  void Advance(double dt_s, bool incident);
  void UpdateTimeBased(int64_t now_ms);
  void MaybeChurn(int64_t now_ms);

  std::string arena_;
  std::vector<std::pair<uint32_t, uint32_t>> pieces_;
  std::vector<SeriesText> text_;
  std::vector<FamilyText> families_;
  std::vector<double> vals_, init_vals_;
  std::vector<Update> updates_;
  std::vector<float> cdfs_;
  std::string stable_pod_, churn_pod_prefix_, churn_pod_;
  int64_t churn_interval_ms_ = 0;
  int64_t churn_gen_ = -1;
  bool has_churn_ = false;
  int64_t last_ms_ = 0;
  size_t last_body_bytes_ = 0;
  Rng rng_;
  uint64_t seed_ = 0;
};

}  // namespace vigil::fleet
