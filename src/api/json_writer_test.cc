#include "api/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "model/labels.h"

namespace vigil::api {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Expected texts are what Prometheus (Go strconv / encoding/json / jsonutil) prints.
TEST(JsonWriterTest, SampleValuesFormatLikePrometheus) {
  const struct {
    double v;
    const char* want;
  } cases[] = {
      {0, "0"},
      {-0.0, "-0"},
      {1, "1"},
      {-42, "-42"},
      {100, "100"},
      {1.5, "1.5"},
      {0.1, "0.1"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1234.5678, "1234.5678"},
      {2.5e-5, "0.000025"},
      {1e-6, "0.000001"},
      {9.99e-7, "9.99e-07"},
      {1e-7, "1e-07"},
      {-1e-7, "-1e-07"},
      {5e-324, "5e-324"},
      {123456789, "123456789"},
      {1e20, "100000000000000000000"},
      {1152921504606846976.0, "1152921504606847000"},  // 2^60: shortest digits, zero-padded
      {1e21, "1e+21"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {std::nan(""), "NaN"},
      {kInf, "+Inf"},
      {-kInf, "-Inf"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatSampleValue(c.v), c.want) << c.want;
    std::string out;
    JsonWriter w(&out);
    w.SampleValue(c.v);
    EXPECT_EQ(out, std::string("\"") + c.want + "\"");
  }
}

TEST(JsonWriterTest, GoFloatFormats) {
  std::string s;
  AppendGoFloat(&s, 1e300, 'f');
  EXPECT_EQ(s, "1" + std::string(300, '0'));
  s.clear();
  AppendGoFloat(&s, 1e23, 'f');
  EXPECT_EQ(s, "1" + std::string(23, '0'));
  s.clear();
  AppendGoFloat(&s, -123.456e-10, 'f');
  EXPECT_EQ(s, "-0.0000000123456");
  s.clear();
  AppendGoFloat(&s, 1e-7, 'f');
  EXPECT_EQ(s, "0.0000001");
  s.clear();
  AppendGoFloat(&s, 1500, 'e');
  EXPECT_EQ(s, "1.5e+03");
}

TEST(JsonWriterTest, DoublesFormatLikeEncodingJson) {
  const struct {
    double v;
    const char* want;
  } cases[] = {
      {0, "0"},
      {1.5, "1.5"},
      {0.000447452, "0.000447452"},
      {1e-6, "0.000001"},
      {1e-7, "1e-7"},
      {1.23e-7, "1.23e-7"},
      {1e-10, "1e-10"},
      {1e21, "1e+21"},
      {1e20, "100000000000000000000"},
      {1435781451.781, "1435781451.781"},
      {std::nan(""), "null"},
      {kInf, "null"},
  };
  for (const auto& c : cases) {
    std::string out;
    JsonWriter w(&out);
    w.Double(c.v);
    EXPECT_EQ(out, c.want) << c.want;
  }
}

TEST(JsonWriterTest, TimestampsAreSecondsWithThreeDigitMillis) {
  // The table of Prometheus' json_codec_test.go plus typical values.
  const struct {
    int64_t t;
    const char* want;
  } cases[] = {
      {0, "0"},
      {1, "0.001"},
      {10, "0.010"},
      {100, "0.100"},
      {1000, "1"},
      {1001, "1.001"},
      {1010, "1.010"},
      {1100, "1.100"},
      {12345678123456555, "12345678123456.555"},
      {1435781451781, "1435781451.781"},
      {-1, "-0.001"},
      {-1500, "-1.500"},
      {std::numeric_limits<int64_t>::min(), "-9223372036854775.808"},
  };
  for (const auto& c : cases) {
    std::string out;
    JsonWriter w(&out);
    w.Timestamp(c.t);
    EXPECT_EQ(out, c.want) << c.t;
  }
}

TEST(JsonWriterTest, StringEscapingTable) {
  const struct {
    std::string in;
    const char* html;   // escape_html = true (encoding/json)
    const char* plain;  // escape_html = false (label sets)
  } cases[] = {
      {"plain", R"("plain")", R"("plain")"},
      {"", R"("")", R"("")"},
      {"a\"b\\c", R"("a\"b\\c")", R"("a\"b\\c")"},
      {"\n\r\t", R"("\n\r\t")", R"("\n\r\t")"},
      {"\b\f", R"("\u0008\u000c")", R"("\u0008\u000c")"},
      {std::string("\0\x01\x1f", 3), R"("\u0000\u0001\u001f")", R"("\u0000\u0001\u001f")"},
      {"\x7f", "\"\x7f\"", "\"\x7f\""},
      {"<a>&", R"("\u003ca\u003e\u0026")", R"("<a>&")"},
      {"é", "\"é\"", "\"é\""},
      {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"", "\"\xf0\x9f\x98\x80\""},
      {"\xe2\x80\xa8|\xe2\x80\xa9", R"("\u2028|\u2029")", R"("\u2028|\u2029")"},
      {"\xff", R"("\ufffd")", R"("\ufffd")"},
      {"a\xc3", R"("a\ufffd")", R"("a\ufffd")"},
      {"\xc3\x28", R"("\ufffd(")", R"("\ufffd(")"},
      {"\xc0\x80", R"("\ufffd\ufffd")", R"("\ufffd\ufffd")"},
      {"\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")", R"("\ufffd\ufffd\ufffd")"},
      {"\xf4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")", R"("\ufffd\ufffd\ufffd\ufffd")"},
      {"\xe2\x82", R"("\ufffd\ufffd")", R"("\ufffd\ufffd")"},
  };
  for (const auto& c : cases) {
    std::string html, plain;
    AppendJsonString(&html, c.in, true);
    AppendJsonString(&plain, c.in, false);
    EXPECT_EQ(html, c.html) << c.html;
    EXPECT_EQ(plain, c.plain) << c.plain;
  }
}

TEST(JsonWriterTest, StructureGetsCommas) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.Int(1);
  w.Uint(2);
  w.BeginObject();
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.Null();
  w.Bool(true);
  w.EndArray();
  w.Key("b<");
  w.Raw(R"({"x":1})");
  w.Key("c");
  w.Labels(Labels{{"__name__", "up"}, {"a", "<&>"}});
  w.Key("d");
  w.Labels(Labels());
  w.EndObject();
  EXPECT_EQ(out, R"({"a":[1,2,{},[],null,true],"b\u003c":{"x":1},"c":{"__name__":"up","a":"<&>"},)"
                 R"("d":{}})");
}

TEST(JsonWriterTest, TimesAreRfc3339NanoUtc) {
  const struct {
    int64_t ns;
    const char* want;
  } cases[] = {
      {0, "0001-01-01T00:00:00Z"},
      {1, "1970-01-01T00:00:00.000000001Z"},
      {-1, "1969-12-31T23:59:59.999999999Z"},
      {1500000000, "1970-01-01T00:00:01.5Z"},
      {1435781451781000000, "2015-07-01T20:10:51.781Z"},
      {1700000000000000000, "2023-11-14T22:13:20Z"},
      {951782400000000000, "2000-02-29T00:00:00Z"},
      {-2208988800000000000, "1900-01-01T00:00:00Z"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatRfc3339Nano(c.ns), c.want);
    std::string out;
    JsonWriter w(&out);
    w.Time(c.ns);
    EXPECT_EQ(out, std::string("\"") + c.want + "\"");
  }
}

}  // namespace
}  // namespace vigil::api
