#include "relabel/relabel.h"

#include <locale.h>
#include <openssl/evp.h>
#include <re2/re2.h>
#include <wctype.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "base/coding.h"

namespace vigil::relabel {

namespace {

constexpr std::string_view kDefaultRegex = "(.*)";
constexpr std::string_view kDefaultSeparator = ";";
constexpr std::string_view kDefaultReplacement = "$1";
constexpr std::string_view kShardLabel = "__tmp_vigil_shard";

// Decodes one UTF-8 rune at s[i]. Returns the rune and sets *size; invalid input gives
// U+FFFD with size 1 (like Go's utf8.DecodeRuneInString).
char32_t DecodeRune(std::string_view s, size_t i, size_t* size) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  *size = 1;
  if (c < 0x80) return c;
  size_t n = 0;
  char32_t r = 0;
  char32_t min = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, r = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, r = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, r = c & 0x07, min = 0x10000;
  } else {
    return 0xFFFD;
  }
  if (i + n > s.size()) return 0xFFFD;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0xFFFD;
    r = (r << 6) | (b(k) & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return 0xFFFD;
  *size = n;
  return r;
}

void AppendRune(char32_t r, std::string* out) {
  if (r < 0x80) {
    out->push_back(char(r));
  } else if (r < 0x800) {
    out->push_back(char(0xC0 | (r >> 6)));
    out->push_back(char(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(char(0xE0 | (r >> 12)));
    out->push_back(char(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(char(0x80 | (r & 0x3F)));
  } else {
    out->push_back(char(0xF0 | (r >> 18)));
    out->push_back(char(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(char(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(char(0x80 | (r & 0x3F)));
  }
}

// Unicode tables come from the C library's C.UTF-8 locale (simple case mappings, as Go's
// unicode.ToLower/ToUpper); created once, never freed (process lifetime).
locale_t Utf8Locale() {
  static locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t(0));
  return loc;
}

// Go's strings.ToLower/ToUpper: ASCII fast path, otherwise rune-wise simple case mapping
// where invalid UTF-8 bytes become U+FFFD.
std::string MapCase(std::string_view s, bool upper) {
  std::string out;
  out.reserve(s.size());
  locale_t loc = Utf8Locale();
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (upper && c >= 'a' && c <= 'z') c = c - 'a' + 'A';
      if (!upper && c >= 'A' && c <= 'Z') c = c - 'A' + 'a';
      out.push_back(char(c));
      ++i;
      continue;
    }
    size_t n;
    char32_t r = DecodeRune(s, i, &n);
    if (r != 0xFFFD && loc != locale_t(0)) {
      r = upper ? char32_t(towupper_l(wint_t(r), loc)) : char32_t(towlower_l(wint_t(r), loc));
    }
    AppendRune(r, &out);
    i += n;
  }
  return out;
}

// Go's extract() name characters: unicode letters, digits and '_'.
bool IsNameRune(char32_t r) {
  if (r < 0x80) {
    return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_';
  }
  if (r == 0xFFFD) return false;
  locale_t loc = Utf8Locale();
  return loc != locale_t(0) && iswalnum_l(wint_t(r), loc);
}

// Go's regexp accepts (?<name>re) as well as (?P<name>re); this RE2 only the latter. Rewrites
// the former outside character classes and escapes.
std::string RewriteNamedGroups(std::string_view re) {
  std::string out;
  out.reserve(re.size() + 4);
  bool in_class = false;
  for (size_t i = 0; i < re.size(); ++i) {
    char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      out.push_back(c);
      out.push_back(re[++i]);
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out.push_back(c);
      continue;
    }
    if (c == '[') {
      in_class = true;
      out.push_back(c);
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < re.size() && re[i + 1] == '^') out.push_back(re[++i]);
      if (i + 1 < re.size() && re[i + 1] == ']') out.push_back(re[++i]);
      continue;
    }
    if (c == '(' && re.substr(i, 3) == "(?<" && i + 3 < re.size() && re[i + 3] != '=' &&
        re[i + 3] != '!') {
      out += "(?P<";
      i += 2;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

const re2::RE2& LegacyTargetRegex() {
  // Prometheus' relabelTargetLegacy: legacy name characters plus $var / ${var} references.
  static const re2::RE2* re = new re2::RE2(R"(^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$)");
  return *re;
}

bool HasVar(std::string_view s) { return s.find('$') != std::string_view::npos; }

bool IsValidNameWithVars(std::string_view s, NameValidation scheme) {
  if (scheme == NameValidation::kUTF8) return IsValidLabelName(s, scheme);
  return re2::RE2::FullMatch(s, LegacyTargetRegex());
}

}  // namespace

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kReplace:
      return "replace";
    case Action::kKeep:
      return "keep";
    case Action::kDrop:
      return "drop";
    case Action::kKeepEqual:
      return "keepequal";
    case Action::kDropEqual:
      return "dropequal";
    case Action::kHashMod:
      return "hashmod";
    case Action::kLabelMap:
      return "labelmap";
    case Action::kLabelDrop:
      return "labeldrop";
    case Action::kLabelKeep:
      return "labelkeep";
    case Action::kLowercase:
      return "lowercase";
    case Action::kUppercase:
      return "uppercase";
  }
  return "replace";
}

Result<Action> ParseAction(std::string_view s) {
  std::string lower = MapCase(s, /*upper=*/false);
  static constexpr Action kAll[] = {
      Action::kReplace,   Action::kKeep,      Action::kDrop,      Action::kKeepEqual,
      Action::kDropEqual, Action::kHashMod,   Action::kLabelMap,  Action::kLabelDrop,
      Action::kLabelKeep, Action::kLowercase, Action::kUppercase,
  };
  for (Action a : kAll) {
    if (ActionName(a) == lower) return a;
  }
  return Status::InvalidArgument("unknown relabel action " + GoQuote(s));
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    size_t n;
    char32_t r = DecodeRune(s, i, &n);
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (r == 0xFFFD && n == 1) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (r < 0x20 || r == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(r));
      out += buf;
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out += '"';
  return out;
}

bool IsValidUTF8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n;
    char32_t r = DecodeRune(s, i, &n);
    if (r == 0xFFFD && n == 1) return false;
    i += n;
  }
  return true;
}

bool IsValidLabelName(std::string_view name, NameValidation scheme) {
  if (name.empty()) return false;
  if (scheme == NameValidation::kUTF8) return IsValidUTF8(name);
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsValidMetricName(std::string_view name, NameValidation scheme) {
  if (name.empty()) return false;
  if (scheme == NameValidation::kUTF8) return IsValidUTF8(name);
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Regexp

struct Regexp::Rep {
  std::string pattern;
  std::unique_ptr<re2::RE2> re;
  bool is_default = false;
};

Result<std::shared_ptr<Regexp::Rep>> Regexp::CompileRep(std::string_view pattern) {
  auto rep = std::make_shared<Regexp::Rep>();
  rep->pattern = std::string(pattern);
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  rep->re = std::make_unique<re2::RE2>("^(?s:" + RewriteNamedGroups(pattern) + ")$", opts);
  if (!rep->re->ok()) {
    // Go's regexp wording: "error parsing regexp: <code>: `<fragment>`".
    const char* code = nullptr;
    switch (rep->re->error_code()) {
      case re2::RE2::ErrorBadEscape:
        code = "invalid escape sequence";
        break;
      case re2::RE2::ErrorBadCharClass:
        code = "invalid character class";
        break;
      case re2::RE2::ErrorBadCharRange:
        code = "invalid character class range";
        break;
      case re2::RE2::ErrorMissingBracket:
        code = "missing closing ]";
        break;
      case re2::RE2::ErrorMissingParen:
        code = "missing closing )";
        break;
      case re2::RE2::ErrorUnexpectedParen:
        code = "unexpected )";
        break;
      case re2::RE2::ErrorTrailingBackslash:
        code = "trailing backslash at end of expression";
        break;
      case re2::RE2::ErrorRepeatArgument:
        code = "missing argument to repetition operator";
        break;
      case re2::RE2::ErrorRepeatSize:
        code = "invalid repeat count";
        break;
      case re2::RE2::ErrorRepeatOp:
        code = "invalid nested repetition operator";
        break;
      case re2::RE2::ErrorBadPerlOp:
        code = "invalid or unsupported Perl syntax";
        break;
      case re2::RE2::ErrorBadUTF8:
        code = "invalid UTF-8";
        break;
      case re2::RE2::ErrorBadNamedCapture:
        code = "invalid named capture";
        break;
      case re2::RE2::ErrorPatternTooLarge:
        code = "expression too large";
        break;
      default:
        return Status::InvalidArgument("error parsing regexp: " + rep->re->error());
    }
    return Status::InvalidArgument(std::string("error parsing regexp: ") + code + ": `" +
                                   rep->re->error_arg() + "`");
  }
  return rep;
}

// The shared default is created once and lives for the whole process.
Regexp::Regexp() {
  static const std::shared_ptr<const Rep>* def = [] {
    auto r = CompileRep(kDefaultRegex);
    std::shared_ptr<Rep> rep = std::move(r).value();
    rep->is_default = true;
    return new std::shared_ptr<const Rep>(std::move(rep));
  }();
  rep_ = *def;
}

Result<Regexp> Regexp::Compile(std::string_view pattern) {
  VIGIL_ASSIGN_OR_RETURN(std::shared_ptr<Rep> rep, CompileRep(pattern));
  return Regexp(std::shared_ptr<const Rep>(std::move(rep)));
}

const std::string& Regexp::pattern() const { return rep_->pattern; }
bool Regexp::is_default() const { return rep_->is_default; }
const re2::RE2& Regexp::re2() const { return *rep_->re; }
int Regexp::NumGroups() const { return rep_->re->NumberOfCapturingGroups(); }

bool Regexp::Match(std::string_view s) const {
  return rep_->re->Match(s, 0, s.size(), re2::RE2::ANCHOR_BOTH, nullptr, 0);
}

bool Regexp::Submatch(std::string_view s, std::vector<std::string_view>* groups) const {
  int n = NumGroups() + 1;
  groups->assign(size_t(n), std::string_view());
  // re2::StringPiece is std::string_view-compatible in this RE2 version only via conversion.
  std::array<re2::StringPiece, 16> small;
  std::vector<re2::StringPiece> big;
  re2::StringPiece* sp = small.data();
  if (n > int(small.size())) {
    big.resize(size_t(n));
    sp = big.data();
  }
  if (!rep_->re->Match(s, 0, s.size(), re2::RE2::ANCHOR_BOTH, sp, n)) return false;
  for (int i = 0; i < n; ++i) {
    (*groups)[size_t(i)] =
        sp[i].data() == nullptr ? std::string_view() : std::string_view(sp[i].data(), sp[i].size());
  }
  return true;
}

void Regexp::Expand(std::string_view tmpl, std::span<const std::string_view> groups,
                    std::string* out) const {
  while (!tmpl.empty()) {
    size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out->append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {  // "$$" is a literal '$'
      out->push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    // Go's extract(): optional braces around a non-empty run of letters, digits and '_'.
    std::string_view rest = tmpl;
    bool brace = !rest.empty() && rest[0] == '{';
    if (brace) rest.remove_prefix(1);
    size_t i = 0;
    while (i < rest.size()) {
      size_t n;
      char32_t r = DecodeRune(rest, i, &n);
      if (!IsNameRune(r)) break;
      i += n;
    }
    bool ok = i > 0;
    std::string_view name = rest.substr(0, i);
    if (ok && brace) {
      if (i >= rest.size() || rest[i] != '}') {
        ok = false;
      } else {
        ++i;
      }
    }
    if (!ok) {  // malformed: the '$' is literal text
      out->push_back('$');
      continue;
    }
    tmpl = rest.substr(i);
    // A number (no leading zeros, < 1e8) refers to a group by index, otherwise by name.
    int64_t num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= 100000000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') num = -1;
    if (num >= 0) {
      if (size_t(num) < groups.size() && groups[size_t(num)].data() != nullptr) {
        out->append(groups[size_t(num)]);
      }
    } else {
      const auto& names = rep_->re->NamedCapturingGroups();
      auto it = names.find(std::string(name));
      if (it != names.end() && size_t(it->second) < groups.size() &&
          groups[size_t(it->second)].data() != nullptr) {
        out->append(groups[size_t(it->second)]);
      }
    }
  }
  out->append(tmpl);
}

// ---------------------------------------------------------------------------------------
// Config

Status Config::Validate() const {
  const std::string act(ActionName(action));
  auto invalid_target = [&] {
    return Status::InvalidArgument(GoQuote(target_label) + " is invalid 'target_label' for " + act +
                                   " action");
  };
  const bool needs_target = action == Action::kReplace || action == Action::kHashMod ||
                            action == Action::kLowercase || action == Action::kUppercase ||
                            action == Action::kKeepEqual || action == Action::kDropEqual;
  const bool case_or_equal = action == Action::kLowercase || action == Action::kUppercase ||
                             action == Action::kKeepEqual || action == Action::kDropEqual;
  if (modulus == 0 && action == Action::kHashMod) {
    return Status::InvalidArgument("relabel configuration for hashmod requires non-zero modulus");
  }
  if (needs_target && target_label.empty()) {
    return Status::InvalidArgument("relabel configuration for " + act +
                                   " action requires 'target_label' value");
  }
  if (action == Action::kReplace) {
    if (!HasVar(target_label) && !IsValidLabelName(target_label, name_validation)) {
      return invalid_target();
    }
    if (HasVar(target_label) && !IsValidNameWithVars(target_label, name_validation)) {
      return invalid_target();
    }
  }
  if (case_or_equal && !IsValidLabelName(target_label, name_validation)) return invalid_target();
  if (case_or_equal && replacement != kDefaultReplacement) {
    return Status::InvalidArgument("'replacement' can not be set for " + act + " action");
  }
  if (action == Action::kLabelMap && !IsValidNameWithVars(replacement, name_validation)) {
    return Status::InvalidArgument(GoQuote(replacement) + " is invalid 'replacement' for " + act +
                                   " action");
  }
  if (action == Action::kHashMod && !IsValidLabelName(target_label, name_validation)) {
    return invalid_target();
  }
  if (action == Action::kDropEqual || action == Action::kKeepEqual) {
    if (!regex.is_default() || modulus != 0 || separator != kDefaultSeparator ||
        replacement != kDefaultReplacement) {
      return Status::InvalidArgument(
          act + " action requires only 'source_labels' and `target_label`, and no other fields");
    }
  }
  if (action == Action::kLabelDrop || action == Action::kLabelKeep) {
    if (!source_labels.empty() || !target_label.empty() || modulus != 0 ||
        separator != kDefaultSeparator || replacement != kDefaultReplacement) {
      return Status::InvalidArgument(act + " action requires only 'regex', and no other fields");
    }
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------------------
// Builder

void Builder::Reset(const Labels& base) {
  base_ = base;
  add_.clear();
  del_.clear();
}

std::string_view Builder::Get(std::string_view name) const {
  for (const auto& a : add_) {
    if (a.first == name) return a.second;
  }
  for (const auto& d : del_) {
    if (d == name) return {};
  }
  return base_.Get(name);
}

void Builder::Set(std::string_view name, std::string_view value) {
  if (value.empty()) {
    Del(name);
    return;
  }
  for (auto& a : add_) {
    if (a.first == name) {
      a.second.assign(value);
      return;
    }
  }
  add_.emplace_back(std::string(name), std::string(value));
}

void Builder::Del(std::string_view name) {
  std::erase_if(add_, [&](const auto& a) { return a.first == name; });
  if (std::find(del_.begin(), del_.end(), name) == del_.end()) del_.emplace_back(name);
}

Labels Builder::Build() const {
  if (add_.empty() && del_.empty()) return base_;
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (const auto& l : base_) {
    bool skip = std::find(del_.begin(), del_.end(), l.name) != del_.end();
    for (const auto& a : add_) skip = skip || a.first == l.name;
    if (!skip) pairs.emplace_back(l.name, l.value);
  }
  for (const auto& a : add_) pairs.emplace_back(a.first, a.second);
  return Labels::FromPairs(std::move(pairs));
}

// ---------------------------------------------------------------------------------------
// Processing

uint64_t HashMod(std::string_view value, uint64_t modulus) {
  // OpenSSL 3 looks EVP_md5() up in its provider on every use; fetch it once (process lifetime).
  static EVP_MD* const kMD5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const EVP_MD* type = kMD5 != nullptr ? kMD5 : EVP_md5();
  if (modulus == 0 || EVP_Digest(value.data(), value.size(), md, &len, type, nullptr) != 1 ||
      len != 16) {
    return 0;
  }
  // Only the last 8 bytes, as Prometheus does (for compatibility with its older versions).
  return DecodeBE64(reinterpret_cast<const char*>(md) + 8) % modulus;
}

namespace {

// Applies one rule; false if it drops the set.
bool Relabel(const Config& cfg, Builder* lb, std::string* val,
             std::vector<std::string_view>* groups, std::string* buf) {
  val->clear();
  for (size_t i = 0; i < cfg.source_labels.size(); ++i) {
    if (i > 0) val->append(cfg.separator);
    val->append(lb->Get(cfg.source_labels[i]));
  }
  switch (cfg.action) {
    case Action::kDrop:
      if (cfg.regex.Match(*val)) return false;
      break;
    case Action::kKeep:
      if (!cfg.regex.Match(*val)) return false;
      break;
    case Action::kDropEqual:
      if (lb->Get(cfg.target_label) == *val) return false;
      break;
    case Action::kKeepEqual:
      if (lb->Get(cfg.target_label) != *val) return false;
      break;
    case Action::kReplace: {
      // Prometheus' fast path: a constant label, set without validating the name.
      if (val->empty() && cfg.regex.is_default() && !HasVar(cfg.target_label) &&
          !HasVar(cfg.replacement)) {
        lb->Set(cfg.target_label, cfg.replacement);
        break;
      }
      if (!cfg.regex.Submatch(*val, groups)) break;
      std::string target;
      cfg.regex.Expand(cfg.target_label, *groups, &target);
      if (!IsValidLabelName(target, cfg.name_validation)) break;
      buf->clear();
      cfg.regex.Expand(cfg.replacement, *groups, buf);
      if (buf->empty()) {
        lb->Del(target);
      } else {
        lb->Set(target, *buf);
      }
      break;
    }
    case Action::kLowercase:
      lb->Set(cfg.target_label, MapCase(*val, /*upper=*/false));
      break;
    case Action::kUppercase:
      lb->Set(cfg.target_label, MapCase(*val, /*upper=*/true));
      break;
    case Action::kHashMod:
      if (cfg.modulus == 0) break;  // rejected by Validate(); never divide by zero
      lb->Set(cfg.target_label, std::to_string(HashMod(*val, cfg.modulus)));
      break;
    case Action::kLabelMap:
      lb->Range([&](std::string_view name, std::string_view value) {
        if (cfg.regex.Submatch(name, groups)) {
          buf->clear();
          cfg.regex.Expand(cfg.replacement, *groups, buf);
          lb->Set(*buf, value);
        }
      });
      break;
    case Action::kLabelDrop:
      lb->Range([&](std::string_view name, std::string_view) {
        if (cfg.regex.Match(name)) lb->Del(name);
      });
      break;
    case Action::kLabelKeep:
      lb->Range([&](std::string_view name, std::string_view) {
        if (!cfg.regex.Match(name)) lb->Del(name);
      });
      break;
  }
  return true;
}

}  // namespace

bool ProcessBuilder(Builder* lb, std::span<const Config> cfgs) {
  std::string val, buf;
  std::vector<std::string_view> groups;
  for (const Config& cfg : cfgs) {
    if (!Relabel(cfg, lb, &val, &groups, &buf)) return false;
  }
  return true;
}

std::optional<Labels> Process(const Labels& in, std::span<const Config> cfgs) {
  Builder lb(in);
  if (!ProcessBuilder(&lb, cfgs)) return std::nullopt;
  return lb.Build();
}

bool Process(const Labels& in, std::span<const Config> cfgs, LabelsBuilder* out) {
  std::optional<Labels> res = Process(in, cfgs);
  if (!res) return false;
  out->Reset(*res);
  return true;
}

// ---------------------------------------------------------------------------------------
// Sharding

uint64_t ShardOf(std::string_view address, uint64_t n) { return HashMod(address, n); }

bool KeepShard(const Labels& target, uint64_t i, uint64_t n) {
  return n > 0 && ShardOf(target.Get("__address__"), n) == i;
}

std::vector<Config> ShardRelabelConfigs(uint64_t i, uint64_t n) {
  std::vector<Config> out(3);
  out[0].action = Action::kHashMod;
  out[0].source_labels = {"__address__"};
  out[0].target_label = std::string(kShardLabel);
  out[0].modulus = n;
  out[1].action = Action::kKeep;
  out[1].source_labels = {std::string(kShardLabel)};
  out[1].regex = Regexp::Compile(std::to_string(i)).value();
  out[2].action = Action::kLabelDrop;
  out[2].regex = Regexp::Compile(kShardLabel).value();
  return out;
}

Result<std::pair<uint64_t, uint64_t>> ParseShard(std::string_view s) {
  auto bad = [&] {
    return Status::InvalidArgument("invalid shard " + GoQuote(s) +
                                   ": want I/N with 0 <= I < N, e.g. 0/3");
  };
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return bad();
  uint64_t i = 0, n = 0;
  std::string_view a = s.substr(0, slash), b = s.substr(slash + 1);
  auto r1 = std::from_chars(a.data(), a.data() + a.size(), i);
  auto r2 = std::from_chars(b.data(), b.data() + b.size(), n);
  if (a.empty() || b.empty() || r1.ec != std::errc() || r1.ptr != a.data() + a.size() ||
      r2.ec != std::errc() || r2.ptr != b.data() + b.size() || n == 0 || i >= n) {
    return bad();
  }
  return std::make_pair(i, n);
}

}  // namespace vigil::relabel
