#include "scrape/discovery.h"

#include <gtest/gtest.h>

namespace vigil::scrape {
namespace {

TEST(ParseTargetGroupsTest, JsonAndYaml) {
  auto j = ParseTargetGroups(
      R"([{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}, {"targets": ["c:3"]}])", false,
      "f.json", {{"__meta_filepath", "f.json"}});
  ASSERT_TRUE(j.has_value()) << j.error().ToString();
  ASSERT_EQ(j->size(), 2u);
  EXPECT_EQ((*j)[0].source, "f.json:0");
  EXPECT_EQ((*j)[0].targets.size(), 2u);
  EXPECT_EQ((*j)[0].targets[1].Get("__address__"), "b:2");
  EXPECT_EQ((*j)[0].labels.Get("env"), "prod");
  EXPECT_EQ((*j)[1].labels.Get("__meta_filepath"), "f.json");
  auto y = ParseTargetGroups("- targets: ['a:1']\n  labels:\n    env: prod\n", true, "f.yml", {});
  ASSERT_TRUE(y.has_value()) << y.error().ToString();
  EXPECT_EQ((*y)[0].targets[0].Get("__address__"), "a:1");
  EXPECT_EQ((*y)[0].labels.Get("env"), "prod");
  auto empty = ParseTargetGroups("", true, "f.yml", {});
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TEST(ParseTargetGroupsTest, Errors) {
  struct Case {
    const char* data;
    bool yaml;
  } cases[] = {
      {"{", false},
      {"{}", false},
      {"[null]", false},
      {R"([{"targets": [1]}])", false},
      {R"([{"targets": ["a"], "labels": {"x": 1}}])", false},
      {R"([{"targets": ["a"], "labels": {"": "v"}}])", false},
      {"- targets: ['a']\n  lables: {}\n", true},
      {"- [a, b]\n", true},
      {"targets: [a]\n", true},
      {"- targets: [a\n", true},
  };
  for (const auto& c : cases) {
    auto r = ParseTargetGroups(c.data, c.yaml, "x", {});
    EXPECT_FALSE(r.has_value()) << c.data;
    if (!r.has_value()) {
      EXPECT_TRUE(r.error().IsInvalidArgument());
    }
  }
}

}  // namespace
}  // namespace vigil::scrape
