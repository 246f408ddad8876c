#include "textparse/parser.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "base/logging.h"
#include "model/value.h"
#include "textparse/float.h"
#include "textparse/scan.h"

namespace vigil::textparse {

using internal::Is;
using internal::kLabelChar;
using internal::kLabelStart;
using internal::kMetricChar;
using internal::kMetricStart;
using internal::ScanQuoted;
using internal::SkipBlanks;
using internal::SkipClass;
using internal::SkipNameChars;
using internal::SkipRareBlanks;
using internal::ValidUtf8;

std::string_view MetricTypeName(MetricType t) {
  switch (t) {
    case MetricType::kUnknown:
      return "unknown";
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kGaugeHistogram:
      return "gaugehistogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kInfo:
      return "info";
    case MetricType::kStateset:
      return "stateset";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------
// Parser (shared state and helpers)

Parser::Parser(std::string_view body, const ParserOptions& opts)
    : begin_(body.data()), end_(body.data() + body.size()), pos_(begin_), opts_(opts) {}

bool Parser::NextLine() {
  if (pos_ >= end_) return false;
  size_t avail = size_t(end_ - pos_);
  size_t limit = opts_.max_line_bytes;
  size_t scan = (limit == 0 || avail <= limit) ? avail : limit + 1;
  const char* nl = static_cast<const char*>(std::memchr(pos_, '\n', scan));
  ++line_no_;
  line_start_ = pos_;
  if (nl != nullptr) {
    line_end_ = nl;
    has_newline_ = true;
    pos_ = nl + 1;
  } else {
    line_end_ = pos_ + scan;
    has_newline_ = false;
    pos_ = end_;
  }
  if (limit != 0 && size_t(line_end_ - line_start_) > limit) {
    line_end_ = line_start_ + limit;
    Fail(LineError("line is longer than the limit of " + std::to_string(limit) + " bytes"))
        .IgnoreError();
    return false;
  }
  scratch_line_ready_ = false;
  scratch_len_ = 0;
  return true;
}

namespace {

// Up to `max` bytes of [b, e) quoted, with "..." marking a cut.
std::string QuoteCut(const char* b, const char* e, size_t max, bool keep_tail) {
  size_t n = size_t(e - b);
  if (n <= max) return QuoteString(std::string_view(b, n));
  if (keep_tail) return "..." + QuoteString(std::string_view(e - max, max));
  return QuoteString(std::string_view(b, max)) + "...";
}

}  // namespace

Status Parser::LineError(std::string_view msg) {
  std::string s = "line " + std::to_string(line_no_) + ": ";
  s.append(msg);
  if (line_end_ > line_start_ && line_end_[-1] == '\r') {
    s += " (CRLF line endings are not supported)";
  }
  return Status::InvalidArgument(s);
}

Status Parser::SyntaxError(std::string_view expected, const char* at) {
  std::string msg(expected);
  msg += ", got ";
  if (at >= line_end_) {
    msg += has_newline_ ? "end of line" : "end of input";
  } else {
    // The offending token: up to the next blank, at least one byte.
    const char* e = at + 1;
    if (!Is(*at, internal::kBlank)) {
      while (e < line_end_ && e - at < 16 && !Is(*e, internal::kBlank)) ++e;
    }
    msg += QuoteString(std::string_view(at, size_t(e - at)));
  }
  msg += " while parsing ";
  const char* ctx_end = std::min(at + 1, line_end_);
  msg += QuoteCut(line_start_, std::max(ctx_end, line_start_), 64, /*keep_tail=*/true);
  return LineError(msg);
}

Status Parser::Fail(Status s) {
  err_ = s;
  pos_ = end_;
  return s;
}

void Parser::ResetEntry() {
  series_ = {};
  name_ = {};
  text_ = {};
  labels_.clear();
  exemplar_labels_.clear();
  label_bloom_[0] = label_bloom_[1] = label_bloom_[2] = label_bloom_[3] = 0;
  has_t_ = false;
  has_exemplar_ = false;
  has_exemplar_t_ = false;
}

void Parser::ReserveScratchForLine() {
  size_t need = size_t(line_end_ - line_start_);
  if (scratch_cap_ < need) {
    size_t cap = std::max<size_t>(need, scratch_cap_ * 2);
    scratch_ = std::make_unique<char[]>(cap);
    scratch_cap_ = cap;
  }
  scratch_len_ = 0;
  scratch_line_ready_ = true;
}

char* Parser::ScratchFor(size_t n) {
  if (!scratch_line_ready_) ReserveScratchForLine();
  // Callers only ask for the size of a disjoint part of the current line, so the total
  // stays within the line length reserved above (growing here would move earlier views).
  VIGIL_CHECK(scratch_len_ + n <= scratch_cap_);
  return scratch_.get() + scratch_len_;
}

std::string_view Parser::UnescapeLabel(std::string_view raw) {
  char* out = ScratchFor(raw.size());
  char* o = out;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      char n = raw[i + 1];
      if (n == '\\' || n == '"') {
        *o++ = n;
        ++i;
        continue;
      }
      if (n == 'n') {
        *o++ = '\n';
        ++i;
        continue;
      }
    }
    *o++ = c;
  }
  scratch_len_ += size_t(o - out);
  return std::string_view(out, size_t(o - out));
}

std::string_view Parser::UnescapeHelp(std::string_view raw) {
  char* out = ScratchFor(raw.size());
  char* o = out;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      char n = raw[i + 1];
      if (n == '\\') {
        *o++ = '\\';
        ++i;
        continue;
      }
      if (n == 'n') {
        *o++ = '\n';
        ++i;
        continue;
      }
    }
    *o++ = c;
  }
  scratch_len_ += size_t(o - out);
  return std::string_view(out, size_t(o - out));
}

bool Parser::AddLabel(std::string_view name, std::string_view value, const char* at) {
  // A 256-bit Bloom filter over (length, first byte, last byte) makes the duplicate check
  // O(1) per label in the common case; a hit falls back to comparing with every earlier name.
  uint32_t h = (uint32_t(name.size()) * 61u + uint32_t(static_cast<uint8_t>(name.front())) * 7u +
                uint32_t(static_cast<uint8_t>(name.back()))) &
               255u;
  uint64_t bit = uint64_t{1} << (h & 63);
  uint64_t& word = label_bloom_[h >> 6];
  if ((word & bit) != 0) {
    for (const LabelView& l : labels_) {
      if (l.name == name) {
        (void)at;
        Fail(LineError("duplicate label name " + QuoteString(name) + " in " +
                       QuoteCut(line_start_, line_end_, 64, false)))
            .IgnoreError();
        return false;
      }
    }
  }
  word |= bit;
  labels_.push_back(LabelView{name, value});
  return true;
}

bool Parser::ParseValue(const char* b, const char* e, double* out) {
  std::string_view tok(b, size_t(e - b));
  const char* what = nullptr;
  switch (ParseGoFloat(tok, out)) {
    case FloatError::kOk:
      // Prometheus stores one canonical NaN; the stale marker is a different NaN.
      if (std::isnan(*out)) *out = std::bit_cast<double>(kNormalNaNBits);
      return true;
    case FloatError::kRange:
      what = "float value out of range: ";
      break;
    case FloatError::kUnsupported:
      what = "unsupported character in float value ";
      break;
    case FloatError::kSyntax:
      what = "invalid float value ";
      break;
  }
  Fail(LineError(what + QuoteString(tok) + " while parsing " + QuoteCut(line_start_, e, 64, true)))
      .IgnoreError();
  return false;
}

vigil::Labels Parser::BuildLabels() const {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  pairs.reserve(labels_.size() + 1);
  pairs.emplace_back(kMetricName, name_);
  std::vector<std::string> normalized;
  normalized.reserve(labels_.size());
  for (const LabelView& l : labels_) {
    if ((type_ == MetricType::kHistogram && l.name == "le") ||
        (type_ == MetricType::kSummary && l.name == "quantile")) {
      double f = 0;
      if (ParseGoFloat(l.value, &f) == FloatError::kOk) {
        normalized.push_back(FormatOpenMetricsFloat(f));
        pairs.emplace_back(l.name, normalized.back());
        continue;
      }
    }
    pairs.emplace_back(l.name, l.value);
  }
  return vigil::Labels::FromPairs(std::move(pairs));
}

// ---------------------------------------------------------------------------------------
// PromParser

PromParser::PromParser(std::string_view body, const ParserOptions& opts) : Parser(body, opts) {}

Result<Entry> PromParser::Next() {
  if (!err_.ok()) return err_;
  labels_pending_ = false;
  for (;;) {
    if (!NextLine()) {
      if (!err_.ok()) return err_;
      ResetEntry();
      return Entry::kEof;
    }
    const char* p = SkipBlanks(line_start_, line_end_);
    if (p == line_end_) continue;  // blank line
    ResetEntry();
    if (*p == '#') return ParseComment(p);
    return ParseSeries(p);
  }
}

namespace {

bool StartsWith(const char* p, const char* end, std::string_view prefix) {
  return size_t(end - p) >= prefix.size() && std::memcmp(p, prefix.data(), prefix.size()) == 0;
}

bool PromTypeFromText(std::string_view s, MetricType* t) {
  if (s == "counter") {
    *t = MetricType::kCounter;
  } else if (s == "gauge") {
    *t = MetricType::kGauge;
  } else if (s == "histogram") {
    *t = MetricType::kHistogram;
  } else if (s == "summary") {
    *t = MetricType::kSummary;
  } else if (s == "untyped") {
    *t = MetricType::kUnknown;
  } else {
    return false;
  }
  return true;
}

}  // namespace

Result<Entry> PromParser::ParseComment(const char* p) {
  const char* after_hash = p + 1;
  const char* q = SkipBlanks(after_hash, line_end_);
  Entry kind = Entry::kComment;
  // "#" blanks ("HELP"|"TYPE") blanks: metadata; anything else is a comment.
  if (q > after_hash && line_end_ - q > 4 && Is(q[4], internal::kBlank)) {
    if (StartsWith(q, line_end_, "HELP")) kind = Entry::kHelp;
    if (StartsWith(q, line_end_, "TYPE")) kind = Entry::kType;
  }
  if (kind == Entry::kComment) {
    text_ = std::string_view(p, size_t(line_end_ - p));
    return Entry::kComment;
  }
  const char* what =
      kind == Entry::kHelp ? "expected metric name after HELP" : "expected metric name after TYPE";
  q = SkipBlanks(q + 4, line_end_);
  const char* t;
  if (q < line_end_ && *q == '"') {
    bool escaped = false, non_ascii = false;
    const char* close = ScanQuoted(q + 1, line_end_, end_, &escaped, &non_ascii);
    if (close == nullptr) return Fail(SyntaxError(what, q));
    std::string_view raw(q + 1, size_t(close - q - 1));
    name_ = escaped ? UnescapeLabel(raw) : raw;
    t = close + 1;
  } else if (q < line_end_ && Is(*q, kMetricStart)) {
    t = SkipClass(q + 1, line_end_, kMetricChar);
    name_ = std::string_view(q, size_t(t - q));
  } else {
    return Fail(SyntaxError(what, q));
  }
  // As in Prometheus, the byte after the name separates it from the text.
  std::string_view text;
  if (line_end_ - t > 1) text = std::string_view(t + 1, size_t(line_end_ - t - 1));
  if (kind == Entry::kType) {
    if (!PromTypeFromText(text, &type_)) {
      return Fail(LineError("invalid metric type " + QuoteString(text)));
    }
    return Entry::kType;
  }
  if (!ValidUtf8(text.data(), text.size())) {
    return Fail(LineError("help text " + QuoteString(text) + " is not valid UTF-8"));
  }
  text_ = text.find('\\') != std::string_view::npos ? UnescapeHelp(text) : text;
  return Entry::kHelp;
}

// In lazy mode the label block is not parsed here: for a valid line the last '}' of the line
// closes it (a value or timestamp never contains '}'), so a short backward scan finds the end
// of the series and the value. LoadLabels() parses the block later and rejects the line if
// its block does not end exactly there.
const char* PromParser::FindLabelsEnd(const char* open) const {
  for (const char* q = line_end_; q > open + 1;) {
    --q;
    if (*q == '}') return q + 1;
  }
  return nullptr;
}

Result<Entry> PromParser::ParseSeries(const char* p) {
  const char* start = p;
  const char* end = line_end_;
  bool name_set = false;
  labels_pending_ = false;
  if (Is(*p, kMetricStart)) {
    const char* q = SkipNameChars(p + 1, end, end_, /*with_colon=*/true);
    // Both views from locals: copying name_ into series_ right after storing it stalls on
    // store forwarding.
    name_ = std::string_view(p, size_t(q - p));
    series_ = std::string_view(p, size_t(q - p));
    name_set = true;
    p = SkipBlanks(q, end);
    if (p < end && *p == '{') {
      const char* close = opts_.lazy_labels ? FindLabelsEnd(p) : nullptr;
      if (close != nullptr) {
        labels_begin_ = p + 1;
        labels_pending_ = true;
        p = close;
      } else {
        p = ParseLabels(p + 1, &name_set);
        if (p == nullptr) return err_;
      }
      series_ = std::string_view(start, size_t(p - start));
    }
  } else if (*p == '{') {
    const char* close = opts_.lazy_labels ? FindLabelsEnd(p) : nullptr;
    if (close != nullptr) {
      labels_begin_ = p + 1;
      labels_pending_ = true;
      name_set = true;  // checked by LoadLabels()
      p = close;
    } else {
      p = ParseLabels(p + 1, &name_set);
      if (p == nullptr) return err_;
    }
    series_ = std::string_view(start, size_t(p - start));
  } else {
    return Fail(SyntaxError("expected a valid start token", p));
  }
  if (!name_set) {
    return Fail(LineError("metric name not set while parsing " + QuoteCut(start, end, 64, false)));
  }
  // Value: everything up to the next blank or '{' (Prometheus' lexer rule).
  p = SkipBlanks(p, end);
  const char* v = p;
  p = internal::SkipValueChars(p, end, end_);
  if (p == v) return Fail(SyntaxError("expected value after metric", v));
  if (!ParseValue(v, p, &value_)) return err_;
  p = SkipBlanks(p, end);
  if (p == end) return Entry::kSeries;
  // Optional timestamp: decimal digits only (no sign), milliseconds.
  if (!Is(*p, internal::kDigit)) return Fail(SyntaxError("expected timestamp or new record", p));
  const char* ts = p;
  uint64_t t = 0;
  bool overflow = false;
  for (; p < end && Is(*p, internal::kDigit); ++p) {
    uint64_t d = uint64_t(*p - '0');
    if (t > (uint64_t(INT64_MAX) - d) / 10) overflow = true;
    t = t * 10 + d;
  }
  if (overflow) {
    return Fail(LineError("timestamp " + QuoteString(std::string_view(ts, size_t(p - ts))) +
                          " out of range"));
  }
  const char* after = SkipBlanks(p, end);
  if (after != end) {
    return Fail(SyntaxError("expected next entry after timestamp", after));
  }
  t_ = int64_t(t);
  has_t_ = true;
  return Entry::kSeries;
}

Status PromParser::LoadLabels() {
  if (!err_.ok() || !labels_pending_) return err_;
  labels_pending_ = false;
  const char* series_start = series_.data();
  bool name_set = series_start[0] != '{';
  if (!name_set) name_ = {};
  const char* close = ParseLabels(labels_begin_, &name_set);
  if (close == nullptr) return err_;
  const char* series_end = series_start + series_.size();
  if (close != series_end) {
    return Fail(SyntaxError("expected value after metric", SkipBlanks(close, line_end_)));
  }
  if (!name_set) {
    return Fail(LineError("metric name not set while parsing " +
                          QuoteCut(series_start, line_end_, 64, false)));
  }
  return Status::OK();
}

const char* PromParser::ParseLabels(const char* p, bool* name_set) {
  const char* end = line_end_;
  bool saw_name_label = false;
  p = SkipRareBlanks(p, end);
  for (;;) {
    if (p >= end) {
      Fail(SyntaxError("expected label name", p)).IgnoreError();
      return nullptr;
    }
    char c = *p;
    if (c == '}') {
      if (saw_name_label && *name_set) {
        Fail(LineError("duplicate label name \"__name__\" in " +
                       QuoteCut(line_start_, end, 64, false)))
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
    p = SkipRareBlanks(p, end);
    if (quoted) {
      if ((non_ascii && !ValidUtf8(lname.data(), lname.size())) || lname.empty()) {
        bool metric = p < end && (*p == ',' || *p == '}');
        Fail(LineError(std::string(metric ? "invalid metric name " : "invalid label name ") +
                       QuoteString(lname)))
            .IgnoreError();
        return nullptr;
      }
      if (escaped) lname = UnescapeLabel(lname);
      if (p < end && (*p == ',' || *p == '}')) {
        // A quoted string alone is the metric name.
        if (*name_set) {
          Fail(LineError("metric name already set while parsing " +
                         QuoteCut(line_start_, p + 1, 64, true)))
              .IgnoreError();
          return nullptr;
        }
        name_ = lname;
        *name_set = true;
        if (*p == ',') p = SkipRareBlanks(p + 1, end);
        continue;
      }
    }
    if (p >= end || *p != '=') {
      Fail(SyntaxError("expected equal", p)).IgnoreError();
      return nullptr;
    }
    p = SkipRareBlanks(p + 1, end);
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
    if (lname == kMetricName) {
      if (*name_set) {
        Fail(LineError("duplicate label name \"__name__\" in " +
                       QuoteCut(line_start_, end, 64, false)))
            .IgnoreError();
        return nullptr;
      }
      saw_name_label = true;
    } else if (!AddLabel(lname, value, name_at)) {
      return nullptr;
    }
    p = SkipRareBlanks(close + 1, end);
    if (p < end && *p == ',') p = SkipRareBlanks(p + 1, end);
  }
}

}  // namespace vigil::textparse
