// Matcher: one label matcher of a selector (=, !=, =~, !~). Regexes are RE2, fully
// anchored as in Prometheus ("^(?:re)$"). Immutable after Make(); thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/labels.h"

namespace re2 {
class RE2;
}

namespace vigil {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

std::string_view MatchTypeString(MatchType t);

class Matcher {
 public:
  // Compiles regexes; an invalid regex is InvalidArgument with RE2's message.
  static Result<Matcher> Make(MatchType type, std::string_view name, std::string_view value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  bool Matches(std::string_view v) const;
  // True if the matcher matches the empty string (so it also selects series lacking the label).
  bool MatchesEmpty() const { return matches_empty_; }
  // For =~ whose regex is a plain alternation of literals ("a|b|c"): the literals.
  const std::vector<std::string>& SetMatches() const { return set_; }
  // name="value" with the value quoted.
  std::string ToString() const;

 private:
  MatchType type_ = MatchType::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;
  std::vector<std::string> set_;  // literal alternatives, if the regex is one
  enum class Fast { kNone, kAny, kNonEmpty, kSet } fast_ = Fast::kNone;
  bool matches_empty_ = false;
};

// True if every matcher accepts the label set (absent labels read as "").
bool MatchesAll(const std::vector<Matcher>& ms, const Labels& l);

}  // namespace vigil
