// Duration parsing (Prometheus' model.ParseDuration) and duration-expression evaluation.
#include "promql/parser/duration.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "promql/parser/parser.h"

namespace vigil::promql::parser {
namespace {

TEST(DurationTest, Parse) {
  const struct {
    std::string_view in;
    int64_t ms;
  } ok[] = {
      {"0", 0},
      {"0s", 0},
      {"1ms", 1},
      {"1s", 1000},
      {"5m", 300000},
      {"1h30m", 5400000},
      {"1d", 86400000},
      {"1w", 604800000},
      {"1y", 31536000000},
      {"1y2w3d4h5m6s7ms",
       31536000000 + 2 * 604800000LL + 3 * 86400000LL + 4 * 3600000LL + 5 * 60000 + 6 * 1000 + 7},
      {"90m", 5400000},
      {"1000ms", 1000},
      {"292y", 292 * 31536000000LL},
  };
  for (const auto& c : ok) {
    auto r = ParseDuration(c.in);
    ASSERT_TRUE(r) << c.in << ": " << r.error().ToString();
    EXPECT_EQ(*r, c.ms) << c.in;
  }
  const struct {
    std::string_view in;
    std::string_view err;
  } bad[] = {
      {"", "empty duration string"},
      {"1", "not a valid duration string: \"1\""},
      {"m", "not a valid duration string: \"m\""},
      {"-1m", "not a valid duration string: \"-1m\""},
      {"1.5m", "unknown unit \".\" in duration \"1.5m\""},
      {"1m1h", "not a valid duration string: \"1m1h\""},
      {"1m1m", "not a valid duration string: \"1m1m\""},
      {"1 m", "unknown unit \" m\" in duration \"1 m\""},
      {"1hs", "unknown unit \"hs\" in duration \"1hs\""},
      {"1M", "unknown unit \"M\" in duration \"1M\""},
      {"293y", "duration out of range"},
      {"106751d24h", "duration out of range"},
      {"99999999999999999999s", "not a valid duration string: \"99999999999999999999s\""},
  };
  for (const auto& c : bad) {
    auto r = ParseDuration(c.in);
    ASSERT_FALSE(r) << c.in;
    EXPECT_EQ(r.error().message(), c.err) << c.in;
  }
}

TEST(DurationTest, SecondsConversions) {
  EXPECT_EQ(NsToSeconds(1500000000), 1.5);
  EXPECT_EQ(NsToSeconds(1), 1e-9);
  EXPECT_EQ(SecondsToMs(1.5), 1500);
  EXPECT_EQ(SecondsToMs(-1.5), -1500);
  EXPECT_EQ(SecondsToMs(4.018), 4018);
  EXPECT_EQ(SecondsToMs(0.0004), 0);
  EXPECT_TRUE(DurationSecondsOutOfRange(1e10));
  EXPECT_TRUE(DurationSecondsOutOfRange(-1e10));
  EXPECT_FALSE(DurationSecondsOutOfRange(9e9));
}

Result<double> Eval(std::string_view range, int64_t step_ms, int64_t range_ms) {
  auto r = ParseExpr("foo[" + std::string(range) + "]", ParseOptions::AllEnabled());
  if (!r) return r.error();
  const auto& ms = (*r)->As<MatrixSelector>();
  if (!ms.range_expr) return static_cast<double>(ms.range_ms) / 1000;
  return EvalDuration(*ms.range_expr, step_ms, range_ms);
}

TEST(DurationTest, EvalDuration) {
  const struct {
    std::string_view expr;
    double want;
  } cases[] = {
      {"5m+1m", 360},
      {"5m-1m", 240},
      {"2*5m", 600},
      {"10m/4", 150},
      {"10m%3m", 60},
      {"2^10", 1024},
      {"-(1m)+5m", 240},
      {"step()", 15},
      {"range()", 3600},
      {"step()*4", 60},
      {"max_of(step(), 1m)", 60},
      {"min_of(range(), 1m)", 60},
      {"(1m+1m)*2", 240},
      {"1m+1m*2", 180},
      {"2^3^2", 512},
      {"-2^2+5", 1},
      {"(5m)", 300},
      {"max_of(-step(), 1s)", 1},
  };
  for (const auto& c : cases) {
    auto r = Eval(c.expr, 15000, 3600000);
    ASSERT_TRUE(r) << c.expr << ": " << r.error().ToString();
    EXPECT_DOUBLE_EQ(*r, c.want) << c.expr;
  }
  auto div = Eval("1m/(step()-step())", 15000, 0);
  ASSERT_FALSE(div);
  EXPECT_NE(div.error().message().find("division by zero"), std::string_view::npos);
  auto mod = Eval("1m%(range())", 15000, 0);
  ASSERT_FALSE(mod);
  EXPECT_NE(mod.error().message().find("modulo by zero"), std::string_view::npos);
}

TEST(DurationTest, ResolveDurations) {
  auto r = ParseExpr("rate(foo[step()*4] offset -step())[range():step()] offset (1m)",
                     ParseOptions::AllEnabled());
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_TRUE(ResolveDurations(**r, 30000, 7200000).ok());
  const auto& sq = (*r)->As<SubqueryExpr>();
  EXPECT_EQ(sq.range_ms, 7200000);
  EXPECT_EQ(sq.step_ms, 30000);
  EXPECT_EQ(sq.original_offset_ms, 60000);
  const auto& ms = sq.expr->As<Call>().args[0]->As<MatrixSelector>();
  EXPECT_EQ(ms.range_ms, 120000);
  EXPECT_EQ(ms.vector_selector->original_offset_ms, -30000);

  // A range that evaluates to <= 0 is an error (offsets may be negative).
  auto z = ParseExpr("foo[range()]", ParseOptions::AllEnabled());
  ASSERT_TRUE(z);
  Status s = ResolveDurations(**z, 15000, 0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "4:11: duration must be greater than 0");
  auto n = ParseExpr("foo[step()^1000]", ParseOptions::AllEnabled());
  ASSERT_TRUE(n);
  s = ResolveDurations(**n, 15000, 0);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("duration is NaN or infinite"), std::string_view::npos);
  auto o = ParseExpr("foo[step()*1e9]", ParseOptions::AllEnabled());
  ASSERT_TRUE(o);
  s = ResolveDurations(**o, 15000, 0);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("duration is out of range"), std::string_view::npos);
}

}  // namespace
}  // namespace vigil::promql::parser
