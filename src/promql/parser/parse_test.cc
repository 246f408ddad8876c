// Parser tests, data-driven:
//   - kValidCases: our own expressions with the canonical form Prometheus prints for them;
//   - kInvalidCases: our own invalid expressions with the exact Prometheus error message;
//   - kStructureCases: precedence/associativity checked on a tree dump;
//   - kPromParseCases: the inputs of Prometheus' promql/parser/parse_test.go, valid ones must
//     parse and round-trip, invalid ones must fail with Prometheus' first error message and
//     position (strings taken from that file as facts; the table format is ours).
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "promql/parser/ast.h"
#include "promql/parser/functions.h"
#include "promql/parser/parser.h"
#include "promql/parser/printer.h"

namespace vigil::promql::parser {
namespace {

struct ValidCase {
  std::string_view in;
  const char* out;  // nullptr: printed form equals the input
};

struct InvalidCase {
  std::string_view in;
  std::string_view err;  // the full message, "line:col: parse error: ..."
};

struct PromParseCase {
  std::string_view in;
  int err_pos;  // -1: valid
  std::string_view err;
};

ParseOptions All() { return ParseOptions::AllEnabled(); }

// Prometheus' TestParseExpressions options (fill modifiers off).
ParseOptions PromTestOptions() {
  ParseOptions o;
  o.enable_experimental_functions = true;
  o.experimental_duration_expr = true;
  o.enable_extended_range_selectors = true;
  return o;
}

std::string Err(const Result<ExprPtr>& r) {
  return r ? std::string("<no error>") : std::string(r.error().message());
}

// A compact tree dump: operators as S-expressions, leaves in printed form.
std::string Tree(const Expr& e) {
  switch (e.kind()) {
    case NodeKind::kBinary: {
      const auto& b = e.As<BinaryExpr>();
      return "(" + std::string(BinaryOpString(b.op)) + " " + Tree(*b.lhs) + " " + Tree(*b.rhs) +
             ")";
    }
    case NodeKind::kUnary: {
      const auto& u = e.As<UnaryExpr>();
      return std::string(u.op == UnaryExpr::Op::kSub ? "(neg " : "(pos ") + Tree(*u.expr) + ")";
    }
    case NodeKind::kParen:
      return "(paren " + Tree(*e.As<ParenExpr>().expr) + ")";
    case NodeKind::kCall: {
      const auto& c = e.As<Call>();
      std::string s = "(" + std::string(c.func->name);
      for (const auto& a : c.args) s += " " + Tree(*a);
      return s + ")";
    }
    case NodeKind::kAggregate: {
      const auto& a = e.As<AggregateExpr>();
      std::string s = "(" + std::string(AggregateOpString(a.op));
      if (a.param) s += " " + Tree(*a.param);
      return s + " " + Tree(*a.expr) + ")";
    }
    case NodeKind::kSubquery: {
      const auto& sq = e.As<SubqueryExpr>();
      return "(subquery " + Tree(*sq.expr) + ")";
    }
    case NodeKind::kDuration: {
      const auto& d = e.As<DurationExpr>();
      std::string s = "(dur";
      if (d.lhs) s += " " + Tree(*d.lhs);
      if (d.rhs) s += " " + Tree(*d.rhs);
      return s + ")";
    }
    default:
      return ToString(e);
  }
}

// ---------------------------------------------------------------------------------------------

const ValidCase kValidCases[] = {
    // Number literals.
    {"1", nullptr},
    {"1.5", nullptr},
    {".5", "0.5"},
    {"5.", "5"},
    {"1e3", "1000"},
    {"1E3", "1000"},
    {"5e-3", "0.005"},
    {"1e-10", "0.0000000001"},
    {"0x1F", "31"},
    {"0X1f", "31"},
    {"0xc", "12"},
    {"0755", "493"},
    {"089", "89"},
    {"1_000", "1000"},
    {"1_000.5_5", "1000.55"},
    {"Inf", "+Inf"},
    {"inf", "+Inf"},
    {"+Inf", "+Inf"},
    {"-Inf", "-Inf"},
    {"NaN", "NaN"},
    {"nan", "NaN"},
    {"-NaN", "NaN"},
    {"-1", nullptr},
    {"- 1", "-1"},
    {"+1", "1"},
    {"--1", "1"},
    {"-+-1", "1"},
    {"123456789012345678901234567890", "123456789012345680000000000000"},
    {"0.1", nullptr},
    {"1048576", nullptr},
    // Durations used as numbers.
    {"5m", nullptr},
    {"1h30m", nullptr},
    {"90m", "1h30m"},
    {"1d", nullptr},
    {"2w", nullptr},
    {"1y", nullptr},
    {"365d", "1y"},
    {"10d", nullptr},
    {"14d", "2w"},
    {"1500ms", "1s500ms"},
    {"-5m", nullptr},
    {"5m + 1", nullptr},
    {"0", nullptr},
    // Strings.
    {R"("foo")", nullptr},
    {R"('foo')", R"("foo")"},
    {"`foo`", R"("foo")"},
    {R"("a\"b")", nullptr},
    {R"('a\'b')", R"("a'b")"},
    {R"('a"b')", R"("a\"b")"},
    {"`a\\nb`", R"("a\\nb")"},
    {R"("\a\b\f\n\r\t\v\\")", nullptr},
    {R"("\x41\101\u00e4\U0001F600")", R"("AAä😀")"},
    {R"("tab\there")", nullptr},
    {R"("ünïcödé")", nullptr},
    {R"("\x01")", R"("\x01")"},
    {R"("\xff")", R"("\xff")"},
    {"\"\\u00ad\"", "\"\\u00ad\""},
    // Vector selectors.
    {"foo", nullptr},
    {"foo:bar:baz", nullptr},
    {":foo", nullptr},
    {"foo{}", "foo"},
    {R"(foo{a="b"})", nullptr},
    {R"(foo{a="b",})", R"(foo{a="b"})"},
    {R"(foo{b="2", a="1"})", R"(foo{a="1",b="2"})"},
    {R"(foo{a!="b"})", nullptr},
    {R"(foo{a=~"b.*"})", nullptr},
    {R"(foo{a!~"b.*"})", nullptr},
    {R"(foo{a='b'})", R"(foo{a="b"})"},
    {"foo{a=`b\\d`}", R"(foo{a="b\\d"})"},
    {R"({__name__="foo"})", nullptr},
    {R"({__name__=~"foo|bar"})", nullptr},
    {R"({__name__="foo", a="b"})", R"({__name__="foo",a="b"})"},
    {R"({"foo"})", R"({__name__="foo"})"},
    {R"({"my.metric", "a.b"="x"})", R"({"a.b"="x",__name__="my.metric"})"},
    {R"({"my.metric", a="x"})", R"({__name__="my.metric",a="x"})"},
    {R"(foo{"a"="b"})", R"(foo{a="b"})"},
    {R"(foo{"a-b"="c"})", R"(foo{"a-b"="c"})"},
    {R"(foo{"0"="1"})", R"(foo{"0"="1"})"},
    {R"({a="b"})", nullptr},
    {R"({a=~".+"})", nullptr},
    {R"({a="", b="c"})", R"({a="",b="c"})"},
    {R"({__name__="",a="x"})", nullptr},
    {R"(foo{offset="1", by="2", and="3", sum="4"})", R"(foo{and="3",by="2",offset="1",sum="4"})"},
    {R"(foo{a="b"} # trailing comment)", R"(foo{a="b"})"},
    {"foo{a=\"b\", # comment\n c=\"d\"}", R"(foo{a="b",c="d"})"},
    // Keywords as metric names.
    {"sum", nullptr},
    {"sum{a=\"b\"}", nullptr},
    {"by", nullptr},
    {"without", nullptr},
    {"offset", nullptr},
    {"and", nullptr},
    {"or", nullptr},
    {"unless", nullptr},
    {"start", nullptr},
    {"end", nullptr},
    {"step", nullptr},
    {"range", nullptr},
    {"anchored", nullptr},
    {"smoothed", nullptr},
    {"fill", nullptr},
    {"fill_left + fill_right", nullptr},
    {"topk", nullptr},
    {"limitk", nullptr},
    {"max_of", nullptr},
    {"sum + avg", nullptr},
    {"foo and and", nullptr},
    {"offset offset 5m", nullptr},
    {"sum(sum)", nullptr},
    {"rate(avg[5m])", nullptr},
    // Offset, @, anchored, smoothed.
    {"foo offset 5m", nullptr},
    {"foo OFFSET 5m", "foo offset 5m"},
    {"foo offset -5m", nullptr},
    {"foo offset 1h30m", nullptr},
    {"foo offset 90m", "foo offset 1h30m"},
    {"foo offset 300", "foo offset 5m"},
    {"foo offset 1.5", "foo offset 1s500ms"},
    {"foo offset -1.5", "foo offset -1s500ms"},
    {"foo offset 0", "foo"},
    {"foo offset +5m", "foo offset 5m"},
    {"foo[5m] offset 1m", nullptr},
    {"foo[5m:1m] offset 1m", nullptr},
    {"foo @ 1609746000", "foo @ 1609746000.000"},
    {"foo @ 1609746000.123", "foo @ 1609746000.123"},
    {"foo @ -100", "foo @ -100.000"},
    {"foo @ +100", "foo @ 100.000"},
    {"foo @ 1m", "foo @ 60.000"},
    {"foo @ 0.0005", "foo @ 0.001"},
    {"foo @ start()", nullptr},
    {"foo @ end()", nullptr},
    {"foo @ START()", "foo @ start()"},
    {"foo offset 5m @ 100", "foo @ 100.000 offset 5m"},
    {"foo @ 100 offset 5m", "foo @ 100.000 offset 5m"},
    {"foo[5m] @ 100", "foo[5m] @ 100.000"},
    {"foo[5m:] @ end() offset -1m", nullptr},
    {"foo anchored", nullptr},
    {"foo smoothed", nullptr},
    {"foo[5m] anchored", nullptr},
    {"foo anchored[5m]", "foo[5m] anchored"},
    {"foo[5m] smoothed @ 10 offset 1m", "foo[5m] smoothed @ 10.000 offset 1m"},
    {"foo anchored @ 10 offset 1m", "foo @ 10.000 anchored offset 1m"},
    {"rate(foo[5m] anchored)", nullptr},
    // Ranges and subqueries.
    {"foo[5m]", nullptr},
    {"foo[5]", "foo[5s]"},
    {"foo[1.5]", "foo[1s500ms]"},
    {"foo[1h30m]", nullptr},
    {"foo[90m]", "foo[1h30m]"},
    {"foo[1e3]", "foo[16m40s]"},
    {"foo[ 5m ]", "foo[5m]"},
    {R"(foo{a="b"}[5m])", nullptr},
    {R"({a="b"}[5m])", nullptr},
    {"foo[5m:1m]", nullptr},
    {"foo[5m:]", nullptr},
    {"foo[5m : 1m]", "foo[5m:1m]"},
    {"rate(foo[5m])[30m:1m]", nullptr},
    {"rate(foo[5m])[30m:]", nullptr},
    {"(foo + bar)[5m:]", nullptr},
    {"max_over_time(rate(foo[5m])[1h:1m])", nullptr},
    {"foo[5m:1m] offset 1m @ 10", "foo[5m:1m] @ 10.000 offset 1m"},
    // Duration expressions.
    {"foo[5m+1m]", "foo[5m + 1m]"},
    {"foo[5m-1m]", "foo[5m - 1m]"},
    {"foo[2*5m]", "foo[2 * 5m]"},
    {"foo[10m/2]", "foo[10m / 2]"},
    {"foo[10m%3m]", "foo[10m % 3m]"},
    {"foo[2^3]", "foo[2 ^ 3]"},
    {"foo[(5m+1m)*2]", "foo[(5m + 1m) * 2]"},
    {"foo[(5m)]", "foo[(5m)]"},
    {"foo[-(1m)+5m]", "foo[-(1m) + 5m]"},
    {"foo[step()]", nullptr},
    {"foo[STEP()]", "foo[step()]"},
    {"foo[range()]", nullptr},
    {"foo[step()*3]", "foo[step() * 3]"},
    {"foo[5m:step()]", nullptr},
    {"foo[step()*10:step()]", "foo[step() * 10:step()]"},
    {"foo[max_of(step(), 1m)]", nullptr},
    {"foo[min_of(range(), 1h)]", nullptr},
    {"foo[1m+max_of(step(),30s)]", "foo[1m + max_of(step(), 30s)]"},
    {"foo offset step()", nullptr},
    {"foo offset -step()", nullptr},
    {"foo offset +step()", "foo offset step()"},
    {"foo offset (1m*2)", "foo offset (1m * 2)"},
    {"foo offset (1m)", nullptr},
    {"foo offset -(1m*2)", "foo offset -(1m * 2)"},
    {"foo offset (1m) * 2", "foo offset (1m) * 2"},
    {"foo offset 5m - 1", nullptr},
    {"foo offset -5m ^ 2", nullptr},
    {"foo offset max_of(1m, step())", nullptr},
    {"rate(foo[2m+2m])", "rate(foo[2m + 2m])"},
    // Unary and binary operators.
    {"-foo", nullptr},
    {"+foo", nullptr},
    {"-(1)", nullptr},
    {"1 + 2", nullptr},
    {"1+2*3", "1 + 2 * 3"},
    {"(1 + 2) * 3", nullptr},
    {"2 ^ 3 ^ 2", nullptr},
    {"-1 ^ 2", nullptr},
    {"-2 * 3", nullptr},
    {"foo + bar", nullptr},
    {"foo - bar", nullptr},
    {"foo * bar", nullptr},
    {"foo / bar", nullptr},
    {"foo % bar", nullptr},
    {"foo ^ bar", nullptr},
    {"foo atan2 bar", nullptr},
    {"foo ATAN2 bar", "foo atan2 bar"},
    {"foo == bar", nullptr},
    {"foo != bar", nullptr},
    {"foo > bar", nullptr},
    {"foo < bar", nullptr},
    {"foo >= bar", nullptr},
    {"foo <= bar", nullptr},
    {"foo </ bar", nullptr},
    {"foo >/ bar", nullptr},
    {"foo == bool bar", nullptr},
    {"foo > bool 1", nullptr},
    {"1 > bool 2", nullptr},
    {"foo and bar", nullptr},
    {"foo AND bar", "foo and bar"},
    {"foo or bar", nullptr},
    {"foo unless bar", nullptr},
    {"foo + on(a) bar", "foo + on (a) bar"},
    {"foo + on() bar", "foo + on () bar"},
    {"foo + ignoring(a, b) bar", "foo + ignoring (a, b) bar"},
    {"foo + ignoring() bar", "foo + bar"},
    {"foo + on(a) group_left bar", "foo + on (a) group_left () bar"},
    {"foo + on(a) group_left(b) bar", "foo + on (a) group_left (b) bar"},
    {"foo + on(a) group_right(b, c) bar", "foo + on (a) group_right (b, c) bar"},
    {"foo + ignoring(a) group_left(b) bar", "foo + ignoring (a) group_left (b) bar"},
    {"foo > bool on(a) bar", "foo > bool on (a) bar"},
    {"foo and on(a) bar", "foo and on (a) bar"},
    {"foo or ignoring(a) bar", "foo or ignoring (a) bar"},
    {"foo + on(a,) bar", "foo + on (a) bar"},
    {R"(foo + on("a.b") bar)", R"(foo + on ("a.b") bar)"},
    {"foo + on(bool, on, ignoring, group_left) bar",
     "foo + on (bool, on, ignoring, group_left) bar"},
    {"foo + fill(0) bar", "foo + fill (0) bar"},
    {"foo + fill(-1.5) bar", "foo + fill (-1.5) bar"},
    {"foo + fill(1e6) bar", "foo + fill (1e+06) bar"},
    {"foo + fill(NaN) bar", "foo + fill_left (NaN) fill_right (NaN) bar"},
    {"foo + fill(Inf) bar", "foo + fill (+Inf) bar"},
    {"foo + fill(1m) bar", "foo + fill (60) bar"},
    {"foo + fill_left(1) bar", "foo + fill_left (1) bar"},
    {"foo + fill_right(1) bar", "foo + fill_right (1) bar"},
    {"foo + fill_right(2) fill_left(1) bar", "foo + fill_left (1) fill_right (2) bar"},
    {"foo + on(a) group_left(b) fill(0) bar", "foo + on (a) group_left (b) fill (0) bar"},
    {"foo + fill (0) bar", "foo + fill (0) bar"},
    {"foo\n+\nbar", "foo + bar"},
    // Functions.
    {"time()", nullptr},
    {"pi()", nullptr},
    {"rate(foo[5m])", nullptr},
    {"irate(foo[5m])", nullptr},
    {"increase(foo[1h])", nullptr},
    {"delta(foo[5m])", nullptr},
    {"deriv(foo[5m])", nullptr},
    {"abs(foo)", nullptr},
    {"abs(-foo)", nullptr},
    {"round(foo)", nullptr},
    {"round(foo, 5)", nullptr},
    {"clamp(foo, 0, 1)", nullptr},
    {"clamp_min(foo, 0)", nullptr},
    {"clamp_max(foo, 1)", nullptr},
    {"vector(1)", nullptr},
    {"scalar(foo)", nullptr},
    {"hour()", nullptr},
    {"hour(foo)", nullptr},
    {"day_of_week()", nullptr},
    {"days_in_month(foo)", nullptr},
    {"timestamp(foo)", nullptr},
    {"absent(foo)", nullptr},
    {"absent_over_time(foo[5m])", nullptr},
    {"present_over_time(foo[5m])", nullptr},
    {"histogram_quantile(0.9, rate(foo_bucket[5m]))", nullptr},
    {"histogram_fraction(0, 0.1, foo)", nullptr},
    {"histogram_count(foo)", nullptr},
    {"histogram_sum(foo)", nullptr},
    {"histogram_avg(foo)", nullptr},
    {"histogram_stddev(foo)", nullptr},
    {"histogram_stdvar(foo)", nullptr},
    {"quantile_over_time(0.5, foo[5m])", nullptr},
    {"predict_linear(foo[5m], 3600)", nullptr},
    {R"q(label_replace(foo, "dst", "$1", "src", "(.*)"))q", nullptr},
    {R"(label_join(foo, "dst", ",", "a"))", nullptr},
    {R"(label_join(foo, "dst", ",", "a", "b", "c"))", nullptr},
    {R"(label_join(foo, "dst", ","))", nullptr},
    {"sort(foo)", nullptr},
    {"sort_desc(foo)", nullptr},
    {R"(sort_by_label(foo, "a", "b"))", nullptr},
    {R"(sort_by_label_desc(foo, "a"))", nullptr},
    {"double_exponential_smoothing(foo[5m], 0.5, 0.5)", nullptr},
    {"mad_over_time(foo[5m])", nullptr},
    {"ts_of_max_over_time(foo[5m])", nullptr},
    {"first_over_time(foo[5m])", nullptr},
    {"last_over_time(foo[5m])", nullptr},
    {R"(info(foo, {k=~".+"}))", nullptr},
    {"info(foo)", nullptr},
    {"step()", nullptr},
    {"range()", nullptr},
    {"start()", nullptr},
    {"end()", nullptr},
    {"max_of(1, 2)", nullptr},
    {"min_of(time(), 2)", nullptr},
    {"rate(foo[5m]) * 60", nullptr},
    {"rate ( foo [ 5m ] )", "rate(foo[5m])"},
    // Aggregations.
    {"sum(foo)", nullptr},
    {"SUM(foo)", "sum(foo)"},
    {"sum by (a) (foo)", nullptr},
    {"sum by(a)(foo)", "sum by (a) (foo)"},
    {"sum(foo) by (a)", "sum by (a) (foo)"},
    {"sum without (a) (foo)", nullptr},
    {"sum(foo) without (a, b)", "sum without (a, b) (foo)"},
    {"sum by () (foo)", "sum(foo)"},
    {"sum without () (foo)", nullptr},
    {"sum by (a,) (foo)", "sum by (a) (foo)"},
    {R"(sum by ("a.b", c) (foo))", nullptr},
    {R"(sum by ('a') (foo))", "sum by (a) (foo)"},
    {"sum by (sum, by, on, bool, offset, start) (foo)",
     "sum by (sum, by, on, bool, offset, start) (foo)"},
    {"sum by (foo:bar) (x)", R"(sum by ("foo:bar") (x))"},
    {"avg(foo)", nullptr},
    {"count(foo)", nullptr},
    {"min(foo)", nullptr},
    {"max(foo)", nullptr},
    {"group(foo)", nullptr},
    {"stddev(foo)", nullptr},
    {"stdvar(foo)", nullptr},
    {"topk(5, foo)", nullptr},
    {"bottomk(5, foo)", nullptr},
    {"topk by (a) (5, foo)", nullptr},
    {"topk(5, foo) by (a)", "topk by (a) (5, foo)"},
    {"quantile(0.9, foo)", nullptr},
    {R"(count_values("value", foo))", nullptr},
    {"limitk(5, foo)", nullptr},
    {"limit_ratio(0.5, foo)", nullptr},
    {"topk(scalar(bar), foo)", nullptr},
    {"sum(rate(foo[5m])) by (job) / on(job) group_left sum(bar) by (job)",
     "sum by (job) (rate(foo[5m])) / on (job) group_left () sum by (job) (bar)"},
    {"sum(\n  foo\n) by (\n  a\n)", "sum by (a) (foo)"},
    // Parentheses and combinations.
    {"(foo)", nullptr},
    {"((foo))", nullptr},
    {"(1)", nullptr},
    {"-(foo + bar)", nullptr},
    {R"(sum by (a) (rate(foo{b=~"c|d"}[5m] offset 1m)) > bool 0)", nullptr},
};

TEST(ParseTest, ValidExpressionsPrintCanonically) {
  for (const auto& c : kValidCases) {
    SCOPED_TRACE(c.in);
    auto r = ParseExpr(c.in, All());
    ASSERT_TRUE(r) << Err(r);
    std::string want = c.out ? c.out : std::string(c.in);
    EXPECT_EQ(ToString(**r), want);
    // The printed form parses back to a tree that prints the same.
    auto again = ParseExpr(ToString(**r), All());
    ASSERT_TRUE(again) << Err(again);
    EXPECT_EQ(ToString(**again), want);
    EXPECT_EQ(Tree(**again), Tree(**r));
  }
}

const InvalidCase kInvalidCases[] = {
    // Lexer errors.
    {"", "unknown position: parse error: no expression found in input"},
    {"   ", "1:1: parse error: no expression found in input"},
    {"# only a comment", "1:1: parse error: no expression found in input"},
    {"foo{", "1:5: parse error: unexpected end of input inside braces"},
    {"foo}", "1:4: parse error: unexpected character: '}'"},
    {"foo{a=\"b\"{", "1:10: parse error: unexpected left brace '{'"},
    {"foo{a^\"b\"}", "1:6: parse error: unexpected character inside braces: '^'"},
    {"foo{a!b}", "1:6: parse error: unexpected character after '!' inside braces: 'b'"},
    {"foo ! bar", "1:5: parse error: unexpected character after '!': ' '"},
    {"foo =~ bar", "1:5: parse error: unexpected character after '=': '~'"},
    {"foo $ bar", "1:5: parse error: unexpected character: '$'"},
    {"föo", "1:2: parse error: unexpected character: 'ö'"},
    {"(foo", "1:5: parse error: unclosed left parenthesis"},
    {"foo)", "1:5: parse error: unexpected right parenthesis ')'"},
    {"foo[5m", "1:7: parse error: unclosed left bracket"},
    {"foo[", "1:5: parse error: unexpected end of input in duration expression"},
    {"foo]", "1:4: parse error: unexpected right bracket ']'"},
    {"foo[5m][", "1:9: parse error: unexpected end of input in duration expression"},
    {"foo[5m[1m]]", "1:7: parse error: unexpected left bracket '['"},
    {"foo[5m:1m:1m]", "1:10: parse error: unexpected colon ':'"},
    {"foo[:5m]", "1:6: parse error: unexpected colon before duration in duration expression"},
    {"foo[5m x]", "1:8: parse error: unexpected character: 'x', expected ':'"},
    {"foo[x]", "1:5: parse error: unexpected character in duration expression: 'x'"},
    {"foo[#5m]", "1:5: parse error: unexpected character in duration expression: '#'"},
    {R"("foo)", "1:1: parse error: unterminated quoted string"},
    {"\"foo\nbar\"", "1:1: parse error: unterminated quoted string"},
    {"`foo", "1:1: parse error: unterminated raw string"},
    {R"("\q")", "1:1: parse error: unknown escape sequence U+0071 'q'"},
    {R"('\"')", "1:1: parse error: unknown escape sequence U+0022 '\"'"},
    {R"("\'")", "1:1: parse error: unknown escape sequence U+0027 '''"},
    {R"("\x4")", "1:1: parse error: illegal character U+0022 '\"' in escape sequence"},
    {R"("\xZZ")", "1:1: parse error: illegal character U+005A 'Z' in escape sequence"},
    {R"("\400")", "1:1: parse error: escape sequence is an invalid Unicode code point"},
    {R"("\ud800")", "1:1: parse error: escape sequence is an invalid Unicode code point"},
    {R"("\U00110000")", "1:1: parse error: escape sequence is an invalid Unicode code point"},
    {"\"\xff\"", "1:1: parse error: invalid UTF-8 rune"},
    {"1.2.3", "1:1: parse error: bad number or duration syntax: \"1.2.\""},
    {"1e", "1:1: parse error: bad number or duration syntax: \"1e\""},
    {"1__0", "1:1: parse error: bad number or duration syntax: \"1__\""},
    {"5mm", "1:1: parse error: bad number or duration syntax: \"5mm\""},
    {"5x", "1:1: parse error: bad number or duration syntax: \"5\""},
    {"foo[1m5]", "1:5: parse error: bad number or duration syntax: \"1m5\""},
    // Durations.
    {"5s1m", "1:1: parse error: not a valid duration string: \"5s1m\""},
    {"1m1m", "1:1: parse error: not a valid duration string: \"1m1m\""},
    {"foo[5hs]", "1:5: parse error: unknown unit \"hs\" in duration \"5hs\""},
    {"foo[300y]", "1:5: parse error: duration out of range"},
    {"foo[0s]", "1:5: parse error: duration must be greater than 0"},
    {"foo[0]", "1:5: parse error: duration must be greater than 0"},
    {"foo[-5m]", "1:5: parse error: duration must be greater than 0"},
    {"foo[5m:0s]", "1:8: parse error: duration must be greater than 0"},
    {"foo[NaN]", "1:5: parse error: unexpected character in duration expression: 'N'"},
    {"foo offset NaN", "1:12: parse error: duration out of range"},
    {"foo[Inf]", "1:5: parse error: unexpected character in duration expression: 'I'"},
    {"foo offset Inf", "1:12: parse error: duration out of range"},
    {"foo[0.0001]", "1:5: parse error: duration must be greater than 0"},
    {"foo offset 1e10", "1:12: parse error: duration out of range"},
    {"foo offset -1e10", "1:12: parse error: duration out of range"},
    {"foo[5m/0]", "1:7: parse error: division by zero"},
    {"foo[5m%0]", "1:7: parse error: modulo by zero"},
    {"foo offset (5m/0)", "1:15: parse error: division by zero"},
    // Syntax errors.
    {"1 +", "1:4: parse error: unexpected end of input"},
    {"+", "1:2: parse error: unexpected end of input"},
    {"foo bar", "1:5: parse error: unexpected identifier \"bar\""},
    {"foo 1", "1:5: parse error: unexpected number \"1\""},
    {"foo 5m", "1:5: parse error: unexpected duration \"5m\""},
    {"foo \"x\"", "1:5: parse error: unexpected string \"\\\"x\\\"\""},
    {"foo \"a long string value\"", "1:5: parse error: unexpected string \"\\\"a long st\"..."},
    {"foo:bar baz", "1:9: parse error: unexpected identifier \"baz\""},
    {"foo a:b", "1:5: parse error: unexpected metric identifier \"a:b\""},
    {"* foo", "1:1: parse error: unexpected <op:*>"},
    {"foo + * bar", "1:7: parse error: unexpected <op:*>"},
    {"foo by", "1:5: parse error: unexpected <by>"},
    {"foo BY (a)", "1:5: parse error: unexpected <BY>"},
    {"bool", "1:1: parse error: unexpected <bool>"},
    {"on(a) foo", "1:1: parse error: unexpected <on>"},
    {"group_left", "1:1: parse error: unexpected <group_left>"},
    {"atan2", "1:1: parse error: unexpected <op:atan2>"},
    {"foo sum", "1:5: parse error: unexpected <aggr:sum>"},
    {"foo step", "1:5: parse error: unexpected \"step\""},
    {"foo,", "1:4: parse error: unexpected \",\""},
    {"()", "1:2: parse error: unexpected \")\""},
    {"foo(", "1:5: parse error: unclosed left parenthesis"},
    {"(foo bar)", "1:6: parse error: unexpected identifier \"bar\""},
    {"rate(foo bar)", "1:10: parse error: unexpected identifier \"bar\""},
    {"rate(foo,,)", "1:10: parse error: unexpected \",\""},
    {"rate(foo[5m],)", "1:13: parse error: trailing commas not allowed in function call args"},
    {"foo:bar()", "1:8: parse error: unexpected \"(\""},
    {"by(foo)", "1:3: parse error: unexpected \"(\""},
    {"foo + group_left bar", "1:7: parse error: unexpected <group_left>"},
    {"foo + on(a) ignoring(b) bar", "1:13: parse error: unexpected <ignoring>"},
    {"foo + bool on(a) bool bar", "1:18: parse error: unexpected <bool>"},
    {"foo + on(a) group_left(b) group_right(c) bar", "1:27: parse error: unexpected <group_right>"},
    {"foo + on a bar",
     "1:10: parse error: unexpected identifier \"a\" in grouping opts, expected \"(\""},
    {"foo + on(a b) bar",
     "1:12: parse error: unexpected identifier \"b\" in grouping opts, expected \",\" or \")\""},
    {"foo + on(1) bar",
     "1:10: parse error: unexpected number \"1\" in grouping opts, expected label"},
    {"foo + fill bar", "1:12: parse error: unexpected identifier \"bar\""},
    {"foo + fill() bar", "1:12: parse error: unexpected \")\""},
    {"foo + fill(a) bar", "1:12: parse error: unexpected identifier \"a\""},
    // Aggregations.
    {"sum by (a) foo", "1:12: parse error: unexpected identifier \"foo\" in aggregation"},
    {"sum(foo bar)", "1:9: parse error: unexpected identifier \"bar\" in aggregation"},
    {"sum(rate(foo bar))", "1:14: parse error: unexpected identifier \"bar\" in aggregation"},
    {"sum(1 +)", "1:8: parse error: unexpected \")\" in aggregation"},
    {"sum by foo",
     "1:8: parse error: unexpected identifier \"foo\" in grouping opts, expected \"(\""},
    {"sum(foo) by", "1:12: parse error: unexpected end of input in grouping opts, expected \"(\""},
    {"sum(foo) by (a) by (b)", "1:17: parse error: unexpected <by>"},
    {"sum by (without) (foo)",
     "1:9: parse error: unexpected <without> in grouping opts, expected label"},
    {"sum by (nan) (foo)",
     "1:9: parse error: unexpected number \"nan\" in grouping opts, expected label"},
    {R"(sum by ("") (foo))", "1:9: parse error: invalid label name for grouping: \"\""},
    {R"(sum by ("\xff") (foo))", "1:9: parse error: invalid label name for grouping: \"\\xff\""},
    {"sum()", "1:1: parse error: no arguments for aggregate expression provided"},
    {"sum(foo, bar)",
     "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, "
     "got 2"},
    {"topk(foo)",
     "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, "
     "got 1"},
    {"quantile(foo, bar)",
     "1:10: parse error: expected type scalar in aggregation parameter, got instant vector"},
    {"count_values(1, foo)",
     "1:14: parse error: expected type string in aggregation parameter, got scalar"},
    {"sum(1)",
     "1:5: parse error: expected type instant vector in aggregation expression, got scalar"},
    {"sum(foo[5m])",
     "1:5: parse error: expected type instant vector in aggregation expression, got range vector"},
    {R"(sum("x"))",
     "1:5: parse error: expected type instant vector in aggregation expression, got string"},
    // Functions.
    {"foo()", "1:1: parse error: unknown function with name \"foo\""},
    {"RATE(foo[5m])", "1:1: parse error: unknown function with name \"RATE\""},
    {"holt_winters(foo[5m], 0.5, 0.5)",
     "1:1: parse error: unknown function with name \"holt_winters\""},
    {"STEP()", "1:1: parse error: unknown function with name \"STEP\""},
    {"rate(foo)",
     "1:6: parse error: expected type range vector in call to function \"rate\", got instant "
     "vector"},
    {"rate(1)",
     "1:6: parse error: expected type range vector in call to function \"rate\", got scalar"},
    {"abs(foo[5m])",
     "1:5: parse error: expected type instant vector in call to function \"abs\", got range "
     "vector"},
    {"abs(\"x\")",
     "1:5: parse error: expected type instant vector in call to function \"abs\", got string"},
    {"vector(foo)",
     "1:8: parse error: expected type scalar in call to function \"vector\", got instant vector"},
    {"rate()", "1:1: parse error: expected 1 argument(s) in call to \"rate\", got 0"},
    {"time(foo)", "1:1: parse error: expected 0 argument(s) in call to \"time\", got 1"},
    {"round(foo, 1, 2)",
     "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3"},
    {"label_join(foo)",
     "1:1: parse error: expected at least 3 argument(s) in call to \"label_join\", got 1"},
    {R"(label_join(foo, "a", ",", 1))",
     "1:27: parse error: expected type string in call to function \"label_join\", got scalar"},
    {"clamp(foo, 1)", "1:1: parse error: expected 3 argument(s) in call to \"clamp\", got 2"},
    {"histogram_quantile(foo, bar)",
     "1:20: parse error: expected type scalar in call to function \"histogram_quantile\", got "
     "instant vector"},
    {R"(info(foo, bar))",
     "1:11: parse error: expected label selectors only, got vector selector instead"},
    {R"(info(foo, 1))",
     "1:1: parse error: expected type instant vector in call to function \"info\", got scalar"},
    {R"(info(foo, rate(x[5m])))", "1:11: parse error: expected label selectors only"},
    // Selectors.
    {"{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
    {R"({a=""})", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
    {R"({a=~".*"})",
     "1:1: parse error: vector selector must contain at least one non-empty matcher"},
    {R"({a=~".*", b!="x"})",
     "1:1: parse error: vector selector must contain at least one non-empty matcher"},
    {R"(rate({a!~".+"}[5m]))",
     "1:6: parse error: vector selector must contain at least one non-empty matcher"},
    {R"(foo{__name__="bar"})",
     "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\""},
    {R"(foo{"bar"})", "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\""},
    {R"(foo{a="b" c="d"})",
     "1:11: parse error: unexpected identifier \"c\" in label matching, expected \",\" or \"}\""},
    {R"(foo{a})",
     "1:6: parse error: unexpected \"}\" in label matching, expected label matching operator"},
    {R"(foo{a=})", "1:7: parse error: unexpected \"}\" in label matching, expected string"},
    {R"(foo{a=b})",
     "1:7: parse error: unexpected identifier \"b\" in label matching, expected string"},
    {R"(foo{=b})",
     "1:5: parse error: unexpected \"=\" in label matching, expected identifier or \"}\""},
    {R"(foo{a="b",,})",
     "1:11: parse error: unexpected \",\" in label matching, expected identifier or \"}\""},
    {R"(foo{"a" b})",
     "1:9: parse error: unexpected identifier \"b\" in label matching, expected \",\" or \"}\""},
    {R"(foo{a=~"("})", "1:5: parse error: error parsing regexp: missing closing ): `(`"},
    {R"(foo{a!~"*"})",
     "1:5: parse error: error parsing regexp: missing argument to repetition operator: `*`"},
    // Ranges, subqueries, offset, @.
    {"foo[5m:1m", "1:10: parse error: unclosed left bracket"},
    {"foo[]",
     "1:5: parse error: unexpected \"]\" in subquery or range selector, expected number, duration, "
     "step(), or range()"},
    {"foo[5m 1m]",
     "1:8: parse error: unexpected duration \"1m\" in subquery or range, expected \":\" or \"]\""},
    {"foo[5m:1m 1m]",
     "1:11: parse error: unexpected duration \"1m\" in subquery selector, expected \"]\""},
    {"foo[5m:+]",
     "1:9: parse error: unexpected \"]\" in subquery selector, expected number, duration, step(), "
     "range(), or \"]\""},
    {"foo[5m+]",
     "1:8: parse error: unexpected \"]\" in subquery or range selector, expected number, duration, "
     "step(), or range()"},
    {"1[5m]", "1:2: parse error: ranges only allowed for vector selectors"},
    {"(foo)[5m]", "1:6: parse error: ranges only allowed for vector selectors"},
    {"foo[5m][5m]", "1:8: parse error: ranges only allowed for vector selectors"},
    {"foo offset 1m [5m]", "1:15: parse error: no offset modifiers allowed before range"},
    {"foo @ 1 [5m]", "1:9: parse error: no @ modifiers allowed before range"},
    {"foo[5m][5m:]",
     "1:1: parse error: subquery is only allowed on instant vector, got matrix instead"},
    {R"("x"[5m:])",
     "1:1: parse error: subquery is only allowed on instant vector, got string instead"},
    {"foo offset",
     "1:11: parse error: unexpected end of input in offset, expected number, duration, step(), or "
     "range()"},
    {"foo offset bar",
     "1:12: parse error: unexpected identifier \"bar\" in offset, expected number, duration, "
     "step(), or range()"},
    {"foo offset (5m + )",
     "1:18: parse error: unexpected \")\" in offset, expected number, duration, step(), or "
     "range()"},
    {"foo offset (5m) + bar",
     "1:19: parse error: unexpected identifier \"bar\" in offset, expected number, duration, "
     "step(), or range()"},
    {"foo offset 1m offset 2m", "1:1: parse error: offset may not be set multiple times"},
    {"foo[5m] offset 1m offset 2m", "1:1: parse error: offset may not be set multiple times"},
    {"1 offset 1m",
     "1:1: parse error: offset modifier must be preceded by an instant vector selector or range "
     "vector selector or a subquery"},
    {"rate(foo[5m]) offset 1m",
     "1:1: parse error: offset modifier must be preceded by an instant vector selector or range "
     "vector selector or a subquery"},
    {"(foo) offset 1m",
     "1:1: parse error: offset modifier must be preceded by an instant vector selector or range "
     "vector selector or a subquery"},
    {"foo @", "1:6: parse error: unexpected end of input in @, expected timestamp"},
    {"foo @ bar", "1:7: parse error: unexpected identifier \"bar\" in @, expected timestamp"},
    {"foo @ start", "1:12: parse error: unexpected end of input in @, expected timestamp"},
    {"foo @ step()", "1:7: parse error: unexpected \"step\" in @, expected timestamp"},
    {"foo @ 1 @ 2", "1:1: parse error: @ <timestamp> may not be set multiple times"},
    {"foo @ start() @ end()", "1:1: parse error: @ <timestamp> may not be set multiple times"},
    {"foo @ Inf", "1:1: parse error: timestamp out of bounds for @ modifier: +Inf"},
    {"foo @ -Inf", "1:1: parse error: timestamp out of bounds for @ modifier: -Inf"},
    {"foo @ NaN", "1:1: parse error: timestamp out of bounds for @ modifier: NaN"},
    {"foo @ 1e19",
     "1:1: parse error: timestamp out of bounds for @ modifier: 10000000000000000000.000000"},
    {"1 @ 1",
     "1:1: parse error: @ modifier must be preceded by an instant vector selector or range vector "
     "selector or a subquery"},
    {"foo anchored smoothed",
     "1:1: parse error: anchored and smoothed modifiers cannot be used together"},
    {"foo[5m:] anchored", "1:1: parse error: anchored modifier is not supported for subqueries"},
    {"foo[5m:] smoothed", "1:1: parse error: smoothed modifier is not supported for subqueries"},
    {"1 anchored", "1:1: parse error: anchored modifier not implemented"},
    // Type checks of binary and unary expressions.
    {"1 == 1", "1:3: parse error: comparisons between scalars must use BOOL modifier"},
    {"1 < 2", "1:3: parse error: comparisons between scalars must use BOOL modifier"},
    {"foo + bool bar", "1:5: parse error: bool modifier can only be used on comparison operators"},
    {"foo and bool bar",
     "1:5: parse error: bool modifier can only be used on comparison operators"},
    {"1 and 1", "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"},
    {"foo or 1", "1:1: parse error: set operator \"or\" not allowed in binary scalar expression"},
    {"1 unless foo",
     "1:1: parse error: set operator \"unless\" not allowed in binary scalar expression"},
    {"foo + on(a) 1", "1:1: parse error: vector matching only allowed between instant vectors"},
    {"1 + ignoring(a) foo",
     "1:1: parse error: vector matching only allowed between instant vectors"},
    {"foo + fill(0) 1",
     "1:1: parse error: filling in missing series only allowed between instant vectors"},
    {"foo and fill(0) bar",
     "1:1: parse error: filling in missing series not allowed for set operators"},
    {"foo and on(a) group_left(b) bar",
     "1:1: parse error: no grouping allowed for \"and\" operation"},
    {"foo or ignoring(a) group_right bar",
     "1:1: parse error: no grouping allowed for \"or\" operation"},
    {"foo + on(a) group_left(a) bar",
     "1:5: parse error: label \"a\" must not occur in ON and GROUP clause at once"},
    {"foo[5m] + 1",
     "1:1: parse error: binary expression must contain only scalar and instant vector types"},
    {"1 + foo[5m]",
     "1:5: parse error: binary expression must contain only scalar and instant vector types"},
    {R"("a" + "b")",
     "1:1: parse error: binary expression must contain only scalar and instant vector types"},
    {"-foo[5m]",
     "1:1: parse error: unary expression only allowed on expressions of type scalar or instant "
     "vector, got \"range vector\""},
    {"-foo[5m:]",
     "1:1: parse error: unary expression only allowed on expressions of type scalar or instant "
     "vector, got \"range vector\""},
    {R"(-"x")",
     "1:1: parse error: unary expression only allowed on expressions of type scalar or instant "
     "vector, got \"string\""},
    // Positions on later lines.
    {"foo +\n  bar baz", "2:7: parse error: unexpected identifier \"baz\""},
    {"sum(\n  rate(foo[5m]\n)", "3:2: parse error: unclosed left parenthesis"},
    {"foo +\n\n  1 == 1 + bar[5m]",
     "3:12: parse error: binary expression must contain only scalar and instant vector types"},
};

TEST(ParseTest, InvalidExpressionsFailWithPrometheusMessages) {
  for (const auto& c : kInvalidCases) {
    SCOPED_TRACE(c.in);
    auto r = ParseExpr(c.in, All());
    ASSERT_FALSE(r) << "parsed as " << ToString(**r);
    EXPECT_TRUE(r.error().IsInvalidArgument());
    EXPECT_EQ(r.error().message(), c.err);
  }
}

// Features behind Prometheus' --enable-feature flags are rejected when off.
TEST(ParseTest, ExperimentalFeaturesNeedTheirOption) {
  const InvalidCase cases[] = {
      {"limitk(1, foo)",
       "1:1: parse error: limitk() is experimental and must be enabled with "
       "--enable-feature=promql-experimental-functions"},
      {"limit_ratio(0.5, foo)",
       "1:1: parse error: limit_ratio() is experimental and must be enabled with "
       "--enable-feature=promql-experimental-functions"},
      {R"(sort_by_label(foo, "a"))", "1:1: parse error: function \"sort_by_label\" is not enabled"},
      {"mad_over_time(foo[5m])", "1:1: parse error: function \"mad_over_time\" is not enabled"},
      {"info(foo)", "1:1: parse error: function \"info\" is not enabled"},
      {"step()", "1:1: parse error: function \"step\" is not enabled"},
      {"foo[5m+1m]", "1:5: parse error: experimental duration expression is not enabled"},
      {"foo[step()]", "1:5: parse error: experimental duration expression is not enabled"},
      {"foo[(5m)]", "1:6: parse error: experimental duration expression is not enabled"},
      {"foo offset step()", "1:12: parse error: experimental duration expression is not enabled"},
      {"foo offset -step()", "1:12: parse error: experimental duration expression is not enabled"},
      {"foo offset (1m)", "1:13: parse error: experimental duration expression is not enabled"},
      {"foo anchored", "1:1: parse error: anchored modifier is experimental and not enabled"},
      {"foo[5m] smoothed", "1:1: parse error: smoothed modifier is experimental and not enabled"},
      {"foo + fill(0) bar",
       "1:1: parse error: binop fill modifiers are experimental and not enabled"},
      {"foo + fill_left(0) bar",
       "1:1: parse error: binop fill modifiers are experimental and not enabled"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    auto r = ParseExpr(c.in);
    ASSERT_FALSE(r) << "parsed as " << ToString(**r);
    EXPECT_EQ(r.error().message(), c.err);
    EXPECT_TRUE(ParseExpr(c.in, All())) << "must parse with all features on";
  }
  // Things that need no flag.
  for (std::string_view ok : {"topk(1, foo)", "foo[5m]", "foo offset -5m", "foo @ start()",
                              "foo offset -(5)", "rate(foo[5m])", "fill + fill"}) {
    EXPECT_TRUE(ParseExpr(ok)) << ok << ": " << Err(ParseExpr(ok));
  }
}

// The inputs of Prometheus' promql/parser/parse_test.go (at the commit of the conformance data),
// with the first expected error's byte offset and message for the invalid ones.
const PromParseCase kPromParseCases[] = {
    {R"pql(1)pql", -1, ""},
    {R"pql(+Inf)pql", -1, ""},
    {R"pql(-Inf)pql", -1, ""},
    {R"pql(.5)pql", -1, ""},
    {R"pql(5.)pql", -1, ""},
    {R"pql(123.4567)pql", -1, ""},
    {R"pql(5e-3)pql", -1, ""},
    {R"pql(5e3)pql", -1, ""},
    {R"pql(0xc)pql", -1, ""},
    {R"pql(0755)pql", -1, ""},
    {R"pql(+5.5e-3)pql", -1, ""},
    {R"pql(-0755)pql", -1, ""},
    {R"pql(1 + 1)pql", -1, ""},
    {R"pql(1 - 1)pql", -1, ""},
    {R"pql(1 * 1)pql", -1, ""},
    {R"pql(1 % 1)pql", -1, ""},
    {R"pql(1 / 1)pql", -1, ""},
    {R"pql(1 == bool 1)pql", -1, ""},
    {R"pql(1 != bool 1)pql", -1, ""},
    {R"pql(1 > bool 1)pql", -1, ""},
    {R"pql(1 >= bool 1)pql", -1, ""},
    {R"pql(1 < bool 1)pql", -1, ""},
    {R"pql(1 <= bool 1)pql", -1, ""},
    {R"pql(-1^2)pql", -1, ""},
    {R"pql(-1*2)pql", -1, ""},
    {R"pql(-1+2)pql", -1, ""},
    {R"pql(-1^-2)pql", -1, ""},
    {R"pql(+1 + -2 * 1)pql", -1, ""},
    {R"pql(1 + 2/(3*1))pql", -1, ""},
    {R"pql(1 < bool 2 - 1 * 2)pql", -1, ""},
    {R"pql(-some_metric)pql", -1, ""},
    {R"pql(+some_metric)pql", -1, ""},
    {R"pql( +some_metric)pql", -1, ""},
    {R"pql( +{"some_metric"})pql", -1, ""},
    {R"pql()pql", 0, R"pql(no expression found in input)pql"},
    {"# just a comment\012\012", 0, R"pql(no expression found in input)pql"},
    {R"pql(1+)pql", 2, R"pql(unexpected end of input)pql"},
    {R"pql(.)pql", 0, R"pql(unexpected character: '.')pql"},
    {R"pql(2.5.)pql", 0, R"pql(bad number or duration syntax: "2.5.")pql"},
    {R"pql(100..4)pql", 0, R"pql(bad number or duration syntax: "100..")pql"},
    {R"pql(0deadbeef)pql", 0, R"pql(bad number or duration syntax: "0de")pql"},
    {R"pql(1 /)pql", 3, R"pql(unexpected end of input)pql"},
    {R"pql(*1)pql", 0, R"pql(unexpected <op:*>)pql"},
    {R"pql((1)))pql", 4, R"pql(unexpected right parenthesis ')')pql"},
    {R"pql(((1))pql", 4, R"pql(unclosed left parenthesis)pql"},
    {R"pql(()pql", 1, R"pql(unclosed left parenthesis)pql"},
    {R"pql(1 and 1)pql", 0, R"pql(set operator "and" not allowed in binary scalar expression)pql"},
    {R"pql(1 == 1)pql", 2, R"pql(comparisons between scalars must use BOOL modifier)pql"},
    {R"pql(1 or 1)pql", 0, R"pql(set operator "or" not allowed in binary scalar expression)pql"},
    {R"pql(1 unless 1)pql", 0,
     R"pql(set operator "unless" not allowed in binary scalar expression)pql"},
    {R"pql(1 !~ 1)pql", 2, R"pql(unexpected character after '!': '~')pql"},
    {R"pql(1 =~ 1)pql", 2, R"pql(unexpected character after '=': '~')pql"},
    {R"pql(-"string")pql", 0,
     R"pql(unary expression only allowed on expressions of type scalar or instant vector, got "string")pql"},
    {R"pql(-test[5m])pql", 0,
     R"pql(unary expression only allowed on expressions of type scalar or instant vector, got "range vector")pql"},
    {R"pql(*test)pql", 0, R"pql(unexpected <op:*>)pql"},
    {R"pql(@@)pql", 0, R"pql(unexpected <op:@>)pql"},
    {R"pql(1 offset 1d)pql", 0,
     R"pql(offset modifier must be preceded by an instant vector selector or range vector selector or a subquery)pql"},
    {R"pql(foo offset 1s offset 2s)pql", 0, R"pql(offset may not be set multiple times)pql"},
    {R"pql(a - on(b) ignoring(c) d)pql", 10, R"pql(unexpected <ignoring>)pql"},
    {R"pql(offset{step="1s"}[5m])pql", -1, ""},
    {R"pql(step{offset="1s"}[5m])pql", -1, ""},
    {R"pql(anchored{job="test"})pql", -1, ""},
    {R"pql(smoothed{job="test"})pql", -1, ""},
    {R"pql(foo * bar)pql", -1, ""},
    {R"pql(foo * sum)pql", -1, ""},
    {R"pql(foo == 1)pql", -1, ""},
    {R"pql(foo == bool 1)pql", -1, ""},
    {R"pql(2.5 / bar)pql", -1, ""},
    {R"pql(foo and bar)pql", -1, ""},
    {R"pql(foo or bar)pql", -1, ""},
    {R"pql(foo unless bar)pql", -1, ""},
    {R"pql(foo + bar or bla and blub)pql", -1, ""},
    {R"pql(foo and bar unless baz or qux)pql", -1, ""},
    {R"pql(bar + on(foo) bla / on(baz, buz) group_right(test) blub)pql", -1, ""},
    {R"pql(foo * on(test,blub) bar)pql", -1, ""},
    {R"pql(foo * on(test,blub) group_left bar)pql", -1, ""},
    {R"pql(foo and on(test,blub) bar)pql", -1, ""},
    {R"pql(foo and on() bar)pql", -1, ""},
    {R"pql(foo and ignoring(test,blub) bar)pql", -1, ""},
    {R"pql(foo and ignoring() bar)pql", -1, ""},
    {R"pql(foo unless on(bar) baz)pql", -1, ""},
    {R"pql(foo / on(test,blub) group_left(bar) bar)pql", -1, ""},
    {R"pql(foo / ignoring(test,blub) group_left(blub) bar)pql", -1, ""},
    {R"pql(foo / ignoring(test,blub) group_left(bar) bar)pql", -1, ""},
    {R"pql(foo - on(test,blub) group_right(bar,foo) bar)pql", -1, ""},
    {R"pql(foo - ignoring(test,blub) group_right(bar,foo) bar)pql", -1, ""},
    {R"pql(foo and 1)pql", 0,
     R"pql(set operator "and" not allowed in binary scalar expression)pql"},
    {R"pql(1 and foo)pql", 0,
     R"pql(set operator "and" not allowed in binary scalar expression)pql"},
    {R"pql(foo or 1)pql", 0, R"pql(set operator "or" not allowed in binary scalar expression)pql"},
    {R"pql(1 or foo)pql", 0, R"pql(set operator "or" not allowed in binary scalar expression)pql"},
    {R"pql(foo unless 1)pql", 0,
     R"pql(set operator "unless" not allowed in binary scalar expression)pql"},
    {R"pql(1 unless foo)pql", 0,
     R"pql(set operator "unless" not allowed in binary scalar expression)pql"},
    {R"pql(1 or on(bar) foo)pql", 0,
     R"pql(vector matching only allowed between instant vectors)pql"},
    {R"pql(foo == on(bar) 10)pql", 0,
     R"pql(vector matching only allowed between instant vectors)pql"},
    {R"pql(foo + group_left(baz) bar)pql", 6, R"pql(unexpected <group_left>)pql"},
    {R"pql(foo and on(bar) group_left(baz) bar)pql", 0,
     R"pql(no grouping allowed for "and" operation)pql"},
    {R"pql(foo and on(bar) group_right(baz) bar)pql", 0,
     R"pql(no grouping allowed for "and" operation)pql"},
    {R"pql(foo or on(bar) group_left(baz) bar)pql", 0,
     R"pql(no grouping allowed for "or" operation)pql"},
    {R"pql(foo or on(bar) group_right(baz) bar)pql", 0,
     R"pql(no grouping allowed for "or" operation)pql"},
    {R"pql(foo unless on(bar) group_left(baz) bar)pql", 0,
     R"pql(no grouping allowed for "unless" operation)pql"},
    {R"pql(foo unless on(bar) group_right(baz) bar)pql", 0,
     R"pql(no grouping allowed for "unless" operation)pql"},
    {R"pql(http_requests{group="production"} + on(instance) group_left(job,instance) cpu_count{type="smp"})pql",
     34, R"pql(label "instance" must not occur in ON and GROUP clause at once)pql"},
    {R"pql(foo + bool bar)pql", 4,
     R"pql(bool modifier can only be used on comparison operators)pql"},
    {R"pql(foo + bool 10)pql", 4,
     R"pql(bool modifier can only be used on comparison operators)pql"},
    {R"pql(foo and bool 10)pql", 4,
     R"pql(bool modifier can only be used on comparison operators)pql"},
    {R"pql(foo)pql", -1, ""},
    {R"pql(min)pql", -1, ""},
    {R"pql(foo offset 5m)pql", -1, ""},
    {R"pql(foo offset -7m)pql", -1, ""},
    {R"pql(foo offset +(5))pql", -1, ""},
    {R"pql(foo offset -(5))pql", -1, ""},
    {R"pql(foo offset (5))pql", -1, ""},
    {R"pql(foo[(5s)])pql", -1, ""},
    {R"pql(http_requests{group="production"} + on(instance) group_left(job,instance) cpu_count{type="smp"})pql",
     34, R"pql(label "instance" must not occur in ON and GROUP clause at once)pql"},
    {R"pql(foo OFFSET 1h30m)pql", -1, ""},
    {R"pql(foo OFFSET 1m30ms)pql", -1, ""},
    {R"pql(foo @ 1603774568)pql", -1, ""},
    {R"pql(foo @ -100)pql", -1, ""},
    {R"pql(foo @ .3)pql", -1, ""},
    {R"pql(foo @ 3.)pql", -1, ""},
    {R"pql(foo @ 3.33)pql", -1, ""},
    {R"pql(foo @ 3e2)pql", -1, ""},
    {R"pql(foo @ 3e-1)pql", -1, ""},
    {R"pql(foo @ 0xA)pql", -1, ""},
    {R"pql(foo @ -3.3e1)pql", -1, ""},
    {R"pql(foo @ +Inf)pql", 0, R"pql(timestamp out of bounds for @ modifier: +Inf)pql"},
    {R"pql(foo @ -Inf)pql", 0, R"pql(timestamp out of bounds for @ modifier: -Inf)pql"},
    {R"pql(foo @ NaN)pql", 0, R"pql(timestamp out of bounds for @ modifier: NaN)pql"},
    {R"pql(foo:bar{a="bc"})pql", -1, ""},
    {R"pql({"foo"})pql", -1, ""},
    {R"pql({'foo\'bar', 'a\\dos\\path'='boo\\urns'})pql", -1, ""},
    {R"pql({'foo\'bar', `a\dos\path`="boo"})pql", -1, ""},
    {R"pql({"foo", a="bc"})pql", -1, ""},
    {R"pql(foo{NaN='bc'})pql", -1, ""},
    {R"pql(foo{bar='}'})pql", -1, ""},
    {R"pql(foo{a="b", foo!="bar", test=~"test", bar!~"baz"})pql", -1, ""},
    {R"pql({a="b", foo!="bar", "foo", test=~"test", bar!~"baz"})pql", -1, ""},
    {R"pql(foo{a="b", foo!="bar", test=~"test", bar!~"baz",})pql", -1, ""},
    {R"pql({__name__=~"bar", __name__!~"baz"})pql", -1, ""},
    {R"pql({__name__="bar", __name__="baz"})pql", -1, ""},
    {R"pql({"bar", __name__="baz"})pql", -1, ""},
    {R"pql({)pql", 1, R"pql(unexpected end of input inside braces)pql"},
    {R"pql(})pql", 0, R"pql(unexpected character: '}')pql"},
    {R"pql(some{)pql", 5, R"pql(unexpected end of input inside braces)pql"},
    {R"pql(some})pql", 4, R"pql(unexpected character: '}')pql"},
    {R"pql(some_metric{a=b})pql", 14,
     R"pql(unexpected identifier "b" in label matching, expected string)pql"},
    {R"pql(some_metric{a:b="b"})pql", 13, R"pql(unexpected character inside braces: ':')pql"},
    {R"pql(foo{a*"b"})pql", 5, R"pql(unexpected character inside braces: '*')pql"},
    {R"pql(foo{a>="b"})pql", 5, R"pql(unexpected character inside braces: '>')pql"},
    {"some_metric{a=\042\377\042}", 14, R"pql(invalid UTF-8 rune)pql"},
    {R"pql(foo{gibberish})pql", 13,
     R"pql(unexpected "}" in label matching, expected label matching operator)pql"},
    {R"pql(foo{1})pql", 4, R"pql(unexpected character inside braces: '1')pql"},
    {R"pql({})pql", 0, R"pql(vector selector must contain at least one non-empty matcher)pql"},
    {R"pql({x=""})pql", 0, R"pql(vector selector must contain at least one non-empty matcher)pql"},
    {R"pql({x=~".*"})pql", 0,
     R"pql(vector selector must contain at least one non-empty matcher)pql"},
    {R"pql({x!~".+"})pql", 0,
     R"pql(vector selector must contain at least one non-empty matcher)pql"},
    {R"pql({x!="a"})pql", 0,
     R"pql(vector selector must contain at least one non-empty matcher)pql"},
    {R"pql(foo{__name__="bar"})pql", 0,
     R"pql(metric name must not be set twice: "foo" or "bar")pql"},
    {R"pql(foo{__name__= =})pql", 14, R"pql(unexpected "=" in label matching, expected string)pql"},
    {R"pql(foo{,})pql", 4, R"pql(unexpected "," in label matching, expected identifier or "}")pql"},
    {R"pql(foo{__name__ == "bar"})pql", 14,
     R"pql(unexpected "=" in label matching, expected string)pql"},
    {R"pql(foo{__name__="bar" lol})pql", 19,
     R"pql(unexpected identifier "lol" in label matching, expected "," or "}")pql"},
    {R"pql(foo{"a"=})pql", 8, R"pql(unexpected "}" in label matching, expected string)pql"},
    {R"pql(test[1000ms])pql", -1, ""},
    {R"pql(test[1001ms])pql", -1, ""},
    {R"pql(test[1002ms])pql", -1, ""},
    {R"pql(test[5s])pql", -1, ""},
    {R"pql(test[5m])pql", -1, ""},
    {R"pql(foo[5m30s])pql", -1, ""},
    {R"pql(test[5h] OFFSET 5m)pql", -1, ""},
    {R"pql(test[5d] OFFSET 10s)pql", -1, ""},
    {R"pql(test[5w] offset 2w)pql", -1, ""},
    {R"pql(test{a="b"}[5y] OFFSET 3d)pql", -1, ""},
    {R"pql(test{a="b"}[5m] OFFSET 3600)pql", -1, ""},
    {R"pql(foo[3ms] @ 2.345)pql", -1, ""},
    {R"pql(foo[4s180ms] @ 2.345)pql", -1, ""},
    {R"pql(foo[4.18] @ 2.345)pql", -1, ""},
    {R"pql(foo[4s18ms] @ 2.345)pql", -1, ""},
    {R"pql(foo[4.018] @ 2.345)pql", -1, ""},
    {R"pql(test{a="b"}[5y] @ 1603774699)pql", -1, ""},
    {R"pql(test[5])pql", -1, ""},
    {R"pql(some_metric[5m] @ 1m)pql", -1, ""},
    {R"pql(foo[5mm])pql", 4, R"pql(bad number or duration syntax: "5mm")pql"},
    {R"pql(foo[5m1])pql", 4, R"pql(bad number or duration syntax: "5m1")pql"},
    {R"pql(foo[5m:1m1])pql", 7, R"pql(bad number or duration syntax: "1m1")pql"},
    {R"pql(foo[5y1hs])pql", 4, R"pql(unknown unit "hs" in duration "5y1hs")pql"},
    {R"pql(foo[5m1h])pql", 4, R"pql(not a valid duration string: "5m1h")pql"},
    {R"pql(foo[5m1m])pql", 4, R"pql(not a valid duration string: "5m1m")pql"},
    {R"pql(foo[0m])pql", 4, R"pql(duration must be greater than 0)pql"},
    {R"pql(foo["5m"])pql", 4, R"pql(unexpected character in duration expression: '"')pql"},
    {R"pql(foo[])pql", 4,
     R"pql(unexpected "]" in subquery or range selector, expected number, duration, step(), or range())pql"},
    {R"pql(foo[-1])pql", 4, R"pql(duration must be greater than 0)pql"},
    {R"pql(some_metric[5m] OFFSET 1mm)pql", 23, R"pql(bad number or duration syntax: "1mm")pql"},
    {R"pql(some_metric[5m] OFFSET)pql", 22,
     R"pql(unexpected end of input in offset, expected number, duration, step(), or range())pql"},
    {R"pql(some_metric OFFSET 1m[5m])pql", 21, R"pql(no offset modifiers allowed before range)pql"},
    {R"pql(some_metric[5m] @)pql", 17, R"pql(unexpected end of input in @, expected timestamp)pql"},
    {R"pql(some_metric @ 1234 [5m])pql", 19, R"pql(no @ modifiers allowed before range)pql"},
    {R"pql(some_metric @ start() [5m])pql", 22, R"pql(no @ modifiers allowed before range)pql"},
    {R"pql(some_metric @ end()[5m])pql", 19, R"pql(no @ modifiers allowed before range)pql"},
    {R"pql(some_metric offset step()[5m])pql", 25,
     R"pql(no offset modifiers allowed before range)pql"},
    {R"pql((foo + bar)[5m])pql", 11, R"pql(ranges only allowed for vector selectors)pql"},
    {R"pql(sum by (foo)(some_metric))pql", -1, ""},
    {R"pql(sum by (anchored)(some_metric))pql", -1, ""},
    {R"pql(sum by (smoothed)(some_metric))pql", -1, ""},
    {R"pql(sum by ("foo bar")({"some.metric"}))pql", -1, ""},
    {R"pql(sum by ("foo)(some_metric{}))pql", 8, R"pql(unterminated quoted string)pql"},
    {R"pql(sum by ("foo", bar, 'baz')({"some.metric"}))pql", -1, ""},
    {R"pql(avg by (foo)(some_metric))pql", -1, ""},
    {R"pql(max by (foo)(some_metric))pql", -1, ""},
    {R"pql(sum without (foo) (some_metric))pql", -1, ""},
    {R"pql(sum (some_metric) without (foo))pql", -1, ""},
    {R"pql(stddev(some_metric))pql", -1, ""},
    {R"pql(stdvar by (foo)(some_metric))pql", -1, ""},
    {R"pql(sum by ()(some_metric))pql", -1, ""},
    {R"pql(sum by (foo,bar,)(some_metric))pql", -1, ""},
    {R"pql(sum by (foo,)(some_metric))pql", -1, ""},
    {R"pql(topk(5, some_metric))pql", -1, ""},
    {R"pql(count_values("value", some_metric))pql", -1, ""},
    {R"pql(sum without(and, by, avg, count, alert, annotations)(some_metric))pql", -1, ""},
    {R"pql(sum without(==)(some_metric))pql", 12,
     R"pql(unexpected <op:==> in grouping opts, expected label)pql"},
    {R"pql(sum without(,)(some_metric))pql", 12,
     R"pql(unexpected "," in grouping opts, expected label)pql"},
    {R"pql(sum without(foo,,)(some_metric))pql", 16,
     R"pql(unexpected "," in grouping opts, expected label)pql"},
    {R"pql(sum some_metric by (test))pql", 4, R"pql(unexpected identifier "some_metric")pql"},
    {R"pql(sum (some_metric) by test)pql", 21,
     R"pql(unexpected identifier "test" in grouping opts, expected "(")pql"},
    {R"pql(sum () by (test))pql", 0, R"pql(no arguments for aggregate expression provided)pql"},
    {R"pql(MIN keep_common (some_metric))pql", 4, R"pql(unexpected identifier "keep_common")pql"},
    {R"pql(MIN (some_metric) keep_common)pql", 18, R"pql(unexpected identifier "keep_common")pql"},
    {R"pql(sum (some_metric) without (test) by (test))pql", 33, R"pql(unexpected <by>)pql"},
    {R"pql(sum without (test) (some_metric) by (test))pql", 33, R"pql(unexpected <by>)pql"},
    {R"pql(topk(some_metric))pql", 0,
     R"pql(wrong number of arguments for aggregate expression provided, expected 2, got 1)pql"},
    {R"pql(topk(some_metric,))pql", 16,
     R"pql(trailing commas not allowed in function call args)pql"},
    {R"pql(topk(some_metric, other_metric))pql", 5,
     R"pql(expected type scalar in aggregation parameter, got instant vector)pql"},
    {R"pql(count_values(5, other_metric))pql", 13,
     R"pql(expected type string in aggregation parameter, got scalar)pql"},
    {R"pql(rate(some_metric[5m]) @ 1234)pql", 0,
     R"pql(@ modifier must be preceded by an instant vector selector or range vector selector or a subquery)pql"},
    {R"pql(time())pql", -1, ""},
    {R"pql(floor(some_metric{foo!="bar"}))pql", -1, ""},
    {R"pql(rate(some_metric[5m]))pql", -1, ""},
    {R"pql(round(some_metric))pql", -1, ""},
    {R"pql(round(some_metric, 5))pql", -1, ""},
    {R"pql(floor())pql", 0, R"pql(expected 1 argument(s) in call to "floor", got 0)pql"},
    {R"pql(floor(some_metric, other_metric))pql", 0,
     R"pql(expected 1 argument(s) in call to "floor", got 2)pql"},
    {R"pql(floor(some_metric, 1))pql", 0,
     R"pql(expected 1 argument(s) in call to "floor", got 2)pql"},
    {R"pql(floor(1))pql", 6,
     R"pql(expected type instant vector in call to function "floor", got scalar)pql"},
    {R"pql(hour(some_metric, some_metric, some_metric))pql", 0,
     R"pql(expected at most 1 argument(s) in call to "hour", got 3)pql"},
    {R"pql(time(some_metric))pql", 0, R"pql(expected 0 argument(s) in call to "time", got 1)pql"},
    {R"pql(non_existent_function_far_bar())pql", 0,
     R"pql(unknown function with name "non_existent_function_far_bar")pql"},
    {R"pql(rate(some_metric))pql", 5,
     R"pql(expected type range vector in call to function "rate", got instant vector)pql"},
    {"label_replace(a, `b`, `c\377`, `d`, `.*`)", 22, R"pql(invalid UTF-8 rune)pql"},
    {R"pql(*1)pql", 0, R"pql(unexpected <op:*>)pql"},
    {R"pql(-=)pql", 1, R"pql(unexpected "=")pql"},
    {R"pql(++-++-+-+-<)pql", 10, R"pql(unexpected <op:<>)pql"},
    {R"pql(e-+=/(0))pql", 3, R"pql(unexpected "=")pql"},
    {R"pql(a>b())pql", 2, R"pql(unknown function with name "b")pql"},
    {R"pql(rate(avg))pql", 5,
     R"pql(expected type range vector in call to function "rate", got instant vector)pql"},
    {R"pql(sum(sum))pql", -1, ""},
    {R"pql(a + sum)pql", -1, ""},
    {R"pql("double-quoted string \" with escaped quote")pql", -1, ""},
    {R"pql('single-quoted string \' with escaped quote')pql", -1, ""},
    {R"pql(`backtick-quoted string`)pql", -1, ""},
    {R"pql("\a\b\f\n\r\t\v\\\" - \xFF\377\u1234\U00010111\U0001011111☺")pql", -1, ""},
    {R"pql('\a\b\f\n\r\t\v\\\' - \xFF\377\u1234\U00010111\U0001011111☺')pql", -1, ""},
    {R"pql(`\a\b\f\n\r\t\v\\\"\' - \xFF\377\u1234\U00010111\U0001011111☺`)pql", -1, ""},
    {R"pql(`\``)pql", 3, R"pql(unterminated raw string)pql"},
    {R"pql("\)pql", 0, R"pql(escape sequence not terminated)pql"},
    {R"pql("\c")pql", 0, R"pql(unknown escape sequence U+0063 'c')pql"},
    {R"pql("\x.")pql", 0, R"pql(illegal character U+002E '.' in escape sequence)pql"},
    {R"pql(foo{bar="baz"}[)pql", 15, R"pql(unexpected end of input in duration expression)pql"},
    {R"pql(foo{bar="baz"}[10m:6s])pql", -1, ""},
    {R"pql(foo{bar="baz"}[10m5s:1h6ms])pql", -1, ""},
    {R"pql(foo[10m:])pql", -1, ""},
    {R"pql(min_over_time(rate(foo{bar="baz"}[2s])[5m:5s]))pql", -1, ""},
    {R"pql(min_over_time(rate(foo{bar="baz"}[2s])[5m:])[4m:3s])pql", -1, ""},
    {R"pql(min_over_time(rate(foo{bar="baz"}[2s])[5m:] offset 4m)[4m:3s])pql", -1, ""},
    {R"pql(min_over_time(rate(foo{bar="baz"}[2s])[5m:] @ 1603775091)[4m:3s])pql", -1, ""},
    {R"pql(min_over_time(rate(foo{bar="baz"}[2s])[5m:] @ -160377509)[4m:3s])pql", -1, ""},
    {R"pql(sum without(and, by, avg, count, alert, annotations)(some_metric) [30m:10s])pql", -1,
     ""},
    {R"pql(some_metric OFFSET 1m [10m:5s])pql", -1, ""},
    {R"pql(some_metric @ 123 [10m:5s])pql", -1, ""},
    {R"pql(some_metric @ 123 offset 1m [10m:5s])pql", -1, ""},
    {R"pql(some_metric offset 1m @ 123 [10m:5s])pql", -1, ""},
    {R"pql(some_metric[10m:5s] offset 1m @ 123)pql", -1, ""},
    {R"pql((foo + bar{nm="val"})[5m:])pql", -1, ""},
    {R"pql((foo + bar{nm="val"})[5m:] offset 10m)pql", -1, ""},
    {R"pql((foo + bar{nm="val"} @ 1234)[5m:] @ 1603775019)pql", -1, ""},
    {R"pql(test[5d] OFFSET 10s [10m:5s])pql", 0,
     R"pql(subquery is only allowed on instant vector, got matrix instead)pql"},
    {R"pql((foo + bar{nm="val"})[5m:][10m:5s])pql", 0,
     R"pql(subquery is only allowed on instant vector, got matrix instead)pql"},
    {R"pql(rate(food[1m])[1h] offset 1h)pql", 14,
     R"pql(ranges only allowed for vector selectors)pql"},
    {R"pql(rate(food[1m])[1h] @ 100)pql", 14, R"pql(ranges only allowed for vector selectors)pql"},
    {R"pql(foo @ start())pql", -1, ""},
    {R"pql(foo @ end())pql", -1, ""},
    {R"pql(test[5y] @ start())pql", -1, ""},
    {R"pql(test[5y] @ end())pql", -1, ""},
    {R"pql(foo[10m:6s] @ start())pql", -1, ""},
    {R"pql(foo[10m:6s] @ end())pql", -1, ""},
    {R"pql(start())pql", -1, ""},
    {R"pql(end())pql", -1, ""},
    {R"pql(start)pql", -1, ""},
    {R"pql(end)pql", -1, ""},
    {R"pql(start{end="foo"})pql", -1, ""},
    {R"pql(end{start="foo"})pql", -1, ""},
    {R"pql(foo unless on(start) bar)pql", -1, ""},
    {R"pql(foo unless on(end) bar)pql", -1, ""},
    {R"pql(info(rate(http_request_counter_total{}[5m])))pql", -1, ""},
    {R"pql(info(rate(http_request_counter_total{}[5m]), target_info{foo="bar"}))pql", 45,
     R"pql(expected label selectors only, got vector selector instead)pql"},
    {R"pql(info(http_request_counter_total{namespace="zzz"}, {foo="bar", bar="baz"}))pql", -1, ""},
    {R"pql(info(http_request_counter_total{namespace="zzz"}, {foo="bar"} == 1))pql", 50,
     R"pql(expected label selectors only)pql"},
    {R"pql(foo[11s+10s-5*2^2])pql", -1, ""},
    {R"pql(foo[-(10s-5s)+20s])pql", -1, ""},
    {R"pql(foo[-10s+15s])pql", -1, ""},
    {R"pql(foo[step()])pql", -1, ""},
    {R"pql(foo[  -  step  (  )  ])pql", -1, ""},
    {R"pql(foo[   step  (  )  ])pql", -1, ""},
    {R"pql(foo[-step()])pql", -1, ""},
    {R"pql(foo offset step())pql", -1, ""},
    {R"pql(foo offset -step())pql", -1, ""},
    {R"pql(foo[max_of(step(),5s)])pql", -1, ""},
    {R"pql(foo offset max_of(step(),5s))pql", -1, ""},
    {R"pql(foo offset -min_of(5s,step()+8s))pql", -1, ""},
    {R"pql(foo[range()])pql", -1, ""},
    {R"pql(foo[2m/range()])pql", -1, ""},
    {R"pql(foo[-range()])pql", -1, ""},
    {R"pql(foo offset range())pql", -1, ""},
    {R"pql(foo offset -range())pql", -1, ""},
    {R"pql(foo[max_of(range(),5s)])pql", -1, ""},
    {R"pql(foo[4s+4s:1s*2] offset (5s-8))pql", -1, ""},
    {R"pql(foo offset 5s-8)pql", -1, ""},
    {R"pql(rate(foo[2m+2m]))pql", -1, ""},
    {R"pql(foo offset -1^1)pql", -1, ""},
    {R"pql(foo offset -(1^2))pql", -1, ""},
    {R"pql(foo offset (-1^2))pql", -1, ""},
    {R"pql(foo[-2^2])pql", -1, ""},
    {R"pql(foo[0+-2^2])pql", -1, ""},
    {R"pql(foo[step])pql", 8,
     R"pql(unexpected "]" in subquery or range selector, expected number, duration, step(), or range())pql"},
    {R"pql(foo[step()/0d])pql", 10, R"pql(division by zero)pql"},
    {R"pql(foo[5s/0d])pql", 6, R"pql(division by zero)pql"},
    {R"pql(foo offset (4d/0))pql", 14, R"pql(division by zero)pql"},
    {R"pql(foo[5s%0d])pql", 6, R"pql(modulo by zero)pql"},
    {R"pql(foo offset 9.5e10)pql", 11, R"pql(duration out of range)pql"},
    {R"pql(foo[9.5e10])pql", 4, R"pql(duration out of range)pql"},
    {R"pql((sum(foo)))pql", -1, ""},
    {R"pql((sum(foo) ))pql", -1, ""},
    {R"pql((sum(foo) by (bar)))pql", -1, ""},
    {R"pql((sum by (bar) (foo)))pql", -1, ""},
    {R"pql(sum by (job)(rate(http_requests_total[30m])))pql", -1, ""},
    {R"pql(sum()pql", 4, R"pql(unclosed left parenthesis)pql"},
    {R"pql(sum(rate()pql", 9, R"pql(unclosed left parenthesis)pql"},
    {R"pql(foo[5s x 5s])pql", 7, R"pql(unexpected character: 'x', expected ':')pql"},
    {R"pql(foo[5s s 5s])pql", 7, R"pql(unexpected character: 's', expected ':')pql"},
    {R"pql(1[5m] smoothed)pql", 1, R"pql(ranges only allowed for vector selectors)pql"},
    {R"pql(1[5m] anchored)pql", 1, R"pql(ranges only allowed for vector selectors)pql"},
};

// Precedence and associativity, checked on the tree (the printer does not add parentheses).
TEST(ParseTest, PrecedenceAndAssociativity) {
  const struct {
    std::string_view in;
    std::string_view tree;
  } cases[] = {
      {"1 + 2 * 3", "(+ 1 (* 2 3))"},
      {"1 * 2 + 3", "(+ (* 1 2) 3)"},
      {"1 - 2 - 3", "(- (- 1 2) 3)"},
      {"1 / 2 / 3", "(/ (/ 1 2) 3)"},
      {"2 ^ 3 ^ 2", "(^ 2 (^ 3 2))"},
      {"2 * 3 ^ 2", "(* 2 (^ 3 2))"},
      {"2 ^ 3 * 2", "(* (^ 2 3) 2)"},
      {"-1 ^ 2", "(neg (^ 1 2))"},
      {"-1 * 2", "(* -1 2)"},
      {"-a * b", "(* (neg a) b)"},
      {"-a ^ b", "(neg (^ a b))"},
      {"- -a", "(neg (neg a))"},
      {"2 ^ -1 ^ 2", "(^ 2 (neg (^ 1 2)))"},
      {"2 ^ -1 + 1", "(+ (^ 2 -1) 1)"},
      {"1 + -2 * 3", "(+ 1 (* -2 3))"},
      {"a % b atan2 c", "(atan2 (% a b) c)"},
      {"a + b == c - d", "(== (+ a b) (- c d))"},
      {"a > b > c", "(> (> a b) c)"},
      {"a == bool b + c", "(== a (+ b c))"},
      {"a and b or c", "(or (and a b) c)"},
      {"a or b and c", "(or a (and b c))"},
      {"a unless b and c", "(and (unless a b) c)"},
      {"a or b unless c", "(or a (unless b c))"},
      {"a and b == c", "(and a (== b c))"},
      {"a < b or c > d", "(or (< a b) (> c d))"},
      {"a </ b + c", "(</ a (+ b c))"},
      {"-a offset 5m", "(neg a offset 5m)"},
      {"a + b offset 5m", "(+ a b offset 5m)"},
      {"a + b @ 10", "(+ a b @ 10.000)"},
      {"(a + b)[5m:]", "(subquery (paren (+ a b)))"},
      {"a + b offset 1m", "(+ a b offset 1m)"},
      {"foo offset 5s - 8", "(- foo offset 5s 8)"},
      {"foo offset -1 ^ 2", "(^ foo offset -1s 2)"},
      {"(a + b) * c", "(* (paren (+ a b)) c)"},
      {"sum(a) by (x) + 1", "(+ (sum a) 1)"},
      {"rate(a[5m]) * 2", "(* (rate a[5m]) 2)"},
      {"topk(1 + 2, a)", "(topk (+ 1 2) a)"},
      {"foo[5m+1m*2]", "foo[5m + 1m * 2]"},
      {"1 + 2 + 3 + 4", "(+ (+ (+ 1 2) 3) 4)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    auto r = ParseExpr(c.in, All());
    ASSERT_TRUE(r) << Err(r);
    EXPECT_EQ(Tree(**r), c.tree);
  }
  // Duration expression structure.
  auto r = ParseExpr("foo[-2^2 + 1m * (3 - 1)]", All());
  ASSERT_TRUE(r) << Err(r);
  const auto& ms = (*r)->As<MatrixSelector>();
  ASSERT_NE(ms.range_expr, nullptr);
  EXPECT_EQ(Tree(*ms.range_expr), "(dur (dur (dur 2 2)) (dur 1m (dur 3 1)))");
  EXPECT_EQ(ms.range_expr->op, DurationExpr::Op::kAdd);
}

TEST(ParseTest, NodeFieldsAndPositions) {
  {
    auto r = ParseExpr(R"(foo{a="b"} offset 5m @ 100)", All());
    ASSERT_TRUE(r) << Err(r);
    const auto& vs = (*r)->As<VectorSelector>();
    EXPECT_EQ(vs.name, "foo");
    ASSERT_EQ(vs.matchers.size(), 2u);
    EXPECT_EQ(vs.matchers[0].name(), "a");
    EXPECT_EQ(vs.matchers[1].name(), "__name__");  // the implicit name matcher comes last
    EXPECT_EQ(vs.matchers[1].value(), "foo");
    EXPECT_EQ(vs.original_offset_ms, 300000);
    EXPECT_EQ(vs.timestamp_ms, 100000);
    EXPECT_EQ(vs.pos, (PositionRange{0, 26}));
    EXPECT_EQ(vs.Type(), ValueType::kVector);
  }
  {
    auto r = ParseExpr("rate(foo[5m] offset -1m)", All());
    ASSERT_TRUE(r) << Err(r);
    const auto& c = (*r)->As<Call>();
    EXPECT_EQ(c.func, LookupFunction("rate"));
    EXPECT_EQ(c.pos, (PositionRange{0, 24}));
    EXPECT_EQ(c.Type(), ValueType::kVector);
    const auto& ms = c.args[0]->As<MatrixSelector>();
    EXPECT_EQ(ms.range_ms, 300000);
    EXPECT_EQ(ms.vector_selector->original_offset_ms, -60000);
    EXPECT_EQ(ms.Range(), (PositionRange{5, 23}));
    EXPECT_EQ(ms.Type(), ValueType::kMatrix);
  }
  {
    auto r = ParseExpr("foo[30m:1m] @ end() offset 2m", All());
    ASSERT_TRUE(r) << Err(r);
    const auto& sq = (*r)->As<SubqueryExpr>();
    EXPECT_EQ(sq.range_ms, 1800000);
    EXPECT_EQ(sq.step_ms, 60000);
    EXPECT_EQ(sq.start_or_end, AtModifier::kEnd);
    EXPECT_FALSE(sq.timestamp_ms.has_value());
    EXPECT_EQ(sq.original_offset_ms, 120000);
    EXPECT_EQ(sq.Range(), (PositionRange{0, 29}));
  }
  {
    auto r = ParseExpr("foo[30m:]", All());
    ASSERT_TRUE(r) << Err(r);
    EXPECT_EQ((*r)->As<SubqueryExpr>().step_ms, 0);
  }
  {
    auto r = ParseExpr("a + on(x, y) group_right(z) fill_left(1) b", All());
    ASSERT_TRUE(r) << Err(r);
    const auto& b = (*r)->As<BinaryExpr>();
    ASSERT_TRUE(b.matching.has_value());
    EXPECT_EQ(b.matching->card, VectorMatchCardinality::kOneToMany);
    EXPECT_TRUE(b.matching->on);
    EXPECT_EQ(b.matching->matching_labels, (std::vector<std::string>{"x", "y"}));
    EXPECT_EQ(b.matching->include, (std::vector<std::string>{"z"}));
    EXPECT_EQ(b.matching->fill_lhs, 1.0);
    EXPECT_FALSE(b.matching->fill_rhs.has_value());
  }
  {
    // Set operators are many-to-many; scalar operands have no matching.
    auto r = ParseExpr("a and b", All());
    ASSERT_TRUE(r) << Err(r);
    EXPECT_EQ((*r)->As<BinaryExpr>().matching->card, VectorMatchCardinality::kManyToMany);
    auto s = ParseExpr("a * 2", All());
    ASSERT_TRUE(s) << Err(s);
    EXPECT_FALSE((*s)->As<BinaryExpr>().matching.has_value());
    EXPECT_EQ((*s)->Type(), ValueType::kVector);
    auto t = ParseExpr("1 > bool 2", All());
    ASSERT_TRUE(t) << Err(t);
    EXPECT_TRUE((*t)->As<BinaryExpr>().return_bool);
    EXPECT_EQ((*t)->Type(), ValueType::kScalar);
  }
  {
    auto r = ParseExpr("sum without (a, b) (foo)", All());
    ASSERT_TRUE(r) << Err(r);
    const auto& a = (*r)->As<AggregateExpr>();
    EXPECT_EQ(a.op, AggregateOp::kSum);
    EXPECT_TRUE(a.without);
    EXPECT_EQ(a.grouping, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(a.param, nullptr);
    EXPECT_EQ(a.pos, (PositionRange{0, 24}));
  }
  {
    auto r = ParseExpr("count_values(\"v\", foo) by (x)", All());
    ASSERT_TRUE(r) << Err(r);
    const auto& a = (*r)->As<AggregateExpr>();
    EXPECT_EQ(a.param->As<StringLiteral>().val, "v");
    EXPECT_EQ(a.pos, (PositionRange{0, 29}));
  }
  {
    auto r = ParseExpr("-1.5", All());
    ASSERT_TRUE(r) << Err(r);
    EXPECT_EQ((*r)->As<NumberLiteral>().val, -1.5);
    EXPECT_EQ((*r)->Range(), (PositionRange{0, 4}));
    auto d = ParseExpr("1h", All());
    ASSERT_TRUE(d) << Err(d);
    EXPECT_EQ((*d)->As<NumberLiteral>().val, 3600);
    EXPECT_TRUE((*d)->As<NumberLiteral>().duration);
  }
  {
    auto r = ParseExpr("foo[5m+step()] offset (1m*2)", All());
    ASSERT_TRUE(r) << Err(r);
    const auto& ms = (*r)->As<MatrixSelector>();
    ASSERT_NE(ms.range_expr, nullptr);
    EXPECT_EQ(ms.range_ms, 0);
    ASSERT_NE(ms.vector_selector->original_offset_expr, nullptr);
    EXPECT_TRUE(ms.vector_selector->original_offset_expr->wrapped);
  }
  {
    auto r = ParseExpr("foo anchored", All());
    ASSERT_TRUE(r) << Err(r);
    EXPECT_TRUE((*r)->As<VectorSelector>().anchored);
    auto s = ParseExpr("foo[1m] smoothed", All());
    ASSERT_TRUE(s) << Err(s);
    EXPECT_TRUE((*s)->As<MatrixSelector>().vector_selector->smoothed);
  }
  {
    auto r = ParseExpr(R"(info(foo, {a="b"}))", All());
    ASSERT_TRUE(r) << Err(r);
    EXPECT_TRUE((*r)->As<Call>().args[1]->As<VectorSelector>().bypass_empty_matcher_check);
  }
}

TEST(ParseTest, StringLiteralValues) {
  const struct {
    std::string_view in;
    std::string_view val;
  } cases[] = {
      {R"("a\nb")", "a\nb"},
      {R"('a\nb')", "a\nb"},
      {R"(`a\nb`)", "a\\nb"},
      {R"("\x41\102\u00e4\U0001F600")", "AB\xc3\xa4\xf0\x9f\x98\x80"},
      {R"("\xff\000")", std::string_view("\xff\0", 2)},
      {R"('"')", "\""},
      {R"("'")", "'"},
      {"`multi\nline`", "multi\nline"},
      {R"("")", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    auto r = ParseExpr(c.in, All());
    ASSERT_TRUE(r) << Err(r);
    EXPECT_EQ((*r)->As<StringLiteral>().val, c.val);
    EXPECT_EQ((*r)->Type(), ValueType::kString);
  }
}

TEST(ParseTest, AstHelpers) {
  auto r = ParseExpr(
      R"(sum by (a) (rate(foo{x="1"}[5m])) / on (a) group_left count(bar{y=~"2|3"} offset 1m) > bool 0)",
      All());
  ASSERT_TRUE(r) << Err(r);
  const Expr& root = **r;
  // Clone is deep and prints identically.
  ExprPtr copy = root.Clone();
  EXPECT_EQ(ToString(*copy), ToString(root));
  EXPECT_NE(copy.get(), &root);
  // Walk order and paths.
  std::vector<std::string> kinds;
  size_t max_path = 0;
  Inspect(root, [&](const Expr& e, const std::vector<const Expr*>& path) {
    kinds.push_back(std::to_string(static_cast<int>(e.kind())));
    max_path = std::max(max_path, path.size());
    return true;
  });
  EXPECT_EQ(kinds.size(), 9u);  // >, /, sum, rate, matrix, vs, count, vs, 0
  EXPECT_EQ(max_path, 5u);
  auto sels = ExtractSelectors(root);
  ASSERT_EQ(sels.size(), 2u);
  EXPECT_EQ(sels[0].size(), 2u);
  EXPECT_EQ(sels[0][0].name(), "x");
  EXPECT_EQ(sels[1][0].name(), "y");
  EXPECT_EQ(sels[1][0].SetMatches(), (std::vector<std::string>{"2", "3"}));
  // Children of a binary expression are its operands, in order.
  auto kids = Children(root);
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(kids[0]->kind(), NodeKind::kBinary);
  EXPECT_EQ(kids[1]->kind(), NodeKind::kNumberLiteral);
  // Skipping children.
  int visited = 0;
  Inspect(root, [&](const Expr&, const std::vector<const Expr*>&) {
    visited++;
    return false;
  });
  EXPECT_EQ(visited, 1);
  // StepInvariantExpr wraps without changing type or text.
  ExprPtr wrapped = std::make_unique<StepInvariantExpr>(root.Clone());
  EXPECT_EQ(wrapped->Type(), root.Type());
  EXPECT_EQ(ToString(*wrapped), ToString(root));
  EXPECT_EQ(UnwrapParens(wrapped.get())->kind(), NodeKind::kBinary);
  // DynCast checks the kind.
  EXPECT_EQ(DynCast<Call>(&root), nullptr);
  EXPECT_NE(DynCast<BinaryExpr>(&root), nullptr);
}

TEST(ParseTest, FunctionTable) {
  const auto& all = AllFunctions();
  EXPECT_GE(all.size(), 90u);
  for (size_t i = 1; i < all.size(); i++) EXPECT_LT(all[i - 1]->name, all[i]->name);
  for (const Function* f : all) EXPECT_EQ(LookupFunction(f->name), f);
  EXPECT_EQ(LookupFunction("holt_winters"), nullptr);
  EXPECT_EQ(LookupFunction(""), nullptr);
  const Function* rate = LookupFunction("rate");
  ASSERT_NE(rate, nullptr);
  EXPECT_EQ(rate->arg_types, (std::vector<ValueType>{ValueType::kMatrix}));
  EXPECT_EQ(rate->return_type, ValueType::kVector);
  EXPECT_FALSE(rate->experimental);
  EXPECT_EQ(LookupFunction("label_join")->variadic, -1);
  EXPECT_EQ(LookupFunction("round")->variadic, 1);
  EXPECT_EQ(LookupFunction("scalar")->return_type, ValueType::kScalar);
  EXPECT_TRUE(LookupFunction("sort_by_label")->experimental);
  EXPECT_TRUE(LookupFunction("double_exponential_smoothing")->experimental);
  EXPECT_FALSE(LookupFunction("histogram_quantile")->experimental);
}

TEST(ParseTest, MetricSelector) {
  auto m = ParseMetricSelector(R"(up{job="api", instance=~"a.*"})");
  ASSERT_TRUE(m) << m.error().ToString();
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0].name(), "job");
  EXPECT_EQ((*m)[1].type(), MatchType::kRegexMatch);
  EXPECT_EQ((*m)[2].name(), "__name__");
  EXPECT_EQ((*m)[2].value(), "up");

  auto q = ParseMetricSelector(R"({"my.metric", "a.b"="c"})");
  ASSERT_TRUE(q) << q.error().ToString();
  ASSERT_EQ(q->size(), 2u);
  EXPECT_EQ((*q)[0].name(), "__name__");
  EXPECT_EQ((*q)[0].value(), "my.metric");

  // As in Prometheus, the selector form does no emptiness check (the API does).
  auto e = ParseMetricSelector("{}");
  ASSERT_TRUE(e) << e.error().ToString();
  EXPECT_TRUE(e->empty());

  EXPECT_TRUE(ParseMetricSelector("sum"));
  for (std::string_view bad :
       {"up[5m]", "up offset 5m", "rate(up[5m])", "1", "up + up", "", "up{", R"(up{a=~"("})"}) {
    auto r = ParseMetricSelector(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_TRUE(r.error().IsInvalidArgument());
    }
  }
  EXPECT_EQ(ParseMetricSelector("up[5m]").error().message(), "1:3: parse error: unexpected \"[\"");
}

TEST(ParseTest, Metric) {
  auto m = ParseMetric(R"(http_requests{job="api", "a.b"='x',})");
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_EQ(m->Get("__name__"), "http_requests");
  EXPECT_EQ(m->Get("job"), "api");
  EXPECT_EQ(m->Get("a.b"), "x");
  EXPECT_EQ(m->size(), 3u);
  auto n = ParseMetric(R"({__name__="x", a="b"})");
  ASSERT_TRUE(n) << n.error().ToString();
  EXPECT_EQ(n->MetricName(), "x");
  auto bare = ParseMetric("foo");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->size(), 1u);
  auto empty = ParseMetric("{}");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  for (std::string_view bad : {R"(foo{a!="b"})", R"(foo{a})", "foo bar", "", R"(foo{a="b")"}) {
    EXPECT_FALSE(ParseMetric(bad)) << bad;
  }
  EXPECT_EQ(ParseMetric(R"(foo{a=~"b"})").error().message(),
            "1:6: parse error: unexpected <op:=~> in label set, expected \"=\"");
}

// Hostile nesting is an error, not a stack overflow.
TEST(ParseTest, NestingDepthIsLimited) {
  ParseOptions o = All();
  o.max_depth = 200;
  auto nest = [](int n, std::string_view open, std::string_view mid, std::string_view close) {
    std::string s;
    for (int i = 0; i < n; i++) s += open;
    s += mid;
    for (int i = 0; i < n; i++) s += close;
    return s;
  };
  EXPECT_TRUE(ParseExpr(nest(50, "(", "1", ")"), o));
  EXPECT_TRUE(ParseExpr(nest(50, "abs(", "foo", ")"), o));
  const std::string deep[] = {
      nest(100000, "(", "1", ")"),
      nest(100000, "abs(", "foo", ")"),
      nest(100000, "sum(", "foo", ")"),
      nest(100000, "-", "foo", ""),
      nest(100000, "-(", "foo", ")"),
      [] {
        std::string s = "1";
        for (int i = 0; i < 100000; i++) s += "+1";
        return s;
      }(),
      [] {
        std::string s = "2";
        for (int i = 0; i < 100000; i++) s += "^2";
        return s;
      }(),
      [] {
        std::string s = "foo";
        for (int i = 0; i < 1000; i++) s += "[1m:]";
        return s;
      }(),
      "foo[" + nest(100000, "(", "1m", ")") + "]",
      [] {
        std::string s = "foo[1m";
        for (int i = 0; i < 100000; i++) s += "+1m";
        return s + "]";
      }(),
      "foo offset " + nest(100000, "(", "1m", ")"),
      "(" +
          [] {
            std::string s;
            for (int i = 0; i < 10000; i++) s += "-{}-1";
            return s;
          }() +
          ")",
  };
  for (const std::string& s : deep) {
    auto r = ParseExpr(s, o);
    ASSERT_FALSE(r) << s.substr(0, 40);
    EXPECT_NE(r.error().message().find("expression nesting too deep (more than 200 levels)"),
              std::string_view::npos)
        << r.error().message();
  }
  // The default limit (1000) accepts deep queries, and everything that walks the tree
  // (type check, printer, clone, destructor) copes with that depth.
  for (const std::string& q :
       {nest(990, "(", "1", ")"), nest(990, "abs(", "foo", ")"), nest(490, "-(", "foo", ")")}) {
    auto r = ParseExpr(q);
    ASSERT_TRUE(r) << Err(r);
    EXPECT_EQ(ToString(*(*r)->Clone()), ToString(**r));
  }
  // Prettify's output grows quadratically with depth (one indented line per level).
  auto pretty = ParseExpr(nest(300, "abs(", "foo", ")"));
  ASSERT_TRUE(pretty) << Err(pretty);
  EXPECT_FALSE(Prettify(**pretty).empty());
  EXPECT_FALSE(ParseExpr(nest(1001, "(", "1", ")")));
}

// Each valid expression of Prometheus' parse_test.go parses and round-trips; each invalid one
// fails with Prometheus' first error message at the same position.
TEST(ParseTest, PrometheusParseTestCases) {
  int valid = 0, invalid = 0;
  for (const auto& c : kPromParseCases) {
    SCOPED_TRACE(c.in);
    auto r = ParseExpr(c.in, PromTestOptions());
    if (c.err_pos < 0) {
      valid++;
      ASSERT_TRUE(r) << Err(r);
      std::string printed = ToString(**r);
      auto again = ParseExpr(printed, PromTestOptions());
      ASSERT_TRUE(again) << printed << ": " << Err(again);
      EXPECT_EQ(ToString(**again), printed);
      EXPECT_EQ(Tree(**again), Tree(**r));
    } else {
      invalid++;
      ASSERT_FALSE(r) << "parsed as " << ToString(**r);
      EXPECT_EQ(r.error().message(),
                PositionString(c.in, c.err_pos) + ": parse error: " + std::string(c.err));
    }
  }
  EXPECT_GT(valid, 150);
  EXPECT_GT(invalid, 100);
}

}  // namespace
}  // namespace vigil::promql::parser
