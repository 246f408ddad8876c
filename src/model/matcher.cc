#include "model/matcher.h"

#include <re2/re2.h>

#include <algorithm>

namespace vigil {

std::string_view MatchTypeString(MatchType t) {
  switch (t) {
    case MatchType::kEqual:
      return "=";
    case MatchType::kNotEqual:
      return "!=";
    case MatchType::kRegexMatch:
      return "=~";
    case MatchType::kRegexNoMatch:
      return "!~";
  }
  return "=";
}

namespace {

// Splits "a|b|c" into literals if no regex metacharacters appear; false otherwise.
bool LiteralAlternation(std::string_view re, std::vector<std::string>* out) {
  std::string cur;
  for (char c : re) {
    if (c == '|') {
      out->push_back(cur);
      cur.clear();
      continue;
    }
    if (std::string_view("\\^$.[]()*+?{}").find(c) != std::string_view::npos) {
      out->clear();  // not a set: leave no partial literals behind
      return false;
    }
    cur += c;
  }
  out->push_back(cur);
  return true;
}

}  // namespace

Result<Matcher> Matcher::Make(MatchType type, std::string_view name, std::string_view value) {
  Matcher m;
  m.type_ = type;
  m.name_ = name;
  m.value_ = value;
  if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
    if (value == ".*") {
      m.fast_ = Fast::kAny;
    } else if (value == ".+") {
      m.fast_ = Fast::kNonEmpty;
    } else if (LiteralAlternation(value, &m.set_)) {
      m.fast_ = Fast::kSet;
      std::sort(m.set_.begin(), m.set_.end());
    }
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_dot_nl(true);  // Prometheus compiles with (?s)
    auto re = std::make_shared<RE2>("^(?:" + std::string(value) + ")$", opts);
    if (!re->ok()) {
      return Status::InvalidArgument("error parsing regexp: " + re->error());
    }
    m.re_ = std::move(re);
  }
  m.matches_empty_ = m.Matches("");
  return m;
}

bool Matcher::Matches(std::string_view v) const {
  switch (type_) {
    case MatchType::kEqual:
      return v == value_;
    case MatchType::kNotEqual:
      return v != value_;
    case MatchType::kRegexMatch:
    case MatchType::kRegexNoMatch: {
      bool m;
      switch (fast_) {
        case Fast::kAny:
          m = true;
          break;
        case Fast::kNonEmpty:
          m = !v.empty();
          break;
        case Fast::kSet:
          m = std::binary_search(set_.begin(), set_.end(), v);
          break;
        default:
          m = RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_);
      }
      return type_ == MatchType::kRegexMatch ? m : !m;
    }
  }
  return false;
}

std::string Matcher::ToString() const {
  return name_ + std::string(MatchTypeString(type_)) + QuoteString(value_);
}

bool MatchesAll(const std::vector<Matcher>& ms, const Labels& l) {
  for (const auto& m : ms) {
    if (!m.Matches(l.Get(m.name()))) return false;
  }
  return true;
}

}  // namespace vigil
