#include "model/labels.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(LabelsTest, SortedUniqueAndEmptyValuesDropped) {
  Labels l{{"job", "node"}, {"__name__", "up"}, {"instance", "a:1"}, {"empty", ""}};
  EXPECT_EQ(l.size(), 3u);
  EXPECT_EQ(l.ToString(), R"({__name__="up", instance="a:1", job="node"})");
  EXPECT_EQ(l.Get("job"), "node");
  EXPECT_EQ(l.Get("missing"), "");
  EXPECT_EQ(l.MetricName(), "up");
}

TEST(LabelsTest, CompareIsPrometheusOrder) {
  Labels a{{"a", "1"}}, b{{"a", "1"}, {"b", "1"}}, c{{"a", "2"}}, d{{"b", "0"}};
  EXPECT_LT(Labels::Compare(a, b), 0);  // prefix first
  EXPECT_LT(Labels::Compare(b, c), 0);
  EXPECT_LT(Labels::Compare(c, d), 0);  // names compare before values
  EXPECT_EQ(Labels::Compare(a, Labels{{"a", "1"}}), 0);
}

TEST(LabelsTest, BuilderEdits) {
  Labels base{{"a", "1"}, {"b", "2"}};
  LabelsBuilder b(base);
  b.Set("c", "3").Del("a").Set("b", "x");
  EXPECT_EQ(b.Build().ToString(), R"({b="x", c="3"})");
  EXPECT_EQ(b.Build().Hash(), (Labels{{"c", "3"}, {"b", "x"}}.Hash()));
}

TEST(LabelsTest, QuotesLikeGo) {
  Labels l{{"a", "x\"y\\z\n"}};
  EXPECT_EQ(l.ToString(), R"({a="x\"y\\z\n"})");
}

TEST(LabelsTest, HashByWithout) {
  Labels a{{"__name__", "m"}, {"job", "j"}, {"i", "1"}};
  Labels b{{"__name__", "n"}, {"job", "j"}, {"i", "2"}};
  EXPECT_EQ(a.HashForLabels({"job"}), b.HashForLabels({"job"}));
  EXPECT_NE(a.HashForLabels({"i"}), b.HashForLabels({"i"}));
  EXPECT_EQ(a.HashWithoutLabels({"i"}), b.HashWithoutLabels({"i"}));  // __name__ ignored
}

}  // namespace
}  // namespace vigil
