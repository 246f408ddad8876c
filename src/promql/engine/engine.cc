#include "promql/engine/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <numeric>

#include "promql/engine/evaluator.h"
#include "promql/engine/preprocess.h"
#include "promql/parser/functions.h"

namespace vigil::promql {

struct Query::Impl {
  EngineOptions opts;
  storage::Queryable* queryable = nullptr;
  std::string qs;
  parser::ExprPtr expr;
  int64_t start = 0, end = 0, step = 0;
  bool instant = false;
  bool executed = false;
};

Query::Query(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Query::~Query() = default;

const std::string& Query::query_string() const { return impl_->qs; }
const parser::Expr& Query::expr() const { return *impl_->expr; }

namespace {

Status ValidateFeatures(const parser::Expr& root, const EngineOptions& opts) {
  if (opts.enable_at_modifier && opts.enable_negative_offset) return Status::OK();
  Status st;
  parser::Inspect(root, [&](const parser::Expr& e, const std::vector<const parser::Expr*>&) {
    if (!st.ok()) return false;
    const parser::VectorSelector* vs = nullptr;
    bool at = false;
    int64_t off = 0;
    if (e.kind() == parser::NodeKind::kVectorSelector) vs = &e.As<parser::VectorSelector>();
    if (e.kind() == parser::NodeKind::kMatrixSelector) {
      vs = e.As<parser::MatrixSelector>().vector_selector.get();
    }
    if (vs != nullptr) {
      at = vs->timestamp_ms.has_value() || vs->start_or_end != parser::AtModifier::kNone;
      off = vs->original_offset_ms;
    } else if (e.kind() == parser::NodeKind::kSubquery) {
      const auto& sq = e.As<parser::SubqueryExpr>();
      at = sq.timestamp_ms.has_value() || sq.start_or_end != parser::AtModifier::kNone;
      off = sq.original_offset_ms;
    }
    if (at && !opts.enable_at_modifier) st = Status::InvalidArgument("@ modifier is disabled");
    if (off < 0 && !opts.enable_negative_offset) {
      st = Status::InvalidArgument("negative offset is disabled");
    }
    return true;
  });
  return st;
}

// Vigil stores no native histograms (remote write drops them, the scrape path never creates
// them), so a function that only reads native histograms would silently answer nothing.
// Those functions fail instead, naming the function. histogram_quantile, histogram_fraction
// and histogram_quantiles also work on classic `le` buckets and stay available.
Status RejectNativeHistogramFunctions(const parser::Expr& root) {
  Status st;
  parser::Inspect(root, [&](const parser::Expr& e, const std::vector<const parser::Expr*>&) {
    if (!st.ok()) return false;
    if (e.kind() != parser::NodeKind::kCall) return true;
    const parser::Call& c = e.As<parser::Call>();
    if (c.func != nullptr && IsNativeHistogramFunction(c.func->name)) {
      st = Status::Execution(
          fmt::format("native histograms are not supported by Vigil: {}()", c.func->name));
    }
    return true;
  });
  return st;
}

// Sorts a matrix by labels (Prometheus' result order for range queries).
void SortMatrix(Matrix* m) {
  std::sort(m->begin(), m->end(), [](const MatrixSeries& a, const MatrixSeries& b) {
    return Labels::Compare(a.labels, b.labels) < 0;
  });
}

}  // namespace

bool IsNativeHistogramFunction(std::string_view name) {
  return name == "histogram_count" || name == "histogram_sum" || name == "histogram_avg" ||
         name == "histogram_stddev" || name == "histogram_stdvar";
}

Engine::Engine(EngineOptions opts) : opts_(std::move(opts)) {}

Result<std::unique_ptr<Query>> Engine::NewInstantQuery(storage::Queryable* queryable,
                                                       std::string_view qs, int64_t t_ms) const {
  VIGIL_ASSIGN_OR_RETURN(parser::ExprPtr expr, parser::ParseExpr(qs, opts_.parse_options));
  return NewQueryFromExpr(queryable, std::string(qs), std::move(expr), t_ms, t_ms, 0);
}

Result<std::unique_ptr<Query>> Engine::NewRangeQuery(storage::Queryable* queryable,
                                                     std::string_view qs, int64_t start_ms,
                                                     int64_t end_ms, int64_t step_ms) const {
  if (step_ms <= 0) {
    return Status::InvalidArgument(
        "zero or negative query resolution step widths are not accepted. Try a positive "
        "integer");
  }
  if (end_ms < start_ms)
    return Status::InvalidArgument("end timestamp must not be before start time");
  VIGIL_ASSIGN_OR_RETURN(parser::ExprPtr expr, parser::ParseExpr(qs, opts_.parse_options));
  return NewQueryFromExpr(queryable, std::string(qs), std::move(expr), start_ms, end_ms, step_ms);
}

Result<std::unique_ptr<Query>> Engine::NewQueryFromExpr(storage::Queryable* queryable,
                                                        std::string qs, parser::ExprPtr expr,
                                                        int64_t start_ms, int64_t end_ms,
                                                        int64_t step_ms) const {
  VIGIL_RETURN_IF_ERROR(ValidateFeatures(*expr, opts_));
  bool instant = step_ms == 0 && start_ms == end_ms;
  if (!instant) {
    ValueType t = expr->Type();
    if (t != ValueType::kVector && t != ValueType::kScalar) {
      return Status::InvalidArgument(
          fmt::format("invalid expression type \"{}\" for range query, must be Scalar or instant "
                      "Vector",
                      parser::DocumentedType(t)));
    }
  }
  VIGIL_RETURN_IF_ERROR(PreprocessExpr(&expr, start_ms, end_ms, step_ms));
  auto impl = std::make_unique<Query::Impl>();
  impl->opts = opts_;
  impl->queryable = queryable;
  impl->qs = std::move(qs);
  impl->expr = std::move(expr);
  impl->start = start_ms;
  impl->end = end_ms;
  impl->step = step_ms;
  impl->instant = instant;
  return std::unique_ptr<Query>(new Query(std::move(impl)));
}

Result<QueryResult> Query::Exec(const Context& caller_ctx) {
  Impl& q = *impl_;
  if (q.executed) return Status::Internal("query executed twice");
  q.executed = true;

  QueryState qs;
  qs.opts = &q.opts;
  int64_t deadline = caller_ctx.deadline_ns();
  if (q.opts.timeout_ms > 0) {
    int64_t d = Context::NowNs() + q.opts.timeout_ms * 1000000;
    if (deadline == 0 || d < deadline) deadline = d;
  }
  qs.ctx = Context(deadline, caller_ctx.stop_token());
  VIGIL_RETURN_IF_ERROR(qs.CheckContext("query execution"));
  VIGIL_RETURN_IF_ERROR(RejectNativeHistogramFunctions(*q.expr));

  int64_t mint, maxt;
  FindMinMaxTime(*q.expr, q.start, q.end, q.opts.lookback_delta_ms, &mint, &maxt);
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<storage::Querier> querier,
                         q.queryable->NewQuerier(mint, maxt));
  qs.querier = querier.get();

  const bool delayed = q.opts.enable_delayed_name_removal;
  QueryResult out;
  Value& v = out.value;
  if (!q.instant) {
    // Range queries run in batches of steps: every batch is an independent evaluation (PromQL
    // has no state across steps; `@ start()`/`@ end()` were resolved for the whole query and
    // subquery grids are absolute), so the memory held by a node is rows x batch, not rows x
    // all steps. Rows are appended to the result series by label set.
    v.type = ValueType::kMatrix;
    const int64_t batch = std::max<int64_t>(1, q.opts.max_steps_per_batch > 0
                                                   ? q.opts.max_steps_per_batch
                                                   : std::numeric_limits<int64_t>::max() / q.step);
    const int64_t last = q.start + ((q.end - q.start) / q.step) * q.step;
    std::unordered_map<std::string, size_t> index;
    std::vector<size_t> batch_begin;  // per series: first point of the current batch
    std::vector<int64_t> batch_of;    // per series: the batch batch_begin belongs to
    int64_t batch_no = 0;
    for (int64_t bs = q.start; bs <= last; bs += batch * q.step) {
      int64_t be = std::min(last, bs + (batch - 1) * q.step);
      Evaluator ev(&qs, bs, be, q.step);
      ev.set_range_query(q.start != q.end);
      VIGIL_ASSIGN_OR_RETURN(EvalResult r, ev.Eval(*q.expr));
      VIGIL_RETURN_IF_ERROR(qs.CheckContext("expression evaluation"));
      if (r.type == ValueType::kScalar) {
        if (v.matrix.empty()) v.matrix.emplace_back();
        for (size_t k = 0; k < r.scalar.size(); ++k) {
          v.matrix[0].points.push_back(Sample{ev.StepTime(k), r.scalar[k]});
        }
        continue;
      }
      if (r.type != ValueType::kVector) return Status::Internal("range query of a non-vector");
      VectorBlock& b = r.vec;
      ++batch_no;
      for (size_t i = 0; i < b.rows(); ++i) {
        Labels& l = b.series[i].labels;
        if (delayed && b.series[i].drop_name) l = DropMetricName(l);
        auto [it, inserted] = index.emplace(l.data(), v.matrix.size());
        if (inserted) {
          v.matrix.push_back(MatrixSeries{l, {}});
          batch_begin.push_back(0);
          batch_of.push_back(0);
        }
        const size_t si = it->second;
        auto& pts = v.matrix[si].points;
        if (batch_of[si] != batch_no) {
          batch_of[si] = batch_no;
          batch_begin[si] = pts.size();
        }
        const size_t before = pts.size();
        const double* row = b.row(i);
        for (size_t k = 0; k < b.steps; ++k) {
          if (!IsAbsent(row[k])) pts.push_back(Sample{ev.StepTime(k), row[k]});
        }
        // Rows that became equal after dropping names: merge their points within this batch
        // and refuse overlaps.
        if (before > batch_begin[si] && pts.size() > before) {
          auto first = pts.begin() + long(batch_begin[si]);
          std::inplace_merge(first, pts.begin() + long(before), pts.end(),
                             [](const Sample& a, const Sample& c) { return a.t < c.t; });
          for (auto p = first + 1; p < pts.end(); ++p) {
            if (p->t == (p - 1)->t) {
              return Status::Execution("vector cannot contain metrics with the same labelset");
            }
          }
        }
      }
    }
    std::vector<MatrixSeries> kept;
    kept.reserve(v.matrix.size());
    for (auto& ms : v.matrix) {
      if (!ms.points.empty()) kept.push_back(std::move(ms));
    }
    v.matrix = std::move(kept);
    SortMatrix(&v.matrix);
  } else {
    Evaluator ev(&qs, q.start, q.end, 0);
    VIGIL_ASSIGN_OR_RETURN(EvalResult r, ev.Eval(*q.expr));
    VIGIL_RETURN_IF_ERROR(qs.CheckContext("expression evaluation"));
    switch (r.type) {
      case ValueType::kString:
        v.type = ValueType::kString;
        v.str = std::move(r.str);
        v.t = q.start;
        break;
      case ValueType::kScalar:
        v.type = ValueType::kScalar;
        v.scalar = r.scalar.empty() ? 0 : r.scalar[0];
        v.t = q.start;
        break;
      case ValueType::kVector: {
        VectorBlock& b = r.vec;
        v.type = ValueType::kVector;
        for (size_t i = 0; i < b.rows(); ++i) {
          double x = b.row(i)[0];
          if (IsAbsent(x)) continue;
          Labels l = delayed && b.series[i].drop_name ? DropMetricName(b.series[i].labels)
                                                      : std::move(b.series[i].labels);
          v.vector.push_back(VectorElement{std::move(l), q.start, x});
        }
        if (delayed && v.vector.size() > 1) {
          std::vector<const Labels*> ls;
          for (const auto& e : v.vector) ls.push_back(&e.labels);
          std::sort(ls.begin(), ls.end(),
                    [](const Labels* a, const Labels* b) { return a->data() < b->data(); });
          for (size_t i = 1; i < ls.size(); ++i) {
            if (*ls[i] == *ls[i - 1]) {
              return Status::Execution("vector cannot contain metrics with the same labelset");
            }
          }
        }
        break;
      }
      case ValueType::kMatrix: {
        v.type = ValueType::kMatrix;
        MatrixBlock& mb = r.matrix;
        std::unordered_map<std::string, size_t> index;
        for (size_t i = 0; i < mb.series.size(); ++i) {
          Labels l = mb.series[i].labels;
          if (delayed && mb.series[i].drop_name) l = DropMetricName(l);
          auto [it, inserted] = index.emplace(l.data(), v.matrix.size());
          if (inserted) {
            v.matrix.push_back(MatrixSeries{std::move(l), std::move(mb.points[i])});
            continue;
          }
          auto& pts = v.matrix[it->second].points;
          pts.insert(pts.end(), mb.points[i].begin(), mb.points[i].end());
          std::sort(pts.begin(), pts.end(),
                    [](const Sample& a, const Sample& b) { return a.t < b.t; });
          for (size_t k = 1; k < pts.size(); ++k) {
            if (pts[k].t == pts[k - 1].t) {
              return Status::Execution("vector cannot contain metrics with the same labelset");
            }
          }
        }
        SortMatrix(&v.matrix);
        break;
      }
      case ValueType::kNone:
        return Status::Internal("expression evaluated to no value");
    }
  }
  out.annotations = std::move(qs.annos);
  out.peak_samples = qs.peak_samples;
  out.samples_read = qs.samples_read;
  return out;
}

}  // namespace vigil::promql
