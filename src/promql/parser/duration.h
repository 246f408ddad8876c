// PromQL durations: parsing `1h30m`-style text and evaluating duration expressions.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "promql/parser/ast.h"

namespace vigil::promql::parser {

// Parses a Prometheus duration ("5m", "1h30m", "1d", "250ms", "2w", "1y"): units y w d h m s ms,
// each at most once, in decreasing order, non-negative integers. Returns milliseconds.
// "0" is accepted (0). Error: InvalidArgument ("not a valid duration string: ...").
Result<int64_t> ParseDuration(std::string_view s);

// As ParseDuration, in nanoseconds (Prometheus' internal unit; overflow past int64 ns is
// "duration out of range").
Result<int64_t> ParseDurationNs(std::string_view s);

// Go's time.Duration(ns).Seconds().
double NsToSeconds(int64_t ns);

// True if `seconds` does not fit an int64 count of nanoseconds, or is NaN.
bool DurationSecondsOutOfRange(double seconds);

// Seconds (a duration literal's value) to ms as Prometheus does it: rounded to ns, then
// truncated to ms. Precondition: !DurationSecondsOutOfRange(seconds) (else returns 0).
int64_t SecondsToMs(double seconds);

// Evaluates a duration expression (a DurationExpr or NumberLiteral tree) to seconds.
// `step_ms` is the query step (step()), `range_ms` the query's end - start (range()).
// Error: InvalidArgument "a:b: division by zero" / "modulo by zero" (a:b = byte range).
Result<double> EvalDuration(const Expr& e, int64_t step_ms, int64_t range_ms);

// EvalDuration converted to ms, checked as Prometheus' engine does: NaN/Inf, <= 0 unless
// `allow_negative` (offsets), and out of range are InvalidArgument.
Result<int64_t> ResolveDuration(const Expr& e, int64_t step_ms, int64_t range_ms,
                                bool allow_negative);

// Walks the tree and stores the value of every duration expression in its resolved field
// (VectorSelector/SubqueryExpr original_offset_ms, MatrixSelector/SubqueryExpr range_ms,
// SubqueryExpr step_ms). The expressions stay in place (so the tree still prints as written).
// Error: the first ResolveDuration error.
Status ResolveDurations(Expr& root, int64_t step_ms, int64_t range_ms);

}  // namespace vigil::promql::parser
