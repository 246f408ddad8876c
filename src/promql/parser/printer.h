// PromQL printer: AST -> canonical query text, as Prometheus' Expr.String() (what
// /api/v1/format_query returns with prettify off) and Prettify (the indented form).
//
// The output parses back to an equal tree. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "promql/parser/ast.h"

namespace vigil::promql::parser {

// Canonical one-line form: `sum by (job) (rate(http_requests_total{code="200"}[5m]))`.
std::string ToString(const Expr& e);

// Prometheus' prettified, multi-line, indented form (Expr.Pretty(0)): a node whose one-line
// form is longer than `max_line` characters is split over several lines.
std::string Prettify(const Expr& e, size_t max_line = 100);

// Formats a duration in ms as PromQL writes it: "1h30m", "5m", "1d", "500ms", "0s".
std::string FormatDuration(int64_t ms);

// A label name as PromQL needs it: bare if it is a valid legacy name, else quoted.
std::string FormatLabelName(std::string_view name);

// A number as Prometheus prints a NumberLiteral: Go's strconv.FormatFloat(v, 'f', -1, 64)
// ("1", "0.5", "1000000", "+Inf", "NaN").
std::string FormatNumber(double v);

// Go's fmt "%v" of a float64 ("1", "1e+06", "-23.5", "+Inf"), used for fill values.
std::string FormatFloatV(double v);

}  // namespace vigil::promql::parser
