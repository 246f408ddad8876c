#include "config/duration.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil::config {
namespace {

constexpr int64_t kS = 1000, kM = 60 * kS, kH = 60 * kM, kD = 24 * kH, kW = 7 * kD, kY = 365 * kD;

TEST(DurationTest, Parse) {
  struct C {
    const char* in;
    int64_t ms;
  };
  for (const C& c :
       std::vector<C>{{"0", 0},
                      {"0s", 0},
                      {"100ms", 100},
                      {"15s", 15 * kS},
                      {"1m", kM},
                      {"1h30m", kH + 30 * kM},
                      {"1d", kD},
                      {"1w", kW},
                      {"1y", kY},
                      {"2y3w4d5h6m7s8ms", 2 * kY + 3 * kW + 4 * kD + 5 * kH + 6 * kM + 7 * kS + 8},
                      {"90d", 90 * kD},
                      {"292y", 292 * kY}}) {
    auto r = ParseDuration(c.in);
    ASSERT_TRUE(r.has_value()) << c.in << ": " << r.error().ToString();
    EXPECT_EQ(*r, c.ms) << c.in;
  }
}

TEST(DurationTest, ParseErrors) {
  struct C {
    const char* in;
    const char* err;
  };
  for (const C& c : std::vector<C>{
           {"", "empty duration string"},
           {"1", "not a valid duration string: \"1\""},
           {"s", "not a valid duration string: \"s\""},
           {"1x", "unknown unit \"x\" in duration \"1x\""},
           {"1m1h", "not a valid duration string: \"1m1h\""},
           {"1s1s", "not a valid duration string: \"1s1s\""},
           {"-1s", "not a valid duration string: \"-1s\""},
           {"1.5h", "unknown unit \".\" in duration \"1.5h\""},
           {" 1s", "not a valid duration string"},
           {"293y", "duration out of range"},
           {"99999999999999999999s", "not a valid duration string"},
       }) {
    auto r = ParseDuration(c.in);
    ASSERT_FALSE(r.has_value()) << c.in;
    EXPECT_TRUE(r.error().IsInvalidArgument());
    EXPECT_NE(r.error().message().find(c.err), std::string_view::npos)
        << c.in << " -> " << r.error().message();
  }
}

TEST(DurationTest, AllowNegative) {
  EXPECT_EQ(*ParseDurationAllowNegative("-1h"), -kH);
  EXPECT_EQ(*ParseDurationAllowNegative("5m"), 5 * kM);
  EXPECT_FALSE(ParseDurationAllowNegative("--1h").has_value());
}

TEST(DurationTest, FormatAndRoundTrip) {
  struct C {
    int64_t ms;
    const char* want;
  };
  for (const C& c : std::vector<C>{{0, "0s"},
                                   {1, "1ms"},
                                   {1500, "1s500ms"},
                                   {kH + 30 * kM, "1h30m"},
                                   {90 * kD, "90d"},
                                   {2 * kW, "2w"},
                                   {kY, "1y"},
                                   {kY + kD, "366d"},
                                   {-kM, "-1m"}}) {
    EXPECT_EQ(FormatDuration(c.ms), c.want);
    if (c.ms >= 0) {
      EXPECT_EQ(*ParseDuration(FormatDuration(c.ms)), c.ms);
    }
  }
  for (int64_t ms = 1; ms < 40 * kD; ms = ms * 7 + 3) {
    EXPECT_EQ(*ParseDuration(FormatDuration(ms)), ms) << ms;
  }
}

TEST(BytesTest, Parse) {
  struct C {
    const char* in;
    int64_t bytes;
  };
  for (const C& c : std::vector<C>{{"0", 0},
                                   {"1B", 1},
                                   {"10KB", 10 << 10},
                                   {"10KiB", 10 << 10},
                                   {"10MB", 10 << 20},
                                   {"1GiB", int64_t{1} << 30},
                                   {"1.5MB", 3 << 19},
                                   {"1GB512MB", (int64_t{1} << 30) + (512 << 20)},
                                   {"2TB", int64_t{2} << 40}}) {
    auto r = ParseBytes(c.in);
    ASSERT_TRUE(r.has_value()) << c.in << ": " << r.error().ToString();
    EXPECT_EQ(*r, c.bytes) << c.in;
  }
  for (const char* bad : {"", "100", "10kB", "10XB", "MB", ".MB", "10 MB"}) {
    EXPECT_FALSE(ParseBytes(bad).has_value()) << bad;
  }
  EXPECT_EQ(ParseBytes("100").error().message(), "units: unknown unit  in 100");
}

TEST(BytesTest, FormatRoundTrip) {
  EXPECT_EQ(FormatBytes(0), "0B");
  EXPECT_EQ(FormatBytes(10 << 20), "10MiB");
  EXPECT_EQ(FormatBytes(1536), "1KiB512B");
  EXPECT_EQ(FormatBytes(-1536), "-1KiB512B");
  for (int64_t b : {int64_t{1}, int64_t{1023}, int64_t{1} << 40, int64_t{123456789}, int64_t{-1536},
                    INT64_MIN}) {
    EXPECT_EQ(*ParseBytes(FormatBytes(b)), b) << b;
  }
}

}  // namespace
}  // namespace vigil::config
