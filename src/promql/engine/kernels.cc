#include "promql/engine/kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "model/value.h"

namespace vigil::promql {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool NanFirstLess(double a, double b) {
  if (std::isnan(a)) return !std::isnan(b);
  return a < b;
}

// Index of the first i in [0, n) with pred(i), or n (Go's sort.Search).
template <typename Pred>
size_t SearchFirst(size_t n, Pred pred) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (!pred(mid)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

double Interpolate(int64_t t1, double y1, int64_t t2, double y2, int64_t t, bool is_counter) {
  if (is_counter && y2 < y1) y1 = 0;
  return y1 + (y2 - y1) * double(t - t1) / double(t2 - t1);
}

// Prometheus' extendedRate: anchored / smoothed rate, increase and delta.
bool ExtendedRate(const Window& w, bool is_counter, bool is_rate, double* out) {
  const int64_t* t = w.t;
  const double* v = w.v;
  size_t last = w.n - 1;
  int64_t range_start = w.range_start;
  int64_t range_end = w.range_end;
  size_t s = SearchFirst(last, [&](size_t i) { return t[i] > range_start; });
  size_t first = s == 0 ? 0 : s - 1;
  if (w.smoothed) last = SearchFirst(last, [&](size_t i) { return t[i] >= range_end; });
  if (t[last] <= range_start) return false;
  if (w.smoothed && t[first] > range_end) return false;

  double left = v[first];
  if (w.smoothed && t[first] < range_start) {
    left = Interpolate(t[first], v[first], t[first + 1], v[first + 1], range_start, is_counter);
  }
  double right = v[last];
  if (w.smoothed && last > 0 && t[last] > range_end) {
    right = Interpolate(t[last - 1], v[last - 1], t[last], v[last], range_end, is_counter);
  }
  double result = right - left;
  if (is_counter) {
    size_t f = first, l = last;
    if (t[f] <= range_start) ++f;
    // l may become "before f" (empty slice); use signed arithmetic.
    int64_t li = int64_t(l);
    if (t[l] >= range_end) --li;
    double correction = 0;
    double prev = left;
    for (int64_t i = int64_t(f); i <= li; ++i) {
      if (v[i] < prev) correction += prev;
      prev = v[i];
    }
    if (right < prev) correction += prev;
    result += correction;
  }
  if (is_rate) result /= DurationSeconds(w.range_ms);
  *out = result;
  return true;
}

// Prometheus' extrapolatedRate for floats (without start timestamps).
bool ExtrapolatedRate(const Window& w, bool is_counter, bool is_rate, double* out) {
  if (w.anchored || w.smoothed) return ExtendedRate(w, is_counter, is_rate, out);
  size_t n = w.n;
  if (n < 2) return false;
  const int64_t* t = w.t;
  const double* v = w.v;
  double result = v[n - 1] - v[0];
  if (is_counter) {
    for (size_t i = 1; i < n; ++i) {
      if (v[i] < v[i - 1]) result += v[i - 1];
    }
  }
  double duration_to_start = double(t[0] - w.range_start) / 1000;
  double duration_to_end = double(w.range_end - t[n - 1]) / 1000;
  double sampled_interval = double(t[n - 1] - t[0]) / 1000;
  double avg = sampled_interval / double(n - 1);
  double threshold = avg * 1.1;
  if (duration_to_start >= threshold) duration_to_start = avg / 2;
  if (is_counter) {
    double duration_to_zero = duration_to_start;
    if (result > 0 && v[0] >= 0) duration_to_zero = sampled_interval * (v[0] / result);
    if (duration_to_zero < duration_to_start) duration_to_start = duration_to_zero;
  }
  if (duration_to_end >= threshold) duration_to_end = avg / 2;
  double factor = 1.0;
  if (sampled_interval != 0) {
    factor = (sampled_interval + duration_to_start + duration_to_end) / sampled_interval;
  }
  if (is_rate) factor /= DurationSeconds(w.range_ms);
  *out = result * factor;
  return true;
}

bool InstantValue(const Window& w, bool is_rate, double* out) {
  if (w.n < 2) return false;
  int64_t t0 = w.t[w.n - 2], t1 = w.t[w.n - 1];
  double v0 = w.v[w.n - 2], v1 = w.v[w.n - 1];
  int64_t interval = t1 - t0;
  if (interval == 0) return false;
  double r = v1;
  if (!is_rate || !(v1 < v0)) r = v1 - v0;
  if (is_rate) r /= double(interval) / 1000;
  *out = r;
  return true;
}

double AvgOverTime(const double* v, size_t n) {
  double sum = v[0], count = 1, mean = 0, c = 0;
  bool incremental = false;
  for (size_t i = 1; i < n; ++i) {
    count = double(i + 1);
    if (!incremental) {
      double ns = sum, nc = c;
      KahanInc(v[i], &ns, &nc);
      if (!std::isinf(ns)) {
        sum = ns;
        c = nc;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    double q = (count - 1) / count;
    double m = q * mean, mc = q * c;
    KahanInc(v[i] / count, &m, &mc);
    mean = m;
    c = mc;
  }
  if (incremental) return mean + c;
  return sum / count + c / count;
}

double Variance(const double* v, size_t n) {
  double count = 0, mean = 0, c_mean = 0, aux = 0, c_aux = 0;
  for (size_t i = 0; i < n; ++i) {
    count++;
    double delta = v[i] - (mean + c_mean);
    KahanInc(delta / count, &mean, &c_mean);
    KahanInc(delta * (v[i] - (mean + c_mean)), &aux, &c_aux);
  }
  return (aux + c_aux) / count;
}

// First sample index to use for changes()/resets() with the anchored modifier: the last
// sample at or before the range start. Returns false if there is none after it.
bool FirstSampleIndex(const Window& w, size_t* first) {
  if (!w.anchored) {
    *first = 0;
    return true;
  }
  size_t s = SearchFirst(w.n, [&](size_t i) { return w.t[i] > w.range_start; });
  int64_t last_le = int64_t(s) - 1;
  if (size_t(last_le + 1) >= w.n) return false;
  *first = last_le < 0 ? 0 : size_t(last_le);
  return true;
}

double DoubleExponentialSmoothing(const double* v, size_t n, double sf, double tf) {
  double s0 = 0, s1 = v[0], b = v[1] - v[0];
  for (size_t i = 1; i < n; ++i) {
    double x = sf * v[i];
    // calcTrendValue(i-1, ...)
    if (i - 1 != 0) b = tf * (s1 - s0) + (1 - tf) * b;
    double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

}  // namespace

bool LookupRangeFunc(std::string_view name, RangeFunc* f) {
  static constexpr std::pair<std::string_view, RangeFunc> kFuncs[] = {
      {"rate", RangeFunc::kRate},
      {"increase", RangeFunc::kIncrease},
      {"delta", RangeFunc::kDelta},
      {"irate", RangeFunc::kIrate},
      {"idelta", RangeFunc::kIdelta},
      {"avg_over_time", RangeFunc::kAvgOverTime},
      {"sum_over_time", RangeFunc::kSumOverTime},
      {"count_over_time", RangeFunc::kCountOverTime},
      {"min_over_time", RangeFunc::kMinOverTime},
      {"max_over_time", RangeFunc::kMaxOverTime},
      {"last_over_time", RangeFunc::kLastOverTime},
      {"first_over_time", RangeFunc::kFirstOverTime},
      {"present_over_time", RangeFunc::kPresentOverTime},
      {"stddev_over_time", RangeFunc::kStddevOverTime},
      {"stdvar_over_time", RangeFunc::kStdvarOverTime},
      {"quantile_over_time", RangeFunc::kQuantileOverTime},
      {"mad_over_time", RangeFunc::kMadOverTime},
      {"ts_of_min_over_time", RangeFunc::kTsOfMinOverTime},
      {"ts_of_max_over_time", RangeFunc::kTsOfMaxOverTime},
      {"ts_of_first_over_time", RangeFunc::kTsOfFirstOverTime},
      {"ts_of_last_over_time", RangeFunc::kTsOfLastOverTime},
      {"changes", RangeFunc::kChanges},
      {"resets", RangeFunc::kResets},
      {"deriv", RangeFunc::kDeriv},
      {"predict_linear", RangeFunc::kPredictLinear},
      {"double_exponential_smoothing", RangeFunc::kDoubleExponentialSmoothing},
      {"absent_over_time", RangeFunc::kAbsentOverTime},
  };
  for (const auto& [n, fn] : kFuncs) {
    if (n == name) {
      *f = fn;
      return true;
    }
  }
  return false;
}

bool EvalRangeFunc(RangeFunc f, const Window& w, const double* params, std::vector<double>* scratch,
                   double* out) {
  const double* v = w.v;
  const int64_t* t = w.t;
  size_t n = w.n;
  if (n == 0) return false;
  switch (f) {
    case RangeFunc::kRate:
      return ExtrapolatedRate(w, true, true, out);
    case RangeFunc::kIncrease:
      return ExtrapolatedRate(w, true, false, out);
    case RangeFunc::kDelta:
      return ExtrapolatedRate(w, false, false, out);
    case RangeFunc::kIrate:
      return InstantValue(w, true, out);
    case RangeFunc::kIdelta:
      return InstantValue(w, false, out);
    case RangeFunc::kAvgOverTime:
      *out = AvgOverTime(v, n);
      return true;
    case RangeFunc::kSumOverTime: {
      double sum = 0, c = 0;
      for (size_t i = 0; i < n; ++i) KahanInc(v[i], &sum, &c);
      *out = std::isinf(sum) ? sum : sum + c;
      return true;
    }
    case RangeFunc::kCountOverTime:
      *out = double(n);
      return true;
    case RangeFunc::kMaxOverTime: {
      double m = v[0];
      for (size_t i = 0; i < n; ++i) {
        if (v[i] > m || std::isnan(m)) m = v[i];
      }
      *out = m;
      return true;
    }
    case RangeFunc::kMinOverTime: {
      double m = v[0];
      for (size_t i = 0; i < n; ++i) {
        if (v[i] < m || std::isnan(m)) m = v[i];
      }
      *out = m;
      return true;
    }
    case RangeFunc::kTsOfMaxOverTime: {
      double m = v[0];
      int64_t ts = t[0];
      for (size_t i = 0; i < n; ++i) {
        if (v[i] >= m || std::isnan(m)) {
          m = v[i];
          ts = t[i];
        }
      }
      *out = double(ts) / 1000;
      return true;
    }
    case RangeFunc::kTsOfMinOverTime: {
      double m = v[0];
      int64_t ts = t[0];
      for (size_t i = 0; i < n; ++i) {
        if (v[i] <= m || std::isnan(m)) {
          m = v[i];
          ts = t[i];
        }
      }
      *out = double(ts) / 1000;
      return true;
    }
    case RangeFunc::kLastOverTime:
      *out = v[n - 1];
      return true;
    case RangeFunc::kFirstOverTime:
      *out = v[0];
      return true;
    case RangeFunc::kTsOfFirstOverTime:
      *out = double(t[0]) / 1000;
      return true;
    case RangeFunc::kTsOfLastOverTime:
      *out = double(t[n - 1]) / 1000;
      return true;
    case RangeFunc::kPresentOverTime:
    case RangeFunc::kAbsentOverTime:
      *out = 1;
      return true;
    case RangeFunc::kStdvarOverTime:
      *out = Variance(v, n);
      return true;
    case RangeFunc::kStddevOverTime:
      *out = std::sqrt(Variance(v, n));
      return true;
    case RangeFunc::kQuantileOverTime:
      scratch->assign(v, v + n);
      *out = Quantile(params[0], scratch);
      return true;
    case RangeFunc::kMadOverTime: {
      scratch->clear();
      for (size_t i = 0; i < n; ++i) {
        if (std::isnan(v[i])) {
          *out = std::nan("");
          return true;
        }
        scratch->push_back(v[i]);
      }
      double median = Quantile(0.5, scratch);
      for (double& x : *scratch) x = std::fabs(x - median);
      *out = Quantile(0.5, scratch);
      return true;
    }
    case RangeFunc::kChanges: {
      size_t first;
      if (!FirstSampleIndex(w, &first)) return false;
      int changes = 0;
      for (size_t i = first + 1; i < n; ++i) {
        if (v[i] != v[i - 1] && !(std::isnan(v[i]) && std::isnan(v[i - 1]))) ++changes;
      }
      *out = changes;
      return true;
    }
    case RangeFunc::kResets: {
      size_t first;
      if (!FirstSampleIndex(w, &first)) return false;
      int resets = 0;
      for (size_t i = first + 1; i < n; ++i) {
        if (v[i] < v[i - 1]) ++resets;
      }
      *out = resets;
      return true;
    }
    case RangeFunc::kDeriv: {
      if (n < 2) return false;
      double slope, intercept;
      LinearRegression(t, v, n, t[0], &slope, &intercept);
      *out = slope;
      return true;
    }
    case RangeFunc::kPredictLinear: {
      if (n < 2) return false;
      double slope, intercept;
      LinearRegression(t, v, n, w.eval_t, &slope, &intercept);
      *out = slope * params[0] + intercept;
      return true;
    }
    case RangeFunc::kDoubleExponentialSmoothing:
      if (n < 2) return false;
      *out = DoubleExponentialSmoothing(v, n, params[0], params[1]);
      return true;
  }
  return false;
}

double DurationSeconds(int64_t ms) {
  // Go: float64(sec) + float64(nsec)/1e9.
  int64_t sec = ms / 1000;
  int64_t nsec = (ms % 1000) * 1000000;
  return double(sec) + double(nsec) / 1e9;
}

size_t ExtrapolatedRateSeries(const int64_t* t, const double* v, size_t n, const int64_t* refs,
                              size_t steps, int64_t range_ms, bool is_counter, bool is_rate,
                              std::vector<uint32_t>* resets, double* out) {
  // Indices i with v[i] < v[i-1] (counter resets), found once.
  resets->clear();
  if (is_counter) {
    for (size_t i = 1; i < n; ++i) {
      if (v[i] < v[i - 1]) resets->push_back(uint32_t(i));
    }
  }
  const double range_s = DurationSeconds(range_ms);
  // The extrapolation factor depends only on the window's geometry (gaps to the edges, sampled
  // interval, sample count), which repeats from step to step for regular scrapes: cache it.
  int64_t key_start = -1, key_end = -1, key_span = -1;
  size_t key_cnt = 0;
  double c_sampled = 0, c_to_start = 0, c_to_end = 0, c_factor = 0, c_zero_ratio = 0;
  size_t lo = 0, hi = 0, r = 0, written = 0;
  for (size_t k = 0; k < steps; ++k) {
    const int64_t range_end = refs[k];
    const int64_t range_start = range_end - range_ms;
    while (hi < n && t[hi] <= range_end) ++hi;
    while (lo < hi && t[lo] <= range_start) ++lo;
    const size_t cnt = hi - lo;
    if (cnt < 2) continue;
    const size_t first = lo, last = hi - 1;
    double result = v[last] - v[first];
    if (is_counter && !resets->empty()) {
      while (r < resets->size() && (*resets)[r] <= first) ++r;
      for (size_t j = r; j < resets->size() && (*resets)[j] <= last; ++j) {
        result += v[(*resets)[j] - 1];
      }
    }
    const int64_t g_start = t[first] - range_start, g_end = range_end - t[last],
                  g_span = t[last] - t[first];
    if (g_start != key_start || g_end != key_end || g_span != key_span || cnt != key_cnt) {
      key_start = g_start;
      key_end = g_end;
      key_span = g_span;
      key_cnt = cnt;
      c_sampled = double(g_span) / 1000;
      double avg = c_sampled / double(cnt - 1);
      double threshold = avg * 1.1;
      c_to_start = double(g_start) / 1000;
      if (c_to_start >= threshold) c_to_start = avg / 2;
      c_to_end = double(g_end) / 1000;
      if (c_to_end >= threshold) c_to_end = avg / 2;
      c_factor = (c_sampled + c_to_start + c_to_end) / c_sampled;
      if (is_rate) c_factor /= range_s;
      // v[first] / result above this certainly puts duration_to_zero at or above the start gap.
      c_zero_ratio = c_to_start / c_sampled * (1 + 1e-9);
    }
    double factor = c_factor;
    // Do not extrapolate below zero: duration_to_zero = sampled * (v[first] / result), computed
    // only when it may be below the start gap.
    if (is_counter && result > 0 && v[first] >= 0 && !(v[first] > result * c_zero_ratio)) {
      double duration_to_zero = c_sampled * (v[first] / result);
      if (duration_to_zero < c_to_start) {
        factor = (c_sampled + duration_to_zero + c_to_end) / c_sampled;
        if (is_rate) factor /= range_s;
      }
    }
    out[k] = result * factor;
    ++written;
  }
  return written;
}

double Quantile(double q, std::vector<double>* values) {
  if (values->empty() || std::isnan(q)) return std::nan("");
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(values->begin(), values->end(), NanFirstLess);
  double n = double(values->size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return (*values)[size_t(lower)] * (1 - weight) + (*values)[size_t(upper)] * weight;
}

void LinearRegression(const int64_t* t, const double* v, size_t n, int64_t intercept_t,
                      double* slope, double* intercept) {
  double cnt = 0, sum_x = 0, c_x = 0, sum_y = 0, c_y = 0, sum_xy = 0, c_xy = 0, sum_x2 = 0,
         c_x2 = 0;
  double init_y = v[0];
  bool const_y = true;
  for (size_t i = 0; i < n; ++i) {
    if (const_y && i > 0 && v[i] != init_y) const_y = false;
    cnt += 1.0;
    double x = double(t[i] - intercept_t) / 1e3;
    KahanInc(x, &sum_x, &c_x);
    KahanInc(v[i], &sum_y, &c_y);
    KahanInc(x * v[i], &sum_xy, &c_xy);
    KahanInc(x * x, &sum_x2, &c_x2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = *intercept = std::nan("");
      return;
    }
    *slope = 0;
    *intercept = init_y;
    return;
  }
  sum_x += c_x;
  sum_y += c_y;
  sum_xy += c_xy;
  sum_x2 += c_x2;
  double cov_xy = sum_xy - sum_x * sum_y / cnt;
  double var_x = sum_x2 - sum_x * sum_x / cnt;
  *slope = cov_xy / var_x;
  *intercept = sum_y / cnt - *slope * sum_x / cnt;
}

namespace {

// Merges adjacent buckets with the same upper bound (input sorted).
void Coalesce(std::vector<Bucket>* b) {
  size_t i = 0;
  Bucket last = (*b)[0];
  for (size_t k = 1; k < b->size(); ++k) {
    const Bucket& cur = (*b)[k];
    if (cur.upper_bound == last.upper_bound) {
      last.count += cur.count;
    } else {
      (*b)[i++] = last;
      last = cur;
    }
  }
  (*b)[i++] = last;
  b->resize(i);
}

}  // namespace

BucketQuantileResult BucketQuantile(double q, std::vector<Bucket>* buckets) {
  BucketQuantileResult r;
  if (std::isnan(q)) {
    r.value = std::nan("");
    return r;
  }
  if (q < 0) {
    r.value = -kInf;
    return r;
  }
  if (q > 1) {
    r.value = kInf;
    return r;
  }
  std::stable_sort(buckets->begin(), buckets->end(),
                   [](const Bucket& x, const Bucket& y) { return x.upper_bound < y.upper_bound; });
  if (!(std::isinf(buckets->back().upper_bound) && buckets->back().upper_bound > 0)) {
    r.value = std::nan("");
    return r;
  }
  Coalesce(buckets);
  std::vector<Bucket>& b = *buckets;
  // ensureMonotonicAndIgnoreSmallDeltas with tolerance 1e-12.
  r.min_bucket = kInf;
  r.max_bucket = -kInf;
  double prev = b[0].count;
  for (size_t i = 1; i < b.size(); ++i) {
    double curr = b[i].count;
    if (curr == prev) continue;
    if (AlmostEqual(prev, curr, 1e-12)) {
      b[i].count = prev;
      r.fixed_precision = true;
      continue;
    }
    if (curr < prev) {
      b[i].count = prev;
      r.forced_monotonic = true;
      r.min_bucket = std::min(r.min_bucket, b[i].upper_bound);
      r.max_bucket = std::max(r.max_bucket, b[i].upper_bound);
      r.max_diff = std::max(r.max_diff, prev - curr);
      continue;
    }
    prev = curr;
  }
  if (b.size() < 2) {
    r.value = std::nan("");
    return r;
  }
  double observations = b.back().count;
  if (observations == 0) {
    r.value = std::nan("");
    return r;
  }
  double rank = q * observations;
  size_t idx = SearchFirst(b.size() - 1, [&](size_t i) { return b[i].count >= rank; });
  if (idx == b.size() - 1) {
    r.value = b[b.size() - 2].upper_bound;
  } else if (idx == 0 && b[0].upper_bound <= 0) {
    r.value = b[0].upper_bound;
  } else {
    double bucket_start = 0;
    double bucket_end = b[idx].upper_bound;
    double count = b[idx].count;
    if (idx > 0) {
      bucket_start = b[idx - 1].upper_bound;
      count -= b[idx - 1].count;
      rank -= b[idx - 1].count;
    }
    r.value = bucket_start + (bucket_end - bucket_start) * (rank / count);
  }
  return r;
}

double BucketFraction(double lower, double upper, std::vector<Bucket>* buckets) {
  std::stable_sort(buckets->begin(), buckets->end(),
                   [](const Bucket& x, const Bucket& y) { return x.upper_bound < y.upper_bound; });
  if (!(std::isinf(buckets->back().upper_bound) && buckets->back().upper_bound > 0)) {
    return std::nan("");
  }
  Coalesce(buckets);
  const std::vector<Bucket>& b = *buckets;
  double count = b.back().count;
  if (count == 0 || std::isnan(lower) || std::isnan(upper)) return std::nan("");
  if (lower >= upper) return 0;
  double rank = 0, lower_rank = 0, upper_rank = 0;
  bool lower_set = false, upper_set = false;
  double lower_bound = b[0].upper_bound <= 0 ? -kInf : 0.0;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i > 0) lower_bound = b[i - 1].upper_bound;
    double upper_bound = b[i].upper_bound;
    auto interpolate = [&](double x) {
      if (lower_bound == -kInf) return b[i].count;
      return rank + (b[i].count - rank) * (x - lower_bound) / (upper_bound - lower_bound);
    };
    if (!lower_set && lower_bound >= lower) {
      lower_rank = rank;
      lower_set = true;
    }
    if (!upper_set && lower_bound >= upper) {
      upper_rank = rank;
      upper_set = true;
    }
    if (lower_set && upper_set) break;
    if (!lower_set && lower_bound < lower && upper_bound > lower) {
      lower_rank = interpolate(lower);
      lower_set = true;
    }
    if (!upper_set && lower_bound < upper && upper_bound > upper) {
      upper_rank = interpolate(upper);
      upper_set = true;
    }
    if (lower_set && upper_set) break;
    rank = b[i].count;
  }
  if (!lower_set || lower_rank > count) lower_rank = count;
  if (!upper_set || upper_rank > count) upper_rank = count;
  return (upper_rank - lower_rank) / count;
}

bool AlmostEqual(double a, double b, double epsilon) {
  if (IsStaleNaN(a) || IsStaleNaN(b)) return IsStaleNaN(a) && IsStaleNaN(b);
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  constexpr double kMinNormal = 2.2250738585072014e-308;
  double abs_sum = std::fabs(a) + std::fabs(b);
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < epsilon * kMinNormal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

}  // namespace vigil::promql
