// Numeric kernels of the PromQL functions, as pure functions over contiguous arrays: the
// range-vector functions (rate, *_over_time, deriv, ...) work on one window of one series
// given as parallel timestamp/value arrays; the helpers (Kahan summation, quantiles, classic
// histogram buckets) are shared with aggregations. Semantics follow Prometheus 3.x
// (promql/functions.go, promql/quantile.go) exactly, including its floating-point order of
// operations where results would otherwise differ in the last bits.
//
// All functions are pure and thread-safe; none allocates except where a scratch vector is
// passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace vigil::promql {

// Kahan-Neumaier summation step (Prometheus' util/kahansum.Inc): adds `inc` to (sum, c).
inline void KahanInc(double inc, double* sum, double* c) {
  double t = *sum + inc;
  if (t > 1.7976931348623157e308 || t < -1.7976931348623157e308) {
    *c = 0;
  } else if ((*sum < 0 ? -*sum : *sum) >= (inc < 0 ? -inc : inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

// One window of one series for a range-vector function.
struct Window {
  const int64_t* t = nullptr;  // ascending sample timestamps, ms
  const double* v = nullptr;   // sample values (no staleness markers)
  size_t n = 0;                // number of samples, > 0 when a kernel is called
  int64_t eval_t = 0;          // the evaluation step's time (Prometheus' enh.Ts)
  int64_t range_start = 0;     // exclusive lower edge: ref - range
  int64_t range_end = 0;       // inclusive upper edge: ref (= eval_t - offset, or @ - offset)
  int64_t range_ms = 0;        // the selector's range
  bool anchored = false;       // `anchored` modifier: window extended back by the lookback
  bool smoothed = false;       // `smoothed` modifier: extended back and forward by the lookback
};

// The range-vector functions with a kernel.
enum class RangeFunc : uint8_t {
  kRate,
  kIncrease,
  kDelta,
  kIrate,
  kIdelta,
  kAvgOverTime,
  kSumOverTime,
  kCountOverTime,
  kMinOverTime,
  kMaxOverTime,
  kLastOverTime,
  kFirstOverTime,
  kPresentOverTime,
  kStddevOverTime,
  kStdvarOverTime,
  kQuantileOverTime,  // params[0] = q
  kMadOverTime,
  kTsOfMinOverTime,
  kTsOfMaxOverTime,
  kTsOfFirstOverTime,
  kTsOfLastOverTime,
  kChanges,
  kResets,
  kDeriv,
  kPredictLinear,               // params[0] = duration in seconds
  kDoubleExponentialSmoothing,  // params[0] = smoothing factor, params[1] = trend factor
  kAbsentOverTime,              // handled by the evaluator; the kernel reports presence
};

// Looks up a range function by PromQL name. Returns false if `name` has no kernel.
bool LookupRangeFunc(std::string_view name, RangeFunc* f);

// Evaluates `f` over window `w`. Returns true and sets *out if the function yields a value
// for this window (e.g. rate needs two samples). `scratch` is reused storage for functions that
// sort (quantile, mad). Parameters must already be validated (double_exponential_smoothing's
// factors in (0, 1)).
bool EvalRangeFunc(RangeFunc f, const Window& w, const double* params, std::vector<double>* scratch,
                   double* out);

// rate(), increase() and delta() (plain selectors, no anchored/smoothed) for every step of one
// series at once: window k is (refs[k] - range_ms, refs[k]] over the ascending samples t/v.
// Writes out[k] for windows with at least two samples and leaves the others untouched; returns
// the number written. Same arithmetic as Prometheus' extrapolatedRate, with fewer divisions
// and counter resets located once per series.
size_t ExtrapolatedRateSeries(const int64_t* t, const double* v, size_t n, const int64_t* refs,
                              size_t steps, int64_t range_ms, bool is_counter, bool is_rate,
                              std::vector<uint32_t>* scratch, double* out);

// Go's time.Duration(ms).Seconds() for a duration in milliseconds.
double DurationSeconds(int64_t ms);

// Prometheus' quantile(): the q-quantile of `values` (sorted in place, NaNs first) with linear
// interpolation; NaN for no values or q NaN, -Inf for q < 0, +Inf for q > 1.
double Quantile(double q, std::vector<double>* values);

// Least-squares fit of v over t (seconds relative to intercept_t), Prometheus' linearRegression
// with Kahan sums. For constant v: slope 0, intercept v (NaN, NaN if v is infinite).
void LinearRegression(const int64_t* t, const double* v, size_t n, int64_t intercept_t,
                      double* slope, double* intercept);

// A classic histogram bucket: upper bound (`le`) and cumulative count.
struct Bucket {
  double upper_bound;
  double count;
};

// Result of BucketQuantile, with the monotonicity fix-up report.
struct BucketQuantileResult {
  double value = 0;
  bool forced_monotonic = false;
  bool fixed_precision = false;
  double min_bucket = 0, max_bucket = 0, max_diff = 0;
};

// histogram_quantile over classic buckets (Prometheus' BucketQuantile): sorts and coalesces
// `buckets` in place, forces monotonicity, interpolates linearly inside the bucket.
BucketQuantileResult BucketQuantile(double q, std::vector<Bucket>* buckets);

// histogram_fraction over classic buckets (Prometheus' BucketFraction).
double BucketFraction(double lower, double upper, std::vector<Bucket>* buckets);

// Prometheus' almost.Equal: relative tolerance `epsilon`, NaN == NaN, StaleNaN only equals
// itself; comparisons against 0 are effectively exact.
bool AlmostEqual(double a, double b, double epsilon);

}  // namespace vigil::promql
