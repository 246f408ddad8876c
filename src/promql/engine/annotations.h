// Annotations: the non-fatal warnings and infos a PromQL evaluation attaches to its result
// (Prometheus' util/annotations). Texts are Prometheus' own, e.g.
//   PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket:
//   "foo"
// and are rendered with the 1-based line:column of the sub-expression they are about:
//   PromQL info: ... "foo" (1:6)
//
// A set deduplicates by text (without position), keeping insertion order. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "promql/parser/ast.h"

namespace vigil::promql {

enum class AnnotationKind : uint8_t { kWarning, kInfo };

struct Annotation {
  AnnotationKind kind = AnnotationKind::kWarning;
  // Full text including the "PromQL warning: " / "PromQL info: " prefix, without position.
  std::string text;
  parser::PositionRange pos;

  // histogram_quantile's forced-monotonicity info carries details that are merged across
  // steps and printed after the text.
  bool monotonicity = false;
  int64_t min_ts = 0, max_ts = 0;
  double min_bucket = 0, max_bucket = 0, max_diff = 0;
  int count = 0;
};

class Annotations {
 public:
  void Add(Annotation a);
  void Merge(const Annotations& other);
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Annotation>& items() const { return items_; }

  // Rendered strings of one kind, each followed by " (line:col)" of its position in `query`.
  std::vector<std::string> Warnings(std::string_view query) const;
  std::vector<std::string> Infos(std::string_view query) const;

  // Renders one annotation for `query`.
  static std::string Render(const Annotation& a, std::string_view query);

 private:
  std::vector<Annotation> items_;
};

// "line:col" (1-based) of byte offset `pos` in `query`, as Prometheus' StartPosInput.
std::string PositionString(std::string_view query, int32_t pos);

// Constructors for the annotations the engine emits (texts as in Prometheus).
Annotation PossibleNonCounterInfo(std::string_view metric_name, parser::PositionRange pos);
Annotation InvalidQuantileWarning(double q, parser::PositionRange pos);
Annotation InvalidRatioWarning(double q, double to, parser::PositionRange pos);
Annotation BadBucketLabelWarning(std::string_view metric_name, std::string_view label,
                                 parser::PositionRange pos);
Annotation SortInRangeQueryWarning(parser::PositionRange pos);
Annotation HistogramQuantileForcedMonotonicityInfo(std::string_view metric_name,
                                                   parser::PositionRange pos, int64_t ts,
                                                   double min_bucket, double max_bucket,
                                                   double max_diff);

}  // namespace vigil::promql
