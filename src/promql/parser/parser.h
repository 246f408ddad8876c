// PromQL parser: query text -> AST (ast.h), with Prometheus' type checks and error messages.
//
// A hand-written lexer plus a precedence-climbing (Pratt) parser that accepts the Prometheus
// 3.x grammar (promql/parser/generated_parser.y). Errors are InvalidArgument Statuses whose
// message reads like Prometheus': "1:5: parse error: unexpected <op:*>" (line:column of the
// first error, 1-based, column counted in bytes). Several errors are joined with "; " as in
// Prometheus' ParseErrors.
//
// Parsing is bounded: nesting deeper than ParseOptions::max_depth is an error, so hostile
// input cannot exhaust the stack. All functions are thread-safe (no shared mutable state).
//
// Known, deliberate differences from Prometheus 3.x:
//   - a range or subquery step that is positive but below 1ms is "duration must be greater
//     than 0" (Prometheus keeps it and then prints it as "0s", which does not parse back);
//   - a NaN offset is "duration out of range" (Prometheus converts it to an arbitrary int64);
//   - `foo[step():1m]` parses (Prometheus' lexer only accepts the colon if some number was
//     lexed inside brackets earlier in the query);
//   - `@` timestamps whose milliseconds overflow int64 are clamped instead of wrapping;
//   - regex errors are RE2's diagnosis in Go's wording, which can differ in detail;
//   - which Unicode characters print unescaped follows an approximation of Go's IsPrint.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/labels.h"
#include "model/matcher.h"
#include "promql/parser/ast.h"

namespace vigil::promql::parser {

// Feature switches, as Prometheus' parser.Options (all off by default, as in Prometheus where
// each needs an --enable-feature flag).
struct ParseOptions {
  // Experimental functions and aggregations (limitk, limit_ratio, sort_by_label, info, ...).
  bool enable_experimental_functions = false;
  // Duration expressions: `[5m+1m]`, `offset (1m*2)`, `step()`, `range()`, `max_of(...)`.
  bool experimental_duration_expr = false;
  // `anchored` / `smoothed` range selector modifiers.
  bool enable_extended_range_selectors = false;
  // fill() / fill_left() / fill_right() binary operator modifiers.
  bool enable_binop_fill_modifiers = false;
  // Maximum nesting depth of the expression (parentheses, calls, operators, ...).
  size_t max_depth = 1000;

  // All experimental features on (what promqltest uses).
  static ParseOptions AllEnabled() {
    ParseOptions o;
    o.enable_experimental_functions = true;
    o.experimental_duration_expr = true;
    o.enable_extended_range_selectors = true;
    o.enable_binop_fill_modifiers = true;
    return o;
  }
};

// "line:column" (1-based, column in bytes) of byte offset `pos` in `query`, as Prometheus
// prints positions in parse errors.
std::string PositionString(std::string_view query, int32_t pos);

// Parses a PromQL expression. Error: InvalidArgument with a positioned message.
Result<ExprPtr> ParseExpr(std::string_view input, const ParseOptions& opts = {});

// Parses a series selector such as `up{job="x"}` or `{__name__=~"a.*"}` (the /api/v1/series
// match[] form): matchers only, no offset/@/range. Error: InvalidArgument.
Result<std::vector<Matcher>> ParseMetricSelector(std::string_view input);

// Parses a metric in label-set notation, `name{a="b"}` or `{__name__="x", a="b"}` (as in
// promqltest `load` lines and Prometheus' ParseMetric). Error: InvalidArgument.
Result<Labels> ParseMetric(std::string_view input);

}  // namespace vigil::promql::parser
