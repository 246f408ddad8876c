// Lexer tests: token kinds, texts and positions for inputs that exercise each lexer state.
#include "promql/parser/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace vigil::promql::parser {
namespace {

// "KIND:text@pos" for each token up to and including EOF or the error (as "ERR:message@pos").
std::string Lex(std::string_view in) {
  Lexer l(in);
  std::string out;
  for (int i = 0; i < 1000; i++) {
    Token t = l.Next();
    if (!out.empty()) out += ' ';
    if (t.type == TokenType::kError) {
      out += "ERR:" + l.error() + "@" + std::to_string(t.pos);
      break;
    }
    if (t.type == TokenType::kEOF) {
      out += "EOF@" + std::to_string(t.pos);
      break;
    }
    out += DescribeToken(t) + "@" + std::to_string(t.pos);
  }
  return out;
}

TEST(LexerTest, Tokens) {
  const struct {
    std::string_view in;
    std::string_view want;
  } cases[] = {
      {"", "EOF@0"},
      {",", "\",\"@0 EOF@1"},
      {"()", "\"(\"@0 \")\"@1 EOF@2"},
      {"{}", "\"{\"@0 \"}\"@1 EOF@2"},
      {"[5m]", "\"[\"@0 duration \"5m\"@1 \"]\"@3 EOF@4"},
      {"[ 5m]", "\"[\"@0 duration \"5m\"@2 \"]\"@4 EOF@5"},
      {"[  5m]", "\"[\"@0 duration \"5m\"@3 \"]\"@5 EOF@6"},
      {"[5m :  1m]", "\"[\"@0 duration \"5m\"@1 \":\"@4 duration \"1m\"@7 \"]\"@9 EOF@10"},
      {"\r\n\r", "EOF@3"},
      {"1", "number \"1\"@0 EOF@1"},
      {"4.23", "number \"4.23\"@0 EOF@4"},
      {".3", "number \".3\"@0 EOF@2"},
      {"5.", "number \"5.\"@0 EOF@2"},
      {"NaN nAN Inf iNf",
       "number \"NaN\"@0 number \"nAN\"@4 number \"Inf\"@8 number \"iNf\"@12 EOF@15"},
      {"0x123", "number \"0x123\"@0 EOF@5"},
      {"0x1e5", "number \"0x1e5\"@0 EOF@5"},
      {"1_000", "number \"1_000\"@0 EOF@5"},
      {"1e-5", "number \"1e-5\"@0 EOF@4"},
      {"1.5e+5", "number \"1.5e+5\"@0 EOF@6"},
      {"5s", "duration \"5s\"@0 EOF@2"},
      {"123m", "duration \"123m\"@0 EOF@4"},
      {"1h30m", "duration \"1h30m\"@0 EOF@5"},
      {"5ms", "duration \"5ms\"@0 EOF@3"},
      {"1y2w3d4h5m6s7ms", "duration \"1y2w3d4h5m\"...@0 EOF@15"},
      {"\"test\\tsequence\"", "string \"\\\"test\\\\tseq\"...@0 EOF@16"},
      {"'a'", "string \"'a'\"@0 EOF@3"},
      {"`a\nb`", "string \"`a\\nb`\"@0 EOF@5"},
      {"foo", "identifier \"foo\"@0 EOF@3"},
      {"a:bc", "metric identifier \"a:bc\"@0 EOF@4"},
      {":bc", "metric identifier \":bc\"@0 EOF@3"},
      {"a:b:c", "metric identifier \"a:b:c\"@0 EOF@5"},
      {"abc d", "identifier \"abc\"@0 identifier \"d\"@4 EOF@5"},
      {"# comment", "comment \"# comment\"@0 EOF@9"},
      {"5 # comment", "number \"5\"@0 comment \"# comment\"@2 EOF@11"},
      {"=", "\"=\"@0 EOF@1"},
      {"==", "<op:==>@0 EOF@2"},
      {"!=", "<op:!=>@0 EOF@2"},
      {"<", "<op:<>@0 EOF@1"},
      {">", "<op:>>@0 EOF@1"},
      {">=", "<op:>=>@0 EOF@2"},
      {"<=", "<op:<=>@0 EOF@2"},
      {"</", "<op:</>@0 EOF@2"},
      {">/", "<op:>/>@0 EOF@2"},
      {"+ - * / % ^ @", "<op:+>@0 <op:->@2 <op:*>@4 <op:/>@6 <op:%>@8 <op:^>@10 <op:@>@12 EOF@13"},
      {"and or unless atan2", "<op:and>@0 <op:or>@4 <op:unless>@7 <op:atan2>@14 EOF@19"},
      {"sum AVG limit_ratio", "<aggr:sum>@0 <aggr:AVG>@4 <aggr:limit_ratio>@8 EOF@19"},
      {"offset by without on ignoring group_left group_right bool",
       "<offset>@0 <by>@7 <without>@10 <on>@18 <ignoring>@21 <group_left>@30 <group_right>@41 "
       "<bool>@53 EOF@57"},
      {"anchored smoothed", "<anchored>@0 <smoothed>@9 EOF@17"},
      {"start end step range max_of min_of",
       "\"start\"@0 \"end\"@6 \"step\"@10 \"range\"@15 \"max_of\"@21 \"min_of\"@28 EOF@34"},
      {"fill(1)", "<fill>@0 \"(\"@4 number \"1\"@5 \")\"@6 EOF@7"},
      {"fill_left (1)", "<fill_left>@0 \"(\"@10 number \"1\"@11 \")\"@12 EOF@13"},
      {"fill + fill_right", "identifier \"fill\"@0 <op:+>@5 identifier \"fill_right\"@7 EOF@17"},
      {"{a=\"b\"}", "\"{\"@0 identifier \"a\"@1 \"=\"@2 string \"\\\"b\\\"\"@3 \"}\"@6 EOF@7"},
      {"{a=~'b', c!~`d`, e!=\"f\"}",
       "\"{\"@0 identifier \"a\"@1 <op:=~>@2 string \"'b'\"@4 \",\"@7 identifier \"c\"@9 "
       "<op:!~>@10 string \"`d`\"@12 \",\"@15 identifier \"e\"@17 <op:!=>@18 string "
       "\"\\\"f\\\"\"@20 \"}\"@23 EOF@24"},
      {"{offset=\"1\"}",
       "\"{\"@0 identifier \"offset\"@1 \"=\"@7 string \"\\\"1\\\"\"@8 \"}\"@11 EOF@12"},
      {"{\"a.b\"}", "\"{\"@0 string \"\\\"a.b\\\"\"@1 \"}\"@6 EOF@7"},
      {"{a=\"b\" # c\n}",
       "\"{\"@0 identifier \"a\"@1 \"=\"@2 string \"\\\"b\\\"\"@3 comment \"# c\"@7 \"}\"@11 "
       "EOF@12"},
      {"[step()]", "\"[\"@0 \"step\"@1 \"(\"@5 \")\"@6 \"]\"@7 EOF@8"},
      {"[5m+1m*2]",
       "\"[\"@0 duration \"5m\"@1 <op:+>@3 duration \"1m\"@4 <op:*>@6 number \"2\"@7 \"]\"@8 "
       "EOF@9"},
      {"[max_of(1m,step())]",
       "\"[\"@0 \"max_of\"@1 \"(\"@7 duration \"1m\"@8 \",\"@10 \"step\"@11 \"(\"@15 \")\"@16 "
       "\")\"@17 \"]\"@18 EOF@19"},
      {"[-(5m)]", "\"[\"@0 <op:->@1 \"(\"@2 duration \"5m\"@3 \")\"@5 \"]\"@6 EOF@7"},
      // Errors.
      {"=~", "ERR:unexpected character after '=': '~'@0"},
      {"!~", "ERR:unexpected character after '!': '~'@0"},
      {"!(", "ERR:unexpected character after '!': '('@0"},
      {"1a", "ERR:bad number or duration syntax: \"1\"@0"},
      {"(", "\"(\"@0 ERR:unclosed left parenthesis@1"},
      {")", "ERR:unexpected right parenthesis ')'@1"},
      {"[", "\"[\"@0 ERR:unexpected end of input in duration expression@1"},
      {"[5m", "\"[\"@0 duration \"5m\"@1 ERR:unclosed left bracket@3"},
      {"]", "ERR:unexpected right bracket ']'@0"},
      {"[[", "\"[\"@0 ERR:unexpected character in duration expression: '['@1"},
      {"[5m[", "\"[\"@0 duration \"5m\"@1 ERR:unexpected left bracket '['@3"},
      {"{", "\"{\"@0 ERR:unexpected end of input inside braces@1"},
      {"{{", "\"{\"@0 ERR:unexpected left brace '{'@1"},
      {"{a!}",
       "\"{\"@0 identifier \"a\"@1 ERR:unexpected character after '!' inside braces: '}'@2"},
      {"{1}", "\"{\"@0 ERR:unexpected character inside braces: '1'@1"},
      {"\"abc", "ERR:unterminated quoted string@0"},
      {"\"a\nb\"", "ERR:unterminated quoted string@0"},
      {"`abc", "ERR:unterminated raw string@0"},
      {"\"\\", "ERR:escape sequence not terminated@0"},
      {"\"\\xz\"", "ERR:illegal character U+007A 'z' in escape sequence@0"},
      {"\"\\u12\"", "ERR:illegal character U+0022 '\"' in escape sequence@0"},
      {"\"\\c\"", "ERR:unknown escape sequence U+0063 'c'@0"},
      {"\"\\\x01\"", "ERR:unknown escape sequence U+0001@0"},
      {"\"\xc3\"", "ERR:invalid UTF-8 rune@0"},
      {"`\xff`", "ERR:invalid UTF-8 rune@0"},
      {"\xff", "ERR:unexpected character: '\xef\xbf\xbd'@0"},
      {"\x01", "ERR:unexpected character: '\\x01'@0"},
      {"'", "ERR:unterminated quoted string@0"},
      {"[5m:1m:", "\"[\"@0 duration \"5m\"@1 \":\"@3 duration \"1m\"@4 ERR:unexpected colon ':'@6"},
      {"[:", "\"[\"@0 ERR:unexpected colon before duration in duration expression@2"},
      {"[stepx]", "\"[\"@0 ERR:unexpected character in duration expression: 's'@1"},
  };
  for (const auto& c : cases) EXPECT_EQ(Lex(c.in), c.want) << c.in;
}

TEST(LexerTest, KeepsReturningEofAfterTheEnd) {
  Lexer l("a");
  EXPECT_EQ(l.Next().type, TokenType::kIdentifier);
  for (int i = 0; i < 3; i++) EXPECT_EQ(l.Next().type, TokenType::kEOF);
  Lexer e("$");
  EXPECT_EQ(e.Next().type, TokenType::kError);
  for (int i = 0; i < 3; i++) EXPECT_EQ(e.Next().type, TokenType::kEOF);
}

TEST(LexerTest, GoQuoting) {
  EXPECT_EQ(GoQuote(""), "\"\"");
  EXPECT_EQ(GoQuote("abc"), "\"abc\"");
  EXPECT_EQ(GoQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(GoQuote("\a\b\f\n\r\t\v"), "\"\\a\\b\\f\\n\\r\\t\\v\"");
  EXPECT_EQ(GoQuote(std::string_view("\x00\x7f", 2)), "\"\\x00\\x7f\"");
  EXPECT_EQ(GoQuote("\xff"), "\"\\xff\"");
  EXPECT_EQ(GoQuote("äö☺😀"), "\"äö☺😀\"");
  EXPECT_EQ(GoQuote("\xc2\x80"), "\"\\u0080\"");
  EXPECT_EQ(GoQuote("\xe2\x80\xa8"), "\"\\u2028\"");
  EXPECT_EQ(QuoteRune('a'), "'a'");
  EXPECT_EQ(QuoteRune('\''), "'\\''");
  EXPECT_EQ(QuoteRune('\n'), "'\\n'");
  EXPECT_EQ(QuoteRune(0x2028), "'\\u2028'");
  EXPECT_EQ(QuoteRune(0xF0000), "'\\U000f0000'");
  EXPECT_EQ(UnicodeRuneDesc('c'), "U+0063 'c'");
  EXPECT_EQ(UnicodeRuneDesc(7), "U+0007");
  EXPECT_EQ(UnicodeRuneDesc(0x263A), "U+263A '☺'");
}

}  // namespace
}  // namespace vigil::promql::parser
