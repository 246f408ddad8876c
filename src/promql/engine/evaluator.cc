#include "promql/engine/evaluator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/coding.h"
#include "model/value.h"
#include "promql/parser/duration.h"
#include "promql/parser/functions.h"

namespace vigil::promql {

using parser::NodeKind;

Status TooManySamplesError() {
  return Status::ResourceExhausted(
      "query processing would load too many samples into memory in query execution");
}

Status QueryState::CheckContext(std::string_view env) const {
  Status st = ctx.Err();
  if (st.ok()) return st;
  if (st.code() == StatusCode::kCancelled) {
    return Status::Cancelled(fmt::format("query was canceled in {}", env));
  }
  return Status::DeadlineExceeded(fmt::format("query timed out in {}", env));
}

Status QueryState::Acquire(int64_t n) {
  current_samples += n;
  if (current_samples > peak_samples) peak_samples = current_samples;
  if (opts->max_samples > 0 && current_samples > opts->max_samples) return TooManySamplesError();
  return Status::OK();
}

void SampleLease::Reset() {
  if (qs_ != nullptr) qs_->Release(n_);
  qs_ = nullptr;
  n_ = 0;
}

Status SampleLease::Acquire(QueryState* qs, int64_t n) {
  Reset();
  qs_ = qs;
  n_ = n;
  return qs->Acquire(n);
}

Status Evaluator::Account(EvalResult* r) {
  int64_t n = 0;
  switch (r->type) {
    case ValueType::kVector:
      n = r->vec.CountPoints();
      break;
    case ValueType::kScalar:
      n = int64_t(r->scalar.size());
      break;
    case ValueType::kMatrix:
      for (const auto& p : r->matrix.points) n += int64_t(p.size());
      break;
    default:
      break;
  }
  return r->lease.Acquire(qs_, n);
}

Result<size_t> VectorBlock::AddRow(SeriesMeta meta) {
  if (max_points > 0 && int64_t((series.size() + 1) * steps) > max_points) {
    return TooManySamplesError();
  }
  series.push_back(std::move(meta));
  values.resize(series.size() * steps, AbsentValue());
  return series.size() - 1;
}

int64_t VectorBlock::CountPoints() const {
  int64_t n = 0;
  for (double v : values) n += !IsAbsent(v);
  return n;
}

Labels DropMetricName(const Labels& l) {
  bool has = false;
  for (const auto& lv : l) {
    if (lv.name == kMetricName || lv.name == "__type__" || lv.name == "__unit__") {
      has = true;
      break;
    }
  }
  if (!has) return l;
  std::string out;
  out.reserve(l.data().size());
  for (const auto& lv : l) {
    if (lv.name == kMetricName || lv.name == "__type__" || lv.name == "__unit__") continue;
    PutUvarint(&out, lv.name.size());
    out.append(lv.name);
    PutUvarint(&out, lv.value.size());
    out.append(lv.value);
  }
  return Labels::FromEncoded(std::move(out));
}

namespace {

void AppendKey(std::string* key, std::string_view n, std::string_view v) {
  PutUvarint(key, n.size());
  key->append(n);
  PutUvarint(key, v.size());
  key->append(v);
}

}  // namespace

std::string LabelsKeyWith(const Labels& l, const std::vector<std::string>& names) {
  std::string key;
  for (const auto& lv : l) {
    if (std::find(names.begin(), names.end(), lv.name) != names.end()) {
      AppendKey(&key, lv.name, lv.value);
    }
  }
  return key;
}

std::string LabelsKeyWithout(const Labels& l, const std::vector<std::string>& names,
                             bool drop_name) {
  std::string key;
  for (const auto& lv : l) {
    if (drop_name && lv.name == kMetricName) continue;
    if (std::find(names.begin(), names.end(), lv.name) != names.end()) continue;
    AppendKey(&key, lv.name, lv.value);
  }
  return key;
}

namespace {

// Appends the samples of `it` with mint <= t <= maxt to ts/vs, decoding in batches. Staleness
// markers are kept unless `drop_stale`; a value with the engine's absent bit pattern becomes a
// normal NaN.
Status ReadSamples(storage::SampleIterator* it, int64_t mint, int64_t maxt, bool drop_stale,
                   std::vector<int64_t>* ts, std::vector<double>* vs) {
  constexpr size_t kBatch = 128;
  int64_t bt[kBatch];
  double bv[kBatch];
  if (!it->Seek(mint)) return it->Err();
  bt[0] = it->AtT();
  bv[0] = it->AtV();
  size_t n = 1;
  bool more = true;
  while (true) {
    size_t old = ts->size();
    ts->resize(old + n);
    vs->resize(old + n);
    int64_t* ot = ts->data() + old;
    double* ov = vs->data() + old;
    size_t w = 0;
    bool past = false;
    for (size_t i = 0; i < n; ++i) {
      if (bt[i] > maxt) {
        past = true;
        break;
      }
      double v = bv[i];
      if (drop_stale && IsStaleNaN(v)) continue;
      ot[w] = bt[i];
      ov[w] = IsAbsent(v) ? std::nan("") : v;
      ++w;
    }
    ts->resize(old + w);
    vs->resize(old + w);
    if (past || !more) break;
    n = it->NextBatch(bt, bv, kBatch);
    more = n == kBatch;
    if (n == 0) break;
  }
  return it->Err();
}

}  // namespace

Evaluator::Evaluator(QueryState* qs, int64_t start, int64_t end, int64_t interval)
    : qs_(qs),
      opts_(qs->opts),
      start_(start),
      end_(end),
      interval_(interval),
      hint_step_(interval) {
  if (interval_ <= 0) interval_ = 1;
  is_range_ = start_ != end_;
  steps_ = end_ < start_ ? 0 : size_t((end_ - start_) / interval_) + 1;
}

void Evaluator::FillHints(storage::SelectHints* h) const {
  h->step = hint_step_;
  h->func = std::string(hint_.func);
  if (hint_.parent_agg != nullptr) {
    h->by = !hint_.parent_agg->without;
    h->grouping = hint_.parent_agg->grouping;
  }
}

void Evaluator::DropName(SeriesMeta* m) const {
  if (opts_->enable_delayed_name_removal) {
    m->drop_name = true;
  } else {
    m->labels = DropMetricName(m->labels);
  }
}

void Evaluator::CompactRows(VectorBlock* b) {
  size_t out = 0;
  for (size_t i = 0; i < b->rows(); ++i) {
    const double* r = b->row(i);
    bool any = false;
    for (size_t k = 0; k < b->steps; ++k) {
      if (!IsAbsent(r[k])) {
        any = true;
        break;
      }
    }
    if (!any) continue;
    if (out != i) {
      b->series[out] = std::move(b->series[i]);
      std::copy(r, r + b->steps, b->row(out));
    }
    ++out;
  }
  b->series.resize(out);
  b->values.resize(out * b->steps);
}

Status Evaluator::MergeDuplicateRows(VectorBlock* b, bool error_on_any) {
  if (b->rows() <= 1) return Status::OK();
  std::unordered_map<std::string_view, size_t> first;
  first.reserve(b->rows() * 2);
  std::vector<bool> removed(b->rows(), false);
  bool any_removed = false;
  for (size_t i = 0; i < b->rows(); ++i) {
    auto [it, inserted] = first.emplace(b->series[i].labels.data(), i);
    if (inserted) continue;
    if (error_on_any) {
      return Status::Execution("vector cannot contain metrics with the same labelset");
    }
    double* dst = b->row(it->second);
    const double* src = b->row(i);
    for (size_t k = 0; k < b->steps; ++k) {
      if (IsAbsent(src[k])) continue;
      if (!IsAbsent(dst[k])) {
        return Status::Execution("vector cannot contain metrics with the same labelset");
      }
      dst[k] = src[k];
    }
    removed[i] = true;
    any_removed = true;
  }
  if (!any_removed) return Status::OK();
  size_t out = 0;
  for (size_t i = 0; i < b->rows(); ++i) {
    if (removed[i]) continue;
    if (out != i) {
      b->series[out] = std::move(b->series[i]);
      std::copy(b->row(i), b->row(i) + b->steps, b->row(out));
    }
    ++out;
  }
  b->series.resize(out);
  b->values.resize(out * b->steps);
  return Status::OK();
}

Result<std::vector<double>> Evaluator::EvalScalarArg(const parser::Expr& e) {
  VIGIL_ASSIGN_OR_RETURN(EvalResult r, Eval(e));
  if (r.type != ValueType::kScalar) {
    return Status::Internal("expected a scalar argument");
  }
  return std::move(r.scalar);
}

Result<EvalResult> Evaluator::Eval(const parser::Expr& e) {
  VIGIL_RETURN_IF_ERROR(qs_->CheckContext("expression evaluation"));
  EvalResult r;
  if (steps_ == 0) {
    r.type = e.Type();
    return r;
  }
  if (int64_t(steps_) > qs_->PointLimit()) return TooManySamplesError();
  // The hint context of this node's children (restored when this node is done).
  struct Restore {
    Evaluator* ev;
    HintContext saved;
    ~Restore() { ev->hint_ = saved; }
  } restore{this, hint_};
  switch (e.kind()) {
    case NodeKind::kCall:
      hint_.func = e.As<parser::Call>().func->name;
      hint_.parent_agg = nullptr;
      break;
    case NodeKind::kAggregate:
      hint_.func = parser::AggregateOpString(e.As<parser::AggregateExpr>().op);
      hint_.parent_agg = &e.As<parser::AggregateExpr>();
      break;
    case NodeKind::kBinary:
      hint_.func = {};
      hint_.parent_agg = nullptr;
      break;
    case NodeKind::kVectorSelector:
      break;
    default:
      hint_.parent_agg = nullptr;
      break;
  }
  switch (e.kind()) {
    case NodeKind::kNumberLiteral:
      r.type = ValueType::kScalar;
      r.scalar.assign(steps_, e.As<parser::NumberLiteral>().val);
      return r;
    case NodeKind::kStringLiteral:
      r.type = ValueType::kString;
      r.str = e.As<parser::StringLiteral>().val;
      return r;
    case NodeKind::kDuration: {
      VIGIL_ASSIGN_OR_RETURN(double secs, parser::EvalDuration(e, interval_, end_ - start_));
      r.type = ValueType::kScalar;
      r.scalar.assign(steps_, secs);
      return r;
    }
    case NodeKind::kParen:
      return Eval(*e.As<parser::ParenExpr>().expr);
    case NodeKind::kUnary:
      return EvalUnary(e.As<parser::UnaryExpr>());
    case NodeKind::kStepInvariant:
      return EvalStepInvariant(e.As<parser::StepInvariantExpr>());
    case NodeKind::kVectorSelector:
      return EvalVectorSelector(e.As<parser::VectorSelector>(), false);
    case NodeKind::kMatrixSelector:
      return EvalMatrixSelectorAsMatrix(e.As<parser::MatrixSelector>());
    case NodeKind::kSubquery:
      return EvalSubqueryAsMatrix(e.As<parser::SubqueryExpr>());
    case NodeKind::kCall:
      return EvalCall(e.As<parser::Call>());
    case NodeKind::kAggregate:
      return EvalAggregate(e.As<parser::AggregateExpr>());
    case NodeKind::kBinary:
      return EvalBinary(e.As<parser::BinaryExpr>());
  }
  return Status::Internal("unhandled expression node");
}

Status Evaluator::EvalRows(const parser::Expr& e, const RowSink& sink) {
  const parser::Expr* p = &e;
  while (p->kind() == NodeKind::kParen) p = p->As<parser::ParenExpr>().expr.get();
  if (steps_ > 0 && p->kind() == NodeKind::kVectorSelector) {
    return EvalVectorSelector(p->As<parser::VectorSelector>(), false, &sink).status();
  }
  if (steps_ > 0 && p->kind() == NodeKind::kCall) {
    const auto& c = p->As<parser::Call>();
    RangeFunc f;
    if (LookupRangeFunc(c.func->name, &f) && f != RangeFunc::kAbsentOverTime) {
      for (size_t i = 0; i < c.args.size(); ++i) {
        NodeKind k = c.args[i]->kind();
        if (k == NodeKind::kMatrixSelector || k == NodeKind::kSubquery) {
          HintContext saved = hint_;
          hint_ = HintContext{c.func->name, nullptr};
          Status st = EvalRangeFunction(c, i, &sink).status();
          hint_ = saved;
          return st;
        }
      }
    }
  }
  VIGIL_ASSIGN_OR_RETURN(EvalResult r, Eval(e));
  if (r.type != ValueType::kVector) return Status::Internal("EvalRows on a non-vector");
  for (size_t i = 0; i < r.vec.rows(); ++i) {
    VIGIL_RETURN_IF_ERROR(sink(std::move(r.vec.series[i]), r.vec.row(i)));
  }
  return Status::OK();
}

Result<EvalResult> Evaluator::EvalUnary(const parser::UnaryExpr& e) {
  VIGIL_ASSIGN_OR_RETURN(EvalResult r, Eval(*e.expr));
  if (e.op != parser::UnaryExpr::Op::kSub) return r;
  if (r.type == ValueType::kScalar) {
    for (double& v : r.scalar) v = -v;
    return r;
  }
  if (r.type != ValueType::kVector) return Status::Internal("unary minus on a non-vector");
  for (double& v : r.vec.values) {
    if (!IsAbsent(v)) v = -v;
  }
  for (auto& m : r.vec.series) DropName(&m);
  if (!opts_->enable_delayed_name_removal) VIGIL_RETURN_IF_ERROR(MergeDuplicateRows(&r.vec));
  return r;
}

Result<EvalResult> Evaluator::EvalStepInvariant(const parser::StepInvariantExpr& e) {
  const parser::Expr& inner = *e.expr;
  if (steps_ == 1) return Eval(inner);
  Evaluator child(qs_, start_, start_, interval_);
  child.hint_ = hint_;
  child.hint_step_ = hint_step_;
  VIGIL_ASSIGN_OR_RETURN(EvalResult r, child.Eval(inner));
  if (inner.kind() == NodeKind::kMatrixSelector || inner.kind() == NodeKind::kSubquery) return r;
  switch (r.type) {
    case ValueType::kScalar:
      r.scalar.assign(steps_, r.scalar.empty() ? std::nan("") : r.scalar[0]);
      return r;
    case ValueType::kVector: {
      VectorBlock out;
      out.steps = steps_;
      if (int64_t(r.vec.series.size() * steps_) > qs_->PointLimit()) return TooManySamplesError();
      out.series = std::move(r.vec.series);
      out.values.resize(out.series.size() * steps_);
      for (size_t i = 0; i < out.series.size(); ++i) {
        double v = r.vec.values[i];
        std::fill(out.row(i), out.row(i) + steps_, v);
      }
      r.vec = std::move(out);
      VIGIL_RETURN_IF_ERROR(Account(&r));
      return r;
    }
    default:
      return r;
  }
}

Result<EvalResult> Evaluator::EvalVectorSelector(const parser::VectorSelector& vs,
                                                 bool want_timestamps, const RowSink* sink) {
  const int64_t lookback = opts_->lookback_delta_ms;
  const int64_t offset = vs.original_offset_ms;
  const bool at = vs.timestamp_ms.has_value();
  auto ref = [&](size_t k) { return (at ? *vs.timestamp_ms : StepTime(k)) - offset; };
  const int64_t ref_min = ref(0), ref_max = ref(steps_ - 1);

  storage::SelectHints hints;
  hints.start = ref_min - lookback + 1;
  hints.end = ref_max;
  if (vs.smoothed) {
    hints.start = ref_min - lookback;
    hints.end = ref_max + lookback;
  }
  FillHints(&hints);

  EvalResult r;
  r.type = ValueType::kVector;
  r.vec = NewBlock();
  auto set = qs_->querier->Select(qs_->ctx, false, &hints, vs.matchers);
  std::vector<int64_t> ts;
  std::vector<double> vals;
  std::vector<double> row_buf(sink != nullptr ? steps_ : 0);
  while (set->Next()) {
    VIGIL_RETURN_IF_ERROR(qs_->CheckContext("expression evaluation"));
    const storage::Series& s = set->At();
    double* row;
    if (sink != nullptr) {
      std::fill(row_buf.begin(), row_buf.end(), AbsentValue());
      row = row_buf.data();
    } else {
      VIGIL_ASSIGN_OR_RETURN(size_t row_idx, r.vec.AddRow(SeriesMeta{s.labels(), false}));
      row = r.vec.row(row_idx);
    }
    auto it = s.Iterator();
    size_t present = 0;
    ts.clear();
    vals.clear();
    VIGIL_RETURN_IF_ERROR(ReadSamples(it.get(), hints.start, hints.end, vs.smoothed, &ts, &vals));
    qs_->samples_read += int64_t(ts.size());
    const size_t n = ts.size();
    if (vs.smoothed) {
      // Prometheus' smoothSeries: interpolate between the samples around each step.
      size_t lo = 0, hi = 0;
      for (size_t k = 0; k < steps_; ++k) {
        int64_t data_t = ref(k);
        while (hi < n && ts[hi] <= data_t + lookback) ++hi;
        while (lo < hi && ts[lo] <= data_t - lookback) ++lo;
        if (lo == hi) continue;
        size_t i = size_t(std::lower_bound(ts.begin() + lo, ts.begin() + hi, data_t) - ts.begin());
        double v;
        if (i < hi && ts[i] == data_t) {
          v = vals[i];
        } else if (i > lo && i < hi) {
          double y1 = vals[i - 1], y2 = vals[i];
          v = y1 + (y2 - y1) * double(data_t - ts[i - 1]) / double(ts[i] - ts[i - 1]);
        } else if (i > lo) {
          v = vals[i - 1];
        } else {
          continue;
        }
        row[k] = v;
        ++present;
      }
    } else {
      // The newest sample in (ref - lookback, ref]; a staleness marker hides the series.
      size_t j = 0;
      for (size_t k = 0; k < steps_; ++k) {
        const int64_t rt = ref(k);
        while (j < n && ts[j] <= rt) ++j;
        if (j == 0) continue;
        const size_t p = j - 1;
        if (ts[p] <= rt - lookback || IsStaleNaN(vals[p])) continue;
        row[k] = want_timestamps ? double(ts[p]) / 1000 : vals[p];
        ++present;
      }
    }
    if (sink != nullptr) {
      if (present > 0) VIGIL_RETURN_IF_ERROR((*sink)(SeriesMeta{s.labels(), false}, row));
    } else if (present == 0) {
      r.vec.series.pop_back();
      r.vec.values.resize(r.vec.series.size() * steps_);
    }
  }
  VIGIL_RETURN_IF_ERROR(set->Err());
  for (const auto& w : set->Warnings()) {
    Annotation a;
    a.kind = AnnotationKind::kWarning;
    a.text = w;
    a.pos = vs.pos;
    qs_->annos.Add(std::move(a));
  }
  VIGIL_RETURN_IF_ERROR(Account(&r));
  return r;
}

Status Evaluator::ForEachRangeSeries(const parser::Expr& arg, int64_t extra_before,
                                     int64_t extra_after, const RangeSeriesFn& fn) {
  std::vector<int64_t> ts;
  std::vector<double> vs;
  if (arg.kind() == NodeKind::kMatrixSelector) {
    const auto& ms = arg.As<parser::MatrixSelector>();
    const auto& sel = *ms.vector_selector;
    const bool at = sel.timestamp_ms.has_value();
    const int64_t offset = sel.original_offset_ms;
    int64_t ref_min = (at ? *sel.timestamp_ms : StepTime(0)) - offset;
    int64_t ref_max = (at ? *sel.timestamp_ms : StepTime(steps_ - 1)) - offset;
    int64_t mint = ref_min - ms.range_ms - extra_before;  // exclusive
    int64_t maxt = ref_max + extra_after;                 // inclusive
    storage::SelectHints hints;
    hints.start = mint + 1;
    hints.end = maxt;
    FillHints(&hints);
    hints.range = ms.range_ms;
    auto set = qs_->querier->Select(qs_->ctx, false, &hints, sel.matchers);
    while (set->Next()) {
      VIGIL_RETURN_IF_ERROR(qs_->CheckContext("expression evaluation"));
      const storage::Series& s = set->At();
      auto it = s.Iterator();
      ts.clear();
      vs.clear();
      VIGIL_RETURN_IF_ERROR(ReadSamples(it.get(), mint + 1, maxt, /*drop_stale=*/true, &ts, &vs));
      qs_->samples_read += int64_t(ts.size());
      if (ts.empty()) continue;
      SeriesMeta meta{s.labels(), false};
      VIGIL_RETURN_IF_ERROR(fn(meta, ts, vs));
    }
    VIGIL_RETURN_IF_ERROR(set->Err());
    for (const auto& w : set->Warnings()) {
      Annotation a;
      a.kind = AnnotationKind::kWarning;
      a.text = w;
      a.pos = sel.pos;
      qs_->annos.Add(std::move(a));
    }
    return Status::OK();
  }
  if (arg.kind() == NodeKind::kSubquery) {
    const auto& sq = arg.As<parser::SubqueryExpr>();
    int64_t ref_min, ref_max;
    VIGIL_ASSIGN_OR_RETURN(EvalResult inner, RunSubquery(sq, &ref_min, &ref_max));
    if (inner.type == ValueType::kScalar) {
      // A scalar subquery yields one series without labels.
      inner.type = ValueType::kVector;
      inner.vec.steps = inner.scalar.size();
      inner.vec.series.push_back(SeriesMeta{});
      inner.vec.values = std::move(inner.scalar);
    }
    if (inner.type != ValueType::kVector) return Status::Internal("subquery of a non-vector");
    // The inner evaluator's grid.
    int64_t step = sq.step_ms > 0 ? sq.step_ms : opts_->default_subquery_step_ms;
    int64_t sub_start = step * ((ref_min - sq.range_ms) / step);
    if (sub_start <= ref_min - sq.range_ms) sub_start += step;
    for (size_t i = 0; i < inner.vec.rows(); ++i) {
      const double* row = inner.vec.row(i);
      ts.clear();
      vs.clear();
      for (size_t k = 0; k < inner.vec.steps; ++k) {
        if (IsAbsent(row[k])) continue;
        ts.push_back(sub_start + int64_t(k) * step);
        vs.push_back(row[k]);
      }
      if (ts.empty()) continue;
      VIGIL_RETURN_IF_ERROR(fn(inner.vec.series[i], ts, vs));
    }
    return Status::OK();
  }
  return Status::Internal("range function argument is not a range vector");
}

Result<EvalResult> Evaluator::RunSubquery(const parser::SubqueryExpr& sq, int64_t* ref_min,
                                          int64_t* ref_max) {
  const bool at = sq.timestamp_ms.has_value();
  const int64_t offset = sq.original_offset_ms;
  int64_t parent_end = start_ + ((end_ - start_) / interval_) * interval_;
  *ref_min = (at ? *sq.timestamp_ms : start_) - offset;
  *ref_max = (at ? *sq.timestamp_ms : parent_end) - offset;
  int64_t step = sq.step_ms > 0 ? sq.step_ms : opts_->default_subquery_step_ms;
  int64_t sub_start = step * ((*ref_min - sq.range_ms) / step);
  if (sub_start <= *ref_min - sq.range_ms) sub_start += step;
  Evaluator child(qs_, sub_start, *ref_max, step);
  child.hint_ = hint_;
  child.hint_.parent_agg = nullptr;
  return child.Eval(*sq.expr);
}

Result<EvalResult> Evaluator::EvalSubqueryAsMatrix(const parser::SubqueryExpr& sq) {
  EvalResult r;
  r.type = ValueType::kMatrix;
  VIGIL_RETURN_IF_ERROR(
      ForEachRangeSeries(sq, 0, 0,
                         [&](const SeriesMeta& meta, const std::vector<int64_t>& ts,
                             const std::vector<double>& vs) -> Status {
                           r.matrix.series.push_back(meta);
                           std::vector<Sample> pts(ts.size());
                           for (size_t i = 0; i < ts.size(); ++i) pts[i] = Sample{ts[i], vs[i]};
                           r.matrix.points.push_back(std::move(pts));
                           return Status::OK();
                         }));
  return r;
}

Result<EvalResult> Evaluator::EvalMatrixSelectorAsMatrix(const parser::MatrixSelector& ms) {
  EvalResult r;
  r.type = ValueType::kMatrix;
  const auto& sel = *ms.vector_selector;
  const int64_t lookback = opts_->lookback_delta_ms;
  int64_t extra_before = (sel.anchored || sel.smoothed) ? lookback : 0;
  int64_t extra_after = sel.smoothed ? lookback : 0;
  const int64_t ref = (sel.timestamp_ms ? *sel.timestamp_ms : start_) - sel.original_offset_ms;
  const int64_t mint = ref - ms.range_ms;
  const int64_t maxt = ref;
  VIGIL_RETURN_IF_ERROR(ForEachRangeSeries(
      ms, extra_before, extra_after,
      [&](const SeriesMeta& meta, const std::vector<int64_t>& ts,
          const std::vector<double>& vs) -> Status {
        std::vector<Sample> pts;
        if (sel.anchored || sel.smoothed) {
          // Prometheus' extendFloats: add interpolated or carried points at both edges.
          size_t n = ts.size();
          size_t last = n - 1;
          size_t s = 0;
          while (s < last && !(ts[s] > mint)) ++s;
          size_t first = s == 0 ? 0 : s - 1;
          if (sel.smoothed) {
            size_t l = 0;
            while (l < last && !(ts[l] >= maxt)) ++l;
            last = l;
          }
          if (ts[last] <= mint) return Status::OK();
          double left = vs[first];
          if (sel.smoothed && ts[first] < mint) {
            left = vs[first] + (vs[first + 1] - vs[first]) * double(mint - ts[first]) /
                                   double(ts[first + 1] - ts[first]);
          }
          double right = vs[last];
          if (sel.smoothed && last > 0 && ts[last] > maxt) {
            right = vs[last - 1] + (vs[last] - vs[last - 1]) * double(maxt - ts[last - 1]) /
                                       double(ts[last] - ts[last - 1]);
          }
          int64_t f = int64_t(first), l = int64_t(last);
          if (ts[size_t(f)] <= mint) ++f;
          if (ts[size_t(l)] >= maxt) --l;
          pts.push_back(Sample{mint, left});
          for (int64_t i = f; i <= l; ++i) pts.push_back(Sample{ts[size_t(i)], vs[size_t(i)]});
          pts.push_back(Sample{maxt, right});
        } else {
          for (size_t i = 0; i < ts.size(); ++i) {
            if (ts[i] > mint && ts[i] <= maxt) pts.push_back(Sample{ts[i], vs[i]});
          }
        }
        if (pts.empty()) return Status::OK();
        r.matrix.series.push_back(meta);
        r.matrix.points.push_back(std::move(pts));
        return Status::OK();
      }));
  return r;
}

}  // namespace vigil::promql
