#include <gtest/gtest.h>

#include <bit>
#include <cmath>
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

class PromValidTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(PromValidTest, Parses) {
  const ValidCase& c = GetParam();
  PromParser p(c.input);
  auto got = ParseAll(p);
  ASSERT_TRUE(got.error.ok()) << got.error.ToString();
  EXPECT_EQ(got.entries, c.want);
  // After the end, Next() keeps returning kEof.
  auto again = p.Next();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, Entry::kEof);
  // Lazy label parsing plus LoadLabels() gives the same entries.
  ParserOptions lazy;
  lazy.lazy_labels = true;
  PromParser q(c.input, lazy);
  auto got_lazy = ParseAll(q);
  ASSERT_TRUE(got_lazy.error.ok()) << got_lazy.error.ToString();
  EXPECT_EQ(got_lazy.entries, c.want);
  EXPECT_EQ(got_lazy.series, got.series);
}

const ValidCase kValidCases[] = {
    {"empty_body", "", {}},
    {"only_blank_lines", "\n\n  \n\t\n", {}},
    {"metadata_and_sample",
     "# HELP http_requests_total Requests served.\n"
     "# TYPE http_requests_total counter\n"
     "http_requests_total{method=\"get\",code=\"200\"} 1027 1395066363000\n",
     {"HELP http_requests_total \"Requests served.\"", "TYPE http_requests_total counter",
      "S http_requests_total {method=\"get\", code=\"200\"} 1027 @1395066363000"}},
    {"no_trailing_newline", "a 1\nb 2", {"S a {} 1", "S b {} 2"}},
    {"blank_lines_between", "a 1\n\n\n b 2 \n", {"S a {} 1", "S b {} 2"}},
    {"label_escapes", "m{a=\"x\\\\y\\\"z\\nw\"} 1\n", {"S m {a=\"x\\\\y\\\"z\\nw\"} 1"}},
    {"unknown_escapes_kept_verbatim", "m{a=\"\\t\\x\\ \"} 1\n", {"S m {a=\"\\\\t\\\\x\\\\ \"} 1"}},
    {"whitespace_everywhere", "m { a = \"b\" , c = \"d\" , } 1\n", {"S m {a=\"b\", c=\"d\"} 1"}},
    {"tabs", "m\t1\t2\n", {"S m {} 1 @2"}},
    {"no_comma_between_labels", "m{a=\"1\" b=\"2\"} 1\n", {"S m {a=\"1\", b=\"2\"} 1"}},
    {"trailing_comma", "m{a=\"1\",} 1\n", {"S m {a=\"1\"} 1"}},
    {"empty_braces", "m{} 1\n", {"S m {} 1"}},
    {"value_right_after_brace", "m{a=\"b\"}1\n", {"S m {a=\"b\"} 1"}},
    {"empty_label_value", "m{a=\"\"} 1\n", {"S m {a=\"\"} 1"}},
    {"colons_and_underscores", "_a:b:c_1{_x=\"y\"} 1\n", {"S _a:b:c_1 {_x=\"y\"} 1"}},
    {"nul_in_label_value", std::string("m{a=\"x\0y\"} 1\n", 13), {"S m {a=\"x\\x00y\"} 1"}},
    {"utf8_label_value", "m{a=\"Heizölrückstoß €\"} 1\n", {"S m {a=\"Heizölrückstoß €\"} 1"}},
    {"special_values",
     "a NaN\nb +Inf\nc -Inf\nd Inf\ne inf\nf Infinity\ng -infinity\nh nan\ni +INF\n",
     {"S a {} NaN", "S b {} +Inf", "S c {} -Inf", "S d {} +Inf", "S e {} +Inf", "S f {} +Inf",
      "S g {} -Inf", "S h {} NaN", "S i {} +Inf"}},
    {"float_forms",
     "a 1e3\nb 1E-3\nc .5\nd 5.\ne -0\nf +1\ng 0001\nh 1.7976931348623157e308\n"
     "i 4.9e-324\nj 1e-400\nk 123456789\nl -2.5e+10\n",
     {"S a {} 1000", "S b {} 0.001", "S c {} 0.5", "S d {} 5", "S e {} -0", "S f {} 1", "S g {} 1",
      "S h {} 1.7976931348623157e+308", "S i {} 5e-324", "S j {} 0", "S k {} 1.23456789e+08",
      "S l {} -2.5e+10"}},
    {"timestamps",
     "a 1 0\nb 1 9223372036854775807\nc 1 0001\n",
     {"S a {} 1 @0", "S b {} 1 @9223372036854775807", "S c {} 1 @1"}},
    {"comments",
     "#\n# a comment\n#comment\n# HELPX foo\n# HELP\n# TYPE\n  # indented\n",
     {"COMMENT #", "COMMENT # a comment", "COMMENT #comment", "COMMENT # HELPX foo",
      "COMMENT # HELP", "COMMENT # TYPE", "COMMENT # indented"}},
    {"metadata_whitespace",
     "#\tTYPE m gauge\n# HELP\t m\thelp\twith tab\n",
     {"TYPE m gauge", "HELP m \"help\\twith tab\""}},
    {"help_escapes",
     "# HELP m a\\\\b\\nc \\\"q\\\" \\t\n",
     {"HELP m \"a\\\\b\\nc \\\\\\\"q\\\\\\\" \\\\t\""}},
    {"help_empty",
     "# HELP m\n# HELP n \n# HELP o  two\n",
     {"HELP m \"\"", "HELP n \"\"", "HELP o \" two\""}},
    {"all_types",
     "# TYPE a counter\n# TYPE b gauge\n# TYPE c histogram\n# TYPE d summary\n"
     "# TYPE e untyped\n",
     {"TYPE a counter", "TYPE b gauge", "TYPE c histogram", "TYPE d summary", "TYPE e unknown"}},
    {"utf8_quoted_names",
     "# HELP \"my.metric\" Dotted.\n"
     "# TYPE \"my.metric\" gauge\n"
     "{\"my.metric\",a=\"b\"} 1\n"
     "{\"my.metric\"} 2\n"
     "{ \"my.metric\" , \"my.label\" = \"v\" } 3\n"
     "{a=\"b\",\"my.metric\"} 4\n"
     "m{\"la bel\"=\"v\"} 5\n"
     "{\"esc\\\"aped\\nname\",\"l\\\\n\"=\"v\"} 6\n",
     {"HELP my.metric \"Dotted.\"", "TYPE my.metric gauge", "S my.metric {a=\"b\"} 1",
      "S my.metric {} 2", "S my.metric {my.label=\"v\"} 3", "S my.metric {a=\"b\"} 4",
      "S m {la bel=\"v\"} 5", "S esc\"aped\nname {l\\n=\"v\"} 6"}},
};

INSTANTIATE_TEST_SUITE_P(Table, PromValidTest, ::testing::ValuesIn(kValidCases),
                         [](const auto& info) { return std::string(info.param.name); });

struct ErrorCase {
  const char* name;
  std::string input;
  size_t line;       // expected "line N:" prefix
  const char* want;  // expected substring of the message
};

class PromErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(PromErrorTest, Fails) {
  const ErrorCase& c = GetParam();
  PromParser p(c.input);
  auto got = ParseAll(p);
  ASSERT_FALSE(got.error.ok()) << "parsed: " << ::testing::PrintToString(got.entries);
  EXPECT_TRUE(got.error.IsInvalidArgument());
  std::string msg(got.error.message());
  EXPECT_EQ(msg.rfind("line " + std::to_string(c.line) + ": ", 0), 0u) << msg;
  EXPECT_NE(msg.find(c.want), std::string::npos) << "message: " << msg;
  // Errors are sticky.
  auto again = p.Next();
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), got.error);
  // Lazy label parsing plus LoadLabels() rejects the same input on the same line (the message
  // may differ: the block is checked after the value).
  ParserOptions lazy;
  lazy.lazy_labels = true;
  PromParser q(c.input, lazy);
  auto got_lazy = ParseAll(q);
  ASSERT_FALSE(got_lazy.error.ok()) << ::testing::PrintToString(got_lazy.entries);
  EXPECT_EQ(std::string(got_lazy.error.message()).rfind("line " + std::to_string(c.line) + ": ", 0),
            0u)
      << got_lazy.error.ToString();
}

const ErrorCase kErrorCases[] = {
    // Missing or malformed values.
    {"name_only_eof", "a", 1, "expected value after metric, got end of input"},
    {"name_only_eol", "a\n", 1, "expected value after metric, got end of line"},
    {"labels_no_value", "a{b=\"c\"} \n", 1, "expected value after metric"},
    {"second_brace", "a{b=\"c\"}{ 1\n", 1, "expected value after metric, got \"{\""},
    {"nul_after_name", std::string("a\0{b=\"c\"} 1", 11), 1, "invalid float value"},
    {"value_word", "a true\n", 1, "invalid float value \"true\""},
    {"value_underscore", "a 1_2\n", 1, "unsupported character in float value \"1_2\""},
    {"value_hex_float", "a 0x1p-3\n", 1, "unsupported character in float value"},
    {"value_hex_int", "a 0x10\n", 1, "invalid float value \"0x10\""},
    {"value_overflow", "a 1e999\n", 1, "float value out of range: \"1e999\""},
    {"value_plus_nan", "a +NaN\n", 1, "invalid float value \"+NaN\""},
    {"value_infin", "a infin\n", 1, "invalid float value \"infin\""},
    {"value_double_sign", "a +-1\n", 1, "invalid float value \"+-1\""},
    {"value_dot", "a .\n", 1, "invalid float value \".\""},
    {"value_exp_no_digits", "a 1e\n", 1, "invalid float value \"1e\""},
    {"crlf", "a 1\r\n", 1, "(CRLF line endings are not supported)"},
    {"crlf_timestamp", "a 1 2\r\n", 1, "expected next entry after timestamp"},
    // Timestamps.
    {"timestamp_underscore", "a 0 1_2\n", 1, "expected next entry after timestamp, got \"_2\""},
    {"timestamp_negative", "a 1 -5\n", 1, "expected timestamp or new record, got \"-5\""},
    {"timestamp_float", "a 1 1.5\n", 1, "expected next entry after timestamp, got \".5\""},
    {"timestamp_overflow", "a 1 9223372036854775808\n", 1,
     "timestamp \"9223372036854775808\" out of range"},
    {"timestamp_extra", "a 1 2 3\n", 1, "expected next entry after timestamp, got \"3\""},
    {"timestamp_word", "a 1 now\n", 1, "expected timestamp or new record"},
    // Label syntax.
    {"single_quotes", "a{b='c'} 1\n", 1, "expected label value, got \"'c'}\""},
    {"missing_value", "a{b=\n", 1, "expected label value, got end of line"},
    {"bad_label_start_byte", "a{\xff=\"foo\"} 1\n", 1, "expected label name"},
    {"label_starts_with_digit", "a{1b=\"x\"} 1\n", 1, "expected label name"},
    {"label_with_dash", "a{b-c=\"x\"} 1\n", 1, "expected equal, got \"-c=\\\"x\\\"}\""},
    {"label_with_colon", "a{b:c=\"x\"} 1\n", 1, "expected equal"},
    {"empty_label_name", "a{=\"\"} 0\n", 1, "expected label name, got \"=\\\"\\\"}\""},
    {"bare_identifier", "{A}0\n", 1, "expected equal, got \"}0\""},
    {"backslash_in_name", "{\"a\",b\\nc=\"d\"} 1\n", 1,
     "expected equal, got \"\\\\nc=\\\"d\\\"}\""},
    {"invalid_utf8_value", "a{b=\"\xff\"} 1\n", 1, "invalid UTF-8 label value \"\xff\""},
    {"invalid_utf8_overlong", "a{b=\"\xc0\xaf\"} 1\n", 1, "invalid UTF-8 label value"},
    {"invalid_utf8_surrogate", "a{b=\"\xed\xa0\x80\"} 1\n", 1, "invalid UTF-8 label value"},
    {"empty_quoted_label_name", "a{\"\"=\"x\"} 1\n", 1, "invalid label name \"\""},
    {"empty_quoted_metric_name", "{\"\"} 1\n", 1, "invalid metric name \"\""},
    {"invalid_utf8_metric_name", "{\"a\xff\"} 1\n", 1, "invalid metric name"},
    {"metric_name_not_set", "{a=\"ok\"} 1\n", 1, "metric name not set"},
    {"name_label_only", "{__name__=\"x\"} 1\n", 1, "metric name not set"},
    {"metric_name_twice", "{\"a\",\"b\"} 1\n", 1, "metric name already set"},
    {"metric_name_outside_and_quoted", "a{\"b\"} 1\n", 1, "metric name already set"},
    {"duplicate_label", "a{b=\"1\",b=\"2\"} 1\n", 1, "duplicate label name \"b\""},
    {"duplicate_label_far", "a{b=\"1\",c=\"2\",d=\"3\",b=\"4\"} 1\n", 1,
     "duplicate label name \"b\""},
    {"duplicate_quoted_and_plain", "a{b=\"1\",\"b\"=\"2\"} 1\n", 1, "duplicate label name \"b\""},
    {"duplicate_name_label", "a{__name__=\"x\"} 1\n", 1, "duplicate label name \"__name__\""},
    {"duplicate_name_label_quoted_later", "{__name__=\"x\",\"y\"} 1\n", 1,
     "duplicate label name \"__name__\""},
    // Truncated bodies.
    {"cut_after_brace", "a{", 1, "expected label name, got end of input"},
    {"cut_mid_label_name", "a{bc", 1, "expected equal, got end of input"},
    {"cut_after_equal", "a{b=", 1, "expected label value, got end of input"},
    {"cut_mid_value", "a{b=\"cd", 1, "expected label value, unterminated quoted string"},
    {"cut_mid_escape", "a{b=\"c\\", 1, "expected label value, unterminated quoted string"},
    {"cut_after_value", "a{b=\"c\"", 1, "expected label name, got end of input"},
    {"cut_mid_quoted_name", "{\"a.b", 1, "expected label name, unterminated quoted string"},
    {"raw_newline_in_value", "a{b=\"c\nd\"} 1\n", 1, "unterminated quoted string"},
    {"cut_second_line", "a 1\nb{c=\"", 2, "unterminated quoted string"},
    // Start of line and metadata.
    {"digit_start", "9 1\n", 1, "expected a valid start token, got \"9\""},
    {"garbage_start", "a 1\n= 2\n", 2, "expected a valid start token, got \"=\""},
    {"type_unknown_word", "# TYPE m foo\n", 1, "invalid metric type \"foo\""},
    {"type_om_only", "# TYPE m gaugehistogram\n", 1, "invalid metric type \"gaugehistogram\""},
    {"type_trailing_space", "# TYPE m counter \n", 1, "invalid metric type \"counter \""},
    {"type_missing", "# TYPE m\n", 1, "invalid metric type \"\""},
    {"type_hash_name", "# TYPE #\n", 1, "expected metric name after TYPE, got \"#\""},
    {"help_no_name", "# HELP \n", 1, "expected metric name after HELP, got end of line"},
    {"help_bad_utf8", "# HELP m \xff\xfe\n", 1, "is not valid UTF-8"},
    {"help_unterminated_quoted_name", "# HELP \"m help\n", 1, "expected metric name after HELP"},
    {"error_line_number", "a 1\n# c\n\nd x\n", 4, "invalid float value \"x\""},
};

INSTANTIATE_TEST_SUITE_P(Table, PromErrorTest, ::testing::ValuesIn(kErrorCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PromParserTest, SeriesIsRawBytesAsWritten) {
  struct Case {
    std::string line;
    std::string series;
  };
  const Case cases[] = {
      {"a 1", "a"},
      {"  a 1", "a"},
      {"a{b=\"c\"} 1", "a{b=\"c\"}"},
      {"a { b = \"c\\n\" , } 1 2", "a { b = \"c\\n\" , }"},
      {"{\"a.b\",c=\"d\"} 1", "{\"a.b\",c=\"d\"}"},
  };
  for (const Case& c : cases) {
    PromParser p(c.line);
    auto e = p.Next();
    ASSERT_TRUE(e.has_value()) << e.error().ToString();
    ASSERT_EQ(*e, Entry::kSeries);
    EXPECT_EQ(p.Series(), c.series);
    // The view points into the body (zero copy).
    EXPECT_GE(p.Series().data(), c.line.data());
    EXPECT_LE(p.Series().data() + p.Series().size(), c.line.data() + c.line.size());
  }
}

TEST(PromParserTest, ViewsPointIntoBodyUnlessEscaped) {
  std::string body = "m{plain=\"abc\",esc=\"a\\\"b\",other=\"x\\\\y\",last=\"z\"} 1\n";
  PromParser p(body);
  auto e = p.Next();
  ASSERT_TRUE(e.has_value());
  auto labels = p.Labels();
  ASSERT_EQ(labels.size(), 4u);
  auto in_body = [&](std::string_view v) {
    return v.data() >= body.data() && v.data() + v.size() <= body.data() + body.size();
  };
  EXPECT_TRUE(in_body(labels[0].value));
  EXPECT_FALSE(in_body(labels[1].value));
  EXPECT_FALSE(in_body(labels[2].value));
  EXPECT_TRUE(in_body(labels[3].value));
  // Several unescaped values on one line stay valid together.
  EXPECT_EQ(labels[1].value, "a\"b");
  EXPECT_EQ(labels[2].value, "x\\y");
  EXPECT_TRUE(in_body(p.MetricName()));
}

TEST(PromParserTest, LazyLabelsDefersLabelWork) {
  ParserOptions opts;
  opts.lazy_labels = true;
  std::string body =
      "a{x=\"1\",y=\"2\"} 3 4\n"
      "{\"b.c\",z=\"}\"} 5\n"
      "d 6\n"
      "e{broken=} 7\n";
  PromParser p(body, opts);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.Series(), "a{x=\"1\",y=\"2\"}");
  EXPECT_EQ(p.MetricName(), "a");
  EXPECT_TRUE(p.Labels().empty());
  EXPECT_EQ(p.Value(), 3);
  EXPECT_EQ(p.Timestamp(), 4);
  ASSERT_TRUE(p.LoadLabels().ok());
  ASSERT_EQ(p.Labels().size(), 2u);
  EXPECT_TRUE(p.LoadLabels().ok());  // idempotent
  EXPECT_EQ(p.Labels().size(), 2u);
  // A '}' inside a value does not confuse the backward scan.
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.Series(), "{\"b.c\",z=\"}\"}");
  EXPECT_EQ(p.MetricName(), "");
  ASSERT_TRUE(p.LoadLabels().ok());
  EXPECT_EQ(p.MetricName(), "b.c");
  EXPECT_EQ(p.Labels()[0].value, "}");
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.Series(), "d");
  EXPECT_TRUE(p.LoadLabels().ok());
  // The malformed block is only noticed by LoadLabels(); the error is sticky.
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.Value(), 7);
  Status s = p.LoadLabels();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("line 4: expected label value"), std::string::npos) << s.ToString();
  EXPECT_FALSE(p.Next().has_value());
}

TEST(PromParserTest, LazyLabelsNotPendingAfterOtherEntries) {
  ParserOptions opts;
  opts.lazy_labels = true;
  PromParser p("a{x=\"1\"} 1\n# HELP a h\n", opts);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  ASSERT_EQ(*p.Next(), Entry::kHelp);
  EXPECT_TRUE(p.LoadLabels().ok());
  EXPECT_TRUE(p.Labels().empty());
  EXPECT_EQ(p.Help(), "h");
  EXPECT_EQ(*p.Next(), Entry::kEof);
}

TEST(PromParserTest, CanonicalNaN) {
  PromParser p("a NaN\nb nan\n");
  for (int i = 0; i < 2; ++i) {
    auto e = p.Next();
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(std::bit_cast<uint64_t>(p.Value()), kNormalNaNBits);
  }
}

TEST(PromParserTest, TypeIsKeptForFollowingSeries) {
  PromParser p("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nother 2\n# TYPE g gauge\ng 3\n");
  std::vector<MetricType> types;
  for (;;) {
    auto e = p.Next();
    ASSERT_TRUE(e.has_value());
    if (*e == Entry::kEof) break;
    if (*e == Entry::kSeries) types.push_back(p.Type());
  }
  EXPECT_EQ(types, (std::vector<MetricType>{MetricType::kHistogram, MetricType::kHistogram,
                                            MetricType::kGauge}));
}

TEST(PromParserTest, BuildLabelsNormalizesLeAndQuantile) {
  struct Case {
    std::string body;
    std::string want;
  };
  const Case cases[] = {
      {"# TYPE h histogram\nh_bucket{le=\"1\",a=\"\"} 1\n", "{__name__=\"h_bucket\", le=\"1.0\"}"},
      {"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\n", "{__name__=\"h_bucket\", le=\"+Inf\"}"},
      {"# TYPE h histogram\nh_bucket{le=\"0.25\"} 1\n", "{__name__=\"h_bucket\", le=\"0.25\"}"},
      {"# TYPE s summary\ns{quantile=\"0\"} 1\n", "{__name__=\"s\", quantile=\"0.0\"}"},
      {"# TYPE s summary\ns{quantile=\"1e-3\"} 1\n", "{__name__=\"s\", quantile=\"0.001\"}"},
      {"# TYPE g gauge\ng{le=\"1\"} 1\n", "{__name__=\"g\", le=\"1\"}"},
      {"# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", "{__name__=\"h_bucket\", le=\"x\"}"},
      {"m{z=\"1\",a=\"2\"} 1\n", "{__name__=\"m\", a=\"2\", z=\"1\"}"},
  };
  for (const Case& c : cases) {
    PromParser p(c.body);
    Result<Entry> e = Entry::kEof;
    do {
      e = p.Next();
      ASSERT_TRUE(e.has_value()) << e.error().ToString();
    } while (*e != Entry::kSeries);
    EXPECT_EQ(p.BuildLabels().ToString(), c.want) << c.body;
  }
}

TEST(PromParserTest, LineLengthLimit) {
  ParserOptions opts;
  opts.max_line_bytes = 64;
  std::string ok_line = "m{a=\"" + std::string(64 - 9, 'x') + "\"} 1";  // exactly 64 bytes
  ASSERT_EQ(ok_line.size(), 64u);
  {
    std::string body = ok_line + "\n";
    PromParser p(body, opts);
    auto e = p.Next();
    ASSERT_TRUE(e.has_value()) << e.error().ToString();
  }
  for (std::string body : {ok_line + "x\n", ok_line + "x", "a 1\n" + std::string(10000, 'a')}) {
    PromParser p(body, opts);
    auto got = ParseAll(p);
    ASSERT_FALSE(got.error.ok());
    EXPECT_NE(got.error.message().find("longer than the limit of 64 bytes"), std::string::npos)
        << got.error.ToString();
  }
}

TEST(PromParserTest, HugeLineWithoutLimitIsParsed) {
  ParserOptions opts;
  opts.max_line_bytes = 0;
  std::string body = "m{a=\"" + std::string(3 << 20, 'v') + "\"} 7\n";
  PromParser p(body, opts);
  auto e = p.Next();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(p.Labels()[0].value.size(), size_t{3} << 20);
  EXPECT_EQ(p.Value(), 7);
  // The default limit (1 MiB) refuses it.
  PromParser q(body);
  EXPECT_FALSE(q.Next().has_value());
}

TEST(PromParserTest, NoAllocationsInSteadyState) {
  std::string body;
  for (int i = 0; i < 2000; ++i) {
    body += "istio_requests_total{reporter=\"destination\",source_workload=\"svc-" +
            std::to_string(i % 7) +
            "\",destination_workload=\"db\",response_code=\"200\",path=\"/a\\\"b\\\\c\","
            "grpc_response_status=\"0\"} " +
            std::to_string(i * 1.5) + " 1700000000000\n";
    if (i % 100 == 0) body += "# HELP x Some help \\n text.\n# TYPE x counter\n# comment\n";
  }
  PromParser p(body);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(p.Next().has_value());
  size_t before = testing::AllocationCount();
  size_t n = 0;
  for (;;) {
    auto e = p.Next();
    ASSERT_TRUE(e.has_value());
    if (*e == Entry::kEof) break;
    ++n;
  }
  EXPECT_EQ(testing::AllocationCount(), before) << "allocations while parsing " << n << " entries";
  EXPECT_GT(n, 2000u);
}

TEST(PromParserTest, NewParserPicksFormat) {
  auto prom = NewParser(Format::kPrometheusText, "a 1\n");
  auto om = NewParser(Format::kOpenMetrics, "a 1\n");
  ASSERT_TRUE(prom->Next().has_value());
  ASSERT_TRUE(om->Next().has_value());
  EXPECT_EQ(*prom->Next(), Entry::kEof);
  // OpenMetrics wants "# EOF".
  EXPECT_FALSE(om->Next().has_value());
}

}  // namespace
}  // namespace vigil::textparse
