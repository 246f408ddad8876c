// Function calls: range-vector functions over per-series column buffers, element-wise
// functions over vector blocks, and the special functions (label_replace, sort, absent,
// histogram_quantile, ...).
#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numbers>
#include <set>
#include <unordered_set>

#include "promql/engine/evaluator.h"
#include "promql/engine/value.h"
#include "promql/parser/functions.h"

namespace vigil::promql {

using parser::NodeKind;

namespace {

const parser::Expr& Unwrap(const parser::Expr& e) {
  const parser::Expr* p = &e;
  while (p->kind() == NodeKind::kParen || p->kind() == NodeKind::kStepInvariant) {
    p = p->kind() == NodeKind::kParen ? p->As<parser::ParenExpr>().expr.get()
                                      : p->As<parser::StepInvariantExpr>().expr.get();
  }
  return *p;
}

const std::string& StringArg(const parser::Expr& e) {
  return Unwrap(e).As<parser::StringLiteral>().val;
}

bool IsValidLabelName(std::string_view s) { return !s.empty() && IsValidUtf8(s); }

// Labels for absent()/absent_over_time(): the equality matchers of a selector argument.
Labels AbsentLabels(const parser::Expr& arg) {
  const parser::Expr& e = Unwrap(arg);
  const std::vector<Matcher>* ms = nullptr;
  if (e.kind() == NodeKind::kVectorSelector) {
    ms = &e.As<parser::VectorSelector>().matchers;
  } else if (e.kind() == NodeKind::kMatrixSelector) {
    ms = &e.As<parser::MatrixSelector>().vector_selector->matchers;
  } else {
    return Labels();
  }
  LabelsBuilder b;
  std::vector<std::string> seen;
  for (const auto& m : *ms) {
    if (m.name() == kMetricName) continue;
    bool has = std::find(seen.begin(), seen.end(), m.name()) != seen.end();
    if (m.type() == MatchType::kEqual && !has) {
      b.Set(m.name(), m.value());
      seen.push_back(m.name());
    } else {
      b.Del(m.name());
    }
  }
  return b.Build();
}

// Natural-order comparison of label values (github.com/facette/natsort): chunks of digits
// compare as integers, other chunks as strings.
std::vector<std::string_view> Chunkify(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    bool digit = s[i] >= '0' && s[i] <= '9';
    size_t j = i + 1;
    while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') == digit)) ++j;
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// Go's strconv.Atoi for a string of digits (false on overflow).
bool ParseSmallInt(std::string_view s, int64_t* v) {
  if (s.empty()) return false;
  int64_t x = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (x > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) return false;
    x = x * 10 + (c - '0');
  }
  *v = x;
  return true;
}

// Go's math.Max / math.Min (infinities win over NaN; +0 > -0).
double GoMax(double x, double y) {
  if ((std::isinf(x) && x > 0) || (std::isinf(y) && y > 0)) return x > 0 && std::isinf(x) ? x : y;
  if (std::isnan(x) || std::isnan(y)) return std::nan("");
  if (x == 0 && x == y) return std::signbit(x) ? y : x;
  return x > y ? x : y;
}
double GoMin(double x, double y) {
  if ((std::isinf(x) && x < 0) || (std::isinf(y) && y < 0)) return x < 0 && std::isinf(x) ? x : y;
  if (std::isnan(x) || std::isnan(y)) return std::nan("");
  if (x == 0 && x == y) return std::signbit(x) ? x : y;
  return x < y ? x : y;
}

bool NatLess(std::string_view a, std::string_view b) {
  auto ca = Chunkify(a), cb = Chunkify(b);
  for (size_t i = 0; i < ca.size(); ++i) {
    if (i >= cb.size()) return false;
    int64_t ai, bi;
    if (ParseSmallInt(ca[i], &ai) && ParseSmallInt(cb[i], &bi)) {
      if (ai == bi) {
        if (i == ca.size() - 1) return true;
        if (i == cb.size() - 1) return false;
        continue;
      }
      return ai < bi;
    }
    if (ca[i] == cb[i]) {
      if (i == ca.size() - 1) return true;
      if (i == cb.size() - 1) return false;
      continue;
    }
    return ca[i] < cb[i];
  }
  return false;
}

// Go regexp's Expand for `template` with submatches of `src`.
std::string ExpandTemplate(std::string_view tmpl, const re2::RE2& re,
                           const std::vector<std::string_view>& groups) {
  std::string out;
  const auto& named = re.NamedCapturingGroups();
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (c != '$' || i + 1 >= tmpl.size()) {
      out.push_back(c);
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    std::string_view name;
    size_t next;
    auto is_name_char = [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '_';
    };
    if (tmpl[i + 1] == '{') {
      size_t close = tmpl.find('}', i + 2);
      if (close == std::string_view::npos) {
        out.push_back(c);
        continue;
      }
      name = tmpl.substr(i + 2, close - i - 2);
      bool ok = !name.empty();
      for (char ch : name) ok = ok && is_name_char(ch);
      if (!ok) {
        out.push_back(c);
        continue;
      }
      next = close + 1;
    } else {
      size_t j = i + 1;
      while (j < tmpl.size() && is_name_char(tmpl[j])) ++j;
      if (j == i + 1) {
        out.push_back(c);
        continue;
      }
      name = tmpl.substr(i + 1, j - i - 1);
      next = j;
    }
    int64_t idx;
    if (ParseSmallInt(name, &idx)) {
      if (idx >= 0 && size_t(idx) < groups.size() && groups[size_t(idx)].data() != nullptr) {
        out.append(groups[size_t(idx)]);
      }
    } else {
      auto it = named.find(std::string(name));
      if (it != named.end() && size_t(it->second) < groups.size() &&
          groups[size_t(it->second)].data() != nullptr) {
        out.append(groups[size_t(it->second)]);
      }
    }
    i = next - 1;
  }
  return out;
}

// Days since 1970-01-01 -> civil date (proleptic Gregorian), for any int64 range we need.
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = unsigned(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = int64_t(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

enum class DateFunc {
  kDayOfMonth,
  kDayOfWeek,
  kDayOfYear,
  kDaysInMonth,
  kHour,
  kMinute,
  kMonth,
  kYear
};

double DatePart(DateFunc f, int64_t secs) {
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  switch (f) {
    case DateFunc::kDayOfMonth:
      return d;
    case DateFunc::kDayOfWeek: {
      int64_t w = (days + 4) % 7;  // 1970-01-01 was a Thursday
      if (w < 0) w += 7;
      return double(w);
    }
    case DateFunc::kDayOfYear: {
      int doy = int(d);
      for (unsigned k = 1; k < m; ++k) doy += kDays[k - 1] + (k == 2 && IsLeap(y) ? 1 : 0);
      return doy;
    }
    case DateFunc::kDaysInMonth:
      return kDays[m - 1] + (m == 2 && IsLeap(y) ? 1 : 0);
    case DateFunc::kHour:
      return double(rem / 3600);
    case DateFunc::kMinute:
      return double((rem % 3600) / 60);
    case DateFunc::kMonth:
      return m;
    case DateFunc::kYear:
      return double(y);
  }
  return 0;
}

// Go's int64(f) on amd64: out-of-range and NaN give math.MinInt64.
int64_t GoFloatToInt64(double f) {
  if (std::isnan(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0) {
    return std::numeric_limits<int64_t>::min();
  }
  return int64_t(f);
}

using MathFn = double (*)(double);

double Sgn(double v) { return v < 0 ? -1 : (v > 0 ? 1 : v); }
double Rad(double v) { return v * std::numbers::pi / 180; }
double Deg(double v) { return v * 180 / std::numbers::pi; }
double Abs(double v) { return std::fabs(v); }
double Ceil(double v) { return std::ceil(v); }
double Floor(double v) { return std::floor(v); }
double Exp(double v) { return std::exp(v); }
double Sqrt(double v) { return std::sqrt(v); }
double Ln(double v) { return std::log(v); }
double Log2(double v) { return std::log2(v); }
double Log10(double v) { return std::log10(v); }
double Sin(double v) { return std::sin(v); }
double Cos(double v) { return std::cos(v); }
double Tan(double v) { return std::tan(v); }
double Asin(double v) { return std::asin(v); }
double Acos(double v) { return std::acos(v); }
double Atan(double v) { return std::atan(v); }
double Sinh(double v) { return std::sinh(v); }
double Cosh(double v) { return std::cosh(v); }
double Tanh(double v) { return std::tanh(v); }
double Asinh(double v) { return std::asinh(v); }
double Acosh(double v) { return std::acosh(v); }
double Atanh(double v) { return std::atanh(v); }

MathFn LookupMath(std::string_view name) {
  static constexpr std::pair<std::string_view, MathFn> kFns[] = {
      {"abs", Abs},   {"ceil", Ceil}, {"floor", Floor}, {"exp", Exp},     {"sqrt", Sqrt},
      {"ln", Ln},     {"log2", Log2}, {"log10", Log10}, {"sin", Sin},     {"cos", Cos},
      {"tan", Tan},   {"asin", Asin}, {"acos", Acos},   {"atan", Atan},   {"sinh", Sinh},
      {"cosh", Cosh}, {"tanh", Tanh}, {"asinh", Asinh}, {"acosh", Acosh}, {"atanh", Atanh},
      {"rad", Rad},   {"deg", Deg},   {"sgn", Sgn},
  };
  for (const auto& [n, f] : kFns) {
    if (n == name) return f;
  }
  return nullptr;
}

bool LookupDate(std::string_view name, DateFunc* f) {
  static constexpr std::pair<std::string_view, DateFunc> kFns[] = {
      {"day_of_month", DateFunc::kDayOfMonth},
      {"day_of_week", DateFunc::kDayOfWeek},
      {"day_of_year", DateFunc::kDayOfYear},
      {"days_in_month", DateFunc::kDaysInMonth},
      {"hour", DateFunc::kHour},
      {"minute", DateFunc::kMinute},
      {"month", DateFunc::kMonth},
      {"year", DateFunc::kYear},
  };
  for (const auto& [n, fn] : kFns) {
    if (n == name) {
      *f = fn;
      return true;
    }
  }
  return false;
}

bool HasCounterSuffix(std::string_view name) {
  auto ends = [&](std::string_view s) {
    return name.size() >= s.size() && name.substr(name.size() - s.size()) == s;
  };
  return ends("_total") || ends("_sum") || ends("_count") || ends("_bucket");
}

}  // namespace

Result<EvalResult> Evaluator::EvalCall(const parser::Call& c) {
  std::string_view name = c.func->name;
  for (size_t i = 0; i < c.args.size(); ++i) {
    NodeKind k = c.args[i]->kind();
    if (k == NodeKind::kMatrixSelector || k == NodeKind::kSubquery) {
      return EvalRangeFunction(c, i, nullptr);
    }
  }
  if (name == "label_replace") return EvalLabelReplace(c);
  if (name == "label_join") return EvalLabelJoin(c);
  if (name == "histogram_quantile") return EvalHistogramQuantile(c, HistogramFunc::kQuantile);
  if (name == "histogram_fraction") return EvalHistogramQuantile(c, HistogramFunc::kFraction);
  if (name == "histogram_quantiles") {
    return EvalHistogramQuantile(c, HistogramFunc::kQuantiles);
  }
  if (name == "sort" || name == "sort_desc" || name == "sort_by_label" ||
      name == "sort_by_label_desc") {
    return EvalSort(c);
  }
  if (name == "info") return EvalInfo(c);
  if (name == "timestamp" && !c.args.empty() && c.args[0]->kind() == NodeKind::kVectorSelector) {
    VIGIL_ASSIGN_OR_RETURN(EvalResult r,
                           EvalVectorSelector(c.args[0]->As<parser::VectorSelector>(), true));
    for (auto& m : r.vec.series) DropName(&m);
    if (!opts_->enable_delayed_name_removal) VIGIL_RETURN_IF_ERROR(MergeDuplicateRows(&r.vec));
    return r;
  }
  return EvalInstantFunction(c);
}

Result<EvalResult> Evaluator::EvalRangeFunction(const parser::Call& c, size_t matrix_arg,
                                                const RowSink* sink) {
  std::string_view name = c.func->name;
  RangeFunc f;
  if (!LookupRangeFunc(name, &f)) {
    return Status::Execution(fmt::format("function {} is not supported over range vectors", name));
  }
  // Scalar parameters, one row per non-matrix argument, in argument order.
  std::vector<std::vector<double>> params;
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (i == matrix_arg) continue;
    VIGIL_ASSIGN_OR_RETURN(auto p, EvalScalarArg(*c.args[i]));
    params.push_back(std::move(p));
  }
  const parser::Expr& arg = *c.args[matrix_arg];
  int64_t range_ms, offset;
  std::optional<int64_t> at;
  bool anchored = false, smoothed = false;
  if (arg.kind() == NodeKind::kMatrixSelector) {
    const auto& ms = arg.As<parser::MatrixSelector>();
    range_ms = ms.range_ms;
    offset = ms.vector_selector->original_offset_ms;
    at = ms.vector_selector->timestamp_ms;
    anchored = ms.vector_selector->anchored;
    smoothed = ms.vector_selector->smoothed;
  } else {
    const auto& sq = arg.As<parser::SubqueryExpr>();
    range_ms = sq.range_ms;
    offset = sq.original_offset_ms;
    at = sq.timestamp_ms;
  }
  if (anchored && !(name == "changes" || name == "delta" || name == "increase" || name == "rate" ||
                    name == "resets")) {
    return Status::Execution(fmt::format(
        "anchored modifier can only be used with: changes, delta, increase, rate, resets - not "
        "with {}",
        name));
  }
  if (smoothed && !(name == "delta" || name == "increase" || name == "rate")) {
    return Status::Execution(fmt::format(
        "smoothed modifier can only be used with: delta, increase, rate - not with {}", name));
  }
  const int64_t lookback = opts_->lookback_delta_ms;
  const int64_t extra_before = (anchored || smoothed) ? lookback : 0;
  const int64_t extra_after = smoothed ? lookback : 0;
  const bool drop = name != "last_over_time" && name != "first_over_time";
  const bool counter_check = name == "rate" || name == "increase";
  const bool absent = f == RangeFunc::kAbsentOverTime;

  // Per-step reference times.
  std::vector<int64_t> refs(steps_);
  for (size_t k = 0; k < steps_; ++k) refs[k] = (at ? *at : StepTime(k)) - offset;

  EvalResult r;
  r.type = ValueType::kVector;
  r.vec = NewBlock();
  std::vector<uint8_t> seen(absent ? steps_ : 0, 0);
  std::vector<double> scratch;
  double p[2] = {0, 0};
  const bool fast_rate =
      !anchored && !smoothed &&
      (f == RangeFunc::kRate || f == RangeFunc::kIncrease || f == RangeFunc::kDelta);
  std::vector<uint32_t> reset_scratch;
  // Streaming to a sink: rows are built in row_buf one at a time.
  std::vector<double> row_buf(sink != nullptr ? steps_ : 0);
  std::unordered_set<std::string> sink_labels;
  const bool sink_dedup = sink != nullptr && !opts_->enable_delayed_name_removal && drop;
  VIGIL_RETURN_IF_ERROR(ForEachRangeSeries(
      arg, extra_before, extra_after,
      [&](const SeriesMeta& meta, const std::vector<int64_t>& ts,
          const std::vector<double>& vs) -> Status {
        VIGIL_RETURN_IF_ERROR(qs_->Acquire(int64_t(ts.size())));
        qs_->Release(int64_t(ts.size()));
        size_t row_idx = 0;
        double* row = nullptr;
        if (sink != nullptr) {
          std::fill(row_buf.begin(), row_buf.end(), AbsentValue());
          row = row_buf.data();
        } else if (!absent) {
          VIGIL_ASSIGN_OR_RETURN(row_idx, r.vec.AddRow(meta));
          row = r.vec.row(row_idx);
        }
        size_t lo = 0, hi = 0, n = ts.size();
        size_t present = 0;
        if (fast_rate) {
          present = ExtrapolatedRateSeries(ts.data(), vs.data(), n, refs.data(), steps_, range_ms,
                                           f != RangeFunc::kDelta, f == RangeFunc::kRate,
                                           &reset_scratch, row);
        }
        for (size_t k = 0; !fast_rate && k < steps_; ++k) {
          int64_t ref = refs[k];
          int64_t upper = ref + extra_after;
          int64_t lower = ref - range_ms - extra_before;
          while (hi < n && ts[hi] <= upper) ++hi;
          while (lo < hi && ts[lo] <= lower) ++lo;
          if (lo == hi) continue;
          if (absent) {
            seen[k] = 1;
            continue;
          }
          for (size_t j = 0; j < params.size() && j < 2; ++j) p[j] = params[j][k];
          if (f == RangeFunc::kDoubleExponentialSmoothing) {
            if (p[0] <= 0 || p[0] >= 1) {
              return Status::Execution(
                  fmt::format("invalid smoothing factor. Expected: 0 < sf < 1, got: {:f}", p[0]));
            }
            if (p[1] <= 0 || p[1] >= 1) {
              return Status::Execution(
                  fmt::format("invalid trend factor. Expected: 0 < tf < 1, got: {:f}", p[1]));
            }
          }
          if (f == RangeFunc::kQuantileOverTime && (std::isnan(p[0]) || p[0] < 0 || p[0] > 1)) {
            qs_->annos.Add(InvalidQuantileWarning(p[0], c.args[0]->Range()));
          }
          Window w;
          w.t = ts.data() + lo;
          w.v = vs.data() + lo;
          w.n = hi - lo;
          w.eval_t = StepTime(k);
          w.range_start = ref - range_ms;
          w.range_end = ref;
          w.range_ms = range_ms;
          w.anchored = anchored;
          w.smoothed = smoothed;
          double out;
          if (EvalRangeFunc(f, w, p, &scratch, &out)) {
            row[k] = out;
            ++present;
          }
        }
        if (absent) return Status::OK();
        if (present == 0) {
          if (sink == nullptr) {
            r.vec.series.pop_back();
            r.vec.values.resize(r.vec.series.size() * steps_);
          }
          return Status::OK();
        }
        if (counter_check) {
          std::string_view metric = meta.labels.MetricName();
          if (!metric.empty() && !HasCounterSuffix(metric)) {
            qs_->annos.Add(PossibleNonCounterInfo(metric, arg.Range()));
          }
        }
        if (sink != nullptr) {
          SeriesMeta m = meta;
          if (drop) DropName(&m);
          if (sink_dedup && !sink_labels.insert(m.labels.data()).second) {
            return Status::Execution("vector cannot contain metrics with the same labelset");
          }
          return (*sink)(std::move(m), row);
        }
        if (drop) DropName(&r.vec.series[row_idx]);
        return Status::OK();
      }));
  if (sink != nullptr) return r;
  if (absent) {
    SeriesMeta m{AbsentLabels(arg), false};
    DropName(&m);
    VIGIL_ASSIGN_OR_RETURN(size_t idx, r.vec.AddRow(std::move(m)));
    double* row = r.vec.row(idx);
    bool any = false;
    for (size_t k = 0; k < steps_; ++k) {
      if (!seen[k]) {
        row[k] = 1;
        any = true;
      }
    }
    if (!any) {
      r.vec.series.clear();
      r.vec.values.clear();
    }
  } else if (!opts_->enable_delayed_name_removal && drop) {
    VIGIL_RETURN_IF_ERROR(MergeDuplicateRows(&r.vec, /*error_on_any=*/true));
  }
  VIGIL_RETURN_IF_ERROR(Account(&r));
  return r;
}

Result<EvalResult> Evaluator::EvalInstantFunction(const parser::Call& c) {
  std::string_view name = c.func->name;
  EvalResult r;
  r.type = ValueType::kVector;
  r.vec = NewBlock();

  if (name == "time") {
    r.type = ValueType::kScalar;
    r.scalar.resize(steps_);
    for (size_t k = 0; k < steps_; ++k) r.scalar[k] = double(StepTime(k)) / 1000;
    return r;
  }
  if (name == "pi") {
    r.type = ValueType::kScalar;
    r.scalar.assign(steps_, std::numbers::pi);
    return r;
  }
  if (name == "max_of" || name == "min_of") {
    VIGIL_ASSIGN_OR_RETURN(auto a, EvalScalarArg(*c.args[0]));
    VIGIL_ASSIGN_OR_RETURN(auto b, EvalScalarArg(*c.args[1]));
    r.type = ValueType::kScalar;
    r.scalar.resize(steps_);
    for (size_t k = 0; k < steps_; ++k) {
      r.scalar[k] = name == "max_of" ? GoMax(a[k], b[k]) : GoMin(a[k], b[k]);
    }
    return r;
  }
  if (name == "vector") {
    VIGIL_ASSIGN_OR_RETURN(auto a, EvalScalarArg(*c.args[0]));
    VIGIL_ASSIGN_OR_RETURN(size_t idx, r.vec.AddRow(SeriesMeta{}));
    std::copy(a.begin(), a.end(), r.vec.row(idx));
    VIGIL_RETURN_IF_ERROR(Account(&r));
    return r;
  }
  DateFunc date_fn = DateFunc::kYear;
  bool is_date = LookupDate(name, &date_fn);
  if (is_date && c.args.empty()) {
    VIGIL_ASSIGN_OR_RETURN(size_t idx, r.vec.AddRow(SeriesMeta{}));
    double* row = r.vec.row(idx);
    for (size_t k = 0; k < steps_; ++k) row[k] = DatePart(date_fn, StepTime(k) / 1000);
    VIGIL_RETURN_IF_ERROR(Account(&r));
    return r;
  }
  if (name == "start" || name == "end" || name == "range" || name == "step") {
    return Status::Internal(fmt::format("{}() was not folded into a number", name));
  }

  // Everything else takes an instant vector as its first argument.
  if (c.args.empty()) return Status::Internal(fmt::format("function {} without arguments", name));
  const parser::Expr& arg0 = *c.args[0];
  if (name == "scalar") {
    VIGIL_ASSIGN_OR_RETURN(EvalResult in, Eval(arg0));
    EvalResult s;
    s.type = ValueType::kScalar;
    s.scalar.assign(steps_, std::nan(""));
    for (size_t k = 0; k < steps_; ++k) {
      int found = 0;
      double v = 0;
      for (size_t i = 0; i < in.vec.rows() && found < 2; ++i) {
        double x = in.vec.row(i)[k];
        if (!IsAbsent(x)) {
          v = x;
          ++found;
        }
      }
      if (found == 1) s.scalar[k] = v;
    }
    return s;
  }
  if (name == "absent") {
    VIGIL_ASSIGN_OR_RETURN(EvalResult in, Eval(arg0));
    std::vector<uint8_t> seen(steps_, 0);
    for (size_t i = 0; i < in.vec.rows(); ++i) {
      const double* row = in.vec.row(i);
      for (size_t k = 0; k < steps_; ++k) seen[k] |= !IsAbsent(row[k]);
    }
    VIGIL_ASSIGN_OR_RETURN(size_t idx, r.vec.AddRow(SeriesMeta{AbsentLabels(arg0), false}));
    double* row = r.vec.row(idx);
    bool any = false;
    for (size_t k = 0; k < steps_; ++k) {
      if (!seen[k]) {
        row[k] = 1;
        any = true;
      }
    }
    if (!any) {
      r.vec.series.clear();
      r.vec.values.clear();
    }
    VIGIL_RETURN_IF_ERROR(Account(&r));
    return r;
  }

  VIGIL_ASSIGN_OR_RETURN(EvalResult in, Eval(arg0));
  if (in.type != ValueType::kVector) {
    return Status::Internal(fmt::format("function {}: argument is not a vector", name));
  }
  VectorBlock& b = in.vec;

  if (name == "start_timestamp") {
    // Start timestamps never reach this engine (the storage interface has none), so the
    // result is empty. (The native-histogram-only functions fail before evaluation; see
    // IsNativeHistogramFunction.)
    return r;
  }

  if (name == "timestamp") {
    for (size_t i = 0; i < b.rows(); ++i) {
      double* row = b.row(i);
      for (size_t k = 0; k < steps_; ++k) {
        if (!IsAbsent(row[k])) row[k] = double(StepTime(k)) / 1000;
      }
      DropName(&b.series[i]);
    }
  } else if (MathFn fn = LookupMath(name)) {
    for (double& v : b.values) {
      if (!IsAbsent(v)) v = fn(v);
    }
    for (auto& m : b.series) DropName(&m);
  } else if (is_date) {
    for (double& v : b.values) {
      if (!IsAbsent(v)) v = DatePart(date_fn, GoFloatToInt64(v));
    }
    for (auto& m : b.series) DropName(&m);
  } else if (name == "round") {
    std::vector<double> to_nearest(steps_, 1.0);
    if (c.args.size() >= 2) {
      VIGIL_ASSIGN_OR_RETURN(to_nearest, EvalScalarArg(*c.args[1]));
    }
    for (size_t i = 0; i < b.rows(); ++i) {
      double* row = b.row(i);
      for (size_t k = 0; k < steps_; ++k) {
        if (IsAbsent(row[k])) continue;
        double inv = 1.0 / to_nearest[k];
        row[k] = std::floor(row[k] * inv + 0.5) / inv;
      }
      DropName(&b.series[i]);
    }
  } else if (name == "clamp" || name == "clamp_min" || name == "clamp_max") {
    std::vector<double> lo(steps_, -std::numeric_limits<double>::infinity());
    std::vector<double> hi(steps_, std::numeric_limits<double>::infinity());
    if (name == "clamp") {
      VIGIL_ASSIGN_OR_RETURN(lo, EvalScalarArg(*c.args[1]));
      VIGIL_ASSIGN_OR_RETURN(hi, EvalScalarArg(*c.args[2]));
    } else if (name == "clamp_min") {
      VIGIL_ASSIGN_OR_RETURN(lo, EvalScalarArg(*c.args[1]));
    } else {
      VIGIL_ASSIGN_OR_RETURN(hi, EvalScalarArg(*c.args[1]));
    }
    for (size_t i = 0; i < b.rows(); ++i) {
      double* row = b.row(i);
      for (size_t k = 0; k < steps_; ++k) {
        if (IsAbsent(row[k])) continue;
        if (hi[k] < lo[k]) {
          row[k] = AbsentValue();
          continue;
        }
        row[k] = GoMax(lo[k], GoMin(hi[k], row[k]));
      }
      DropName(&b.series[i]);
    }
    CompactRows(&b);
  } else {
    return Status::Execution(fmt::format("function {} is not supported", name));
  }
  if (!opts_->enable_delayed_name_removal) VIGIL_RETURN_IF_ERROR(MergeDuplicateRows(&b));
  r.vec = std::move(b);
  VIGIL_RETURN_IF_ERROR(Account(&r));
  return r;
}

Result<EvalResult> Evaluator::EvalLabelReplace(const parser::Call& c) {
  const std::string& dst = StringArg(*c.args[1]);
  const std::string& repl = StringArg(*c.args[2]);
  const std::string& src = StringArg(*c.args[3]);
  const std::string& regex = StringArg(*c.args[4]);
  re2::RE2::Options ro;
  ro.set_log_errors(false);
  ro.set_dot_nl(true);
  re2::RE2 re("^(?s:" + regex + ")$", ro);
  if (!re.ok()) {
    return Status::Execution(
        fmt::format("invalid regular expression in label_replace(): {}", regex));
  }
  if (!IsValidLabelName(dst)) {
    return Status::Execution(
        fmt::format("invalid destination label name in label_replace(): {}", dst));
  }
  VIGIL_ASSIGN_OR_RETURN(EvalResult in, Eval(*c.args[0]));
  int ngroups = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> sp(static_cast<size_t>(ngroups));
  std::vector<std::string_view> groups(static_cast<size_t>(ngroups));
  for (auto& m : in.vec.series) {
    std::string_view sv = m.labels.Get(src);
    if (!re.Match(re2::StringPiece(sv.data(), sv.size()), 0, sv.size(), re2::RE2::UNANCHORED,
                  sp.data(), ngroups)) {
      continue;
    }
    for (int g = 0; g < ngroups; ++g) {
      groups[size_t(g)] = sp[size_t(g)].data() == nullptr
                              ? std::string_view()
                              : std::string_view(sp[size_t(g)].data(), sp[size_t(g)].size());
    }
    std::string res = ExpandTemplate(repl, re, groups);
    LabelsBuilder lb(m.labels);
    lb.Set(dst, res);
    m.labels = lb.Build();
    if (dst == kMetricName) m.drop_name = false;
  }
  VIGIL_RETURN_IF_ERROR(MergeDuplicateRows(&in.vec));
  VIGIL_RETURN_IF_ERROR(Account(&in));
  return in;
}

Result<EvalResult> Evaluator::EvalLabelJoin(const parser::Call& c) {
  const std::string& dst = StringArg(*c.args[1]);
  const std::string& sep = StringArg(*c.args[2]);
  std::vector<std::string> srcs;
  for (size_t i = 3; i < c.args.size(); ++i) {
    const std::string& s = StringArg(*c.args[i]);
    if (!IsValidLabelName(s)) {
      return Status::Execution(fmt::format("invalid source label name in label_join(): {}", s));
    }
    srcs.push_back(s);
  }
  if (!IsValidLabelName(dst)) {
    return Status::Execution(
        fmt::format("invalid destination label name in label_join(): {}", dst));
  }
  VIGIL_ASSIGN_OR_RETURN(EvalResult in, Eval(*c.args[0]));
  for (auto& m : in.vec.series) {
    std::string joined;
    for (size_t i = 0; i < srcs.size(); ++i) {
      if (i > 0) joined += sep;
      joined += m.labels.Get(srcs[i]);
    }
    LabelsBuilder lb(m.labels);
    lb.Set(dst, joined);
    m.labels = lb.Build();
    if (dst == kMetricName) m.drop_name = false;
  }
  VIGIL_RETURN_IF_ERROR(MergeDuplicateRows(&in.vec));
  VIGIL_RETURN_IF_ERROR(Account(&in));
  return in;
}

Result<EvalResult> Evaluator::EvalSort(const parser::Call& c) {
  std::string_view name = c.func->name;
  VIGIL_ASSIGN_OR_RETURN(EvalResult in, Eval(*c.args[0]));
  if (is_range_ || steps_ != 1) {
    qs_->annos.Add(SortInRangeQueryWarning(c.pos));
    return in;
  }
  VectorBlock& b = in.vec;
  std::vector<size_t> order(b.rows());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (name == "sort" || name == "sort_desc") {
    bool desc = name == "sort_desc";
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      double a = b.row(x)[0], bv = b.row(y)[0];
      if (std::isnan(a)) return false;
      if (std::isnan(bv)) return true;
      return desc ? a > bv : a < bv;
    });
  } else {
    bool desc = name == "sort_by_label_desc";
    std::vector<std::string> lbls;
    for (size_t i = 1; i < c.args.size(); ++i) lbls.push_back(StringArg(*c.args[i]));
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      const Labels& la = b.series[x].labels;
      const Labels& lb = b.series[y].labels;
      for (const auto& l : lbls) {
        std::string_view v1 = la.Get(l), v2 = lb.Get(l);
        if (v1 == v2) continue;
        bool less = NatLess(v1, v2);
        return desc ? !less : less;
      }
      int cmp = Labels::Compare(la, lb);
      return desc ? cmp > 0 : cmp < 0;
    });
  }
  VectorBlock out;
  out.steps = 1;
  for (size_t i : order) {
    out.series.push_back(std::move(b.series[i]));
    out.values.push_back(b.row(i)[0]);
  }
  in.vec = std::move(out);
  return in;
}

// Prometheus' labels.FormatOpenMetricsFloat (the quantile label of histogram_quantiles).
static std::string FormatOpenMetricsFloat(double f) {
  if (f == 1) return "1.0";
  if (f == 0) return "0.0";
  if (f == -1) return "-1.0";
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  std::string s = FormatFloatG(f);
  if (s.find_first_of("e.") == std::string::npos) s += ".0";
  return s;
}

Result<EvalResult> Evaluator::EvalHistogramQuantile(const parser::Call& c, HistogramFunc mode) {
  // histogram_quantile(q, v), histogram_fraction(lower, upper, v) and
  // histogram_quantiles(v, "label", q...) over classic buckets.
  const bool fraction = mode == HistogramFunc::kFraction;
  const bool multi = mode == HistogramFunc::kQuantiles;
  std::vector<std::vector<double>> ps;  // scalar parameters
  std::vector<const parser::Expr*> pexprs;
  size_t vidx = fraction ? 2 : (multi ? 0 : 1);
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (i == vidx || (multi && i == 1)) continue;
    VIGIL_ASSIGN_OR_RETURN(auto p, EvalScalarArg(*c.args[i]));
    ps.push_back(std::move(p));
    pexprs.push_back(c.args[i].get());
  }
  const std::string quantile_label = multi ? StringArg(*c.args[1]) : std::string();
  const parser::Expr& varg = *c.args[vidx];
  VIGIL_ASSIGN_OR_RETURN(EvalResult in, Eval(varg));
  const VectorBlock& b = in.vec;

  // Group the bucket series by their labels without `le`, once.
  struct Group {
    SeriesMeta meta;
    std::vector<std::pair<size_t, double>> members;  // row, upper bound
  };
  std::vector<Group> groups;
  std::unordered_map<std::string, size_t> index;
  std::vector<size_t> bad_rows;
  for (size_t i = 0; i < b.rows(); ++i) {
    const Labels& l = b.series[i].labels;
    std::string les(l.Get("le"));
    double ub = 0;
    char* end = nullptr;
    bool ok = !les.empty();
    if (ok) {
      ub = std::strtod(les.c_str(), &end);
      ok = end == les.c_str() + les.size();
      // strtod accepts hexadecimal without a binary exponent; Go's ParseFloat does not.
      if (ok && les.find_first_of("xX") != std::string::npos &&
          les.find_first_of("pP") == std::string::npos) {
        ok = false;
      }
    }
    if (!ok) {
      bad_rows.push_back(i);
      continue;
    }
    std::string key = LabelsKeyWithout(l, {"le"}, false);
    auto [it, inserted] = index.emplace(std::move(key), groups.size());
    if (inserted) {
      Group g;
      LabelsBuilder lb(l);
      lb.Del("le");
      g.meta.labels = lb.Build();
      groups.push_back(std::move(g));
    }
    groups[it->second].members.emplace_back(i, ub);
  }

  EvalResult r;
  r.type = ValueType::kVector;
  r.vec = NewBlock();
  // Output rows: one per group (per group and quantile for histogram_quantiles).
  const size_t nq = multi ? ps.size() : 1;
  std::vector<size_t> rows(groups.size() * nq);
  std::unordered_map<std::string, size_t> row_by_labels;
  for (size_t qi = 0; qi < nq; ++qi) {
    for (size_t g = 0; g < groups.size(); ++g) {
      SeriesMeta m = groups[g].meta;
      if (multi) {
        LabelsBuilder lb(m.labels);
        lb.Set(quantile_label, FormatOpenMetricsFloat(ps[qi].empty() ? 0 : ps[qi][0]));
        m.labels = lb.Build();
      }
      DropName(&m);
      auto [it, inserted] = row_by_labels.emplace(m.labels.data(), r.vec.rows());
      if (inserted) VIGIL_RETURN_IF_ERROR(r.vec.AddRow(std::move(m)).status());
      rows[qi * groups.size() + g] = it->second;
    }
  }
  std::vector<Bucket> buckets;
  for (size_t k = 0; k < steps_; ++k) {
    for (size_t i : bad_rows) {
      if (IsAbsent(b.row(i)[k])) continue;
      std::string_view metric =
          opts_->enable_delayed_name_removal ? b.series[i].labels.MetricName() : "";
      qs_->annos.Add(BadBucketLabelWarning(metric, b.series[i].labels.Get("le"), varg.Range()));
    }
    if (!fraction) {
      for (size_t qi = 0; qi < ps.size(); ++qi) {
        double q = ps[qi][k];
        if (std::isnan(q) || q < 0 || q > 1) {
          qs_->annos.Add(InvalidQuantileWarning(q, pexprs[qi]->Range()));
        }
      }
    }
    for (size_t qi = 0; qi < nq; ++qi) {
      for (size_t g = 0; g < groups.size(); ++g) {
        buckets.clear();
        for (const auto& [row, ub] : groups[g].members) {
          double v = b.row(row)[k];
          if (!IsAbsent(v)) buckets.push_back(Bucket{ub, v});
        }
        if (buckets.empty()) continue;
        double out;
        if (fraction) {
          out = BucketFraction(ps[0][k], ps[1][k], &buckets);
        } else {
          BucketQuantileResult q = BucketQuantile(ps[qi][k], &buckets);
          out = q.value;
          if (q.forced_monotonic) {
            std::string_view metric =
                opts_->enable_delayed_name_removal ? groups[g].meta.labels.MetricName() : "";
            qs_->annos.Add(HistogramQuantileForcedMonotonicityInfo(
                metric, varg.Range(), StepTime(k), q.min_bucket, q.max_bucket, q.max_diff));
          }
        }
        double& dst = r.vec.row(rows[qi * groups.size() + g])[k];
        if (!IsAbsent(dst)) {
          return Status::Execution("vector cannot contain metrics with the same labelset");
        }
        dst = out;
      }
    }
  }
  CompactRows(&r.vec);
  if (!opts_->enable_delayed_name_removal) VIGIL_RETURN_IF_ERROR(MergeDuplicateRows(&r.vec));
  VIGIL_RETURN_IF_ERROR(Account(&r));
  return r;
}

Result<EvalResult> Evaluator::EvalInfo(const parser::Call& c) {
  // info(v [, {data label matchers}]): adds the data labels of info series (target_info by
  // default) that share v's identifying labels (instance, job).
  static const std::vector<std::string> kIdentifying = {"instance", "job"};
  VIGIL_ASSIGN_OR_RETURN(EvalResult base, Eval(*c.args[0]));
  const VectorBlock& b = base.vec;

  std::map<std::string, std::vector<Matcher>> data_matchers;
  std::vector<Matcher> name_matchers;
  if (c.args.size() > 1) {
    const parser::Expr& sel = Unwrap(*c.args[1]);
    if (sel.kind() != NodeKind::kVectorSelector) {
      return Status::Execution("info(): the second argument must be a label selector");
    }
    for (const auto& m : sel.As<parser::VectorSelector>().matchers) {
      data_matchers[m.name()].push_back(m);
      if (m.name() == kMetricName) name_matchers.push_back(m);
    }
  } else {
    name_matchers.push_back(*Matcher::Make(MatchType::kEqual, kMetricName, "target_info"));
  }
  auto effective = [](const std::vector<Matcher>& ms) {
    for (const auto& m : ms) {
      if (m.type() == MatchType::kEqual || m.type() == MatchType::kRegexMatch) return ms;
    }
    std::vector<Matcher> out;
    if (!ms.empty()) {
      out.push_back(*Matcher::Make(MatchType::kRegexMatch, kMetricName, ".+_info"));
      out.insert(out.end(), ms.begin(), ms.end());
      return out;
    }
    out.push_back(*Matcher::Make(MatchType::kEqual, kMetricName, "target_info"));
    return out;
  };
  const std::vector<Matcher> eff_names = effective(name_matchers);
  std::vector<uint8_t> ignore(b.rows(), 0);
  for (size_t i = 0; i < b.rows(); ++i) {
    std::string_view name = b.series[i].labels.MetricName();
    bool all = true;
    for (const auto& m : eff_names) all = all && m.Matches(name);
    ignore[i] = all;
  }

  // The @ and offset of the first selector of the first argument apply to the info series.
  std::optional<int64_t> at;
  int64_t offset = 0;
  {
    bool found = false;
    std::function<void(const parser::Expr&, int64_t, std::optional<int64_t>)> walk =
        [&](const parser::Expr& e, int64_t sq_off, std::optional<int64_t> sq_at) {
          if (found) return;
          if (e.kind() == NodeKind::kVectorSelector) {
            const auto& vs = e.As<parser::VectorSelector>();
            found = true;
            at = vs.timestamp_ms;
            offset = vs.original_offset_ms;
            if (!at) {
              at = sq_at;
              offset += sq_off;
            }
            return;
          }
          if (e.kind() == NodeKind::kSubquery) {
            const auto& sq = e.As<parser::SubqueryExpr>();
            // Prometheus walks the path innermost first, adding offsets until an @ is found.
            walk(*sq.expr, sq_at ? sq_off : sq_off + sq.original_offset_ms,
                 sq_at ? sq_at : sq.timestamp_ms);
            return;
          }
          for (const parser::Expr* ch : parser::Children(e)) walk(*ch, sq_off, sq_at);
        };
    walk(*c.args[0], 0, std::nullopt);
  }

  // Identifying label values of the base series.
  std::map<std::string, std::set<std::string>> id_values;
  for (size_t i = 0; i < b.rows(); ++i) {
    if (ignore[i]) continue;
    for (const auto& l : kIdentifying) {
      std::string_view v = b.series[i].labels.Get(l);
      if (!v.empty()) id_values[l].insert(std::string(v));
    }
  }
  std::vector<Matcher> data_only;  // data matchers without __name__
  std::map<std::string, std::vector<Matcher>> data_no_name;
  for (const auto& [n, ms] : data_matchers) {
    if (n == kMetricName) continue;
    data_no_name[n] = ms;
    data_only.insert(data_only.end(), ms.begin(), ms.end());
  }
  EvalResult info;
  info.type = ValueType::kVector;
  info.vec.steps = steps_;
  if (!id_values.empty()) {
    parser::VectorSelector vs;
    for (const auto& [n, vals] : id_values) {
      std::string re;
      for (const auto& v : vals) {
        if (!re.empty()) re += '|';
        re += RE2::QuoteMeta(v);
      }
      VIGIL_ASSIGN_OR_RETURN(Matcher m, Matcher::Make(MatchType::kRegexMatch, n, re));
      vs.matchers.push_back(std::move(m));
    }
    vs.matchers.insert(vs.matchers.end(), data_only.begin(), data_only.end());
    std::vector<Matcher> nm;
    for (const auto& m : data_matchers[std::string(kMetricName)]) nm.push_back(m);
    for (auto& m : effective(nm)) vs.matchers.push_back(std::move(m));
    vs.timestamp_ms = at;
    vs.original_offset_ms = offset;
    VIGIL_ASSIGN_OR_RETURN(info, EvalVectorSelector(vs, /*want_timestamps=*/true));
  }
  const VectorBlock& ib = info.vec;

  // Signatures: info metric name + identifying labels.
  auto sig = [&](std::string_view name, const Labels& l) {
    std::string key(name);
    for (const auto& id : kIdentifying) {
      key += '\xff';
      key += l.Get(id);
    }
    return key;
  };
  std::vector<std::string> info_names;
  std::vector<std::string> info_sig(ib.rows());
  for (size_t i = 0; i < ib.rows(); ++i) {
    std::string_view n = ib.series[i].labels.MetricName();
    if (std::find(info_names.begin(), info_names.end(), n) == info_names.end()) {
      info_names.emplace_back(n);
    }
    info_sig[i] = sig(n, ib.series[i].labels);
  }
  std::sort(info_names.begin(), info_names.end());
  bool all_match_empty = true;
  for (const auto& [n, ms] : data_no_name) {
    for (const auto& m : ms) all_match_empty = all_match_empty && m.Matches("");
  }

  EvalResult r;
  r.type = ValueType::kVector;
  r.vec = NewBlock();
  std::unordered_map<std::string, size_t> rows;
  std::unordered_map<std::string, size_t> by_sig;
  for (size_t k = 0; k < steps_; ++k) {
    by_sig.clear();
    for (size_t i = 0; i < ib.rows(); ++i) {
      double t = ib.row(i)[k];
      if (IsAbsent(t)) continue;
      auto [it, inserted] = by_sig.emplace(info_sig[i], i);
      if (inserted) continue;
      double et = ib.row(it->second)[k];
      if (et < t) {
        it->second = i;
      } else if (et == t) {
        return Status::Execution(
            fmt::format("found duplicate series for info metric: existing {} @ {}, new {} @ {}",
                        ib.series[it->second].labels.ToString(), int64_t(et * 1000),
                        ib.series[i].labels.ToString(), int64_t(t * 1000)));
      }
    }
    for (size_t i = 0; i < b.rows(); ++i) {
      double v = b.row(i)[k];
      if (IsAbsent(v)) continue;
      SeriesMeta meta = b.series[i];
      if (!ignore[i]) {
        LabelsBuilder add;
        bool seen_any = false;
        for (const auto& name : info_names) {
          auto it = by_sig.find(sig(name, b.series[i].labels));
          if (it == by_sig.end()) continue;
          for (const auto& lv : ib.series[it->second].labels) {
            if (lv.name == kMetricName) continue;
            if (!data_no_name.empty() && !data_no_name.count(std::string(lv.name))) continue;
            std::string_view cur = add.Get(lv.name);
            if (!cur.empty() && cur != lv.value) {
              return Status::Execution(fmt::format("conflicting label: {}", lv.name));
            }
            if (b.series[i].labels.Has(lv.name)) continue;
            add.Set(lv.name, lv.value);
          }
          seen_any = true;
        }
        if (!seen_any && !all_match_empty) continue;
        LabelsBuilder lb(meta.labels);
        add.Range([&](std::string_view n, std::string_view val) { lb.Set(n, val); });
        meta.labels = lb.Build();
      }
      auto [it, inserted] = rows.emplace(meta.labels.data(), r.vec.rows());
      if (inserted) VIGIL_RETURN_IF_ERROR(r.vec.AddRow(std::move(meta)).status());
      double& dst = r.vec.row(it->second)[k];
      if (!IsAbsent(dst)) {
        return Status::Execution("vector cannot contain metrics with the same labelset");
      }
      dst = v;
    }
  }
  VIGIL_RETURN_IF_ERROR(Account(&r));
  return r;
}

}  // namespace vigil::promql
