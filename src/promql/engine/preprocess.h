// Query preparation on the AST, as Prometheus' PreprocessExpr: fold start()/end()/range()/
// step() into numbers, resolve duration expressions, resolve `@ start()` / `@ end()`, drop
// redundant parentheses around function and aggregation arguments, and wrap the largest
// step-invariant sub-trees in StepInvariantExpr so they are evaluated once per query.
// Pure functions over a tree the caller owns; thread-compatible.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "promql/parser/ast.h"

namespace vigil::promql {

// Rewrites `*root` in place. `step_ms` is 0 for instant queries.
// Error: InvalidArgument from resolving duration expressions.
Status PreprocessExpr(parser::ExprPtr* root, int64_t start_ms, int64_t end_ms, int64_t step_ms);

// The earliest and latest sample time any selector of the prepared tree can read (Prometheus'
// FindMinMaxTime), for opening the querier. (0, 0) when the tree has no selector.
void FindMinMaxTime(const parser::Expr& root, int64_t start_ms, int64_t end_ms, int64_t lookback_ms,
                    int64_t* mint, int64_t* maxt);

// True for the functions whose value depends on the evaluation time even with constant
// arguments (Prometheus' AtModifierUnsafeFunctions).
bool IsAtModifierUnsafeFunction(std::string_view name);

}  // namespace vigil::promql
