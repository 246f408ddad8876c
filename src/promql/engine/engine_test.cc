// Engine API tests: what the .test scripts cannot express (limits, timeouts, hints pushed to
// storage, result shapes, options). Semantics are covered by testdata/promql/*.test.
#include "promql/engine/engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stop_token>

#include "promql/engine/evaluator.h"
#include "storage/memory_storage.h"
#include "storage/series.h"

namespace vigil::promql {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto app = storage_.NewAppender();
    for (int s = 0; s < 3; ++s) {
      Labels l{{"__name__", "m_total"}, {"i", std::to_string(s)}};
      for (int64_t t = 0; t <= 600000; t += 15000) {
        ASSERT_TRUE(app->Append(0, l, t, double(t / 1000 * (s + 1))).has_value());
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  }

  Result<QueryResult> Instant(const Engine& e, std::string_view q, int64_t t) {
    VIGIL_ASSIGN_OR_RETURN(auto query, e.NewInstantQuery(&storage_, q, t));
    return query->Exec(Context::Background());
  }
  Result<QueryResult> Range(const Engine& e, std::string_view q, int64_t s, int64_t end,
                            int64_t step) {
    VIGIL_ASSIGN_OR_RETURN(auto query, e.NewRangeQuery(&storage_, q, s, end, step));
    return query->Exec(Context::Background());
  }

  storage::MemoryStorage storage_;
};

TEST_F(EngineTest, InstantVectorAndScalar) {
  Engine e;
  auto r = Instant(e, "m_total", 60000);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(r->value.type, ValueType::kVector);
  ASSERT_EQ(r->value.vector.size(), 3u);
  for (const auto& el : r->value.vector) EXPECT_EQ(el.t, 60000);
  auto s = Instant(e, "1 + 2", 5000);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->value.type, ValueType::kScalar);
  EXPECT_EQ(s->value.scalar, 3);
  EXPECT_EQ(s->value.t, 5000);
  auto str = Instant(e, "\"hello\"", 0);
  ASSERT_TRUE(str.has_value());
  EXPECT_EQ(str->value.type, ValueType::kString);
  EXPECT_EQ(str->value.str, "hello");
}

// Native-histogram-only functions fail with an execution error naming the function, for any
// argument; the classic-bucket histogram functions keep working.
TEST_F(EngineTest, NativeHistogramFunctionsAreExecutionErrors) {
  Engine e;
  for (std::string_view f : {"histogram_count", "histogram_sum", "histogram_avg",
                             "histogram_stddev", "histogram_stdvar"}) {
    EXPECT_TRUE(IsNativeHistogramFunction(f)) << f;
    std::string q = std::string(f) + "(m_total)";
    auto r = Instant(e, q, 60000);
    ASSERT_FALSE(r.has_value()) << q;
    EXPECT_EQ(r.error().code(), StatusCode::kExecution) << q;
    EXPECT_EQ(r.error().message(),
              "native histograms are not supported by Vigil: " + std::string(f) + "()");
    auto rr = Range(e, "sum(" + q + ")", 0, 60000, 15000);
    ASSERT_FALSE(rr.has_value()) << q;
    EXPECT_EQ(rr.error().code(), StatusCode::kExecution) << q;
  }
  for (std::string_view f :
       {"histogram_quantile", "histogram_fraction", "histogram_quantiles", "rate", "count"}) {
    EXPECT_FALSE(IsNativeHistogramFunction(f)) << f;
  }
  EXPECT_TRUE(Instant(e, "histogram_quantile(0.5, m_total)", 60000).has_value());
  EXPECT_TRUE(Instant(e, "histogram_fraction(0, 1, m_total)", 60000).has_value());
}

TEST_F(EngineTest, RangeQueryIsSortedMatrix) {
  Engine e;
  auto r = Range(e, "m_total", 0, 120000, 30000);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(r->value.type, ValueType::kMatrix);
  ASSERT_EQ(r->value.matrix.size(), 3u);
  for (size_t i = 1; i < r->value.matrix.size(); ++i) {
    EXPECT_LT(Labels::Compare(r->value.matrix[i - 1].labels, r->value.matrix[i].labels), 0);
  }
  ASSERT_EQ(r->value.matrix[0].points.size(), 5u);
  EXPECT_EQ(r->value.matrix[0].points[4].t, 120000);
  EXPECT_EQ(r->value.matrix[0].points[4].v, 120);
  // A scalar range query is one series without labels.
  auto s = Range(e, "time()", 0, 60000, 30000);
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->value.matrix.size(), 1u);
  EXPECT_TRUE(s->value.matrix[0].labels.empty());
  EXPECT_EQ(s->value.matrix[0].points[2].v, 60);
}

TEST_F(EngineTest, RangeQueryRejectsBadInput) {
  Engine e;
  auto q = e.NewRangeQuery(&storage_, "m_total[5m]", 0, 60000, 15000);
  ASSERT_FALSE(q.has_value());
  EXPECT_EQ(q.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(q.error().message().find("invalid expression type \"range vector\""),
            std::string_view::npos);
  EXPECT_FALSE(e.NewRangeQuery(&storage_, "m_total", 0, 60000, 0).has_value());
  EXPECT_FALSE(e.NewRangeQuery(&storage_, "m_total", 60000, 0, 1000).has_value());
  auto p = e.NewInstantQuery(&storage_, "sum(", 0);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), StatusCode::kInvalidArgument);
}

TEST_F(EngineTest, MaxSamples) {
  EngineOptions o;
  o.max_samples = 10;
  Engine e(o);
  auto r = Range(e, "m_total", 0, 600000, 15000);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.error().message(),
            "query processing would load too many samples into memory in query execution");
  // Small enough queries still work, and the peak is reported.
  auto ok = Instant(e, "m_total", 60000);
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_GT(ok->peak_samples, 0);
  EXPECT_LE(ok->peak_samples, 10);
}

TEST_F(EngineTest, PathologicalQueriesFailCleanly) {
  Engine e;  // default max_samples
  for (const char* q : {"max_over_time(vector(1)[1y:1ms])", "count_over_time(m_total[1y:1ms])",
                        "sum_over_time(vector(time())[10y:1ms])"}) {
    SCOPED_TRACE(q);
    auto r = Instant(e, q, 0);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), StatusCode::kResourceExhausted);
  }
  EngineOptions o;
  o.max_samples = 0;  // unlimited still has a hard cap per block
  Engine u(o);
  auto r = Instant(u, "max_over_time(vector(1)[100y:1ms])", 0);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kResourceExhausted);
}

TEST_F(EngineTest, CancellationAndTimeout) {
  Engine e;
  std::stop_source stop;
  stop.request_stop();
  auto q = e.NewInstantQuery(&storage_, "m_total", 0);
  ASSERT_TRUE(q.has_value());
  auto r = (*q)->Exec(Context(0, stop.get_token()));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kCancelled);
  EXPECT_NE(r.error().message().find("query was canceled in"), std::string_view::npos);

  auto q2 = e.NewInstantQuery(&storage_, "m_total", 0);
  ASSERT_TRUE(q2.has_value());
  auto r2 = (*q2)->Exec(Context(Context::NowNs() - 1, {}));  // already past the deadline
  ASSERT_FALSE(r2.has_value());
  EXPECT_EQ(r2.error().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r2.error().message().find("query timed out in"), std::string_view::npos);
}

TEST_F(EngineTest, DelayedNameRemovalOption) {
  EngineOptions o;
  o.enable_delayed_name_removal = false;
  Engine e(o);
  // Without delayed removal the name is gone right after rate(), so label_replace sees none.
  auto r = Instant(e,
                   "label_replace(rate(m_total{i=\"0\"}[1m]), \"n\", \"$1\", \"__name__\", "
                   "\"(.*)\")",
                   60000);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(r->value.vector.size(), 1u);
  EXPECT_EQ(r->value.vector[0].labels.ToString(), "{i=\"0\"}");
  EngineOptions d;
  d.enable_delayed_name_removal = true;
  Engine ed(d);
  auto r2 = Instant(ed,
                    "label_replace(rate(m_total{i=\"0\"}[1m]), \"n\", \"$1\", \"__name__\", "
                    "\"(.*)\")",
                    60000);
  ASSERT_TRUE(r2.has_value());
  ASSERT_EQ(r2->value.vector.size(), 1u);
  EXPECT_EQ(r2->value.vector[0].labels.ToString(), "{i=\"0\", n=\"m_total\"}");
}

TEST_F(EngineTest, AnnotationsAreRenderedWithPositions) {
  Engine e;
  auto r = Instant(e, "sum(\n  rate(m_total[1m])) + rate(m_total[1m])", 60000);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->annotations.empty());
  auto g = Instant(e, "rate(\n  {i=\"0\", __name__=~\"m_.*\"}[1m]) or rate(m_total[1m])", 60000);
  ASSERT_TRUE(g.has_value());
  EXPECT_TRUE(g->annotations.empty());
  auto q = Instant(e, "quantile(2, m_total)", 60000);
  ASSERT_TRUE(q.has_value());
  auto w = q->annotations.Warnings("quantile(2, m_total)");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)");
  EXPECT_EQ(PositionString("a\nbc", 3), "2:2");
}

// A Queryable that records the hints and matchers the engine sends.
class RecordingQueryable final : public storage::Queryable {
 public:
  struct Call {
    storage::SelectHints hints;
    std::vector<Matcher> matchers;
  };
  Result<std::unique_ptr<storage::Querier>> NewQuerier(int64_t mint, int64_t maxt) override {
    mint_ = mint;
    maxt_ = maxt;
    return std::unique_ptr<storage::Querier>(std::make_unique<Q>(this));
  }
  std::vector<Call> calls;
  int64_t mint_ = 0, maxt_ = 0;

 private:
  class Q final : public storage::Querier {
   public:
    explicit Q(RecordingQueryable* r) : r_(r) {}
    std::unique_ptr<storage::SeriesSet> Select(const Context&, bool, const storage::SelectHints* h,
                                               const std::vector<Matcher>& ms) override {
      r_->calls.push_back(Call{*h, ms});
      return storage::EmptySeriesSet();
    }
    Result<std::vector<std::string>> LabelValues(const Context&, std::string_view,
                                                 const std::vector<Matcher>&, size_t) override {
      return std::vector<std::string>{};
    }
    Result<std::vector<std::string>> LabelNames(const Context&, const std::vector<Matcher>&,
                                                size_t) override {
      return std::vector<std::string>{};
    }

   private:
    RecordingQueryable* r_;
  };
};

TEST(EngineHintsTest, TimeRangeAndMatchersArePushedDown) {
  RecordingQueryable rq;
  Engine e;
  auto q = e.NewRangeQuery(&rq, "sum(rate(x{job=\"a\"}[1m] offset 1m))", 600000, 1200000, 60000);
  ASSERT_TRUE(q.has_value());
  ASSERT_TRUE((*q)->Exec(Context::Background()).has_value());
  ASSERT_EQ(rq.calls.size(), 1u);
  const auto& c = rq.calls[0];
  // (start - offset - range, end - offset], inclusive bounds.
  EXPECT_EQ(c.hints.start, 600000 - 60000 - 60000 + 1);
  EXPECT_EQ(c.hints.end, 1200000 - 60000);
  EXPECT_EQ(c.hints.range, 60000);
  EXPECT_EQ(c.hints.step, 60000);
  EXPECT_EQ(c.hints.func, "rate");
  EXPECT_EQ(rq.mint_, c.hints.start);
  EXPECT_EQ(rq.maxt_, c.hints.end);
  ASSERT_EQ(c.matchers.size(), 2u);

  RecordingQueryable rq2;
  auto q2 = e.NewInstantQuery(&rq2, "x @ 100", 500000);
  ASSERT_TRUE(q2.has_value());
  ASSERT_TRUE((*q2)->Exec(Context::Background()).has_value());
  ASSERT_EQ(rq2.calls.size(), 1u);
  // Instant selector: lookback window before the @ time.
  EXPECT_EQ(rq2.calls[0].hints.start, 100000 - 300000 + 1);
  EXPECT_EQ(rq2.calls[0].hints.end, 100000);
  EXPECT_EQ(rq2.calls[0].hints.step, 0);

  // Aggregation grouping reaches a selector that is the aggregation's direct argument.
  RecordingQueryable rq3;
  auto q3 = e.NewInstantQuery(&rq3, "sum by (job) (x) + max(rate(y[5m:1m]))", 500000);
  ASSERT_TRUE(q3.has_value());
  ASSERT_TRUE((*q3)->Exec(Context::Background()).has_value());
  ASSERT_EQ(rq3.calls.size(), 2u);
  EXPECT_EQ(rq3.calls[0].hints.func, "sum");
  EXPECT_TRUE(rq3.calls[0].hints.by);
  EXPECT_EQ(rq3.calls[0].hints.grouping, std::vector<std::string>{"job"});
  EXPECT_EQ(rq3.calls[1].hints.func, "rate");
  EXPECT_TRUE(rq3.calls[1].hints.grouping.empty());
  EXPECT_EQ(rq3.calls[1].hints.step, 60000);  // the subquery's step
  // (500s - 5m, 500s] on the subquery's 1m grid, less the lookback.
  EXPECT_EQ(rq3.calls[1].hints.start, 240000 - 300000 + 1);
}

TEST(EngineHelpersTest, RangeQueryPoints) {
  EXPECT_EQ(RangeQueryPoints(0, 60000, 15000), 5);
  EXPECT_EQ(RangeQueryPoints(0, 0, 15000), 1);
  EXPECT_EQ(RangeQueryPoints(0, 60000, 0), 0);
  EXPECT_GT(RangeQueryPoints(0, 86400000 * 7LL, 15000), kMaxPointsPerSeries);
}

TEST(EngineHelpersTest, AbsentMarkerIsNotProducedByArithmetic) {
  double a = AbsentValue();
  EXPECT_TRUE(IsAbsent(a));
  EXPECT_TRUE(std::isnan(a));
  volatile double x = a;
  EXPECT_FALSE(IsAbsent(x + 1));
  EXPECT_FALSE(IsAbsent(-x * 2));
  EXPECT_FALSE(IsAbsent(std::nan("")));
}

}  // namespace
}  // namespace vigil::promql
