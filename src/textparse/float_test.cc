#include "textparse/float.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "model/value.h"

namespace vigil::textparse {
namespace {

// Pairs from Go's strconv tests (FormatFloat(f, 'g', -1, 64)) and from Prometheus output.
struct FormatCase {
  double f;
  const char* want;
};

constexpr double kBelow1e23 = 99999999999999974834176.0;
constexpr double kAbove1e23 = 100000000000000008388608.0;

const FormatCase kFormatCases[] = {
    {1, "1"},
    {20, "20"},
    {0, "0"},
    {-0.0, "-0"},
    {-1, "-1"},
    {12, "12"},
    {32, "32"},
    {100, "100"},
    {200000, "200000"},
    {2000000, "2e+06"},
    {1000000, "1e+06"},
    {999999, "999999"},
    {1234567.8, "1.2345678e+06"},
    {123456700, "1.234567e+08"},
    {123456789, "1.23456789e+08"},
    {1e23, "1e+23"},
    {kBelow1e23, "9.999999999999997e+22"},
    {kAbove1e23, "1.0000000000000001e+23"},
    {5e-324, "5e-324"},
    {-5e-324, "-5e-324"},
    {2.2250738585072014e-308, "2.2250738585072014e-308"},
    {2.225073858507201e-308, "2.225073858507201e-308"},
    {383260575764816448.0, "3.8326057576481645e+17"},
    {-5.8339553793802237e+23, "-5.8339553793802237e+23"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
    {0.1, "0.1"},
    {0.25, "0.25"},
    {0.0001, "0.0001"},
    {0.00012, "0.00012"},
    {0.00001, "1e-05"},
    {4.9351e-05, "4.9351e-05"},
    {7.424100000000001e-05, "7.424100000000001e-05"},
    {123456.7, "123456.7"},
    {1.5e100, "1.5e+100"},
    {1e-100, "1e-100"},
    {0.30000000000000004, "0.30000000000000004"},
    {std::numeric_limits<double>::infinity(), "+Inf"},
    {-std::numeric_limits<double>::infinity(), "-Inf"},
    {std::numeric_limits<double>::quiet_NaN(), "NaN"},
};

TEST(FloatTest, FormatFloatMatchesGo) {
  for (const auto& c : kFormatCases) {
    EXPECT_EQ(FormatFloat(c.f), c.want) << c.want;
    std::string s = "abc";
    AppendFloat(&s, c.f);
    EXPECT_EQ(s, std::string("abc") + c.want);
  }
}

TEST(FloatTest, FormatOpenMetricsFloat) {
  const std::pair<double, const char*> cases[] = {
      {1, "1.0"},
      {0, "0.0"},
      {-0.0, "0.0"},
      {-1, "-1.0"},
      {10, "10.0"},
      {0.25, "0.25"},
      {1e6, "1e+06"},
      {1e-5, "1e-05"},
      {123456, "123456.0"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
  };
  for (const auto& [f, want] : cases) EXPECT_EQ(FormatOpenMetricsFloat(f), want);
}

TEST(FloatTest, FormatRoundTripsRandomDoubles) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    uint64_t bits = rng();
    double f = std::bit_cast<double>(bits);
    if (std::isnan(f)) continue;
    char buf[kMaxFloatChars];
    size_t n = FormatFloatTo(buf, f);
    ASSERT_LE(n, 24u);
    double back = 0;
    ASSERT_EQ(ParseGoFloat(std::string_view(buf, n), &back), FloatError::kOk)
        << std::string(buf, n);
    ASSERT_EQ(std::bit_cast<uint64_t>(back), bits) << std::string(buf, n);
  }
}

struct ParseCase {
  const char* s;
  FloatError err;
  double want;  // when kOk; NaN compared by isnan
};

const ParseCase kParseCases[] = {
    {"0", FloatError::kOk, 0},
    {"1", FloatError::kOk, 1},
    {"-1", FloatError::kOk, -1},
    {"+1", FloatError::kOk, 1},
    {"0001", FloatError::kOk, 1},
    {"123456789012345", FloatError::kOk, 123456789012345.0},
    {"12345678901234567890", FloatError::kOk, 12345678901234567890.0},
    {"1.5", FloatError::kOk, 1.5},
    {".5", FloatError::kOk, 0.5},
    {"5.", FloatError::kOk, 5},
    {"-.5e-3", FloatError::kOk, -0.0005},
    {"1e3", FloatError::kOk, 1000},
    {"1E+3", FloatError::kOk, 1000},
    {"1e-400", FloatError::kOk, 0},
    {"4.9e-324", FloatError::kOk, 5e-324},
    {"1.7976931348623157e308", FloatError::kOk, 1.7976931348623157e308},
    {"Inf", FloatError::kOk, std::numeric_limits<double>::infinity()},
    {"+inf", FloatError::kOk, std::numeric_limits<double>::infinity()},
    {"-Inf", FloatError::kOk, -std::numeric_limits<double>::infinity()},
    {"INFINITY", FloatError::kOk, std::numeric_limits<double>::infinity()},
    {"-Infinity", FloatError::kOk, -std::numeric_limits<double>::infinity()},
    {"NaN", FloatError::kOk, std::numeric_limits<double>::quiet_NaN()},
    {"nan", FloatError::kOk, std::numeric_limits<double>::quiet_NaN()},
    {"NAN", FloatError::kOk, std::numeric_limits<double>::quiet_NaN()},
    {"", FloatError::kSyntax, 0},
    {"+", FloatError::kSyntax, 0},
    {"-", FloatError::kSyntax, 0},
    {".", FloatError::kSyntax, 0},
    {"e5", FloatError::kSyntax, 0},
    {"1e", FloatError::kSyntax, 0},
    {"1e+", FloatError::kSyntax, 0},
    {"1.2.3", FloatError::kSyntax, 0},
    {"--1", FloatError::kSyntax, 0},
    {"+-1", FloatError::kSyntax, 0},
    {" 1", FloatError::kSyntax, 0},
    {"1 ", FloatError::kSyntax, 0},
    {"+NaN", FloatError::kSyntax, 0},
    {"-nan", FloatError::kSyntax, 0},
    {"nan(1)", FloatError::kSyntax, 0},
    {"in", FloatError::kSyntax, 0},
    {"infin", FloatError::kSyntax, 0},
    {"infinityy", FloatError::kSyntax, 0},
    {"0x10", FloatError::kSyntax, 0},
    {"true", FloatError::kSyntax, 0},
    {"1\r", FloatError::kSyntax, 0},
    {"1e999", FloatError::kRange, 0},
    {"-1e999", FloatError::kRange, 0},
    {"1_000", FloatError::kUnsupported, 0},
    {"0x1p-3", FloatError::kUnsupported, 0},
    {"0X1P3", FloatError::kUnsupported, 0},
};

TEST(FloatTest, ParseGoFloat) {
  for (const auto& c : kParseCases) {
    double v = 12345;
    FloatError err = ParseGoFloat(c.s, &v);
    EXPECT_EQ(err, c.err) << '"' << c.s << '"';
    if (c.err != FloatError::kOk) {
      EXPECT_EQ(v, 12345) << "output changed on error for " << c.s;
      continue;
    }
    if (std::isnan(c.want)) {
      EXPECT_TRUE(std::isnan(v)) << c.s;
    } else {
      EXPECT_EQ(std::bit_cast<uint64_t>(v), std::bit_cast<uint64_t>(c.want)) << c.s;
    }
  }
}

TEST(FloatTest, ParseFloatGivesCanonicalNaNAndMessages) {
  auto nan = ParseFloat("NaN");
  ASSERT_TRUE(nan.has_value());
  EXPECT_EQ(std::bit_cast<uint64_t>(*nan), kNormalNaNBits);
  EXPECT_EQ(std::bit_cast<uint64_t>(*ParseFloat("-0")), std::bit_cast<uint64_t>(-0.0));
  EXPECT_EQ(ParseFloat("x").error().message(), "invalid float value \"x\"");
  EXPECT_EQ(ParseFloat("1e999").error().message(), "float value \"1e999\" out of range");
  EXPECT_EQ(ParseFloat("1_0").error().message(), "unsupported character in float value \"1_0\"");
}

}  // namespace
}  // namespace vigil::textparse
