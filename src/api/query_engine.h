// The narrow PromQL seam of the HTTP API: what /api/v1/query, /query_range, /series,
// /labels, /format_query and /parse_query need from a query engine and a parser, and the
// result types the API serialises. cmd/ adapts the promql engine and parser to these
// interfaces, so api/ does not depend on their internals (and tests use fakes).
//
// Thread-safety: QueryEngine and QueryParser implementations must be thread-safe (handlers
// run concurrently); a Query is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/context.h"
#include "base/result.h"
#include "model/labels.h"
#include "model/matcher.h"
#include "model/value.h"
#include "storage/interface.h"

namespace vigil::api {

class JsonWriter;

enum class ValueType { kScalar, kString, kVector, kMatrix };

// "scalar", "string", "vector", "matrix".
std::string_view ValueTypeName(ValueType t);

// One series of a vector (exactly one sample) or a matrix (samples ascending by t).
struct ResultSeries {
  Labels metric;
  std::vector<Sample> samples;
};

// Prometheus' query statistics (util/stats), written when the request has `stats`.
struct QueryStats {
  // Seconds.
  double eval_total_time = 0;
  double result_sort_time = 0;
  double query_preparation_time = 0;
  double inner_eval_time = 0;
  double exec_queue_time = 0;
  double exec_total_time = 0;
  int64_t total_queryable_samples = 0;
  int64_t samples_read = 0;
  int64_t peak_samples = 0;
  // (t ms, samples) per step; written only for stats=all and when not empty.
  std::vector<std::pair<int64_t, int64_t>> total_queryable_samples_per_step;
};

struct QueryResult {
  ValueType type = ValueType::kVector;
  std::vector<ResultSeries> series;  // kVector, kMatrix
  Sample scalar;                     // kScalar: (t, v)
  int64_t string_t = 0;              // kString
  std::string string_value;          // kString
  // Annotations, already formatted as text (Prometheus' warnings and infos).
  std::vector<std::string> warnings;
  std::vector<std::string> infos;
  QueryStats stats;
};

struct QueryParams {
  std::string query;
  // Instant query: start_ms == end_ms, step_ms == 0. Range query: step_ms >= 1.
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 0;
  // 0: the engine's default (--query.lookback-delta).
  int64_t lookback_delta_ms = 0;
  // stats=all: collect per-step statistics.
  bool per_step_stats = false;
};

class Query {
 public:
  virtual ~Query() = default;
  // Evaluates the query, honouring ctx's deadline and cancellation. On error, result->warnings
  // may still be filled. Errors map to API error types as in Prometheus: Cancelled ->
  // canceled, DeadlineExceeded -> timeout, IOError/Corruption/Internal (storage) ->
  // internal, Unavailable -> unavailable, anything else -> execution.
  virtual Status Exec(const Context& ctx, QueryResult* result) = 0;
};

class QueryEngine {
 public:
  virtual ~QueryEngine() = default;
  // Parses and prepares a query over `queryable` (which outlives the Query). Errors:
  // InvalidArgument (parse or validation error; reported as `invalid parameter "query": ...`
  // with errorType bad_data).
  virtual Result<std::unique_ptr<Query>> NewQuery(storage::Queryable* queryable,
                                                  const QueryParams& params) = 0;
};

class QueryParser {
 public:
  virtual ~QueryParser() = default;
  // A series selector as used by match[] (`up{job="x"}`, `{__name__=~"a.*"}`). Error:
  // InvalidArgument with the parser's positioned message.
  virtual Result<std::vector<Matcher>> ParseMetricSelector(std::string_view selector) = 0;
  // The query pretty-printed as Prometheus' expr.Pretty(0). Error: InvalidArgument.
  virtual Result<std::string> FormatQuery(std::string_view query) = 0;
  // Writes the query's AST as one JSON value in the shape of Prometheus' translateAST (the
  // UI's tree view). Error: InvalidArgument (nothing written then).
  virtual Status WriteAst(std::string_view query, JsonWriter* out) = 0;
};

}  // namespace vigil::api
