#include "textparse/writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "textparse/parser.h"
#include "textparse/test_util.h"

namespace vigil::textparse {
namespace {

TEST(WriterTest, WritesLikeExpfmt) {
  std::string out;
  Writer w(&out);
  w.Help("http_requests_total", "Requests.\nSecond line with \\ backslash and \"quotes\".");
  w.Type("http_requests_total", MetricType::kCounter);
  w.Sample("http_requests_total", {{"method", "get"}, {"path", "/a\"b\\c\nd"}}, 1027);
  w.Sample("http_requests_total", {}, 1e6, 1395066363000);
  w.Type("temp", MetricType::kGauge);
  w.Sample("temp", {}, -0.0);
  w.Sample("temp", {}, -1);
  w.Sample("temp", {}, 0.25);
  w.Sample("temp", {}, std::numeric_limits<double>::quiet_NaN());
  w.Sample("temp", {}, std::numeric_limits<double>::infinity());
  w.Sample("temp", {}, -std::numeric_limits<double>::infinity());
  w.Type("other", MetricType::kStateset);
  w.Type("h", MetricType::kHistogram);
  std::vector<LabelView> base = {{"job", "x"}};
  w.Sample("h_bucket", base, LabelView{"le", "0.5"}, 3);
  w.Sample("h_bucket", {}, LabelView{"le", "+Inf"}, 4);
  EXPECT_EQ(out,
            "# HELP http_requests_total Requests.\\nSecond line with \\\\ backslash and "
            "\"quotes\".\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{method=\"get\",path=\"/a\\\"b\\\\c\\nd\"} 1027\n"
            "http_requests_total 1e+06 1395066363000\n"
            "# TYPE temp gauge\n"
            "temp 0\n"
            "temp -1\n"
            "temp 0.25\n"
            "temp NaN\n"
            "temp +Inf\n"
            "temp -Inf\n"
            "# TYPE other untyped\n"
            "# TYPE h histogram\n"
            "h_bucket{job=\"x\",le=\"0.5\"} 3\n"
            "h_bucket{le=\"+Inf\"} 4\n");
}

TEST(WriterTest, QuotesNonLegacyNames) {
  std::string out;
  Writer w(&out);
  w.Help("my.metric", "h");
  w.Type("my.metric", MetricType::kGauge);
  w.Sample("my.metric", {{"a", "b"}, {"my.label", "c"}}, 1);
  w.Sample("my.metric", {}, 2);
  w.Sample("m", {{"bad:label", "v"}}, 3);
  EXPECT_EQ(out,
            "# HELP \"my.metric\" h\n"
            "# TYPE \"my.metric\" gauge\n"
            "{\"my.metric\",a=\"b\",\"my.label\"=\"c\"} 1\n"
            "{\"my.metric\"} 2\n"
            "m{\"bad:label\"=\"v\"} 3\n");
}

TEST(WriterTest, WritesLabelsSets) {
  std::string out;
  Writer w(&out);
  w.Sample(Labels{{"__name__", "up"}, {"job", "node"}, {"instance", "a:9100"}}, 1, 5);
  w.Sample(Labels{{"__name__", "up"}}, 0);
  EXPECT_EQ(out, "up{instance=\"a:9100\",job=\"node\"} 1 5\nup 0\n");
}

// What the writer produces, the parser reads back identically.
TEST(WriterTest, RoundTripsThroughParser) {
  std::string out;
  Writer w(&out);
  const std::vector<std::vector<LabelView>> sets = {
      {},
      {{"a", "plain"}},
      {{"a", "quote\" backslash\\ newline\n end"}, {"b", "ünïcødé ✓"}},
      {{"my.label", "v"}, {"x", ""}},
  };
  const double values[] = {0,
                           1,
                           -1,
                           0.1,
                           1e-7,
                           123456789,
                           1.7976931348623157e308,
                           5e-324,
                           std::numeric_limits<double>::infinity()};
  w.Help("rt", "Help with \\ and \n.");
  w.Type("rt", MetricType::kGauge);
  int n = 0;
  for (const auto& ls : sets) {
    for (double v : values) {
      w.Sample(n % 2 ? "rt" : "rt.dotted", ls, v, n % 3 ? std::optional<int64_t>(n) : std::nullopt);
      ++n;
    }
  }
  PromParser p(out);
  auto e = p.Next();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(p.Help(), "Help with \\ and \n.");
  ASSERT_EQ(*p.Next(), Entry::kType);
  n = 0;
  for (const auto& ls : sets) {
    for (double v : values) {
      auto s = p.Next();
      ASSERT_TRUE(s.has_value()) << s.error().ToString() << "\n" << out;
      ASSERT_EQ(*s, Entry::kSeries);
      EXPECT_EQ(p.MetricName(), n % 2 ? "rt" : "rt.dotted");
      ASSERT_EQ(p.Labels().size(), ls.size());
      for (size_t i = 0; i < ls.size(); ++i) EXPECT_EQ(p.Labels()[i], ls[i]);
      EXPECT_EQ(p.Value(), v);
      EXPECT_EQ(p.Timestamp(), n % 3 ? std::optional<int64_t>(n) : std::nullopt);
      ++n;
    }
  }
  EXPECT_EQ(*p.Next(), Entry::kEof);
}

TEST(WriterTest, LegacyNames) {
  EXPECT_TRUE(IsLegacyMetricName("a:b_c1"));
  EXPECT_TRUE(IsLegacyMetricName(":a"));
  EXPECT_FALSE(IsLegacyMetricName("1a"));
  EXPECT_FALSE(IsLegacyMetricName(""));
  EXPECT_FALSE(IsLegacyMetricName("a.b"));
  EXPECT_TRUE(IsLegacyLabelName("_a1"));
  EXPECT_FALSE(IsLegacyLabelName("a:b"));
  EXPECT_FALSE(IsLegacyLabelName(""));
}

}  // namespace
}  // namespace vigil::textparse
