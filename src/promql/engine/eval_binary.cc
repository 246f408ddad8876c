// Binary operators. Vector matching computes each series' match signature once per node and
// maps it to a dense ordinal; the per-step loops then work on ordinal-indexed arrays.
#include <fmt/format.h>

#include <cmath>
#include <unordered_map>

#include "promql/engine/evaluator.h"
#include "promql/engine/value.h"

namespace vigil::promql {

using parser::BinaryOp;

namespace {

bool ChangesMetricSchema(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kPow:
    case BinaryOp::kMod:
    case BinaryOp::kAtan2:
      return true;
    default:
      return false;
  }
}

double ScalarBinop(BinaryOp op, double l, double r) {
  switch (op) {
    case BinaryOp::kAdd:
      return l + r;
    case BinaryOp::kSub:
      return l - r;
    case BinaryOp::kMul:
      return l * r;
    case BinaryOp::kDiv:
      return l / r;
    case BinaryOp::kPow:
      return std::pow(l, r);
    case BinaryOp::kMod:
      return std::fmod(l, r);
    case BinaryOp::kEql:
      return l == r;
    case BinaryOp::kNeq:
      return l != r;
    case BinaryOp::kGtr:
      return l > r;
    case BinaryOp::kLss:
      return l < r;
    case BinaryOp::kGte:
      return l >= r;
    case BinaryOp::kLte:
      return l <= r;
    case BinaryOp::kAtan2:
      return std::atan2(l, r);
    default:
      return std::nan("");
  }
}

// Prometheus' vectorElemBinop for two floats. Returns false (and sets *incompatible) for the
// histogram-only trim operators.
bool ElemBinop(BinaryOp op, double l, double r, double* value, bool* keep) {
  switch (op) {
    case BinaryOp::kEql:
      *value = l;
      *keep = l == r;
      return true;
    case BinaryOp::kNeq:
      *value = l;
      *keep = l != r;
      return true;
    case BinaryOp::kGtr:
      *value = l;
      *keep = l > r;
      return true;
    case BinaryOp::kLss:
      *value = l;
      *keep = l < r;
      return true;
    case BinaryOp::kGte:
      *value = l;
      *keep = l >= r;
      return true;
    case BinaryOp::kLte:
      *value = l;
      *keep = l <= r;
      return true;
    case BinaryOp::kTrimUpper:
    case BinaryOp::kTrimLower:
      return false;
    default:
      *value = ScalarBinop(op, l, r);
      *keep = true;
      return true;
  }
}

Annotation IncompatibleTypesInfo(BinaryOp op, parser::PositionRange pos) {
  Annotation a;
  a.kind = AnnotationKind::kInfo;
  std::string o(parser::BinaryOpString(op));
  a.text = fmt::format(
      "PromQL info: incompatible sample types encountered for binary operator \"{}\": float {} "
      "float",
      o, o);
  a.pos = pos;
  return a;
}

// Prometheus' Labels.MatchLabels.
Labels MatchLabels(const Labels& l, bool on, const std::vector<std::string>& names) {
  LabelsBuilder b(l);
  if (on) {
    b.Keep(names);
  } else {
    b.Del(kMetricName);
    for (const auto& n : names) b.Del(n);
  }
  return b.Build();
}

}  // namespace

Result<EvalResult> Evaluator::EvalBinary(const parser::BinaryExpr& e) {
  VIGIL_ASSIGN_OR_RETURN(EvalResult lhs, Eval(*e.lhs));
  VIGIL_ASSIGN_OR_RETURN(EvalResult rhs, Eval(*e.rhs));
  const BinaryOp op = e.op;
  if (lhs.type == ValueType::kScalar && rhs.type == ValueType::kScalar) {
    for (size_t k = 0; k < steps_; ++k)
      lhs.scalar[k] = ScalarBinop(op, lhs.scalar[k], rhs.scalar[k]);
    return lhs;
  }
  if (lhs.type == ValueType::kVector && rhs.type == ValueType::kVector) {
    if (op == BinaryOp::kAnd || op == BinaryOp::kOr || op == BinaryOp::kUnless) {
      return EvalSetOp(e, std::move(lhs.vec), std::move(rhs.vec));
    }
    return EvalVectorVector(e, std::move(lhs.vec), std::move(rhs.vec));
  }
  // Vector and scalar.
  const bool swap = lhs.type == ValueType::kScalar;
  EvalResult& vr = swap ? rhs : lhs;
  const std::vector<double>& s = swap ? lhs.scalar : rhs.scalar;
  VectorBlock& b = vr.vec;
  const bool cmp = parser::IsComparisonOp(op);
  const bool drop = ChangesMetricSchema(op) || e.return_bool;
  bool incompatible = false;
  for (size_t i = 0; i < b.rows(); ++i) {
    double* row = b.row(i);
    for (size_t k = 0; k < steps_; ++k) {
      if (IsAbsent(row[k])) continue;
      double lf = row[k], rf = s[k];
      if (swap) std::swap(lf, rf);
      double value;
      bool keep;
      if (!ElemBinop(op, lf, rf, &value, &keep)) {
        incompatible = true;
        row[k] = AbsentValue();
        continue;
      }
      if (cmp && swap) value = rf;
      if (e.return_bool) {
        value = keep ? 1.0 : 0.0;
        keep = true;
      }
      row[k] = keep ? value : AbsentValue();
    }
    if (drop) DropName(&b.series[i]);
  }
  if (incompatible) qs_->annos.Add(IncompatibleTypesInfo(op, e.Range()));
  CompactRows(&b);
  if (drop && !opts_->enable_delayed_name_removal) VIGIL_RETURN_IF_ERROR(MergeDuplicateRows(&b));
  EvalResult out;
  out.type = ValueType::kVector;
  out.vec = std::move(b);
  VIGIL_RETURN_IF_ERROR(Account(&out));
  return out;
}

namespace {

// Dense signature ordinals for both sides of a vector matching.
struct Signatures {
  std::vector<uint32_t> lhs, rhs;
  size_t count = 0;
};

Signatures ComputeSignatures(const VectorBlock& l, const VectorBlock& r,
                             const parser::VectorMatching& m) {
  Signatures s;
  std::unordered_map<std::string, uint32_t> index;
  auto sig = [&](const Labels& labels) {
    std::string key = m.on ? LabelsKeyWith(labels, m.matching_labels)
                           : LabelsKeyWithout(labels, m.matching_labels, /*drop_name=*/true);
    auto [it, inserted] = index.emplace(std::move(key), uint32_t(s.count));
    if (inserted) ++s.count;
    return it->second;
  };
  s.lhs.reserve(l.rows());
  for (const auto& meta : l.series) s.lhs.push_back(sig(meta.labels));
  s.rhs.reserve(r.rows());
  for (const auto& meta : r.series) s.rhs.push_back(sig(meta.labels));
  return s;
}

}  // namespace

Result<EvalResult> Evaluator::EvalSetOp(const parser::BinaryExpr& e, VectorBlock lhs,
                                        VectorBlock rhs) {
  static const parser::VectorMatching kDefault{parser::VectorMatchCardinality::kManyToMany};
  const parser::VectorMatching& m = e.matching ? *e.matching : kDefault;
  Signatures sig = ComputeSignatures(lhs, rhs, m);
  const size_t S = steps_;
  EvalResult out;
  out.type = ValueType::kVector;
  if (e.op == BinaryOp::kAnd || e.op == BinaryOp::kUnless) {
    std::vector<uint8_t> rpres(sig.count * S, 0);
    for (size_t i = 0; i < rhs.rows(); ++i) {
      const double* row = rhs.row(i);
      uint8_t* p = rpres.data() + size_t(sig.rhs[i]) * S;
      for (size_t k = 0; k < S; ++k) p[k] |= !IsAbsent(row[k]);
    }
    bool is_and = e.op == BinaryOp::kAnd;
    for (size_t i = 0; i < lhs.rows(); ++i) {
      double* row = lhs.row(i);
      const uint8_t* p = rpres.data() + size_t(sig.lhs[i]) * S;
      for (size_t k = 0; k < S; ++k) {
        if (bool(p[k]) != is_and) row[k] = AbsentValue();
      }
    }
    CompactRows(&lhs);
    out.vec = std::move(lhs);
  } else {  // or
    std::vector<uint8_t> lpres(sig.count * S, 0);
    for (size_t i = 0; i < lhs.rows(); ++i) {
      const double* row = lhs.row(i);
      uint8_t* p = lpres.data() + size_t(sig.lhs[i]) * S;
      for (size_t k = 0; k < S; ++k) p[k] |= !IsAbsent(row[k]);
    }
    VectorBlock& b = lhs;
    for (size_t i = 0; i < rhs.rows(); ++i) {
      double* row = rhs.row(i);
      const uint8_t* p = lpres.data() + size_t(sig.rhs[i]) * S;
      bool any = false;
      for (size_t k = 0; k < S; ++k) {
        if (p[k]) row[k] = AbsentValue();
        any |= !IsAbsent(row[k]);
      }
      if (!any) continue;
      VIGIL_ASSIGN_OR_RETURN(size_t idx, b.AddRow(std::move(rhs.series[i])));
      std::copy(row, row + S, b.row(idx));
    }
    CompactRows(&b);
    VIGIL_RETURN_IF_ERROR(MergeDuplicateRows(&b));
    out.vec = std::move(b);
  }
  VIGIL_RETURN_IF_ERROR(Account(&out));
  return out;
}

Result<EvalResult> Evaluator::EvalVectorVector(const parser::BinaryExpr& e, VectorBlock lhs,
                                               VectorBlock rhs) {
  static const parser::VectorMatching kDefault{};
  const parser::VectorMatching& m = e.matching ? *e.matching : kDefault;
  using Card = parser::VectorMatchCardinality;
  if (m.card == Card::kManyToMany) {
    return Status::Internal("many-to-many only allowed for set operators");
  }
  const BinaryOp op = e.op;
  const bool swap = m.card == Card::kOneToMany;
  const bool one_to_one = m.card == Card::kOneToOne;
  // "many" side M and "one" side O (Prometheus swaps the operands for group_right).
  VectorBlock& M = swap ? rhs : lhs;
  VectorBlock& O = swap ? lhs : rhs;
  Signatures sig = ComputeSignatures(lhs, rhs, m);
  const std::vector<uint32_t>& msig = swap ? sig.rhs : sig.lhs;
  const std::vector<uint32_t>& osig = swap ? sig.lhs : sig.rhs;
  const std::optional<double>& fill_o = m.fill_rhs;  // as Prometheus: not swapped
  const std::optional<double>& fill_m = m.fill_lhs;
  const bool drop_label_name =
      (!opts_->enable_delayed_name_removal && e.return_bool) || ChangesMetricSchema(op);
  const size_t S = steps_;
  const size_t G = sig.count;

  // The loops below run row by row over contiguous step arrays; per-step state lives in
  // (signature, step) and (output row, step) arrays.
  //
  // Steps where nothing can match (Prometheus' short-circuit, which also skips the checks).
  std::vector<uint32_t> m_cnt(S, 0), o_cnt(S, 0);
  for (size_t i = 0; i < M.rows(); ++i) {
    const double* row = M.row(i);
    for (size_t k = 0; k < S; ++k) m_cnt[k] += !IsAbsent(row[k]);
  }
  for (size_t i = 0; i < O.rows(); ++i) {
    const double* row = O.row(i);
    for (size_t k = 0; k < S; ++k) o_cnt[k] += !IsAbsent(row[k]);
  }
  std::vector<uint8_t> skip(S);
  for (size_t k = 0; k < S; ++k) {
    skip[k] = (m_cnt[k] == 0 && o_cnt[k] == 0) ||
              ((m_cnt[k] == 0 || o_cnt[k] == 0) && !fill_o && !fill_m);
  }
  // The "one" side row present for each signature and step.
  std::vector<int32_t> o_at(G * S, -1);
  for (size_t i = 0; i < O.rows(); ++i) {
    const double* row = O.row(i);
    int32_t* at = o_at.data() + size_t(osig[i]) * S;
    for (size_t k = 0; k < S; ++k) {
      if (IsAbsent(row[k]) || skip[k]) continue;
      if (at[k] >= 0) {
        const Labels& a = O.series[i].labels;
        const Labels& b = O.series[size_t(at[k])].labels;
        std::string d1 = a.ToString(), d2 = b.ToString();
        if (d1 > d2) std::swap(d1, d2);
        return Status::Execution(fmt::format(
            "found duplicate series for the match group {} on the {} hand-side of the operation: "
            "[{}, {}];many-to-many matching not allowed: matching labels must be unique on one "
            "side",
            MatchLabels(a, m.on, m.matching_labels).ToString(), swap ? "left" : "right", d1, d2));
      }
      at[k] = int32_t(i);
    }
  }

  EvalResult out;
  out.type = ValueType::kVector;
  VectorBlock& res = out.vec;
  res = NewBlock();
  std::vector<uint8_t> matched(G * S, 0);  // a match (or fill) happened for (sig, step)
  std::vector<uint32_t> touched;           // many-to-one: sig + 1 that produced (row, step)
  std::unordered_map<uint64_t, size_t> pair_row;
  std::unordered_map<std::string, size_t> labels_row;
  bool incompatible = false;

  auto result_labels = [&](const Labels& ml, const Labels& ol) {
    LabelsBuilder b(ml);
    if (drop_label_name) {
      b.Del(kMetricName);
      b.Del("__type__");
      b.Del("__unit__");
    }
    if (one_to_one) {
      if (m.on) {
        b.Keep(m.matching_labels);
      } else {
        for (const auto& n : m.matching_labels) b.Del(n);
      }
    }
    for (const auto& ln : m.include) {
      std::string_view v = ol.Get(ln);
      if (!v.empty()) {
        b.Set(ln, v);
      } else {
        b.Del(ln);
      }
    }
    return b.Build();
  };
  auto row_for = [&](int64_t mi, int64_t oi) -> Result<size_t> {
    uint64_t key = (uint64_t(mi + 1) << 32) | uint64_t(oi + 1);
    auto it = pair_row.find(key);
    if (it != pair_row.end()) return it->second;
    Labels ml = mi >= 0 ? M.series[size_t(mi)].labels
                        : MatchLabels(O.series[size_t(oi)].labels, m.on, m.matching_labels);
    Labels ol = oi >= 0 ? O.series[size_t(oi)].labels
                        : MatchLabels(M.series[size_t(mi)].labels, m.on, m.matching_labels);
    Labels rl = result_labels(ml, ol);
    auto [lit, inserted] = labels_row.emplace(rl.data(), res.rows());
    if (inserted) {
      SeriesMeta meta{std::move(rl), false};
      if (e.return_bool && opts_->enable_delayed_name_removal) meta.drop_name = true;
      VIGIL_RETURN_IF_ERROR(res.AddRow(std::move(meta)).status());
      if (!one_to_one) touched.resize(res.rows() * S, 0);
    }
    pair_row.emplace(key, lit->second);
    return lit->second;
  };
  // One binary operation at step k; mi / oi = -1 for a filled side.
  auto do_op = [&](size_t k, size_t row, uint32_t s, double mv, double ov) -> Status {
    double fl = mv, fr = ov;
    if (swap) std::swap(fl, fr);
    double value;
    bool keep;
    if (!ElemBinop(op, fl, fr, &value, &keep)) {
      incompatible = true;
      return Status::OK();
    }
    if (e.return_bool) value = keep ? 1.0 : 0.0;
    uint8_t& mk = matched[size_t(s) * S + k];
    if (one_to_one) {
      if (mk) {
        return Status::Execution(
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
      }
    } else {
      uint32_t& t = touched[row * S + k];
      if (t == s + 1) {
        return Status::Execution(
            "multiple matches for labels: grouping labels must ensure unique matches");
      }
      t = s + 1;
    }
    mk = 1;
    if (!keep && !e.return_bool) return Status::OK();
    double& dst = res.row(row)[k];
    if (!IsAbsent(dst)) {
      return Status::Execution("vector cannot contain metrics with the same labelset");
    }
    dst = value;
    return Status::OK();
  };

  for (size_t i = 0; i < M.rows(); ++i) {
    const double* row = M.row(i);
    const uint32_t s = msig[i];
    const int32_t* at = o_at.data() + size_t(s) * S;
    int32_t last_o = -2;
    size_t out_row = 0;
    for (size_t k = 0; k < S; ++k) {
      double mv = row[k];
      if (IsAbsent(mv) || skip[k]) continue;
      int32_t o = at[k];
      double ov;
      if (o >= 0) {
        ov = O.row(size_t(o))[k];
      } else if (fill_o) {
        ov = *fill_o;
      } else {
        continue;
      }
      if (o != last_o) {
        VIGIL_ASSIGN_OR_RETURN(out_row, row_for(int64_t(i), o));
        last_o = o;
      }
      VIGIL_RETURN_IF_ERROR(do_op(k, out_row, s, mv, ov));
    }
  }
  if (fill_m) {
    for (size_t i = 0; i < O.rows(); ++i) {
      const double* row = O.row(i);
      const uint32_t s = osig[i];
      const uint8_t* mk = matched.data() + size_t(s) * S;
      bool have_row = false;
      size_t out_row = 0;
      for (size_t k = 0; k < S; ++k) {
        double ov = row[k];
        if (IsAbsent(ov) || skip[k] || mk[k]) continue;
        if (!have_row) {
          VIGIL_ASSIGN_OR_RETURN(out_row, row_for(-1, int64_t(i)));
          have_row = true;
        }
        VIGIL_RETURN_IF_ERROR(do_op(k, out_row, s, *fill_m, ov));
      }
    }
  }
  if (incompatible) qs_->annos.Add(IncompatibleTypesInfo(op, e.Range()));
  CompactRows(&res);
  VIGIL_RETURN_IF_ERROR(Account(&out));
  return out;
}

}  // namespace vigil::promql
