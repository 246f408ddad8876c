// The PromQL engine: prepares and evaluates instant and range queries with Prometheus 3.x
// semantics over any storage::Queryable (it never sees tsdb directly).
//
//   Engine engine(EngineOptions{});
//   VIGIL_ASSIGN_OR_RETURN(auto q, engine.NewRangeQuery(&storage, "sum(rate(x[5m]))",
//                                                       start_ms, end_ms, step_ms));
//   VIGIL_ASSIGN_OR_RETURN(QueryResult r, q->Exec(ctx));
//
// Semantics: left-open range windows (t - range, t] and lookback window (t - lookback, t],
// staleness markers end a series, offset / @ (incl. start() and end()), subqueries, and the
// step-invariant optimisation. Native histograms are not supported; the storage interface
// only yields float samples, so they never reach the engine, and a query calling a function
// that only reads native histograms (IsNativeHistogramFunction) fails with an Execution
// error "native histograms are not supported by Vigil: histogram_count()" rather than
// answering an empty result.
//
// How it evaluates (see evaluator.h): range queries run in batches of steps
// (max_steps_per_batch); within a batch every node is evaluated for all its steps at once
// into a column block (one row of steps per series, 8 bytes per point, an absent point is
// a reserved NaN). Selectors decode each series into reusable column buffers through
// SampleIterator::NextBatch; range functions slide two indices over those buffers; where an
// aggregation consumes a selector or a range function, rows are streamed into the group arrays
// one series at a time instead of being materialised, so `sum(rate(x[5m]))` holds one input
// series plus the groups x steps output. Group ids and match signatures are computed once per
// node (label sets are hashed once, not per step), and the per-step loops run over contiguous
// arrays without allocating. Sub-trees that do not depend on the step (`@`, literals) are
// evaluated once and broadcast.
//
// Errors (Status codes map to the API's error types):
//   InvalidArgument  parse errors, invalid expression types for range queries
//   Execution        evaluation errors ("vector cannot contain metrics with the same
//                    labelset", "many-to-many matching not allowed: ...", native-histogram
//                    functions, ...)
//   ResourceExhausted "query processing would load too many samples into memory in query
//                    execution" (max_samples)
//   DeadlineExceeded "query timed out in <stage>"; Cancelled "query was canceled in <stage>"
//
// Thread-safety: Engine is immutable after construction and may be shared by threads; a Query
// is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/context.h"
#include "base/result.h"
#include "promql/engine/annotations.h"
#include "promql/engine/value.h"
#include "promql/parser/ast.h"
#include "promql/parser/parser.h"
#include "storage/interface.h"

namespace vigil::promql {

struct EngineOptions {
  // Instant selectors look back this far for the newest sample (Prometheus' default 5m).
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Maximum number of points held in memory at once by one query (Prometheus'
  // --query.max-samples); 0 = unlimited.
  int64_t max_samples = 50'000'000;
  // Per-query timeout in ms (Prometheus' --query.timeout); 0 = only the caller's Context.
  int64_t timeout_ms = 2 * 60 * 1000;
  // Range queries are evaluated in batches of at most this many steps, which bounds the
  // memory a node holds to rows x batch (0 = all steps at once).
  int64_t max_steps_per_batch = 1024;
  // Step of subqueries written without one (`x[10m:]`): Prometheus uses the global evaluation
  // interval, 1m by default.
  int64_t default_subquery_step_ms = 60 * 1000;
  // Keep __name__ through functions and operators and drop it at the end of the evaluation
  // (Prometheus' promql-delayed-name-removal feature; off by default in Prometheus' server,
  // on in its test scripts). __type__ and __unit__ are dropped together with __name__.
  bool enable_delayed_name_removal = false;
  bool enable_at_modifier = true;
  bool enable_negative_offset = true;
  // Parser feature switches (experimental functions, duration expressions, ...).
  parser::ParseOptions parse_options = parser::ParseOptions::AllEnabled();
};

// The outcome of a successful query.
struct QueryResult {
  Value value;
  Annotations annotations;
  // Peak number of points held in memory during the evaluation.
  int64_t peak_samples = 0;
  // Total number of samples read from storage.
  int64_t samples_read = 0;
};

class Engine;

// A prepared query. Exec may be called once.
class Query {
 public:
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  // Evaluates the query. Errors as listed in the file comment.
  Result<QueryResult> Exec(const Context& ctx);

  const std::string& query_string() const;
  // The prepared (preprocessed) expression.
  const parser::Expr& expr() const;

 private:
  friend class Engine;
  struct Impl;
  explicit Query(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Engine {
 public:
  explicit Engine(EngineOptions opts = {});

  const EngineOptions& options() const { return opts_; }

  // A query evaluated at time `t_ms`. `queryable` must outlive the Query.
  // Error: InvalidArgument for parse errors or disabled features.
  Result<std::unique_ptr<Query>> NewInstantQuery(storage::Queryable* queryable, std::string_view qs,
                                                 int64_t t_ms) const;

  // A query evaluated at start, start+step, ... <= end. The expression must be of type scalar
  // or instant vector. Error: InvalidArgument for parse errors, bad types or a step <= 0.
  Result<std::unique_ptr<Query>> NewRangeQuery(storage::Queryable* queryable, std::string_view qs,
                                               int64_t start_ms, int64_t end_ms,
                                               int64_t step_ms) const;

  // The same, for an already parsed expression (the engine takes ownership and rewrites it).
  Result<std::unique_ptr<Query>> NewQueryFromExpr(storage::Queryable* queryable, std::string qs,
                                                  parser::ExprPtr expr, int64_t start_ms,
                                                  int64_t end_ms, int64_t step_ms) const;

 private:
  EngineOptions opts_;
};

// The number of points a range query would return per series; the HTTP API refuses more than
// 11,000 ("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the
// query resolution (?step=XX)").
inline int64_t RangeQueryPoints(int64_t start_ms, int64_t end_ms, int64_t step_ms) {
  return step_ms <= 0 || end_ms < start_ms ? 0 : (end_ms - start_ms) / step_ms + 1;
}
inline constexpr int64_t kMaxPointsPerSeries = 11000;

// True for the functions that only read native histograms (histogram_count, histogram_sum,
// histogram_avg, histogram_stddev, histogram_stdvar). Queries calling them fail in Exec().
bool IsNativeHistogramFunction(std::string_view name);

}  // namespace vigil::promql
