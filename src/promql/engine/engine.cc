#include "promql/engine/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "promql/engine/evaluator.h"
#include "promql/engine/preprocess.h"

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

// Sorts a matrix by labels (Prometheus' result order for range queries).
void SortMatrix(Matrix* m) {
  std::sort(m->begin(), m->end(), [](const MatrixSeries& a, const MatrixSeries& b) {
    return Labels::Compare(a.labels, b.labels) < 0;
  });
}

}  // namespace

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

  int64_t mint, maxt;
  FindMinMaxTime(*q.expr, q.start, q.end, q.opts.lookback_delta_ms, &mint, &maxt);
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<storage::Querier> querier,
                         q.queryable->NewQuerier(mint, maxt));
  qs.querier = querier.get();

  Evaluator ev(&qs, q.start, q.end, q.instant ? 0 : q.step);
  VIGIL_ASSIGN_OR_RETURN(EvalResult r, ev.Eval(*q.expr));
  VIGIL_RETURN_IF_ERROR(qs.CheckContext("expression evaluation"));

  const bool delayed = q.opts.enable_delayed_name_removal;
  QueryResult out;
  Value& v = out.value;
  switch (r.type) {
    case ValueType::kString:
      v.type = ValueType::kString;
      v.str = std::move(r.str);
      v.t = q.start;
      break;
    case ValueType::kScalar:
      if (q.instant) {
        v.type = ValueType::kScalar;
        v.scalar = r.scalar.empty() ? 0 : r.scalar[0];
        v.t = q.start;
      } else {
        v.type = ValueType::kMatrix;
        MatrixSeries s;
        for (size_t k = 0; k < r.scalar.size(); ++k) {
          s.points.push_back(Sample{ev.StepTime(k), r.scalar[k]});
        }
        v.matrix.push_back(std::move(s));
      }
      break;
    case ValueType::kVector: {
      VectorBlock& b = r.vec;
      if (delayed) {
        for (auto& m : b.series) {
          if (m.drop_name) m.labels = DropMetricName(m.labels);
        }
      }
      if (q.instant) {
        v.type = ValueType::kVector;
        for (size_t i = 0; i < b.rows(); ++i) {
          double x = b.row(i)[0];
          if (IsAbsent(x)) continue;
          v.vector.push_back(VectorElement{b.series[i].labels, q.start, x});
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
      } else {
        // Merge rows that became equal after dropping names (error on overlapping points).
        std::unordered_map<std::string_view, size_t> first;
        v.type = ValueType::kMatrix;
        std::vector<size_t> owner(b.rows());
        for (size_t i = 0; i < b.rows(); ++i) {
          auto [it, inserted] = first.emplace(b.series[i].labels.data(), i);
          owner[i] = it->second;
          if (inserted) continue;
          double* dst = b.row(it->second);
          const double* src = b.row(i);
          for (size_t k = 0; k < b.steps; ++k) {
            if (IsAbsent(src[k])) continue;
            if (!IsAbsent(dst[k])) {
              return Status::Execution("vector cannot contain metrics with the same labelset");
            }
            dst[k] = src[k];
          }
        }
        for (size_t i = 0; i < b.rows(); ++i) {
          if (owner[i] != i) continue;
          MatrixSeries s;
          s.labels = b.series[i].labels;
          const double* row = b.row(i);
          for (size_t k = 0; k < b.steps; ++k) {
            if (!IsAbsent(row[k])) s.points.push_back(Sample{ev.StepTime(k), row[k]});
          }
          if (!s.points.empty()) v.matrix.push_back(std::move(s));
        }
        SortMatrix(&v.matrix);
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
  out.annotations = std::move(qs.annos);
  out.peak_samples = qs.peak_samples;
  out.samples_read = qs.samples_read;
  return out;
}

}  // namespace vigil::promql
