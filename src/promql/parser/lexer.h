// PromQL lexer: splits a query into tokens (items), with the same token boundaries, token
// kinds and error messages as Prometheus' state-machine lexer (promql/parser/lex.go).
//
// The lexer is context sensitive the way Prometheus' is: inside `{...}` every word is an
// identifier; inside `[...]` only numbers, durations, arithmetic and the duration keywords
// step/range/max_of/min_of are allowed; `fill`, `fill_left` and `fill_right` are keywords only
// when followed by `(`.
//
// Tokens are views into the input, which must outlive the lexer and its tokens. After an error
// or the end of input, Next() keeps returning kEOF. Not thread-safe (one lexer per query).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::promql::parser {

enum class TokenType : uint8_t {
  kError,
  kEOF,
  kComment,
  kIdentifier,
  kMetricIdentifier,
  kNumber,
  kDuration,
  kString,
  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kLeftBracket,
  kRightBracket,
  kComma,
  kEql,  // =
  kColon,
  // Operators.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEqlc,  // ==
  kNeq,   // !=
  kLte,
  kLss,
  kGte,
  kGtr,
  kTrimUpper,  // </
  kTrimLower,  // >/
  kEqlRegex,   // =~
  kNeqRegex,   // !~
  kAt,
  kAtan2,
  kLand,
  kLor,
  kLunless,
  // Aggregators.
  kAvg,
  kBottomk,
  kCount,
  kCountValues,
  kGroup,
  kMax,
  kMin,
  kQuantile,
  kStddev,
  kStdvar,
  kSum,
  kTopk,
  kLimitk,
  kLimitRatio,
  // Keywords.
  kBool,
  kBy,
  kGroupLeft,
  kGroupRight,
  kFill,
  kFillLeft,
  kFillRight,
  kIgnoring,
  kOffset,
  kSmoothed,
  kAnchored,
  kOn,
  kWithout,
  // Preprocessors (duration and @ keywords).
  kStart,
  kEnd,
  kStep,
  kRange,
  kMaxOf,
  kMinOf,
};

bool IsOperatorToken(TokenType t);
bool IsAggregatorToken(TokenType t);
bool IsKeywordToken(TokenType t);  // bool by group_left ... without (not aggregators/preprocessors)

struct Token {
  TokenType type = TokenType::kEOF;
  int32_t pos = 0;       // byte offset of the first character
  std::string_view val;  // the token's text (for kError: empty; see Lexer::error())
  int32_t end() const { return pos + static_cast<int32_t>(val.size()); }
};

// Describes a token for "unexpected ..." messages, as Prometheus does: `end of input`,
// `identifier "foo"`, `number "1"`, `<op:+>`, `<aggr:sum>`, `<by>`, `"("`.
std::string DescribeToken(const Token& t);

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  // The next token. Comments are returned as kComment.
  Token Next();

  // The message of the last kError token.
  const std::string& error() const { return error_; }

 private:
  enum class State : uint8_t { kStatements, kInsideBraces, kDurationExpr, kDone };

  // One code point (invalid UTF-8 decodes as U+FFFD with width 1, as Go does). -1 at the end.
  int32_t NextRune();
  int32_t PeekRune();
  void Backup() { pos_ -= width_; }
  bool Accept(std::string_view valid);
  bool Is(std::string_view valid);
  void AcceptRun(std::string_view valid);
  Token Emit(TokenType t);
  Token Errorf(std::string msg);
  void Ignore() { start_ = pos_; }

  bool LexStatements(Token* out);
  bool LexInsideBraces(Token* out);
  bool LexDurationExpr(Token* out);
  Token LexLineComment();
  Token LexString(int32_t quote);
  Token LexRawString();
  bool LexEscape(int32_t quote, std::string* err);
  Token LexNumberOrDuration();
  bool ScanNumber();
  bool AcceptRemainingDuration();
  Token LexKeywordOrIdentifier();
  Token LexIdentifier();
  bool ScanDurationKeyword(Token* out);
  bool FollowedByLeftParen() const;
  void SkipSpaces();

  std::string_view input_;
  int32_t pos_ = 0;
  int32_t start_ = 0;
  int32_t width_ = 0;
  State state_ = State::kStatements;
  int paren_depth_ = 0;
  bool brace_open_ = false;
  bool bracket_open_ = false;
  bool got_colon_ = false;
  bool got_duration_ = false;
  std::string error_;
};

// Go's %q of a rune: 'a', '\n', '\x01', '\u00ad'.
std::string QuoteRune(int32_t r);
// Go's %#U: U+0063 'c' (or just U+0007 when not printable).
std::string UnicodeRuneDesc(int32_t r);
// Go's strconv.Quote.
std::string GoQuote(std::string_view s);
// Decodes one UTF-8 sequence at s[0..]: the code point (0xFFFD for invalid) and its width.
int32_t DecodeRune(std::string_view s, int* width);
// Appends the UTF-8 encoding of r.
void AppendRune(std::string* out, int32_t r);
// Approximation of Go's unicode.IsPrint (no full Unicode tables).
bool IsPrintRune(int32_t r);

}  // namespace vigil::promql::parser
