// The PromQL abstract syntax tree, as produced by the parser (promql/parser/parser.h) and
// walked by the engine.
//
// Shape: a small class hierarchy rooted at Expr. Every node carries a NodeKind tag, so code
// dispatches with a `switch (e.kind())` and downcasts with As<T>() / DynCast<T>() (no RTTI,
// no std::variant). The node set and field names mirror Prometheus' promql/parser/ast.go so
// that a reader who knows Prometheus finds everything where they expect it.
//
// Ownership: a parent owns its children through std::unique_ptr; a tree is owned by whoever
// holds the root. Call::func points into the static function table (functions.h) and is never
// null in a tree returned by the parser.
//
// Times and durations are int64 milliseconds (`_ms`), timestamps are ms since the epoch.
//
// Fields marked "engine" are not set by the parser; the engine fills them in while preparing
// a query (Prometheus does the same: Offset, Timestamp from start()/end(), skip buckets).
//
// Thread-safety: a tree is a plain value; concurrent reads are safe, writes need exclusion.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/matcher.h"

namespace vigil::promql::parser {

// The type an expression evaluates to (Prometheus' ValueType).
enum class ValueType : uint8_t { kNone, kScalar, kVector, kMatrix, kString };

// "none", "scalar", "vector", "matrix", "string" (the API's resultType names).
std::string_view ValueTypeName(ValueType t);
// User-facing names used in error messages: "instant vector", "range vector", "scalar", ...
std::string_view DocumentedType(ValueType t);

// Byte offsets into the query string: [start, end).
struct PositionRange {
  int32_t start = 0;
  int32_t end = 0;
  friend bool operator==(const PositionRange&, const PositionRange&) = default;
};

enum class NodeKind : uint8_t {
  kAggregate,
  kBinary,
  kCall,
  kMatrixSelector,
  kSubquery,
  kNumberLiteral,
  kParen,
  kStringLiteral,
  kUnary,
  kVectorSelector,
  kStepInvariant,
  kDuration,
};

// Binary operators, including the set operators and atan2.
enum class BinaryOp : uint8_t {
  kAdd,        // +
  kSub,        // -
  kMul,        // *
  kDiv,        // /
  kMod,        // %
  kPow,        // ^
  kAtan2,      // atan2
  kEql,        // ==
  kNeq,        // !=
  kGtr,        // >
  kLss,        // <
  kGte,        // >=
  kLte,        // <=
  kTrimUpper,  // </  (native histograms: trim buckets above)
  kTrimLower,  // >/  (native histograms: trim buckets below)
  kAnd,        // and
  kOr,         // or
  kUnless,     // unless
};

// The operator as written in PromQL ("+", "==", "and", "atan2", ...).
std::string_view BinaryOpString(BinaryOp op);
bool IsComparisonOp(BinaryOp op);  // == != > < >= <=
bool IsSetOp(BinaryOp op);         // and or unless

enum class AggregateOp : uint8_t {
  kSum,
  kAvg,
  kCount,
  kMin,
  kMax,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kCountValues,
  kQuantile,
  kLimitk,      // experimental
  kLimitRatio,  // experimental
};

// "sum", "count_values", ...
std::string_view AggregateOpString(AggregateOp op);
// topk, bottomk, count_values, quantile, limitk, limit_ratio.
bool AggregateOpHasParam(AggregateOp op);

// For `@ start()` / `@ end()`.
enum class AtModifier : uint8_t { kNone, kStart, kEnd };

enum class VectorMatchCardinality : uint8_t { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

// "one-to-one", "many-to-one", ...
std::string_view CardinalityString(VectorMatchCardinality c);

// How the two sides of a vector/vector binary operation are matched.
struct VectorMatching {
  VectorMatchCardinality card = VectorMatchCardinality::kOneToOne;
  // Labels defining equality of a pair (on(...) or ignoring(...)).
  std::vector<std::string> matching_labels;
  // True for on(...), false for ignoring(...) or no clause.
  bool on = false;
  // group_left(...)/group_right(...) labels to copy from the "one" side.
  std::vector<std::string> include;
  // fill(v) / fill_left(v) / fill_right(v): value used for a missing series on that side.
  // Unset = no fill (unmatched groups produce no output).
  std::optional<double> fill_lhs;
  std::optional<double> fill_rhs;
};

struct Function;  // functions.h

class Expr;
using ExprPtr = std::unique_ptr<Expr>;

// Base of all nodes. Not copyable; use Clone() for a deep copy.
class Expr {
 public:
  explicit Expr(NodeKind kind) : kind_(kind) {}
  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  NodeKind kind() const { return kind_; }
  // The type this expression evaluates to (valid after a successful parse).
  virtual ValueType Type() const = 0;
  // The byte range of the node in the query string.
  virtual PositionRange Range() const = 0;
  // A deep copy (matchers are shared immutable values, so cheap to copy).
  virtual ExprPtr Clone() const = 0;

  // Checked downcasts: As<T>() requires kind() == T::kKind; DynCast returns null otherwise.
  template <typename T>
  T& As() {
    return static_cast<T&>(*this);
  }
  template <typename T>
  const T& As() const {
    return static_cast<const T&>(*this);
  }

 private:
  NodeKind kind_;
};

template <typename T>
T* DynCast(Expr* e) {
  return e != nullptr && e->kind() == T::kKind ? static_cast<T*>(e) : nullptr;
}
template <typename T>
const T* DynCast(const Expr* e) {
  return e != nullptr && e->kind() == T::kKind ? static_cast<const T*>(e) : nullptr;
}

// A number: `1`, `1.5e3`, `0x1F`, `Inf`, `NaN`, or a duration used as a number (`5m` = 300).
class NumberLiteral final : public Expr {
 public:
  static constexpr NodeKind kKind = NodeKind::kNumberLiteral;
  NumberLiteral() : Expr(kKind) {}
  NumberLiteral(double v, PositionRange p) : Expr(kKind), val(v), pos(p) {}
  ValueType Type() const override { return ValueType::kScalar; }
  PositionRange Range() const override { return pos; }
  ExprPtr Clone() const override;

  double val = 0;
  // True when written as a duration (`5m`); the printer then prints it as a duration.
  bool duration = false;
  PositionRange pos;
};

// A string literal; `val` is unquoted/unescaped.
class StringLiteral final : public Expr {
 public:
  static constexpr NodeKind kKind = NodeKind::kStringLiteral;
  StringLiteral() : Expr(kKind) {}
  ValueType Type() const override { return ValueType::kString; }
  PositionRange Range() const override { return pos; }
  ExprPtr Clone() const override;

  std::string val;
  PositionRange pos;
};

// An arithmetic expression over durations (experimental duration expressions), used for
// ranges, subquery steps and offsets: `[5m+1m]`, `offset (1m*2)`, `[step()*3]`,
// `max_of(step(), 1m)`. Its leaves are NumberLiteral (seconds) or further DurationExpr.
//   - binary: op in {kAdd,kSub,kMul,kDiv,kMod,kPow} with lhs and rhs;
//   - unary:  op in {kAdd,kSub} with lhs == null and rhs set (unary plus also marks "wrapped"
//             for a parenthesised plain number, so printing round-trips);
//   - kStep / kRange: no children (the query step / the range of a range query);
//   - kMaxOf / kMinOf: lhs, rhs.
// The engine evaluates it (EvalDuration in duration.h) to seconds before running a query.
class DurationExpr final : public Expr {
 public:
  static constexpr NodeKind kKind = NodeKind::kDuration;
  enum class Op : uint8_t { kAdd, kSub, kMul, kDiv, kMod, kPow, kStep, kRange, kMaxOf, kMinOf };
  DurationExpr() : Expr(kKind) {}
  ValueType Type() const override { return ValueType::kScalar; }
  PositionRange Range() const override;
  ExprPtr Clone() const override;

  Op op = Op::kAdd;
  ExprPtr lhs;            // null for unary ops, step(), range()
  ExprPtr rhs;            // null for step(), range()
  bool wrapped = false;   // written inside parentheses
  int32_t start_pos = 0;  // for unary ops, step(), range(), max_of/min_of: start of the operator
  int32_t end_pos = 0;    // for step(), range(), max_of/min_of: end of the closing paren
};

// An instant vector selector: `name{l="v"} offset 5m @ 123`.
class VectorSelector final : public Expr {
 public:
  static constexpr NodeKind kKind = NodeKind::kVectorSelector;
  VectorSelector() : Expr(kKind) {}
  ValueType Type() const override { return ValueType::kVector; }
  PositionRange Range() const override { return pos; }
  ExprPtr Clone() const override;

  // The metric name as written before the braces ("" if none, e.g. `{__name__="x"}`).
  std::string name;
  // All matchers, including the implicit __name__="name" one (appended last, as Prometheus).
  std::vector<Matcher> matchers;
  // `offset` as written, in ms (0 if none or if given by original_offset_expr).
  int64_t original_offset_ms = 0;
  // `offset <duration expression>` when not a plain number (then resolved by the engine).
  std::unique_ptr<DurationExpr> original_offset_expr;
  // @ <timestamp> in ms since the epoch; the engine also sets it for @ start()/end().
  std::optional<int64_t> timestamp_ms;
  AtModifier start_or_end = AtModifier::kNone;
  // `anchored` / `smoothed` modifiers (extended range selectors, experimental).
  bool anchored = false;
  bool smoothed = false;
  // True for info()'s second argument, which need not have a non-empty matcher.
  bool bypass_empty_matcher_check = false;

  // engine: effective offset (original offset adjusted for @ and subqueries), ms.
  int64_t offset_ms = 0;
  // engine: set when the query never needs histogram buckets (e.g. histogram_count(x)).
  bool skip_histogram_buckets = false;

  PositionRange pos;
};

// A range vector selector: `sel[5m]` (range may be a duration expression).
class MatrixSelector final : public Expr {
 public:
  static constexpr NodeKind kKind = NodeKind::kMatrixSelector;
  MatrixSelector() : Expr(kKind) {}
  ValueType Type() const override { return ValueType::kMatrix; }
  PositionRange Range() const override;
  ExprPtr Clone() const override;

  // Never null in a parsed tree. Offset, @, anchored and smoothed live on it.
  std::unique_ptr<VectorSelector> vector_selector;
  int64_t range_ms = 0;
  // Set instead of range_ms when the range is a duration expression (engine resolves it).
  std::unique_ptr<DurationExpr> range_expr;
  int32_t end_pos = 0;
};

// A subquery: `expr[30m:1m] offset 5m @ 123`.
class SubqueryExpr final : public Expr {
 public:
  static constexpr NodeKind kKind = NodeKind::kSubquery;
  SubqueryExpr() : Expr(kKind) {}
  ValueType Type() const override { return ValueType::kMatrix; }
  PositionRange Range() const override;
  ExprPtr Clone() const override;

  ExprPtr expr;
  int64_t range_ms = 0;
  std::unique_ptr<DurationExpr> range_expr;
  // 0 = default step (the engine uses the global evaluation interval).
  int64_t step_ms = 0;
  std::unique_ptr<DurationExpr> step_expr;
  int64_t original_offset_ms = 0;
  std::unique_ptr<DurationExpr> original_offset_expr;
  std::optional<int64_t> timestamp_ms;
  AtModifier start_or_end = AtModifier::kNone;
  // engine: effective offset.
  int64_t offset_ms = 0;
  int32_t end_pos = 0;
};

// `( expr )`.
class ParenExpr final : public Expr {
 public:
  static constexpr NodeKind kKind = NodeKind::kParen;
  ParenExpr() : Expr(kKind) {}
  ValueType Type() const override { return expr->Type(); }
  PositionRange Range() const override { return pos; }
  ExprPtr Clone() const override;

  ExprPtr expr;
  PositionRange pos;
};

// `-expr` / `+expr` on a non-literal (the parser folds signs into number literals).
class UnaryExpr final : public Expr {
 public:
  static constexpr NodeKind kKind = NodeKind::kUnary;
  enum class Op : uint8_t { kAdd, kSub };
  UnaryExpr() : Expr(kKind) {}
  ValueType Type() const override { return expr->Type(); }
  PositionRange Range() const override;
  ExprPtr Clone() const override;

  Op op = Op::kSub;
  ExprPtr expr;
  int32_t start_pos = 0;
};

// `lhs op [bool] [on|ignoring(...)] [group_left|group_right(...)] [fill...] rhs`.
class BinaryExpr final : public Expr {
 public:
  static constexpr NodeKind kKind = NodeKind::kBinary;
  BinaryExpr() : Expr(kKind) {}
  // Scalar if both sides are scalars, else vector.
  ValueType Type() const override;
  PositionRange Range() const override;
  ExprPtr Clone() const override;

  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  // Set iff both operands are instant vectors (as in Prometheus, nil otherwise).
  std::optional<VectorMatching> matching;
  // `bool` modifier on a comparison: return 0/1 instead of filtering.
  bool return_bool = false;
};

// `op [by|without (labels)] ([param,] expr)`.
class AggregateExpr final : public Expr {
 public:
  static constexpr NodeKind kKind = NodeKind::kAggregate;
  AggregateExpr() : Expr(kKind) {}
  ValueType Type() const override { return ValueType::kVector; }
  PositionRange Range() const override { return pos; }
  ExprPtr Clone() const override;

  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;
  ExprPtr param;  // topk/bottomk/quantile/count_values/limitk/limit_ratio only; else null
  std::vector<std::string> grouping;
  bool without = false;
  PositionRange pos;
};

// A function call. `func` points into the static table in functions.h.
class Call final : public Expr {
 public:
  static constexpr NodeKind kKind = NodeKind::kCall;
  Call() : Expr(kKind) {}
  ValueType Type() const override;
  PositionRange Range() const override { return pos; }
  ExprPtr Clone() const override;

  const Function* func = nullptr;
  std::vector<ExprPtr> args;
  PositionRange pos;
};

// Wraps a sub-tree whose value does not depend on the evaluation step (e.g. it uses `@`).
// Never produced by the parser; the engine inserts it while preparing a query.
class StepInvariantExpr final : public Expr {
 public:
  static constexpr NodeKind kKind = NodeKind::kStepInvariant;
  StepInvariantExpr() : Expr(kKind) {}
  explicit StepInvariantExpr(ExprPtr e) : Expr(kKind), expr(std::move(e)) {}
  ValueType Type() const override { return expr->Type(); }
  PositionRange Range() const override { return expr->Range(); }
  ExprPtr Clone() const override;

  ExprPtr expr;
};

// The direct children of a node, in source order (null children skipped). For a
// MatrixSelector that is its VectorSelector. DurationExprs hanging off selectors and
// subqueries (range/step/offset expressions) are not children, as in Prometheus.
std::vector<Expr*> Children(Expr& e);
std::vector<const Expr*> Children(const Expr& e);

// Depth-first pre-order walk. `fn(node, path)` gets the ancestors of `node` (root first);
// returning false skips that node's children. Recursion depth is bounded by tree depth,
// which the parser limits (ParseOptions::max_depth).
void Inspect(const Expr& root,
             const std::function<bool(const Expr&, const std::vector<const Expr*>&)>& fn);

// The matchers of every VectorSelector in the tree, in walk order (Prometheus'
// ExtractSelectors, used for /api/v1/series-like lookups and query planning).
std::vector<std::vector<Matcher>> ExtractSelectors(const Expr& root);

// Removes redundant ParenExpr and StepInvariantExpr wrappers at the top of `e` (read-only).
const Expr* UnwrapParens(const Expr* e);

}  // namespace vigil::promql::parser
