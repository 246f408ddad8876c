#include "promql/promqltest/script.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "model/value.h"

namespace vigil::promql::promqltest {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsLabelStart(char c) { return IsAlpha(c) || c == '_'; }
bool IsLabelChar(char c) { return IsLabelStart(c) || IsDigit(c); }
bool IsMetricStart(char c) { return IsLabelStart(c) || c == ':'; }
bool IsMetricChar(char c) { return IsLabelChar(c) || c == ':'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

void SkipSpace(std::string_view* s) {
  while (!s->empty() && IsSpace(s->front())) s->remove_prefix(1);
}

// Splits off the first white-space separated word.
std::string_view NextWord(std::string_view* s) {
  SkipSpace(s);
  size_t n = 0;
  while (n < s->size() && !IsSpace((*s)[n])) ++n;
  std::string_view w = s->substr(0, n);
  s->remove_prefix(n);
  return w;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(char(cp));
  } else if (cp < 0x800) {
    out->push_back(char(0xC0 | (cp >> 6)));
    out->push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(char(0xE0 | (cp >> 12)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(char(0xF0 | (cp >> 18)));
    out->push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(char(0x80 | (cp & 0x3F)));
  }
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads a quoted string literal from the front of *in (which starts with the quote).
Result<std::string> ReadQuoted(std::string_view* in) {
  std::string_view s = *in;
  char q = s[0];
  size_t i = 1;
  if (q == '`') {
    size_t end = s.find('`', 1);
    if (end == std::string_view::npos) return Status::InvalidArgument("unterminated raw string");
    in->remove_prefix(end + 1);
    return std::string(s.substr(1, end - 1));
  }
  while (i < s.size() && s[i] != q) {
    if (s[i] == '\\') i++;
    i++;
  }
  if (i >= s.size()) return Status::InvalidArgument("unterminated quoted string");
  VIGIL_ASSIGN_OR_RETURN(std::string out, UnquoteString(s.substr(0, i + 1)));
  in->remove_prefix(i + 1);
  return out;
}

// Parses the label part of a series description from the front of *in.
Result<Labels> ParseLabelPart(std::string_view* in) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string_view s = *in;
  SkipSpace(&s);
  if (!s.empty() && IsMetricStart(s[0])) {
    size_t n = 0;
    while (n < s.size() && IsMetricChar(s[n])) ++n;
    pairs.emplace_back(std::string(kMetricName), std::string(s.substr(0, n)));
    s.remove_prefix(n);
  }
  bool saw_braces = false;
  {
    std::string_view t = s;
    SkipSpace(&t);
    if (!t.empty() && t[0] == '{' && !StartsWith(t, "{{")) s = t;
  }
  if (!s.empty() && s[0] == '{' && !StartsWith(s, "{{")) {
    saw_braces = true;
    s.remove_prefix(1);
    while (true) {
      SkipSpace(&s);
      if (s.empty()) return Status::InvalidArgument("unterminated label set");
      if (s[0] == '}') {
        s.remove_prefix(1);
        break;
      }
      std::string name;
      bool quoted_name = false;
      if (s[0] == '"' || s[0] == '\'' || s[0] == '`') {
        VIGIL_ASSIGN_OR_RETURN(name, ReadQuoted(&s));
        quoted_name = true;
      } else if (IsLabelStart(s[0])) {
        size_t n = 0;
        while (n < s.size() && IsLabelChar(s[n])) ++n;
        name = std::string(s.substr(0, n));
        s.remove_prefix(n);
      } else {
        return Status::InvalidArgument(fmt::format("unexpected character '{}' in label set", s[0]));
      }
      SkipSpace(&s);
      if (quoted_name && !s.empty() && (s[0] == ',' || s[0] == '}')) {
        // {"metric.name", ...}: a quoted metric name.
        pairs.emplace_back(std::string(kMetricName), name);
      } else {
        if (s.empty() || s[0] != '=') {
          return Status::InvalidArgument(fmt::format("expected '=' after label name {}", name));
        }
        s.remove_prefix(1);
        SkipSpace(&s);
        if (s.empty() || (s[0] != '"' && s[0] != '\'' && s[0] != '`')) {
          return Status::InvalidArgument(fmt::format("expected quoted value for label {}", name));
        }
        VIGIL_ASSIGN_OR_RETURN(std::string value, ReadQuoted(&s));
        pairs.emplace_back(std::move(name), std::move(value));
      }
      SkipSpace(&s);
      if (!s.empty() && s[0] == ',') {
        s.remove_prefix(1);
        continue;
      }
      if (!s.empty() && s[0] == '}') continue;
      return Status::InvalidArgument("expected ',' or '}' in label set");
    }
  }
  if (pairs.empty() && !saw_braces) {
    return Status::InvalidArgument("missing metric name or label set");
  }
  *in = s;
  std::vector<std::pair<std::string_view, std::string_view>> views;
  views.reserve(pairs.size());
  for (const auto& [n, v] : pairs) views.emplace_back(n, v);
  return Labels::FromPairs(std::move(views));
}

// Scans a decimal float (no hex), Inf or NaN at the front of s. Returns chars consumed, 0 if
// none.
size_t ScanNumber(std::string_view s, double* out) {
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    neg = s[i] == '-';
    ++i;
  }
  std::string_view rest = s.substr(i);
  auto word_is = [&](std::string_view w) {
    return rest.size() >= w.size() && EqualsIgnoreCase(rest.substr(0, w.size()), w) &&
           (rest.size() == w.size() || !IsLabelChar(rest[w.size()]) || rest[w.size()] == 'x');
  };
  if (word_is("inf")) {
    *out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return i + 3;
  }
  if (word_is("nan")) {
    *out = std::nan("");
    return i + 3;
  }
  size_t start = i;
  bool digits = false;
  while (i < s.size() && IsDigit(s[i])) {
    ++i;
    digits = true;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) {
      ++i;
      digits = true;
    }
  }
  if (!digits) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    if (j < s.size() && IsDigit(s[j])) {
      while (j < s.size() && IsDigit(s[j])) ++j;
      i = j;
    }
  }
  std::string buf(s.substr(start, i - start));
  double v = std::strtod(buf.c_str(), nullptr);
  *out = neg ? -v : v;
  return i;
}

// Parses the unsigned repeat count after an 'x'.
bool ParseCount(std::string_view s, uint64_t* n) {
  if (s.empty() || s.size() > 9) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    v = v * 10 + uint64_t(c - '0');
  }
  *n = v;
  return true;
}

// Finds the end of a `{{...}}` literal starting at s[0]; returns the index after "}}".
size_t HistogramEnd(std::string_view s) {
  size_t end = s.find("}}", 2);
  return end == std::string_view::npos ? 0 : end + 2;
}

Status ParseValueItems(std::string_view s, std::vector<SequenceValue>* out, bool* has_histogram) {
  constexpr uint64_t kMaxSlots = 10'000'000;
  while (true) {
    SkipSpace(&s);
    if (s.empty()) return Status::OK();
    if (StartsWith(s, "{{")) {
      size_t end = HistogramEnd(s);
      if (end == 0) return Status::InvalidArgument("unterminated histogram literal");
      s.remove_prefix(end);
      uint64_t count = 1;
      if (!s.empty() && (s[0] == '+' || s[0] == '-') && StartsWith(s.substr(1), "{{")) {
        size_t e2 = HistogramEnd(s.substr(1));
        if (e2 == 0) return Status::InvalidArgument("unterminated histogram literal");
        s.remove_prefix(1 + e2);
        if (s.empty() || s[0] != 'x') {
          return Status::InvalidArgument("expected 'x<count>' after histogram increment");
        }
      }
      if (!s.empty() && s[0] == 'x') {
        std::string_view w = s.substr(1);
        size_t n = 0;
        while (n < w.size() && !IsSpace(w[n])) ++n;
        uint64_t k;
        if (!ParseCount(w.substr(0, n), &k)) return Status::InvalidArgument("bad repeat count");
        count = k + 1;
        s.remove_prefix(1 + n);
      }
      if (count > kMaxSlots) return Status::InvalidArgument("too many values");
      *has_histogram = true;
      out->insert(out->end(), count, SequenceValue{SequenceValue::Kind::kHistogram, 0});
      continue;
    }
    std::string_view item = NextWord(&s);
    if (item == "_") {
      out->push_back({SequenceValue::Kind::kOmitted, 0});
      continue;
    }
    if (StartsWith(item, "_x")) {
      uint64_t k;
      if (!ParseCount(item.substr(2), &k) || k > kMaxSlots) {
        return Status::InvalidArgument(fmt::format("bad item {}", item));
      }
      out->insert(out->end(), k, SequenceValue{SequenceValue::Kind::kOmitted, 0});
      continue;
    }
    if (EqualsIgnoreCase(item, "stale")) {
      out->push_back({SequenceValue::Kind::kStale, StaleNaN()});
      continue;
    }
    double a;
    size_t n = ScanNumber(item, &a);
    if (n == 0) return Status::InvalidArgument(fmt::format("bad value {}", item));
    std::string_view rest = item.substr(n);
    if (rest.empty()) {
      out->push_back({SequenceValue::Kind::kFloat, a});
      continue;
    }
    if (rest[0] == 'x') {
      uint64_t k;
      if (!ParseCount(rest.substr(1), &k) || k + 1 > kMaxSlots) {
        return Status::InvalidArgument(fmt::format("bad repeat count in {}", item));
      }
      out->insert(out->end(), k + 1, SequenceValue{SequenceValue::Kind::kFloat, a});
      continue;
    }
    if (rest[0] == '+' || rest[0] == '-') {
      bool minus = rest[0] == '-';
      double b;
      size_t m = ScanNumber(rest.substr(1), &b);
      if (m == 0) return Status::InvalidArgument(fmt::format("bad increment in {}", item));
      rest = rest.substr(1 + m);
      uint64_t k;
      if (rest.empty() || rest[0] != 'x' || !ParseCount(rest.substr(1), &k) || k + 1 > kMaxSlots) {
        return Status::InvalidArgument(fmt::format("expected 'x<count>' in {}", item));
      }
      if (minus) b = -b;
      // Accumulate like Prometheus' series parser (so rounding matches).
      for (uint64_t i = 0; i <= k; ++i) {
        out->push_back({SequenceValue::Kind::kFloat, a});
        a += b;
      }
      continue;
    }
    return Status::InvalidArgument(fmt::format("bad value {}", item));
  }
}

Status LineError(int line, const Status& st) {
  return Status::InvalidArgument(fmt::format("line {}: {}", line, st.message()));
}
Status LineError(int line, std::string_view msg) {
  return Status::InvalidArgument(fmt::format("line {}: {}", line, msg));
}

// Validates an `@st` item sequence and returns its slot count.
Result<size_t> CountStartTimestampSlots(std::string_view s) {
  size_t total = 0;
  while (true) {
    std::string_view item = NextWord(&s);
    if (item.empty()) return total;
    if (item == "_") {
      total += 1;
      continue;
    }
    if (StartsWith(item, "_x")) {
      uint64_t k;
      if (!ParseCount(item.substr(2), &k) || k == 0) {
        return Status::InvalidArgument("invalid repeat count");
      }
      total += k;
      continue;
    }
    // <dur>[(+|-)<dur>][x<count>], durations with optional sign.
    auto dur = [](std::string_view* w) -> bool {
      size_t i = 0;
      if (i < w->size() && ((*w)[i] == '+' || (*w)[i] == '-')) ++i;
      size_t start = i;
      while (i < w->size() && IsDigit((*w)[i])) ++i;
      if (i == start) return false;
      while (i < w->size() && IsAlpha((*w)[i]) && (*w)[i] != 'x') ++i;
      if (!ParseDurationMs(w->substr(start, i - start)).has_value()) return false;
      w->remove_prefix(i);
      return true;
    };
    std::string_view w = item;
    if (!dur(&w)) return Status::InvalidArgument(fmt::format("invalid ST item {}", item));
    bool step = false;
    if (!w.empty() && (w[0] == '+' || w[0] == '-')) {
      w.remove_prefix(1);
      if (!dur(&w)) return Status::InvalidArgument(fmt::format("invalid ST item {}", item));
      step = true;
    }
    if (w.empty()) {
      if (step) return Status::InvalidArgument("expected 'x<count>' after step duration");
      total += 1;
      continue;
    }
    uint64_t k;
    if (w[0] != 'x' || !ParseCount(w.substr(1), &k)) {
      return Status::InvalidArgument(fmt::format("invalid ST item {}", item));
    }
    total += k + 1;
  }
}

struct ParseState {
  std::vector<std::string_view> lines;  // trimmed, comments blanked
};

Result<LoadCommand> ParseLoad(const ParseState& st, size_t* i) {
  std::string_view head = st.lines[*i];
  int line_no = int(*i) + 1;
  std::string_view rest = head;
  std::string_view kw = NextWord(&rest);
  LoadCommand cmd;
  cmd.line = line_no;
  if (kw == "load_with_nhcb") {
    cmd.with_nhcb = true;
  } else if (kw != "load") {
    return LineError(line_no, "invalid load command. (load[_with_nhcb] <step:duration>)");
  }
  std::string_view interval = Trim(rest);
  if (interval.empty()) {
    return LineError(line_no, "invalid load command. (load[_with_nhcb] <step:duration>)");
  }
  auto gap = ParseDurationMs(interval);
  if (!gap) return LineError(line_no, fmt::format("invalid step definition \"{}\"", interval));
  cmd.interval_ms = *gap;

  std::optional<std::pair<Labels, size_t>> pending_st;  // labels, slot count
  int pending_line = 0;
  while (*i + 1 < st.lines.size()) {
    std::string_view def = st.lines[*i + 1];
    if (def.empty()) break;
    ++*i;
    int def_line = int(*i) + 1;
    std::string_view probe = def;
    std::string_view first = NextWord(&probe);
    if (!probe.empty() && first.size() > 3 && first.substr(first.size() - 3) == "@st") {
      if (pending_st) return LineError(pending_line, "@st line has no following sample line");
      std::string_view metric_part = first.substr(0, first.size() - 3);
      auto labels = ParseLabelPart(&metric_part);
      if (!labels) return LineError(def_line, labels.error());
      auto slots = CountStartTimestampSlots(probe);
      if (!slots) return LineError(def_line, slots.error());
      pending_st.emplace(std::move(*labels), *slots);
      pending_line = def_line;
      cmd.has_start_timestamps = true;
      continue;
    }
    auto desc = ParseSeriesDescription(def);
    if (!desc) return LineError(def_line, desc.error());
    if (pending_st) {
      if (!(pending_st->first == desc->labels)) {
        return LineError(pending_line,
                         "@st metric does not match the following sample line metric");
      }
      if (pending_st->second != desc->values.size()) {
        return LineError(pending_line, fmt::format("@st line has {} values but sample line has {}",
                                                   pending_st->second, desc->values.size()));
      }
      pending_st.reset();
    }
    cmd.has_histograms = cmd.has_histograms || desc->has_histogram;
    bool replaced = false;
    for (auto& s : cmd.series) {
      if (s.labels == desc->labels) {
        s = std::move(*desc);
        replaced = true;
        break;
      }
    }
    if (!replaced) cmd.series.push_back(std::move(*desc));
  }
  if (pending_st) return LineError(pending_line, "@st line has no following sample line");
  return cmd;
}

Result<ExpectLine> ParseExpectLine(std::string_view def) {
  std::string_view s = def;
  NextWord(&s);  // "expect"
  std::string_view kind = NextWord(&s);
  ExpectLine e;
  if (kind == "ordered") {
    e.type = ExpectLine::Type::kOrdered;
  } else if (kind == "fail") {
    e.type = ExpectLine::Type::kFail;
  } else if (kind == "warn") {
    e.type = ExpectLine::Type::kWarn;
  } else if (kind == "no_warn") {
    e.type = ExpectLine::Type::kNoWarn;
  } else if (kind == "info") {
    e.type = ExpectLine::Type::kInfo;
  } else if (kind == "no_info") {
    e.type = ExpectLine::Type::kNoInfo;
  } else {
    return Status::InvalidArgument(fmt::format(
        "invalid expect statement, must match `expect <type> <match_type>: <string>` format: {}",
        def));
  }
  SkipSpace(&s);
  if (s.empty()) return e;
  if (StartsWith(s, "msg:")) {
    e.match = ExpectLine::Match::kMsg;
    s.remove_prefix(4);
  } else if (StartsWith(s, "regex:")) {
    e.match = ExpectLine::Match::kRegex;
    s.remove_prefix(6);
  } else {
    return Status::InvalidArgument(fmt::format("invalid expect statement: {}", def));
  }
  e.text = std::string(Trim(s));
  if (e.text.empty())
    return Status::InvalidArgument(fmt::format("invalid expect statement: {}", def));
  if (e.type == ExpectLine::Type::kOrdered || e.type == ExpectLine::Type::kNoWarn ||
      e.type == ExpectLine::Type::kNoInfo) {
    return Status::InvalidArgument(fmt::format("invalid expect statement: {}", def));
  }
  return e;
}

Status ValidateExpects(const EvalCommand& cmd) {
  int fails = 0;
  bool warn = false, no_warn = false, info = false, no_info = false;
  for (const auto& e : cmd.expects) {
    switch (e.type) {
      case ExpectLine::Type::kFail:
        ++fails;
        break;
      case ExpectLine::Type::kWarn:
        warn = true;
        break;
      case ExpectLine::Type::kNoWarn:
        no_warn = true;
        break;
      case ExpectLine::Type::kInfo:
        info = true;
        break;
      case ExpectLine::Type::kNoInfo:
        no_info = true;
        break;
      case ExpectLine::Type::kOrdered:
        break;
    }
  }
  if (fails > 1) return Status::InvalidArgument("only one fail statement allowed");
  if (warn && no_warn)
    return Status::InvalidArgument(
        "invalid expect lines, warn and no_warn cannot be used together");
  if (info && no_info)
    return Status::InvalidArgument(
        "invalid expect lines, info and no_info cannot be used together");
  return Status::OK();
}

// Parses `from A to B step S` into the three durations.
Status ParseFromToStep(std::string_view s, int64_t* from, int64_t* to, int64_t* step) {
  std::string_view w1 = NextWord(&s), a = NextWord(&s), w2 = NextWord(&s), b = NextWord(&s),
                   w3 = NextWord(&s), c = NextWord(&s);
  if (w1 != "from" || w2 != "to" || w3 != "step" || !Trim(s).empty() || c.empty()) {
    return Status::InvalidArgument("expected 'from <time> to <time> step <duration>'");
  }
  auto fa = ParseDurationMs(a), fb = ParseDurationMs(b), fc = ParseDurationMs(c);
  if (!fa) return fa.error();
  if (!fb) return fb.error();
  if (!fc) return fc.error();
  if (*fb < *fa) return Status::InvalidArgument("end timestamp must not be before start timestamp");
  *from = *fa;
  *to = *fb;
  *step = *fc;
  return Status::OK();
}

Result<EvalCommand> ParseEval(const ParseState& st, size_t* i) {
  std::string_view head = st.lines[*i];
  int line_no = int(*i) + 1;
  EvalCommand cmd;
  cmd.line = line_no;
  std::string_view s = head;
  std::string_view kw = NextWord(&s);
  std::string_view mod;
  if (kw != "eval") {
    if (!StartsWith(kw, "eval_")) return LineError(line_no, "invalid evaluation command");
    mod = kw.substr(5);
  }
  std::string_view kind = NextWord(&s);
  const char* usage =
      "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered] instant [at "
      "<offset:duration>] <query>' or 'eval[_fail|_warn] range from <from> to <to> step <step> "
      "<query>'";
  if (kind == "instant") {
    if (mod != "" && mod != "fail" && mod != "warn" && mod != "ordered" && mod != "info") {
      return LineError(line_no, usage);
    }
    std::string_view at = NextWord(&s);
    if (at != "at") return LineError(line_no, usage);
    std::string_view t = NextWord(&s);
    auto ts = ParseDurationMs(t);
    if (!ts)
      return LineError(
          line_no, fmt::format("invalid timestamp definition \"{}\": {}", t, ts.error().message()));
    cmd.start_ms = cmd.end_ms = *ts;
    cmd.step_ms = 0;
  } else if (kind == "range") {
    if (mod != "" && mod != "fail" && mod != "warn" && mod != "info") {
      return LineError(line_no, usage);
    }
    cmd.is_range = true;
    // from A to B step S expr
    std::string_view probe = s;
    std::string_view parts[6];
    for (auto& p : parts) p = NextWord(&probe);
    std::string header = fmt::format("{} {} {} {} {} {}", parts[0], parts[1], parts[2], parts[3],
                                     parts[4], parts[5]);
    Status ps = ParseFromToStep(header, &cmd.start_ms, &cmd.end_ms, &cmd.step_ms);
    if (!ps.ok()) return LineError(line_no, ps.message());
    if (cmd.step_ms <= 0) return LineError(line_no, "step must be positive");
    s = probe;
  } else {
    return LineError(line_no, usage);
  }
  cmd.expr = std::string(Trim(s));
  if (cmd.expr.empty()) return LineError(line_no, usage);
  cmd.legacy_fail = mod == "fail";
  cmd.legacy_warn = mod == "warn";
  cmd.legacy_info = mod == "info";
  cmd.legacy_ordered = mod == "ordered";

  int series_pos = 0;
  while (*i + 1 < st.lines.size()) {
    std::string_view def = st.lines[*i + 1];
    if (def.empty()) break;
    ++*i;
    int def_line = int(*i) + 1;
    if (cmd.legacy_fail && StartsWith(def, "expected_fail_message")) {
      cmd.expected_fail_message = std::string(Trim(def.substr(21)));
      break;
    }
    if (cmd.legacy_fail && StartsWith(def, "expected_fail_regexp")) {
      cmd.expected_fail_regexp = std::string(Trim(def.substr(20)));
      break;
    }
    if (StartsWith(def, "expect range vector")) {
      if (cmd.is_range)
        return LineError(def_line, "expect range vector is only valid for instant queries");
      Status ps =
          ParseFromToStep(def.substr(19), &cmd.rv_start_ms, &cmd.rv_end_ms, &cmd.rv_step_ms);
      if (!ps.ok()) return LineError(def_line, ps.message());
      if (cmd.rv_step_ms <= 0) return LineError(def_line, "step must be positive");
      cmd.expect_range_vector = true;
      continue;
    }
    if (StartsWith(def, "expect string")) {
      std::string_view lit = Trim(def.substr(13));
      if (lit.empty()) {
        return LineError(def_line,
                         "expected string literal not valid - a quoted string literal is required");
      }
      auto str = UnquoteString(lit);
      if (!str) {
        return LineError(
            def_line,
            "expected string literal not valid - check that the string is correctly quoted");
      }
      cmd.expected_string = std::move(*str);
      continue;
    }
    {
      std::string_view probe = def;
      size_t sp = probe.find(' ');
      if (probe.substr(0, sp) == "expect") {
        auto e = ParseExpectLine(def);
        if (!e) return LineError(def_line, e.error());
        cmd.expects.push_back(std::move(*e));
        Status vs = ValidateExpects(cmd);
        if (!vs.ok()) return LineError(def_line, vs);
        continue;
      }
    }
    double num;
    if (ParseNumber(def, &num)) {
      cmd.expected_scalar = num;
      break;
    }
    auto desc = ParseSeriesDescription(def);
    if (!desc) return LineError(def_line, desc.error());
    if (desc->values.size() > 1 && !cmd.is_range && !cmd.expect_range_vector) {
      return LineError(
          def_line,
          "expecting multiple values in instant evaluation not allowed. consider using "
          "'expect range vector' directive to enable a range vector result for an "
          "instant query");
    }
    for (const auto& v : desc->values) {
      if (v.kind == SequenceValue::Kind::kStale) {
        return LineError(def_line, "stale markers cannot be expected");
      }
    }
    cmd.expected_has_histogram = cmd.expected_has_histogram || desc->has_histogram;
    ExpectedSeries es;
    es.labels = std::move(desc->labels);
    es.values = std::move(desc->values);
    es.pos = ++series_pos;
    es.line = def_line;
    cmd.expected_series.push_back(std::move(es));
  }
  return cmd;
}

}  // namespace

Result<std::string> UnquoteString(std::string_view s) {
  if (s.size() < 2) return Status::InvalidArgument("invalid quoted string");
  char q = s.front();
  if ((q != '"' && q != '\'' && q != '`') || s.back() != q) {
    return Status::InvalidArgument("invalid quoted string");
  }
  std::string_view body = s.substr(1, s.size() - 2);
  if (q == '`') {
    if (body.find('`') != std::string_view::npos)
      return Status::InvalidArgument("invalid raw string");
    return std::string(body);
  }
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == q) return Status::InvalidArgument("unescaped quote in string");
    if (c == '\n') return Status::InvalidArgument("newline in string");
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= body.size()) return Status::InvalidArgument("trailing backslash in string");
    c = body[i];
    switch (c) {
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '\'':
      case '"':
        out.push_back(c);
        break;
      case 'x': {
        if (i + 2 >= body.size()) return Status::InvalidArgument("bad \\x escape");
        int h = HexVal(body[i + 1]), l = HexVal(body[i + 2]);
        if (h < 0 || l < 0) return Status::InvalidArgument("bad \\x escape");
        out.push_back(char(h * 16 + l));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        int n = c == 'u' ? 4 : 8;
        if (i + n >= body.size()) return Status::InvalidArgument("bad unicode escape");
        uint32_t cp = 0;
        for (int k = 1; k <= n; ++k) {
          int h = HexVal(body[i + k]);
          if (h < 0) return Status::InvalidArgument("bad unicode escape");
          cp = cp * 16 + uint32_t(h);
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) {
          return Status::InvalidArgument("bad unicode escape");
        }
        AppendUtf8(&out, cp);
        i += n;
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          if (i + 2 >= body.size()) return Status::InvalidArgument("bad octal escape");
          int v = 0;
          for (int k = 0; k < 3; ++k) {
            char d = body[i + k];
            if (d < '0' || d > '7') return Status::InvalidArgument("bad octal escape");
            v = v * 8 + (d - '0');
          }
          if (v > 255) return Status::InvalidArgument("bad octal escape");
          out.push_back(char(v));
          i += 2;
          break;
        }
        return Status::InvalidArgument(fmt::format("unknown escape sequence \\{}", c));
    }
  }
  return out;
}

Result<int64_t> ParseDurationMs(std::string_view s) {
  if (s.empty()) return Status::InvalidArgument("empty duration string");
  if (s == "0") return int64_t{0};
  static constexpr struct {
    std::string_view unit;
    int64_t ms;
  } kUnits[] = {{"y", 365LL * 24 * 3600 * 1000},
                {"w", 7LL * 24 * 3600 * 1000},
                {"d", 24LL * 3600 * 1000},
                {"h", 3600LL * 1000},
                {"m", 60LL * 1000},
                {"s", 1000},
                {"ms", 1}};
  size_t next_unit = 0;
  int64_t total = 0;
  std::string_view rest = s;
  while (!rest.empty()) {
    size_t n = 0;
    while (n < rest.size() && IsDigit(rest[n])) ++n;
    if (n == 0 || n > 18)
      return Status::InvalidArgument(fmt::format("not a valid duration string: \"{}\"", s));
    int64_t v = 0;
    for (size_t k = 0; k < n; ++k) v = v * 10 + (rest[k] - '0');
    rest.remove_prefix(n);
    size_t u = 0;
    while (u < rest.size() && IsAlpha(rest[u])) ++u;
    std::string_view unit = rest.substr(0, u);
    rest.remove_prefix(u);
    bool found = false;
    for (size_t k = next_unit; k < std::size(kUnits); ++k) {
      if (kUnits[k].unit == unit) {
        if (v > std::numeric_limits<int64_t>::max() / kUnits[k].ms) {
          return Status::InvalidArgument(fmt::format("duration out of range: \"{}\"", s));
        }
        total += v * kUnits[k].ms;
        if (total < 0)
          return Status::InvalidArgument(fmt::format("duration out of range: \"{}\"", s));
        next_unit = k + 1;
        found = true;
        break;
      }
    }
    if (!found)
      return Status::InvalidArgument(fmt::format("not a valid duration string: \"{}\"", s));
  }
  return total;
}

bool ParseNumber(std::string_view s, double* out) {
  if (s.empty()) return false;
  // Go's strconv.ParseInt(s, 0, 64).
  {
    size_t i = 0;
    bool neg = false;
    if (s[i] == '+' || s[i] == '-') {
      neg = s[i] == '-';
      ++i;
    }
    std::string_view d = s.substr(i);
    int base = 10;
    bool prefixed = false;
    if (d.size() >= 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'X')) {
      base = 16, d.remove_prefix(2), prefixed = true;
    } else if (d.size() >= 2 && d[0] == '0' && (d[1] == 'o' || d[1] == 'O')) {
      base = 8, d.remove_prefix(2), prefixed = true;
    } else if (d.size() >= 2 && d[0] == '0' && (d[1] == 'b' || d[1] == 'B')) {
      base = 2, d.remove_prefix(2), prefixed = true;
    } else if (d.size() >= 2 && d[0] == '0') {
      base = 8, d.remove_prefix(1), prefixed = true;
    }
    bool ok = !d.empty();
    unsigned __int128 v = 0;
    bool last_underscore = prefixed;  // underscores only allowed with a base prefix
    for (size_t k = 0; ok && k < d.size(); ++k) {
      char c = d[k];
      if (c == '_') {
        if (!prefixed || last_underscore) ok = false;
        last_underscore = true;
        continue;
      }
      last_underscore = false;
      int dv = HexVal(c);
      if (dv < 0 || dv >= base) {
        ok = false;
        break;
      }
      v = v * base + unsigned(dv);
      if (v > (unsigned __int128)(1) << 64) ok = false;
    }
    if (ok && last_underscore && d.back() == '_') ok = false;
    if (ok) {
      unsigned __int128 limit =
          neg ? ((unsigned __int128)1 << 63) : (((unsigned __int128)1 << 63) - 1);
      if (v <= limit) {
        *out = neg ? -double(v) : double(v);
        return true;
      }
    }
  }
  // Go's strconv.ParseFloat(s, 64).
  std::string buf;
  buf.reserve(s.size());
  for (char c : s) {
    if (c != '_') buf.push_back(c);
  }
  if (buf.empty() || IsSpace(buf[0])) return false;
  std::string_view b = buf;
  size_t sign = (b[0] == '+' || b[0] == '-') ? 1 : 0;
  std::string_view body = b.substr(sign);
  if (EqualsIgnoreCase(body, "inf") || EqualsIgnoreCase(body, "infinity")) {
    *out = b[0] == '-' ? -std::numeric_limits<double>::infinity()
                       : std::numeric_limits<double>::infinity();
    return true;
  }
  if (EqualsIgnoreCase(body, "nan")) {
    *out = std::nan("");
    return true;
  }
  for (char c : body) {
    if (!(IsDigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' || c == 'x' ||
          c == 'X' || c == 'p' || c == 'P' || HexVal(c) >= 0)) {
      return false;
    }
  }
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size()) return false;
  *out = v;
  return true;
}

Result<SeriesDescription> ParseSeriesDescription(std::string_view line) {
  SeriesDescription desc;
  std::string_view s = Trim(line);
  VIGIL_ASSIGN_OR_RETURN(desc.labels, ParseLabelPart(&s));
  if (!s.empty() && !IsSpace(s[0])) {
    return Status::InvalidArgument(fmt::format("unexpected text after label set: {}", s));
  }
  VIGIL_RETURN_IF_ERROR(ParseValueItems(s, &desc.values, &desc.has_histogram));
  return desc;
}

bool EvalCommand::ExpectsFailure() const { return legacy_fail || FailExpectation() != nullptr; }

bool EvalCommand::IsOrdered() const {
  if (legacy_ordered) return true;
  for (const auto& e : expects) {
    if (e.type == ExpectLine::Type::kOrdered) return true;
  }
  return false;
}

const ExpectLine* EvalCommand::FailExpectation() const {
  for (const auto& e : expects) {
    if (e.type == ExpectLine::Type::kFail) return &e;
  }
  return nullptr;
}

Result<Script> ParseScript(std::string_view text) {
  ParseState st;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view l = Trim(text.substr(pos, nl - pos));
    if (!l.empty() && l[0] == '#') l = {};
    st.lines.push_back(l);
    pos = nl + 1;
  }
  Script script;
  for (size_t i = 0; i < st.lines.size(); ++i) {
    std::string_view l = st.lines[i];
    if (l.empty()) continue;
    std::string_view probe = l;
    std::string word(NextWord(&probe));
    for (char& c : word) {
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    }
    if (word == "clear") {
      script.commands.emplace_back(ClearCommand{int(i) + 1});
    } else if (StartsWith(word, "load")) {
      VIGIL_ASSIGN_OR_RETURN(LoadCommand cmd, ParseLoad(st, &i));
      script.commands.emplace_back(std::move(cmd));
    } else if (StartsWith(word, "eval")) {
      VIGIL_ASSIGN_OR_RETURN(EvalCommand cmd, ParseEval(st, &i));
      script.commands.emplace_back(std::move(cmd));
    } else {
      return LineError(int(i) + 1, fmt::format("invalid command \"{}\"", l));
    }
  }
  return script;
}

}  // namespace vigil::promql::promqltest
