// Relabeling: Prometheus' <relabel_config> rules applied to a label set, with the same
// semantics as prometheus/model/relabel (every action, Go regexp template expansion,
// bit-exact `hashmod`, Prometheus' validation messages).
//
// A Config is a value type; its Regexp shares an immutable compiled RE2, so copies are cheap
// and a const Config may be used by many threads at once. Process*() keep no state between
// calls and are thread-safe for distinct builders. Configs normally come from config/ (YAML)
// and must pass Validate() before use; Process() on an invalid Config never crashes but its
// result is unspecified.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "model/labels.h"

namespace re2 {
class RE2;
}

namespace vigil::relabel {

enum class Action {
  kReplace,
  kKeep,
  kDrop,
  kKeepEqual,
  kDropEqual,
  kHashMod,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
  kLowercase,
  kUppercase,
};

// The YAML spelling ("replace", "hashmod", ...).
std::string_view ActionName(Action a);
// Case-insensitive, like Prometheus. Error: `unknown relabel action "x"` (InvalidArgument).
Result<Action> ParseAction(std::string_view s);

// Which label names are valid: Prometheus 3.x defaults to UTF-8 (any non-empty valid UTF-8
// string); "legacy" is [a-zA-Z_][a-zA-Z0-9_]*.
enum class NameValidation { kUTF8, kLegacy };

bool IsValidUTF8(std::string_view s);
// Quotes like Go's %q / strconv.Quote for error messages (invalid UTF-8 bytes as \xNN).
std::string GoQuote(std::string_view s);
bool IsValidLabelName(std::string_view name, NameValidation scheme);
// Legacy metric names also allow ':'.
bool IsValidMetricName(std::string_view name, NameValidation scheme);

// A fully anchored RE2 regex, compiled like Prometheus: "^(?s:" + pattern + ")$" (so '.'
// matches '\n'). `(?<name>...)` groups are accepted as in Go. Immutable; copies share the
// compiled program.
class Regexp {
 public:
  // The default rule regex "(.*)". Default-constructed Regexps are this one.
  Regexp();
  // InvalidArgument "error parsing regexp: <reason>" when the pattern does not compile.
  static Result<Regexp> Compile(std::string_view pattern);

  // The pattern as written by the user (without the anchors).
  const std::string& pattern() const;
  // True only for the shared default instance (not for an explicit "(.*)"), which is how
  // Prometheus tells "regex not set" apart in keepequal/dropequal validation.
  bool is_default() const;

  bool Match(std::string_view s) const;
  // Matches s; on success fills groups[0..n] (group 0 is the whole string; a group that did
  // not participate has data() == nullptr) and returns true. `groups` is resized.
  bool Submatch(std::string_view s, std::vector<std::string_view>* groups) const;
  // Appends the expansion of `tmpl` like Go's regexp.Expand: $n, ${n}, $name, ${name}, $$.
  // `groups` as filled by Submatch for the same Regexp.
  void Expand(std::string_view tmpl, std::span<const std::string_view> groups,
              std::string* out) const;
  int NumGroups() const;  // capturing groups, not counting group 0

  const re2::RE2& re2() const;

 private:
  struct Rep;
  static Result<std::shared_ptr<Rep>> CompileRep(std::string_view pattern);
  explicit Regexp(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}
  std::shared_ptr<const Rep> rep_;
};

// One relabel rule. Field defaults are Prometheus' DefaultRelabelConfig.
struct Config {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  Regexp regex;  // default "(.*)"
  uint64_t modulus = 0;
  std::string target_label;
  std::string replacement = "$1";
  Action action = Action::kReplace;
  NameValidation name_validation = NameValidation::kUTF8;

  // Prometheus' Config.Validate: InvalidArgument with its wording, e.g.
  // "relabel configuration for hashmod requires non-zero modulus" or
  // "\"0x\" is invalid 'target_label' for replace action" (legacy names).
  Status Validate() const;
};

// A label-set builder with exactly the semantics of Prometheus' labels.Builder (a base set
// plus an ordered list of added labels and a list of deleted names). Relabeling needs them:
// labelmap/labeldrop/labelkeep visit base labels first (sorted), then added ones in the order
// they were set, so the order decides which of two colliding renames wins. Not thread-safe.
class Builder {
 public:
  Builder() = default;
  explicit Builder(const Labels& base) { Reset(base); }
  void Reset(const Labels& base);

  // Value of name, or "" if absent.
  std::string_view Get(std::string_view name) const;
  // An empty value deletes the label.
  void Set(std::string_view name, std::string_view value);
  void Del(std::string_view name);
  // Visits labels as Prometheus does: base (minus deleted/overridden) then added, as they were
  // when Range began; f may call Set/Del.
  template <typename F>
  void Range(F&& f);
  // The current set, sorted.
  Labels Build() const;

 private:
  Labels base_;
  std::vector<std::pair<std::string, std::string>> add_;
  std::vector<std::string> del_;
};

// Applies the rules in order to `lb`. Returns false as soon as a rule drops the set (keep,
// drop, keepequal, dropequal); `lb` is then in an unspecified state.
bool ProcessBuilder(Builder* lb, std::span<const Config> cfgs);
// Applies the rules to `in`; nullopt if dropped.
std::optional<Labels> Process(const Labels& in, std::span<const Config> cfgs);
// Same, writing the result into a model LabelsBuilder (reset to it) when kept.
bool Process(const Labels& in, std::span<const Config> cfgs, LabelsBuilder* out);

// hashmod: MD5 of `value`, the last 8 bytes as a big-endian uint64, modulo `modulus` (> 0).
uint64_t HashMod(std::string_view value, uint64_t modulus);

// Sharding as in `--shard=I/N`: target shard of an `__address__` (HashMod(address, n)).
uint64_t ShardOf(std::string_view address, uint64_t n);
// True if the target with these labels belongs to shard i of n (i < n), which is exactly what
// ShardRelabelConfigs(i, n) decides.
bool KeepShard(const Labels& target, uint64_t i, uint64_t n);
// The equivalent rules: hashmod of __address__ into __tmp_shard (modulus n), keep
// __tmp_shard =~ "i", labeldrop __tmp_shard.
std::vector<Config> ShardRelabelConfigs(uint64_t i, uint64_t n);
// Parses "I/N" (0 <= I < N). InvalidArgument otherwise.
Result<std::pair<uint64_t, uint64_t>> ParseShard(std::string_view s);

template <typename F>
void Builder::Range(F&& f) {
  // Snapshot add_/del_ so that f may Set/Del (Prometheus does the same).
  std::vector<std::pair<std::string, std::string>> add = add_;
  std::vector<std::string> del = del_;
  for (const auto& l : base_) {
    bool skip = false;
    for (const auto& d : del) skip = skip || d == l.name;
    for (const auto& a : add) skip = skip || a.first == l.name;
    if (!skip) f(l.name, l.value);
  }
  for (const auto& a : add) f(std::string_view(a.first), std::string_view(a.second));
}

}  // namespace vigil::relabel
