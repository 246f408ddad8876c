#include "api/params.h"

#include <gtest/gtest.h>

#include "api/json_writer.h"

namespace vigil::api {
namespace {

TEST(ParamsTest, TimesParseLikePrometheus) {
  const struct {
    const char* in;
    int64_t want_ms;
  } cases[] = {
      {"1435781451.781", 1435781451781},
      {"1435781451", 1435781451000},
      {"+1", 1000},
      {"1.5e3", 1500000},
      {"-1.5", -1500},
      {"-0.001", -1},
      {"0.0005", 1},  // math.Round(0.5) rounds half away from zero
      {"0.0004", 0},
      {"0x1p4", 16000},
      {".5", 500},
      {"2015-07-01T20:10:51.781Z", 1435781451781},
      {"2015-07-01T22:10:51.781+02:00", 1435781451781},
      {"2015-07-01T18:40:51.781-01:30", 1435781451781},
      {"2015-07-01T20:10:51Z", 1435781451000},
      {"2015-07-01T20:10:51.7819999Z", 1435781451781},
      {"2000-02-29T00:00:00Z", 951782400000},
      {"1969-12-31T23:59:59.999Z", -1},
      {"-292273086-05-16T16:47:06Z", kMinTimeMs},
      {"-9223309901257974", kMinTimeMs},  // client_golang's float form of MinTime
      {"9223309901257974", kMaxTimeMs - 999},
      {"292277025-08-18T07:12:54.999999999Z", kMaxTimeMs},
  };
  for (const auto& c : cases) {
    Result<int64_t> t = ParseTimeMs(c.in);
    ASSERT_TRUE(t.has_value()) << c.in << ": " << t.error().ToString();
    EXPECT_EQ(*t, c.want_ms) << c.in;
  }
}

TEST(ParamsTest, BadTimesAreRejectedWithPrometheusText) {
  for (const char* in :
       {"", "abc", "2015-13-01T00:00:00Z", "2015-02-30T00:00:00Z", "2015-02-29T00:00:00Z",
        "2015-07-01 20:10:51Z", "2015-07-01T20:10:51", "2015-07-01T24:00:00Z", "1e400",
        "9223372036854776", "NaN", "Inf", "1_000", "0x10"}) {
    Result<int64_t> t = ParseTimeMs(in);
    ASSERT_FALSE(t.has_value()) << in;
    EXPECT_TRUE(t.error().IsInvalidArgument());
    EXPECT_EQ(t.error().message(), "cannot parse \"" + std::string(in) + "\" to a valid timestamp");
  }
}

TEST(ParamsTest, DurationsParseLikePrometheus) {
  const struct {
    const char* in;
    int64_t want_ns;
  } cases[] = {
      {"15", 15000000000},
      {"0.5", 500000000},
      {"-1", -1000000000},
      {"0", 0},
      {"1m30s", 90000000000},
      {"100ms", 100000000},
      {"1h", 3600000000000},
      {"2d", 2 * 86400000000000},
      {"1w", 7 * 86400000000000},
      {"1y", 365 * 86400000000000},
      {"1y2w3d4h5m6s7ms",
       (((int64_t{365 + 14 + 3} * 24 + 4) * 60 + 5) * 60 + 6) * 1000000000 + 7000000},
  };
  for (const auto& c : cases) {
    Result<int64_t> d = ParseDurationNs(c.in);
    ASSERT_TRUE(d.has_value()) << c.in << ": " << d.error().ToString();
    EXPECT_EQ(*d, c.want_ns) << c.in;
  }
}

TEST(ParamsTest, BadDurations) {
  for (const char* in : {"", "5x", "1s1m", "1m1m", "m", "1.5m", "-1m", " 1s"}) {
    Result<int64_t> d = ParseDurationNs(in);
    ASSERT_FALSE(d.has_value()) << in;
    EXPECT_EQ(d.error().message(), "cannot parse \"" + std::string(in) + "\" to a valid duration");
  }
  Result<int64_t> big = ParseDurationNs("1e10");
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().message(), "cannot parse \"1e10\" to a valid duration. It overflows int64");
  EXPECT_EQ(ParsePromDurationNs("").error().message(), "empty duration string");
  EXPECT_EQ(ParsePromDurationNs("3q").error().message(), "unknown unit \"q\" in duration \"3q\"");
  EXPECT_EQ(ParsePromDurationNs("1000000y").error().message(), "duration out of range");
}

TEST(ParamsTest, Limits) {
  EXPECT_EQ(*ParseLimit(""), 0);
  EXPECT_EQ(*ParseLimit("5"), 5);
  EXPECT_EQ(*ParseLimit("+5"), 5);
  EXPECT_EQ(ParseLimit("-1").error().message(), "limit must be non-negative");
  EXPECT_EQ(ParseLimit("abc").error().message(), "strconv.Atoi: parsing \"abc\": invalid syntax");
  EXPECT_EQ(ParseLimit("1.5").error().message(), "strconv.Atoi: parsing \"1.5\": invalid syntax");
  EXPECT_EQ(ParseLimit("99999999999999999999").error().message(),
            "strconv.Atoi: parsing \"99999999999999999999\": value out of range");
}

TEST(ParamsTest, UnescapeLabelNames) {
  const struct {
    const char* in;
    const char* want;
  } cases[] = {
      {"job", "job"},
      {"U__foo_2e_bar", "foo.bar"},
      {"U__a__b", "a_b"},
      {"U___1f600_", "\xf0\x9f\x98\x80"},
      {"U___E9_", "\xc3\xa9"},
      {"U__bad_zz_", "U__bad_zz_"},
      {"U__x_", "U__x_"},
      {"U__open_41", "U__open_41"},
      {"U___d800_", "U___d800_"},
      {"U__a_1234567_", "U__a_1234567_"},
      {"U__", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(UnescapeLabelName(c.in), c.want) << c.in;
}

TEST(ParamsTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("abc é \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
}

TEST(ParamsTest, GoQuoteLikeStrconvQuote) {
  EXPECT_EQ(GoQuote("abc"), "\"abc\"");
  EXPECT_EQ(GoQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(GoQuote("\n\t\a\v\x01\x7f"), "\"\\n\\t\\a\\v\\x01\\x7f\"");
  EXPECT_EQ(GoQuote("\xff"), "\"\\xff\"");
  EXPECT_EQ(GoQuote("é\xc3"), "\"é\\xc3\"");
  EXPECT_EQ(GoQuote("\xc2\x85"), "\"\\u0085\"");
  EXPECT_EQ(GoQuote("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
}

// The min/max time literals are what Go prints for the ms values (checked both ways).
TEST(ParamsTest, MinMaxTimeConstantsRoundTrip) {
  EXPECT_EQ(*ParseTimeMs(kMinTimeFormatted), kMinTimeMs);
  EXPECT_EQ(*ParseTimeMs(kMaxTimeFormatted), kMaxTimeMs);
  EXPECT_EQ(kMaxTimeMs, (INT64_MAX / 1000 - 62135596801) * 1000 + 999);
  EXPECT_EQ(kMinTimeMs, (INT64_MIN / 1000 + 62135596801) * 1000);
}

}  // namespace
}  // namespace vigil::api
