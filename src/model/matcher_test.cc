#include "model/matcher.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

struct Case {
  MatchType type;
  const char* pattern;
  const char* input;
  bool want;
};

TEST(MatcherTest, Table) {
  const Case cases[] = {
      {MatchType::kEqual, "a", "a", true},
      {MatchType::kEqual, "a", "", false},
      {MatchType::kNotEqual, "a", "b", true},
      {MatchType::kRegexMatch, "a.*", "abc", true},
      {MatchType::kRegexMatch, "b", "abc", false},  // anchored
      {MatchType::kRegexMatch, ".*", "", true},
      {MatchType::kRegexMatch, ".+", "", false},
      {MatchType::kRegexMatch, "foo|bar", "bar", true},
      {MatchType::kRegexMatch, "foo|bar", "foobar", false},
      {MatchType::kRegexMatch, "a.c", "a\nc", true},  // dot matches newline
      {MatchType::kRegexNoMatch, "foo|bar", "baz", true},
      {MatchType::kRegexNoMatch, ".*", "x", false},
  };
  for (const auto& c : cases) {
    auto m = Matcher::Make(c.type, "l", c.pattern);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->Matches(c.input), c.want) << m->ToString() << " on " << c.input;
  }
}

// Regression: "up|temp.*" left {"up"} in SetMatches(), so block postings lookups used only
// the literal "up" and missed every temperature series.
TEST(MatcherTest, SetMatchesOnlyForPureLiteralAlternations) {
  EXPECT_EQ(Matcher::Make(MatchType::kRegexMatch, "n", "b|a")->SetMatches(),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(Matcher::Make(MatchType::kRegexMatch, "n", "up|temp.*")->SetMatches().empty());
  EXPECT_TRUE(Matcher::Make(MatchType::kRegexMatch, "n", "a|b|c+")->SetMatches().empty());
}

TEST(MatcherTest, BadRegexIsInvalidArgument) {
  auto m = Matcher::Make(MatchType::kRegexMatch, "l", "(");
  ASSERT_FALSE(m.has_value());
  EXPECT_TRUE(m.error().IsInvalidArgument());
}

TEST(MatcherTest, MatchesAllTreatsAbsentAsEmpty) {
  std::vector<Matcher> ms = {*Matcher::Make(MatchType::kEqual, "job", "x"),
                             *Matcher::Make(MatchType::kRegexMatch, "env", "|prod")};
  EXPECT_TRUE(MatchesAll(ms, Labels{{"job", "x"}}));
  EXPECT_FALSE(MatchesAll(ms, Labels{{"job", "x"}, {"env", "dev"}}));
}

}  // namespace
}  // namespace vigil
