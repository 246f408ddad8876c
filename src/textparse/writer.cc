#include "textparse/writer.h"

#include <charconv>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
  const char* end = s.data() + s.size();
  return internal::SkipNameChars(s.data() + 1, end, end, /*with_colon=*/true) == end;
}

bool IsLegacyLabelName(std::string_view s) {
  if (s.empty() || !Is(s[0], internal::kLabelStart)) return false;
  const char* end = s.data() + s.size();
  return internal::SkipNameChars(s.data() + 1, end, end, /*with_colon=*/false) == end;
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

namespace {

// Copies `s` to `d` escaping '\\', '"' and '\n'; returns the end. `d` needs 2 * s.size().
char* CopyEscaped(char* d, std::string_view s) {
  const char* p = s.data();
  const char* e = p + s.size();
#if defined(__SSE2__)
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i newline = _mm_set1_epi8('\n');
  while (e - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    unsigned m = unsigned(_mm_movemask_epi8(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, backslash), _mm_cmpeq_epi8(v, quote)),
                     _mm_cmpeq_epi8(v, newline))));
    if (m == 0) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d), v);
      d += 16;
      p += 16;
      continue;
    }
    unsigned i = unsigned(__builtin_ctz(m));
    std::memcpy(d, p, i);
    d += i;
    p += i;
    *d++ = '\\';
    *d++ = *p == '\n' ? 'n' : *p;
    ++p;
  }
#endif
  for (; p < e; ++p) {
    char c = *p;
    if (c == '\\' || c == '"') {
      *d++ = '\\';
      *d++ = c;
    } else if (c == '\n') {
      *d++ = '\\';
      *d++ = 'n';
    } else {
      *d++ = c;
    }
  }
  return d;
}

char* CopyName(char* d, std::string_view name, bool legacy) {
  if (legacy) {
    std::memcpy(d, name.data(), name.size());
    return d + name.size();
  }
  *d++ = '"';
  d = CopyEscaped(d, name);
  *d++ = '"';
  return d;
}

// Bytes a label can take at most: quoted and fully escaped name and value, '=', ','.
size_t LabelBound(const LabelView& l) { return 2 * (l.name.size() + l.value.size()) + 6; }

char* CopyLabel(char* d, const LabelView& l, bool* first) {
  *d++ = *first ? '{' : ',';
  *first = false;
  d = CopyName(d, l.name, IsLegacyLabelName(l.name));
  *d++ = '=';
  *d++ = '"';
  d = CopyEscaped(d, l.value);
  *d++ = '"';
  return d;
}

}  // namespace

// Each sample is written into space reserved up front for its worst case (everything
// escaped), then the string is cut back: one resize instead of an append per token.
char* Writer::BeginSeries(std::string_view metric, size_t labels_bound, bool* quoted_name) {
  size_t bound = 2 * metric.size() + 4 + labels_bound + 1 + kMaxFloatChars + 1 + 21 + 1;
  size_t old = out_->size();
  out_->resize(old + bound);
  char* d = out_->data() + old;
  *quoted_name = !IsLegacyMetricName(metric);
  if (*quoted_name) {
    *d++ = '{';
    return CopyName(d, metric, false);
  }
  return CopyName(d, metric, true);
}

void Writer::EndSeries(char* d, bool close_brace, double v, std::optional<int64_t> t) {
  if (close_brace) *d++ = '}';
  *d++ = ' ';
  if (v == 1) {
    *d++ = '1';
  } else if (v == 0) {
    *d++ = '0';
  } else if (v == -1) {
    *d++ = '-';
    *d++ = '1';
  } else {
    d += FormatFloatTo(d, v);
  }
  if (t.has_value()) {
    *d++ = ' ';
    d = std::to_chars(d, d + 21, *t).ptr;
  }
  *d++ = '\n';
  out_->resize(size_t(d - out_->data()));
}

void Writer::Sample(std::string_view metric, std::span<const LabelView> labels, double v,
                    std::optional<int64_t> t) {
  size_t bound = 0;
  for (const LabelView& l : labels) bound += LabelBound(l);
  bool quoted = false;
  char* d = BeginSeries(metric, bound, &quoted);
  bool first = !quoted;
  for (const LabelView& l : labels) d = CopyLabel(d, l, &first);
  EndSeries(d, quoted || !first, v, t);
}

void Writer::Sample(std::string_view metric, std::span<const LabelView> labels, LabelView extra,
                    double v, std::optional<int64_t> t) {
  size_t bound = LabelBound(extra);
  for (const LabelView& l : labels) bound += LabelBound(l);
  bool quoted = false;
  char* d = BeginSeries(metric, bound, &quoted);
  bool first = !quoted;
  for (const LabelView& l : labels) d = CopyLabel(d, l, &first);
  d = CopyLabel(d, extra, &first);
  EndSeries(d, true, v, t);
}

void Writer::Sample(const Labels& lset, double v, std::optional<int64_t> t) {
  size_t bound = 0;
  for (const LabelView& l : lset) bound += LabelBound(l);
  bool quoted = false;
  char* d = BeginSeries(lset.MetricName(), bound, &quoted);
  bool first = !quoted;
  for (const LabelView& l : lset) {
    if (l.name == kMetricName) continue;
    d = CopyLabel(d, l, &first);
  }
  EndSeries(d, quoted || !first, v, t);
}

}  // namespace vigil::textparse
