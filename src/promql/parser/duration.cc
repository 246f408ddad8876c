#include "promql/parser/duration.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "promql/parser/lexer.h"

namespace vigil::promql::parser {

namespace {

constexpr uint64_t kNsPerMs = 1000000;
constexpr uint64_t kMaxNs = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

struct Unit {
  std::string_view name;
  int order;  // units must appear in increasing order (largest first)
  uint64_t ns;
};

constexpr Unit kUnits[] = {
    {"ms", 7, kNsPerMs},
    {"s", 6, kNsPerMs * 1000},
    {"m", 5, kNsPerMs * 1000 * 60},
    {"h", 4, kNsPerMs * 1000 * 3600},
    {"d", 3, kNsPerMs * 1000 * 3600 * 24},
    {"w", 2, kNsPerMs * 1000 * 3600 * 24 * 7},
    {"y", 1, kNsPerMs * 1000 * 3600 * 24 * 365},
};

bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }

Status InvalidDuration(std::string_view s) {
  return Status::InvalidArgument("not a valid duration string: " + GoQuote(s));
}

}  // namespace

Result<int64_t> ParseDurationNs(std::string_view s) {
  if (s == "0") return int64_t{0};
  if (s.empty()) return Status::InvalidArgument("empty duration string");
  const std::string_view orig = s;
  uint64_t total = 0;
  int last_order = 0;
  while (!s.empty()) {
    if (!IsDigitChar(s[0])) return InvalidDuration(orig);
    size_t i = 0;
    uint64_t v = 0;
    bool overflow = false;
    for (; i < s.size() && IsDigitChar(s[i]); i++) {
      uint64_t d = static_cast<uint64_t>(s[i] - '0');
      if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) overflow = true;
      v = v * 10 + d;
    }
    if (overflow) return InvalidDuration(orig);
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && !IsDigitChar(s[j])) j++;
    if (j == 0) return InvalidDuration(orig);
    std::string_view u = s.substr(0, j);
    s.remove_prefix(j);
    const Unit* unit = nullptr;
    for (const Unit& cand : kUnits) {
      if (cand.name == u) unit = &cand;
    }
    if (unit == nullptr) {
      return Status::InvalidArgument(
          fmt::format("unknown unit {} in duration {}", GoQuote(u), GoQuote(orig)));
    }
    if (unit->order <= last_order) return InvalidDuration(orig);
    last_order = unit->order;
    if (v > (uint64_t{1} << 63) / unit->ns) return Status::InvalidArgument("duration out of range");
    total += v * unit->ns;
    if (total > kMaxNs) return Status::InvalidArgument("duration out of range");
  }
  return static_cast<int64_t>(total);
}

Result<int64_t> ParseDuration(std::string_view s) {
  VIGIL_ASSIGN_OR_RETURN(int64_t ns, ParseDurationNs(s));
  return ns / static_cast<int64_t>(kNsPerMs);
}

double NsToSeconds(int64_t ns) {
  // Go's time.Duration.Seconds(): whole seconds plus the fraction, to keep precision.
  int64_t sec = ns / 1000000000;
  int64_t nsec = ns % 1000000000;
  return static_cast<double>(sec) + static_cast<double>(nsec) / 1e9;
}

bool DurationSecondsOutOfRange(double v) {
  // Seconds that do not fit an int64 count of nanoseconds (NaN is rejected too).
  constexpr double kLimit = 9223372036.854775808;  // 2^63 / 1e9
  return std::isnan(v) || v > kLimit || v < -kLimit;
}

int64_t SecondsToMs(double v) {
  // As Prometheus: round to nanoseconds, then truncate to milliseconds.
  if (DurationSecondsOutOfRange(v)) return 0;
  double ns = std::round(v * 1e9);
  if (ns >= 9223372036854775807.0) return std::numeric_limits<int64_t>::max() / 1000000;
  if (ns <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min() / 1000000;
  return static_cast<int64_t>(ns) / 1000000;
}

Result<double> EvalDuration(const Expr& e, int64_t step_ms, int64_t range_ms) {
  if (const auto* n = DynCast<NumberLiteral>(&e)) return n->val;
  const auto* d = DynCast<DurationExpr>(&e);
  if (d == nullptr) {
    return Status::InvalidArgument("unexpected duration expression type");
  }
  double lhs = 0, rhs = 0;
  if (d->lhs) {
    VIGIL_ASSIGN_OR_RETURN(lhs, EvalDuration(*d->lhs, step_ms, range_ms));
  }
  if (d->rhs) {
    VIGIL_ASSIGN_OR_RETURN(rhs, EvalDuration(*d->rhs, step_ms, range_ms));
  }
  auto pos_err = [&](std::string_view what) {
    PositionRange r = d->Range();
    return Status::InvalidArgument(fmt::format("{}:{}: {}", r.start, r.end, what));
  };
  switch (d->op) {
    case DurationExpr::Op::kStep:
      return static_cast<double>(step_ms) / 1000.0;
    case DurationExpr::Op::kRange:
      return static_cast<double>(range_ms) / 1000.0;
    case DurationExpr::Op::kMinOf:
      return std::fmin(lhs, rhs);
    case DurationExpr::Op::kMaxOf:
      return std::fmax(lhs, rhs);
    case DurationExpr::Op::kAdd:
      return d->lhs ? lhs + rhs : rhs;
    case DurationExpr::Op::kSub:
      return d->lhs ? lhs - rhs : -rhs;
    case DurationExpr::Op::kMul:
      return lhs * rhs;
    case DurationExpr::Op::kDiv:
      if (rhs == 0) return pos_err("division by zero");
      return lhs / rhs;
    case DurationExpr::Op::kMod:
      if (rhs == 0) return pos_err("modulo by zero");
      return std::fmod(lhs, rhs);
    case DurationExpr::Op::kPow:
      return std::pow(lhs, rhs);
  }
  return Status::InvalidArgument("unexpected duration expression operator");
}

Result<int64_t> ResolveDuration(const Expr& e, int64_t step_ms, int64_t range_ms,
                                bool allow_negative) {
  VIGIL_ASSIGN_OR_RETURN(double v, EvalDuration(e, step_ms, range_ms));
  PositionRange r = e.Range();
  if (std::isnan(v) || std::isinf(v)) {
    return Status::InvalidArgument(
        fmt::format("{}:{}: duration is NaN or infinite", r.start, r.end));
  }
  if (v <= 0 && !allow_negative) {
    return Status::InvalidArgument(
        fmt::format("{}:{}: duration must be greater than 0", r.start, r.end));
  }
  if (DurationSecondsOutOfRange(v)) {
    return Status::InvalidArgument(fmt::format("{}:{}: duration is out of range", r.start, r.end));
  }
  // Prometheus: time.Duration(seconds*1000) * time.Millisecond (truncation to whole ms).
  return static_cast<int64_t>(v * 1000);
}

namespace {

Status ResolveRec(Expr& e, int64_t step_ms, int64_t range_ms) {
  switch (e.kind()) {
    case NodeKind::kVectorSelector: {
      auto& vs = e.As<VectorSelector>();
      if (vs.original_offset_expr) {
        VIGIL_ASSIGN_OR_RETURN(vs.original_offset_ms,
                               ResolveDuration(*vs.original_offset_expr, step_ms, range_ms, true));
      }
      break;
    }
    case NodeKind::kMatrixSelector: {
      auto& ms = e.As<MatrixSelector>();
      if (ms.range_expr) {
        VIGIL_ASSIGN_OR_RETURN(ms.range_ms,
                               ResolveDuration(*ms.range_expr, step_ms, range_ms, false));
      }
      break;
    }
    case NodeKind::kSubquery: {
      auto& sq = e.As<SubqueryExpr>();
      if (sq.original_offset_expr) {
        VIGIL_ASSIGN_OR_RETURN(sq.original_offset_ms,
                               ResolveDuration(*sq.original_offset_expr, step_ms, range_ms, true));
      }
      if (sq.step_expr) {
        VIGIL_ASSIGN_OR_RETURN(sq.step_ms,
                               ResolveDuration(*sq.step_expr, step_ms, range_ms, false));
      }
      if (sq.range_expr) {
        VIGIL_ASSIGN_OR_RETURN(sq.range_ms,
                               ResolveDuration(*sq.range_expr, step_ms, range_ms, false));
      }
      break;
    }
    default:
      break;
  }
  for (Expr* c : Children(e)) VIGIL_RETURN_IF_ERROR(ResolveRec(*c, step_ms, range_ms));
  return Status::OK();
}

}  // namespace

Status ResolveDurations(Expr& root, int64_t step_ms, int64_t range_ms) {
  return ResolveRec(root, step_ms, range_ms);
}

}  // namespace vigil::promql::parser
