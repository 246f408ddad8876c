#include "base/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace vigil {

void MetricsRegistry::Register(MetricCollector c) {
  MutexLock l(&mu_);
  collectors_.push_back(std::move(c));
}

std::string FormatMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

namespace {
void AppendEscaped(std::string* out, std::string_view s, bool help) {
  for (char c : s) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '"' && !help) {
      *out += "\\\"";
    } else {
      *out += c;
    }
  }
}
}  // namespace

std::string MetricsRegistry::Render() const {
  std::vector<MetricFamily> fams;
  {
    MutexLock l(&mu_);
    for (const auto& c : collectors_) c(&fams);
  }
  std::stable_sort(fams.begin(), fams.end(),
                   [](const MetricFamily& a, const MetricFamily& b) { return a.name < b.name; });
  std::string out;
  for (const auto& f : fams) {
    if (!f.help.empty()) {
      out += "# HELP " + f.name + " ";
      AppendEscaped(&out, f.help, true);
      out += '\n';
    }
    if (!f.type.empty()) out += "# TYPE " + f.name + " " + f.type + "\n";
    for (const auto& s : f.samples) {
      out += f.name;
      out += s.suffix;
      if (!s.labels.empty()) {
        out += '{';
        for (size_t i = 0; i < s.labels.size(); ++i) {
          if (i) out += ',';
          out += s.labels[i].first + "=\"";
          AppendEscaped(&out, s.labels[i].second, false);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      out += FormatMetricValue(s.value);
      out += '\n';
    }
  }
  return out;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

std::vector<double> Histogram::ExponentialBounds(double start, double factor, int n) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i, start *= factor) out.push_back(start);
  return out;
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::AppendTo(MetricFamily* f) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    const std::string le = i < bounds_.size() ? FormatMetricValue(bounds_[i]) : "+Inf";
    f->samples.push_back({{{"le", le}}, double(cumulative), "_bucket"});
  }
  f->samples.push_back({{}, Sum(), "_sum"});
  f->samples.push_back({{}, double(Count()), "_count"});
}

}  // namespace vigil
