#include "textparse/writer.h"

#include <charconv>
#include <cstring>

#include "textparse/float.h"
#include "textparse/scan.h"

namespace vigil::textparse {

using internal::Is;

namespace {

// Appends `s` escaping '\\', '\n' and, if `quote`, '"'. Runs without special bytes are
// appended in one piece.
void AppendEscaped(std::string* out, std::string_view s, bool quote) {
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    const char* rep = nullptr;
    if (c == '\\') {
      rep = "\\\\";
    } else if (c == '\n') {
      rep = "\\n";
    } else if (c == '"' && quote) {
      rep = "\\\"";
    } else {
      continue;
    }
    out->append(s.data() + run, i - run);
    out->append(rep, 2);
    run = i + 1;
  }
  out->append(s.data() + run, s.size() - run);
}

void AppendName(std::string* out, std::string_view name, bool legacy) {
  if (legacy) {
    out->append(name);
    return;
  }
  out->push_back('"');
  AppendEscaped(out, name, true);
  out->push_back('"');
}

}  // namespace

bool IsLegacyMetricName(std::string_view s) {
  if (s.empty() || !Is(s[0], internal::kMetricStart)) return false;
  for (char c : s.substr(1)) {
    if (!Is(c, internal::kMetricChar)) return false;
  }
  return true;
}

bool IsLegacyLabelName(std::string_view s) {
  if (s.empty() || !Is(s[0], internal::kLabelStart)) return false;
  for (char c : s.substr(1)) {
    if (!Is(c, internal::kLabelChar)) return false;
  }
  return true;
}

std::string_view PromTypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kSummary:
      return "summary";
    default:
      return "untyped";
  }
}

void AppendSampleValue(std::string* out, double v) {
  // expfmt's writeFloat: the common values first; -0 compares equal to 0 and prints "0".
  if (v == 1) {
    out->push_back('1');
  } else if (v == 0) {
    out->push_back('0');
  } else if (v == -1) {
    out->append("-1");
  } else {
    AppendFloat(out, v);
  }
}

void AppendEscapedLabelValue(std::string* out, std::string_view s) { AppendEscaped(out, s, true); }
void AppendEscapedHelp(std::string* out, std::string_view s) { AppendEscaped(out, s, false); }

void Writer::Help(std::string_view metric, std::string_view help) {
  out_->append("# HELP ");
  AppendName(out_, metric, IsLegacyMetricName(metric));
  out_->push_back(' ');
  AppendEscapedHelp(out_, help);
  out_->push_back('\n');
}

void Writer::Type(std::string_view metric, MetricType type) {
  out_->append("# TYPE ");
  AppendName(out_, metric, IsLegacyMetricName(metric));
  out_->push_back(' ');
  out_->append(PromTypeName(type));
  out_->push_back('\n');
}

void Writer::SeriesStart(std::string_view metric, bool* quoted_name) {
  *quoted_name = !IsLegacyMetricName(metric);
  if (*quoted_name) {
    out_->push_back('{');
    AppendName(out_, metric, false);
  } else {
    out_->append(metric);
  }
}

void Writer::Label(LabelView l, bool* first) {
  out_->push_back(*first ? '{' : ',');
  *first = false;
  AppendName(out_, l.name, IsLegacyLabelName(l.name));
  out_->append("=\"");
  AppendEscaped(out_, l.value, true);
  out_->push_back('"');
}

void Writer::End(double v, std::optional<int64_t> t) {
  out_->push_back(' ');
  AppendSampleValue(out_, v);
  if (t.has_value()) {
    char buf[24];
    buf[0] = ' ';
    auto r = std::to_chars(buf + 1, buf + sizeof buf, *t);
    out_->append(buf, size_t(r.ptr - buf));
  }
  out_->push_back('\n');
}

void Writer::Sample(std::string_view metric, std::span<const LabelView> labels, double v,
                    std::optional<int64_t> t) {
  bool quoted = false;
  SeriesStart(metric, &quoted);
  bool first = !quoted;
  for (const LabelView& l : labels) Label(l, &first);
  if (quoted || !first) out_->push_back('}');
  End(v, t);
}

void Writer::Sample(std::string_view metric, std::span<const LabelView> labels, LabelView extra,
                    double v, std::optional<int64_t> t) {
  bool quoted = false;
  SeriesStart(metric, &quoted);
  bool first = !quoted;
  for (const LabelView& l : labels) Label(l, &first);
  Label(extra, &first);
  out_->push_back('}');
  End(v, t);
}

void Writer::Sample(const Labels& lset, double v, std::optional<int64_t> t) {
  bool quoted = false;
  SeriesStart(lset.MetricName(), &quoted);
  bool first = !quoted;
  for (const LabelView& l : lset) {
    if (l.name == kMetricName) continue;
    Label(l, &first);
  }
  if (quoted || !first) out_->push_back('}');
  End(v, t);
}

}  // namespace vigil::textparse
