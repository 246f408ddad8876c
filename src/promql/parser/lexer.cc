#include "promql/parser/lexer.h"

#include <fmt/format.h>

#include <cctype>

namespace vigil::promql::parser {

namespace {

constexpr int32_t kEofRune = -1;
constexpr int32_t kRuneError = 0xFFFD;

bool IsSpace(int32_t r) { return r == ' ' || r == '\t' || r == '\n' || r == '\r'; }
bool IsDigit(int32_t r) { return r >= '0' && r <= '9'; }
bool IsAlpha(int32_t r) { return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'); }
bool IsAlphaNumeric(int32_t r) { return IsAlpha(r) || IsDigit(r); }
bool IsEndOfLine(int32_t r) { return r == '\r' || r == '\n'; }

bool Contains(std::string_view set, int32_t r) {
  if (r < 0 || r > 0x7f) return false;
  return set.find(static_cast<char>(r)) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Keyword {
  std::string_view word;
  TokenType type;
};

// All keywords, lower case. "inf" and "nan" lex as numbers.
constexpr Keyword kKeywords[] = {
    {"and", TokenType::kLand},
    {"or", TokenType::kLor},
    {"unless", TokenType::kLunless},
    {"atan2", TokenType::kAtan2},
    {"sum", TokenType::kSum},
    {"avg", TokenType::kAvg},
    {"count", TokenType::kCount},
    {"min", TokenType::kMin},
    {"max", TokenType::kMax},
    {"group", TokenType::kGroup},
    {"stddev", TokenType::kStddev},
    {"stdvar", TokenType::kStdvar},
    {"topk", TokenType::kTopk},
    {"bottomk", TokenType::kBottomk},
    {"count_values", TokenType::kCountValues},
    {"quantile", TokenType::kQuantile},
    {"limitk", TokenType::kLimitk},
    {"limit_ratio", TokenType::kLimitRatio},
    {"offset", TokenType::kOffset},
    {"smoothed", TokenType::kSmoothed},
    {"anchored", TokenType::kAnchored},
    {"by", TokenType::kBy},
    {"without", TokenType::kWithout},
    {"on", TokenType::kOn},
    {"ignoring", TokenType::kIgnoring},
    {"group_left", TokenType::kGroupLeft},
    {"group_right", TokenType::kGroupRight},
    {"fill", TokenType::kFill},
    {"fill_left", TokenType::kFillLeft},
    {"fill_right", TokenType::kFillRight},
    {"bool", TokenType::kBool},
    {"start", TokenType::kStart},
    {"end", TokenType::kEnd},
    {"step", TokenType::kStep},
    {"range", TokenType::kRange},
    {"max_of", TokenType::kMaxOf},
    {"min_of", TokenType::kMinOf},
    {"inf", TokenType::kNumber},
    {"nan", TokenType::kNumber},
};

bool LookupKeyword(std::string_view lower, TokenType* t) {
  for (const auto& k : kKeywords) {
    if (k.word == lower) {
      *t = k.type;
      return true;
    }
  }
  return false;
}

bool IsDurationKeywordStart(int32_t r) {
  if (r >= 'A' && r <= 'Z') r = r - 'A' + 'a';
  return r == 's' || r == 'r' || r == 'm';
}

int DigitVal(int32_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 16;
}

}  // namespace

bool IsOperatorToken(TokenType t) { return t >= TokenType::kAdd && t <= TokenType::kLunless; }
bool IsAggregatorToken(TokenType t) { return t >= TokenType::kAvg && t <= TokenType::kLimitRatio; }
bool IsKeywordToken(TokenType t) { return t >= TokenType::kBool && t <= TokenType::kWithout; }

int32_t DecodeRune(std::string_view s, int* width) {
  if (s.empty()) {
    *width = 0;
    return kEofRune;
  }
  auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) {
    *width = 1;
    return b0;
  }
  int n;
  int32_t r;
  int32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    r = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    r = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    r = b0 & 0x07;
    min = 0x10000;
  } else {
    *width = 1;
    return kRuneError;
  }
  if (static_cast<int>(s.size()) < n) {
    *width = 1;
    return kRuneError;
  }
  for (int i = 1; i < n; i++) {
    auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) {
      *width = 1;
      return kRuneError;
    }
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
    *width = 1;
    return kRuneError;
  }
  *width = n;
  return r;
}

void AppendRune(std::string* out, int32_t r) {
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

bool IsPrintRune(int32_t r) {
  if (r < 0x20 || r == 0x7F) return false;
  if (r < 0x7F) return true;
  if (r >= 0x80 && r <= 0xA0) return false;  // C1 controls and NBSP (Go: not graphic ASCII space)
  if (r == 0xAD) return false;               // soft hyphen
  if (r >= 0xD800 && r <= 0xDFFF) return false;
  if (r > 0x10FFFF) return false;
  // Format characters and separators Go does not consider printable.
  if (r == 0x061C || r == 0x180E || (r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) ||
      (r >= 0x205F && r <= 0x206F) || r == 0x3000 || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB)) {
    return false;
  }
  // Private use areas and non-characters.
  if ((r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000) return false;
  if ((r & 0xFFFE) == 0xFFFE) return false;
  return true;
}

std::string QuoteRune(int32_t r) {
  if (r == '\'') return "'\\''";
  if (r == '\\') return "'\\\\'";
  switch (r) {
    case '\a':
      return "'\\a'";
    case '\b':
      return "'\\b'";
    case '\f':
      return "'\\f'";
    case '\n':
      return "'\\n'";
    case '\r':
      return "'\\r'";
    case '\t':
      return "'\\t'";
    case '\v':
      return "'\\v'";
    default:
      break;
  }
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (IsPrintRune(r)) {
    std::string out = "'";
    AppendRune(&out, r);
    out += "'";
    return out;
  }
  if (r < 0x80) return fmt::format("'\\x{:02x}'", r);
  if (r < 0x10000) return fmt::format("'\\u{:04x}'", r);
  return fmt::format("'\\U{:08x}'", r);
}

std::string UnicodeRuneDesc(int32_t r) {
  std::string out = fmt::format("U+{:04X}", r);
  if (IsPrintRune(r)) {
    out += " '";
    AppendRune(&out, r);
    out += "'";
  }
  return out;
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    int w;
    int32_t r = DecodeRune(s.substr(i), &w);
    if (r == kRuneError && w == 1) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
      i += 1;
      continue;
    }
    i += w;
    switch (r) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\v':
        out += "\\v";
        continue;
      default:
        break;
    }
    if (IsPrintRune(r)) {
      AppendRune(&out, r);
    } else if (r < 0x80) {
      out += fmt::format("\\x{:02x}", r);
    } else if (r < 0x10000) {
      out += fmt::format("\\u{:04x}", r);
    } else {
      out += fmt::format("\\U{:08x}", r);
    }
  }
  out += "\"";
  return out;
}

std::string DescribeToken(const Token& t) {
  switch (t.type) {
    case TokenType::kEOF:
      return "end of input";
    case TokenType::kError:
      return "error";
    case TokenType::kIdentifier:
      return "identifier " + GoQuote(t.val);
    case TokenType::kMetricIdentifier:
      return "metric identifier " + GoQuote(t.val);
    case TokenType::kComment:
    case TokenType::kNumber:
    case TokenType::kDuration:
    case TokenType::kString: {
      std::string_view kind = t.type == TokenType::kNumber     ? "number"
                              : t.type == TokenType::kDuration ? "duration"
                              : t.type == TokenType::kComment  ? "comment"
                                                               : "string";
      // Go's "%.10q..." for long values: the first 10 code points, quoted.
      size_t runes = 0, i = 0;
      while (i < t.val.size() && runes < 10) {
        int w;
        DecodeRune(t.val.substr(i), &w);
        i += w;
        runes++;
      }
      if (t.val.size() > 10) return std::string(kind) + " " + GoQuote(t.val.substr(0, i)) + "...";
      return std::string(kind) + " " + GoQuote(t.val);
    }
    default:
      break;
  }
  if (IsKeywordToken(t.type)) return "<" + std::string(t.val) + ">";
  if (IsOperatorToken(t.type)) return "<op:" + std::string(t.val) + ">";
  if (IsAggregatorToken(t.type)) return "<aggr:" + std::string(t.val) + ">";
  if (t.val.size() > 10) return GoQuote(t.val.substr(0, 10)) + "...";
  return GoQuote(t.val);
}

int32_t Lexer::NextRune() {
  if (pos_ >= static_cast<int32_t>(input_.size())) {
    width_ = 0;
    return kEofRune;
  }
  int w;
  int32_t r = DecodeRune(input_.substr(pos_), &w);
  width_ = w;
  pos_ += w;
  return r;
}

int32_t Lexer::PeekRune() {
  int32_t r = NextRune();
  Backup();
  return r;
}

bool Lexer::Accept(std::string_view valid) {
  if (Contains(valid, NextRune())) return true;
  Backup();
  return false;
}

bool Lexer::Is(std::string_view valid) { return Contains(valid, PeekRune()); }

void Lexer::AcceptRun(std::string_view valid) {
  while (Contains(valid, NextRune())) {
  }
  Backup();
}

Token Lexer::Emit(TokenType t) {
  Token tok{t, start_, input_.substr(start_, pos_ - start_)};
  start_ = pos_;
  return tok;
}

Token Lexer::Errorf(std::string msg) {
  error_ = std::move(msg);
  state_ = State::kDone;
  return Token{TokenType::kError, start_, {}};
}

Token Lexer::Next() {
  Token t;
  for (;;) {
    bool done = false;
    switch (state_) {
      case State::kDone:
        start_ = pos_;
        return Token{TokenType::kEOF, pos_, {}};
      case State::kStatements:
        done = LexStatements(&t);
        break;
      case State::kInsideBraces:
        done = LexInsideBraces(&t);
        break;
      case State::kDurationExpr:
        done = LexDurationExpr(&t);
        break;
    }
    if (done) return t;
  }
}

void Lexer::SkipSpaces() {
  while (IsSpace(PeekRune())) NextRune();
  Ignore();
}

Token Lexer::LexLineComment() {
  pos_ += 1;  // '#'
  int32_t r = NextRune();
  while (!IsEndOfLine(r) && r != kEofRune) r = NextRune();
  Backup();
  return Emit(TokenType::kComment);
}

bool Lexer::LexStatements(Token* out) {
  if (brace_open_) {
    state_ = State::kInsideBraces;
    return false;
  }
  if (input_.substr(pos_).starts_with("#")) {
    *out = LexLineComment();
    return true;
  }
  int32_t r = NextRune();
  if (r == kEofRune) {
    if (paren_depth_ != 0) {
      *out = Errorf("unclosed left parenthesis");
    } else if (bracket_open_) {
      *out = Errorf("unclosed left bracket");
    } else {
      *out = Emit(TokenType::kEOF);
      state_ = State::kDone;
    }
    return true;
  }
  if (IsSpace(r)) {
    while (IsSpace(PeekRune())) NextRune();
    Ignore();
    return false;
  }
  switch (r) {
    case ',':
      *out = Emit(TokenType::kComma);
      return true;
    case '*':
      *out = Emit(TokenType::kMul);
      return true;
    case '/':
      *out = Emit(TokenType::kDiv);
      return true;
    case '%':
      *out = Emit(TokenType::kMod);
      return true;
    case '+':
      *out = Emit(TokenType::kAdd);
      return true;
    case '-':
      *out = Emit(TokenType::kSub);
      return true;
    case '^':
      *out = Emit(TokenType::kPow);
      return true;
    case '=': {
      int32_t t = PeekRune();
      if (t == '=') {
        NextRune();
        *out = Emit(TokenType::kEqlc);
      } else if (t == '~') {
        *out = Errorf("unexpected character after '=': " + QuoteRune(t));
      } else {
        *out = Emit(TokenType::kEql);
      }
      return true;
    }
    case '!': {
      int32_t t = NextRune();
      if (t != '=') {
        *out = Errorf("unexpected character after '!': " + QuoteRune(t));
      } else {
        *out = Emit(TokenType::kNeq);
      }
      return true;
    }
    case '<': {
      int32_t t = PeekRune();
      if (t == '=') {
        NextRune();
        *out = Emit(TokenType::kLte);
      } else if (t == '/') {
        NextRune();
        *out = Emit(TokenType::kTrimUpper);
      } else {
        *out = Emit(TokenType::kLss);
      }
      return true;
    }
    case '>': {
      int32_t t = PeekRune();
      if (t == '=') {
        NextRune();
        *out = Emit(TokenType::kGte);
      } else if (t == '/') {
        NextRune();
        *out = Emit(TokenType::kTrimLower);
      } else {
        *out = Emit(TokenType::kGtr);
      }
      return true;
    }
    case '"':
    case '\'':
      *out = LexString(r);
      return true;
    case '`':
      *out = LexRawString();
      return true;
    case '(':
      *out = Emit(TokenType::kLeftParen);
      paren_depth_++;
      return true;
    case ')':
      *out = Emit(TokenType::kRightParen);
      paren_depth_--;
      if (paren_depth_ < 0) *out = Errorf("unexpected right parenthesis " + QuoteRune(r));
      return true;
    case '{':
      *out = Emit(TokenType::kLeftBrace);
      brace_open_ = true;
      state_ = State::kInsideBraces;
      return true;
    case '[':
      if (bracket_open_) {
        *out = Errorf("unexpected left bracket " + QuoteRune(r));
        return true;
      }
      got_colon_ = false;
      // Deviation from Prometheus, whose flag is never reset: tracked per bracket.
      got_duration_ = false;
      *out = Emit(TokenType::kLeftBracket);
      if (IsSpace(PeekRune())) SkipSpaces();
      bracket_open_ = true;
      state_ = State::kDurationExpr;
      return true;
    case ']':
      if (!bracket_open_) {
        *out = Errorf("unexpected right bracket " + QuoteRune(r));
        return true;
      }
      *out = Emit(TokenType::kRightBracket);
      bracket_open_ = false;
      return true;
    case '@':
      *out = Emit(TokenType::kAt);
      return true;
    default:
      break;
  }
  if (IsDigit(r) || (r == '.' && IsDigit(PeekRune()))) {
    Backup();
    *out = LexNumberOrDuration();
    return true;
  }
  if (IsAlpha(r) || r == ':') {
    if (!bracket_open_) {
      Backup();
      *out = LexKeywordOrIdentifier();
      return true;
    }
    if (r == ':') {
      if (got_colon_) {
        *out = Errorf("unexpected colon " + QuoteRune(r));
        return true;
      }
      *out = Emit(TokenType::kColon);
      got_colon_ = true;
      return true;
    }
    if (IsDurationKeywordStart(r) && ScanDurationKeyword(out)) return true;
    *out = Errorf("unexpected character: " + QuoteRune(r) + ", expected ':'");
    return true;
  }
  *out = Errorf("unexpected character: " + QuoteRune(r));
  return true;
}

bool Lexer::ScanDurationKeyword(Token* out) {
  while (IsAlpha(NextRune())) {
  }
  Backup();
  std::string word = Lower(input_.substr(start_, pos_ - start_));
  TokenType t;
  if (word == "step") {
    t = TokenType::kStep;
  } else if (word == "range") {
    t = TokenType::kRange;
  } else if (word == "max_of") {
    t = TokenType::kMaxOf;
  } else if (word == "min_of") {
    t = TokenType::kMinOf;
  } else {
    return false;
  }
  // step() and range() stand for durations (see the ':' check in LexDurationExpr).
  got_duration_ = true;
  *out = Emit(t);
  return true;
}

bool Lexer::LexDurationExpr(Token* out) {
  int32_t r = NextRune();
  switch (r) {
    case kEofRune:
      *out = Errorf("unexpected end of input in duration expression");
      return true;
    case ']':
      *out = Emit(TokenType::kRightBracket);
      bracket_open_ = false;
      got_colon_ = false;
      state_ = State::kStatements;
      return true;
    case ':':
      *out = Emit(TokenType::kColon);
      if (!got_duration_) {
        *out = Errorf("unexpected colon before duration in duration expression");
      } else if (got_colon_) {
        *out = Errorf("unexpected repeated colon in duration expression");
      }
      got_colon_ = true;
      return true;
    case '(':
      *out = Emit(TokenType::kLeftParen);
      paren_depth_++;
      return true;
    case ')':
      *out = Emit(TokenType::kRightParen);
      paren_depth_--;
      if (paren_depth_ < 0) *out = Errorf("unexpected right parenthesis " + QuoteRune(r));
      return true;
    case '+':
      *out = Emit(TokenType::kAdd);
      return true;
    case '-':
      *out = Emit(TokenType::kSub);
      return true;
    case '*':
      *out = Emit(TokenType::kMul);
      return true;
    case '/':
      *out = Emit(TokenType::kDiv);
      return true;
    case '%':
      *out = Emit(TokenType::kMod);
      return true;
    case '^':
      *out = Emit(TokenType::kPow);
      return true;
    case ',':
      *out = Emit(TokenType::kComma);
      return true;
    default:
      break;
  }
  if (IsSpace(r)) {
    SkipSpaces();
    return false;
  }
  if (IsDurationKeywordStart(r)) {
    if (ScanDurationKeyword(out)) return true;
    *out = Errorf("unexpected character in duration expression: " + QuoteRune(r));
    return true;
  }
  if (IsDigit(r) || (r == '.' && IsDigit(PeekRune()))) {
    Backup();
    got_duration_ = true;
    // As in Prometheus, lexing continues in the statement state after a number.
    state_ = State::kStatements;
    *out = LexNumberOrDuration();
    return true;
  }
  *out = Errorf("unexpected character in duration expression: " + QuoteRune(r));
  return true;
}

bool Lexer::LexInsideBraces(Token* out) {
  if (input_.substr(pos_).starts_with("#")) {
    *out = LexLineComment();
    return true;
  }
  int32_t r = NextRune();
  if (r == kEofRune) {
    *out = Errorf("unexpected end of input inside braces");
    return true;
  }
  if (IsSpace(r)) {
    while (IsSpace(PeekRune())) NextRune();
    Ignore();
    return false;
  }
  if (IsAlpha(r)) {
    Backup();
    *out = LexIdentifier();
    return true;
  }
  switch (r) {
    case ',':
      *out = Emit(TokenType::kComma);
      return true;
    case '"':
    case '\'':
      *out = LexString(r);
      return true;
    case '`':
      *out = LexRawString();
      return true;
    case '=':
      if (NextRune() == '~') {
        *out = Emit(TokenType::kEqlRegex);
      } else {
        Backup();
        *out = Emit(TokenType::kEql);
      }
      return true;
    case '!': {
      int32_t nr = NextRune();
      if (nr == '~') {
        *out = Emit(TokenType::kNeqRegex);
      } else if (nr == '=') {
        *out = Emit(TokenType::kNeq);
      } else {
        *out = Errorf("unexpected character after '!' inside braces: " + QuoteRune(nr));
      }
      return true;
    }
    case '{':
      *out = Errorf("unexpected left brace " + QuoteRune(r));
      return true;
    case '}':
      *out = Emit(TokenType::kRightBrace);
      brace_open_ = false;
      state_ = State::kStatements;
      return true;
    default:
      *out = Errorf("unexpected character inside braces: " + QuoteRune(r));
      return true;
  }
}

bool Lexer::LexEscape(int32_t quote, std::string* err) {
  int32_t ch = NextRune();
  int n;
  uint32_t base, max_val;
  switch (ch) {
    case 'a':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
    case '\\':
      return true;
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
      n = 3;
      base = 8;
      max_val = 255;
      break;
    case 'x':
      ch = NextRune();
      n = 2;
      base = 16;
      max_val = 255;
      break;
    case 'u':
      ch = NextRune();
      n = 4;
      base = 16;
      max_val = 0x10FFFF;
      break;
    case 'U':
      ch = NextRune();
      n = 8;
      base = 16;
      max_val = 0x10FFFF;
      break;
    case kEofRune:
      *err = "escape sequence not terminated";
      return false;
    default:
      if (ch == quote) return true;
      *err = "unknown escape sequence " + UnicodeRuneDesc(ch);
      return false;
  }
  uint32_t x = 0;
  while (n > 0) {
    auto d = static_cast<uint32_t>(DigitVal(ch));
    if (d >= base) {
      if (ch == kEofRune) {
        *err = "escape sequence not terminated";
      } else {
        *err = "illegal character " + UnicodeRuneDesc(ch) + " in escape sequence";
      }
      return false;
    }
    x = x * base + d;
    n--;
    if (n > 0) ch = NextRune();
  }
  if (x > max_val || (x >= 0xD800 && x < 0xE000)) {
    *err = "escape sequence is an invalid Unicode code point";
    return false;
  }
  return true;
}

Token Lexer::LexString(int32_t quote) {
  for (;;) {
    int32_t r = NextRune();
    if (r == '\\') {
      std::string err;
      if (!LexEscape(quote, &err)) return Errorf(std::move(err));
      continue;
    }
    if (r == kRuneError) return Errorf("invalid UTF-8 rune");
    if (r == kEofRune || r == '\n') return Errorf("unterminated quoted string");
    if (r == quote) break;
  }
  return Emit(TokenType::kString);
}

Token Lexer::LexRawString() {
  for (;;) {
    int32_t r = NextRune();
    if (r == kRuneError) return Errorf("invalid UTF-8 rune");
    if (r == kEofRune) return Errorf("unterminated raw string");
    if (r == '`') break;
  }
  return Emit(TokenType::kString);
}

Token Lexer::LexNumberOrDuration() {
  if (ScanNumber()) return Emit(TokenType::kNumber);
  if (AcceptRemainingDuration()) {
    Backup();
    return Emit(TokenType::kDuration);
  }
  return Errorf("bad number or duration syntax: " + GoQuote(input_.substr(start_, pos_ - start_)));
}

bool Lexer::AcceptRemainingDuration() {
  if (!Accept("smhdwy")) return false;
  Accept("s");  // "ms"; bad units like "hs" are caught by ParseDuration.
  while (Accept("0123456789")) {
    while (Accept("0123456789")) {
    }
    if (!Accept("smhdw")) return false;
    Accept("s");
  }
  return !IsAlphaNumeric(NextRune());
}

bool Lexer::ScanNumber() {
  const int32_t initial = pos_;
  std::string_view digits = "0123456789";
  if (Accept("0") && Accept("xX")) {
    Accept("_");
    digits = "0123456789abcdefABCDEF";
  }
  const bool hex = digits.size() > 10;
  Accept(".");
  Accept(digits);
  bool dot_consumed = false;
  bool exponent_consumed = false;
  for (;;) {
    int32_t r = PeekRune();
    bool in_set = Contains(digits, r) || r == '.' || r == '_' || r == 'e' || r == 'E';
    if (!in_set) break;
    if (r == '.' && dot_consumed) {
      Accept(".");
      return false;
    }
    if ((r == 'e' || r == 'E') && exponent_consumed) {
      Accept("eE");
      return false;
    }
    if (Accept(".")) {
      dot_consumed = true;
      if (Accept("_.")) return false;
      if (hex) return false;  // no fractional hex literals
      continue;
    }
    // As in Prometheus, e/E is taken as an exponent even in hex literals.
    if (Accept("eE")) {
      exponent_consumed = true;
      Accept("+-");
      if (Accept("._eE") || PeekRune() == kEofRune) return false;
      continue;
    }
    if (Accept("_")) {
      if (Accept("._eE") || PeekRune() == kEofRune) return false;
      continue;
    }
    AcceptRun(digits);
  }
  if (pos_ == initial) return false;
  return !IsAlphaNumeric(PeekRune());
}

bool Lexer::FollowedByLeftParen() const {
  size_t p = pos_;
  while (p < input_.size()) {
    char c = input_[p];
    if (!IsSpace(static_cast<unsigned char>(c))) return c == '(';
    p++;
  }
  return false;
}

Token Lexer::LexKeywordOrIdentifier() {
  for (;;) {
    int32_t r = NextRune();
    if (IsAlphaNumeric(r) || r == ':') continue;
    Backup();
    break;
  }
  std::string_view word = input_.substr(start_, pos_ - start_);
  TokenType kw;
  if (LookupKeyword(Lower(word), &kw)) {
    if ((kw == TokenType::kFill || kw == TokenType::kFillLeft || kw == TokenType::kFillRight) &&
        !FollowedByLeftParen()) {
      return Emit(TokenType::kIdentifier);
    }
    return Emit(kw);
  }
  if (word.find(':') == std::string_view::npos) return Emit(TokenType::kIdentifier);
  return Emit(TokenType::kMetricIdentifier);
}

Token Lexer::LexIdentifier() {
  while (IsAlphaNumeric(NextRune())) {
  }
  Backup();
  return Emit(TokenType::kIdentifier);
}

}  // namespace vigil::promql::parser
