#include "promql/engine/annotations.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "model/labels.h"
#include "promql/engine/value.h"

namespace vigil::promql {
namespace {

constexpr std::string_view kWarnPrefix = "PromQL warning: ";
constexpr std::string_view kInfoPrefix = "PromQL info: ";

Annotation Make(AnnotationKind kind, std::string text, parser::PositionRange pos) {
  Annotation a;
  a.kind = kind;
  a.text = std::string(kind == AnnotationKind::kWarning ? kWarnPrefix : kInfoPrefix) + text;
  a.pos = pos;
  return a;
}

std::string MaybeAddMetricName(std::string text, std::string_view metric_name) {
  if (metric_name.empty()) return text;
  return fmt::format("{} for metric name {}", text, QuoteString(metric_name));
}

std::string Rfc3339(int64_t ms) {
  time_t secs = time_t(ms / 1000);  // truncates toward zero, like Go's time.Unix(ms/1000, 0)
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string PositionString(std::string_view query, int32_t pos) {
  if (query.empty()) return "unknown position";
  if (pos < 0 || size_t(pos) > query.size()) return "invalid position";
  int line = 1;
  int64_t last_break = -1;
  for (int32_t i = 0; i < pos; ++i) {
    if (query[size_t(i)] == '\n') {
      last_break = i;
      ++line;
    }
  }
  return fmt::format("{}:{}", line, pos - last_break);
}

void Annotations::Add(Annotation a) {
  for (auto& cur : items_) {
    if (cur.kind == a.kind && cur.text == a.text) {
      if (a.monotonicity && cur.monotonicity) {
        cur.min_ts = std::min(cur.min_ts, a.min_ts);
        cur.max_ts = std::max(cur.max_ts, a.max_ts);
        cur.min_bucket = std::min(cur.min_bucket, a.min_bucket);
        cur.max_bucket = std::max(cur.max_bucket, a.max_bucket);
        cur.max_diff = std::max(cur.max_diff, a.max_diff);
        cur.count += a.count + 1;
      } else {
        cur.pos = a.pos;  // Prometheus keeps the latest
      }
      return;
    }
  }
  items_.push_back(std::move(a));
}

void Annotations::Merge(const Annotations& other) {
  for (const auto& a : other.items_) Add(a);
}

std::string Annotations::Render(const Annotation& a, std::string_view query) {
  if (a.monotonicity) {
    return fmt::format(
        "{}, from buckets {} to {}, with a max diff of {}, over {} samples from {} to {} ({})",
        a.text, FormatFloatG(a.min_bucket), FormatFloatG(a.max_bucket),
        FormatFloatGPrec(a.max_diff, 2), a.count + 1, Rfc3339(a.min_ts), Rfc3339(a.max_ts),
        PositionString(query, a.pos.start));
  }
  return fmt::format("{} ({})", a.text, PositionString(query, a.pos.start));
}

std::vector<std::string> Annotations::Warnings(std::string_view query) const {
  std::vector<std::string> out;
  for (const auto& a : items_) {
    if (a.kind == AnnotationKind::kWarning) out.push_back(Render(a, query));
  }
  return out;
}

std::vector<std::string> Annotations::Infos(std::string_view query) const {
  std::vector<std::string> out;
  for (const auto& a : items_) {
    if (a.kind == AnnotationKind::kInfo) out.push_back(Render(a, query));
  }
  return out;
}

Annotation PossibleNonCounterInfo(std::string_view metric_name, parser::PositionRange pos) {
  return Make(AnnotationKind::kInfo,
              fmt::format("metric might not be a counter, name does not end in "
                          "_total/_sum/_count/_bucket: {}",
                          QuoteString(metric_name)),
              pos);
}

Annotation InvalidQuantileWarning(double q, parser::PositionRange pos) {
  return Make(AnnotationKind::kWarning,
              fmt::format("quantile value should be between 0 and 1, got {}", FormatFloatG(q)),
              pos);
}

Annotation InvalidRatioWarning(double q, double to, parser::PositionRange pos) {
  return Make(AnnotationKind::kWarning,
              fmt::format("ratio value should be between -1 and 1, got {}, capping to {}",
                          FormatFloatG(q), FormatFloatG(to)),
              pos);
}

Annotation BadBucketLabelWarning(std::string_view metric_name, std::string_view label,
                                 parser::PositionRange pos) {
  return Make(AnnotationKind::kWarning,
              MaybeAddMetricName(fmt::format("bucket label \"le\" is missing or has a malformed "
                                             "value of {}",
                                             QuoteString(label)),
                                 metric_name),
              pos);
}

Annotation SortInRangeQueryWarning(parser::PositionRange pos) {
  return Make(AnnotationKind::kWarning,
              "sort is ineffective for range queries since results are always ordered by labels",
              pos);
}

Annotation HistogramQuantileForcedMonotonicityInfo(std::string_view metric_name,
                                                   parser::PositionRange pos, int64_t ts,
                                                   double min_bucket, double max_bucket,
                                                   double max_diff) {
  Annotation a = Make(AnnotationKind::kInfo,
                      MaybeAddMetricName("input to histogram_quantile needed to be fixed for "
                                         "monotonicity (see https://prometheus.io/docs/prometheus/"
                                         "latest/querying/functions/#histogram_quantile)",
                                         metric_name),
                      pos);
  a.monotonicity = true;
  a.min_ts = a.max_ts = ts;
  a.min_bucket = min_bucket;
  a.max_bucket = max_bucket;
  a.max_diff = max_diff;
  return a;
}

}  // namespace vigil::promql
