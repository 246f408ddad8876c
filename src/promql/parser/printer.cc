#include "promql/parser/printer.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "promql/parser/functions.h"
#include "promql/parser/lexer.h"

namespace vigil::promql::parser {

namespace {

bool IsLegacyLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Prometheus' labels.Matcher.String(): name (quoted unless a legacy name), op, quoted value.
std::string MatcherString(const Matcher& m) {
  std::string out = FormatLabelName(m.name());
  out += MatchTypeString(m.type());
  out += GoQuote(m.value());
  return out;
}

void WriteLabels(std::string* out, const std::vector<std::string>& ls) {
  for (size_t i = 0; i < ls.size(); i++) {
    if (i > 0) *out += ", ";
    *out += FormatLabelName(ls[i]);
  }
}

std::string OffsetString(int64_t offset_ms, const DurationExpr* expr) {
  if (expr != nullptr) return " offset " + ToString(*expr);
  if (offset_ms > 0) return " offset " + FormatDuration(offset_ms);
  if (offset_ms < 0) return " offset -" + FormatDuration(-offset_ms);
  return "";
}

std::string AtString(const std::optional<int64_t>& ts, AtModifier se) {
  if (ts) return fmt::format(" @ {:.3f}", static_cast<double>(*ts) / 1000.0);
  if (se == AtModifier::kStart) return " @ start()";
  if (se == AtModifier::kEnd) return " @ end()";
  return "";
}

// The vector selector without @, offset and anchored/smoothed.
void WriteSelectorBase(std::string* out, const VectorSelector& vs) {
  std::vector<std::string> ms;
  ms.reserve(vs.matchers.size());
  for (const Matcher& m : vs.matchers) {
    if (m.name() == kMetricName && m.type() == MatchType::kEqual && m.value() == vs.name &&
        !m.value().empty()) {
      continue;
    }
    ms.push_back(MatcherString(m));
  }
  *out += vs.name;
  if (!ms.empty()) {
    std::sort(ms.begin(), ms.end());
    *out += '{';
    for (size_t i = 0; i < ms.size(); i++) {
      if (i > 0) *out += ',';
      *out += ms[i];
    }
    *out += '}';
  }
}

std::string MatchingString(const BinaryExpr& b) {
  std::string out;
  if (!b.matching) return out;
  const VectorMatching& vm = *b.matching;
  const bool grouped = vm.card == VectorMatchCardinality::kManyToOne ||
                       vm.card == VectorMatchCardinality::kOneToMany;
  if (!vm.matching_labels.empty() || vm.on || grouped) {
    out += vm.on ? " on (" : " ignoring (";
    WriteLabels(&out, vm.matching_labels);
    out += ')';
  }
  if (grouped) {
    out += vm.card == VectorMatchCardinality::kManyToOne ? " group_left (" : " group_right (";
    WriteLabels(&out, vm.include);
    out += ')';
  }
  if (vm.fill_lhs || vm.fill_rhs) {
    // NaN != NaN, so fill_left(NaN) fill_right(NaN) stays two clauses, as in Prometheus.
    if (vm.fill_lhs && vm.fill_rhs && *vm.fill_lhs == *vm.fill_rhs) {
      out += " fill (" + FormatFloatV(*vm.fill_lhs) + ")";
    } else {
      if (vm.fill_lhs) out += " fill_left (" + FormatFloatV(*vm.fill_lhs) + ")";
      if (vm.fill_rhs) out += " fill_right (" + FormatFloatV(*vm.fill_rhs) + ")";
    }
  }
  return out;
}

std::string AggregateOpPrefix(const AggregateExpr& a) {
  std::string out(AggregateOpString(a.op));
  if (a.without) {
    out += " without (";
    WriteLabels(&out, a.grouping);
    out += ") ";
  } else if (!a.grouping.empty()) {
    out += " by (";
    WriteLabels(&out, a.grouping);
    out += ") ";
  }
  return out;
}

std::string SubquerySuffix(const SubqueryExpr& s) {
  std::string range = s.range_expr ? ToString(*s.range_expr) : FormatDuration(s.range_ms);
  std::string step;
  if (s.step_expr) {
    step = ToString(*s.step_expr);
  } else if (s.step_ms != 0) {
    step = FormatDuration(s.step_ms);
  }
  return "[" + range + ":" + step + "]" + AtString(s.timestamp_ms, s.start_or_end) +
         OffsetString(s.original_offset_ms, s.original_offset_expr.get());
}

std::string DurationOpString(DurationExpr::Op op) {
  switch (op) {
    case DurationExpr::Op::kAdd:
      return "+";
    case DurationExpr::Op::kSub:
      return "-";
    case DurationExpr::Op::kMul:
      return "*";
    case DurationExpr::Op::kDiv:
      return "/";
    case DurationExpr::Op::kMod:
      return "%";
    case DurationExpr::Op::kPow:
      return "^";
    case DurationExpr::Op::kStep:
      return "step";
    case DurationExpr::Op::kRange:
      return "range";
    case DurationExpr::Op::kMaxOf:
      return "max_of";
    case DurationExpr::Op::kMinOf:
      return "min_of";
  }
  return "?";
}

void Write(std::string* out, const Expr& e);

void WriteDuration(std::string* out, const DurationExpr& d) {
  if (d.wrapped) *out += '(';
  switch (d.op) {
    case DurationExpr::Op::kStep:
      *out += "step()";
      break;
    case DurationExpr::Op::kRange:
      *out += "range()";
      break;
    case DurationExpr::Op::kMaxOf:
    case DurationExpr::Op::kMinOf:
      *out += DurationOpString(d.op);
      *out += '(';
      if (d.lhs) Write(out, *d.lhs);
      *out += ", ";
      if (d.rhs) Write(out, *d.rhs);
      *out += ')';
      break;
    default:
      if (d.lhs == nullptr) {
        if (d.op == DurationExpr::Op::kSub) *out += '-';
        if (d.rhs) Write(out, *d.rhs);
      } else {
        Write(out, *d.lhs);
        *out += ' ';
        *out += DurationOpString(d.op);
        *out += ' ';
        if (d.rhs) Write(out, *d.rhs);
      }
      break;
  }
  if (d.wrapped) *out += ')';
}

void Write(std::string* out, const Expr& e) {
  switch (e.kind()) {
    case NodeKind::kAggregate: {
      const auto& a = e.As<AggregateExpr>();
      *out += AggregateOpPrefix(a);
      *out += '(';
      if (AggregateOpHasParam(a.op) && a.param) {
        Write(out, *a.param);
        *out += ", ";
      }
      if (a.expr) Write(out, *a.expr);
      *out += ')';
      return;
    }
    case NodeKind::kBinary: {
      const auto& b = e.As<BinaryExpr>();
      Write(out, *b.lhs);
      *out += ' ';
      *out += BinaryOpString(b.op);
      if (b.return_bool) *out += " bool";
      *out += MatchingString(b);
      *out += ' ';
      Write(out, *b.rhs);
      return;
    }
    case NodeKind::kCall: {
      const auto& c = e.As<Call>();
      *out += c.func ? c.func->name : std::string_view("<unknown>");
      *out += '(';
      for (size_t i = 0; i < c.args.size(); i++) {
        if (i > 0) *out += ", ";
        Write(out, *c.args[i]);
      }
      *out += ')';
      return;
    }
    case NodeKind::kMatrixSelector: {
      const auto& m = e.As<MatrixSelector>();
      const VectorSelector& vs = *m.vector_selector;
      WriteSelectorBase(out, vs);
      *out += '[';
      *out += m.range_expr ? ToString(*m.range_expr) : FormatDuration(m.range_ms);
      *out += ']';
      if (vs.anchored) {
        *out += " anchored";
      } else if (vs.smoothed) {
        *out += " smoothed";
      }
      *out += AtString(vs.timestamp_ms, vs.start_or_end);
      *out += OffsetString(vs.original_offset_ms, vs.original_offset_expr.get());
      return;
    }
    case NodeKind::kSubquery: {
      const auto& s = e.As<SubqueryExpr>();
      Write(out, *s.expr);
      *out += SubquerySuffix(s);
      return;
    }
    case NodeKind::kNumberLiteral: {
      const auto& n = e.As<NumberLiteral>();
      if (n.duration) {
        // Prometheus formats model.Duration(val * 1e9): whole milliseconds.
        double ms = n.val * 1000.0;
        if (std::isnan(ms) || std::fabs(ms) > 9.2e15) {
          *out += FormatNumber(n.val);
        } else if (n.val < 0) {
          *out += '-';
          *out += FormatDuration(static_cast<int64_t>(-n.val * 1e9) / 1000000);
        } else {
          *out += FormatDuration(static_cast<int64_t>(n.val * 1e9) / 1000000);
        }
      } else {
        *out += FormatNumber(n.val);
      }
      return;
    }
    case NodeKind::kParen:
      *out += '(';
      Write(out, *e.As<ParenExpr>().expr);
      *out += ')';
      return;
    case NodeKind::kStringLiteral:
      *out += GoQuote(e.As<StringLiteral>().val);
      return;
    case NodeKind::kUnary: {
      const auto& u = e.As<UnaryExpr>();
      *out += u.op == UnaryExpr::Op::kSub ? '-' : '+';
      Write(out, *u.expr);
      return;
    }
    case NodeKind::kVectorSelector: {
      const auto& vs = e.As<VectorSelector>();
      WriteSelectorBase(out, vs);
      *out += AtString(vs.timestamp_ms, vs.start_or_end);
      if (vs.anchored) {
        *out += " anchored";
      } else if (vs.smoothed) {
        *out += " smoothed";
      }
      *out += OffsetString(vs.original_offset_ms, vs.original_offset_expr.get());
      return;
    }
    case NodeKind::kStepInvariant:
      Write(out, *e.As<StepInvariantExpr>().expr);
      return;
    case NodeKind::kDuration:
      WriteDuration(out, e.As<DurationExpr>());
      return;
  }
}

std::string Indent(int level) { return std::string(static_cast<size_t>(level) * 2, ' '); }

bool NeedsSplit(const Expr& e, size_t max_line) { return ToString(e).size() > max_line; }

std::string Pretty(const Expr& e, int level, size_t max_line);

std::string TrimSpace(std::string s) {
  size_t b = s.find_first_not_of(" \t\n\r");
  if (b == std::string::npos) return "";
  size_t end = s.find_last_not_of(" \t\n\r");
  return s.substr(b, end - b + 1);
}

std::string Pretty(const Expr& e, int level, size_t max_line) {
  switch (e.kind()) {
    case NodeKind::kAggregate: {
      const auto& a = e.As<AggregateExpr>();
      std::string s = Indent(level);
      if (!NeedsSplit(e, max_line)) return s + ToString(e);
      s += AggregateOpPrefix(a);
      s += "(\n";
      if (AggregateOpHasParam(a.op) && a.param) s += Pretty(*a.param, level + 1, max_line) + ",\n";
      s += Pretty(*a.expr, level + 1, max_line) + "\n" + Indent(level) + ")";
      return s;
    }
    case NodeKind::kBinary: {
      const auto& b = e.As<BinaryExpr>();
      std::string s = Indent(level);
      if (!NeedsSplit(e, max_line)) return s + ToString(e);
      std::string op(BinaryOpString(b.op));
      if (b.return_bool) op += " bool";
      op += MatchingString(b);
      return Pretty(*b.lhs, level + 1, max_line) + "\n" + Indent(level) + op + "\n" +
             Pretty(*b.rhs, level + 1, max_line);
    }
    case NodeKind::kCall: {
      const auto& c = e.As<Call>();
      std::string s = Indent(level);
      if (!NeedsSplit(e, max_line)) return s + ToString(e);
      s += std::string(c.func->name) + "(\n";
      for (size_t i = 0; i < c.args.size(); i++) {
        if (i > 0) s += ",\n";
        s += Pretty(*c.args[i], level + 1, max_line);
      }
      s += "\n" + Indent(level) + ")";
      return s;
    }
    case NodeKind::kParen: {
      std::string s = Indent(level);
      if (!NeedsSplit(e, max_line)) return s + ToString(e);
      return s + "(\n" + Pretty(*e.As<ParenExpr>().expr, level + 1, max_line) + "\n" +
             Indent(level) + ")";
    }
    case NodeKind::kStepInvariant:
      return Pretty(*e.As<StepInvariantExpr>().expr, level, max_line);
    case NodeKind::kSubquery: {
      const auto& sq = e.As<SubqueryExpr>();
      if (!NeedsSplit(e, max_line)) return ToString(e);
      return Pretty(*sq.expr, level, max_line) + SubquerySuffix(sq);
    }
    case NodeKind::kUnary: {
      const auto& u = e.As<UnaryExpr>();
      std::string child = TrimSpace(Pretty(*u.expr, level, max_line));
      return Indent(level) + (u.op == UnaryExpr::Op::kSub ? "-" : "+") + child;
    }
    case NodeKind::kDuration:
      return ToString(e);
    default:
      return Indent(level) + ToString(e);
  }
}

// Shortest round-trip decimal digits of |v| (v finite, non-zero) and the decimal point
// position: v = 0.d1d2d3... * 10^dp.
void ShortestDigits(double v, std::string* digits, int* dp) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(res.ptr - buf));
  size_t e = s.find('e');
  std::string_view mant = s.substr(0, e);
  int exp = std::atoi(std::string(s.substr(e + 1)).c_str());
  digits->clear();
  for (char c : mant) {
    if (c != '.') digits->push_back(c);
  }
  while (digits->size() > 1 && digits->back() == '0') digits->pop_back();
  *dp = exp + 1;
}

// Go's %f layout of shortest digits `d` with decimal point position `dp`.
void AppendFixed(std::string* out, const std::string& d, int dp) {
  const int nd = static_cast<int>(d.size());
  if (dp <= 0) {
    *out += "0.";
    *out += std::string(static_cast<size_t>(-dp), '0');
    *out += d;
  } else if (dp >= nd) {
    *out += d;
    *out += std::string(static_cast<size_t>(dp - nd), '0');
  } else {
    *out += d.substr(0, static_cast<size_t>(dp));
    *out += '.';
    *out += d.substr(static_cast<size_t>(dp));
  }
}

}  // namespace

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::string out;
  if (std::signbit(v)) out += '-';
  if (v == 0) return out + "0";
  std::string d;
  int dp;
  ShortestDigits(v, &d, &dp);
  AppendFixed(&out, d, dp);
  return out;
}

std::string FormatFloatV(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::string out;
  if (std::signbit(v)) out += '-';
  if (v == 0) return out + "0";
  std::string d;
  int dp;
  ShortestDigits(v, &d, &dp);
  const int nd = static_cast<int>(d.size());
  const int exp = dp - 1;
  if (exp < -4 || exp >= 6) {
    // %e with the shortest digits: d.ddde±XX
    out += d[0];
    if (nd > 1) {
      out += '.';
      out += d.substr(1);
    }
    out += 'e';
    out += exp < 0 ? '-' : '+';
    int ax = exp < 0 ? -exp : exp;
    if (ax < 10) out += '0';
    out += std::to_string(ax);
    return out;
  }
  AppendFixed(&out, d, dp);
  return out;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string sign;
  uint64_t v = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  if (ms < 0) sign = "-";
  std::string out;
  auto unit = [&](std::string_view name, uint64_t mult, bool exact) {
    if (exact && v % mult != 0) return;
    uint64_t n = v / mult;
    if (n > 0) {
      out += std::to_string(n);
      out += name;
      v -= n * mult;
    }
  };
  constexpr uint64_t kDay = 1000ull * 60 * 60 * 24;
  unit("y", kDay * 365, true);
  unit("w", kDay * 7, true);
  unit("d", kDay, false);
  unit("h", 1000ull * 60 * 60, false);
  unit("m", 1000ull * 60, false);
  unit("s", 1000ull, false);
  unit("ms", 1, false);
  return sign + out;
}

std::string FormatLabelName(std::string_view name) {
  if (IsLegacyLabelName(name)) return std::string(name);
  return GoQuote(name);
}

std::string ToString(const Expr& e) {
  std::string out;
  Write(&out, e);
  return out;
}

std::string Prettify(const Expr& e, size_t max_line) { return Pretty(e, 0, max_line); }

}  // namespace vigil::promql::parser
