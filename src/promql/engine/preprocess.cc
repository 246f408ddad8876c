#include "promql/engine/preprocess.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <utility>

#include "promql/parser/duration.h"
#include "promql/parser/functions.h"

namespace vigil::promql {

using parser::ExprPtr;
using parser::NodeKind;

namespace {

void FoldQueryContextFunctions(ExprPtr& e, int64_t start, int64_t end, int64_t step) {
  if (e->kind() == NodeKind::kCall) {
    auto& c = e->As<parser::Call>();
    std::string_view n = c.func->name;
    double v;
    bool fold = true;
    if (n == "start") {
      v = double(start) / 1000;
    } else if (n == "end") {
      v = double(end) / 1000;
    } else if (n == "range") {
      v = double(end - start) / 1000;
    } else if (n == "step") {
      v = start == end ? 0 : double(step) / 1000;
    } else {
      fold = false;
    }
    if (fold) {
      e = std::make_unique<parser::NumberLiteral>(v, c.pos);
      return;
    }
  }
  switch (e->kind()) {
    case NodeKind::kBinary: {
      auto& b = e->As<parser::BinaryExpr>();
      FoldQueryContextFunctions(b.lhs, start, end, step);
      FoldQueryContextFunctions(b.rhs, start, end, step);
      break;
    }
    case NodeKind::kCall:
      for (auto& a : e->As<parser::Call>().args) FoldQueryContextFunctions(a, start, end, step);
      break;
    case NodeKind::kAggregate: {
      auto& a = e->As<parser::AggregateExpr>();
      FoldQueryContextFunctions(a.expr, start, end, step);
      if (a.param) FoldQueryContextFunctions(a.param, start, end, step);
      break;
    }
    case NodeKind::kUnary:
      FoldQueryContextFunctions(e->As<parser::UnaryExpr>().expr, start, end, step);
      break;
    case NodeKind::kParen:
      FoldQueryContextFunctions(e->As<parser::ParenExpr>().expr, start, end, step);
      break;
    case NodeKind::kSubquery:
      FoldQueryContextFunctions(e->As<parser::SubqueryExpr>().expr, start, end, step);
      break;
    default:
      break;
  }
}

void UnwrapParen(ExprPtr& e) {
  while (e && e->kind() == NodeKind::kParen) {
    ExprPtr inner = std::move(e->As<parser::ParenExpr>().expr);
    e = std::move(inner);
  }
}

void ResolveAt(parser::VectorSelector& vs, int64_t start, int64_t end) {
  if (vs.start_or_end == parser::AtModifier::kStart) vs.timestamp_ms = start;
  if (vs.start_or_end == parser::AtModifier::kEnd) vs.timestamp_ms = end;
}

void Wrap(ExprPtr& e) { e = std::make_unique<parser::StepInvariantExpr>(std::move(e)); }

// Returns {is step invariant, should wrap}.
std::pair<bool, bool> Helper(ExprPtr& e, int64_t start, int64_t end) {
  switch (e->kind()) {
    case NodeKind::kVectorSelector: {
      auto& vs = e->As<parser::VectorSelector>();
      ResolveAt(vs, start, end);
      bool inv = vs.timestamp_ms.has_value();
      return {inv, inv};
    }
    case NodeKind::kAggregate: {
      auto& a = e->As<parser::AggregateExpr>();
      UnwrapParen(a.expr);
      UnwrapParen(a.param);
      if (a.param) {
        // Prometheus leaves the parameter alone; resolving `@ start()` there is harmless.
        Helper(a.param, start, end);
      }
      return Helper(a.expr, start, end);
    }
    case NodeKind::kBinary: {
      auto& b = e->As<parser::BinaryExpr>();
      auto l = Helper(b.lhs, start, end);
      auto r = Helper(b.rhs, start, end);
      if (l.first && r.first) return {true, true};
      if (l.second) Wrap(b.lhs);
      if (r.second) Wrap(b.rhs);
      return {false, false};
    }
    case NodeKind::kCall: {
      auto& c = e->As<parser::Call>();
      bool inv = !IsAtModifierUnsafeFunction(c.func->name);
      bool ts_safe = c.func->name == "timestamp";
      std::vector<bool> wrap(c.args.size());
      for (size_t i = 0; i < c.args.size(); ++i) {
        UnwrapParen(c.args[i]);
        auto [ai, aw] = Helper(c.args[i], start, end);
        wrap[i] = aw;
        inv = inv && ai;
        if (!ai || c.args[i]->kind() != NodeKind::kVectorSelector) ts_safe = false;
      }
      if (inv || ts_safe) return {true, true};
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (wrap[i]) Wrap(c.args[i]);
      }
      return {false, false};
    }
    case NodeKind::kMatrixSelector: {
      auto& vs = *e->As<parser::MatrixSelector>().vector_selector;
      ResolveAt(vs, start, end);
      return {vs.timestamp_ms.has_value(), false};
    }
    case NodeKind::kSubquery: {
      auto& sq = e->As<parser::SubqueryExpr>();
      auto [inv, w] = Helper(sq.expr, start, end);
      (void)w;
      if (inv) Wrap(sq.expr);
      if (sq.start_or_end == parser::AtModifier::kStart) sq.timestamp_ms = start;
      if (sq.start_or_end == parser::AtModifier::kEnd) sq.timestamp_ms = end;
      return {sq.timestamp_ms.has_value(), false};
    }
    case NodeKind::kParen:
      return Helper(e->As<parser::ParenExpr>().expr, start, end);
    case NodeKind::kUnary:
      return Helper(e->As<parser::UnaryExpr>().expr, start, end);
    case NodeKind::kStringLiteral:
    case NodeKind::kNumberLiteral:
    case NodeKind::kDuration:
      return {true, false};
    case NodeKind::kStepInvariant:
      return {true, false};
  }
  return {false, false};
}

struct MinMax {
  int64_t start, end, lookback;
  int64_t mint = std::numeric_limits<int64_t>::max();
  int64_t maxt = std::numeric_limits<int64_t>::min();
};

struct SubqCtx {
  int64_t offset = 0;
  int64_t range = 0;
  std::optional<int64_t> ts;
};

void Walk(const parser::Expr& e, const SubqCtx& sc, int64_t eval_range, MinMax* mm) {
  switch (e.kind()) {
    case NodeKind::kVectorSelector: {
      const auto& n = e.As<parser::VectorSelector>();
      int64_t start = mm->start, end = mm->end;
      if (sc.ts) start = end = *sc.ts;
      if (n.timestamp_ms) {
        start = end = *n.timestamp_ms;
      } else {
        start = start - sc.offset - sc.range;
        end -= sc.offset;
      }
      if (eval_range == 0) {
        start -= mm->lookback - 1;
        if (n.smoothed) end += mm->lookback;
      } else if (n.anchored) {
        start -= mm->lookback + eval_range - 1;
      } else if (n.smoothed) {
        start -= mm->lookback + eval_range - 1;
        end += mm->lookback;
      } else {
        start -= eval_range - 1;
      }
      start -= n.original_offset_ms;
      end -= n.original_offset_ms;
      mm->mint = std::min(mm->mint, start);
      mm->maxt = std::max(mm->maxt, end);
      return;
    }
    case NodeKind::kMatrixSelector: {
      const auto& ms = e.As<parser::MatrixSelector>();
      Walk(*ms.vector_selector, sc, ms.range_ms, mm);
      return;
    }
    case NodeKind::kSubquery: {
      const auto& sq = e.As<parser::SubqueryExpr>();
      SubqCtx c = sc;
      c.offset += sq.original_offset_ms;
      c.range += sq.range_ms;
      if (sq.timestamp_ms) {
        c.offset = sq.original_offset_ms;
        c.range = sq.range_ms;
        c.ts = sq.timestamp_ms;
      }
      Walk(*sq.expr, c, 0, mm);
      return;
    }
    default:
      for (const parser::Expr* child : parser::Children(e)) Walk(*child, sc, 0, mm);
      return;
  }
}

}  // namespace

bool IsAtModifierUnsafeFunction(std::string_view name) {
  static constexpr std::string_view kUnsafe[] = {
      "days_in_month", "day_of_month", "day_of_week", "day_of_year", "end",
      "hour",          "minute",       "month",       "year",        "predict_linear",
      "range",         "start",        "step",        "time",        "timestamp"};
  return std::find(std::begin(kUnsafe), std::end(kUnsafe), name) != std::end(kUnsafe);
}

Status PreprocessExpr(ExprPtr* root, int64_t start_ms, int64_t end_ms, int64_t step_ms) {
  FoldQueryContextFunctions(*root, start_ms, end_ms, step_ms);
  VIGIL_RETURN_IF_ERROR(parser::ResolveDurations(**root, step_ms, end_ms - start_ms));
  auto [inv, wrap] = Helper(*root, start_ms, end_ms);
  (void)inv;
  if (wrap) Wrap(*root);
  return Status::OK();
}

void FindMinMaxTime(const parser::Expr& root, int64_t start_ms, int64_t end_ms, int64_t lookback_ms,
                    int64_t* mint, int64_t* maxt) {
  MinMax mm{start_ms, end_ms, lookback_ms};
  Walk(root, SubqCtx{}, 0, &mm);
  if (mm.maxt == std::numeric_limits<int64_t>::min()) {
    *mint = 0;
    *maxt = 0;
    return;
  }
  *mint = mm.mint;
  *maxt = mm.maxt;
}

}  // namespace vigil::promql
