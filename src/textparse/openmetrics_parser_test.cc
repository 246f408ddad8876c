#include <gtest/gtest.h>

#include <bit>
#include <string>
#include <vector>

#include "model/value.h"
#include "textparse/parser.h"
#include "textparse/test_util.h"

namespace vigil::textparse {
namespace {

using testing::ParseAll;

struct ValidCase {
  const char* name;
  std::string input;
  std::vector<std::string> want;
};

class OpenMetricsValidTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(OpenMetricsValidTest, Parses) {
  const ValidCase& c = GetParam();
  OpenMetricsParser p(c.input);
  auto got = ParseAll(p);
  ASSERT_TRUE(got.error.ok()) << got.error.ToString();
  EXPECT_EQ(got.entries, c.want);
  auto again = p.Next();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, Entry::kEof);
}

const ValidCase kValidCases[] = {
    {"eof_only", "# EOF\n", {}},
    {"eof_without_newline", "# EOF", {}},
    {"metadata",
     "# HELP go_gc_duration_seconds A summary of the GC invocation durations.\n"
     "# TYPE go_gc_duration_seconds summary\n"
     "# UNIT go_gc_duration_seconds seconds\n"
     "go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05\n"
     "go_gc_duration_seconds_count 99\n"
     "# EOF\n",
     {"HELP go_gc_duration_seconds \"A summary of the GC invocation durations.\"",
      "TYPE go_gc_duration_seconds summary", "UNIT go_gc_duration_seconds seconds",
      "S go_gc_duration_seconds {quantile=\"0\"} 4.9351e-05",
      "S go_gc_duration_seconds_count {} 99"}},
    {"empty_help_and_unit",
     "# HELP nohelp \n# UNIT nounit \n# EOF\n",
     {"HELP nohelp \"\"", "UNIT nounit "}},
    {"help_escapes",
     "# HELP m escape \\ \\n \\\\ \\\" \\x chars\n# EOF\n",
     {"HELP m \"escape \\\\ \\n \\\\ \\\" \\\\x chars\""}},
    {"all_types",
     "# TYPE a counter\n# TYPE b gauge\n# TYPE c histogram\n# TYPE d gaugehistogram\n"
     "# TYPE e summary\n# TYPE f info\n# TYPE g stateset\n# TYPE h unknown\n# EOF\n",
     {"TYPE a counter", "TYPE b gauge", "TYPE c histogram", "TYPE d gaugehistogram",
      "TYPE e summary", "TYPE f info", "TYPE g stateset", "TYPE h unknown"}},
    {"float_second_timestamps",
     "a 33 123.123\nb 17.0 1520879607.789\nc 1 -1.5\nd 1 1e3\n# EOF\n",
     {"S a {} 33 @123123", "S b {} 17 @1520879607789", "S c {} 1 @-1500", "S d {} 1 @1000000"}},
    {"exemplars",
     "# TYPE hhh histogram\n"
     "hhh_bucket{le=\"+Inf\"} 1 # {id=\"histogram-bucket-test\"} 4\n"
     "hhh_count 1 # {id=\"histogram-count-test\"} 4\n"
     "ggh_bucket{le=\"+Inf\"} 1 # {id=\"gh\",xx=\"yy\"} 4 123.123\n"
     "foo_total 17.0 1520879607.789 # {id=\"counter-test\"} 5\n"
     "q_count 1 # {\"id.thing\"=\"x\",other=\"hello\"} 4\n"
     "e_count 1 # {} 4\n"
     "# EOF\n",
     {"TYPE hhh histogram", "S hhh_bucket {le=\"+Inf\"} 1 # {id=\"histogram-bucket-test\"} 4",
      "S hhh_count {} 1 # {id=\"histogram-count-test\"} 4",
      "S ggh_bucket {le=\"+Inf\"} 1 # {id=\"gh\", xx=\"yy\"} 4 @123123",
      "S foo_total {} 17 @1520879607789 # {id=\"counter-test\"} 5",
      "S q_count {} 1 # {id.thing=\"x\", other=\"hello\"} 4", "S e_count {} 1 # {} 4"}},
    {"created_series_exposed_by_default",
     "# TYPE foo counter\nfoo_total 17.0\nfoo_created 1520872607.123\n# EOF\n",
     {"TYPE foo counter", "S foo_total {} 17", "S foo_created {} 1.520872607123e+09"}},
    {"labels",
     "m{a=\"b\",c=\"d\"} 1\nm{a=\"b\",} 2\nm{} 3\nm{a=\"x\\\\y\\\"z\\nw\"} 4\n# EOF\n",
     {"S m {a=\"b\", c=\"d\"} 1", "S m {a=\"b\"} 2", "S m {} 3", "S m {a=\"x\\\\y\\\"z\\nw\"} 4"}},
    {"special_values",
     "a NaN\nb +Inf\nc -Inf\nd 1.5e-7\n# EOF\n",
     {"S a {} NaN", "S b {} +Inf", "S c {} -Inf", "S d {} 1.5e-07"}},
    {"utf8_names",
     "# HELP \"go.gc_duration_seconds\" A summary.\n"
     "# TYPE \"go.gc_duration_seconds\" summary\n"
     "# UNIT \"go.gc_duration_seconds\" seconds\n"
     "{\"go.gc_duration_seconds\",quantile=\"0\"} 4.9351e-05\n"
     "{q=\"0.9\",\"http.status\",a=\"b\"} 8.3835e-05\n"
     "{\"go.gc_duration_seconds_sum\"} 0.004304266\n"
     "{\"name\",\"strange©™\\n'quoted' \\\"name\\\"\"=\"6\"} 10.0\n"
     "# EOF\n",
     {"HELP go.gc_duration_seconds \"A summary.\"", "TYPE go.gc_duration_seconds summary",
      "UNIT go.gc_duration_seconds seconds", "S go.gc_duration_seconds {quantile=\"0\"} 4.9351e-05",
      "S http.status {q=\"0.9\", a=\"b\"} 8.3835e-05",
      "S go.gc_duration_seconds_sum {} 0.004304266",
      "S name {strange©™\n'quoted' \"name\"=\"6\"} 10"}},
    {"nul_in_value", std::string("a{b=\"\0\"} 1\n# EOF\n", 17), {"S a {b=\"\\x00\"} 1"}},
};

INSTANTIATE_TEST_SUITE_P(Table, OpenMetricsValidTest, ::testing::ValuesIn(kValidCases),
                         [](const auto& info) { return std::string(info.param.name); });

struct ErrorCase {
  const char* name;
  std::string input;
  size_t line;       // expected "line N:" prefix, 0 for the "# EOF" errors without a line
  const char* want;  // expected substring
};

class OpenMetricsErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(OpenMetricsErrorTest, Fails) {
  const ErrorCase& c = GetParam();
  OpenMetricsParser p(c.input);
  auto got = ParseAll(p);
  ASSERT_FALSE(got.error.ok()) << "parsed: " << ::testing::PrintToString(got.entries);
  EXPECT_TRUE(got.error.IsInvalidArgument());
  std::string msg(got.error.message());
  if (c.line != 0) {
    EXPECT_EQ(msg.rfind("line " + std::to_string(c.line) + ": ", 0), 0u) << msg;
  }
  EXPECT_NE(msg.find(c.want), std::string::npos) << "message: " << msg;
  auto again = p.Next();
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), got.error);
}

const ErrorCase kErrorCases[] = {
    // "# EOF" rules.
    {"empty", "", 0, "data does not end with # EOF"},
    {"no_eof_after_sample", "metric 1\n", 0, "data does not end with # EOF"},
    {"no_eof_no_newline", "metric 1", 0, "data does not end with # EOF"},
    {"no_eof_exemplar", "metric_total 1 # {aa=\"bb\"} 4", 0, "data does not end with # EOF"},
    {"no_eof_metadata", "# TYPE m gauge\n", 0, "data does not end with # EOF"},
    {"data_after_eof", "# EOF\na 1", 1, "unexpected data after # EOF"},
    {"blank_after_eof", "# EOF\n\n", 1, "unexpected data after # EOF"},
    {"eof_suffix", "# EOFa 1", 1, "unexpected data after # EOF"},
    {"eof_trailing_space", "# EOF \n", 1, "unexpected data after # EOF"},
    {"eof_no_space", "a 1\n#EOF\n", 2, "expected a valid start token"},
    // Lines that cannot start an entry.
    {"blank_line", "\n# EOF\n", 1, "expected a valid start token, got end of line"},
    {"blank_line_later", "a 1\n\n# EOF\n", 2, "expected a valid start token"},
    {"leading_space", " a 1\n# EOF\n", 1, "expected a valid start token, got \" \""},
    {"leading_digit", "9\n# EOF\n", 1, "expected a valid start token, got \"9\""},
    {"free_comment", "# a comment\n# EOF\n", 1, "expected a valid start token"},
    {"hash_tab", "#\tTYPE c counter\n# EOF\n", 1, "expected a valid start token"},
    {"hash_two_spaces", "#  TYPE c counter\n# EOF\n", 1, "expected a valid start token"},
    {"lone_hash", "#", 1, "expected a valid start token"},
    // Metadata.
    {"type_untyped", "# TYPE u untyped\n# EOF\n", 1, "invalid metric type \"untyped\""},
    {"type_trailing_space", "# TYPE c counter \n# EOF\n", 1, "invalid metric type \"counter \""},
    {"type_two_spaces", "# TYPE c  counter\n# EOF\n", 1, "invalid metric type \" counter\""},
    {"type_no_name", "# TYPE \n# EOF\n", 1, "expected metric name after TYPE, got end of line"},
    {"type_no_text", "# TYPE m\n# EOF\n", 1, "expected text in TYPE"},
    {"unit_not_suffix", "# UNIT metric suffix\n# EOF\n", 1,
     "unit \"suffix\" not a suffix of metric \"metric\""},
    {"unit_no_underscore", "# UNIT metricsuffix suffix\n# EOF\n", 1, "not a suffix of metric"},
    {"unit_longer_than_name", "# UNIT m suffix\n# EOF\n", 1, "not a suffix of metric"},
    {"unit_no_name", "# UNIT \n# EOF\n", 1, "expected metric name after UNIT"},
    {"unit_no_text", "# UNIT m\n# EOF\n", 1, "expected text in UNIT"},
    {"help_no_name", "# HELP \n# EOF\n", 1, "expected metric name after HELP"},
    {"help_no_text", "# HELP m\n# EOF\n", 1, "expected text in HELP"},
    {"help_bad_utf8", "# HELP m \xff\n# EOF\n", 1, "is not valid UTF-8"},
    // Whitespace is strict.
    {"tab_before_value", "a\t1\n# EOF\n", 1, "expected value after metric, got \"\\t\""},
    {"two_spaces_before_value", "a  1\n# EOF\n", 1, "expected value after metric"},
    {"tab_in_value", "a 1\t2\n# EOF\n", 1, "invalid float value \"1\\t2\""},
    {"trailing_space_after_ts", "a 1 2 \n# EOF\n", 1, "expected next entry after timestamp"},
    {"trailing_space_after_value", "a 1 \n# EOF\n", 1, "expected timestamp or exemplar"},
    {"two_spaces_before_ts", "a 1  2\n# EOF\n", 1, "expected timestamp or exemplar"},
    {"space_before_brace", "a {b=\"c\"} 1\n# EOF\n", 1, "invalid float value"},
    {"space_in_labels", "a{b = \"c\"} 1\n# EOF\n", 1, "expected equal"},
    {"space_after_comma", "a{b=\"c\", d=\"e\"} 1\n# EOF\n", 1, "expected label name"},
    {"crlf", "a 1\r\n# EOF\n", 1, "(CRLF line endings are not supported)"},
    // Values and timestamps.
    {"value_word", "a true\n# EOF\n", 1, "invalid float value \"true\""},
    {"value_underscore", "foo 1_2\n# EOF\n", 1, "unsupported character in float value"},
    {"value_hex", "foo 0x1p-3\n# EOF\n", 1, "unsupported character in float value"},
    {"ts_underscore", "foo 0 1_2\n# EOF\n", 1, "unsupported character in float value"},
    {"ts_word", "a 1 1z\n# EOF\n", 1, "invalid float value \"1z\""},
    {"ts_extra", "a 1 1 1\n# EOF\n", 1, "expected next entry after timestamp"},
    {"ts_hash", "a 1 2 #\n# EOF\n", 1, "expected next entry after timestamp"},
    {"ts_nan", "a 1 NaN\n# EOF\n", 1, "invalid timestamp NaN"},
    {"ts_minus_inf", "a 1 -Inf\n# EOF\n", 1, "invalid timestamp -Inf"},
    {"ts_inf", "a 1 Inf\n# EOF\n", 1, "invalid timestamp +Inf"},
    {"ts_out_of_range", "a 1 1e300\n# EOF\n", 1, "timestamp \"1e300\" out of range"},
    // Labels.
    {"single_quotes", "a{b='c'} 1\n# EOF\n", 1, "expected label value"},
    {"leading_comma", "a{,b=\"c\"} 1\n# EOF\n", 1, "expected label name, got \",b=\\\"c\\\"}\""},
    {"missing_comma", "a{b=\"c\"d=\"e\"} 1\n# EOF\n", 1, "expected comma or brace close"},
    {"double_comma", "a{b=\"c\",,d=\"e\"} 1\n# EOF\n", 1, "expected label name"},
    {"missing_value", "a{b=\n# EOF\n", 1, "expected label value, got end of line"},
    {"bad_label_byte", "a{\xff=\"foo\"} 1\n# EOF\n", 1, "expected label name"},
    {"invalid_utf8_value", "a{b=\"\xff\"} 1\n# EOF\n", 1, "invalid UTF-8 label value"},
    {"backslash_name", "{\"a\",b\\nc=\"d\"} 1\n# EOF\n", 1, "expected equal"},
    {"quoted_name_then_string", "{\"a\",\"b = \"c\"}\n# EOF\n", 1, "expected equal"},
    {"empty_label_name", "empty_label_name{=\"\"} 0\n# EOF\n", 1, "expected label name"},
    {"bare_identifier", "{A}0\n# EOF\n", 1, "expected equal, got \"}0\""},
    {"metric_name_not_set", "{b=\"c\",} 1\n# EOF\n", 1, "metric name not set"},
    {"metric_name_twice", "{\"a\",\"b\"} 1\n# EOF\n", 1, "metric name already set"},
    {"duplicate_label", "a{b=\"1\",b=\"2\"} 1\n# EOF\n", 1, "duplicate label name \"b\""},
    {"duplicate_name_label", "a{__name__=\"a\"} 1\n# EOF\n", 1,
     "duplicate label name \"__name__\""},
    {"raw_newline_in_value", "a{b=\"c\nd\"} 1\n# EOF\n", 1, "unterminated quoted string"},
    // Exemplars.
    {"exemplar_unquoted_value", "m_total 1 # {aa=bb}\n# EOF\n", 1, "expected label value"},
    {"exemplar_no_value", "m_total 1 # {aa=\"bb\"}\n# EOF\n", 1,
     "expected value after exemplar labels, got end of line"},
    {"exemplar_no_value_eof", "m_total 1 # {aa=\"bb\"}", 1, "expected value after exemplar labels"},
    {"exemplar_bare_name", "m_total 1 # {bb}\n# EOF\n", 1, "expected equal, got \"}\""},
    {"exemplar_bare_name_comma", "m_total 1 # {bb, a=\"dd\"}\n# EOF\n", 1, "expected equal"},
    {"exemplar_quoted_alone", "m_total 1 # {\"bb\"} 1\n# EOF\n", 1, "expected equal"},
    {"exemplar_double_comma", "m_total 1 # {aa=\"bb\",,cc=\"dd\"} 1\n# EOF\n", 1,
     "expected label name"},
    {"exemplar_value_underscore", "m_total 1 # {aa=\"bb\"} 1_2\n# EOF\n", 1,
     "unsupported character in float value"},
    {"exemplar_value_word", "m_total 1 # {aa=\"bb\"} true\n# EOF\n", 1, "invalid float value"},
    {"exemplar_empty_value", "m_total 1 # {aa=\"bb\",cc=}\n# EOF\n", 1, "expected label value"},
    {"exemplar_escaped_quote", "m_total 1 # {aa=\\\"\xff\"} 9.0\n# EOF\n", 1,
     "expected label value"},
    {"exemplar_ts_nan", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1 # {aa=\"bb\"} 4 NaN\n# EOF\n",
     2, "invalid exemplar timestamp NaN"},
    {"exemplar_ts_inf", "h_bucket{le=\"+Inf\"} 1 # {aa=\"bb\"} 4 -Inf\n# EOF\n", 1,
     "invalid exemplar timestamp -Inf"},
    {"exemplar_trailing", "m_total 1 # {a=\"b\"} 1 2 3\n# EOF\n", 1,
     "expected next entry after exemplar timestamp"},
    {"exemplar_no_space_hash", "m_total 1 #{a=\"b\"} 1\n# EOF\n", 1, "invalid float value"},
    // Truncated bodies.
    {"cut_mid_label", "a{b", 1, "expected equal, got end of input"},
    {"cut_mid_value", "a{b=\"c", 1, "unterminated quoted string"},
    {"cut_mid_escape", "a{b=\"c\\", 1, "unterminated quoted string"},
    {"cut_after_name", "metric", 1, "expected value after metric, got end of input"},
    {"cut_mid_eof", "a 1\n# EO", 2, "expected a valid start token"},
};

INSTANTIATE_TEST_SUITE_P(Table, OpenMetricsErrorTest, ::testing::ValuesIn(kErrorCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(OpenMetricsParserTest, SkipCreatedSeries) {
  std::string body =
      "# TYPE foo counter\n"
      "foo_total 17.0\n"
      "foo_created 1520872607.123\n"
      "# TYPE bar summary\n"
      "bar_count 17.0\n"
      "bar_created 1520872608.124\n"
      "# TYPE baz histogram\n"
      "baz_bucket{le=\"+Inf\"} 17\n"
      "baz_created 1520872609.125\n"
      "# TYPE fizz_created gauge\n"
      "fizz_created 17.0\n"
      "# EOF\n";
  ParserOptions opts;
  opts.skip_created_series = true;
  OpenMetricsParser p(body, opts);
  auto got = ParseAll(p);
  ASSERT_TRUE(got.error.ok()) << got.error.ToString();
  EXPECT_EQ(got.entries,
            (std::vector<std::string>{"TYPE foo counter", "S foo_total {} 17", "TYPE bar summary",
                                      "S bar_count {} 17", "TYPE baz histogram",
                                      "S baz_bucket {le=\"+Inf\"} 17", "TYPE fizz_created gauge",
                                      "S fizz_created {} 17"}));
}

TEST(OpenMetricsParserTest, SeriesExcludesValueAndExemplar) {
  std::string body = "foo_total{a=\"b\"} 17.0 1520879607.789 # {id=\"x\"} 5\n# EOF\n";
  OpenMetricsParser p(body);
  auto e = p.Next();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(p.Series(), "foo_total{a=\"b\"}");
  EXPECT_EQ(*p.Timestamp(), 1520879607789);
  ASSERT_TRUE(p.HasExemplar());
  EXPECT_EQ(p.ExemplarValue(), 5);
  EXPECT_FALSE(p.ExemplarTimestamp().has_value());
  EXPECT_EQ(*p.Next(), Entry::kEof);
  // The exemplar does not leak into the next entry.
  EXPECT_FALSE(p.HasExemplar());
}

TEST(OpenMetricsParserTest, CanonicalNaNInValueAndExemplar) {
  OpenMetricsParser p("a NaN # {x=\"y\"} nan\n# EOF\n");
  auto e = p.Next();
  ASSERT_TRUE(e.has_value()) << e.error().ToString();
  EXPECT_EQ(std::bit_cast<uint64_t>(p.Value()), kNormalNaNBits);
  EXPECT_EQ(std::bit_cast<uint64_t>(p.ExemplarValue()), kNormalNaNBits);
}

TEST(OpenMetricsParserTest, BuildLabels) {
  OpenMetricsParser p("# TYPE h histogram\nh_bucket{le=\"10\",x=\"y\"} 1\n# EOF\n");
  ASSERT_EQ(*p.Next(), Entry::kType);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.BuildLabels().ToString(), "{__name__=\"h_bucket\", le=\"10.0\", x=\"y\"}");
}

}  // namespace
}  // namespace vigil::textparse
