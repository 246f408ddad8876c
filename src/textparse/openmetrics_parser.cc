// OpenMetricsParser: the OpenMetrics 1.0 text format, with the same acceptance rules as
// Prometheus' model/textparse/openmetricsparse.go (see parser.h for the contract).
#include <cmath>
#include <cstring>
#include <string>

#include "textparse/float.h"
#include "textparse/parser.h"
#include "textparse/scan.h"

namespace vigil::textparse {

using internal::Is;
using internal::kLabelChar;
using internal::kLabelStart;
using internal::kMetricChar;
using internal::kMetricStart;
using internal::ScanQuoted;
using internal::SkipClass;
using internal::SkipNameChars;
using internal::ValidUtf8;

namespace {

constexpr std::string_view kEofLine = "# EOF";

bool OmTypeFromText(std::string_view s, MetricType* t) {
  static constexpr std::pair<std::string_view, MetricType> kTypes[] = {
      {"counter", MetricType::kCounter},     {"gauge", MetricType::kGauge},
      {"histogram", MetricType::kHistogram}, {"gaugehistogram", MetricType::kGaugeHistogram},
      {"summary", MetricType::kSummary},     {"info", MetricType::kInfo},
      {"stateset", MetricType::kStateset},   {"unknown", MetricType::kUnknown},
  };
  for (const auto& [name, type] : kTypes) {
    if (s == name) {
      *t = type;
      return true;
    }
  }
  return false;
}

// Float seconds -> int64 milliseconds, truncating toward zero like Go's int64(ts*1000).
bool SecondsToMillis(double s, int64_t* ms) {
  double m = s * 1000.0;
  if (!(m > -9.2233720368547758e18 && m < 9.2233720368547758e18)) return false;
  *ms = int64_t(m);
  return true;
}

// The end of a token that runs to the next ' ' or the end of the line.
const char* TokenEnd(const char* p, const char* end) {
  const void* sp = std::memchr(p, ' ', size_t(end - p));
  return sp != nullptr ? static_cast<const char*>(sp) : end;
}

bool IsExemplarStart(const char* p, const char* end) {
  return end - p >= 4 && p[0] == ' ' && p[1] == '#' && p[2] == ' ' && p[3] == '{';
}

}  // namespace

OpenMetricsParser::OpenMetricsParser(std::string_view body, const ParserOptions& opts)
    : Parser(body, opts) {}

Result<Entry> OpenMetricsParser::Next() {
  if (!err_.ok()) return err_;
  if (eof_) {
    ResetEntry();
    return Entry::kEof;
  }
  for (;;) {
    if (!NextLine()) {
      if (!err_.ok()) return err_;
      return Fail(Status::InvalidArgument("data does not end with # EOF"));
    }
    ResetEntry();
    const char* p = line_start_;
    Result<Entry> r = Entry::kEof;
    if (p < line_end_ && *p == '#') {
      std::string_view line(p, size_t(line_end_ - p));
      if (line.substr(0, kEofLine.size()) == kEofLine) {
        if (line.size() != kEofLine.size() || pos_ != end_) {
          return Fail(LineError("unexpected data after # EOF"));
        }
        eof_ = true;
        return Entry::kEof;
      }
      r = ParseMeta(p);
    } else if (p < line_end_ && (Is(*p, kMetricStart) || *p == '{')) {
      r = ParseSeries(p);
    } else {
      return Fail(SyntaxError("expected a valid start token", p));
    }
    if (!r.has_value()) return r;
    if (!has_newline_) return Fail(Status::InvalidArgument("data does not end with # EOF"));
    if (*r == Entry::kSeries && opts_.skip_created_series && IsCreatedSeries()) continue;
    return r;
  }
}

Result<Entry> OpenMetricsParser::ParseMeta(const char* p) {
  const char* end = line_end_;
  Entry kind;
  const char* what;
  if (end - p >= 7 && std::memcmp(p, "# HELP ", 7) == 0) {
    kind = Entry::kHelp;
    what = "HELP";
  } else if (end - p >= 7 && std::memcmp(p, "# TYPE ", 7) == 0) {
    kind = Entry::kType;
    what = "TYPE";
  } else if (end - p >= 7 && std::memcmp(p, "# UNIT ", 7) == 0) {
    kind = Entry::kUnit;
    what = "UNIT";
  } else {
    return Fail(SyntaxError("expected a valid start token", p));
  }
  p += 7;
  const char* t;
  if (p < end && *p == '"') {
    bool escaped = false, non_ascii = false;
    const char* close = ScanQuoted(p + 1, end, end_, &escaped, &non_ascii);
    if (close == nullptr) {
      return Fail(SyntaxError(std::string("expected metric name after ") + what, p));
    }
    std::string_view raw(p + 1, size_t(close - p - 1));
    name_ = escaped ? UnescapeLabel(raw) : raw;
    t = close + 1;
  } else if (p < end && Is(*p, kMetricStart)) {
    t = SkipClass(p + 1, end, kMetricChar);
    name_ = std::string_view(p, size_t(t - p));
  } else {
    return Fail(SyntaxError(std::string("expected metric name after ") + what, p));
  }
  if (t >= end || *t != ' ') return Fail(LineError(std::string("expected text in ") + what));
  std::string_view text(t + 1, size_t(end - t - 1));
  switch (kind) {
    case Entry::kType:
      if (!OmTypeFromText(text, &type_)) {
        return Fail(LineError("invalid metric type " + QuoteString(text)));
      }
      return Entry::kType;
    case Entry::kUnit:
      if (!text.empty() && (name_.size() < text.size() + 1 || !name_.ends_with(text) ||
                            name_[name_.size() - text.size() - 1] != '_')) {
        return Fail(LineError("unit " + QuoteString(text) + " not a suffix of metric " +
                              QuoteString(name_)));
      }
      text_ = text;
      return Entry::kUnit;
    default:
      break;
  }
  if (!ValidUtf8(text.data(), text.size())) {
    return Fail(LineError("help text " + QuoteString(text) + " is not valid UTF-8"));
  }
  // OpenMetrics help uses the label value escapes (\\ \" \n).
  text_ = text.find('\\') != std::string_view::npos ? UnescapeLabel(text) : text;
  return Entry::kHelp;
}

Result<Entry> OpenMetricsParser::ParseSeries(const char* p) {
  const char* start = p;
  const char* end = line_end_;
  bool name_set = false;
  if (Is(*p, kMetricStart)) {
    p = SkipNameChars(p + 1, end, end_, /*with_colon=*/true);
    name_ = std::string_view(start, size_t(p - start));
    name_set = true;
  }
  if (p < end && *p == '{') {
    p = ParseLabels(p + 1, /*exemplar=*/false, &name_set);
    if (p == nullptr) return err_;
  }
  series_ = std::string_view(start, size_t(p - start));
  if (!name_set) {
    return Fail(LineError("metric name not set while parsing " +
                          QuoteString(std::string_view(start, size_t(end - start)))));
  }
  // Exactly one space, then the value.
  if (p >= end || *p != ' ' || p + 1 >= end || p[1] == ' ') {
    return Fail(SyntaxError("expected value after metric", p));
  }
  const char* v = p + 1;
  p = TokenEnd(v, end);
  if (!ParseValue(v, p, &value_)) return err_;
  if (p == end) return Entry::kSeries;
  if (!IsExemplarStart(p, end)) {
    // A timestamp in float seconds.
    const char* ts = p + 1;
    const char* te = TokenEnd(ts, end);
    if (te == ts) return Fail(SyntaxError("expected timestamp or exemplar", p));
    double secs = 0;
    if (!ParseValue(ts, te, &secs)) return err_;
    if (std::isnan(secs) || std::isinf(secs)) {
      return Fail(LineError("invalid timestamp " + FormatFloat(secs)));
    }
    if (!SecondsToMillis(secs, &t_)) {
      return Fail(LineError("timestamp " + QuoteString(std::string_view(ts, size_t(te - ts))) +
                            " out of range"));
    }
    has_t_ = true;
    p = te;
    if (p == end) return Entry::kSeries;
    if (!IsExemplarStart(p, end)) {
      return Fail(SyntaxError("expected next entry after timestamp", p));
    }
  }
  if (!ParseExemplar(p + 4)) return err_;
  return Entry::kSeries;
}

bool OpenMetricsParser::ParseExemplar(const char* p) {
  const char* end = line_end_;
  bool unused = true;
  p = ParseLabels(p, /*exemplar=*/true, &unused);
  if (p == nullptr) return false;
  if (p >= end || *p != ' ' || p + 1 >= end || p[1] == ' ') {
    Fail(SyntaxError("expected value after exemplar labels", p)).IgnoreError();
    return false;
  }
  const char* v = p + 1;
  p = TokenEnd(v, end);
  if (!ParseValue(v, p, &exemplar_value_)) return false;
  has_exemplar_ = true;
  if (p == end) return true;
  const char* ts = p + 1;
  const char* te = TokenEnd(ts, end);
  if (te == ts) {
    Fail(SyntaxError("expected exemplar timestamp", p)).IgnoreError();
    return false;
  }
  double secs = 0;
  if (!ParseValue(ts, te, &secs)) return false;
  if (std::isnan(secs) || std::isinf(secs)) {
    Fail(LineError("invalid exemplar timestamp " + FormatFloat(secs))).IgnoreError();
    return false;
  }
  if (!SecondsToMillis(secs, &exemplar_t_)) {
    Fail(LineError("exemplar timestamp " + QuoteString(std::string_view(ts, size_t(te - ts))) +
                   " out of range"))
        .IgnoreError();
    return false;
  }
  has_exemplar_t_ = true;
  if (te != end) {
    Fail(SyntaxError("expected next entry after exemplar timestamp", te)).IgnoreError();
    return false;
  }
  return true;
}

const char* OpenMetricsParser::ParseLabels(const char* p, bool exemplar, bool* name_set) {
  const char* end = line_end_;
  bool saw_name_label = false;
  for (;;) {
    if (p >= end) {
      Fail(SyntaxError("expected label name", p)).IgnoreError();
      return nullptr;
    }
    char c = *p;
    if (c == '}') {
      if (saw_name_label && *name_set) {
        Fail(LineError("duplicate label name \"__name__\" in " +
                       QuoteString(std::string_view(line_start_, size_t(end - line_start_)))))
            .IgnoreError();
        return nullptr;
      }
      return p + 1;
    }
    std::string_view lname;
    const char* name_at = p;
    bool quoted = false, escaped = false, non_ascii = false;
    if (Is(c, kLabelStart)) {
      const char* q = SkipNameChars(p + 1, end, end_, /*with_colon=*/false);
      lname = std::string_view(p, size_t(q - p));
      p = q;
    } else if (c == '"') {
      const char* close = ScanQuoted(p + 1, end, end_, &escaped, &non_ascii);
      if (close == nullptr) {
        Fail(SyntaxError("expected label name, unterminated quoted string", p)).IgnoreError();
        return nullptr;
      }
      lname = std::string_view(p + 1, size_t(close - p - 1));
      p = close + 1;
      quoted = true;
    } else {
      Fail(SyntaxError("expected label name", p)).IgnoreError();
      return nullptr;
    }
    if (quoted) {
      bool metric = !exemplar && p < end && (*p == ',' || *p == '}');
      if ((non_ascii && !ValidUtf8(lname.data(), lname.size())) || lname.empty()) {
        Fail(LineError(std::string(metric ? "invalid metric name " : "invalid label name ") +
                       QuoteString(lname)))
            .IgnoreError();
        return nullptr;
      }
      if (escaped) lname = UnescapeLabel(lname);
      if (metric) {
        if (*name_set) {
          Fail(LineError("metric name already set while parsing " +
                         QuoteString(std::string_view(line_start_, size_t(p + 1 - line_start_)))))
              .IgnoreError();
          return nullptr;
        }
        name_ = lname;
        *name_set = true;
        if (*p == ',') ++p;
        continue;
      }
    }
    if (p >= end || *p != '=') {
      Fail(SyntaxError("expected equal", p)).IgnoreError();
      return nullptr;
    }
    ++p;
    if (p >= end || *p != '"') {
      Fail(SyntaxError("expected label value", p)).IgnoreError();
      return nullptr;
    }
    escaped = false;
    non_ascii = false;
    const char* close = ScanQuoted(p + 1, end, end_, &escaped, &non_ascii);
    if (close == nullptr) {
      Fail(SyntaxError("expected label value, unterminated quoted string", p)).IgnoreError();
      return nullptr;
    }
    std::string_view value(p + 1, size_t(close - p - 1));
    if (non_ascii && !ValidUtf8(value.data(), value.size())) {
      Fail(LineError("invalid UTF-8 label value " + QuoteString(value))).IgnoreError();
      return nullptr;
    }
    if (escaped) value = UnescapeLabel(value);
    if (exemplar) {
      exemplar_labels_.push_back(LabelView{lname, value});
    } else if (lname == kMetricName) {
      if (*name_set) {
        Fail(LineError("duplicate label name \"__name__\" in " +
                       QuoteString(std::string_view(line_start_, size_t(end - line_start_)))))
            .IgnoreError();
        return nullptr;
      }
      saw_name_label = true;
    } else if (!AddLabel(lname, value, name_at)) {
      return nullptr;
    }
    p = close + 1;
    if (p < end && *p == ',') {
      ++p;
    } else if (p >= end || *p != '}') {
      Fail(SyntaxError("expected comma or brace close", p)).IgnoreError();
      return nullptr;
    }
  }
}

bool OpenMetricsParser::IsCreatedSeries() const {
  switch (type_) {
    case MetricType::kCounter:
    case MetricType::kSummary:
    case MetricType::kHistogram:
      return name_.ends_with("_created");
    default:
      return false;
  }
}

std::unique_ptr<Parser> NewParser(Format format, std::string_view body, const ParserOptions& opts) {
  if (format == Format::kOpenMetrics) return std::make_unique<OpenMetricsParser>(body, opts);
  return std::make_unique<PromParser>(body, opts);
}

}  // namespace vigil::textparse
