// The PromQL parser: recursive descent with precedence climbing, over tokens from lexer.h.
//
// Prometheus' grammar is a yacc grammar; this parser reproduces its decisions (precedence,
// associativity, which keywords may be metric names, how `offset` arguments end) and its error
// messages. Prometheus keeps parsing after an error and reports the first one; this parser
// stops at the first error instead, recording semantic errors at the point where yacc would
// reduce the rule that detects them, so the first error is the same.
#include "promql/parser/parser.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>

#include "model/value.h"
#include "promql/parser/duration.h"
#include "promql/parser/functions.h"
#include "promql/parser/lexer.h"

namespace vigil::promql::parser {

namespace {

// ---------------------------------------------------------------------------------------------
// Numbers: Go's strconv.ParseInt(s, 0, 64) falling back to strconv.ParseFloat(s, 64).

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Go's underscoreOK: underscores only between digits (or after a base prefix).
bool UnderscoreOK(std::string_view s) {
  char saw = '^';
  size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' &&
      (LowerAscii(s[1]) == 'b' || LowerAscii(s[1]) == 'o' || LowerAscii(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = LowerAscii(s[1]) == 'x';
  }
  for (; i < s.size(); i++) {
    char c = s[i];
    if ((c >= '0' && c <= '9') || (hex && LowerAscii(c) >= 'a' && LowerAscii(c) <= 'f')) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

bool GoParseInt(std::string_view s0, int64_t* out) {
  std::string_view s = s0;
  if (s.empty()) return false;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
    if (s.empty()) return false;
  }
  unsigned base = 10;
  if (s[0] == '0') {
    if (s.size() >= 3 && LowerAscii(s[1]) == 'b') {
      base = 2;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && LowerAscii(s[1]) == 'o') {
      base = 8;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && LowerAscii(s[1]) == 'x') {
      base = 16;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  bool underscores = false;
  uint64_t n = 0;
  const uint64_t cutoff = std::numeric_limits<uint64_t>::max() / base + 1;
  for (char c : s) {
    unsigned d;
    if (c == '_') {
      underscores = true;
      continue;
    } else if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (LowerAscii(c) >= 'a' && LowerAscii(c) <= 'z') {
      d = static_cast<unsigned>(LowerAscii(c) - 'a' + 10);
    } else {
      return false;
    }
    if (d >= base) return false;
    if (n >= cutoff) return false;
    n *= base;
    uint64_t n1 = n + d;
    if (n1 < n) return false;
    n = n1;
  }
  if (underscores && !UnderscoreOK(s0)) return false;
  const uint64_t limit = uint64_t{1} << 63;
  if (!neg && n >= limit) return false;
  if (neg && n > limit) return false;
  *out = neg ? static_cast<int64_t>(0 - n) : static_cast<int64_t>(n);
  return true;
}

// Go's strconv.ParseFloat(s, 64). On failure *err is "invalid syntax" or "value out of range".
bool GoParseFloat(std::string_view s, double* out, std::string* err) {
  std::string lower;
  for (char c : s) lower.push_back(LowerAscii(c));
  std::string_view ls = lower;
  bool neg = false;
  std::string_view body = ls;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "inf" || body == "infinity") {
    *out = neg ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (ls == "nan") {
    *out = std::bit_cast<double>(kNormalNaNBits);
    return true;
  }
  // Syntax check: [sign] (hex mantissa 'p' exp | decimal mantissa [e exp]).
  size_t i = 0;
  std::string_view t = body;
  bool hex = t.size() >= 2 && t[0] == '0' && t[1] == 'x';
  if (hex) i = 2;
  bool digits = false, dot = false, underscores = false;
  for (; i < t.size(); i++) {
    char c = t[i];
    if (c == '_') {
      underscores = true;
    } else if (c == '.') {
      if (dot) break;
      dot = true;
    } else if ((c >= '0' && c <= '9') || (hex && c >= 'a' && c <= 'f')) {
      digits = true;
    } else {
      break;
    }
  }
  if (!digits) {
    *err = "invalid syntax";
    return false;
  }
  if (i < t.size() && t[i] == (hex ? 'p' : 'e')) {
    i++;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) i++;
    bool exp_digits = false;
    for (; i < t.size(); i++) {
      if (t[i] == '_') {
        underscores = true;
      } else if (t[i] >= '0' && t[i] <= '9') {
        exp_digits = true;
      } else {
        break;
      }
    }
    if (!exp_digits) {
      *err = "invalid syntax";
      return false;
    }
  } else if (hex) {
    *err = "invalid syntax";  // hex floats need a 'p' exponent
    return false;
  }
  if (i != t.size() || (underscores && !UnderscoreOK(s))) {
    *err = "invalid syntax";
    return false;
  }
  std::string clean;
  for (char c : s) {
    if (c != '_') clean.push_back(c);
  }
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) {
    *err = "invalid syntax";
    return false;
  }
  if (errno == ERANGE && std::isinf(v)) {
    *err = "value out of range";
    return false;
  }
  *out = v;
  return true;
}

// Go's fmt "%f".
std::string GoFormatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{:.6f}", v);
}

// The message Go's regexp/syntax gives for an invalid regex, from RE2's diagnosis of the
// unanchored pattern (so the error names what the user wrote, not our anchoring wrapper).
std::string RegexErrorMessage(std::string_view value, std::string_view fallback) {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_dot_nl(true);
  RE2 re(re2::StringPiece(value.data(), value.size()), opts);
  std::string_view code;
  switch (re.error_code()) {
    case RE2::ErrorBadEscape:
      code = "invalid escape sequence";
      break;
    case RE2::ErrorBadCharClass:
      code = "invalid character class";
      break;
    case RE2::ErrorBadCharRange:
      code = "invalid character class range";
      break;
    case RE2::ErrorMissingBracket:
      code = "missing closing ]";
      break;
    case RE2::ErrorMissingParen:
      code = "missing closing )";
      break;
    case RE2::ErrorUnexpectedParen:
      code = "unexpected )";
      break;
    case RE2::ErrorTrailingBackslash:
      code = "trailing backslash at end of expression";
      break;
    case RE2::ErrorRepeatArgument:
      code = "missing argument to repetition operator";
      break;
    case RE2::ErrorRepeatSize:
      code = "invalid repeat count";
      break;
    case RE2::ErrorRepeatOp:
      code = "invalid nested repetition operator";
      break;
    case RE2::ErrorBadPerlOp:
      code = "invalid or unsupported Perl syntax";
      break;
    case RE2::ErrorBadUTF8:
      code = "invalid UTF-8";
      break;
    case RE2::ErrorBadNamedCapture:
      code = "invalid named capture";
      break;
    default:
      return std::string(fallback);
  }
  return fmt::format("error parsing regexp: {}: `{}`", code, re.error_arg());
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    int w;
    int32_t r = DecodeRune(s.substr(i), &w);
    if (r == 0xFFFD && w == 1) return false;
    i += w;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Operators.

constexpr int kPrecOr = 1;
constexpr int kPrecAnd = 2;
constexpr int kPrecCmp = 3;
constexpr int kPrecAdd = 4;
constexpr int kPrecMul = 5;
constexpr int kPrecPow = 6;

// The precedence of a binary operator token, or 0 if `t` is not one.
int BinaryPrecedence(TokenType t, BinaryOp* op) {
  switch (t) {
    case TokenType::kLor:
      *op = BinaryOp::kOr;
      return kPrecOr;
    case TokenType::kLand:
      *op = BinaryOp::kAnd;
      return kPrecAnd;
    case TokenType::kLunless:
      *op = BinaryOp::kUnless;
      return kPrecAnd;
    case TokenType::kEqlc:
      *op = BinaryOp::kEql;
      return kPrecCmp;
    case TokenType::kNeq:
      *op = BinaryOp::kNeq;
      return kPrecCmp;
    case TokenType::kLte:
      *op = BinaryOp::kLte;
      return kPrecCmp;
    case TokenType::kLss:
      *op = BinaryOp::kLss;
      return kPrecCmp;
    case TokenType::kGte:
      *op = BinaryOp::kGte;
      return kPrecCmp;
    case TokenType::kGtr:
      *op = BinaryOp::kGtr;
      return kPrecCmp;
    case TokenType::kTrimUpper:
      *op = BinaryOp::kTrimUpper;
      return kPrecCmp;
    case TokenType::kTrimLower:
      *op = BinaryOp::kTrimLower;
      return kPrecCmp;
    case TokenType::kAdd:
      *op = BinaryOp::kAdd;
      return kPrecAdd;
    case TokenType::kSub:
      *op = BinaryOp::kSub;
      return kPrecAdd;
    case TokenType::kMul:
      *op = BinaryOp::kMul;
      return kPrecMul;
    case TokenType::kDiv:
      *op = BinaryOp::kDiv;
      return kPrecMul;
    case TokenType::kMod:
      *op = BinaryOp::kMod;
      return kPrecMul;
    case TokenType::kAtan2:
      *op = BinaryOp::kAtan2;
      return kPrecMul;
    case TokenType::kPow:
      *op = BinaryOp::kPow;
      return kPrecPow;
    default:
      return 0;
  }
}

bool AggregateOpFromToken(TokenType t, AggregateOp* op) {
  switch (t) {
    case TokenType::kSum:
      *op = AggregateOp::kSum;
      return true;
    case TokenType::kAvg:
      *op = AggregateOp::kAvg;
      return true;
    case TokenType::kCount:
      *op = AggregateOp::kCount;
      return true;
    case TokenType::kMin:
      *op = AggregateOp::kMin;
      return true;
    case TokenType::kMax:
      *op = AggregateOp::kMax;
      return true;
    case TokenType::kGroup:
      *op = AggregateOp::kGroup;
      return true;
    case TokenType::kStddev:
      *op = AggregateOp::kStddev;
      return true;
    case TokenType::kStdvar:
      *op = AggregateOp::kStdvar;
      return true;
    case TokenType::kTopk:
      *op = AggregateOp::kTopk;
      return true;
    case TokenType::kBottomk:
      *op = AggregateOp::kBottomk;
      return true;
    case TokenType::kCountValues:
      *op = AggregateOp::kCountValues;
      return true;
    case TokenType::kQuantile:
      *op = AggregateOp::kQuantile;
      return true;
    case TokenType::kLimitk:
      *op = AggregateOp::kLimitk;
      return true;
    case TokenType::kLimitRatio:
      *op = AggregateOp::kLimitRatio;
      return true;
    default:
      return false;
  }
}

// Tokens that may name a metric at the start of an expression (yacc's metric_identifier).
bool IsMetricIdentifierToken(TokenType t) {
  switch (t) {
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier:
    case TokenType::kBy:
    case TokenType::kWithout:
    case TokenType::kOffset:
    case TokenType::kLand:
    case TokenType::kLor:
    case TokenType::kLunless:
    case TokenType::kFill:
    case TokenType::kFillLeft:
    case TokenType::kFillRight:
    case TokenType::kStart:
    case TokenType::kEnd:
    case TokenType::kStep:
    case TokenType::kRange:
    case TokenType::kMaxOf:
    case TokenType::kMinOf:
    case TokenType::kAnchored:
    case TokenType::kSmoothed:
      return true;
    default:
      return IsAggregatorToken(t);
  }
}

// Tokens accepted as label names in grouping lists (yacc's maybe_label).
bool IsMaybeLabelToken(TokenType t) {
  switch (t) {
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier:
    case TokenType::kBool:
    case TokenType::kBy:
    case TokenType::kGroupLeft:
    case TokenType::kGroupRight:
    case TokenType::kFill:
    case TokenType::kFillLeft:
    case TokenType::kFillRight:
    case TokenType::kIgnoring:
    case TokenType::kLand:
    case TokenType::kLor:
    case TokenType::kLunless:
    case TokenType::kOffset:
    case TokenType::kOn:
    case TokenType::kStart:
    case TokenType::kEnd:
    case TokenType::kAtan2:
    case TokenType::kStep:
    case TokenType::kRange:
    case TokenType::kAnchored:
    case TokenType::kSmoothed:
    case TokenType::kMaxOf:
    case TokenType::kMinOf:
      return true;
    default:
      return IsAggregatorToken(t);
  }
}

bool IsMatchOp(TokenType t, MatchType* mt) {
  switch (t) {
    case TokenType::kEql:
      *mt = MatchType::kEqual;
      return true;
    case TokenType::kNeq:
      *mt = MatchType::kNotEqual;
      return true;
    case TokenType::kEqlRegex:
      *mt = MatchType::kRegexMatch;
      return true;
    case TokenType::kNeqRegex:
      *mt = MatchType::kRegexNoMatch;
      return true;
    default:
      return false;
  }
}

DurationExpr::Op DurationOpFromBinary(TokenType t) {
  switch (t) {
    case TokenType::kAdd:
      return DurationExpr::Op::kAdd;
    case TokenType::kSub:
      return DurationExpr::Op::kSub;
    case TokenType::kMul:
      return DurationExpr::Op::kMul;
    case TokenType::kDiv:
      return DurationExpr::Op::kDiv;
    case TokenType::kMod:
      return DurationExpr::Op::kMod;
    default:
      return DurationExpr::Op::kPow;
  }
}

int DurationPrecedence(TokenType t) {
  switch (t) {
    case TokenType::kAdd:
    case TokenType::kSub:
      return kPrecAdd;
    case TokenType::kMul:
    case TokenType::kDiv:
    case TokenType::kMod:
      return kPrecMul;
    case TokenType::kPow:
      return kPrecPow;
    default:
      return 0;
  }
}

std::unique_ptr<DurationExpr> AsDuration(ExprPtr e) {
  return std::unique_ptr<DurationExpr>(static_cast<DurationExpr*>(e.release()));
}

// ---------------------------------------------------------------------------------------------

struct ParseError {
  PositionRange pos;
  std::string msg;
};

// Binary operator modifiers, collected before the right-hand side is parsed.
struct BinModifiers {
  bool return_bool = false;
  VectorMatching matching;
  bool has_fill = false;
};

class Parser {
 public:
  Parser(std::string_view input, const ParseOptions& opts)
      : input_(input), opts_(opts), lexer_(input) {}

  Result<ExprPtr> ParseTopLevel();
  Result<std::vector<Matcher>> ParseSelectorTopLevel();
  Result<Labels> ParseMetricTopLevel();

 private:
  // Tokens. Comments are skipped; a lexer error is recorded when the error token is read.
  const Token& Peek(size_t k = 0);
  Token Next();
  bool PeekIs(TokenType t, size_t k = 0) { return Peek(k).type == t; }

  bool failed() const { return error_.has_value(); }
  void AddError(PositionRange pos, std::string msg);
  // "unexpected <token>[ in <context>][, expected <expected>]" at the next token.
  void Unexpected(std::string_view context, std::string_view expected);
  // Unexpected() in the innermost context that has an error rule in Prometheus' grammar.
  void UnexpectedHere();

  // Expressions.
  ExprPtr ParseExpr(int min_prec);
  ExprPtr ParseUnary();
  ExprPtr ParsePrimary();
  ExprPtr ParsePostfix(ExprPtr e);
  ExprPtr ParseNumberLiteral();
  ExprPtr ParseStringLiteral();
  ExprPtr ParseParen();
  ExprPtr ParseVectorSelector(bool with_name);
  bool ParseLabelMatchers(VectorSelector* vs);
  ExprPtr ParseCall();
  ExprPtr ParseAggregate();
  bool ParseCallArgs(std::vector<ExprPtr>* args);
  bool ParseGroupingLabels(std::vector<std::string>* labels);
  bool ParseBinModifiers(BinModifiers* mods);
  bool ParseFillValue(double* v);
  ExprPtr MakeBinary(ExprPtr lhs, BinaryOp op, BinModifiers mods, ExprPtr rhs);
  ExprPtr ParseRangeOrSubquery(ExprPtr e);
  ExprPtr ParseOffset(ExprPtr e);
  ExprPtr ParseAt(ExprPtr e);
  void SetAnchoredOrSmoothed(Expr* e, bool anchored);

  // Duration expressions.
  ExprPtr ParseDurationExpr(int min_prec);
  ExprPtr ParseDurationBinaryRest(ExprPtr lhs, int min_prec);
  ExprPtr ParseDurationPrimary();
  ExprPtr ParseDurationLiteral();
  ExprPtr ParseDurationKeywordCall(bool check_experimental = true);
  ExprPtr ParsePositiveDurationExpr();
  ExprPtr ParseOffsetDurationExpr();
  ExprPtr ApplyUnaryToDuration(const Token& op, ExprPtr e, bool wrapped);
  ExprPtr WrapParenDuration(ExprPtr e, int32_t start, int32_t end);
  void ExperimentalDurationExpr(const Expr& e);

  // Offsets and @.
  void AddOffset(Expr* e, int64_t offset_ms, std::unique_ptr<DurationExpr> offset_expr,
                 int32_t end);
  void SetTimestamp(Expr* e, double ts, int32_t end);
  void SetAtPreprocessor(Expr* e, AtModifier m, int32_t end);
  bool GetAtModifierVars(Expr* e, std::optional<int64_t>** ts, AtModifier** se, int32_t** end);

  // Type checking (Prometheus' checkAST); runs only when parsing found no error.
  ValueType Check(Expr& e);
  void ExpectType(Expr& e, ValueType want, std::string_view context);
  PositionRange OpRange(const BinaryExpr& b) const;

  bool Enter();
  void Leave() { depth_--; }
  // Records the tree height of a new node; errors out if it exceeds the limit.
  bool SetHeight(const Expr* e, std::initializer_list<const Expr*> children);
  bool SetHeightValue(const Expr* e, int h);
  int Height(const Expr* e) const;

  std::string Unquote(const Token& t);

  std::string_view input_;
  ParseOptions opts_;
  Lexer lexer_;
  std::vector<Token> buf_;  // lookahead tokens
  size_t buf_head_ = 0;
  Token last_;  // the last token consumed
  std::optional<ParseError> error_;
  struct ErrCtx {
    std::string_view context;
    std::string_view expected;
  };
  std::vector<ErrCtx> ctx_;
  size_t depth_ = 0;
  std::unordered_map<const Expr*, int> heights_;
};

const Token& Parser::Peek(size_t k) {
  while (buf_.size() - buf_head_ <= k) {
    if (!buf_.empty() && buf_.back().type == TokenType::kEOF) {
      buf_.push_back(buf_.back());
      continue;
    }
    Token t = lexer_.Next();
    if (t.type == TokenType::kComment) continue;
    if (t.type == TokenType::kError) {
      AddError({t.pos, static_cast<int32_t>(input_.size())}, lexer_.error());
      // The parser sees the end of input from here on (as Prometheus' yacc does).
      t = Token{TokenType::kError, t.pos, {}};
      buf_.push_back(t);
      buf_.push_back(Token{TokenType::kEOF, static_cast<int32_t>(input_.size()), {}});
      continue;
    }
    buf_.push_back(t);
  }
  return buf_[buf_head_ + k];
}

Token Parser::Next() {
  Peek();
  last_ = buf_[buf_head_++];
  if (buf_head_ > 64 && buf_head_ * 2 > buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(buf_head_));
    buf_head_ = 0;
  }
  return last_;
}

void Parser::AddError(PositionRange pos, std::string msg) {
  if (!error_) error_ = ParseError{pos, std::move(msg)};
}

void Parser::Unexpected(std::string_view context, std::string_view expected) {
  const Token& t = Peek();
  if (t.type == TokenType::kError) return;  // already reported by the lexer
  std::string msg = "unexpected " + DescribeToken(t);
  if (!context.empty()) {
    msg += " in ";
    msg += context;
  }
  if (!expected.empty()) {
    msg += ", expected ";
    msg += expected;
  }
  AddError({t.pos, t.end()}, std::move(msg));
}

void Parser::UnexpectedHere() {
  if (ctx_.empty()) {
    Unexpected("", "");
  } else {
    Unexpected(ctx_.back().context, ctx_.back().expected);
  }
}

bool Parser::Enter() {
  if (++depth_ > opts_.max_depth) {
    const Token& t = Peek();
    AddError({t.pos, t.end()},
             fmt::format("expression nesting too deep (more than {} levels)", opts_.max_depth));
    return false;
  }
  return true;
}

int Parser::Height(const Expr* e) const {
  if (e == nullptr) return 0;
  auto it = heights_.find(e);
  return it == heights_.end() ? 1 : it->second;
}

bool Parser::SetHeight(const Expr* e, std::initializer_list<const Expr*> children) {
  int h = 0;
  for (const Expr* c : children) h = std::max(h, Height(c));
  return SetHeightValue(e, h + 1);
}

bool Parser::SetHeightValue(const Expr* e, int h) {
  heights_[e] = h;
  if (static_cast<size_t>(h) > opts_.max_depth) {
    AddError(e->Range(),
             fmt::format("expression nesting too deep (more than {} levels)", opts_.max_depth));
    return false;
  }
  return true;
}

std::string Parser::Unquote(const Token& t) {
  std::string_view s = t.val;
  if (s.size() < 2 || s.front() != s.back()) {
    AddError({t.pos, t.end()},
             fmt::format("error unquoting string {}: invalid syntax", GoQuote(s)));
    return {};
  }
  char quote = s.front();
  s = s.substr(1, s.size() - 2);
  if (quote == '`') return std::string(s);
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  auto bad = [&]() {
    AddError({t.pos, t.end()},
             fmt::format("error unquoting string {}: invalid syntax", GoQuote(t.val)));
    return std::string();
  };
  while (i < s.size()) {
    char c = s[i];
    if (c == quote || c == '\n') return bad();
    if (c != '\\') {
      out.push_back(c);
      i++;
      continue;
    }
    if (i + 1 >= s.size()) return bad();
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '\'':
      case '"':
        if (e != quote) return bad();
        out.push_back(e);
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > s.size()) return bad();
        uint32_t v = 0;
        for (size_t k = 0; k < n; k++) {
          char h = s[i + k];
          int d = (h >= '0' && h <= '9')   ? h - '0'
                  : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                  : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                           : -1;
          if (d < 0) return bad();
          v = v * 16 + static_cast<uint32_t>(d);
        }
        i += n;
        if (e == 'x') {
          out.push_back(static_cast<char>(v));
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return bad();
          AppendRune(&out, static_cast<int32_t>(v));
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (i + 2 > s.size()) return bad();
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (size_t k = 0; k < 2; k++) {
            char o = s[i + k];
            if (o < '0' || o > '7') return bad();
            v = v * 8 + static_cast<uint32_t>(o - '0');
          }
          if (v > 255) return bad();
          i += 2;
          out.push_back(static_cast<char>(v));
          break;
        }
        return bad();
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Expressions.

Result<ExprPtr> Parser::ParseTopLevel() {
  ExprPtr e;
  if (PeekIs(TokenType::kEOF)) {
    AddError({0, 0}, "no expression found in input");
  } else {
    e = ParseExpr(0);
    if (!failed() && !PeekIs(TokenType::kEOF)) UnexpectedHere();
    if (!failed()) Check(*e);
  }
  if (error_) {
    return Status::InvalidArgument(
        fmt::format("{}: parse error: {}", PositionString(input_, error_->pos.start), error_->msg));
  }
  return e;
}

ExprPtr Parser::ParseExpr(int min_prec) {
  if (!Enter()) return nullptr;
  ExprPtr lhs = ParseUnary();
  while (lhs) {
    BinaryOp op;
    int prec = BinaryPrecedence(Peek().type, &op);
    if (prec == 0 || prec < min_prec) break;
    Next();
    BinModifiers mods;
    if (!ParseBinModifiers(&mods)) {
      lhs = nullptr;
      break;
    }
    // ^ is right-associative; everything else is left-associative.
    ExprPtr rhs = ParseExpr(op == BinaryOp::kPow ? prec : prec + 1);
    if (!rhs) {
      lhs = nullptr;
      break;
    }
    lhs = MakeBinary(std::move(lhs), op, std::move(mods), std::move(rhs));
  }
  Leave();
  return lhs;
}

ExprPtr Parser::ParseUnary() {
  const Token& t = Peek();
  if (t.type != TokenType::kAdd && t.type != TokenType::kSub) {
    ExprPtr p = ParsePrimary();
    if (!p) return nullptr;
    return ParsePostfix(std::move(p));
  }
  Token op = Next();
  // Unary operators bind like `*`: only `^` (and postfix modifiers) bind tighter.
  ExprPtr e = ParseExpr(kPrecPow);
  if (!e) return nullptr;
  if (auto* n = DynCast<NumberLiteral>(e.get())) {
    if (op.type == TokenType::kSub) n->val = -n->val;
    n->pos.start = op.pos;
    return e;
  }
  auto u = std::make_unique<UnaryExpr>();
  u->op = op.type == TokenType::kSub ? UnaryExpr::Op::kSub : UnaryExpr::Op::kAdd;
  u->expr = std::move(e);
  u->start_pos = op.pos;
  if (!SetHeight(u.get(), {u->expr.get()})) return nullptr;
  return u;
}

ExprPtr Parser::ParsePrimary() {
  const Token t = Peek();
  switch (t.type) {
    case TokenType::kNumber:
    case TokenType::kDuration:
      return ParseNumberLiteral();
    case TokenType::kString:
      return ParseStringLiteral();
    case TokenType::kLeftParen:
      return ParseParen();
    case TokenType::kLeftBrace:
      return ParseVectorSelector(false);
    case TokenType::kIdentifier:
      if (PeekIs(TokenType::kLeftParen, 1)) return ParseCall();
      return ParseVectorSelector(true);
    case TokenType::kStart:
    case TokenType::kEnd:
    case TokenType::kStep:
    case TokenType::kRange:
    case TokenType::kMaxOf:
    case TokenType::kMinOf:
      if (PeekIs(TokenType::kLeftParen, 1)) return ParseCall();
      return ParseVectorSelector(true);
    default:
      break;
  }
  if (IsAggregatorToken(t.type)) {
    TokenType n = Peek(1).type;
    if (n == TokenType::kLeftParen || n == TokenType::kBy || n == TokenType::kWithout) {
      return ParseAggregate();
    }
    return ParseVectorSelector(true);
  }
  if (IsMetricIdentifierToken(t.type)) return ParseVectorSelector(true);
  UnexpectedHere();
  return nullptr;
}

ExprPtr Parser::ParsePostfix(ExprPtr e) {
  while (e) {
    switch (Peek().type) {
      case TokenType::kLeftBracket:
        e = ParseRangeOrSubquery(std::move(e));
        break;
      case TokenType::kOffset:
        Next();
        e = ParseOffset(std::move(e));
        break;
      case TokenType::kAt:
        Next();
        e = ParseAt(std::move(e));
        break;
      case TokenType::kAnchored:
      case TokenType::kSmoothed: {
        Token t = Next();
        SetAnchoredOrSmoothed(e.get(), t.type == TokenType::kAnchored);
        if (failed()) return nullptr;
        break;
      }
      default:
        return e;
    }
  }
  return nullptr;
}

ExprPtr Parser::ParseNumberLiteral() {
  Token t = Next();
  auto n = std::make_unique<NumberLiteral>();
  n->pos = {t.pos, t.end()};
  if (t.type == TokenType::kDuration) {
    Result<int64_t> ns = ParseDurationNs(t.val);
    if (!ns) {
      AddError(n->pos, std::string(ns.error().message()));
      return nullptr;
    }
    n->val = NsToSeconds(*ns);
    n->duration = true;
    return n;
  }
  int64_t i;
  if (GoParseInt(t.val, &i)) {
    n->val = static_cast<double>(i);
    return n;
  }
  std::string err;
  if (!GoParseFloat(t.val, &n->val, &err)) {
    AddError(n->pos, fmt::format("error parsing number: strconv.ParseFloat: parsing {}: {}",
                                 GoQuote(t.val), err));
    return nullptr;
  }
  return n;
}

ExprPtr Parser::ParseStringLiteral() {
  Token t = Next();
  auto s = std::make_unique<StringLiteral>();
  s->val = Unquote(t);
  s->pos = {t.pos, t.end()};
  if (failed()) return nullptr;
  return s;
}

ExprPtr Parser::ParseParen() {
  Token open = Next();
  ExprPtr inner = ParseExpr(0);
  if (!inner) return nullptr;
  if (!PeekIs(TokenType::kRightParen)) {
    UnexpectedHere();
    return nullptr;
  }
  Token close = Next();
  auto p = std::make_unique<ParenExpr>();
  p->expr = std::move(inner);
  p->pos = {open.pos, close.end()};
  if (!SetHeight(p.get(), {p->expr.get()})) return nullptr;
  return p;
}

ExprPtr Parser::ParseVectorSelector(bool with_name) {
  auto vs = std::make_unique<VectorSelector>();
  if (with_name) {
    Token name = Next();
    vs->name = std::string(name.val);
    vs->pos = {name.pos, name.end()};
    if (PeekIs(TokenType::kLeftBrace)) {
      if (!ParseLabelMatchers(vs.get())) return nullptr;
      vs->pos.start = name.pos;
    }
  } else {
    if (!ParseLabelMatchers(vs.get())) return nullptr;
  }
  if (!vs->name.empty()) {
    Result<Matcher> m = Matcher::Make(MatchType::kEqual, kMetricName, vs->name);
    if (!m) {
      AddError(vs->pos, std::string(m.error().message()));
      return nullptr;
    }
    vs->matchers.push_back(std::move(*m));
  }
  return vs;
}

bool Parser::ParseLabelMatchers(VectorSelector* vs) {
  Token open = Next();  // '{'
  vs->pos.start = open.pos;
  if (PeekIs(TokenType::kRightBrace)) {
    vs->pos.end = Next().end();
    return true;
  }
  for (;;) {
    const Token name = Peek();
    if (name.type == TokenType::kIdentifier || name.type == TokenType::kString) {
      Next();
      std::string label = name.type == TokenType::kString ? Unquote(name) : std::string(name.val);
      if (failed()) return false;
      MatchType mt;
      if (IsMatchOp(Peek().type, &mt)) {
        Next();
        if (!PeekIs(TokenType::kString)) {
          Unexpected("label matching", "string");
          return false;
        }
        Token value = Next();
        std::string v = Unquote(value);
        if (failed()) return false;
        Result<Matcher> m = Matcher::Make(mt, label, v);
        if (!m) {
          AddError({name.pos, value.end()}, RegexErrorMessage(v, m.error().message()));
          return false;
        }
        vs->matchers.push_back(std::move(*m));
      } else if (name.type == TokenType::kString) {
        // A bare quoted name is the metric name: {"my.metric"}.
        Result<Matcher> m = Matcher::Make(MatchType::kEqual, kMetricName, label);
        if (!m) {
          AddError({name.pos, name.end()}, std::string(m.error().message()));
          return false;
        }
        vs->matchers.push_back(std::move(*m));
      } else {
        Unexpected("label matching", "label matching operator");
        return false;
      }
    } else {
      Unexpected("label matching", "identifier or \"}\"");
      return false;
    }
    if (PeekIs(TokenType::kComma)) {
      Next();
      if (PeekIs(TokenType::kRightBrace)) {
        vs->pos.end = Next().end();
        return true;
      }
      continue;
    }
    if (PeekIs(TokenType::kRightBrace)) {
      vs->pos.end = Next().end();
      return true;
    }
    Unexpected("label matching", "\",\" or \"}\"");
    return false;
  }
}

bool Parser::ParseCallArgs(std::vector<ExprPtr>* args) {
  Next();  // '('
  if (PeekIs(TokenType::kRightParen)) {
    Next();
    return true;
  }
  for (;;) {
    ExprPtr a = ParseExpr(0);
    if (!a) return false;
    args->push_back(std::move(a));
    if (PeekIs(TokenType::kComma)) {
      Token comma = Next();
      if (PeekIs(TokenType::kRightParen)) {
        AddError({comma.pos, comma.end()}, "trailing commas not allowed in function call args");
        return false;
      }
      continue;
    }
    if (PeekIs(TokenType::kRightParen)) {
      Next();
      return true;
    }
    UnexpectedHere();
    return false;
  }
}

ExprPtr Parser::ParseCall() {
  Token name = Next();
  std::vector<ExprPtr> args;
  if (!ParseCallArgs(&args)) return nullptr;
  const Function* fn = LookupFunction(name.val);
  if (fn == nullptr) {
    AddError({name.pos, name.end()},
             fmt::format("unknown function with name {}", GoQuote(name.val)));
    return nullptr;
  }
  if (fn->experimental && !opts_.enable_experimental_functions) {
    AddError({name.pos, name.end()}, fmt::format("function {} is not enabled", GoQuote(name.val)));
    return nullptr;
  }
  auto c = std::make_unique<Call>();
  c->func = fn;
  c->args = std::move(args);
  c->pos = {name.pos, last_.end()};
  int h = 0;
  for (const auto& a : c->args) h = std::max(h, Height(a.get()));
  if (!SetHeightValue(c.get(), h + 1)) return nullptr;
  return c;
}

bool Parser::ParseGroupingLabels(std::vector<std::string>* labels) {
  if (!PeekIs(TokenType::kLeftParen)) {
    Unexpected("grouping opts", "\"(\"");
    return false;
  }
  Next();
  if (PeekIs(TokenType::kRightParen)) {
    Next();
    return true;
  }
  for (;;) {
    const Token t = Peek();
    if (IsMaybeLabelToken(t.type)) {
      Next();
      labels->emplace_back(t.val);
    } else if (t.type == TokenType::kString) {
      Next();
      std::string l = Unquote(t);
      if (failed()) return false;
      if (l.empty() || !IsValidUtf8(l)) {
        AddError({t.pos, t.end()}, fmt::format("invalid label name for grouping: {}", GoQuote(l)));
        return false;
      }
      labels->push_back(std::move(l));
    } else {
      Unexpected("grouping opts", "label");
      return false;
    }
    if (PeekIs(TokenType::kComma)) {
      Next();
      if (PeekIs(TokenType::kRightParen)) {
        Next();
        return true;
      }
      continue;
    }
    if (PeekIs(TokenType::kRightParen)) {
      Next();
      return true;
    }
    Unexpected("grouping opts", "\",\" or \")\"");
    return false;
  }
}

ExprPtr Parser::ParseAggregate() {
  Token op_tok = Next();
  auto agg = std::make_unique<AggregateExpr>();
  AggregateOpFromToken(op_tok.type, &agg->op);
  ctx_.push_back({"aggregation", ""});
  bool modifier_first = false;
  if (PeekIs(TokenType::kBy) || PeekIs(TokenType::kWithout)) {
    agg->without = Next().type == TokenType::kWithout;
    if (!ParseGroupingLabels(&agg->grouping)) return nullptr;
    modifier_first = true;
  }
  if (!PeekIs(TokenType::kLeftParen)) {
    UnexpectedHere();
    return nullptr;
  }
  std::vector<ExprPtr> args;
  if (!ParseCallArgs(&args)) return nullptr;
  ctx_.pop_back();
  if (!modifier_first && (PeekIs(TokenType::kBy) || PeekIs(TokenType::kWithout))) {
    agg->without = Next().type == TokenType::kWithout;
    if (!ParseGroupingLabels(&agg->grouping)) return nullptr;
  }
  agg->pos = {op_tok.pos, last_.end()};
  if (args.empty()) {
    AddError(agg->pos, "no arguments for aggregate expression provided");
    return nullptr;
  }
  size_t want = 1;
  if (AggregateOpHasParam(agg->op)) {
    if (!opts_.enable_experimental_functions &&
        (agg->op == AggregateOp::kLimitk || agg->op == AggregateOp::kLimitRatio)) {
      AddError(agg->pos, fmt::format("{}() is experimental and must be enabled with "
                                     "--enable-feature=promql-experimental-functions",
                                     AggregateOpString(agg->op)));
      return nullptr;
    }
    want = 2;
  }
  if (args.size() != want) {
    AddError(agg->pos, fmt::format("wrong number of arguments for aggregate expression provided, "
                                   "expected {}, got {}",
                                   want, args.size()));
    return nullptr;
  }
  if (want == 2) agg->param = std::move(args[0]);
  agg->expr = std::move(args[want - 1]);
  if (!SetHeight(agg.get(), {agg->expr.get(), agg->param.get()})) return nullptr;
  return agg;
}

bool Parser::ParseFillValue(double* v) {
  if (!PeekIs(TokenType::kLeftParen)) {
    UnexpectedHere();
    return false;
  }
  Next();
  bool neg = false;
  if (PeekIs(TokenType::kAdd) || PeekIs(TokenType::kSub)) neg = Next().type == TokenType::kSub;
  if (!PeekIs(TokenType::kNumber) && !PeekIs(TokenType::kDuration)) {
    UnexpectedHere();
    return false;
  }
  ExprPtr n = ParseNumberLiteral();
  if (!n) return false;
  if (!PeekIs(TokenType::kRightParen)) {
    UnexpectedHere();
    return false;
  }
  Next();
  double val = n->As<NumberLiteral>().val;
  *v = neg ? -val : val;
  return true;
}

bool Parser::ParseBinModifiers(BinModifiers* mods) {
  if (PeekIs(TokenType::kBool)) {
    Next();
    mods->return_bool = true;
  }
  if (PeekIs(TokenType::kOn) || PeekIs(TokenType::kIgnoring)) {
    mods->matching.on = Next().type == TokenType::kOn;
    if (!ParseGroupingLabels(&mods->matching.matching_labels)) return false;
    if (PeekIs(TokenType::kGroupLeft) || PeekIs(TokenType::kGroupRight)) {
      mods->matching.card = Next().type == TokenType::kGroupLeft
                                ? VectorMatchCardinality::kManyToOne
                                : VectorMatchCardinality::kOneToMany;
      if (PeekIs(TokenType::kLeftParen)) {
        if (!ParseGroupingLabels(&mods->matching.include)) return false;
      }
    }
  }
  double v;
  switch (Peek().type) {
    case TokenType::kFill:
      Next();
      if (!ParseFillValue(&v)) return false;
      mods->matching.fill_lhs = v;
      mods->matching.fill_rhs = v;
      mods->has_fill = true;
      break;
    case TokenType::kFillLeft:
      Next();
      if (!ParseFillValue(&v)) return false;
      mods->matching.fill_lhs = v;
      mods->has_fill = true;
      if (PeekIs(TokenType::kFillRight)) {
        Next();
        if (!ParseFillValue(&v)) return false;
        mods->matching.fill_rhs = v;
      }
      break;
    case TokenType::kFillRight:
      Next();
      if (!ParseFillValue(&v)) return false;
      mods->matching.fill_rhs = v;
      mods->has_fill = true;
      if (PeekIs(TokenType::kFillLeft)) {
        Next();
        if (!ParseFillValue(&v)) return false;
        mods->matching.fill_lhs = v;
      }
      break;
    default:
      break;
  }
  return true;
}

ExprPtr Parser::MakeBinary(ExprPtr lhs, BinaryOp op, BinModifiers mods, ExprPtr rhs) {
  auto b = std::make_unique<BinaryExpr>();
  b->op = op;
  b->lhs = std::move(lhs);
  b->rhs = std::move(rhs);
  b->return_bool = mods.return_bool;
  b->matching = std::move(mods.matching);
  if (mods.has_fill && !opts_.enable_binop_fill_modifiers) {
    AddError(b->Range(), "binop fill modifiers are experimental and not enabled");
    return nullptr;
  }
  if (!SetHeight(b.get(), {b->lhs.get(), b->rhs.get()})) return nullptr;
  return b;
}

ExprPtr Parser::ParseRangeOrSubquery(ExprPtr e) {
  Token lb = Next();  // '['
  ctx_.push_back({"subquery or range selector", "number, duration, step(), or range()"});
  ExprPtr range = ParsePositiveDurationExpr();
  ctx_.pop_back();
  if (!range) return nullptr;
  if (PeekIs(TokenType::kRightBracket)) {
    Token rb = Next();
    auto* vs = DynCast<VectorSelector>(e.get());
    std::string_view err;
    if (vs == nullptr) {
      err = "ranges only allowed for vector selectors";
    } else if (vs->original_offset_ms != 0 || vs->original_offset_expr) {
      err = "no offset modifiers allowed before range";
    } else if (vs->timestamp_ms || vs->start_or_end != AtModifier::kNone) {
      err = "no @ modifiers allowed before range";
    }
    if (!err.empty()) {
      AddError({lb.pos, rb.end()}, std::string(err));
      return nullptr;
    }
    auto ms = std::make_unique<MatrixSelector>();
    ms->vector_selector.reset(static_cast<VectorSelector*>(e.release()));
    if (auto* n = DynCast<NumberLiteral>(range.get())) {
      ms->range_ms = SecondsToMs(n->val);
    } else {
      ms->range_expr = AsDuration(std::move(range));
    }
    ms->end_pos = rb.end();
    if (!SetHeight(ms.get(), {ms->vector_selector.get()})) return nullptr;
    return ms;
  }
  if (!PeekIs(TokenType::kColon)) {
    Unexpected("subquery or range", "\":\" or \"]\"");
    return nullptr;
  }
  Next();
  auto sq = std::make_unique<SubqueryExpr>();
  if (auto* n = DynCast<NumberLiteral>(range.get())) {
    sq->range_ms = SecondsToMs(n->val);
  } else {
    sq->range_expr = AsDuration(std::move(range));
  }
  if (!PeekIs(TokenType::kRightBracket)) {
    ctx_.push_back({"subquery selector", "number, duration, step(), range(), or \"]\""});
    ExprPtr step = ParsePositiveDurationExpr();
    ctx_.pop_back();
    if (!step) return nullptr;
    if (!PeekIs(TokenType::kRightBracket)) {
      Unexpected("subquery selector", "\"]\"");
      return nullptr;
    }
    if (auto* n = DynCast<NumberLiteral>(step.get())) {
      sq->step_ms = SecondsToMs(n->val);
    } else {
      sq->step_expr = AsDuration(std::move(step));
    }
  }
  Token rb = Next();
  sq->expr = std::move(e);
  sq->end_pos = rb.end();
  if (!SetHeight(sq.get(), {sq->expr.get()})) return nullptr;
  return sq;
}

ExprPtr Parser::ParseOffset(ExprPtr e) {
  ctx_.push_back({"offset", "number, duration, step(), or range()"});
  ExprPtr d = ParseOffsetDurationExpr();
  ctx_.pop_back();
  if (!d) return nullptr;
  int32_t end = last_.end();
  if (auto* n = DynCast<NumberLiteral>(d.get())) {
    AddOffset(e.get(), SecondsToMs(n->val), nullptr, end);
  } else {
    AddOffset(e.get(), 0, AsDuration(std::move(d)), end);
  }
  if (failed()) return nullptr;
  return e;
}

void Parser::AddOffset(Expr* e, int64_t offset_ms, std::unique_ptr<DurationExpr> offset_expr,
                       int32_t end) {
  int64_t* orig = nullptr;
  std::unique_ptr<DurationExpr>* orig_expr = nullptr;
  int32_t* end_pos = nullptr;
  switch (e->kind()) {
    case NodeKind::kVectorSelector: {
      auto& vs = e->As<VectorSelector>();
      orig = &vs.original_offset_ms;
      orig_expr = &vs.original_offset_expr;
      end_pos = &vs.pos.end;
      break;
    }
    case NodeKind::kMatrixSelector: {
      auto& ms = e->As<MatrixSelector>();
      orig = &ms.vector_selector->original_offset_ms;
      orig_expr = &ms.vector_selector->original_offset_expr;
      end_pos = &ms.end_pos;
      break;
    }
    case NodeKind::kSubquery: {
      auto& sq = e->As<SubqueryExpr>();
      orig = &sq.original_offset_ms;
      orig_expr = &sq.original_offset_expr;
      end_pos = &sq.end_pos;
      break;
    }
    default:
      AddError(e->Range(),
               "offset modifier must be preceded by an instant vector selector or range vector "
               "selector or a subquery");
      return;
  }
  if (*orig != 0 || *orig_expr) {
    AddError(e->Range(), "offset may not be set multiple times");
    return;
  }
  *orig = offset_ms;
  *orig_expr = std::move(offset_expr);
  *end_pos = end;
}

bool Parser::GetAtModifierVars(Expr* e, std::optional<int64_t>** ts, AtModifier** se,
                               int32_t** end) {
  switch (e->kind()) {
    case NodeKind::kVectorSelector: {
      auto& vs = e->As<VectorSelector>();
      *ts = &vs.timestamp_ms;
      *se = &vs.start_or_end;
      *end = &vs.pos.end;
      break;
    }
    case NodeKind::kMatrixSelector: {
      auto& ms = e->As<MatrixSelector>();
      *ts = &ms.vector_selector->timestamp_ms;
      *se = &ms.vector_selector->start_or_end;
      *end = &ms.end_pos;
      break;
    }
    case NodeKind::kSubquery: {
      auto& sq = e->As<SubqueryExpr>();
      *ts = &sq.timestamp_ms;
      *se = &sq.start_or_end;
      *end = &sq.end_pos;
      break;
    }
    default:
      AddError(e->Range(),
               "@ modifier must be preceded by an instant vector selector or range vector "
               "selector or a subquery");
      return false;
  }
  if (**ts || **se != AtModifier::kNone) {
    AddError(e->Range(), "@ <timestamp> may not be set multiple times");
    return false;
  }
  return true;
}

void Parser::SetTimestamp(Expr* e, double ts, int32_t end) {
  if (std::isinf(ts) || std::isnan(ts) || ts >= 9223372036854775807.0 ||
      ts <= -9223372036854775808.0) {
    AddError(e->Range(), fmt::format("timestamp out of bounds for @ modifier: {}", GoFormatF(ts)));
    return;
  }
  std::optional<int64_t>* tsp;
  AtModifier* se;
  int32_t* endp;
  if (!GetAtModifierVars(e, &tsp, &se, &endp)) return;
  double ms = std::round(ts * 1000);
  if (ms >= 9223372036854775807.0 || ms <= -9223372036854775808.0) {
    // Prometheus overflows here; clamp instead of invoking undefined behaviour.
    *tsp = ms > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  } else {
    *tsp = static_cast<int64_t>(ms);
  }
  *endp = end;
}

void Parser::SetAtPreprocessor(Expr* e, AtModifier m, int32_t end) {
  std::optional<int64_t>* tsp;
  AtModifier* se;
  int32_t* endp;
  if (!GetAtModifierVars(e, &tsp, &se, &endp)) return;
  *se = m;
  *endp = end;
}

ExprPtr Parser::ParseAt(ExprPtr e) {
  ctx_.push_back({"@", "timestamp"});
  const Token t = Peek();
  bool ok = true;
  if (t.type == TokenType::kStart || t.type == TokenType::kEnd) {
    Next();
    if (!PeekIs(TokenType::kLeftParen)) {
      UnexpectedHere();
      ok = false;
    } else {
      Next();
      if (!PeekIs(TokenType::kRightParen)) {
        UnexpectedHere();
        ok = false;
      } else {
        Token close = Next();
        ctx_.pop_back();
        SetAtPreprocessor(e.get(),
                          t.type == TokenType::kStart ? AtModifier::kStart : AtModifier::kEnd,
                          close.end());
        if (failed()) return nullptr;
        return e;
      }
    }
  } else {
    bool neg = false;
    if ((t.type == TokenType::kAdd || t.type == TokenType::kSub) &&
        (PeekIs(TokenType::kNumber, 1) || PeekIs(TokenType::kDuration, 1))) {
      neg = Next().type == TokenType::kSub;
    }
    if (PeekIs(TokenType::kNumber) || PeekIs(TokenType::kDuration)) {
      ExprPtr n = ParseNumberLiteral();
      if (!n) return nullptr;
      ctx_.pop_back();
      double v = n->As<NumberLiteral>().val;
      SetTimestamp(e.get(), neg ? -v : v, last_.end());
      if (failed()) return nullptr;
      return e;
    }
    UnexpectedHere();
    ok = false;
  }
  (void)ok;
  return nullptr;
}

void Parser::SetAnchoredOrSmoothed(Expr* e, bool anchored) {
  std::string_view name = anchored ? "anchored" : "smoothed";
  if (!opts_.enable_extended_range_selectors) {
    AddError(e->Range(), fmt::format("{} modifier is experimental and not enabled", name));
    return;
  }
  VectorSelector* vs = nullptr;
  switch (e->kind()) {
    case NodeKind::kVectorSelector:
      vs = &e->As<VectorSelector>();
      break;
    case NodeKind::kMatrixSelector:
      vs = e->As<MatrixSelector>().vector_selector.get();
      break;
    case NodeKind::kSubquery:
      AddError(e->Range(), fmt::format("{} modifier is not supported for subqueries", name));
      return;
    default:
      AddError(e->Range(), fmt::format("{} modifier not implemented", name));
      return;
  }
  if (anchored) {
    vs->anchored = true;
    if (vs->smoothed) {
      AddError(e->Range(), "anchored and smoothed modifiers cannot be used together");
    }
  } else {
    vs->smoothed = true;
    if (vs->anchored) {
      AddError(e->Range(), "anchored and smoothed modifiers cannot be used together");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Duration expressions.

void Parser::ExperimentalDurationExpr(const Expr& e) {
  if (!opts_.experimental_duration_expr) {
    AddError(e.Range(), "experimental duration expression is not enabled");
  }
}

ExprPtr Parser::ParseDurationLiteral() {
  ExprPtr n = ParseNumberLiteral();
  if (!n) return nullptr;
  auto& nl = n->As<NumberLiteral>();
  if (DurationSecondsOutOfRange(nl.val)) {
    AddError(nl.pos, "duration out of range");
    return nullptr;
  }
  return n;
}

// step() / range() / max_of(a, b) / min_of(a, b); the next token is the keyword.
ExprPtr Parser::ParseDurationKeywordCall(bool check_experimental) {
  Token kw = Next();
  auto d = std::make_unique<DurationExpr>();
  d->start_pos = kw.pos;
  if (!PeekIs(TokenType::kLeftParen)) {
    UnexpectedHere();
    return nullptr;
  }
  Next();
  if (kw.type == TokenType::kStep || kw.type == TokenType::kRange) {
    d->op = kw.type == TokenType::kStep ? DurationExpr::Op::kStep : DurationExpr::Op::kRange;
    if (!PeekIs(TokenType::kRightParen)) {
      UnexpectedHere();
      return nullptr;
    }
    d->end_pos = Next().end();
  } else {
    d->op = kw.type == TokenType::kMaxOf ? DurationExpr::Op::kMaxOf : DurationExpr::Op::kMinOf;
    d->lhs = ParseDurationExpr(0);
    if (!d->lhs) return nullptr;
    if (!PeekIs(TokenType::kComma)) {
      UnexpectedHere();
      return nullptr;
    }
    Next();
    d->rhs = ParseDurationExpr(0);
    if (!d->rhs) return nullptr;
    if (!PeekIs(TokenType::kRightParen)) {
      UnexpectedHere();
      return nullptr;
    }
    d->end_pos = Next().end();
  }
  if (check_experimental) ExperimentalDurationExpr(*d);
  if (failed()) return nullptr;
  if (!SetHeight(d.get(), {d->lhs.get(), d->rhs.get()})) return nullptr;
  return d;
}

ExprPtr Parser::WrapParenDuration(ExprPtr e, int32_t start, int32_t end) {
  if (auto* d = DynCast<DurationExpr>(e.get())) {
    d->wrapped = true;
    return e;
  }
  auto w = std::make_unique<DurationExpr>();
  w->op = DurationExpr::Op::kAdd;
  w->rhs = std::move(e);
  w->wrapped = true;
  w->start_pos = start;
  w->end_pos = end;
  if (!SetHeight(w.get(), {w->rhs.get()})) return nullptr;
  return w;
}

ExprPtr Parser::ApplyUnaryToDuration(const Token& op, ExprPtr e, bool wrapped) {
  if (wrapped) {
    PositionRange r = e->Range();
    e = WrapParenDuration(std::move(e), r.start, r.end);
    if (!e) return nullptr;
  }
  if (auto* n = DynCast<NumberLiteral>(e.get())) {
    if (op.type == TokenType::kSub) n->val = -n->val;
    if (DurationSecondsOutOfRange(n->val)) {
      AddError({op.pos, op.end()}, "duration out of range");
      return nullptr;
    }
    n->pos.start = op.pos;
    return e;
  }
  if (op.type == TokenType::kAdd) return e;
  auto d = std::make_unique<DurationExpr>();
  d->op = DurationExpr::Op::kSub;
  d->rhs = std::move(e);
  d->start_pos = op.pos;
  if (!SetHeight(d.get(), {d->rhs.get()})) return nullptr;
  return d;
}

ExprPtr Parser::ParseDurationPrimary() {
  if (!Enter()) return nullptr;
  ExprPtr result;
  const Token t = Peek();
  switch (t.type) {
    case TokenType::kNumber:
    case TokenType::kDuration:
      result = ParseDurationLiteral();
      break;
    case TokenType::kAdd:
    case TokenType::kSub: {
      Token op = Next();
      ExprPtr e = ParseDurationExpr(kPrecPow);
      if (e) result = ApplyUnaryToDuration(op, std::move(e), false);
      break;
    }
    case TokenType::kStep:
    case TokenType::kRange:
    case TokenType::kMaxOf:
    case TokenType::kMinOf:
      result = ParseDurationKeywordCall();
      break;
    case TokenType::kLeftParen: {
      Token open = Next();
      ExprPtr inner = ParseDurationExpr(0);
      if (!inner) break;
      if (!PeekIs(TokenType::kRightParen)) {
        UnexpectedHere();
        break;
      }
      Token close = Next();
      ExperimentalDurationExpr(*inner);
      if (failed()) break;
      result = WrapParenDuration(std::move(inner), open.pos, close.end());
      break;
    }
    default:
      UnexpectedHere();
      break;
  }
  Leave();
  return result;
}

ExprPtr Parser::ParseDurationBinaryRest(ExprPtr lhs, int min_prec) {
  while (lhs) {
    TokenType tt = Peek().type;
    int prec = DurationPrecedence(tt);
    if (prec == 0 || prec < min_prec) break;
    Token op = Next();
    ExprPtr rhs = ParseDurationExpr(tt == TokenType::kPow ? prec : prec + 1);
    if (!rhs) return nullptr;
    ExperimentalDurationExpr(*lhs);
    if (failed()) return nullptr;
    if (tt == TokenType::kDiv || tt == TokenType::kMod) {
      auto* n = DynCast<NumberLiteral>(rhs.get());
      if (n != nullptr && n->val == 0) {
        AddError({op.pos, op.end()}, tt == TokenType::kDiv ? "division by zero" : "modulo by zero");
        return nullptr;
      }
    }
    auto d = std::make_unique<DurationExpr>();
    d->op = DurationOpFromBinary(tt);
    d->lhs = std::move(lhs);
    d->rhs = std::move(rhs);
    if (!SetHeight(d.get(), {d->lhs.get(), d->rhs.get()})) return nullptr;
    lhs = std::move(d);
  }
  return lhs;
}

ExprPtr Parser::ParseDurationExpr(int min_prec) {
  if (!Enter()) return nullptr;
  ExprPtr e = ParseDurationPrimary();
  if (e) e = ParseDurationBinaryRest(std::move(e), min_prec);
  Leave();
  return e;
}

ExprPtr Parser::ParsePositiveDurationExpr() {
  ExprPtr d = ParseDurationExpr(0);
  if (!d) return nullptr;
  // Unlike Prometheus, a positive duration below 1ms is rejected as well: the engine works in
  // whole milliseconds, and it would print as "0s", which does not parse back.
  if (auto* n = DynCast<NumberLiteral>(d.get());
      n != nullptr && (!(n->val > 0) || SecondsToMs(n->val) <= 0)) {
    AddError(n->pos, "duration must be greater than 0");
    return nullptr;
  }
  return d;
}

// The argument of `offset`: a signed number or duration, a signed step()/range()/max_of()/
// min_of(), or a parenthesised duration expression. Only the parenthesised form continues
// with arithmetic (`offset (1m) * 2`); `foo offset 5m - 1` is (foo offset 5m) - 1.
ExprPtr Parser::ParseOffsetDurationExpr() {
  const Token t = Peek();
  switch (t.type) {
    case TokenType::kNumber:
    case TokenType::kDuration:
      return ParseDurationLiteral();
    case TokenType::kStep:
    case TokenType::kRange:
    case TokenType::kMaxOf:
    case TokenType::kMinOf:
      return ParseDurationKeywordCall();
    case TokenType::kLeftParen: {
      ExprPtr p = ParseDurationPrimary();
      if (!p) return nullptr;
      return ParseDurationBinaryRest(std::move(p), 0);
    }
    case TokenType::kAdd:
    case TokenType::kSub:
      break;
    default:
      UnexpectedHere();
      return nullptr;
  }
  const TokenType next = Peek(1).type;
  switch (next) {
    case TokenType::kNumber:
    case TokenType::kDuration: {
      Token op = Next();
      ExprPtr n = ParseNumberLiteral();
      if (!n) return nullptr;
      auto& nl = n->As<NumberLiteral>();
      if (op.type == TokenType::kSub) nl.val = -nl.val;
      if (DurationSecondsOutOfRange(nl.val)) {
        AddError({op.pos, op.end()}, "duration out of range");
        return nullptr;
      }
      nl.pos.start = op.pos;
      return n;
    }
    case TokenType::kStep:
    case TokenType::kRange:
    case TokenType::kMaxOf:
    case TokenType::kMinOf: {
      Token op = Next();
      // Prometheus checks the feature flag once, on the signed expression.
      ExprPtr inner = ParseDurationKeywordCall(/*check_experimental=*/false);
      if (!inner) return nullptr;
      auto d = std::make_unique<DurationExpr>();
      d->op = op.type == TokenType::kSub ? DurationExpr::Op::kSub : DurationExpr::Op::kAdd;
      d->rhs = std::move(inner);
      d->start_pos = op.pos;
      ExperimentalDurationExpr(*d);
      if (failed()) return nullptr;
      if (!SetHeight(d.get(), {d->rhs.get()})) return nullptr;
      return d;
    }
    case TokenType::kLeftParen: {
      Token op = Next();
      Next();  // '('
      ExprPtr inner = ParseDurationExpr(0);
      if (!inner) return nullptr;
      if (!PeekIs(TokenType::kRightParen)) {
        UnexpectedHere();
        return nullptr;
      }
      Next();
      return ApplyUnaryToDuration(op, std::move(inner), true);
    }
    default: {
      // A sign before another duration expression (`offset - -1m`).
      ExprPtr d = ParseDurationPrimary();
      if (!d) return nullptr;
      return ParseDurationBinaryRest(std::move(d), 0);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Type checking.

void Parser::ExpectType(Expr& e, ValueType want, std::string_view context) {
  ValueType t = Check(e);
  if (t != want) {
    AddError(e.Range(), fmt::format("expected type {} in {}, got {}", DocumentedType(want), context,
                                    DocumentedType(t)));
  }
}

PositionRange Parser::OpRange(const BinaryExpr& b) const {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  PositionRange r;
  r.start = b.lhs->Range().end;
  while (r.start < static_cast<int32_t>(input_.size()) && is_space(input_[r.start])) r.start++;
  r.end = b.rhs->Range().start - 1;
  while (r.end > 0 && is_space(input_[r.end])) r.end--;
  return r;
}

ValueType Parser::Check(Expr& node) {
  const ValueType typ = node.Type();
  switch (node.kind()) {
    case NodeKind::kAggregate: {
      auto& n = node.As<AggregateExpr>();
      ExpectType(*n.expr, ValueType::kVector, "aggregation expression");
      switch (n.op) {
        case AggregateOp::kTopk:
        case AggregateOp::kBottomk:
        case AggregateOp::kQuantile:
        case AggregateOp::kLimitk:
        case AggregateOp::kLimitRatio:
          ExpectType(*n.param, ValueType::kScalar, "aggregation parameter");
          break;
        case AggregateOp::kCountValues:
          ExpectType(*n.param, ValueType::kString, "aggregation parameter");
          break;
        default:
          break;
      }
      break;
    }
    case NodeKind::kBinary: {
      auto& n = node.As<BinaryExpr>();
      ValueType lt = Check(*n.lhs);
      ValueType rt = Check(*n.rhs);
      VectorMatching& vm = *n.matching;
      if (n.return_bool && !IsComparisonOp(n.op)) {
        AddError(OpRange(n), "bool modifier can only be used on comparison operators");
      }
      if (IsComparisonOp(n.op) && !n.return_bool && lt == ValueType::kScalar &&
          rt == ValueType::kScalar) {
        AddError(OpRange(n), "comparisons between scalars must use BOOL modifier");
      }
      if (IsSetOp(n.op) && vm.card == VectorMatchCardinality::kOneToOne) {
        vm.card = VectorMatchCardinality::kManyToMany;
      }
      if (vm.on) {
        for (const auto& l1 : vm.matching_labels) {
          for (const auto& l2 : vm.include) {
            if (l1 == l2) {
              AddError(OpRange(n), fmt::format("label {} must not occur in ON and GROUP clause "
                                               "at once",
                                               GoQuote(l1)));
            }
          }
        }
      }
      if (lt != ValueType::kScalar && lt != ValueType::kVector) {
        AddError(n.lhs->Range(),
                 "binary expression must contain only scalar and instant vector types");
      }
      if (rt != ValueType::kScalar && rt != ValueType::kVector) {
        AddError(n.rhs->Range(),
                 "binary expression must contain only scalar and instant vector types");
      }
      const bool has_fill = vm.fill_lhs.has_value() || vm.fill_rhs.has_value();
      if (lt != ValueType::kVector || rt != ValueType::kVector) {
        if (!vm.matching_labels.empty()) {
          AddError(n.Range(), "vector matching only allowed between instant vectors");
        }
        if (has_fill) {
          AddError(n.Range(), "filling in missing series only allowed between instant vectors");
        }
        n.matching.reset();
      } else if (IsSetOp(n.op)) {
        if (vm.card == VectorMatchCardinality::kOneToMany ||
            vm.card == VectorMatchCardinality::kManyToOne) {
          AddError(n.Range(), fmt::format("no grouping allowed for {} operation",
                                          GoQuote(BinaryOpString(n.op))));
        }
        if (vm.card != VectorMatchCardinality::kManyToMany) {
          AddError(n.Range(), "set operations must always be many-to-many");
        }
        if (has_fill) {
          AddError(n.Range(), "filling in missing series not allowed for set operators");
        }
      }
      if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOp(n.op)) {
        AddError(n.Range(), fmt::format("set operator {} not allowed in binary scalar expression",
                                        GoQuote(BinaryOpString(n.op))));
      }
      break;
    }
    case NodeKind::kCall: {
      auto& n = node.As<Call>();
      const Function& f = *n.func;
      const size_t nargs = f.arg_types.size();
      const size_t got = n.args.size();
      if (f.variadic == 0) {
        if (nargs != got) {
          AddError(n.pos, fmt::format("expected {} argument(s) in call to {}, got {}", nargs,
                                      GoQuote(f.name), got));
        }
      } else {
        const size_t na = nargs - 1;
        if (na > got) {
          AddError(n.pos, fmt::format("expected at least {} argument(s) in call to {}, got {}", na,
                                      GoQuote(f.name), got));
        } else if (f.variadic > 0 && na + static_cast<size_t>(f.variadic) < got) {
          AddError(n.pos, fmt::format("expected at most {} argument(s) in call to {}, got {}",
                                      na + static_cast<size_t>(f.variadic), GoQuote(f.name), got));
        }
      }
      if (f.name == "info" && got > 1) {
        if (n.args[1]->Type() != ValueType::kVector) {
          AddError(n.pos, fmt::format("expected type {} in call to function {}, got {}",
                                      DocumentedType(ValueType::kVector), GoQuote(f.name),
                                      DocumentedType(n.args[1]->Type())));
        }
        if (auto* vs = DynCast<VectorSelector>(n.args[1].get())) {
          if (!vs->name.empty()) {
            AddError(vs->Range(), "expected label selectors only, got vector selector instead");
          } else {
            vs->bypass_empty_matcher_check = true;
          }
        } else {
          AddError(n.args[1]->Range(), "expected label selectors only");
        }
      }
      for (size_t i = 0; i < got; i++) {
        size_t ti = i;
        if (ti >= nargs) {
          if (f.variadic == 0) break;
          ti = nargs - 1;
        }
        ValueType t = Check(*n.args[i]);
        if (t != f.arg_types[ti]) {
          AddError(
              n.args[i]->Range(),
              fmt::format("expected type {} in call to function {}, got {}",
                          DocumentedType(f.arg_types[ti]), GoQuote(f.name), DocumentedType(t)));
        }
      }
      break;
    }
    case NodeKind::kParen:
      Check(*node.As<ParenExpr>().expr);
      break;
    case NodeKind::kUnary: {
      auto& n = node.As<UnaryExpr>();
      ValueType t = Check(*n.expr);
      if (t != ValueType::kScalar && t != ValueType::kVector) {
        AddError(n.Range(), fmt::format("unary expression only allowed on expressions of type "
                                        "scalar or instant vector, got {}",
                                        GoQuote(DocumentedType(t))));
      }
      break;
    }
    case NodeKind::kSubquery: {
      auto& n = node.As<SubqueryExpr>();
      ValueType t = Check(*n.expr);
      if (t != ValueType::kVector) {
        AddError(n.Range(),
                 fmt::format("subquery is only allowed on instant vector, got {} instead",
                             ValueTypeName(t)));
      }
      break;
    }
    case NodeKind::kMatrixSelector:
      Check(*node.As<MatrixSelector>().vector_selector);
      break;
    case NodeKind::kVectorSelector: {
      auto& n = node.As<VectorSelector>();
      if (!n.name.empty()) {
        // The last matcher is the implicit one for the name outside the braces.
        for (size_t i = 0; i + 1 < n.matchers.size(); i++) {
          if (n.matchers[i].name() == kMetricName) {
            AddError(n.pos, fmt::format("metric name must not be set twice: {} or {}",
                                        GoQuote(n.name), GoQuote(n.matchers[i].value())));
          }
        }
        break;
      }
      if (!n.bypass_empty_matcher_check) {
        bool not_empty = false;
        for (const auto& m : n.matchers) {
          if (!m.MatchesEmpty()) {
            not_empty = true;
            break;
          }
        }
        if (!not_empty) {
          AddError(n.pos, "vector selector must contain at least one non-empty matcher");
        }
      }
      break;
    }
    case NodeKind::kNumberLiteral:
    case NodeKind::kStringLiteral:
      break;
    case NodeKind::kStepInvariant:
      Check(*node.As<StepInvariantExpr>().expr);
      break;
    case NodeKind::kDuration:
      break;
  }
  return typ;
}

// ---------------------------------------------------------------------------------------------
// Selectors and metrics.

Result<std::vector<Matcher>> Parser::ParseSelectorTopLevel() {
  ExprPtr e;
  const TokenType t = Peek().type;
  if (t == TokenType::kLeftBrace) {
    e = ParseVectorSelector(false);
  } else if (IsMetricIdentifierToken(t)) {
    e = ParseVectorSelector(true);
  } else {
    Unexpected("", "");
  }
  if (!failed() && !PeekIs(TokenType::kEOF)) Unexpected("", "");
  if (error_) {
    return Status::InvalidArgument(
        fmt::format("{}: parse error: {}", PositionString(input_, error_->pos.start), error_->msg));
  }
  return std::move(e->As<VectorSelector>().matchers);
}

Result<Labels> Parser::ParseMetricTopLevel() {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string name;
  const Token first = Peek();
  if (IsMetricIdentifierToken(first.type)) {
    Next();
    name = std::string(first.val);
  }
  if (PeekIs(TokenType::kLeftBrace)) {
    Next();
    bool done = PeekIs(TokenType::kRightBrace);
    if (done) Next();
    while (!done && !failed()) {
      const Token l = Peek();
      if (l.type == TokenType::kIdentifier || l.type == TokenType::kString) {
        Next();
        std::string label = l.type == TokenType::kString ? Unquote(l) : std::string(l.val);
        if (PeekIs(TokenType::kEql)) {
          Next();
          if (!PeekIs(TokenType::kString)) {
            Unexpected("label set", "string");
            break;
          }
          pairs.emplace_back(std::move(label), Unquote(Next()));
        } else if (l.type == TokenType::kString) {
          pairs.emplace_back(std::string(kMetricName), std::move(label));
        } else {
          Unexpected("label set", "\"=\"");
          break;
        }
      } else {
        Unexpected("label set", "identifier or \"}\"");
        break;
      }
      if (PeekIs(TokenType::kComma)) {
        Next();
        if (PeekIs(TokenType::kRightBrace)) {
          Next();
          done = true;
        }
      } else if (PeekIs(TokenType::kRightBrace)) {
        Next();
        done = true;
      } else {
        Unexpected("label set", "\",\" or \"}\"");
      }
    }
  } else if (name.empty()) {
    Unexpected("", "");
  }
  if (!failed() && !PeekIs(TokenType::kEOF)) Unexpected("", "");
  if (error_) {
    return Status::InvalidArgument(
        fmt::format("{}: parse error: {}", PositionString(input_, error_->pos.start), error_->msg));
  }
  std::vector<std::pair<std::string_view, std::string_view>> views;
  for (const auto& [k, v] : pairs) views.emplace_back(k, v);
  if (!name.empty()) views.emplace_back(kMetricName, name);
  return Labels::FromPairs(std::move(views));
}

}  // namespace

std::string PositionString(std::string_view query, int32_t pos) {
  if (query.empty()) return "unknown position";
  if (pos < 0 || pos > static_cast<int32_t>(query.size())) return "invalid position";
  int line = 1;
  int32_t last_break = -1;
  for (int32_t i = 0; i < pos; i++) {
    if (query[i] == '\n') {
      last_break = i;
      line++;
    }
  }
  return fmt::format("{}:{}", line, pos - last_break);
}

Result<ExprPtr> ParseExpr(std::string_view input, const ParseOptions& opts) {
  Parser p(input, opts);
  return p.ParseTopLevel();
}

Result<std::vector<Matcher>> ParseMetricSelector(std::string_view input) {
  Parser p(input, ParseOptions{});
  return p.ParseSelectorTopLevel();
}

Result<Labels> ParseMetric(std::string_view input) {
  Parser p(input, ParseOptions{});
  return p.ParseMetricTopLevel();
}

}  // namespace vigil::promql::parser
