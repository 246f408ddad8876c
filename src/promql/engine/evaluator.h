// Internal to the engine: the evaluator and its column-block values.
//
// An Evaluator evaluates expression nodes over a fixed grid of steps (start, start+interval,
// ..., end). The value of an instant-vector node is a VectorBlock: one row of `steps` doubles
// per output series, row-major, where an absent point is the reserved NaN kAbsentBits. Rows
// are created once per node (label work is per series, not per step); the per-step loops run
// over contiguous doubles. Scalars are one row without labels. A range-vector node (matrix
// selector, subquery) is only materialised as a MatrixBlock where it is the query's result;
// as a function argument it is consumed series by series by the range-function loop.
//
// Subqueries and step-invariant sub-trees run in child Evaluators with their own grids.
// Everything here is single-threaded and owned by one Query::Exec call.
#pragma once

#include <bit>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/context.h"
#include "base/result.h"
#include "model/labels.h"
#include "promql/engine/annotations.h"
#include "promql/engine/engine.h"
#include "promql/engine/kernels.h"
#include "promql/parser/ast.h"
#include "storage/interface.h"

namespace vigil::promql {

// The marker of "no value at this step" inside a row. A signalling NaN with a payload no
// arithmetic produces (hardware quiets NaNs); storage values with this exact pattern are
// rewritten to a normal NaN when read.
inline constexpr uint64_t kAbsentBits = 0x7ff00000000ab5e7ull;
inline double AbsentValue() { return std::bit_cast<double>(kAbsentBits); }
inline bool IsAbsent(double v) { return std::bit_cast<uint64_t>(v) == kAbsentBits; }

struct SeriesMeta {
  Labels labels;
  // Delayed name removal: __name__ (and __type__, __unit__) are dropped at the end.
  bool drop_name = false;
};

struct VectorBlock {
  size_t steps = 0;
  // Upper bound on series.size() * steps (0 = none); AddRow refuses to grow past it.
  int64_t max_points = 0;
  std::vector<SeriesMeta> series;
  std::vector<double> values;  // series.size() * steps

  size_t rows() const { return series.size(); }
  double* row(size_t i) { return values.data() + i * steps; }
  const double* row(size_t i) const { return values.data() + i * steps; }
  // Appends a row of absent points; returns its index. Error: ResourceExhausted (the query's
  // sample limit) past max_points.
  Result<size_t> AddRow(SeriesMeta meta);
  // Number of present points.
  int64_t CountPoints() const;
};

struct MatrixBlock {
  std::vector<SeriesMeta> series;
  std::vector<std::vector<Sample>> points;
};

struct QueryState;

// Holds `n` points of the query's max_samples budget until destroyed (move-only).
class SampleLease {
 public:
  SampleLease() = default;
  SampleLease(SampleLease&& o) noexcept : qs_(o.qs_), n_(o.n_) {
    o.qs_ = nullptr;
    o.n_ = 0;
  }
  SampleLease& operator=(SampleLease&& o) noexcept {
    if (this != &o) {
      Reset();
      qs_ = o.qs_;
      n_ = o.n_;
      o.qs_ = nullptr;
      o.n_ = 0;
    }
    return *this;
  }
  ~SampleLease() { Reset(); }
  void Reset();
  // Replaces the lease by one of `n` points. Error: ResourceExhausted past the budget.
  Status Acquire(QueryState* qs, int64_t n);

 private:
  QueryState* qs_ = nullptr;
  int64_t n_ = 0;
};

struct EvalResult {
  ValueType type = ValueType::kNone;
  SampleLease lease;
  VectorBlock vec;             // kVector
  std::vector<double> scalar;  // kScalar: one value per step
  MatrixBlock matrix;          // kMatrix
  std::string str;             // kString
};

// Per-query state shared by all evaluators of one Exec.
struct QueryState {
  const EngineOptions* opts = nullptr;
  storage::Querier* querier = nullptr;
  Context ctx;
  Annotations annos;
  int64_t current_samples = 0;
  int64_t peak_samples = 0;
  int64_t samples_read = 0;

  // Timeout / cancellation check; `env` names the stage ("expression evaluation").
  Status CheckContext(std::string_view env) const;
  // Accounts for `n` more points held in memory; ResourceExhausted past max_samples.
  Status Acquire(int64_t n);
  // The most points one block may allocate: max_samples, or 2^30 when unlimited, so that a
  // pathological query fails cleanly instead of exhausting memory.
  int64_t PointLimit() const {
    return opts->max_samples > 0 ? opts->max_samples : int64_t(1) << 30;
  }
  void Release(int64_t n) { current_samples -= n; }
};

Status TooManySamplesError();

class Evaluator {
 public:
  // Receives the rows of a node one at a time (streaming evaluation, see EvalRows).
  using RowSink = std::function<Status(SeriesMeta&&, const double* row)>;

  Evaluator(QueryState* qs, int64_t start, int64_t end, int64_t interval);

  // Evaluates `e` over this evaluator's steps.
  Result<EvalResult> Eval(const parser::Expr& e);

  size_t steps() const { return steps_; }
  // Marks this evaluator as one batch of a range query whose start and end differ (sort()
  // warns there even when the batch has a single step).
  void set_range_query(bool v) { is_range_ = v; }
  int64_t start() const { return start_; }
  int64_t end() const { return end_; }
  int64_t interval() const { return interval_; }
  int64_t StepTime(size_t k) const { return start_ + int64_t(k) * interval_; }

 private:
  // Selectors.
  Result<EvalResult> EvalVectorSelector(const parser::VectorSelector& vs, bool want_timestamps,
                                        const RowSink* sink = nullptr);
  Result<EvalResult> EvalMatrixSelectorAsMatrix(const parser::MatrixSelector& ms);
  Result<EvalResult> EvalSubqueryAsMatrix(const parser::SubqueryExpr& sq);
  Result<EvalResult> EvalStepInvariant(const parser::StepInvariantExpr& e);
  Result<EvalResult> EvalUnary(const parser::UnaryExpr& e);

  // Functions (eval_functions.cc).
  Result<EvalResult> EvalCall(const parser::Call& c);
  // With a sink, rows go to the sink and the returned block is empty.
  Result<EvalResult> EvalRangeFunction(const parser::Call& c, size_t matrix_arg,
                                       const RowSink* sink);
  // Evaluates an instant-vector expression and hands each output row to `sink` in row order,
  // without materialising the whole block where the node allows (selectors, range functions).
  Status EvalRows(const parser::Expr& e, const RowSink& sink);
  Result<EvalResult> EvalInstantFunction(const parser::Call& c);
  Result<EvalResult> EvalLabelReplace(const parser::Call& c);
  Result<EvalResult> EvalLabelJoin(const parser::Call& c);
  enum class HistogramFunc { kQuantile, kFraction, kQuantiles };
  Result<EvalResult> EvalHistogramQuantile(const parser::Call& c, HistogramFunc mode);
  Result<EvalResult> EvalSort(const parser::Call& c);
  Result<EvalResult> EvalInfo(const parser::Call& c);

  // Aggregations (eval_aggregate.cc).
  Result<EvalResult> EvalAggregate(const parser::AggregateExpr& e);
  Result<EvalResult> EvalCountValues(const parser::AggregateExpr& e);
  Result<EvalResult> EvalTopK(const parser::AggregateExpr& e, const std::vector<double>& params,
                              VectorBlock in);

  // Binary operators (eval_binary.cc).
  Result<EvalResult> EvalBinary(const parser::BinaryExpr& e);
  Result<EvalResult> EvalVectorVector(const parser::BinaryExpr& e, VectorBlock lhs,
                                      VectorBlock rhs);
  Result<EvalResult> EvalSetOp(const parser::BinaryExpr& e, VectorBlock lhs, VectorBlock rhs);

  // Helpers.
  Result<std::vector<double>> EvalScalarArg(const parser::Expr& e);
  // Evaluates the inner expression of a subquery on its own grid, for outer reference times
  // in [ref_min, ref_max].
  Result<EvalResult> RunSubquery(const parser::SubqueryExpr& sq, int64_t* ref_min,
                                 int64_t* ref_max);
  // Calls fn(meta, ts, vs) for each series of a range argument (matrix selector or
  // subquery) with all its samples that the windows of this evaluator can touch (extended by
  // `extra_before` / `extra_after` ms for anchored / smoothed selectors).
  using RangeSeriesFn = std::function<Status(const SeriesMeta&, const std::vector<int64_t>&,
                                             const std::vector<double>&)>;
  Status ForEachRangeSeries(const parser::Expr& arg, int64_t extra_before, int64_t extra_after,
                            const RangeSeriesFn& fn);
  // Charges the points of `r` to the query's sample budget for as long as `r` lives.
  Status Account(EvalResult* r);
  // An empty vector block for this evaluator's steps, bounded by the query's point limit.
  VectorBlock NewBlock() const {
    VectorBlock b;
    b.steps = steps_;
    b.max_points = qs_->PointLimit();
    return b;
  }

  // Drops __name__/__type__/__unit__ now unless name removal is delayed (then marks rows).
  void DropName(SeriesMeta* m) const;
  // Merges rows with identical labels (non-overlapping steps); error on overlap. With
  // `error_on_any` (range-function outputs without delayed name removal) any duplicate errors.
  Status MergeDuplicateRows(VectorBlock* b, bool error_on_any = false);
  // Removes rows without any present point.
  static void CompactRows(VectorBlock* b);

  // Fills the SelectHints fields that describe the surrounding expression (Prometheus'
  // extractFuncFromPath / extractGroupsFromPath): the nearest enclosing function or
  // aggregation, and the grouping of an aggregation that is the selector's direct parent.
  void FillHints(storage::SelectHints* h) const;
  struct HintContext {
    std::string_view func;
    const parser::AggregateExpr* parent_agg = nullptr;
  };

  QueryState* qs_;
  const EngineOptions* opts_;
  int64_t start_, end_, interval_;
  int64_t hint_step_;  // the query's step as Prometheus reports it (0 for instant queries)
  size_t steps_;
  bool is_range_;  // Prometheus' "start != end" of the evaluation
  HintContext hint_;
};

// Removes __name__, __type__ and __unit__ from `l` (Prometheus' DropReserved(IsMetadataLabel)).
Labels DropMetricName(const Labels& l);

// The hash key of labels restricted to / without `names` (on/by and ignoring/without).
std::string LabelsKeyWith(const Labels& l, const std::vector<std::string>& names);
std::string LabelsKeyWithout(const Labels& l, const std::vector<std::string>& names,
                             bool drop_name);

}  // namespace vigil::promql
