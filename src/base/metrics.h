// Self-monitoring metrics in the Prometheus exposition format (served at /metrics).
//
// Components keep their own counters (atomics in their stats structs) and register a
// collector callback that reports them as families at scrape time; nothing here sits on a
// hot path. Counter and Gauge are small atomic helpers for code that has no stats struct.
// Thread-safe: Register/Render may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/mutex.h"

namespace vigil {

struct MetricSample {
  std::vector<std::pair<std::string, std::string>> labels;  // without the metric name
  double value = 0;
  std::string suffix;  // appended to the family name, e.g. "_bucket" (histograms)
};

struct MetricFamily {
  std::string name;
  std::string help;
  std::string type;  // counter, gauge, histogram, summary, untyped
  std::vector<MetricSample> samples;

  MetricFamily& Add(double v, std::vector<std::pair<std::string, std::string>> labels = {}) {
    samples.push_back({std::move(labels), v, {}});
    return *this;
  }
};

using MetricCollector = std::function<void(std::vector<MetricFamily>*)>;

class MetricsRegistry {
 public:
  // Adds a collector; it is called on every Render() until the registry dies.
  void Register(MetricCollector c);
  // Renders every family in the Prometheus text format 0.0.4, families sorted by name.
  std::string Render() const;

 private:
  mutable Mutex mu_;
  std::vector<MetricCollector> collectors_ VIGIL_GUARDED_BY(mu_);
};

// Formats a sample value as Prometheus' Go code does for the exposition format
// (shortest round-trip, "+Inf", "-Inf", "NaN").
std::string FormatMetricValue(double v);

class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void Set(double v) { v_.store(v, std::memory_order_relaxed); }
  double Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

// A histogram with fixed upper bounds, rendered as Prometheus' cumulative `_bucket{le=...}`
// samples (the +Inf bucket included), `_sum` and `_count`. Observe() is lock-free.
class Histogram {
 public:
  // bounds: ascending upper bounds, without +Inf.
  explicit Histogram(std::vector<double> bounds);
  // Prometheus' ExponentialBuckets: start, start*factor, ... (n bounds).
  static std::vector<double> ExponentialBounds(double start, double factor, int n);

  void Observe(double v);
  // Appends the bucket, sum and count samples to a family of type "histogram".
  void AppendTo(MetricFamily* f) const;
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative; +Inf last
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

}  // namespace vigil
