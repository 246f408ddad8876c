#include "promql/parser/ast.h"

#include "promql/parser/functions.h"

namespace vigil::promql::parser {

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNone:
      return "none";
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "vector";
    case ValueType::kMatrix:
      return "matrix";
    case ValueType::kString:
      return "string";
  }
  return "none";
}

std::string_view DocumentedType(ValueType t) {
  switch (t) {
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
    default:
      return ValueTypeName(t);
  }
}

std::string_view BinaryOpString(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "^";
    case BinaryOp::kAtan2:
      return "atan2";
    case BinaryOp::kEql:
      return "==";
    case BinaryOp::kNeq:
      return "!=";
    case BinaryOp::kGtr:
      return ">";
    case BinaryOp::kLss:
      return "<";
    case BinaryOp::kGte:
      return ">=";
    case BinaryOp::kLte:
      return "<=";
    case BinaryOp::kTrimUpper:
      return "</";
    case BinaryOp::kTrimLower:
      return ">/";
    case BinaryOp::kAnd:
      return "and";
    case BinaryOp::kOr:
      return "or";
    case BinaryOp::kUnless:
      return "unless";
  }
  return "?";
}

bool IsComparisonOp(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEql:
    case BinaryOp::kNeq:
    case BinaryOp::kGtr:
    case BinaryOp::kLss:
    case BinaryOp::kGte:
    case BinaryOp::kLte:
      return true;
    default:
      return false;
  }
}

bool IsSetOp(BinaryOp op) {
  return op == BinaryOp::kAnd || op == BinaryOp::kOr || op == BinaryOp::kUnless;
}

std::string_view AggregateOpString(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum:
      return "sum";
    case AggregateOp::kAvg:
      return "avg";
    case AggregateOp::kCount:
      return "count";
    case AggregateOp::kMin:
      return "min";
    case AggregateOp::kMax:
      return "max";
    case AggregateOp::kGroup:
      return "group";
    case AggregateOp::kStddev:
      return "stddev";
    case AggregateOp::kStdvar:
      return "stdvar";
    case AggregateOp::kTopk:
      return "topk";
    case AggregateOp::kBottomk:
      return "bottomk";
    case AggregateOp::kCountValues:
      return "count_values";
    case AggregateOp::kQuantile:
      return "quantile";
    case AggregateOp::kLimitk:
      return "limitk";
    case AggregateOp::kLimitRatio:
      return "limit_ratio";
  }
  return "?";
}

bool AggregateOpHasParam(AggregateOp op) {
  switch (op) {
    case AggregateOp::kTopk:
    case AggregateOp::kBottomk:
    case AggregateOp::kCountValues:
    case AggregateOp::kQuantile:
    case AggregateOp::kLimitk:
    case AggregateOp::kLimitRatio:
      return true;
    default:
      return false;
  }
}

std::string_view CardinalityString(VectorMatchCardinality c) {
  switch (c) {
    case VectorMatchCardinality::kOneToOne:
      return "one-to-one";
    case VectorMatchCardinality::kManyToOne:
      return "many-to-one";
    case VectorMatchCardinality::kOneToMany:
      return "one-to-many";
    case VectorMatchCardinality::kManyToMany:
      return "many-to-many";
  }
  return "?";
}

namespace {

ExprPtr CloneOrNull(const ExprPtr& e) { return e ? e->Clone() : nullptr; }

std::unique_ptr<DurationExpr> CloneDuration(const std::unique_ptr<DurationExpr>& e) {
  if (!e) return nullptr;
  ExprPtr c = e->Clone();
  return std::unique_ptr<DurationExpr>(static_cast<DurationExpr*>(c.release()));
}

}  // namespace

ExprPtr NumberLiteral::Clone() const {
  auto n = std::make_unique<NumberLiteral>(val, pos);
  n->duration = duration;
  return n;
}

ExprPtr StringLiteral::Clone() const {
  auto n = std::make_unique<StringLiteral>();
  n->val = val;
  n->pos = pos;
  return n;
}

PositionRange DurationExpr::Range() const {
  // As Prometheus: step()/range() span their text; unary ops start at the operator;
  // binary ops and max_of/min_of span their operands.
  if (op == Op::kStep || op == Op::kRange) return {start_pos, end_pos};
  if (lhs == nullptr) return {start_pos, rhs ? rhs->Range().end : end_pos};
  return {lhs->Range().start, rhs ? rhs->Range().end : lhs->Range().end};
}

ExprPtr DurationExpr::Clone() const {
  auto n = std::make_unique<DurationExpr>();
  n->op = op;
  n->lhs = CloneOrNull(lhs);
  n->rhs = CloneOrNull(rhs);
  n->wrapped = wrapped;
  n->start_pos = start_pos;
  n->end_pos = end_pos;
  return n;
}

ExprPtr VectorSelector::Clone() const {
  auto n = std::make_unique<VectorSelector>();
  n->name = name;
  n->matchers = matchers;
  n->original_offset_ms = original_offset_ms;
  n->original_offset_expr = CloneDuration(original_offset_expr);
  n->timestamp_ms = timestamp_ms;
  n->start_or_end = start_or_end;
  n->anchored = anchored;
  n->smoothed = smoothed;
  n->bypass_empty_matcher_check = bypass_empty_matcher_check;
  n->offset_ms = offset_ms;
  n->skip_histogram_buckets = skip_histogram_buckets;
  n->pos = pos;
  return n;
}

PositionRange MatrixSelector::Range() const {
  return {vector_selector ? vector_selector->Range().start : 0, end_pos};
}

ExprPtr MatrixSelector::Clone() const {
  auto n = std::make_unique<MatrixSelector>();
  if (vector_selector) {
    ExprPtr c = vector_selector->Clone();
    n->vector_selector.reset(static_cast<VectorSelector*>(c.release()));
  }
  n->range_ms = range_ms;
  n->range_expr = CloneDuration(range_expr);
  n->end_pos = end_pos;
  return n;
}

PositionRange SubqueryExpr::Range() const { return {expr ? expr->Range().start : 0, end_pos}; }

ExprPtr SubqueryExpr::Clone() const {
  auto n = std::make_unique<SubqueryExpr>();
  n->expr = CloneOrNull(expr);
  n->range_ms = range_ms;
  n->range_expr = CloneDuration(range_expr);
  n->step_ms = step_ms;
  n->step_expr = CloneDuration(step_expr);
  n->original_offset_ms = original_offset_ms;
  n->original_offset_expr = CloneDuration(original_offset_expr);
  n->timestamp_ms = timestamp_ms;
  n->start_or_end = start_or_end;
  n->offset_ms = offset_ms;
  n->end_pos = end_pos;
  return n;
}

ExprPtr ParenExpr::Clone() const {
  auto n = std::make_unique<ParenExpr>();
  n->expr = CloneOrNull(expr);
  n->pos = pos;
  return n;
}

PositionRange UnaryExpr::Range() const { return {start_pos, expr ? expr->Range().end : 0}; }

ExprPtr UnaryExpr::Clone() const {
  auto n = std::make_unique<UnaryExpr>();
  n->op = op;
  n->expr = CloneOrNull(expr);
  n->start_pos = start_pos;
  return n;
}

ValueType BinaryExpr::Type() const {
  if (lhs->Type() == ValueType::kScalar && rhs->Type() == ValueType::kScalar) {
    return ValueType::kScalar;
  }
  return ValueType::kVector;
}

PositionRange BinaryExpr::Range() const {
  return {lhs ? lhs->Range().start : 0, rhs ? rhs->Range().end : 0};
}

ExprPtr BinaryExpr::Clone() const {
  auto n = std::make_unique<BinaryExpr>();
  n->op = op;
  n->lhs = CloneOrNull(lhs);
  n->rhs = CloneOrNull(rhs);
  n->matching = matching;
  n->return_bool = return_bool;
  return n;
}

ExprPtr AggregateExpr::Clone() const {
  auto n = std::make_unique<AggregateExpr>();
  n->op = op;
  n->expr = CloneOrNull(expr);
  n->param = CloneOrNull(param);
  n->grouping = grouping;
  n->without = without;
  n->pos = pos;
  return n;
}

ValueType Call::Type() const { return func ? func->return_type : ValueType::kNone; }

ExprPtr Call::Clone() const {
  auto n = std::make_unique<Call>();
  n->func = func;
  n->args.reserve(args.size());
  for (const auto& a : args) n->args.push_back(CloneOrNull(a));
  n->pos = pos;
  return n;
}

ExprPtr StepInvariantExpr::Clone() const {
  return std::make_unique<StepInvariantExpr>(CloneOrNull(expr));
}

namespace {

template <typename E, typename Out>
void CollectChildren(E& e, Out& out) {
  auto add = [&](auto& p) {
    if (p) out.push_back(p.get());
  };
  switch (e.kind()) {
    case NodeKind::kAggregate: {
      auto& n = e.template As<AggregateExpr>();
      // Prometheus lists Expr before Param.
      add(n.expr);
      add(n.param);
      break;
    }
    case NodeKind::kBinary: {
      auto& n = e.template As<BinaryExpr>();
      add(n.lhs);
      add(n.rhs);
      break;
    }
    case NodeKind::kCall:
      for (auto& a : e.template As<Call>().args) add(a);
      break;
    case NodeKind::kMatrixSelector:
      add(e.template As<MatrixSelector>().vector_selector);
      break;
    case NodeKind::kSubquery:
      add(e.template As<SubqueryExpr>().expr);
      break;
    case NodeKind::kParen:
      add(e.template As<ParenExpr>().expr);
      break;
    case NodeKind::kUnary:
      add(e.template As<UnaryExpr>().expr);
      break;
    case NodeKind::kStepInvariant:
      add(e.template As<StepInvariantExpr>().expr);
      break;
    case NodeKind::kDuration: {
      auto& n = e.template As<DurationExpr>();
      add(n.lhs);
      add(n.rhs);
      break;
    }
    case NodeKind::kNumberLiteral:
    case NodeKind::kStringLiteral:
    case NodeKind::kVectorSelector:
      break;
  }
}

void InspectRec(const Expr& e, std::vector<const Expr*>& path,
                const std::function<bool(const Expr&, const std::vector<const Expr*>&)>& fn) {
  if (!fn(e, path)) return;
  path.push_back(&e);
  for (const Expr* c : Children(e)) InspectRec(*c, path, fn);
  path.pop_back();
}

}  // namespace

std::vector<Expr*> Children(Expr& e) {
  std::vector<Expr*> out;
  CollectChildren(e, out);
  return out;
}

std::vector<const Expr*> Children(const Expr& e) {
  std::vector<const Expr*> out;
  CollectChildren(e, out);
  return out;
}

void Inspect(const Expr& root,
             const std::function<bool(const Expr&, const std::vector<const Expr*>&)>& fn) {
  std::vector<const Expr*> path;
  InspectRec(root, path, fn);
}

std::vector<std::vector<Matcher>> ExtractSelectors(const Expr& root) {
  std::vector<std::vector<Matcher>> out;
  Inspect(root, [&](const Expr& e, const std::vector<const Expr*>&) {
    if (const auto* vs = DynCast<VectorSelector>(&e)) out.push_back(vs->matchers);
    return true;
  });
  return out;
}

const Expr* UnwrapParens(const Expr* e) {
  while (e != nullptr) {
    if (const auto* p = DynCast<ParenExpr>(e)) {
      e = p->expr.get();
    } else if (const auto* s = DynCast<StepInvariantExpr>(e)) {
      e = s->expr.get();
    } else {
      break;
    }
  }
  return e;
}

}  // namespace vigil::promql::parser
