#include "promql/engine/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "model/value.h"
#include "promql/engine/annotations.h"
#include "promql/engine/value.h"

namespace vigil::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(KahanTest, KeepsSmallTerms) {
  double sum = 0, c = 0;
  for (double v : {1e16, 1.0, -1e16}) KahanInc(v, &sum, &c);
  EXPECT_EQ(sum + c, 1.0);
  sum = 0, c = 0;
  for (double v : {1e308, 1e308}) KahanInc(v, &sum, &c);
  EXPECT_TRUE(std::isinf(sum));
  EXPECT_EQ(c, 0);
}

TEST(QuantileTest, Table) {
  struct Case {
    double q;
    std::vector<double> v;
    double want;
  } cases[] = {
      {0.5, {1, 2, 3, 4}, 2.5},   {0, {3, 1, 2}, 1}, {1, {3, 1, 2}, 3},
      {0.25, {1, 2, 3, 4, 5}, 2}, {-1, {1}, -kInf},  {2, {1}, kInf},
      {kNaN, {1}, kNaN},          {0.5, {}, kNaN},   {0.5, {kNaN, 1, 2}, 1},
  };
  for (auto& c : cases) {
    double got = Quantile(c.q, &c.v);
    if (std::isnan(c.want)) {
      EXPECT_TRUE(std::isnan(got)) << c.q;
    } else {
      EXPECT_EQ(got, c.want) << c.q;
    }
  }
}

TEST(LinearRegressionTest, SlopeAndIntercept) {
  int64_t t[] = {0, 1000, 2000, 3000};
  double v[] = {1, 3, 5, 7};
  double slope, intercept;
  LinearRegression(t, v, 4, 0, &slope, &intercept);
  EXPECT_DOUBLE_EQ(slope, 2);
  EXPECT_DOUBLE_EQ(intercept, 1);
  LinearRegression(t, v, 4, 3000, &slope, &intercept);
  EXPECT_DOUBLE_EQ(intercept, 7);
  double flat[] = {4, 4, 4, 4};
  LinearRegression(t, flat, 4, 0, &slope, &intercept);
  EXPECT_EQ(slope, 0);
  EXPECT_EQ(intercept, 4);
  double inf[] = {kInf, kInf, kInf, kInf};
  LinearRegression(t, inf, 4, 0, &slope, &intercept);
  EXPECT_TRUE(std::isnan(slope));
}

Window MakeWindow(const std::vector<int64_t>& t, const std::vector<double>& v, int64_t end,
                  int64_t range) {
  Window w;
  w.t = t.data();
  w.v = v.data();
  w.n = t.size();
  w.eval_t = end;
  w.range_end = end;
  w.range_start = end - range;
  w.range_ms = range;
  return w;
}

TEST(RangeFuncTest, RateExtrapolation) {
  std::vector<int64_t> t = {60000, 120000, 180000, 240000, 300000};
  std::vector<double> v = {10, 20, 30, 40, 50};
  std::vector<double> scratch;
  double out;
  // Samples span 240s of the 300s window; the start gap (60s) is below 1.1x the interval.
  ASSERT_TRUE(EvalRangeFunc(RangeFunc::kIncrease, MakeWindow(t, v, 300000, 300000), nullptr,
                            &scratch, &out));
  EXPECT_DOUBLE_EQ(out, 50);
  ASSERT_TRUE(
      EvalRangeFunc(RangeFunc::kRate, MakeWindow(t, v, 300000, 300000), nullptr, &scratch, &out));
  EXPECT_DOUBLE_EQ(out, 50.0 / 300);
  // A counter is not extrapolated below zero: starting at 10 after a 60s gap at 10/min.
  std::vector<double> z = {5, 15, 25, 35, 45};
  ASSERT_TRUE(EvalRangeFunc(RangeFunc::kIncrease, MakeWindow(t, z, 300000, 300000), nullptr,
                            &scratch, &out));
  EXPECT_DOUBLE_EQ(out, 40 * (240.0 + 30) / 240);
  // One sample: no rate.
  std::vector<int64_t> t1 = {60000};
  std::vector<double> v1 = {1};
  EXPECT_FALSE(
      EvalRangeFunc(RangeFunc::kRate, MakeWindow(t1, v1, 300000, 300000), nullptr, &scratch, &out));
}

TEST(RangeFuncTest, SeriesKernelMatchesWindowKernel) {
  // The per-series rate kernel (with its factor cache) must agree with the per-window one.
  std::vector<int64_t> t;
  std::vector<double> v;
  double acc = 0;
  for (int i = 0; i < 400; ++i) {
    t.push_back(int64_t(i) * 15000 + (i % 7 == 0 ? 1234 : 0));
    acc += (i % 50 == 49) ? -acc + 3 : (i % 5) * 0.75;  // includes counter resets
    v.push_back(acc);
  }
  for (int64_t range : {30000LL, 60000LL, 300000LL}) {
    for (RangeFunc f : {RangeFunc::kRate, RangeFunc::kIncrease, RangeFunc::kDelta}) {
      std::vector<int64_t> refs;
      for (int64_t r = 0; r <= 6000000; r += 20000) refs.push_back(r);
      std::vector<double> series_out(refs.size(), -1);
      std::vector<uint32_t> scratch32;
      ExtrapolatedRateSeries(t.data(), v.data(), t.size(), refs.data(), refs.size(), range,
                             f != RangeFunc::kDelta, f == RangeFunc::kRate, &scratch32,
                             series_out.data());
      std::vector<double> scratch;
      for (size_t k = 0; k < refs.size(); ++k) {
        size_t lo = 0;
        while (lo < t.size() && t[lo] <= refs[k] - range) ++lo;
        size_t hi = lo;
        while (hi < t.size() && t[hi] <= refs[k]) ++hi;
        std::vector<int64_t> wt(t.begin() + lo, t.begin() + hi);
        std::vector<double> wv(v.begin() + lo, v.begin() + hi);
        double want;
        bool ok = !wt.empty() &&
                  EvalRangeFunc(f, MakeWindow(wt, wv, refs[k], range), nullptr, &scratch, &want);
        if (!ok) {
          EXPECT_EQ(series_out[k], -1) << k;
        } else {
          EXPECT_EQ(series_out[k], want) << "range " << range << " step " << k;
        }
      }
    }
  }
}

TEST(BucketQuantileTest, InterpolatesAndFixesMonotonicity) {
  std::vector<Bucket> b = {{0.1, 10}, {0.5, 60}, {1, 90}, {kInf, 100}};
  EXPECT_DOUBLE_EQ(BucketQuantile(0.5, &b).value, 0.42);
  std::vector<Bucket> unsorted = {{kInf, 100}, {1, 90}, {0.1, 10}, {0.5, 60}};
  EXPECT_DOUBLE_EQ(BucketQuantile(0.5, &unsorted).value, 0.42);
  std::vector<Bucket> bad = {{0.1, 10}, {0.5, 5}, {kInf, 20}};
  auto r = BucketQuantile(0.5, &bad);
  EXPECT_TRUE(r.forced_monotonic);
  EXPECT_EQ(r.min_bucket, 0.5);
  EXPECT_EQ(r.max_diff, 5);
  std::vector<Bucket> noinf = {{1, 10}};
  EXPECT_TRUE(std::isnan(BucketQuantile(0.5, &noinf).value));
  std::vector<Bucket> dup = {{1, 5}, {1, 5}, {kInf, 10}};  // coalesced into one bucket of 10
  EXPECT_DOUBLE_EQ(BucketQuantile(0.5, &dup).value, 0.5);
}

TEST(BucketFractionTest, Table) {
  std::vector<Bucket> b = {{0.1, 10}, {0.5, 60}, {1, 90}, {kInf, 100}};
  EXPECT_DOUBLE_EQ(BucketFraction(0, 0.5, &b), 0.6);
  EXPECT_DOUBLE_EQ(BucketFraction(0.1, 0.3, &b), 0.25);
  EXPECT_EQ(BucketFraction(1, 0.5, &b), 0);
  EXPECT_TRUE(std::isnan(BucketFraction(kNaN, 1, &b)));
}

TEST(AlmostEqualTest, PrometheusRules) {
  EXPECT_TRUE(AlmostEqual(1, 1 + 1e-7, 1e-6));
  EXPECT_FALSE(AlmostEqual(1, 1.01, 1e-6));
  EXPECT_TRUE(AlmostEqual(kNaN, kNaN, 1e-6));
  EXPECT_FALSE(AlmostEqual(StaleNaN(), kNaN, 1e-6));
  EXPECT_TRUE(AlmostEqual(StaleNaN(), StaleNaN(), 1e-6));
  EXPECT_FALSE(AlmostEqual(0, 1e-300, 1e-6));  // comparisons against 0 are exact
  EXPECT_TRUE(AlmostEqual(kInf, kInf, 1e-6));
  EXPECT_FALSE(AlmostEqual(kInf, -kInf, 1e-6));
}

TEST(FormatTest, GoFloatFormats) {
  EXPECT_EQ(FormatFloatF(1), "1");
  EXPECT_EQ(FormatFloatF(0.1), "0.1");
  EXPECT_EQ(FormatFloatF(1e21), "1000000000000000000000");
  EXPECT_EQ(FormatFloatF(-2.5), "-2.5");
  EXPECT_EQ(FormatFloatF(kNaN), "NaN");
  EXPECT_EQ(FormatFloatF(-kInf), "-Inf");
  EXPECT_EQ(FormatFloatG(2), "2");
  EXPECT_EQ(FormatFloatG(1.1), "1.1");
  EXPECT_EQ(FormatFloatG(-1.1), "-1.1");
  EXPECT_EQ(FormatFloatG(123456), "123456");
  EXPECT_EQ(FormatFloatG(1234567), "1.234567e+06");
  EXPECT_EQ(FormatFloatG(0.0001), "0.0001");
  EXPECT_EQ(FormatFloatG(0.00001), "1e-05");
  EXPECT_EQ(FormatFloatG(kNaN), "NaN");
  EXPECT_EQ(FormatFloatGPrec(0.5, 2), "0.5");
  EXPECT_EQ(FormatFloatGPrec(100, 2), "1e+02");
  EXPECT_EQ(FormatFloatGPrec(12.345, 2), "12");
  EXPECT_EQ(GoQuote("a\xc5z"), "\"a\\xc5z\"");
  EXPECT_EQ(GoQuote("\"\n\xc3\xa9"), "\"\\\"\\n\xc3\xa9\"");
}

TEST(AnnotationsTest, DeduplicatesByText) {
  Annotations a;
  a.Add(SortInRangeQueryWarning({0, 4}));
  a.Add(SortInRangeQueryWarning({5, 9}));
  a.Add(PossibleNonCounterInfo("x", {2, 3}));
  EXPECT_EQ(a.size(), 2u);
  auto w = a.Warnings("abc\ndefghij");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0],
            "PromQL warning: sort is ineffective for range queries since results are always "
            "ordered by labels (2:2)");
  auto i = a.Infos("abc");
  ASSERT_EQ(i.size(), 1u);
  EXPECT_EQ(i[0],
            "PromQL info: metric might not be a counter, name does not end in "
            "_total/_sum/_count/_bucket: \"x\" (1:3)");
}

}  // namespace
}  // namespace vigil::promql
