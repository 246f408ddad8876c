#include "promql/promqltest/runner.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

#include "model/value.h"
#include "promql/engine/engine.h"
#include "promql/engine/kernels.h"
#include "promql/engine/preprocess.h"
#include "promql/parser/functions.h"
#include "promql/parser/parser.h"
#include "promql/parser/printer.h"
#include "promql/promqltest/script.h"
#include "storage/memory_storage.h"

namespace vigil::promql::promqltest {
namespace {

constexpr double kEpsilon = 0.000001;

bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':';
}

// True if `name` occurs in `expr` as a whole identifier.
bool MentionsIdentifier(std::string_view expr, std::string_view name) {
  for (size_t pos = expr.find(name); pos != std::string_view::npos;
       pos = expr.find(name, pos + 1)) {
    bool start_ok = pos == 0 || !IsIdentChar(expr[pos - 1]);
    size_t end = pos + name.size();
    bool end_ok = end >= expr.size() || !IsIdentChar(expr[end]);
    if (start_ok && end_ok) return true;
  }
  return false;
}

// True if the expression has a selector without a literal metric name (`{job="x"}`).
bool HasNamelessSelector(std::string_view expr) {
  for (size_t i = 0; i < expr.size(); ++i) {
    if (expr[i] != '{') continue;
    size_t j = i;
    while (j > 0 && (expr[j - 1] == ' ' || expr[j - 1] == '\t')) --j;
    if (j == 0 || !IsIdentChar(expr[j - 1])) return true;
  }
  return false;
}

// True if the expression calls a function that only reads native histograms. Vigil's engine
// fails such queries by design ("native histograms are not supported by Vigil"), so evals
// that expect an answer from them are skipped, not failed. False if it does not parse.
bool CallsNativeHistogramFunction(std::string_view expr, const parser::ParseOptions& po) {
  auto e = parser::ParseExpr(expr, po);
  if (!e.has_value()) return false;
  bool found = false;
  parser::Inspect(**e, [&](const parser::Expr& n, const std::vector<const parser::Expr*>&) {
    if (n.kind() == parser::NodeKind::kCall) {
      const auto& c = n.As<parser::Call>();
      if (c.func != nullptr && IsNativeHistogramFunction(c.func->name)) found = true;
    }
    return !found;
  });
  return found;
}

std::string StripHistogramSuffix(std::string_view name) {
  for (std::string_view s : {"_bucket", "_count", "_sum"}) {
    if (name.size() > s.size() && name.substr(name.size() - s.size()) == s) {
      return std::string(name.substr(0, name.size() - s.size()));
    }
  }
  return std::string(name);
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return FormatFloatG(v);
}

std::string FormatSlots(const std::vector<SequenceValue>& vals) {
  std::string out;
  for (const auto& v : vals) {
    if (!out.empty()) out += ' ';
    switch (v.kind) {
      case SequenceValue::Kind::kFloat:
        out += FormatNumber(v.value);
        break;
      case SequenceValue::Kind::kOmitted:
        out += '_';
        break;
      case SequenceValue::Kind::kStale:
        out += "stale";
        break;
      case SequenceValue::Kind::kHistogram:
        out += "{{...}}";
        break;
    }
  }
  return out;
}

std::string FormatExpected(const EvalCommand& cmd) {
  std::string out;
  if (cmd.ExpectsFailure()) {
    const ExpectLine* f = cmd.FailExpectation();
    out += "an error";
    if (f != nullptr && f->match != ExpectLine::Match::kAny) out += " matching " + f->text;
    if (cmd.expected_fail_message) out += " with message " + *cmd.expected_fail_message;
    if (cmd.expected_fail_regexp) out += " matching " + *cmd.expected_fail_regexp;
    return out;
  }
  if (cmd.expected_scalar) return "scalar " + FormatNumber(*cmd.expected_scalar);
  if (cmd.expected_string) return "string " + GoQuote(*cmd.expected_string);
  if (cmd.expected_series.empty()) return "empty result";
  for (const auto& s : cmd.expected_series) {
    if (!out.empty()) out += "\n";
    out += s.labels.ToString() + " " + FormatSlots(s.values);
  }
  return out;
}

// One check failed: the message plus what the engine returned.
struct CheckError {
  std::string message;
  std::string actual;
};

class EvalRunner {
 public:
  EvalRunner(const RunOptions& opts, storage::MemoryStorage* st)
      : opts_(opts), engine_(opts.engine), storage_(st) {}

  // Returns an error description, or nullopt if the eval passed.
  std::optional<CheckError> Run(const EvalCommand& cmd) {
    if (cmd.is_range) return RunRange(cmd);
    return RunInstant(cmd);
  }

 private:
  std::optional<CheckError> CheckFailure(const EvalCommand& cmd, const Status& err) {
    std::string msg(err.message());
    if (cmd.expected_fail_message && *cmd.expected_fail_message != msg) {
      return CheckError{
          fmt::format("expected error {} but got: {}", GoQuote(*cmd.expected_fail_message), msg),
          msg};
    }
    if (cmd.expected_fail_regexp) {
      RE2 re(*cmd.expected_fail_regexp, RE2::Quiet);
      if (!RE2::PartialMatch(msg, re)) {
        return CheckError{fmt::format("expected error matching {} but got: {}",
                                      GoQuote(*cmd.expected_fail_regexp), msg),
                          msg};
      }
    }
    if (const ExpectLine* f = cmd.FailExpectation()) {
      if (!Matches(*f, msg)) {
        return CheckError{
            fmt::format("expected error matching {} but got: {}", GoQuote(f->text), msg), msg};
      }
    }
    return std::nullopt;
  }

  static bool Matches(const ExpectLine& e, std::string_view s) {
    switch (e.match) {
      case ExpectLine::Match::kAny:
        return true;
      case ExpectLine::Match::kMsg:
        return e.text == s;
      case ExpectLine::Match::kRegex: {
        RE2 re(e.text, RE2::Quiet);
        return re.ok() && RE2::PartialMatch(s, re);
      }
    }
    return false;
  }

  std::optional<CheckError> CheckAnnotationsOfType(const std::vector<const ExpectLine*>& expected,
                                                   const std::vector<std::string>& actual,
                                                   std::string_view type) {
    if (expected.empty()) return std::nullopt;
    std::string joined = fmt::format("{}", fmt::join(actual, "; "));
    if (actual.empty()) {
      return CheckError{fmt::format("expected {} annotations but none were found", type), joined};
    }
    for (const ExpectLine* e : expected) {
      bool found = std::any_of(actual.begin(), actual.end(),
                               [&](const std::string& a) { return Matches(*e, a); });
      if (!found) {
        return CheckError{fmt::format("expected {} annotation matching {} but none was found", type,
                                      GoQuote(e->text)),
                          joined};
      }
    }
    for (const std::string& a : actual) {
      bool found = std::any_of(expected.begin(), expected.end(),
                               [&](const ExpectLine* e) { return Matches(*e, a); });
      if (!found) {
        return CheckError{fmt::format("unexpected {} annotation {}", type, GoQuote(a)), joined};
      }
    }
    return std::nullopt;
  }

  std::optional<CheckError> CheckAnnotations(const EvalCommand& cmd, std::string_view query,
                                             const Annotations& annos) {
    std::vector<std::string> warnings = annos.Warnings(query), infos = annos.Infos(query);
    if (cmd.legacy_warn && warnings.empty()) {
      return CheckError{"expected warnings but got none", ""};
    }
    if (cmd.legacy_info && infos.empty()) {
      return CheckError{"expected info annotations but got none", ""};
    }
    std::vector<const ExpectLine*> warn, info;
    bool no_warn = false, no_info = false;
    for (const auto& e : cmd.expects) {
      if (e.type == ExpectLine::Type::kWarn) warn.push_back(&e);
      if (e.type == ExpectLine::Type::kInfo) info.push_back(&e);
      if (e.type == ExpectLine::Type::kNoWarn) no_warn = true;
      if (e.type == ExpectLine::Type::kNoInfo) no_info = true;
    }
    if (auto err = CheckAnnotationsOfType(warn, warnings, "warn")) return err;
    if (auto err = CheckAnnotationsOfType(info, infos, "info")) return err;
    if (no_warn && !warnings.empty()) {
      return CheckError{"unexpected warning annotations",
                        fmt::format("{}", fmt::join(warnings, "; "))};
    }
    if (no_info && !infos.empty()) {
      return CheckError{"unexpected info annotations", fmt::format("{}", fmt::join(infos, "; "))};
    }
    return std::nullopt;
  }

  // FORMAT.md §7.3: compares a result with the expectation. For matrices, slot i of an
  // expected series is at start + i*step, up to end.
  std::optional<CheckError> CompareResult(const EvalCommand& cmd, const Value& v, int64_t start,
                                          int64_t end, int64_t step, bool ordered) {
    std::unordered_map<std::string, const ExpectedSeries*> expected;
    for (const auto& s : cmd.expected_series) expected[s.labels.data()] = &s;
    auto fail = [&](std::string msg) {
      return std::optional<CheckError>(CheckError{std::move(msg), FormatValue(v)});
    };
    switch (v.type) {
      case ValueType::kMatrix: {
        if (ordered) return fail("expected ordered result, but query returned a matrix");
        if (cmd.expected_scalar) return fail("expected scalar result, but got a matrix");
        for (size_t i = 1; i < v.matrix.size(); ++i) {
          if (Labels::Compare(v.matrix[i - 1].labels, v.matrix[i].labels) > 0) {
            return fail("matrix results should always be sorted by labels");
          }
        }
        std::set<std::string> seen;
        for (const auto& s : v.matrix) {
          auto it = expected.find(s.labels.data());
          if (it == expected.end()) {
            return fail(fmt::format("unexpected metric {} in result", s.labels.ToString()));
          }
          seen.insert(s.labels.data());
          std::vector<Sample> exp;
          for (size_t i = 0; i < it->second->values.size(); ++i) {
            int64_t t = start + int64_t(i) * step;
            if (t > end) {
              return fail(
                  fmt::format("expected {} points for {}, but query time range cannot "
                              "return this many points",
                              it->second->values.size(), s.labels.ToString()));
            }
            const auto& sv = it->second->values[i];
            if (sv.kind == SequenceValue::Kind::kFloat) exp.push_back(Sample{t, sv.value});
            if (sv.kind == SequenceValue::Kind::kHistogram) {
              return fail("expected a native histogram point");
            }
          }
          if (exp.size() != s.points.size()) {
            return fail(fmt::format("expected {} float points for {}, but got {}", exp.size(),
                                    s.labels.ToString(), s.points.size()));
          }
          for (size_t i = 0; i < exp.size(); ++i) {
            if (exp[i].t != s.points[i].t) {
              return fail(
                  fmt::format("expected float value at index {} for {} to have timestamp "
                              "{}, but it had timestamp {}",
                              i, s.labels.ToString(), exp[i].t, s.points[i].t));
            }
            if (!AlmostEqual(s.points[i].v, exp[i].v, kEpsilon)) {
              return fail(
                  fmt::format("expected float value at index {} (t={}) for {} to be {}, "
                              "but got {}",
                              i, s.points[i].t, s.labels.ToString(), FormatNumber(exp[i].v),
                              FormatNumber(s.points[i].v)));
            }
          }
        }
        for (const auto& s : cmd.expected_series) {
          if (!seen.count(s.labels.data())) {
            return fail(fmt::format("expected metric {} not found", s.labels.ToString()));
          }
        }
        return std::nullopt;
      }
      case ValueType::kVector: {
        if (cmd.expected_scalar) return fail("expected scalar result, but got a vector");
        std::set<std::string> seen;
        for (size_t pos = 0; pos < v.vector.size(); ++pos) {
          const auto& e = v.vector[pos];
          auto it = expected.find(e.labels.data());
          if (it == expected.end()) {
            return fail(fmt::format("unexpected metric {} in result, has value {}",
                                    e.labels.ToString(), FormatNumber(e.v)));
          }
          if (ordered && it->second->pos != int(pos) + 1) {
            return fail(fmt::format("expected metric {} at position {} but was at {}",
                                    e.labels.ToString(), it->second->pos, pos + 1));
          }
          const auto& sv = it->second->values[0];
          if (sv.kind == SequenceValue::Kind::kHistogram) {
            return fail("expected a native histogram");
          }
          if (sv.kind != SequenceValue::Kind::kFloat || !AlmostEqual(sv.value, e.v, kEpsilon)) {
            return fail(fmt::format("expected {} for {} but got {}", FormatSlots({sv}),
                                    e.labels.ToString(), FormatNumber(e.v)));
          }
          seen.insert(e.labels.data());
        }
        for (const auto& s : cmd.expected_series) {
          if (!seen.count(s.labels.data())) {
            return fail(fmt::format("expected metric {} with {} not found", s.labels.ToString(),
                                    FormatSlots(s.values)));
          }
        }
        return std::nullopt;
      }
      case ValueType::kScalar:
        if (!cmd.expected_scalar) return fail("expected vector or matrix result, but got a scalar");
        if (!AlmostEqual(*cmd.expected_scalar, v.scalar, kEpsilon)) {
          return fail(fmt::format("expected scalar {} but got {}",
                                  FormatNumber(*cmd.expected_scalar), FormatNumber(v.scalar)));
        }
        return std::nullopt;
      case ValueType::kString:
        if (!cmd.expected_string || *cmd.expected_string != v.str) {
          return fail(fmt::format("expected string {} but got {}",
                                  GoQuote(cmd.expected_string.value_or("")), GoQuote(v.str)));
        }
        return std::nullopt;
      case ValueType::kNone:
        break;
    }
    return fail("unexpected result type");
  }

  std::optional<CheckError> RunRange(const EvalCommand& cmd) {
    auto q = engine_.NewRangeQuery(storage_, cmd.expr, cmd.start_ms, cmd.end_ms, cmd.step_ms);
    if (!q.has_value()) {
      if (cmd.ExpectsFailure() && !CheckFailure(cmd, q.error())) return std::nullopt;
      return CheckError{"error creating range query", std::string(q.error().message())};
    }
    auto res = (*q)->Exec(Context::Background());
    if (!res.has_value()) {
      if (cmd.ExpectsFailure()) return CheckFailure(cmd, res.error());
      return CheckError{"error evaluating query", std::string(res.error().message())};
    }
    if (cmd.ExpectsFailure())
      return CheckError{"expected error but got none", FormatValue(res->value)};
    if (auto err = CheckAnnotations(cmd, cmd.expr, res->annotations)) return err;
    return CompareResult(cmd, res->value, cmd.start_ms, cmd.end_ms, cmd.step_ms, false);
  }

  std::optional<CheckError> RunInstant(const EvalCommand& cmd) {
    int64_t t = cmd.EvalTime();
    if (auto err = RunInstantQuery(cmd, cmd.expr, t)) return err;
    if (!opts_.at_modifier_check) return std::nullopt;
    std::vector<std::pair<std::string, int64_t>> cases;
    if (!AtModifierCases(cmd.expr, t, &cases)) return std::nullopt;
    for (const auto& [expr, et] : cases) {
      if (auto err = RunInstantQuery(cmd, expr, et)) {
        err->message = fmt::format("{} (@-modifier check: {} at {}ms)", err->message, expr, et);
        return err;
      }
    }
    return std::nullopt;
  }

  // FORMAT.md §7.6.2: the expression with `@ t` on every selector and subquery outside a
  // subquery that already has one; false if it calls a time-dependent function.
  bool AtModifierCases(const std::string& expr, int64_t t,
                       std::vector<std::pair<std::string, int64_t>>* out) {
    auto parsed = parser::ParseExpr(expr, opts_.engine.parse_options);
    if (!parsed.has_value()) return false;
    bool unsafe = false;
    SetAt(**parsed, t, false, &unsafe);
    if (unsafe) return false;
    std::string s = parser::ToString(**parsed);
    std::vector<int64_t> times = {-10 * t, 0, t / 5, t, 10 * t};
    if (t == 0) times = {-1000, 0, 1000};
    for (int64_t et : times) out->emplace_back(s, et);
    return true;
  }

  static void SetAt(parser::Expr& e, int64_t t, bool under_at_subquery, bool* unsafe) {
    using parser::NodeKind;
    switch (e.kind()) {
      case NodeKind::kVectorSelector: {
        auto& vs = e.As<parser::VectorSelector>();
        if (!under_at_subquery && !vs.timestamp_ms &&
            vs.start_or_end == parser::AtModifier::kNone) {
          vs.timestamp_ms = t;
        }
        return;
      }
      case NodeKind::kMatrixSelector: {
        auto& vs = *e.As<parser::MatrixSelector>().vector_selector;
        if (!under_at_subquery && !vs.timestamp_ms &&
            vs.start_or_end == parser::AtModifier::kNone) {
          vs.timestamp_ms = t;
        }
        return;
      }
      case NodeKind::kSubquery: {
        auto& sq = e.As<parser::SubqueryExpr>();
        if (!under_at_subquery && !sq.timestamp_ms &&
            sq.start_or_end == parser::AtModifier::kNone) {
          sq.timestamp_ms = t;
        }
        bool has_at = sq.timestamp_ms.has_value() || sq.start_or_end != parser::AtModifier::kNone;
        SetAt(*sq.expr, t, under_at_subquery || has_at, unsafe);
        return;
      }
      case NodeKind::kCall: {
        auto& c = e.As<parser::Call>();
        if (IsAtModifierUnsafeFunction(c.func->name)) *unsafe = true;
        break;
      }
      default:
        break;
    }
    for (parser::Expr* child : parser::Children(e)) SetAt(*child, t, under_at_subquery, unsafe);
  }

  std::optional<CheckError> RunInstantQuery(const EvalCommand& cmd, const std::string& expr,
                                            int64_t t) {
    auto q = engine_.NewInstantQuery(storage_, expr, t);
    if (!q.has_value()) {
      if (cmd.ExpectsFailure() && !CheckFailure(cmd, q.error())) return std::nullopt;
      return CheckError{"error creating instant query", std::string(q.error().message())};
    }
    auto res = (*q)->Exec(Context::Background());
    if (!res.has_value()) {
      if (cmd.ExpectsFailure()) return CheckFailure(cmd, res.error());
      return CheckError{"error evaluating query", std::string(res.error().message())};
    }
    if (cmd.ExpectsFailure())
      return CheckError{"expected error but got none", FormatValue(res->value)};
    if (auto err = CheckAnnotations(cmd, expr, res->annotations)) return err;
    int64_t rv_start = cmd.expect_range_vector ? cmd.rv_start_ms : t;
    int64_t rv_end = cmd.expect_range_vector ? cmd.rv_end_ms : t;
    int64_t rv_step = cmd.expect_range_vector ? cmd.rv_step_ms : 1;
    if (auto err = CompareResult(cmd, res->value, rv_start, rv_end, rv_step, cmd.IsOrdered())) {
      return err;
    }
    // §7.6.1: the same expression as a range query around t.
    if (!opts_.range_check || cmd.expect_range_vector || cmd.expected_string) return std::nullopt;
    static const RE2 kContextFuncs("(start|end|range|step)\\(\\)");
    if (RE2::PartialMatch(expr, kContextFuncs)) return std::nullopt;
    auto rq = engine_.NewRangeQuery(storage_, expr, t - 60000, t + 60000, 60000);
    if (!rq.has_value()) {
      return CheckError{"error creating range query (range-mode check)",
                        std::string(rq.error().message())};
    }
    auto rres = (*rq)->Exec(Context::Background());
    if (!rres.has_value()) {
      return CheckError{"error evaluating query in range mode",
                        std::string(rres.error().message())};
    }
    if (cmd.IsOrdered()) return std::nullopt;
    const Value& m = rres->value;
    for (size_t i = 1; i < m.matrix.size(); ++i) {
      if (Labels::Compare(m.matrix[i - 1].labels, m.matrix[i].labels) > 0) {
        return CheckError{"range-mode matrix is not sorted by labels", FormatValue(m)};
      }
    }
    Value vec;
    vec.type = ValueType::kVector;
    for (const auto& s : m.matrix) {
      for (const auto& p : s.points) {
        if (p.t == t) {
          vec.vector.push_back(VectorElement{s.labels, t, p.v});
          break;
        }
      }
    }
    if (res->value.type == ValueType::kScalar) {
      Value sc;
      sc.type = ValueType::kScalar;
      if (vec.vector.empty())
        return CheckError{"range-mode check returned no value", FormatValue(m)};
      sc.scalar = vec.vector[0].v;
      vec = std::move(sc);
    }
    if (auto err = CompareResult(cmd, vec, t, t, 1, false)) {
      err->message = "range mode: " + err->message;
      return err;
    }
    return std::nullopt;
  }

  const RunOptions& opts_;
  Engine engine_;
  storage::MemoryStorage* storage_;
};

// The per-segment state used to decide which evals to skip (FORMAT.md §8).
struct Segment {
  bool histograms = false;                // some load had {{...}} or was load_with_nhcb
  std::set<std::string> histogram_names;  // metrics with native histogram samples
  std::set<std::string> st_names;         // metrics with start timestamps
};

// Returns the skip reason for `cmd`, or "" to run it.
std::string SkipReason(const EvalCommand& cmd, const Segment& seg, const RunOptions& opts) {
  if (cmd.expected_has_histogram) return "native histogram in expected result";
  if (!cmd.ExpectsFailure() && CallsNativeHistogramFunction(cmd.expr, opts.engine.parse_options)) {
    return "native histogram function";
  }
  if (opts.histogram_skip == RunOptions::HistogramSkip::kSegment) {
    if (seg.histograms) return "native histograms loaded (segment rule)";
  } else if (!seg.histogram_names.empty()) {
    for (const auto& n : seg.histogram_names) {
      if (MentionsIdentifier(cmd.expr, n)) return "native histogram data";
    }
    if (HasNamelessSelector(cmd.expr)) return "native histogram data (nameless selector)";
  }
  if (!seg.st_names.empty()) {
    for (const auto& n : seg.st_names) {
      if (MentionsIdentifier(cmd.expr, n)) return "start timestamps";
    }
    if (HasNamelessSelector(cmd.expr)) return "start timestamps (nameless selector)";
  }
  return "";
}

Status Load(const LoadCommand& cmd, storage::MemoryStorage* st, Segment* seg) {
  if (cmd.with_nhcb) {
    seg->histograms = true;
    for (const auto& s : cmd.series) {
      std::string_view name = s.labels.MetricName();
      std::string base = StripHistogramSuffix(name);
      if (base != name) seg->histogram_names.insert(base);
    }
  }
  if (cmd.has_start_timestamps) {
    for (const auto& s : cmd.series) seg->st_names.insert(std::string(s.labels.MetricName()));
  }
  auto app = st->NewAppender();
  for (const auto& s : cmd.series) {
    if (s.has_histogram) {
      seg->histograms = true;
      seg->histogram_names.insert(std::string(s.labels.MetricName()));
    }
    for (size_t i = 0; i < s.values.size(); ++i) {
      const auto& v = s.values[i];
      if (v.kind != SequenceValue::Kind::kFloat && v.kind != SequenceValue::Kind::kStale) continue;
      int64_t t = int64_t(i) * cmd.interval_ms;
      auto r =
          app->Append(0, s.labels, t, v.kind == SequenceValue::Kind::kStale ? StaleNaN() : v.value);
      if (!r.has_value()) return r.error();
    }
  }
  return app->Commit();
}

}  // namespace

EngineOptions RunOptions::DefaultEngineOptions() {
  EngineOptions o;
  o.enable_delayed_name_removal = true;
  o.lookback_delta_ms = 5 * 60 * 1000;
  o.timeout_ms = 100 * 1000;
  o.default_subquery_step_ms = 60 * 1000;
  o.parse_options = parser::ParseOptions::AllEnabled();
  return o;
}

std::string FormatValue(const Value& v) {
  std::string out;
  switch (v.type) {
    case ValueType::kScalar:
      return "scalar " + FormatNumber(v.scalar);
    case ValueType::kString:
      return "string " + GoQuote(v.str);
    case ValueType::kVector:
      if (v.vector.empty()) return "empty vector";
      for (const auto& e : v.vector) {
        if (!out.empty()) out += "\n";
        out += e.labels.ToString() + " " + FormatNumber(e.v);
      }
      return out;
    case ValueType::kMatrix:
      if (v.matrix.empty()) return "empty matrix";
      for (const auto& s : v.matrix) {
        if (!out.empty()) out += "\n";
        out += s.labels.ToString();
        size_t n = 0;
        for (const auto& p : s.points) {
          if (++n > 50) {
            out += " ...";
            break;
          }
          out += fmt::format(" {}@{}", FormatNumber(p.v), p.t);
        }
      }
      return out;
    case ValueType::kNone:
      break;
  }
  return "none";
}

ScriptReport RunScript(std::string_view text, std::string name, const RunOptions& opts) {
  ScriptReport rep;
  rep.name = std::move(name);
  auto script = ParseScript(text);
  if (!script.has_value()) {
    rep.error = std::string(script.error().message());
    return rep;
  }
  storage::MemoryStorage st;
  Segment seg;
  EvalRunner runner(opts, &st);
  for (const auto& c : script->commands) {
    if (const auto* load = std::get_if<LoadCommand>(&c)) {
      Status s = Load(*load, &st, &seg);
      if (!s.ok()) {
        rep.error = fmt::format("line {}: load failed: {}", load->line, s.message());
        return rep;
      }
    } else if (std::holds_alternative<ClearCommand>(c)) {
      st.Clear();
      seg = Segment{};
    } else {
      const auto& ev = std::get<EvalCommand>(c);
      std::string reason = SkipReason(ev, seg, opts);
      if (!reason.empty()) {
        ++rep.skip;
        ++rep.skip_reasons[reason];
        continue;
      }
      auto err = runner.Run(ev);
      if (!err) {
        ++rep.pass;
        continue;
      }
      ++rep.fail;
      rep.failures.push_back(EvalFailure{ev.line, ev.expr, std::move(err->message),
                                         FormatExpected(ev), std::move(err->actual)});
    }
  }
  return rep;
}

Result<ScriptReport> RunScriptFile(const std::string& path, const RunOptions& opts) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(fmt::format("cannot read {}", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string name = path;
  size_t slash = name.find_last_of('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  return RunScript(ss.str(), name, opts);
}

std::string FormatReport(const ScriptReport& r) {
  std::string out;
  auto indent = [](const std::string& s) {
    std::string o = "      ";
    for (char c : s) {
      o += c;
      if (c == '\n') o += "      ";
    }
    return o;
  };
  for (const auto& f : r.failures) {
    out += fmt::format("FAIL {}:{}: {}\n  {}\n  expected:\n{}\n  actual:\n{}\n", r.name, f.line,
                       f.expr, f.message, indent(f.expected), indent(f.actual));
  }
  if (!r.error.empty()) out += fmt::format("ERROR {}: {}\n", r.name, r.error);
  std::string reasons;
  for (const auto& [reason, n] : r.skip_reasons) {
    if (!reasons.empty()) reasons += ", ";
    reasons += fmt::format("{}: {}", reason, n);
  }
  out += fmt::format("{}: pass {}, fail {}, skip {}{}\n", r.name, r.pass, r.fail, r.skip,
                     reasons.empty() ? "" : " (" + reasons + ")");
  return out;
}

}  // namespace vigil::promql::promqltest
