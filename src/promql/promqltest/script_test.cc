#include "promql/promqltest/script.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "model/value.h"

namespace vigil::promql::promqltest {
namespace {

std::vector<std::string> Render(const std::vector<SequenceValue>& vals) {
  std::vector<std::string> out;
  for (const auto& v : vals) {
    switch (v.kind) {
      case SequenceValue::Kind::kFloat:
        out.push_back(std::isnan(v.value) ? "NaN" : std::to_string(v.value));
        break;
      case SequenceValue::Kind::kOmitted:
        out.push_back("_");
        break;
      case SequenceValue::Kind::kStale:
        out.push_back("stale");
        break;
      case SequenceValue::Kind::kHistogram:
        out.push_back("h");
        break;
    }
  }
  return out;
}

struct SeriesCase {
  std::string line;
  std::string labels;  // Labels::ToString()
  std::vector<std::string> values;
};

TEST(ParseSeriesDescriptionTest, Table) {
  auto d = [](double v) { return std::to_string(v); };
  const SeriesCase cases[] = {
      {"m 1 2 3", "{__name__=\"m\"}", {d(1), d(2), d(3)}},
      {"m{a=\"b\", c='d',} 5", "{__name__=\"m\", a=\"b\", c=\"d\"}", {d(5)}},
      {"{a=\"b\"} 1", "{a=\"b\"}", {d(1)}},
      {"{} 7", "{}", {d(7)}},
      {"{__name__=\"x\"} 1", "{__name__=\"x\"}", {d(1)}},
      {"m 5x3", "{__name__=\"m\"}", {d(5), d(5), d(5), d(5)}},
      {"m _x3 1", "{__name__=\"m\"}", {"_", "_", "_", d(1)}},
      {"m 1+2x2", "{__name__=\"m\"}", {d(1), d(3), d(5)}},
      {"m 10-3x2", "{__name__=\"m\"}", {d(10), d(7), d(4)}},
      {"m -5+1x1", "{__name__=\"m\"}", {d(-5), d(-4)}},
      {"m 1e-3 .25 -0.2e-6", "{__name__=\"m\"}", {d(1e-3), d(0.25), d(-0.2e-6)}},
      {"m 1 _ stale", "{__name__=\"m\"}", {d(1), "_", "stale"}},
      {"m NaN", "{__name__=\"m\"}", {"NaN"}},
      {"m Inf -Inf",
       "{__name__=\"m\"}",
       {d(std::numeric_limits<double>::infinity()), d(-std::numeric_limits<double>::infinity())}},
      {"m {{schema:0 sum:5 count:4 buckets:[1 2 1]}} 3", "{__name__=\"m\"}", {"h", d(3)}},
      {"m {{count:1}}x2", "{__name__=\"m\"}", {"h", "h", "h"}},
      {"m {{count:1}}+{{count:2}}x1", "{__name__=\"m\"}", {"h", "h"}},
      {"m{a=\"\\\"q\\\"\\n\"} 1", "{__name__=\"m\", a=\"\\\"q\\\"\\n\"}", {d(1)}},
      {"m{a=`raw\\n`} 1", "{__name__=\"m\", a=\"raw\\\\n\"}", {d(1)}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    auto r = ParseSeriesDescription(c.line);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    EXPECT_EQ(r->labels.ToString(), c.labels);
    EXPECT_EQ(Render(r->values), c.values);
  }
}

TEST(ParseSeriesDescriptionTest, StaleIsTheStaleNaN) {
  auto r = ParseSeriesDescription("m stale");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(IsStaleNaN(r->values[0].value));
}

TEST(ParseSeriesDescriptionTest, ProgressionAccumulatesLikePrometheus) {
  // 0.1 added ten times is not exactly 1.0; the reader must add, not multiply.
  auto r = ParseSeriesDescription("m 0+0.1x10");
  ASSERT_TRUE(r.has_value());
  double acc = 0;
  for (int i = 0; i < 10; ++i) acc += 0.1;
  EXPECT_EQ(r->values[10].value, acc);
}

TEST(ParseSeriesDescriptionTest, Errors) {
  for (const char* bad :
       {"", "m 1x", "m 1+2", "m{a=b} 1", "m{a=\"b\" 1", "m abc", "m 1 2x-1", "m {{count:1}"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseSeriesDescription(bad).has_value());
  }
}

TEST(ParseDurationTest, Table) {
  EXPECT_EQ(*ParseDurationMs("0"), 0);
  EXPECT_EQ(*ParseDurationMs("5m"), 300000);
  EXPECT_EQ(*ParseDurationMs("1h30m"), 5400000);
  EXPECT_EQ(*ParseDurationMs("10s53ms"), 10053);
  EXPECT_EQ(*ParseDurationMs("1y"), 365LL * 86400000);
  EXPECT_EQ(*ParseDurationMs("2w1d"), 15LL * 86400000);
  for (const char* bad : {"", "5", "m", "1m1h", "1m1m", "-1m", "1.5m", "1x"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseDurationMs(bad).has_value());
  }
}

TEST(ParseNumberTest, GoSemantics) {
  double v;
  ASSERT_TRUE(ParseNumber("2", &v));
  EXPECT_EQ(v, 2);
  ASSERT_TRUE(ParseNumber("0x1f", &v));
  EXPECT_EQ(v, 31);
  ASSERT_TRUE(ParseNumber("010", &v));  // Go's base-0 ParseInt: octal
  EXPECT_EQ(v, 8);
  ASSERT_TRUE(ParseNumber("-0.2e-6", &v));
  EXPECT_EQ(v, -0.2e-6);
  ASSERT_TRUE(ParseNumber("+Inf", &v));
  EXPECT_TRUE(std::isinf(v) && v > 0);
  ASSERT_TRUE(ParseNumber("NaN", &v));
  EXPECT_TRUE(std::isnan(v));
  EXPECT_FALSE(ParseNumber("{} 1", &v));
  EXPECT_FALSE(ParseNumber("m", &v));
  EXPECT_FALSE(ParseNumber("1 2", &v));
}

TEST(UnquoteStringTest, Escapes) {
  EXPECT_EQ(*UnquoteString("\"a\\tb\\x41\\u00e9\\101\""),
            "a\tbA\xc3\xa9"
            "A");
  EXPECT_EQ(*UnquoteString("'it\\'s'"), "it's");
  EXPECT_EQ(*UnquoteString("`a\\b`"), "a\\b");
  EXPECT_FALSE(UnquoteString("\"a").has_value());
  EXPECT_FALSE(UnquoteString("\"\\q\"").has_value());
}

TEST(ParseScriptTest, Commands) {
  const char* text = R"(
# comment
load 1m
  m{a="1"} 1 2
  m{a="1"} 3 4
  n 5

eval instant at 1m m
  m{a="1"} 4

eval_fail instant at 0 foo(
  expected_fail_message boom

eval range from 0 to 2m step 1m m
  expect warn msg: something
  expect no_info
  m{a="1"} 3 _ 4

eval instant at 5m vector(1)
  expect ordered
  expect fail regex: x.*y

eval instant at 0 1 + 1
  2

eval instant at 0 "s"
  expect string "s"

eval instant at 1m m[2m]
  expect range vector from 0 to 1m step 1m
  m{a="1"} 3 4

clear
)";
  auto s = ParseScript(text);
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  ASSERT_EQ(s->commands.size(), 9u);
  const auto& load = std::get<LoadCommand>(s->commands[0]);
  EXPECT_EQ(load.line, 3);
  EXPECT_EQ(load.interval_ms, 60000);
  ASSERT_EQ(load.series.size(), 2u);  // the repeated label set replaced the first line
  EXPECT_EQ(load.series[0].values[0].value, 3);

  const auto& e1 = std::get<EvalCommand>(s->commands[1]);
  EXPECT_EQ(e1.expr, "m");
  EXPECT_EQ(e1.start_ms, 60000);
  EXPECT_FALSE(e1.is_range);
  ASSERT_EQ(e1.expected_series.size(), 1u);
  EXPECT_EQ(e1.expected_series[0].pos, 1);

  const auto& e2 = std::get<EvalCommand>(s->commands[2]);
  EXPECT_TRUE(e2.ExpectsFailure());
  EXPECT_EQ(e2.expected_fail_message.value_or(""), "boom");

  const auto& e3 = std::get<EvalCommand>(s->commands[3]);
  EXPECT_TRUE(e3.is_range);
  EXPECT_EQ(e3.end_ms, 120000);
  EXPECT_EQ(e3.step_ms, 60000);
  ASSERT_EQ(e3.expects.size(), 2u);
  EXPECT_EQ(e3.expects[0].type, ExpectLine::Type::kWarn);
  EXPECT_EQ(e3.expects[0].match, ExpectLine::Match::kMsg);
  EXPECT_EQ(e3.expects[0].text, "something");

  const auto& e4 = std::get<EvalCommand>(s->commands[4]);
  EXPECT_TRUE(e4.IsOrdered());
  ASSERT_NE(e4.FailExpectation(), nullptr);
  EXPECT_EQ(e4.FailExpectation()->text, "x.*y");

  const auto& e5 = std::get<EvalCommand>(s->commands[5]);
  ASSERT_TRUE(e5.expected_scalar.has_value());
  EXPECT_EQ(*e5.expected_scalar, 2);

  const auto& e6 = std::get<EvalCommand>(s->commands[6]);
  EXPECT_EQ(e6.expected_string.value_or(""), "s");

  const auto& e7 = std::get<EvalCommand>(s->commands[7]);
  EXPECT_TRUE(e7.expect_range_vector);
  EXPECT_EQ(e7.EvalTime(), 60000);
  EXPECT_EQ(e7.expected_series[0].values.size(), 2u);

  EXPECT_TRUE(std::holds_alternative<ClearCommand>(s->commands[8]));
}

TEST(ParseScriptTest, CommentEndsBlock) {
  auto s = ParseScript("load 1m\n  m 1\n# end\n  n 2\n");
  // "n 2" after the comment is outside the load block: an invalid command.
  EXPECT_FALSE(s.has_value());
}

TEST(ParseScriptTest, StartTimestampLines) {
  auto s = ParseScript("load 1m\n  c@st _ -30s-1mx2\n  c _ 1 2 3\n");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_TRUE(std::get<LoadCommand>(s->commands[0]).has_start_timestamps);
  EXPECT_FALSE(ParseScript("load 1m\n  c@st _ 1m\n  c 1 2 3\n").has_value());  // slot count
  EXPECT_FALSE(ParseScript("load 1m\n  c@st 1m\n").has_value());               // no sample line
}

TEST(ParseScriptTest, Errors) {
  for (const char* bad : {
           "foo bar\n",
           "load\n",
           "load 1x\n",
           "eval instant 0 m\n",
           "eval instant at x m\n",
           "eval range from 1m to 0 step 1m m\n",
           "eval instant at 0 m\n  m 1 2\n",
           "eval instant at 0 m\n  expect warn\n  expect no_warn\n",
           "eval instant at 0 m\n  expect fail\n  expect fail\n",
           "eval instant at 0 m\n  expect bogus\n",
       }) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseScript(bad).has_value());
  }
}

}  // namespace
}  // namespace vigil::promql::promqltest
