// Writer: produces the Prometheus text exposition format 0.0.4 byte-for-byte like Go's
// client_golang (expfmt), for Vigil's own /metrics, probe results and the simulated fleet.
//
// A Writer appends to a std::string it does not own (the caller reuses it between scrapes, so
// steady-state writing allocates nothing). Values are written like expfmt: 1, 0 and -1 as
// such, otherwise Go's strconv 'g' shortest form ("1e+06", "0.25", "+Inf", "NaN").
// Names that are not legacy-valid ([a-zA-Z_:][a-zA-Z0-9_:]* for metrics, no ':' for labels) are
// written quoted, as text format 1.0.0 / expfmt with UTF-8 escaping allowed does:
// {"my.metric","my.label"="v"}. Not thread-safe; one writer per output string.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "model/labels.h"
#include "textparse/parser.h"

namespace vigil::textparse {

class Writer {
 public:
  // `out` must outlive the writer; output is appended.
  explicit Writer(std::string* out) : out_(out) {}

  // "# HELP <metric> <help>\n"; backslash and line feed in `help` are escaped.
  void Help(std::string_view metric, std::string_view help);
  // "# TYPE <metric> <type>\n"; types the text format lacks (gaugehistogram, info, stateset)
  // are written as "untyped", kUnknown too.
  void Type(std::string_view metric, MetricType type);
  // "<metric>{<labels>} <value>[ <t>]\n" with the labels in the order given; values are
  // escaped (\\ \" \n). No braces when there are no labels.
  void Sample(std::string_view metric, std::span<const LabelView> labels, double v,
              std::optional<int64_t> t = std::nullopt);
  void Sample(std::string_view metric, std::initializer_list<LabelView> labels, double v,
              std::optional<int64_t> t = std::nullopt) {
    Sample(metric, std::span<const LabelView>(labels.begin(), labels.size()), v, t);
  }
  // As above with one more label after `labels` (the `le` of a bucket, the `quantile` of a
  // summary), without building a new label list.
  void Sample(std::string_view metric, std::span<const LabelView> labels, LabelView extra, double v,
              std::optional<int64_t> t = std::nullopt);
  // A full label set: __name__ gives the metric name, the other labels follow in order.
  void Sample(const Labels& lset, double v, std::optional<int64_t> t = std::nullopt);

 private:
  char* BeginSeries(std::string_view metric, size_t labels_bound, bool* quoted_name);
  void EndSeries(char* d, bool close_brace, double v, std::optional<int64_t> t);

  std::string* out_;
};

// The text-format spelling of a type: counter, gauge, histogram, summary, untyped.
std::string_view PromTypeName(MetricType t);
// Appends a sample value the way expfmt writes it (see above).
void AppendSampleValue(std::string* out, double v);
// Appends `s` with \\, \" and \n escaped (label values, quoted names).
void AppendEscapedLabelValue(std::string* out, std::string_view s);
// Appends `s` with \\ and \n escaped (HELP text).
void AppendEscapedHelp(std::string* out, std::string_view s);
bool IsLegacyMetricName(std::string_view s);
bool IsLegacyLabelName(std::string_view s);

}  // namespace vigil::textparse
