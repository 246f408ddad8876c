// Aggregations: input rows are mapped to dense group ids once per node; the per-step work adds
// into arrays indexed by (group, step).
#define XXH_STATIC_LINKING_ONLY
#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "promql/engine/evaluator.h"
#include "promql/engine/value.h"

namespace vigil::promql {

using parser::AggregateOp;

namespace {

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

Labels GroupLabels(const Labels& l, const std::vector<std::string>& grouping, bool without) {
  LabelsBuilder b(l);
  if (without) {
    for (const auto& n : grouping) b.Del(n);
    b.Del(kMetricName);
    return b.Build();
  }
  if (grouping.empty()) return Labels();
  b.Keep(grouping);
  return b.Build();
}

std::string GroupKey(const Labels& l, const std::vector<std::string>& grouping, bool without) {
  if (without) return LabelsKeyWithout(l, grouping, /*drop_name=*/true);
  if (grouping.empty()) return std::string();
  return LabelsKeyWith(l, grouping);
}

// Go's container/heap over sample indices with a "less" predicate.
template <typename Less>
void HeapUp(std::vector<size_t>& h, size_t j, Less less) {
  while (j > 0) {
    size_t i = (j - 1) / 2;
    if (!less(h[j], h[i])) break;
    std::swap(h[i], h[j]);
    j = i;
  }
}

template <typename Less>
bool HeapDown(std::vector<size_t>& h, size_t i0, size_t n, Less less) {
  size_t i = i0;
  while (true) {
    size_t j1 = 2 * i + 1;
    if (j1 >= n) break;
    size_t j = j1;
    if (j1 + 1 < n && less(h[j1 + 1], h[j1])) j = j1 + 1;
    if (!less(h[j], h[i])) break;
    std::swap(h[i], h[j]);
    i = j;
  }
  return i > i0;
}

template <typename Less>
void HeapPush(std::vector<size_t>& h, size_t x, Less less) {
  h.push_back(x);
  HeapUp(h, h.size() - 1, less);
}

template <typename Less>
void HeapFix(std::vector<size_t>& h, size_t i, Less less) {
  if (!HeapDown(h, i, h.size(), less)) HeapUp(h, i, less);
}

// Prometheus' labels.Hash() (stringlabels encoding hashed with xxhash64).
uint64_t PrometheusLabelsHash(const Labels& l) {
  std::string buf;
  auto put_size = [&](size_t n) {
    if (n < 255) {
      buf.push_back(char(n));
    } else {
      buf.push_back(char(255));
      buf.push_back(char(n & 0xff));
      buf.push_back(char((n >> 8) & 0xff));
      buf.push_back(char((n >> 16) & 0xff));
    }
  };
  for (const auto& lv : l) {
    put_size(lv.name.size());
    buf.append(lv.name);
    put_size(lv.value.size());
    buf.append(lv.value);
  }
  return XXH64(buf.data(), buf.size(), 0);
}

}  // namespace

namespace {

// Accumulates input rows into (group, step) arrays for sum, avg, count, group, min, max,
// stddev and stdvar. Rows arrive one at a time (streamed or from a materialised block) in
// series order, which is also the order Prometheus adds samples in, so Kahan sums match.
class RowAggregator {
 public:
  RowAggregator(AggregateOp op, std::vector<std::string> grouping, bool without, size_t steps,
                int64_t max_points)
      : op_(op),
        grouping_(std::move(grouping)),
        without_(without),
        S_(steps),
        max_points_(max_points) {}

  // Error: ResourceExhausted when the groups would exceed the query's point limit.
  Status Add(const SeriesMeta& meta, const double* row) {
    uint32_t g = 0;
    VIGIL_RETURN_IF_ERROR(GroupOf(meta, &g));
    const size_t base = size_t(g) * S_;
    double* o = out_.data() + base;
    switch (op_) {
      case AggregateOp::kSum: {
        double* c = comp_.data() + base;
        for (size_t k = 0; k < S_; ++k) {
          double v = row[k];
          if (IsAbsent(v)) continue;
          if (IsAbsent(o[k])) {
            o[k] = v;
          } else {
            KahanInc(v, &o[k], &c[k]);
          }
        }
        break;
      }
      case AggregateOp::kAvg: {
        for (size_t k = 0; k < S_; ++k) {
          double v = row[k];
          if (IsAbsent(v)) continue;
          size_t j = base + k;
          if (IsAbsent(out_[j])) {
            out_[j] = v;
            mean_[j] = v;
            count_[j] = 1;
            continue;
          }
          count_[j] += 1;
          if (!incremental_[j]) {
            double ns = out_[j], nc = comp_[j];
            KahanInc(v, &ns, &nc);
            if (!std::isinf(ns)) {
              out_[j] = ns;
              comp_[j] = nc;
              continue;
            }
            incremental_[j] = 1;
            mean_[j] = out_[j] / (count_[j] - 1);
            comp_[j] /= count_[j] - 1;
          }
          double q = (count_[j] - 1) / count_[j];
          double m = q * mean_[j], mc = q * comp_[j];
          KahanInc(v / count_[j], &m, &mc);
          mean_[j] = m;
          comp_[j] = mc;
        }
        break;
      }
      case AggregateOp::kCount:
      case AggregateOp::kGroup: {
        const bool group = op_ == AggregateOp::kGroup;
        for (size_t k = 0; k < S_; ++k) {
          if (IsAbsent(row[k])) continue;
          if (IsAbsent(o[k])) {
            o[k] = 1;
          } else if (!group) {
            o[k] += 1;
          }
        }
        break;
      }
      case AggregateOp::kMin:
      case AggregateOp::kMax: {
        const bool is_max = op_ == AggregateOp::kMax;
        for (size_t k = 0; k < S_; ++k) {
          double v = row[k];
          if (IsAbsent(v)) continue;
          if (IsAbsent(o[k]) ||
              (is_max ? (o[k] < v || std::isnan(o[k])) : (o[k] > v || std::isnan(o[k])))) {
            o[k] = v;
          }
        }
        break;
      }
      case AggregateOp::kStddev:
      case AggregateOp::kStdvar: {
        for (size_t k = 0; k < S_; ++k) {
          double v = row[k];
          if (IsAbsent(v)) continue;
          size_t j = base + k;
          if (IsAbsent(out_[j])) {
            out_[j] = (std::isnan(v) || std::isinf(v)) ? std::nan("") : 0.0;
            mean_[j] = v;
            count_[j] = 1;
            continue;
          }
          count_[j] += 1;
          double delta = v - mean_[j];
          mean_[j] += delta / count_[j];
          out_[j] += delta * (v - mean_[j]);
        }
        break;
      }
      default:
        break;
    }
    return Status::OK();
  }

  VectorBlock Finish() {
    const size_t n = groups_.size() * S_;
    for (size_t j = 0; j < n; ++j) {
      if (IsAbsent(out_[j])) continue;
      switch (op_) {
        case AggregateOp::kSum:
          out_[j] += comp_[j];
          break;
        case AggregateOp::kAvg:
          out_[j] =
              incremental_[j] ? mean_[j] + comp_[j] : out_[j] / count_[j] + comp_[j] / count_[j];
          break;
        case AggregateOp::kStddev:
          out_[j] = std::sqrt(out_[j] / count_[j]);
          break;
        case AggregateOp::kStdvar:
          out_[j] = out_[j] / count_[j];
          break;
        default:
          break;
      }
    }
    VectorBlock b;
    b.steps = S_;
    b.series = std::move(groups_);
    b.values = std::move(out_);
    return b;
  }

 private:
  Status GroupOf(const SeriesMeta& meta, uint32_t* gid) {
    key_ = GroupKey(meta.labels, grouping_, without_);
    auto it = index_.find(key_);
    uint32_t g;
    if (it != index_.end()) {
      g = it->second;
    } else {
      if (max_points_ > 0 && int64_t((groups_.size() + 1) * S_) > max_points_) {
        return TooManySamplesError();
      }
      g = uint32_t(groups_.size());
      index_.emplace(key_, g);
      groups_.push_back(SeriesMeta{GroupLabels(meta.labels, grouping_, without_), false});
      const size_t n = groups_.size() * S_;
      out_.resize(n, AbsentValue());
      if (op_ == AggregateOp::kSum || op_ == AggregateOp::kAvg) comp_.resize(n, 0.0);
      if (op_ == AggregateOp::kAvg || op_ == AggregateOp::kStddev || op_ == AggregateOp::kStdvar) {
        count_.resize(n, 0.0);
        mean_.resize(n, 0.0);
      }
      if (op_ == AggregateOp::kAvg) incremental_.resize(n, 0);
    }
    if (meta.drop_name) groups_[g].drop_name = true;
    *gid = g;
    return Status::OK();
  }

  AggregateOp op_;
  std::vector<std::string> grouping_;
  bool without_;
  size_t S_;
  int64_t max_points_;
  std::string key_;
  std::unordered_map<std::string, uint32_t> index_;
  std::vector<SeriesMeta> groups_;
  std::vector<double> out_, comp_, count_, mean_;
  std::vector<uint8_t> incremental_;
};

}  // namespace

Result<EvalResult> Evaluator::EvalAggregate(const parser::AggregateExpr& e) {
  if (e.op == AggregateOp::kCountValues) return EvalCountValues(e);
  std::vector<double> params;
  if (e.param) {
    VIGIL_ASSIGN_OR_RETURN(params, EvalScalarArg(*e.param));
  }
  const std::vector<std::string> grouping = Sorted(e.grouping);
  EvalResult r;
  r.type = ValueType::kVector;
  if (e.op != AggregateOp::kTopk && e.op != AggregateOp::kBottomk && e.op != AggregateOp::kLimitk &&
      e.op != AggregateOp::kLimitRatio && e.op != AggregateOp::kQuantile) {
    // Streamed: input rows are folded into the group arrays as they are produced.
    RowAggregator agg(e.op, grouping, e.without, steps_, qs_->PointLimit());
    VIGIL_RETURN_IF_ERROR(EvalRows(
        *e.expr, [&](SeriesMeta&& meta, const double* row) { return agg.Add(meta, row); }));
    r.vec = agg.Finish();
    r.vec.max_points = qs_->PointLimit();
    CompactRows(&r.vec);
    VIGIL_RETURN_IF_ERROR(Account(&r));
    return r;
  }
  VIGIL_ASSIGN_OR_RETURN(EvalResult in, Eval(*e.expr));
  if (in.type != ValueType::kVector) return Status::Internal("aggregation over a non-vector");
  if (e.op != AggregateOp::kQuantile) return EvalTopK(e, params, std::move(in.vec));
  const VectorBlock& b = in.vec;

  bool any_nan = false;
  double mx = -std::numeric_limits<double>::max(), mn = std::numeric_limits<double>::max();
  for (double q : params) {
    any_nan |= std::isnan(q);
    mx = std::isnan(q) || std::isnan(mx) ? std::nan("") : std::max(mx, q);
    mn = std::isnan(q) || std::isnan(mn) ? std::nan("") : std::min(mn, q);
  }
  if (any_nan) qs_->annos.Add(InvalidQuantileWarning(std::nan(""), e.param->Range()));
  if (mx > 1) qs_->annos.Add(InvalidQuantileWarning(mx, e.param->Range()));
  if (mn < 0) qs_->annos.Add(InvalidQuantileWarning(mn, e.param->Range()));

  // Dense group ids, computed once.
  std::vector<uint32_t> gid(b.rows());
  std::vector<SeriesMeta> groups;
  {
    std::unordered_map<std::string, uint32_t> index;
    for (size_t i = 0; i < b.rows(); ++i) {
      std::string key = GroupKey(b.series[i].labels, grouping, e.without);
      auto [it, inserted] = index.emplace(std::move(key), uint32_t(groups.size()));
      if (inserted) {
        groups.push_back(SeriesMeta{GroupLabels(b.series[i].labels, grouping, e.without), false});
      }
      gid[i] = it->second;
      if (b.series[i].drop_name) groups[it->second].drop_name = true;
    }
  }
  const size_t G = groups.size();
  const size_t S = steps_;
  r.vec.steps = S;
  r.vec.series = std::move(groups);
  r.vec.values.assign(G * S, AbsentValue());
  double* out = r.vec.values.data();
  std::vector<std::vector<double>> vals(G);
  for (size_t k = 0; k < S; ++k) {
    for (auto& v : vals) v.clear();
    for (size_t i = 0; i < b.rows(); ++i) {
      double v = b.row(i)[k];
      if (!IsAbsent(v)) vals[gid[i]].push_back(v);
    }
    for (size_t g = 0; g < G; ++g) {
      if (!vals[g].empty()) out[g * S + k] = Quantile(params[k], &vals[g]);
    }
  }
  CompactRows(&r.vec);
  VIGIL_RETURN_IF_ERROR(Account(&r));
  return r;
}

Result<EvalResult> Evaluator::EvalTopK(const parser::AggregateExpr& e,
                                       const std::vector<double>& params, VectorBlock b) {
  const std::vector<std::string> grouping = Sorted(e.grouping);
  EvalResult r;
  r.type = ValueType::kVector;
  r.vec = NewBlock();
  bool any_nan = false;
  double mx = -std::numeric_limits<double>::max(), mn = std::numeric_limits<double>::max();
  for (double q : params) {
    any_nan |= std::isnan(q);
    mx = std::isnan(q) || std::isnan(mx) ? std::nan("") : std::max(mx, q);
    mn = std::isnan(q) || std::isnan(mn) ? std::nan("") : std::min(mn, q);
  }
  const bool ratio = e.op == AggregateOp::kLimitRatio;
  if (!ratio) {
    if (mx < 1) return r;
    if (any_nan) return Status::Execution("Parameter value is NaN");
    if (mn <= -9223372036854775808.0) {
      return Status::Execution(fmt::format("Scalar value {} underflows int64", FormatFloatG(mn)));
    }
    if (mx >= 9223372036854774784.0) {
      return Status::Execution(fmt::format("Scalar value {} overflows int64", FormatFloatG(mx)));
    }
  } else {
    if (mx == 0 && mn == 0) return r;
    if (any_nan) return Status::Execution("Ratio value is NaN");
    if (mx > 1.0) qs_->annos.Add(InvalidRatioWarning(mx, 1.0, e.param->Range()));
    if (mn < -1.0) qs_->annos.Add(InvalidRatioWarning(mn, -1.0, e.param->Range()));
  }

  std::vector<uint32_t> gid(b.rows());
  size_t G = 0;
  {
    std::unordered_map<std::string, uint32_t> index;
    for (size_t i = 0; i < b.rows(); ++i) {
      auto [it, inserted] =
          index.emplace(GroupKey(b.series[i].labels, grouping, e.without), uint32_t(G));
      if (inserted) ++G;
      gid[i] = it->second;
    }
  }
  std::vector<double> offsets;
  if (ratio) {
    offsets.resize(b.rows());
    for (size_t i = 0; i < b.rows(); ++i) {
      offsets[i] = double(PrometheusLabelsHash(b.series[i].labels)) /
                   double(std::numeric_limits<uint64_t>::max());
    }
  }
  const bool instant = steps_ == 1;
  // Output: for range evaluation the input rows themselves; for instant evaluation rows in
  // result order.
  VectorBlock& out = r.vec;
  if (!instant) {
    out.series = b.series;
    out.values.assign(b.rows() * steps_, AbsentValue());
  }
  std::vector<std::vector<size_t>> heaps(G);
  std::vector<uint8_t> seen(G), complete(G);
  size_t k_step = 0;
  auto val = [&](size_t row) { return b.row(row)[k_step]; };
  auto less_top = [&](size_t x, size_t y) {
    double vi = val(x), vj = val(y);
    if (std::isnan(vi)) return true;
    return vi < vj;
  };
  auto less_bottom = [&](size_t x, size_t y) {
    double vi = val(x), vj = val(y);
    if (std::isnan(vi)) return true;
    return vi > vj;
  };
  for (size_t k = 0; k < steps_; ++k) {
    k_step = k;
    for (size_t g = 0; g < G; ++g) {
      heaps[g].clear();
      seen[g] = 0;
      complete[g] = 0;
    }
    size_t remaining = G;
    double fparam = params.empty() ? 0 : params[k];
    int64_t K = 0;
    double rr = 0;
    bool skip_step = false;
    if (!ratio) {
      K = std::min<int64_t>(int64_t(fparam), int64_t(b.rows()));
      if (K < 1) skip_step = true;
    } else {
      if (fparam == 0) skip_step = true;
      rr = std::clamp(fparam, -1.0, 1.0);
    }
    if (skip_step) continue;
    for (size_t si = 0; si < b.rows(); ++si) {
      double v = b.row(si)[k];
      if (IsAbsent(v)) continue;
      size_t g = gid[si];
      auto& h = heaps[g];
      if (!seen[g]) {
        seen[g] = 1;
        if (ratio) {
          if ((rr >= 0 && offsets[si] < rr) || (rr < 0 && offsets[si] >= 1.0 + rr)) {
            HeapPush(h, si, less_top);
          }
        } else {
          h.push_back(si);
        }
        if (e.op == AggregateOp::kLimitk && int64_t(h.size()) == K) {
          // Prometheus only checks completion on later samples; mirror that.
        }
        continue;
      }
      switch (e.op) {
        case AggregateOp::kTopk:
          if (int64_t(h.size()) < K) {
            HeapPush(h, si, less_top);
          } else if (val(h[0]) < v || (std::isnan(val(h[0])) && !std::isnan(v))) {
            h[0] = si;
            if (K > 1) HeapFix(h, 0, less_top);
          }
          break;
        case AggregateOp::kBottomk:
          if (int64_t(h.size()) < K) {
            HeapPush(h, si, less_bottom);
          } else if (val(h[0]) > v || (std::isnan(val(h[0])) && !std::isnan(v))) {
            h[0] = si;
            if (K > 1) HeapFix(h, 0, less_bottom);
          }
          break;
        case AggregateOp::kLimitk:
          if (int64_t(h.size()) < K) HeapPush(h, si, less_top);
          if (!complete[g] && int64_t(h.size()) == K) {
            complete[g] = 1;
            --remaining;
          }
          break;
        case AggregateOp::kLimitRatio:
          if ((rr >= 0 && offsets[si] < rr) || (rr < 0 && offsets[si] >= 1.0 + rr)) {
            HeapPush(h, si, less_top);
          }
          break;
        default:
          break;
      }
      if (e.op == AggregateOp::kLimitk && remaining == 0) break;
    }
    for (size_t g = 0; g < G; ++g) {
      if (!seen[g]) continue;
      auto& h = heaps[g];
      if (e.op == AggregateOp::kTopk && h.size() > 1) {
        std::stable_sort(h.begin(), h.end(), [&](size_t x, size_t y) {
          double a = val(x), bv = val(y);
          if (std::isnan(bv)) return !std::isnan(a);
          if (std::isnan(a)) return false;
          return a > bv;
        });
      } else if (e.op == AggregateOp::kBottomk && h.size() > 1) {
        std::stable_sort(h.begin(), h.end(), [&](size_t x, size_t y) {
          double a = val(x), bv = val(y);
          if (std::isnan(bv)) return !std::isnan(a);
          if (std::isnan(a)) return false;
          return a < bv;
        });
      }
      for (size_t si : h) {
        if (instant) {
          out.series.push_back(b.series[si]);
          out.values.push_back(b.row(si)[0]);
        } else {
          out.row(si)[k] = b.row(si)[k];
        }
      }
    }
  }
  if (!instant) CompactRows(&out);
  VIGIL_RETURN_IF_ERROR(Account(&r));
  return r;
}

Result<EvalResult> Evaluator::EvalCountValues(const parser::AggregateExpr& e) {
  const auto* lit = parser::DynCast<parser::StringLiteral>(e.param.get());
  if (lit == nullptr) return Status::Internal("count_values without a string parameter");
  const std::string& label = lit->val;
  if (label.empty() || !IsValidUtf8(label)) {
    return Status::Execution(fmt::format("invalid label name {}", GoQuote(label)));
  }
  std::vector<std::string> grouping = e.grouping;
  if (!e.without) grouping.push_back(label);
  grouping = Sorted(std::move(grouping));
  VIGIL_ASSIGN_OR_RETURN(EvalResult in, Eval(*e.expr));
  const VectorBlock& b = in.vec;
  EvalResult r;
  r.type = ValueType::kVector;
  r.vec = NewBlock();
  std::unordered_map<std::string, size_t> rows;
  for (size_t k = 0; k < steps_; ++k) {
    for (size_t i = 0; i < b.rows(); ++i) {
      double v = b.row(i)[k];
      if (IsAbsent(v)) continue;
      LabelsBuilder lb(b.series[i].labels);
      lb.Set(label, FormatFloatF(v));
      Labels with_value = lb.Build();
      Labels out_labels = GroupLabels(with_value, grouping, e.without);
      auto [it, inserted] = rows.emplace(out_labels.data(), 0);
      if (inserted) {
        VIGIL_ASSIGN_OR_RETURN(it->second, r.vec.AddRow(SeriesMeta{std::move(out_labels), false}));
      }
      double& o = r.vec.row(it->second)[k];
      o = IsAbsent(o) ? 1 : o + 1;
    }
  }
  VIGIL_RETURN_IF_ERROR(Account(&r));
  return r;
}

}  // namespace vigil::promql
